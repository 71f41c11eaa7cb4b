"""EDSR-style residual block family (no BatchNorm) for restoration bodies."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .restoration_utils import check_choices, conv, input_adapter
from .utils import build_act, make_divisible


class _ResidualNoBN(nn.Module):
    """``x + res_scale * conv(act(conv(x)))``, EDSR's body block."""

    def __init__(self, channels: int, mid: int, kernel: int, act: str,
                 res_scale: float):
        super().__init__()
        self.conv1 = conv(channels, mid, kernel)
        self.act = build_act(act)
        self.conv2 = conv(mid, channels, kernel)
        self.res_scale = res_scale
        # mmagic's ResidualBlockNoBN: a small residual branch at init keeps
        # a deep stack close to identity, which is what BKD starts from.
        with torch.no_grad():
            self.conv2.weight.mul_(0.1)
            self.conv2.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(x))) * self.res_scale


@MODELS.register_module()
class EDSRBlock(BaseModule):
    """Residual conv layers without normalisation, as in EDSR / WDSR.

    Each layer is ``x + res_scale * conv_k(act(conv_k(x)))`` whose inner
    width is ``width * out_channels`` (WDSR's wide activation when > 1, a
    cheaper block when < 1). An input adapter maps a different input width
    or resolution to the teacher block's.

    Args:
        in_channels (int): Channels of the teacher block's input.
        out_channels (int): Channels of the teacher block's output.
        stride (int): Spatial reduction of the teacher block. Defaults to 1.
        kernel (int): Kernel size of both convs. Defaults to 3.
        width (float): Inner width as a multiple of ``out_channels``
            (rounded to a multiple of 8). Defaults to 1.0.
        depth (int): Number of residual layers. Defaults to 1.
        act (str): Activation name. Defaults to 'ReLU'.
        res_scale (float): Scale of the residual branch. Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel: int = 3,
                 width: float = 1.0,
                 depth: int = 1,
                 act: str = 'ReLU',
                 res_scale: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_choices('EDSRBlock', kernel=kernel, width=width, depth=depth)
        mid = (
            out_channels if width == 1.0 else make_divisible(out_channels *
                                                             width))
        self.adapter = input_adapter(in_channels, out_channels, stride)
        self.layers = nn.Sequential(*[
            _ResidualNoBN(out_channels, mid, kernel, act, res_scale)
            for _ in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.adapter(x))
