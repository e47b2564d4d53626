"""``chainrule.special``: the functions of ``torch.special`` that chainrule has.

Each is the function of the same meaning at the top level (``special.erf`` is
:func:`chainrule.erf`), under PyTorch's names here (``expit`` is sigmoid,
``gammaln`` is lgamma, ``psi`` is digamma). All are differentiable at any order.

>>> import chainrule as cr
>>> cr.special.expit(cr.tensor([0.0])), cr.special.gammaln(cr.tensor([3.0]))
(tensor([0.5]), tensor([0.6931]))
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor
from .tensor_methods.elementwise import (
    _as_tensor,
    digamma,
    entr,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    lgamma,
    log1p,
    logit,
    polygamma,
    round,
    sinc,
    xlog1py,
    xlogy,
)

__all__ = ["erf", "erfc", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln", "digamma",
           "psi", "polygamma", "log1p", "expm1", "exp2", "round", "sinc", "entr", "ndtr",
           "logsumexp", "softmax", "log_softmax"]

gammaln = lgamma
psi = digamma


def expit(input: Any) -> Tensor:
    """The logistic sigmoid 1 / (1 + exp(-x)), the inverse of :func:`logit`."""
    return _as_tensor(input).sigmoid()


def ndtr(input: Any) -> Tensor:
    """The standard normal CDF, 0.5 * erfc(-x / sqrt(2)) (accurate in the lower tail, where
    PyTorch's 0.5 * (1 + erf(x / sqrt(2))) is 0 below about -8.3)."""
    return erfc(_as_tensor(input) * -_SQRT_HALF) * 0.5


_SQRT_HALF = 0.7071067811865476


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim``, finite for large |x|."""
    return _as_tensor(input).logsumexp(dim, keepdim=keepdim)


def softmax(input: Any, dim: int, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (computed in ``dtype`` when given)."""
    x = _as_tensor(input)
    return (x if dtype is None else x.type(dtype)).softmax(dim)


def log_softmax(input: Any, dim: int, dtype: Any = None) -> Tensor:
    """log(softmax(x)) along ``dim``, without overflow (computed in ``dtype`` when given)."""
    x = _as_tensor(input)
    return (x if dtype is None else x.type(dtype)).log_softmax(dim)
