"""AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

>>> import chainrule as cr
>>> from chainrule.optim import AdamW
>>> w = cr.tensor([1.0], requires_grad=True)
>>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
>>> w.grad = cr.tensor([0.0])   # no gradient signal: only the decay acts
>>> opt.step()
>>> w
tensor([0.95], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam whose weight decay shrinks the weights directly (``p *= 1 - lr * wd``)
    instead of adding ``wd * p`` to the gradient. Default ``weight_decay`` is 1e-2.

    Same arguments as :class:`Adam`.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
