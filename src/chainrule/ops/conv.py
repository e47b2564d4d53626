"""Convolution and pooling kernels: padding, sliding windows and their adjoint.

A convolution is written as a composition, so that its gradient is differentiable
again (DESIGN.md, decision 1)::

    pad  ->  sliding_windows  ->  (permute, reshape: the im2col copy)  ->  linear

:class:`SlidingWindows` returns every (kh, kw) window of the last two axes as a
strided view, without copying (``numpy.lib.stride_tricks.sliding_window_view``).
Its VJP is :class:`Col2Im`, which adds each window's gradient back where the
window came from (kh * kw strided adds), and the VJP of that is
``sliding_windows`` again: the pair is closed under differentiation.

Max pooling is one op (:class:`MaxPool2d`): a running maximum over the kh * kw
strided slices, keeping which slice won. The gradient goes to the first maximum
in each window, as in PyTorch.

Every kernel here works on the last two axes, so a 1-d version is the 2-d one
with a height of 1.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..function import Function
from ._backend import NUMPY

__all__ = ["Pad", "SlidingWindows", "Col2Im", "MaxPool2d", "sliding_windows", "col2im",
           "window_slices"]


# ---------------------------------------------------------------------------
# Array kernels (also what ``xp.sliding_windows`` and ``xp.col2im`` are on arrays)
# ---------------------------------------------------------------------------

def _out_size(n: int, k: int, stride: int, dilation: int) -> int:
    return (n - dilation * (k - 1) - 1) // stride + 1


def window_slices(shape: tuple, window: tuple, stride: tuple, dilation: tuple):
    """Yield ``((i, j), index)``: the strided slice of the last two axes that window
    offset (i, j) covers, for each of the kh * kw offsets.

    >>> [(ij, ix[-1]) for ij, ix in window_slices((1, 4), (1, 2), (1, 2), (1, 1))]
    [((0, 0), slice(0, 3, 2)), ((0, 1), slice(1, 4, 2))]
    """
    (kh, kw), (sh, sw), (dh, dw) = window, stride, dilation
    ho = _out_size(shape[-2], kh, sh, dh)
    wo = _out_size(shape[-1], kw, sw, dw)
    lead = (Ellipsis,)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            yield (i, j), lead + (rows, cols)


def sliding_windows(x: np.ndarray, window: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """Every window of the last two axes: shape (..., Ho, Wo, kh, kw), a read-only view.

    >>> w = sliding_windows(np.arange(6.0).reshape(2, 3), (2, 2), (1, 1), (1, 1))
    >>> w.shape, w[0, 1].tolist()
    ((1, 2, 2, 2), [[1.0, 2.0], [4.0, 5.0]])
    """
    (kh, kw), (sh, sw), (dh, dw) = window, stride, dilation
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    view = sliding_window_view(x, span, axis=(-2, -1))
    if (sh, sw, dh, dw) != (1, 1, 1, 1):
        view = view[..., ::sh, ::sw, ::dh, ::dw]
    return view


def col2im(g: np.ndarray, shape: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """The adjoint of :func:`sliding_windows`: zeros of ``shape`` with every window's
    values added back where the window came from.

    >>> col2im(np.ones((1, 2, 2, 2)), (2, 3), (1, 1), (1, 1)).tolist()
    [[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]]
    """
    window = g.shape[-2:]
    out = np.zeros(shape, dtype=g.dtype)
    for (i, j), index in window_slices(shape, window, stride, dilation):
        out[index] += g[..., i, j]
    return out


# ---------------------------------------------------------------------------
# Ops
# ---------------------------------------------------------------------------


class Pad(Function):
    """Constant padding; ``pad`` is one (before, after) pair per axis."""

    @staticmethod
    def forward(ctx, x, pad, value=0.0):
        ctx.index = tuple(slice(b, n + b) for (b, _), n in zip(pad, x.shape))
        return np.pad(x, pad, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.index]


class SlidingWindows(Function):
    """Windows of the last two axes, (..., H, W) -> (..., Ho, Wo, kh, kw), as a view."""

    op_name = "sliding_windows"

    @staticmethod
    def forward(ctx, x, window, stride, dilation):
        ctx.in_shape, ctx.stride, ctx.dilation = x.shape, stride, dilation
        return sliding_windows(x, window, stride, dilation)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.col2im(g, ctx.in_shape, ctx.stride, ctx.dilation)


class Col2Im(Function):
    """Scatter-add windows back to an image: the VJP of :class:`SlidingWindows`."""

    op_name = "col2im"

    @staticmethod
    def forward(ctx, g, shape, stride, dilation):
        ctx.window, ctx.stride, ctx.dilation = g.shape[-2:], stride, dilation
        return col2im(g, shape, stride, dilation)

    @staticmethod
    def backward(ctx, gg):
        return ctx.xp.sliding_windows(gg, ctx.window, ctx.stride, ctx.dilation)


class MaxPool2d(Function):
    """Max over (kh, kw) windows of the last two axes (pad beforehand with -inf).

    The gradient of each window goes to its first maximum (row-major), like PyTorch.
    """

    op_name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, window, stride, dilation):
        out = arg = None
        for (i, j), index in window_slices(x.shape, window, stride, dilation):
            piece = x[index]
            if out is None:
                out = piece.copy()
                arg = np.zeros(out.shape, dtype=np.int16 if window[0] * window[1] > 127
                               else np.int8)
                continue
            # strictly greater: ties keep the earlier offset (np.maximum propagates NaN)
            np.copyto(arg, i * window[1] + j, where=piece > out)
            np.maximum(out, piece, out=out)
        ctx.arg, ctx.in_shape = arg, x.shape
        ctx.window, ctx.stride, ctx.dilation = window, stride, dilation
        return out

    @staticmethod
    def backward(ctx, g):
        xp, arg, (kh, kw) = ctx.xp, ctx.arg, ctx.window
        if xp is NUMPY:
            gx = np.zeros(ctx.in_shape, dtype=g.dtype)
            for (i, j), index in window_slices(ctx.in_shape, ctx.window, ctx.stride,
                                               ctx.dilation):
                gx[index] += np.where(arg == i * kw + j, g, 0)
            return gx
        # create_graph: the same scatter written as col2im of a one-hot mask
        offsets = np.arange(kh * kw).reshape(kh, kw)
        mask = (arg[..., None, None] == offsets).astype(g.dtype)
        g6 = xp.reshape(g, g.shape + (1, 1))
        return xp.col2im(g6 * mask, ctx.in_shape, ctx.stride, ctx.dilation)
