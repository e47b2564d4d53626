"""Stochastic weight averaging and exponential moving averages of a model's weights.

PyTorch's ``torch.optim.swa_utils``: :class:`AveragedModel` keeps a running average
(equal weights by default, or an EMA) of a model's parameters, :func:`update_bn`
recomputes batch-norm statistics for the averaged weights, and :class:`SWALR` anneals
the learning rate to a constant for the averaging phase.

>>> import chainrule as cr
>>> from chainrule import nn
>>> from chainrule.optim.swa_utils import AveragedModel
>>> model = nn.Linear(1, 1, bias=False)
>>> swa = AveragedModel(model)
>>> for value in (1.0, 2.0, 6.0):
...     with cr.no_grad():
...         _ = model.weight.fill_(value)
...     swa.update_parameters(model)
>>> swa.module.weight.item(), int(swa.n_averaged)    # the mean of 1, 2 and 6
(3.0, 3)
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..graph import no_grad
from ..nn.module import Module
from ..tensor import Tensor
from .adam import _lerp_
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """An in-place EMA over lists of Tensors: ``ema = decay * ema + (1 - decay) * current``.

    >>> import chainrule as cr
    >>> ema, cur = [cr.tensor([0.0])], [cr.tensor([1.0])]
    >>> get_ema_multi_avg_fn(0.75)(ema, cur, 1)
    >>> ema[0]
    tensor([0.25])
    """
    _check_decay(decay)

    def ema_update(ema_param_list: list[Tensor], current_param_list: list[Tensor],
                   _: Any) -> None:
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            if p_ema._array.dtype.kind in "fc":
                _lerp_(p_ema._array, p_model._array, 1 - decay)
            else:
                p_ema._array[...] = p_ema._array * decay + p_model._array * (1 - decay)
            p_ema._version += 1

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """An in-place equal-weight running average over lists of Tensors.

    >>> import chainrule as cr
    >>> avg, cur = [cr.tensor([1.0])], [cr.tensor([4.0])]
    >>> get_swa_multi_avg_fn()(avg, cur, 2)      # two values averaged so far, then a third
    >>> avg[0]
    tensor([2.])
    """

    def swa_update(averaged_param_list: list[Tensor], current_param_list: list[Tensor],
                   num_averaged: Any) -> None:
        n = int(num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            if p_avg._array.dtype.kind in "fc":
                _lerp_(p_avg._array, p_model._array, 1 / (n + 1))
            else:
                p_avg._array[...] = p_avg._array + (p_model._array - p_avg._array) / (n + 1)
            p_avg._version += 1

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """The EMA of one Tensor, returned: ``decay * ema + (1 - decay) * current``.

    >>> import chainrule as cr
    >>> get_ema_avg_fn(0.5)(cr.tensor([0.0]), cr.tensor([1.0]), 1)
    tensor([0.5])
    """
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """The running mean of one Tensor, returned: ``avg + (current - avg) / (n + 1)``.

    >>> import chainrule as cr
    >>> get_swa_avg_fn()(cr.tensor([1.0]), cr.tensor([4.0]), 2)
    tensor([2.])
    """

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (int(num_averaged) + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the average of ``model``'s over the calls
    to :meth:`update_parameters` (equal weights, or ``avg_fn`` / ``multi_avg_fn``, e.g.
    :func:`get_ema_multi_avg_fn`). Calling it runs the averaged copy.

    Buffers (batch-norm statistics) are copied from ``model`` at each update, or
    averaged like the parameters with ``use_buffers=True``. The state dict holds
    ``n_averaged`` and the copy's entries under ``module.``, as PyTorch's.

    Args:
        model: the model to average.
        device: accepted for PyTorch's signature; chainrule computes on the CPU.
        avg_fn: ``(averaged, current, n_averaged) -> new averaged`` for one Tensor.
        multi_avg_fn: the same, in place, over lists of Tensors.
        use_buffers: average the buffers too (default False: copy them).
    """

    def __init__(self, model: Module, device: Any = None,
                 avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
                 multi_avg_fn: Callable[[list, list, Any], None] | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", Tensor(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers) into the average."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine = list(self.parameters())
            theirs = list(model.parameters())
        if len(mine) != len(theirs):
            raise ValueError(f"AveragedModel.update_parameters: the model has {len(theirs)} "
                             f"parameters{' and buffers' if self.use_buffers else ''}, the "
                             f"averaged copy {len(mine)}; pass the model it was made from")
        averaged = [p.detach() for p in mine]
        current = [p.detach() for p in theirs]
        for a, c in zip(averaged, current):
            if a._array.shape != c._array.shape:
                raise ValueError(f"AveragedModel.update_parameters: a parameter of shape "
                                 f"{c._array.shape} meets one of shape {a._array.shape}")
        n = int(self.n_averaged._array)
        if n == 0:
            for a, c in zip(averaged, current):
                a._array[...] = c._array
                a._version += 1
        elif self.avg_fn is not None:
            for a, c in zip(averaged, current):
                new = self.avg_fn(a, c, self.n_averaged.detach())
                a._array[...] = new._array if isinstance(new, Tensor) else new
                a._version += 1
        elif self.multi_avg_fn is not None:
            self.multi_avg_fn(averaged, current, self.n_averaged.detach())
        else:  # PyTorch's CPU path: avg + (current - avg) / (n + 1), one tensor at a time
            for a, c in zip(averaged, current):
                a._array[...] = a._array + (c._array - a._array) / (n + 1)
                a._version += 1
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                b_avg._array[...] = b_model._array
                b_avg._version += 1
        self.n_averaged._array[...] = n + 1
        self.n_averaged._version += 1


def _is_batch_norm(module: Module) -> bool:
    return any(cls.__name__ == "_BatchNorm" for cls in type(module).__mro__)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the batch-norm running statistics of ``model`` with one pass over
    ``loader`` (a cumulative average over its batches), as after weight averaging.

    Each item of ``loader`` is an input batch, or a tuple/list whose first entry is.

    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    >>> update_bn([cr.randn(8, 2) for _ in range(3)], model)
    >>> int(model[1].num_batches_tracked)
    3
    """
    momenta = {}
    for module in model.modules():
        if _is_batch_norm(module):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs`` epochs
    (cosine or linear), then hold it: the schedule of the averaging phase of SWA.

    >>> import chainrule as cr
    >>> from chainrule.optim import SGD
    >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step()
    ...     sched.step()
    ...     lrs.append(round(sched.get_last_lr()[0], 6))
    >>> lrs
    [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, swa_lr: Any, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" \
            else self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._set_anneal_func(self._anneal_strategy)
