# Copyright (c) mmdonna contributors. All three YOLOP tasks for the teacher
# and the finetuned front models of a finished `tools/search.py` run, with
# their measured whole-model latency and size:
#   python projects/yolop/tools/evaluate.py \
#       projects/yolop/configs/yolop_tiny_generated_search.py
# writes <work_dir>/yolop_results.json and prints a markdown table;
# --finetuned adds longer finetunes (the trio's *_finetune.py).
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, ROOT)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Evaluate the teacher and the searched YOLOP models')
    parser.add_argument('config', help='the search config')
    parser.add_argument('--work-dir', help='the search work dir')
    parser.add_argument(
        '--finetuned',
        nargs='*',
        default=[],
        help='further finetune configs of exported subnets (e.g. '
        'projects/yolop/configs/yolop_tiny_generated_finetune.py) to '
        'evaluate from their latest checkpoint')
    parser.add_argument(
        '--debug', action='store_true', help='tracebacks of errors')
    return parser.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config

    import mmdonna  # noqa: F401  (compat fixes: checkpoints under torch>=2.6)
    from mmdonna.utils import user_errors
    from projects.yolop.yolop.search_report import (evaluate_search,
                                                    format_results)
    with user_errors(args.debug):  # one line, exit status 2
        cfg = Config.fromfile(args.config)
        work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
            'work_dirs',
            osp.splitext(osp.basename(args.config))[0])
        print(format_results(evaluate_search(cfg, work_dir, args.finetuned)))


if __name__ == '__main__':
    main()
