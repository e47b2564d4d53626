"""Normalising what users write for dims and indices (negative dims, None, Tensors)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["axes", "axis", "index", "index_part"]


def axes(dim: Any, ndim: int, op: str) -> tuple:
    """Normalise ``dim`` (None, an int, or a sequence; negatives allowed) to a sorted tuple.

    As in PyTorch, an empty sequence means every dim for a reduction (not for
    squeeze), and a 0-d tensor accepts dim 0 or -1, which reduces nothing.

    >>> axes(-1, 3, "sum"), axes(None, 2, "sum"), axes((), 2, "sum")
    ((2,), (0, 1), (0, 1))
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims and op != "squeeze":
        return tuple(range(ndim))
    out = []
    for d in dims:
        n = max(ndim, 1)
        if not -n <= d < n:
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor with {ndim} dimension(s)"
            )
        out.append(int(d) % n)
    if ndim == 0:
        return ()
    return tuple(sorted(set(out)))


def axis(dim: int, ndim: int, op: str) -> int:
    """One dim, normalised to a non-negative axis (0 for a 0-d tensor)."""
    return axes(dim, ndim, op)[0] if ndim else 0


def index(idx: Any) -> Any:
    """Turn Tensors and lists inside an index into arrays NumPy understands."""
    if isinstance(idx, tuple):
        return tuple(index_part(i) for i in idx)
    return index_part(idx)


def index_part(part: Any) -> Any:
    """One part of an index: a Tensor becomes its integer or bool array, a list an array."""
    if hasattr(part, "_ctx") and isinstance(getattr(part, "data", None), np.ndarray):
        part = part.data  # a Tensor
        if part.dtype.kind == "f":
            raise IndexError("tensors used as indices must be integer or bool tensors")
        return part
    if isinstance(part, list):
        return np.asarray(part)
    return part
