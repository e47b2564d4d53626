"""RAdam (Liu et al., 2019): Adam with a rectified, variance-aware warm-up.

>>> import chainrule as cr
>>> from chainrule.optim import RAdam
>>> w = cr.tensor([1.0, -1.0], requires_grad=True)
>>> opt = RAdam([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()              # early steps are plain momentum SGD: p - lr * m / (1 - beta1)
>>> w
tensor([ 0.8, -0.8], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer, _check_betas, _check_nonnegative, _implementation_flags

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, PyTorch's formulation.

    With gradient ``g`` at step ``t``, ``rho_inf = 2 / (1 - beta2) - 1`` and
    ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``::

        g = g + wd * p             (decoupled_weight_decay: p = p * (1 - lr * wd) instead)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        if rho_t > 5:
            r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            p = p - lr * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r
        else:
            p = p - lr * m_hat

    Args:
        params: Tensors, or dicts of param groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        betas = _check_betas(betas)
        _check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        lr, weight_decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad

        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            sq = np.sqrt(exp_avg_sq)
            sq += eps
            adaptive_lr = (bias_correction2 ** 0.5) / sq
            param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            param -= bias_corrected_exp_avg * lr
