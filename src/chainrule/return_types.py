"""The named tuples that ops returning values and indices give back, as in ``torch.return_types``.

>>> import chainrule as cr
>>> out = cr.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
>>> type(out).__name__, out.values, out.indices
('max', tensor([5., 7.]), tensor([1, 0]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["max", "min"]


class max(NamedTuple):  # noqa: N801  (PyTorch's name: torch.return_types.max)
    """What ``Tensor.max(dim)`` returns: the largest values along ``dim`` and their indices."""

    values: Tensor
    indices: Tensor


class min(NamedTuple):  # noqa: N801  (PyTorch's name: torch.return_types.min)
    """What ``Tensor.min(dim)`` returns: the smallest values along ``dim`` and their indices."""

    values: Tensor
    indices: Tensor
