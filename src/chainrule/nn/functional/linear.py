"""Linear functions: ``x @ W.T + b`` as one fused op; the bilinear form ``x1^T A x2 + b``."""

from __future__ import annotations

from typing import Any

from ...ops.fused import (
    Linear,
)
from ...tensor import Tensor
from ...tensor_methods.linalg import einsum
from ._checks import _desc, _same_dtype, _tensor

__all__ = ["linear", "bilinear"]


def _check_linear(input: Tensor, weight: Tensor, bias: Any, who: str) -> None:
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"{who}: expected input with last dim {weight.shape[1]}, got shape "
            f"{tuple(input.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"{who}: bias of shape {tuple(bias.shape)} doesn't match "
                         f"{weight.shape[0]} output features")
    _same_dtype(input, weight, who)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, as one fused op (one matmul forward, two backward).

    >>> import chainrule as cr
    >>> linear(cr.ones(2, 3), cr.ones(4, 3), cr.zeros(4)).tolist()[0]
    [3.0, 3.0, 3.0, 3.0]
    """
    input = _tensor(input, "linear")
    if (not input.ndim or input.shape[-1] != weight.shape[1] or input.dtype != weight.dtype
            or (bias is not None and bias.shape != weight.shape[:1])):
        _check_linear(input, weight, bias, f"linear (weight of shape {tuple(weight.shape)})")
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y_k = input1 . weight[k] . input2 + bias[k]`` over the last dims: (*, in1) and
    (*, in2) with a weight of shape (out, in1, in2) give (*, out).

    Composed from one einsum, so it has gradients of any order.

    >>> import chainrule as cr
    >>> bilinear(cr.ones(2, 3), cr.ones(2, 4), cr.ones(5, 3, 4), cr.zeros(5)).tolist()[0]
    [12.0, 12.0, 12.0, 12.0, 12.0]
    """
    who = "bilinear"
    input1, input2, weight = (_tensor(t, who) for t in (input1, input2, weight))
    if weight.ndim != 3:
        raise ValueError(f"{who}: expected a 3-d weight (out, in1, in2), got {_desc(weight)}")
    out, in1, in2 = weight.shape
    if (input1.ndim == 0 or input1.shape[-1] != in1 or input2.ndim == 0
            or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]):
        raise ValueError(f"{who}: expected inputs (*, {in1}) and (*, {in2}) with the same "
                         f"leading dims for a weight of shape {tuple(weight.shape)}, got "
                         f"{_desc(input1)} and {_desc(input2)}")
    if bias is not None and tuple(bias.shape) != (out,):
        raise ValueError(f"{who}: expected a bias of shape ({out},), got {_desc(bias)}")
    _same_dtype(input1, weight, who)
    _same_dtype(input2, weight, who)
    y = einsum("...i,kij,...j->...k", input1, weight, input2)
    return y if bias is None else y + bias
