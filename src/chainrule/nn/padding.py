"""Padding layers: constant (and zero), reflection, replication and circular padding of
the last 1, 2 or 3 dims.

``padding`` is an int (the same on every side) or a tuple in F.pad's order: (left,
right) for 1-d; (left, right, top, bottom) for 2-d; then (front, back) for 3-d.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.ReflectionPad1d(2)(cr.tensor([[[0.0, 1.0, 2.0, 3.0]]]))
tensor([[[2., 1., 0., 1., 2., 3., 2., 1.]]])
>>> nn.ZeroPad2d((1, 0, 0, 2))
ZeroPad2d((1, 0, 0, 2))
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _amounts(padding: Any, dims: int, who: str) -> tuple:
    if isinstance(padding, int):
        return (padding,) * (2 * dims)
    out = tuple(padding)
    if len(out) != 2 * dims or not all(isinstance(p, int) for p in out):
        raise ValueError(f"{who}: padding must be an int or a tuple of {2 * dims} ints, "
                         f"got {padding!r}")
    return out


class _PadNd(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _amounts(padding, self._dims, type(self).__name__)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ConstantPad1d((1, 2), 3.5)(cr.zeros(1, 2)).tolist()
    [[3.5, 0.0, 0.0, 3.5, 3.5]]
    """

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ConstantPad2d(1, -1.0)(cr.zeros(1, 2, 2)).shape
    (1, 4, 4)
    """

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ConstantPad3d((1, 1, 0, 0, 2, 0), 0.0)(cr.zeros(1, 2, 2, 2)).shape
    (1, 4, 2, 4)
    """

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ZeroPad1d(1)(cr.ones(1, 2)).tolist()
    [[0.0, 1.0, 1.0, 0.0]]
    """

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ZeroPad2d((1, 0, 0, 2))(cr.ones(1, 2, 2)).shape
    (1, 4, 3)
    """

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ZeroPad3d(1)(cr.ones(1, 1, 1, 1)).shape
    (1, 3, 3, 3)
    """

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirror the last dim at its ends, without repeating the edge value.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ReflectionPad1d((1, 0))(cr.tensor([[1.0, 2.0]])).tolist()
    [[2.0, 1.0, 2.0]]
    """

    _dims = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims at their ends.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ReflectionPad2d(1)(cr.zeros(1, 1, 3, 3)).shape
    (1, 1, 5, 5)
    """

    _dims = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror the last three dims at their ends.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ReflectionPad3d(1)(cr.zeros(1, 1, 2, 3, 3)).shape
    (1, 1, 4, 5, 5)
    """

    _dims = 3
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dim.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ReplicationPad1d((2, 1))(cr.tensor([[1.0, 2.0]])).tolist()
    [[1.0, 1.0, 1.0, 2.0, 2.0]]
    """

    _dims = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ReplicationPad2d((1, 1, 2, 0))(cr.zeros(1, 1, 3, 3)).shape
    (1, 1, 5, 5)
    """

    _dims = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three dims.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.ReplicationPad3d(1)(cr.zeros(1, 1, 2, 2, 2)).shape
    (1, 1, 4, 4, 4)
    """

    _dims = 3
    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Wrap the last dim around.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.CircularPad1d(1)(cr.tensor([[[1.0, 2.0, 3.0]]])).tolist()
    [[[3.0, 1.0, 2.0, 3.0, 1.0]]]
    """

    _dims = 1
    _mode = "circular"


class CircularPad2d(_PadNd):
    """Wrap the last two dims around.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.CircularPad2d(1)(cr.zeros(1, 1, 3, 3)).shape
    (1, 1, 5, 5)
    """

    _dims = 2
    _mode = "circular"


class CircularPad3d(_PadNd):
    """Wrap the last three dims around.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.CircularPad3d(1)(cr.zeros(1, 1, 2, 2, 2)).shape
    (1, 1, 4, 4, 4)
    """

    _dims = 3
    _mode = "circular"
