"""Reductions of Tensor (forward and VJP in :mod:`chainrule.ops.reduce`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import return_types
from ..ops.reduce import Amax, Amin, LogSumExp, Sum, TakeAlongAxis
from ..tensor import _apply, _constant, _is_tensor
from ._base import TensorBase
from ._dims import axes, axis, index_part

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["ReduceMethods"]


class ReduceMethods(TensorBase):
    """sum, mean, var, std, logsumexp, amax/amin, max/min, argmax/argmin, gather, all/any."""

    __slots__ = ()

    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The sum over ``dim`` (an int or a tuple; every dim when None)."""
        return _apply(Sum, (self,), {"axis": axes(dim, self.ndim, "sum"), "keepdims": keepdim})

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The mean over ``dim`` (every dim when None); NaN over an empty dim, as in PyTorch."""
        dims = axes(dim, self.ndim, "mean")
        n = int(np.prod([self.shape[a] for a in dims])) if dims else 1
        total = _apply(Sum, (self,), {"axis": dims, "keepdims": keepdim})
        return total * (1.0 / n if n else np.nan)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
            correction: int | None = None) -> Tensor:
        """Variance; ``correction=1`` (the default, as ``unbiased=True``) divides by n - 1."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = axes(dim, self.ndim, "var")
        n = int(np.prod([self.shape[a] for a in dims])) if dims else 1
        centered = self - self.mean(dims, keepdim=True)
        denom = max(n - correction, 0)
        total = (centered * centered).sum(dims, keepdim=keepdim)
        return total * (1.0 / denom) if denom else total * np.nan

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
            correction: int | None = None) -> Tensor:
        """Standard deviation: the square root of :meth:`var`."""
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``dim``, finite for large |x|."""
        return _apply(LogSumExp, (self,), {"axis": axes(dim, self.ndim, "logsumexp"),
                                           "keepdims": keepdim})

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The max over ``dim``; tied maxima share the gradient evenly."""
        return _apply(Amax, (self,), {"axis": axes(dim, self.ndim, "amax"), "keepdims": keepdim})

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The min over ``dim``; tied minima share the gradient evenly."""
        return _apply(Amin, (self,), {"axis": axes(dim, self.ndim, "amin"), "keepdims": keepdim})

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest element (a Tensor); with ``dim``, ``return_types.max(values, indices)``
        along it; with a Tensor, the elementwise maximum, like PyTorch.

        Without ``dim``, tied maxima share the gradient evenly; with ``dim``, the
        gradient goes to the index returned (the first maximum).
        """
        if _is_tensor(dim):
            return self.maximum(dim)
        if dim is None:
            return self.amax()
        values, indices = self._reduce_with_index(dim, keepdim, np.argmax, "max")
        return return_types.max(values, indices)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest element; with ``dim``, ``return_types.min(values, indices)`` along it."""
        if _is_tensor(dim):
            return self.minimum(dim)
        if dim is None:
            return self.amin()
        values, indices = self._reduce_with_index(dim, keepdim, np.argmin, "min")
        return return_types.min(values, indices)

    def _reduce_with_index(self, dim: int, keepdim: bool, arg: Callable,
                           op: str) -> tuple[Tensor, Tensor]:
        d = axis(dim, self.ndim, op)
        if self.ndim and self.shape[d] == 0:
            raise IndexError(f"{op}(): dim {dim} of shape {self.shape} is empty")
        if not self.ndim:
            return self * 1, _constant(np.zeros((), np.int64))
        idx = arg(self.data, axis=d, keepdims=True)
        values = _apply(TakeAlongAxis, (self,), {"indices": idx, "axis": d})
        if not keepdim:
            values = values.squeeze(d)
            idx = np.squeeze(idx, d)
        return values, _constant(idx.astype(np.int64))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(dim, keepdim, np.argmax)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
        return self._arg(dim, keepdim, np.argmin)

    def _arg(self, dim: Any, keepdim: bool, fn: Callable) -> Tensor:
        if dim is None:
            out = np.asarray(fn(self.data), dtype=np.int64)
            return _constant(out.reshape((1,) * self.ndim if keepdim else ()))
        d = axis(dim, self.ndim, fn.__name__)
        return _constant(np.asarray(fn(self.data, axis=d, keepdims=keepdim), dtype=np.int64))

    def gather(self, dim: int, index: Any) -> Tensor:
        """``torch.gather``: pick along ``dim`` at ``index`` (an integer tensor)."""
        return _apply(TakeAlongAxis, (self,), {"indices": index_part(index),
                                               "axis": axis(dim, self.ndim, "gather")})

    def all(self) -> Tensor:
        """True when every element is true (no gradient)."""
        return _constant(np.asarray(np.all(self.data)))

    def any(self) -> Tensor:
        """True when some element is true (no gradient)."""
        return _constant(np.asarray(np.any(self.data)))
