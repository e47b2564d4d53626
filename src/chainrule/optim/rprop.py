"""Rprop (Riedmiller and Braun, 1993): steps of adaptive size along the gradient's sign.

>>> import chainrule as cr
>>> from chainrule.optim import Rprop
>>> w = cr.tensor([1.0, -1.0], requires_grad=True)
>>> opt = Rprop([w], lr=0.1)
>>> for _ in range(2):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()          # same sign twice: the second step is 1.2 times the first
>>> [round(v, 6) for v in w.tolist()]
[0.78, -0.78]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check_nonnegative, _implementation_flags

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation, PyTorch's formulation.

    Each coordinate keeps its own step size ``s`` (starting at ``lr``) and the previous
    gradient ``prev``. With gradient ``g``::

        s = clamp(s * etaplus,  min, max)   where g * prev > 0
        s = clamp(s * etaminus, min, max)   where g * prev < 0   (and g counts as 0 there)
        p = p - sign(g) * s
        prev = g

    Args:
        params: Tensors, or dicts of param groups.
        lr: the starting step size (default 1e-2).
        etas: ``(etaminus, etaplus)``, the factors that shrink and grow a step
            (default (0.5, 1.2)).
        step_sizes: the smallest and largest step size (default (1e-6, 50)).
        maximize: ascend instead of descend.
        foreach, fused, capturable, differentiable: PyTorch's switches between
            implementations of this rule, taken for its signature; there is one here
            (``differentiable=True`` is refused).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _implementation_flags(type(self).__name__, foreach=foreach, differentiable=differentiable)
        _check_nonnegative("learning rate", lr)
        etas = tuple(etas)  # type: ignore[assignment]
        step_sizes = tuple(step_sizes)  # type: ignore[assignment]
        if len(etas) != 2 or not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {', '.join(map(str, etas))} (they must be "
                             "(etaminus, etaplus) with 0 < etaminus < 1 < etaplus)")
        if len(step_sizes) != 2:
            raise ValueError(f"step_sizes must be a pair (min, max), got {step_sizes}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["prev"] = np.zeros_like(param)
            state["step_size"] = np.full_like(param, group["lr"])
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        state["step"] += 1
        prev, step_size = state["prev"], state["step_size"]
        sign = np.sign(grad * prev)
        factor = np.where(sign > 0, param.dtype.type(etaplus),
                          np.where(sign < 0, param.dtype.type(etaminus), param.dtype.type(1)))
        step_size *= factor
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        grad = np.where(sign < 0, param.dtype.type(0), grad)
        param -= np.sign(grad) * step_size
        prev[...] = grad
