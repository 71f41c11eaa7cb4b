"""FrozenBlock: the teacher's own block as an option of the supernet."""
import copy

from torch import nn

from mmdonna.utils.block_capture import main_output


class FrozenBlock(nn.Module):
    """A frozen copy of a teacher block: no gradients, always in eval mode
    (its BN statistics are the teacher's), so its output is exactly the
    teacher block's and its NSR is 0. A block returning a tuple
    ``(y, *passed-through inputs)`` (a Swin stage) gives ``y`` here, what
    BKD, the library and the LUT compare; :meth:`export` returns the tuple.

    Args:
        block (nn.Module): The teacher block (copied).
    """

    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = copy.deepcopy(block)
        self.block.requires_grad_(False)
        self.block.eval()

    def train(self, mode: bool = True) -> 'FrozenBlock':
        super().train(mode)
        self.block.eval()
        return self

    def forward(self, *args, **kwargs):
        return main_output(self.block(*args, **kwargs))

    def export(self) -> nn.Module:
        """A plain copy of the teacher block (trainable again)."""
        block = copy.deepcopy(self.block)
        block.requires_grad_(True)
        return block
