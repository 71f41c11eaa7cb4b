"""UpsampleBlock: any option family at the input resolution, then an
upsampler, for a cut point whose output is larger than its input."""
import torch
from mmengine.model import BaseModule
from torch import nn

#: Values of an option's ``upsample`` key, the first the default: a
#: sub-pixel convolution as in EDSR's and ESPCN's upsamplers (the option
#: outputs ``out_channels * s**2`` channels, ``nn.PixelShuffle(s)``
#: rearranges them), or an interpolation of the option's ``out_channels``
#: (``nn.Upsample``; no weights, fewer FLOPs in the option).
UPSAMPLE_MODES = ('pixel_shuffle', 'nearest', 'bilinear')


def upsample_channels(out_channels: int, scale: int, mode: str) -> int:
    """Channels the wrapped option must output for ``mode``."""
    return out_channels * scale**2 if mode == 'pixel_shuffle' else out_channels


class UpsampleBlock(BaseModule):
    """``upsample(body(x))``: the option ``body`` built with stride 1 at the
    block's input resolution, then an upsampler by ``scale``.

    The upsampler has no weights, so the state dict is the body's under
    ``body.`` wherever the block is built (supernet, LUT, library,
    ``DonnaBackbone``).

    Args:
        body (nn.Module): The option module (stride 1; it outputs
            :func:`upsample_channels` channels).
        scale (int): Integer upsampling factor in H and W (at least 2).
        mode (str): One of :data:`UPSAMPLE_MODES`.
            Defaults to 'pixel_shuffle'.
    """

    def __init__(self,
                 body: nn.Module,
                 scale: int,
                 mode: str = 'pixel_shuffle'):
        super().__init__()
        if mode not in UPSAMPLE_MODES:
            raise ValueError(f'upsample={mode!r}: use one of {UPSAMPLE_MODES}')
        self.body = body
        self.scale, self.mode = int(scale), mode
        if mode == 'pixel_shuffle':
            self.upsample = nn.PixelShuffle(self.scale)
        else:
            self.upsample = nn.Upsample(
                scale_factor=self.scale,
                mode=mode,
                align_corners=False if mode == 'bilinear' else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.body(x))

    def extra_repr(self) -> str:
        return f'scale={self.scale}, mode={self.mode!r}'
