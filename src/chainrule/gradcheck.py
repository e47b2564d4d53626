"""Numerical gradients and gradient checking (central differences, float64).

Finite differences cannot replace backprop: in float32 the
forward difference of f = log x1 + x1 x2 - sin x2 is off by 0.095. In float64,
with central differences, they make a good referee for the analytic gradient.

>>> import chainrule as cr
>>> x = cr.tensor([0.5, -1.5], dtype=cr.float64, requires_grad=True)
>>> cr.gradcheck(lambda t: (t.tanh() * t).sum(), (x,))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import grad
from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "numerical_grad", "GradcheckError"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one."""


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _to_float64(inputs: Sequence[Any]) -> list:
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            t = Tensor(x.data.astype(np.float64))
            t.requires_grad = x.requires_grad
            out.append(t)
        else:
            out.append(x)
    return out


def _projected(fn: Callable, args: Sequence[Any], vs: Sequence[np.ndarray]) -> float:
    """sum_k <fn(args)_k, v_k> (recorded as usual: fn may itself call grad())."""
    outs = _as_tuple(fn(*args))
    return float(sum(np.sum(o.data.astype(np.float64) * v) for o, v in zip(outs, vs)))


def numerical_grad(fn: Callable, inputs: Sequence[Any], vs: Sequence[np.ndarray] | None = None,
                   eps: float = 1e-6) -> list:
    """Central-difference gradient of sum_k <fn(inputs)_k, v_k> for each Tensor input.

    With ``vs=None`` the output must have one element and ``v`` is 1.
    """
    inputs = list(inputs)
    if vs is None:
        vs = [np.ones(()) for _ in _as_tuple(fn(*inputs))]
    result: list = []
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            result.append(None)
            continue
        flat = x.data.reshape(-1)  # a view: writes below reach x.data
        g = np.zeros(flat.shape, dtype=np.float64)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = _projected(fn, inputs, vs)
            flat[i] = orig - eps
            minus = _projected(fn, inputs, vs)
            flat[i] = orig
            g[i] = (plus - minus) / (2 * eps)
        result.append(g.reshape(x.shape))
    return result


def gradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Compare backprop's gradients of ``fn`` with central differences, in float64.

    Every floating-point Tensor input is copied to float64; those that require
    grad are checked. Outputs are projected on a fixed random direction, so one
    backward checks every output at once. On a mismatch, raises
    :class:`GradcheckError` naming the input, the element and both values.
    """
    args = _to_float64(_as_tuple(inputs))
    checked = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    outs = _as_tuple(fn(*args))
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in outs]
    terms = [(o * Tensor(v.astype(o.dtype))).sum() for o, v in zip(outs, vs) if o.requires_grad]
    if terms:
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        analytic = grad(total, [args[i] for i in checked], allow_unused=True)
    else:
        analytic = (None,) * len(checked)
    numeric = numerical_grad(fn, args, vs, eps)
    for slot, i in enumerate(checked):
        num = numeric[i]
        ana = np.zeros_like(num) if analytic[slot] is None else analytic[slot].data
        if ana.shape != num.shape:
            return _fail(raise_exception, f"gradcheck: input {i}: analytic gradient has shape "
                         f"{ana.shape}, expected {num.shape}")
        bad = ~(np.abs(ana - num) <= atol + rtol * np.abs(num))
        if bad.any():
            where = tuple(int(k) for k in np.argwhere(bad)[0])
            return _fail(
                raise_exception,
                f"gradcheck: input {i} (shape {num.shape}), element {where}: analytic "
                f"{ana[where]!r} vs numerical {num[where]!r} (atol={atol}, rtol={rtol}); "
                f"{int(bad.sum())} of {bad.size} elements differ",
            )
    return True


def _fail(raise_exception: bool, message: str) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradgradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 1) -> bool:
    """Check second-order gradients: gradcheck of the VJP built with ``create_graph=True``.

    The VJP's cotangent ``v`` is an input too, so both d(vjp)/dx and d(vjp)/dv
    are checked.
    """
    args = _to_float64(_as_tuple(inputs))
    n = len(args)
    checked = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
    outs = [o for o in _as_tuple(fn(*args)) if o.requires_grad]
    rng = np.random.default_rng(seed)
    vs = [Tensor(rng.standard_normal(o.shape)).requires_grad_() for o in outs]

    def vjp(*all_args: Any) -> tuple:
        xs, cotangents = all_args[:n], all_args[n:]
        ys = [o for o in _as_tuple(fn(*xs)) if o.requires_grad]
        gs = grad(ys, [xs[i] for i in checked], grad_outputs=list(cotangents),
                  create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(xs[i].shape))
                     for g, i in zip(gs, checked))

    return gradcheck(vjp, tuple(args) + tuple(vs), eps, atol, rtol, raise_exception, seed)
