"""Vision functions: padding (and, as they come, resizing and rearranging)."""

from __future__ import annotations

from typing import Any

from ...ops.conv import Pad
from ...tensor import Tensor
from ._checks import _tensor

__all__ = ["pad"]


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Constant padding; ``pad`` lists (left, right) for the last dim, then the one before...

    >>> import chainrule as cr
    >>> pad(cr.ones(1, 2), (1, 0)).tolist()
    [[0.0, 1.0, 1.0]]
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    input = _tensor(input, "pad")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {tuple(pad)} must hold (before, after) pairs for at most "
                         f"{input.ndim} dims")
    pairs = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        pairs[input.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    if all(p == (0, 0) for p in pairs):
        return input
    return Pad.apply(input, pad=tuple(pairs), value=value)
