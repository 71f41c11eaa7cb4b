# Export a (finetuned) subnet to ONNX and check ONNX Runtime against PyTorch.
import argparse

from mmengine.config import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Export a subnet (e.g. work_dir/subnets/<name>.py) to '
        'ONNX')
    parser.add_argument('config', help='subnet config file')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='weights (a finetuned checkpoint or the exported .pth); '
        'default: the config\'s student_checkpoint')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        required=True,
        help='input shape, e.g. 1 3 224 224')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-3,
        help='max allowed |onnxruntime - pytorch| difference')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='overrides')
    parser.add_argument(
        '--debug', action='store_true', help='tracebacks of errors')
    return parser.parse_args()


def main():
    args = parse_args()
    import mmdonna  # noqa: F401
    from mmdonna.export.onnx_export import build_deploy_model, export_onnx
    from mmdonna.utils import check_checkpoint, user_errors
    with user_errors(args.debug):  # one line, exit status 2
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        ckpt = args.checkpoint or cfg.model.get('student_checkpoint')
        if args.checkpoint:
            ckpt = check_checkpoint(args.checkpoint, 'checkpoint')
        model = build_deploy_model(cfg, ckpt)
        diff = export_onnx(model, args.shape, args.out, args.opset)
    print(f'exported {args.out}; max |onnxruntime - pytorch| = {diff:.3g}')
    if diff > args.tolerance:
        raise SystemExit(f'ONNX Runtime differs from PyTorch by {diff:.3g} '
                         f'> --tolerance {args.tolerance}')


if __name__ == '__main__':
    main()
