"""Depthwise-separable residual block family (no BatchNorm)."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .restoration_utils import check_choices, conv, input_adapter
from .utils import build_act, make_divisible


class _DWSepLayer(nn.Module):
    """``x + pw(act(pw_expand(dw_k(x))))``: the spatial mixing is one
    depthwise conv, the channel mixing two pointwise convs."""

    def __init__(self, channels: int, kernel: int, expand: float, act: str):
        super().__init__()
        hidden = make_divisible(channels * expand)
        self.dw = conv(channels, channels, kernel, groups=channels)
        self.pw1 = conv(channels, hidden, 1)
        self.act = build_act(act)
        self.pw2 = conv(hidden, channels, 1)
        with torch.no_grad():  # start close to identity (see EDSRBlock)
            self.pw2.weight.mul_(0.1)
            self.pw2.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pw2(self.act(self.pw1(self.dw(x))))


@MODELS.register_module()
class DWSepBlock(BaseModule):
    """Residual depthwise-separable layers: the cheap spatial mixing of
    MobileNet / ConvNeXt without normalisation, for restoration bodies.

    Args:
        in_channels (int): Channels of the teacher block's input.
        out_channels (int): Channels of the teacher block's output.
        stride (int): Spatial reduction of the teacher block. Defaults to 1.
        kernel (int): Depthwise kernel size. Defaults to 3.
        expand (float): Hidden width of the pointwise convs as a multiple of
            ``out_channels``. Defaults to 2.
        depth (int): Number of residual layers. Defaults to 1.
        act (str): Activation name. Defaults to 'ReLU'.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel: int = 3,
                 expand: float = 2,
                 depth: int = 1,
                 act: str = 'ReLU',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_choices('DWSepBlock', kernel=kernel, expand=expand, depth=depth)
        self.adapter = input_adapter(in_channels, out_channels, stride)
        self.layers = nn.Sequential(*[
            _DWSepLayer(out_channels, kernel, expand, act)
            for _ in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.adapter(x))
