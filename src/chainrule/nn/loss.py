"""Loss modules: thin wrappers over :mod:`chainrule.nn.functional`, PyTorch's names.

Every loss takes ``reduction`` = ``'mean'`` (default), ``'sum'`` or ``'none'``; the
deprecated ``size_average`` / ``reduce`` arguments are accepted where PyTorch accepts them
and turned into a ``reduction`` (with PyTorch's warning). A class weight is a buffer
named ``weight`` (``pos_weight`` for BCEWithLogitsLoss), so it travels in ``state_dict``.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> loss = nn.CrossEntropyLoss()(cr.tensor([[1e4, 0.0]]), cr.tensor([1]))
>>> loss.item()
10000.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..tensor import Tensor
from . import functional as F
from .distance import PairwiseDistance
from .functional.loss import _check_reduction, _legacy
from .module import Module

__all__ = [
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "NLLLoss2d", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "SoftMarginLoss", "MultiLabelSoftMarginLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
    "MarginRankingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
    "MultiMarginLoss", "MultiLabelMarginLoss", "CTCLoss",
]


class _Loss(Module):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        name = type(self).__name__
        reduction = _legacy(size_average, reduce, reduction, name)
        _check_reduction(reduction, name)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


# ---------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------


class MSELoss(_Loss):
    """Mean squared error.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.MSELoss()(cr.tensor([1.0, 3.0]), cr.tensor([0.0, 0.0])).item()
    5.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.L1Loss(reduction="sum")(cr.tensor([1.0, -3.0]), cr.tensor([0.0, 0.0])).item()
    4.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.SmoothL1Loss()(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0])).item()
    1.3125
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.HuberLoss(delta=2.0)(cr.tensor([1.0, 3.0]), cr.tensor([0.0, 0.0])).item()
    2.25
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence ``target (log target - input)`` with ``input`` given as
    log-probabilities (``target`` too when ``log_target``); use ``reduction='batchmean'``
    for the mathematical definition.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> p = cr.tensor([[0.5, 0.5]])
    >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
    0.0
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        Module.__init__(self)
        reduction = _legacy(size_average, reduce, reduction, "KLDivLoss")
        if reduction != "batchmean":
            _check_reduction(reduction, "KLDivLoss")
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of a Poisson target: ``exp(input) - target input`` with
    ``log_input``, else ``input - target log(input + eps)``; ``full`` adds Stirling's term.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.PoissonNLLLoss()(cr.tensor([0.0]), cr.tensor([1.0])).item()
    1.0
    """

    def __init__(self, log_input: bool = True, full: bool = False,
                 size_average: bool | None = None, eps: float = 1e-8,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of a Gaussian target: ``0.5 (log var + (input - target)^2 /
    var)``, ``var`` clamped below at ``eps``; ``full`` adds ``0.5 log(2 pi)``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.GaussianNLLLoss()(cr.tensor([1.0]), cr.tensor([3.0]), cr.tensor([1.0])).item()
    2.0
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (apply a sigmoid first, or use
    :class:`BCEWithLogitsLoss`, which is stable).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> round(nn.BCELoss()(cr.tensor([0.5]), cr.tensor([1.0])).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable op; ``pos_weight`` weighs positives.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> loss = nn.BCEWithLogitsLoss(pos_weight=cr.tensor([2.0]))
    >>> round(loss(cr.tensor([0.0]), cr.tensor([1.0])).item(), 4)
    1.3863
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits against class indices or class probabilities.

    ``weight`` (one per class), ``ignore_index`` and ``label_smoothing`` as in PyTorch.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> round(nn.CrossEntropyLoss()(cr.zeros(1, 4), cr.tensor([2])).item(), 4)
    1.3863
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (after :class:`LogSoftmax`).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.NLLLoss()(cr.tensor([[-1.0, -2.0]]), cr.tensor([1])).item()
    2.0
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class NLLLoss2d(NLLLoss):
    """The old name of :class:`NLLLoss` for (N, C, H, W) inputs (NLLLoss takes any rank).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.NLLLoss2d()(cr.zeros(1, 3, 2, 2), cr.zeros(1, 2, 2, dtype=cr.int64)).item()
    0.0
    """


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-target input))`` with targets +1 / -1.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> round(nn.SoftMarginLoss()(cr.tensor([0.0]), cr.tensor([1.0])).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-versus-all logistic loss over C labels, averaged over the labels, for
    (N, C) inputs and 0 / 1 targets; ``weight`` weighs each label.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> round(nn.MultiLabelSoftMarginLoss()(cr.zeros(1, 3), cr.ones(1, 3)).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: the sum over wrong classes i of ``max(0, margin - x[y] +
    x[i]) ** p``, divided by C.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> x = cr.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> round(nn.MultiMarginLoss()(x, cr.tensor([3])).item(), 4)
    0.325
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss; each target row lists the sample's classes, ended by -1.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> x, y = cr.tensor([[0.1, 0.2, 0.4, 0.8]]), cr.tensor([[3, 0, -1, 1]])
    >>> round(nn.MultiLabelMarginLoss()(x, y).item(), 4)
    0.85
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


# ---------------------------------------------------------------------------
# Embeddings and ranking
# ---------------------------------------------------------------------------


class HingeEmbeddingLoss(_Loss):
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.HingeEmbeddingLoss()(cr.tensor([0.3, 0.3]), cr.tensor([1.0, -1.0])).item()
    0.5
    """

    def __init__(self, margin: float = 1.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` where the target is 1, ``max(0, cos(x1, x2) - margin)`` where -1.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> x = cr.tensor([[1.0, 0.0]])
    >>> nn.CosineEmbeddingLoss()(x, x, cr.tensor([1.0])).item()
    0.0
    """

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -target (x1 - x2) + margin)``: x1 should rank above x2 where target is 1.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.MarginRankingLoss(margin=1.0)(cr.tensor([2.0]), cr.tensor([1.5]),
    ...                                  cr.tensor([1.0])).item()
    0.5
    """

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the p-norm distance; ``swap`` uses
    ``min(d(a, n), d(p, n))`` as the negative distance.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> a = cr.tensor([[0.0, 0.0]])
    >>> loss = nn.TripletMarginLoss(eps=0.0)(a, a, cr.tensor([[3.0, 4.0]]))
    >>> loss.item()
    0.0
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """The triplet loss with any ``distance_function`` (default: pairwise distance).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> loss = nn.TripletMarginWithDistanceLoss(
    ...     distance_function=lambda x, y: 1.0 - nn.functional.cosine_similarity(x, y))
    >>> round(loss(cr.tensor([[1.0, 0.0]]), cr.tensor([[1.0, 0.0]]),
    ...            cr.tensor([[0.0, 1.0]])).item(), 4)
    0.0
    """

    def __init__(self, *, distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                 margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


# ---------------------------------------------------------------------------
# Sequences
# ---------------------------------------------------------------------------


class CTCLoss(_Loss):
    """Connectionist temporal classification: minus the log of the total probability of
    every alignment of ``targets`` to the (T, N, C) ``log_probs``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> log_probs = cr.full((2, 1, 2), 0.5).log()
    >>> loss = nn.CTCLoss(reduction="sum")(log_probs, cr.tensor([[1]]), [2], [1])
    >>> round((-loss).exp().item(), 4)
    0.75
    """

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Any,
                target_lengths: Any) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)
