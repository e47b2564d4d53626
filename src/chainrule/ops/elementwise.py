"""Elementwise ops: forward and vector-Jacobian product side by side.

Every backward follows the contract in :mod:`chainrule.function`: it uses
operators and ``xp = ctx.xp`` only, so it runs on arrays in an ordinary pass and
on Tensors (recorded, differentiable again) under ``create_graph=True``.
Broadcasting is undone by the engine, so a binary op returns gradients of the
output's shape.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .arrays import sigmoid, value

# ---------------------------------------------------------------------------
# Type promotion: PyTorch's, where NumPy's differs
# ---------------------------------------------------------------------------

_INTEGRAL = frozenset("biu")


def promote(a, b):
    """The operands of a binary op, cast so that the result has PyTorch's dtype.

    NumPy turns float32 with an int64 array, or an int array with a Python float,
    into float64; PyTorch keeps the floating tensor's dtype (float32 by default) and
    treats NumPy scalars like Python numbers. Only integer and bool operands and
    NumPy scalars are converted, so a float input's array keeps its identity
    (``save_for_backward`` relies on it).

    >>> a, b = promote(np.arange(3), 2.5)
    >>> (a * b).dtype
    dtype('float32')
    """
    if type(a) is np.ndarray:
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
        array = array.astype(np.float32)
    return array, number


def _floating(x):
    """``x`` as a floating array: integer inputs of exp, log, ... give float32, as in PyTorch."""
    if type(x) is np.ndarray and x.dtype.kind in _INTEGRAL:
        return x.astype(np.float32)
    return x


def _kind(x):
    return x.dtype.kind if isinstance(x, (np.ndarray, np.generic)) else type(x).__name__[0]


# ---------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
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
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        if _kind(a) in "biu" and _kind(b) in "biu":  # true division of integers: float32
            a, b = _floating(np.asarray(a)), _floating(np.asarray(b))
        out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b
        return (ga if need_a else None), (-ga * out if need_b else None)


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
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


class Clamp(Function):
    """Clip to [low, high] (either may be None); the gradient passes at the bounds."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
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


class Where(Function):
    """cond ? a : b. ``cond`` is a boolean array and gets no gradient."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        a, b = promote(a, b)
        out = np.where(cond, a, b)
        if type(a) is not np.ndarray and type(b) is not np.ndarray and out.dtype == np.float64:
            out = out.astype(np.float32)  # two Python floats give float32, as in PyTorch
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
