"""The two halves of ``clip_grad_norm_``, as PyTorch splits them: ``get_total_norm`` of a
list of gradients, and ``clip_grads_with_norm_`` given that norm.

>>> import chainrule as cr
>>> from chainrule.nn.utils import get_total_norm, clip_grads_with_norm_
>>> w = cr.zeros(2, requires_grad=True)
>>> w.grad = cr.tensor([3.0, 4.0])
>>> norm = get_total_norm([w.grad])
>>> norm
tensor(5.)
>>> clip_grads_with_norm_([w], 1.0, norm)
>>> w.grad
tensor([0.6, 0.8])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ...dtypes import default_float
from ...tensor import Tensor

__all__ = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm"]


def _listed(tensors: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of the tensors taken together (the norm of their norms);
    ``inf`` gives the largest absolute entry. Not recorded.

    >>> import chainrule as cr
    >>> get_total_norm([cr.tensor([1.0, -2.0]), cr.tensor([2.0])], norm_type=float("inf"))
    tensor(2.)
    """
    return _total_norm([t for t in _listed(tensors) if t is not None], norm_type,
                       error_if_nonfinite, "get_total_norm")


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Any, foreach: bool | None = None) -> None:
    """Scale every gradient in place by ``min(1, max_norm / (total_norm + 1e-6))``.

    >>> import chainrule as cr
    >>> w = cr.zeros(2, requires_grad=True)
    >>> w.grad = cr.tensor([3.0, 4.0])
    >>> clip_grads_with_norm_([w], 10.0, 5.0)
    >>> w.grad
    tensor([3., 4.])
    """
    _scale_([p.grad for p in _listed(parameters) if p.grad is not None], max_norm, total_norm)


def _total_norm(tensors: list[Tensor], norm_type: float, error_if_nonfinite: bool,
                op: str) -> Tensor:
    """The total norm behind ``get_total_norm`` and ``clip_grad_norm_`` (``op`` names the
    caller in the error)."""
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(np.array(0.0, dtype=default_float()))
    arrays = [t._array for t in tensors]
    dtype = np.result_type(*[a.dtype for a in arrays])
    if norm_type == math.inf:
        norms = [np.abs(a).max() if a.size else dtype.type(0) for a in arrays]
        total = np.max(np.array(norms, dtype=dtype))
    else:
        norms = [np.sum(np.abs(a) ** norm_type) for a in arrays]
        total = np.sum(np.array(norms, dtype=dtype)) ** (1.0 / norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"{op}: the total norm of order {norm_type} of the gradients is "
            f"{float(total)}, so they cannot be clipped. Set error_if_nonfinite=False to clip "
            "anyway.")
    return Tensor(total)


def _scale_(grads: list[Tensor], max_norm: float, total_norm: Any) -> None:
    """Multiply each gradient in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g._array *= coef
        g._version += 1


def clip_grad_norm(parameters: Tensor | Iterable[Tensor], max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The old name of :func:`clip_grad_norm_` (with PyTorch's deprecation warning).

    >>> import warnings, chainrule as cr
    >>> w = cr.zeros(1, requires_grad=True)
    >>> w.grad = cr.tensor([2.0])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clip_grad_norm([w], 1.0)
    tensor(2.)
    """
    from . import clip_grad_norm_

    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)
