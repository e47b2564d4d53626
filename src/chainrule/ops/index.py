"""Scatter ops whose VJP is more than moving gradients back: scatter_reduce.

Most indexing ops (index_select, index_add, scatter, masked_fill, take, diagonal,
...) are built in :mod:`chainrule.tensor_methods.index` from the shape ops of
:mod:`chainrule.ops.shape` (``GetItem``, ``SetItem``, ``ScatterAdd``), whose VJPs
already say how gradients go back through an index. This module holds the one
primitive that cannot be built that way.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .arrays import along, scatter_reduce, value


class ScatterReduce(Function):
    """``torch.scatter_reduce(x, axis, index, src, reduce, include_self)``, ``src`` cut to
    ``index``'s shape.

    The VJPs are PyTorch's: "sum" gives ``g`` to ``x`` and ``g`` gathered at ``index``
    to ``src``; "mean" the same divided by each place's count; "amax"/"amin" share
    ``g`` evenly among the values equal to the result; "prod" gives each value ``g``
    times the product of the others (exact where values are 0). Without
    ``include_self``, the places that receive values give ``x`` no gradient.
    """

    @staticmethod
    def forward(ctx, x, src, index, axis, reduce, include_self):
        out = scatter_reduce(x, src, index, axis, reduce, include_self)
        ctx.index, ctx.axis, ctx.reduce, ctx.include_self = index, axis, reduce, include_self
        mesh = along(index, axis)
        scattered = np.zeros(x.shape, dtype=bool)
        scattered[mesh] = True
        ctx.scattered = scattered
        if reduce == "mean":
            count = np.zeros(x.shape, dtype=out.dtype)
            np.add.at(count, mesh, 1)
            ctx.count = count + 1 if include_self else np.maximum(count, 1)
        elif reduce in ("amax", "amin"):
            self_is = (x == out) if include_self else ~scattered
            src_is = src == out[mesh]
            share = self_is.astype(out.dtype)
            np.add.at(share, mesh, src_is.astype(out.dtype))
            ctx.self_is, ctx.src_is, ctx.share = self_is, src_is, share
        elif reduce == "prod":
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        need_x, need_src = ctx.needs_input_grad
        if ctx.reduce == "mean":
            g = g / ctx.count
        elif ctx.reduce in ("amax", "amin"):
            g = g / ctx.share
        if ctx.reduce == "prod":
            return _prod_backward(ctx, g, need_x, need_src)
        gx = gsrc = None
        if need_x:
            if ctx.reduce in ("amax", "amin"):
                gx = xp.where(ctx.self_is, g, 0)
            else:
                gx = g if ctx.include_self else xp.where(ctx.scattered, 0, g)
        if need_src:
            gsrc = _take(xp, g, ctx.index, ctx.axis)
            if ctx.reduce in ("amax", "amin"):
                gsrc = xp.where(ctx.src_is, gsrc, 0)
        return gx, gsrc


def _take(xp, a, index, axis):
    """``a`` picked at ``index`` along ``axis``; ``a`` may be larger than ``index`` elsewhere."""
    if any(n != m for d, (n, m) in enumerate(zip(a.shape, index.shape)) if d != axis):
        a = a[_cut(index, axis)]
    return xp.take_along_axis(a, index, axis)


def _prod_backward(ctx, g, need_x, need_src):
    """PyTorch's VJP of a scatter product: the product of the *other* values, with the
    zeros handled exactly (one zero in a place gets the product of the rest)."""
    xp = ctx.xp
    x, src, out = ctx.saved_tensors
    index, axis, include_self = ctx.index, ctx.axis, ctx.include_self
    gx = gsrc = None
    if need_x:
        if include_self:
            nonzero_x = xp.where(value(x) == 0, 1, x)
            others = xp.scatter_reduce(nonzero_x, src, index, axis, "prod", True)
            gx = g * others / nonzero_x
        else:
            gx = xp.where(ctx.scattered, 0, g)
    if need_src:
        src_zero = value(src) == 0
        zeros = np.zeros(ctx.scattered.shape, dtype=np.int64)
        np.add.at(zeros, along(index, axis), src_zero)
        single_zero = src_zero & (np.take_along_axis(zeros[_cut(index, axis)], index, axis) == 1)
        with_one = xp.where(single_zero, 1, src)
        others = xp.scatter_reduce(x, with_one, index, axis, "prod", include_self)
        gsrc = xp.where(single_zero, _take(xp, g * others, index, axis),
                        _take(xp, g * out, index, axis) / xp.where(src_zero, 1, src))
    return gx, gsrc


def _cut(index, axis):
    """The slices that cut an array to ``index``'s shape outside ``axis``."""
    return tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
