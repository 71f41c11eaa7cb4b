# Copyright (c) mmdonna contributors. The whole DONNA pipeline of a search
# config: every stage the work dir misses (teacher, BKD, block library,
# latency LUT, KD filter, NSGA-II search, hardware in the loop, report).
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Run the missing stages of a DONNA search')
    parser.add_argument('config', help='search config file path')
    parser.add_argument('--work-dir', help='the dir of every stage')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='stages always continue what the work dir holds; give a '
        'checkpoint to resume BKD from it instead of the latest one in '
        '<work_dir>/bkd')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    import mmdonna  # noqa: F401  (compat fixes: checkpoints under torch>=2.6)
    from mmdonna.search.pipeline import run_pipeline
    resume_from = None if args.resume in (None, 'auto') else args.resume
    stages = run_pipeline(cfg, cfg.work_dir, args.launcher, resume_from)
    for stage, status, detail in stages:
        print(f'{stage:>22}: {status:<8} {detail}')


if __name__ == '__main__':
    main()
