"""Vision layers: PixelShuffle / PixelUnshuffle, Upsample (and its nearest and bilinear
2-d forms), ChannelShuffle.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.PixelShuffle(2)(cr.zeros(1, 8, 3, 3)).shape
(1, 2, 6, 6)
>>> nn.Upsample(scale_factor=2, mode="nearest")
Upsample(scale_factor=2.0, mode='nearest')
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "ChannelShuffle"]


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r): channels become sub-pixel positions.

    >>> import chainrule.nn as nn
    >>> nn.PixelShuffle(3)
    PixelShuffle(upscale_factor=3)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r^2, H, W): the inverse of :class:`PixelShuffle`.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.PixelUnshuffle(2)(cr.zeros(1, 2, 6, 6)).shape
    (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` with :func:`~chainrule.nn.functional.interpolate`
    (``mode``: nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Upsample(size=(4, 6), mode="bilinear")(cr.ones(1, 1, 2, 3)).shape
    (1, 1, 4, 6)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W) inputs.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.UpsamplingNearest2d(scale_factor=2)(cr.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) inputs with ``align_corners=True``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.UpsamplingBilinear2d(scale_factor=2)(cr.tensor([[[[1.0, 2.0]]]]))[0, 0, 0]
    tensor([1.    , 1.3333, 1.6667, 2.    ])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class ChannelShuffle(Module):
    """Split the channels into ``groups`` and interleave them: (N, g k, ...) viewed as
    (N, g, k, ...) and transposed to (N, k, g, ...).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ChannelShuffle(2)(cr.arange(4.0).reshape(1, 4, 1)).flatten().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
