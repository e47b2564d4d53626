"""Elementwise ops: forward and vector-Jacobian product side by side.

Every backward follows the contract in :mod:`chainrule.function`: it uses
operators and ``xp = ctx.xp`` only, so it runs on arrays in an ordinary pass and
on Tensors (recorded, differentiable again) under ``create_graph=True``.
Broadcasting is undone by the engine, so a binary op returns gradients of the
output's shape. The special functions (erf, lgamma, ...) are in :mod:`.special`.
"""

from __future__ import annotations

import math

import numpy as np

from ..dtypes import _combine, _number_dtype, _promote, default_float
from ..function import Function
from .arrays import sigmoid, sign, value

# ---------------------------------------------------------------------------
# Type promotion: PyTorch's, where NumPy's differs
# ---------------------------------------------------------------------------

_INTEGRAL = frozenset("biu")


def promote(a, b):
    """The operands of a binary op, cast so that the result has PyTorch's dtype.

    NumPy turns float32 with an int64 array, or an int array with a Python float,
    into float64; PyTorch keeps the floating tensor's dtype, gives an integer tensor
    with a Python float the default dtype (float32 unless
    :func:`chainrule.set_default_dtype` changed it), and treats NumPy scalars like
    Python numbers. Only integer and bool operands and
    NumPy scalars are converted, so a float input's array keeps its identity
    (``save_for_backward`` relies on it).

    >>> a, b = promote(np.arange(3), 2.5)
    >>> (a * b).dtype
    dtype('float32')
    """
    if type(a) is np.ndarray:
        if type(b) is float and a.dtype.kind == "f":
            return a, b  # the commonest case, a float array and a Python float, first
        if type(b) is np.ndarray:
            ka, kb = a.dtype.kind, b.dtype.kind
            if ka == kb:
                return a, b
            if ka == "f" and kb in _INTEGRAL:
                return a, b.astype(a.dtype)
            if kb == "f" and ka in _INTEGRAL:
                return a.astype(b.dtype), b
            return a, b
        return _with_number(a, b)
    if type(b) is np.ndarray:
        b, a = _with_number(b, a)
    return a, b


def _with_number(array, number):
    if type(number) is float and array.dtype.kind == "f":
        return array, number  # the common case: a float array and a Python float
    if isinstance(number, np.generic):
        number = number.item()  # a NumPy scalar counts as a Python number, as in PyTorch
    if type(number) is float and array.dtype.kind in _INTEGRAL:
        array = array.astype(default_float())
    return array, number


def _floating(x):
    """``x`` as a floating array: integer inputs of exp, log, ... give the default dtype
    (float32 unless set otherwise), as in PyTorch."""
    if type(x) is np.ndarray and x.dtype.kind in _INTEGRAL:
        return x.astype(default_float())
    return x


def _kind(x):
    return x.dtype.kind if isinstance(x, (np.ndarray, np.generic)) else type(x).__name__[0]


def _floating_pair(a, b):
    """``promote(a, b)``, with two integer operands made the default dtype (atan2, xlogy, ...)."""
    a, b = promote(a, b)
    if _kind(a) in "biu" and _kind(b) in "biu":
        a, b = _floating(np.asarray(a)), _floating(np.asarray(b))
    return a, b


def result_type(a, b) -> np.dtype:
    """PyTorch's result dtype of a binary op on ``a`` and ``b``: tensors' arrays (0-d or
    not) or Python numbers.

    :func:`chainrule.result_type` on arrays (a Tensor's array, as forward sees it):
    the highest kind (bool < integer < floating) wins; within it, arrays with dims decide
    before 0-d arrays, and those before numbers (a number of a higher kind gives the
    default dtype of its kind: int64, the default floating dtype).

    >>> result_type(np.zeros(2, np.int32), 5), result_type(np.zeros(2, bool), 1)
    (dtype('int32'), dtype('int64'))
    >>> result_type(np.zeros(2, np.int32), np.array(2.0)), result_type(np.zeros(2, bool), 2.5)
    (dtype('float64'), dtype('float32'))
    """
    dims = zero = numbers = None
    for x in (a, b):
        if isinstance(x, np.ndarray):
            if x.ndim:
                dims = _promote(dims, x.dtype)
            else:
                zero = _promote(zero, x.dtype)
        else:
            numbers = _promote(numbers, _number_dtype(x))
    result = _combine(dims, _combine(zero, numbers))
    assert result is not None
    return result


def _as_dtype(x, dtype: np.dtype) -> np.ndarray:
    """``x`` (an array or a Python number) as an array of ``dtype``; integers wrap around,
    as in PyTorch (int16 ``& 2**20`` sees 0)."""
    if isinstance(x, np.ndarray):
        return x if x.dtype == dtype else x.astype(dtype)
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) \
            and dtype.kind in "iu":
        info = np.iinfo(dtype)
        span = int(info.max) - int(info.min) + 1
        x = (int(x) - int(info.min)) % span + int(info.min)
    return np.asarray(x).astype(dtype)


def _zero_grad(g):
    """A zero gradient outside the graph, like PyTorch's ``zeros_like(grad)``."""
    g = value(g)
    return np.zeros(np.shape(g), dtype=np.result_type(g))


# ---------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------


# The four arithmetic operators skip the call to ``promote`` in the commonest cases, a
# float array with a Python float or with an array of its own dtype (operands that
# ``promote`` returns unchanged): these run once per op of every model.
class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        if not (type(a) is np.ndarray and (type(b) is float and a.dtype.kind == "f"
                                           or type(b) is np.ndarray and a.dtype is b.dtype)):
            a, b = promote(a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        if not (type(a) is np.ndarray and (type(b) is float and a.dtype.kind == "f"
                                           or type(b) is np.ndarray and a.dtype is b.dtype)):
            a, b = promote(a, b)
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        if not (type(a) is np.ndarray and (type(b) is float and a.dtype.kind == "f"
                                           or type(b) is np.ndarray and a.dtype is b.dtype)):
            a, b = promote(a, b)
        # As PyTorch: b only for a's gradient, a only for b's (None holds the other
        # slot), so changing the operand nobody reads in place later is allowed.
        need_a, need_b = ctx.needs_input_grad
        if need_a:
            ctx.save_for_backward(a if need_b else None, b)
        elif need_b:
            ctx.save_for_backward(a, None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        if not (type(a) is np.ndarray and (type(b) is float and a.dtype.kind == "f"
                                           or type(b) is np.ndarray and a.dtype is b.dtype)):
            a, b = promote(a, b)
        if _kind(a) in "biu" and _kind(b) in "biu":  # true division of integers: default dtype
            a, b = _floating(np.asarray(a)), _floating(np.asarray(b))
        # As PyTorch: b for a's gradient, a and b for b's; not the output, which may
        # then be changed in place.
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        elif ctx.needs_input_grad[0]:
            ctx.save_for_backward(None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b
        return (ga if need_a else None), (-ga * a / b if need_b else None)


class PowScalar(Function):
    """x ** c for a constant exponent c."""

    op_name = "pow"

    @staticmethod
    def forward(ctx, x, c):
        x, c = promote(x, c)
        ctx.save_for_backward(x)
        ctx.c = c
        return x ** c

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return g * 0, None
        if c == 1:
            return g, None
        if c == 2:
            return g * 2 * x, None
        return g * c * x ** (c - 1), None


class Pow(Function):
    """a ** b with both sides differentiable.

    As in PyTorch, d/da is 0 where b == 0, and d/db is 0 where a == 0 and b >= 0.
    """

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        ga = None
        if need_a:  # 0 where b == 0, even at a == 0 (PyTorch's rule; 0 * inf would be nan)
            ga = g * xp.where(value(b) == 0, 0, b * a ** (b - 1))
        gb = None
        if need_b:
            safe = (value(a) == 0) & (value(b) >= 0)  # a constant mask
            log_a = xp.log(xp.where(safe, 1, a))
            gb = g * xp.where(safe, 0, out * log_a)
        return ga, gb


# ---------------------------------------------------------------------------
# Division with rounding, and remainders
# ---------------------------------------------------------------------------


def _division_operands(a, b, name):
    """``promote(a, b)``, refusing bool operands and integer division by zero (PyTorch
    raises on both; NumPy would warn and give 0)."""
    a, b = promote(a, b)
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a == kind_b == "b":  # NotImplementedError, a RuntimeError, as PyTorch raises
        raise NotImplementedError(f"{name}: not implemented for bool tensors; convert them "
                                  "with .long() or .float()")
    if kind_a in "biu" and kind_b in "biu" and np.any(np.asarray(b) == 0):
        raise RuntimeError(f"{name}: integer division by zero (a divisor is 0)")
    return a, b


class DivRounding(Function):
    """a / b rounded toward zero (``"trunc"``) or down (``"floor"``, Python's ``//``).

    Integer operands give integers. The result is piecewise constant: both gradients are
    zero (PyTorch's ``div(..., rounding_mode=...)``), and it stays in the graph.
    """

    op_name = "div"

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        a, b = _division_operands(a, b, "div")
        # Saved as PyTorch saves them, though the gradients are zeros: its backward
        # reads them, so changing them in place raises there, and here too.
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        elif ctx.needs_input_grad[0]:
            ctx.save_for_backward(None, b)
        if rounding_mode == "floor":
            return np.floor_divide(a, b)
        if _kind(a) in "iu" and _kind(b) in "iu":  # exact: floor, + 1 where it is below
            q = np.floor_divide(a, b)
            return q + ((q < 0) & (np.remainder(a, b) != 0))
        return np.trunc(a / b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        return (_zero_grad(g) if need_a else None), (_zero_grad(g) if need_b else None)


class Fmod(Function):
    """C's fmod: a - trunc(a / b) * b, with the sign of a. d/da = 1, d/db = -trunc(a / b).

    The quotient is piecewise constant: backward computes it from the saved a and b
    (saved, as PyTorch, only for b's gradient) as a constant.
    """

    @staticmethod
    def forward(ctx, a, b):
        a, b = _division_operands(a, b, "fmod")
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        gb = None
        if need_b:
            a, b = ctx.saved_tensors
            gb = -g * np.trunc(value(a) / value(b))
        return (g if need_a else None), gb


class Remainder(Function):
    """Python's ``%``: a - floor(a / b) * b, with the sign of b. d/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _division_operands(a, b, "remainder")
        if ctx.needs_input_grad[1]:  # as Fmod: a and b for b's gradient only
            ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        gb = None
        if need_b:
            a, b = ctx.saved_tensors
            gb = -g * np.floor_divide(value(a), value(b))
        return (g if need_a else None), gb


# ---------------------------------------------------------------------------
# Transcendental
# ---------------------------------------------------------------------------


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.cos(x)


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * ctx.xp.sin(x)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        out = sigmoid(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class Tan(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tan(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 + out * out)


class Asin(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / ctx.xp.sqrt(1 - x * x)


class Acos(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g / ctx.xp.sqrt(1 - x * x)


class Atan(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Sinh(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.cosh(x)


class Cosh(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.sinh(x)


class Asinh(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / ctx.xp.sqrt(x * x + 1)


class Acosh(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.arccosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / ctx.xp.sqrt(x * x - 1)


class Atanh(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.arctanh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 - x * x)


class Log2(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * _LN2)


class Log10(Function):
    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * _LN10)


class Log1p(Function):
    """log(1 + x), accurate for small x."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x)


class Expm1(Function):
    """exp(x) - 1, accurate for small x."""

    @staticmethod
    def forward(ctx, x):
        out = np.expm1(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


class Exp2(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp2(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * _LN2


class Reciprocal(Function):
    """1 / x; its own op, since PyTorch's keeps the result (not x, as a division would)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            out = 1 / _floating(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -g * out * out


class Rsqrt(Function):
    """1 / sqrt(x)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            out = 1 / np.sqrt(_floating(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * out * out * -0.5


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


# ---------------------------------------------------------------------------
# Piecewise: the convention at the kinks is PyTorch's
# ---------------------------------------------------------------------------


class Abs(Function):
    """|x|; the gradient at 0 is 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.sign(x)


class Relu(Function):
    """max(x, 0); the gradient at 0 is 0."""

    @staticmethod
    def forward(ctx, x):
        # against an array of zeros, not the scalar 0: NumPy (2.4) has no SIMD loop for
        # maximum with a scalar, and this is 2x faster (60 against 130 us for 346k float32)
        if x.dtype.kind == "f":
            out = np.zeros_like(x)
            out = np.maximum(x, out, out=out)
        else:
            out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        # sign(out) is the mask out > 0, as an op of ``out`` with a zero gradient: under
        # create_graph the gradient stays connected to x, and a second gradient is zero
        (out,) = ctx.saved_tensors
        return g * ctx.xp.sign(out)

    @staticmethod
    def fast_backward(ctx, g):
        # the same VJP with the mask out > 0: 1.4-2.3x faster than multiplying by sign(out)
        (out,) = ctx.saved_tensors
        if g.shape != out.shape or g.dtype.kind != "f":
            return g * (out > 0)
        # the mask written as 1.0 / 0.0 straight into the result, then scaled in place:
        # one array instead of a boolean mask and a product (34 against 46 us for
        # (256, 512) float32); g * 1.0 and g * 0.0 are what g * (out > 0) computes
        grad = np.greater(out, 0, out=np.empty(g.shape, g.dtype))
        grad *= g
        return grad


class Clamp(Function):
    """Clip to [low, high] (either may be None); the gradient passes at the bounds."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        for bound in (low, high):  # an integer tensor with a float bound: the default dtype
            if bound is not None:
                x, _ = promote(x, bound)
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        keep = True
        if ctx.low is not None:
            keep = x >= ctx.low
        if ctx.high is not None:
            keep = (x <= ctx.high) & keep
        return g * keep


class Maximum(Function):
    """Elementwise max; where a == b each side gets half the gradient."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * (a > b) + (g * 0.5) * (a == b)
        return ga, g - ga


class Minimum(Function):
    """Elementwise min; where a == b each side gets half the gradient."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * (a < b) + (g * 0.5) * (a == b)
        return ga, g - ga


class Fmax(Function):
    """The larger of the two, ignoring nan (nan only where both are).

    As PyTorch, the gradient goes to a where a >= b or b is nan, to b elsewhere (ties
    are not split, unlike :class:`Maximum`).
    """

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)  # PyTorch's choice of side needs both
        return np.fmax(a, b)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        a, b = (value(x) for x in ctx.saved_tensors)
        to_a = (a >= b) | np.isnan(b)  # a constant mask
        need_a, need_b = ctx.needs_input_grad
        return (xp.where(to_a, g, 0) if need_a else None), \
            (xp.where(to_a, 0, g) if need_b else None)


class Fmin(Function):
    """The smaller of the two, ignoring nan; the gradient goes to a where a <= b or b is
    nan, to b elsewhere."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)  # PyTorch's choice of side needs both
        return np.fmin(a, b)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        a, b = (value(x) for x in ctx.saved_tensors)
        to_a = (a <= b) | np.isnan(b)  # a constant mask
        need_a, need_b = ctx.needs_input_grad
        return (xp.where(to_a, g, 0) if need_a else None), \
            (xp.where(to_a, 0, g) if need_b else None)


class Where(Function):
    """cond ? a : b. ``cond`` is a boolean array and gets no gradient."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        a, b = promote(a, b)
        out = np.where(cond, a, b)
        if type(a) is not np.ndarray and type(b) is not np.ndarray and out.dtype == np.float64:
            out = out.astype(default_float())  # two Python floats: the default dtype
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad[1:]
        return (
            None,
            xp.where(ctx.cond, g, 0) if need_a else None,
            xp.where(ctx.cond, 0, g) if need_b else None,
        )


# ---------------------------------------------------------------------------
# Piecewise constant: a zero gradient, and the result stays in the graph
# ---------------------------------------------------------------------------


class _Stepwise(Function):
    """Base of the piecewise-constant ops (floor, sign, ...).

    Their gradient is zero almost everywhere, and PyTorch keeps their results in the
    graph: ``x.sign().sum().backward()`` gives ``x.grad`` of zeros. The zeros are
    constants, as PyTorch's ``zeros_like(grad)``.
    """

    @staticmethod
    def backward(ctx, g):
        return _zero_grad(g)


class Floor(_Stepwise):
    @staticmethod
    def forward(ctx, x):
        return np.floor(x)


class Ceil(_Stepwise):
    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)


class Trunc(_Stepwise):
    @staticmethod
    def forward(ctx, x):
        return np.trunc(x)


class Round(_Stepwise):
    """Round half to even, at ``decimals`` digits (negative: to tens, hundreds, ...).

    As PyTorch: ``rint(x * 10**d) / 10**d`` (``rint(x / 10**-d) * 10**-d`` for d < 0),
    computed in the input's dtype.
    """

    @staticmethod
    def forward(ctx, x, decimals=0):
        return np.round(x, decimals)


class Sign(_Stepwise):
    """-1, 0 or 1; 0 at nan, as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        return sign(x)


# ---------------------------------------------------------------------------
# Binary functions
# ---------------------------------------------------------------------------


class Atan2(Function):
    """The angle of the point (b, a): arctan(a / b) in the right quadrant."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _floating_pair(a, b)
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        scaled = g / (a * a + b * b)
        return (scaled * b if need_a else None), (-scaled * a if need_b else None)


class Hypot(Function):
    """sqrt(a ** 2 + b ** 2), without overflow."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _floating_pair(a, b)
        out = np.hypot(a, b)
        need_a, need_b = ctx.needs_input_grad  # as PyTorch: each side for its own gradient
        ctx.save_for_backward(a if need_a else None, b if need_b else None, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        scaled = g / out
        return (scaled * a if need_a else None), (scaled * b if need_b else None)


class LogAddExp(Function):
    """log(exp(a) + exp(b)), without overflow; d/da = sigmoid(a - b)."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _floating_pair(a, b)
        ctx.save_for_backward(a, b)
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        return (g * xp.sigmoid(a - b) if need_a else None), \
            (g * xp.sigmoid(b - a) if need_b else None)


class LogAddExp2(Function):
    """log2(2 ** a + 2 ** b), without overflow; d/da = sigmoid((a - b) ln 2)."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = _floating_pair(a, b)
        ctx.save_for_backward(a, b)
        return np.logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        return (g * xp.sigmoid((a - b) * _LN2) if need_a else None), \
            (g * xp.sigmoid((b - a) * _LN2) if need_b else None)


class CopySign(Function):
    """|a| with the sign of b (of its sign bit: -0.0 counts as negative).

    d/da = sign(a) * sign(out) (0 at a = 0); b gets a zero gradient, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, a, b):
        a, b = _floating_pair(a, b)
        out = np.copysign(a, b)
        # As PyTorch: a only for a's gradient; the output whenever either needs one
        # (b's gradient is zero, but PyTorch's record of it keeps the output too).
        ctx.save_for_backward(a if ctx.needs_input_grad[0] else None, out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        ga = None
        if need_a:
            a, out = ctx.saved_tensors
            ga = g * (xp.sign(a) * xp.sign(out))
        return ga, (_zero_grad(g) if need_b else None)


class XLogY(Function):
    """a * log(b), and 0 where a == 0 (unless b is nan), as ``torch.xlogy``."""

    log = staticmethod(np.log)

    @classmethod
    def forward(cls, ctx, a, b):
        a, b = _floating_pair(a, b)
        dtype = np.result_type(a, b)
        if not isinstance(a, np.ndarray):  # a number: a constant array (arrays keep identity)
            a = np.asarray(a, dtype=dtype)
        if not isinstance(b, np.ndarray):
            b = np.asarray(b, dtype=dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = a * cls.log(b)
        out = np.where((a == 0) & ~np.isnan(b), 0, out).astype(dtype, copy=False)
        ctx.save_for_backward(a, b)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:  # PyTorch: xlogy(g, b), and 0 where a == 0 and b <= 0
            skip = ((value(a) == 0) & (value(b) <= 0)) | (value(g) == 0)
            ga = xp.where(skip, 0, g * xp.log(xp.where(skip, 1, b)))
        if need_b:
            gb = g * a / b
        return ga, gb


class XLog1pY(XLogY):
    """a * log1p(b), and 0 where a == 0 (unless b is nan), as ``torch.special.xlog1py``."""

    op_name = "xlog1py"
    log = staticmethod(np.log1p)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:  # 0 where a == 0 and b <= -1
            skip = ((value(a) == 0) & (value(b) <= -1)) | (value(g) == 0)
            ga = xp.where(skip, 0, g * xp.log(xp.where(skip, 1, b + 1)))
        if need_b:
            gb = g * a / (b + 1)
        return ga, gb


class Lerp(Function):
    """start + weight * (end - start), in PyTorch's two-sided form (exact at weight 0 and 1).

    ``weight`` is a tensor or a number.
    """

    @staticmethod
    def forward(ctx, start, end, weight):
        start, end = promote(start, end)
        if isinstance(weight, np.ndarray):
            start, weight = promote(start, weight)
            end, weight = promote(end, weight)
        # As PyTorch: the weight for start's and end's gradients, start and end only for
        # the weight's.
        need_start, need_end, need_weight = ctx.needs_input_grad
        if need_weight:
            ctx.save_for_backward(start, end, weight)
        elif need_start or need_end:
            ctx.save_for_backward(None, None, weight)
        diff = end - start
        low = start + weight * diff
        high = end - diff * (1 - weight)
        return np.where(np.abs(weight) < 0.5, low, high)

    @staticmethod
    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        need_start, need_end, need_weight = ctx.needs_input_grad
        return (
            g * (1 - weight) if need_start else None,
            g * weight if need_end else None,
            g * (end - start) if need_weight else None,
        )


class NanToNum(Function):
    """nan, +inf and -inf replaced by numbers; the gradient passes where ``x`` is finite."""

    op_name = "nan_to_num"

    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.save_for_backward(x)  # as PyTorch, x, for the mask of its finite entries
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.isfinite(value(x))


# ---------------------------------------------------------------------------
# Bitwise (and gcd, lcm), on integer and bool tensors (no gradient)
# ---------------------------------------------------------------------------


class _Bitwise(Function):
    """Base of ``& | ^ << >>``: PyTorch's result dtype, integers and bools only.

    Other dtypes raise NotImplementedError (a RuntimeError), as in PyTorch; ``~`` of a
    float raises TypeError, also as in PyTorch.
    """

    ufunc = staticmethod(np.bitwise_and)
    integers_only = False  # shifts, gcd and lcm refuse bools too

    @classmethod
    def forward(cls, ctx, a, b):
        dtype = result_type(a, b)
        if dtype.kind not in "biu" or (cls.integers_only and dtype.kind == "b"):
            kinds = "integer" if cls.integers_only else "integer and bool"
            raise NotImplementedError(  # a RuntimeError, as PyTorch raises
                f"{cls.op_name}: not implemented for {dtype.name} tensors, only for {kinds} "
                "tensors")
        return cls.ufunc(_as_dtype(a, dtype), _as_dtype(b, dtype))


class BitwiseAnd(_Bitwise):
    op_name = "bitwise_and"
    ufunc = staticmethod(np.bitwise_and)


class BitwiseOr(_Bitwise):
    op_name = "bitwise_or"
    ufunc = staticmethod(np.bitwise_or)


class BitwiseXor(_Bitwise):
    op_name = "bitwise_xor"
    ufunc = staticmethod(np.bitwise_xor)


class LeftShift(_Bitwise):
    """a * 2 ** b in a's integer dtype (0 once every bit is shifted out)."""

    op_name = "bitwise_left_shift"
    ufunc = staticmethod(np.left_shift)
    integers_only = True


class RightShift(_Bitwise):
    """a // 2 ** b, arithmetic for signed integers (-1 once every bit is shifted out)."""

    op_name = "bitwise_right_shift"
    ufunc = staticmethod(np.right_shift)
    integers_only = True


class Gcd(_Bitwise):
    """The greatest common divisor (non-negative), of integer tensors."""

    ufunc = staticmethod(np.gcd)
    integers_only = True


class Lcm(_Bitwise):
    """The least common multiple (non-negative), of integer tensors."""

    ufunc = staticmethod(np.lcm)
    integers_only = True


class BitwiseNot(Function):
    """``~``: bitwise not of integers, logical not of bools."""

    op_name = "bitwise_not"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind not in "biu":
            raise TypeError(f"not implemented for {x.dtype.name} tensors, only for integer "
                            "and bool tensors")
        return np.invert(x)


# ---------------------------------------------------------------------------
# dtype
# ---------------------------------------------------------------------------


class Cast(Function):
    """``x`` in another floating dtype; the gradient is cast back to ``x``'s dtype."""

    op_name = "cast"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.astype(g, ctx.in_dtype)
