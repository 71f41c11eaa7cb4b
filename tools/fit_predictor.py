# DONNA's linear accuracy predictor: finetune sampled architectures under one
# budget, fit ridge regression from block NSRs to accuracy, report Kendall
# tau / Spearman on held-out architectures (resumable).
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Fit the DONNA linear accuracy predictor')
    parser.add_argument('config', help='config with a donna section')
    parser.add_argument('--work-dir', help='work dir of the search')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='overrides')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument(
        '--debug', action='store_true', help='tracebacks of errors')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    import mmdonna  # noqa: F401
    from mmdonna.stages import run_stages
    from mmdonna.utils import user_errors
    with user_errors(args.debug):  # one line, exit status 2
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
            'work_dirs',
            osp.splitext(osp.basename(args.config))[0])
        run_stages(cfg, work_dir, 'predictor', args.launcher)
    with open(osp.join(work_dir, 'predictor', 'report.json')) as f:
        print(json.dumps(json.load(f), indent=1))


if __name__ == '__main__':
    main()
