"""The export stage: every front architecture as a standalone mm config +
BKD weights (``subnets/<name>.py|.pth``)."""
import os
import os.path as osp
import time

from mmengine.dist import barrier, is_main_process

from mmdonna.export import export_front
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
    """Export every front architecture; already exported ones are kept.

    Returns:
        str: The ``subnets`` folder.
    """
    front = front_list(ctx.pareto)
    sub = ctx.path('subnets')

    def stamp():
        return {
            f: osp.getmtime(osp.join(sub, f))
            for f in (os.listdir(sub) if osp.isdir(sub) else [])
        }

    missing = [
        a for a in front if not all(
            osp.exists(osp.join(sub, a['name'] + ext))
            for ext in ('.py', '.pth'))
    ]
    if missing:
        ctx.may_run('export', f'{len(missing)} subnets in {sub}')
    t0 = time.time()
    before = stamp()
    if is_main_process():
        export_front(ctx.teacher_cfg, ctx.teacher_checkpoint, ctx.work_dir,
                     ctx.build_supernet(), front,
                     finetune_overrides(ctx.cfg, ctx.settings),
                     ctx.settings['bkd']['bn_calib_batches'])
    barrier()
    after = stamp()
    status = 'skipped' if before and before == after else 'done'
    ctx.row('export', status, f'{len(front)} subnets in {sub}', t0)
    return sub
