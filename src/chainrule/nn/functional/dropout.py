"""Dropout functions."""

from __future__ import annotations

import numpy as np

from ...creation import default_generator
from ...tensor import Tensor
from ._checks import _tensor

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    The mask is drawn from chainrule's global generator (:func:`chainrule.manual_seed`).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability has to be between 0 and 1, got {p}")
    input = _tensor(input, "dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * np.zeros((), dtype=input.dtype)
    keep = default_generator().random(input.shape, dtype=np.float64 if input.dtype == np.float64
                                      else np.float32) >= p
    mask = keep.astype(input.dtype)
    mask *= 1 / (1 - p)
    return input * mask
