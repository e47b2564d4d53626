"""Convolution functions, built from the sliding-window ops of :mod:`chainrule.ops.conv`."""

from __future__ import annotations

from typing import Any

from ...ops.conv import Pad, SlidingWindows
from ...tensor import Tensor
from ...tensor_methods.shape import cat
from ._checks import _desc, _pair, _same_dtype, _tensor

__all__ = ["conv2d", "conv1d"]


def _conv_padding(padding: Any, kernel: tuple, dilation: tuple, stride: tuple, who: str) -> tuple:
    """(before, after) per spatial dim, from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return tuple((0, 0) for _ in kernel)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{who}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in total)
        raise ValueError(f"{who}: padding must be an int, a tuple, 'valid' or 'same', got "
                         f"{padding!r}")
    return tuple((p, p) for p in _pair(padding, len(kernel), "padding", who))


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation of (N, C, H, W) with (O, C / groups, kh, kw) weights.

    im2col without a Python loop over pixels: the windows are a strided view, one
    copy lays them out as rows, and one fused ``linear`` multiplies them by the
    weights. Gradients of any order (the windows' VJP is col2im, and back).

    >>> import chainrule as cr
    >>> conv2d(cr.ones(1, 1, 4, 4), cr.ones(2, 1, 3, 3), padding=1).shape
    (1, 2, 4, 4)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d cross-correlation of (N, C, L) with (O, C / groups, k) weights.

    >>> import chainrule as cr
    >>> conv1d(cr.ones(2, 3, 10), cr.ones(4, 3, 3), stride=2).shape
    (2, 4, 4)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def _conv(input: Any, weight: Tensor, bias: Any, stride: Any, padding: Any, dilation: Any,
          groups: int, dims: int, who: str) -> Tensor:
    input = _tensor(input, who)
    if input.ndim == dims + 1:  # unbatched (C, ...), as PyTorch allows
        return _conv(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups, dims,
                     who).squeeze(0)
    if input.ndim != dims + 2:
        raise ValueError(f"{who}: expected a {dims + 2}-d input (N, C, "
                         f"{'H, W' if dims == 2 else 'L'}) or an unbatched {dims + 1}-d one, "
                         f"got {_desc(input)}")
    if weight.ndim != dims + 2:
        raise ValueError(f"{who}: expected a {dims + 2}-d weight, got {_desc(weight)}")
    out_ch, in_per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if groups < 1 or input.shape[1] != in_per_group * groups or out_ch % groups:
        raise ValueError(
            f"{who}: expected input with {in_per_group * groups} channels (weight of shape "
            f"{tuple(weight.shape)}, groups={groups}), got {_desc(input)}"
        )
    _same_dtype(input, weight, who)
    stride = _pair(stride, dims, "stride", who)
    dilation = _pair(dilation, dims, "dilation", who)
    pads = _conv_padding(padding, kernel, dilation, stride, who)
    if dims == 1:  # a 1-d convolution is a 2-d one with a height of 1
        input = input.unsqueeze(2)
        weight = weight.unsqueeze(2)
        kernel, stride, dilation, pads = (1,) + kernel, (1,) + stride, (1,) + dilation, \
            ((0, 0),) + pads
    sizes = [n + b + a for n, (b, a) in zip(input.shape[2:], pads)]
    if any(n < d * (k - 1) + 1 for n, k, d in zip(sizes, kernel, dilation)):
        raise ValueError(
            f"{who}: the padded input of spatial size {tuple(sizes[-dims:])} is smaller than "
            f"the (dilated) kernel {kernel[-dims:]}; use a smaller kernel or more padding"
        )
    if any(p != (0, 0) for p in pads):
        input = Pad.apply(input, pad=((0, 0), (0, 0)) + pads, value=0.0)
    if groups == 1:
        out = _conv_one_group(input, weight, bias, kernel, stride, dilation)
    else:

        xs = input.chunk(groups, 1)
        ws = weight.chunk(groups, 0)
        bs = bias.chunk(groups, 0) if bias is not None else [None] * groups
        out = cat([_conv_one_group(x, w, b, kernel, stride, dilation)
                   for x, w, b in zip(xs, ws, bs)], dim=1)
    return out.squeeze(2) if dims == 1 else out


def _conv_one_group(x: Tensor, w: Tensor, b: Any, kernel: tuple, stride: tuple,
                    dilation: tuple) -> Tensor:
    n, c = x.shape[:2]
    out_ch = w.shape[0]
    windows = SlidingWindows.apply(x, window=kernel, stride=stride, dilation=dilation)
    ho, wo = windows.shape[2:4]
    # (N, C, Ho, Wo, kh, kw) -> columns (C * kh * kw, N * Ho * Wo): the one im2col copy.
    # This layout copies whole rows of pixels (2-4x faster than one row per pixel), and
    # the result comes out channel-major, which the next convolution reads as fast.
    cols = windows.permute(1, 4, 5, 0, 2, 3).reshape(c * kernel[0] * kernel[1], n * ho * wo)
    out = w.reshape(out_ch, -1) @ cols
    if b is not None:
        out = out + b.reshape(out_ch, 1)
    return out.reshape(out_ch, n, ho, wo).permute(1, 0, 2, 3)
