"""Methods of Tensor backed by fused kernels (:mod:`chainrule.ops.fused`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ops.fused import LogSoftmax, Softmax
from ..tensor import _apply
from ._base import TensorBase
from ._dims import axis

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["FusedMethods"]


class FusedMethods(TensorBase):
    """softmax and log_softmax along one dim."""

    __slots__ = ()

    def softmax(self, dim: int) -> Tensor:
        """exp(x) / sum(exp(x)) along ``dim``, finite for logits of any magnitude."""
        return _apply(Softmax, (self,), {"axis": axis(dim, self.ndim, "softmax")})

    def log_softmax(self, dim: int) -> Tensor:
        """x - logsumexp(x) along ``dim``."""
        return _apply(LogSoftmax, (self,), {"axis": axis(dim, self.ndim, "log_softmax")})
