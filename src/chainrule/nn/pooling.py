"""Pooling layers beyond the 1-d and 2-d max/average ones: 3-d pooling, adaptive pooling,
power-average (LP) pooling and max-unpooling.

Each module holds its arguments as PyTorch's does and calls its
:mod:`chainrule.nn.functional` twin.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.AdaptiveAvgPool2d((1, 1))(cr.ones(2, 3, 7, 5)).shape
(2, 3, 1, 1)
>>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
>>> out, indices = pool(cr.arange(16.0).reshape(1, 1, 4, 4))
>>> unpool(out, indices).shape
(1, 1, 4, 4)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .functional._checks import _pair
from .layers import _AvgPoolNd, _MaxPoolNd
from .module import Module

__all__ = [
    "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d",
    "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "FractionalMaxPool2d",
    "FractionalMaxPool3d",
]


class MaxPool3d(_MaxPoolNd):
    """Max over (kd, kh, kw) windows of (N, C, D, H, W) inputs.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.MaxPool3d(2)(cr.zeros(1, 2, 4, 4, 6)).shape
    (1, 2, 2, 2, 3)
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool3d(_AvgPoolNd):
    """Mean over (kd, kh, kw) windows of (N, C, D, H, W) inputs.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AvgPool3d(2, stride=1)(cr.ones(1, 1, 3, 3, 3)).shape
    (1, 1, 2, 2, 2)
    """

    _pool = staticmethod(F.avg_pool3d)


# ---------------------------------------------------------------------------
# Adaptive pooling
# ---------------------------------------------------------------------------


class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean pooling of (N, C, L) into ``output_size`` windows, sized to fit any L.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AdaptiveAvgPool1d(3)(cr.ones(2, 4, 10)).shape
    (2, 4, 3)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean pooling of (N, C, H, W) into an ``output_size`` grid (``None`` keeps that dim).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AdaptiveAvgPool2d((2, None))(cr.ones(1, 3, 9, 5)).shape
    (1, 3, 2, 5)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Mean pooling of (N, C, D, H, W) into an ``output_size`` grid.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AdaptiveAvgPool3d(1)(cr.ones(1, 3, 4, 5, 6)).shape
    (1, 3, 1, 1, 1)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, L) into ``output_size`` windows.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AdaptiveMaxPool1d(2)(cr.tensor([[[1.0, 5.0, 2.0, 3.0]]]))
    tensor([[[5., 3.]]])
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, H, W) into an ``output_size`` grid.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AdaptiveMaxPool2d(2)(cr.ones(1, 3, 5, 7)).shape
    (1, 3, 2, 2)
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, D, H, W) into an ``output_size`` grid.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AdaptiveMaxPool3d((1, 2, 2))(cr.ones(1, 3, 4, 5, 6)).shape
    (1, 3, 1, 2, 2)
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


# ---------------------------------------------------------------------------
# Power-average pooling
# ---------------------------------------------------------------------------


class _LPPoolNd(Module):
    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """``(sum over the window of x^p)^(1/p)`` over windows of the last dim.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.LPPool1d(2, 2)(cr.tensor([[[3.0, 4.0]]]))
    tensor([[[5.]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """``(sum over the (kh, kw) window of x^p)^(1/p)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.LPPool2d(1, 2)(cr.ones(1, 1, 4, 4)).shape
    (1, 1, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """``(sum over the (kd, kh, kw) window of x^p)^(1/p)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.LPPool3d(2, 2)(cr.ones(1, 1, 2, 4, 4)).shape
    (1, 1, 1, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


# ---------------------------------------------------------------------------
# Max-unpooling
# ---------------------------------------------------------------------------


class _MaxUnpoolNd(Module):
    _dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name, d = type(self).__name__, self._dims
        self.kernel_size = _pair(kernel_size, d, "kernel_size", name)
        self.stride = _pair(stride if stride is not None else kernel_size, d, "stride", name)
        self.padding = _pair(padding, d, "padding", name)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Put each value back where :class:`MaxPool1d` found it (``indices``); zeros elsewhere.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.MaxUnpool1d(2)(cr.tensor([[[5.0]]]), cr.tensor([[[1]]]))
    tensor([[[0., 5.]]])
    """

    _dims = 1

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Put each value back where :class:`MaxPool2d` found it (``indices``); zeros elsewhere.

    >>> import chainrule.nn as nn
    >>> nn.MaxUnpool2d(2)
    MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    """

    _dims = 2

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """Put each value back where :class:`MaxPool3d` found it (``indices``); zeros elsewhere.

    >>> import chainrule.nn as nn
    >>> nn.MaxUnpool3d(2, stride=1).stride
    (1, 1, 1)
    """

    _dims = 3

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


# ---------------------------------------------------------------------------
# Fractional max pooling
# ---------------------------------------------------------------------------


def _tuple(v: Any, n: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _FractionalMaxPoolNd(Module):
    _dims = 2

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Tensor | None = None) -> None:
        super().__init__()
        name, d = type(self).__name__, self._dims
        self.kernel_size = _pair(kernel_size, d, "kernel_size", name)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, d) if output_size is not None else None
        self.output_ratio = _tuple(output_ratio, d) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be "
                             "specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"{name}: output_ratio must be between 0 and 1 (got "
                             f"{output_ratio})")

    def forward(self, input: Tensor) -> Any:
        fn = F.fractional_max_pool2d if self._dims == 2 else F.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Max pooling over windows at pseudo-random positions, to ``output_size`` or
    ``input size * output_ratio``; new positions each call unless ``_random_samples``
    (N, C, 2) fixes them.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))(cr.randn(2, 4, 10, 12)).shape
    (2, 4, 5, 6)
    """

    _dims = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, D, H, W) inputs; ``_random_samples`` is (N, C, 3).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.FractionalMaxPool3d(2, output_size=(2, 3, 3))(cr.randn(1, 2, 5, 6, 7)).shape
    (1, 2, 2, 3, 3)
    """

    _dims = 3
