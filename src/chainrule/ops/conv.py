"""Convolution and pooling kernels: padding, sliding windows and their adjoint.

A convolution is one op, :class:`Conv` (after a :class:`Pad`): im2col, one matmul,
the bias. Its ``backward`` is written with ``xp`` from the ops below (windows, matmul,
col2im), so its gradient is differentiable again (DESIGN.md, decision 1); its
``fast_backward`` is the first-order kernel on arrays.

:class:`SlidingWindows` returns every window of the last d axes (d = 1, 2 or 3, the
length of the window) as a strided view, without copying
(``numpy.lib.stride_tricks.sliding_window_view``). Its VJP is :class:`Col2Im`,
which adds each window's gradient back where the window came from (one strided
add per window offset), and the VJP of that is ``sliding_windows`` again: the pair
is closed under differentiation. A transposed convolution is the VJP of a
convolution written forward: a matmul, then ``col2im``.

:class:`Pad` pads with a constant or crops (a negative amount), and its VJP is the
opposite crop and pad.

Max pooling is one op (:class:`MaxPool`): a running maximum over the window's
strided slices, or, for windows that tile the input, one axis at a time. Its
gradient goes where PyTorch sends it: to the first maximum of each window in
row-major order, to the last NaN of a window holding NaNs, never to the padding.
:class:`AvgPool` sums the slices; :class:`MaxUnpool` puts values back at the
positions max pooling took them from.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..function import Function
from .arrays import _out_size, col2im, sliding_windows, value, window_slices

__all__ = ["Pad", "TakeAxis", "TakePoints", "SlidingWindows", "Col2Im", "Conv", "MaxPool",
           "AvgPool", "MaxUnpool", "lowest", "max_pool_winners"]


# ---------------------------------------------------------------------------
# Padding
# ---------------------------------------------------------------------------

class Pad(Function):
    """Constant padding; ``pad`` is one (before, after) pair per axis, and a negative
    amount crops that many elements instead. The VJP crops what was padded and puts
    zeros where the input was cropped."""

    @staticmethod
    def forward(ctx, x, pad, value=0.0):
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(pad, x.shape))
        grow = tuple((max(b, 0), max(a, 0)) for b, a in pad)
        cropped = any(b < 0 or a < 0 for b, a in pad)
        inner = x[crop] if cropped else x
        ctx.in_shape, ctx.crop = x.shape, (crop if cropped else None)
        ctx.inner = tuple(slice(b, b + n) for (b, _), n in zip(grow, inner.shape))
        if any(b or a for b, a in grow):
            return np.pad(inner, grow, mode="constant", constant_values=value)
        return inner if cropped else x.view()

    @staticmethod
    def backward(ctx, g):
        g = g[ctx.inner]
        if ctx.crop is None:
            return g
        return ctx.xp.scatter_add(g, ctx.in_shape, ctx.crop)


class TakeAxis(Function):
    """``x`` at the positions ``index`` (one integer array, repeats allowed) along ``axis``:
    the gathers of ``pad``'s reflect, replicate and circular modes and of ``interpolate``.
    The VJP adds ``g`` back at the same positions."""

    op_name = "take"

    @staticmethod
    def forward(ctx, x, index, axis):
        ctx.in_shape, ctx.index, ctx.axis = x.shape, index, axis
        return np.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        where = (slice(None),) * ctx.axis + (ctx.index,)
        return ctx.xp.scatter_add(g, ctx.in_shape, where)

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays without ``np.add.at`` (3-4x slower): on a view with the
        axis in front, one pass per repeat adds the k-th occurrence of every position at
        once (distinct within a pass), so each sum adds its terms in the same order."""
        index, axis = ctx.index, ctx.axis
        front = np.moveaxis(g, axis, 0)
        out = np.zeros((ctx.in_shape[axis],) + front.shape[1:], dtype=g.dtype)
        if len(index):
            order = np.argsort(index, kind="stable")
            ordered = index[order]
            starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
            counts = np.diff(np.append(starts, len(index)))
            rank = np.arange(len(index)) - np.repeat(starts, counts)
            for k in range(int(counts.max())):
                chosen = order[rank == k]  # the k-th occurrence of each position, in order
                out[index[chosen]] += front[chosen]
        return np.moveaxis(out, 0, axis)


class TakePoints(Function):
    """``x`` (..., P) at positions ``index`` (..., L) of its last axis, the index broadcast
    over the leading axes (one set of points for every channel): the gathers of
    ``grid_sample``, and of max pooling's winners. The VJP adds ``g`` back there."""

    op_name = "take_points"

    @staticmethod
    def forward(ctx, x, index):
        index = np.broadcast_to(index, x.shape[:-1] + index.shape[-1:])
        ctx.in_shape, ctx.index = x.shape, index
        return np.take_along_axis(x, index, axis=-1)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.scatter_add_along(g, ctx.in_shape, ctx.index, len(ctx.in_shape) - 1)

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays with one ``np.bincount`` over the flat positions instead
        of ``np.add.at`` (about 10x faster); float32 sums are taken in float64."""
        size = ctx.in_shape[-1]
        rows = np.arange(g.size // max(g.shape[-1], 1)).reshape(g.shape[:-1] + (1,)) * size
        sums = np.bincount((rows + ctx.index).ravel(), weights=g.ravel(),
                           minlength=int(np.prod(ctx.in_shape)))
        return sums.reshape(ctx.in_shape).astype(g.dtype, copy=False)


def lowest(dtype: np.dtype) -> float | int:
    """The value that no element of ``dtype`` is below: ``-inf``, or an integer type's min."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return int(np.iinfo(dtype).min)
    return -np.inf


def _pad_lowest(x: np.ndarray, padding: tuple | None) -> np.ndarray:
    """``x`` padded on its last axes with :func:`lowest` (one (before, after) pair each)."""
    if padding is None:
        return x
    pairs = ((0, 0),) * (x.ndim - len(padding)) + tuple(padding)
    return np.pad(x, pairs, mode="constant", constant_values=lowest(x.dtype))


def _offsets(window: tuple) -> itertools.product:
    """Every offset in a window, in row-major order: (0, 0), (0, 1), ..."""
    return itertools.product(*[range(k) for k in window])


def _unpad(padding: tuple, shape: tuple) -> tuple:
    """The index that crops ``padding`` off the last axes of an array of ``shape``."""
    spatial = shape[len(shape) - len(padding):]
    return (Ellipsis,) + tuple(slice(b, n - a) for (b, a), n in zip(padding, spatial))


# ---------------------------------------------------------------------------
# Sliding windows and their adjoint
# ---------------------------------------------------------------------------

class SlidingWindows(Function):
    """Windows of the last d axes as a view: (..., H, W) -> (..., Ho, Wo, kh, kw) for d = 2."""

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
        ctx.window, ctx.stride, ctx.dilation = g.shape[g.ndim - len(stride):], stride, dilation
        return col2im(g, shape, stride, dilation)

    @staticmethod
    def backward(ctx, gg):
        return ctx.xp.sliding_windows(gg, ctx.window, ctx.stride, ctx.dilation)


def _disjoint(window: tuple, stride: tuple, dilation: tuple) -> bool:
    """True when the slices of different window offsets never share a pixel."""
    return all(s >= (k - 1) * d + 1 for k, s, d in zip(window, stride, dilation))


def _scatter_windows(pieces, shape: tuple, dtype, window: tuple, stride: tuple,
                     dilation: tuple) -> np.ndarray:
    """Zeros of ``shape`` with ``pieces(offset)`` added through each offset's slice."""
    disjoint = _disjoint(window, stride, dilation)
    spatial = shape[len(shape) - len(window):]
    tiled = all(d == 1 for d in dilation) and tuple(stride) == tuple(window) and all(
        n % k == 0 for n, k in zip(spatial, window))
    # windows that tile the input exactly write every element once: no zero fill needed
    out = np.empty(shape, dtype=dtype) if tiled else np.zeros(shape, dtype=dtype)
    for offset, index in window_slices(shape, window, stride, dilation):
        if disjoint:
            out[index] = pieces(offset)
        else:
            out[index] += pieces(offset)
    return out


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

class Conv(Function):
    """Cross-correlation of (N, C, *S) with (O, C, *k) weights and an optional (O,) bias,
    for d = len(k) spatial axes, with stride and dilation (padding is a :class:`Pad`
    before it); returns (N, O, *out).

    Forward is im2col: the windows laid out as columns (C * prod(k), N * prod(out)) in
    one copy, one matmul, the bias added in place. The result is channel-major in
    memory, (O, N, *out), returned as an (N, O, *out) view: ReLU and pooling keep that
    layout, and the next convolution's im2col reads it in whole rows. ``backward`` is
    the same computation written with ``xp`` (windows, matmul, col2im), so it is
    differentiable again; ``fast_backward`` reuses the forward's columns.
    """

    op_name = "conv"

    @staticmethod
    def forward(ctx, x, w, b, stride, dilation):
        d = len(stride)
        n, o = x.shape[0], w.shape[0]
        kernel = w.shape[2:]
        out_sizes = tuple(_out_size(m, k, s, dl)
                          for m, k, s, dl in zip(x.shape[2:], kernel, stride, dilation))
        cols = _im2col(x, kernel, stride, dilation)
        out = np.matmul(w.reshape(o, -1), cols)
        if b is not None:
            if b.dtype == out.dtype:
                out += b.reshape(o, 1)
            else:  # a bias of another dtype promotes, as adding it would
                out = out + b.reshape(o, 1)
        ctx.save_for_backward(x, w)
        ctx.stride, ctx.dilation, ctx.cols = stride, dilation, cols  # cols: for fast_backward
        return out.reshape((o, n) + out_sizes).transpose((1, 0) + tuple(range(2, 2 + d)))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xp = ctx.xp
        need_x, need_w, need_b = ctx.needs_input_grad
        d = len(ctx.stride)
        n, c = x.shape[:2]
        o, kernel, out_sizes = w.shape[0], tuple(w.shape[2:]), tuple(g.shape[2:])
        gm = xp.reshape(xp.transpose(g, (1, 0) + tuple(range(2, 2 + d))), (o, -1))
        gx = gw = gb = None
        if need_x:  # the columns' gradient W^T g, each added back where its window lies
            dcols = xp.matmul(xp.transpose(xp.reshape(w, (o, -1))), gm)
            windows = xp.transpose(xp.reshape(dcols, (c,) + kernel + (n,) + out_sizes),
                                   _from_cols(d))
            gx = xp.col2im(windows, tuple(x.shape), ctx.stride, ctx.dilation)
        if need_w:  # g times the columns, recomputed from x so that x stays in the graph
            windows = xp.sliding_windows(x, kernel, ctx.stride, ctx.dilation)
            cols = xp.reshape(xp.transpose(windows, _to_cols(d)), (c * math.prod(kernel), -1))
            gw = xp.reshape(xp.matmul(gm, xp.transpose(cols)), tuple(w.shape))
        if need_b:
            gb = xp.sum(gm, axis=1)
        return gx, gw, gb

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays: the weights' gradient from the saved columns (the
        matmul split along its long axis, see :func:`_matmul_nt`), and the input's by
        :func:`_col2im_grid` where it applies (stride 1, finite weights)."""
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        stride, dilation = ctx.stride, ctx.dilation
        d = len(stride)
        n, c = x.shape[:2]
        o, kernel, out_sizes = w.shape[0], w.shape[2:], g.shape[2:]
        gm = g.transpose((1, 0) + tuple(range(2, 2 + d)))  # a view if g is channel-major
        g2 = gm.reshape(o, -1)
        w2 = w.reshape(o, -1)
        gw = _matmul_nt(g2, ctx.cols).reshape(w.shape) if need_w else None
        gb = g2.sum(axis=1) if need_b else None
        gx = None
        if need_x:
            spatial = x.shape[2:]
            if (all(s == 1 for s in stride) and math.prod(spatial) <= 2 * math.prod(out_sizes)
                    and np.isfinite(w).all()):
                gx = _col2im_grid(w2, gm, spatial, kernel, dilation)
            else:
                dcols = np.matmul(w2.T, g2).reshape((c,) + kernel + (n,) + out_sizes)
                gx = col2im(dcols.transpose(_from_cols(d)), x.shape, stride, dilation)
        return gx, gw, gb


def _to_cols(d: int) -> tuple:
    """The axes that take windows (N, C, *out, *k) to column order (C, *k, N, *out)."""
    return (1,) + tuple(range(2 + d, 2 + 2 * d)) + (0,) + tuple(range(2, 2 + d))


def _from_cols(d: int) -> tuple:
    """The axes that take (C, *k, N, *out) back to windows (N, C, *out, *k)."""
    return (1 + d, 0) + tuple(range(2 + d, 2 + 2 * d)) + tuple(range(1, 1 + d))


def _im2col(x: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """The windows of x (N, C, *S) as columns (C * prod(k), N * prod(out)).

    Copying the windows view straight into column order copies rows of Wo pixels, one
    NumPy inner loop each. With stride 1 along H (and d >= 2), two copies do better
    (0.19 against 0.27 ms for the (64, 8, 13, 13) input of bench/cnn.py): first the kw
    shifts along W, laid out as (C, kw, N, *S[:-1], Wo); then each window offset's
    (Ho, Wo) block is a run of whole rows of that.
    """
    d = len(kernel)
    if d == 1 or stride[-2] != 1:
        cols = sliding_windows(x, kernel, stride, dilation).transpose(_to_cols(d))
        return np.ascontiguousarray(cols).reshape(x.shape[1] * math.prod(kernel), -1)
    shifted = sliding_windows(x, kernel[-1:], stride[-1:], dilation[-1:])  # (N, C, .., Wo, kw)
    order = (1, x.ndim, 0) + tuple(range(2, x.ndim - 1)) + (x.ndim - 1,)
    rows = np.ascontiguousarray(shifted.transpose(order))  # (C, kw, N, *S[:-1], Wo)
    st = rows.strides
    lead = range(d - 1)
    outs = tuple(_out_size(m, k, s, dl) for m, k, s, dl in
                 zip(x.shape[2:-1], kernel[:-1], stride[:-1], dilation[:-1]))
    shape = (rows.shape[0],) + tuple(kernel[:-1]) + rows.shape[1:3] + outs + rows.shape[-1:]
    strides = ((st[0],) + tuple(st[3 + a] * dilation[a] for a in lead) + st[1:3]
               + tuple(st[3 + a] * stride[a] for a in lead) + st[-1:])
    cols = as_strided(rows, shape, strides, writeable=False)  # (C, *k, N, *out)
    return np.ascontiguousarray(cols).reshape(x.shape[1] * math.prod(kernel), -1)


def _matmul_nt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T`` for a (M, K) and b (N, K) with M * N small and K long (a weight
    gradient: K is every output pixel of the batch). Summed over pieces of K whose
    M * N * K stays near 6e5: OpenBLAS (0.3.31, one thread) runs such small products
    through its small-matrix kernels, and the whole product 2-4x slower (0.41 ms against
    0.09 ms for (8, 43264) x (43264, 9), 0.45 ms against 0.20 ms for (16, 7744) x
    (7744, 72)). Larger M * N gain nothing and take one matmul."""
    m, k = a.shape
    piece = 1 << max(int(6e5 // max(m * b.shape[0], 1)).bit_length() - 1, 0)
    if piece < 256 or k < 2 * piece:
        return np.matmul(a, b.T)
    out = np.matmul(a[:, :piece], b[:, :piece].T)
    for start in range(piece, k, piece):
        out += np.matmul(a[:, start:start + piece], b[:, start:start + piece].T)
    return out


def _col2im_grid(w2: np.ndarray, gm: np.ndarray, spatial: tuple, kernel: tuple,
                 dilation: tuple) -> np.ndarray:
    """The input gradient of a stride-1 convolution, (N, C, *spatial), from the weights
    (O, C * prod(k)) and the output gradient ``gm`` (O, N, *out), for finite weights.

    col2im on the columns W^T g adds kh * kw strided blocks, each a NumPy call with
    rows of only Wo elements. Here g is first put on the input's grid (zeros where no
    window starts), so the columns are rows of N * H * W pixels, and each window
    offset becomes one add of a whole shifted row: a column that starts no window is
    exactly zero (finite weights times zeros) and adds nothing where it lands.
    """
    o, n = gm.shape[:2]
    ck = w2.shape[1]
    area = math.prod(kernel)
    c, size = ck // area, n * math.prod(spatial)
    if tuple(gm.shape[2:]) == tuple(spatial):
        grid = gm.reshape(o, size)
    else:
        grid = np.zeros((o, n) + tuple(spatial), dtype=gm.dtype)
        grid[(slice(None), slice(None)) + tuple(slice(0, m) for m in gm.shape[2:])] = gm
        grid = grid.reshape(o, size)
    cols = np.matmul(w2.T, grid).reshape(c, area, size)
    steps = [math.prod(spatial[a + 1:]) * dilation[a] for a in range(len(kernel))]
    gx = cols[:, 0].copy()  # offset 0 (shift 0) comes first and covers the whole grid
    for k, offset in enumerate(_offsets(kernel)):
        shift = sum(i * s for i, s in zip(offset, steps))
        if k:
            gx[:, shift:] += cols[:, k, :size - shift]
    return gx.reshape((c, n) + tuple(spatial)).transpose((1, 0) + tuple(range(2, 2 + len(kernel))))


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------

class MaxPool(Function):
    """Max over windows of the last d axes; ``padding`` (one (before, after) pair per axis,
    the ``after`` with any ceil-mode overhang) is filled with :func:`lowest` and never wins.

    Forward is a running maximum over the window's strided slices (NaN propagates).
    The gradient of each window goes to its first maximum in row-major order, or to
    its last NaN, like PyTorch's kernel (``val > max || isnan(val)``).
    """

    op_name = "max_pool"

    @staticmethod
    def forward(ctx, x, window, stride, dilation, padding=None):
        if padding is not None and not any(b or a for b, a in padding):
            padding = None
        ctx.window, ctx.stride, ctx.dilation, ctx.padding = window, stride, dilation, padding
        ctx.stages = None
        if padding is None and tuple(stride) == tuple(window) and all(
                dl == 1 for dl in dilation) and any(k > 1 for k in window):
            out, ctx.stages = _tiled_max(x, window)
            ctx.save_for_backward(x, out)
            return out
        padded = _pad_lowest(x, padding)
        out = None
        for _, index in window_slices(padded.shape, window, stride, dilation):
            if out is None:
                out = padded[index].copy()
            else:
                np.maximum(out, padded[index], out=out)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def _winner_masks(padded, out, window, stride, dilation, padding) -> dict:
        """One boolean mask of ``out``'s shape per window offset: where that offset won."""
        valid = None
        if padding is not None:
            valid = np.zeros(padded.shape[padded.ndim - len(window):], dtype=bool)
            valid[_unpad(padding, valid.shape)] = True
        slices = list(window_slices(padded.shape, window, stride, dilation))
        taken = np.zeros(out.shape, dtype=bool)
        masks = {}
        for offset, index in slices:
            hit = padded[index] == out
            if valid is not None:
                hit &= valid[index]
            hit &= ~taken
            taken |= hit
            masks[offset] = hit
        nan_out = np.isnan(out) if out.dtype.kind == "f" else None
        if nan_out is not None and nan_out.any():  # a NaN window routes g to its last NaN
            seen = np.zeros(out.shape, dtype=bool)
            for offset, index in reversed(slices):
                hit = np.isnan(padded[index]) & nan_out & ~seen
                seen |= hit
                masks[offset] |= hit
        return masks

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xp = ctx.xp
        padded = _pad_lowest(value(x), ctx.padding)
        masks = MaxPool._winner_masks(padded, value(out), ctx.window, ctx.stride,
                                      ctx.dilation, ctx.padding)  # constants to a second pass
        mask = np.stack([masks[o] for o in _offsets(ctx.window)], -1)
        mask = mask.reshape(g.shape + tuple(ctx.window)).astype(g.dtype)
        gw = xp.reshape(g, g.shape + (1,) * len(ctx.window))
        gp = xp.col2im(gw * mask, padded.shape, ctx.stride, ctx.dilation)
        return gp if ctx.padding is None else gp[_unpad(ctx.padding, gp.shape)]

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays without the (..., *window) one-hot tensor: one masked
        write per window offset, or, for windows that tile the input and hold no NaN,
        :func:`_tiled_max_backward` through the forward's stages."""
        x, out = ctx.saved_tensors
        if ctx.stages is not None and not (out.dtype.kind == "f" and np.isnan(out).any()):
            return _tiled_max_backward(g, ctx.stages, out, ctx.window)
        padded = _pad_lowest(x, ctx.padding)
        masks = MaxPool._winner_masks(padded, out, ctx.window, ctx.stride, ctx.dilation,
                                      ctx.padding)
        gp = _scatter_windows(lambda o: g * masks[o], padded.shape, g.dtype, ctx.window,
                              ctx.stride, ctx.dilation)
        return gp if ctx.padding is None else gp[_unpad(ctx.padding, gp.shape)]


def _every_kth(a: np.ndarray, axis: int, j: int, k: int, count: int) -> np.ndarray:
    """The view of ``a`` at positions j, j + k, ..., j + k (count - 1) along ``axis``."""
    index = [slice(None)] * a.ndim
    index[axis] = slice(j, j + k * (count - 1) + 1, k)
    return a[tuple(index)]


def _tiled_max(x: np.ndarray, window: tuple) -> tuple[np.ndarray, list]:
    """Max pooling with stride = window (no padding or dilation), one axis at a time.

    Windows that do not overlap make the maximum separable: the row-wise maxima of a
    window, then their maximum. Each stage reads its input once in long strided runs
    (the innermost stage over the whole array), where the window-offset slices of
    :class:`MaxPool`'s general path are many short rows. Taking the innermost axis
    first keeps PyTorch's choice of winner (the first maximum in row-major order: the
    first maximum of the first row holding the window's maximum). Returns the output
    and the stages as (axis, input, output) for :func:`_tiled_max_backward`.
    """
    d = len(window)
    stages = []
    cur = x
    for a in reversed(range(d)):
        k = window[a]
        if k == 1:
            continue
        axis = x.ndim - d + a
        count = cur.shape[axis] // k
        nxt = np.maximum(_every_kth(cur, axis, 0, k, count), _every_kth(cur, axis, 1, k, count))
        for j in range(2, k):
            np.maximum(nxt, _every_kth(cur, axis, j, k, count), out=nxt)
        stages.append((axis, cur, nxt))
        cur = nxt
    return cur, stages


def _tiled_max_backward(g: np.ndarray, stages: list, out: np.ndarray, window: tuple) -> np.ndarray:
    """The VJP of :func:`_tiled_max` where no window holds a NaN: stage by stage from the
    last, each stage's gradient goes to the first of its k inputs equal to its output."""
    if g.strides != out.strides:  # g in the stages' memory order: the passes below stream
        laid = np.empty_like(out)
        laid[...] = g
        g = laid
    for axis, inp, res in reversed(stages):
        k = window[axis - inp.ndim + len(window)]
        count = res.shape[axis]
        whole = inp.shape[axis] == k * count
        grad = np.empty_like(inp) if whole else np.zeros_like(inp)
        taken = None
        for j in range(k):
            if j == k - 1 and taken is not None:
                hit = ~taken  # no NaN: the last offset wins wherever no earlier one did
            else:
                hit = _every_kth(inp, axis, j, k, count) == res
                if taken is not None:
                    hit &= ~taken
                    taken |= hit
                else:
                    taken = hit  # read before any later offset's |= changes it
            np.multiply(g, hit, out=_every_kth(grad, axis, j, k, count))
        g = grad
    return g


def max_pool_winners(x: np.ndarray, out: np.ndarray, window: tuple, stride: tuple,
                     dilation: tuple, padding: tuple | None) -> np.ndarray:
    """For each output of ``MaxPool`` (``out``, from ``x``), the row-major number of the
    window offset that won: where its gradient goes, and what ``return_indices`` reports."""
    if padding is not None and not any(b or a for b, a in padding):
        padding = None
    masks = MaxPool._winner_masks(_pad_lowest(x, padding), out, window, stride, dilation,
                                  padding)
    winner = np.zeros(out.shape, dtype=np.int64)
    for k, offset in enumerate(_offsets(window)):
        winner[masks[offset]] = k
    return winner


class AvgPool(Function):
    """Sum over windows of the last d axes, times ``scale`` (1 / window size for a mean);
    zero padding is applied beforehand. Backward spreads ``g * scale`` back through the
    same slices."""

    op_name = "avg_pool"

    @staticmethod
    def forward(ctx, x, window, stride, scale):
        ones = (1,) * len(window)
        out = None
        for _, index in window_slices(x.shape, window, stride, ones):
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
        d = len(ctx.window)
        g6 = xp.broadcast_to(xp.reshape(g * ctx.scale, g.shape + (1,) * d),
                             g.shape + tuple(ctx.window))
        return xp.col2im(g6, ctx.in_shape, ctx.stride, (1,) * d)

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays: the scaled gradient written through each offset's slice."""
        gs = g * ctx.scale
        return _scatter_windows(lambda o: gs, ctx.in_shape, g.dtype, ctx.window, ctx.stride,
                                (1,) * len(ctx.window))


class MaxUnpool(Function):
    """Zeros of (..., ``size``) with each value of ``x`` (..., L) put at its flat index
    along the last axis (where indices repeat, the last value wins, as in PyTorch's
    kernel). The VJP gathers ``g`` at the same indices, PyTorch's rule."""

    op_name = "max_unpool"

    @staticmethod
    def forward(ctx, x, indices, size):
        out = np.zeros(x.shape[:-1] + (size,), dtype=x.dtype)
        np.put_along_axis(out, indices, x, axis=-1)
        ctx.indices = indices
        return out

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.take_along_axis(g, ctx.indices, -1)
