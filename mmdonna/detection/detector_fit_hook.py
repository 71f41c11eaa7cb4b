"""Refuse, before any step, a detector whose backbone no longer fits."""
from typing import Sequence

from mmengine.hooks import Hook

from mmdonna.registry import HOOKS
from .detector_fit import check_detector_fit


@HOOKS.register_module()
class DetectorFitHook(Hook):
    """Run :func:`check_detector_fit` on the runner's detector once, before
    training or evaluation starts, so that a searched backbone that does not
    fit the neck/head is a one-line error naming the config key instead of a
    shape error deep inside a training step.

    Args:
        input_shape (Sequence[int]): (C, H, W) of one input image.
    """

    priority = 'VERY_HIGH'

    def __init__(self, input_shape: Sequence[int]):
        self.input_shape = tuple(int(s) for s in input_shape)
        self._done = False

    def _check(self, runner) -> None:
        if self._done:
            return
        model = getattr(runner.model, 'module', runner.model)
        check_detector_fit(model, self.input_shape)
        self._done = True

    def before_train(self, runner) -> None:
        self._check(runner)

    def before_val(self, runner) -> None:
        self._check(runner)

    def before_test(self, runner) -> None:
        self._check(runner)
