"""The DONNA predictor stage: teacher and BKD if missing, finetune sampled
architectures, fit and report (``tools/fit_predictor.py``)."""
import copy
import os.path as osp

from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner.checkpoint import load_checkpoint

from mmdonna.utils import atomic_write_json
from .predictor_data import collect_predictor_results, ranking_report


def run_predictor_stage(cfg: Config,
                        work_dir: str,
                        launcher: str = 'none') -> dict:
    """Finetune ``predictor.num_archs`` architectures and write
    ``<work_dir>/predictor/report.json`` (Kendall tau / Spearman of the
    linear predictor and of the block-loss sums on held-out architectures).
    """
    from mmdonna.library import BlockLibrary
    from mmdonna.search.pipeline import bkd_stage, teacher_stage
    cfg = copy.deepcopy(cfg)
    teacher_ckpt, _ = teacher_stage(cfg, work_dir, launcher)
    cfg.model.teacher_checkpoint = teacher_ckpt
    bkd_ckpt, _ = bkd_stage(cfg, work_dir, launcher)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    supernet = MODELS.build(copy.deepcopy(cfg.model))
    load_checkpoint(supernet, bkd_ckpt, map_location='cpu', logger='silent')
    library = BlockLibrary.load(
        osp.join(work_dir, 'block_library.json'), supernet.space)
    state = collect_predictor_results(cfg, work_dir, supernet, teacher_ckpt)
    pcfg = cfg.get('predictor', {})
    report = ranking_report(library, state['results'],
                            float(pcfg.get('holdout', 0.3)),
                            float(pcfg.get('alpha', 1e-3)),
                            int(pcfg.get('seed', 0)))
    report['metric'] = state['metric']
    report['budget'] = state['budget']
    atomic_write_json(osp.join(work_dir, 'predictor', 'report.json'), report)
    return report
