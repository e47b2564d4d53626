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
from ._backend import _sigmoid, value


# ---------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
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
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.cos(x)


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * ctx.xp.sin(x)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        out = _sigmoid(x)
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
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad[1:]
        return (
            None,
            xp.where(ctx.cond, g, 0) if need_a else None,
            xp.where(ctx.cond, 0, g) if need_b else None,
        )
