"""The Tensor namespace: the names of :data:`~chainrule.ops.arrays.ARRAY_API`, each a recorded op.

Under ``create_graph=True`` a VJP's ``xp`` is :data:`TENSOR`, so the very code that
computes a gradient on arrays records it on Tensors instead, and the gradient can
be differentiated again (DESIGN.md, decision 1). The signatures are NumPy's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import ArrayNamespace, value
from .conv import Col2Im, SlidingWindows
from .elementwise import (
    Abs,
    Cast,
    Cos,
    Cosh,
    Exp,
    Log,
    Maximum,
    Minimum,
    Sigmoid,
    Sign,
    Sin,
    Sinh,
    Sqrt,
    Tanh,
    Where,
)
from .index import ScatterReduce
from .linalg import Det, Einsum, Matmul, Solve
from .reduce import ScatterAddAlong, Sum, TakeAlongAxis
from .scan import Cumprod, Cumsum, LogCumSumExp
from .shape import Expand, Permute, Reshape, ScatterAdd
from .special import Erfinv, Polygamma

__all__ = ["TENSOR"]


def _axis_tuple(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % max(ndim, 1) for a in axes))


def _where(cond: Any, a: Any, b: Any) -> Any:
    return Where.apply(np.asarray(value(cond)).astype(bool), a, b)


def _sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return Sum.apply(x, axis=_axis_tuple(axis, x.ndim), keepdims=keepdims)


def _scan(op: Any) -> Any:
    def scan(x: Any, axis: int) -> Any:
        return op.apply(x, axis=int(axis) % max(x.ndim, 1))

    return scan


def _transpose(x: Any, axes: Any = None) -> Any:
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(axes)
    return Permute.apply(x, axes=axes)


def _swapaxes(x: Any, a: int, b: int) -> Any:
    axes = list(range(x.ndim))
    a, b = a % x.ndim, b % x.ndim
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(x, axes=tuple(axes))


def _expand_dims(x: Any, axis: int) -> Any:
    axis = axis % (x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:axis] + (1,) + x.shape[axis:])


def _sum_to(x: Any, shape: tuple) -> Any:
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    out = Sum.apply(x, axis=axes, keepdims=True) if axes else x
    return Reshape.apply(out, shape=shape) if out.shape != shape else out


TENSOR = ArrayNamespace("chainrule tensors", {
    # elementwise
    "exp": Exp.apply, "log": Log.apply, "sqrt": Sqrt.apply, "sin": Sin.apply,
    "cos": Cos.apply, "sinh": Sinh.apply, "cosh": Cosh.apply, "tanh": Tanh.apply,
    "abs": Abs.apply, "sigmoid": Sigmoid.apply, "sign": Sign.apply,
    "polygamma": lambda n, x: Polygamma.apply(x, n=n), "erfinv": Erfinv.apply,
    "where": _where, "maximum": Maximum.apply, "minimum": Minimum.apply,
    "zeros_like": lambda x: x * 0,
    "astype": lambda x, dtype: Cast.apply(x, dtype=dtype),
    # reductions and their adjoints
    "sum": _sum, "sum_to": _sum_to,
    "take_along_axis": lambda x, indices, axis: TakeAlongAxis.apply(x, indices=indices,
                                                                    axis=axis),
    "scatter_add_along": lambda g, shape, indices, axis: ScatterAddAlong.apply(
        g, shape=shape, indices=indices, axis=axis),
    # scans
    "cumsum": _scan(Cumsum), "cumprod": _scan(Cumprod), "logcumsumexp": _scan(LogCumSumExp),
    "scatter_reduce": lambda x, src, index, axis, reduce, include_self=True: ScatterReduce.apply(
        x, src, index=index, axis=axis, reduce=reduce, include_self=include_self),
    # shape and indexing
    "reshape": lambda x, shape: Reshape.apply(x, shape=tuple(shape)),
    "broadcast_to": lambda x, shape: Expand.apply(x, shape=tuple(shape)),
    "transpose": _transpose, "swapaxes": _swapaxes, "expand_dims": _expand_dims,
    "scatter_add": lambda g, shape, index: ScatterAdd.apply(g, shape=shape, index=index),
    # linear algebra
    "matmul": Matmul.apply,
    "einsum": lambda equation, *operands: Einsum.apply(*operands, equation=equation),
    "solve": Solve.apply, "det": Det.apply,
    # sliding windows
    "sliding_windows": lambda x, window, stride, dilation: SlidingWindows.apply(
        x, window=window, stride=stride, dilation=dilation),
    "col2im": lambda g, shape, stride, dilation: Col2Im.apply(
        g, shape=tuple(shape), stride=stride, dilation=dilation),
})
