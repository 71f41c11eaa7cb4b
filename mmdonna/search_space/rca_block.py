"""RCAN-style residual channel-attention block family."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .restoration_utils import check_choices, conv, input_adapter
from .utils import build_act, make_divisible


class _ChannelAttention(nn.Module):
    """RCAN's channel attention: global average pool, a 1x1 bottleneck of
    ``channels // reduction`` and a sigmoid gate per channel."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        hidden = max(4, channels // reduction)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.fc2(self.act(self.fc1(s))))


class _RCAB(nn.Module):
    """``x + CA(conv_k(act(conv_k(x))))``."""

    def __init__(self, channels: int, mid: int, kernel: int, reduction: int,
                 act: str):
        super().__init__()
        self.conv1 = conv(channels, mid, kernel)
        self.act = build_act(act)
        self.conv2 = conv(mid, channels, kernel)
        self.ca = _ChannelAttention(channels, reduction)
        with torch.no_grad():  # start close to identity (see EDSRBlock)
            self.conv2.weight.mul_(0.1)
            self.conv2.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.ca(self.conv2(self.act(self.conv1(x))))


@MODELS.register_module()
class RCABlock(BaseModule):
    """Residual channel-attention blocks (RCAB, from RCAN) without
    normalisation.

    Args:
        in_channels (int): Channels of the teacher block's input.
        out_channels (int): Channels of the teacher block's output.
        stride (int): Spatial reduction of the teacher block. Defaults to 1.
        kernel (int): Kernel size of both convs. Defaults to 3.
        width (float): Inner width as a multiple of ``out_channels``
            (rounded to a multiple of 8). Defaults to 1.0.
        depth (int): Number of RCABs. Defaults to 1.
        reduction (int): Channel reduction of the attention bottleneck
            (at least 4 hidden channels). Defaults to 4.
        act (str): Activation name. Defaults to 'ReLU'.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel: int = 3,
                 width: float = 1.0,
                 depth: int = 1,
                 reduction: int = 4,
                 act: str = 'ReLU',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_choices(
            'RCABlock',
            kernel=kernel,
            width=width,
            depth=depth,
            reduction=reduction)
        mid = (
            out_channels if width == 1.0 else make_divisible(out_channels *
                                                             width))
        self.adapter = input_adapter(in_channels, out_channels, stride)
        self.layers = nn.Sequential(*[
            _RCAB(out_channels, mid, kernel, reduction, act)
            for _ in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.adapter(x))
