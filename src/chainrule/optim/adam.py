"""Adam: adaptive moment estimation (Kingma and Ba, 2015), PyTorch's formulation.

>>> import chainrule as cr
>>> from chainrule.optim import Adam
>>> w = cr.tensor([1.0, -1.0], requires_grad=True)
>>> opt = Adam([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()              # the first Adam step moves each entry by about lr
>>> w
tensor([ 0.9, -0.9], requires_grad=True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check_betas, _check_nonnegative, _implementation_flags

__all__ = ["Adam"]


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded the way ``torch.lerp_`` rounds."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)


class Adam(Optimizer):
    """Adam, with optional L2 weight decay, AMSGrad, and (for AdamW) decoupled decay.

    With gradient ``g`` at step ``t``::

        g = g + wd * p                          (L2 decay; AdamW instead does p *= 1 - lr * wd)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: Tensors, or dicts of param groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use the running maximum of ``v`` (default False).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
        decoupled_weight_decay: decay the weights directly, as AdamW does.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, fused=fused,
                              differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        betas = _check_betas(betas)
        _check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        lr, weight_decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        step = state["step"]

        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad

        bias_correction1 = 1 - beta1 ** step
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            max_exp_avg_sq = state.setdefault("max_exp_avg_sq", np.zeros_like(param))
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            second = max_exp_avg_sq
        else:
            second = exp_avg_sq
        denom = np.sqrt(second) / bias_correction2_sqrt + eps
        param -= step_size * (exp_avg / denom)
