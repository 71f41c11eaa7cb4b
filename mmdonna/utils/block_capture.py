"""Capture the inputs and outputs of teacher blocks with forward hooks."""
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn

from .model_call import tensor_call


class _StopForward(Exception):
    """Raised after the last cut point so the rest of the teacher is
    skipped."""


class BlockCapture:
    """Run a model and return ``{path: (block input, block output)}``.

    The model stops as soon as every module has run (the rest of the
    network, e.g. a detector's RPN and RoI head, is skipped); ``order`` is
    then the execution order of the modules.

    Args:
        model (nn.Module): The teacher.
        modules (dict[str, nn.Module]): Cut-point path -> module.
    """

    def __init__(self, model: nn.Module, modules: Dict[str, nn.Module]):
        self.model = model
        self.modules = modules

    def __call__(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[list] = None
    ) -> Dict[str, Tuple[torch.Tensor, ...]]:
        """Run the model in tensor mode (with the data samples its head
        needs, see :func:`tensor_call`) until every module has run."""
        record: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}
        self.order: List[str] = []
        #: path -> how many inputs (positional and keyword) the module took
        self.num_inputs: Dict[str, int] = {}
        handles = []

        def make_hook(path):

            def hook(module, args, kwargs, output):
                if path in record:
                    raise ValueError(
                        f'cut point {path!r} ran twice in one forward; cut at '
                        f'a module that runs once')
                inputs = list(args) + list(kwargs.values())
                record[path] = (inputs[0] if inputs else None, output)
                self.num_inputs[path] = len(inputs)
                self.order.append(path)
                if len(record) == len(self.modules):
                    raise _StopForward

            return hook

        for path, m in self.modules.items():
            handles.append(
                m.register_forward_hook(make_hook(path), with_kwargs=True))
        try:
            tensor_call(self.model, inputs, data_samples)
        except _StopForward:
            pass
        finally:
            for h in handles:
                h.remove()
        missing = [p for p in self.modules if p not in record]
        if missing:
            raise ValueError(
                f'cut points {missing} did not run in the teacher forward; '
                f'choose modules on the path from input to output')
        return record
