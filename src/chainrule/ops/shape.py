"""Shape and indexing ops. Their VJPs move gradients around without arithmetic."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .arrays import scatter_add


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.reshape(g, ctx.in_shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.transpose(g, tuple(np.argsort(ctx.axes)))


class Expand(Function):
    """Broadcast to a larger shape without copying; the engine sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


class GetItem(Function):
    """``x[index]``: slices, integers, None, Ellipsis, integer arrays, boolean masks.

    The VJP adds the gradient back at the indexed places, so repeated integer
    indices accumulate.
    """

    op_name = "index"

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.scatter_add(g, ctx.in_shape, ctx.index)


class ScatterAdd(Function):
    """Zeros of a shape with ``g`` added at ``index``: the VJP of indexing, as an op."""

    op_name = "index_backward"

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        return scatter_add(g, shape, index)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]


class Concatenate(Function):
    op_name = "cat"

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [x.shape[axis] for x in xs])
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        b = ctx.bounds
        return tuple(
            g[lead + (slice(b[i], b[i + 1]),)] if need else None
            for i, need in enumerate(ctx.needs_input_grad)
        )


class SetItem(Function):
    """``x[index] = v`` as a recorded op: out-of-place on the arrays it is given."""

    op_name = "index_put"

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        ctx.v_shape = np.shape(v)
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        gx = gv = None
        need_x, need_v = ctx.needs_input_grad
        if need_x:
            mask = np.ones(g.shape, dtype=bool)
            mask[ctx.index] = False
            gx = g * mask
        if need_v:
            gv = g[ctx.index]
            if gv.shape != ctx.v_shape:
                gv = xp.sum_to(gv, ctx.v_shape)
        return gx, gv


class Clone(Function):
    """A copy of ``x`` with its own memory; the gradient passes through."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g
