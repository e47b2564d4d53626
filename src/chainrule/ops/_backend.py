"""The array namespace that vector-Jacobian products are written against.

Every VJP calls array functions through ``xp = ctx.xp``. In an ordinary backward
``xp`` is :data:`NUMPY` below: NumPy's own functions plus a few helpers that
NumPy lacks under one name. Under ``create_graph=True`` ``xp`` is the Tensor
namespace (:mod:`chainrule.ops.namespace`), which has the same names with the
same signatures, each a recorded op. Keep the two lists in step: a VJP may only
use names that both provide. This is also the seam where a GPU array library
with NumPy's interface (CuPy) could be slotted in later.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["NUMPY", "sum_to", "scatter_add", "scatter_add_along", "namespace", "value"]


def sum_to(g: Any, shape: tuple) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``.

    >>> sum_to(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {g.shape} to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    for i, n in enumerate(shape):
        if n != 1 and g.shape[lead + i] != n:
            raise ValueError(f"cannot sum shape {g.shape} to {shape}")
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


def scatter_add(g: Any, shape: tuple, index: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index``; repeated indices add up.

    The VJP of ``x[index]``.
    """
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def scatter_add_along(g: Any, shape: tuple, indices: Any, axis: int) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added along ``axis`` at ``indices``.

    The VJP of ``take_along_axis`` (``torch.gather``).
    """
    out = np.zeros(shape, dtype=g.dtype)
    index = list(np.indices(indices.shape, sparse=True))
    index[axis] = indices
    np.add.at(out, tuple(index), g)
    return out


def value(x: Any) -> Any:
    """The plain array behind ``x`` (a Tensor's ``.data``; arrays and numbers as they are).

    For masks and counts inside a VJP, which are constants to a second differentiation.

    >>> value(np.float64(2.0)) + 1
    np.float64(3.0)
    """
    if isinstance(x, (np.ndarray, np.generic, int, float, bool, complex)):
        return x
    return x.data


def _is_basic_index(index: Any) -> bool:
    """True when ``index`` has no integer-array or boolean parts (so no repeats)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, np.ndarray) or isinstance(part, (list, bool, np.bool_)):
            return False
    return True


class _NumpyNamespace:
    """NumPy, as seen by a VJP running on plain arrays."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    sum = staticmethod(np.sum)
    reshape = staticmethod(np.reshape)
    broadcast_to = staticmethod(np.broadcast_to)
    transpose = staticmethod(np.transpose)
    swapaxes = staticmethod(np.swapaxes)
    matmul = staticmethod(np.matmul)
    expand_dims = staticmethod(np.expand_dims)
    take_along_axis = staticmethod(np.take_along_axis)
    sum_to = staticmethod(sum_to)
    scatter_add = staticmethod(scatter_add)
    scatter_add_along = staticmethod(scatter_add_along)

    @staticmethod
    def zeros_like(x: Any) -> np.ndarray:
        return np.zeros_like(x)

    @staticmethod
    def sigmoid(x: Any) -> np.ndarray:
        return _sigmoid(x)

    @staticmethod
    def sliding_windows(x: Any, window: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
        from .conv import sliding_windows  # ops.conv imports this module

        return sliding_windows(x, window, stride, dilation)

    @staticmethod
    def col2im(g: Any, shape: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
        from .conv import col2im

        return col2im(g, shape, stride, dilation)

    def __repr__(self) -> str:
        return "<array namespace: numpy>"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function without overflow for large |x|."""
    out = np.exp(-np.abs(x))
    pos = x >= 0
    return np.where(pos, 1.0, out) / (1.0 + out)


NUMPY = _NumpyNamespace()


def namespace(x: Any) -> Any:
    """The array namespace of ``x``: :data:`NUMPY` for arrays, the Tensor one for Tensors."""
    if isinstance(x, (np.ndarray, np.generic)):
        return NUMPY
    return x.__array_namespace__()
