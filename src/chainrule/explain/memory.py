"""What a graph keeps alive for backward, in bytes.

Until backward frees it, a graph holds each op's saved arrays (inputs, outputs,
masks, indices) and, through the ops' links to their inputs, every intermediate
value. :func:`memory_report` lists both per op, counts each underlying buffer once
(a view and its base, or an array saved by two ops, are one buffer), and adds it
up. Leaves (parameters, the input batch) are listed apart: they are yours and live
on without the graph.

>>> import chainrule as cr
>>> x = cr.ones(1000, requires_grad=True)
>>> report = memory_report((x * x).exp().sum())
>>> report.total  # x*x (4000 bytes), exp's output (saved: 4000), the sum (4); x is a leaf
8004
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._common import as_array, is_value, join_columns, label_of, op_inputs, trace
from .table import _number

__all__ = ["memory_report", "MemoryReport", "OpMemory", "Item"]

# Context attributes that are machinery or links, not what an op saved.
_SKIP = frozenset({"_saved", "_inputs", "_versions", "_out", "_out_array", "parents", "fn",
                   "xp", "_hooks"})


@dataclass
class Item:
    """One array kept by the graph: what it is, its shape, dtype and the bytes it adds."""

    what: str          # "saved", "saved ctx.mask", "value"
    shape: tuple
    dtype: str
    nbytes: int        # the array's own size
    counted: int       # bytes this item adds to the total (0 when its buffer was already counted)
    note: str = ""     # "leaf x", "shared with op 3", "view of a buffer of 8000 bytes"


@dataclass
class OpMemory:
    """What one op keeps: its saved arrays and its output value."""

    index: int
    op: str
    name: str          # the output's v_i name (as in the backward table)
    module: str
    items: list = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(i.counted for i in self.items)


class MemoryReport:
    """Per-op rows, per-module totals, the leaves, and ``total`` (unique bytes)."""

    def __init__(self, ops: list, leaves: list, total: int, leaf_bytes: int) -> None:
        self.ops = ops
        self.leaves = leaves
        self.total = total
        self.leaf_bytes = leaf_bytes

    @property
    def by_module(self) -> dict:
        """Bytes per module name ("" for ops no module could be attributed to)."""
        result: dict = {}
        for op in self.ops:
            result[op.module] = result.get(op.module, 0) + op.bytes
        return result

    def __str__(self) -> str:
        rows = [["op", "module", "kept", "shape", "dtype", "bytes", "note"]]
        for op in self.ops:
            first = True
            for it in op.items:
                rows.append([f"{op.index} {op.op} -> {op.name}" if first else "",
                             (op.module or "-") if first else "", it.what, str(it.shape),
                             it.dtype, _fmt_bytes(it.counted), it.note])
                first = False
        lines = join_columns(rows)
        lines.append(f"total kept for backward: {_fmt_bytes(self.total)} in "
                     f"{sum(len(o.items) for o in self.ops)} arrays of {len(self.ops)} ops")
        modules = {k: v for k, v in self.by_module.items() if k}
        if modules:
            parts = [f"{k} {_fmt_bytes(v)}" for k, v in modules.items()]
            lines.append("by module: " + ", ".join(parts))
        lines.append(f"leaves (yours, not counted): {len(self.leaves)} arrays, "
                     f"{_fmt_bytes(self.leaf_bytes)}")
        return "\n".join(lines)

    __repr__ = __str__


def memory_report(root: Any, model: Any = None) -> MemoryReport:
    """List what ``root``'s graph keeps for backward, per op and in total.

    For each op (in the order of the backward table): the arrays it saved
    (``save_for_backward``, and arrays stashed on its record such as masks) and
    its output value, with shape, dtype and the bytes each adds. A buffer is
    counted once however many views or ops hold it, and buffers owned by leaves
    (parameters, inputs) are not counted. With ``model`` (anything with
    ``named_parameters()``), an op is attributed to the module whose parameter it
    reads directly, or through a view of it (``W.T``).
    """
    if not is_value(root):
        raise TypeError(f"memory_report() takes a chainrule value, got {type(root).__name__}")
    values = trace(root)
    names = _number(values)
    owner, pnames = _param_owner(model)
    counted: dict = {}    # buffer id -> who counted it
    alive: list = []      # every array looked at, so that no id is reused while we count
    leaves, leaf_bytes = [], 0
    for v in values:
        if v._ctx is None:
            arr = as_array(v)
            alive.append(arr)
            key, size = _buffer(arr)
            if key not in counted:
                counted[key] = f"leaf {pnames.get(id(v)) or label_of(v) or names[id(v)]}"
                leaf_bytes += size
            leaves.append(v)
    ops = []
    total = 0
    derived: dict = {}  # id(value) -> module, for views of a parameter
    for index, v in enumerate((v for v in values if v._ctx is not None), start=1):
        ctx = v._ctx
        module = _module_of(ctx, owner, derived)
        if module and all(not is_value(x) or id(x) in owner or id(x) in derived
                          for x in op_inputs(ctx) if x is not None):
            derived[id(v)] = module
        entry = OpMemory(index, str(ctx.name), names[id(v)], module)
        for what, arr in _kept(ctx, v):
            alive.append(arr)
            key, size = _buffer(arr)
            note = ""
            if key in counted:
                add, note = 0, counted[key]
                if note == f"shared with op {index}":
                    note = "the same buffer as above"
            else:
                add = size
                counted[key] = f"shared with op {index}"
                if size != arr.nbytes:
                    note = f"view of a buffer of {_fmt_bytes(size)}"
            total += add
            entry.items.append(Item(what, tuple(arr.shape), arr.dtype.name, int(arr.nbytes),
                                    int(add), note))
        ops.append(entry)
    return MemoryReport(ops, leaves, total, leaf_bytes)


def _kept(ctx: Any, value: Any) -> list:
    """(what, array) for each array an op record keeps, then its output value."""
    items = []
    if getattr(ctx, "freed", False):
        return [("value", as_array(value))]
    saved = getattr(ctx, "_saved", None)
    if saved:
        for a in saved:
            if isinstance(a, np.ndarray):
                items.append(("saved", a))
    for key, val in getattr(ctx, "__dict__", {}).items():
        if key in _SKIP or key == "_saved":
            continue
        if isinstance(val, np.ndarray) and val.ndim:
            items.append((f"ctx.{key}", val))
    for key in ("_d0", "_d1"):  # Scalar: the local derivatives saved as floats
        if isinstance(getattr(ctx, key, None), float):
            items.append((f"local {key[1:]}", np.asarray(getattr(ctx, key))))
    items.append(("value", as_array(value)))
    return items


def _buffer(arr: np.ndarray) -> tuple:
    """(id of the memory that really holds ``arr``, its size in bytes)."""
    base = arr
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, np.ndarray):
        return id(base), int(base.nbytes)
    return id(base), int(arr.nbytes)


def _param_owner(model: Any) -> tuple[dict, dict]:
    if model is None:
        return {}, {}
    named = getattr(model, "named_parameters", None)
    if not callable(named):
        raise TypeError("memory_report(model=...): the model needs named_parameters() to "
                        "attribute ops to its modules")
    owner: dict[int, str] = {}
    pnames: dict[int, str] = {}
    for name, p in named():
        owner[id(p)] = name.rsplit(".", 1)[0] if "." in name else type(model).__name__
        pnames[id(p)] = name
    return owner, pnames


def _module_of(ctx: Any, owner: dict, derived: dict) -> str:
    for x in op_inputs(ctx):
        if x is None or not is_value(x):
            continue
        if id(x) in owner:
            return owner[id(x)]
        if id(x) in derived:
            return derived[id(x)]
    return ""


def _fmt_bytes(n: int) -> str:
    """Bytes for people.

    >>> _fmt_bytes(512), _fmt_bytes(4096), _fmt_bytes(3 * 2 ** 20)
    ('512 B', '4.0 KiB', '3.0 MiB')
    """
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
