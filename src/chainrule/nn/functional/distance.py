"""Distance functions: cosine similarity and the p-norm distance of paired rows.

(``cdist``, all pairs of two sets, is :mod:`chainrule.linalg`'s.) Composed from
Tensor ops; the norms here have PyTorch's gradient at 0 (zero, not NaN).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...tensor import Tensor
from ...tensor_methods.elementwise import where
from ._checks import _desc, _tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def _root(s: Tensor, p: float) -> Tensor:
    """``s ** (1 / p)`` for s >= 0, with gradient 0 (not inf or NaN) where s == 0."""
    positive = s._array > 0
    safe = where(positive, s, np.ones((), s.dtype))
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return where(positive, root, np.zeros((), s.dtype))


def _norm(x: Tensor, p: float, dim: Any, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x`` over ``dim``, as ``torch.linalg.vector_norm``.

    p = inf and -inf take the largest and smallest |x| (ties share the gradient), p = 0
    counts the non-zero entries (no gradient); any other p is ``(sum |x|^p)^(1/p)``,
    whose gradient is 0 where the norm is 0.
    """
    if p == math.inf:
        return x.abs().amax(dim, keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim)
    if p == 0:
        count = (x._array != 0).sum(axis=dim, keepdims=keepdim).astype(x.dtype)
        return x.sum(dim, keepdim) * 0 + count  # attached to the graph, gradient 0
    if p == 2:
        return _root((x * x).sum(dim, keepdim), 2)
    if p == 1:
        return x.abs().sum(dim, keepdim)
    return _root((x.abs() ** p).sum(dim, keepdim), p)


def _float_pair(x1: Any, x2: Any, who: str) -> tuple[Tensor, Tensor]:
    x1, x2 = _tensor(x1, who), _tensor(x2, who)
    if x1.dtype.kind != "f" and x2.dtype.kind != "f":
        raise TypeError(f"{who}: expected floating-point inputs, got x1 {_desc(x1)} and x2 "
                        f"{_desc(x2)}; convert them with .float()")
    if x1.dtype.kind != "f":
        x1 = x1.to(x2.dtype)
    if x2.dtype.kind != "f":
        x2 = x2.to(x1.dtype)
    if x1.dtype != x2.dtype:
        raise TypeError(f"{who}: x1 {_desc(x1)} and x2 {_desc(x2)} must have the same dtype")
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{who}: x1 {_desc(x1)} and x2 {_desc(x2)} can't be broadcast "
                         "together") from None
    if x1.shape != shape:
        x1 = x1.expand(*shape)
    if x2.shape != shape:
        x2 = x2.expand(*shape)
    return x1, x2


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1, x2> / (||x1|| ||x2||) along ``dim`` (inputs broadcast first).

    As PyTorch, each input is divided by its norm, clamped to at least ``eps``, before
    the dot product, so the result stays in [-1, 1] and large norms cannot overflow;
    the clamp is invisible to the gradient (PyTorch applies it under no_grad).

    >>> import chainrule as cr
    >>> cosine_similarity(cr.tensor([[1.0, 0.0], [1.0, 1.0]]), cr.tensor([[2.0, 0.0]]))
    tensor([1.    , 0.7071])
    """
    who = "cosine_similarity"
    x1, x2 = _float_pair(x1, x2, who)
    ndim = max(x1.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{who}: dim {dim} is out of range for inputs of shape "
                         f"{tuple(x1.shape)}")
    return (_unit(x1, dim, eps) * _unit(x2, dim, eps)).sum(dim)


def _unit(x: Tensor, dim: int, eps: float) -> Tensor:
    norm = _norm(x, 2, dim, keepdim=True)
    clamped = np.maximum(norm._array, eps).astype(x.dtype, copy=False)
    if not (clamped != norm._array).any():
        return x / norm
    return x / (norm + (clamped - norm._array))  # the clamp adds a constant: no gradient


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The p-norm of ``x1 - x2 + eps`` over the last dim (inputs broadcast first).

    >>> import chainrule as cr
    >>> pairwise_distance(cr.tensor([[3.0, 4.0]]), cr.tensor([[0.0, 0.0]]), eps=0.0)
    tensor([5.])
    """
    who = "pairwise_distance"
    x1, x2 = _float_pair(x1, x2, who)
    if x1.ndim == 0:
        raise ValueError(f"{who}: expected inputs of at least 1 dim, got {_desc(x1)} and "
                         f"{_desc(x2)}")
    return _norm(x1 - x2 + eps, p, x1.ndim - 1, keepdim)
