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

from ..function import Function
from .arrays import col2im, sliding_windows, value, window_slices

__all__ = ["Pad", "SlidingWindows", "Col2Im", "MaxPool2d", "AvgPool2d"]


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


def _disjoint(window: tuple, stride: tuple, dilation: tuple) -> bool:
    """True when the slices of different window offsets never share a pixel."""
    return all(s >= (k - 1) * d + 1 for k, s, d in zip(window, stride, dilation))


def _scatter_windows(pieces, shape: tuple, dtype, window: tuple, stride: tuple,
                     dilation: tuple) -> np.ndarray:
    """Zeros of ``shape`` with ``pieces[(i, j)]`` added through each offset's slice."""
    disjoint = _disjoint(window, stride, dilation)
    tiled = dilation == (1, 1) and tuple(stride) == tuple(window) and all(
        n % k == 0 for n, k in zip(shape[-2:], window))
    # windows that tile the input exactly write every element once: no zero fill needed
    out = np.empty(shape, dtype=dtype) if tiled else np.zeros(shape, dtype=dtype)
    for ij, index in window_slices(shape, window, stride, dilation):
        if disjoint:
            out[index] = pieces(ij)
        else:
            out[index] += pieces(ij)
    return out


class MaxPool2d(Function):
    """Max over (kh, kw) windows of the last two axes (pad beforehand with -inf).

    Forward is a running maximum over the kh * kw strided slices. The gradient of each
    window goes to its first maximum in row-major order, like PyTorch: backward walks
    the slices in order and routes g to the first one equal to the maximum.
    """

    op_name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, window, stride, dilation):
        out = None
        for _, index in window_slices(x.shape, window, stride, dilation):
            if out is None:
                out = x[index].copy()
            else:
                np.maximum(out, x[index], out=out)
        ctx.save_for_backward(x, out)
        ctx.window, ctx.stride, ctx.dilation = window, stride, dilation
        return out

    @staticmethod
    def _first_max_masks(x, out, window, stride, dilation) -> dict:
        taken = np.zeros(out.shape, dtype=bool)
        nan_out = np.isnan(out)
        if not nan_out.any():
            nan_out = None
        masks = {}
        for ij, index in window_slices(x.shape, window, stride, dilation):
            hit = x[index] == out
            if nan_out is not None:  # a window whose maximum is NaN routes g to a NaN
                hit |= np.isnan(x[index]) & nan_out
            hit &= ~taken
            taken |= hit
            masks[ij] = hit
        return masks

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xp = ctx.xp
        masks = MaxPool2d._first_max_masks(value(x), value(out), ctx.window, ctx.stride,
                                           ctx.dilation)  # constants to a second pass
        kh, kw = ctx.window
        mask = np.stack([np.stack([masks[(i, j)] for j in range(kw)], -1) for i in range(kh)],
                        -2).astype(g.dtype)
        g6 = xp.reshape(g, g.shape + (1, 1))
        return xp.col2im(g6 * mask, x.shape, ctx.stride, ctx.dilation)

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays without the (..., kh, kw) one-hot tensor: one masked
        write per window offset."""
        x, out = ctx.saved_tensors
        masks = MaxPool2d._first_max_masks(x, out, ctx.window, ctx.stride, ctx.dilation)
        return _scatter_windows(lambda ij: g * masks[ij], x.shape, g.dtype, ctx.window,
                                ctx.stride, ctx.dilation)


class AvgPool2d(Function):
    """Sum over (kh, kw) windows of the last two axes, times ``scale`` (1 / (kh kw) for
    a mean); zero padding is applied beforehand. Backward spreads ``g * scale`` back
    through the same slices."""

    op_name = "avg_pool2d"

    @staticmethod
    def forward(ctx, x, window, stride, scale):
        out = None
        for _, index in window_slices(x.shape, window, stride, (1, 1)):
            if out is None:
                out = x[index].copy()
            else:
                out += x[index]
        out *= scale
        ctx.in_shape, ctx.window, ctx.stride, ctx.scale = x.shape, window, stride, scale
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        g6 = xp.broadcast_to(xp.reshape(g * ctx.scale, g.shape + (1, 1)), g.shape + ctx.window)
        return xp.col2im(g6, ctx.in_shape, ctx.stride, (1, 1))

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays: the scaled gradient written through each offset's slice."""
        gs = g * ctx.scale
        return _scatter_windows(lambda ij: gs, ctx.in_shape, g.dtype, ctx.window, ctx.stride,
                                (1, 1))
