"""Reductions: sum, max/min over axes, logsumexp, and the gather behind max(dim).

``axis`` is always a tuple of non-negative axes here; :mod:`chainrule.tensor`
normalises what the user wrote (``dim=``, negative numbers, None).
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .arrays import max_shift, scatter_add_along, value


def _keepdims_shape(shape: tuple, axis: tuple) -> tuple:
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.in_shape = x.shape
        ctx.axis = axis
        ctx.keepdims = keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        if not ctx.keepdims:
            g = xp.reshape(g, _keepdims_shape(ctx.in_shape, ctx.axis))
        return xp.broadcast_to(g, ctx.in_shape)


class Amax(Function):
    """Max over axes; tied maxima share the gradient evenly (PyTorch's amax rule)."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        out = np.max(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _spread_over_ties(ctx, g, x, out)


class Amin(Function):
    """Min over axes; tied minima share the gradient evenly."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        out = np.min(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _spread_over_ties(ctx, g, x, out)


def _spread_over_ties(ctx, g, x, out):
    xp = ctx.xp
    if not ctx.keepdims:
        kshape = _keepdims_shape(x.shape, ctx.axis)
        g = xp.reshape(g, kshape)
        out = xp.reshape(out, kshape)
    hit = x == out
    count = np.sum(value(hit), axis=ctx.axis, keepdims=True)
    return g * hit / count.astype(value(x).dtype)


class LogSumExp(Function):
    """log(sum(exp(x))) over axes, stable for large |x|."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        shifted, m = max_shift(x, axis)
        out = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)) + m
        if not keepdims:
            out = out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axis))
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xp = ctx.xp
        if not ctx.keepdims:
            kshape = _keepdims_shape(x.shape, ctx.axis)
            g = xp.reshape(g, kshape)
            out = xp.reshape(out, kshape)
        return g * xp.exp(x - out)


class TakeAlongAxis(Function):
    """``np.take_along_axis`` / ``torch.gather``; indices get no gradient."""

    op_name = "gather"

    @staticmethod
    def forward(ctx, x, indices, axis):
        ctx.in_shape, ctx.indices, ctx.axis = x.shape, indices, axis
        return np.take_along_axis(x, indices, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.scatter_add_along(g, ctx.in_shape, ctx.indices, ctx.axis)


class ScatterAddAlong(Function):
    """Zeros of a shape with values added along an axis at indices; VJP of gather."""

    op_name = "scatter_add"

    @staticmethod
    def forward(ctx, g, shape, indices, axis):
        ctx.indices, ctx.axis = indices, axis
        return scatter_add_along(g, shape, indices, axis)

    @staticmethod
    def backward(ctx, gg):
        return ctx.xp.take_along_axis(gg, ctx.indices, ctx.axis)


# ---------------------------------------------------------------------------
# One element picked from all: max(), min(), median(), nanmedian()
# ---------------------------------------------------------------------------

def _lower_median(flat: np.ndarray, ignore_nan: bool) -> np.ndarray:
    """The lower median of a 1-d array (NaN if it holds NaN, unless ``ignore_nan``)."""
    if flat.dtype.kind in "fc":
        nan = np.isnan(flat)
        if nan.any():
            if not ignore_nan:
                return np.asarray(np.nan, dtype=flat.dtype)
            flat = flat[~nan]
    if flat.size == 0:
        return np.asarray(np.nan, dtype=flat.dtype if flat.dtype.kind in "fc" else np.float32)
    k = (flat.size - 1) // 2
    return np.partition(flat, k)[k]


class PickAll(Function):
    """One element of the whole tensor, as a 0-d tensor: its max, min or lower median
    (the subclasses below, named after the op).

    The gradient is shared evenly by every element equal to the result (by every NaN
    when the result is NaN), PyTorch's rule for ``max()``, ``min()``, ``median()`` and
    ``nanmedian()`` without ``dim``.
    """

    @staticmethod
    def pick(flat: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x):
        out = np.asarray(ctx.fn.pick(x.reshape(-1)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xv, outv = value(x), value(out)
        hit = np.isnan(xv) if np.isnan(outv) else xv == outv
        return g * hit / hit.sum().astype(xv.dtype)


class MaxAll(PickAll):
    op_name = "max"

    @staticmethod
    def pick(flat: np.ndarray) -> np.ndarray:
        return np.max(flat)


class MinAll(PickAll):
    op_name = "min"

    @staticmethod
    def pick(flat: np.ndarray) -> np.ndarray:
        return np.min(flat)


class MedianAll(PickAll):
    op_name = "median"

    @staticmethod
    def pick(flat: np.ndarray) -> np.ndarray:
        return _lower_median(flat, ignore_nan=False)


class NanMedianAll(PickAll):
    op_name = "nanmedian"

    @staticmethod
    def pick(flat: np.ndarray) -> np.ndarray:
        return _lower_median(flat, ignore_nan=True)


# ---------------------------------------------------------------------------
# NaN-ignoring reductions
# ---------------------------------------------------------------------------

class NanToZero(Function):
    """``x`` with NaN entries replaced by 0, the input of nansum and nanmean.

    The VJP is ``g * (x is not NaN)``, a product as in PyTorch, so a slice of NaN
    whose nanmean is NaN (0 / 0) passes NaN back (inf * 0) as PyTorch's does.
    """

    op_name = "nan_to_zero"

    @staticmethod
    def forward(ctx, x):
        ctx.keep = ~np.isnan(x)
        return np.where(ctx.keep, x, 0)

    @staticmethod
    def backward(ctx, g):
        with np.errstate(invalid="ignore"):  # inf * 0 is NaN here on purpose, as in PyTorch
            return g * ctx.keep


# ---------------------------------------------------------------------------
# Variance and standard deviation
# ---------------------------------------------------------------------------

def _count(shape: tuple, axis: tuple) -> int:
    n = 1
    for a in axis:
        n *= shape[a]
    return n


def _variance(ctx, x, axis, correction, keepdims, full):
    """The variance of ``x`` over ``axis``, keeping on ``ctx`` what its VJP needs."""
    n = _count(x.shape, axis)
    ctx.axis, ctx.keepdims, ctx.n, ctx.full = axis, keepdims, n, full
    ctx.dof = n - correction
    with np.errstate(divide="ignore", invalid="ignore"):
        centered = x - np.mean(x, axis=axis, keepdims=True)
        total = np.sum(centered * centered, axis=axis, keepdims=keepdims)
        return np.asarray(total / max(ctx.dof, 0))


def _variance_vjp(ctx, g, x):
    """PyTorch's VJP of var, given dL/dvar (``g``) and the input.

    ``2 / dof * g * (x - mean)``, where dof = n - correction. Where dof <= 0 the value
    is inf (NaN for a constant input), and PyTorch's gradient is, as this one:
    without ``dim``, ``g * inf`` (NaN where x equals the mean); with ``dim``, the same
    formula with 2 / 0 = inf, or with the negative dof when correction > n.
    """
    xp = ctx.xp
    if not ctx.n:
        return xp.zeros_like(x)
    if not ctx.keepdims:
        g = xp.reshape(g, _keepdims_shape(x.shape, ctx.axis))
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN here on purpose, as in PyTorch
        if ctx.full and ctx.dof <= 0:
            xv = value(x)
            at_mean = xv == np.mean(xv, axis=ctx.axis, keepdims=True)
            return g * np.where(at_mean, np.nan, np.inf).astype(xv.dtype)
        factor = np.inf if ctx.dof == 0 else 2.0 / ctx.dof
        mean = xp.sum(x, axis=ctx.axis, keepdims=True) * (1.0 / ctx.n)
        return (g * float(factor)) * (x - mean)


class Var(Function):
    """Variance over axes with ``correction`` (dof = n - correction); inf where dof <= 0.

    ``full`` says the user gave no ``dim`` (PyTorch's gradient differs there when
    dof <= 0, see :func:`_variance_vjp`).
    """

    @staticmethod
    def forward(ctx, x, axis, correction, keepdims, full):
        ctx.save_for_backward(x)
        return _variance(ctx, x, axis, correction, keepdims, full)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _variance_vjp(ctx, g, x)


class Std(Function):
    """Standard deviation: ``sqrt(var)``, with PyTorch's gradient 0 where the result is 0
    (a constant input) rather than the NaN that sqrt's derivative would give."""

    @staticmethod
    def forward(ctx, x, axis, correction, keepdims, full):
        out = np.sqrt(_variance(ctx, x, axis, correction, keepdims, full))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xp = ctx.xp
        zero = value(out) == 0
        g = xp.where(zero, 0, g / (xp.where(zero, 1, out) * 2))
        return _variance_vjp(ctx, g, x)


# ---------------------------------------------------------------------------
# Product
# ---------------------------------------------------------------------------

class Prod(Function):
    """The product over axes; the gradient is the product of the other entries.

    Without zeros that is ``out / x``; with zeros it is computed as the product of
    the entries before and after each one (exclusive cumprods from both ends), which
    is exact at every order, as PyTorch's.
    """

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.has_zero = bool((x == 0).any())
        dtype = np.int64 if x.dtype.kind in "biu" else None
        out = np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xp = ctx.xp
        if not ctx.axis:
            return g
        if not ctx.keepdims:
            kshape = _keepdims_shape(x.shape, ctx.axis)
            g = xp.reshape(g, kshape)
            out = xp.reshape(out, kshape)
        if not ctx.has_zero:
            return g * out / x
        return g * _product_of_others(xp, x, ctx.axis)


def _product_of_others(xp, x, axis: tuple):
    """For each entry, the product of the other entries of its slice over ``axis``."""
    rest = tuple(a for a in range(x.ndim) if a not in axis)
    order = rest + tuple(axis)
    moved = xp.transpose(x, order)
    lead = moved.shape[:len(rest)]
    flat = xp.reshape(moved, lead + (_count(x.shape, axis),))
    before = _exclusive_cumprod(xp, flat)
    after = _exclusive_cumprod(xp, flat[..., ::-1])[..., ::-1]
    others = xp.reshape(before * after, moved.shape)
    return xp.transpose(others, tuple(int(i) for i in np.argsort(order)))


def _exclusive_cumprod(xp, a):
    """``out[..., i] = prod(a[..., :i])`` (1 for i = 0)."""
    m = a.shape[-1]
    shifted = a[..., np.maximum(np.arange(m) - 1, 0)]
    return xp.cumprod(xp.where(np.arange(m) == 0, 1, shifted), axis=a.ndim - 1)


# ---------------------------------------------------------------------------
# Vector norms
# ---------------------------------------------------------------------------

class Norm(Function):
    """The p-norm over axes: ``sum(|x|**p) ** (1/p)``; p = inf / -inf is the max / min of
    |x|, p = 0 the number of nonzero entries (no gradient).

    The VJP is PyTorch's, case by case, so the kinks agree: at x = 0 the 2-norm and
    the p-norms with p > 1 give 0, p < 1 gives 0 for the zero entries, and the inf
    norms share the gradient evenly among the entries that reach the extreme.
    """

    @staticmethod
    def forward(ctx, x, p, axis, keepdims):
        ctx.p, ctx.axis, ctx.keepdims = p, axis, keepdims
        a = np.abs(x)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if p == 2:
                out = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
            elif p == 1:
                out = np.sum(a, axis=axis, keepdims=keepdims)
            elif p == np.inf:
                out = np.max(a, axis=axis, keepdims=keepdims)
            elif p == -np.inf:
                out = np.min(a, axis=axis, keepdims=keepdims)
            elif p == 0:
                out = np.sum(x != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
            else:
                out = np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)
        out = np.asarray(out, dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xp, p = ctx.xp, float(ctx.p)
        if p == 0:
            return None
        if not ctx.keepdims:
            kshape = _keepdims_shape(x.shape, ctx.axis)
            g = xp.reshape(g, kshape)
            out = xp.reshape(out, kshape)
        if p == 1:
            return xp.sign(x) * g
        xv, outv = value(x), value(out)
        if np.isinf(p):
            hit = (np.abs(xv) == outv) | np.isnan(xv)
            count = np.sum(hit, axis=ctx.axis, keepdims=True).astype(xv.dtype)
            return xp.sign(x) * (g * (hit / count))
        zero_x = xv == 0
        zero_norm = outv == 0
        safe_x = xp.where(zero_x, 1, x)
        safe_norm = xp.where(zero_norm, 1, out)
        if p == 2:
            return g * xp.where(zero_norm, 0, x / safe_norm)
        if p < 1:
            scaled = xp.where(zero_x, 0, xp.sign(x) * xp.abs(safe_x) ** (p - 1))
            return scaled * g * out ** (1 - p)
        if p < 2:
            scaled = xp.sign(x) * xp.abs(x) ** (p - 1)
        else:
            scaled = x * xp.abs(x) ** (p - 2)
        return scaled * xp.where(zero_norm, 0, g / safe_norm ** (p - 1))
