# Latency target: this machine's CPU through ONNX Runtime. It is the default
# of a donna section (mmdonna.latency.DEFAULT_LATENCY is the same target);
# to use a file like this one, inherit it and point the section at it:
#   _base_ = [<your config>, '../_base_/latency/host_ort.py']
#   donna = dict(..., latency={{_base_.latency}})
# then python tools/measure_latency.py CONFIG --lut --validate 10
latency = dict(
    targets=[
        dict(
            type='mmdonna.OnnxRuntimeEstimator',
            # one thread, sequential graph, no spinning: on a shared host more
            # threads mostly measure the neighbours' load
            intra_op_threads=1,
            inter_op_threads=1,
            # time runs by this thread's CPU time: the time the OS gives the
            # core to other processes is not the model's (target id
            # 'host-ort-cpu-1t-cputime')
            clock='thread_cpu',
            # write 4 MiB (the per-core L2 here) before each run: a block
            # timed alone then starts from the cold caches it meets inside the
            # network instead of its own weights from the previous run
            cache_flush_mb=4,
            warmup=10,
            repeats=50)
    ],
    # one file per target; put {target_id} in the name for several targets
    lut_file='latency_lut.json',
    # slow episodes (memory traffic of other processes) only ever add time:
    # the fastest of 50 runs is the least disturbed estimate
    metric='min_ms',
    # whole architectures (plus the teacher) measured to fit offset + scale
    # of the block sum; never used for validation
    calibrate=8,
    # two sweeps, minutes apart, each entry keeps its least disturbed one: a
    # burst of load from other processes lasts seconds and would otherwise
    # stay in the table (a whole sweep of the digits space takes ~1 min)
    passes=2,
    # a measurement that fails (export, device) is retried this many times
    # per run; the LUT stage then stops with the entry and its error
    tries=3,
    seed=0)
