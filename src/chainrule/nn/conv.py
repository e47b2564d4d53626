"""Convolution layers beyond Conv1d/Conv2d: Conv3d, the transposed convolutions, Fold, Unfold.

Weights are laid out as PyTorch's: ``(out, in / groups, *kernel)`` for a convolution,
``(in, out / groups, *kernel)`` for a transposed one, and both are initialised like
PyTorch's (kaiming-uniform with ``a = sqrt(5)``, bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))).

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> up = nn.ConvTranspose2d(8, 4, kernel_size=4, stride=2, padding=1)
>>> up
ConvTranspose2d(8, 4, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))
>>> up(cr.zeros(1, 8, 5, 5)).shape
(1, 4, 10, 10)
"""

from __future__ import annotations

from typing import Any

from ..devices import check_device
from ..tensor import Tensor
from . import functional as F
from .functional._checks import _desc, _pair, _tensor
from .functional.conv import _conv_transpose
from .layers import _ConvNd, _empty
from .module import Module

__all__ = ["Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Fold", "Unfold"]


class Conv3d(_ConvNd):
    """3-d convolution over (N, C, D, H, W) inputs; weight (out, in / groups, kd, kh, kw).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Conv3d(2, 4, 3, padding=1)(cr.zeros(1, 2, 4, 5, 6)).shape
    (1, 4, 4, 5, 6)
    """

    _dims = 3


class _ConvTransposeNd(_ConvNd):
    _padding_modes = ("zeros",)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        name = type(self).__name__
        check_device(device, name)
        if padding_mode not in self._padding_modes:
            raise ValueError(f"{name}: only padding_mode='zeros' is supported for transposed "
                             f"convolutions, got {padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got "
                             f"{padding!r}")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        d = self._dims
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size, d, "kernel_size", name)
        self.stride = _pair(stride, d, "stride", name)
        self.padding = _pair(padding, d, "padding", name)
        self.dilation = _pair(dilation, d, "dilation", name)
        self.output_padding = _pair(output_padding, d, "output_padding", name)
        self.transposed = True
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = _empty((in_channels, out_channels // groups) + self.kernel_size, dtype)
        if bias:
            self.bias = _empty((out_channels,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """The output_padding that gives ``output_size`` (PyTorch's rule), or the layer's."""
        if output_size is None:
            return self.output_padding
        d = self._dims
        who = type(self).__name__
        size = [int(s) for s in output_size]
        non_spatial = input.ndim - d
        if len(size) == non_spatial + d:
            size = size[non_spatial:]
        if len(size) != d:
            raise ValueError(f"{who}: output_size must have {d} or {non_spatial + d} elements "
                             f"(got {len(output_size)})")
        out = []
        for i in range(d):
            smallest = ((input.shape[non_spatial + i] - 1) * self.stride[i]
                        - 2 * self.padding[i] + self.dilation[i] * (self.kernel_size[i] - 1)
                        + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= size[i] <= largest:
                raise ValueError(
                    f"{who}: requested an output size of {tuple(size)}, but valid sizes for "
                    f"an input of {_desc(input)} range from {smallest} to {largest} in "
                    f"spatial dim {i}")
            out.append(size[i] - smallest)
        return tuple(out)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        input = _tensor(input, type(self).__name__)
        d = self._dims
        who = f"{type(self).__name__}({self.in_channels}, {self.out_channels})"
        if input.ndim not in (d + 1, d + 2) or input.shape[-d - 1] != self.in_channels:
            raise ValueError(
                f"{who}: expected input of shape (N, {self.in_channels}, "
                f"{('L', 'H, W', 'D, H, W')[d - 1]}), got {_desc(input)}")
        output_padding = self._output_padding(input, output_size)
        return _conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                               output_padding, self.groups, self.dilation, d, who)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution of (N, C, L) inputs; weight (in, out / groups, k).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ConvTranspose1d(3, 2, 3, stride=2)(cr.zeros(4, 3, 5)).shape
    (4, 2, 11)
    """

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution of (N, C, H, W) inputs; weight (in, out / groups, kh, kw).

    ``forward(input, output_size)`` picks the output_padding that gives that size.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    >>> m(cr.zeros(1, 3, 4, 4)).shape, m(cr.zeros(1, 3, 4, 4), output_size=(8, 8)).shape
    ((1, 2, 7, 7), (1, 2, 8, 8))
    """

    _dims = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution of (N, C, D, H, W) inputs; weight (in, out / groups, *k).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ConvTranspose3d(2, 2, 2, stride=2)(cr.zeros(1, 2, 2, 3, 3)).shape
    (1, 2, 4, 6, 6)
    """

    _dims = 3


class Fold(Module):
    """Sum sliding-window columns (N, C * prod(kernel_size), L) back into an image
    (N, C, *output_size): col2im, the inverse layout of :class:`Unfold`.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Fold(output_size=(4, 5), kernel_size=2)(cr.ones(1, 3 * 2 * 2, 12)).shape
    (1, 3, 4, 5)
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Every sliding window of an (N, C, H, W) image as a column: (N, C * kh * kw, L).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Unfold(kernel_size=(2, 3))(cr.zeros(2, 5, 3, 4)).shape
    (2, 30, 4)
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
