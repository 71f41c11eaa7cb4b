"""A hardware-agnostic cost: FLOPs (and params) by mmengine's analysis."""
from typing import Optional, Sequence

import torch
from torch import nn

from mmdonna.registry import TASK_UTILS
from mmdonna.utils.complexity import complexity
from .base_latency_estimator import BaseLatencyEstimator
from .errors import LatencyConfigError
from .timing import describe_exception


@TASK_UTILS.register_module()
class FlopsEstimator(BaseLatencyEstimator):
    """FLOPs as a latency proxy, counted by mmengine's analysis
    (:func:`mmdonna.utils.complexity.complexity`, fvcore-style: one
    multiply-add counts as one FLOP, fused attention included, as in
    :func:`mmdonna.library.module_cost`).

    ``mean_ms``, ``median_ms`` and ``min_ms`` all hold the FLOPs-derived
    cost ``flops / (throughput_gflops * 1e6)``: the milliseconds a device
    sustaining ``throughput_gflops`` GFLOP/s would need. With the default
    1 GFLOP/s the "ms" are MFLOPs. ``std_ms`` and ``cv`` are 0, ``repeats``
    is 1; the result also carries ``flops`` and ``params``.

    Args:
        target_id (str, optional): Defaults to None: ``'flops'``.
        throughput_gflops (float): Assumed sustained GFLOP/s. Defaults to 1.0.
    """
    backend = 'flops'

    def __init__(self,
                 target_id: Optional[str] = None,
                 throughput_gflops: float = 1.0):
        if not throughput_gflops > 0:
            raise LatencyConfigError(
                f'FlopsEstimator throughput_gflops={throughput_gflops!r}: '
                f'use a positive number in latency.targets')
        self.throughput_gflops = float(throughput_gflops)
        self.target_id = target_id or 'flops'

    def meta(self) -> dict:
        return dict(
            target_id=self.target_id,
            backend=self.backend,
            throughput_gflops=self.throughput_gflops)

    def measure(self, module: nn.Module, input_shape: Sequence[int]) -> dict:
        try:
            info = complexity(module, (torch.zeros(*input_shape), ))
        except Exception as e:  # an untraceable module skips this candidate
            return self._fail('FLOPs analysis', describe_exception(e))
        flops = int(info['flops'])
        cost = flops / (self.throughput_gflops * 1e6)
        return dict(
            ok=True,
            mean_ms=cost,
            median_ms=cost,
            min_ms=cost,
            std_ms=0.0,
            cv=0.0,
            repeats=1,
            error=None,
            flops=flops,
            params=int(info['params']))
