# Latency target: an Android phone over ADB, timed on the device by
# onnxruntime's onnxruntime_perf_test (build it for Android, then
#   adb push onnxruntime_perf_test /data/local/tmp/
# ). `adb devices` gives the serial. Use it in a NAS config with
#   _base_ = [<your config>, '../_base_/latency/android_adb.py']
#   donna = dict(..., latency={{_base_.latency}})
latency = dict(
    targets=[
        dict(
            type='mmdonna.AdbEstimator',
            serial='R58M12345',  # set to your device
            runner='/data/local/tmp/onnxruntime_perf_test',
            # {runner} {model} {repeats} {threads} {provider} {remote_dir}
            command='{runner} -I -m times -r {repeats} -x {threads} -y 1 '
            '-e {provider} {model}',
            pattern=r'Average inference time cost:\s*([0-9.eE+-]+)\s*ms',
            provider='cpu',  # or nnapi / xnnpack / qnn if built in
            threads=1,
            repeats=100,
            rounds=3,  # three runner invocations: median and spread
            retries=2)
    ],
    lut_file='latency_lut.json',
    # each round is already an average of `repeats` runs on a dedicated
    # device, so the median of the rounds is the statistic to sum
    metric='median_ms',
    calibrate=8,
    seed=0)
