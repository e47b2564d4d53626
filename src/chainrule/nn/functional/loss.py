"""Loss functions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...ops.fused import (
    BCEWithLogits,
    BinaryCrossEntropy,
    CrossEntropy,
)
from ...tensor import Tensor
from ._checks import _check_float, _desc, _tensor

__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss"]


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
    if idx.size and (idx.min() < 0 or idx.max() >= c):  # ignore_index may explain it
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
