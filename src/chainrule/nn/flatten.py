"""Unflatten: the inverse of :class:`~chainrule.nn.Flatten`, for use in Sequential.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.Unflatten(1, (2, 5))(cr.zeros(3, 10)).shape
(3, 2, 5)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .functional._checks import _desc, _tensor
from .module import Module

__all__ = ["Unflatten"]


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (one entry may be -1).

    >>> import chainrule.nn as nn
    >>> nn.Unflatten(-1, (4, 4))
    Unflatten(dim=-1, unflattened_size=(4, 4))
    """

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, but found "
                            f"type {type(unflattened_size).__name__}")
        for i, n in enumerate(unflattened_size):
            if not isinstance(n, int):
                raise TypeError(f"Unflatten: unflattened_size must be tuple of ints, but found "
                                f"element of type {type(n).__name__} at pos {i}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        input = _tensor(input, "Unflatten")
        if not -input.ndim <= self.dim < max(input.ndim, 1):
            raise IndexError(f"Unflatten(dim={self.dim}): dim is out of range for an input of "
                             f"{_desc(input)}")
        sizes = [int(n) for n in self.unflattened_size]
        length = input.shape[self.dim]
        known = 1
        for n in sizes:
            known *= n if n != -1 else 1
        if (-1 not in sizes and known != length) or (-1 in sizes and length % max(known, 1)):
            raise ValueError(f"Unflatten(dim={self.dim}, unflattened_size="
                             f"{self.unflattened_size}): the sizes don't multiply to the "
                             f"{length} entries of dim {self.dim} of the input of "
                             f"{_desc(input)}")
        return input.unflatten(self.dim, tuple(sizes))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
