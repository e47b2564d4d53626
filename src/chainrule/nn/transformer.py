"""Attention and transformers: MultiheadAttention, the encoder and decoder layers and stacks,
and Transformer, as in PyTorch.

Names, constructor arguments, defaults, initialisation, ``state_dict`` keys
(``self_attn.in_proj_weight``, ``self_attn.out_proj.weight``, ``linear1.bias``,
``norm2.weight``, ``layers.0....``) and the methods real code overrides (``_sa_block``,
``_mha_block``, ``_ff_block``) are PyTorch's, so a model and its weights move either way.
Everything is composed from Tensor ops, so it is differentiable at any order.

One difference: a query that may attend to no key at all (every key masked) gets zeros
(and no gradient) instead of PyTorch's NaN.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32,
...                                    batch_first=True)
>>> encoder = nn.TransformerEncoder(layer, num_layers=2)
>>> mask = nn.Transformer.generate_square_subsequent_mask(5)
>>> encoder(cr.randn(3, 5, 16), mask=mask, is_causal=True).shape
(3, 5, 16)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..creation import zeros
from ..devices import check_device
from ..tensor import Tensor
from ..tensor_methods.shape import cat
from . import functional as F
from . import init
from .functional._checks import _desc, _tensor
from .functional.attention import _safe_softmax
from .layers import Dropout, LayerNorm, Linear, _dtype
from .module import Module, ModuleList
from .parameter import Parameter

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
           "TransformerDecoderLayer", "TransformerDecoder", "Transformer"]


class NonDynamicallyQuantizableLinear(Linear):
    """MultiheadAttention's output projection: a Linear (PyTorch's name, kept for reprs).

    >>> NonDynamicallyQuantizableLinear(4, 2)
    NonDynamicallyQuantizableLinear(in_features=4, out_features=2, bias=True)
    """


# ---------------------------------------------------------------------------
# MultiheadAttention
# ---------------------------------------------------------------------------


def _additive_mask(mask: Any, dtype: np.dtype, who: str, name: str) -> Any:
    """A mask as something to add to the scores: bool True (not allowed) becomes -inf."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        mask = _tensor(np.asarray(mask), who)
    if mask.dtype == np.bool_:
        return np.where(mask._array, np.array(-np.inf, dtype), np.array(0, dtype))
    if mask.dtype.kind != "f":
        raise TypeError(f"{who}: only bool and floating types of {name} are supported, got "
                        f"{_desc(mask)}")
    if mask.dtype != dtype:
        raise TypeError(f"{who}: {name} {_desc(mask)} must be boolean or have the query's "
                        f"dtype ({dtype.name})")
    return mask if mask.requires_grad else mask._array


class MultiheadAttention(Module):
    """Attention from ``num_heads`` heads side by side: ``concat(head_1..h) W_O^T``,
    ``head_i = softmax(Q_i K_i^T / sqrt(d_head) + mask) V_i``.

    Masks, as PyTorch: ``attn_mask`` (L, S) or (N * num_heads, L, S), boolean (True:
    may *not* attend) or floating (added to the scores); ``key_padding_mask`` (N, S),
    True for keys to ignore. ``is_causal`` is a hint that ``attn_mask`` is the causal
    mask (it must be given too). Returns ``(output, weights)``; weights are averaged
    over the heads unless ``average_attn_weights=False``, and None when
    ``need_weights=False``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
    >>> out, w = mha(cr.randn(3, 5, 8), cr.randn(3, 7, 8), cr.randn(3, 7, 8))
    >>> out.shape, w.shape
    ((3, 5, 8), (3, 5, 7))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device, "MultiheadAttention")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater "
                             f"than 0, got embed_dim={embed_dim} and num_heads={num_heads} "
                             "instead")
        if embed_dim % num_heads:
            raise AssertionError(f"MultiheadAttention: embed_dim must be divisible by "
                                 f"num_heads, got {embed_dim} and {num_heads}")
        dt = _dtype(dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(np.zeros((embed_dim, embed_dim), dt))
            self.k_proj_weight = Parameter(np.zeros((embed_dim, self.kdim), dt))
            self.v_proj_weight = Parameter(np.zeros((embed_dim, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(np.zeros((3 * embed_dim, embed_dim), dt))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dt)
        self.bias_k: Parameter | None
        self.bias_v: Parameter | None
        if add_bias_kv:
            self.bias_k = Parameter(np.zeros((1, 1, embed_dim), dt))
            self.bias_v = Parameter(np.zeros((1, 1, embed_dim), dt))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def _projections(self, query: Tensor, key: Tensor, value: Tensor, same: bool) -> tuple:
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if same:  # self-attention: one matmul for the three projections
                qkv = F.linear(query, w, b)
                return qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
            wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple:
        who = "MultiheadAttention"
        same = query is key and key is value
        query, key, value = (_tensor(t, who) for t in (query, key, value))
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{who}: expected query, key and value all 3-d (batched) or all "
                             f"2-d (unbatched), got query {_desc(query)}, key {_desc(key)} "
                             f"and value {_desc(value)}")
        batched = query.ndim == 3
        if is_causal and attn_mask is None:
            raise RuntimeError(f"{who}: need attn_mask if specifying the is_causal hint; "
                               "Transformer.generate_square_subsequent_mask makes one")
        # internally batch first: (N, L, E)
        if not batched:
            q, k, v = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif self.batch_first:
            q, k, v = query, key, value
        else:
            q = query.transpose(0, 1)
            k = q if key is query else key.transpose(0, 1)
            v = k if value is key else value.transpose(0, 1)
        n, length, e = q.shape
        if e != self.embed_dim:
            raise AssertionError(f"{who}: was expecting embedding dimension of "
                                 f"{self.embed_dim}, but got {e} (query {_desc(query)})")
        if k.shape[-1] != self.kdim or v.shape[-1] != self.vdim or k.shape[:2] != v.shape[:2] \
                or k.shape[0] != n:
            raise AssertionError(f"{who}: key and value must be (N, S, kdim={self.kdim}) and "
                                 f"(N, S, vdim={self.vdim}) for a query of batch {n}, got key "
                                 f"{_desc(key)} and value {_desc(value)}")
        if q.dtype != self.out_proj.weight.dtype:
            raise TypeError(f"{who}: query {_desc(query)} must have the parameters' dtype "
                            f"({self.out_proj.weight.dtype.name})")
        dtype = q.dtype
        q, k, v = self._projections(q, k, v, same)
        mask = _additive_mask(attn_mask, dtype, who, "attn_mask")
        pad = _additive_mask(key_padding_mask, dtype, who, "key_padding_mask")
        heads, hd, E = self.num_heads, self.head_dim, self.embed_dim
        extra = 0
        if self.bias_k is not None and self.bias_v is not None:
            k = cat([k, self.bias_k.expand(n, 1, E)], 1)
            v = cat([v, self.bias_v.expand(n, 1, E)], 1)
            extra += 1
        if self.add_zero_attn:
            k = cat([k, zeros(n, 1, E, dtype=dtype)], 1)
            v = cat([v, zeros(n, 1, E, dtype=dtype)], 1)
            extra += 1
        source = k.shape[1]
        if mask is not None:
            mask = self._shape_mask(mask, n, length, source - extra, who)
        if pad is not None:
            if tuple(pad.shape) != (n, source - extra) and batched:
                raise AssertionError(f"{who}: expected key_padding_mask of shape "
                                     f"{(n, source - extra)}, got {tuple(pad.shape)}")
            pad = pad.reshape(n, 1, 1, source - extra)
        if extra:
            mask = _pad_last(mask, extra, dtype)
            pad = _pad_last(pad, extra, dtype)
        if pad is not None:
            mask = pad if mask is None else mask + pad
        q = q.reshape(n, length, heads, hd).transpose(1, 2)
        k = k.reshape(n, source, heads, hd).transpose(1, 2)
        v = v.reshape(n, source, heads, hd).transpose(1, 2)
        dropout_p = self.dropout if self.training else 0.0
        if not need_weights:
            # as PyTorch: the causal hint is trusted when no padding mask comes with it
            causal = is_causal and pad is None and not extra
            out = F.scaled_dot_product_attention(q, k, v, None if causal else mask, dropout_p,
                                                 is_causal=causal)
            return self._out(out, n, length, batched), None
        scores = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores + mask
        weights = _safe_softmax(scores) if mask is not None else scores.softmax(-1)
        if dropout_p > 0:
            weights = F.dropout(weights, dropout_p, True)
        out = self._out(weights @ v, n, length, batched)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights

    def _out(self, heads_out: Tensor, n: int, length: int, batched: bool) -> Tensor:
        """(N, heads, L, head_dim) -> the output projection, in the caller's layout."""
        out = self.out_proj(heads_out.transpose(1, 2).reshape(n, length, self.embed_dim))
        if not batched:
            return out.squeeze(0)
        return out if self.batch_first else out.transpose(0, 1)

    def _shape_mask(self, mask: Any, n: int, length: int, source: int, who: str) -> Any:
        if mask.ndim == 2:
            if tuple(mask.shape) != (length, source):
                raise RuntimeError(f"{who}: the shape of the 2D attn_mask is "
                                   f"{tuple(mask.shape)}, but should be {(length, source)}")
            return mask
        if mask.ndim == 3:
            if tuple(mask.shape) != (n * self.num_heads, length, source):
                raise RuntimeError(f"{who}: the shape of the 3D attn_mask is "
                                   f"{tuple(mask.shape)}, but should be "
                                   f"{(n * self.num_heads, length, source)}")
            return mask.reshape(n, self.num_heads, length, source)
        raise RuntimeError(f"{who}: attn_mask's dimension {mask.ndim} is not supported "
                           "(2-d or 3-d)")


def _pad_last(mask: Any, extra: int, dtype: np.dtype) -> Any:
    """A mask with ``extra`` zero columns at the end (the added bias and zero keys)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return cat([mask, zeros(*mask.shape[:-1], extra, dtype=dtype)], -1)
    return np.concatenate([mask, np.zeros(mask.shape[:-1] + (extra,), dtype)], -1)


# ---------------------------------------------------------------------------
# Encoder and decoder layers
# ---------------------------------------------------------------------------


def _get_activation_fn(activation: Any) -> Callable:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _set_activation(layer: Module, activation: Any) -> None:
    if isinstance(activation, str):
        activation = _get_activation_fn(activation)
    if activation is F.relu or type(activation).__name__ == "ReLU":
        layer.activation_relu_or_gelu = 1
    elif activation is F.gelu or type(activation).__name__ == "GELU":
        layer.activation_relu_or_gelu = 2
    else:
        layer.activation_relu_or_gelu = 0
    layer.activation = activation


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward network, each with a residual connection and a
    LayerNorm (after it, or before it with ``norm_first=True``).

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``;
    subclasses may override ``_sa_block`` and ``_ff_block``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, activation="gelu")
    >>> layer(cr.randn(5, 3, 8)).shape
    (5, 3, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        _set_activation(self, activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask,
                                   is_causal=is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask,
                                              is_causal=is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None,
                  key_padding_mask: Tensor | None, is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (``memory``) and a feed-forward
    network, each with a residual connection and a LayerNorm.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``;
    subclasses may override ``_sa_block``, ``_mha_block`` and ``_ff_block``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> layer(cr.randn(3, 4, 8), cr.randn(3, 6, 8)).shape
    (3, 4, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device, type(self).__name__)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        _set_activation(self, activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask,
                                              tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask,
                                               memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None,
                  key_padding_mask: Tensor | None, is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Tensor | None,
                   key_padding_mask: Tensor | None, is_causal: bool = False) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


# ---------------------------------------------------------------------------
# Stacks and the whole model
# ---------------------------------------------------------------------------


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _detect_is_causal_mask(mask: Any, is_causal: bool | None = None,
                           size: int | None = None) -> bool:
    """True when ``is_causal`` says so, or (``is_causal`` None) when ``mask`` is the causal
    mask of its size, as PyTorch decides."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        arr = mask._array if isinstance(mask, Tensor) else np.asarray(mask)
        if arr.shape == (sz, sz):
            causal = np.triu(np.ones((sz, sz), bool), 1)
            if arr.dtype == np.bool_:
                make_causal = bool(np.array_equal(arr, causal))
            else:
                make_causal = bool(np.all(np.where(causal, arr == -np.inf, arr == 0)))
    return make_causal


def _seq_len(src: Tensor, batch_first: bool) -> int:
    if src.ndim == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` in sequence, then ``norm`` if given.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 3)
    >>> len(enc.layers), enc(cr.randn(4, 2, 8)).shape
    (3, (4, 2, 8))
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        first = self.layers[0] if len(self.layers) else None
        batch_first = getattr(getattr(first, "self_attn", None), "batch_first", False)
        seq_len = _seq_len(_tensor(src, "TransformerEncoder"), batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal,
                         src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` in sequence, then ``norm`` if given.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2)
    >>> dec(cr.randn(4, 2, 8), cr.randn(6, 2, 8)).shape
    (4, 2, 8)
    """

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        first = self.layers[0] if len(self.layers) else None
        batch_first = getattr(getattr(first, "self_attn", None), "batch_first", False)
        seq_len = _seq_len(_tensor(tgt, "TransformerDecoder"), batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder transformer of "Attention Is All You Need", PyTorch's layout:
    ``encoder`` and ``decoder`` stacks, each ending in a LayerNorm; every weight matrix
    re-initialised with Xavier uniform.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
    ...                        num_decoder_layers=1, dim_feedforward=16)
    >>> model(cr.randn(6, 2, 8), cr.randn(4, 2, 8)).shape
    (4, 2, 8)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Any = F.relu, custom_encoder: Module | None = None,
                 custom_decoder: Module | None = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device, "Transformer")
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                            activation, layer_norm_eps, batch_first,
                                            norm_first, bias, dtype=dtype)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                    activation, layer_norm_eps, batch_first,
                                                    norm_first, bias, dtype=dtype)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        src, tgt = _tensor(src, "Transformer"), _tensor(tgt, "Transformer")
        is_batched = src.ndim == 3
        if not self.batch_first and src.shape[1] != tgt.shape[1] and is_batched:
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, "
                               f"got src {_desc(src)} and tgt {_desc(tgt)}")
        if self.batch_first and src.shape[0] != tgt.shape[0] and is_batched:
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, "
                               f"got src {_desc(src)} and tgt {_desc(tgt)}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be equal "
                               f"to d_model ({self.d_model}), got src {_desc(src)} and tgt "
                               f"{_desc(tgt)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """The (sz, sz) causal mask: 0 on and below the diagonal, -inf above it.

        >>> Transformer.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
        """
        check_device(device, "generate_square_subsequent_mask")
        dt = _dtype(dtype)
        mask = np.triu(np.full((sz, sz), -np.inf, dtype=dt), 1)
        return _tensor(mask, "generate_square_subsequent_mask")

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
