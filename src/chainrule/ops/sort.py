"""Sorting and selection: the indices behind sort, topk, kthvalue, median(dim), mode, unique.

These are plain NumPy kernels with no gradient of their own: each op that returns
values and indices gives its values as a gather at the indices
(:class:`chainrule.ops.reduce.TakeAlongAxis`), so the gradient goes to the index
returned, which is PyTorch's rule for sort, topk, kthvalue, median(dim) and mode.

Ties. PyTorch documents which of several equal entries these ops return only for
``sort(stable=True)``; elsewhere its CPU kernels pick by their algorithm
(quickselect, ``std::nth_element``, an unstable ``std::sort``) and its GPU kernels
by another. Here the choice is one rule everywhere, the order of a stable sort:
``sort`` and ``argsort`` keep equal entries in input order (descending too), so do
``topk`` and ``kthvalue``, ``median(dim)`` is the lower middle of that order (which
is exactly PyTorch's CPU choice, whose comparator breaks ties by index), and
``mode`` gives the last occurrence of its value (PyTorch's CPU choice up to 16
entries). NaN sorts above every number, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["argsort", "topk_indices", "kthvalue_indices", "median_indices", "mode_indices",
           "unique", "unique_consecutive"]


def argsort(x: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """int64 indices that sort ``x`` along ``axis``, stably (equal entries keep their order).

    >>> argsort(np.array([3.0, 1.0, 3.0, np.nan, 1.0]), 0).tolist()
    [1, 4, 0, 2, 3]
    >>> argsort(np.array([3.0, 1.0, 3.0, np.nan, 1.0]), 0, descending=True).tolist()
    [3, 0, 2, 1, 4]
    """
    if x.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    # the stable ascending order of the reversed input, reversed, is the stable
    # descending order (NaN first), with positions mapped back
    rev = (slice(None),) * axis + (slice(None, None, -1),)
    order = np.argsort(x[rev], axis=axis, kind="stable")[rev]
    return (x.shape[axis] - 1 - order).astype(np.int64, copy=False)


def topk_indices(x: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    """Indices of the ``k`` largest (or smallest) entries along ``axis``, best first."""
    order = argsort(x, axis, descending=largest)
    if x.ndim == 0:
        return order
    return np.take(order, np.arange(k), axis=axis)


def kthvalue_indices(x: np.ndarray, k: int, axis: int) -> np.ndarray:
    """Indices of the ``k``-th smallest entry (1-based) along ``axis``, kept as a size-1 axis."""
    order = argsort(x, axis)
    if x.ndim == 0:
        return order
    return np.take(order, [k - 1], axis=axis)


def median_indices(x: np.ndarray, axis: int, ignore_nan: bool) -> np.ndarray:
    """Indices of the lower median along ``axis`` (a size-1 axis kept).

    With NaN in a slice: ``median`` picks the first NaN; ``nanmedian`` the lower
    median of the other entries, or index 0 when all are NaN, as PyTorch.
    """
    if x.ndim == 0:
        return np.zeros((), np.int64)
    order = argsort(x, axis)
    n = x.shape[axis]
    if x.dtype.kind not in "fc":
        return np.take(order, [(n - 1) // 2], axis=axis)
    nan = np.isnan(x)
    n_nan = nan.sum(axis=axis, keepdims=True)
    if ignore_nan:
        position = np.maximum((n - n_nan - 1) // 2, 0)
        return np.where(n_nan == n, 0, np.take_along_axis(order, position, axis=axis))
    middle = np.take(order, [(n - 1) // 2], axis=axis)
    first_nan = np.argmax(nan, axis=axis, keepdims=True)
    return np.where(n_nan > 0, first_nan, middle)


def mode_indices(x: np.ndarray, axis: int) -> np.ndarray:
    """Indices of the most frequent value along ``axis`` (a size-1 axis kept).

    Among equally frequent values the smallest wins; its index is that of its last
    occurrence.

    >>> mode_indices(np.array([3.0, 1.0, 3.0, 2.0, 1.0, 5.0]), 0).tolist()
    [4]
    """
    if x.ndim == 0:
        return np.zeros((), np.int64)
    moved = np.moveaxis(x, axis, -1)
    order = np.argsort(moved, axis=-1, kind="stable")
    ordered = np.take_along_axis(moved, order, axis=-1)
    n = ordered.shape[-1]
    differs = ordered[..., 1:] != ordered[..., :-1]
    edge = np.ones(ordered.shape[:-1] + (1,), dtype=bool)
    starts = np.concatenate([edge, differs], axis=-1)
    ends = np.concatenate([differs, edge], axis=-1)
    position = np.arange(n)
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    run_length = np.where(ends, position - run_start + 1, 0)
    best = np.argmax(run_length, axis=-1)[..., None]  # the first, so the smallest value
    found = np.take_along_axis(order, best, axis=-1)
    return np.moveaxis(found, -1, axis).astype(np.int64, copy=False)


def unique(x: np.ndarray, return_inverse: bool, return_counts: bool,
           dim: int | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Sorted unique values (or slices along ``dim``), the inverse (an int64 array of
    ``x``'s shape, or of its length along ``dim``) and the counts. NaNs stay apart.

    >>> values, inverse, counts = unique(np.array([[2, 1], [2, 3]]), True, True, None)
    >>> values.tolist(), inverse.tolist(), counts.tolist()
    ([1, 2, 3], [[1, 0], [1, 2]], [1, 2, 1])
    """
    kwargs = {"equal_nan": False} if dim is None else {"axis": dim}
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, **kwargs)
    inverse = inverse.reshape(x.shape if dim is None else (x.shape[dim],)).astype(np.int64)
    return (values,
            inverse if return_inverse else None,
            counts.astype(np.int64) if return_counts else None)


def unique_consecutive(x: np.ndarray, return_inverse: bool, return_counts: bool,
                       dim: int | None
                       ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The first of each run of equal consecutive values (or slices along ``dim``), the
    inverse and the run lengths.

    >>> values, inverse, counts = unique_consecutive(np.array([1, 1, 2, 2, 3, 1]), True, True,
    ...                                              None)
    >>> values.tolist(), inverse.tolist(), counts.tolist()
    ([1, 2, 3, 1], [0, 0, 1, 1, 2, 3], [2, 2, 1, 1])
    """
    if dim is None:
        rows = x.reshape(-1, 1)
        inverse_shape = x.shape
    else:
        moved = np.moveaxis(x, dim, 0)
        rows = moved.reshape(moved.shape[0], -1)
        inverse_shape = (x.shape[dim],)
    length = rows.shape[0]
    changes = (rows[1:] != rows[:-1]).any(axis=1)
    starts = np.concatenate([[0], np.flatnonzero(changes) + 1]).astype(np.int64)
    if length == 0:
        starts = starts[:0]
    values = x.reshape(-1)[starts] if dim is None else np.take(x, starts, axis=dim)
    inverse = None
    if return_inverse:
        run = np.zeros(length, dtype=np.int64)
        run[starts[1:]] = 1
        inverse = np.cumsum(run).reshape(inverse_shape)
    counts = np.diff(np.append(starts, length)) if return_counts else None
    return values, inverse, counts
