"""Small shared helpers for block families."""
import torch
from torch import nn

ACTIVATIONS = {
    'ReLU': nn.ReLU,
    'ReLU6': nn.ReLU6,
    'HSwish': nn.Hardswish,
    'Swish': nn.SiLU,
    'GELU': nn.GELU,
}


def build_act(name: str) -> nn.Module:
    """Activation by name; unknown names list the valid ones."""
    if name not in ACTIVATIONS:
        raise ValueError(f'unknown activation act={name!r}; choose one of '
                         f'{sorted(ACTIVATIONS)}')
    return ACTIVATIONS[name]()


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round ``value`` to the nearest multiple of ``divisor`` (at least one
    divisor, never more than 10% below ``value``), as MobileNet does."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


class ConvBNAct(nn.Sequential):
    """Conv2d + BatchNorm2d (+ activation)."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 1,
                 stride: int = 1,
                 groups: int = 1,
                 act: str = None):
        layers = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                kernel_size // 2,
                groups=groups,
                bias=False),
            nn.BatchNorm2d(out_channels)
        ]
        if act is not None:
            layers.append(build_act(act))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation with a hard-sigmoid gate (ONNX friendly)."""

    def __init__(self, channels: int, ratio: float = 0.25):
        super().__init__()
        self.ratio = ratio
        hidden = make_divisible(channels * ratio, 8)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.fc2(self.act(self.fc1(s))))


def shape_adapter(in_channels: int, out_channels: int,
                  stride: int) -> nn.Module:
    """1x1 (strided) conv + BN that maps a shortcut or a body output to the
    teacher's channel count and resolution; identity when nothing differs."""
    if in_channels == out_channels and stride == 1:
        return nn.Identity()
    return ConvBNAct(in_channels, out_channels, 1, stride)
