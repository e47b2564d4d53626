"""Adafactor (Shazeer and Stern, 2018), PyTorch's formulation: factored second moments.

For a parameter with two or more dimensions the second-moment estimate is kept as a
row vector and a column vector (their outer product, normalised, stands for the
full matrix), so the optimizer's memory grows with rows + columns, not rows x columns.

>>> import chainrule as cr
>>> from chainrule.optim import Adafactor
>>> w = cr.ones(2, 3, requires_grad=True)
>>> opt = Adafactor([w])
>>> (w * w).sum().backward()
>>> opt.step()
>>> sorted(opt.state[w])                 # factored: a row and a column, not a 2x3 matrix
['col_var', 'row_var', 'step']
>>> opt.state[w]["row_var"].shape, opt.state[w]["col_var"].shape
((2, 1), (1, 3))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .adam import _lerp_
from .optimizer import Optimizer, _implementation_flags

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor with PyTorch's defaults and update (relative step size, update clipping).

    At step ``t``, with ``rho = min(lr, 1 / sqrt(t))`` and
    ``alpha = max(eps2, rms(p)) * rho``::

        p = p * (1 - lr * wd)
        beta = t ** beta2_decay                (the weight of the new gradient)
        R = lerp(R, mean of g^2 over the last dim, beta)       (p with 2+ dims)
        C = lerp(C, mean of g^2 over the second-last dim, beta)
        v = R C / mean(R)                      (or v = lerp(v, g^2, beta) for vectors)
        u = g / sqrt(max(v, eps1^2))
        p = p - alpha / max(1, rms(u) / d) * u

    Args:
        params: Tensors, or dicts of param groups.
        lr: the cap of the relative step size (default 1e-2).
        beta2_decay: the power of ``t`` that weighs new squared gradients (default -0.8).
        eps: ``(eps1, eps2)``: the floor of the second moment (None: the dtype's machine
            epsilon) and of the parameter scale (default (None, 1e-3)).
        d: the clipping threshold of the update's RMS (default 1.0).
        weight_decay: decoupled weight decay (default 0).
        maximize: ascend instead of descend.
        foreach: PyTorch's switch between implementations, taken for its signature.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        eps = tuple(eps)  # type: ignore[assignment]
        if len(eps) != 2:
            raise ValueError(f"eps must be a pair (eps1, eps2), got {eps}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _state_shape(self, key: str, shape: tuple) -> tuple:
        if key == "row_var":
            return shape[:-1] + (1,)
        if key == "col_var":
            return shape[:-2] + (1,) + shape[-1:]
        return shape

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            if grad.ndim > 1:
                state["row_var"] = np.zeros(grad.shape[:-1] + (1,), dtype=param.dtype)
                state["col_var"] = np.zeros(grad.shape[:-2] + (1, grad.shape[-1]),
                                            dtype=param.dtype)
            else:
                state["variance"] = np.zeros_like(param)
        lr, weight_decay = group["lr"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(param.dtype).eps)
        state["step"] += 1
        step = float(state["step"])
        one_minus_beta2_t = step ** group["beta2_decay"]
        rho_t = min(lr, 1 / (step ** 0.5))
        alpha = max(eps2, float(np.sqrt(np.sum(param * param))) / (param.size ** 0.5)) * rho_t
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        if grad.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_mean = np.sqrt(np.sum(grad * grad, axis=-1, keepdims=True)) ** 2
            row_mean /= grad.shape[-1]
            _lerp_(row_var, row_mean, one_minus_beta2_t)
            col_mean = np.sqrt(np.sum(grad * grad, axis=-2, keepdims=True)) ** 2
            col_mean /= grad.shape[-2]
            _lerp_(col_var, col_mean, one_minus_beta2_t)
            var_estimate = row_var @ col_var
            var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]
            _lerp_(variance, grad * grad, one_minus_beta2_t)
            var_estimate = variance.copy()
        update = 1 / np.sqrt(np.maximum(var_estimate, eps1 * eps1))
        update *= grad
        rms = float(np.sqrt(np.sum(update * update))) / ((update.size ** 0.5) * group["d"])
        denom = max(1.0, rms)
        param += (-alpha / denom) * update
