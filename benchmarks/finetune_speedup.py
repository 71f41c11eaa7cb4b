"""BKD-initialised KD finetuning versus training the same architecture from
scratch with the same budget (same KD loss, same schedule), in one run:
accuracy per epoch and the ratio of epochs to reach the same accuracy (90 %,
95 % and the best accuracy both runs reach).

    python benchmarks/finetune_speedup.py [--work-dir W] [--epochs 6]

Uses the exported front of the digits search in the work dir (the whole
search is run first when the work dir has no subnets) and takes its middle
architecture.
"""
import argparse
import glob
import os.path as osp

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

CFG = 'configs/classification/mobilenetv2_digits_search.py'


class _Record(Hook):

    def __init__(self):
        self.acc = []

    def after_val_epoch(self, runner, metrics=None):
        self.acc.append(float(metrics['accuracy/top1']))


def curve(subnet_py, work_dir, epochs, from_bkd):
    cfg = Config.fromfile(subnet_py)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=1)
    cfg.param_scheduler = dict(
        type='CosineAnnealingLR', by_epoch=True, T_max=epochs)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=epochs)
    if not from_bkd:
        cfg.model.student_checkpoint = None
    runner = Runner.from_cfg(cfg)
    rec = _Record()
    runner.register_hook(rec)
    runner.train()
    return rec.acc


def first_epoch(acc, target):
    for i, a in enumerate(acc):
        if a >= target:
            return i + 1
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CFG)
    parser.add_argument('--work-dir', default='work_dirs/finetune_speedup')
    parser.add_argument('--epochs', type=int, default=6)
    args = parser.parse_args()
    import mmdonna  # noqa: F401
    from mmdonna.stages import run_stages
    cfg = Config.fromfile(args.config)
    cfg.donna.finetune.models = None
    subnets = sorted(glob.glob(osp.join(args.work_dir, 'subnets', '*.py')))
    if not subnets:
        run_stages(cfg, args.work_dir)
        subnets = sorted(glob.glob(osp.join(args.work_dir, 'subnets', '*.py')))
    sub = subnets[len(subnets) // 2]
    bkd = curve(sub, osp.join(args.work_dir, 'speedup_bkd'), args.epochs, True)
    scratch = curve(sub, osp.join(args.work_dir, 'speedup_scratch'),
                    args.epochs, False)
    print(f'architecture {osp.basename(sub)}; top-1 per epoch')
    print('  BKD init + KD: ' + ' '.join(f'{a:.1f}' for a in bkd))
    print('  scratch + KD:  ' + ' '.join(f'{a:.1f}' for a in scratch))
    # the same accuracy for both: levels on the way up, and the best one
    # that both runs reach (a curve may plateau below the other's best)
    common = min(max(bkd), max(scratch))
    for target in sorted({t for t in (90.0, 95.0) if t < common} | {common}):
        e_bkd, e_scr = first_epoch(bkd, target), first_epoch(scratch, target)
        print(f'epochs to reach {target:.1f} %: BKD init {e_bkd}, scratch '
              f'{e_scr}; ratio scratch/BKD = {e_scr / e_bkd:.1f}x')
    print(f'best in {args.epochs} epochs: BKD init {max(bkd):.1f} %, scratch '
          f'{max(scratch):.1f} %')


if __name__ == '__main__':
    main()
