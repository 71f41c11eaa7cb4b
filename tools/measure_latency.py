# Copyright (c) mmdonna contributors. Measure latency on a configured target:
# the whole model, or the per-option LUT of the config's search space and its
# validation against whole architectures.
import argparse
import json
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Measure latency: whole model, or build/validate the LUT')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--target',
        help='target id, backend or index in latency.targets (default: the '
        'first)')
    parser.add_argument('--work-dir', help='where the LUT is written')
    parser.add_argument(
        '--lut',
        action='store_true',
        help='build (or finish) the per-option LUT of the search space')
    parser.add_argument(
        '--validate',
        type=int,
        default=0,
        metavar='K',
        help='measure K random whole architectures against the LUT')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bars')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--debug', action='store_true', help='tracebacks of errors')
    return parser.parse_args()


def main():
    args = parse_args()
    import mmdonna  # noqa: F401
    from mmdonna.latency import format_latency_report, run_measure_latency
    from mmdonna.stages import is_donna_config, latency_config
    from mmdonna.utils import user_errors
    with user_errors(args.debug):  # one line, exit status 2
        cfg = Config.fromfile(args.config)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        if args.work_dir is not None:
            cfg.work_dir = args.work_dir
        elif cfg.get('work_dir', None) is None:
            cfg.work_dir = osp.join('./work_dirs',
                                    osp.splitext(osp.basename(args.config))[0])
        if is_donna_config(cfg):  # the supernet and donna.latency
            cfg = latency_config(cfg)
        result = run_measure_latency(
            cfg,
            cfg.work_dir,
            target=args.target,
            lut=args.lut,
            validate=args.validate,
            progress=not args.no_progress)
    print(format_latency_report(result))
    print('RESULT ' + json.dumps(result, default=float))


if __name__ == '__main__':
    main()
