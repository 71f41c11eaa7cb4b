"""All three YOLOP tasks for the teacher and the finetuned front models of a
``tools/search.py`` work dir, with their measured latency and size."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.runner import Runner

from mmdonna.stages import donna_settings, teacher_config
from mmdonna.stages.markers import marker_checkpoint
from mmdonna.utils import atomic_write_json, latest_checkpoint
from mmdonna.utils.config import validation_config

#: The reported metrics, in table order, with their column titles.
COLUMNS = (('yolop/det_mAP50',
            'det mAP@0.5'), ('yolop/det_recall',
                             'det recall'), ('yolop/da_mIoU', 'drivable mIoU'),
           ('yolop/ll_IoU', 'lane IoU'), ('yolop/ll_acc', 'lane acc'))
RESULT_FILE = 'yolop_results.json'


def _checkpoint(path: str, what: str) -> str:
    ckpt = latest_checkpoint(path)
    if not ckpt:
        raise FileNotFoundError(
            f'{what} checkpoint {path!r} does not exist; run tools/search.py '
            f'on the search config first')
    return ckpt


def teacher_checkpoint(cfg: Config, work_dir: str) -> str:
    """The teacher weights the search used: ``donna.teacher_checkpoint``, or
    the one ``tools/search.py`` trained into ``<work_dir>/teacher``."""
    given = donna_settings(cfg)['teacher_checkpoint']
    if given and osp.exists(given):
        return _checkpoint(given, 'teacher')
    tdir = osp.join(work_dir, 'teacher')
    marker = osp.join(tdir, 'teacher_done.json')
    if osp.isfile(marker):
        with open(marker) as f:
            found = marker_checkpoint(json.load(f), tdir)
        if found:
            return found
    return _checkpoint(tdir, 'teacher')


def evaluate(model_cfg: Config, checkpoint: str, work_dir: str,
             name: str) -> Dict[str, float]:
    """Validation metrics of one model config with ``checkpoint``, and the
    parameter count of the evaluated network (a KD wrapper's student)."""
    cfg = validation_config(model_cfg, work_dir, checkpoint, name, 'none')
    runner = Runner.from_cfg(cfg)
    metrics = {k: float(v) for k, v in runner.val().items()}
    net = getattr(runner.model, 'student', runner.model)
    metrics['params'] = int(sum(p.numel() for p in net.parameters()))
    return metrics


def evaluate_search(cfg: Config,
                    work_dir: str,
                    finetuned: Optional[Sequence[str]] = None) -> List[dict]:
    """Evaluate the teacher and every finetuned front model of
    ``work_dir`` (``finetune_results.json``) on the validation split.

    Args:
        cfg (Config): The search config (its ``donna`` section).
        work_dir (str): Its work dir.
        finetuned (Sequence[str]): Further finetune configs of exported
            subnets (e.g. the trio's ``*_finetune.py``), evaluated from the
            latest checkpoint of their work dir. Defaults to None.

    Returns:
        list[dict]: One row per model: ``name``, ``target``, the metrics of
        :data:`COLUMNS`, ``params``, ``latency_ms`` (whole model, measured
        by the search's hardware-in-the-loop stage).
    """
    results = osp.join(work_dir, 'finetune_results.json')
    if not osp.isfile(results):
        raise FileNotFoundError(
            f'{results} does not exist; run tools/search.py on the search '
            f'config (with donna.finetune.models set) first')
    with open(results) as f:
        front_rows = json.load(f)['rows']
    tcfg = teacher_config(cfg)
    teacher = evaluate(tcfg, teacher_checkpoint(cfg, work_dir),
                       osp.join(work_dir, 'eval', 'teacher'), 'teacher_eval')
    rows = []
    for r in front_rows:
        if r['name'] == 'teacher':
            metrics = teacher
        else:
            scfg = Config.fromfile(
                osp.join(work_dir, 'subnets', r['name'] + '.py'))
            metrics = evaluate(
                scfg, _checkpoint(scfg.work_dir, f'finetuned {r["name"]}'),
                osp.join(work_dir, 'eval', r['name']), r['name'] + '_eval')
        rows.append(
            dict(
                name=r['name'],
                target=r['target'],
                latency_ms=r.get('latency_ms'),
                **metrics))
    for path in finetuned or ():
        fcfg = Config.fromfile(path)
        name = osp.splitext(osp.basename(path))[0]
        meta = fcfg.get('donna_meta', {})
        metrics = evaluate(fcfg, _checkpoint(fcfg.work_dir, name),
                           osp.join(work_dir, 'eval', name), name + '_eval')
        rows.append(
            dict(
                name=name,
                target=meta.get('target'),
                latency_ms=meta.get('latency_ms'),
                **metrics))
    atomic_write_json(osp.join(work_dir, RESULT_FILE), dict(rows=rows))
    return rows


def format_results(rows: List[dict]) -> str:
    """Markdown table of :func:`evaluate_search`'s rows."""
    head = ' | '.join(t for _, t in COLUMNS)
    lines = [
        f'| model | {head} | latency (ms) | params |',
        '|---|' + '---|' * (len(COLUMNS) + 2)
    ]
    for r in rows:
        vals = ' | '.join(f'{100 * r.get(k, 0.0):.1f}' for k, _ in COLUMNS)
        lat = r.get('latency_ms')
        lat = '-' if lat is None else f'{lat:.2f}'
        lines.append(f'| {r["name"]} | {vals} | {lat} | '
                     f'{r.get("params", 0):,} |')
    return '\n'.join(lines)
