"""Attention student block family: a small ViT block over feature maps."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .utils import ConvBNAct, build_act, make_divisible


class _TransformerLayer(nn.Module):

    def __init__(self, dim: int, heads: int, mlp_ratio: float, act: str):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), build_act(act), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
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
