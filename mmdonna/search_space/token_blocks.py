"""Token student block families: options for cut points that take and
output one (N, L, C) token sequence (a ViT / DeiT encoder layer, a Swin
block called ``block(x, hw_shape)``)."""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
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


def _check_heads(name: str, num_heads: int, channels: int) -> None:
    if num_heads < 1 or channels % num_heads:
        raise ValueError(f'{name} num_heads={num_heads} must be >= 1 and '
                         f'divide the channels C={channels}')


def _check_mlp_ratio(name: str, mlp_ratio: float) -> None:
    if mlp_ratio <= 0:
        raise ValueError(f'{name} mlp_ratio={mlp_ratio} must be > 0')


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
        _check_heads('TokenAttention', num_heads, in_channels)
        _check_mlp_ratio('TokenAttention', mlp_ratio)
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
        _check_mlp_ratio('TokenMLP', mlp_ratio)
        self.norm = nn.LayerNorm(in_channels)
        self.mlp = _mlp(in_channels, mlp_ratio, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _tokens('TokenMLP', x)
        return x + self.mlp(self.norm(x))


def _grid(name: str, x: torch.Tensor,
          hw_shape: Optional[Sequence[int]]) -> Tuple[int, int, int]:
    """``(prefix, H, W)``: the tokens after the first ``prefix`` ones are an
    H x W grid, row by row. With ``hw_shape`` (a Swin block's second input)
    H x W must be L; without it (a ViT / DeiT layer) L must be a square, or
    a square after one cls token."""
    _tokens(name, x)
    length = x.shape[1]
    if hw_shape is not None:
        h, w = hw_shape
        if h * w != length:
            raise ValueError(
                f'{name} got hw_shape={tuple(hw_shape)} ({h * w} tokens) '
                f'for L={length} tokens; H x W must be L')
        return 0, h, w
    for prefix in (0, 1):
        side = math.isqrt(max(int(length) - prefix, 0))
        if side > 0 and side * side == length - prefix:
            return prefix, side, side
    raise ValueError(
        f'{name} needs the token grid: the block is called without '
        f'hw_shape and L={length} is not a square (after at most one cls '
        f'token); cut at a block called (x, hw_shape) or use TokenAttention')


def _mix_grid(x: torch.Tensor, prefix: int, mix) -> torch.Tensor:
    """``mix`` ((N, H*W, C) grid tokens -> same) on the grid tokens; the
    prefix (cls) tokens get a zero update."""
    if not prefix:
        return mix(x)
    grid = mix(x[:, prefix:])
    return torch.cat([torch.zeros_like(x[:, :prefix]), grid], 1)


@MODELS.register_module()
class TokenWindowAttention(BaseModule):
    """A Swin-style pre-norm layer over (N, L, C) tokens on an H x W grid:
    ``x + W-MSA(LN(x))`` (multi-head self-attention inside non-overlapping
    ``window_size`` x ``window_size`` windows), then ``x + MLP(LN(x))``;
    L and C unchanged.

    The grid comes from the block's second input ``hw_shape`` (a Swin
    block is called ``block(x, hw_shape)``); a block called with tokens
    only (a ViT / DeiT layer) must have a square grid after at most one
    cls token, which gets the MLP only. Like Swin, a grid whose sides are
    not multiples of the window is padded with zero tokens at the bottom
    and right (cropped after the attention), and a window larger than the
    grid shrinks to its shorter side. No shifted windows and no relative
    position bias (the teacher option keeps Swin's own block).

    Args:
        in_channels (int): C of the tokens the teacher block receives.
        out_channels (int): C it outputs (equal to ``in_channels``).
        stride (int): Must be 1 (a token block keeps L). Defaults to 1.
        num_heads (int): Attention heads; must divide C. Defaults to 2.
        window_size (int): Side of the attention windows. Defaults to 7.
        mlp_ratio (float): MLP hidden width as a multiple of C.
            Defaults to 4.
        act (str): MLP activation. Defaults to 'GELU'.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    #: it uses the block's extra input ``hw_shape`` (see
    #: :mod:`mmdonna.search_space.extra_inputs`)
    takes_extra_inputs = True

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 num_heads: int = 2,
                 window_size: int = 7,
                 mlp_ratio: float = 4,
                 act: str = 'GELU',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        name = 'TokenWindowAttention'
        _check_tokens(name, in_channels, out_channels, stride)
        _check_heads(name, num_heads, in_channels)
        if window_size < 1:
            raise ValueError(f'{name} window_size={window_size} must be '
                             f'>= 1')
        _check_mlp_ratio(name, mlp_ratio)
        self.window_size = window_size
        self.norm1 = nn.LayerNorm(in_channels)
        self.attn = _SelfAttention(in_channels, num_heads)
        self.norm2 = nn.LayerNorm(in_channels)
        self.mlp = _mlp(in_channels, mlp_ratio, act)

    def _windows(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        n, _, c = x.shape
        ws = min(self.window_size, h, w)
        grid = x.reshape(n, h, w, c)
        pad_b, pad_r = (ws - h % ws) % ws, (ws - w % ws) % ws
        grid = F.pad(grid, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = h + pad_b, w + pad_r
        win = grid.view(n, hp // ws, ws, wp // ws, ws, c)
        win = win.permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)
        win = self.attn(win).view(n, hp // ws, wp // ws, ws, ws, c)
        grid = win.permute(0, 1, 3, 2, 4, 5).reshape(n, hp, wp, c)
        return grid[:, :h, :w].reshape(n, h * w, c)

    def forward(self,
                x: torch.Tensor,
                hw_shape: Optional[Sequence[int]] = None) -> torch.Tensor:
        prefix, h, w = _grid('TokenWindowAttention', x, hw_shape)
        x = x + _mix_grid(
            self.norm1(x), prefix, lambda t: self._windows(t, h, w))
        return x + self.mlp(self.norm2(x))


@MODELS.register_module()
class TokenConvMixer(BaseModule):
    """The cheap spatial token mixer: the (N, L, C) tokens as an
    (N, C, H, W) map, ``x + DWConv_k(LN(x))`` (depthwise, ``kernel`` x
    ``kernel``, zero padding), back to tokens, then ``x + MLP(LN(x))``;
    L and C unchanged.

    The grid comes from ``hw_shape`` or a square L as in
    :class:`TokenWindowAttention` (a cls token gets the MLP only).

    Args:
        in_channels (int): C of the tokens the teacher block receives.
        out_channels (int): C it outputs (equal to ``in_channels``).
        stride (int): Must be 1 (a token block keeps L). Defaults to 1.
        kernel (int): Odd side of the depthwise kernel. Defaults to 3.
        mlp_ratio (float): MLP hidden width as a multiple of C.
            Defaults to 2.
        act (str): MLP activation. Defaults to 'GELU'.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    #: it uses the block's extra input ``hw_shape``
    takes_extra_inputs = True

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel: int = 3,
                 mlp_ratio: float = 2,
                 act: str = 'GELU',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        _check_tokens('TokenConvMixer', in_channels, out_channels, stride)
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f'TokenConvMixer kernel={kernel} must be odd '
                             f'and >= 1')
        _check_mlp_ratio('TokenConvMixer', mlp_ratio)
        self.norm1 = nn.LayerNorm(in_channels)
        self.conv = nn.Conv2d(
            in_channels,
            in_channels,
            kernel,
            padding=kernel // 2,
            groups=in_channels)
        self.norm2 = nn.LayerNorm(in_channels)
        self.mlp = _mlp(in_channels, mlp_ratio, act)

    def _conv(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        n, _, c = x.shape
        grid = x.transpose(1, 2).reshape(n, c, h, w)
        return self.conv(grid).flatten(2).transpose(1, 2)

    def forward(self,
                x: torch.Tensor,
                hw_shape: Optional[Sequence[int]] = None) -> torch.Tensor:
        prefix, h, w = _grid('TokenConvMixer', x, hw_shape)
        x = x + _mix_grid(self.norm1(x), prefix, lambda t: self._conv(t, h, w))
        return x + self.mlp(self.norm2(x))
