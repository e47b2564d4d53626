"""The backward pass as a table: forward assignments, then adjoint assignments, with numbers.

Reverse mode, written as an evaluation trace, is two lists. On the left the forward
assignments ``v_i = op(v_j, ...)`` (inputs numbered v_-1, v_0, ...), on the
right the adjoints ``v̄_j = v̄_i ∂v_i/∂v_j`` run from the output back, with
``+=`` where a value feeds several ops. :func:`backward_table` prints both for
any chainrule graph, with the numbers, and shows the two steps people forget:
fan-out accumulation (``+=``) and the sum that undoes broadcasting.

>>> import chainrule as cr
>>> x = cr.tensor(3.0, dtype=cr.float64, requires_grad=True)
>>> x.label = "x"
>>> print(backward_table(x * x))
step  pass      assignment              numbers  value  note
1     forward   v_0 = x                          3
2     forward   v_1 = v_0 * v_0         3 * 3    9
3     backward  v̄_1 = 1                          1      start
4     backward  v̄_0 = v̄_1 · ∂v_1/∂v_0   1 · 3    3      fan-out: contribution 1 of 2
5     backward  v̄_0 += v̄_1 · ∂v_1/∂v_0  1 · 3    6      fan-out: contribution 2 of 2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import graph as _graph
from ._common import (
    as_array,
    fmt_value,
    is_value,
    join_columns,
    label_of,
    op_inputs,
    op_params,
    raw_numbers,
    trace,
    value_parents,
)

__all__ = ["backward_table", "BackwardTable", "Step"]

# Ops written infix in the table; Scalar engines may name them by their symbol.
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**",
          "+": "+", "-": "-", "*": "*", "/": "/", "**": "**", "@": "@"}


@dataclass
class Step:
    """One row of the table: ``lhs op rhs`` (``op`` is ``=`` or ``+=``) and its numbers."""

    step: int
    pass_: str            # "forward" or "backward"
    lhs: str              # "v_1", "v̄_-1" or "t" (a contribution before un-broadcasting)
    op: str               # "=" or "+="
    rhs: str              # "log(v_-1)", "v̄_4 · ∂v_4/∂v_1", "sum(t, axis=0)", ...
    numbers: str = ""     # the right-hand side with numbers in place of names
    value: Any = None     # the result: a number or an array
    note: str = ""        # "start", "fan-out: contribution 2 of 2", "un-broadcast: ..."
    precision: int = field(default=6, repr=False)

    @property
    def assignment(self) -> str:
        return f"{self.lhs} {self.op} {self.rhs}"

    def cells(self) -> list:
        value = "" if self.value is None else fmt_value(self.value, self.precision)
        return [str(self.step), self.pass_, self.assignment, self.numbers, value, self.note]


class BackwardTable:
    """The rows of one explained backward pass, printable as text or Markdown.

    ``rows`` holds the :class:`Step` objects; ``names`` maps each value (by ``id``)
    to its ``v_i`` name; :meth:`gradient` gives the gradient the pass computed for
    a value. ``str(table)`` is the text table, :meth:`to_markdown` the Markdown one.
    """

    header = ["step", "pass", "assignment", "numbers", "value", "note"]

    def __init__(self, rows: list, names: dict, grads: dict, values: list) -> None:
        self.rows = rows
        self.names = names
        self._grads = grads
        self._values = values

    def gradient(self, value: Any) -> Any:
        """The adjoint the pass ended with for ``value`` (None if it got no gradient)."""
        return self._grads.get(id(value))

    @property
    def gradients(self) -> dict:
        """Final adjoints of the leaves that require grad, keyed by label (or ``v_i``)."""
        result = {}
        for v in self._values:
            if v._ctx is None and v.requires_grad and id(v) in self._grads:
                result[label_of(v) or self.names[id(v)]] = self._grads[id(v)]
        return result

    def to_text(self) -> str:
        return "\n".join(join_columns([self.header] + [r.cells() for r in self.rows]))

    def to_markdown(self) -> str:
        """The table as GitHub Markdown (pipes in cells escaped).

        >>> import chainrule as cr
        >>> x = cr.tensor(2.0, requires_grad=True)
        >>> print(backward_table(x.exp()).to_markdown().splitlines()[0])
        | step | pass | assignment | numbers | value | note |
        """
        def row(cells: list) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        lines = [row(self.header), "|" + "---|" * len(self.header)]
        lines += [row(r.cells()) for r in self.rows]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def backward_table(root: Any, gradient: Any = None, *, order: str = "trace",
                   precision: int = 6) -> BackwardTable:
    """Run backward on ``root``'s graph and list every forward and adjoint assignment.

    The pass is a replay: each op's own vector-Jacobian product (the one
    ``backward()`` uses) is called in turn, but nothing is freed and no ``.grad``
    changes, so ``root.backward()`` can still be called afterwards. A graph already
    freed by a ``backward()`` without ``retain_graph=True`` cannot be replayed.

    ``gradient`` is dL/d(root), needed only when ``root`` has more than one element.
    ``order="trace"`` (the default) runs the adjoints in the reverse of the forward
    numbering of the evaluation trace; ``order="engine"`` uses the order in which
    :func:`chainrule.graph.backward` runs the ops (newest first). Both are valid reverse
    topological orders and give the same gradients. ``precision`` is the number of
    significant digits.

    Where an op's output has one element, ``∂v_i/∂v_j`` is printed with its value
    (one VJP, starting from 1). Where the engine sums a gradient back to a broadcast
    input's shape the table shows the sum as a step of its own.
    """
    if not is_value(root):
        raise TypeError(f"backward_table() takes a chainrule value (Scalar or Tensor), "
                        f"got {type(root).__name__}")
    if not root.requires_grad or root._ctx is None:
        raise ValueError("backward_table(): the root was not made by a recorded op from values "
                         "that require grad, so there is no backward pass to show")
    if order not in ("trace", "engine"):
        raise ValueError(f"backward_table(): order must be 'trace' or 'engine', got {order!r}")
    values = trace(root)
    for v in values:
        if v._ctx is not None and v._ctx.freed:
            raise RuntimeError(
                f"backward_table(): the graph was freed by an earlier backward() (op "
                f"'{v._ctx.name}'): build it again, or call backward(retain_graph=True)"
            )
    names = _number(values)
    rows: list = []

    def add(pass_: str, lhs: str, op: str, rhs: str, numbers: str = "", value: Any = None,
            note: str = "") -> None:
        rows.append(Step(len(rows) + 1, pass_, lhs, op, rhs, numbers, value, note, precision))

    for v in values:
        if v._ctx is None:
            add("forward", names[id(v)], "=", label_of(v) or _leaf_word(v), value=raw_numbers(v))
        else:
            rhs, numbers = _forward_formula(v._ctx, names, precision)
            add("forward", names[id(v)], "=", rhs, numbers, raw_numbers(v))

    start = _start_gradient(root, gradient)
    grads: dict = {id(root): start}
    add("backward", _bar(names[id(root)]), "=", fmt_value(start, precision), value=start,
        note="start")
    if order == "trace":
        ops = [v for v in reversed(values) if v._ctx is not None]
    else:
        ops = _engine_order(root, values)
    fan_in: dict[int, int] = {}
    for v in ops:
        for p in value_parents(v._ctx):
            if p is not None:
                fan_in[id(p)] = fan_in.get(id(p), 0) + 1
    seen: dict = {}
    for v in ops:
        g = grads.get(id(v))
        if g is None:
            continue
        ctx = v._ctx
        parent_grads = ctx._vjp(g, False)
        raw = _raw_vjp(ctx, g)
        size = as_array(v).size
        local = ctx._vjp(_ones_like(v), False) if size == 1 else None
        small = _small_jacobians(ctx, v, size) if local is None else None
        i_name = names[id(v)]
        for j, (parent, pg) in enumerate(zip(value_parents(ctx), parent_grads)):
            if parent is None or pg is None:
                continue
            key = id(parent)
            seen[key] = seen.get(key, 0) + 1
            first = key not in grads
            grads[key] = pg if first else grads[key] + pg
            j_name = names[key]
            term = f"{_bar(i_name)} · ∂{i_name}/∂{j_name}"
            notes = []
            if fan_in.get(key, 1) > 1:
                notes.append(f"fan-out: contribution {seen[key]} of {fan_in[key]}")
            op = "=" if first else "+="
            pre = raw[j] if raw is not None and j < len(raw) else None
            if pre is not None and tuple(np.shape(pre)) != tuple(as_array(parent).shape):
                shape_in = tuple(np.shape(pre))
                shape_out = tuple(as_array(parent).shape)
                axes = _summed_axes(shape_in, shape_out)
                add("backward", "t", "=", term, "", pre,
                    f"shape {shape_in}, the shape of {i_name}")
                add("backward", _bar(j_name), op, f"sum(t, axis={_axes_text(axes)})", "",
                    grads[key], "; ".join([f"un-broadcast: {shape_in} → {shape_out}"] + notes))
                continue
            if local is not None and local[j] is not None:
                numbers = f"{fmt_value(g, precision)} · {fmt_value(local[j], precision)}"
            elif small is not None and small[j] is not None:
                # g_in = g_out L^x, with g_out as a row and L^x one row per output
                numbers = (f"{fmt_value(as_array(g).reshape(-1), precision)} · "
                           f"{fmt_value(small[j], precision)}")
            else:
                numbers = fmt_value(pg, precision) if not first else ""
                if numbers:
                    notes.insert(0, "adds the VJP shown under numbers")
            add("backward", _bar(j_name), op, term, numbers, grads[key], "; ".join(notes))
    return BackwardTable(rows, names, grads, values)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _number(values: list) -> dict:
    """v_-k .. v_0 for the inputs, v_1 .. v_m for op outputs, as in the evaluation trace."""
    leaves = [v for v in values if v._ctx is None]
    names = {}
    for i, v in enumerate(leaves):
        names[id(v)] = f"v_{i - len(leaves) + 1}"
    k = 0
    for v in values:
        if v._ctx is not None:
            k += 1
            names[id(v)] = f"v_{k}"
    return names


def _engine_order(root: Any, values: list) -> list:
    """The order ``chainrule.graph.backward`` runs ops in: newest first where op records
    carry their creation number (``_seq``), else its depth-first topological order."""
    ops = [v for v in values if v._ctx is not None]
    if all(hasattr(v._ctx, "_seq") for v in ops):
        return sorted(ops, key=lambda v: -v._ctx._seq)
    by_record = {id(v._ctx): v for v in ops}
    return [by_record[id(node)] for node in _graph.toposort([root]) if id(node) in by_record]


def _bar(name: str) -> str:
    return "v\u0304" + name[1:]


def _leaf_word(v: Any) -> str:
    return "input" if v.requires_grad else "data"


def _arg_text(x: Any, names: dict, numeric: bool, precision: int) -> str | None:
    if x is None:
        return "?"
    if is_value(x):
        if numeric:
            a = as_array(x)
            return fmt_value(a, precision) if a.size == 1 else None
        return names.get(id(x), "?")
    if isinstance(x, (bool, int, float, np.number)):
        return fmt_value(x, precision)
    if isinstance(x, np.ndarray):
        return fmt_value(x, precision) if x.size <= 4 else f"array{tuple(x.shape)}"
    if isinstance(x, (list, tuple)):
        parts = [_arg_text(y, names, numeric, precision) for y in x]
        if any(p is None for p in parts):
            return None
        return "[" + ", ".join(str(p) for p in parts) + "]"
    return type(x).__name__


def _forward_formula(ctx: Any, names: dict, precision: int) -> tuple:
    """(``op(v_j, ...)``, the same with numbers or '') for one op."""
    inputs = op_inputs(ctx)
    params = op_params(ctx)
    name = ctx.name

    def build(numeric: bool) -> str | None:
        texts = [_arg_text(x, names, numeric, precision) for x in inputs]
        args = [t for t in texts if t is not None]
        if len(args) != len(texts):
            return None
        if name == "pow" and len(args) == 1 and "c" in params:
            return f"{args[0]} ** {fmt_value(params['c'], precision)}"
        if name in _INFIX and len(args) == 2:
            return f"{args[0]} {_INFIX[name]} {args[1]}"
        if name in ("neg", "-") and len(args) == 1:
            return f"-{args[0]}"
        extra = [f"{k}={v}" for k, v in params.items() if numeric is False]
        return f"{name}({', '.join(args + extra)})"

    return build(False), (build(True) or "")


def _start_gradient(root: Any, gradient: Any) -> Any:
    data = raw_numbers(root)
    if gradient is None:
        if as_array(data).size != 1:
            raise ValueError(
                f"backward_table(): the root has shape {as_array(data).shape}; pass gradient=... "
                "(dL/d root, of that shape) as you would to backward()"
            )
        return _ones_like(root)
    if isinstance(data, np.ndarray):
        g = np.array(as_array(gradient), dtype=data.dtype)
        if g.shape != data.shape:
            raise ValueError(f"backward_table(): gradient has shape {g.shape} but the root has "
                             f"shape {data.shape}")
        return g
    return type(data)(as_array(gradient).item())


def _ones_like(value: Any) -> Any:
    data = raw_numbers(value)
    if isinstance(data, np.ndarray):
        return np.ones_like(data)
    return type(data)(1)


def _small_jacobians(ctx: Any, v: Any, size: int, limit: int = 16) -> list | None:
    """Each input's local Jacobian (one VJP per output element) when all are tiny."""
    sizes = [as_array(p).size if p is not None else 0 for p in value_parents(ctx)]
    if size * max(sizes, default=0) > limit:
        return None
    rows: list = [[] for _ in sizes]
    for k in range(size):
        e = np.zeros_like(as_array(v))
        e.flat[k] = 1
        for j, gk in enumerate(ctx._vjp(e, False)):
            if gk is not None and sizes[j]:
                rows[j].append(as_array(gk).reshape(-1))
    return [np.stack(r) if len(r) == size else None for r in rows]


def _raw_vjp(ctx: Any, g: Any) -> tuple | None:
    """What a Tensor op's backward returns before the engine sums it to each input's shape."""
    fn = getattr(ctx, "fn", None)
    if fn is None or not isinstance(g, np.ndarray):
        return None
    try:
        grads = fn.backward(ctx, g)
    except Exception:  # display only: the engine's own VJP already ran and gave the result
        return None
    if type(grads) is not tuple:
        grads = tuple(grads) if isinstance(grads, list) else (grads,)
    return grads


def _summed_axes(shape_in: tuple, shape_out: tuple) -> tuple:
    lead = len(shape_in) - len(shape_out)
    axes = list(range(lead))
    for i, n in enumerate(shape_out):
        if n == 1 and shape_in[lead + i] != 1:
            axes.append(lead + i)
    return tuple(axes)


def _axes_text(axes: tuple) -> str:
    return str(axes[0]) if len(axes) == 1 else str(axes)
