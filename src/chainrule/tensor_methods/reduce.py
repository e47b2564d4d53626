"""Reductions of Tensor (forward and VJP in :mod:`chainrule.ops.reduce`), and their free
functions; the scans (:mod:`.scan`) and the sorting ops (:mod:`.sort`) are mixed in here.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import return_types
from ..dtypes import as_dtype
from ..ops.reduce import (
    Amax,
    Amin,
    LogSumExp,
    MaxAll,
    MinAll,
    NanToZero,
    Norm,
    Prod,
    Std,
    Sum,
    TakeAlongAxis,
    Var,
)
from ..tensor import _apply, _constant, _is_tensor
from ._dims import axes, axis, index_part
from .scan import ScanMethods
from .sort import SortMethods

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["ReduceMethods", "prod", "nansum", "nanmean", "var_mean", "std_mean", "norm", "dist",
           "count_nonzero", "aminmax", "all", "any"]


def _floating_only(t: Any, op: str, what: str = "a floating") -> None:
    if t.dtype.kind not in "fc":
        raise RuntimeError(f"{op}(): expected {what} input, got {t.dtype.name}; "
                           "convert it with .float() or pass dtype=chainrule.float32")


class ReduceMethods(ScanMethods, SortMethods):
    """sum, mean, nansum, nanmean, prod, var, std, norm, dist, logsumexp, amax/amin,
    aminmax, max/min, argmax/argmin, count_nonzero, gather, all/any (plus the scans
    and the sorting ops, from their own modules)."""

    __slots__ = ()

    # -- sums and means ------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The sum over ``dim`` (an int or a tuple; every dim when None).

        Integer and bool inputs give int64; ``dtype=`` casts the input first (the
        gradient comes back in the input's dtype).
        """
        x = self._cast_for(dtype)
        out = _apply(Sum, (x,), {"axis": axes(dim, self.ndim, "sum"), "keepdims": keepdim})
        dt = as_dtype(dtype)
        return out if dt is None or out.dtype == dt else out.type(dt)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The mean over ``dim`` (every dim when None); NaN over an empty dim, as in PyTorch.

        Floating inputs only (or pass ``dtype=``), as in PyTorch.
        """
        x = self._cast_for(dtype)
        _floating_only(x, "mean")
        dims = axes(dim, self.ndim, "mean")
        n = int(np.prod([self.shape[a] for a in dims])) if dims else 1
        total = _apply(Sum, (x,), {"axis": dims, "keepdims": keepdim})
        return total * (1.0 / n if n else np.nan)

    def nansum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The sum over ``dim`` with NaN counted as 0 (NaN entries get a zero gradient).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, float("nan"), 2.0]).nansum()
        tensor(3.)
        """
        x = self._cast_for(dtype)
        return x._without_nan().sum(dim, keepdim)

    def nanmean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The mean of the entries that are not NaN, over ``dim`` (NaN where all are)."""
        x = self._cast_for(dtype)
        _floating_only(x, "nanmean")
        count = (~np.isnan(x._array)).sum(axis=axes(dim, self.ndim, "nanmean"), keepdims=keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = (1.0 / count).astype(x.dtype)
        return x._without_nan().sum(dim, keepdim) * scale

    def _without_nan(self) -> Tensor:
        """This tensor with NaN entries replaced by 0 (their gradient is 0)."""
        if self.dtype.kind not in "fc":
            return self  # type: ignore[return-value]
        if not np.isnan(self._array).any():
            return self  # type: ignore[return-value]
        return _apply(NanToZero, (self,))

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None
             ) -> Tensor:
        """The product over ``dim`` (every entry when None); integer and bool inputs give int64.

        The gradient is the product of the other entries, exact at every order where
        the input has zeros, as PyTorch's.

        >>> import chainrule as cr
        >>> x = cr.tensor([[2.0, 0.0], [3.0, 4.0]], requires_grad=True)
        >>> x.prod(1)
        tensor([ 0., 12.], grad_fn=<prod>)
        """
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError(f"prod(): dim must be one int, got {dim!r}")
        x = self._cast_for(dtype)
        dims = axes(dim, self.ndim, "prod")
        return _apply(Prod, (x,), {"axis": dims, "keepdims": keepdim})

    # -- spread ----------------------------------------------------------------------
    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> Tensor:
        """Variance over ``dim`` (every dim when None) with ``correction`` (default 1, as
        ``unbiased=True``): the sum of squared deviations over n - correction.

        Where n - correction <= 0 the value is inf (NaN for a constant input) and the
        gradient is PyTorch's there, with a warning, as PyTorch.
        """
        return self._spread(Var, "var", dim, unbiased, keepdim, correction)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> Tensor:
        """Standard deviation: the square root of :meth:`var`; the gradient of a constant
        input is 0, as in PyTorch."""
        return self._spread(Std, "std", dim, unbiased, keepdim, correction)

    def _spread(self, op: type, name: str, dim: Any, unbiased: bool | None, keepdim: bool,
                correction: float | None) -> Tensor:
        if isinstance(dim, (bool, np.bool_)):  # var(False): the unbiased flag, as in PyTorch
            dim, unbiased = None, bool(dim)
        if correction is None:
            correction = 0 if unbiased is False else 1
        elif unbiased is not None:
            raise TypeError(f"{name}(): give either unbiased or correction, not both")
        if self.dtype.kind not in "fc":
            raise RuntimeError(f"{name}(): only floating inputs are supported, got "
                               f"{self.dtype.name}; convert it with .float() first")
        dims = axes(dim, self.ndim, name)
        full = dim is None or not self.ndim or not axes(dim, self.ndim, "squeeze")
        n = int(np.prod([self.shape[a] for a in dims])) if dims else 1
        if n - correction <= 0:
            warnings.warn(f"{name}(): degrees of freedom is <= 0 (correction {correction} with "
                          f"{n} entries reduced); the result is inf, or NaN for a constant "
                          "input", stacklevel=3)
        return _apply(op, (self,), {"axis": dims, "correction": correction,
                                    "keepdims": keepdim, "full": full})

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, *,
             dtype: Any = None) -> Tensor:
        """The vector p-norm over ``dim`` (every entry when None): ``p`` is a number,
        ``inf``/``-inf`` (max/min of |x|), 0 (the count of nonzero entries) or ``"fro"``
        (the 2-norm). ``"nuc"`` is a matrix norm: see ``chainrule.linalg.matrix_norm``.

        At 0 the gradient is PyTorch's: 0 for the 2-norm.

        >>> import chainrule as cr
        >>> cr.tensor([[3.0, -4.0], [0.0, 1.0]]).norm(dim=1)
        tensor([5., 1.])
        """
        x = self._cast_for(dtype)
        if isinstance(p, str):
            if p == "nuc":
                return _nuclear_norm(x, dim, keepdim)
            if p != "fro":
                raise RuntimeError(f"norm(): p={p!r} is not a norm; give a number, inf, "
                                   "'fro' or 'nuc'")
            p = 2
        if p is None:
            p = 2
        _floating_only(x, "norm")
        dims = axes(dim, self.ndim, "norm")
        return _apply(Norm, (x,), {"p": float(p), "axis": dims, "keepdims": keepdim})

    def dist(self, other: Any, p: float = 2) -> Tensor:
        """The p-norm of ``self - other`` (broadcast), as one number."""
        return (self - other).norm(p)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``dim``, finite for large |x|."""
        return _apply(LogSumExp, (self,), {"axis": axes(dim, self.ndim, "logsumexp"),
                                           "keepdims": keepdim})

    # -- extremes ----------------------------------------------------------------------
    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The max over ``dim``; tied maxima share the gradient evenly."""
        return _apply(Amax, (self,), {"axis": axes(dim, self.ndim, "amax"), "keepdims": keepdim})

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """The min over ``dim``; tied minima share the gradient evenly."""
        return _apply(Amin, (self,), {"axis": axes(dim, self.ndim, "amin"), "keepdims": keepdim})

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> Any:
        """``return_types.aminmax(min, max)`` over ``dim`` (every entry when None); tied
        entries share each gradient evenly, as for :meth:`amin` and :meth:`amax`.

        >>> import chainrule as cr
        >>> cr.tensor([[1, 5], [7, 2]]).aminmax(dim=0)
        aminmax(min=tensor([1, 2]), max=tensor([7, 5]))
        """
        if self._array.size == 0:
            raise RuntimeError(f"aminmax(): the input of shape {self.shape} is empty")
        if dim is None:
            dims = tuple(range(self.ndim))
        else:
            dims = (axis(dim, self.ndim, "aminmax"),) if self.ndim else ()
        params = {"axis": dims, "keepdims": keepdim}
        return return_types.aminmax(_apply(Amin, (self,), params), _apply(Amax, (self,), params))

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest element (a Tensor); with ``dim``, ``return_types.max(values, indices)``
        along it; with a Tensor, the elementwise maximum, like PyTorch.

        Without ``dim``, tied maxima (or the NaNs, when the max is NaN) share the
        gradient evenly; with ``dim``, the gradient goes to the index returned.
        """
        if _is_tensor(dim):
            return self.maximum(dim)
        if dim is None:
            self._nonempty("max")
            return _apply(MaxAll, (self,))
        values, indices = self._reduce_with_index(dim, keepdim, np.argmax, "max")
        return return_types.max(values, indices)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest element; with ``dim``, ``return_types.min(values, indices)`` along it."""
        if _is_tensor(dim):
            return self.minimum(dim)
        if dim is None:
            self._nonempty("min")
            return _apply(MinAll, (self,))
        values, indices = self._reduce_with_index(dim, keepdim, np.argmin, "min")
        return return_types.min(values, indices)

    def _nonempty(self, op: str) -> None:
        if self._array.size == 0:
            raise RuntimeError(f"{op}(): the input of shape {self.shape} is empty; give dim= "
                               "or a non-empty tensor")

    def _reduce_with_index(self, dim: int, keepdim: bool, arg: Callable,
                           op: str) -> tuple[Tensor, Tensor]:
        d = axis(dim, self.ndim, op)
        if self.ndim and self.shape[d] == 0:
            raise IndexError(f"{op}(): dim {dim} of shape {self.shape} is empty")
        if not self.ndim:
            return self * 1, _constant(np.zeros((), np.int64))
        idx = arg(self._array, axis=d, keepdims=True)
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
            out = np.asarray(fn(self._array), dtype=np.int64)
            return _constant(out.reshape((1,) * self.ndim if keepdim else ()))
        d = axis(dim, self.ndim, fn.__name__)
        return _constant(np.asarray(fn(self._array, axis=d, keepdims=keepdim), dtype=np.int64))

    # -- counting and truth ------------------------------------------------------------
    def count_nonzero(self, dim: Any = None) -> Tensor:
        """The number of nonzero entries over ``dim`` (every dim when None), int64.

        >>> import chainrule as cr
        >>> cr.tensor([[0, 1, 2], [3, 0, 0]]).count_nonzero(dim=1)
        tensor([2, 1])
        """
        dims = axes(dim, self.ndim, "count_nonzero")
        return _constant(np.asarray(np.count_nonzero(self._array, axis=dims), dtype=np.int64))

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """True where every entry over ``dim`` is nonzero (every dim when None); no gradient.

        bool results, except uint8 inputs, which give uint8, as in PyTorch.
        """
        return self._truth(np.all, dim, keepdim, "all")

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """True where some entry over ``dim`` is nonzero (every dim when None); no gradient."""
        return self._truth(np.any, dim, keepdim, "any")

    def _truth(self, fn: Callable, dim: Any, keepdim: bool, op: str) -> Tensor:
        out = np.asarray(fn(self._array, axis=axes(dim, self.ndim, op), keepdims=keepdim))
        return _constant(out.astype(np.uint8) if self.dtype == np.uint8 else out)

    def gather(self, dim: int, index: Any) -> Tensor:
        """``torch.gather``: pick along ``dim`` at ``index`` (an integer tensor)."""
        return _apply(TakeAlongAxis, (self,), {"indices": index_part(index),
                                               "axis": axis(dim, self.ndim, "gather")})


def _nuclear_norm(x: Any, dim: Any, keepdim: bool) -> Tensor:
    """``norm(x, 'nuc')``: the sum of singular values, which ``chainrule.linalg`` computes."""
    try:  # imported when used: linalg is built on these reductions
        matrix_norm = importlib.import_module("chainrule.linalg").matrix_norm
    except (ImportError, AttributeError):
        matrix_norm = None
    if matrix_norm is None:
        raise RuntimeError("norm(p='nuc') needs chainrule.linalg.matrix_norm, which this "
                           "build lacks")
    return matrix_norm(x, "nuc", dim=(-2, -1) if dim is None else dim, keepdim=keepdim)


# ---------------------------------------------------------------------------
# Free functions (``chainrule.prod(x, ...)`` and friends)
# ---------------------------------------------------------------------------

def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """``chainrule.prod(x, ...)`` is ``x.prod(...)``."""
    return input.prod(dim, keepdim, dtype=dtype)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``chainrule.nansum(x, ...)`` is ``x.nansum(...)``."""
    return input.nansum(dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: Any = None) -> Tensor:
    """``chainrule.nanmean(x, ...)`` is ``x.nanmean(...)``."""
    return input.nanmean(dim, keepdim, dtype=dtype)


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim``, as :meth:`Tensor.var` and :meth:`Tensor.mean`.

    >>> import chainrule as cr
    >>> cr.var_mean(cr.tensor([1.0, 2.0, 6.0]))
    (tensor(7.), tensor(3.))
    """
    if isinstance(dim, (bool, np.bool_)):
        dim, unbiased = None, bool(dim)
    return (input.var(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim``, as :meth:`Tensor.std` and :meth:`Tensor.mean`."""
    if isinstance(dim, (bool, np.bool_)):
        dim, unbiased = None, bool(dim)
    return (input.std(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         out: None = None, dtype: Any = None) -> Tensor:
    """``chainrule.norm(x, ...)`` is ``x.norm(...)``."""
    if out is not None:
        raise TypeError("norm(): out= is not supported; use the returned tensor")
    return input.norm(p, dim, keepdim, dtype=dtype)


def dist(input: Tensor, other: Any, p: float = 2) -> Tensor:
    """``chainrule.dist(x, y, p)`` is ``(x - y).norm(p)``."""
    return input.dist(other, p)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """``chainrule.count_nonzero(x, dim)`` is ``x.count_nonzero(dim)``."""
    return input.count_nonzero(dim)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``chainrule.aminmax(x, dim=..., keepdim=...)`` is ``x.aminmax(...)``."""
    return input.aminmax(dim=dim, keepdim=keepdim)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """``chainrule.all(x, ...)`` is ``x.all(...)``."""
    return input.all(dim, keepdim)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """``chainrule.any(x, ...)`` is ``x.any(...)``."""
    return input.any(dim, keepdim)
