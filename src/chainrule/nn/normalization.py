"""Normalisation layers beyond BatchNorm1d/2d and LayerNorm: BatchNorm3d, GroupNorm,
InstanceNorm1d/2d/3d, LocalResponseNorm, RMSNorm.

Defaults, parameters (scale ones, shift zeros), buffers and ``state_dict`` keys are
PyTorch's: instance norm has neither an affine transform nor running statistics unless
asked (``affine=True``, ``track_running_stats=True``).

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> nn.GroupNorm(2, 6)
GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)
>>> nn.InstanceNorm2d(3)
InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
>>> nn.GroupNorm(2, 6)(cr.randn(4, 6, 5)).shape
(4, 6, 5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..devices import check_device
from ..tensor import Tensor
from ..tensor_methods.linalg import einsum
from . import functional as F
from .functional._checks import _desc, _tensor
from .layers import _affine_parameters, _BatchNorm, _dtype
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm3d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "LocalResponseNorm", "RMSNorm", "CrossMapLRN2d"]


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) inputs, per channel.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.BatchNorm3d(2)(cr.randn(3, 2, 2, 2, 2)).shape
    (3, 2, 2, 2, 2)
    """

    _ndims = (5,)


class GroupNorm(Module):
    """Normalise each sample over groups of ``num_channels // num_groups`` channels (and all
    spatial positions), then scale and shift per channel.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> out = nn.GroupNorm(1, 4)(cr.arange(8.0).reshape(1, 4, 2))
    >>> round(out.mean().item(), 6), round(out.var(unbiased=False).item(), 3)
    (0.0, 1.0)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        check_device(device, "GroupNorm")
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, affine, bias, (num_channels,), _dtype(dtype))

    def reset_parameters(self) -> None:
        if self.affine:
            self.weight._array[...] = 1
            if self.bias is not None:
                self.bias._array[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        input = _tensor(input, "GroupNorm")
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected an "
                             f"input (N, {self.num_channels}, *), got {_desc(input)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    _unbatched = 2  # the rank of an unbatched input

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        input = _tensor(input, name)
        rank = self._unbatched
        if input.ndim not in (rank, rank + 1):
            raise ValueError(f"{name}({self.num_features}): expected a {rank + 1}-d input "
                             f"(N, C, ...) or an unbatched {rank}-d one, got {_desc(input)}")
        channel_dim = input.ndim - rank
        if self.affine and input.shape[channel_dim] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected {self.num_features} "
                             f"channels in dim {channel_dim}, got {_desc(input)}")
        unbatched = input.ndim == rank
        if unbatched:
            input = input.unsqueeze(0)
        momentum = self.momentum if self.momentum is not None else 0.0
        out = F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                              self.bias, self.training or not self.track_running_stats,
                              momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Normalise each channel of each sample of (N, C, L) (or unbatched (C, L)) over L.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.InstanceNorm1d(3)(cr.randn(2, 3, 5)).shape
    (2, 3, 5)
    """

    _unbatched = 2


class InstanceNorm2d(_InstanceNorm):
    """Normalise each channel of each sample of (N, C, H, W) over (H, W).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.InstanceNorm2d(3, affine=True)(cr.randn(2, 3, 4, 4)).shape
    (2, 3, 4, 4)
    """

    _unbatched = 3


class InstanceNorm3d(_InstanceNorm):
    """Normalise each channel of each sample of (N, C, D, H, W) over (D, H, W).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.InstanceNorm3d(2)(cr.randn(1, 2, 3, 3, 3)).shape
    (1, 2, 3, 3, 3)
    """

    _unbatched = 4


class LocalResponseNorm(Module):
    """Divide each value by ``(k + alpha / size * sum of squares over size neighbouring
    channels) ** beta``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.LocalResponseNorm(2)
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    >>> nn.LocalResponseNorm(2)(cr.ones(1, 4, 3)).shape
    (1, 4, 3)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """Divide by the root mean square over the trailing ``normalized_shape`` dims, then
    scale (``eps`` defaults to the dtype's machine epsilon).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> [round(v, 4) for v in nn.RMSNorm(2)(cr.tensor([[3.0, 4.0]])).tolist()[0]]
    [0.8485, 1.1314]
    """

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device, "RMSNorm")
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else \
            tuple(normalized_shape)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        weight = np.ones(self.normalized_shape, dtype=_dtype(dtype))
        self.register_parameter("weight", Parameter(weight) if elementwise_affine else None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            self.weight._array[...] = 1

    def forward(self, input: Tensor) -> Tensor:
        input = _tensor(input, "RMSNorm")
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k:]) != self.normalized_shape:
            raise ValueError(f"RMSNorm({self.normalized_shape}): expected input with trailing "
                             f"shape {self.normalized_shape}, got {_desc(input)}")
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


def _cross_map_window(channels: int, size: int) -> np.ndarray:
    """Which channels' squares enter each channel's scale in PyTorch's CrossMapLRN2d: its
    running-sum recurrence, run on indicator vectors. (The first channel, once added,
    is never taken out again: that is the recurrence, kept as it is.)"""
    pre_pad = int((size - 1) / 2 + 1)
    square = np.eye(channels)
    scale = np.zeros((channels, channels))
    scale[0] = square[:min(pre_pad, channels)].sum(0)
    for c in range(1, channels):
        scale[c] = scale[c - 1]
        if c < channels - pre_pad + 1:
            scale[c] += square[c + pre_pad - 1]
        if c > pre_pad:
            scale[c] -= square[c - pre_pad]
    return scale


class CrossMapLRN2d(Module):
    """The older form of local response normalisation over channels of (N, C, H, W)
    inputs, with PyTorch's window: ``x / (k + alpha / size * window sum of x^2) ** beta``.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.CrossMapLRN2d(3)
    CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)
    >>> nn.CrossMapLRN2d(3)(cr.ones(1, 4, 2, 2)).shape
    (1, 4, 2, 2)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        input = _tensor(input, "CrossMapLRN2d")
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: expected a 4-d input (N, C, H, W), got "
                             f"{_desc(input)}")
        window = _cross_map_window(input.shape[1], self.size).astype(input.dtype)
        total = einsum("dc,nchw->ndhw", Tensor(window), input * input)
        return input * (total * (self.alpha / self.size) + self.k) ** (-self.beta)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
