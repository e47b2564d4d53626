"""Utilities for training: gradient clipping.

>>> import chainrule as cr
>>> from chainrule.nn.utils import clip_grad_norm_
>>> w = cr.zeros(2, requires_grad=True)
>>> w.grad = cr.tensor([3.0, 4.0])
>>> clip_grad_norm_([w], max_norm=1.0)   # returns the norm before clipping
tensor(5.)
>>> w.grad
tensor([0.6, 0.8])
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ...tensor import Tensor
from . import rnn  # nn.utils.rnn: PackedSequence and the packing helpers
from .clip_grad import _scale_, _total_norm, clip_grad_norm, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_",
           "clip_grad_norm", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients in place so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken together, as if
    they were concatenated into one vector (``inf`` for the largest absolute entry).
    Each gradient is multiplied by ``min(1, max_norm / (total_norm + 1e-6))``, as in
    PyTorch. Parameters without a gradient are ignored.

    Args:
        parameters: a Tensor or an iterable of Tensors (``model.parameters()``).
        max_norm: the largest norm allowed.
        norm_type: the p of the p-norm (default 2; ``float("inf")`` for the max norm).
        error_if_nonfinite: raise if the total norm is NaN or infinite.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor.
    """
    grads = _grads(parameters)
    total = _total_norm(grads, norm_type, error_if_nonfinite, "clip_grad_norm_")
    _scale_(grads, max_norm, total)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry, in place, into ``[-clip_value, clip_value]``.

    >>> import chainrule as cr
    >>> w = cr.zeros(3, requires_grad=True)
    >>> w.grad = cr.tensor([-2.0, 0.5, 3.0])
    >>> clip_grad_value_([w], 1.0)
    >>> w.grad
    tensor([-1. ,  0.5,  1. ])
    """
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for g in _grads(parameters):
        np.clip(g._array, -clip_value, clip_value, out=g._array)
        g._version += 1
