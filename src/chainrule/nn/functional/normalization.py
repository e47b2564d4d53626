"""Normalization functions: batch, layer, group, instance, RMS and local response norm,
and ``normalize`` (rows to unit p-norm).

All composed from Tensor ops (so differentiable at any order); variances are the
biased ones, computed from centred values (two passes), as PyTorch's kernels do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...graph import no_grad
from ...ops.fused import LayerNorm
from ...tensor import Tensor
from ...tensor_methods.shape import cat
from ._checks import _check_float, _desc, _tensor
from .distance import _norm

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm",
           "local_response_norm", "normalize"]


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
                rm = running_mean._array
                rm *= 1 - momentum
                rm += (momentum * mean._array.reshape(c)).astype(rm.dtype, copy=False)
                running_mean._version += 1
            if running_var is not None:
                rv = running_var._array
                rv *= 1 - momentum
                rv += (momentum * n / (n - 1) * var._array.reshape(c)).astype(rv.dtype, copy=False)
                running_var._version += 1
        out = centered / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when not "
                             "training")
        inv_std = 1 / np.sqrt(running_var._array.astype(input.dtype) + eps)
        fixed_mean = running_mean._array.astype(input.dtype).reshape(shape)
        out = (input - fixed_mean) * inv_std.reshape(shape)
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
    if not k:
        raise ValueError("layer_norm: normalized_shape must have at least one dim (the "
                         "trailing dims to normalise over), got ()")
    if input.shape[input.ndim - k:] != shape or input.ndim < k:
        raise ValueError(f"layer_norm: expected input with trailing shape {shape}, got "
                         f"{_desc(input)}")
    if input.dtype.kind == "f" and all(
            p is None or (isinstance(p, Tensor) and p.dtype == input.dtype
                          and tuple(p.shape) == shape) for p in (weight, bias)):
        # the common case: one fused op (several times faster than the composition below)
        return LayerNorm.apply(input, weight, bias, k=k, eps=eps)
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


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, c: int, ndim: int,
            who: str) -> Tensor:
    """``out * weight + bias`` with per-channel (dim 1) parameters of shape (C,)."""
    shape = (c,) + (1,) * (ndim - 2)
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != (c,):
            raise ValueError(f"{who}: {name} must have shape ({c},), one value per channel, "
                             f"got {_desc(param)}")
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _standardize(x: Tensor, axes: tuple, eps: float) -> Tensor:
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    return centered / (var + eps).sqrt()


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels of (N, C, ...) over the group's
    channels and spatial dims, then scale and shift per channel.

    >>> import chainrule as cr
    >>> group_norm(cr.tensor([[1.0, 3.0, 0.0, 4.0]]), 2)
    tensor([[-1.,  1., -1.,  1.]])
    """
    who = "group_norm"
    input = _tensor(input, who)
    _check_float(input, who)
    if input.ndim < 2:
        raise ValueError(f"{who}: expected an input of at least 2 dims (N, C, ...), got "
                         f"{_desc(input)}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"{who}: the number of channels ({c}) of input {_desc(input)} must "
                         f"be divisible by num_groups={num_groups}")
    grouped = input.reshape(n, num_groups, -1)
    out = _standardize(grouped, (2,), eps).reshape(input.shape)
    return _affine(out, weight, bias, c, input.ndim, who)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of (N, C, ...) over its spatial dims.

    With ``use_input_stats`` (the default) the sample's own statistics are used and the
    running statistics, when given, move by ``momentum`` towards their mean over the
    batch (the unbiased variance for ``running_var``), as in PyTorch; otherwise the
    running statistics are used.

    >>> import chainrule as cr
    >>> instance_norm(cr.tensor([[[1.0, 3.0], [10.0, 20.0]]]))
    tensor([[[-1.,  1.],
             [-1.,  1.]]])
    """
    who = "instance_norm"
    input = _tensor(input, who)
    _check_float(input, who)
    if input.ndim < 3:
        raise ValueError(f"{who}: expected an input of at least 3 dims (N, C, L, ...), got "
                         f"{_desc(input)}")
    n, c = input.shape[:2]
    spatial = int(np.prod(input.shape[2:]))
    axes = tuple(range(2, input.ndim))
    shape = (n, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(f"{who}: running_mean and running_var are needed when "
                             "use_input_stats=False")
        fixed_mean = running_mean._array.astype(input.dtype).reshape((1, c) + shape[2:])
        inv_std = 1 / np.sqrt(running_var._array.astype(input.dtype) + eps)
        out = (input - fixed_mean) * inv_std.reshape((1, c) + shape[2:])
        return _affine(out, weight, bias, c, input.ndim, who)
    if spatial <= 1:
        raise ValueError(f"{who}: expected more than 1 spatial element when using the input's "
                         f"statistics, got input {_desc(input)}")
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(axes, keepdim=True)
    with no_grad():
        if running_mean is not None:
            rm = running_mean._array
            rm *= 1 - momentum
            rm += (momentum * mean._array.reshape(n, c).mean(0)).astype(rm.dtype, copy=False)
            running_mean._version += 1
        if running_var is not None:
            rv = running_var._array
            unbiased = var._array.reshape(n, c) * (spatial / (spatial - 1))
            rv *= 1 - momentum
            rv += (momentum * unbiased.mean(0)).astype(rv.dtype, copy=False)
            running_var._version += 1
    out = centered / (var + eps).sqrt()
    return _affine(out, weight, bias, c, input.ndim, who)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last ``len(normalized_shape)`` dims, times
    ``weight``; ``eps`` defaults to the machine epsilon of the input's dtype.

    >>> import chainrule as cr
    >>> rms_norm(cr.tensor([[3.0, 4.0]]), (2,), eps=0.0)
    tensor([[0.8485, 1.1314]])
    """
    who = "rms_norm"
    input = _tensor(input, who)
    _check_float(input, who)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{who}: expected input with trailing shape {shape}, got "
                         f"{_desc(input)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise ValueError(f"{who}: weight must have the normalized shape {shape}, got "
                         f"{_desc(weight)}")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(axes, keepdim=True) + eps) ** -0.5
    return out if weight is None else out * weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels) ** beta (AlexNet).

    The window over channels (dim 1) is zero-padded, ``size // 2`` before and
    ``(size - 1) // 2`` after, and the zeros count in the mean, as in PyTorch.

    >>> import chainrule as cr
    >>> local_response_norm(cr.tensor([[[2.0], [0.0]]]), 2, alpha=1.0, beta=1.0)
    tensor([[[0.6667],
             [0.    ]]])
    """
    who = "local_response_norm"
    input = _tensor(input, who)
    _check_float(input, who)
    if input.ndim < 3:
        raise ValueError(f"{who}: expected an input of 3 or more dims (N, C, ...), got "
                         f"{_desc(input)}")
    if size < 1:
        raise ValueError(f"{who}: size must be at least 1, got {size}")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    sq = input * input
    pieces: list[Any] = []
    if before:
        pieces.append(np.zeros((input.shape[0], before) + input.shape[2:], input.dtype))
    pieces.append(sq)
    if after:
        pieces.append(np.zeros((input.shape[0], after) + input.shape[2:], input.dtype))
    padded = cat([_tensor(p, who) for p in pieces], dim=1) if len(pieces) > 1 else sq
    total = padded[:, 0:c]
    for j in range(1, size):
        total = total + padded[:, j:j + c]
    div = (total * (alpha / size) + k) ** beta
    return input / div


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``: rows (by default) of unit p-norm.

    >>> import chainrule as cr
    >>> normalize(cr.tensor([[3.0, 4.0]]))
    tensor([[0.6, 0.8]])
    """
    who = "normalize"
    input = _tensor(input, who)
    _check_float(input, who)
    ndim = max(input.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{who}: dim {dim} is out of range for {_desc(input)} (expected "
                         f"a dim in [{-ndim}, {ndim - 1}])")
    denom = _norm(input, p, dim if input.ndim else None, keepdim=True).clamp(min=eps)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result
