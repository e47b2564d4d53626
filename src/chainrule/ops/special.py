"""Special functions: forward and vector-Jacobian product side by side.

The NumPy kernels are in :mod:`.specfun` (NumPy has no erf or lgamma); where SciPy
is installed, its ``scipy.special`` kernels of the same functions are used for
erf, erfc and lgamma, which are faster (both agree with PyTorch to rounding).
Integer inputs give the default dtype (float32 unless set), as in PyTorch. Each
backward follows the contract in :mod:`chainrule.function`, so every op here is
differentiable at any order:
lgamma' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' = polygamma(n + 1, .).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..function import Function
from . import specfun
from .arrays import value
from .elementwise import _floating

__all__ = ["Erf", "Erfc", "Erfinv", "Lgamma", "Digamma", "Polygamma", "Logit", "Sinc", "Entr",
           "use_scipy"]

# ---------------------------------------------------------------------------
# Kernels: SciPy's where it is installed, else chainrule's own (NumPy only)
# ---------------------------------------------------------------------------

_SCIPY: dict[str, Any] = {"allowed": True, "module": None, "tried": False}


def use_scipy(allowed: bool) -> bool:
    """Allow (or forbid) SciPy's kernels for erf, erfc and lgamma; returns the old setting.

    Both paths give PyTorch's values; the tests run each of them.
    """
    old = _SCIPY["allowed"]
    _SCIPY["allowed"] = bool(allowed)
    return old


def _scipy_special() -> Any:
    if not _SCIPY["allowed"]:
        return None
    if not _SCIPY["tried"]:
        _SCIPY["tried"] = True
        try:
            import scipy.special
        except ImportError:  # optional: the NumPy kernels below do the same
            scipy_special = None
        else:
            scipy_special = scipy.special
        _SCIPY["module"] = scipy_special
    return _SCIPY["module"]


def _kernel(name: str, numpy_kernel: Callable[[np.ndarray], np.ndarray],
            fix: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
            ) -> Callable[[np.ndarray], np.ndarray]:
    """SciPy's ``name`` when allowed and installed, else ``numpy_kernel``; float32 stays
    float32, integers give float32."""

    def run(x: np.ndarray) -> np.ndarray:
        special = _scipy_special()
        if special is None:
            return numpy_kernel(x)
        x = _floating(np.asarray(x))
        out = getattr(special, name)(x)
        if fix is not None:
            out = fix(x, out)
        return out if out.dtype == x.dtype else out.astype(x.dtype)  # float16 comes back wider

    run.__name__ = numpy_kernel.__name__
    return run


def _lgamma_fix(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.where(np.isneginf(x), np.inf, out).astype(out.dtype, copy=False)  # SciPy: -inf


erf = _kernel("erf", specfun.erf)
erfc = _kernel("erfc", specfun.erfc)
lgamma = _kernel("gammaln", specfun.lgamma, _lgamma_fix)

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


# ---------------------------------------------------------------------------
# The error function and its inverse
# ---------------------------------------------------------------------------


class Erf(Function):
    """erf(x); d/dx = 2 / sqrt(pi) * exp(-x ** 2)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.exp(-(x * x)) * _TWO_OVER_SQRT_PI


class Erfc(Function):
    """1 - erf(x), accurate where it is tiny."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return erfc(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.exp(-(x * x)) * -_TWO_OVER_SQRT_PI


class Erfinv(Function):
    """The inverse of erf on [-1, 1]; d/dy = sqrt(pi) / 2 * exp(erfinv(y) ** 2)."""

    @staticmethod
    def forward(ctx, y):
        # As PyTorch, the input is kept and erfinv recomputed in backward: the output
        # may be changed in place afterwards.
        y = _floating(y)
        ctx.save_for_backward(y)
        return specfun.erfinv(y)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        out = ctx.xp.erfinv(y)
        return g * ctx.xp.exp(out * out) * _SQRT_PI_OVER_TWO


# ---------------------------------------------------------------------------
# Gamma: lgamma, digamma, polygamma
# ---------------------------------------------------------------------------


class Lgamma(Function):
    """log |Gamma(x)|; d/dx = digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return lgamma(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.polygamma(0, x)


class Digamma(Function):
    """The logarithmic derivative of Gamma; d/dx = polygamma(1, x)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return specfun.digamma(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.polygamma(1, x)


class Polygamma(Function):
    """The n-th derivative of digamma; d/dx = polygamma(n + 1, x)."""

    @staticmethod
    def forward(ctx, x, n):
        x = _floating(x)
        ctx.save_for_backward(x)
        ctx.n = n
        return specfun.polygamma(n, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.polygamma(ctx.n + 1, x)


# ---------------------------------------------------------------------------
# Others of torch.special
# ---------------------------------------------------------------------------


class Logit(Function):
    """log(x / (1 - x)), with x first clamped to [eps, 1 - eps] when eps is given.

    d/dx = 1 / (x (1 - x)), and 0 outside [eps, 1 - eps] (PyTorch's convention).
    """

    @staticmethod
    def forward(ctx, x, eps=None):
        x = _floating(x)
        ctx.save_for_backward(x)
        ctx.outside = None
        if eps is not None:
            if ctx.needs_input_grad[0]:
                ctx.outside = (x < eps) | (x > 1 - eps)
            x = np.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x / (1 - x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        grad = g / (x * (1 - x))
        if ctx.outside is not None:
            grad = ctx.xp.where(ctx.outside, 0, grad)
        return grad


class Sinc(Function):
    """sin(pi x) / (pi x), and 1 at 0 (the normalised sinc)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        return np.sinc(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        zero = np.asarray(value(x) == 0)
        x = xp.where(zero, 1, x)  # d/dx is 0 at 0; keep the other branch finite there
        pix = x * math.pi
        slope = (pix * xp.cos(pix) - xp.sin(pix)) / (pix * x)
        return g * xp.where(zero, 0, slope)


class Entr(Function):
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0; d/dx = -(1 + log x)."""

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -x * np.log(x)
        out = np.where(x == 0, 0, out)
        return np.where(x < 0, -np.inf, out).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * (1 + ctx.xp.log(x))
