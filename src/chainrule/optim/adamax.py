"""Adamax (Kingma and Ba, 2015): Adam with the infinity norm in place of the second moment.

>>> import chainrule as cr
>>> from chainrule.optim import Adamax
>>> w = cr.tensor([1.0, -1.0], requires_grad=True)
>>> opt = Adamax([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()              # the first step moves each entry by about lr
>>> w
tensor([ 0.9, -0.9], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer, _check_betas, _check_nonnegative, _implementation_flags

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, PyTorch's formulation.

    With gradient ``g`` at step ``t``::

        g = g + wd * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    Args:
        params: Tensors, or dicts of param groups.
        lr: learning rate (default 2e-3).
        betas: decay rates of the first moment and of the infinity norm
            (default (0.9, 0.999)).
        eps: added to ``|g|`` (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        betas = _check_betas(betas)
        _check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_inf"] = np.zeros_like(param)
        beta1, beta2 = group["betas"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
        clr = group["lr"] / (1 - beta1 ** state["step"])
        param += -clr * (exp_avg / exp_inf)
