"""Indexing, gathering and scattering methods of Tensor, with PyTorch's rules.

``x[index]`` follows PyTorch's rules for mixing integers, slices and index tensors
(:mod:`chainrule.tensor_methods._indexing`); writing through an index
(``x[index] = v``) is an in-place op, in :mod:`chainrule.tensor`.

Almost every op here is built from the indexing ops of :mod:`chainrule.ops.shape`
(``GetItem``, whose VJP adds the gradient back at the indexed places, so repeated
indices accumulate; ``SetItem``, whose VJP is PyTorch's ``index_put``'s;
``ScatterAdd``), so their gradients are right at any order without VJPs of their own.
``scatter_reduce`` is a primitive of :mod:`chainrule.ops.index`.

The in-place variants (``masked_fill_``, ``index_add_``, ``scatter_``, ...) follow
the rules of ``Tensor._inplace``: recorded on a tensor that needs a gradient,
refused on a leaf that requires grad.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ops.elementwise import Where
from ..ops.index import ScatterReduce
from ..ops.reduce import TakeAlongAxis
from ..ops.shape import GetItem, Permute, ScatterAdd, SetItem
from ..tensor import _apply, _constant, _is_tensor, _view_of
from ._base import TensorBase
from ._dims import axis
from ._indexing import torch_index

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "IndexMethods", "gather", "scatter", "scatter_add", "scatter_reduce", "index_select",
    "index_add", "index_copy", "index_fill", "index_put", "index_put_", "index_reduce", "put",
    "select_scatter", "slice_scatter", "diagonal_scatter", "masked_fill",
    "masked_select", "masked_scatter", "take", "take_along_dim", "nonzero", "argwhere", "tril",
    "triu", "diag", "diag_embed", "diagonal", "trace",
]

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _tensor(t: Any) -> Tensor:
    """A method's ``self``, typed as the Tensor it is (a mixin does not know it)."""
    return t


class IndexMethods(TensorBase):
    """x[...], gather/scatter, index_*, masked_*, take, nonzero, tril/triu, diagonals."""

    __slots__ = ()

    # -- x[index] ---------------------------------------------------------------
    def __getitem__(self, idx: Any) -> Tensor:
        select, index = torch_index(idx, self.ndim)
        x = self if select is None else _apply(GetItem, (self,), {"index": select})
        return _view_of(_apply(GetItem, (x,), {"index": index}), self, idx)

    # -- gather and scatter along a dim ---------------------------------------------
    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (and so on): pick along ``dim``.

        ``index`` has ``self``'s number of dims and may be smaller than ``self`` outside
        ``dim``. The gradient adds back at the picked places (repeats accumulate).

        >>> import chainrule as cr
        >>> cr.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, cr.tensor([[1], [0]]))
        tensor([[2.],
                [3.]])
        """
        x = _tensor(self)
        d, idx = _along_dim_index(x, dim, index, "gather")
        if x.ndim == 0:
            return x.reshape(1).gather(0, idx.reshape(1)).reshape(())
        if _smaller_outside(idx.shape, x.shape, d):
            x = x[_cut(idx.shape, d)]
        return _apply(TakeAlongAxis, (x,), {"indices": idx, "axis": d})

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Tensor:
        """A copy of ``self`` with ``src[i][j]`` (or ``value``) written at ``[index[i][j]][j]``
        for ``dim=0`` (and so on).

        ``reduce="add"`` or ``"multiply"`` combines instead of writing. With repeated
        indices one write wins, and, as in PyTorch, every one of them gets the gradient
        of the place written to; ``self`` gets none there.
        """
        x = _tensor(self)
        if src is None and value is None:
            raise TypeError("scatter: give src (a tensor) or value (a number)")
        if src is not None and not _is_tensor(src) and not isinstance(src, np.ndarray):
            src, value = None, src  # scatter(dim, index, 2.5)
        d, idx = _along_dim_index(x, dim, index, "scatter", src)
        if reduce is not None:
            modes = {"add": "sum", "multiply": "prod"}
            if reduce not in modes:
                raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
            if src is None:
                src = np.full(idx.shape, value, dtype=x.dtype)
            return x.scatter_reduce(dim, idx, src, modes[reduce])
        if x.ndim == 0:
            flat_src = src.reshape(1) if src is not None else None
            return x.reshape(1).scatter(0, idx.reshape(1), flat_src, value=value).reshape(())
        if src is None:
            return _apply(SetItem, (x, value), {"index": _mesh(idx, d)})
        src = _as_tensor_like(src, x)
        _same_dtype_or_raise(x, src, "scatter")
        if src.shape != idx.shape:
            src = src[_cut(idx.shape, None)]
        return _apply(SetItem, (x, src), {"index": _mesh(idx, d)})

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy of ``self`` with ``src[i][j]`` added at ``[index[i][j]][j]`` for ``dim=0``
        (and so on); repeated indices add up.

        >>> import chainrule as cr
        >>> cr.zeros(3).scatter_add(0, cr.tensor([0, 2, 0]), cr.tensor([1.0, 2.0, 3.0]))
        tensor([4., 0., 2.])
        """
        return self.scatter_reduce(dim, index, src, "sum")

    def scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str, *,
                       include_self: bool = True) -> Tensor:
        """A copy of ``self`` with each ``src`` value reduced into its place along ``dim``.

        ``reduce`` is "sum", "prod", "mean", "amax" or "amin"; with
        ``include_self=False`` the places that receive values leave ``self``'s out. The
        gradients are PyTorch's (amax/amin share it evenly among ties).
        """
        x = _tensor(self)
        if reduce not in _REDUCTIONS:
            raise ValueError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCTIONS)}, "
                             f"got {reduce!r}")
        src = _as_tensor_like(src, x)
        d, idx = _along_dim_index(x, dim, index, "scatter_reduce", src)
        _same_dtype_or_raise(x, src, "scatter_reduce")
        if x.ndim == 0:
            return x.reshape(1).scatter_reduce(0, idx.reshape(1), src.reshape(1), reduce,
                                               include_self=include_self).reshape(())
        if src.shape != idx.shape:
            src = src[_cut(idx.shape, None)]
        return _apply(ScatterReduce, (x, src), {"index": idx, "axis": d, "reduce": reduce,
                                                "include_self": include_self})

    # -- whole slices along a dim: index_* ---------------------------------------------
    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices ``index`` (a vector of positions) along ``dim``, in that order.

        >>> import chainrule as cr
        >>> cr.tensor([[1, 2, 3], [4, 5, 6]]).index_select(1, cr.tensor([2, 0]))
        tensor([[3, 1],
                [6, 4]])
        """
        x = _tensor(self)
        d, idx = _dim_index(x, dim, index, "index_select")
        if x.ndim == 0:
            if idx.size != 1:
                raise RuntimeError(f"index_select: a 0-d tensor takes one index, got {idx.size}")
            return x.reshape(1)[idx].reshape(())
        return x[_at_dim(d, idx)]

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """A copy of ``self`` with ``alpha * source`` added at the slices ``index`` along
        ``dim``; repeated indices add up."""
        x = _tensor(self)
        d, idx = _dim_index(x, dim, index, "index_add")
        source = _as_tensor_like(source, x)
        _same_dtype_or_raise(x, source, "index_add")
        _check_source(x, d, idx, source, "index_add")
        if x.ndim == 0:
            return x.reshape(1).index_add(0, idx, source.reshape(-1), alpha=alpha).reshape(())
        if alpha != 1:
            source = (source * alpha).type(x.dtype)
        return x + _apply(ScatterAdd, (source,), {"shape": x.shape, "index": _at_dim(d, idx)})

    def index_copy(self, dim: int, index: Any, source: Any) -> Tensor:
        """A copy of ``self`` with ``source``'s slices written at the slices ``index`` along
        ``dim``."""
        x = _tensor(self)
        d, idx = _dim_index(x, dim, index, "index_copy", int64=True)
        source = _as_tensor_like(source, x)
        _same_dtype_or_raise(x, source, "index_copy")
        _check_source(x, d, idx, source, "index_copy")
        if x.ndim == 0:
            return x.reshape(1).index_copy(0, idx, source.reshape(-1)).reshape(())
        return _apply(SetItem, (x, source), {"index": _at_dim(d, idx)})

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        """A copy of ``self`` with the slices ``index`` along ``dim`` set to ``value`` (a
        number or a 0-d tensor, which gets the gradient of every filled place once)."""
        x = _tensor(self)
        d, idx = _dim_index(x, dim, index, "index_fill", int64=True, negative=True)
        _check_fill_value(value, "index_fill")
        if x.ndim == 0:
            return x.reshape(1).index_fill(0, idx, value).reshape(())
        return _apply(SetItem, (x, value), {"index": _at_dim(d, np.unique(idx))})

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """A copy of ``self`` with ``self[indices] = values`` (``indices`` a tuple of index
        tensors), or ``+=`` with ``accumulate=True``, where repeated indices add up."""
        x = _tensor(self)
        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"index_put: indices must be a tuple of tensors, got "
                            f"{type(indices).__name__}")
        parts = []
        for i, part in enumerate(indices):
            if not _is_tensor(part):
                raise TypeError(f"index_put: indices[{i}] must be a tensor, got "
                                f"{type(part).__name__}")
            parts.append(_index_array(part, "index_put", allow_bool=True))
        index = tuple(parts)
        values = _as_tensor_like(values, x)
        _same_dtype_or_raise(x, values, "index_put")
        if not accumulate:
            return _apply(SetItem, (x, values), {"index": index})
        target = np.broadcast_to(np.empty((), dtype=x.dtype), x.shape)[index].shape
        try:
            values = values.expand(target)
        except ValueError:
            raise RuntimeError(f"index_put: values of shape {values.shape} can't be broadcast "
                               f"to the indexed shape {target}") from None
        return x + _apply(ScatterAdd, (values,), {"shape": x.shape, "index": index})

    def index_reduce(self, dim: int, index: Any, source: Any, reduce: str, *,
                     include_self: bool = True) -> Tensor:
        """A copy of ``self`` with the slices of ``source`` reduced into the slices ``index``
        along ``dim``: "prod", "mean", "amax" or "amin", as :meth:`scatter_reduce`."""
        x = _tensor(self)
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise ValueError(f"index_reduce: reduce must be one of prod, mean, amax, amin, got "
                             f"{reduce!r}")
        d, idx = _dim_index(x, dim, index, "index_reduce")
        source = _as_tensor_like(source, x)
        _same_dtype_or_raise(x, source, "index_reduce")
        _check_source(x, d, idx, source, "index_reduce")
        if x.ndim == 0:
            return x.reshape(1).index_reduce(0, idx, source.reshape(-1), reduce,
                                             include_self=include_self).reshape(())
        along = idx.reshape([-1 if i == d else 1 for i in range(x.ndim)])
        return x.scatter_reduce(d, np.broadcast_to(along, source.shape), source, reduce,
                                include_self=include_self)

    def put(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """A copy of ``self`` with ``source`` written at the positions ``index`` of ``self``
        read as a vector (added there with ``accumulate=True``)."""
        x = _tensor(self)
        idx = _index_array(index, "put", int64=True).reshape(-1)
        source = _as_tensor_like(source, x)
        _same_dtype_or_raise(x, source, "put")
        if source.numel() != idx.size:
            raise RuntimeError(f"put: {idx.size} positions but source has {source.numel()} "
                               f"elements")
        n = x.numel()
        _check_range(idx, n, "put", 0, negative=True)
        flat = x.reshape(-1)
        return flat.index_put((_constant(idx),), source.reshape(-1), accumulate).reshape(x.shape)

    # -- masks ---------------------------------------------------------------------
    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where ``mask`` (a bool tensor broadcast with ``self``) is True, ``self``
        elsewhere; ``value`` is a number or a 0-d tensor.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0, 3.0])
        >>> x.masked_fill(x > 1.5, 0.0)
        tensor([1., 0., 0.])
        """
        x = _tensor(self)
        m = _mask_array(mask, "masked_fill")
        _check_fill_value(value, "masked_fill")
        shape = _broadcast(x.shape, m.shape, "masked_fill")
        if x.dtype.kind not in "fc":  # no gradient: the value is cast to self's dtype
            v = value._array if _is_tensor(value) else value
            return _constant(np.where(m, np.asarray(v).astype(x.dtype), x._array))
        if _is_tensor(value) and value.dtype != x.dtype:
            value = value.type(x.dtype)
        if shape != x.shape:
            x = x.expand(shape)
        return _apply(Where, (m, value, x))

    def masked_select(self, mask: Any) -> Tensor:
        """The elements where ``mask`` (broadcast with ``self``) is True, as a vector."""
        x = _tensor(self)
        m = _mask_array(mask, "masked_select")
        shape = _broadcast(x.shape, m.shape, "masked_select")
        if shape != x.shape:
            x = x.expand(shape)
        return x[np.broadcast_to(m, shape)]

    def masked_scatter(self, mask: Any, source: Any) -> Tensor:
        """A copy of ``self`` with the places where ``mask`` is True filled, in order, with
        the first elements of ``source``."""
        x = _tensor(self)
        m = _mask_array(mask, "masked_scatter")
        shape = _broadcast(x.shape, m.shape, "masked_scatter")
        source = _as_tensor_like(source, x)
        _same_dtype_or_raise(x, source, "masked_scatter")
        m = np.broadcast_to(m, shape)
        count = int(m.sum())
        if source.numel() < count:
            raise RuntimeError(f"masked_scatter: the mask has {count} True places but source "
                               f"(shape {source.shape}) has only {source.numel()} elements")
        if shape != x.shape:
            x = x.expand(shape)
        return _apply(SetItem, (x, source.reshape(-1)[:count]), {"index": m})

    # -- flat positions ----------------------------------------------------------------
    def take(self, index: Any) -> Tensor:
        """The elements at ``index`` of ``self`` read as a vector, in ``index``'s shape."""
        x = _tensor(self)
        idx = _index_array(index, "take", int64=True)
        n = x.numel()
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = idx.max() if idx.max() >= n else idx.min()
            raise IndexError(f"take: index {bad} is out of range for a tensor of {n} elements")
        return x.reshape(-1)[idx]

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """``gather`` with ``self`` and ``indices`` broadcast outside ``dim``; with
        ``dim=None``, picks from ``self`` read as a vector."""
        x = _tensor(self)
        idx = _index_array(indices, "take_along_dim", int64=True)
        if dim is None:
            return x.reshape(-1).take_along_dim(idx.reshape(-1), 0)
        d = axis(dim, x.ndim, "take_along_dim")
        if idx.ndim != x.ndim:
            raise RuntimeError(f"take_along_dim: indices of {idx.ndim} dims for a tensor of "
                               f"{x.ndim} dims")
        shape = list(_broadcast(tuple(n for i, n in enumerate(x.shape) if i != d),
                                tuple(n for i, n in enumerate(idx.shape) if i != d),
                                "take_along_dim"))
        x_shape = tuple(shape[:d] + [x.shape[d]] + shape[d:])
        idx_shape = tuple(shape[:d] + [idx.shape[d]] + shape[d:])
        if x.shape != x_shape:
            x = x.expand(x_shape)
        _check_range(idx, x.shape[d], "take_along_dim", d, negative=True)
        idx = np.where(idx < 0, idx + x.shape[d], idx)
        return x.gather(d, np.broadcast_to(idx, idx_shape))

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The positions of the non-zero elements: an (n, ndim) int64 tensor, or with
        ``as_tuple=True`` one vector of positions per dim. No gradient."""
        a = _tensor(self)._array
        if as_tuple:
            return tuple(_constant(p.astype(np.int64)) for p in np.nonzero(np.atleast_1d(a)))
        return _constant(np.argwhere(a).astype(np.int64))

    def argwhere(self) -> Tensor:
        """``nonzero()``: the positions of the non-zero elements as an (n, ndim) tensor."""
        return self.nonzero()

    # -- triangles and diagonals -----------------------------------------------------
    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dims (on and below ``diagonal``), zeros above."""
        return _triangle(_tensor(self), diagonal, "tril")

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dims (on and above ``diagonal``), zeros below."""
        return _triangle(_tensor(self), diagonal, "triu")

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal ``offset`` (above the main one when positive) of the matrices in
        dims ``dim1``, ``dim2``, as a new last dim.

        >>> import chainrule as cr
        >>> cr.arange(9).reshape(3, 3).diagonal(1)
        tensor([1, 5])
        """
        x = _tensor(self)
        d1 = axis(dim1, x.ndim, "diagonal")
        d2 = axis(dim2, x.ndim, "diagonal")
        if x.ndim < 2:
            raise RuntimeError(f"diagonal: expected a tensor of at least 2 dims, got {x.ndim}")
        if d1 == d2:
            raise RuntimeError(f"diagonal: dim1 and dim2 are the same dim ({dim1}, {dim2})")
        rest = [i for i in range(x.ndim) if i not in (d1, d2)]
        if rest + [d1, d2] != list(range(x.ndim)):
            x = _apply(Permute, (x,), {"axes": tuple(rest + [d1, d2])})
        rows, cols = _diagonal_positions(x.shape[-2], x.shape[-1], offset)
        return _apply(GetItem, (x,), {"index": (Ellipsis, rows, cols)})

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Matrices with the last dim of ``self`` on their diagonal ``offset``, zeros elsewhere;
        the two new dims are ``dim1`` and ``dim2`` of the result."""
        x = _tensor(self)
        ndim = x.ndim + 1
        d1 = axis(dim1, ndim, "diag_embed")
        d2 = axis(dim2, ndim, "diag_embed")
        if d1 == d2:
            raise RuntimeError(f"diag_embed: dim1 and dim2 are the same dim ({dim1}, {dim2})")
        n = x.shape[-1] + abs(offset)
        rows, cols = _diagonal_positions(n, n, offset)
        out = _apply(ScatterAdd, (x,), {"shape": x.shape[:-1] + (n, n),
                                        "index": (Ellipsis, rows, cols)})
        order: list = [None] * ndim
        order[d1], order[d2] = ndim - 2, ndim - 1
        batch = iter(range(ndim - 2))
        order = [next(batch) if o is None else o for o in order]
        if order != list(range(ndim)):
            out = _apply(Permute, (out,), {"axes": tuple(order)})
        return out

    def diag(self, diagonal: int = 0) -> Tensor:
        """A vector's square matrix with it on the diagonal ``diagonal``, or a matrix's
        diagonal ``diagonal`` as a vector."""
        x = _tensor(self)
        if x.ndim == 1:
            return x.diag_embed(diagonal)
        if x.ndim == 2:
            return x.diagonal(diagonal)
        raise RuntimeError(f"diag: expected a 1-d or 2-d tensor, got {x.ndim} dims")

    def trace(self) -> Tensor:
        """The sum of a matrix's main diagonal."""
        x = _tensor(self)
        if x.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, got a tensor of shape {x.shape}")
        d = x.diagonal()
        if d.dtype.kind in "biu":
            d = d.type(np.int64)
        return d.sum()

    # -- writing into a view's places, out of place -------------------------------------
    def select_scatter(self, src: Any, dim: int, index: int) -> Tensor:
        """A copy of ``self`` with ``src`` written where ``self.select(dim, index)`` reads."""
        x = _tensor(self)
        shape = x.select(dim, index).shape
        d = axis(dim, x.ndim, "select_scatter")
        return _write(x, src, (slice(None),) * d + (int(index),), shape, "select_scatter")

    def slice_scatter(self, src: Any, dim: int = 0, start: int | None = None,
                      end: int | None = None, step: int = 1) -> Tensor:
        """A copy of ``self`` with ``src`` written where ``self[..., start:end:step, ...]``
        (along ``dim``) reads."""
        x = _tensor(self)
        d = axis(dim, x.ndim, "slice_scatter")
        index = (slice(None),) * d + (slice(start, end, step),)
        return _write(x, src, index, x[index].shape, "slice_scatter")

    def diagonal_scatter(self, src: Any, offset: int = 0, dim1: int = 0, dim2: int = 1
                         ) -> Tensor:
        """A copy of ``self`` with ``src`` written where ``self.diagonal(offset, dim1, dim2)``
        reads."""
        x = _tensor(self)
        shape = x.diagonal(offset, dim1, dim2).shape
        d1, d2 = axis(dim1, x.ndim, "diagonal_scatter"), axis(dim2, x.ndim, "diagonal_scatter")
        rest = [i for i in range(x.ndim) if i not in (d1, d2)]
        order = rest + [d1, d2]
        moved = _apply(Permute, (x,), {"axes": tuple(order)})
        rows, cols = _diagonal_positions(moved.shape[-2], moved.shape[-1], offset)
        out = _write(moved, src, (Ellipsis, rows, cols), shape, "diagonal_scatter")
        return _apply(Permute, (out,), {"axes": tuple(np.argsort(order))})

    # -- in place ----------------------------------------------------------------------
    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """``masked_fill`` in place."""
        return _in_place(self, "masked_fill_", IndexMethods.masked_fill, mask, value)

    def masked_scatter_(self, mask: Any, source: Any) -> Tensor:
        """``masked_scatter`` in place."""
        return _in_place(self, "masked_scatter_", IndexMethods.masked_scatter, mask, source)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        """``scatter`` in place."""
        return _in_place(self, "scatter_", IndexMethods.scatter, dim, index, src, value=value,
                         reduce=reduce)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """``scatter_add`` in place."""
        return _in_place(self, "scatter_add_", IndexMethods.scatter_add, dim, index, src)

    def scatter_reduce_(self, dim: int, index: Any, src: Any, reduce: str, *,
                        include_self: bool = True) -> Tensor:
        """``scatter_reduce`` in place."""
        return _in_place(self, "scatter_reduce_", IndexMethods.scatter_reduce, dim, index, src,
                         reduce, include_self=include_self)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """``index_add`` in place."""
        return _in_place(self, "index_add_", IndexMethods.index_add, dim, index, source,
                         alpha=alpha)

    def index_copy_(self, dim: int, index: Any, source: Any) -> Tensor:
        """``index_copy`` in place."""
        return _in_place(self, "index_copy_", IndexMethods.index_copy, dim, index, source)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Tensor:
        """``index_fill`` in place."""
        return _in_place(self, "index_fill_", IndexMethods.index_fill, dim, index, value)

    def index_reduce_(self, dim: int, index: Any, source: Any, reduce: str, *,
                      include_self: bool = True) -> Tensor:
        """``index_reduce`` in place."""
        return _in_place(self, "index_reduce_", IndexMethods.index_reduce, dim, index, source,
                         reduce, include_self=include_self)

    def put_(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """``put`` in place."""
        return _in_place(self, "put_", IndexMethods.put, index, source, accumulate)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """``index_put`` in place."""
        return _in_place(self, "index_put_", IndexMethods.index_put, indices, values,
                         accumulate)

    def tril_(self, diagonal: int = 0) -> Tensor:
        """``tril`` in place."""
        return _in_place(self, "tril_", IndexMethods.tril, diagonal)

    def triu_(self, diagonal: int = 0) -> Tensor:
        """``triu`` in place."""
        return _in_place(self, "triu_", IndexMethods.triu, diagonal)


# ---------------------------------------------------------------------------
# Checking and normalising arguments
# ---------------------------------------------------------------------------

def _in_place(t: Any, name: str, method: Callable, *args: Any, **kwargs: Any) -> Tensor:
    """``t.method(*args)`` written into ``t`` by ``Tensor._inplace``; the result must keep
    ``t``'s shape."""
    self = _tensor(t)
    shape = self.shape

    def checked(x: Tensor, *a: Any, **k: Any) -> Tensor:
        out = method(x, *a, **k)
        if out.shape != shape:
            raise RuntimeError(f"{name}: the result would have shape {out.shape}, but the "
                               f"tensor changed in place has shape {shape}")
        return out

    # the tensors among the arguments are passed on, so that _inplace sees what needs a
    # gradient
    return self._inplace(lambda old: checked(old, *args, **kwargs), name, args)


def _index_array(index: Any, op: str, int64: bool = False, allow_bool: bool = False
                 ) -> np.ndarray:
    """The integer array behind an index tensor (or a list); one line if it is not one."""
    a = index._array if _is_tensor(index) else np.asarray(index)
    if a.dtype.kind == "b" and allow_bool:
        return a
    if a.dtype.kind not in "iu":
        if a.size == 0:  # an empty list
            return a.astype(np.int64)
        raise IndexError(f"{op}: expected an integer index tensor, got dtype {a.dtype.name}")
    if int64 and a.dtype != np.int64:
        raise RuntimeError(f"{op}: expected an int64 (long) index tensor, got {a.dtype.name}")
    return a


def _along_dim_index(x: Tensor, dim: int, index: Any, op: str, src: Any = None
                     ) -> tuple[int, np.ndarray]:
    """``dim`` and the index of gather/scatter, checked as PyTorch checks them."""
    d = axis(dim, x.ndim, op)
    idx = _index_array(index, op)
    if max(idx.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError(f"{op}: index has {idx.ndim} dims but the tensor (shape {x.shape}) "
                           f"has {x.ndim}; they must have as many")
    if idx.ndim and _larger_outside(idx.shape, x.shape, d):
        raise RuntimeError(f"{op}: index of shape {idx.shape} is larger than the tensor of "
                           f"shape {x.shape} outside dim {d}")
    if src is not None and (_is_tensor(src) or isinstance(src, np.ndarray)):
        src_shape = np.shape(src._array if _is_tensor(src) else src)
        if max(len(src_shape), 1) != max(idx.ndim, 1):
            raise RuntimeError(f"{op}: index has {idx.ndim} dims but src (shape {src_shape}) "
                               f"has {len(src_shape)}; they must have as many")
        if any(i > s for i, s in zip(idx.shape, src_shape)):
            raise RuntimeError(f"{op}: index of shape {idx.shape} is larger than src of "
                               f"shape {src_shape}")
    size = x.shape[d] if x.ndim else 1
    _check_range(idx, size, op, d, negative=False)
    return d, idx


def _dim_index(x: Tensor, dim: int, index: Any, op: str, int64: bool = False,
               negative: bool = False) -> tuple[int, np.ndarray]:
    """``dim`` and the vector of positions of the index_* ops (negative positions count
    from the end where PyTorch allows them: ``negative``)."""
    d = axis(dim, x.ndim, op)
    idx = _index_array(index, op, int64=int64)
    if idx.ndim > 1:
        raise IndexError(f"{op}: index must be a vector (or 0-d), got shape {idx.shape}")
    idx = idx.reshape(-1)
    size = x.shape[d] if x.ndim else 1
    _check_range(idx, size, op, d, negative=negative)
    return d, np.where(idx < 0, idx + size, idx) if negative else idx


def _check_range(idx: np.ndarray, size: int, op: str, d: int, negative: bool) -> None:
    if not idx.size:
        return
    lo, hi = int(idx.min()), int(idx.max())
    if hi >= size or lo < (-size if negative else 0):
        bad = hi if hi >= size else lo
        raise IndexError(f"{op}: index {bad} is out of range for dim {d} of size {size}")


def _check_source(x: Tensor, d: int, idx: np.ndarray, source: Tensor, op: str) -> None:
    expected = x.shape[:d] + (len(idx),) + x.shape[d + 1:] if x.ndim else (len(idx),)
    if tuple(source.shape) != expected and not (x.ndim == 0 and source.numel() == len(idx)):
        raise RuntimeError(f"{op}: source of shape {source.shape} does not fit: a tensor of "
                           f"shape {x.shape} with {len(idx)} indices along dim {d} needs "
                           f"source of shape {expected}")


def _check_fill_value(value: Any, op: str) -> None:
    if _is_tensor(value) and value.ndim != 0:
        raise RuntimeError(f"{op}: value must be a number or a 0-d tensor, got a tensor of "
                           f"shape {value.shape}")


def _mask_array(mask: Any, op: str) -> np.ndarray:
    m = mask._array if _is_tensor(mask) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"{op}: the mask must be a bool tensor, got dtype {m.dtype.name}")
    return m


def _broadcast(a: tuple, b: tuple, op: str) -> tuple:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise RuntimeError(f"{op}: shapes {a} and {b} can't be broadcast together") from None


def _as_tensor_like(value: Any, x: Tensor) -> Tensor:
    """``value`` as a Tensor (arrays and numbers in ``x``'s dtype)."""
    if _is_tensor(value):
        return value
    return _constant(np.asarray(value, dtype=x.dtype))


def _same_dtype_or_raise(x: Tensor, other: Tensor, op: str) -> None:
    if other.dtype != x.dtype:
        raise RuntimeError(f"{op}: self ({x.dtype.name}) and the values ({other.dtype.name}) "
                           f"must have the same dtype; convert one with .to(dtype)")


def _smaller_outside(a: tuple, b: tuple, d: int) -> bool:
    return any(n < m for i, (n, m) in enumerate(zip(a, b)) if i != d)


def _larger_outside(a: tuple, b: tuple, d: int) -> bool:
    return any(n > m for i, (n, m) in enumerate(zip(a, b)) if i != d)


def _cut(shape: tuple, d: int | None) -> tuple:
    """The slices that cut a tensor to ``shape`` (outside dim ``d``)."""
    return tuple(slice(None) if i == d else slice(0, n) for i, n in enumerate(shape))


def _at_dim(d: int, idx: np.ndarray) -> tuple:
    """The index that picks the positions ``idx`` along dim ``d``."""
    return (slice(None),) * d + (idx,)


def _mesh(idx: np.ndarray, d: int) -> tuple:
    """The NumPy index of ``[index[i][j]][j]`` (for ``d=0``, and so on)."""
    mesh: list = list(np.indices(idx.shape, sparse=True))
    mesh[d] = idx
    return tuple(mesh)


def _diagonal_positions(rows: int, cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """The row and column positions of diagonal ``offset`` of a rows x cols matrix."""
    r0, c0 = max(-offset, 0), max(offset, 0)
    n = max(min(rows - r0, cols - c0), 0)
    steps = np.arange(n)
    return steps + r0, steps + c0


def _write(x: Tensor, src: Any, index: tuple, shape: tuple, op: str) -> Tensor:
    """``x`` with ``src`` (of exactly ``shape``, ``x``'s dtype) written at ``index``."""
    src = _as_tensor_like(src, x)
    _same_dtype_or_raise(x, src, op)
    if tuple(src.shape) != tuple(shape):
        raise RuntimeError(f"{op}: src has shape {src.shape} but the places written to have "
                           f"shape {shape}")
    return _apply(SetItem, (x, src), {"index": index})


def _triangle(x: Tensor, diagonal: int, op: str) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expected a tensor of at least 2 dims, got shape {x.shape}")
    rows, cols = x.shape[-2:]
    if op == "tril":
        keep = np.tri(rows, cols, diagonal, dtype=bool)
    else:
        keep = ~np.tri(rows, cols, diagonal - 1, dtype=bool)
    if x.dtype.kind not in "fc":
        return _constant(np.where(keep, x._array, np.zeros((), x.dtype)))
    return _apply(Where, (keep, x, 0))


# ---------------------------------------------------------------------------
# The same ops as functions: chainrule.gather(input, dim, index), ...
# ---------------------------------------------------------------------------

def gather(input: Tensor, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """``input.gather(dim, index)``."""
    return input.gather(dim, index)


def scatter(input: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """``input.scatter(dim, index, src)``."""
    return input.scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """``input.scatter_add(dim, index, src)``."""
    return input.scatter_add(dim, index, src)


def scatter_reduce(input: Tensor, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """``input.scatter_reduce(dim, index, src, reduce)``."""
    return input.scatter_reduce(dim, index, src, reduce, include_self=include_self)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """``input.index_select(dim, index)``."""
    return input.index_select(dim, index)


def index_add(input: Tensor, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """``input.index_add(dim, index, source)``."""
    return input.index_add(dim, index, source, alpha=alpha)


def index_copy(input: Tensor, dim: int, index: Any, source: Any) -> Tensor:
    """``input.index_copy(dim, index, source)``."""
    return input.index_copy(dim, index, source)


def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """``input.index_fill(dim, index, value)``."""
    return input.index_fill(dim, index, value)


def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``input.index_put(indices, values, accumulate)``."""
    return input.index_put(indices, values, accumulate)


def index_put_(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``input.index_put_(indices, values, accumulate)``."""
    return input.index_put_(indices, values, accumulate)


def index_reduce(input: Tensor, dim: int, index: Any, source: Any, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """``input.index_reduce(dim, index, source, reduce)``."""
    return input.index_reduce(dim, index, source, reduce, include_self=include_self)


def put(input: Tensor, index: Any, source: Any, accumulate: bool = False) -> Tensor:
    """``input.put(index, source, accumulate)``."""
    return input.put(index, source, accumulate)


def select_scatter(input: Tensor, src: Any, dim: int, index: int) -> Tensor:
    """``input.select_scatter(src, dim, index)``."""
    return input.select_scatter(src, dim, index)


def slice_scatter(input: Tensor, src: Any, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """``input.slice_scatter(src, dim, start, end, step)``."""
    return input.slice_scatter(src, dim, start, end, step)


def diagonal_scatter(input: Tensor, src: Any, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """``input.diagonal_scatter(src, offset, dim1, dim2)``."""
    return input.diagonal_scatter(src, offset, dim1, dim2)


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``input.masked_fill(mask, value)``."""
    return input.masked_fill(mask, value)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """``input.masked_select(mask)``."""
    return input.masked_select(mask)


def masked_scatter(input: Tensor, mask: Any, source: Any) -> Tensor:
    """``input.masked_scatter(mask, source)``."""
    return input.masked_scatter(mask, source)


def take(input: Tensor, index: Any) -> Tensor:
    """``input.take(index)``."""
    return input.take(index)


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """``input.take_along_dim(indices, dim)``."""
    return input.take_along_dim(indices, dim)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """``input.nonzero(as_tuple=...)``."""
    return input.nonzero(as_tuple=as_tuple)


def argwhere(input: Tensor) -> Tensor:
    """``input.argwhere()``."""
    return input.argwhere()


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """``input.tril(diagonal)``."""
    return input.tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """``input.triu(diagonal)``."""
    return input.triu(diagonal)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """``input.diag(diagonal)``."""
    return input.diag(diagonal)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``input.diag_embed(offset, dim1, dim2)``."""
    return input.diag_embed(offset, dim1, dim2)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """``input.diagonal(offset, dim1, dim2)``."""
    return input.diagonal(offset, dim1, dim2)


def trace(input: Tensor) -> Tensor:
    """``input.trace()``."""
    return input.trace()
