"""Making Tensors: from data, filled, ranges, and random, with PyTorch's names and defaults.

Random functions draw from one global NumPy Generator, seeded by :func:`manual_seed`.

>>> import chainrule as cr
>>> cr.tensor([1.0, 2.0]).dtype
dtype('float32')
>>> cr.zeros(2, 3).shape
(2, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import DEFAULT_FLOAT, as_dtype, float_dtype, to_array
from .tensor import Tensor

__all__ = ["tensor", "zeros", "ones", "full", "eye", "arange", "rand", "randn", "randint",
           "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "manual_seed",
           "default_generator"]


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Make a Tensor from a number, a (nested) list or an array; the data is copied.

    Python floats become float32; float64 arrays stay float64; ints become int64.

    >>> import chainrule as cr
    >>> cr.tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> cr.tensor([1, 2]).dtype
    dtype('int64')
    """
    return Tensor(to_array(data, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------------------
# The random generator
# ---------------------------------------------------------------------------

class _Generator:
    rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed chainrule's global random generator (rand, randn, init, dropout, shuffling)."""
    _Generator.rng = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The global NumPy Generator behind chainrule's random functions."""
    return _Generator.rng


# ---------------------------------------------------------------------------
# Filled and ranges
# ---------------------------------------------------------------------------

def _shape(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros; ``size`` as separate numbers or one tuple."""
    return Tensor(np.zeros(_shape(size), float_dtype(dtype)), requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones; ``size`` as separate numbers or one tuple."""
    return Tensor(np.ones(_shape(size), float_dtype(dtype)), requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor filled with ``fill_value``; its dtype follows the value (bool, int64, float32)."""
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, int):
            dtype = np.int64
        else:
            dtype = DEFAULT_FLOAT
    size = (size,) if isinstance(size, int) else tuple(size)
    return Tensor(np.full(size, fill_value, as_dtype(dtype)), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The ``n`` x ``m`` identity matrix (square when ``m`` is None)."""
    return Tensor(np.eye(n, m, dtype=float_dtype(dtype)), requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    arr = np.arange(start, end, step)
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype))
    elif arr.dtype == np.float64:
        arr = arr.astype(DEFAULT_FLOAT)
    return Tensor(arr, requires_grad=requires_grad)


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape and dtype."""
    return Tensor(np.zeros_like(_data(t), dtype=as_dtype(dtype)), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and dtype."""
    return Tensor(np.ones_like(_data(t), dtype=as_dtype(dtype)), requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``t``'s shape and dtype."""
    return Tensor(np.full_like(_data(t), fill_value, dtype=as_dtype(dtype)),
                  requires_grad=requires_grad)


# ---------------------------------------------------------------------------
# Random
# ---------------------------------------------------------------------------

def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), from the generator that :func:`manual_seed` seeds."""
    arr = _Generator.rng.random(_shape(size)).astype(float_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal, from the generator that :func:`manual_seed` seeds."""
    arr = _Generator.rng.standard_normal(_shape(size)).astype(float_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None) -> Tensor:
    """Integers uniform on [low, high) (on [0, low) with one bound), int64 by default."""
    if high is None:
        low, high = 0, low
    shape = (size,) if isinstance(size, int) else tuple(size)
    arr = _Generator.rng.integers(low, high, size=shape)
    return Tensor(arr.astype(as_dtype(dtype) or np.int64))


def rand_like(t: Tensor, dtype: Any = None) -> Tensor:
    """Uniform on [0, 1) in ``t``'s shape (and dtype, unless given)."""
    return rand(*t.shape, dtype=dtype or t.dtype)


def randn_like(t: Tensor, dtype: Any = None) -> Tensor:
    """Standard normal in ``t``'s shape (and dtype, unless given)."""
    return randn(*t.shape, dtype=dtype or t.dtype)
