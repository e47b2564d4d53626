"""Elementwise methods of Tensor, and the free functions of the same kind.

Forward and VJP are in :mod:`chainrule.ops.elementwise` and :mod:`chainrule.ops.special`.
The operators (``+``, ``*``, ``//``, ``%``, ``&``, comparisons, ...) are in
:mod:`chainrule.tensor`. Integer inputs of a floating function (exp, erf, atan2, ...)
give the default dtype (float32 unless set), as in PyTorch; piecewise-constant results
(floor, sign, ...) stay in the graph with a zero gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..dtypes import to_array
from ..ops.elementwise import (
    Abs,
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    BitwiseAnd,
    BitwiseNot,
    BitwiseOr,
    BitwiseXor,
    Ceil,
    Clamp,
    CopySign,
    Cos,
    Cosh,
    DivRounding,
    Exp,
    Exp2,
    Expm1,
    Floor,
    Fmax,
    Fmin,
    Fmod,
    Gcd,
    Hypot,
    Lcm,
    LeftShift,
    Lerp,
    Log,
    Log1p,
    Log2,
    Log10,
    LogAddExp,
    LogAddExp2,
    Maximum,
    Minimum,
    NanToNum,
    PowScalar,
    Reciprocal,
    Relu,
    Remainder,
    RightShift,
    Round,
    Rsqrt,
    Sigmoid,
    Sign,
    Sin,
    Sinh,
    Sqrt,
    Tan,
    Tanh,
    Trunc,
    Where,
    XLog1pY,
    XLogY,
)
from ..ops.special import Digamma, Entr, Erf, Erfc, Erfinv, Lgamma, Logit, Polygamma, Sinc
from ..tensor import _apply, _constant, _is_tensor, _same_dtype
from ._base import TensorBase

if TYPE_CHECKING:
    from ..function import Function
    from ..tensor import Tensor

__all__ = [
    "ElementwiseMethods", "where", "maximum", "minimum",
    # rounding and division
    "floor", "ceil", "trunc", "fix", "round", "frac", "sign", "sgn", "signbit",
    "div", "divide", "true_divide", "floor_divide", "fmod", "remainder",
    # powers, exponentials, logarithms, trigonometric and hyperbolic
    "square", "reciprocal", "rsqrt", "exp2", "expm1", "log2", "log10", "log1p",
    "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg",
    "neg", "negative", "positive", "absolute", "clip", "clamp_min", "clamp_max", "fmax", "fmin",
    "float_power", "ldexp", "add", "sub", "subtract", "mul", "multiply",
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal",
    # special functions
    "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "logit", "sinc",
    # binary
    "atan2", "arctan2", "hypot", "lerp", "logaddexp", "logaddexp2", "copysign", "xlogy",
    # nan and inf, closeness
    "nan_to_num", "isinf", "isposinf", "isneginf", "isfinite", "isnan", "isreal",
    "isclose", "allclose", "equal",
    # bitwise and logical
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "logical_and", "logical_or", "logical_xor", "logical_not",
    "gcd", "lcm",
]


def _array(x: Any) -> Any:
    """A Tensor's array; numbers and arrays as they are."""
    return x._array if _is_tensor(x) else x


def _as_tensor(x: Any) -> Tensor:
    return x if _is_tensor(x) else _constant(to_array(x))




def _inplace_method(fn: type[Function], name: str, whole: bool = False) -> Callable[..., Tensor]:
    """The in-place form ``name`` (``exp_``, ``lerp_``, ...) of the op ``fn``.

    ``whole``: the op leaves whole numbers as they are (floor, round, ...), so an integer
    tensor is returned unchanged, as in PyTorch; a floating result into an integer
    tensor is refused (by ``Tensor._inplace``).
    """

    def method(self: ElementwiseMethods, *args: Any, **params: Any) -> Tensor:
        if whole and self.dtype.kind in "iu" and not params.get("decimals"):
            return self  # type: ignore[return-value]
        return self._inplace_op(fn, name, *args, **params)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``{name[:-1]}`` in place: ``self`` becomes ``self.{name[:-1]}(...)``."
    return method


class ElementwiseMethods(TensorBase):
    """Elementwise math: exp/log, trigonometric and special functions, rounding, division
    with rounding, clamp, maximum/minimum, nan/inf tests, bitwise and logical ops."""

    __slots__ = ()

    def _inplace_op(self, fn: type[Function], name: str, *args: Any, **params: Any) -> Tensor:
        """``self`` set to ``fn(self, *args)``, through the engine's in-place rule
        (``Tensor._inplace``: recorded when a graph needs it; a result of a higher kind,
        as a float into an int tensor, is refused)."""
        return self._inplace(lambda old: _apply(fn, (old, *args), params), name, args)

    # -- powers, exponentials and logarithms -----------------------------------
    def exp(self) -> Tensor:
        """e ** x, elementwise."""
        return _apply(Exp, (self,))

    def exp2(self) -> Tensor:
        """2 ** x, elementwise."""
        return _apply(Exp2, (self,))

    def expm1(self) -> Tensor:
        """e ** x - 1, accurate for small x."""
        return _apply(Expm1, (self,))

    def log(self) -> Tensor:
        """The natural logarithm, elementwise."""
        return _apply(Log, (self,))

    def log2(self) -> Tensor:
        """The base-2 logarithm, elementwise."""
        return _apply(Log2, (self,))

    def log10(self) -> Tensor:
        """The base-10 logarithm, elementwise."""
        return _apply(Log10, (self,))

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x."""
        return _apply(Log1p, (self,))

    def sqrt(self) -> Tensor:
        """The square root, elementwise; nan below 0, and an infinite gradient at 0.

        >>> import chainrule as cr
        >>> cr.tensor([4.0, 9.0]).sqrt()
        tensor([2., 3.])
        """
        return _apply(Sqrt, (self,))

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x), elementwise."""
        return _apply(Rsqrt, (self,))

    def square(self) -> Tensor:
        """x * x, elementwise; the gradient is 2x.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, -2.0]).square()
        tensor([1., 4.])
        """
        return _apply(PowScalar, (self,), {"c": 2})

    def reciprocal(self) -> Tensor:
        """1 / x (float32 for integer tensors)."""
        return _apply(Reciprocal, (self,))

    def ldexp(self, other: Any) -> Tensor:
        """self * 2 ** other."""
        return self * exp2(other if _is_tensor(other) else _as_tensor(other))

    def float_power(self, exponent: Any) -> Tensor:
        """``self ** exponent`` computed in float64, as ``torch.float_power``."""
        if _is_tensor(exponent):
            exponent = exponent.type(np.float64)
        return self.type(np.float64) ** exponent

    # -- trigonometric and hyperbolic ------------------------------------------
    def sin(self) -> Tensor:
        """The sine (radians), elementwise; the gradient is cos(x).

        >>> import chainrule as cr
        >>> cr.tensor([0.0]).sin()
        tensor([0.])
        """
        return _apply(Sin, (self,))

    def cos(self) -> Tensor:
        """The cosine (radians), elementwise; the gradient is -sin(x).

        >>> import chainrule as cr
        >>> cr.tensor([0.0]).cos()
        tensor([1.])
        """
        return _apply(Cos, (self,))

    def tan(self) -> Tensor:
        """The tangent (radians), elementwise; the gradient is 1 + tan(x)^2.

        >>> import chainrule as cr
        >>> cr.tensor([0.0]).tan()
        tensor([0.])
        """
        return _apply(Tan, (self,))

    def asin(self) -> Tensor:
        """The inverse sine, in [-pi/2, pi/2]; nan outside [-1, 1]."""
        return _apply(Asin, (self,))

    def acos(self) -> Tensor:
        """The inverse cosine, in [0, pi]; nan outside [-1, 1]."""
        return _apply(Acos, (self,))

    def atan(self) -> Tensor:
        """The inverse tangent, in (-pi/2, pi/2)."""
        return _apply(Atan, (self,))

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), in [-pi, pi]."""
        return _apply(Atan2, _same_dtype(self, other))

    def sinh(self) -> Tensor:
        """The hyperbolic sine, elementwise; the gradient is cosh(x).

        >>> import chainrule as cr
        >>> cr.tensor([0.0]).sinh()
        tensor([0.])
        """
        return _apply(Sinh, (self,))

    def cosh(self) -> Tensor:
        """The hyperbolic cosine, elementwise; the gradient is sinh(x).

        >>> import chainrule as cr
        >>> cr.tensor([0.0]).cosh()
        tensor([1.])
        """
        return _apply(Cosh, (self,))

    def tanh(self) -> Tensor:
        """The hyperbolic tangent, elementwise; the gradient is 1 - tanh(x)^2.

        >>> import chainrule as cr
        >>> cr.tensor([0.0]).tanh()
        tensor([0.])
        """
        return _apply(Tanh, (self,))

    def asinh(self) -> Tensor:
        """The inverse hyperbolic sine, elementwise; also ``arcsinh``.

        >>> import chainrule as cr
        >>> cr.tensor([0.0]).asinh()
        tensor([0.])
        """
        return _apply(Asinh, (self,))

    def acosh(self) -> Tensor:
        """The inverse hyperbolic cosine; nan below 1."""
        return _apply(Acosh, (self,))

    def atanh(self) -> Tensor:
        """The inverse hyperbolic tangent; +-inf at +-1, nan outside [-1, 1]."""
        return _apply(Atanh, (self,))

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def deg2rad(self) -> Tensor:
        """Degrees to radians."""
        return self * (math.pi / 180.0)

    def rad2deg(self) -> Tensor:
        """Radians to degrees."""
        return self * (180.0 / math.pi)

    # -- special functions (torch.special) -------------------------------------
    def sigmoid(self) -> Tensor:
        """1 / (1 + e ** -x), without overflow for large |x|."""
        return _apply(Sigmoid, (self,))

    def logit(self, eps: float | None = None) -> Tensor:
        """log(x / (1 - x)), the inverse of sigmoid; with ``eps``, x is first clamped to
        [eps, 1 - eps] (and the gradient is 0 outside)."""
        return _apply(Logit, (self,), {"eps": eps})

    def erf(self) -> Tensor:
        """The error function, elementwise.

        >>> import chainrule as cr
        >>> cr.tensor([0.0, 1.0]).erf()
        tensor([0.    , 0.8427])
        """
        return _apply(Erf, (self,))

    def erfc(self) -> Tensor:
        """1 - erf(x), accurate where it is tiny."""
        return _apply(Erfc, (self,))

    def erfinv(self) -> Tensor:
        """The inverse error function: +-inf at +-1, nan outside [-1, 1]."""
        return _apply(Erfinv, (self,))

    def lgamma(self) -> Tensor:
        """log |Gamma(x)|; inf at 0, -1, -2, ..."""
        return _apply(Lgamma, (self,))

    def digamma(self) -> Tensor:
        """d/dx lgamma(x); -inf at 0, nan at the negative integers (PyTorch's values)."""
        return _apply(Digamma, (self,))

    def polygamma(self, n: int) -> Tensor:
        """The n-th derivative of digamma (``x.polygamma(n)`` is ``torch.polygamma(n, x)``)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"polygamma: n must be a non-negative integer, got {n!r}")
        return _apply(Polygamma, (self,), {"n": int(n)})

    def sinc(self) -> Tensor:
        """sin(pi x) / (pi x), and 1 at 0."""
        return _apply(Sinc, (self,))

    def xlogy(self, other: Any) -> Tensor:
        """self * log(other), and 0 where self == 0 (unless other is nan)."""
        return _apply(XLogY, _same_dtype(self, other))

    # -- rounding: piecewise constant, zero gradient ---------------------------
    def _stepwise(self, fn: type[Function], name: str, **params: Any) -> Tensor:
        kind = self.dtype.kind
        if kind in "iu" and not params.get("decimals"):
            return _constant(self._array.copy())  # already whole numbers
        if kind not in "f":
            raise NotImplementedError(f"{name}: not implemented for {self.dtype.name} tensors")
        return _apply(fn, (self,), params)

    def floor(self) -> Tensor:
        """The largest whole number <= x; the gradient is zero."""
        return self._stepwise(Floor, "floor")

    def ceil(self) -> Tensor:
        """The smallest whole number >= x; the gradient is zero."""
        return self._stepwise(Ceil, "ceil")

    def trunc(self) -> Tensor:
        """x rounded toward zero; the gradient is zero."""
        return self._stepwise(Trunc, "trunc")

    fix = trunc

    def round(self, decimals: int = 0) -> Tensor:
        """x rounded half to even, to ``decimals`` digits; the gradient is zero.

        >>> import chainrule as cr
        >>> cr.tensor([0.5, 1.5, 2.5, 1.26]).round()
        tensor([0., 2., 2., 1.])
        >>> cr.tensor([1234.5]).round(decimals=-2)
        tensor([1200.])
        """
        if self.dtype.kind in "iu" and decimals:
            raise NotImplementedError(f"round: decimals={decimals} is not implemented for "
                            f"{self.dtype.name} tensors")
        return self._stepwise(Round, "round", decimals=int(decimals))

    def frac(self) -> Tensor:
        """x - trunc(x), with the sign of x; the gradient is 1."""
        if self.dtype.kind != "f":
            raise NotImplementedError(f"frac: not implemented for {self.dtype.name} tensors")
        return self - self.trunc()

    def sign(self) -> Tensor:
        """-1, 0 or 1 (0 at nan, as PyTorch); the gradient is zero.

        >>> import chainrule as cr
        >>> x = cr.tensor([-2.0, 0.0, 3.0], requires_grad=True)
        >>> x.sign().sum().backward()
        >>> x.grad
        tensor([0., 0., 0.])
        """
        if self.dtype.kind == "b":
            return _constant(self._array.copy())
        return _apply(Sign, (self,))

    sgn = sign

    def signbit(self) -> Tensor:
        """True where the sign bit is set (negative numbers and -0.0); no gradient."""
        return _constant(np.asarray(np.signbit(self._array)))

    # -- division with rounding, remainders -----------------------------------
    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode="trunc"`` rounds toward zero, ``"floor"`` down
        (both keep integer dtypes and have a zero gradient)."""
        return div(self, other, rounding_mode=rounding_mode)

    def true_divide(self, other: Any) -> Tensor:
        """``self / other`` (true division: integer tensors give float32).

        >>> import chainrule as cr
        >>> cr.tensor([1, 2]).true_divide(2)
        tensor([0.5, 1. ])
        """
        return div(self, other)

    def floor_divide(self, other: Any) -> Tensor:
        """self // other (rounded down, Python's convention); the gradient is zero."""
        return _apply(DivRounding, _same_dtype(self, other), {"rounding_mode": "floor"})

    def fmod(self, other: Any) -> Tensor:
        """The remainder of self / other with the sign of self (C's fmod)."""
        return _apply(Fmod, _same_dtype(self, other))

    def remainder(self, other: Any) -> Tensor:
        """self % other, with the sign of other (Python's convention)."""
        return _apply(Remainder, _same_dtype(self, other))

    def floor_divide_(self, other: Any) -> Tensor:
        """In place: ``self //= other`` (rounded down); returns self."""
        return self.__ifloordiv__(other)

    def remainder_(self, other: Any) -> Tensor:
        """In place: ``self %= other``, the remainder with the sign of other (Python's); returns
        self."""
        return self.__imod__(other)

    def fmod_(self, other: Any) -> Tensor:
        """In place: ``fmod(self, other)``, the remainder with the sign of self; returns self."""
        return self._inplace_op(Fmod, "fmod_", other)

    # -- clamping and selection ------------------------------------------------
    def abs(self) -> Tensor:
        """|x|; the gradient at 0 is 0."""
        return _apply(Abs, (self,))

    absolute = abs

    def negative(self) -> Tensor:
        """``-self``, elementwise (the same as ``neg``).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, -2.0]).negative()
        tensor([-1.,  2.])
        """
        return -self

    def relu(self) -> Tensor:
        """max(x, 0); the gradient at 0 is 0."""
        return _apply(Relu, (self,))

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
        low = min._array if _is_tensor(min) else min
        high = max._array if _is_tensor(max) else max
        return _apply(Clamp, (self,), {"low": low, "high": high})

    clip = clamp

    def clamp_min(self, min: Any) -> Tensor:
        """``clamp(min=min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Tensor:
        """``clamp(max=max)``."""
        return self.clamp(max=max)

    def maximum(self, other: Any) -> Tensor:
        """The larger of the two, elementwise; a tie gives each side half the gradient."""
        return _apply(Maximum, _same_dtype(self, other))

    def minimum(self, other: Any) -> Tensor:
        """The smaller of the two, elementwise; a tie gives each side half the gradient."""
        return _apply(Minimum, _same_dtype(self, other))

    def fmax(self, other: Any) -> Tensor:
        """The larger of the two, ignoring nan; a tie's gradient goes to self."""
        return _apply(Fmax, _same_dtype(self, other))

    def fmin(self, other: Any) -> Tensor:
        """The smaller of the two, ignoring nan; a tie's gradient goes to self."""
        return _apply(Fmin, _same_dtype(self, other))

    def positive(self) -> Tensor:
        """self (PyTorch refuses bool tensors here too)."""
        if self.dtype.kind == "b":
            raise TypeError("positive: not supported for bool tensors")
        return self  # type: ignore[return-value]

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight * (end - self); ``weight`` is a number or a Tensor.

        >>> import chainrule as cr
        >>> cr.tensor([0.0, 10.0]).lerp(cr.tensor([1.0, 20.0]), 0.25)
        tensor([ 0.25, 12.5 ])
        """
        start, end = _same_dtype(self, end)
        if _is_tensor(weight) and _is_tensor(start):
            start, weight = _same_dtype(start, weight)
        return _apply(Lerp, (start, end, weight))

    # -- binary functions ------------------------------------------------------
    def hypot(self, other: Any) -> Tensor:
        """sqrt(self ** 2 + other ** 2), without overflow."""
        return _apply(Hypot, _same_dtype(self, other))

    def logaddexp(self, other: Any) -> Tensor:
        """log(exp(self) + exp(other)), without overflow."""
        return _apply(LogAddExp, _same_dtype(self, other))

    def logaddexp2(self, other: Any) -> Tensor:
        """log2(2 ** self + 2 ** other), without overflow."""
        return _apply(LogAddExp2, _same_dtype(self, other))

    def copysign(self, other: Any) -> Tensor:
        """|self| with the sign (bit) of other; other gets a zero gradient."""
        return _apply(CopySign, _same_dtype(self, other))

    # -- nan and inf -----------------------------------------------------------
    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        """nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0
        and the dtype's largest and smallest finite values); the gradient passes where x
        is finite."""
        if self.dtype.kind != "f":
            return _constant(self._array.copy())
        return _apply(NanToNum, (self,), {"nan": nan, "posinf": posinf, "neginf": neginf})

    def isfinite(self) -> Tensor:
        """Where the values are neither inf nor nan, a bool tensor (no gradient).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, float('inf'), float('nan')]).isfinite()
        tensor([ True, False, False])
        """
        return _constant(np.asarray(np.isfinite(self._array)))

    def isnan(self) -> Tensor:
        """Where the values are nan, a bool tensor (no gradient).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, float('nan')]).isnan()
        tensor([False,  True])
        """
        return _constant(np.asarray(np.isnan(self._array)))

    def isinf(self) -> Tensor:
        """Where the values are +inf or -inf, a bool tensor (no gradient).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, float('-inf')]).isinf()
        tensor([False,  True])
        """
        return _constant(np.asarray(np.isinf(self._array)))

    def isposinf(self) -> Tensor:
        """Where the values are +inf, a bool tensor (no gradient).

        >>> import chainrule as cr
        >>> cr.tensor([float('inf'), float('-inf')]).isposinf()
        tensor([ True, False])
        """
        return _constant(np.asarray(np.isposinf(self._array)))

    def isneginf(self) -> Tensor:
        """Where the values are -inf, a bool tensor (no gradient).

        >>> import chainrule as cr
        >>> cr.tensor([float('inf'), float('-inf')]).isneginf()
        tensor([False,  True])
        """
        return _constant(np.asarray(np.isneginf(self._array)))

    def isreal(self) -> Tensor:
        """True everywhere for a real tensor."""
        return _constant(np.asarray(np.isreal(self._array)))

    # -- closeness -------------------------------------------------------------
    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        """|self - other| <= atol + rtol * |other|, elementwise (equal infinities are close)."""
        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """Whether :meth:`isclose` holds everywhere (a Python bool)."""
        return allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Any) -> bool:
        """Whether both have the same shape and the same values (a Python bool)."""
        return equal(self, other)

    # -- bitwise and logical ---------------------------------------------------
    def bitwise_and(self, other: Any) -> Tensor:
        """self & other, on integer and bool tensors."""
        return _apply(BitwiseAnd, (self, other))

    def bitwise_or(self, other: Any) -> Tensor:
        """self | other, on integer and bool tensors."""
        return _apply(BitwiseOr, (self, other))

    def bitwise_xor(self, other: Any) -> Tensor:
        """self ^ other, on integer and bool tensors."""
        return _apply(BitwiseXor, (self, other))

    def bitwise_not(self) -> Tensor:
        """~self: bitwise not of integers, logical not of bools."""
        return _apply(BitwiseNot, (self,))

    def bitwise_left_shift(self, other: Any) -> Tensor:
        """self << other, on integer tensors."""
        return _apply(LeftShift, (self, other))

    def bitwise_right_shift(self, other: Any) -> Tensor:
        """self >> other (arithmetic for signed integers), on integer tensors."""
        return _apply(RightShift, (self, other))

    def bitwise_and_(self, other: Any) -> Tensor:
        """In place: ``self &= other`` (integer and bool tensors); returns self.

        >>> import chainrule as cr
        >>> cr.tensor([6, 3]).bitwise_and_(cr.tensor([3, 1]))
        tensor([2, 1])
        """
        return self.__iand__(other)

    def bitwise_or_(self, other: Any) -> Tensor:
        """In place: ``self |= other`` (integer and bool tensors); returns self."""
        return self.__ior__(other)

    def bitwise_xor_(self, other: Any) -> Tensor:
        """In place: ``self ^= other`` (integer and bool tensors); returns self."""
        return self.__ixor__(other)

    def bitwise_not_(self) -> Tensor:
        """In place: ``~self`` (integer and bool tensors); returns self.

        >>> import chainrule as cr
        >>> cr.tensor([True, False]).bitwise_not_()
        tensor([False,  True])
        """
        return self._inplace_op(BitwiseNot, "bitwise_not_")

    def bitwise_left_shift_(self, other: Any) -> Tensor:
        """In place: ``self <<= other`` (integer and bool tensors); returns self."""
        return self.__ilshift__(other)

    def bitwise_right_shift_(self, other: Any) -> Tensor:
        """In place: ``self >>= other`` (integer and bool tensors); returns self."""
        return self.__irshift__(other)

    def gcd(self, other: Any) -> Tensor:
        """The greatest common divisor, of integer tensors."""
        return _apply(Gcd, (self, other))

    def lcm(self, other: Any) -> Tensor:
        """The least common multiple, of integer tensors."""
        return _apply(Lcm, (self, other))

    def logical_and(self, other: Any) -> Tensor:
        """Both nonzero, elementwise (a bool tensor, for any dtypes)."""
        return logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        """Either nonzero, elementwise (a bool tensor)."""
        return logical_or(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        """Exactly one nonzero, elementwise (a bool tensor)."""
        return logical_xor(self, other)

    def logical_not(self) -> Tensor:
        """x == 0, elementwise (a bool tensor)."""
        return logical_not(self)

    # -- in place: recorded like every in-place op (Tensor._inplace) -----------
    exp_ = _inplace_method(Exp, "exp_")
    exp2_ = _inplace_method(Exp2, "exp2_")
    expm1_ = _inplace_method(Expm1, "expm1_")
    log_ = _inplace_method(Log, "log_")
    log2_ = _inplace_method(Log2, "log2_")
    log10_ = _inplace_method(Log10, "log10_")
    log1p_ = _inplace_method(Log1p, "log1p_")
    sqrt_ = _inplace_method(Sqrt, "sqrt_")
    rsqrt_ = _inplace_method(Rsqrt, "rsqrt_")
    sin_ = _inplace_method(Sin, "sin_")
    cos_ = _inplace_method(Cos, "cos_")
    tan_ = _inplace_method(Tan, "tan_")
    asin_ = _inplace_method(Asin, "asin_")
    acos_ = _inplace_method(Acos, "acos_")
    atan_ = _inplace_method(Atan, "atan_")
    sinh_ = _inplace_method(Sinh, "sinh_")
    cosh_ = _inplace_method(Cosh, "cosh_")
    tanh_ = _inplace_method(Tanh, "tanh_")
    asinh_ = _inplace_method(Asinh, "asinh_")
    acosh_ = _inplace_method(Acosh, "acosh_")
    atanh_ = _inplace_method(Atanh, "atanh_")
    sigmoid_ = _inplace_method(Sigmoid, "sigmoid_")
    logit_ = _inplace_method(Logit, "logit_")
    erf_ = _inplace_method(Erf, "erf_")
    erfc_ = _inplace_method(Erfc, "erfc_")
    erfinv_ = _inplace_method(Erfinv, "erfinv_")
    lgamma_ = _inplace_method(Lgamma, "lgamma_")
    digamma_ = _inplace_method(Digamma, "digamma_")
    sinc_ = _inplace_method(Sinc, "sinc_")
    atan2_ = _inplace_method(Atan2, "atan2_")
    hypot_ = _inplace_method(Hypot, "hypot_")
    copysign_ = _inplace_method(CopySign, "copysign_")
    xlogy_ = _inplace_method(XLogY, "xlogy_")
    lerp_ = _inplace_method(Lerp, "lerp_")
    abs_ = _inplace_method(Abs, "abs_")
    relu_ = _inplace_method(Relu, "relu_")
    sign_ = _inplace_method(Sign, "sign_")
    floor_ = _inplace_method(Floor, "floor_", whole=True)
    ceil_ = _inplace_method(Ceil, "ceil_", whole=True)
    trunc_ = _inplace_method(Trunc, "trunc_", whole=True)
    round_ = _inplace_method(Round, "round_", whole=True)
    nan_to_num_ = _inplace_method(NanToNum, "nan_to_num_", whole=True)
    arcsin_, arccos_, arctan_, arctan2_ = asin_, acos_, atan_, atan2_
    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_
    absolute_, sgn_, fix_ = abs_, sign_, trunc_

    def neg_(self) -> Tensor:
        """``neg`` in place."""
        return self._inplace(lambda old: -old, "neg_")

    def reciprocal_(self) -> Tensor:
        """``reciprocal`` in place."""
        return self._inplace(lambda old: 1 / old, "reciprocal_")

    def pow_(self, exponent: Any) -> Tensor:
        """``self ** exponent`` in place."""
        return self._inplace(lambda old: old ** exponent, "pow_", (exponent,))

    def divide_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """``divide`` in place."""
        return self._inplace(lambda old: div(old, other, rounding_mode=rounding_mode),
                             "divide_", (other,))

    def true_divide_(self, other: Any) -> Tensor:
        """In place: ``self /= other`` (the same as ``div_``); returns self.

        >>> import chainrule as cr
        >>> cr.tensor([3.0, 6.0]).true_divide_(3)
        tensor([1., 2.])
        """
        return self.divide_(other)

    def subtract_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """In place: ``self -= alpha * other`` (the same as ``sub_``); returns self.

        >>> import chainrule as cr
        >>> cr.tensor([5.0, 6.0]).subtract_(1.0, alpha=2)
        tensor([3., 4.])
        """
        return self._inplace(lambda old: old.sub(other, alpha=alpha), "subtract_", (other,))

    def multiply_(self, other: Any) -> Tensor:
        """In place: ``self *= other`` (the same as ``mul_``); returns self.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0]).multiply_(3)
        tensor([3., 6.])
        """
        return self._inplace(lambda old: old * other, "multiply_", (other,))

    def frac_(self) -> Tensor:
        """``frac`` in place."""
        return self._inplace(lambda old: old.frac(), "frac_")

    def deg2rad_(self) -> Tensor:
        """In place: degrees to radians (``self * pi / 180``); returns self."""
        return self._inplace(lambda old: old.deg2rad(), "deg2rad_")

    def rad2deg_(self) -> Tensor:
        """In place: radians to degrees (``self * 180 / pi``); returns self."""
        return self._inplace(lambda old: old.rad2deg(), "rad2deg_")

    def ldexp_(self, other: Any) -> Tensor:
        """In place: ``self * 2**other``; returns self."""
        return self._inplace(lambda old: old.ldexp(other), "ldexp_", (other,))

    def clamp_min_(self, min: Any) -> Tensor:
        """In place: ``max(self, min)``, elementwise; returns self.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 5.0]).clamp_min_(2.0)
        tensor([2., 5.])
        """
        return self._inplace(lambda old: old.clamp(min=min), "clamp_min_", (min,))

    def clamp_max_(self, max: Any) -> Tensor:
        """In place: ``min(self, max)``, elementwise; returns self.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 5.0]).clamp_max_(2.0)
        tensor([1., 2.])
        """
        return self._inplace(lambda old: old.clamp(max=max), "clamp_max_", (max,))

    def logical_and_(self, other: Any) -> Tensor:
        """In place: ``logical_and(self, other)``, stored in self's dtype; returns self."""
        return self._inplace(lambda old: logical_and(old, other), "logical_and_")

    def logical_or_(self, other: Any) -> Tensor:
        """In place: ``logical_or(self, other)``, stored in self's dtype; returns self."""
        return self._inplace(lambda old: logical_or(old, other), "logical_or_")

    def logical_xor_(self, other: Any) -> Tensor:
        """In place: ``logical_xor(self, other)``, stored in self's dtype; returns self."""
        return self._inplace(lambda old: logical_xor(old, other), "logical_xor_")

    def logical_not_(self) -> Tensor:
        """In place: ``logical_not(self)``, stored in self's dtype; returns self."""
        return self._inplace(lambda old: logical_not(old), "logical_not_")

    negative_ = neg_

    def square_(self) -> Tensor:
        """``square`` in place."""
        return self._inplace_op(PowScalar, "square_", c=2)

    def polygamma_(self, n: int) -> Tensor:
        """``polygamma(n)`` in place."""
        return self._inplace(lambda old: old.polygamma(n), "polygamma_")


# ---------------------------------------------------------------------------
# Free functions
# ---------------------------------------------------------------------------


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elementwise ``input if condition else other``; ``condition`` gets no gradient."""
    cond = condition._array if _is_tensor(condition) else np.asarray(condition)
    return _apply(Where, (cond.astype(bool), *_same_dtype(input, other)))


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of ``a`` and ``b``, elementwise."""
    return _apply(Maximum, _same_dtype(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of ``a`` and ``b``, elementwise."""
    return _apply(Minimum, _same_dtype(a, b))


def fmax(input: Any, other: Any) -> Tensor:
    """The larger of the two, ignoring nan."""
    return _binary(Fmax, input, other)


def fmin(input: Any, other: Any) -> Tensor:
    """The smaller of the two, ignoring nan."""
    return _binary(Fmin, input, other)


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """input + alpha * other."""
    return _as_tensor(input).add(other, alpha=alpha) if _is_tensor(input) else \
        input + _as_tensor(other) * alpha


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """input - alpha * other."""
    return _as_tensor(input).sub(other, alpha=alpha) if _is_tensor(input) else \
        input - _as_tensor(other) * alpha


subtract = sub


def mul(input: Any, other: Any) -> Tensor:
    """input * other."""
    return input * other if _is_tensor(input) else _as_tensor(other) * input


multiply = mul


def _comparison(name: str) -> Callable[[Any, Any], Tensor]:
    def fn(input: Any, other: Any) -> Tensor:
        return getattr(_as_tensor(input), name)(other)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``chainrule.{name}(a, b)`` is ``a.{name}(b)``: a bool tensor, no gradient."
    return fn


eq = _comparison("eq")
ne = _comparison("ne")
lt = _comparison("lt")
le = _comparison("le")
gt = _comparison("gt")
ge = _comparison("ge")
greater = _comparison("greater")
greater_equal = _comparison("greater_equal")
less = _comparison("less")
less_equal = _comparison("less_equal")
not_equal = _comparison("not_equal")


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other: true division (float32 for integers), or rounded toward zero
    (``rounding_mode="trunc"``) or down (``"floor"``), which keep integer dtypes.

    >>> import chainrule as cr
    >>> cr.div(cr.tensor([7, -7]), 2, rounding_mode="trunc")
    tensor([ 3, -3])
    """
    if rounding_mode is None:
        return _as_tensor(input) / other if _is_tensor(input) else input / _as_tensor(other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError("div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    return _apply(DivRounding, _same_dtype(input, other), {"rounding_mode": rounding_mode})


def divide(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """An alias of :func:`div`."""
    return div(input, other, rounding_mode=rounding_mode)


def true_divide(input: Any, other: Any) -> Tensor:
    """input / other (float32 for integers)."""
    return div(input, other)


def floor_divide(input: Any, other: Any) -> Tensor:
    """input // other, rounded down; the gradient is zero."""
    return _apply(DivRounding, _same_dtype(input, other), {"rounding_mode": "floor"})


def fmod(input: Any, other: Any) -> Tensor:
    """The remainder of input / other with the sign of input (C's fmod)."""
    return _apply(Fmod, _same_dtype(input, other))


def remainder(input: Any, other: Any) -> Tensor:
    """input % other, with the sign of other (Python's convention).

    >>> import chainrule as cr
    >>> cr.remainder(cr.tensor([-3, 3]), 2), cr.fmod(cr.tensor([-3, 3]), 2)
    (tensor([1, 1]), tensor([-1,  1]))
    """
    return _apply(Remainder, _same_dtype(input, other))


def _binary(fn: type[Function], input: Any, other: Any) -> Tensor:
    return _apply(fn, _same_dtype(input, other))


def atan2(input: Any, other: Any) -> Tensor:
    """The angle of the point (other, input), in [-pi, pi]."""
    return _binary(Atan2, input, other)


arctan2 = atan2


def hypot(input: Any, other: Any) -> Tensor:
    """sqrt(input ** 2 + other ** 2), without overflow."""
    return _binary(Hypot, input, other)


def logaddexp(input: Any, other: Any) -> Tensor:
    """log(exp(input) + exp(other)), without overflow."""
    return _binary(LogAddExp, input, other)


def logaddexp2(input: Any, other: Any) -> Tensor:
    """log2(2 ** input + 2 ** other), without overflow."""
    return _binary(LogAddExp2, input, other)


def copysign(input: Any, other: Any) -> Tensor:
    """|input| with the sign (bit) of other."""
    return _binary(CopySign, input, other)


def xlogy(input: Any, other: Any) -> Tensor:
    """input * log(other), and 0 where input == 0 (unless other is nan).

    >>> import chainrule as cr
    >>> cr.xlogy(cr.tensor([0.0, 2.0]), cr.tensor([0.0, 1.0]))
    tensor([0., 0.])
    """
    return _binary(XLogY, input, other)


def xlog1py(input: Any, other: Any) -> Tensor:
    """input * log1p(other), and 0 where input == 0 (unless other is nan)."""
    return _binary(XLog1pY, input, other)


def gcd(input: Any, other: Any) -> Tensor:
    """The greatest common divisor, of integer tensors."""
    return _apply(Gcd, (input, other))


def lcm(input: Any, other: Any) -> Tensor:
    """The least common multiple, of integer tensors."""
    return _apply(Lcm, (input, other))


def lerp(input: Any, end: Any, weight: Any) -> Tensor:
    """input + weight * (end - input); ``weight`` is a number or a Tensor."""
    return _as_tensor(input).lerp(end, weight)


def polygamma(n: int, input: Any) -> Tensor:
    """The n-th derivative of digamma at ``input``."""
    return _as_tensor(input).polygamma(n)


def float_power(input: Any, exponent: Any) -> Tensor:
    """input ** exponent computed in float64."""
    if _is_tensor(input):
        return input.float_power(exponent)
    return _as_tensor(float(input)).type(np.float64) ** _as_tensor(exponent).type(np.float64)


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise (a bool tensor; no gradient).

    >>> import chainrule as cr
    >>> cr.isclose(cr.tensor([1.0, float("nan")]), cr.tensor([1.0 + 1e-9, float("nan")]))
    tensor([ True, False])
    """
    a, b = _array(input), _array(other)
    try:
        return _constant(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))
    except ValueError:
        raise RuntimeError(f"isclose: shapes {np.shape(a)} and {np.shape(b)} do not "
                           "broadcast") from None


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether :func:`isclose` holds everywhere (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._array.all())


def equal(input: Any, other: Any) -> bool:
    """Whether both have the same shape and the same values (a Python bool)."""
    a, b = np.asarray(_array(input)), np.asarray(_array(other))
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _logical(ufunc: Any, input: Any, other: Any) -> Tensor:
    return _constant(np.asarray(ufunc(_array(input), _array(other))))


def logical_and(input: Any, other: Any) -> Tensor:
    """Both nonzero, elementwise (a bool tensor, for any dtypes)."""
    return _logical(np.logical_and, input, other)


def logical_or(input: Any, other: Any) -> Tensor:
    """Either nonzero, elementwise (a bool tensor)."""
    return _logical(np.logical_or, input, other)


def logical_xor(input: Any, other: Any) -> Tensor:
    """Exactly one nonzero, elementwise (a bool tensor)."""
    return _logical(np.logical_xor, input, other)


def logical_not(input: Any) -> Tensor:
    """input == 0, elementwise (a bool tensor)."""
    return _constant(np.asarray(np.logical_not(_array(input))))


def _bitwise(fn: type[Function], input: Any, other: Any) -> Tensor:
    return _apply(fn, (input, other))


def bitwise_and(input: Any, other: Any) -> Tensor:
    """input & other, on integer and bool tensors.

    >>> import chainrule as cr
    >>> cr.bitwise_and(cr.tensor([0xFFF0], dtype=cr.int32), 0x1337)
    tensor([4912], dtype=int32)
    """
    return _bitwise(BitwiseAnd, input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:
    """input | other, on integer and bool tensors."""
    return _bitwise(BitwiseOr, input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:
    """input ^ other, on integer and bool tensors."""
    return _bitwise(BitwiseXor, input, other)


def bitwise_left_shift(input: Any, other: Any) -> Tensor:
    """input << other, on integer tensors."""
    return _bitwise(LeftShift, input, other)


def bitwise_right_shift(input: Any, other: Any) -> Tensor:
    """input >> other, on integer tensors."""
    return _bitwise(RightShift, input, other)


def bitwise_not(input: Any) -> Tensor:
    """~input: bitwise not of integers, logical not of bools."""
    return _apply(BitwiseNot, (input,))


def _function(name: str) -> Callable[..., Tensor]:
    """``chainrule.<name>(input, ...)``: the method of the same name, on ``input`` (a
    number or an array becomes a Tensor first)."""

    def fn(input: Any, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(_as_tensor(input), name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    method = getattr(ElementwiseMethods, name)
    fn.__doc__ = f"``chainrule.{name}(t, ...)`` is ``t.{name}(...)``: " + (
        (method.__doc__ or "").strip().splitlines() or [""])[0]
    return fn


floor = _function("floor")
ceil = _function("ceil")
trunc = _function("trunc")
fix = _function("fix")
round = _function("round")  # noqa: A001  (PyTorch's name)
frac = _function("frac")
sign = _function("sign")
sgn = _function("sgn")
signbit = _function("signbit")
square = _function("square")
reciprocal = _function("reciprocal")
rsqrt = _function("rsqrt")
exp2 = _function("exp2")
expm1 = _function("expm1")
log2 = _function("log2")
log10 = _function("log10")
log1p = _function("log1p")
tan = _function("tan")
asin = _function("asin")
acos = _function("acos")
atan = _function("atan")
arcsin = _function("arcsin")
arccos = _function("arccos")
arctan = _function("arctan")
sinh = _function("sinh")
cosh = _function("cosh")
asinh = _function("asinh")
acosh = _function("acosh")
atanh = _function("atanh")
arcsinh = _function("arcsinh")
arccosh = _function("arccosh")
arctanh = _function("arctanh")
deg2rad = _function("deg2rad")
rad2deg = _function("rad2deg")
negative = _function("negative")
absolute = _function("absolute")
clip = _function("clip")
positive = _function("positive")
clamp_min = _function("clamp_min")
clamp_max = _function("clamp_max")
ldexp = _function("ldexp")
erf = _function("erf")
erfc = _function("erfc")
erfinv = _function("erfinv")
lgamma = _function("lgamma")
digamma = _function("digamma")
logit = _function("logit")
sinc = _function("sinc")
nan_to_num = _function("nan_to_num")
isinf = _function("isinf")
isposinf = _function("isposinf")
isneginf = _function("isneginf")
isfinite = _function("isfinite")
isnan = _function("isnan")
isreal = _function("isreal")


def neg(input: Any) -> Tensor:
    """-input."""
    return -_as_tensor(input)


def entr(input: Any) -> Tensor:
    """-x log(x) elementwise (0 at 0, -inf below): ``torch.special.entr``."""
    return _apply(Entr, (_as_tensor(input),))
