"""Budgets shared by several benchmarks (imported as ``_shared.budgets``:
a benchmark's own folder is on ``sys.path`` when it runs as a script)."""

#: --quick of the benchmarks over the digits demo: tiny budgets over the
#: config (1 teacher epoch leaves it at chance level; a coarse latency grid
#: gives fronts of a few architectures)
DEMO_QUICK = dict(
    train_cfg=dict(max_epochs=4),
    param_scheduler=dict(T_max=4),
    donna=dict(
        bkd=dict(
            epochs=1,
            train_dataloader=dict(dataset=dict(indices=256)),
            bn_calib_batches=4),
        search=dict(latency_eps_ms=0.02),
        latency=dict(
            targets=[dict(warmup=2, repeats=10)],
            calibrate=2,
            passes=1,
            tries=1)))
