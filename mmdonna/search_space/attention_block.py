"""Attention student block family: a small ViT block over feature maps."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .utils import ConvBNAct, build_act, make_divisible


class _SelfAttention(nn.Module):
    """Multi-head self-attention from plain ops (exports to any ONNX opset;
    ``nn.MultiheadAttention``'s inference fast path does not export)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads)**-0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        attn = (q @ k.transpose(-2, -1) * self.scale).softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(n, t, c))


class _TransformerLayer(nn.Module):

    def __init__(self, dim: int, heads: int, mlp_ratio: float, act: str):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), build_act(act), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm1(x)
        x = x + self.attn(y)
        return x + self.mlp(self.norm2(x))


@MODELS.register_module()
class AttentionBlock(BaseModule):
    """Conv stem (stride/channels) + multi-head self-attention layers over the
    H*W tokens of the feature map + 1x1 projection to the teacher's width.

    Args:
        in_channels (int): Channels of the teacher block's input.
        out_channels (int): Channels of the teacher block's output.
        stride (int): Spatial reduction of the teacher block. Defaults to 1.
        heads (int): Attention heads. Defaults to 2.
        depth (int): Transformer layers. Defaults to 1.
        mlp_ratio (float): MLP hidden ratio. Defaults to 2.
        act (str): MLP activation. Defaults to 'GELU'.
        width (float): Token width as a multiple of ``out_channels`` (rounded
            to a multiple of ``8 * heads``). Defaults to 1.0.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 heads: int = 2,
                 depth: int = 1,
                 mlp_ratio: float = 2,
                 act: str = 'GELU',
                 width: float = 1.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if depth < 1 or heads < 1:
            raise ValueError(f'AttentionBlock needs depth>=1 and heads>=1; '
                             f'got depth={depth}, heads={heads}')
        dim = make_divisible(out_channels * width, 8 * heads)
        self.stem = ConvBNAct(
            in_channels, dim, 3 if stride > 1 else 1, stride, act='ReLU')
        self.layers = nn.Sequential(*[
            _TransformerLayer(dim, heads, mlp_ratio, act) for _ in range(depth)
        ])
        self.proj = ConvBNAct(dim, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        n, c, h, w = x.shape
        t = self.layers(x.flatten(2).transpose(1, 2))
        return self.proj(t.transpose(1, 2).reshape(n, c, h, w))
