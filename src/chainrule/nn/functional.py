"""chainrule.nn.functional: layers and losses as functions (``import ... as F``).

Names, arguments and defaults follow ``torch.nn.functional``. Dense layers,
softmax cross-entropy and the binary cross-entropies are fused ops (one forward,
one hand-derived VJP); convolution and pooling are built from the sliding-window
ops of :mod:`chainrule.ops.conv`; the rest is composed from Tensor ops, so
every function here has gradients of any order except where noted.

>>> import chainrule as cr
>>> from chainrule.nn import functional as F
>>> logits = cr.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
>>> loss = F.cross_entropy(logits, cr.tensor([0]))
>>> round(loss.item(), 4)
0.1698
>>> loss.backward()
>>> logits.grad
tensor([[-0.1562,  0.1142,  0.042 ]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import default_generator
from ..creation import tensor as _make_tensor
from ..graph import no_grad
from ..ops.arrays import sliding_windows
from ..ops.conv import AvgPool2d, MaxPool2d, Pad, SlidingWindows
from ..ops.fused import (
    BCEWithLogits,
    BinaryCrossEntropy,
    CrossEntropy,
    Embedding,
    Linear,
    NormalCdf,
)
from ..tensor import Tensor
from ..tensor_methods.elementwise import where

__all__ = [
    "linear", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
    "dropout", "pad", "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d",
    "avg_pool2d", "batch_norm", "layer_norm", "embedding", "one_hot", "mse_loss", "l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
]


def _tensor(x: Any, who: str) -> Tensor:
    """``x`` as a Tensor: arrays, lists and numbers are accepted (floats become float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic, list, tuple, float, int)):
        return _make_tensor(x)
    raise TypeError(f"{who}: expected a Tensor, got {type(x).__name__}")


def _desc(t: Any) -> str:
    return f"shape {tuple(t.shape)} ({np.dtype(t.dtype).name})"


def _check_float(x: Tensor, who: str) -> None:
    if x.dtype.kind != "f":
        raise TypeError(
            f"{who}: expected a floating-point input, got {_desc(x)}; convert it with .float()"
        )


def _same_dtype(x: Tensor, param: Any, who: str, what: str = "weight") -> None:
    if param is not None and x.dtype != param.dtype:
        raise TypeError(
            f"{who}: input dtype {x.dtype.name} doesn't match {what} dtype {param.dtype.name}; "
            f"convert the input (.{'double' if param.dtype == np.float64 else 'float'}()) "
            "or the layer (.to(dtype))"
        )


def _pair(v: Any, n: int, name: str, who: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{who}: {name} must be an int or a tuple of {n} ints, got {v}")
    return v


# ---------------------------------------------------------------------------
# Dense layers and activations
# ---------------------------------------------------------------------------

def _check_linear(input: Tensor, weight: Tensor, bias: Any, who: str) -> None:
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"{who}: expected input with last dim {weight.shape[1]}, got shape "
            f"{tuple(input.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"{who}: bias of shape {tuple(bias.shape)} doesn't match "
                         f"{weight.shape[0]} output features")
    _same_dtype(input, weight, who)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, as one fused op (one matmul forward, two backward).

    >>> import chainrule as cr
    >>> linear(cr.ones(2, 3), cr.ones(4, 3), cr.zeros(4)).tolist()[0]
    [3.0, 3.0, 3.0, 3.0]
    """
    input = _tensor(input, "linear")
    if (not input.ndim or input.shape[-1] != weight.shape[1] or input.dtype != weight.dtype
            or (bias is not None and bias.shape != weight.shape[:1])):
        _check_linear(input, weight, bias, f"linear (weight of shape {tuple(weight.shape)})")
    return Linear.apply(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0."""
    return _tensor(input, "relu").relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``negative_slope * x``.

    >>> import chainrule as cr
    >>> leaky_relu(cr.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2,  3. ])
    """
    input = _tensor(input, "leaky_relu")
    return where(input.data > 0, input, input * negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact, with erf), or the tanh approximation with ``approximate='tanh'``."""
    input = _tensor(input, "gelu")
    if approximate == "none":
        return input * NormalCdf.apply(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (inner.tanh() + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(input: Tensor) -> Tensor:
    return _tensor(input, "sigmoid").sigmoid()


def tanh(input: Tensor) -> Tensor:
    return _tensor(input, "tanh").tanh()


def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1  # PyTorch's rule when dim is left out


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``; stable for inputs of any magnitude."""
    input = _tensor(input, "softmax")
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(_softmax_dim(input.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``; stable for inputs of any magnitude."""
    input = _tensor(input, "log_softmax")
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(_softmax_dim(input.ndim) if dim is None else dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    The mask is drawn from chainrule's global generator (:func:`chainrule.manual_seed`).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability has to be between 0 and 1, got {p}")
    input = _tensor(input, "dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * np.zeros((), dtype=input.dtype)
    keep = default_generator().random(input.shape, dtype=np.float64 if input.dtype == np.float64
                                      else np.float32) >= p
    mask = keep.astype(input.dtype)
    mask *= 1 / (1 - p)
    return input * mask


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding along a new last dim.

    >>> import chainrule as cr
    >>> one_hot(cr.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    idx = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got {idx.dtype}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got "
                         f"min {idx.min()} and max {idx.max()}")
    return Tensor((idx[..., None] == np.arange(num_classes)).astype(np.int64))


# ---------------------------------------------------------------------------
# Convolution and pooling
# ---------------------------------------------------------------------------

def pad(input: Tensor, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Constant padding; ``pad`` lists (left, right) for the last dim, then the one before...

    >>> import chainrule as cr
    >>> pad(cr.ones(1, 2), (1, 0)).tolist()
    [[0.0, 1.0, 1.0]]
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    input = _tensor(input, "pad")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {tuple(pad)} must hold (before, after) pairs for at most "
                         f"{input.ndim} dims")
    pairs = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        pairs[input.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    if all(p == (0, 0) for p in pairs):
        return input
    return Pad.apply(input, pad=tuple(pairs), value=value)


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
    return tuple((p, p) for p in _pair(padding, len(kernel), "padding", who))


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation of (N, C, H, W) with (O, C / groups, kh, kw) weights.

    im2col without a Python loop over pixels: the windows are a strided view, one
    copy lays them out as rows, and one fused ``linear`` multiplies them by the
    weights. Gradients of any order (the windows' VJP is col2im, and back).

    >>> import chainrule as cr
    >>> conv2d(cr.ones(1, 1, 4, 4), cr.ones(2, 1, 3, 3), padding=1).shape
    (1, 2, 4, 4)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d cross-correlation of (N, C, L) with (O, C / groups, k) weights.

    >>> import chainrule as cr
    >>> conv1d(cr.ones(2, 3, 10), cr.ones(4, 3, 3), stride=2).shape
    (2, 4, 4)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def _conv(input: Any, weight: Tensor, bias: Any, stride: Any, padding: Any, dilation: Any,
          groups: int, dims: int, who: str) -> Tensor:
    input = _tensor(input, who)
    if input.ndim == dims + 1:  # unbatched (C, ...), as PyTorch allows
        return _conv(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups, dims,
                     who).squeeze(0)
    if input.ndim != dims + 2:
        raise ValueError(f"{who}: expected a {dims + 2}-d input (N, C, "
                         f"{'H, W' if dims == 2 else 'L'}) or an unbatched {dims + 1}-d one, "
                         f"got {_desc(input)}")
    if weight.ndim != dims + 2:
        raise ValueError(f"{who}: expected a {dims + 2}-d weight, got {_desc(weight)}")
    out_ch, in_per_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if groups < 1 or input.shape[1] != in_per_group * groups or out_ch % groups:
        raise ValueError(
            f"{who}: expected input with {in_per_group * groups} channels (weight of shape "
            f"{tuple(weight.shape)}, groups={groups}), got {_desc(input)}"
        )
    _same_dtype(input, weight, who)
    stride = _pair(stride, dims, "stride", who)
    dilation = _pair(dilation, dims, "dilation", who)
    pads = _conv_padding(padding, kernel, dilation, stride, who)
    if dims == 1:  # a 1-d convolution is a 2-d one with a height of 1
        input = input.unsqueeze(2)
        weight = weight.unsqueeze(2)
        kernel, stride, dilation, pads = (1,) + kernel, (1,) + stride, (1,) + dilation, \
            ((0, 0),) + pads
    sizes = [n + b + a for n, (b, a) in zip(input.shape[2:], pads)]
    if any(n < d * (k - 1) + 1 for n, k, d in zip(sizes, kernel, dilation)):
        raise ValueError(
            f"{who}: the padded input of spatial size {tuple(sizes[-dims:])} is smaller than "
            f"the (dilated) kernel {kernel[-dims:]}; use a smaller kernel or more padding"
        )
    if any(p != (0, 0) for p in pads):
        input = Pad.apply(input, pad=((0, 0), (0, 0)) + pads, value=0.0)
    if groups == 1:
        out = _conv_one_group(input, weight, bias, kernel, stride, dilation)
    else:
        from ..tensor_methods.shape import cat

        xs = input.chunk(groups, 1)
        ws = weight.chunk(groups, 0)
        bs = bias.chunk(groups, 0) if bias is not None else [None] * groups
        out = cat([_conv_one_group(x, w, b, kernel, stride, dilation)
                   for x, w, b in zip(xs, ws, bs)], dim=1)
    return out.squeeze(2) if dims == 1 else out


def _conv_one_group(x: Tensor, w: Tensor, b: Any, kernel: tuple, stride: tuple,
                    dilation: tuple) -> Tensor:
    n, c = x.shape[:2]
    out_ch = w.shape[0]
    windows = SlidingWindows.apply(x, window=kernel, stride=stride, dilation=dilation)
    ho, wo = windows.shape[2:4]
    # (N, C, Ho, Wo, kh, kw) -> columns (C * kh * kw, N * Ho * Wo): the one im2col copy.
    # This layout copies whole rows of pixels (2-4x faster than one row per pixel), and
    # the result comes out channel-major, which the next convolution reads as fast.
    cols = windows.permute(1, 4, 5, 0, 2, 3).reshape(c * kernel[0] * kernel[1], n * ho * wo)
    out = w.reshape(out_ch, -1) @ cols
    if b is not None:
        out = out + b.reshape(out_ch, 1)
    return out.reshape(out_ch, n, ho, wo).permute(1, 0, 2, 3)


def _pool_args(input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool, dims: int, who: str) -> tuple:
    """Check the arguments of a pooling call; return the input as (..., H, W) with the
    window parameters as pairs and ``pads``, one (before, after) pair per spatial dim
    (``after`` includes the overhang of the last window with ``ceil_mode``)."""
    input = _tensor(input, who)
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{who}: expected a {dims + 1}-d or {dims + 2}-d input, got "
                         f"{_desc(input)}")
    kernel = _pair(kernel_size, dims, "kernel_size", who)
    stride = kernel if stride is None or stride == [] or stride == () else \
        _pair(stride, dims, "stride", who)
    padding = _pair(padding, dims, "padding", who)
    dilation = _pair(dilation, dims, "dilation", who)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{who}: padding {padding} should be at most half of the kernel "
                         f"size {kernel}")
    pads = []
    for n, k, st, p, d in zip(input.shape[-dims:], kernel, stride, padding, dilation):
        room = n + 2 * p - (d * (k - 1) + 1)
        if room < 0:
            raise ValueError(f"{who}: input of {_desc(input)} is too small for kernel_size "
                             f"{kernel} with padding {padding} and dilation {dilation}")
        out = room // st + 1
        if ceil_mode:  # PyTorch's rule: the last window must start inside input or padding
            out = -(-room // st) + 1
            if (out - 1) * st >= n + p:
                out -= 1
        # floor mode can leave rows unused at the end (negative overhang): never crop
        pads.append((p, p + max((out - 1) * st - room, 0)))
    if dims == 1:
        input = input.unsqueeze(-2)
        kernel, stride, dilation = (1,) + kernel, (1,) + stride, (1,) + dilation
        pads = [(0, 0)] + pads
    return input, kernel, stride, tuple(pads), dilation


def _pad_last2(input: Tensor, pads: tuple, value: float) -> Tensor:
    if not any(b or a for b, a in pads):
        return input
    pairs = ((0, 0),) * (input.ndim - 2) + tuple(pads)
    return Pad.apply(input, pad=pairs, value=value)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Max over windows; the gradient goes to the first maximum of each window.

    >>> import chainrule as cr
    >>> max_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    >>> max_pool2d(cr.arange(9.0).reshape(1, 1, 3, 3), 2, ceil_mode=True).tolist()
    [[[[4.0, 5.0], [7.0, 8.0]]]]
    """
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    x, kernel, stride, pads, dilation = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d")
    x = _pad_last2(x, pads, -np.inf)
    return _max_pool(x, kernel, stride, dilation)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Max over windows of the last dim of (N, C, L) or (C, L).

    >>> import chainrule as cr
    >>> max_pool1d(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[3.0, 2.0]]]
    """
    if return_indices:
        raise NotImplementedError("max_pool1d: return_indices=True is not supported")
    x, kernel, stride, pads, dilation = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d")
    x = _pad_last2(x, pads, -np.inf)
    return _max_pool(x, kernel, stride, dilation).squeeze(-2)


def _max_pool(x: Tensor, kernel: tuple, stride: tuple, dilation: tuple) -> Tensor:
    return MaxPool2d.apply(x, window=kernel, stride=stride, dilation=dilation)


def _avg_pool(x: Tensor, kernel: tuple, stride: tuple, pads: tuple,
              count_include_pad: bool, divisor_override: Any) -> Tensor:
    padded = _pad_last2(x, pads, 0.0)
    area = kernel[0] * kernel[1]
    scale = 1.0 / divisor_override if divisor_override else 1.0 / area
    out = AvgPool2d.apply(padded, window=kernel, stride=stride, scale=scale)
    overhang = any(b != a for b, a in pads)
    if divisor_override or (count_include_pad and not overhang) or \
            not any(b or a for b, a in pads):
        return out
    # divide each window by what it covers instead: the input and (with
    # count_include_pad) the padding, never the overhang of a ceil_mode window
    real = np.ones(x.shape[-2:], dtype=x.dtype)
    if count_include_pad:
        covered = np.pad(real, [(b, b) for b, _ in pads], constant_values=1)
        covered = np.pad(covered, [(0, a - b) for b, a in pads])
    else:
        covered = np.pad(real, pads)
    counts = sliding_windows(covered, kernel, stride, (1, 1)).sum((-2, -1))
    return out * (area / counts).astype(x.dtype)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows (zero padding counted unless ``count_include_pad=False``).

    >>> import chainrule as cr
    >>> avg_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x, kernel, stride, pads, _ = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, 2, "avg_pool2d")
    return _avg_pool(x, kernel, stride, pads, count_include_pad, divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of the last dim of (N, C, L) or (C, L).

    >>> import chainrule as cr
    >>> avg_pool1d(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
    [[[2.0, 1.0]]]
    """
    x, kernel, stride, pads, _ = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, 1, "avg_pool1d")
    return _avg_pool(x, kernel, stride, pads, count_include_pad, None).squeeze(-2)


# ---------------------------------------------------------------------------
# Normalisation and embedding
# ---------------------------------------------------------------------------

def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over the batch (and spatial) dims of (N, C, ...), per channel.

    In training, batch statistics are used (the biased variance) and the running
    statistics, when given, move by ``momentum`` towards the batch mean and the
    unbiased batch variance, as in PyTorch. Otherwise the running statistics are used.
    """
    input = _tensor(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), got "
                         f"{_desc(input)}")
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // c if c else 0
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input {_desc(input)}")
        mean = input.mean(axes, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(axes, keepdim=True)
        with no_grad():
            if running_mean is not None:
                rm = running_mean.data
                rm *= 1 - momentum
                rm += (momentum * mean.data.reshape(c)).astype(rm.dtype, copy=False)
                running_mean._version += 1
            if running_var is not None:
                rv = running_var.data
                rv *= 1 - momentum
                rv += (momentum * n / (n - 1) * var.data.reshape(c)).astype(rv.dtype, copy=False)
                running_var._version += 1
        out = centered / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when not "
                             "training")
        inv_std = 1 / np.sqrt(running_var.data.astype(input.dtype) + eps)
        mean = running_mean.data.astype(input.dtype).reshape(shape)
        out = (input - mean) * inv_std.reshape(shape)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance).

    >>> import chainrule as cr
    >>> layer_norm(cr.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.,  1.]])
    """
    input = _tensor(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.shape[input.ndim - k:] != shape or input.ndim < k:
        raise ValueError(f"layer_norm: expected input with trailing shape {shape}, got "
                         f"{_desc(input)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(axes, keepdim=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at integer indices ``input``.

    The ``padding_idx`` row gets no gradient.

    >>> import chainrule as cr
    >>> embedding(cr.tensor([[0, 2]]), cr.eye(3)).tolist()
    [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
    """
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: expected integer indices, got dtype {idx.dtype.name}; "
                        "convert them with .long()")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"embedding: index out of range: got values in [{idx.min()}, "
                         f"{idx.max()}] for a table of {num} rows; indices run from 0 to "
                         f"{num - 1} (no negative indices, as in PyTorch)")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------

def _reduce(loss: Tensor, reduction: str, who: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_reduction(reduction: str, who: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_pair(input: Tensor, target: Tensor, who: str, strict: bool = False) -> None:
    if input.shape == target.shape:
        return
    if strict:
        raise ValueError(f"{who}: target {_desc(target)} must have the same shape as input "
                         f"{_desc(input)}")
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ValueError(f"{who}: target {_desc(target)} can't be broadcast to input "
                         f"{_desc(input)}; give them the same shape") from None
    import warnings

    warnings.warn(f"{who}: target {_desc(target)} differs from input {_desc(input)}; they are "
                  "broadcast, which is probably not what you want", UserWarning, stacklevel=3)


def _target(target: Any, input: Tensor, who: str) -> Tensor:
    target = _tensor(target, who)
    if target.dtype.kind != "f":
        raise TypeError(f"{who}: expected a floating-point target, got {_desc(target)}; "
                        "convert it with .float()")
    return target


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or none) of (input - target)^2.

    >>> import chainrule as cr
    >>> mse_loss(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 0.0])).item()
    2.5
    """
    input, target = _tensor(input, "mse_loss"), _target(target, input, "mse_loss")
    _check_reduction(reduction, "mse_loss")
    _check_pair(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or none) of |input - target|; the gradient at 0 is 0."""
    input, target = _tensor(input, "l1_loss"), _target(target, input, "l1_loss")
    _check_reduction(reduction, "l1_loss")
    _check_pair(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p; each log is clamped at -100.

    >>> import chainrule as cr
    >>> round(binary_cross_entropy(cr.tensor([0.8]), cr.tensor([1.0])).item(), 4)
    0.2231
    """
    who = "binary_cross_entropy"
    input, target = _tensor(input, who), _target(target, input, who)
    _check_reduction(reduction, who)
    _check_pair(input, target, who, strict=True)
    if input.data.size and (input.data.min() < 0 or input.data.max() > 1):
        raise ValueError(f"{who}: all elements of input should be between 0 and 1 (they are "
                         "probabilities; for logits use binary_cross_entropy_with_logits)")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, who)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable op; finite for logits of any size.

    >>> import chainrule as cr
    >>> binary_cross_entropy_with_logits(cr.tensor([1e4, -1e4]), cr.tensor([1.0, 0.0])).item()
    0.0
    """
    who = "binary_cross_entropy_with_logits"
    input, target = _tensor(input, who), _target(target, input, who)
    _check_reduction(reduction, who)
    _check_pair(input, target, who, strict=True)
    loss = BCEWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, who)


def _class_targets(input: Tensor, target: Tensor, ignore_index: int, who: str) -> tuple:
    """Validate logits (N, C, ...) / (C,) and integer targets; return (M, C) logits,
    (M,) targets and the shape of the unreduced loss."""
    if input.ndim == 0:
        raise ValueError(f"{who}: expected input of shape (N, C) or (N, C, ...), got a scalar")
    idx = target.data
    batch_shape = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if idx.shape != batch_shape:
        raise ValueError(
            f"{who}: expected target of shape {batch_shape} for input of {_desc(input)}, got "
            f"target {_desc(target)}"
        )
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= c):  # ignore_index may explain it
        valid = idx[idx != ignore_index]
        if valid.size and (valid.min() < 0 or valid.max() >= c):
            bad = valid.min() if valid.min() < 0 else valid.max()
            raise IndexError(f"{who}: target {int(bad)} is out of bounds for {c} classes "
                             f"(valid targets are 0..{c - 1} and ignore_index={ignore_index})")
    if input.ndim == 1:
        return input.reshape(1, c), idx.reshape(1), batch_shape
    if input.ndim == 2:
        return input, idx, batch_shape
    if input.ndim > 2:
        perm = (0,) + tuple(range(2, input.ndim)) + (1,)
        input = input.permute(perm)
    return input.reshape(-1, c), idx.reshape(-1), batch_shape


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C, ...) against class indices (N, ...),
    or against class probabilities of the input's shape.

    With class indices it is one fused op: a stable log-softmax forward and the VJP
    ``(softmax - onehot) * g / N``; finite for logits of magnitude 1e4.
    """
    who = "cross_entropy"
    input = _tensor(input, who)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    _check_float(input, who)
    _check_reduction(reduction, who)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: label_smoothing must be in [0, 1], got {label_smoothing}")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    w = None
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"{who}: weight must have shape ({c},) for {c} classes, got "
                             f"{tuple(w.shape)}")
        w = w.astype(input.dtype, copy=False)
    if target.dtype.kind == "f":
        return _soft_cross_entropy(input, target, w, reduction, label_smoothing)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold class indices (int64) or probabilities "
                        f"(float), got {_desc(target)}")
    logits, idx, batch_shape = _class_targets(input, target, ignore_index, who)
    loss = CrossEntropy.apply(logits, idx, weight=w, ignore_index=ignore_index,
                                label_smoothing=float(label_smoothing), reduction=reduction)
    if reduction == "none":
        return loss.reshape(batch_shape)
    return loss


def _soft_cross_entropy(input: Tensor, target: Tensor, w: Any, reduction: str,
                        label_smoothing: float) -> Tensor:
    who = "cross_entropy"
    if target.shape != input.shape:
        hint = ("; class indices must be integers: convert the target with .long()"
                if target.ndim == input.ndim - 1 else "")
        raise ValueError(f"{who}: a probability target must have the input's shape "
                         f"{tuple(input.shape)}, got {_desc(target)}{hint}")
    dim = 1 if input.ndim > 1 else 0
    c = input.shape[dim]
    logp = input.log_softmax(dim)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / c
    terms = logp * target
    if w is not None:
        terms = terms * w.reshape((c,) + (1,) * (input.ndim - dim - 1))
    loss = -terms.sum(dim)
    if reduction == "mean":
        n = loss.numel()
        return loss.sum() * (1.0 / n if n else np.nan)
    return _reduce(loss, reduction, who)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-input[i, target[i]], weighted; ``'mean'`` divides by the total weight of the
    targets that are not ``ignore_index`` (PyTorch's rule).

    >>> import chainrule as cr
    >>> nll_loss(cr.tensor([[-1.0, -2.0], [-3.0, -4.0]]), cr.tensor([1, 0])).item()
    2.5
    """
    who = "nll_loss"
    input = _tensor(input, who)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    _check_float(input, who)
    _check_reduction(reduction, who)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold class indices (int64), got {_desc(target)}")
    logp, idx, batch_shape = _class_targets(input, target, ignore_index, who)
    c = logp.shape[1]
    valid = idx != ignore_index
    safe = np.where(valid, idx, 0)
    wt = valid.astype(input.dtype)
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"{who}: weight must have shape ({c},), got {tuple(w.shape)}")
        wt = wt * w.astype(input.dtype)[safe]
    picked = logp.gather(1, safe[:, None]).reshape(-1)
    loss = -(picked * wt)
    if reduction == "none":
        return loss.reshape(batch_shape)
    if reduction == "sum":
        return loss.sum()
    total = float(wt.sum())
    return loss.sum() * (1.0 / total if total else np.nan)
