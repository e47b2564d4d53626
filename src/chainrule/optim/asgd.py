"""ASGD: averaged stochastic gradient descent (Polyak and Juditsky, 1992), PyTorch's form.

>>> import chainrule as cr
>>> from chainrule.optim import ASGD
>>> w = cr.tensor([1.0], requires_grad=True)
>>> opt = ASGD([w], lr=0.1, t0=0.0)
>>> (w * w).sum().backward()
>>> opt.step()
>>> round(w.item(), 5), round(opt.state[w]["ax"].item(), 5)   # the iterate and its average
(0.79999, 0.79999)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _implementation_flags, _scalar_dtype

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """SGD with a decaying step size that also keeps a running average ``ax`` of the iterates.

    With gradient ``g`` at step ``t`` (``eta`` starts at ``lr``, ``mu`` at 1)::

        g = g + wd * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p                       if mu == 1
        ax = ax + mu * (p - ax)      otherwise
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    The averaged parameters are ``optimizer.state[p]["ax"]``. ``eta`` and ``mu`` are one
    number per parameter, rounded to float32 unless the default dtype is float64 (as
    PyTorch keeps them).

    Args:
        params: Tensors, or dicts of param groups.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the step-size decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    _scalar_state = frozenset({"eta", "mu"})

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        scalar = _scalar_dtype()
        if not state:
            state["step"] = 0
            state["eta"] = scalar(group["lr"])
            state["mu"] = scalar(1.0)
            state["ax"] = np.zeros_like(param)
        lr, lambd = group["lr"], group["lambd"]
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        eta = float(state["eta"])
        param *= 1 - lambd * eta
        param += -eta * grad
        ax = state["ax"]
        if float(state["mu"]) != 1:
            ax += (param - ax) * state["mu"].astype(param.dtype)
        else:
            ax[...] = param
        state["eta"] = scalar(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        state["mu"] = scalar(1 / max(1, step - group["t0"]))
