# Copyright (c) mmdonna contributors. The DONNA pipeline of a config with a
# `donna` section: every stage the work dir misses (teacher, BKD + block
# library, latency LUT, KD filter, search, hardware in the loop, export,
# finetuning, report), or one of them with --stage.
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Run the missing stages of a DONNA search')
    parser.add_argument('config', help='mm config with a donna section')
    parser.add_argument('--work-dir', help='the dir of every stage')
    parser.add_argument(
        '--stage',
        help='run this stage only (teacher, bkd, library, lut, filter, '
        'search, hil, export, finetune, report, predictor); the stages '
        'before it must be done')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='stages always continue what the work dir holds; give a '
        'checkpoint to resume BKD from it instead of the latest one in '
        '<work_dir>/bkd')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='every Runner\'s full log on the console too')
    parser.add_argument(
        '--debug', action='store_true', help='tracebacks of errors')
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
    from mmengine.dist import is_main_process

    import mmdonna  # noqa: F401  (compat fixes: checkpoints under torch>=2.6)
    from mmdonna.stages import run_stages, summary_table
    from mmdonna.utils import user_errors
    with user_errors(args.debug):
        cfg = Config.fromfile(args.config)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs',
        osp.splitext(osp.basename(args.config))[0])

    def show(row):
        if is_main_process():
            stage, status, detail = row
            print(f'{stage:>22}: {status:<8} {detail}', flush=True)

    resume_from = None if args.resume in (None, 'auto') else args.resume
    with user_errors(args.debug):  # one line, exit status 2
        ctx = run_stages(cfg, work_dir, args.stage, args.launcher,
                         args.verbose, resume_from, show)
    if not is_main_process():
        return
    if ctx.finetune_table:
        print(ctx.finetune_table)
    elif ctx.pareto is not None:
        print(summary_table(ctx.pareto))
    print(f'work dir: {work_dir} (report.md, logs/)')


if __name__ == '__main__':
    main()
