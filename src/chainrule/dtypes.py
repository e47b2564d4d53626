"""dtypes: PyTorch's names and rules, on NumPy's dtypes.

Python floats become float32 (the default floating dtype), Python ints int64,
bools bool; float64 arrays stay float64 (no silent upcast or downcast).

>>> as_dtype(float), as_dtype(int), as_dtype("float64")
(dtype('float32'), dtype('int64'), dtype('float64'))
>>> to_array([1.0, 2.0]).dtype, to_array(np.zeros(2)).dtype
(dtype('float32'), dtype('float64'))
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = ["DEFAULT_FLOAT", "as_dtype", "float_dtype", "to_array"]

DEFAULT_FLOAT = np.dtype(np.float32)


def as_dtype(dtype: Any) -> np.dtype | None:
    """A NumPy dtype for ``dtype`` (a NumPy dtype or type, a string, or Python's
    ``float``/``int``/``bool``); None stays None."""
    if dtype is None:
        return None
    if dtype is builtins.float:
        return DEFAULT_FLOAT
    if dtype is builtins.int:
        return np.dtype(np.int64)
    if dtype is builtins.bool:
        return np.dtype(np.bool_)
    return np.dtype(dtype)


def float_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype, the default floating dtype when None."""
    return as_dtype(dtype) or DEFAULT_FLOAT


def to_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """An array from a number, a nested list, an array or a Tensor, with PyTorch's dtype rules."""
    dt = as_dtype(dtype)
    if hasattr(data, "_ctx") and isinstance(getattr(data, "data", None), np.ndarray):
        data = data.data  # a Tensor
    if isinstance(data, np.ndarray):
        arr = data.astype(dt) if dt is not None else data
        return arr.copy() if copy and arr is data else arr
    if isinstance(data, (list, tuple)) and data:
        data = [d.data if hasattr(d, "_ctx") else d for d in data]
    arr = np.array(data, dtype=dt)
    if dt is None and arr.dtype == np.float64 and not isinstance(data, np.generic):
        arr = arr.astype(DEFAULT_FLOAT)  # Python floats become float32, as in PyTorch
    return arr
