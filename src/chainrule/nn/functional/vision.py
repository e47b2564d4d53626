"""Vision functions: padding, resizing and rearranging pixels.

Everything here is composed from indexing, reshapes, permutes and products with
constant weights, so gradients of any order come for free. ``pad`` in the
reflect, replicate and circular modes and ``interpolate`` gather along one dim at
a time with index arrays computed by PyTorch's exact coordinate rules (in float32
where PyTorch computes in float32), so the same pixels are picked and weighted.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import warnings
from typing import Any

import numpy as np

from ...ops.arrays import value
from ...ops.conv import Pad, TakeAxis, TakePoints
from ...ops.shape import GetItem
from ...tensor import Tensor
from ...tensor_methods.elementwise import where
from ...tensor_methods.shape import cat
from ._checks import _check_float, _desc, _same_dtype, _tensor

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "grid_sample", "affine_grid", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


# ---------------------------------------------------------------------------
# Gathering along one dim
# ---------------------------------------------------------------------------

def _runs(index: np.ndarray, limit: int) -> list[tuple[int, int, int]] | None:
    """``index`` split into runs (start, length, step) with step 1, -1 or 0; None when
    there are more than ``limit``."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(index):
        if len(runs) == limit:
            return None
        j = i + 1
        step = int(index[j] - index[i]) if j < len(index) else 1
        if step not in (-1, 0, 1):
            step = 1
        while j < len(index) and index[j] - index[j - 1] == step:
            j += 1
        runs.append((int(index[i]), j - i, step))
        i = j
    return runs


def _take(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    """``x`` at positions ``index`` along ``axis``. A few runs of neighbouring positions
    (as padding makes) are slices joined with ``cat``, whose gradients are plain writes;
    anything else is one gather."""
    n = x.shape[axis]
    if len(index) == n and np.array_equal(index, np.arange(n)):
        return x
    lead = (slice(None),) * axis
    if len(index) == 0:
        return GetItem.apply(x, index=lead + (slice(0, 0),))
    runs = _runs(index, limit=4)
    if runs is None:
        return TakeAxis.apply(x, index=index, axis=axis)
    pieces = []
    for start, length, step in runs:
        if step == 0:
            piece = GetItem.apply(x, index=lead + (slice(start, start + 1),))
            shape = list(piece.shape)
            shape[axis] = length
            pieces.append(piece.expand(*shape))
        else:
            stop = start + step * length
            pieces.append(GetItem.apply(
                x, index=lead + (slice(start, stop if stop >= 0 else None, step),)))
    return pieces[0] if len(pieces) == 1 else cat(pieces, dim=axis)


# ---------------------------------------------------------------------------
# Padding
# ---------------------------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the last dims: ``pad`` lists (left, right)
    for the last dim, then for the one before, and so on.

    ``mode``: ``'constant'`` (``value``, default 0, any number of dims), or
    ``'reflect'`` (mirror without repeating the edge), ``'replicate'`` (repeat the
    edge), ``'circular'`` (wrap around), which pad the last 1, 2 or 3 dims of a
    batched or unbatched input, as PyTorch's.

    >>> import chainrule as cr
    >>> pad(cr.ones(1, 2), (1, 0)).tolist()
    [[0.0, 1.0, 1.0]]
    >>> x = cr.tensor([[[0.0, 1.0, 2.0, 3.0]]])
    >>> pad(x, (2, 1), mode="reflect").tolist()
    [[[2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0]]]
    >>> pad(x, (1, -2), mode="circular").tolist()
    [[[1.0, 0.0, 1.0]]]
    """
    input = _tensor(input, "pad")
    pads = tuple(pad)
    if not all(isinstance(p, (int, np.integer)) for p in pads):
        raise TypeError(f"pad: pad must hold ints, got {pads}")
    if len(pads) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {pads}")
    if len(pads) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding {pads} pads {len(pads) // 2} dims, but the input has "
                           f"{input.ndim} ({_desc(input)})")
    pairs = [(0, 0)] * input.ndim
    for k in range(len(pads) // 2):
        pairs[input.ndim - 1 - k] = (int(pads[2 * k]), int(pads[2 * k + 1]))
    if mode == "constant":
        for i, ((b, a), n) in enumerate(zip(pairs, input.shape)):
            if n + b + a < 0:
                raise RuntimeError(f"pad: padding ({b}, {a}) of dim {i} of {_desc(input)} "
                                   f"leaves a negative size {n + b + a}")
        if all(p == (0, 0) for p in pairs):
            return input
        return Pad.apply(input, pad=tuple(pairs), value=0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unknown padding mode {mode!r}; use one of "
                                  f"{', '.join(_PAD_MODES)}")
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take a value (got {value})")
    return _pad_gather(input, pads, pairs, mode)


def _pad_gather(input: Tensor, pads: tuple, pairs: list, mode: str) -> Tensor:
    """reflect, replicate or circular padding: a gather per padded dim."""
    k = len(pads) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: {mode} padding of {k} dims ({len(pads)} values) "
                                  f"takes a {k + 1}-d or {k + 2}-d input, got {_desc(input)}")
    if mode != "circular":
        if input.dtype == np.bool_:
            raise NotImplementedError(f"pad: {mode} padding is not implemented for bool "
                                      f"input ({_desc(input)})")
        if 0 in input.shape[input.ndim - k - 1:]:
            raise RuntimeError(f"pad: {mode} padding needs non-empty dims other than the "
                               f"batch, got {_desc(input)}")
    x = input
    for axis in range(input.ndim - k, input.ndim):
        b, a = pairs[axis]
        n = input.shape[axis]
        if mode == "reflect" and max(b, a) >= n:
            raise RuntimeError(f"pad: reflect padding ({b}, {a}) of dim {axis} must be smaller "
                               f"than its size {n} (input {_desc(input)})")
        if mode == "circular" and max(b, a) > n:
            raise RuntimeError(f"pad: circular padding ({b}, {a}) of dim {axis} can't wrap "
                               f"around more than once (size {n}, input {_desc(input)})")
        size = n + b + a
        if size < (0 if mode == "circular" else 1):
            raise RuntimeError(f"pad: padding ({b}, {a}) of dim {axis} of {_desc(input)} "
                               f"leaves a size of {size}")
        grow = (max(b, 0), max(a, 0))
        if mode == "circular":  # crop first, then wrap what is left
            kept = np.arange(n)[max(-b, 0):n - max(-a, 0)]
            if kept.size == 0 and size > 0:
                raise RuntimeError(f"pad: circular padding ({b}, {a}) of dim {axis} crops "
                                   f"all of it (size {n}), leaving nothing to wrap")
            index = np.pad(kept, grow, mode="wrap") if kept.size else kept
        else:  # pad the whole dim, then crop
            full = np.pad(np.arange(n), grow, mode="reflect" if mode == "reflect" else "edge")
            index = full[max(-b, 0):len(full) - max(-a, 0)]
        x = _take(x, axis, index)
    return x


# ---------------------------------------------------------------------------
# Resizing
# ---------------------------------------------------------------------------

_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 1, "bilinear": 2,
          "bicubic": 2, "trilinear": 3}


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or
    by ``scale_factor``, as PyTorch's ``F.interpolate``.

    ``mode``: ``'nearest'`` (PyTorch's legacy rule, source = floor(dst * scale)),
    ``'nearest-exact'`` (floor((dst + 0.5) * scale)), ``'linear'`` (3-d input),
    ``'bilinear'`` and ``'bicubic'`` (4-d; cubic with a = -0.75), ``'trilinear'`` (5-d),
    ``'area'`` (adaptive average pooling). ``align_corners`` maps corner pixels' centres
    onto each other (interpolating modes only). With ``scale_factor`` the kernel uses
    1 / scale_factor as the scale unless ``recompute_scale_factor=True``, which uses
    in / out sizes instead, as PyTorch.

    >>> import chainrule as cr
    >>> x = cr.tensor([[[0.0, 1.0, 2.0]]])
    >>> interpolate(x, scale_factor=2).tolist()
    [[[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]]]
    >>> interpolate(x, size=5, mode="linear", align_corners=True).tolist()
    [[[0.0, 0.5, 1.0, 1.5, 2.0]]]
    """
    input = _tensor(input, "interpolate")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners can only be set with the interpolating "
                             "modes linear, bilinear, bicubic, trilinear")
    else:
        align_corners = bool(align_corners)
    dims = input.ndim - 2
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size")
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * max(dims, 0)
        if isinstance(size, (list, tuple)) and len(sizes) != dims:
            raise ValueError(f"interpolate: size {tuple(size)} must have one entry per spatial "
                             f"dim of the input {_desc(input)}")
        if not all(isinstance(n, (int, np.integer)) for n in sizes):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        out_sizes = tuple(int(n) for n in sizes)
        scales: tuple = (None,) * dims
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dims:
                raise ValueError(f"interpolate: scale_factor {tuple(scale_factor)} must have one "
                                 f"entry per spatial dim of the input {_desc(input)}")
            scales = tuple(float(s) for s in scale_factor)
        else:
            scales = (float(scale_factor),) * max(dims, 0)
        out_sizes = tuple(int(n * s) for n, s in zip(spatial, scales))
        if recompute_scale_factor or mode == "area":
            scales = (None,) * dims
    else:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if antialias:
        if mode not in ("bilinear", "bicubic") or input.ndim != 4:
            raise ValueError("interpolate: antialias is restricted to the bilinear and bicubic "
                             "modes and a 4-d input")
        raise NotImplementedError("interpolate: antialias=True is not supported; resize with "
                                  "antialias=False (or mode='area' to shrink)")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: unknown mode {mode!r}; use one of "
                                  f"{', '.join(_MODES)}")
    if not 1 <= dims <= 3:
        raise NotImplementedError(f"interpolate: expected a 3-d, 4-d or 5-d input (N, C, ...), "
                                  f"got {_desc(input)}")
    need = _MODES[mode]
    if need is not None and need != dims:
        raise NotImplementedError(f"interpolate: got a {input.ndim}-d input, but {mode} mode "
                                  f"needs a {need + 2}-d one")
    if any(n <= 0 for n in spatial + out_sizes):
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, "
                           f"got input {spatial} and output {out_sizes}")
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dims - 1]
        return pool(input, out_sizes)
    if mode not in ("nearest", "nearest-exact"):
        _check_float(input, "interpolate")
    x = input
    for i in reversed(range(dims)):  # the last dim first: PyTorch's order of the sums
        axis = 2 + i
        n, o, scale = spatial[i], out_sizes[i], scales[i]
        if o == n and mode in ("linear", "bilinear", "trilinear") and not align_corners:
            continue  # PyTorch copies such a dim
        if mode in ("nearest", "nearest-exact"):
            x = _nearest(x, axis, _nearest_index(n, o, scale, mode == "nearest-exact", x.dtype))
        elif mode == "bicubic":
            x = _weighted(x, axis, *_cubic_taps(n, o, scale, bool(align_corners), x.dtype))
        else:
            x = _weighted(x, axis, *_linear_taps(n, o, scale, bool(align_corners), x.dtype))
    return x


def _nearest_index(n: int, o: int, scale: float | None, exact: bool, dtype: Any) -> np.ndarray:
    """PyTorch's nearest source index of each output position: floor(dst * s), or
    floor((dst + 0.5) * s) for nearest-exact, at most n - 1, with s = 1 / scale_factor (or
    n / o) in float64 for a float64 input and in float32 otherwise, and the floor taken in
    float32 (``floorf``), as its kernel computes them."""
    t = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    dst = np.arange(o)
    s = t(1.0 / scale) if scale is not None and scale > 0 else t(n) / t(o)
    src = (dst + 0.5) * np.float64(s) if exact else dst.astype(t) * s
    return np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n - 1)


def _nearest(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    n = x.shape[axis]
    reps = len(index) // n
    if reps > 1 and len(index) == reps * n and np.array_equal(index, np.arange(len(index)) // reps):
        shape = tuple(x.shape)  # each pixel repeated: a broadcast, whose gradient is a sum
        wide = x.reshape(shape[:axis + 1] + (1,) + shape[axis + 1:])
        wide = wide.expand(*(shape[:axis + 1] + (reps,) + shape[axis + 1:]))
        return wide.reshape(shape[:axis] + (len(index),) + shape[axis + 1:])
    return _take(x, axis, index)


def _source_scale(n: int, o: int, scale: float | None, align_corners: bool, dtype: Any) -> Any:
    """PyTorch's ``area_pixel_compute_scale`` in the input's float type."""
    t = np.dtype(dtype).type
    if align_corners:
        return t(n - 1) / t(o - 1) if o > 1 else t(0)
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(n) / t(o)


def _source_coords(n: int, o: int, scale: float | None, align_corners: bool, cubic: bool,
                   dtype: Any) -> np.ndarray:
    """PyTorch's ``area_pixel_compute_source_index`` for every output position:
    ``scale * dst`` with ``align_corners``, else ``scale * (dst + 0.5) - 0.5`` (clamped at 0
    unless cubic), rounded once as PyTorch's fused multiply-add does."""
    t = np.dtype(dtype).type
    ratio = _source_scale(n, o, scale, align_corners, dtype)
    dst = np.arange(o)
    if align_corners:
        return ratio * dst.astype(dtype)
    wide = np.float64 if t == np.float32 else np.longdouble  # room for the exact product
    src = (wide(ratio) * (dst.astype(wide) + wide(0.5)) - wide(0.5)).astype(dtype)
    return src if cubic else np.maximum(src, t(0))


def _guard(src: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's ``guard_index_and_lambda``: the index below ``src`` (found by ``floorf``,
    in float32) and the distance to it, clamped to [0, 1]."""
    t = src.dtype.type
    index = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n - 1)
    return index, np.minimum(np.maximum(src - index.astype(src.dtype), t(0)), t(1))


def _fma(a: Any, b: np.ndarray, c: Any) -> np.ndarray:
    """a * b + c rounded once, as the fused multiply-adds of PyTorch's compiled kernels."""
    t = b.dtype.type
    wide = np.float64 if t == np.float32 else np.longdouble
    return (wide(a) * b.astype(wide) + wide(c)).astype(t)


def _linear_taps(n: int, o: int, scale: float | None, align_corners: bool,
                 dtype: Any) -> tuple[list, list]:
    """Source indices and weights of linear interpolation along one dim."""
    t = np.dtype(dtype).type
    i0, lam1 = _guard(_source_coords(n, o, scale, align_corners, False, dtype), n)
    i1 = i0 + (i0 < n - 1)
    return [i0, i1], [t(1) - lam1, lam1]


def _cubic_taps(n: int, o: int, scale: float | None, align_corners: bool,
                dtype: Any) -> tuple[list, list]:
    """Source indices and weights of bicubic interpolation (a = -0.75) along one dim."""
    t = np.dtype(dtype).type
    i0, lam = _guard(_source_coords(n, o, scale, align_corners, True, dtype), n)
    a = t(-0.75)

    # PyTorch's polynomials, with the multiply-adds its compiled kernel fuses
    def near(d: np.ndarray) -> np.ndarray:  # ((a + 2) d - (a + 3)) d^2 + 1, for |d| <= 1
        return ((a + t(2)) * d - (a + t(3))) * d * d + t(1)

    def far(d: np.ndarray) -> np.ndarray:  # ((a d - 5 a) d + 8 a) d - 4 a, for 1 < |d| < 2
        return _fma(_fma(a, d, t(-5) * a), d, t(8) * a) * d - t(4) * a

    weights = [far(lam + t(1)), near(lam), near(t(1) - lam), far(t(2) - lam)]
    indices = [np.clip(i0 + j - 1, 0, n - 1) for j in range(4)]
    return indices, weights


def _weighted(x: Tensor, axis: int, indices: list, weights: list) -> Tensor:
    """sum_j weights[j] * x[indices[j]] along ``axis`` (weights broadcast along it)."""
    shape = (-1,) + (1,) * (x.ndim - 1 - axis)
    return _total([_take(x, axis, index) * w.reshape(shape) for index, w in zip(indices, weights)])


def _total(terms: list[Tensor]) -> Tensor:
    """terms[0] + terms[1] + ..., added left to right."""
    return functools.reduce(operator.add, terms)


def _product(factors: list[Tensor]) -> Tensor:
    """factors[0] * factors[1] * ..., multiplied left to right."""
    return functools.reduce(operator.mul, factors)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (warns, as PyTorch's)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------
# Sampling at given points
# ---------------------------------------------------------------------------

def _warn_align_corners() -> None:
    warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.",
                  stacklevel=3)


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps, for :func:`grid_sample`: theta (N, 2, 3)
    and ``size`` (N, C, H, W) give (N, H, W, 2); theta (N, 3, 4) and (N, C, D, H, W) give
    (N, D, H, W, 3). Each point is theta times (x, y[, z], 1), with x, y, z the output
    pixel centres in [-1, 1] (the corner pixels' centres with ``align_corners=True``).

    >>> import chainrule as cr
    >>> affine_grid(cr.tensor([[[1.0, 0, 0], [0, 1, 0]]]), (1, 1, 1, 2), False).tolist()
    [[[[-0.5, 0.0], [0.5, 0.0]]]]
    """
    theta = _tensor(theta, "affine_grid")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if theta.dtype.kind != "f":
        raise ValueError(f"affine_grid: expected a floating-point theta, got {_desc(theta)}")
    size = tuple(int(n) for n in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid: size must be (N, C, H, W) or (N, C, D, H, W), "
                                  f"got {size}")
    dims = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (dims, dims + 1) or \
            theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: expected theta of shape ({size[0]}, {dims}, {dims + 1}) "
                         f"for size {size}, got {_desc(theta)}")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"affine_grid: expected a positive size, got {size}")
    t = theta.dtype.type
    steps = []
    for n in spatial:  # PyTorch's linspace_from_neg_one
        line = np.linspace(-1.0, 1.0, n).astype(theta.dtype) if n > 1 else \
            np.zeros(1, dtype=theta.dtype)
        steps.append(line if align_corners else line * t(n - 1) / t(n))
    mesh = np.meshgrid(*steps, indexing="ij")  # (D,) H, W
    base = np.stack(list(mesh[::-1]) + [np.ones(spatial, dtype=theta.dtype)], axis=-1)
    grid = base.reshape(1, -1, dims + 1) @ theta.transpose(1, 2)
    return grid.reshape((size[0],) + spatial + (dims,))


_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDING = ("zeros", "border", "reflection")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample (N, C, H, W) at the points of ``grid`` (N, Ho, Wo, 2), given as (x, y) in
    [-1, 1] (-1 the left/top edge, or the corner pixels' centres with ``align_corners``),
    giving (N, C, Ho, Wo); or (N, C, D, H, W) at (N, Do, Ho, Wo, 3) points (x, y, z).

    ``mode``: ``'bilinear'`` (trilinear for 5-d), ``'nearest'`` (ties to even) or
    ``'bicubic'`` (4-d; a = -0.75). ``padding_mode`` for points outside: ``'zeros'``,
    ``'border'`` (clamp the point) or ``'reflection'`` (mirror it at the border).
    Differentiable in the input and the grid, to any order.

    >>> import chainrule as cr
    >>> x = cr.arange(4.0).reshape(1, 1, 2, 2)
    >>> grid_sample(x, cr.tensor([[[[0.0, 0.0], [1.0, -1.0]]]]), align_corners=True).tolist()
    [[[[1.5, 1.0]]]]
    """
    input = _tensor(input, "grid_sample")
    grid = _tensor(grid, "grid_sample")
    if mode not in _GRID_MODES:
        raise ValueError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got "
                         f"{mode!r}")
    if padding_mode not in _GRID_PADDING:
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or "
                         f"'reflection', got {padding_mode!r}")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    dims = input.ndim - 2
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or \
            grid.shape[0] != input.shape[0] or grid.shape[-1] != dims:
        raise ValueError(f"grid_sample: expected a 4-d input (N, C, H, W) with a grid "
                         f"(N, Ho, Wo, 2), or a 5-d input with a grid (N, Do, Ho, Wo, 3); got "
                         f"input {_desc(input)} and grid {_desc(grid)}")
    if mode == "bicubic" and dims == 3:
        raise ValueError("grid_sample: bicubic interpolation only supports 4-d input")
    _check_float(input, "grid_sample")
    _same_dtype(input, grid, "grid_sample", "grid")
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])
    out_shape = tuple(grid.shape[1:-1])
    length = math.prod(out_shape)
    flat = input.reshape(n, c, -1)
    points = grid.reshape(n, length, dims)
    srcs = [_unnormalize(points[:, :, dims - 1 - i], size, bool(align_corners))
            for i, size in enumerate(spatial)]  # source coordinates along D, H, W

    def gather(coords: list) -> Tensor:  # input values at integer coordinates, 0 outside
        inside = np.ones((n, length), dtype=bool)
        for k, size in zip(coords, spatial):
            inside &= (k >= 0) & (k < size)
        clipped = [np.clip(k, 0, size - 1) for k, size in zip(coords, spatial)]
        index = np.ravel_multi_index(tuple(clipped), spatial)[:, None, :]
        picked = TakePoints.apply(flat, index=index)
        return picked if inside.all() else picked * inside[:, None, :].astype(input.dtype)

    if mode == "bicubic":
        out = _grid_bicubic(srcs, spatial, gather, padding_mode, bool(align_corners), n, length)
    else:
        srcs = [_grid_coordinates(src, size, padding_mode, bool(align_corners))
                for src, size in zip(srcs, spatial)]
        if mode == "nearest":
            out = gather([np.rint(value(src)).astype(np.int64) for src in srcs])
            if grid.requires_grad:
                # The output does not move with the grid, but as in PyTorch it stays
                # connected to it: the grid's gradient is zeros, not missing. Selecting
                # the output over the grid's sum attaches it (nan in the grid included)
                out = where(True, out, grid.sum())
        else:
            out = _grid_linear(srcs, gather, n, length)
    return out.reshape((n, c) + out_shape)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """PyTorch's ``grid_sampler_unnormalize``: [-1, 1] to pixel coordinates."""
    if align_corners:
        return ((coord + 1) / 2) * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _coordinate_values(v: np.ndarray, size: int, padding_mode: str,
                       align_corners: bool) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's ``compute_coordinates`` on values: the padding mode applied to source
    coordinates ``v``; returns them and their slope with respect to ``v`` (0, 1 or -1)."""
    slope = np.ones(v.shape, dtype=v.dtype)
    if padding_mode == "zeros":
        return v, slope
    if padding_mode == "reflection":  # mirror into [low, low + span], PyTorch's arithmetic
        low2, high2 = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if low2 == high2:
            return np.zeros_like(v), np.zeros_like(v)
        low, span = low2 / 2, (high2 - low2) / 2
        shifted = v - low
        inner = np.abs(shifted)
        extra = np.fmod(inner, span)
        even = np.floor(inner / span) % 2 == 0
        v = np.where(even, extra + low, span - extra + low).astype(slope.dtype)
        slope = (np.where(shifted < 0, -1, 1) * np.where(even, 1, -1)).astype(slope.dtype)
    inside = (v > 0) & (v < size - 1)  # clip, with no gradient at or beyond the bounds
    return np.clip(v, 0, size - 1), slope * inside


def _grid_coordinates(src: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """The padding mode applied to a source coordinate, as ``slope * src + offset`` with
    constants from the values (the mirror and the clip are piecewise linear)."""
    if padding_mode == "zeros":
        return src
    v = value(src)
    mapped, slope = _coordinate_values(v, size, padding_mode, align_corners)
    if (slope == 1).all():
        return src
    return where(slope != 0, src * slope + (mapped - slope * v), mapped)


def _grid_linear(srcs: list, gather: Any, n: int, length: int) -> Tensor:
    """Bilinear (trilinear) sampling: the 2 ** d corners around each point, weighted by the
    products of the distances to the opposite corners (x first, as PyTorch)."""
    lows = [np.floor(value(src)).astype(np.int64) for src in srcs]
    near = [src - low.astype(value(src).dtype) for src, low in zip(srcs, lows)]
    far = [-src + (low + 1).astype(value(src).dtype) for src, low in zip(srcs, lows)]
    terms = []
    for corner in itertools.product((0, 1), repeat=len(srcs)):  # the last dim fastest
        weight = _product([near[i] if corner[i] else far[i] for i in reversed(range(len(srcs)))])
        terms.append(gather([low + b for low, b in zip(lows, corner)])
                     * weight.reshape(n, 1, length))
    return _total(terms)


def _grid_bicubic(srcs: list, spatial: tuple, gather: Any, padding_mode: str,
                  align_corners: bool, n: int, length: int) -> Tensor:
    """Bicubic sampling (a = -0.75) over the 4 x 4 pixels around each point; each tap's
    coordinate gets the padding mode, as PyTorch's ``get_value_bounded``."""
    a = -0.75
    coefficients = []
    lows = []
    for src in srcs:
        low = np.floor(value(src))
        t = src - low.astype(value(src).dtype)
        coefficients.append([(((t + 1) * a - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                             ((t * (a + 2)) - (a + 3)) * t * t + 1,
                             (((1 - t) * (a + 2)) - (a + 3)) * (1 - t) * (1 - t) + 1,
                             (((2 - t) * a - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a])
        lows.append(low)

    def tap(axis: int, k: int) -> np.ndarray:
        coord, _ = _coordinate_values(lows[axis] - 1 + k, spatial[axis], padding_mode,
                                      align_corners)
        return np.trunc(coord).astype(np.int64)

    rows = []
    for j in range(4):  # rows (y), each a cubic along x first, as PyTorch
        row = _total([gather([tap(0, j), tap(1, i)]) * coefficients[1][i].reshape(n, 1, length)
                      for i in range(4)])
        rows.append(row * coefficients[0][j].reshape(n, 1, length))
    return _total(rows)


# ---------------------------------------------------------------------------
# Rearranging
# ---------------------------------------------------------------------------

def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r
    block of pixels.

    >>> import chainrule as cr
    >>> pixel_shuffle(cr.arange(4.0).reshape(4, 1, 1), 2).tolist()
    [[[0.0, 1.0], [2.0, 3.0]]]
    """
    input = _tensor(input, "pixel_shuffle")
    r = int(upscale_factor)
    if input.ndim < 3:
        raise ValueError(f"pixel_shuffle: expected an input of at least 3 dims (*, C, H, W), "
                         f"got {_desc(input)}")
    if r < 1 or input.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: the channel dim of {_desc(input)} must be divisible "
                         f"by upscale_factor ** 2 = {r * r}")
    lead = tuple(input.shape[:-3])
    c, h, w = input.shape[-3:]
    k = len(lead)
    x = input.reshape(lead + (c // (r * r), r, r, h, w))
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of :func:`pixel_shuffle`.

    >>> import chainrule as cr
    >>> pixel_unshuffle(cr.arange(4.0).reshape(1, 2, 2), 2).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    input = _tensor(input, "pixel_unshuffle")
    r = int(downscale_factor)
    if input.ndim < 3:
        raise ValueError(f"pixel_unshuffle: expected an input of at least 3 dims (*, C, H, W), "
                         f"got {_desc(input)}")
    if r < 1 or input.shape[-2] % r or input.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle: height and width of {_desc(input)} must be "
                         f"divisible by downscale_factor = {r}")
    lead = tuple(input.shape[:-3])
    c, h, w = input.shape[-3:]
    k = len(lead)
    x = input.reshape(lead + (c, h // r, r, w // r, r))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(lead + (c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with the channels, seen as (groups, C / groups), transposed: the channel
    shuffle of ShuffleNet.

    >>> import chainrule as cr
    >>> channel_shuffle(cr.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
    [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    input = _tensor(input, "channel_shuffle")
    g = int(groups)
    if input.ndim < 3:
        raise ValueError(f"channel_shuffle: expected an input of more than 2 dims (N, C, *), "
                         f"got {_desc(input)}")
    if g < 1 or input.shape[1] % g:
        raise ValueError(f"channel_shuffle: {input.shape[1]} channels are not divisible by "
                         f"groups={g}")
    n, c = input.shape[:2]
    rest = tuple(input.shape[2:])
    x = input.reshape((n, g, c // g) + rest).transpose(1, 2)
    return x.reshape((n, c) + rest)


