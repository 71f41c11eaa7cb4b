"""The export stage: every front architecture as a standalone mm config +
BKD weights (``subnets/<name>.py|.pth``)."""
import time

from mmengine.dist import barrier, is_main_process

from mmdonna.export import (export_front, export_settings, read_manifest,
                            subnet_is_current)
from .derive import finetune_overrides
from .stage_context import StageContext


def front_list(pareto: dict) -> list:
    """The fronts of every target as ``export_front`` entries."""
    return [
        dict(
            name=a['name'],
            code=a['code'],
            target=t,
            latency_ms=a['latency_measured_ms'],
            lut_ms=a['latency_lut_ms'],
            surrogate=a['surrogate'])
        for t, entry in pareto['targets'].items() for a in entry['front']
    ]


def export(ctx: StageContext) -> str:
    """Export every front architecture; one already exported is kept when
    ``subnets/manifest.json`` records its code and export settings and its
    ``.pth`` matches the recorded digest.

    Returns:
        str: The ``subnets`` folder.
    """
    front = front_list(ctx.pareto)
    sub = ctx.path('subnets')
    finetune = finetune_overrides(ctx.cfg, ctx.settings)
    bn = ctx.settings['bkd']['bn_calib_batches']
    manifest = read_manifest(sub)
    # subnets cut from other BKD weights (another teacher) are not kept
    settings = export_settings(finetune, bn, ctx.bkd_hash)
    missing = [
        a for a in front
        if not subnet_is_current(sub, a['name'], a['code'], settings, manifest)
    ]
    if not missing:
        ctx.row('export', 'skipped', f'{len(front)} subnets in {sub}')
        return sub
    ctx.may_run('export', f'{len(missing)} subnets in {sub}')
    t0 = time.time()
    if is_main_process():
        export_front(ctx.teacher_cfg, ctx.teacher_checkpoint, ctx.work_dir,
                     ctx.build_supernet(), front, finetune, bn, ctx.bkd_hash)
    barrier()
    ctx.row('export', 'done',
            f'{len(missing)} of {len(front)} subnets exported to {sub}', t0)
    return sub
