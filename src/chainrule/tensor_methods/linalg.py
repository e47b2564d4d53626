"""Matrix products of Tensor (forward and VJP in :mod:`chainrule.ops.linalg`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..ops.linalg import Matmul
from ..tensor import _apply
from ._base import TensorBase

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["LinalgMethods", "check_matmul"]


def check_matmul(a: Any, b: Any) -> None:
    """Raise one clear line when ``a @ b`` can't be formed."""
    sa, sb = np.shape(a), np.shape(b)
    if not sa or not sb:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {sa} and {sb}")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: {k_a} (last dim of the first) "
            f"!= {k_b} ({'first' if len(sb) == 1 else 'second-to-last'} dim of the second)"
        )


class LinalgMethods(TensorBase):
    """matmul and the ``@`` operator."""

    __slots__ = ()

    def __matmul__(self, other: Any) -> Tensor:
        check_matmul(self, other)
        return _apply(Matmul, (self, other), {})

    def __rmatmul__(self, other: Any) -> Tensor:
        check_matmul(other, self)
        return _apply(Matmul, (other, self), {})

    def matmul(self, other: Any) -> Tensor:
        """The matrix product ``self @ other`` (NumPy's rules for 1-d and batched operands)."""
        return self @ other
