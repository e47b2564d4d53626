"""PyTorch's indexing rules, turned into NumPy indices.

``x[index]`` in PyTorch and in NumPy agree on basic indices (integers, slices,
None, Ellipsis) and on index arrays alone, but not on their mixture:

- PyTorch applies an integer (or a 0-d integer tensor) as a *select*: the dim
  goes away first, and the integer is not an advanced index. NumPy counts an
  integer as an advanced index as soon as there is one index array, so
  ``x[1, :, idx]`` puts the indexed dims first in NumPy and in place in PyTorch.
- A Python ``True``/``False`` adds a dim of size 1 that is indexed by ``[0]`` or
  by ``[]`` (an advanced index in both libraries).
- The advanced indices (index tensors, lists, boolean masks) then follow the rule
  both libraries share: their broadcast shape replaces the indexed dims in place
  when they are next to each other (nothing, not even None, between them), and
  goes first otherwise. PyTorch looks at dims, so an Ellipsis that stands for no dims
  does not keep two index tensors apart (in NumPy it does).
- A list that holds a tensor, a sequence, a slice, None or Ellipsis (and has
  fewer than 32 items) is read as a tuple, as PyTorch still does (with a warning).

:func:`torch_index` gives ``(select, index)``: ``x[select][index]`` in NumPy is
PyTorch's ``x[index]`` (``select`` is None when one NumPy index does it). Both
parts follow NumPy and PyTorch alike (``select`` is basic, ``index`` holds no
integers beside arrays), so a VJP may index Tensors with them under
``create_graph``.

Negative slice steps, which PyTorch refuses, are accepted with NumPy's meaning
(``x[::-1]``; :func:`chainrule.flip` is PyTorch's way to write it).

>>> import numpy as np
>>> d = np.zeros((2, 1, 1, 5, 1, 1), dtype=np.int64)
>>> select, index = torch_index((1, slice(None), slice(3, 11, 2), d, slice(0, 2)), 6)
>>> np.zeros((2, 5, 6, 5, 3, 4))[select][index].shape
(5, 2, 2, 1, 1, 5, 1, 1, 2, 4)
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

__all__ = ["torch_index"]

# kinds of index parts
_INT, _SLICE, _NONE, _ELLIPSIS, _BOOL, _ARRAY, _MASK = range(7)

_BASIC_TYPES = (int, slice, type(None), type(Ellipsis))
_KINDS = {int: _INT, slice: _SLICE, type(None): _NONE, type(Ellipsis): _ELLIPSIS}


def torch_index(idx: Any, ndim: int) -> tuple[Any, Any]:
    """``(select, index)``: NumPy indices that give PyTorch's ``x[idx]`` for ``x`` of ``ndim``
    dims, as ``x[select][index]`` (or ``x[index]`` when ``select`` is None)."""
    if type(idx) in _BASIC_TYPES:
        return None, _basic_part(idx)
    if type(idx) is tuple:
        for p in idx:  # the common case, ints and slices, as it is
            if type(p) not in _BASIC_TYPES or (type(p) is slice and not _plain(p)):
                break
        else:
            return None, idx
    if type(idx) is not tuple and not _sequence_as_tuple(idx):
        return None, _classify(idx)[1]  # one part: NumPy's meaning is PyTorch's
    kinds = []
    for part in idx:  # a loop, not a comprehension: warnings point at the user's line
        kinds.append(_classify(part))
    has_int = has_advanced = has_ellipsis = False
    for kind, _ in kinds:
        has_int = has_int or kind == _INT
        has_advanced = has_advanced or kind in (_ARRAY, _MASK, _BOOL)
        has_ellipsis = has_ellipsis or kind == _ELLIPSIS
    if not has_advanced:
        return None, tuple(v for _, v in kinds)
    _check_count(kinds, ndim)
    if has_ellipsis:  # NumPy counts an Ellipsis between index arrays as apart, even if empty
        kinds = _expand_ellipsis(kinds, ndim)
    if not has_int:
        return None, tuple(v for _, v in kinds)
    return _two_stage(kinds)


def _sequence_as_tuple(idx: Any) -> bool:
    """PyTorch's (and old NumPy's) rule for reading a list index as a tuple of indices."""
    if not isinstance(idx, list) or len(idx) >= 32:
        return False
    for item in idx:
        if item is None or item is Ellipsis or isinstance(item, (slice, list, tuple, np.ndarray)) \
                or isinstance(getattr(item, "_array", None), np.ndarray):
            warnings.warn(
                "indexing with a list that holds lists, tensors, slices, None or Ellipsis reads "
                "it as a tuple of indices, as PyTorch does (PyTorch deprecates this); write "
                "x[tuple(seq)] for that, or x[chainrule.tensor(seq)] for an index tensor",
                UserWarning, stacklevel=4)
            return True
    return False


def _plain(s: slice) -> bool:
    """True for a slice whose bounds are ints or None."""
    return (type(s.start) in _BOUNDS and type(s.stop) in _BOUNDS and type(s.step) in _BOUNDS)


_BOUNDS = (int, type(None))


def _basic_part(part: Any) -> Any:
    """An int, None, Ellipsis or slice, with a slice's tensor bounds made ints."""
    if type(part) is slice and not _plain(part):
        return slice(_to_int(part.start), _to_int(part.stop), _to_int(part.step))
    return part


def _to_int(bound: Any) -> int | None:
    if bound is None:
        return None
    array = getattr(bound, "_array", None)
    if isinstance(array, np.ndarray):
        if array.ndim or array.dtype.kind not in "iu":
            raise TypeError(f"slice indices must be integers or 0-d integer tensors, got a "
                            f"{array.dtype.name} tensor of shape {array.shape}")
        return int(array)
    return operator.index(bound)


def _classify(part: Any) -> tuple[int, Any]:
    """``(kind, value)`` of one index part, with tensors and lists made NumPy arrays."""
    basic = _KINDS.get(type(part))
    if basic is not None:
        return basic, _basic_part(part) if basic == _SLICE else part
    if isinstance(part, (bool, np.bool_)):
        return _BOOL, bool(part)
    if isinstance(part, (int, np.integer)):
        return _INT, int(part)
    array = getattr(part, "_array", None)
    if not isinstance(array, np.ndarray):
        if isinstance(part, np.ndarray):
            array = part
        elif isinstance(part, (list, tuple)):
            array = np.asarray(part)
            if array.size == 0:
                array = array.astype(np.int64)
        elif hasattr(part, "__index__"):
            return _INT, operator.index(part)
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and integer or bool "
                f"tensors are valid indices (got {type(part).__name__})")
    kind = array.dtype.kind
    if array.dtype == np.uint8:  # PyTorch's old byte masks
        warnings.warn("indexing with dtype uint8 is deprecated, use a bool mask",
                      UserWarning, stacklevel=4)
        array, kind = array.astype(bool), "b"
    if kind == "b":
        return (_BOOL, bool(array)) if array.ndim == 0 else (_MASK, array)
    if kind not in "iu":
        raise IndexError(
            f"tensors used as indices must be integer or bool tensors, got {array.dtype.name}")
    if array.ndim == 0:
        return _INT, int(array)
    return _ARRAY, array


def _check_count(kinds: list, ndim: int) -> None:
    if sum(k == _ELLIPSIS for k, _ in kinds) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_dims_used(k, v) for k, v in kinds)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} (the index uses "
                         f"{used} dims)")


def _dims_used(kind: int, value: Any) -> int:
    if kind in (_INT, _SLICE, _ARRAY):
        return 1
    if kind == _MASK:
        return int(value.ndim)
    return 0


def _expand_ellipsis(kinds: list, ndim: int) -> list:
    """The parts with the Ellipsis replaced by the full slices it stands for."""
    rest = ndim - sum(_dims_used(k, v) for k, v in kinds)
    out = []
    for kind, value in kinds:
        if kind == _ELLIPSIS:
            out.extend([(_SLICE, slice(None))] * rest)
        else:
            out.append((kind, value))
    return out


def _two_stage(kinds: list) -> tuple[tuple, tuple]:
    """Integers applied first as a basic index, then the advanced index on what is left
    (``kinds`` has no Ellipsis)."""
    select: list = []
    index: list = []
    for kind, value in kinds:
        if kind == _INT:
            select.append(value)
        elif kind in (_SLICE, _NONE):
            select.append(value)
            index.append(slice(None))
        elif kind == _BOOL:  # a new dim of size 1, indexed by [0] (True) or [] (False)
            select.append(None)
            index.append(np.zeros(1 if value else 0, dtype=np.intp))
        elif kind == _ARRAY:
            select.append(slice(None))
            index.append(value)
        else:  # a k-dim mask indexes k dims
            select.extend([slice(None)] * value.ndim)
            index.append(value)
    return tuple(select), tuple(index)
