"""Linear functions: ``x @ W.T + b`` as one fused op."""

from __future__ import annotations

from typing import Any

from ...ops.fused import (
    Linear,
)
from ...tensor import Tensor
from ._checks import _same_dtype, _tensor

__all__ = ["linear"]


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
