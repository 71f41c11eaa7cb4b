"""Weight-shared (elastic) MBConv: one set of weights for many options."""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .mbconv import InvertedResidual, MBConv
from .utils import make_divisible


def _bn(bn: nn.BatchNorm2d, x: torch.Tensor, n: int) -> torch.Tensor:
    """BatchNorm over the first ``n`` channels (running stats are shared).

    ``momentum=None`` is a cumulative average, as in ``nn.BatchNorm2d``
    (BN recalibration sets it).
    """
    momentum = bn.momentum
    if bn.training and momentum is None:
        bn.num_batches_tracked.add_(1)
        momentum = 1.0 / float(bn.num_batches_tracked)
    return F.batch_norm(x, bn.running_mean[:n], bn.running_var[:n],
                        bn.weight[:n], bn.bias[:n], bn.training, momentum,
                        bn.eps)


def _center(w: torch.Tensor, k: int) -> torch.Tensor:
    pad = (w.shape[-1] - k) // 2
    return w[..., pad:pad + k, pad:pad + k] if pad else w


@MODELS.register_module()
class ElasticMBConv(BaseModule):
    """An MBConv block whose kernel, expansion and depth are chosen per
    forward: smaller kernels are centre crops of the largest, smaller
    expansions the first hidden channels, smaller depths the first layers
    (Once-for-All style weight sharing inside one block).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the block. Defaults to 1.
        kernels (Sequence[int]): Kernel choices. Defaults to (3, 5, 7).
        expands (Sequence[float]): Expansion choices (all > 1).
            Defaults to (3, 6).
        depths (Sequence[int]): Depth choices. Defaults to (1, 2, 3).
        se (bool): Squeeze-and-excitation. Defaults to False.
        act (str): Activation name. Defaults to 'ReLU'.
        width (float): Width multiplier. Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernels: Sequence[int] = (3, 5, 7),
                 expands: Sequence[float] = (3, 6),
                 depths: Sequence[int] = (1, 2, 3),
                 se: bool = False,
                 act: str = 'ReLU',
                 width: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if min(expands) <= 1:
            raise ValueError(
                f'ElasticMBConv shares expansion weights and needs every '
                f'expand > 1, got expands={list(expands)}; put expand=1 '
                f'options in an independent MBConv option')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.stride, self.se, self.act, self.width = stride, se, act, width
        self.kernels = sorted(kernels)
        self.expands = sorted(expands)
        self.depths = sorted(depths)
        self.body = MBConv(
            in_channels,
            out_channels,
            stride,
            kernel=self.kernels[-1],
            expand=self.expands[-1],
            depth=self.depths[-1],
            se=se,
            act=act,
            width=width)
        self.active = dict(
            kernel=self.kernels[-1],
            expand=self.expands[-1],
            depth=self.depths[-1])

    def choices(self) -> list:
        """Every (kernel, expand, depth) this block can run."""
        return [
            dict(kernel=k, expand=e, depth=d) for k in self.kernels
            for e in self.expands for d in self.depths
        ]

    def set_active(self, kernel: int, expand: float, depth: int) -> None:
        """Select the sub-block used by the next forward passes."""
        if (kernel not in self.kernels or expand not in self.expands
                or depth not in self.depths):
            raise ValueError(
                f'ElasticMBConv has no sub-block kernel={kernel}, '
                f'expand={expand}, depth={depth}; choices are kernels='
                f'{self.kernels}, expands={self.expands}, '
                f'depths={self.depths}')
        self.active = dict(kernel=kernel, expand=expand, depth=depth)

    def _layer(self, layer: InvertedResidual, x: torch.Tensor, k: int,
               e: float) -> torch.Tensor:
        n = make_divisible(x.shape[1] * e)
        pw_conv, pw_bn = layer.pw[0], layer.pw[1]
        out = F.conv2d(x, pw_conv.weight[:n])
        out = layer.pw[2](_bn(pw_bn, out, n))
        dw_conv, dw_bn = layer.dw[0], layer.dw[1]
        out = F.conv2d(
            out,
            _center(dw_conv.weight[:n], k),
            stride=dw_conv.stride,
            padding=k // 2,
            groups=n)
        out = layer.dw[2](_bn(dw_bn, out, n))
        if layer.se is not None:
            se = layer.se
            h = make_divisible(n * se.ratio, 8)
            s = out.mean((2, 3), keepdim=True)
            s = se.act(F.conv2d(s, se.fc1.weight[:h, :n], se.fc1.bias[:h]))
            s = F.conv2d(s, se.fc2.weight[:n, :h], se.fc2.bias[:n])
            out = out * se.gate(s)
        out = F.conv2d(out, layer.pwl[0].weight[:, :n])
        out = _bn(layer.pwl[1], out, out.shape[1])
        return x + out if layer.use_res else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.active
        for layer in self.body.layers[:a['depth']]:
            x = self._layer(layer, x, a['kernel'], a['expand'])
        return self.body.adapter(x)

    @torch.no_grad()
    def export(self, kernel: int, expand: float, depth: int) -> MBConv:
        """A standalone :class:`MBConv` with this sub-block's weights."""
        self.set_active(kernel, expand, depth)
        block = MBConv(
            self.in_channels,
            self.out_channels,
            self.stride,
            kernel=kernel,
            expand=expand,
            depth=depth,
            se=self.se,
            act=self.act,
            width=self.width)
        for src, dst in zip(self.body.layers, block.layers):
            n = dst.dw[0].weight.shape[0]
            _copy_conv_bn(src.pw, dst.pw, rows=n)
            dst.dw[0].weight.copy_(_center(src.dw[0].weight[:n], kernel))
            _copy_bn(src.dw[1], dst.dw[1], n)
            if dst.se is not None:
                h = dst.se.fc1.weight.shape[0]
                dst.se.fc1.weight.copy_(src.se.fc1.weight[:h, :n])
                dst.se.fc1.bias.copy_(src.se.fc1.bias[:h])
                dst.se.fc2.weight.copy_(src.se.fc2.weight[:n, :h])
                dst.se.fc2.bias.copy_(src.se.fc2.bias[:n])
            dst.pwl[0].weight.copy_(src.pwl[0].weight[:, :n])
            _copy_bn(src.pwl[1], dst.pwl[1], dst.pwl[1].num_features)
        block.adapter.load_state_dict(self.body.adapter.state_dict())
        return block


def _copy_bn(src: nn.BatchNorm2d, dst: nn.BatchNorm2d, n: int) -> None:
    for name in ('weight', 'bias', 'running_mean', 'running_var'):
        getattr(dst, name).copy_(getattr(src, name)[:n])
    dst.num_batches_tracked.copy_(src.num_batches_tracked)


def _copy_conv_bn(src: nn.Sequential, dst: nn.Sequential, rows: int) -> None:
    dst[0].weight.copy_(src[0].weight[:rows])
    _copy_bn(src[1], dst[1], rows)
