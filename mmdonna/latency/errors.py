"""The one error type of the latency stage."""


class LatencyConfigError(ValueError):
    """A latency setting that cannot work (unknown target or backend, a
    device that is not connected, a runner missing on the device, ...).

    The message is one line naming the config key and the fix. Failures of a
    single measurement (an export or a run that fails) are not raised: the
    estimator returns ``ok=False`` so that a sweep carries on; the LUT stage
    refuses a table whose entries still fail after ``latency.tries``.
    """
