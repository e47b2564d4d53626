"""Non-linear activation functions (``torch.nn.functional``'s names).

Each one is composed from Tensor ops, so it is differentiable at any order, except
softplus and the ELU family, which are primitives of their own
(:mod:`chainrule.ops.functional_kernels`) for ``log1p``/``expm1`` precision. The
gradient at a kink is PyTorch's: hardtanh, relu6 and hardsigmoid pass none at their
bounds, hardswish passes its inner slope there, ELU its negative side at 0,
threshold and the shrinks nothing at theirs.

Functions with ``inplace=True`` (and the ``relu_``, ``elu_``, ... forms) write the
result into ``input`` and return it; as in PyTorch, that is refused for a leaf
that requires grad, and recorded for a tensor inside a graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ...creation import default_generator
from ...ops.functional_kernels import (
    Elu,
    Hardshrink,
    Hardtanh,
    LeakyRelu,
    Softplus,
    Softshrink,
    Threshold,
)
from ...ops.fused import Gelu
from ...tensor import Tensor
from ...tensor_methods.elementwise import where
from ._checks import _check_float, _desc, _tensor

__all__ = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
           "silu", "softplus", "elu", "selu", "celu", "mish", "hardtanh", "relu6", "hardswish",
           "hardsigmoid", "logsigmoid", "softsign", "softmin", "glu", "tanhshrink", "softshrink",
           "hardshrink", "threshold", "prelu", "rrelu",
           "relu_", "leaky_relu_", "elu_", "selu_", "celu_", "hardtanh_", "threshold_", "rrelu_"]

# SELU's constants (Klambauer et al. 2017), to PyTorch's digits
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_input(input: Any, who: str) -> Tensor:
    input = _tensor(input, who)
    _check_float(input, who)
    return input


def _write(input: Tensor, compute: Callable[[Tensor], Tensor], name: str) -> Tensor:
    """Write ``compute(input)`` into ``input`` and return it, as PyTorch's in-place forms.

    Under a graph the op is recorded on the old value and ``input`` becomes its
    result (``Tensor._inplace``), so backward and the version checks see it.
    """
    return input._inplace(compute, name)


def _maybe_inplace(input: Tensor, compute: Callable[[Tensor], Tensor], inplace: bool,
                   name: str) -> Tensor:
    if inplace:
        return _write(input, compute, name + "_")
    return compute(input)


def _open_interval(x: Tensor, low: float, high: float) -> np.ndarray:
    return (x._array > low) & (x._array < high)


# ---------------------------------------------------------------------------
# Rectifiers and their piecewise-linear relatives
# ---------------------------------------------------------------------------

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0.

    >>> import chainrule as cr
    >>> relu(cr.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return _maybe_inplace(_tensor(input, "relu"), lambda x: x.relu(), inplace, "relu")


def relu_(input: Tensor) -> Tensor:
    """:func:`relu`, written into ``input``."""
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else ``negative_slope * x``.

    >>> import chainrule as cr
    >>> leaky_relu(cr.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2,  3. ])
    """
    input = _float_input(input, "leaky_relu")
    return _maybe_inplace(input, lambda x: LeakyRelu.apply(x, negative_slope=negative_slope),
                          inplace, "leaky_relu")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """:func:`leaky_relu`, written into ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def _hardtanh(x: Tensor, min_val: float, max_val: float) -> Tensor:
    return Hardtanh.apply(x, a=min_val, b=max_val)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; no gradient at or beyond the bounds (PyTorch's rule).

    >>> import chainrule as cr
    >>> hardtanh(cr.tensor([-3.0, 0.5, 2.0]))
    tensor([-1. ,  0.5,  1. ])
    """
    input = _tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val="
                         f"{min_val} and max_val={max_val}")
    return _maybe_inplace(input, lambda x: _hardtanh(x, min_val, max_val), inplace, "hardtanh")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """:func:`hardtanh`, written into ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): :func:`hardtanh` on [0, 6].

    >>> import chainrule as cr
    >>> relu6(cr.tensor([-1.0, 3.0, 9.0]))
    tensor([0., 3., 6.])
    """
    return hardtanh(_tensor(input, "relu6"), 0.0, 6.0, inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``.

    >>> import chainrule as cr
    >>> threshold(cr.tensor([0.5, 2.0]), 1.0, -1.0)
    tensor([-1.,  2.])
    """
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """:func:`threshold`, written into ``input``."""
    return _threshold(input, threshold, value, True)


def _threshold(input: Tensor, level: float, value: float, inplace: bool) -> Tensor:
    input = _tensor(input, "threshold")
    return _maybe_inplace(input, lambda x: Threshold.apply(x, a=level, b=value), inplace,
                          "threshold")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 (MobileNetV3); the gradient is 0 at x = -3 and 1 at x = 3
    (PyTorch's rule).

    >>> import chainrule as cr
    >>> hardswish(cr.tensor([-4.0, 1.5, 4.0]))
    tensor([0.   , 1.125, 4.   ])
    """
    input = _float_input(input, "hardswish")

    def compute(x: Tensor) -> Tensor:
        outer = where(x._array >= 3, x, np.zeros((), x.dtype))
        return where(_open_interval(x, -3.0, 3.0), x * (x + 3) / 6, outer)

    return _maybe_inplace(input, compute, inplace, "hardswish")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6; no gradient at or beyond x = -3 and x = 3 (PyTorch's rule).

    >>> import chainrule as cr
    >>> hardsigmoid(cr.tensor([-4.0, 1.5, 4.0]))
    tensor([0.  , 0.75, 1.  ])
    """
    input = _float_input(input, "hardsigmoid")

    def compute(x: Tensor) -> Tensor:
        clipped = np.clip(x._array + 3, 0, 6) / 6
        return where(_open_interval(x, -3.0, 3.0), (x + 3) / 6, clipped)

    return _maybe_inplace(input, compute, inplace, "hardsigmoid")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else ``weight * x``; ``weight`` has one slope, or one per channel (dim 1).

    >>> import chainrule as cr
    >>> prelu(cr.tensor([[-2.0, 2.0]]), cr.tensor([0.25]))
    tensor([[-0.5,  2. ]])
    """
    input, weight = _float_input(input, "prelu"), _tensor(weight, "prelu")
    n = weight.numel()
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-D or 1-D, got {_desc(weight)}")
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1  # PyTorch: 1 below 2 dims
        if n != channels:
            raise ValueError(f"prelu: weight has {n} slopes but the input {_desc(input)} has "
                             f"{channels} channels (dim 1); give 1 slope or one per channel")
        if input.ndim >= 2:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    return where(input._array > 0, input, input * weight)


def _rrelu_slopes(x: Tensor, lower: float, upper: float) -> np.ndarray:
    slopes = default_generator().uniform(lower, upper, x.shape).astype(x.dtype)
    return np.where(x._array > 0, np.ones((), x.dtype), slopes)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Leaky ReLU with a random slope per negative element, uniform on [lower, upper],
    in training; the mean slope ``(lower + upper) / 2`` otherwise.

    The slopes come from chainrule's global generator (:func:`chainrule.manual_seed`).

    >>> import chainrule as cr
    >>> rrelu(cr.tensor([-2.0, 3.0]), 0.1, 0.3)
    tensor([-0.4,  3. ])
    """
    input = _float_input(input, "rrelu")
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu: expected 0 <= lower <= upper, got lower={lower} and "
                         f"upper={upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    return _maybe_inplace(input, lambda x: x * _rrelu_slopes(x, lower, upper), inplace, "rrelu")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """:func:`rrelu`, written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


# ---------------------------------------------------------------------------
# Smooth activations
# ---------------------------------------------------------------------------

def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact, with erf), or the tanh approximation with ``approximate='tanh'``."""
    input = _float_input(input, "gelu")
    if approximate == "none":
        return Gelu.apply(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (inner.tanh() + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise; the gradient is s (1 - s).

    >>> import chainrule as cr, chainrule.nn.functional as F
    >>> F.sigmoid(cr.tensor([0.0]))
    tensor([0.5])
    """
    return _tensor(input, "sigmoid").sigmoid()


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent, elementwise; the gradient is 1 - tanh(x)^2.

    >>> import chainrule as cr, chainrule.nn.functional as F
    >>> F.tanh(cr.tensor([0.0]))
    tensor([0.])
    """
    return _tensor(input, "tanh").tanh()


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish).

    >>> import chainrule as cr
    >>> silu(cr.tensor([0.0, 2.0]))
    tensor([0.    , 1.7616])
    """
    input = _float_input(input, "silu")
    return _maybe_inplace(input, lambda x: x * x.sigmoid(), inplace, "silu")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold; exact in both tails.

    >>> import chainrule as cr
    >>> softplus(cr.tensor([-50.0, 0.0, 50.0], dtype=cr.float64)).tolist()
    [1.9287498479639178e-22, 0.6931471805599453, 50.0]
    """
    input = _float_input(input, "softplus")
    return Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite and exact for inputs of any size.

    >>> import chainrule as cr
    >>> logsigmoid(cr.tensor([-1000.0, 0.0, 50.0], dtype=cr.float64)).tolist()
    [-1000.0, -0.6931471805599453, -1.9287498479639178e-22]
    """
    input = _float_input(input, "logsigmoid")
    return -Softplus.apply(-input, beta=1.0, threshold=math.inf)  # no cut-off: exact


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (exp(x) - 1).

    >>> import chainrule as cr
    >>> elu(cr.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.    ])
    """
    input = _float_input(input, "elu")
    return _maybe_inplace(
        input, lambda x: Elu.apply(x, alpha=float(alpha), scale=1.0, input_scale=1.0),
        inplace, "elu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """:func:`elu`, written into ``input``."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's fixed constants (self-normalising networks).

    >>> import chainrule as cr
    >>> selu(cr.tensor([-1.0, 1.0]))
    tensor([-1.1113,  1.0507])
    """
    input = _float_input(input, "selu")
    return _maybe_inplace(
        input, lambda x: Elu.apply(x, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0),
        inplace, "selu")


def selu_(input: Tensor) -> Tensor:
    """:func:`selu`, written into ``input``."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (exp(x / alpha) - 1): continuously differentiable ELU.

    >>> import chainrule as cr
    >>> celu(cr.tensor([-1.0, 2.0]), alpha=2.0)
    tensor([-0.7869,  2.    ])
    """
    input = _float_input(input, "celu")
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides the input)")
    return _maybe_inplace(
        input, lambda x: Elu.apply(x, alpha=float(alpha), scale=1.0, input_scale=1 / alpha),
        inplace, "celu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """:func:`celu`, written into ``input``."""
    return celu(input, alpha, inplace=True)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)).

    >>> import chainrule as cr
    >>> mish(cr.tensor([-1.0, 1.0]))
    tensor([-0.3034,  0.8651])
    """
    input = _float_input(input, "mish")

    def compute(x: Tensor) -> Tensor:
        return x * Softplus.apply(x, beta=1.0, threshold=math.inf).tanh()

    return _maybe_inplace(input, compute, inplace, "mish")


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); integer inputs give float32.

    >>> import chainrule as cr
    >>> softsign(cr.tensor([-3.0, 1.0]))
    tensor([-0.75,  0.5 ])
    """
    input = _tensor(input, "softsign")
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    input = _tensor(input, "tanhshrink")
    return input - input.tanh()


def _check_lambd(lambd: float, who: str) -> None:
    if lambd < 0:
        raise ValueError(f"{who}: lambd must be at least 0, got {lambd}")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (no gradient at +-lambd).

    >>> import chainrule as cr
    >>> softshrink(cr.tensor([-2.0, 0.25, 1.0]))
    tensor([-1.5,  0. ,  0.5])
    """
    input = _float_input(input, "softshrink")
    _check_lambd(lambd, "softshrink")
    return Softshrink.apply(input, a=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0.

    >>> import chainrule as cr
    >>> hardshrink(cr.tensor([-2.0, 0.25, 1.0]))
    tensor([-2.,  0.,  1.])
    """
    input = _float_input(input, "hardshrink")
    return Hardshrink.apply(input, a=lambd)


# ---------------------------------------------------------------------------
# Along a dim: softmax and its relatives, GLU
# ---------------------------------------------------------------------------

def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1  # PyTorch's rule when dim is left out


def _with_dtype(input: Tensor, dtype: Any) -> Tensor:
    return input if dtype is None else input.to(dtype)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``; stable for inputs of any magnitude."""
    input = _with_dtype(_tensor(input, "softmax"), dtype)
    return input.softmax(_softmax_dim(input.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``; stable for inputs of any magnitude."""
    input = _with_dtype(_tensor(input, "log_softmax"), dtype)
    return input.log_softmax(_softmax_dim(input.ndim) if dim is None else dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``.

    >>> import chainrule as cr
    >>> softmin(cr.tensor([0.0, 1.0]), dim=0)
    tensor([0.7311, 0.2689])
    """
    input = _with_dtype(_float_input(input, "softmin"), dtype)
    return (-input).softmax(_softmax_dim(input.ndim) if dim is None else dim)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), for a and b the two halves of ``input`` along ``dim``.

    >>> import chainrule as cr
    >>> glu(cr.tensor([2.0, 0.0]))
    tensor([1.])
    """
    input = _float_input(input, "glu")
    if input.ndim == 0:
        raise ValueError("glu: does not support scalars (0-D tensors); give at least 1 dim")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(f"glu: dim {dim} is out of range for {_desc(input)}")
    n = input.shape[dim]
    if n % 2:
        raise ValueError(f"glu: the halving dim must have an even size, but dim {dim} of "
                         f"{_desc(input)} has size {n}")
    a, b = input.split(n // 2, dim)
    return a * b.sigmoid()
