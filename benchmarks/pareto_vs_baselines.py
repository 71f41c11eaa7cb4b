"""Found architectures against the scaled teacher and random architectures of
the same space: quality vs measured latency, seeds, hypervolume.

    python benchmarks/pareto_vs_baselines.py TASK [--work-dir W] [--seeds 3]
        [--found 5] [--random 5] [--passes 3] [--out JSON] [--quick]
        [--cfg-options ...]

TASK is ``classification`` (MobileNetV2 on the distorted digits),
``detection`` (RetinaNet-R18 on the generated shapes) or
``super_resolution`` (EDSR x2 on the scikit-image patches). Per task:

1. The task's search config runs every stage up to the export
   (``<work_dir>/<task>/search``; the teacher and BKD stages are timed);
2. **found**: ``--found`` architectures spread over the re-ranked front
   (what ``donna.finetune.models=N`` picks), BKD-initialised;
3. **random**: ``--random`` architectures drawn uniformly from the
   KD-filtered space, each the draw whose LUT latency is nearest to a found
   one (latency-matched), BKD-initialised the same way;
4. **scaled**: the teacher config's own knobs (``SCALED`` below), trained
   from their default initialisation with the same KD recipe at two
   budgets: the same finetune length as the others (``same``) and that
   length plus the BKD stage's cost in teacher epochs (or iterations)
   measured in this run (``equal``: equal compute);
5. every model finetuned with KD from the teacher once per seed (the
   finetune recipe of the config, ``randomness.seed`` = the seed; BN
   re-estimated before validation), every model and the teacher measured
   whole on the config's first latency target, ``--passes`` interleaved
   passes, the lowest of the target's statistic kept.

Quality is turned into a normalised error ``1 - q / q_teacher`` (q: the
task metric, higher is better) and latency into ``latency / teacher
latency``; the hypervolume (pymoo) of each set's mean points is taken
against the task's reference point ``REF`` (printed), and per seed for the
spread. ``latency_at_equal_quality`` is the median over found models of the
found latency / the scaled family's latency interpolated at the same mean
quality: a found model better than the best scaled member uses that
member's latency (an upper bound of its ratio, in the baseline's favour), a
found model worse than the fastest member uses the fastest one's latency (a
lower bound, in the found model's favour); the printed line before the
RESULT line says how many of each.

Writes ``<work_dir>/<task>/results.json`` (resumable: one atomic write per
finished finetune or measurement), ``pareto_vs_baselines_<task>.png`` and,
last, ``RESULT <task> hv_vs_scaled=<x> hv_vs_random=<y>
latency_at_equal_quality=<z>`` (scaled at equal compute; the same-epochs
ratio follows as ``hv_vs_scaled_same=``).

Measured figures are in the README ("Does it beat the baselines?").
"""
import argparse
import copy
import json
import os
import os.path as osp
import time

import numpy as np
from mmengine.config import Config, ConfigDict, DictAction

#: Per task: the search config, the scaled family (overrides of ``model``
#: in the teacher config, one dict per member) and the hypervolume
#: reference point (normalised error, latency / teacher latency).
TASKS = dict(
    classification=dict(
        config='configs/classification/'
        'mobilenetv2_distorted_digits_search.py',
        # the teacher is MobileNetV2 at widen_factor 0.5
        scaled=[{
            'backbone.widen_factor': w
        } for w in (0.1, 0.15, 0.25, 0.35, 0.5)],
        ref=(0.1, 1.2)),
    detection=dict(
        config='configs/detection/retinanet_r18_shapes_search.py',
        # the teacher is ResNet-18 at base_channels 32 under an FPN
        scaled=[{
            'backbone.base_channels': c,
            'neck.in_channels': [c, 2 * c, 4 * c, 8 * c]
        } for c in (12, 16, 24, 32)],
        ref=(0.5, 1.2),
        # a converged teacher, as DONNA's: the config's 12 epochs (a CPU
        # demo) leave it 0.13 mAP short of 6 more epochs; the finetune is
        # 3 epochs, 1/8 of the teacher's schedule (DONNA: 50 of ~450)
        options={
            'train_cfg.max_epochs': 24,
            'param_scheduler.1.T_max': 24,
            'donna.finetune.epochs': 3,
        }),
    super_resolution=dict(
        config='configs/restoration/edsr_skimage-x2_search.py',
        # the teacher is EDSR with 32 channels and 4 body blocks
        scaled=[{
            'generator.mid_channels': c,
            'generator.num_blocks': n
        } for c, n in ((16, 4), (24, 2), (24, 4), (32, 2), (32, 4))],
        # 2 % of the teacher's PSNR: about bicubic upsampling's
        ref=(0.02, 1.2),
        # a converged teacher, as DONNA's: the config's 1,500 iterations
        # (a CPU demo) leave it 0.8 dB short, and a scaled EDSR trained
        # from scratch for the BKD budget beat it; KD finetuning of 300
        # iterations
        options={
            'train_cfg.max_iters': 10000,
            'param_scheduler.T_max': 10000,
            'donna.finetune.iters': 300,
        }),
)
#: --quick: a smoke run on the plain digits (tiny budgets, FLOPs latency).
QUICK = dict(
    config='configs/classification/mobilenetv2_digits_search.py',
    scaled=[{
        'backbone.widen_factor': w
    } for w in (0.25, 0.5)],
    ref=(0.5, 1.2),
    options={
        'train_cfg.max_epochs':
        1,
        'train_cfg.val_interval':
        1,
        'param_scheduler.T_max':
        1,
        'train_dataloader.dataset.indices':
        64,
        'val_dataloader.dataset.indices':
        32,
        'donna.blocks': [
            dict(path='backbone.layer2', options='mbconv'),
            dict(path='backbone.layer3', options='mbconv'),
        ],
        'donna.bkd.epochs':
        1,
        'donna.bkd.library_batches':
        2,
        'donna.latency':
        dict(targets=[dict(backend='flops')], calibrate=0),
        'donna.rerank.max_archs':
        4,
        'donna.finetune.epochs':
        1,
        'donna.teacher_check.min':
        0.0,
    })

#: the sets of trained models
SETS = ('found', 'random', 'random_unfiltered', 'scaled_same', 'scaled_equal')


def name_of(knobs: dict) -> str:
    return 'scaled_' + '_'.join(f'{k.rsplit(".", 1)[-1]}{v}'
                                for k, v in knobs.items()
                                if not isinstance(v, list))


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (dataloader
    workers): unlike wall seconds, hardly changed by other jobs' load."""
    import resource
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


def timed_stage(cfg: Config, work_dir: str, stage: str, state: dict,
                key: str) -> None:
    """Run the pipeline up to ``stage``; keep its wall and CPU seconds in
    ``state['cost']`` (``<key>_s``, ``<key>_cpu_s``) when it did work this
    time."""
    from mmdonna.stages import run_stages
    rows = []
    t, c = time.time(), cpu_seconds()
    run_stages(cfg, work_dir, stage=stage, on_row=rows.append)
    # a stage that did its work this time: its cost is this run's
    if any(r[0] == stage and r[1] == 'done' for r in rows):
        state['cost'][f'{key}_s'] = time.time() - t
        state['cost'][f'{key}_cpu_s'] = cpu_seconds() - c


def spread_front(front: list, num: int, rerank: dict) -> list:
    """``num`` architectures spread over the re-ranked front (the finetune
    stage's pick), topped up from the whole front when it is shorter."""
    from mmdonna.stages import choose_models
    from mmdonna.stages.finetune import pick_front
    out = choose_models(front, num, rerank)
    for arch in pick_front(front, len(front)):
        if len(out) >= num:
            break
        if arch not in out:
            out.append(arch)
    return sorted(out, key=lambda a: a['latency_lut_ms'])


def random_matched(ctx,
                   target: str,
                   found: list,
                   seed: int,
                   filtered: bool = True,
                   prefix: str = 'random') -> list:
    """One uniform draw of the filtered space (or the whole space) per
    found architecture: the draw of a 4,000-draw pool whose LUT latency is
    nearest to it."""
    space = ctx.build_supernet().space
    kept = [
        ctx.search['filtered']['targets'][target][p]['kept']
        if filtered else range(n)
        for p, n in zip(space.paths, space.num_options)
    ]
    rng = np.random.default_rng(seed)
    pool = np.stack([rng.choice(np.asarray(k, int), 4000) for k in kept], 1)
    pool = np.unique(pool, axis=0)
    F, _ = ctx.search['objectives'][target](pool)
    taken = {tuple(a['code']) for a in found}
    out = []
    for i, a in enumerate(found):
        order = np.argsort(np.abs(F[:, 1] - a['latency_lut_ms']))
        j = next(j for j in order if tuple(pool[j]) not in taken)
        taken.add(tuple(pool[j]))
        out.append(
            dict(
                name=f'{prefix}_{i:02d}',
                code=[int(c) for c in pool[j]],
                latency_lut_ms=float(F[j, 1]),
                surrogate=float(F[j, 0])))
    return out


def same_code(py: str, code: list) -> bool:
    """Whether ``py`` is an exported subnet of ``code``."""
    if not osp.exists(py):
        return False
    return list(Config.fromfile(py).donna_meta.code) == list(code)


def model_entry(state: dict, name: str, what: dict, latency_key: str) -> dict:
    """``state['models'][name]``, started afresh (results and latency)
    when it was another model."""
    m = state['models'].get(name)
    if m is None or any(m.get(k) != v for k, v in what.items()):
        m = state['models'][name] = dict(what, seeds={})
        if not latency_key.startswith('scaled_'):
            state['latency'].pop(latency_key, None)
    m['latency_key'] = latency_key
    return m


def scaled_model(teacher_model: dict, knobs: dict) -> dict:
    c = Config(dict(model=copy.deepcopy(teacher_model)))
    c.merge_from_dict({f'model.{k}': v for k, v in knobs.items()})
    model = c.model.to_dict()
    # no pretrained weights (offline): the scaled members start from their
    # default initialisation
    for part in model.values():
        if isinstance(part, dict):
            part.pop('init_cfg', None)
    return model


def write_scaled(template_py: str, model: dict, optim_wrapper: dict,
                 path: str) -> str:
    """The exported finetune config of a found model with the student
    replaced by ``model`` (no BKD weights) and the teacher's own optimizer
    (a from-scratch run at the finetune rate, e.g. a tenth of the teacher's,
    would handicap the baseline): the same KD loss and schedule."""
    cfg = Config.fromfile(template_py)
    cfg.optim_wrapper = copy.deepcopy(optim_wrapper)
    cfg.model.student = model
    cfg.model.student_checkpoint = None
    cfg.student = model
    cfg.pop('donna_meta', None)
    cfg.dump(path)
    return path


def merge_results(state: dict, path: str) -> int:
    """Take the finished seeds of another ``results.json`` of the same
    settings (config hash): per model of the same name and definition
    (set, code or knobs, length), the seeds ``state`` lacks. Returns how
    many seeds were taken."""
    with open(path) as f:
        other = json.load(f)
    if other.get('config_hash') != state['config_hash']:
        raise SystemExit(f'--merge-from {path}: results of other settings '
                         f'(config hash {other.get("config_hash")}, this run '
                         f'{state["config_hash"]})')
    taken = 0
    for name, m in state['models'].items():
        o = other['models'].get(name)
        if o is None or any(
                o.get(k) != m.get(k)
                for k in ('set', 'code', 'knobs', 'length')):
            continue
        for seed, q in o.get('seeds', {}).items():
            if seed not in m['seeds']:
                m['seeds'][seed] = q
                taken += 1
    print(f'--merge-from {path}: {taken} finished seeds taken', flush=True)
    return taken


def hypervolume(points: np.ndarray, ref) -> float:
    from pymoo.indicators.hv import HV
    pts = np.asarray(points, float).reshape(-1, 2)
    pts = pts[np.all(pts < np.asarray(ref), 1)]
    return float(HV(ref_point=np.asarray(ref, float))(pts)) if len(pts) \
        else 0.0


def interp_latency(q: float, scaled: list):
    """The scaled family's latency at quality ``q`` on its front (linear
    between members); the best member's latency above it, the fastest
    member's below the fastest one's quality (both bounds: see
    ``summarise``)."""
    pts = sorted((s['quality'], s['latency']) for s in scaled)
    front, best = [], -np.inf
    for qq, lat in sorted(pts, key=lambda p: p[1]):  # by latency
        if qq > best:
            front.append((qq, lat))
            best = qq
    qs = np.array([p[0] for p in front])
    ls = np.array([p[1] for p in front])
    if q <= qs[0]:
        return float(ls[0])
    if q >= qs[-1]:
        return float(ls[-1])
    return float(np.interp(q, qs, ls))


def summarise(state: dict, seeds: int, teacher_q: float, teacher_ms: float,
              ref) -> dict:
    """Mean / spread per model and the ratios of the RESULT line."""
    models = {}
    for name, m in state['models'].items():
        vals = [
            m['seeds'][str(s)] for s in range(seeds) if str(s) in m['seeds']
        ]
        lat = state['latency'].get(m['latency_key'], [])
        if not vals or not lat:
            continue
        q = np.array(vals, float)
        models[name] = dict(
            set=m['set'],
            quality=float(q.mean()),
            quality_std=float(q.std(ddof=1)) if len(q) > 1 else 0.0,
            quality_min=float(q.min()),
            quality_max=float(q.max()),
            per_seed=q.tolist(),
            latency=float(min(lat)),
            latency_passes=lat,
            params=m.get('params'),
            surrogate=m.get('surrogate'),
            one_shot=m.get('one_shot'))

    def norm(q, lat):
        return (1.0 - q / teacher_q, lat / teacher_ms)

    def points(kind, seed=None):
        out = []
        for m in models.values():
            if m['set'] != kind:
                continue
            q = m['quality'] if seed is None else (
                m['per_seed'][seed] if seed < len(m['per_seed']) else None)
            if q is not None:
                out.append(norm(q, m['latency']))
        return np.array(out, float).reshape(-1, 2)

    sets = sorted({m['set'] for m in models.values()})
    hv = {k: hypervolume(points(k), ref) for k in sets}
    hv_seed = {
        k: [hypervolume(points(k, s), ref) for s in range(seeds)]
        for k in sets
    }

    def ratio(a, b):
        if a not in hv or b not in hv:
            return None
        if not hv[b]:  # every point of b beyond the reference point
            return dict(
                mean_points=float('inf') if hv[a] else None,
                per_seed=[],
                seed_mean=None,
                seed_std=None)
        per = [x / y for x, y in zip(hv_seed[a], hv_seed[b]) if y]
        return dict(
            mean_points=hv[a] / hv[b],
            per_seed=per,
            seed_mean=float(np.mean(per)) if per else None,
            seed_std=float(np.std(per, ddof=1)) if len(per) > 1 else None)

    found = [m for m in models.values() if m['set'] == 'found']
    lat_ratio = {}
    for budget in ('scaled_equal', 'scaled_same'):
        scaled = [m for m in models.values() if m['set'] == budget]
        r, above, below = [], 0, 0
        if scaled:
            best = max(m['quality'] for m in scaled)
            fastest = min(scaled, key=lambda m: m['latency'])['quality']
            for m in found:
                r.append(m['latency'] / interp_latency(m['quality'], scaled))
                above += m['quality'] > best
                below += m['quality'] < fastest
        lat_ratio[budget] = dict(
            median=float(np.median(r)) if r else None,
            ratios=r,
            compared=len(r),
            # better than every scaled member: compared with the best one's
            # latency, an upper bound of the ratio (in the baseline's
            # favour: a bigger member might reach that quality later)
            above_best_scaled=above,
            # worse than the fastest scaled member: compared with its
            # latency, a lower bound of the ratio (in the found
            # model's favour: a smaller member might reach that quality
            # faster)
            below_fastest_scaled=below,
            found=len(found))
    return dict(
        models=models,
        hv=hv,
        hv_per_seed=hv_seed,
        hv_vs_scaled=ratio('found', 'scaled_equal'),
        hv_vs_scaled_same=ratio('found', 'scaled_same'),
        hv_vs_random=ratio('found', 'random'),
        hv_vs_random_unfiltered=ratio('found', 'random_unfiltered'),
        latency_at_equal_quality=lat_ratio['scaled_equal'],
        latency_at_equal_quality_same=lat_ratio['scaled_same'])


def table(summary: dict, metric: str, teacher_q: float,
          teacher_ms: float) -> str:
    lines = [
        f'| set | model | {metric} mean ± std (min-max) | latency (ms) | '
        f'x teacher | params | block loss |', '|---|---|---|---|---|---|---|',
        f'| teacher | teacher | {teacher_q:.2f} | {teacher_ms:.3f} | 1.00 | '
        f'- | - |'
    ]
    order = ('found', 'random', 'random_unfiltered', 'scaled_same',
             'scaled_equal')
    rows = sorted(
        summary['models'].items(),
        key=lambda kv: (order.index(kv[1]['set']), kv[1]['latency']))
    for name, m in rows:
        loss = '-' if m.get('surrogate') is None else \
            f'{m["surrogate"]:.3f}'
        lines.append(
            f'| {m["set"]} | {name} | {m["quality"]:.2f} ± '
            f'{m["quality_std"]:.2f} ({m["quality_min"]:.2f}-'
            f'{m["quality_max"]:.2f}) | {m["latency"]:.3f} | '
            f'{m["latency"] / teacher_ms:.2f} | {m["params"] or "-"} | '
            f'{loss} |')
    return '\n'.join(lines)


def plot(summary: dict, path: str, metric: str, teacher_q: float,
         teacher_ms: float, title: str) -> None:
    """Quality vs measured latency of every set: all of it (left) and
    zoomed on the found and random models (right)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    style = dict(
        found=('C0', 'o', 'found (front, BKD init)'),
        random=('C1', 's', 'random (same space, matched latency)'),
        random_unfiltered=('C4', 'x', 'random (unfiltered space)'),
        scaled_same=('C2', '^', 'scaled teacher, same epochs'),
        scaled_equal=('C3', 'v', 'scaled teacher, equal compute'))
    for ax in axes:
        for kind, (color, marker, label) in style.items():
            ms = sorted(
                (m for m in summary['models'].values() if m['set'] == kind),
                key=lambda m: m['latency'])
            if not ms:
                continue
            ax.errorbar([m['latency'] for m in ms], [m['quality'] for m in ms],
                        yerr=[m['quality_std'] for m in ms],
                        color=color,
                        marker=marker,
                        linestyle='none' if kind.startswith('random') else '-',
                        capsize=3,
                        label=label)
        ax.plot([teacher_ms], [teacher_q],
                'k*',
                markersize=12,
                label='teacher')
        ax.set_xlabel('measured latency (ms)')
        ax.grid(alpha=0.3)
    near = [
        m['quality'] + sign * m['quality_std']
        for m in summary['models'].values()
        if m['set'] in ('found', 'random', 'random_unfiltered')
        for sign in (-1, 1)
    ] + [teacher_q]
    lo, hi = min(near), max(near)
    pad = 0.15 * (hi - lo) + 1e-6
    axes[1].set_ylim(lo - pad, hi + pad)
    axes[1].set_title('zoomed on the found and random models')
    axes[0].set_ylabel(f'{metric} (mean ± std over seeds)')
    axes[0].set_title(title)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('task', choices=sorted(TASKS))
    parser.add_argument('--work-dir', default='work_dirs/pareto_vs_baselines')
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--found', type=int, default=5)
    parser.add_argument('--random', type=int, default=5)
    parser.add_argument('--passes', type=int, default=3)
    parser.add_argument(
        '--random-unfiltered',
        action='store_true',
        help='also --random latency-matched draws of the unfiltered space')
    parser.add_argument('--out', help='also write the summary here (JSON)')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='train nothing more: report the seeds finished so far')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run: plain digits, tiny budgets, FLOPs latency, 1 seed')
    parser.add_argument(
        '--sets',
        nargs='+',
        choices=SETS,
        help='finetune only the models of these sets (e.g. the long '
        'scaled_equal runs in a second process on a copy of the work dir)')
    parser.add_argument(
        '--reverse',
        action='store_true',
        help='finetune in the reverse order (last seed first): two '
        'processes meet in the middle')
    parser.add_argument(
        '--merge-from',
        nargs='+',
        default=[],
        metavar='RESULTS_JSON',
        help='first take the finished seeds of these results.json files of '
        'the same settings (another process or machine), model by model')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='overrides')
    args = parser.parse_args()

    import mmdonna  # noqa: F401
    from mmdonna.export import export_subnet
    from mmdonna.export.subnet_export import calibration_loader
    from mmdonna.registry import MODELS
    from mmdonna.stages import (evaluate_teacher, finetune_accuracy,
                                finetune_overrides, run_stages, teacher_config)
    from mmdonna.stages.derive import loop_and_scheduler
    from mmdonna.supernet.arch_model import build_arch_model
    from mmdonna.supernet.latency_forward import LatencyForward
    from mmdonna.utils import atomic_write_json, config_hash

    task = QUICK if args.quick else TASKS[args.task]
    if args.quick:
        args.seeds, args.found, args.random, args.passes = 1, 2, 2, 1
    cfg = Config.fromfile(task['config'])
    cfg.merge_from_dict(copy.deepcopy(task.get('options', {})))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.donna.finetune.models = None  # the benchmark finetunes
    root = osp.join(args.work_dir, args.task)
    search_dir = osp.join(root, 'search')
    arms = osp.join(root, 'arms')
    os.makedirs(arms, exist_ok=True)
    state_file = osp.join(root, 'results.json')
    # models are kept by what they are (code / knobs and length), so a
    # changed list of members keeps the others' results
    digest = config_hash(dict(cfg=cfg.to_dict()))
    state = dict(config_hash=digest, cost={}, models={}, latency={})
    if osp.exists(state_file):
        with open(state_file) as f:
            old = json.load(f)
        if old.get('config_hash') == digest:
            state = old
        else:  # another config's results: kept aside, never overwritten
            aside = osp.join(root, f'results.{old.get("config_hash")}.json')
            os.replace(state_file, aside)
            print(
                f'{state_file} holds results of other settings: moved to '
                f'{aside}',
                flush=True)
    t0 = time.time()

    # 1. the search, teacher and BKD timed (wall seconds, this run's load)
    timed_stage(cfg, search_dir, 'teacher', state, 'teacher')
    timed_stage(cfg, search_dir, 'bkd', state, 'bkd')
    atomic_write_json(state_file, state)
    ctx = run_stages(cfg, search_dir)  # finetune: skipped
    target = next(iter(ctx.latency))
    entry = ctx.pareto['targets'][target]
    statistic = entry['metric']
    estimator = ctx.latency[target]['estimator']
    supernet = ctx.build_supernet()
    space = supernet.space
    tcfg = teacher_config(cfg)
    metric = ctx.metric
    teacher_q = evaluate_teacher(ctx)
    settings = ctx.settings
    bn = settings['bkd']['bn_calib_batches']

    # 2-3. found and latency-matched random architectures, BKD-initialised
    found = spread_front(entry['front'], args.found, ctx.pareto.get('rerank'))
    found = [
        dict(a, name=f'found_{i:02d}', front_name=a['name'])
        for i, a in enumerate(found)
    ]
    rand = random_matched(ctx, target, found, 0)[:args.random]
    if args.random_unfiltered:  # the value of the KD filter, separately
        rand += random_matched(ctx, target, found, 1, False,
                               'unfiltered')[:args.random]
    ft = finetune_overrides(cfg)
    loader = None
    jobs = []  # (name, set, config, overrides)
    for group, archs in (('found', found), ('random', rand)):
        for a in archs:
            kind = 'random_unfiltered' if a['name'].startswith(
                'unfiltered') else group
            py = osp.join(arms, 'subnets', a['name'] + '.py')
            if not same_code(py, a['code']):
                if loader is None and bn:
                    loader = calibration_loader(tcfg)
                export_subnet(
                    tcfg,
                    ctx.teacher_checkpoint,
                    arms,
                    supernet,
                    a['code'],
                    a['name'],
                    copy.deepcopy(ft),
                    bn,
                    subdir='subnets',
                    calib_loader=loader)
            m = model_entry(state, a['name'], dict(set=kind, code=a['code']),
                            a['name'])
            # the search's view of it: block-loss surrogate (lower is
            # better) and, for front members, the one-shot quality
            m['surrogate'] = a.get('surrogate')
            m['one_shot'] = a.get('one_shot')
            jobs.append((a['name'], kind, py, {}))

    # 4. the scaled family, same epochs and equal compute
    by_ep = settings['finetune']['iters'] is None
    length = settings['finetune']['epochs' if by_ep else 'iters'] or 5
    t_loop = tcfg.train_cfg
    t_len = t_loop.get('max_epochs' if by_ep else 'max_iters')
    # BKD (training + library) in teacher epochs / iterations: by CPU
    # seconds when recorded (older work dirs: wall seconds)
    cost = state['cost']
    clock = '_cpu_s' if cost.get('bkd_cpu_s') and cost.get(
        'teacher_cpu_s') else '_s'
    extra = 0
    if cost.get('teacher' + clock) and cost.get('bkd' + clock) and t_len:
        unit = cost['teacher' + clock] / t_len
        extra = int(round(cost['bkd' + clock] / unit))
    cost['bkd_in_teacher_units'] = extra
    cost['clock'] = 'cpu' if clock == '_cpu_s' else 'wall'
    state['cost']['unit'] = 'epochs' if by_ep else 'iterations'
    template = osp.join(arms, 'subnets', found[0]['name'] + '.py')
    scaled_modules = {}
    for knobs in task['scaled']:
        base = name_of(knobs)
        model = scaled_model(tcfg.model.to_dict(), knobs)
        py = write_scaled(template, model, tcfg.optim_wrapper.to_dict(),
                          osp.join(arms, 'subnets', base + '.py'))
        scaled_modules[base] = model
        for budget, n in (('same', length), ('equal', length + extra)):
            loop, sched = loop_and_scheduler(by_ep, n)
            name = f'{base}_{budget}'
            model_entry(state, name,
                        dict(set=f'scaled_{budget}', knobs=knobs, length=n),
                        base)
            jobs.append((name, f'scaled_{budget}', py,
                         dict(train_cfg=loop, param_scheduler=sched)))
    names = {j[0] for j in jobs}
    for name in list(state['models']):  # members no longer asked for
        if name not in names:
            del state['models'][name]
    for other in args.merge_from:
        merge_results(state, other)
    atomic_write_json(state_file, state)

    # 5a. latency: every model whole, interleaved passes
    def module(key):
        if key == 'teacher':
            net = supernet.teacher
        elif key in scaled_modules:
            net = MODELS.build(ConfigDict(scaled_modules[key]))
        else:
            net = build_arch_model(supernet.teacher, space,
                                   state['models'][key]['code'])
        return LatencyForward(net).eval()

    keys = ['teacher'] + [a['name'] for a in found + rand] + \
        list(scaled_modules)
    shape = (1, *supernet.input_shape)
    for p in range(args.passes):
        for key in keys:
            done = state['latency'].setdefault(key, [])
            if len(done) > p:
                continue
            net = module(key)
            res = estimator.measure(net, shape)
            if not res.get('ok', True):
                raise RuntimeError(f'measuring {key} failed: {res}')
            done.append(float(res[statistic]))
            for m in state['models'].values():
                if m.get('latency_key') == key:
                    m['params'] = int(
                        sum(t.numel() for t in net.model.parameters()))
            atomic_write_json(state_file, state)
        print(f'latency pass {p + 1}/{args.passes} done', flush=True)

    # 5b. finetune every model once per seed: the models of the finetune
    # length first, then the longer equal-compute runs
    order = [(s, j) for phase in (False, True) for s in range(args.seeds)
             for j in jobs if (j[1] == 'scaled_equal') == phase]
    if args.sets:
        order = [(s, j) for s, j in order if j[1] in args.sets]
    if args.reverse:
        order = order[::-1]
    for s, (name, kind, py, over) in order:
        m = state['models'][name]
        if str(s) in m['seeds'] or args.report_only:
            continue
        o = copy.deepcopy(over)
        o['randomness'] = dict(seed=s)
        t = time.time()
        m['seeds'][str(s)] = finetune_accuracy(
            py, osp.join(arms, 'finetune', f'{name}_s{s}'), o, metric, bn)
        m.setdefault('finetune_s', []).append(time.time() - t)
        atomic_write_json(state_file, state)
        print(
            f'seed {s} {name}: {metric} {m["seeds"][str(s)]:.3f}', flush=True)

    # report
    teacher_ms = min(state['latency']['teacher'])
    ref = task['ref']
    summary = summarise(state, args.seeds, teacher_q, teacher_ms, ref)
    report = dict(
        task=args.task if not args.quick else 'quick',
        config=task['config'],
        metric=metric,
        latency_statistic=statistic,
        latency_target=target,
        seeds=args.seeds,
        seeds_per_model={
            k: len(m['per_seed'])
            for k, m in summary['models'].items()
        },
        passes=args.passes,
        reference_point=dict(
            normalised_error=ref[0], latency_over_teacher=ref[1]),
        teacher=dict(quality=teacher_q, latency=teacher_ms),
        cost=state['cost'],
        finetune_length=dict(
            same=length, equal=length + extra, unit=state['cost']['unit']),
        runtime_s=time.time() - t0,
        **summary)
    atomic_write_json(osp.join(root, 'summary.json'), report)
    if args.out:
        atomic_write_json(args.out, report)
    png = osp.join(root, f'pareto_vs_baselines_{args.task}.png')
    done = sorted({len(m['per_seed']) for m in summary['models'].values()})
    seeds = f'{done[0]}-{done[-1]}' if len(done) > 1 else \
        f'{(done or [0])[0]}'
    plot(summary, png, metric, teacher_q, teacher_ms,
         f'{args.task}: {seeds} seeds per model, one run')
    print(table(summary, metric, teacher_q, teacher_ms))
    print(f'finetune length: same={length} equal={length + extra} '
          f'{state["cost"]["unit"]} (BKD = {extra} teacher '
          f'{state["cost"]["unit"]}); HV reference point (normalised error, '
          f'latency / teacher) = {tuple(ref)}; plot {png}')

    def fmt(r, key='mean_points'):
        return 'nan' if r is None or r.get(key) is None else \
            f'{r[key]:.3f}'

    for k in ('hv_vs_scaled', 'hv_vs_scaled_same', 'hv_vs_random',
              'hv_vs_random_unfiltered'):
        r = summary[k]
        if r is not None:
            print(f'{k}: {fmt(r)} on mean points; per seed '
                  f'{fmt(r, "seed_mean")} ± {fmt(r, "seed_std")}')
    lq = summary['latency_at_equal_quality']
    print(f'latency_at_equal_quality: {lq["compared"]} of {lq["found"]} '
          f'found models compared, {lq["above_best_scaled"]} of them better '
          f'than every scaled member (compared with the best one\'s latency: '
          f'an upper bound), {lq["below_fastest_scaled"]} worse than the '
          f'fastest scaled member (compared with its latency: a lower '
          f'bound)')
    print(
        f'RESULT {report["task"]} hv_vs_scaled={fmt(summary["hv_vs_scaled"])}'
        f' hv_vs_random={fmt(summary["hv_vs_random"])} '
        f'latency_at_equal_quality='
        f'{"nan" if lq["median"] is None else format(lq["median"], ".3f")}'
        f' hv_vs_scaled_same={fmt(summary["hv_vs_scaled_same"])}')


if __name__ == '__main__':
    main()
