"""Kendall tau of DONNAv2's block-loss sum and of DONNA's linear accuracy
predictor against finetuned accuracy, for architectures finetuned under one
budget, in one run.

    python benchmarks/surrogate_ranking.py [--config C] [--work-dir W]
        [--num-archs 40] [--epochs 1] [--lr 5e-4] [--val-fraction 0.3]
        [--cfg-options KEY=VALUE ...]

The default task is the distorted digits
(``configs/classification/mobilenetv2_distorted_digits_search.py``: every
digit rendered 4 times with a random affine warp and pixel noise). On the
plain digits (``--config configs/classification/
mobilenetv2_digits_search.py``) the sampled architectures end within a few
points of each other and finetuning noise decides much of their order.

Every architecture is finetuned from its BKD weights with KD for
``--epochs`` at ``--lr`` with a fixed seed (the search config's 3e-3 moves a
1-epoch result by +-4 points between seeds; 5e-4 by +-1), and evaluated on a
validation split enlarged to ``--val-fraction`` of the digits (the train
split stays the teacher's 70 %). Besides the held-out split, the linear
predictor is also scored by leave-one-out predictions over all
architectures.

Reuses (or builds) the teacher, BKD and library of the search config in the
work dir, then finetunes the sampled architectures (<work_dir>/predictor/,
resumable; more ``--num-archs`` later adds to the same set).
"""
import argparse
import json

from mmengine.config import Config, DictAction

CFG = 'configs/classification/mobilenetv2_distorted_digits_search.py'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CFG)
    parser.add_argument('--work-dir', default='work_dirs/surrogate_ranking')
    parser.add_argument('--num-archs', type=int, default=40)
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--holdout', type=float, default=0.4)
    parser.add_argument(
        '--lr',
        type=float,
        default=5e-4,
        help='finetuning lr (the search config finetunes front models at '
        '3e-3: 1 epoch at that lr moves a model by +-4 points between '
        'seeds)')
    parser.add_argument(
        '--val-fraction',
        type=float,
        default=0.3,
        help='digits fraction the finetuned archs are evaluated on (the '
        'rest after the 70 %% train split; 0.15 is the stock val split)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the search config, e.g. '
        'bkd_train_cfg.max_epochs=24 bkd_param_scheduler.T_max=24')
    args = parser.parse_args()
    import mmdonna  # noqa: F401
    from mmdonna.surrogate.predictor_stage import run_predictor_stage
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.predictor = dict(
        num_archs=args.num_archs,
        seed=0,
        holdout=args.holdout,
        alpha=1e-3,
        finetune=dict(
            randomness=dict(seed=0),
            optim_wrapper=dict(optimizer=dict(lr=args.lr)),
            train_cfg=dict(
                by_epoch=True,
                max_epochs=args.epochs,
                val_interval=args.epochs),
            param_scheduler=dict(
                type='CosineAnnealingLR', by_epoch=True, T_max=args.epochs),
            val_dataloader=dict(
                dataset=dict(
                    ratios=(0.7, args.val_fraction,
                            round(0.3 - args.val_fraction, 6))))))
    report = run_predictor_stage(cfg, args.work_dir)
    print(json.dumps(report, indent=1))
    print(f'{report["num_archs"]} architectures finetuned for '
          f'{args.epochs} epoch(s); held-out {report["num_test"]}:')
    print(f'  linear predictor (DONNA)      Kendall tau '
          f'{report["linear_predictor"]["kendall_tau"]:.3f} Spearman '
          f'{report["linear_predictor"]["spearman"]:.3f} (leave-one-out '
          f'over all archs: tau '
          f'{report["linear_predictor"]["kendall_tau_loo"]:.3f} Spearman '
          f'{report["linear_predictor"]["spearman_loo"]:.3f})')
    for key in ('block_loss_sum', 'block_loss_sum_normalised'):
        r = report[key]
        print(f'  {key:29s} Kendall tau {r["kendall_tau"]:.3f} Spearman '
              f'{r["spearman"]:.3f} (all archs: {r["kendall_tau_all"]:.3f})')


if __name__ == '__main__':
    main()
