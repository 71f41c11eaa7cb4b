# Latency target: this machine's CPU through ONNX Runtime. Inherit it in a
# bkd/search config (`_base_ = [..., '../_base_/latency/host_ort.py']`), then
#   python tools/measure_latency.py CONFIG --lut --validate 10
latency = dict(
    targets=[
        dict(
            type='mmdonna.OnnxRuntimeEstimator',
            # one thread, sequential graph, no spinning: on a shared 2-core
            # host more threads mostly measure the neighbours' load
            intra_op_threads=1,
            inter_op_threads=1,
            warmup=10,
            repeats=50)
    ],
    # one file per target; put {target_id} in the name for several targets
    lut_file='latency_lut.json',
    # other processes can only add time to a run: on a shared CPU the fastest
    # of 50 runs is the least disturbed estimate (use 'median_ms' on a
    # dedicated device)
    metric='min_ms',
    # whole architectures measured to fit offset + scale of the block sum
    # (blocks run alone are cache-hot and pay one call each)
    calibrate=8,
    seed=0)
