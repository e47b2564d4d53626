"""Pooling functions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ops.arrays import sliding_windows
from ...ops.conv import AvgPool2d, MaxPool2d, Pad
from ...tensor import Tensor
from ._checks import _desc, _pair, _tensor

__all__ = ["max_pool2d", "max_pool1d", "avg_pool2d", "avg_pool1d"]


def _pool_args(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool, dims: int, who: str) -> tuple:
    """Check the arguments of a pooling call; return the input as (..., H, W) with the
    window parameters as pairs and ``pads``, one (before, after) pair per spatial dim
    (``after`` includes the overhang of the last window with ``ceil_mode``)."""
    input = _tensor(input, who)
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{who}: expected a {dims + 1}-d or {dims + 2}-d input, got "
                         f"{_desc(input)}")
    kernel = _pair(kernel_size, dims, "kernel_size", who)
    stride = kernel if stride is None or stride == [] or stride == () else \
        _pair(stride, dims, "stride", who)
    padding = _pair(padding, dims, "padding", who)
    dilation = _pair(dilation, dims, "dilation", who)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{who}: padding {padding} should be at most half of the kernel "
                         f"size {kernel}")
    pads = []
    for n, k, st, p, d in zip(input.shape[-dims:], kernel, stride, padding, dilation):
        room = n + 2 * p - (d * (k - 1) + 1)
        if room < 0:
            raise ValueError(f"{who}: input of {_desc(input)} is too small for kernel_size "
                             f"{kernel} with padding {padding} and dilation {dilation}")
        out = room // st + 1
        if ceil_mode:  # PyTorch's rule: the last window must start inside input or padding
            out = -(-room // st) + 1
            if (out - 1) * st >= n + p:
                out -= 1
        # floor mode can leave rows unused at the end (negative overhang): never crop
        pads.append((p, p + max((out - 1) * st - room, 0)))
    if dims == 1:
        input = input.unsqueeze(-2)
        kernel, stride, dilation = (1,) + kernel, (1,) + stride, (1,) + dilation
        pads = [(0, 0)] + pads
    return input, kernel, stride, tuple(pads), dilation


def _pad_last2(input: Tensor, pads: tuple, value: float) -> Tensor:
    if not any(b or a for b, a in pads):
        return input
    pairs = ((0, 0),) * (input.ndim - 2) + tuple(pads)
    return Pad.apply(input, pad=pairs, value=value)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Max over windows; the gradient goes to the first maximum of each window.

    >>> import chainrule as cr
    >>> max_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    >>> max_pool2d(cr.arange(9.0).reshape(1, 1, 3, 3), 2, ceil_mode=True).tolist()
    [[[[4.0, 5.0], [7.0, 8.0]]]]
    """
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    x, kernel, stride, pads, dilation = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d")
    x = _pad_last2(x, pads, -np.inf)
    return _max_pool(x, kernel, stride, dilation)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Max over windows of the last dim of (N, C, L) or (C, L).

    >>> import chainrule as cr
    >>> max_pool1d(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[3.0, 2.0]]]
    """
    if return_indices:
        raise NotImplementedError("max_pool1d: return_indices=True is not supported")
    x, kernel, stride, pads, dilation = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d")
    x = _pad_last2(x, pads, -np.inf)
    return _max_pool(x, kernel, stride, dilation).squeeze(-2)


def _max_pool(x: Tensor, kernel: tuple, stride: tuple, dilation: tuple) -> Tensor:
    return MaxPool2d.apply(x, window=kernel, stride=stride, dilation=dilation)


def _avg_pool(x: Tensor, kernel: tuple, stride: tuple, pads: tuple,
              count_include_pad: bool, divisor_override: Any) -> Tensor:
    padded = _pad_last2(x, pads, 0.0)
    area = kernel[0] * kernel[1]
    scale = 1.0 / divisor_override if divisor_override else 1.0 / area
    out = AvgPool2d.apply(padded, window=kernel, stride=stride, scale=scale)
    overhang = any(b != a for b, a in pads)
    if divisor_override or (count_include_pad and not overhang) or \
            not any(b or a for b, a in pads):
        return out
    # divide each window by what it covers instead: the input and (with
    # count_include_pad) the padding, never the overhang of a ceil_mode window
    real = np.ones(x.shape[-2:], dtype=x.dtype)
    if count_include_pad:
        covered = np.pad(real, [(b, b) for b, _ in pads], constant_values=1)
        covered = np.pad(covered, [(0, a - b) for b, a in pads])
    else:
        covered = np.pad(real, pads)
    counts = sliding_windows(covered, kernel, stride, (1, 1)).sum((-2, -1))
    return out * (area / counts).astype(x.dtype)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows (zero padding counted unless ``count_include_pad=False``).

    >>> import chainrule as cr
    >>> avg_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x, kernel, stride, pads, _ = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, 2, "avg_pool2d")
    return _avg_pool(x, kernel, stride, pads, count_include_pad, divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of the last dim of (N, C, L) or (C, L).

    >>> import chainrule as cr
    >>> avg_pool1d(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    x, kernel, stride, pads, _ = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, 1, "avg_pool1d")
    return _avg_pool(x, kernel, stride, pads, count_include_pad, None).squeeze(-2)
