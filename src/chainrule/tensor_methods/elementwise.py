"""Elementwise methods of Tensor (forward and VJP in :mod:`chainrule.ops.elementwise`).

The operators (``+``, ``*``, ``**``, comparisons, ...) are in :mod:`chainrule.tensor`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..ops.elementwise import (
    Abs,
    Clamp,
    Cos,
    Exp,
    Log,
    Maximum,
    Minimum,
    PowScalar,
    Relu,
    Sigmoid,
    Sin,
    Sqrt,
    Tanh,
    Where,
)
from ..tensor import _apply, _constant, _is_tensor, _same_dtype
from ._base import TensorBase

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["ElementwiseMethods", "where", "maximum", "minimum"]


class ElementwiseMethods(TensorBase):
    """exp, log, sqrt, trigonometric and activation functions, clamp, maximum/minimum."""

    __slots__ = ()

    def exp(self) -> Tensor:
        """e ** x, elementwise."""
        return _apply(Exp, (self,), {})

    def log(self) -> Tensor:
        """The natural logarithm, elementwise."""
        return _apply(Log, (self,), {})

    def sqrt(self) -> Tensor:
        return _apply(Sqrt, (self,), {})

    def abs(self) -> Tensor:
        """|x|; the gradient at 0 is 0."""
        return _apply(Abs, (self,), {})

    def sin(self) -> Tensor:
        return _apply(Sin, (self,), {})

    def cos(self) -> Tensor:
        return _apply(Cos, (self,), {})

    def tanh(self) -> Tensor:
        return _apply(Tanh, (self,), {})

    def sigmoid(self) -> Tensor:
        """1 / (1 + e ** -x), without overflow for large |x|."""
        return _apply(Sigmoid, (self,), {})

    def relu(self) -> Tensor:
        """max(x, 0); the gradient at 0 is 0."""
        return _apply(Relu, (self,), {})

    def square(self) -> Tensor:
        return _apply(PowScalar, (self,), {"c": 2})

    def reciprocal(self) -> Tensor:
        return 1 / self

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Clip to ``[min, max]``; the bounds may be numbers or Tensors that broadcast.

        The gradient passes where ``min <= x <= max`` (bounds included), as in PyTorch;
        a bound that requires grad gets it where it is the result.

        >>> import chainrule as cr
        >>> cr.tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
        tensor([0. , 0.5, 1. ])
        """
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if (_is_tensor(min) and min.requires_grad) or (_is_tensor(max) and max.requires_grad):
            out: Any = self
            if min is not None:
                out = where(out < min, min, out)
            if max is not None:
                out = where(out > max, max, out)
            return out
        low = min.data if _is_tensor(min) else min
        high = max.data if _is_tensor(max) else max
        return _apply(Clamp, (self,), {"low": low, "high": high})

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        """The larger of the two, elementwise; a tie gives each side half the gradient."""
        return _apply(Maximum, _same_dtype(self, other), {})

    def minimum(self, other: Any) -> Tensor:
        """The smaller of the two, elementwise; a tie gives each side half the gradient."""
        return _apply(Minimum, _same_dtype(self, other), {})

    # -- no gradient: results are constants -----------------------------------
    def sign(self) -> Tensor:
        return _constant(np.sign(self.data))

    def isfinite(self) -> Tensor:
        return _constant(np.isfinite(self.data))

    def isnan(self) -> Tensor:
        return _constant(np.isnan(self.data))


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elementwise ``input if condition else other``; ``condition`` gets no gradient."""
    cond = condition.data if _is_tensor(condition) else np.asarray(condition)
    return _apply(Where, (cond.astype(bool), *_same_dtype(input, other)), {})


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of ``a`` and ``b``, elementwise."""
    return _apply(Maximum, _same_dtype(a, b), {})


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of ``a`` and ``b``, elementwise."""
    return _apply(Minimum, _same_dtype(a, b), {})
