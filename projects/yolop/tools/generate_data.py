# Copyright (c) mmdonna contributors. Write the generated road scenes of a
# YOLOP config (its train and val splits, BDD100K layout) ahead of time;
# the datasets also write them on first use.
#   python projects/yolop/tools/generate_data.py \
#       [projects/yolop/configs/yolop_tiny_generated_teacher.py]
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, ROOT)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Generate the road scenes of a YOLOP config')
    parser.add_argument(
        'config',
        nargs='?',
        default=osp.join(ROOT, 'projects', 'yolop', 'configs',
                         'yolop_tiny_generated_teacher.py'),
        help='config whose train/val datasets set generate=...')
    parser.add_argument(
        '--debug', action='store_true', help='tracebacks of errors')
    return parser.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmdonna  # noqa: F401
    from mmdonna.registry import DATASETS
    from mmdonna.utils import user_errors
    from projects.yolop.yolop import BDD100KDataset  # noqa: F401
    with user_errors(args.debug):  # one line, exit status 2
        cfg = Config.fromfile(args.config)
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        for key in ('train_dataloader', 'val_dataloader'):
            ds = cfg[key]['dataset']
            dataset = DATASETS.build(ds)
            print(f'{key}: {len(dataset)} images in '
                  f'{dataset.folder("img")}')


if __name__ == '__main__':
    main()
