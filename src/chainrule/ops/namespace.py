"""The Tensor namespace: NumPy's names, each one a recorded op.

Under ``create_graph=True`` a VJP's ``xp`` is :data:`TENSOR`, so the very code that
computes a gradient on arrays records it on Tensors instead (DESIGN.md,
decision 1). Signatures match :data:`chainrule.ops._backend.NUMPY`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import conv as C
from . import elementwise as E
from . import linalg as L
from . import reduce as R
from . import shape as S
from ._backend import value


def _axis_tuple(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % max(ndim, 1) for a in axes))


def _raw(x: Any) -> np.ndarray:
    return np.asarray(value(x))


class _TensorNamespace:
    """NumPy, as seen by a VJP running on Tensors."""

    @staticmethod
    def exp(x): return E.Exp.apply(x)

    @staticmethod
    def log(x): return E.Log.apply(x)

    @staticmethod
    def sqrt(x): return E.Sqrt.apply(x)

    @staticmethod
    def sin(x): return E.Sin.apply(x)

    @staticmethod
    def cos(x): return E.Cos.apply(x)

    @staticmethod
    def tanh(x): return E.Tanh.apply(x)

    @staticmethod
    def abs(x): return E.Abs.apply(x)

    @staticmethod
    def sigmoid(x): return E.Sigmoid.apply(x)

    @staticmethod
    def sign(x): return x.sign()  # piecewise constant: no gradient to record

    @staticmethod
    def where(cond, a, b): return E.Where.apply(_raw(cond).astype(bool), a, b)

    @staticmethod
    def maximum(a, b): return E.Maximum.apply(a, b)

    @staticmethod
    def minimum(a, b): return E.Minimum.apply(a, b)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return R.Sum.apply(x, axis=_axis_tuple(axis, x.ndim), keepdims=keepdims)

    @staticmethod
    def reshape(x, shape): return S.Reshape.apply(x, shape=tuple(shape))

    @staticmethod
    def broadcast_to(x, shape): return S.Expand.apply(x, shape=tuple(shape))

    @staticmethod
    def transpose(x, axes=None):
        axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
        return S.Permute.apply(x, axes=axes)

    @staticmethod
    def swapaxes(x, a, b):
        axes = list(range(x.ndim))
        a, b = a % x.ndim, b % x.ndim
        axes[a], axes[b] = axes[b], axes[a]
        return S.Permute.apply(x, axes=tuple(axes))

    @staticmethod
    def matmul(a, b): return L.Matmul.apply(a, b)

    @staticmethod
    def expand_dims(x, axis):
        axis = axis % (x.ndim + 1)
        return S.Reshape.apply(x, shape=x.shape[:axis] + (1,) + x.shape[axis:])

    @staticmethod
    def take_along_axis(x, indices, axis):
        return R.TakeAlongAxis.apply(x, indices=indices, axis=axis)

    @staticmethod
    def sum_to(x, shape):
        shape = tuple(shape)
        if x.shape == shape:
            return x
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
        )
        out = R.Sum.apply(x, axis=axes, keepdims=True) if axes else x
        return S.Reshape.apply(out, shape=shape) if out.shape != shape else out

    @staticmethod
    def scatter_add(g, shape, index): return S.ScatterAdd.apply(g, shape=shape, index=index)

    @staticmethod
    def scatter_add_along(g, shape, indices, axis):
        return R.ScatterAddAlong.apply(g, shape=shape, indices=indices, axis=axis)

    @staticmethod
    def zeros_like(x): return x * 0

    @staticmethod
    def sliding_windows(x, window, stride, dilation):
        return C.SlidingWindows.apply(x, window=window, stride=stride, dilation=dilation)

    @staticmethod
    def col2im(g, shape, stride, dilation):
        return C.Col2Im.apply(g, shape=tuple(shape), stride=stride, dilation=dilation)

    def __repr__(self) -> str:
        return "<array namespace: chainrule tensors>"


TENSOR = _TensorNamespace()
