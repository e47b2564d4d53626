"""Argument checks shared by the functional ops: one clear line per mistake."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...creation import tensor as _make_tensor
from ...tensor import Tensor

__all__: list[str] = []


def _tensor(x: Any, who: str) -> Tensor:
    """``x`` as a Tensor: arrays, lists and numbers are accepted (floats become float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic, list, tuple, float, int)):
        return _make_tensor(x)
    raise TypeError(f"{who}: expected a Tensor, got {type(x).__name__}")


def _desc(t: Any) -> str:
    return f"shape {tuple(t.shape)} ({np.dtype(t.dtype).name})"


def _check_float(x: Tensor, who: str) -> None:
    if x.dtype.kind != "f":
        raise TypeError(
            f"{who}: expected a floating-point input, got {_desc(x)}; convert it with .float()"
        )


def _same_dtype(x: Tensor, param: Any, who: str, what: str = "weight") -> None:
    if param is not None and x.dtype != param.dtype:
        raise TypeError(
            f"{who}: input dtype {x.dtype.name} doesn't match {what} dtype {param.dtype.name}; "
            f"convert the input (.{'double' if param.dtype == np.float64 else 'float'}()) "
            "or the layer (.to(dtype))"
        )


def _pair(v: Any, n: int, name: str, who: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{who}: {name} must be an int or a tuple of {n} ints, got {v}")
    return v
