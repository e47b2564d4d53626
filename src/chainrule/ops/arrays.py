"""Array kernels on plain NumPy, and the array namespace that VJPs are written against.

This module imports nothing of chainrule but two pure NumPy modules of its own, the
einsum kernel of :mod:`chainrule.ops.contract` and the special functions of
:mod:`chainrule.ops.specfun`, so the engine (:mod:`chainrule.function`) can use it
without an import cycle.

The VJP contract (:mod:`chainrule.function`): a backward calls array functions
through ``xp = ctx.xp``. :data:`ARRAY_API` below is the one table of the names a
VJP may use. :data:`NUMPY`, the namespace of an ordinary backward, is built from
it: NumPy's own function where NumPy has the name, a kernel of this module where
it does not. The Tensor namespace of a ``create_graph=True`` backward
(:data:`chainrule.ops.namespace.TENSOR`) implements the same names as recorded
ops, and refuses to import if one is missing. This is also the seam where a GPU
array library with NumPy's interface (CuPy) could be slotted in later.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .contract import einsum
from .specfun import erfinv, polygamma

__all__ = ["ARRAY_API", "NUMPY", "ArrayNamespace", "sum_to", "scatter_add", "scatter_add_along",
           "value", "sign", "sigmoid", "max_shift", "logcumsumexp", "sliding_windows", "col2im",
           "window_slices", "along", "scatter_reduce"]


# ---------------------------------------------------------------------------
# Broadcasting and scattering
# ---------------------------------------------------------------------------

def sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
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
    for i, n in enumerate(shape):
        if n != 1 and g.shape[lead + i] != n:
            raise ValueError(f"cannot sum shape {g.shape} to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


def scatter_add(g: np.ndarray, shape: tuple, index: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index``; repeated indices add up.

    The VJP of ``x[index]``.

    >>> scatter_add(np.ones(3), (2,), np.array([0, 0, 1])).tolist()
    [2.0, 1.0]
    """
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def scatter_add_along(g: np.ndarray, shape: tuple, indices: np.ndarray, axis: int) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added along ``axis`` at ``indices``.

    The VJP of ``take_along_axis`` (``torch.gather``).
    """
    out = np.zeros(shape, dtype=g.dtype)
    index: list = list(np.indices(indices.shape, sparse=True))
    index[axis] = indices
    np.add.at(out, tuple(index), g)
    return out


def along(index: np.ndarray, axis: int) -> tuple:
    """The NumPy index that picks ``index`` along ``axis`` and the same place elsewhere:
    ``a[along(index, axis)]`` is ``np.take_along_axis(a, index, axis)`` for an ``a`` at least
    as large as ``index`` outside ``axis``."""
    mesh: list = list(np.indices(index.shape, sparse=True))
    mesh[axis] = index
    return tuple(mesh)


_SCATTER_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
                   "amin": np.minimum}


def scatter_reduce(x: np.ndarray, src: np.ndarray, index: np.ndarray, axis: int, reduce: str,
                   include_self: bool = True) -> np.ndarray:
    """``torch.scatter_reduce``: ``x`` with each ``src[i]`` reduced into its place
    ``index[i]`` along ``axis`` (``src`` has ``index``'s shape).

    ``reduce`` is "sum", "prod", "mean", "amax" or "amin"; without ``include_self`` the
    places that receive values forget ``x``'s. An integer mean rounds down, as PyTorch's.

    >>> scatter_reduce(np.array([5.0, 6.0]), np.array([1.0, 2.0, 4.0]), np.array([0, 0, 1]),
    ...                0, "mean").tolist()
    [2.6666666666666665, 5.0]
    """
    mesh = along(index, axis)
    out = np.array(x, copy=True)
    if not include_self:
        out[mesh] = _scatter_identity(reduce, out.dtype)
    _SCATTER_UFUNCS[reduce].at(out, mesh, src.astype(out.dtype, copy=False))
    if reduce == "mean":
        count = np.zeros(x.shape, dtype=np.int64)
        np.add.at(count, mesh, 1)
        count = count + 1 if include_self else np.maximum(count, 1)
        if out.dtype.kind in "fc":
            out = out / count.astype(out.dtype)
        else:
            out = np.floor_divide(out, count).astype(out.dtype)
    return out


def _scatter_identity(reduce: str, dtype: np.dtype) -> Any:
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _is_basic_index(index: Any) -> bool:
    """True when ``index`` has no integer-array or boolean parts (so no repeats)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (np.ndarray, list, bool, np.bool_)):
            return False
    return True


def value(x: Any) -> Any:
    """The plain array behind ``x`` (a Tensor's array; arrays and numbers as they are).

    For masks and counts inside a VJP, which are constants to a second differentiation.

    >>> value(np.float64(2.0)) + 1
    np.float64(3.0)
    """
    if isinstance(x, (np.ndarray, np.generic, int, float, bool, complex)):
        return x
    return x._array


# ---------------------------------------------------------------------------
# Numerically stable pieces
# ---------------------------------------------------------------------------

def sign(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 by the sign of ``x``, and 0 at nan (PyTorch's sign; NumPy's gives nan).

    >>> sign(np.array([-2.0, 0.0, 3.0, np.nan])).tolist()
    [-1.0, 0.0, 1.0, 0.0]
    """
    out = np.sign(x)
    if out.dtype.kind == "f":
        nan = np.isnan(out)
        if nan.any():
            out = np.where(nan, 0, out).astype(out.dtype)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow for large |x|.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    out = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, out) / (1.0 + out)


def max_shift(x: np.ndarray, axis: int | tuple) -> tuple[np.ndarray, np.ndarray]:
    """``(x - m, m)`` for ``m`` the max of ``x`` along ``axis`` (kept as size-1 axes).

    The one policy for stable exponentials (logsumexp, softmax, log_softmax,
    cross-entropy): ``exp(x - m)`` cannot overflow, and where ``m`` is not finite
    (a slice that is all ``-inf``, as a fully masked attention row, or one holding
    ``+inf`` or ``nan``) the shift is 0, so that ``inf - inf`` never makes a NaN of
    its own. logsumexp is then ``-inf`` for an all ``-inf`` slice and softmax NaN,
    as in PyTorch.

    >>> s, m = max_shift(np.array([[1.0, 3.0], [-np.inf, -np.inf]]), 1)
    >>> s.tolist(), m.tolist()
    ([[-2.0, 0.0], [-inf, -inf]], [[3.0], [0.0]])
    """
    if x.ndim == 2 and axis in (1, -1) and x.shape[1] <= 32 and x.shape[0] >= 64:
        # a short last axis (class logits): NumPy reduces it one row at a time, the
        # transposed copy along its first axis in one vectorised pass; the maximum is
        # exact either way (12 against 2.6 us for (256, 10) float32)
        m = np.maximum.reduce(np.ascontiguousarray(x.T), axis=0)[:, None]
    else:  # np.max is this ufunc reduction behind a Python wrapper
        m = np.maximum.reduce(x, axis=axis, keepdims=True)
    if not np.logical_and.reduce(np.isfinite(m), axis=None):
        m = np.where(np.isfinite(m), m, 0)
    return x - m, m


def logcumsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """``log(cumsum(exp(x)))`` along ``axis``, without overflow (``-inf`` entries add nothing).

    >>> logcumsumexp(np.array([0.0, 0.0, -np.inf, 1000.0]), 0).round(4).tolist()
    [0.0, 0.6931, 0.6931, 1000.0]
    """
    return np.logaddexp.accumulate(x, axis=axis)


# ---------------------------------------------------------------------------
# Sliding windows (convolution and pooling) and their adjoint
# ---------------------------------------------------------------------------

def _out_size(n: int, k: int, stride: int, dilation: int) -> int:
    return (n - dilation * (k - 1) - 1) // stride + 1


def window_slices(shape: tuple, window: tuple, stride: tuple,
                  dilation: tuple) -> Iterator[tuple[tuple[int, ...], tuple]]:
    """Yield ``(offset, index)``: the strided slice of the last ``len(window)`` axes that
    window offset ``offset`` (one int per axis) covers, for every offset in row-major order.

    >>> [(o, ix[-1]) for o, ix in window_slices((1, 4), (1, 2), (1, 2), (1, 1))]
    [((0, 0), slice(0, 3, 2)), ((0, 1), slice(1, 4, 2))]
    """
    spatial = shape[len(shape) - len(window):]
    per_axis = []
    for n, k, s, d in zip(spatial, window, stride, dilation):
        last = s * (_out_size(n, k, s, d) - 1) + 1
        per_axis.append([slice(i * d, i * d + last, s) for i in range(k)])
    offsets = itertools.product(*[range(k) for k in window])
    for offset, parts in zip(offsets, itertools.product(*per_axis)):
        yield offset, (Ellipsis,) + parts


def sliding_windows(x: np.ndarray, window: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """Every window of the last ``len(window)`` axes, a read-only view: for two axes,
    shape (..., Ho, Wo, kh, kw).

    >>> w = sliding_windows(np.arange(6.0).reshape(2, 3), (2, 2), (1, 1), (1, 1))
    >>> w.shape, w[0, 1].tolist()
    ((1, 2, 2, 2), [[1.0, 2.0], [4.0, 5.0]])
    """
    axes = tuple(range(-len(window), 0))
    span = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
    view = sliding_window_view(x, span, axis=axes)
    if any(s != 1 for s in stride) or any(d != 1 for d in dilation):
        view = view[(Ellipsis,) + tuple(slice(None, None, s) for s in stride)
                    + tuple(slice(None, None, d) for d in dilation)]
    return view


def col2im(g: np.ndarray, shape: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """The adjoint of :func:`sliding_windows`: zeros of ``shape`` with every window's
    values added back where the window came from.

    >>> col2im(np.ones((1, 2, 2, 2)), (2, 3), (1, 1), (1, 1)).tolist()
    [[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]]
    """
    window = g.shape[g.ndim - len(stride):]
    out = np.zeros(shape, dtype=g.dtype)
    for offset, index in window_slices(shape, window, stride, dilation):
        out[index] += g[(Ellipsis,) + offset]
    return out


# ---------------------------------------------------------------------------
# The array namespace: one table of names
# ---------------------------------------------------------------------------

def _zeros_like(x: np.ndarray) -> np.ndarray:
    return np.zeros_like(x)


def _astype(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return x.astype(dtype)


# Every name a VJP may call as ``xp.<name>``: NumPy's function of that name, or the
# kernel given here where NumPy has none. The Tensor namespace implements each one.
ARRAY_API: Mapping[str, Callable[..., Any]] = MappingProxyType({
    # elementwise
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "abs": np.abs, "sign": sign,
    "sigmoid": sigmoid, "polygamma": polygamma, "erfinv": erfinv,
    "where": np.where, "maximum": np.maximum, "minimum": np.minimum,
    "zeros_like": _zeros_like, "astype": _astype,
    # reductions and their adjoints
    "sum": np.sum, "sum_to": sum_to, "take_along_axis": np.take_along_axis,
    "scatter_add_along": scatter_add_along, "scatter_reduce": scatter_reduce,
    # scans
    "cumsum": np.cumsum, "cumprod": np.cumprod, "logcumsumexp": logcumsumexp,
    # shape and indexing
    "reshape": np.reshape, "broadcast_to": np.broadcast_to, "transpose": np.transpose,
    "swapaxes": np.swapaxes, "expand_dims": np.expand_dims, "scatter_add": scatter_add,
    # linear algebra
    "matmul": np.matmul, "einsum": einsum, "solve": np.linalg.solve, "det": np.linalg.det,
    # sliding windows
    "sliding_windows": sliding_windows, "col2im": col2im,
})


class ArrayNamespace:
    """A namespace of array functions with the names of :data:`ARRAY_API`.

    >>> NUMPY.exp is np.exp
    True
    """

    def __init__(self, name: str, functions: Mapping[str, Callable[..., Any]]) -> None:
        missing = sorted(set(ARRAY_API) - set(functions))
        extra = sorted(set(functions) - set(ARRAY_API))
        if missing or extra:
            raise TypeError(
                f"array namespace {name!r}: missing {missing}, not in ARRAY_API {extra}")
        self._name = name
        for key, fn in functions.items():
            setattr(self, key, fn)

    def names(self) -> list[str]:
        """The names this namespace offers (those of :data:`ARRAY_API`)."""
        return sorted(ARRAY_API)

    def __repr__(self) -> str:
        return f"<array namespace: {self._name}>"


NUMPY = ArrayNamespace("numpy", ARRAY_API)
