"""Bilinear: ``y = x1^T A x2 + b``, one matrix A per output feature.

(:class:`~chainrule.nn.Linear` and :class:`~chainrule.nn.Identity` live in
:mod:`chainrule.nn.layers`.)

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> m = nn.Bilinear(3, 4, 5)
>>> m
Bilinear(in1_features=3, in2_features=4, out_features=5, bias=True)
>>> m(cr.zeros(2, 3), cr.zeros(2, 4)).shape
(2, 5)
"""

from __future__ import annotations

import math
from typing import Any

from ..devices import check_device
from ..tensor import Tensor
from . import functional as F
from . import init
from .functional._checks import _desc, _tensor
from .layers import _empty
from .module import Module

__all__ = ["Bilinear"]


class Bilinear(Module):
    """``y_k = x1 . weight[k] . x2 + bias[k]`` for inputs (*, in1) and (*, in2).

    Initialised like PyTorch: weight and bias from U(-1/sqrt(in1), 1/sqrt(in1)).

    >>> import chainrule.nn as nn
    >>> tuple(nn.Bilinear(2, 3, 4).weight.shape)
    (4, 2, 3)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device, "Bilinear")
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = _empty((out_features, in1_features, in2_features), dtype)
        if bias:
            self.bias = _empty((out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(f"Bilinear: in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        input1, input2 = _tensor(input1, "Bilinear"), _tensor(input2, "Bilinear")
        if (input1.ndim == 0 or input2.ndim == 0 or input1.shape[-1] != self.in1_features
                or input2.shape[-1] != self.in2_features
                or input1.shape[:-1] != input2.shape[:-1]):
            raise ValueError(
                f"Bilinear({self.in1_features}, {self.in2_features}, {self.out_features}): "
                f"expected inputs (*, {self.in1_features}) and (*, {self.in2_features}) with "
                f"the same leading dims, got {_desc(input1)} and {_desc(input2)}")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
