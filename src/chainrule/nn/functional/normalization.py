"""Normalization functions: batch and layer norm."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...graph import no_grad
from ...tensor import Tensor
from ._checks import _desc, _tensor

__all__ = ["batch_norm", "layer_norm"]


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
        mean = running_mean._array.astype(input.dtype).reshape(shape)
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
