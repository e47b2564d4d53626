"""Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of updates and gradients.

>>> import chainrule as cr
>>> from chainrule.optim import Adadelta
>>> w = cr.tensor([1.0], requires_grad=True)
>>> opt = Adadelta([w])
>>> (w * w).sum().backward()
>>> opt.step()              # sqrt(eps) / sqrt(0.1 g^2 + eps) * g: a small first step
>>> round(w.item(), 6)
0.996838
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _implementation_flags

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, PyTorch's formulation (with a learning rate that scales the update).

    With gradient ``g``::

        g = g + wd * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    Args:
        params: Tensors, or dicts of param groups.
        lr: coefficient of the update (default 1.0).
        rho: decay rate of the running averages (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (it must be in [0, 1])")
        _check_nonnegative("epsilon value", eps)
        _check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        rho, eps = group["rho"], group["eps"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param += -group["lr"] * delta
