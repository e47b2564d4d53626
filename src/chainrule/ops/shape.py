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
    """``x[index]`` for a NumPy index: slices, integers, None, Ellipsis, integer arrays,
    boolean masks.

    The VJP adds the gradient back at the indexed places, so repeated integer
    indices accumulate. ``Tensor.__getitem__`` turns PyTorch's indices into one or
    two of these (:mod:`chainrule.tensor_methods._indexing`); an index that means the
    same in NumPy and PyTorch (no integers beside index arrays) can be used on
    arrays and Tensors alike, as the VJPs do.
    """

    op_name = "index"

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.scatter_add(g, ctx.in_shape, ctx.index)


class Flip(Function):
    """``x[index]`` copied, for an index of full slices, some with step -1: ``flip``.

    Reversing is its own inverse, so the VJP indexes the gradient the same way.
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        return x[index].copy()

    @staticmethod
    def backward(ctx, g):
        return g[ctx.index]


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
    """``x[index] = v`` as a recorded op: out-of-place on the arrays it is given.

    With ``select`` (a basic index), it is ``x[select][index] = v``: PyTorch's
    integers-then-advanced indexing (:mod:`chainrule.tensor_methods._indexing`).
    The VJP is PyTorch's ``index_put``'s: ``x`` gets the gradient where nothing was
    written, ``v`` the gradient at every place it was written to (each of repeated
    indices, although one write wins), summed back to ``v``'s shape.
    """

    op_name = "index_put"

    @staticmethod
    def forward(ctx, x, v, index, select=None):
        ctx.index, ctx.select = index, select
        ctx.v_shape = np.shape(v)
        out = x.copy()
        _at(out, select)[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        gx = gv = None
        need_x, need_v = ctx.needs_input_grad
        if need_x:
            kept = np.ones(g.shape, dtype=bool)
            _at(kept, ctx.select)[ctx.index] = False
            gx = xp.where(kept, g, 0)
        if need_v:
            gv = _at(g, ctx.select)[ctx.index]
            if gv.shape != ctx.v_shape:
                v_shape = ctx.v_shape
                lead = len(v_shape) - gv.ndim  # v may have extra leading 1s
                gv = xp.sum_to(gv, v_shape[lead:] if lead > 0 else v_shape)
                if lead > 0:
                    gv = xp.reshape(gv, v_shape)
        return gx, gv


def _at(a, select):
    """``a[select]`` (a view: ``select`` is basic), or ``a`` when there is none."""
    return a if select is None else a[select]


class Clone(Function):
    """A copy of ``x`` with its own memory; the gradient passes through."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g
