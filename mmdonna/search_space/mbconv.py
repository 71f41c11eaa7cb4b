"""MBConv / inverted-residual student block family."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .utils import ConvBNAct, SqueezeExcite, make_divisible, shape_adapter


class InvertedResidual(nn.Module):
    """One MobileNetV2/V3 inverted-residual layer.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise conv.
        kernel (int): Depthwise kernel size.
        expand (float): Expansion ratio of the hidden width.
        se (bool): Squeeze-and-excitation on the hidden features.
        act (str): Activation name.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 kernel: int, expand: float, se: bool, act: str):
        super().__init__()
        hidden = make_divisible(in_channels * expand)
        self.use_res = stride == 1 and in_channels == out_channels
        self.pw = (
            ConvBNAct(in_channels, hidden, 1, act=act)
            if expand != 1 else None)
        if expand == 1:
            hidden = in_channels
        self.dw = ConvBNAct(hidden, hidden, kernel, stride, hidden, act=act)
        self.se = SqueezeExcite(hidden) if se else None
        self.pwl = ConvBNAct(hidden, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.pw is None else self.pw(x)
        out = self.dw(out)
        if self.se is not None:
            out = self.se(out)
        out = self.pwl(out)
        return x + out if self.use_res else out


@MODELS.register_module()
class MBConv(BaseModule):
    """A stack of inverted-residual layers replacing one teacher block.

    The first layer carries the block's stride and channel change. ``width``
    scales the channels inside the block; a 1x1 adapter maps them back to the
    teacher's ``out_channels`` so the option fits the next block.

    Args:
        in_channels (int): Channels of the teacher block's input.
        out_channels (int): Channels of the teacher block's output.
        stride (int): Spatial reduction of the teacher block. Defaults to 1.
        kernel (int): Depthwise kernel size. Defaults to 3.
        expand (float): Expansion ratio. Defaults to 6.
        depth (int): Number of layers. Defaults to 1.
        se (bool): Squeeze-and-excitation. Defaults to False.
        act (str): 'ReLU', 'ReLU6', 'HSwish', 'Swish' or 'GELU'.
            Defaults to 'ReLU'.
        width (float): Multiplier of the block's internal output width.
            Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel: int = 3,
                 expand: float = 6,
                 depth: int = 1,
                 se: bool = False,
                 act: str = 'ReLU',
                 width: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if depth < 1 or kernel % 2 == 0 or expand <= 0 or width <= 0:
            raise ValueError(
                f'MBConv needs depth>=1, an odd kernel, expand>0 and '
                f'width>0; got depth={depth}, kernel={kernel}, '
                f'expand={expand}, width={width}')
        mid = (
            out_channels if width == 1.0 else make_divisible(out_channels *
                                                             width))
        self.layers = nn.ModuleList([
            InvertedResidual(in_channels if i == 0 else mid, mid,
                             stride if i == 0 else 1, kernel, expand, se, act)
            for i in range(depth)
        ])
        self.adapter = shape_adapter(mid, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.adapter(x)
