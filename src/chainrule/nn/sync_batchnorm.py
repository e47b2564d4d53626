"""SyncBatchNorm: batch normalisation over the global batch of a data-parallel job.

With :class:`~chainrule.nn.parallel.DistributedDataParallel` each rank sees only its
share of the batch; a plain BatchNorm would normalise with the share's statistics.
SyncBatchNorm combines the ranks' per-channel counts, means and sums of squared
deviations (one all-gather per forward), so that every rank normalises with the
statistics of the whole global batch, and its backward sums the two per-channel
reductions it needs over the ranks (one allreduce): N ranks with batch B then train
exactly as one process with batch N*B and BatchNorm. Outside a process group (or in
eval mode) it is an ordinary BatchNorm.

>>> import chainrule.nn as nn
>>> nn.SyncBatchNorm(4)
SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function, once_differentiable
from ..graph import no_grad
from ..tensor import Tensor
from .functional._checks import _desc, _tensor
from .layers import _BatchNorm
from .module import Module

__all__ = ["SyncBatchNorm"]


class _GlobalNormalize(Function):
    """``(x - mean) * invstd`` with statistics of the global batch (given, per channel);
    backward sums ``grad`` and ``grad * xhat`` over every rank's share."""

    op_name = "sync_batch_norm"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, mean: Any = None, invstd: Any = None,
                total: float = 1.0, group: Any = None) -> np.ndarray:
        xhat = (x - mean) * invstd
        ctx.save_for_backward(xhat)
        ctx.invstd, ctx.total, ctx.group = invstd, total, group
        return xhat

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        from ..distributed.collectives import all_reduce

        (xhat,) = ctx.saved_tensors
        axes = (0,) + tuple(range(2, grad.ndim))
        c = grad.shape[1]
        sums = np.concatenate([grad.sum(axis=axes, dtype=np.float64),
                               (grad * xhat).sum(axis=axes, dtype=np.float64)])
        if ctx.group is not None:
            all_reduce(sums)
        shape = (1, c) + (1,) * (grad.ndim - 2)
        mean_g = (sums[:c] / ctx.total).astype(grad.dtype).reshape(shape)
        mean_gx = (sums[c:] / ctx.total).astype(grad.dtype).reshape(shape)
        return (grad - mean_g - xhat * mean_gx) * ctx.invstd


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation with statistics over all ranks of the process group.

    Takes ``(N, C, ...)`` inputs (any number of spatial dims); the arguments are
    BatchNorm's, plus ``process_group`` (only the default group, None, exists). The
    running statistics move towards the global batch's mean and unbiased variance.
    Convert a model's BatchNorm layers with :meth:`convert_sync_batchnorm`.
    """

    _ndims = tuple(range(2, 9))

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        if process_group is not None:
            raise ValueError("SyncBatchNorm: only the default process group exists in "
                             "chainrule; leave process_group out")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        group = _live_group()
        if not self.training or group is None or group.size == 1:
            return super().forward(input)
        input = _tensor(input, "SyncBatchNorm")
        if input.ndim < 2 or input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}): expected an input (N, "
                             f"{self.num_features}, ...) with {self.num_features} channels in "
                             f"dim 1, got {_desc(input)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._array += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._array)
        mean, var, total = _global_statistics(input._array, group)
        if total <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over "
                             f"all ranks when training, got {int(total)} (input {_desc(input)} "
                             "on this rank)")
        c = self.num_features
        shape = (1, c) + (1,) * (input.ndim - 2)
        if self.track_running_stats:
            with no_grad():
                for buffer, value in ((self.running_mean, mean),
                                      (self.running_var, var * total / (total - 1))):
                    array = buffer._array
                    array *= 1 - factor
                    array += (factor * value).astype(array.dtype)
                    buffer._version += 1
        dtype = input.dtype
        invstd = (1.0 / np.sqrt(var + self.eps)).astype(dtype).reshape(shape)
        out = _GlobalNormalize.apply(input, mean=mean.astype(dtype).reshape(shape),
                                     invstd=invstd, total=total, group=group)
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every BatchNorm layer (1d, 2d, 3d) replaced by a SyncBatchNorm
        holding the same parameters, buffers and settings (``module`` itself when it is
        one); the other layers are kept as they are.

        >>> import chainrule.nn as nn
        >>> model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        >>> type(nn.SyncBatchNorm.convert_sync_batchnorm(model)[1]).__name__
        'SyncBatchNorm'
        """
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group,
                            bias=module.has_bias)
            for name in ("weight", "bias"):
                if name in module._parameters:
                    converted._parameters[name] = module._parameters[name]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted._buffers[name] = module._buffers[name]
            converted.train(module.training)
            return converted
        for name, child in list(module._modules.items()):
            if child is not None:
                module._modules[name] = cls.convert_sync_batchnorm(child, process_group)
        return module


def _live_group() -> Any:
    from ..distributed.process_group import _group, is_initialized, launched_world_size

    if not is_initialized() and launched_world_size() <= 1:
        return None
    return _group("SyncBatchNorm")


def _global_statistics(x: np.ndarray, group: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-channel mean and biased variance over every rank's ``x``, and the count,
    combined from each rank's count, mean and sum of squared deviations (Chan et al.)."""
    from ..distributed.collectives import all_gather

    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // c if c else 0
    local = np.zeros(2 * c + 1, dtype=np.float64)
    local[0] = n
    if n:
        mean = x.mean(axis=axes, dtype=np.float64)
        centered = x - mean.reshape((1, c) + (1,) * (x.ndim - 2))
        local[1:c + 1] = mean
        local[c + 1:] = (centered * centered).sum(axis=axes)
    parts = [np.empty_like(local) for _ in range(group.size)]
    all_gather(parts, local)
    counts = np.array([p[0] for p in parts])
    total = float(counts.sum())
    means = np.stack([p[1:c + 1] for p in parts])
    m2s = np.stack([p[c + 1:] for p in parts])
    mean = (counts[:, None] * means).sum(axis=0) / max(total, 1.0)
    m2 = (m2s + counts[:, None] * (means - mean) ** 2).sum(axis=0)
    return mean, m2 / max(total, 1.0), total

