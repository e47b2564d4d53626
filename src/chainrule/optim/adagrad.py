"""Adagrad (Duchi, Hazan and Singer, 2011), PyTorch's formulation with lr decay.

>>> import chainrule as cr
>>> from chainrule.optim import Adagrad
>>> w = cr.tensor([1.0, -2.0], requires_grad=True)
>>> opt = Adagrad([w], lr=0.5)
>>> (w * w).sum().backward()
>>> opt.step()              # first step: g / sqrt(g * g) = sign(g), times lr
>>> w
tensor([ 0.5, -1.5], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _implementation_flags

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Scale each coordinate's step by the root of its summed squared gradients.

    With gradient ``g`` at step ``t``::

        g = g + wd * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                      (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    As in PyTorch, the state (``step`` and ``sum``) of every parameter is made when
    the optimizer is built, so it is in the state dict before the first step.

    Args:
        params: Tensors, or dicts of param groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sum of squares (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, fused=fused,
                              differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("lr_decay value", lr_decay)
        _check_nonnegative("weight_decay value", weight_decay)
        _check_nonnegative("initial_accumulator_value value", initial_accumulator_value)
        _check_nonnegative("epsilon value", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p._array, self.state.setdefault(p, {}), group)

    @staticmethod
    def _init_state(param: np.ndarray, state: dict, group: dict) -> None:
        state["step"] = 0
        state["sum"] = np.full_like(param, group["initial_accumulator_value"])

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:  # a group added after construction
            self._init_state(param, state, group)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state_sum = state["sum"]
        state_sum += grad * grad
        std = np.sqrt(state_sum)
        std += group["eps"]
        param += -clr * (grad / std)
