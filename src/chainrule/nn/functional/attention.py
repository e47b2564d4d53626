"""Scaled dot-product attention, composed from matmul and a stable softmax.

This is PyTorch's "math" formulation: the (..., L, S) attention weights are built,
so it is exact at first and second order (every piece is a Tensor op) and costs
O(L S) memory; there is no fused kernel.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...ops.fused import AttentionSoftmax
from ...tensor import Tensor
from ...tensor_methods.elementwise import where
from ._checks import _desc, _tensor
from .dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def _check_qkv(query: Tensor, key: Tensor, value: Tensor, who: str) -> None:
    if query.dtype.kind != "f":
        raise TypeError(f"{who}: expected floating-point query, key and value, got query "
                        f"{_desc(query)}")
    if not query.dtype == key.dtype == value.dtype:
        raise TypeError(f"{who}: query, key and value must have the same dtype, got query "
                        f"{_desc(query)}, key {_desc(key)} and value {_desc(value)}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ValueError(f"{who}: query, key and value must have at least 2 dims (..., L, E), "
                         f"got query {_desc(query)}, key {_desc(key)} and value {_desc(value)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{who}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got query {_desc(query)}, key {_desc(key)} and value "
                         f"{_desc(value)}")


def _repeat_heads(t: Tensor, heads: int, who: str, name: str) -> Tensor:
    """Repeat each of ``t``'s heads (dim -3) so that there are ``heads`` of them."""
    if t.ndim < 3:
        raise ValueError(f"{who}: enable_gqa needs (..., heads, S, E) inputs, got {name} "
                         f"{_desc(t)}")
    kv_heads = t.shape[-3]
    if kv_heads == heads:
        return t
    if heads % kv_heads:
        raise ValueError(f"{who}: the number of heads of {name} ({kv_heads}) must divide the "
                         f"number of query heads ({heads})")
    index = np.arange(heads) // (heads // kv_heads)
    return t[..., index, :, :]


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query key^T * scale + mask) value, over (..., L, E), (..., S, E), (..., S, Ev).

    ``scale`` defaults to 1 / sqrt(E). ``attn_mask`` is boolean (True: the position takes
    part) or floating (added to the scores), broadcastable to (..., L, S); ``is_causal``
    lets position i attend to positions j <= i (top-left aligned when L != S). A row with
    no position to attend to gives zeros (and no gradient), as in PyTorch. ``dropout_p``
    drops attention weights (always, as PyTorch's function does: pass 0 in evaluation),
    from chainrule's generator. ``enable_gqa`` repeats the key and value heads (dim -3)
    to match the query's (grouped-query attention).

    >>> import chainrule as cr
    >>> q = cr.tensor([[[1.0, 0.0]]])
    >>> k = cr.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    >>> v = cr.tensor([[[1.0], [0.0]]])
    >>> scaled_dot_product_attention(q, k, v, scale=math.log(3))
    tensor([[[0.75]]])
    """
    who = "scaled_dot_product_attention"
    query, key, value = (_tensor(t, who) for t in (query, key, value))
    _check_qkv(query, key, value, who)
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"{who}: dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{who}: give either attn_mask or is_causal=True, not both")
    if enable_gqa:
        heads = query.shape[-3] if query.ndim >= 3 else 1
        key = _repeat_heads(key, heads, who, "key")
        value = _repeat_heads(value, heads, who, "value")
    length, source = query.shape[-2], key.shape[-2]
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    scores = query @ key.transpose(-2, -1)
    keep = _keep_mask(scores, attn_mask, is_causal, who)
    if keep is not False:  # no mask, a boolean one or the causal one: one fused op
        weights = AttentionSoftmax.apply(scores, keep=keep, scale=scale)
        if dropout_p > 0:
            weights = dropout(weights, dropout_p)
        return weights @ value
    scores = scores * scale
    neg_inf = np.full((), -np.inf, scores.dtype)
    if is_causal:
        scores = where(np.tri(length, source, dtype=bool), scores, neg_inf)
    if attn_mask is not None:
        scores = _apply_mask(scores, attn_mask, who)
    weights = _safe_softmax(scores)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return weights @ value


def _keep_mask(scores: Tensor, attn_mask: Any, is_causal: bool, who: str) -> Any:
    """The boolean array of the positions that take part (None: all), or False when the
    mask is not one :class:`AttentionSoftmax` takes (a float mask, or one that would
    broadcast the scores to a larger shape)."""
    if is_causal:
        return np.tri(scores.shape[-2], scores.shape[-1], dtype=bool)
    if attn_mask is None:
        return None
    mask = attn_mask._array if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
    if mask.dtype != np.bool_:
        return False
    try:
        if np.broadcast_shapes(mask.shape, scores.shape) == tuple(scores.shape):
            return mask
    except ValueError:
        raise ValueError(f"{who}: attn_mask {_desc(attn_mask)} can't be broadcast to the "
                         f"attention weights' shape {tuple(scores.shape)} (..., L, S)") from None
    return False


def _apply_mask(scores: Tensor, attn_mask: Any, who: str) -> Tensor:
    mask = attn_mask if isinstance(attn_mask, Tensor) else _tensor(np.asarray(attn_mask), who)
    if mask.dtype != np.bool_ and mask.dtype != scores.dtype:
        raise TypeError(f"{who}: attn_mask must be boolean or of the query's dtype "
                        f"({scores.dtype.name}), got {_desc(mask)}")
    try:
        np.broadcast_shapes(mask.shape, scores.shape)
    except ValueError:
        raise ValueError(f"{who}: attn_mask {_desc(mask)} can't be broadcast to the attention "
                         f"weights' shape {tuple(scores.shape)} (..., L, S)") from None
    if mask.dtype == np.bool_:
        return where(mask._array, scores, np.full((), -np.inf, scores.dtype))
    return scores + mask


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dim; a row that is all -inf gives zeros instead of NaN."""
    dead = np.all(scores._array == -np.inf, axis=-1, keepdims=True)
    if not dead.any():
        return scores.softmax(-1)
    zero = np.zeros((), scores.dtype)
    weights = where(dead, zero, scores).softmax(-1)  # no NaN, even in the gradient
    return where(dead, zero, weights)
