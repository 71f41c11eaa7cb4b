"""BKD-initialised KD finetuning versus the same architecture with its
searched blocks trained from scratch (same KD loss, same schedules, same
seeds), in one run: top-1 per epoch of whole cosine schedules of several
lengths (mean and min-max over seeds) and the epochs each arm needs to
reach 90 %, 95 % and the from-scratch arm's final mean accuracy.

    python benchmarks/finetune_speedup.py [--config C] [--work-dir W]
        [--schedules 1 2 4 8 16] [--seeds 3] [--out speedup.json] [--quick]

The architecture is the middle one of the exported front of the search in
the work dir (the whole search runs first when the work dir has no
subnets). Both arms start from the exported BKD weights (``<name>.pth``):
the teacher's weights outside the searched blocks, the BKD weights inside.
The from-scratch arm replaces the tensors of every searched block (the cut
paths of ``donna_meta``, ``<component>.base.<block>.*`` in the student) by
the student's own fresh initialisation (drawn under each seed), so the two
arms differ only in how the searched blocks start (a block that keeps the
teacher's own option is searched too, and starts fresh).

Each arm runs every schedule of ``--schedules`` (a whole cosine schedule of
that many epochs, validated after every epoch), as DONNA compares a short
finetune from BKD weights with a long training from scratch. The
from-scratch level is the final mean of the from-scratch arm's longest
schedule; epochs to a level are the fewest epochs after which the mean over
seeds of some schedule reaches it (an epoch inside a longer schedule
counts; None: never).

Measured (one run, defaults: the digits demo, schedules of 1/2/4/8/16
epochs, 3 seeds per arm and schedule; 17 min on 2 cores shared with two
other benchmarks, including the search): the middle of the front, top-1
mean after each whole schedule, BKD 91.5 / 95.2 / 97.2 / 97.8 / 98.6
versus from scratch 10.9 / 11.1 / 91.1 / 94.4 / 96.4 (its 16-epoch curve
flat from epoch 9: 96.3, 96.0, 96.4, 96.2, 96.2, 96.5, 96.5, 96.4); 90 %
in 1 epoch versus 4, 95 % in 2 versus 5, the from-scratch level (96.4 %)
in 4 versus 11: ``RESULT epochs_to_scratch_accuracy bkd=4 scratch=11``
(0.36 of the epochs); the from-scratch arm never reaches what BKD
initialisation gives after 4 epochs (97.2 %), and 16 epochs from BKD
weights end 2.2 points above it. Validation is 270 images (0.37 % each).

Everything resumes from ``<work_dir>/speedup/state.json`` (one atomic write
per finished curve). The last line is ``RESULT epochs_to_scratch_accuracy
bkd=<a> scratch=<b>``; ``--out`` writes the whole report as JSON.
"""
import argparse
import copy
import glob
import json
import os.path as osp
import time

import numpy as np
from _shared.budgets import DEMO_QUICK as QUICK
from mmengine.config import Config
from mmengine.hooks import Hook

CFG = 'configs/classification/mobilenetv2_digits_search.py'
ARMS = ('bkd', 'scratch')
METRIC = 'accuracy/top1'


class _Record(Hook):
    """Top-1 after every validation epoch."""

    def __init__(self):
        self.acc = []

    def after_val_epoch(self, runner, metrics=None):
        self.acc.append(float(metrics[METRIC]))


def searched_prefixes(sub_cfg: Config) -> list:
    """State-dict prefixes of the searched blocks inside the student: a cut
    path ``backbone.layer2`` lives at ``backbone.base.layer2.`` of its
    component's DonnaBackbone (one per searched component)."""
    student = sub_cfg.model.student
    out = []
    for path in sub_cfg.donna_meta['arch']:
        comp, rel = path.split('.', 1)
        if student[comp].get('library_prefix') != comp + '.':
            raise KeyError(f'{path}: model.student.{comp} is not the '
                           f'DonnaBackbone of its component')
        out.append(f'{comp}.base.{rel}.')
    return out


def scratch_checkpoint(subnet_py: str, out: str, seed: int) -> int:
    """Write ``out``: the exported BKD weights with every searched block's
    tensors replaced by the student's fresh initialisation under ``seed``.
    Returns how many tensors were replaced."""
    import torch
    from mmengine.registry import init_default_scope

    from mmdonna.registry import MODELS
    cfg = Config.fromfile(subnet_py)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    ckpt = torch.load(cfg.model.student_checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    torch.manual_seed(seed)
    student = MODELS.build(copy.deepcopy(cfg.model.student))
    student.init_weights()
    fresh = student.state_dict()
    prefixes = searched_prefixes(cfg)
    keys = [k for k in state if k.startswith(tuple(prefixes))]
    missing = [p for p in prefixes if not any(k.startswith(p) for k in keys)]
    if missing:
        raise KeyError(f'no tensors under {missing} in '
                       f'{cfg.model.student_checkpoint}')
    for k in keys:
        if fresh[k].shape != state[k].shape:
            raise ValueError(f'{k}: fresh {tuple(fresh[k].shape)} versus '
                             f'exported {tuple(state[k].shape)}')
        state[k] = fresh[k].clone()
    torch.save(dict(state_dict=state), out)
    return len(keys)


def curve(subnet_py: str,
          work_dir: str,
          epochs: int,
          seed: int,
          student_checkpoint: str,
          num_train: int = None) -> list:
    """Top-1 after every epoch of one KD finetune."""
    from mmdonna.stages.quiet_runner import build_runner
    cfg = Config.fromfile(subnet_py)
    cfg.model.student_checkpoint = student_checkpoint
    cfg.randomness = dict(seed=seed)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=1)
    cfg.param_scheduler = dict(
        type='CosineAnnealingLR', by_epoch=True, T_max=epochs)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1000)
    if num_train:  # --quick: subsets of the training and validation data
        cfg.train_dataloader.dataset.indices = num_train
        cfg.val_dataloader.dataset.indices = num_train // 2
    runner = build_runner(cfg, work_dir, osp.basename(work_dir))
    rec = _Record()
    runner.register_hook(rec)
    runner.train()
    return rec.acc


def first_epoch(acc, target):
    """1-based first epoch with ``acc >= target``; None when never."""
    for i, a in enumerate(acc):
        if a >= target - 1e-9:
            return i + 1
    return None


def epochs_to(means: dict, level: float):
    """The fewest epochs after which some schedule's mean curve (over
    seeds) reaches ``level``: ``(epochs, schedule)``, or ``(None, None)``
    when none does. ``means`` maps a schedule length to its mean curve."""
    best = (None, None)
    for length in sorted(means):
        e = first_epoch(means[length], level)
        if e is not None and (best[0] is None or e < best[0]):
            best = (e, length)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CFG)
    parser.add_argument('--work-dir', default='work_dirs/finetune_speedup')
    parser.add_argument(
        '--schedules',
        type=int,
        nargs='+',
        default=[1, 2, 4, 8, 16],
        help='schedule lengths in epochs, each a whole cosine schedule run '
        'by both arms (the longest gives the from-scratch level)')
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--out', help='write the report as JSON here')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run: 4-epoch teacher, 1-epoch BKD, a coarse front, '
        'schedules of 1 and 2 epochs, 2 seeds, 256 training and 128 '
        'validation images')
    args = parser.parse_args()
    import mmdonna  # noqa: F401
    from mmdonna.stages import run_stages
    from mmdonna.utils import atomic_write_json, config_hash

    t0 = time.time()
    cfg = Config.fromfile(args.config)
    cfg.donna.finetune.models = None
    num_train = None
    if args.quick:
        args.schedules, args.seeds, num_train = [1, 2], 2, 256
        cfg.merge_from_dict(QUICK)
        cfg.merge_from_dict({
            'donna.rerank.enabled': False,
            'donna.search.hardware_in_the_loop': False
        })
    schedules = sorted(set(args.schedules))
    if schedules[0] < 1:
        raise SystemExit(f'--schedules {args.schedules}: lengths are '
                         f'epochs >= 1')
    root = args.work_dir
    subnets = sorted(glob.glob(osp.join(root, 'subnets', '*.py')))
    if not subnets:
        run_stages(cfg, root)
        subnets = sorted(glob.glob(osp.join(root, 'subnets', '*.py')))
    sub = subnets[len(subnets) // 2]
    name = osp.splitext(osp.basename(sub))[0]
    out_dir = osp.join(root, 'speedup')
    state_file = osp.join(out_dir, 'state.json')
    # curves are kept per schedule: another list of schedules keeps the
    # finished ones
    digest = config_hash(
        dict(
            curves='per schedule',
            subnet=name,
            num_train=num_train,
            weights=osp.getmtime(sub[:-3] + '.pth')))
    state = dict(config_hash=digest, curves={a: {} for a in ARMS})
    if osp.exists(state_file):
        with open(state_file) as f:
            old = json.load(f)
        if old.get('config_hash') == digest:
            state = old
    bkd_pth = Config.fromfile(sub).model.student_checkpoint
    for length in schedules:
        for s in range(args.seeds):
            for arm in ARMS:
                done = state['curves'][arm].setdefault(str(length), {})
                if str(s) in done:
                    continue
                ckpt = bkd_pth
                if arm == 'scratch':
                    ckpt = osp.abspath(osp.join(out_dir, f'scratch_s{s}.pth'))
                    n = scratch_checkpoint(sub, ckpt, s)
                    state['num_reinitialised_tensors'] = n
                acc = curve(sub, osp.join(out_dir, f'{arm}_e{length}_s{s}'),
                            length, s, ckpt, num_train)
                done[str(s)] = acc
                atomic_write_json(state_file, state)
                print(
                    f'{arm} {length}-epoch schedule, seed {s}: ' +
                    ' '.join(f'{a:.1f}' for a in acc),
                    flush=True)

    # ---- report ----------------------------------------------------------
    seeds = [str(s) for s in range(args.seeds)]
    curves = {
        a: {
            e: np.array([state['curves'][a][str(e)][s] for s in seeds])
            for e in schedules
        }
        for a in ARMS
    }
    means = {
        a: {
            e: c.mean(0)
            for e, c in cs.items()
        }
        for a, cs in curves.items()
    }
    longest = schedules[-1]
    scratch_final = float(means['scratch'][longest][-1])
    targets = dict(
        top1_90=90.0, top1_95=95.0, scratch_final_mean=scratch_final)
    report = dict(
        task=args.config,
        architecture=name,
        schedules=schedules,
        seeds=args.seeds,
        num_train=num_train,
        num_reinitialised_tensors=state.get('num_reinitialised_tensors'),
        epochs_to='fewest epochs after which the mean over seeds of some '
        'schedule reaches the level (an epoch inside a longer schedule '
        'counts)',
        targets=targets)
    for a in ARMS:
        report[a] = dict(
            schedules={
                str(e):
                dict(
                    mean=c.mean(0).tolist(),
                    std=c.std(0).tolist(),
                    min=c.min(0).tolist(),
                    max=c.max(0).tolist(),
                    per_seed=c.tolist())
                for e, c in curves[a].items()
            },
            final_mean={
                str(e): float(m[-1])
                for e, m in means[a].items()
            },
            epochs_to={},
            schedule_of={})
        for k, t in targets.items():
            e, length = epochs_to(means[a], t)
            report[a]['epochs_to'][k] = e
            report[a]['schedule_of'][k] = length
    report['runtime_s'] = time.time() - t0
    if args.out:
        atomic_write_json(args.out, report)
    print(f'architecture {name}; top-1 per epoch of each schedule, mean '
          f'(min-max) over {args.seeds} seeds')
    for e in schedules:
        for a in ARMS:
            r = report[a]['schedules'][str(e)]
            print(f'  {e:3d} ep {a:8s}' + ' '.join(
                f'{m:.1f} ({lo:.1f}-{hi:.1f})'
                for m, lo, hi in zip(r['mean'], r['min'], r['max'])))
    for k, t in targets.items():
        parts = [
            f'{a} {report[a]["epochs_to"][k]} (of the '
            f'{report[a]["schedule_of"][k]}-epoch schedule)' for a in ARMS
        ]
        print(f'epochs to {t:.1f} % ({k}, seed mean): ' + ', '.join(parts))
    print(f'runtime {report["runtime_s"]:.0f} s')
    to = {a: report[a]['epochs_to']['scratch_final_mean'] for a in ARMS}
    print(f'RESULT epochs_to_scratch_accuracy bkd={to["bkd"]} '
          f'scratch={to["scratch"]}')


if __name__ == '__main__':
    main()
