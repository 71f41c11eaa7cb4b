"""Light attention block family: Restormer's transposed (channel-wise)
attention, whose cost is linear in the number of pixels."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .restoration_utils import check_choices, conv, input_adapter
from .utils import make_divisible


def l2_normalize(x: torch.Tensor,
                 dim: int = -1,
                 eps: float = 1e-12) -> torch.Tensor:
    """``F.normalize(x, dim=dim)`` with products instead of powers: ONNX
    Runtime's ``Pow`` kernel is several times slower than ``Mul`` on large
    maps (measured: 100 ms vs ~5 ms for 2M elements on one CPU thread)."""
    return x * torch.rsqrt((x * x).sum(dim, keepdim=True).clamp_min(eps * eps))


class _LayerNorm2d(nn.Module):
    """LayerNorm over the channels of every pixel of an N x C x H x W map
    (written out so ONNX needs no transposes; no ``pow``, see
    :func:`l2_normalize`)."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = x - x.mean(1, keepdim=True)
        var = (d * d).mean(1, keepdim=True)
        return d * torch.rsqrt(var + self.eps) * self.weight + self.bias


class _TransposedAttention(nn.Module):
    """Restormer's MDTA: q, k, v from a 1x1 + 3x3 depthwise conv; attention
    between *channels* (a C/heads x C/heads map per head) of L2-normalised
    q and k with a learned temperature."""

    def __init__(self, channels: int, heads: int):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(1, heads, 1, 1))
        self.qkv = conv(channels, channels * 3, 1)
        self.qkv_dw = conv(channels * 3, channels * 3, 3, groups=channels * 3)
        self.proj = conv(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q, k, v = self.qkv_dw(self.qkv(x)).chunk(3, dim=1)
        q = l2_normalize(q.reshape(n, self.heads, c // self.heads, h * w))
        k = l2_normalize(k.reshape(n, self.heads, c // self.heads, h * w))
        v = v.reshape(n, self.heads, c // self.heads, h * w)
        attn = (q @ k.transpose(-2, -1) * self.temperature).softmax(-1)
        return self.proj((attn @ v).reshape(n, c, h, w))


class _GatedFeedForward(nn.Module):
    """Restormer's GDFN: 1x1 expand, 3x3 depthwise, GELU gate, 1x1."""

    def __init__(self, channels: int, expand: float):
        super().__init__()
        hidden = make_divisible(channels * expand)
        self.proj_in = conv(channels, hidden * 2, 1)
        self.dw = conv(hidden * 2, hidden * 2, 3, groups=hidden * 2)
        self.act = nn.GELU()
        self.proj_out = conv(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.dw(self.proj_in(x)).chunk(2, dim=1)
        return self.proj_out(self.act(x1) * x2)


class _MDTALayer(nn.Module):

    def __init__(self, channels: int, heads: int, ffn_expand: float):
        super().__init__()
        self.norm1 = _LayerNorm2d(channels)
        self.attn = _TransposedAttention(channels, heads)
        self.norm2 = _LayerNorm2d(channels)
        self.ffn = _GatedFeedForward(channels, ffn_expand)
        with torch.no_grad():  # start close to identity (see EDSRBlock)
            for proj in (self.attn.proj, self.ffn.proj_out):
                proj.weight.mul_(0.1)
                proj.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


@MODELS.register_module()
class MDTABlock(BaseModule):
    """Restormer transformer layers: multi-Dconv-head transposed attention
    (MDTA) plus the gated depthwise feed-forward (GDFN). Attention is
    computed across channels, so its cost grows linearly with H x W and it
    runs at full restoration resolution; every op exports to ONNX.

    Args:
        in_channels (int): Channels of the teacher block's input.
        out_channels (int): Channels of the teacher block's output.
        stride (int): Spatial reduction of the teacher block. Defaults to 1.
        heads (int): Attention heads; must divide ``out_channels``.
            Defaults to 1.
        ffn_expand (float): Hidden width of the feed-forward as a multiple
            of ``out_channels``. Defaults to 2.
        depth (int): Number of transformer layers. Defaults to 1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 heads: int = 1,
                 ffn_expand: float = 2,
                 depth: int = 1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        check_choices(
            'MDTABlock', heads=heads, ffn_expand=ffn_expand, depth=depth)
        if out_channels % heads:
            raise ValueError(f'MDTABlock heads={heads} must divide the '
                             f'block width {out_channels}; choose a divisor')
        self.adapter = input_adapter(in_channels, out_channels, stride)
        self.layers = nn.Sequential(*[
            _MDTALayer(out_channels, heads, ffn_expand) for _ in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.adapter(x))
