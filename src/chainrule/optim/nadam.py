"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum schedule.

>>> import chainrule as cr
>>> from chainrule.optim import NAdam
>>> w = cr.tensor([1.0, -1.0], requires_grad=True)
>>> opt = NAdam([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> [round(v, 4) for v in w.tolist()]
[0.8944, -0.8944]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .adam import _lerp_
from .optimizer import (
    Optimizer,
    _check_betas,
    _check_nonnegative,
    _implementation_flags,
    _scalar_dtype,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, PyTorch's formulation.

    With gradient ``g`` at step ``t`` and ``mu_t = beta1 * (1 - 0.5 * 0.96**(t * psi))``
    (``psi`` the momentum decay)::

        g = g + wd * p             (decoupled_weight_decay: p = p * (1 - lr * wd) instead)
        P = P * mu_t               (the product of the mu's so far; state "mu_product")
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P) * g / d
              - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / d

    ``mu_product`` is one number per parameter, rounded to float32 unless the default
    dtype is float64 (as PyTorch keeps it).

    Args:
        params: Tensors, or dicts of param groups.
        lr: learning rate (default 2e-3).
        betas: decay rates of the first and second moment (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        momentum_decay: ``psi`` above (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW does (NAdamW).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    _scalar_state = frozenset({"mu_product"})

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        betas = _check_betas(betas)
        _check_nonnegative("weight_decay value", weight_decay)
        _check_nonnegative("momentum_decay value", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["mu_product"] = _scalar_dtype()(1.0)
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        psi = group["momentum_decay"]
        state["step"] += 1
        step = state["step"]
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"]
        mu_product = state["mu_product"] = mu_product * mu_product.dtype.type(mu)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / bias_correction2)
        denom += group["eps"]
        mu_product_next = float(mu_product) * mu_next
        param += (-lr * (1.0 - mu) / (1.0 - float(mu_product))) * (grad / denom)
        param += ((-lr * mu_next) / (1.0 - mu_product_next)) * (exp_avg / denom)
