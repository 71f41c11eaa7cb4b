"""Cost of one BKD step over all blocks vs one ordinary training step of the
teacher, on the same batch, measured in one run.

Each measurement runs in a fresh child process (so peak RSS is its own):
the teacher's training step (task loss, all weights trained) and the
supernet's BKD step (one teacher pass + every block's sampled options).

    python benchmarks/bkd_cost.py [--config CFG] [--steps 20]
"""
import argparse
import copy
import multiprocessing as mp
import resource
import statistics
import time

ROOT_CFG = 'configs/classification/mobilenetv2_digits_search.py'


def _measure(kind: str, cfg_path: str, steps: int, options: dict, q):
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, init_default_scope
    from mmengine.runner import Runner

    import mmdonna  # noqa: F401
    from mmdonna.stages import bkd_config
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # the BKD run the demo's donna section derives
    cfg = bkd_config(Config.fromfile(cfg_path))
    cfg.model.teacher_checkpoint = None
    cfg.model.update(options)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader))
    batch = next(iter(loader))
    if kind == 'teacher':
        model = MODELS.build(
            dict(
                **copy.deepcopy(cfg.model.teacher),
                data_preprocessor=copy.deepcopy(cfg.data_preprocessor)))
        optim = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
    else:
        model = MODELS.build(copy.deepcopy(cfg.model))
        optim = copy.deepcopy(cfg.optim_wrapper)
    model.train()
    wrapper = build_optim_wrapper(model, optim)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for i in range(steps + 3):
        t = time.perf_counter()
        model.train_step(batch, wrapper)
        if i >= 3:
            times.append(time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    q.put(
        dict(
            step_s=statistics.median(times),
            peak_mb=rss / 1024,
            step_peak_mb=(rss - rss0) / 1024))


def measure(kind, cfg_path, steps, options=None):
    ctx = mp.get_context('spawn')
    q = ctx.Queue()
    p = ctx.Process(
        target=_measure, args=(kind, cfg_path, steps, options or {}, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=ROOT_CFG)
    parser.add_argument('--steps', type=int, default=20)
    args = parser.parse_args()
    teacher = measure('teacher', args.config, args.steps)
    rows = [('teacher train step', teacher)]
    for label, opts in [('BKD step (config sampling)', {}),
                        ('BKD step (1 option/block)',
                         dict(train_options='sample', num_sampled=1)),
                        ('BKD step (all options)', dict(train_options='all'))]:
        rows.append((label, measure('bkd', args.config, args.steps, opts)))
    print(f'config: {args.config}, batch of the train dataloader, '
          f'1 thread, median of {args.steps} steps')
    print(f'{"":30s} {"step ms":>9s} {"ratio":>6s} {"peak RSS MB":>12s} '
          f'{"RSS growth MB":>14s}')
    for label, r in rows:
        print(f'{label:30s} {1000 * r["step_s"]:9.1f} '
              f'{r["step_s"] / teacher["step_s"]:6.2f} {r["peak_mb"]:12.0f} '
              f'{r["step_peak_mb"]:14.1f}')


if __name__ == '__main__':
    main()
