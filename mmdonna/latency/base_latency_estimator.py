"""The interface every latency estimator implements."""
import logging
from typing import Sequence

from mmengine.logging import print_log
from torch import nn

from .timing import failed_result


class BaseLatencyEstimator:
    """Measures the latency of a module on one target.

    Subclasses set :attr:`backend` and :attr:`target_id` and implement
    :meth:`measure`. The search, the KD filter and :class:`LatencyLUT` call
    only this interface.

    Attributes:
        target_id (str): The device/setting measured, e.g.
            ``'host-ort-cpu-1t'`` or ``'adb-R58M12345'``. Part of every LUT
            key.
        backend (str): ``'onnxruntime'``, ``'adb'`` or ``'flops'``.
    """
    backend: str = ''
    target_id: str = ''

    def measure(self, module: nn.Module, input_shape: Sequence[int]) -> dict:
        """Latency of ``module`` for one input of ``input_shape``.

        Args:
            module (nn.Module): A block option, or a whole mm model wrapped in
                :class:`mmdonna.export.TensorForward`.
            input_shape (Sequence[int]): Full NCHW shape, e.g.
                ``(1, 3, 224, 224)``.

        Returns:
            dict: ``ok`` (bool), ``mean_ms``, ``median_ms``, ``min_ms``,
            ``std_ms``, ``cv`` (float), ``repeats`` (int) and ``error``
            (one line, or None). A failed export or run gives ``ok=False``
            and NaN timings; it is logged, not raised.
        """
        raise NotImplementedError

    def meta(self) -> dict:
        """What identifies this target in a LUT file (JSON-able)."""
        return dict(target_id=self.target_id, backend=self.backend)

    def _fail(self, what: str, error: str) -> dict:
        """Log a failed measurement and return its result."""
        result = failed_result(error)
        print_log(
            f'[{self.target_id}] {what} failed: {result["error"]}',
            logger='current',
            level=logging.WARNING)
        return result

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(target_id={self.target_id!r}, '
                f'backend={self.backend!r})')
