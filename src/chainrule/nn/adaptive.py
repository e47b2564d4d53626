"""AdaptiveLogSoftmaxWithLoss: the efficient softmax of Grave et al. (2017) for large
vocabularies.

Frequent classes (below ``cutoffs[0]``) are scored by a head layer, which also scores one
entry per cluster of rarer classes; each cluster has its own smaller projection
(``in_features / div_value ** (i + 1)`` wide). Parameters and ``state_dict`` keys are
PyTorch's (``head.weight``, ``tail.0.0.weight``, ``tail.0.1.weight``, ...).

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> asm = nn.AdaptiveLogSoftmaxWithLoss(16, 100, cutoffs=[10, 50])
>>> out, loss = asm(cr.randn(8, 16), cr.tensor([0, 5, 12, 49, 50, 99, 3, 77]))
>>> out.shape, loss.shape
((8,), ())
>>> [round(v, 4) for v in asm.log_prob(cr.randn(2, 16)).exp().sum(1).tolist()]
[1.0, 1.0]
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..tensor_methods.shape import cat
from . import functional as F
from .functional._checks import _desc, _tensor
from .layers import Linear
from .module import Module, ModuleList, Sequential

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: ``forward(input, target)`` returns ``(output, loss)``, the
    log-probability of each target and the mean negative log-likelihood; ``log_prob(input)``
    gives every class's log-probability and ``predict(input)`` the most likely class.

    >>> import chainrule.nn as nn
    >>> asm = nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 12], div_value=2.0)
    >>> [tuple(p.shape) for p in asm.parameters()]
    [(6, 8), (4, 8), (8, 4), (2, 8), (8, 2)]
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "unique, positive integers sorted in an increasing order, where "
                             f"each value is between 1 and n_classes-1, got {cutoffs} for "
                             f"n_classes={n_classes}")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device,
                           dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(
                Linear(in_features, hsz, bias=False, device=device, dtype=dtype),
                Linear(hsz, osz, bias=False, device=device, dtype=dtype)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection in self.tail.children():
            for layer in projection.children():
                layer.reset_parameters()

    def forward(self, input_: Tensor, target_: Any) -> _ASMoutput:
        who = "AdaptiveLogSoftmaxWithLoss"
        input_ = _tensor(input_, who)
        target_np = np.asarray(target_.numpy() if isinstance(target_, Tensor) else target_)
        if target_np.ndim == 1:
            if input_.ndim != 2 or input_.shape[0] != target_np.shape[0]:
                raise RuntimeError(f"{who}: a 1-d target of {target_np.shape[0]} entries needs "
                                   f"a 2-d input with as many rows, got {_desc(input_)}")
        elif target_np.ndim == 0:
            if input_.ndim != 1:
                raise RuntimeError(f"{who}: a 0-d target needs a 1-d input, got "
                                   f"{_desc(input_)}")
        else:
            raise RuntimeError(f"{who}: 0D or 1D target tensor expected, multi-target not "
                               f"supported (got shape {target_np.shape})")
        if target_np.dtype.kind not in "iu":
            raise TypeError(f"{who}: targets must be integers, got {target_np.dtype}")
        batched = target_np.ndim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_np.reshape(-1).astype(np.int64)
        if target.size and (target.min() < 0 or target.max() >= self.n_classes):
            raise RuntimeError(f"{who}: Target values should be in [0, {self.n_classes - 1}], "
                               f"but values in range [{target.min()}, {target.max()}] were "
                               "found.")
        n = target.shape[0]
        rows = np.arange(n)
        gather = target.copy()
        pieces, order = [], []
        for i in range(1, len(self.cutoffs)):
            low, high = self.cutoffs[i - 1], self.cutoffs[i]
            idx = np.nonzero((target >= low) & (target < high))[0]
            if idx.size == 0:
                continue
            gather[idx] = self.shortlist_size + i - 1
            cluster = F.log_softmax(self.tail[i - 1](input[idx]), 1)
            pieces.append(cluster[np.arange(idx.size), target[idx] - low])
            order.append(idx)
        head_logprob = F.log_softmax(self.head(input), 1)
        output = head_logprob[rows, gather]
        if pieces:
            # each row's cluster term, back in row order (rows in the shortlist add 0)
            shortlist = np.nonzero(target < self.shortlist_size)[0]
            zeros = Tensor(np.zeros(shortlist.size, dtype=output.dtype))
            tails = cat(pieces + [zeros])
            inverse = np.empty(n, dtype=np.int64)
            inverse[np.concatenate(order + [shortlist])] = rows
            output = output + tails[inverse]
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head_logprob = F.log_softmax(head_output, 1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = F.log_softmax(self.tail[i](input), 1)
            k = self.shortlist_size + i
            parts.append(cluster + head_logprob[:, k:k + 1])
        return cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of all ``n_classes`` classes, (N, n_classes)."""
        input = _tensor(input, "AdaptiveLogSoftmaxWithLoss.log_prob")
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row, (N,)."""
        return self.log_prob(input).argmax(1)
