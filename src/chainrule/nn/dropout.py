"""Dropout layers beyond :class:`~chainrule.nn.Dropout`: whole-channel dropout
(Dropout1d/2d/3d) and the SELU-preserving alpha dropouts.

In training each zeroes (or, for alpha dropout, sets to SELU's negative saturation)
with probability ``p`` and rescales the rest; in eval mode each is the identity.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.Dropout2d(0.2)
Dropout2d(p=0.2, inplace=False)
>>> bool((nn.Dropout2d().eval()(cr.ones(2, 3, 4, 4)) == 1).all())
True
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) (or (C, L)) inputs with probability ``p``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> out = nn.Dropout1d(0.5)(cr.ones(4, 8, 3))
    >>> bool(((out[:, :, 0:1] == out).all()))
    True
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, inplace=self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) (or (C, H, W)) inputs with probability ``p``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Dropout2d(0.0)(cr.ones(1, 2, 2, 2)).sum().item()
    8.0
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, inplace=self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) (or (C, D, H, W)) inputs with probability ``p``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.Dropout3d().eval()(cr.ones(1, 2, 2, 2, 2)).sum().item()
    16.0
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, inplace=self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps a SELU network's mean and variance: dropped values become SELU's
    negative saturation and an affine map restores the statistics.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.AlphaDropout(0.2).eval()(cr.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training, inplace=self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (dim 1).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.FeatureAlphaDropout(0.2).eval()(cr.ones(1, 2, 3)).shape
    (1, 2, 3)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training, inplace=self.inplace)
