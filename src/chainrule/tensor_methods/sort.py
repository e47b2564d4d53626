"""Sorting and selection methods of Tensor: sort, argsort, topk, kthvalue, median,
nanmedian, mode, unique, unique_consecutive (index kernels in :mod:`chainrule.ops.sort`,
which also states the rule for ties), and their free functions.

The values these return are a gather at the indices, so the gradient goes to the
index returned, as in PyTorch; ``median()`` and ``nanmedian()`` without ``dim``
share it evenly among tied entries, as PyTorch's do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import return_types
from ..ops import sort as kernels
from ..ops.reduce import MedianAll, NanMedianAll, TakeAlongAxis
from ..tensor import _apply, _constant
from ._base import TensorBase
from ._dims import axis

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["SortMethods", "sort", "argsort", "topk", "kthvalue", "median", "nanmedian", "mode",
           "unique", "unique_consecutive"]


class SortMethods(TensorBase):
    """sort, argsort, topk, kthvalue, median, nanmedian, mode, unique, unique_consecutive."""

    __slots__ = ()

    if TYPE_CHECKING:  # what this group uses of Tensor (see _base.TensorBase)
        _array: np.ndarray

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """``return_types.sort(values, indices)`` along ``dim``; NaN sorts above every number.

        Equal entries keep their input order (``stable`` is accepted and always
        holds; PyTorch's unstable CPU sort may order ties differently beyond 16
        entries).

        >>> import chainrule as cr
        >>> cr.tensor([3.0, 1.0, 2.0]).sort(descending=True)
        sort(values=tensor([3., 2., 1.]), indices=tensor([0, 2, 1]))
        """
        d = axis(dim, self.ndim, "sort")
        indices = kernels.argsort(self._array, d, descending)
        return return_types.sort(self._gather(indices, d), _constant(indices))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices of :meth:`sort` (an int64 tensor)."""
        return _constant(kernels.argsort(self._array, axis(dim, self.ndim, "argsort"),
                                         descending))

    def msort(self) -> Tensor:
        """The values sorted along dim 0."""
        return self.sort(0).values

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """``return_types.topk(values, indices)``: the ``k`` largest (``largest=False``:
        smallest) entries along ``dim``, best first.

        ``sorted=False`` is accepted and gives them sorted too (PyTorch leaves that
        order unspecified). Among equal entries the earlier index comes first.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 5.0, 3.0, 4.0]).topk(2)
        topk(values=tensor([5., 4.]), indices=tensor([1, 3]))
        """
        d = axis(dim, self.ndim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
            raise RuntimeError(f"topk(): k={k} is out of range for dim {dim} of size {n} "
                               f"(shape {self.shape}); choose 0 <= k <= {n}")
        indices = kernels.topk_indices(self._array, int(k), d, largest)
        return return_types.topk(self._gather(indices, d), _constant(indices))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        """``return_types.kthvalue(values, indices)``: the ``k``-th smallest entry (k from 1)
        along ``dim``.

        >>> import chainrule as cr
        >>> cr.tensor([4.0, 1.0, 3.0]).kthvalue(2)
        kthvalue(values=tensor(3.), indices=tensor(2))
        """
        d = axis(dim, self.ndim, "kthvalue")
        n = self._reduced_size(d, "kthvalue")
        if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): k={k} is out of range for dim {dim} of size {n} "
                               f"(shape {self.shape}); choose 1 <= k <= {n}")
        indices = kernels.kthvalue_indices(self._array, int(k), d)
        return return_types.kthvalue(*self._picked(indices, d, keepdim))

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The lower median: of all entries (a Tensor) when ``dim`` is None, else
        ``return_types.median(values, indices)`` along ``dim``. NaN if there is a NaN.

        Without ``dim`` tied entries share the gradient evenly; with ``dim`` it goes
        to the index returned, as in PyTorch.

        >>> import chainrule as cr
        >>> cr.tensor([[1.0, 4.0, 2.0, 3.0]]).median(1)
        median(values=tensor([2.]), indices=tensor([2]))
        """
        if dim is None:
            return _apply(MedianAll, (self,))
        d = axis(dim, self.ndim, "median")
        self._reduced_size(d, "median")
        indices = kernels.median_indices(self._array, d, ignore_nan=False)
        return return_types.median(*self._picked(indices, d, keepdim))

    def nanmedian(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """:meth:`median` of the entries that are not NaN (NaN when all are)."""
        if dim is None:
            return _apply(NanMedianAll, (self,))
        d = axis(dim, self.ndim, "nanmedian")
        self._reduced_size(d, "nanmedian")
        indices = kernels.median_indices(self._array, d, ignore_nan=True)
        return return_types.nanmedian(*self._picked(indices, d, keepdim))

    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        """``return_types.mode(values, indices)``: the most frequent value along ``dim``
        (the smallest among equally frequent ones) and the index of its last occurrence.

        >>> import chainrule as cr
        >>> cr.tensor([2, 7, 2, 7, 1]).mode()
        mode(values=tensor(2), indices=tensor(2))
        """
        d = axis(dim, self.ndim, "mode")
        self._reduced_size(d, "mode")
        indices = kernels.mode_indices(self._array, d)
        return return_types.mode(*self._picked(indices, d, keepdim))

    def unique(self, sorted: bool = True, return_inverse: bool = False,
               return_counts: bool = False, dim: int | None = None) -> Any:
        """The distinct values in ascending order (slices along ``dim`` when given), and,
        as PyTorch, a tuple with the inverse indices and/or the counts when asked for.

        No gradient (PyTorch has none either). ``sorted=False`` gives them sorted too,
        as PyTorch does on a CPU.

        >>> import chainrule as cr
        >>> cr.tensor([2, 1, 2, 5]).unique(return_counts=True)
        (tensor([1, 2, 5]), tensor([1, 2, 1]))
        """
        d = None if dim is None else axis(dim, self.ndim, "unique")
        values, inverse, counts = kernels.unique(self._array, return_inverse, return_counts, d)
        return _unique_result(values, inverse, counts)

    def unique_consecutive(self, return_inverse: bool = False, return_counts: bool = False,
                           dim: int | None = None) -> Any:
        """The first of each run of equal consecutive values (slices along ``dim``), with
        the inverse indices and/or run lengths when asked for. No gradient.

        >>> import chainrule as cr
        >>> cr.tensor([1, 1, 2, 2, 3, 1]).unique_consecutive()
        tensor([1, 2, 3, 1])
        """
        d = None if dim is None else axis(dim, self.ndim, "unique_consecutive")
        values, inverse, counts = kernels.unique_consecutive(self._array, return_inverse,
                                                             return_counts, d)
        return _unique_result(values, inverse, counts)

    # -- helpers ---------------------------------------------------------------
    def _reduced_size(self, d: int, op: str) -> int:
        """The size of dim ``d`` (1 for a 0-d tensor); an empty dim raises, as in PyTorch."""
        n = self.shape[d] if self.ndim else 1
        if n == 0:
            raise IndexError(f"{op}(): dim {d} of shape {self.shape} is empty; "
                             "there is no entry to pick")
        return n

    def _gather(self, indices: np.ndarray, d: int) -> Tensor:
        """The entries at ``indices`` along ``d`` (the gradient goes back to them)."""
        if not self.ndim:
            return self * 1
        return _apply(TakeAlongAxis, (self,), {"indices": indices, "axis": d})

    def _picked(self, indices: np.ndarray, d: int, keepdim: bool) -> tuple[Tensor, Tensor]:
        """``(values, indices)`` for ``indices`` kept as a size-1 axis ``d``."""
        values = self._gather(indices, d)
        if self.ndim and not keepdim:
            values = values.squeeze(d)
            indices = np.squeeze(indices, d)
        return values, _constant(indices.astype(np.int64, copy=False))


def _unique_result(values: np.ndarray, inverse: np.ndarray | None,
                   counts: np.ndarray | None) -> Any:
    parts = [_constant(values)]
    for extra in (inverse, counts):
        if extra is not None:
            parts.append(_constant(extra))
    return parts[0] if len(parts) == 1 else tuple(parts)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """``chainrule.sort(x, ...)`` is ``x.sort(...)``."""
    return input.sort(dim, descending, stable)


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """``chainrule.argsort(x, ...)`` is ``x.argsort(...)``."""
    return input.argsort(dim, descending, stable)


def msort(input: Tensor) -> Tensor:
    """``chainrule.msort(x)`` is ``x.msort()``."""
    return input.msort()


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> Any:
    """``chainrule.topk(x, k, ...)`` is ``x.topk(k, ...)``."""
    return input.topk(k, dim, largest, sorted)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """``chainrule.kthvalue(x, k, ...)`` is ``x.kthvalue(k, ...)``."""
    return input.kthvalue(k, dim, keepdim)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """``chainrule.median(x, ...)`` is ``x.median(...)``."""
    return input.median(dim, keepdim)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """``chainrule.nanmedian(x, ...)`` is ``x.nanmedian(...)``."""
    return input.nanmedian(dim, keepdim)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """``chainrule.mode(x, ...)`` is ``x.mode(...)``."""
    return input.mode(dim, keepdim)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """``chainrule.unique(x, ...)`` is ``x.unique(...)``."""
    return input.unique(sorted, return_inverse, return_counts, dim)


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None) -> Any:
    """``chainrule.unique_consecutive(x, ...)`` is ``x.unique_consecutive(...)``."""
    return input.unique_consecutive(return_inverse, return_counts, dim)
