"""Capture the inputs and outputs of teacher blocks with forward hooks."""
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn


class _StopForward(Exception):
    """Raised after the last cut point so the rest of the teacher is
    skipped."""


class BlockCapture:
    """Run a model and return ``{path: (block input, block output)}``.

    Args:
        model (nn.Module): The teacher.
        modules (dict[str, nn.Module]): Cut-point path -> module.
        stop_after (str, optional): Path after whose forward the teacher stops
            (the last cut point in execution order). Defaults to None.
    """

    def __init__(self,
                 model: nn.Module,
                 modules: Dict[str, nn.Module],
                 stop_after: Optional[str] = None):
        self.model = model
        self.modules = modules
        self.stop_after = stop_after

    def __call__(self, inputs: torch.Tensor,
                 **forward_kwargs) -> Dict[str, Tuple[torch.Tensor, ...]]:
        record: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}
        self.order: List[str] = []
        handles = []

        def make_hook(path):

            def hook(module, args, output):
                if path in record:
                    raise RuntimeError(
                        f'cut point {path!r} ran twice in one forward; cut at '
                        f'a module that runs once')
                record[path] = (args[0], output)
                self.order.append(path)
                if path == self.stop_after:
                    raise _StopForward

            return hook

        for path, m in self.modules.items():
            handles.append(m.register_forward_hook(make_hook(path)))
        try:
            self.model(inputs, **forward_kwargs)
        except _StopForward:
            pass
        finally:
            for h in handles:
                h.remove()
        missing = [p for p in self.modules if p not in record]
        if missing:
            raise RuntimeError(
                f'cut points {missing} did not run in the teacher forward; '
                f'choose modules on the path from input to output')
        return record
