"""Sparse functions: embedding lookups, bags of embeddings, and one-hot encoding."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...graph import no_grad
from ...ops.functional_kernels import ScaleGrad
from ...ops.fused import (
    Embedding,
)
from ...ops.shape import ScatterAdd
from ...tensor import Tensor
from ...tensor_methods.elementwise import where
from ._checks import _desc, _tensor

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _indices(input: Any, num: int, who: str) -> np.ndarray:
    idx = input._array if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: expected integer indices, got dtype {idx.dtype.name}; "
                        "convert them with .long()")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"{who}: index out of range: got values in [{idx.min()}, "
                         f"{idx.max()}] for a table of {num} rows; indices run from 0 to "
                         f"{num - 1} (no negative indices, as in PyTorch)")
    return idx


def _padding_idx(padding_idx: int | None, num: int, who: str) -> int | None:
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise ValueError(f"{who}: padding_idx {padding_idx} must be within the {num} rows of "
                         "the table")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _renorm_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` that ``idx`` uses down to a norm of at most ``max_norm``,
    in place and without gradient (PyTorch's ``embedding_renorm_``)."""
    rows = np.unique(idx)
    if not rows.size:
        return
    with no_grad():
        table = weight._array
        norms = np.linalg.norm(table[rows], ord=norm_type, axis=1)
        big = norms > max_norm
        if big.any():
            scale = max_norm / (norms[big] + 1e-7)
            table[rows[big]] *= scale[:, None].astype(table.dtype)
            weight._version += 1


def _freq_scale(idx: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """1 / (how often each position's index occurs in ``idx``), shaped (..., 1)."""
    _, inverse, counts = np.unique(idx.reshape(-1), return_inverse=True, return_counts=True)
    return (1.0 / counts[inverse]).astype(dtype).reshape(idx.shape + (1,))


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at integer indices ``input``.

    The ``padding_idx`` row gets no gradient. With ``max_norm``, the rows looked up
    are first rescaled in place (without gradient) to a ``norm_type``-norm of at most
    ``max_norm``, as PyTorch does. ``scale_grad_by_freq`` divides each row's gradient
    by how often its index occurs in ``input``. Gradients are always dense:
    ``sparse=True`` is accepted and gives the same values.

    >>> import chainrule as cr
    >>> embedding(cr.tensor([[0, 2]]), cr.eye(3)).tolist()
    [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
    """
    who = "embedding"
    weight = _tensor(weight, who)
    if weight.ndim != 2:
        raise ValueError(f"{who}: weight must be a 2-D table (num_embeddings, dim), got "
                         f"{_desc(weight)}")
    num = weight.shape[0]
    idx = _indices(input, num, who)
    padding_idx = _padding_idx(padding_idx, num, who)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    out = Embedding.apply(weight, indices=idx, padding_idx=padding_idx)
    if scale_grad_by_freq and out.requires_grad:
        out = ScaleGrad.apply(out, scale=_freq_scale(idx, weight.dtype))
    return out


def _bags(input: Any, offsets: Any, per_sample_weights: Any, include_last_offset: bool,
          who: str) -> tuple[np.ndarray, np.ndarray, int, Any]:
    """Flat indices, the bag of each position, the number of bags, and flat weights."""
    idx = input._array if isinstance(input, Tensor) else np.asarray(input)
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != idx.shape:
        raise ValueError(f"{who}: per_sample_weights {_desc(per_sample_weights)} must have "
                         f"the shape of the input, {idx.shape}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{who}: a 2-D input is a batch of bags of equal length, so "
                             "offsets must be None")
        n, length = idx.shape
        bag = np.repeat(np.arange(n), length)
        flat_w = None if per_sample_weights is None else per_sample_weights.reshape(-1)
        return idx.reshape(-1), bag, n, flat_w
    if idx.ndim != 1:
        raise ValueError(f"{who}: input must be 1-D (with offsets) or 2-D, got "
                         f"{idx.ndim} dims")
    if offsets is None:
        raise ValueError(f"{who}: a 1-D input needs offsets, the start of each bag")
    off = offsets._array if isinstance(offsets, Tensor) else np.asarray(offsets)
    if off.ndim != 1 or off.dtype.kind not in "iu":
        raise ValueError(f"{who}: offsets must be a 1-D integer tensor, got shape "
                         f"{off.shape} ({off.dtype.name})")
    if off.size and off[0] != 0:
        raise ValueError(f"{who}: offsets[0] must be 0 (the first bag starts at position "
                         f"0), got {off[0]}")
    if off.size and off[-1] > idx.size:
        raise ValueError(f"{who}: offsets[-1] = {off[-1]} is past the input's length "
                         f"{idx.size}")
    if np.any(np.diff(off) < 0):
        raise ValueError(f"{who}: offsets must be non-decreasing, got {off.tolist()}")
    starts = off.astype(np.int64)
    if include_last_offset:  # CSR style: the last offset closes the last bag, which as in
        starts = starts[:-1]  # PyTorch runs to the end of the input
    ends = np.append(starts[1:], idx.size)
    n = starts.size
    bag = np.repeat(np.arange(n), np.maximum(ends - starts, 0))
    if not n:  # no bags: nothing is looked up
        empty_w = None if per_sample_weights is None else per_sample_weights[:0]
        return idx[:0], bag, 0, empty_w
    return idx, bag, n, per_sample_weights


def embedding_bag(input: Any, weight: Tensor, offsets: Any = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of the embedding rows in each bag, without building the
    (bags, length, dim) lookup.

    Bags are the rows of a 2-D ``input``, or the pieces of a 1-D ``input`` that start at
    ``offsets`` (with ``include_last_offset``, ``offsets`` has one more entry, the
    input's length, as in the CSR format).
    Entries equal to ``padding_idx`` are left out (and not counted by ``'mean'``); an
    empty bag gives zeros. ``per_sample_weights`` (``'sum'`` only) weights each entry
    and gets a gradient. In ``'max'`` mode the gradient goes to the first maximum.

    >>> import chainrule as cr
    >>> table = cr.tensor([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0]])
    >>> embedding_bag(cr.tensor([0, 1, 2]), table, cr.tensor([0, 2]), mode="sum")
    tensor([[1., 2.],
            [4., 4.]])
    """
    who = "embedding_bag"
    weight = _tensor(weight, who)
    if weight.ndim != 2:
        raise ValueError(f"{who}: weight must be a 2-D table (num_embeddings, dim), got "
                         f"{_desc(weight)}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{who}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{who}: 'max' mode does not support scale_grad_by_freq")
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{who}: per_sample_weights is only supported for mode='sum', "
                             f"got mode={mode!r}")
        per_sample_weights = _tensor(per_sample_weights, who)
        if per_sample_weights.dtype != weight.dtype:
            raise TypeError(f"{who}: per_sample_weights {_desc(per_sample_weights)} must have "
                            f"the dtype of weight ({weight.dtype.name})")
    num, dim = weight.shape
    idx, bag, n, psw = _bags(input, offsets, per_sample_weights, include_last_offset, who)
    idx = _indices(idx, num, who)
    padding_idx = _padding_idx(padding_idx, num, who)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    if padding_idx is not None:
        keep = idx != padding_idx
        idx, bag = idx[keep], bag[keep]
        if psw is not None and not keep.all():
            psw = psw[keep]
    if mode == "max":
        return _bag_max(weight, idx, bag, n)
    rows = Embedding.apply(weight, indices=idx)
    if scale_grad_by_freq and rows.requires_grad:
        rows = ScaleGrad.apply(rows, scale=_freq_scale(idx, weight.dtype))
    if psw is not None:
        rows = rows * psw.reshape(-1, 1)
    out = ScatterAdd.apply(rows, shape=(n, dim), index=(bag,))
    if mode == "mean":
        counts = np.bincount(bag, minlength=n).astype(weight.dtype)
        out = out * (1 / np.maximum(counts, 1)).reshape(n, 1)
    return out


def _bag_max(weight: Tensor, idx: np.ndarray, bag: np.ndarray, n: int) -> Tensor:
    """Per bag and column, the largest entry: gathered from ``weight`` at the first
    position holding it, so the gradient reaches exactly that entry."""
    table = weight._array
    dim = table.shape[1]
    values = table[idx]  # (L, dim)
    best = np.full((n, dim), -np.inf)
    np.maximum.at(best, bag, values)
    # the first position of each bag that reaches its maximum, per column
    hit = values == best[bag]
    order = np.arange(idx.size)
    first = np.full((n, dim), idx.size)
    np.minimum.at(first, bag, np.where(hit, order[:, None], idx.size))
    empty = first == idx.size
    rows = idx[np.where(empty, 0, first)] if idx.size else np.zeros((n, dim), np.int64)
    cols = np.broadcast_to(np.arange(dim), (n, dim))
    out = weight[rows, cols]
    if empty.any():
        out = where(empty, np.zeros((), weight.dtype), out)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding along a new last dim.

    >>> import chainrule as cr
    >>> one_hot(cr.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    idx = tensor._array if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got {idx.dtype}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got "
                         f"min {idx.min()} and max {idx.max()}")
    return Tensor((idx[..., None] == np.arange(num_classes)).astype(np.int64))
