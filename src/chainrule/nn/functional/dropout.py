"""Dropout functions: elementwise, whole channels (1d/2d/3d), and alpha dropout for SELU.

Masks are drawn from chainrule's global generator (:func:`chainrule.manual_seed`), so
a seeded run repeats exactly; the streams differ from PyTorch's. Each kept value is
scaled so that the expectation is unchanged (alpha dropout: the mean and variance of
a standard normal input), and the mask is a constant of the graph.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...creation import default_generator
from ...tensor import Tensor
from ._checks import _desc, _tensor
from .activation import _maybe_inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

# -SELU's saturation value (scale * alpha): where alpha dropout sets dropped units
_ALPHA = 1.7580993408473766


def _check_p(p: float, who: str) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"{who}: dropout probability has to be between 0 and 1, but got {p}")


def _keep(shape: tuple, p: float) -> np.ndarray:
    """A float64 0/1 mask of ``shape``, each entry 1 with probability 1 - p."""
    return (default_generator().random(shape) >= p).astype(np.float64)


def _noise_shape(x: Tensor, feature: bool, who: str) -> tuple:
    if not feature:
        return tuple(x.shape)
    if x.ndim < 2:
        raise ValueError(f"{who}: channel-wise dropout needs at least 2 dims (N, C, ...), got "
                         f"{_desc(x)}")
    return tuple(x.shape[:2]) + (1,) * (x.ndim - 2)


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool,
             alpha: bool, who: str) -> Tensor:
    _check_p(p, who)
    input = _tensor(input, who)
    if not training or p == 0:
        return input
    if p == 1:
        return _maybe_inplace(input, lambda x: x * np.zeros((), x.dtype), inplace, who)
    keep = _keep(_noise_shape(input, feature, who), p)
    dtype = input.dtype
    if not alpha:
        scale = (keep / (1 - p)).astype(dtype)
        return _maybe_inplace(input, lambda x: x * scale, inplace, who)
    a = 1 / np.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    scale = (keep * a).astype(dtype)
    shift = ((keep - 1) * (_ALPHA * a) + _ALPHA * a * p).astype(dtype)
    return _maybe_inplace(input, lambda x: x * scale + shift, inplace, who)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    >>> import chainrule as cr
    >>> dropout(cr.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    return _dropout(input, p, training, inplace, False, False, "dropout")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) with probability ``p``; scale by 1 / (1 - p).

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> out = dropout1d(cr.ones(1, 4, 3))
    >>> sorted(set(out.flatten().tolist()))  # each channel is all 0 or all 2
    [0.0, 2.0]
    """
    who = "dropout1d"
    input = _tensor(input, who)
    if input.ndim not in (2, 3):
        raise ValueError(f"{who}: expected a 2-D (C, L) or 3-D (N, C, L) input, got "
                         f"{_desc(input)}")
    if input.ndim == 2:
        return _batch_of_one(input, p, training, inplace, who)
    return _dropout(input, p, training, inplace, True, False, who)


def _batch_of_one(input: Tensor, p: float, training: bool, inplace: bool, who: str) -> Tensor:
    """Channel dropout of an unbatched input: as a batch of one, in its own shape."""
    _check_p(p, who)
    if not training or p == 0:
        return input
    keep = _keep((input.shape[0],) + (1,) * (input.ndim - 1), p)
    scale = (keep / (1 - p)).astype(input.dtype) if p < 1 else np.zeros((), input.dtype)
    return _maybe_inplace(input, lambda x: x * scale, inplace, who)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability ``p``; scale by 1 / (1 - p).

    As PyTorch, a 3-D input is taken as (N, C, L) (with a warning: use dropout1d).
    """
    who = "dropout2d"
    input = _tensor(input, who)
    if input.ndim not in (3, 4):
        warnings.warn(f"{who}: received a {input.ndim}-D input; dropout2d expects (N, C, H, W) "
                      "and will refuse other shapes in a future release, as PyTorch warns",
                      UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn(f"{who}: received a 3-D input and, as PyTorch, takes it as (N, C, L) "
                      "(channel-wise 1-D dropout); use dropout1d to say so", UserWarning,
                      stacklevel=2)
    return _dropout(input, p, training, inplace, True, False, who)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability ``p``;
    scale by 1 / (1 - p)."""
    who = "dropout3d"
    input = _tensor(input, who)
    if input.ndim not in (4, 5):
        warnings.warn(f"{who}: received a {input.ndim}-D input; dropout3d expects "
                      "(N, C, D, H, W) or (C, D, H, W) and will refuse other shapes in a "
                      "future release, as PyTorch warns", UserWarning, stacklevel=2)
    if input.ndim == 4:
        return _batch_of_one(input, p, training, inplace, who)
    return _dropout(input, p, training, inplace, True, False, who)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's saturation value and an affine
    map restores the mean and variance of a standard normal input. Off unless training.

    >>> import chainrule as cr
    >>> alpha_dropout(cr.ones(3), 0.5)  # training=False by default
    tensor([1., 1., 1.])
    """
    return _dropout(input, p, training, inplace, False, True, "alpha_dropout")


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """:func:`alpha_dropout` of whole channels (dim 1) of (N, C, ...)."""
    return _dropout(input, p, training, inplace, True, True, "feature_alpha_dropout")
