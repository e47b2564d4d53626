"""Weight initialisation, in place, with PyTorch's names and formulas.

Every function fills the tensor in place (without recording it), keeps the tensor's dtype
and returns the tensor. Random fills draw from ``generator`` (a
:class:`chainrule.Generator`), by default from chainrule's global generator (seeded by
:func:`chainrule.manual_seed`), directly in the tensor's floating dtype (float32 draws
for a float32 tensor, no float64 temporary).

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> w = cr.zeros(3, 4)
>>> nn.init.constant_(w, 0.5).tolist()[0]
[0.5, 0.5, 0.5, 0.5]
>>> _ = cr.manual_seed(0)  # returns the default Generator, as torch.manual_seed
>>> bool((nn.init.kaiming_uniform_(cr.zeros(64, 100)).abs() <= (6 / 100) ** 0.5).all())
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..random import Generator, draw_normal, draw_uniform, numpy_generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "trunc_normal_",
]


def _fill(tensor: Tensor, values: Any) -> Tensor:
    tensor._array[...] = np.asarray(values).astype(tensor._array.dtype, copy=False)
    tensor._version += 1
    return tensor


def _draw(tensor: Tensor, normal: bool, generator: Generator | None, where: str
          ) -> np.ndarray:
    """Standard uniform [0, 1) or normal draws in ``tensor``'s shape and floating dtype
    (float64 for a tensor of another kind, cast when written)."""
    dt = tensor._array.dtype
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    rng = numpy_generator(generator, where)
    if normal:
        return draw_normal(rng, tuple(tensor.shape), dt, where)
    return draw_uniform(rng, tuple(tensor.shape), dt, where)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    >>> round(calculate_gain("relu"), 4), round(calculate_gain("leaky_relu", 0.2), 4)
    (1.4142, 1.3868)
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple:
    if tensor.ndim < 2:
        raise ValueError(
            "fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)})"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported; use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> Tensor:
    """Fill with draws from U(a, b)."""
    values = _draw(tensor, False, generator, "uniform_")
    return _fill(tensor, values * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    values = _draw(tensor, True, generator, "normal_")
    return _fill(tensor, values * std + mean)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator | None = None) -> Tensor:
    """Fill with N(mean, std^2) draws restricted to [a, b] (redrawn until inside)."""
    values = _draw(tensor, True, generator, "trunc_normal_") * std + mean
    outside = (values < a) | (values > b)
    while outside.any():
        redraw = _draw(Tensor(values[outside]), True, generator, "trunc_normal_")
        values[outside] = redraw * std + mean
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` in place (not recorded for autograd); returns it.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.init.constant_(cr.empty(2), 0.5)
    tensor([0.5, 0.5])
    """
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones in place (not recorded for autograd); returns it.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.init.ones_(cr.empty(2))
    tensor([1., 1.])
    """
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros in place (not recorded for autograd); returns it.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.init.zeros_(cr.empty(2))
    tensor([0., 0.])
    """
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (a 2-d tensor only)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-d tensors are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Generator | None = None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Generator | None = None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015).

    ``Linear`` and ``Conv`` weights use ``a=sqrt(5)``, which gives bound = 1 / sqrt(fan_in).
    """
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)
