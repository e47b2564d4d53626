"""Shape, indexing and joining methods of Tensor (forward and VJP in :mod:`chainrule.ops.shape`).

Writing through an index (``x[i] = v``) is an in-place op, in :mod:`chainrule.tensor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ops.shape import Clone, Concatenate, Expand, GetItem, Permute, Reshape
from ..tensor import _apply, _constant, _is_tensor, _view_of
from ._base import TensorBase
from ._dims import axes, axis, index

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["ShapeMethods", "cat", "stack", "split", "chunk"]


def _shape_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` mean the same shape."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class ShapeMethods(TensorBase):
    """reshape/view, flatten, permute/transpose, squeeze/unsqueeze, expand, indexing, split."""

    __slots__ = ()

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one entry may be -1)."""
        new_shape = _shape_arg(shape)
        try:
            return _view_of(_apply(Reshape, (self,), {"shape": new_shape}), self)
        except ValueError:
            raise ValueError(
                f"reshape: shape {tuple(new_shape)} is invalid for a tensor of shape "
                f"{self.shape} ({self._array.size} elements)"
            ) from None

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims ``start_dim`` .. ``end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        s = axis(start_dim, self.ndim, "flatten")
        e = axis(end_dim, self.ndim, "flatten")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def permute(self, *dims: Any) -> Tensor:
        """The dims in the order ``dims``."""
        order = _shape_arg(dims)
        if sorted(d % max(self.ndim, 1) for d in order) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {order} are not a permutation of {self.ndim} dims")
        return _view_of(_apply(Permute, (self,), {"axes": tuple(d % self.ndim for d in order)}),
                        self)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dims."""
        order = list(range(self.ndim))
        a, b = axis(dim0, self.ndim, "transpose"), axis(dim1, self.ndim, "transpose")
        order[a], order[b] = order[b], order[a]
        return _view_of(_apply(Permute, (self,), {"axes": tuple(order)}), self)

    @property
    def T(self) -> Tensor:
        """Every dim reversed."""
        return _view_of(_apply(Permute, (self,), {"axes": tuple(reversed(range(self.ndim)))}),
                        self)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a batch of transposed matrices)."""
        return self.transpose(-2, -1)

    def t(self) -> Tensor:
        """The transpose of a tensor with at most 2 dims."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dims, got {self.ndim}")
        return self.T

    def unsqueeze(self, dim: int) -> Tensor:
        """A new dim of size 1 at ``dim``."""
        d = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= d <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for {self.ndim} dims")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Any = None) -> Tensor:
        """Drop dims of size 1 (only those in ``dim`` when given)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = axes(dim, self.ndim, "squeeze")
        return self.reshape(tuple(n for i, n in enumerate(self.shape)
                                  if not (i in dims and n == 1)))

    def expand(self, *sizes: Any) -> Tensor:
        """A broadcast view to ``sizes`` (-1 keeps a dim); the gradient is summed back."""
        target = _shape_arg(sizes)
        lead = len(target) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {len(target)} sizes given for a tensor of {self.ndim} dims")
        shape = tuple(
            (self.shape[i - lead] if (n == -1 and i >= lead) else n) for i, n in enumerate(target)
        )
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"expand: shape {self.shape} can't be expanded to {target}") from None
        return _view_of(_apply(Expand, (self,), {"shape": shape}), self)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return self.expand(shape)

    def __getitem__(self, idx: Any) -> Tensor:
        key = index(idx)
        return _view_of(_apply(GetItem, (self,), {"index": key}), self, key)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        """Pieces along ``dim``: see :func:`split`."""
        return split(self, split_size_or_sections, dim)  # type: ignore[arg-type]

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """``chunks`` nearly equal pieces along ``dim``: see :func:`chunk`."""
        return chunk(self, chunks, dim)  # type: ignore[arg-type]

    def clone(self) -> Tensor:
        """A copy with its own memory, still connected to the graph."""
        return _apply(Clone, (self,), {})


# ---------------------------------------------------------------------------
# Functions on several tensors
# ---------------------------------------------------------------------------

def _data(x: Any) -> np.ndarray:
    return x._array if _is_tensor(x) else np.asarray(x)


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ndim = np.ndim(_data(tensors[0]))
    d = axis(dim, ndim, "cat")
    shapes = [np.shape(_data(t)) for t in tensors]
    for s in shapes:
        if len(s) != ndim or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != d):
            raise ValueError(f"cat: shapes {shapes} don't match outside dim {dim}")
    return _apply(Concatenate, tuple(tensors), {"axis": d})


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    items = [t if _is_tensor(t) else _constant(np.asarray(t)) for t in tensors]
    if not items:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in items}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in items], dim=dim)


def split(t: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or given sizes."""
    d = axis(dim, t.ndim, "split")
    n = t.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(
                f"split: sections {sizes} don't add up to {n} (dim {dim} of {t.shape})")
    lead = (slice(None),) * d
    out, start = [], 0
    for s in sizes:
        out.append(t[lead + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(t: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` nearly equal pieces along ``dim`` (PyTorch's rule: ceil-sized)."""
    n = t.shape[axis(dim, t.ndim, "chunk")]
    size = -(-n // chunks) if n else 1
    return split(t, max(size, 1), dim)
