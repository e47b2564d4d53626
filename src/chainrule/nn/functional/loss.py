"""Loss functions.

Cross-entropy and the binary cross-entropies are fused ops; every other loss is
composed from Tensor ops (softplus from :mod:`chainrule.ops.functional_kernels`), so
it is differentiable at any order. The losses added after the first ones take
PyTorch's deprecated ``size_average`` and ``reduce`` too (in their positions), with
PyTorch's warning and meaning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ...ops.functional_kernels import LOG_ZERO, CTCLoss, CTCPlan, Softplus
from ...ops.fused import (
    BCEWithLogits,
    BinaryCrossEntropy,
    CrossEntropy,
)
from ...tensor import Tensor
from ...tensor_methods.elementwise import minimum, where
from ._checks import _check_float, _desc, _tensor
from .distance import pairwise_distance

__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss", "smooth_l1_loss", "huber_loss", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "multi_margin_loss", "multilabel_margin_loss", "ctc_loss"]


def _reduce(loss: Tensor, reduction: str, who: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_reduction(reduction: str, who: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_pair(input: Tensor, target: Tensor, who: str, strict: bool = False) -> None:
    if input.shape == target.shape:
        return
    if strict:
        raise ValueError(f"{who}: target {_desc(target)} must have the same shape as input "
                         f"{_desc(input)}")
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ValueError(f"{who}: target {_desc(target)} can't be broadcast to input "
                         f"{_desc(input)}; give them the same shape") from None
    import warnings

    warnings.warn(f"{who}: target {_desc(target)} differs from input {_desc(input)}; they are "
                  "broadcast, which is probably not what you want", UserWarning, stacklevel=3)


def _target(target: Any, input: Tensor, who: str) -> Tensor:
    target = _tensor(target, who)
    if target.dtype.kind != "f":
        raise TypeError(f"{who}: expected a floating-point target, got {_desc(target)}; "
                        "convert it with .float()")
    return target


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or none) of (input - target)^2.

    >>> import chainrule as cr
    >>> mse_loss(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 0.0])).item()
    2.5
    """
    input, target = _tensor(input, "mse_loss"), _target(target, input, "mse_loss")
    _check_reduction(reduction, "mse_loss")
    _check_pair(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or none) of |input - target|; the gradient at 0 is 0."""
    input, target = _tensor(input, "l1_loss"), _target(target, input, "l1_loss")
    _check_reduction(reduction, "l1_loss")
    _check_pair(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p; each log is clamped at -100.

    >>> import chainrule as cr
    >>> round(binary_cross_entropy(cr.tensor([0.8]), cr.tensor([1.0])).item(), 4)
    0.2231
    """
    who = "binary_cross_entropy"
    input, target = _tensor(input, who), _target(target, input, who)
    _check_reduction(reduction, who)
    _check_pair(input, target, who, strict=True)
    if input._array.size and (input._array.min() < 0 or input._array.max() > 1):
        raise ValueError(f"{who}: all elements of input should be between 0 and 1 (they are "
                         "probabilities; for logits use binary_cross_entropy_with_logits)")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, who)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable op; finite for logits of any size.

    >>> import chainrule as cr
    >>> binary_cross_entropy_with_logits(cr.tensor([1e4, -1e4]), cr.tensor([1.0, 0.0])).item()
    0.0
    """
    who = "binary_cross_entropy_with_logits"
    input, target = _tensor(input, who), _target(target, input, who)
    _check_reduction(reduction, who)
    _check_pair(input, target, who, strict=True)
    loss = BCEWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, who)


def _class_targets(input: Tensor, target: Tensor, ignore_index: int, who: str) -> tuple:
    """Validate logits (N, C, ...) / (C,) and integer targets; return (M, C) logits,
    (M,) targets and the shape of the unreduced loss."""
    if input.ndim == 0:
        raise ValueError(f"{who}: expected input of shape (N, C) or (N, C, ...), got a scalar")
    idx = target._array
    batch_shape = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if idx.shape != batch_shape:
        raise ValueError(
            f"{who}: expected target of shape {batch_shape} for input of {_desc(input)}, got "
            f"target {_desc(target)}"
        )
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    # the ufunc reductions: idx.min() and idx.max() go through Python wrappers
    if idx.size and (np.minimum.reduce(idx, axis=None) < 0
                     or np.maximum.reduce(idx, axis=None) >= c):  # ignore_index may explain it
        valid = idx[idx != ignore_index]
        if valid.size and (valid.min() < 0 or valid.max() >= c):
            bad = valid.min() if valid.min() < 0 else valid.max()
            raise IndexError(f"{who}: target {int(bad)} is out of bounds for {c} classes "
                             f"(valid targets are 0..{c - 1} and ignore_index={ignore_index})")
    if input.ndim == 1:
        return input.reshape(1, c), idx.reshape(1), batch_shape
    if input.ndim == 2:
        return input, idx, batch_shape
    if input.ndim > 2:
        perm = (0,) + tuple(range(2, input.ndim)) + (1,)
        input = input.permute(perm)
    return input.reshape(-1, c), idx.reshape(-1), batch_shape


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C, ...) against class indices (N, ...),
    or against class probabilities of the input's shape.

    With class indices it is one fused op: a stable log-softmax forward and the VJP
    ``(softmax - onehot) * g / N``; finite for logits of magnitude 1e4.
    """
    who = "cross_entropy"
    input = _tensor(input, who)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    _check_float(input, who)
    _check_reduction(reduction, who)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: label_smoothing must be in [0, 1], got {label_smoothing}")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    w = None
    if weight is not None:
        w = weight._array if isinstance(weight, Tensor) else np.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"{who}: weight must have shape ({c},) for {c} classes, got "
                             f"{tuple(w.shape)}")
        w = w.astype(input.dtype, copy=False)
    if target.dtype.kind == "f":
        return _soft_cross_entropy(input, target, w, reduction, label_smoothing)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold class indices (int64) or probabilities "
                        f"(float), got {_desc(target)}")
    logits, idx, batch_shape = _class_targets(input, target, ignore_index, who)
    loss = CrossEntropy.apply(logits, idx, weight=w, ignore_index=ignore_index,
                                label_smoothing=float(label_smoothing), reduction=reduction)
    if reduction == "none":
        return loss.reshape(batch_shape)
    return loss


def _soft_cross_entropy(input: Tensor, target: Tensor, w: Any, reduction: str,
                        label_smoothing: float) -> Tensor:
    who = "cross_entropy"
    if target.shape != input.shape:
        hint = ("; class indices must be integers: convert the target with .long()"
                if target.ndim == input.ndim - 1 else "")
        raise ValueError(f"{who}: a probability target must have the input's shape "
                         f"{tuple(input.shape)}, got {_desc(target)}{hint}")
    dim = 1 if input.ndim > 1 else 0
    c = input.shape[dim]
    logp = input.log_softmax(dim)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / c
    terms = logp * target
    if w is not None:
        terms = terms * w.reshape((c,) + (1,) * (input.ndim - dim - 1))
    loss = -terms.sum(dim)
    if reduction == "mean":
        n = loss.numel()
        return loss.sum() * (1.0 / n if n else np.nan)
    return _reduce(loss, reduction, who)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-input[i, target[i]], weighted; ``'mean'`` divides by the total weight of the
    targets that are not ``ignore_index`` (PyTorch's rule).

    >>> import chainrule as cr
    >>> nll_loss(cr.tensor([[-1.0, -2.0], [-3.0, -4.0]]), cr.tensor([1, 0])).item()
    2.5
    """
    who = "nll_loss"
    input = _tensor(input, who)
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    _check_float(input, who)
    _check_reduction(reduction, who)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold class indices (int64), got {_desc(target)}")
    logp, idx, batch_shape = _class_targets(input, target, ignore_index, who)
    c = logp.shape[1]
    valid = idx != ignore_index
    safe = np.where(valid, idx, 0)
    wt = valid.astype(input.dtype)
    if weight is not None:
        w = weight._array if isinstance(weight, Tensor) else np.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"{who}: weight must have shape ({c},), got {tuple(w.shape)}")
        wt = wt * w.astype(input.dtype)[safe]
    picked = logp.gather(1, safe[:, None]).reshape(-1)
    loss = -(picked * wt)
    if reduction == "none":
        return loss.reshape(batch_shape)
    if reduction == "sum":
        return loss.sum()
    total = float(wt.sum())
    return loss.sum() * (1.0 / total if total else np.nan)


# ---------------------------------------------------------------------------
# Shared pieces of the losses below
# ---------------------------------------------------------------------------

def _legacy(size_average: bool | None, reduce: bool | None, reduction: str, who: str) -> str:
    """``reduction`` from PyTorch's deprecated ``size_average`` / ``reduce``, if either is set."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(f"{who}: size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


def _float_pair(input: Any, target: Any, who: str) -> tuple[Tensor, Tensor]:
    """Floating input and target of the same shape (or broadcastable, with a warning)."""
    input = _tensor(input, who)
    _check_float(input, who)
    target = _target(target, input, who)
    _check_pair(input, target, who)
    return input, target


def _sign_target(target: Any, who: str) -> Tensor:
    target = target if isinstance(target, Tensor) else _tensor(np.asarray(target), who)
    if target.dtype.kind not in "iuf":
        raise TypeError(f"{who}: target must hold 1 or -1 (numbers), got {_desc(target)}")
    return target


def _detached_clamp_min(x: Tensor, low: float) -> Tensor:
    """max(x, low) in value, x in gradient: PyTorch's clamp under no_grad."""
    clamped = np.maximum(x._array, low).astype(x.dtype, copy=False)
    if not (clamped != x._array).any():
        return x
    return x + (clamped - x._array)


def _xlogy_self(t: Tensor) -> Tensor:
    """t log t, 0 where t == 0 (PyTorch's xlogy(t, t)); its gradient there is 0."""
    zero = t._array == 0
    return t * where(zero, np.ones((), t.dtype), t).log()


# ---------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------

def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target);
    ``beta = 0`` is the L1 loss.

    >>> import chainrule as cr
    >>> smooth_l1_loss(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0]), reduction="none")
    tensor([0.125, 2.5  ])
    """
    who = "smooth_l1_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    if beta < 0:
        raise ValueError(f"{who}: beta must not be negative, got {beta}")
    input, target = _float_pair(input, target, who)
    diff = input - target
    if beta == 0:
        return _reduce(diff.abs(), reduction, who)
    small = np.abs(diff._array) < beta
    loss = where(small, diff * diff * (0.5 / beta), diff.abs() - 0.5 * beta)
    return _reduce(loss, reduction, who)


def _weighted(loss: Tensor, weight: Any, input: Tensor, reduction: str, who: str) -> Tensor:
    if weight is None:
        return _reduce(loss, reduction, who)
    weight = _tensor(weight, who)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{who}: weight {_desc(weight)} must have the input's shape "
                         f"{tuple(input.shape)}")
    return _reduce(loss * weight, reduction, who)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target),
    times ``weight`` (of the input's shape) when given.

    >>> import chainrule as cr
    >>> huber_loss(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0]), reduction="none", delta=2.0)
    tensor([0.125, 4.   ])
    """
    who = "huber_loss"
    _check_reduction(reduction, who)
    if delta <= 0:
        raise ValueError(f"{who}: delta must be positive, got {delta}")
    input, target = _float_pair(input, target, who)
    diff = input - target
    small = np.abs(diff._array) < delta
    loss = where(small, diff * diff * 0.5, (diff.abs() - 0.5 * delta) * delta)
    return _weighted(loss, weight, input, reduction, who)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || input) pointwise, for ``input`` log-probabilities: target (log target
    - input), 0 where target is 0; with ``log_target``, ``target`` holds log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the KL divergence);
    ``'mean'`` divides by the number of elements, with PyTorch's warning.

    >>> import chainrule as cr
    >>> p = cr.tensor([[0.5, 0.5]])
    >>> kl_div(cr.tensor([[0.25, 0.75]]).log(), p, reduction="batchmean").item() > 0
    True
    """
    who = "kl_div"
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce, reduction, who)
    elif reduction == "mean":
        warnings.warn(f"{who}: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, and "
                      "aligns with the KL div math definition (as PyTorch warns).",
                      UserWarning, stacklevel=2)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{who}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}")
    input, target = _float_pair(input, target, who)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogy_self(target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction, who)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under Poisson(rate): exp(input) - target input
    for a log-rate input (``log_input``), else input - target log(input + eps); ``full``
    adds Stirling's approximation of log(target!) where target > 1.

    >>> import chainrule as cr
    >>> poisson_nll_loss(cr.tensor([0.0]), cr.tensor([2.0])).item()
    1.0
    """
    who = "poisson_nll_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    input, target = _float_pair(input, target, who)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target._array > 1
        safe = where(big, target, np.full((), 2, target.dtype))
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + where(big, stirling, np.zeros((), target.dtype))
    return _reduce(loss, reduction, who)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var): 0.5 (log var + (input -
    target)^2 / var), plus 0.5 log(2 pi) with ``full``.

    ``var`` has the input's shape, or one dim short, or a size-1 dim (one variance shared
    along it), or is a float. It is clamped to at least ``eps`` without changing its
    gradient (PyTorch clamps it under no_grad).

    >>> import chainrule as cr
    >>> gaussian_nll_loss(cr.tensor([1.0]), cr.tensor([3.0]), 2.0).item() > 0
    True
    """
    who = "gaussian_nll_loss"
    input = _tensor(input, who)
    _check_float(input, who)
    target = _target(target, input, who)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"{who}: var has negative entries ({var})")
        var = _tensor(np.full(input.shape, var, input.dtype), who)
    else:
        var = _tensor(var, who)
        if (var._array < 0).any():
            raise ValueError(f"{who}: var has negative entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim
                  and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"{who}: var {_desc(var)} must have the input's shape "
                             f"{tuple(input.shape)}, that shape without its last dim, or "
                             "that shape with one dim of size 1")
    _check_reduction(reduction, who)
    var = _detached_clamp_min(var, eps)
    diff = input - target
    loss = (var.log() + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, who)


# ---------------------------------------------------------------------------
# Classification by margins
# ---------------------------------------------------------------------------

def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)) for targets 1 or -1; finite for inputs of any size.

    >>> import chainrule as cr
    >>> round(soft_margin_loss(cr.tensor([0.0]), cr.tensor([1.0])).item(), 4)
    0.6931
    """
    who = "soft_margin_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    input, target = _float_pair(input, target, who)
    loss = Softplus.apply(-(input * target), beta=1.0, threshold=math.inf)
    return _reduce(loss, reduction, who)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(input) against 0/1 targets, averaged over the
    classes (last dim): one loss per sample, then reduced.

    >>> import chainrule as cr
    >>> round(multilabel_soft_margin_loss(cr.tensor([[0.0, 0.0]]), cr.tensor([[1.0, 0.0]])
    ...       ).item(), 4)
    0.6931
    """
    who = "multilabel_soft_margin_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    input, target = _float_pair(input, target, who)
    if input.ndim == 0:
        raise ValueError(f"{who}: expected input of shape (C,) or (N, C), got a scalar")
    # -(y log sigmoid(x) + (1 - y) log sigmoid(-x)), each log sigmoid = -softplus(-x)
    loss = (target * Softplus.apply(-input, beta=1.0, threshold=math.inf)
            + (1 - target) * Softplus.apply(input, beta=1.0, threshold=math.inf))
    if weight is not None:
        loss = loss * _tensor(weight, who)
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, reduction, who)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """x where target is 1, max(0, margin - x) where target is -1 (x: a distance).

    >>> import chainrule as cr
    >>> hinge_embedding_loss(cr.tensor([0.3, 0.3]), cr.tensor([1, -1]), reduction="none")
    tensor([0.3, 0.7])
    """
    who = "hinge_embedding_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    input = _tensor(input, who)
    _check_float(input, who)
    target = _sign_target(target, who)
    t = np.broadcast_to(target._array, np.broadcast_shapes(input.shape, target.shape))
    zero = np.zeros((), input.dtype)
    hinge = (margin - input).clamp(min=0)
    loss = where(t != 1, hinge, zero) + where(t != -1, input, zero)
    return _reduce(loss, reduction, who)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1.

    Inputs are (N, D) with targets (N,), or (D,) with a 0-D target.

    >>> import chainrule as cr
    >>> x = cr.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> cosine_embedding_loss(x, cr.tensor([[1.0, 1.0]]).expand(2, 2), cr.tensor([1, -1]),
    ...                       reduction="none")
    tensor([0.2929, 0.7071])
    """
    who = "cosine_embedding_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    x1, x2 = _tensor(input1, who), _tensor(input2, who)
    _check_float(x1, who)
    target = _sign_target(target, who)
    if x1.shape != x2.shape or x1.ndim not in (1, 2) or target.ndim != x1.ndim - 1 \
            or (x1.ndim == 2 and target.shape[0] != x1.shape[0]):
        raise ValueError(f"{who}: expected inputs of the same shape, (N, D) with target (N,) "
                         f"or (D,) with a 0-D target; got input1 {_desc(x1)}, input2 "
                         f"{_desc(x2)} and target {_desc(target)}")
    dim = x1.ndim - 1
    eps = 1e-12  # PyTorch's EPSILON, added to each squared norm
    dot = (x1 * x2).sum(dim)
    cos = dot / (((x1 * x1).sum(dim) + eps) * ((x2 * x2).sum(dim) + eps)).sqrt()
    zero = np.zeros((), cos.dtype)
    t = target._array
    loss = where(t == 1, 1 - cos, zero) + where(t == -1, (cos - margin).clamp(min=0), zero)
    return _reduce(loss, reduction, who)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin): input1 should rank higher where target
    is 1, lower where it is -1.

    >>> import chainrule as cr
    >>> margin_ranking_loss(cr.tensor([1.0, 1.0]), cr.tensor([0.0, 0.0]), cr.tensor([1.0, -1.0]),
    ...                     reduction="none")
    tensor([0., 1.])
    """
    who = "margin_ranking_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    x1, x2 = _tensor(input1, who), _tensor(input2, who)
    _check_float(x1, who)
    target = _sign_target(target, who)
    if not x1.ndim == x2.ndim == target.ndim:
        raise ValueError(f"{who}: all inputs must have the same number of dims, got input1 "
                         f"{_desc(x1)}, input2 {_desc(x2)} and target {_desc(target)}")
    loss = (-target * (x1 - x2) + margin).clamp(min=0)
    return _reduce(loss, reduction, who)


def _triplet(anchor: Any, positive: Any, negative: Any, margin: float, swap: bool,
             reduction: str, distance: Callable[[Tensor, Tensor], Tensor], who: str) -> Tensor:
    _check_reduction(reduction, who)
    if margin <= 0:
        raise ValueError(f"{who}: margin must be greater than 0, got {margin}")
    a, p, n = (_tensor(t, who) for t in (anchor, positive, negative))
    if not a.ndim == p.ndim == n.ndim:
        raise ValueError(f"{who}: anchor, positive and negative must have the same number of "
                         f"dims, got anchor {_desc(a)}, positive {_desc(p)} and negative "
                         f"{_desc(n)}")
    dist_pos = distance(a, p)
    dist_neg = distance(a, n)
    if swap:
        dist_neg = minimum(dist_neg, distance(p, n))
    loss = (dist_pos - dist_neg + margin).clamp(min=0)
    return _reduce(loss, reduction, who)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with d the :func:`pairwise_distance` of norm ``p``;
    ``swap`` uses min(d(a, n), d(p, n)) for the negative distance.

    >>> import chainrule as cr
    >>> a, p, n = cr.tensor([[0.0, 0.0]]), cr.tensor([[3.0, 4.0]]), cr.tensor([[1.0, 0.0]])
    >>> round(triplet_margin_loss(a, p, n).item(), 4)
    5.0
    """
    who = "triplet_margin_loss"
    reduction = _legacy(size_average, reduce, reduction, who)

    def distance(x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, p, eps)

    return _triplet(anchor, positive, negative, margin, swap, reduction, distance, who)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor]
                                      | None = None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """:func:`triplet_margin_loss` with any distance (``pairwise_distance`` by default)."""
    distance = pairwise_distance if distance_function is None else distance_function
    return _triplet(anchor, positive, negative, margin, swap, reduction, distance,
                    "triplet_margin_with_distance_loss")


def _class_rows(input: Tensor, target: Any, who: str) -> tuple[Tensor, np.ndarray]:
    """(N, C) scores and (N,) class indices from (C,) / (N, C) input and 0-D / (N,) target."""
    input = _tensor(input, who)
    _check_float(input, who)
    idx = target._array if isinstance(target, Tensor) else np.asarray(target)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold class indices (int64), got dtype "
                        f"{idx.dtype.name}")
    if input.ndim not in (1, 2) or idx.size != (input.shape[0] if input.ndim == 2 else 1) \
            or idx.ndim > 1:
        raise ValueError(f"{who}: expected input (C,) with a 0-D or (1,) target, or (N, C) "
                         f"with target (N,); got input {_desc(input)} and target shape "
                         f"{idx.shape}")
    c = input.shape[-1]
    if idx.size and (idx.min() < 0 or idx.max() >= c):
        raise IndexError(f"{who}: target values must be class indices in [0, {c - 1}], got "
                         f"values in [{idx.min()}, {idx.max()}]")
    return input.reshape(-1, c), idx.reshape(-1)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: sum over classes i != y of max(0, margin - x[y] + x[i])^p,
    over C (times ``weight[y]``), for each sample; p is 1 or 2.

    >>> import chainrule as cr
    >>> round(multi_margin_loss(cr.tensor([[0.1, 0.2, 0.4, 0.8]]), cr.tensor([3])).item(), 4)
    0.325
    """
    who = "multi_margin_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    if p not in (1, 2):
        raise ValueError(f"{who}: only p == 1 and p == 2 are supported, got p={p}")
    squeeze = _tensor(input, who).ndim == 1
    scores, idx = _class_rows(input, target, who)
    n, c = scores.shape
    rows = np.arange(n)
    picked = scores[rows, idx].reshape(n, 1)
    hinge = (scores - picked + margin).relu()
    if p == 2:
        hinge = hinge * hinge
    others = np.ones((n, c), scores.dtype)
    others[rows, idx] = 0
    terms = hinge * others
    if weight is not None:
        weight = _tensor(weight, who)
        if weight.ndim != 1 or weight.shape[0] != c:
            raise ValueError(f"{who}: weight must be 1-D with one value per class ({c}), got "
                             f"{_desc(weight)}")
        terms = terms * weight[idx].reshape(n, 1)
    loss = terms.sum(1) / c
    if squeeze and reduction == "none":
        loss = loss.reshape(())
    return _reduce(loss, reduction, who)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: for each target class j and each non-target class i,
    max(0, 1 - (x[j] - x[i])), summed and divided by C.

    ``target`` has the input's shape and lists the target classes first, ended by the
    first -1 (as in PyTorch; a class listed twice counts twice).

    >>> import chainrule as cr
    >>> multilabel_margin_loss(cr.tensor([[0.1, 0.2, 0.4, 0.8]]), cr.tensor([[3, 0, -1, 1]]))
    tensor(0.85)
    """
    who = "multilabel_margin_loss"
    reduction = _legacy(size_average, reduce, reduction, who)
    _check_reduction(reduction, who)
    input = _tensor(input, who)
    _check_float(input, who)
    idx = target._array if isinstance(target, Tensor) else np.asarray(target)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold class indices (int64), got dtype "
                        f"{idx.dtype.name}")
    if input.ndim not in (0, 1, 2) or idx.shape != tuple(input.shape):
        raise ValueError(f"{who}: expected input (C,) or (N, C) and a target of the same "
                         f"shape, got input {_desc(input)} and target shape {idx.shape}")
    scores = input.reshape(-1, input.shape[-1] if input.ndim else 1)
    idx = idx.reshape(scores.shape)
    n, c = scores.shape
    listed = np.cumprod(idx >= 0, axis=1).astype(bool)  # entries before the first -1
    if (idx[listed] >= c).any():
        raise IndexError(f"{who}: target values must be class indices in [0, {c - 1}] (or -1 "
                         f"to end the list), got {int(idx[listed].max())}")
    rows = np.repeat(np.arange(n), c)[listed.reshape(-1)]
    count = np.zeros((n, c), scores.dtype)
    np.add.at(count, (rows, idx[listed]), 1)
    other = (count == 0).astype(scores.dtype)
    # pairs[n, j, i] = max(0, 1 - x[j] + x[i]), weighted by count[n, j] * other[n, i]
    pairs = (scores.unsqueeze(1) - scores.unsqueeze(2) + 1).relu()
    loss = (pairs * (count[:, :, None] * other[:, None, :])).sum((1, 2)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction, who)


# ---------------------------------------------------------------------------
# Connectionist temporal classification
# ---------------------------------------------------------------------------

def _lengths(lengths: Any, n: int, name: str, who: str) -> np.ndarray:
    arr = lengths._array if isinstance(lengths, Tensor) else np.asarray(lengths)
    arr = arr.reshape(-1)
    if arr.dtype.kind not in "iu" or arr.size != n:
        raise ValueError(f"{who}: {name} must hold {n} integer lengths (one per sequence), got "
                         f"shape {arr.shape} ({arr.dtype.name})")
    if (arr < 0).any():
        raise ValueError(f"{who}: {name} must not be negative, got {arr.tolist()}")
    return arr.astype(np.int64)


def _ctc_labels(targets: Any, target_lengths: np.ndarray, n: int, batched: bool,
                who: str) -> list[np.ndarray]:
    """One label sequence per batch entry, from padded (N, S) or concatenated targets."""
    tgt = targets._array if isinstance(targets, Tensor) else np.asarray(targets)
    if tgt.dtype.kind not in "iu":
        raise TypeError(f"{who}: targets must hold integer class indices, got dtype "
                        f"{tgt.dtype.name}")
    if batched and tgt.ndim == 2:
        if tgt.shape[0] != n or (target_lengths > tgt.shape[1]).any():
            raise ValueError(f"{who}: padded targets {tgt.shape} must have {n} rows and at "
                             f"least max(target_lengths) = {target_lengths.max()} columns")
        return [tgt[i, :target_lengths[i]] for i in range(n)]
    if tgt.ndim != 1:
        raise ValueError(f"{who}: targets must be (N, S) padded or 1-D concatenated, got "
                         f"shape {tgt.shape}")
    if not batched:
        if target_lengths[0] > tgt.size:
            raise ValueError(f"{who}: target_lengths {target_lengths[0]} is longer than the "
                             f"targets ({tgt.size})")
        return [tgt[:target_lengths[0]]]
    if target_lengths.sum() > tgt.size:
        raise ValueError(f"{who}: concatenated targets hold {tgt.size} labels, fewer than "
                         f"sum(target_lengths) = {target_lengths.sum()}")
    ends = np.cumsum(target_lengths)
    return [tgt[end - length:end] for end, length in zip(ends, target_lengths)]


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification: -log of the total probability of every
    alignment of each target sequence to its input frames.

    ``log_probs`` is (T, N, C) (or (T, C) for one sequence) log-probabilities, as from
    ``log_softmax(dim=2)``; ``targets`` is (N, S) padded or 1-D concatenated; the
    lengths are tensors, lists or tuples. One op
    (:class:`~chainrule.ops.functional_kernels.CTCLoss`) runs the forward (alpha)
    recursion in log space; its VJP runs the backward (beta) recursion and is itself
    differentiable, so second derivatives are exact too. ``'mean'`` divides each loss by its target
    length, then averages over the batch (PyTorch's rule). An impossible alignment
    gives an infinite loss with zero gradient, or 0 with ``zero_infinity``.

    The gradient is the true one with respect to ``log_probs``; PyTorch's kernel
    returns it already projected through a log_softmax, so the two agree on the
    gradient of the logits before it (the usual use), not on ``log_probs`` itself.

    >>> import chainrule as cr
    >>> lp = cr.tensor([[[0.5, 0.5]], [[0.5, 0.5]]]).log()  # T=2, N=1, C=2
    >>> round(ctc_loss(lp, cr.tensor([[1]]), [2], [1], reduction="sum").item(), 4)
    0.2877
    """
    who = "ctc_loss"
    _check_reduction(reduction, who)
    lp = _tensor(log_probs, who)
    _check_float(lp, who)
    if lp.ndim not in (2, 3):
        raise ValueError(f"{who}: log_probs must be (T, N, C) or (T, C), got {_desc(lp)}")
    batched = lp.ndim == 3
    if not batched:
        lp = lp.unsqueeze(1)
    steps, n, c = lp.shape
    if not 0 <= blank < c:
        raise ValueError(f"{who}: blank must be a class index in [0, {c - 1}], got {blank}")
    in_len = _lengths(input_lengths, n, "input_lengths", who)
    tgt_len = _lengths(target_lengths, n, "target_lengths", who)
    if (in_len > steps).any():
        raise ValueError(f"{who}: input_lengths must be at most T = {steps}, got "
                         f"{in_len.tolist()}")
    labels = _ctc_labels(targets, tgt_len, n, batched, who)
    for seq in labels:
        if seq.size and (seq.min() < 0 or seq.max() >= c or (seq == blank).any()):
            raise ValueError(f"{who}: target labels must be class indices in [0, {c - 1}] "
                             f"other than blank={blank}, got {seq.tolist()}")
    nll = CTCLoss.apply(lp, plan=CTCPlan(labels, in_len, c, blank, lp.dtype))
    infinite = nll._array > -LOG_ZERO / 10  # no alignment reaches the end
    if infinite.any():
        fill = 0.0 if zero_infinity else np.inf
        nll = where(infinite, np.full((), fill, nll.dtype), nll)
    if not batched:
        nll = nll.reshape(())
    if reduction == "mean":
        per_label = nll / np.maximum(tgt_len, 1).astype(nll.dtype).reshape(nll.shape)
        return per_label.mean()
    return _reduce(nll, reduction, who)
