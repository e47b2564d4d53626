"""Scans of Tensor along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp
(forward and VJP in :mod:`chainrule.ops.scan`), and their free functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import return_types
from ..dtypes import as_dtype
from ..ops.reduce import TakeAlongAxis
from ..ops.scan import Cumprod, Cumsum, LogCumSumExp, cumulative_extreme_indices
from ..tensor import _apply, _constant
from ._base import TensorBase
from ._dims import axis

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["ScanMethods", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


class ScanMethods(TensorBase):
    """cumsum, cumprod, cummax, cummin, logcumsumexp: one result per entry, along ``dim``."""

    __slots__ = ()

    if TYPE_CHECKING:  # what this group uses of Tensor (see _base.TensorBase)
        _array: np.ndarray

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Running sum along ``dim``; integer and bool inputs give int64, as in PyTorch.

        >>> import chainrule as cr
        >>> cr.tensor([[1, 2, 3], [4, 5, 6]]).cumsum(1)
        tensor([[ 1,  3,  6],
                [ 4,  9, 15]])
        """
        x = self._cast_for(dtype)
        return _apply(Cumsum, (x,), {"axis": axis(dim, self.ndim, "cumsum")})

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Running product along ``dim``; the gradient is exact where the input has zeros.

        >>> import chainrule as cr
        >>> x = cr.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.cumprod(0).sum().backward()
        >>> x.grad
        tensor([1., 8., 0.])
        """
        x = self._cast_for(dtype)
        return _apply(Cumprod, (x,), {"axis": axis(dim, self.ndim, "cumprod")})

    def logcumsumexp(self, dim: int) -> Tensor:
        """``log(cumsum(exp(x)))`` along ``dim``, finite for large |x| (floating inputs)."""
        if self.dtype.kind not in "fc":
            raise TypeError(f"logcumsumexp(): expected a floating input, got {self.dtype.name}; "
                            "convert it with .float() first")
        return _apply(LogCumSumExp, (self,), {"axis": axis(dim, self.ndim, "logcumsumexp")})

    def cummax(self, dim: int) -> Any:
        """``return_types.cummax(values, indices)``: the running max along ``dim``.

        A later equal entry takes over the index, a NaN stays the max once seen, and
        the gradient goes to the index returned, as in PyTorch.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 3.0, 2.0, 3.0]).cummax(0).indices
        tensor([0, 1, 1, 3])
        """
        return return_types.cummax(*self._cumulative_extreme(dim, True, "cummax"))

    def cummin(self, dim: int) -> Any:
        """``return_types.cummin(values, indices)``: the running min along ``dim``."""
        return return_types.cummin(*self._cumulative_extreme(dim, False, "cummin"))

    def _cumulative_extreme(self, dim: int, largest: bool, op: str) -> tuple[Tensor, Tensor]:
        d = axis(dim, self.ndim, op)
        indices = cumulative_extreme_indices(self._array, d, largest)
        if not self.ndim:
            return self * 1, _constant(indices)
        values = _apply(TakeAlongAxis, (self,), {"indices": indices, "axis": d})
        return values, _constant(indices)

    def _cast_for(self, dtype: Any) -> Tensor:
        """This tensor in ``dtype`` (a reduction's ``dtype=``): the input is cast first."""
        dt = as_dtype(dtype)
        if dt is None or dt == self.dtype:
            return self  # type: ignore[return-value]
        return self.type(dt)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``chainrule.cumsum(x, dim)`` is ``x.cumsum(dim)``."""
    return input.cumsum(dim, dtype=dtype)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``chainrule.cumprod(x, dim)`` is ``x.cumprod(dim)``."""
    return input.cumprod(dim, dtype=dtype)


def cummax(input: Tensor, dim: int) -> Any:
    """``chainrule.cummax(x, dim)`` is ``x.cummax(dim)``."""
    return input.cummax(dim)


def cummin(input: Tensor, dim: int) -> Any:
    """``chainrule.cummin(x, dim)`` is ``x.cummin(dim)``."""
    return input.cummin(dim)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``chainrule.logcumsumexp(x, dim)`` is ``x.logcumsumexp(dim)``."""
    return input.logcumsumexp(dim)
