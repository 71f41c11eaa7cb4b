"""ResNet-style student block family (basic / bottleneck, grouped conv)."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .utils import ConvBNAct, build_act, make_divisible, shape_adapter


class _ResLayer(nn.Module):

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 kernel: int, bottleneck: bool, groups: int, act: str,
                 out_act: Optional[str]):
        super().__init__()
        if bottleneck:
            mid = make_divisible(out_channels / 4, max(groups, 8))
            self.body = nn.Sequential(
                ConvBNAct(in_channels, mid, 1, act=act),
                ConvBNAct(mid, mid, kernel, stride, groups=groups, act=act),
                ConvBNAct(mid, out_channels, 1))
        else:
            g = groups if in_channels % groups == 0 else 1
            self.body = nn.Sequential(
                ConvBNAct(
                    in_channels, out_channels, kernel, stride, g, act=act),
                ConvBNAct(
                    out_channels,
                    out_channels,
                    kernel,
                    groups=groups if out_channels % groups == 0 else 1))
        self.shortcut = shape_adapter(in_channels, out_channels, stride)
        self.act = build_act(out_act) if out_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


@MODELS.register_module()
class ResBlock(BaseModule):
    """ResNet basic or bottleneck layers, optionally with grouped convs.

    Args:
        in_channels (int): Channels of the teacher block's input.
        out_channels (int): Channels of the teacher block's output.
        stride (int): Spatial reduction of the teacher block. Defaults to 1.
        kernel (int): Spatial kernel size. Defaults to 3.
        depth (int): Number of residual layers. Defaults to 1.
        bottleneck (bool): 1x1-kxk-1x1 bottleneck instead of two kxk convs.
            Defaults to False.
        groups (int): Groups of the kxk convs (ResNeXt-style when > 1).
            Defaults to 1.
        act (str): Activation name. Defaults to 'ReLU'.
        out_act (str, optional): Activation after the residual sum of the
            last layer. ResNet's 'ReLU' makes the block's output non-negative:
            right for a ResNet stage, but a block replacing a stage that ends
            linearly (MobileNetV2's projection) cannot produce the negative
            half of the teacher's output (held-out NSR stuck at ~0.55 on the
            digits MobileNetV2): use None there. Defaults to 'ReLU'.
        width (float): Multiplier of the internal width. Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel: int = 3,
                 depth: int = 1,
                 bottleneck: bool = False,
                 groups: int = 1,
                 act: str = 'ReLU',
                 out_act: Optional[str] = 'ReLU',
                 width: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if depth < 1 or kernel % 2 == 0 or groups < 1:
            raise ValueError(
                f'ResBlock needs depth>=1, an odd kernel and groups>=1; got '
                f'depth={depth}, kernel={kernel}, groups={groups}')
        mid = (
            out_channels if width == 1.0 else make_divisible(
                out_channels * width, max(8, groups)))
        out_acts = [act] * (depth - 1) + [out_act]
        self.layers = nn.Sequential(*[
            _ResLayer(in_channels if i == 0 else mid, mid, stride if i ==
                      0 else 1, kernel, bottleneck, groups, act, out_acts[i])
            for i in range(depth)
        ])
        self.adapter = shape_adapter(mid, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.adapter(self.layers(x))
