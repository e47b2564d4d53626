"""Fold an eval-mode batch norm into the convolution or linear layer before it, as
PyTorch's ``nn.utils.fusion``: one layer computes what the two did.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> from chainrule.nn.utils import fuse_conv_bn_eval
>>> conv, bn = nn.Conv2d(3, 4, 3).eval(), nn.BatchNorm2d(4).eval()
>>> bn.running_mean.copy_(cr.randn(4))
tensor(...)
>>> x = cr.randn(2, 3, 6, 6)
>>> fused = fuse_conv_bn_eval(conv, bn)
>>> bool(((fused(x) - bn(conv(x))).abs() < 1e-5).all())
True
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _array(t: Any) -> np.ndarray:
    return t._array if isinstance(t, Tensor) else np.asarray(t)


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of a convolution followed by an eval-mode batch norm (with
    running mean ``bn_rm``, variance ``bn_rv``, scale ``bn_w`` and shift ``bn_b``);
    ``transpose`` for a transposed convolution's (in, out, ...) weight.

    >>> import chainrule as cr
    >>> w, b = fuse_conv_bn_weights(cr.ones(2, 1, 1), None, cr.zeros(2), cr.full((2,), 4.0),
    ...                             0.0, None, None)
    >>> w.flatten().tolist(), b.tolist()
    ([0.5, 0.5], [0.0, 0.0])
    """
    w = _array(conv_w)
    rm, rv = _array(bn_rm), _array(bn_rv)
    bias_dtype = conv_b.dtype if conv_b is not None else w.dtype
    b = _array(conv_b) if conv_b is not None else np.zeros_like(rm)
    scale = _array(bn_w) if bn_w is not None else np.ones_like(rm)
    shift = _array(bn_b) if bn_b is not None else np.zeros_like(rm)
    inv_std = 1 / np.sqrt(rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (w.ndim - 2)
    fused_w = (w * (scale * inv_std).reshape(shape)).astype(w.dtype)
    fused_b = ((b - rm) * inv_std * scale + shift).astype(bias_dtype)
    requires_b = conv_b.requires_grad if conv_b is not None else False
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, requires_b)


def fuse_conv_bn_eval(conv: Any, bn: Any, transpose: bool = False) -> Any:
    """A copy of ``conv`` that computes ``bn(conv(x))`` (both in eval mode).

    >>> import chainrule.nn as nn
    >>> type(fuse_conv_bn_eval(nn.Conv1d(2, 2, 1).eval(), nn.BatchNorm1d(2).eval())).__name__
    'Conv1d'
    """
    if conv.training or bn.training:
        raise ValueError("fuse_conv_bn_eval: fusion only works in eval mode; call .eval() on "
                         "both layers first")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("fuse_conv_bn_eval: the batch norm tracks no running statistics "
                         "(track_running_stats=False), so there is nothing to fold")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor,
                           bn_b: Tensor) -> tuple[Parameter, Parameter]:
    """The weight and bias of a linear layer followed by an eval-mode batch norm.

    >>> import chainrule as cr
    >>> w, b = fuse_linear_bn_weights(cr.ones(2, 3), cr.ones(2), cr.ones(2), cr.ones(2),
    ...                               0.0, cr.full((2,), 2.0), cr.zeros(2))
    >>> w.tolist()[0], b.tolist()
    ([2.0, 2.0, 2.0], [0.0, 0.0])
    """
    w = _array(linear_w)
    rm, rv = _array(bn_rm), _array(bn_rv)
    b = _array(linear_b) if linear_b is not None else np.zeros_like(rm)
    scale = _array(bn_w) * (1 / np.sqrt(rv + bn_eps))
    fused_w = (w * scale[..., None]).astype(w.dtype)
    fused_b = ((b - rm) * scale + _array(bn_b)).astype(b.dtype)
    requires_b = linear_b.requires_grad if linear_b is not None else False
    return Parameter(fused_w, linear_w.requires_grad), Parameter(fused_b, requires_b)


def fuse_linear_bn_eval(linear: Any, bn: Any) -> Any:
    """A copy of ``linear`` that computes ``bn(linear(x))`` (both in eval mode).

    >>> import chainrule.nn as nn
    >>> fuse_linear_bn_eval(nn.Linear(3, 2).eval(), nn.BatchNorm1d(2).eval())
    Linear(in_features=3, out_features=2, bias=True)
    """
    if linear.training or bn.training:
        raise ValueError("fuse_linear_bn_eval: fusion only works in eval mode; call .eval() "
                         "on both layers first")
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise ValueError(f"fuse_linear_bn_eval: the linear layer's {linear.out_features} "
                         f"outputs don't match the batch norm's {bn.num_features} features")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("fuse_linear_bn_eval: the batch norm tracks no running statistics "
                         "(track_running_stats=False), so there is nothing to fold")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused
