"""Pooling functions: max, average, power-average and adaptive pooling over 1, 2 or 3
spatial dims, and max unpooling.

Max and average pooling are the window ops of :mod:`chainrule.ops.conv`. A max
pooling window's winner is PyTorch's (the first maximum, or the last NaN, never the
padding): its gradient goes there, and ``return_indices=True`` reports it as a flat
index into the spatial dims. Adaptive average pooling averages separably, one
spatial dim at a time (a reshape and a mean where the windows tile the dim, a product
with an averaging matrix where they overlap); adaptive max pooling finds the winners
on the arrays and gathers the values there. Everything here has gradients of any
order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...creation import default_generator
from ...ops.arrays import sliding_windows
from ...ops.conv import AvgPool, MaxPool, MaxUnpool, Pad, TakePoints, max_pool_winners
from ...tensor import Tensor, _constant
from ._checks import _check_float, _desc, _pair, _tensor

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "lp_pool1d", "lp_pool2d", "lp_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_avg_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "fractional_max_pool2d", "fractional_max_pool3d"]


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------

def _check_rank(input: Tensor, dims: int, who: str) -> None:
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{who}: expected a {dims + 1}-d or {dims + 2}-d input, got "
                         f"{_desc(input)}")
    if 0 in input.shape[-(dims + 1):]:
        raise ValueError(f"{who}: expected non-empty channel and spatial dims, got "
                         f"{_desc(input)}")


def _pool_args(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool, dims: int, who: str) -> tuple:
    """Check the arguments of a pooling call; return the input with the window parameters
    as tuples and ``pads``, one (before, after) pair per spatial dim (``after`` includes
    the overhang of the last window with ``ceil_mode``)."""
    input = _tensor(input, who)
    _check_rank(input, dims, who)
    kernel = _pair(kernel_size, dims, "kernel_size", who)
    stride = kernel if stride is None or stride == [] or stride == () else \
        _pair(stride, dims, "stride", who)
    padding = _pair(padding, dims, "padding", who)
    dilation = _pair(dilation, dims, "dilation", who)
    for name, values in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v < 1 for v in values):
            raise ValueError(f"{who}: {name} must be positive, got {values}")
    if any(p < 0 for p in padding):
        raise ValueError(f"{who}: padding must be non-negative, got {padding}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{who}: padding {padding} should be at most half of the kernel "
                         f"size {kernel}")
    pads = []
    for n, k, st, p, d in zip(input.shape[-dims:], kernel, stride, padding, dilation):
        room = n + 2 * p - (d * (k - 1) + 1)
        out = room // st + 1
        if ceil_mode:  # PyTorch's rule: the last window must start inside input or padding
            out = -(-room // st) + 1
            if (out - 1) * st >= n + p:
                out -= 1
        if out < 1:
            raise ValueError(f"{who}: input of {_desc(input)} is too small for kernel_size "
                             f"{kernel} with padding {padding} and dilation {dilation}")
        # floor mode can leave rows unused at the end (negative overhang): never crop
        pads.append((p, p + max((out - 1) * st - room, 0)))
    return input, kernel, stride, tuple(pads), dilation


def _pad_last(input: Tensor, pads: tuple, value: float) -> Tensor:
    if not any(b or a for b, a in pads):
        return input
    pairs = ((0, 0),) * (input.ndim - len(pads)) + tuple(pads)
    return Pad.apply(input, pad=pairs, value=value)


def _gather_flat(x: Tensor, indices: np.ndarray, dims: int) -> Tensor:
    """``x``'s values at ``indices``, flat indices into its last ``dims`` dims."""
    lead = tuple(x.shape[:x.ndim - dims])
    flat = x.reshape(lead + (-1,))
    picked = TakePoints.apply(flat, index=indices.reshape(lead + (-1,)))
    return picked.reshape(indices.shape)


def _winners(windows: np.ndarray) -> np.ndarray:
    """Position of each window's winner along the last axis, by PyTorch's rule: the
    first maximum, or the last NaN of a window holding NaNs."""
    first = (windows == windows.max(-1, keepdims=True)).argmax(-1)
    if windows.dtype.kind == "f":
        nans = np.isnan(windows)
        if nans.any():
            last_nan = windows.shape[-1] - 1 - nans[..., ::-1].argmax(-1)
            first = np.where(nans.any(-1), last_nan, first)
    return first


# ---------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------

def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of the last dim of (N, C, L) or (C, L); with ``return_indices``
    also the index of each maximum in L.

    >>> import chainrule as cr
    >>> max_pool1d(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[3.0, 2.0]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of (N, C, H, W) or (C, H, W); the gradient goes to the first
    maximum of each window. With ``return_indices``, also each maximum's flat index
    into H * W (what ``max_unpool2d`` takes).

    >>> import chainrule as cr
    >>> max_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    >>> max_pool2d(cr.arange(9.0).reshape(1, 1, 3, 3), 2, ceil_mode=True).tolist()
    [[[[4.0, 5.0], [7.0, 8.0]]]]
    >>> max_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)[1].tolist()
    [[[[5, 7], [13, 15]]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of (N, C, D, H, W) or (C, D, H, W); indices are flat into D * H * W.

    >>> import chainrule as cr
    >>> max_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), 2).tolist()
    [[[[7.0]]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     3, "max_pool3d")


def _max_pool(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, return_indices: bool, dims: int, who: str) -> Any:
    x, kernel, stride, pads, dilation = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, dims, who)
    if x.dtype == np.bool_:
        raise NotImplementedError(f"{who}: not implemented for bool input ({_desc(x)}); "
                                  "convert it with .float() or .int()")
    values = MaxPool.apply(x, window=kernel, stride=stride, dilation=dilation, padding=pads)
    if not return_indices:
        return values
    winner = max_pool_winners(x._array, values._array, kernel, stride, dilation, pads)
    offsets = np.unravel_index(winner, kernel)
    spatial = x.shape[x.ndim - dims:]
    coords = []
    for i in range(dims):  # the input coordinate along dim i of each window's winner
        place = np.arange(values.shape[x.ndim - dims + i]).reshape((-1,) + (1,) * (dims - 1 - i))
        coords.append(place * stride[i] + offsets[i] * dilation[i] - pads[i][0])
    return values, _constant(np.ravel_multi_index(tuple(coords), spatial).astype(np.int64))


# ---------------------------------------------------------------------------
# Average pooling
# ---------------------------------------------------------------------------

def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of the last dim of (N, C, L) or (C, L).

    >>> import chainrule as cr
    >>> avg_pool1d(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     1, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows (zero padding counted unless ``count_include_pad=False``; the
    overhang of a ``ceil_mode`` window never counted; a sum over ``divisor_override``
    when given).

    >>> import chainrule as cr
    >>> avg_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W).

    >>> import chainrule as cr
    >>> avg_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), 2).tolist()
    [[[[3.5]]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


def _avg_pool(input: Any, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: Any, dims: int, who: str) -> Tensor:
    x, kernel, stride, pads, _ = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, dims, who)
    _check_float(x, who)
    if dims == 3 and any(n < k for n, k in zip(x.shape[-3:], kernel)):
        raise ValueError(f"{who}: input of {_desc(x)} is smaller than kernel size {kernel}")
    if divisor_override is not None and int(divisor_override) == 0:
        raise ValueError(f"{who}: divisor_override must not be zero")
    padded = _pad_last(x, pads, 0.0)
    area = math.prod(kernel)
    scale = 1.0 / (divisor_override or area)
    out = AvgPool.apply(padded, window=kernel, stride=stride, scale=scale)
    overhang = any(b != a for b, a in pads)
    if divisor_override or (count_include_pad and not overhang) or \
            not any(b or a for b, a in pads):
        return out
    # divide each window by what it covers instead: the input and (with
    # count_include_pad) the padding, never the overhang of a ceil_mode window
    real = np.ones(x.shape[-dims:], dtype=x.dtype)
    if count_include_pad:
        covered = np.pad(real, [(b, b) for b, _ in pads], constant_values=1)
        covered = np.pad(covered, [(0, a - b) for b, a in pads])
    else:
        covered = np.pad(real, pads)
    counts = sliding_windows(covered, kernel, stride, (1,) * dims).sum(tuple(range(-dims, 0)))
    return out * (area / counts).astype(x.dtype)


# ---------------------------------------------------------------------------
# Power-average pooling
# ---------------------------------------------------------------------------

def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """(sum over each window of x ** p) ** (1 / p), p = ``norm_type`` (inf: max of |x|).

    >>> import chainrule as cr
    >>> lp_pool1d(cr.tensor([[[3.0, 4.0, 1.0, 0.0]]]), 2, 2).tolist()
    [[[5.0, 1.0]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window of (N, C, H, W) or (C, H, W), as PyTorch computes it.

    >>> import chainrule as cr
    >>> lp_pool2d(cr.ones(1, 1, 2, 4), 1, 2).tolist()
    [[[[4.0, 4.0]]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """The p-norm of each window of (N, C, D, H, W) or (C, D, H, W).

    >>> import chainrule as cr
    >>> lp_pool3d(cr.ones(1, 2, 2, 2), 2, 2).tolist()
    [[[[2.8284270763397217]]]]
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")


def _lp_pool(input: Any, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool,
             dims: int, who: str) -> Tensor:
    input = _tensor(input, who)
    kernel = _pair(kernel_size, dims, "kernel_size", who)
    max_pool = (max_pool1d, max_pool2d, max_pool3d)[dims - 1]
    avg_pool = (avg_pool1d, avg_pool2d, avg_pool3d)[dims - 1]
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu() * math.prod(kernel)).pow(1.0 / norm_type)


# ---------------------------------------------------------------------------
# Adaptive pooling
# ---------------------------------------------------------------------------

def _adaptive_sizes(input: Any, output_size: Any, dims: int, who: str) -> tuple:
    input = _tensor(input, who)
    _check_rank(input, dims, who)
    spatial = tuple(input.shape[-dims:])
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * dims
    output_size = tuple(output_size)
    if len(output_size) != dims:
        raise ValueError(f"{who}: output_size must be an int or {dims} ints (or None), got "
                         f"{output_size}")
    sizes = tuple(n if o is None else int(o) for n, o in zip(spatial, output_size))
    if any(o < 0 for o in sizes):
        raise ValueError(f"{who}: output_size must be non-negative, got {sizes}")
    return input, spatial, sizes


def _bounds(n: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows of a dim of ``n`` into ``o``: window i is
    [floor(i n / o), ceil((i + 1) n / o))."""
    i = np.arange(o)
    return (i * n) // o, ((i + 1) * n + o - 1) // o


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Means over ``output_size`` windows that cover the last dim of (N, C, L) or (C, L).

    >>> import chainrule as cr
    >>> adaptive_avg_pool1d(cr.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), 2).tolist()
    [[2.0, 4.0]]
    """
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Means over windows of (N, C, H, W) or (C, H, W) that give ``output_size`` (an int, a
    pair, None in a pair keeps that dim); ``output_size=1`` is global average pooling.

    >>> import chainrule as cr
    >>> adaptive_avg_pool2d(cr.arange(16.0).reshape(1, 4, 4), 1).tolist()
    [[[7.5]]]
    """
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Means over windows of (N, C, D, H, W) or (C, D, H, W) that give ``output_size``.

    >>> import chainrule as cr
    >>> adaptive_avg_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), (1, None, 1)).tolist()
    [[[[2.5], [4.5]]]]
    """
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_avg(input: Any, output_size: Any, dims: int, who: str) -> Tensor:
    x, spatial, sizes = _adaptive_sizes(input, output_size, dims, who)
    _check_float(x, who)
    for i, (n, o) in enumerate(zip(spatial, sizes)):
        axis = x.ndim - dims + i
        shape = tuple(x.shape)
        if n == o:
            continue
        if o and n % o == 0:  # windows tile the dim: a reshape and a mean
            x = x.reshape(shape[:axis] + (o, n // o) + shape[axis + 1:]).mean(dim=axis + 1)
            continue
        starts, ends = _bounds(n, o)
        weights = np.zeros((o, n), dtype=x.dtype)
        for row, (s, e) in enumerate(zip(starts, ends)):
            weights[row, s:e] = 1.0 / (e - s)
        if axis == x.ndim - 1:
            x = x @ weights.T
        else:
            rest = math.prod(shape[axis + 1:])
            x = (weights @ x.reshape(shape[:axis] + (n, rest))).reshape(
                shape[:axis] + (o,) + shape[axis + 1:])
    return x


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maxima over ``output_size`` windows that cover the last dim of (N, C, L) or (C, L).

    >>> import chainrule as cr
    >>> adaptive_max_pool1d(cr.tensor([[1.0, 5.0, 3.0, 4.0, 2.0]]), 2).tolist()
    [[5.0, 4.0]]
    """
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maxima over windows of (N, C, H, W) or (C, H, W) that give ``output_size``; with
    ``return_indices`` also each maximum's flat index into H * W.

    >>> import chainrule as cr
    >>> adaptive_max_pool2d(cr.arange(9.0).reshape(1, 3, 3), 2, return_indices=True)[1].tolist()
    [[[4, 5], [7, 8]]]
    """
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maxima over windows of (N, C, D, H, W) or (C, D, H, W) that give ``output_size``.

    >>> import chainrule as cr
    >>> adaptive_max_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), 1).tolist()
    [[[[7.0]]]]
    """
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def _adaptive_max(input: Any, output_size: Any, return_indices: bool, dims: int,
                  who: str) -> Any:
    x, spatial, sizes = _adaptive_sizes(input, output_size, dims, who)
    _check_float(x, who)
    if all(o and n % o == 0 for n, o in zip(spatial, sizes)):  # the windows tile the input
        kernel = tuple(n // o for n, o in zip(spatial, sizes))
        return _max_pool(x, kernel, kernel, 0, 1, False, return_indices, dims, who)
    grids = []  # per dim, (o, kmax) input positions of each window (its last one repeated)
    for n, o in zip(spatial, sizes):
        starts, ends = _bounds(n, o)
        width = int((ends - starts).max()) if o else 1
        grids.append(np.minimum(starts[:, None] + np.arange(width), ends[:, None] - 1))
    index = []
    for i, grid in enumerate(grids):
        shape = [1] * (2 * dims)
        shape[i], shape[dims + i] = grid.shape
        index.append(grid.reshape(shape))
    windows = x._array[(Ellipsis,) + tuple(index)]  # (..., *out, *window)
    lead = tuple(x.shape[:x.ndim - dims])
    widths = tuple(g.shape[1] for g in grids)
    winner = _winners(windows.reshape(lead + sizes + (math.prod(widths),)))
    offsets = np.unravel_index(winner, widths)
    coords = []
    for i, grid in enumerate(grids):
        place = np.arange(sizes[i]).reshape((-1,) + (1,) * (dims - 1 - i))
        coords.append(grid[place, offsets[i]])
    indices = np.ravel_multi_index(tuple(coords), spatial).astype(np.int64)
    values = _gather_flat(x, indices, dims)
    return (values, _constant(indices)) if return_indices else values


# ---------------------------------------------------------------------------
# Max unpooling
# ---------------------------------------------------------------------------

def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Put each value back at the index ``max_pool1d(..., return_indices=True)`` gave it,
    zeros elsewhere.

    >>> import chainrule as cr
    >>> x = cr.tensor([[[1.0, 3.0, 2.0, 0.0]]])
    >>> max_unpool1d(*max_pool1d(x, 2, return_indices=True), 2).tolist()
    [[[0.0, 3.0, 2.0, 0.0]]]
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool2d``: values at their indices into H * W, zeros
    elsewhere; ``output_size`` picks among the sizes that pool to the input's.

    >>> import chainrule as cr
    >>> out, idx = max_pool2d(cr.arange(16.0).reshape(1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(out, idx, 2)[0, 1].tolist()
    [0.0, 5.0, 0.0, 7.0]
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool3d``.

    >>> import chainrule as cr
    >>> out, idx = max_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), 2, return_indices=True)
    >>> max_unpool3d(out, idx, 2).flatten().tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0]
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3,
                       "max_unpool3d")


def _max_unpool(input: Any, indices: Any, kernel_size: Any, stride: Any, padding: Any,
                output_size: Any, dims: int, who: str) -> Tensor:
    input = _tensor(input, who)
    indices = _tensor(indices, who)
    _check_rank(input, dims, who)
    if indices.dtype != np.int64:
        raise RuntimeError(f"{who}: indices must be int64, got {_desc(indices)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{who}: indices of {_desc(indices)} must have the input's shape "
                           f"{tuple(input.shape)}")
    kernel = _pair(kernel_size, dims, "kernel_size", who)
    stride = kernel if stride is None else _pair(stride, dims, "stride", who)
    padding = _pair(padding, dims, "padding", who)
    default = tuple((n - 1) * s + k - 2 * p for n, s, k, p in
                    zip(input.shape[-dims:], stride, kernel, padding))
    if output_size is None:
        size = default
    else:
        size = tuple(int(n) for n in output_size)
        if len(size) == dims + 2:
            size = size[2:]
        if len(size) != dims:
            raise ValueError(f"{who}: output_size should hold {dims} or {dims + 2} sizes, got "
                             f"{size}")
        for i, (n, m, s) in enumerate(zip(size, default, stride)):
            if not m - s < n < m + s:
                raise ValueError(f"{who}: invalid output_size {size} (dim {i} must be between "
                                 f"{m - s} and {m + s})")
    if any(n < 0 for n in size):
        raise ValueError(f"{who}: output_size must be non-negative, got {size}")
    plane = math.prod(size)
    flat = indices._array.reshape(tuple(input.shape[:input.ndim - dims]) + (-1,))
    if flat.size and (flat.min() < 0 or flat.max() >= plane):
        bad = flat.min() if flat.min() < 0 else flat.max()
        raise RuntimeError(f"{who}: found an invalid max index {bad} for an output of "
                           f"spatial size {size}")
    lead = tuple(input.shape[:input.ndim - dims])
    out = MaxUnpool.apply(input.reshape(lead + (-1,)), indices=flat, size=plane)
    return out.reshape(lead + size)


# ---------------------------------------------------------------------------
# Fractional max pooling
# ---------------------------------------------------------------------------

def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """Max pooling over windows at pseudo-random positions (Graham, 2014): the input is
    cut into ``output_size`` (or ``input size * output_ratio``) windows of ``kernel_size``
    whose starts follow PyTorch's sequence for one uniform sample per plane and dim
    (``_random_samples`` of shape (N, C, 2) fixes them; drawn from chainrule's generator
    otherwise).

    >>> import chainrule as cr
    >>> x = cr.arange(25.0).reshape(1, 1, 5, 5)
    >>> fractional_max_pool2d(x, 2, output_size=3, _random_samples=cr.zeros(1, 1, 2))
    tensor([[[[ 6.,  7.,  9.],
              [11., 12., 14.],
              [21., 22., 24.]]]])
    """
    return _fractional_max(input, kernel_size, output_size, output_ratio, return_indices,
                           _random_samples, 2, "fractional_max_pool2d")


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """Fractional max pooling over (D, H, W); ``_random_samples`` has shape (N, C, 3).

    >>> import chainrule as cr
    >>> fractional_max_pool3d(cr.ones(2, 3, 5, 6, 7), 2, output_ratio=0.5).shape
    (2, 3, 2, 3, 3)
    """
    return _fractional_max(input, kernel_size, output_size, output_ratio, return_indices,
                           _random_samples, 3, "fractional_max_pool3d")


def _fractional_starts(u: np.ndarray, n: int, o: int, k: int) -> np.ndarray:
    """PyTorch's window starts for samples ``u`` (in the input's dtype, as its kernel
    computes them): ``int((i + u) alpha) - int(u alpha)``, alpha = (n - k) / (o - 1), and
    the last window flush with the end."""
    starts = np.empty(u.shape + (o,), dtype=np.int64)
    if o > 1:
        alpha = u.dtype.type(n - k) / u.dtype.type(o - 1)
        steps = np.arange(o - 1).astype(u.dtype)
        starts[..., :-1] = (((steps + u[..., None]) * alpha).astype(np.int64)
                            - (u * alpha).astype(np.int64)[..., None])
    if o > 0:
        starts[..., -1] = n - k
    return starts


def _fractional_max(input: Any, kernel_size: Any, output_size: Any, output_ratio: Any,
                    return_indices: bool, samples: Any, dims: int, who: str) -> Any:
    input = _tensor(input, who)
    _check_float(input, who)
    _check_rank(input, dims, who)
    unbatched = input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    kernel = _pair(kernel_size, dims, "kernel_size", who)
    spatial = tuple(x.shape[2:])
    if output_size is None and output_ratio is None:
        raise ValueError(f"{who} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = (output_ratio,) * dims if isinstance(output_ratio, (int, float)) else \
            tuple(output_ratio)
        if len(ratio) != dims or not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{who}: output_ratio must be a number or {dims} numbers in "
                             f"(0, 1), got {output_ratio!r}")
        sizes = tuple(int(n * r) for n, r in zip(spatial, ratio))
    else:
        sizes = _pair(output_size, dims, "output_size", who)
    for n, o, k in zip(spatial, sizes, kernel):
        if k < 1 or o < 1 or o + k - 1 > n:
            raise ValueError(f"{who}: an output size of {sizes} with kernel_size={kernel} "
                             f"does not fit an input of {_desc(input)} (each output size + "
                             "kernel size - 1 must be at most the input size)")
    batch, channels = x.shape[:2]
    if samples is None:
        samples = default_generator().uniform(0.0, 1.0, (batch, channels, dims))
    samples = np.asarray(samples._array if isinstance(samples, Tensor) else samples)
    if samples.shape != (batch, channels, dims):
        raise ValueError(f"{who}: expected _random_samples of shape "
                         f"{(batch, channels, dims)}, got {samples.shape}")
    samples = samples.astype(x.dtype)
    # PyTorch's kernels read the samples last dim first for 2-d (W, H) and in order for 3-d
    order = (1, 0) if dims == 2 else (0, 1, 2)
    planes = (np.arange(batch).reshape((batch, 1) + (1,) * (2 * dims)),
              np.arange(channels).reshape((1, channels) + (1,) * (2 * dims)))
    grids, index = [], []
    for i in range(dims):
        starts = _fractional_starts(samples[..., order[i]], spatial[i], sizes[i], kernel[i])
        grid = starts[..., None] + np.arange(kernel[i])  # (N, C, o, k)
        grids.append(grid)
        shape = [batch, channels] + [1] * (2 * dims)
        shape[2 + i], shape[2 + dims + i] = sizes[i], kernel[i]
        index.append(grid.reshape(shape))
    windows = x._array[planes + tuple(index)]  # (N, C, *out, *kernel)
    winner = _winners(windows.reshape((batch, channels) + sizes + (math.prod(kernel),)))
    offsets = np.unravel_index(winner, kernel)
    n_out = np.arange(batch).reshape((batch, 1) + (1,) * dims)
    c_out = np.arange(channels).reshape((1, channels) + (1,) * dims)
    coords = []
    for i, grid in enumerate(grids):
        place = np.arange(sizes[i]).reshape((-1,) + (1,) * (dims - 1 - i))
        coords.append(grid[n_out, c_out, place, offsets[i]])
    indices = np.ravel_multi_index(tuple(coords), spatial).astype(np.int64)
    values = _gather_flat(x, indices, dims)
    if unbatched:
        values, indices = values.squeeze(0), indices[0]
    return (values, _constant(indices)) if return_indices else values
