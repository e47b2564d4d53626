"""Activation layers beyond the basic ones in :mod:`chainrule.nn.layers`.

Each module calls its :mod:`chainrule.nn.functional` twin; names, constructor arguments,
defaults and reprs are PyTorch's. ``PReLU`` is the one with a parameter (its slopes).

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.Softplus(beta=2.0)
Softplus(beta=2.0, threshold=20.0)
>>> nn.Hardtanh(-2.0, 2.0)(cr.tensor([-3.0, 0.5, 3.0]))
tensor([-2. ,  0.5,  2. ])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..devices import check_device
from ..tensor import Tensor
from . import functional as F
from .functional._checks import _desc, _tensor
from .layers import _dtype
from .module import Module
from .parameter import Parameter

__all__ = [
    "Threshold", "RReLU", "Hardtanh", "ReLU6", "Hardsigmoid", "SiLU", "Mish", "Hardswish",
    "ELU", "CELU", "SELU", "GLU", "Hardshrink", "LogSigmoid", "Softplus", "Softshrink",
    "PReLU", "Softsign", "Tanhshrink", "Softmin", "Softmax2d",
]


def _inplace_str(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class _Inplace(Module):
    """An elementwise activation whose only argument is ``inplace``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Threshold(0.1, 20.0)(cr.tensor([0.0, 0.5]))
    tensor([20. ,  0.5])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class RReLU(Module):
    """Randomized leaky ReLU: in training each negative element gets a slope drawn from
    U(lower, upper); in eval mode the slope is ``(lower + upper) / 2``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.RReLU(0.1, 0.3).eval()(cr.tensor([-1.0, 1.0]))
    tensor([-0.2,  1. ])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self.inplace)}"


class Hardtanh(Module):
    """``x`` clamped into ``[min_val, max_val]``.

    >>> import chainrule.nn as nn
    >>> nn.Hardtanh()
    Hardtanh(min_val=-1.0, max_val=1.0)
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            min_val = min_value
        if max_value is not None:
            max_val = max_value
        if max_val <= min_val:
            raise ValueError(f"{type(self).__name__}: max_val ({max_val}) must be larger than "
                             f"min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ReLU6()(cr.tensor([-1.0, 3.0, 9.0]))
    tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(_Inplace):
    """0 below -3, 1 above 3, ``x / 6 + 1 / 2`` between.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Hardsigmoid()(cr.tensor([-4.0, 0.0, 4.0]))
    tensor([0. , 0.5, 1. ])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return ""


class SiLU(_Inplace):
    """``x * sigmoid(x)`` (also called swish).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.SiLU()(cr.tensor([0.0, 1.0]))
    tensor([0.    , 0.7311])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)


class Mish(_Inplace):
    """``x * tanh(softplus(x))``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Mish()(cr.tensor([0.0, 1.0]))
    tensor([0.    , 0.8651])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=self.inplace)


class Hardswish(_Inplace):
    """``x * hardsigmoid(x)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Hardswish()(cr.tensor([-4.0, 1.0, 4.0]))
    tensor([0.    , 0.6667, 4.    ])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return ""


class ELU(Module):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``.

    >>> import chainrule.nn as nn
    >>> nn.ELU(alpha=0.5)
    ELU(alpha=0.5)
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class CELU(ELU):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.CELU(2.0)(cr.tensor([-2.0, 1.0]))
    tensor([-1.2642,  1.    ])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, inplace=self.inplace)


class SELU(_Inplace):
    """``scale * elu(x, alpha)`` with the self-normalising constants (Klambauer et al., 2017).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.SELU()(cr.tensor([1.0]))
    tensor([1.0507])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, inplace=self.inplace)


class GLU(Module):
    """Gated linear unit: split ``dim`` in halves a, b and return ``a * sigmoid(b)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.GLU()(cr.zeros(2, 6)).shape
    (2, 3)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Hardshrink()(cr.tensor([-1.0, 0.2, 0.7]))
    tensor([-1. ,  0. ,  0.7])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Softshrink()(cr.tensor([-1.0, 0.2, 0.75]))
    tensor([-0.5 ,  0.  ,  0.25])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, stable for large ``|x|``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.LogSigmoid()(cr.tensor([0.0]))
    tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Softplus()(cr.tensor([0.0]))
    tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """``x`` for x > 0, else ``a * x`` with a learned slope ``a``: one for all channels
    (``num_parameters=1``) or one per channel (dim 1), initialised to ``init``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> m = nn.PReLU(3)
    >>> m, tuple(m.weight.shape)
    (PReLU(num_parameters=3), (3,))
    >>> m(-cr.ones(2, 3)).tolist()[0]
    [-0.25, -0.25, -0.25]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device, "PReLU")
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(np.empty((num_parameters,), dtype=_dtype(dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.weight._array[...] = self.init
        self.weight._version += 1

    def forward(self, input: Tensor) -> Tensor:
        input = _tensor(input, "PReLU")
        if self.num_parameters != 1:
            channels = input.shape[1] if input.ndim >= 2 else 1
            if channels != self.num_parameters:
                raise ValueError(
                    f"PReLU(num_parameters={self.num_parameters}): expected an input with "
                    f"{self.num_parameters} channels in dim 1, got {_desc(input)}")
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    """``x / (1 + |x|)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Softsign()(cr.tensor([1.0, -3.0]))
    tensor([ 0.5 , -0.75])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """``x - tanh(x)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Tanhshrink()(cr.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softmin(Module):
    """``softmax(-x)`` along ``dim``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Softmin(dim=0)(cr.tensor([0.0, 1.0]))
    tensor([0.7311, 0.2689])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels (dim -3) at every spatial location of (N, C, H, W) or
    (C, H, W) inputs.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Softmax2d()(cr.zeros(1, 4, 2, 2))[0, :, 0, 0]
    tensor([0.25, 0.25, 0.25, 0.25])
    """

    def forward(self, input: Tensor) -> Tensor:
        input = _tensor(input, "Softmax2d")
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, "
                             f"got {_desc(input)}")
        return F.softmax(input, -3)
