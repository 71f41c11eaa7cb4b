"""Helpers of the restoration block families: convolutions without
normalisation (EDSR showed BatchNorm hurts restoration) and the input adapter
that maps a block input to the teacher block's width and resolution."""
from torch import nn


def conv(in_channels: int,
         out_channels: int,
         kernel: int = 3,
         stride: int = 1,
         groups: int = 1) -> nn.Conv2d:
    """Same-padded ``kernel`` x ``kernel`` conv with bias and no norm."""
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel,
        stride,
        kernel // 2,
        groups=groups,
        bias=True)


def input_adapter(in_channels: int, out_channels: int,
                  stride: int) -> nn.Module:
    """Identity when the block keeps width and resolution (what restoration
    bodies do); otherwise a conv to ``out_channels`` (3x3 with ``stride`` when
    it downsamples, 1x1 when only the width differs)."""
    if in_channels == out_channels and stride == 1:
        return nn.Identity()
    return conv(in_channels, out_channels, 3 if stride > 1 else 1, stride)


def check_choices(family: str, **values) -> None:
    """One-line error for kernels that are not odd and positive, and for
    non-positive depth/width/expand/heads/reduction values."""
    bad = {
        k: v
        for k, v in values.items()
        if (k == 'kernel' and (v < 1 or v % 2 == 0)) or v <= 0 or (
            k == 'depth' and int(v) != v)
    }
    if bad:
        raise ValueError(
            f'{family} got invalid choices '
            f'{", ".join(f"{k}={v}" for k, v in bad.items())}: kernels must '
            f'be odd, depth a positive integer, the others positive')
