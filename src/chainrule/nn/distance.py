"""Distance layers: CosineSimilarity and PairwiseDistance.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.CosineSimilarity(dim=1)(cr.tensor([[1.0, 0.0]]), cr.tensor([[1.0, 1.0]]))
tensor([0.7071])
>>> nn.PairwiseDistance()
PairwiseDistance()
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """``x1 . x2 / max(|x1| |x2|, eps)`` along ``dim`` (inputs broadcast).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.CosineSimilarity(dim=0)(cr.tensor([3.0, 4.0]), cr.tensor([3.0, 4.0])).item()
    1.0
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``|x1 - x2 + eps|_p`` along the last dim, row by row.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.PairwiseDistance(eps=0.0)(cr.tensor([[0.0, 0.0]]), cr.tensor([[3.0, 4.0]]))
    tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
