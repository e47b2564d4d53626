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
