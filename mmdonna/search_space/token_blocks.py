"""Token student block families: options for cut points that take and
output one (N, L, C) token sequence (a ViT / DeiT encoder layer)."""
import torch
from mmengine.model import BaseModule
from torch import nn

from mmdonna.registry import MODELS
from .attention_block import _SelfAttention
from .utils import build_act


def _check_tokens(name: str, in_channels: int, out_channels: int,
                  stride: int) -> None:
    if in_channels != out_channels or stride != 1:
        raise ValueError(
            f'{name} keeps the token shape (L, C): it needs in_channels == '
            f'out_channels and stride 1, got in_channels={in_channels}, '
            f'out_channels={out_channels}, stride={stride}')


def _mlp(dim: int, mlp_ratio: float, act: str) -> nn.Module:
    hidden = max(1, int(round(dim * mlp_ratio)))
    return nn.Sequential(
        nn.Linear(dim, hidden), build_act(act), nn.Linear(hidden, dim))


def _tokens(name: str, x: torch.Tensor) -> None:
    if x.dim() != 3:
        raise ValueError(f'{name} takes one (N, L, C) token tensor, got a '
                         f'{x.dim()}-D tensor {tuple(x.shape)}')


@MODELS.register_module()
class TokenAttention(BaseModule):
    """A pre-norm transformer encoder layer over (N, L, C) tokens:
    ``x + MHSA(LN(x))``, then ``x + MLP(LN(x))``; L and C unchanged.

    Args:
        in_channels (int): C of the tokens the teacher block receives.
        out_channels (int): C it outputs (equal to ``in_channels``).
        stride (int): Must be 1 (a token block keeps L). Defaults to 1.
        num_heads (int): Attention heads; must divide C. Defaults to 2.
        mlp_ratio (float): MLP hidden width as a multiple of C.
            Defaults to 4.
        act (str): MLP activation. Defaults to 'GELU'.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 num_heads: int = 2,
                 mlp_ratio: float = 4,
                 act: str = 'GELU',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        _check_tokens('TokenAttention', in_channels, out_channels, stride)
        if num_heads < 1 or in_channels % num_heads:
            raise ValueError(
                f'TokenAttention num_heads={num_heads} must be >= 1 and '
                f'divide the channels C={in_channels}')
        if mlp_ratio <= 0:
            raise ValueError(f'TokenAttention mlp_ratio={mlp_ratio} must be '
                             f'> 0')
        self.norm1 = nn.LayerNorm(in_channels)
        self.attn = _SelfAttention(in_channels, num_heads)
        self.norm2 = nn.LayerNorm(in_channels)
        self.mlp = _mlp(in_channels, mlp_ratio, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _tokens('TokenAttention', x)
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@MODELS.register_module()
class TokenMLP(BaseModule):
    """The cheap token option: a pre-norm MLP on every token, no attention
    (no mixing across tokens): ``x + MLP(LN(x))``; L and C unchanged.

    Args:
        in_channels (int): C of the tokens the teacher block receives.
        out_channels (int): C it outputs (equal to ``in_channels``).
        stride (int): Must be 1 (a token block keeps L). Defaults to 1.
        mlp_ratio (float): MLP hidden width as a multiple of C.
            Defaults to 2.
        act (str): MLP activation. Defaults to 'GELU'.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 mlp_ratio: float = 2,
                 act: str = 'GELU',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        _check_tokens('TokenMLP', in_channels, out_channels, stride)
        if mlp_ratio <= 0:
            raise ValueError(f'TokenMLP mlp_ratio={mlp_ratio} must be > 0')
        self.norm = nn.LayerNorm(in_channels)
        self.mlp = _mlp(in_channels, mlp_ratio, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _tokens('TokenMLP', x)
        return x + self.mlp(self.norm(x))
