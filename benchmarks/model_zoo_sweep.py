"""Which stock mm models go through every DONNA stage: a sweep over stock
mmpretrain, mmdet and mmagic configs, each shrunk to CPU size.

Each entry takes a stock config's ``model`` (from the installed package,
``mmpretrain::...``, ``mmdet::...``, ``mmagic::...``), shrinks it (few
channels and layers, no pretrained weights, few classes) and puts it in one
of the project's generated-data configs for its task (the upscaled digits,
the generated shapes in COCO format, the scikit-image restoration patches),
with a ``donna`` section of the entry's 2 (edsr: 3; retinanet_r50: 3, in its
backbone and its FPN, searched together) cut points and budgets of a few
steps: a teacher trained for 2 iterations, 2 BKD steps, the library on 2
held-out batches, a LUT of 1 timed run per block (ONNX Runtime), a small
NSGA-II, hardware in the loop, the rerank, the export and 2 finetuning
iterations of the fastest subnet. Nothing is downloaded.

Every entry runs in its own process (``tools/search.py``'s
:func:`~mmdonna.stages.run_stages`), so one failure does not stop the sweep;
each stage is recorded as passed or failed, with the one-line error a user
of ``tools/search.py`` gets (a raw exception, which ``tools/search.py``
shows as a traceback, is marked ``[raw]``)::

    python benchmarks/model_zoo_sweep.py [--only resnet18,retinanet_r50]
        [--work-dir work_dirs/model_zoo_sweep] [--out sweep.json] [--markdown]

Results are kept in ``--out`` (default ``<work_dir>/sweep.json``): a rerun
skips the entries recorded there (``--rerun`` runs them again). The last
line is ``RESULT passed=<n>/<m>``: entries that passed every stage;
``--markdown`` prints the README's table before it.
"""
import argparse
import copy
import importlib
import json
import os
import os.path as osp
import subprocess
import sys
import time
import traceback
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The project's generated-data config of each task (its model replaced).
TASKS = dict(
    cls='configs/classification/mobilenetv2_digits_search.py',
    det='configs/detection/retinanet_r18_shapes_search.py',
    sr='configs/restoration/edsr_skimage-x2_search.py',
    denoise='configs/restoration/nafnet_skimage-sigma25_search.py')
#: The option every block gets (plus the teacher's own block).
OPTIONS = dict(
    cls=dict(type='MBConv', kernel=3, expand=3),
    det=dict(type='MBConv', kernel=3, expand=3),
    sr=dict(type='DWSepBlock', kernel=3, expand=2),
    denoise=dict(type='DWSepBlock', kernel=3, expand=2))
#: Input size (square) of each task: the digits' 32 px, 64 px shapes, the
#: restoration patches' inputs.
IMG = dict(cls=32, det=64, sr=24, denoise=48)


def _e(task: str,
       stock: str,
       blocks: List[str],
       options=None,
       **model) -> dict:
    """An entry; ``options`` (an option set name or a list, or a dict
    ``{block path: options}`` for some blocks) replaces the task's
    :data:`OPTIONS` (a transformer's token blocks take 'tokens', a Swin block
    on its token grid 'window_tokens')."""
    return dict(
        task=task, stock=stock, blocks=blocks, model=model, options=options)


_FPN16 = dict(
    neck=dict(out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=dict(in_channels=16, fc_out_channels=32, num_classes=3)),
    test_cfg=dict(rpn=dict(nms_pre=50, max_per_img=20)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=50, max_per_img=20)))
_R50 = dict(depth=50, base_channels=8, stem_channels=8)
#: name -> the stock config, its cut points and what shrinks it (merged
#: into the stock ``model``; the channels a neck or head reads from the
#: backbone are set from the shrunk backbone's outputs).
ENTRIES: Dict[str, dict] = dict(
    resnet18=_e(
        'cls',
        'mmpretrain::resnet/resnet18_8xb32_in1k.py',
        ['backbone.layer2', 'backbone.layer3'],
        backbone=dict(base_channels=8, stem_channels=8)),
    resnet50=_e(
        'cls',
        'mmpretrain::resnet/resnet50_8xb32_in1k.py',
        ['backbone.layer2', 'backbone.layer3'],
        backbone=_R50),
    mobilenetv2=_e(
        'cls',
        'mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
        ['backbone.layer2', 'backbone.layer3'],
        backbone=dict(widen_factor=0.25)),
    efficientnet_b0=_e(
        'cls', 'mmpretrain::efficientnet/efficientnet-b0_8xb32_in1k.py',
        ['backbone.layers.2', 'backbone.layers.3']),
    regnetx_400mf=_e(
        'cls',
        'mmpretrain::regnet/regnetx-400mf_8xb128_in1k.py',
        ['backbone.layer2', 'backbone.layer3'],
        backbone=dict(
            arch=dict(w0=8, wa=8.0, wm=2.0, group_w=8, depth=8, bot_mul=1.0),
            stem_channels=8)),
    convnext_tiny=_e(
        'cls',
        'mmpretrain::convnext/convnext-tiny_32xb128_in1k.py',
        ['backbone.stages.1', 'backbone.stages.2'],
        backbone=dict(
            arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]))),
    swin_tiny=_e(
        'cls',
        'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py',
        # its blocks, called block(x, hw_shape) on (N, L, C) tokens (its
        # stages, returning (x, hw_shape), pass too)
        ['backbone.stages.1.blocks.0', 'backbone.stages.2.blocks.0'],
        options='window_tokens',
        backbone=dict(
            arch=dict(
                embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2]),
            img_size=32,
            window_size=2,
            pad_small_map=True)),
    deit_tiny=_e(
        'cls',
        'mmpretrain::deit/deit-tiny_4xb256_in1k.py',
        ['backbone.layers.0', 'backbone.layers.1'],
        options='tokens',
        backbone=dict(
            arch=dict(
                embed_dims=16,
                num_layers=2,
                num_heads=2,
                feedforward_channels=32),
            img_size=32,
            patch_size=8)),
    retinanet_r50=_e(
        'det',
        'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
        # two components searched together: the FPN's first output conv
        # (16 -> 16 at stride 8, called once) is cut with the backbone
        ['backbone.layer2', 'backbone.layer3', 'neck.fpn_convs.0'],
        backbone=_R50,
        neck=dict(out_channels=16),
        bbox_head=dict(
            num_classes=3, in_channels=16, feat_channels=16, stacked_convs=1)),
    faster_rcnn_r50=_e(
        'det',
        'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
        ['backbone.layer2', 'backbone.layer3'],
        backbone=_R50,
        **_FPN16),
    mask_rcnn_r50=_e(
        'det',
        'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
        ['backbone.layer2', 'backbone.layer3'],
        backbone=_R50,
        **dict(
            _FPN16,
            roi_head=dict(
                _FPN16['roi_head'],
                mask_roi_extractor=dict(out_channels=16),
                mask_head=dict(
                    in_channels=16, conv_out_channels=16, num_classes=3)))),
    dino_r50=_e(
        'det',
        'mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py',
        # a transformer encoder layer called with its positional encoding,
        # masks and reference points (tensor extras); the detector builds
        # its encoder itself: exported as a DonnaModel
        ['backbone.layer3', 'encoder.layers.0'],
        options={'encoder.layers.0': 'tokens'},
        backbone=_R50,
        # embed_dims stay 256: DINO's decoder encodes reference points
        # with a fixed 128 features per coordinate
        encoder=dict(
            num_layers=1,
            layer_cfg=dict(ffn_cfg=dict(feedforward_channels=64))),
        decoder=dict(
            num_layers=1,
            layer_cfg=dict(ffn_cfg=dict(feedforward_channels=64))),
        bbox_head=dict(num_classes=3),
        dn_cfg=dict(group_cfg=dict(num_dn_queries=10)),
        test_cfg=dict(max_per_img=20),
        num_queries=20),
    ssdlite_mbv2=_e(
        'det',
        'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py',
        ['backbone.layer3', 'backbone.layer4'],
        backbone=dict(widen_factor=0.5),
        bbox_head=dict(
            num_classes=3,
            anchor_generator=dict(
                input_size=64, strides=[16, 32, 64, 64, 64, 64]))),
    edsr=_e(
        'sr',
        'mmagic::edsr/edsr_x2c64b16_1xb16-300k_div2k.py',
        # the upsampler too: a cut point whose output is 2x its input
        ['generator.body.0', 'generator.body.1', 'generator.upsample'],
        generator=dict(mid_channels=16, num_blocks=2)),
    rdn=_e(
        'sr',
        'mmagic::rdn/rdn_x2c64b16_1xb16-1000k_div2k.py',
        ['generator.rdbs.0', 'generator.rdbs.1'],
        generator=dict(
            mid_channels=16, num_blocks=2, num_layers=2, channel_growth=8)),
    srcnn=_e(
        'sr',
        'mmagic::srcnn/srcnn_x4k915_1xb16-1000k_div2k.py',
        ['generator.conv1', 'generator.conv2'],
        generator=dict(channels=(3, 16, 8, 3), upscale_factor=2)),
    nafnet=_e(
        'denoise',
        'mmagic::nafnet/nafnet_c64eb2248mb12db2222_8xb8-lr1e-3-400k_sidd.py',
        ['generator.encoders.0', 'generator.encoders.1'],
        generator=dict(
            mid_channels=16,
            enc_blk_nums=[1, 1],
            middle_blk_num=1,
            dec_blk_nums=[1, 1])),
)
#: The sweep's columns: building the entry's config, the supernet (the
#: config check of tools/search.py), then the stages' rows.
COLUMNS = [
    'config', 'supernet', 'teacher', 'bkd', 'library', 'lut', 'filter',
    'search', 'hil', 'rerank', 'export', 'finetune', 'report'
]
#: Row names of run_stages -> columns.
ROW_COLUMN = {'latency LUT': 'lut', 'hardware in the loop': 'hil'}


def _options(entry: dict, path: str, task: str):
    """The options of one cut point of an entry."""
    options = entry.get('options')
    if isinstance(options, dict):
        options = options.get(path)
    return options or [OPTIONS[task]]


def merge(base: dict, update: dict) -> dict:
    """``update`` merged into a copy of ``base``, dicts key by key."""
    out = copy.deepcopy(base)
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def offline(cfg):
    """``cfg`` without pretrained weights: every ``init_cfg`` of type
    ``Pretrained`` and every ``pretrained`` path set to None."""
    if isinstance(cfg, dict):
        out = {}
        for k, v in cfg.items():
            if k == 'init_cfg' and isinstance(v, dict) and \
                    v.get('type') == 'Pretrained':
                v = None
            elif k == 'pretrained' and isinstance(v, str):
                v = None
            out[k] = offline(v)
        return out
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(offline(v) for v in cfg)
    return cfg


def _out_channels(backbone: dict, scope: str, img: int) -> List[int]:
    """Channels of each output of a backbone config (built, one forward)."""
    import torch
    from mmengine.registry import init_default_scope
    init_default_scope(scope)
    registry = importlib.import_module(f'{scope}.registry')
    net = registry.MODELS.build(copy.deepcopy(backbone))
    net.eval()  # (some backbones' train() returns None)
    with torch.no_grad():
        outs = net(torch.zeros(1, 3, img, img))
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    chans = []
    for o in outs:
        o = o[0] if isinstance(o, (list, tuple)) else o
        chans.append(int(o.shape[1]))
    return chans


def stock_model(entry: dict, img: int) -> dict:
    """The entry's stock ``model``, shrunk, offline, the channels its neck
    or head reads fitted to the shrunk backbone."""
    from mmengine.hub import get_config
    scope = entry['stock'].split('::')[0]
    stock = get_config(entry['stock']).model.to_dict()
    model = offline(merge(stock, entry['model']))
    task = entry['task']
    if task == 'cls':
        model['head']['num_classes'] = 10
        model['head']['topk'] = (1, )
        model['head']['in_channels'] = _out_channels(model['backbone'], scope,
                                                     img)[-1]
    elif task == 'det':
        chans = _out_channels(model['backbone'], scope, img)
        neck = model['neck']
        neck['in_channels'] = chans
        if neck['type'] == 'SSDNeck':  # extra levels: 64, 32, 32, 16
            neck['out_channels'] = chans + [64, 32, 32, 16]
            model['bbox_head']['in_channels'] = neck['out_channels']
    return model


def _shapes_loader(loader: dict, root: str, num: int, batch: int,
                   img: int) -> dict:
    loader = copy.deepcopy(loader)
    loader.update(batch_size=batch)
    ds = loader['dataset']
    ds['data_root'] = root
    ds['generate'] = dict(
        num_images=num,
        seed=ds['generate']['seed'],
        img_size=img,
        min_size=8,
        max_size=24)
    for t in ds['pipeline']:
        if t['type'] == 'Resize':
            t['scale'] = (img, img)
    return loader


def entry_config(name: str, work_dir: str):
    """The entry's config: the task's generated-data config with the
    shrunk stock model, tiny data, schedules and a tiny ``donna``."""
    from mmengine.config import Config
    entry = ENTRIES[name]
    task, img = entry['task'], IMG[entry['task']]
    base = Config.fromfile(osp.join(ROOT, TASKS[task]))
    d = base._cfg_dict.to_dict()
    d['model'] = stock_model(entry, img)
    d['work_dir'] = work_dir
    small = dict(batch_size=2, num_workers=0, persistent_workers=False)
    if task == 'det':
        root = osp.join(work_dir, 'data') + '/'
        d['train_dataloader'] = _shapes_loader(d['train_dataloader'], root, 8,
                                               4, img)
        for key in ('val', 'test'):
            d[f'{key}_dataloader'] = _shapes_loader(d[f'{key}_dataloader'],
                                                    root, 4, 2, img)
            d[f'{key}_evaluator']['ann_file'] = (
                f'{root}annotations/{key}.json')
        if 'mask_head' in d['model'].get('roi_head', {}):
            # instance masks of the generated shapes for its training
            for t in d['train_dataloader']['dataset']['pipeline']:
                if t['type'] == 'LoadAnnotations':
                    t['with_mask'] = True
        for hook in d.get('custom_hooks', []):
            if 'input_shape' in hook:
                hook['input_shape'] = (3, img, img)
        small.pop('batch_size')
    else:
        for key, n in (('train', 8), ('val', 4), ('test', 4)):
            loader = d[f'{key}_dataloader']
            loader.update(batch_size=4 if key == 'train' else 2)
            loader['dataset']['indices'] = n
    if task in ('cls', 'det'):
        d['train_cfg'].update(max_epochs=1, val_interval=1)
    else:
        d['train_cfg'].update(max_iters=2, val_interval=2)
    d['donna'] = dict(
        blocks=[
            dict(path=p, options=_options(entry, p, task))
            for p in entry['blocks']
        ],
        input_shape=(3, img, img),
        teacher_checkpoint=None,
        # an untrained teacher: nothing to check
        teacher_check=dict(enabled=False),
        bkd=dict(
            iters=2,
            library_batches=2,
            bn_calib_batches=1,
            train_dataloader=small,
            library_dataloader=small),
        latency=dict(
            targets=[dict(warmup=0, repeats=1)], calibrate=0, passes=1),
        filter=dict(max_cost_ratio=dict()),
        search=dict(pop_size=4, n_gen=2, num_random_samples=8),
        rerank=dict(max_archs=2, bn_batches=1, val_batches=1),
        finetune=dict(models='fastest', iters=2))
    return Config(d, filename=base.filename)


def run_entry(name: str, work_dir: str) -> dict:
    """Run one entry in this process: its result (per-column status, the
    failing column and its one-line error)."""
    from mmdonna.utils.tool_errors import USER_ERRORS, one_line
    status = {c: 'not reached' for c in COLUMNS}
    result = dict(
        name=name,
        stock=ENTRIES[name]['stock'],
        status=status,
        error=None,
        raw=False,
        rows=[])
    t0 = time.time()
    column = 'config'

    def on_row(row):
        result['rows'].append(list(row))
        stage = ROW_COLUMN.get(row[0], row[0])
        if stage in status:
            status[stage] = 'pass'

    try:
        import mmdonna  # noqa: F401  (compat fixes)
        from mmdonna.stages import run_stages
        from mmdonna.stages.validate import validate_config
        cfg = entry_config(name, work_dir)
        status['config'] = 'pass'
        column = 'supernet'
        validate_config(cfg)
        status['supernet'] = 'pass'
        column = None
        run_stages(cfg, work_dir, on_row=on_row)
    except Exception as e:  # noqa: B902 (any failure is a result)
        column = column or next(c for c in COLUMNS if status[c] != 'pass')
        status[column] = 'FAIL'
        raw = not isinstance(e, USER_ERRORS)
        msg = one_line(e)
        result.update(
            error=(f'{type(e).__name__}: {msg}' if raw else msg)[:400],
            raw=raw,
            traceback=traceback.format_exc()[-4000:])
    result['seconds'] = round(time.time() - t0, 1)
    return result


def table(results: List[dict]) -> str:
    short = dict(zip(COLUMNS, ['cfg', 'net'] + COLUMNS[2:]))
    head = f'{"model":<16}' + ''.join(f'{short[c]:>9}' for c in COLUMNS)
    lines = [head + '      s', '-' * (len(head) + 7)]
    mark = {'pass': 'pass', 'FAIL': 'FAIL', 'not reached': '-'}
    for r in results:
        lines.append(f'{r["name"]:<16}' + ''.join(f'{mark[r["status"][c]]:>9}'
                                                  for c in COLUMNS) +
                     f'{r.get("seconds", 0):>7.0f}')
    errors = [r for r in results if r['error']]
    if errors:
        lines.append('')
        for r in errors:
            raw = ' [raw]' if r['raw'] else ''
            lines.append(f'{r["name"]}{raw}: {r["error"]}')
    return '\n'.join(lines)


def markdown(results: List[dict]) -> str:
    """The README's table: every entry, passed or where it stopped and the
    one-line error a user gets."""
    lines = ['| entry | stock config | result | s |', '|---|---|---|---|']
    for r in results:
        if passed(r):
            what = 'every stage passed'
        else:
            stage = next(c for c in COLUMNS if r['status'][c] == 'FAIL')
            raw = ' (a raw exception)' if r['raw'] else ''
            error = r['error'].replace('|', '\\|')
            what = f'fails at `{stage}`{raw}: {error}'
        lines.append(f'| {r["name"]} | `{r["stock"]}` | {what} | '
                     f'{r.get("seconds", 0):.0f} |')
    return '\n'.join(lines)


def passed(result: dict) -> bool:
    return all(s == 'pass' for s in result['status'].values())


def _child(name: str, work_dir: str, timeout: float) -> dict:
    """One entry in its own process; a crash or a timeout is a result."""
    out = osp.join(work_dir, 'result.json')
    if osp.exists(out):
        os.remove(out)
    env = dict(
        os.environ,
        PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    t0 = time.time()
    try:
        proc = subprocess.run([
            sys.executable, __file__, '--entry', name, '--work-dir', work_dir
        ],
                              cwd=ROOT,
                              env=env,
                              capture_output=True,
                              text=True,
                              timeout=timeout)
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
        why = f'exit status {proc.returncode}: {" ".join(tail)}'
    except subprocess.TimeoutExpired:
        why = f'timed out after {timeout:.0f} s'
    if osp.exists(out):
        with open(out) as f:
            return json.load(f)
    status = {c: 'not reached' for c in COLUMNS}
    status['config'] = 'FAIL'
    return dict(
        name=name,
        stock=ENTRIES[name]['stock'],
        status=status,
        error=f'the process ended without a result ({why})'[:400],
        raw=True,
        seconds=round(time.time() - t0, 1))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument(
        '--only',
        help='comma-separated entry names; one of ' + ', '.join(ENTRIES))
    p.add_argument('--work-dir', default='work_dirs/model_zoo_sweep')
    p.add_argument(
        '--out',
        help='results JSON (default <work_dir>/'
        'sweep.json); recorded entries are skipped')
    p.add_argument(
        '--rerun', action='store_true', help='run recorded entries again')
    p.add_argument(
        '--timeout', type=float, default=900, help='seconds per entry')
    p.add_argument(
        '--markdown',
        action='store_true',
        help="print the table as Markdown too (the README's)")
    p.add_argument('--entry', help=argparse.SUPPRESS)  # one, in-process
    return p.parse_args()


def main(args: Optional[argparse.Namespace] = None) -> int:
    args = args or parse_args()
    if args.entry:  # the child: one entry, its result next to its work dir
        os.makedirs(args.work_dir, exist_ok=True)
        result = run_entry(args.entry, args.work_dir)
        with open(osp.join(args.work_dir, 'result.json'), 'w') as f:
            json.dump(result, f, indent=1)
        return 0
    names = args.only.split(',') if args.only else list(ENTRIES)
    unknown = [n for n in names if n not in ENTRIES]
    if unknown:
        print(
            f'error: --only {",".join(unknown)}: no such entry; use '
            f'{", ".join(ENTRIES)}',
            file=sys.stderr)
        return 2
    out = args.out or osp.join(args.work_dir, 'sweep.json')
    recorded = {}
    if osp.exists(out):
        with open(out) as f:
            recorded = {r['name']: r for r in json.load(f)['results']}
    t0 = time.time()
    for name in names:
        if name in recorded and not args.rerun:
            print(f'{name}: recorded in {out}', flush=True)
            continue
        r = _child(name, osp.join(args.work_dir, name), args.timeout)
        recorded[name] = r
        print(
            f'{name}: {"passed" if passed(r) else "FAILED"} '
            f'({r["seconds"]:.0f} s)' +
            (f' {r["error"]}' if r['error'] else ''),
            flush=True)
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(dict(results=list(recorded.values())), f, indent=1)
    results = [recorded[n] for n in names]
    print()
    print(table(results))
    if args.markdown:
        print()
        print(markdown(results))
    print(f'\n{len(results)} entries, {time.time() - t0:.0f} s this run')
    n = sum(passed(r) for r in results)
    print(f'RESULT passed={n}/{len(results)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
