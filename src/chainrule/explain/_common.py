"""What every view in :mod:`chainrule.explain` shares: walking a graph and printing numbers.

Only the graph protocol of :mod:`chainrule.graph` is used (``data``, ``grad``,
``requires_grad``, ``label``, ``_ctx``; an op record's ``parents``, ``_inputs``,
``name``, ``freed`` and ``_vjp``), so Scalar and Tensor graphs are walked the same
way, with the one walk of :func:`chainrule.graph.walk`. An op record keeps every
forward input (``_inputs``, constants included), which lets the pictures show data
and numbers that need no gradient.

>>> import chainrule as cr
>>> x = cr.tensor(2.0, requires_grad=True)
>>> y = x * 3 + 1
>>> [v.item() for v in trace(y)]
[2.0, 6.0, 7.0]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import graph as _graph

__all__ = ["is_value", "raw_numbers", "op_inputs", "value_parents", "trace", "label_of", "as_array",
           "fmt_number", "fmt_value", "describe_array", "display_width", "pad", "op_params",
           "value_role"]

# Op-record attributes that are machinery, never an op's parameters.
_MACHINERY = frozenset({"fn", "name", "parents", "needs_input_grad", "freed", "xp"})


def is_value(obj: Any) -> bool:
    """True for an object that follows the graph protocol (a Scalar or a Tensor)."""
    return hasattr(obj, "_ctx") and hasattr(obj, "data") and hasattr(obj, "requires_grad")


def op_inputs(ctx: Any) -> tuple:
    """Every input of the op, in order: values, and constants such as numbers.

    Both engines keep them on the op record (``_inputs``, part of the graph
    protocol) until backward frees it; after that none are left.
    """
    return tuple(ctx._inputs or ())


def value_parents(ctx: Any) -> list:
    """The op's inputs that get a gradient, as values, aligned with ``ctx.parents``
    (``None`` in the slots that need none). The record's ``parents`` are graph nodes
    (records, or leaves); the views show values."""
    return [None if p is None else x for p, x in zip(ctx.parents or (), ctx._inputs)]


def _value_inputs(value: Any) -> list:
    """The values (not constants) that ``value``'s op read: the edges the views follow."""
    ctx = value._ctx
    if ctx is None:
        return []
    return [x for x in op_inputs(ctx) if x is not None and is_value(x)]


def trace(roots: Any) -> list:
    """Every value that ``roots`` depend on, numbered as an evaluation trace.

    Inputs (values made by no op) come first, then each op's output after all its
    inputs: ordered by depth (the longest path from an input), ties broken left to
    right. For ``log(x1) + x1*x2 - sin(x2)`` that is x1, x2, log, mul, sin, add,
    sub: the numbering v_-1 .. v_5 of the classic evaluation trace. No recursion.
    """
    if is_value(roots):
        roots = [roots]
    post = _graph.walk(roots, _value_inputs)
    depth: dict = {}
    for value in post:  # parents come before the values made from them
        parents = _value_inputs(value)
        depth[id(value)] = 1 + max((depth[id(p)] for p in parents), default=-1) \
            if value._ctx is not None else 0
    rank = {id(v): i for i, v in enumerate(post)}
    return sorted(post, key=lambda v: (depth[id(v)], rank[id(v)]))


def label_of(value: Any) -> str | None:
    """The user's name for a value (its ``label``), or None if unset."""
    text = value.label
    return text if isinstance(text, str) and text else None


def value_role(value: Any) -> str:
    """'parameter' (a leaf that requires grad), 'data' (a leaf that does not) or 'activation'."""
    if value._ctx is not None:
        return "activation"
    return "parameter" if value.requires_grad else "data"


def raw_numbers(value: Any) -> Any:
    """The plain numbers of a value: a Tensor's NumPy array, a Scalar's float."""
    if hasattr(value, "numpy"):
        return value.numpy(force=True)
    return value.data


def as_array(x: Any) -> np.ndarray:
    """The numbers behind a value, an array or a number, as an ndarray."""
    if is_value(x):
        x = raw_numbers(x)
    return np.asarray(x)


def op_params(ctx: Any) -> dict[str, Any]:
    """Plain parameters an op stashed on its record (exponents, axes, ...), for display."""
    params: dict[str, Any] = {}
    for key, val in getattr(ctx, "__dict__", {}).items():
        if key.startswith("_") or key in _MACHINERY or key.startswith("in_"):
            continue  # in_shape, in_dtype: what backward needs, not what the user wrote
        if key in ("keepdim", "keepdims") and val is False:
            continue
        if isinstance(val, (bool, int, float, str, type(None))):
            params[key] = val
        elif isinstance(val, tuple) and all(isinstance(v, (int, type(None))) for v in val):
            params[key] = val
        elif isinstance(val, np.dtype):
            params[key] = val.name
    return params


# ---------------------------------------------------------------------------
# Numbers as text
# ---------------------------------------------------------------------------

def fmt_number(x: Any, precision: int = 6) -> str:
    """A number with ``precision`` significant digits and no trailing noise.

    >>> fmt_number(2.0), fmt_number(0.6931471805599453), fmt_number(-0.0)
    ('2', '0.693147', '0')
    """
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.{precision}g}"


def describe_array(a: np.ndarray, precision: int = 4) -> str:
    """A one-line summary of a large array: shape, dtype, min, mean, max, non-finite count.

    >>> describe_array(np.arange(6.0).reshape(2, 3))
    '(2, 3) float64 min 0 mean 2.5 max 5'
    """
    a = np.asarray(a)
    text = f"{tuple(a.shape)} {a.dtype.name}"
    if a.size == 0:
        return text + " (empty)"
    if a.dtype.kind not in "fciub":
        return text
    finite = np.isfinite(a) if a.dtype.kind in "fc" else np.ones(a.shape, bool)
    bad = int(a.size - np.count_nonzero(finite))
    vals = a[finite].astype(np.float64) if bad else a.astype(np.float64)
    if vals.size:
        low, mean, high = (fmt_number(v, precision) for v in (vals.min(), vals.mean(), vals.max()))
        text += f" min {low} mean {mean} max {high}"
    if bad:
        nan = int(np.count_nonzero(np.isnan(a)))
        text += f" ({nan} nan, {bad - nan} inf)"
    return text


def fmt_value(x: Any, precision: int = 6, limit: int = 16) -> str:
    """A value's numbers on one line: a number, a small array in full, a large one summarised.

    >>> fmt_value(np.array([1.0, 0.5, 1 / 3]))
    '[1, 0.5, 0.3333]'
    >>> fmt_value(np.zeros((10, 10)))
    '(10, 10) float64 min 0 mean 0 max 0'
    """
    a = as_array(x)
    if a.size == 1 and a.dtype.kind in "fiub":
        return fmt_number(a.reshape(()).item(), precision)
    if a.size > limit:
        return describe_array(a, min(precision, 4))
    if a.dtype.kind not in "fiub":
        return np.array2string(a, separator=", ").replace("\n", "")
    return _nested(a, min(precision, 4))


def _nested(a: np.ndarray, precision: int) -> str:
    if a.ndim == 0:
        return fmt_number(a.item(), precision)
    return "[" + ", ".join(_nested(row, precision) for row in a) + "]"


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: combining marks (the bar of v̄) take none."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns."""
    return text + " " * max(0, width - display_width(text))


def join_columns(rows: Iterable[Iterable[str]], gap: str = "  ") -> list:
    """Align rows of cells in columns (display width aware); returns the lines."""
    table = [list(r) for r in rows]
    if not table:
        return []
    n = max(len(r) for r in table)
    widths = [0] * n
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], display_width(cell))
    lines = []
    for r in rows:
        cells = [pad(cell, widths[i]) for i, cell in enumerate(r)]
        lines.append(gap.join(cells).rstrip())
    return lines
