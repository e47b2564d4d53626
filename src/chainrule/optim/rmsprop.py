"""RMSprop (Hinton's lecture 6e), PyTorch's formulation with momentum and centering.

>>> import chainrule as cr
>>> from chainrule.optim import RMSprop
>>> w = cr.tensor([1.0], requires_grad=True)
>>> opt = RMSprop([w], lr=0.01)
>>> (w * w).sum().backward()
>>> opt.step()              # first step: g / sqrt(0.01 g^2) = 10, times lr
>>> w
tensor([0.9], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer, _check_nonnegative, _implementation_flags

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    With gradient ``g``::

        g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        a = sqrt(v - gbar**2) + eps   if centered (gbar: running mean of g)
            sqrt(v) + eps             otherwise
        b = mu * b + g / a;  p = p - lr * b     if momentum mu > 0
        p = p - lr * g / a                      otherwise

    Args:
        params: Tensors, or dicts of param groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the gradient's variance (default False).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        _check_nonnegative("momentum value", momentum)
        _check_nonnegative("weight_decay value", weight_decay)
        _check_nonnegative("alpha value", alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        alpha, momentum = group["alpha"], group["momentum"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param

        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(param))
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]

        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(param))
            buf *= momentum
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (grad / avg)
