"""Convolution functions, built from the sliding-window ops of :mod:`chainrule.ops.conv`.

A convolution pads, then runs one op (:class:`chainrule.ops.conv.Conv`): the windows
laid out as columns (the im2col copy), one matmul by the weights, the bias. A transposed
convolution is that convolution's VJP with respect to its input, written forward:
the weights' transpose times the input, then ``col2im`` adds each column back where
its window lies, then the padding is cropped. ``unfold`` and ``fold`` are the two
halves (im2col and col2im) on their own. Every function here has gradients of any
order: the windows' VJP is col2im, and back.
"""

from __future__ import annotations

import math
from typing import Any

from ...ops.conv import Col2Im, Conv, Pad, SlidingWindows
from ...tensor import Tensor
from ...tensor_methods.shape import cat
from ._checks import _desc, _pair, _same_dtype, _tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


# ---------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------

def _positive(v: Any, n: int, name: str, who: str) -> tuple:
    out = _pair(v, n, name, who)
    if any(a < 1 for a in out):
        raise ValueError(f"{who}: {name} must be positive, got {out}")
    return out


def _non_negative(v: Any, n: int, name: str, who: str) -> tuple:
    out = _pair(v, n, name, who)
    if any(a < 0 for a in out):
        raise ValueError(f"{who}: negative {name} is not supported, got {out}")
    return out


def _conv_padding(padding: Any, kernel: tuple, dilation: tuple, stride: tuple, who: str) -> tuple:
    """(before, after) per spatial dim, from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return tuple((0, 0) for _ in kernel)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{who}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in total)
        raise ValueError(f"{who}: padding must be an int, a tuple, 'valid' or 'same', got "
                         f"{padding!r}")
    return tuple((p, p) for p in _non_negative(padding, len(kernel), "padding", who))


def _batched(input: Any, weight: Any, dims: int, who: str) -> tuple[Tensor, bool]:
    """The input as (N, C, *spatial) and whether it came unbatched; checks both ranks."""
    input = _tensor(input, who)
    weight = _tensor(weight, who)
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{who}: expected a {dims + 2}-d input (N, C, {_SPATIAL[dims]}) or "
                         f"an unbatched {dims + 1}-d one, got {_desc(input)}")
    if weight.ndim != dims + 2:
        raise ValueError(f"{who}: expected a {dims + 2}-d weight, got {_desc(weight)}")
    _same_dtype(input, weight, who)
    unbatched = input.ndim == dims + 1
    return (input.unsqueeze(0) if unbatched else input), unbatched


def _check_bias(bias: Any, channels: int, weight: Tensor, who: str) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(f"{who}: expected a bias of shape ({channels},) for a weight of shape "
                         f"{tuple(weight.shape)}, got {_desc(bias)}")


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d cross-correlation of (N, C, L) (or unbatched (C, L)) with (O, C / groups, k)
    weights; returns (N, O, Lo).

    >>> import chainrule as cr
    >>> conv1d(cr.ones(2, 3, 10), cr.ones(4, 3, 3), stride=2).shape
    (2, 4, 4)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation of (N, C, H, W) with (O, C / groups, kh, kw) weights;
    returns (N, O, Ho, Wo).

    im2col without a Python loop over pixels: the windows are a strided view, one
    copy lays them out as rows, and one matmul multiplies them by the weights.
    Gradients of any order (the windows' VJP is col2im, and back).

    >>> import chainrule as cr
    >>> conv2d(cr.ones(1, 1, 4, 4), cr.ones(2, 1, 3, 3), padding=1).shape
    (1, 2, 4, 4)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-d cross-correlation of (N, C, D, H, W) with (O, C / groups, kd, kh, kw) weights;
    returns (N, O, Do, Ho, Wo).

    >>> import chainrule as cr
    >>> conv3d(cr.ones(1, 2, 4, 5, 6), cr.ones(3, 2, 3, 3, 3), padding=(1, 0, 0)).shape
    (1, 3, 4, 3, 4)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv(input: Any, weight: Tensor, bias: Any, stride: Any, padding: Any, dilation: Any,
          groups: int, dims: int, who: str) -> Tensor:
    input, unbatched = _batched(input, weight, dims, who)
    out_ch, in_per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if groups < 1:
        raise ValueError(f"{who}: groups must be positive, got {groups}")
    if input.shape[1] != in_per_group * groups or out_ch % groups:
        raise ValueError(
            f"{who}: expected input with {in_per_group * groups} channels (weight of shape "
            f"{tuple(weight.shape)}, groups={groups}), got {_desc(input)}"
        )
    _check_bias(bias, out_ch, weight, who)
    stride = _positive(stride, dims, "stride", who)
    dilation = _positive(dilation, dims, "dilation", who)
    pads = _conv_padding(padding, kernel, dilation, stride, who)
    sizes = [n + b + a for n, (b, a) in zip(input.shape[2:], pads)]
    if any(n < d * (k - 1) + 1 for n, k, d in zip(sizes, kernel, dilation)):
        raise ValueError(
            f"{who}: the padded input of spatial size {tuple(sizes)} is smaller than "
            f"the (dilated) kernel {kernel}; use a smaller kernel or more padding"
        )
    if any(p != (0, 0) for p in pads):
        input = Pad.apply(input, pad=((0, 0), (0, 0)) + pads, value=0.0)
    if groups == 1:
        out = _conv_one_group(input, weight, bias, kernel, stride, dilation)
    else:
        xs = input.chunk(groups, 1)
        ws = weight.chunk(groups, 0)
        bs = bias.chunk(groups, 0) if bias is not None else [None] * groups
        out = cat([_conv_one_group(x, w, b, kernel, stride, dilation)
                   for x, w, b in zip(xs, ws, bs)], dim=1)
    return out.squeeze(0) if unbatched else out


def _conv_one_group(x: Tensor, w: Tensor, b: Any, kernel: tuple, stride: tuple,
                    dilation: tuple) -> Tensor:
    # one op: im2col, one matmul, the bias (ops.conv.Conv)
    return Conv.apply(x, w, b, stride=stride, dilation=dilation)


# ---------------------------------------------------------------------------
# Transposed convolution
# ---------------------------------------------------------------------------

def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-d transposed convolution of (N, C, L) (or (C, L)) with (C, O / groups, k) weights;
    returns (N, O, Lo) with Lo = (L - 1) stride - 2 padding + dilation (k - 1)
    + output_padding + 1.

    >>> import chainrule as cr
    >>> conv_transpose1d(cr.ones(1, 1, 3), cr.ones(1, 1, 2), stride=2).tolist()
    [[[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]]
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-d transposed convolution ("deconvolution") of (N, C, H, W) with
    (C, O / groups, kh, kw) weights: the gradient of ``conv2d`` with respect to its input.

    >>> import chainrule as cr
    >>> conv_transpose2d(cr.ones(2, 4, 5, 5), cr.ones(4, 3, 4, 4), stride=2, padding=1).shape
    (2, 3, 10, 10)
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """3-d transposed convolution of (N, C, D, H, W) with (C, O / groups, kd, kh, kw) weights.

    >>> import chainrule as cr
    >>> conv_transpose3d(cr.ones(1, 2, 2, 3, 3), cr.ones(2, 1, 3, 3, 3), stride=2,
    ...                  output_padding=1).shape
    (1, 1, 6, 8, 8)
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")


def _conv_transpose(input: Any, weight: Tensor, bias: Any, stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any, dims: int,
                    who: str) -> Tensor:
    if isinstance(padding, str):
        raise TypeError(f"{who}: padding must be an int or a tuple of {dims} ints, got "
                        f"{padding!r}")
    input, unbatched = _batched(input, weight, dims, who)
    in_ch, out_per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if groups < 1:
        raise ValueError(f"{who}: groups must be positive, got {groups}")
    if in_ch % groups or input.shape[1] != in_ch:
        raise ValueError(
            f"{who}: expected input with {in_ch} channels, divisible by groups={groups} "
            f"(weight of shape {tuple(weight.shape)}), got {_desc(input)}"
        )
    _check_bias(bias, out_per_group * groups, weight, who)
    stride = _positive(stride, dims, "stride", who)
    dilation = _positive(dilation, dims, "dilation", who)
    padding = _non_negative(padding, dims, "padding", who)
    extra = _non_negative(output_padding, dims, "output_padding", who)
    if any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{who}: output_padding {extra} must be smaller than either stride "
                         f"{stride} or dilation {dilation}")
    full = tuple((n - 1) * s + d * (k - 1) + 1
                 for n, s, d, k in zip(input.shape[2:], stride, dilation, kernel))
    sizes = tuple(f - 2 * p + e for f, p, e in zip(full, padding, extra))
    if any(n < 1 for n in sizes):
        raise ValueError(f"{who}: input of spatial size {tuple(input.shape[2:])} gives an "
                         f"output of size {sizes}; use less padding")
    if groups == 1:
        out = _conv_transpose_one_group(input, weight, kernel, stride, dilation, full)
    else:
        out = cat([_conv_transpose_one_group(x, w, kernel, stride, dilation, full)
                   for x, w in zip(input.chunk(groups, 1), weight.chunk(groups, 0))], dim=1)
    crop = tuple((-p, e - p) for p, e in zip(padding, extra))
    if any(c != (0, 0) for c in crop):
        out = Pad.apply(out, pad=((0, 0), (0, 0)) + crop, value=0.0)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * dims)
    return out.squeeze(0) if unbatched else out


def _conv_transpose_one_group(x: Tensor, w: Tensor, kernel: tuple, stride: tuple,
                              dilation: tuple, full: tuple) -> Tensor:
    n, c = x.shape[:2]
    d = len(kernel)
    spatial = tuple(x.shape[2:])
    out_ch = w.shape[1]
    # columns (O * prod(k), N * prod(in)) = W^T X, then each column back into its window
    rows = x.permute(1, 0, *range(2, 2 + d)).reshape(c, n * math.prod(spatial))
    cols = w.reshape(c, out_ch * math.prod(kernel)).t() @ rows
    cols = cols.reshape((out_ch,) + kernel + (n,) + spatial)
    order = (1 + d, 0) + tuple(range(2 + d, 2 + 2 * d)) + tuple(range(1, 1 + d))
    return Col2Im.apply(cols.permute(*order), shape=(n, out_ch) + full, stride=stride,
                        dilation=dilation)


# ---------------------------------------------------------------------------
# im2col and col2im
# ---------------------------------------------------------------------------

def _fold_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any, who: str) -> tuple:
    return (_positive(kernel_size, 2, "kernel_size", who),
            _positive(dilation, 2, "dilation", who),
            _non_negative(padding, 2, "padding", who),
            _positive(stride, 2, "stride", who))


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Every sliding window of (N, C, H, W) (or (C, H, W)) as a column: returns
    (N, C * kh * kw, L), L the number of windows (im2col).

    >>> import chainrule as cr
    >>> unfold(cr.arange(9.0).reshape(1, 1, 3, 3), 2)[0].tolist()
    [[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]
    """
    input = _tensor(input, "unfold")
    if input.ndim not in (3, 4):
        raise ValueError(f"unfold: expected a 4-d input (N, C, H, W) or an unbatched 3-d one, "
                         f"got {_desc(input)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride,
                                                   "unfold")
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1
              for n, k, d, p, s in zip(input.shape[2:], kernel, dilation, padding, stride)]
    if any(b < 1 for b in blocks):
        raise ValueError(f"unfold: input of {_desc(input)} with kernel_size={kernel}, "
                         f"dilation={dilation}, padding={padding} has no whole window")
    if any(padding):
        input = Pad.apply(input, pad=((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    n, c = input.shape[:2]
    windows = SlidingWindows.apply(input, window=kernel, stride=stride, dilation=dilation)
    return windows.permute(0, 1, 4, 5, 2, 3).reshape(n, c * math.prod(kernel), -1)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Add columns (N, C * kh * kw, L) (or (C * kh * kw, L)) back into an image
    (N, C, *output_size), overlapping windows summed (col2im): the adjoint of ``unfold``.

    >>> import chainrule as cr
    >>> fold(cr.ones(1, 4, 4), (3, 3), 2)[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    input = _tensor(input, "fold")
    if input.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 3-d input (N, C * kh * kw, L) or an unbatched "
                         f"2-d one, got {_desc(input)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    size = _positive(output_size, 2, "output_size", "fold")
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride,
                                                   "fold")
    n, ck, length = input.shape
    area = math.prod(kernel)
    if ck % area:
        raise ValueError(f"fold: dim 1 of the input ({_desc(input)}) must be divisible by the "
                         f"kernel size {kernel[0]} * {kernel[1]}")
    blocks = tuple((m + 2 * p - d * (k - 1) - 1) // s + 1
                   for m, k, d, p, s in zip(size, kernel, dilation, padding, stride))
    if any(b < 1 for b in blocks) or length != math.prod(blocks):
        raise ValueError(f"fold: output_size={size} with kernel_size={kernel}, "
                         f"dilation={dilation}, padding={padding}, stride={stride} has "
                         f"{blocks[0]} * {blocks[1]} windows, but the input ({_desc(input)}) "
                         f"has {length}")
    c = ck // area
    cols = input.reshape((n, c) + kernel + blocks).permute(0, 1, 4, 5, 2, 3)
    padded = tuple(m + 2 * p for m, p in zip(size, padding))
    out = Col2Im.apply(cols, shape=(n, c) + padded, stride=stride, dilation=dilation)
    if any(padding):
        out = Pad.apply(out, pad=((0, 0), (0, 0)) + tuple((-p, -p) for p in padding))
    return out
