"""A whole network for one architecture: the teacher with its cut blocks
replaced by the chosen options."""
import copy
from typing import Callable, Dict, Optional, Sequence, Union

import torch
from torch import nn

from mmdonna.search_space import (SearchSpace, build_option, get_submodule,
                                  is_teacher_option, set_submodule)
from mmdonna.search_space.extra_inputs import (keep_teacher_children,
                                               pass_through_outputs)
from mmdonna.utils.model_call import tensor_call


class TensorForward(nn.Module):
    """``forward(x) = model(x, data_samples, mode='tensor')``: an mm model
    as a plain tensor-in/tensor-out module (for ONNX export and timing), with
    the data samples its head needs built from the input shape (see
    :func:`mmdonna.utils.model_call.tensor_call`)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        # take the model's mode: a wrapper in the default train mode would
        # put the model back into train mode when an exporter restores the
        # wrapper's mode (BN statistics of a frozen teacher would move)
        self.train(model.training)

    def forward(self, x: torch.Tensor):
        return tensor_call(self.model, x)


def build_arch_model(
    teacher: nn.Module,
    space: SearchSpace,
    arch: Union[Sequence[int], Dict[str, dict]],
    option_module: Optional[Callable[[str, int],
                                     nn.Module]] = None) -> nn.Module:
    """Deep-copy ``teacher`` and put the chosen option at every cut point
    (at a block returning ``(y, *passed-through inputs)``, an option other
    than the teacher's returns them too, see
    :func:`mmdonna.search_space.extra_inputs.pass_through_outputs`; it
    keeps the teacher block's children its parent runs, a Swin stage's
    ``downsample``).

    Args:
        teacher (nn.Module): The teacher model (left untouched).
        space (SearchSpace): Search space with block shapes.
        arch (Sequence[int] | dict): Code (one index per block) or
            ``{path: option}``.
        option_module (Callable, optional): ``(path, index) -> module`` giving
            the option with trained weights, e.g.
            ``DonnaSupernet.export_option``. Defaults to freshly built
            (randomly initialised) options, which is what latency needs.
    """
    code = (
        space.encode(arch)
        if isinstance(arch, dict) else space.check_code(arch))
    model = copy.deepcopy(teacher)
    for block, idx in zip(space.blocks, code):
        if option_module is not None:
            module = option_module(block.path, idx)
        else:
            module = build_option(
                block.options[idx],
                block.in_shape,
                block.out_shape,
                block.path,
                idx,
                check=False,
                teacher_block=get_submodule(teacher, block.path),
                extra=block.extra_inputs)
        if not is_teacher_option(block.options[idx]):
            module = pass_through_outputs(module, block.extra_outputs)
            module = keep_teacher_children(module,
                                           get_submodule(teacher, block.path),
                                           block.teacher_children)
        set_submodule(model, block.path, module)
    return model
