"""The graph as a picture: Graphviz DOT text, rendered to SVG or PNG when Graphviz is there.

:func:`to_dot` needs nothing but chainrule: it returns DOT text, one node per value
and one per op. Colours follow one convention: blue for parameters (leaves that require
grad), green for data and activations going forward, red for gradients going
backward, and yellow for forward values that the backward pass uses (the
"parameters" of the backward network). :func:`render` and :func:`graph` turn
the text into pictures through the optional ``graphviz`` package and its ``dot``
program.

>>> import chainrule as cr
>>> w = cr.tensor(3.0, requires_grad=True)
>>> w.label = "w"
>>> text = to_dot(w * 2)
>>> text.splitlines()[0]
'digraph chainrule {'
>>> "mul" in text and "#69B0F9" in text
True
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from .. import graph as _graph
from ._common import (
    as_array,
    fmt_value,
    is_value,
    label_of,
    op_inputs,
    op_params,
    raw_numbers,
    trace,
)
from .table import _number

__all__ = ["to_dot", "render", "render_dot", "graph", "Graph", "GraphvizMissing", "COLORS"]

COLORS = {
    "parameter": "#69B0F9",      # parameters, in the forward pass
    "data": "#72E254",           # data forward
    "activation": "#72E254",     # activations forward
    "gradient": "#D3443D",       # data backward
    "saved": "#F7E059",          # params backward: forward values the backward pass reads
    "op": "#EEEEEE",
    "backward_op": "#F6CFCB",
}

_INSTALL = (
    "install the Python package with `pip install graphviz` and the `dot` program with "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
    "`conda install -c conda-forge graphviz`"
)


class GraphvizMissing(RuntimeError):
    """Graphviz (the ``graphviz`` package or its ``dot`` program) is not installed.

    The DOT text is kept in ``.dot``; ``.dot_path`` is where it was saved, if anywhere.
    """

    def __init__(self, message: str, dot: str, dot_path: Path | None = None) -> None:
        super().__init__(message)
        self.dot = dot
        self.dot_path = dot_path


# ---------------------------------------------------------------------------
# DOT text
# ---------------------------------------------------------------------------

def to_dot(root: Any, *, backward: bool = False, rankdir: str = "LR", limit: int = 16,
           precision: int = 4) -> str:
    """Graphviz DOT text for the graph that produced ``root`` (a Scalar or a Tensor).

    Each value is a box: its label (or its ``v_i`` name from the backward table), its
    role, shape and dtype (Tensors), its data and its grad (arrays up to ``limit``
    elements in full, larger ones summarised). Each op is a rounded box between its
    inputs and its output; constants are drawn as plain text.

    With ``backward=True`` the picture is the "bigger network" of forward and backward: the forward
    graph, plus the graph that ``create_graph=True`` records for the backward pass
    (red), wired to the forward values it reads (yellow edges), with the gradient of
    each parameter as an output (``∂L/∂w``). When the parameters' ``.grad`` already
    hold such graphs (after ``backward(create_graph=True)``) they are drawn;
    otherwise the backward pass is recorded here without touching ``.grad``.

    >>> import chainrule as cr
    >>> x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    >>> text = to_dot(x.sin(), backward=True)
    >>> "∂L/∂v_0" in text and "cos" in text
    True
    """
    if not is_value(root):
        raise TypeError(f"to_dot() takes a chainrule value (Scalar or Tensor), got "
                        f"{type(root).__name__}")
    forward = trace(root)
    names = _number(forward)
    writer = _Writer(names, rankdir, limit, precision)
    forward_ids = {id(v) for v in forward}
    writer.values(forward, backward_part=False, show_grad=not backward, root=root)
    if backward:
        params = [v for v in forward if v._ctx is None and v.requires_grad]
        grads = _backward_graph(root, params)
        outputs = {}
        for p, g in zip(params, grads):
            if g is not None and is_value(g):
                outputs[id(g)] = f"∂L/∂{label_of(p) or names[id(p)]}"
        extra = [v for v in trace([g for g in grads if is_value(g)]) if id(v) not in forward_ids]
        k = 0
        for v in extra:
            if id(v) not in names:
                k += 1
                names[id(v)] = f"b_{k}"
        writer.values(extra, backward_part=True, show_grad=False, outputs=outputs,
                      forward_ids=forward_ids)
        writer.legend()
    return writer.text()


class _Writer:
    """Collects DOT statements; node ids are numbered in trace order, so output is stable."""

    def __init__(self, names: dict, rankdir: str, limit: int, precision: int) -> None:
        self.names = names
        self.limit = limit
        self.precision = precision
        self.lines = [
            "digraph chainrule {",
            f"  rankdir={rankdir};",
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
        ]
        self.ids: dict = {}
        self.n_const = 0

    def node_id(self, value: Any) -> str:
        key = id(value)
        if key not in self.ids:
            self.ids[key] = f"n{len(self.ids)}"
        return self.ids[key]

    def values(self, values: list, *, backward_part: bool, show_grad: bool, root: Any = None,
               outputs: dict | None = None, forward_ids: set | None = None) -> None:
        outputs = outputs or {}
        forward_ids = forward_ids or set()
        for v in values:
            self.value_node(v, backward_part, show_grad, is_root=v is root,
                            output=outputs.get(id(v)))
            if v._ctx is not None:
                self.op_node(v, backward_part, forward_ids)

    def value_node(self, v: Any, backward_part: bool, show_grad: bool, is_root: bool,
                   output: str | None) -> None:
        role = "gradient" if backward_part else _role(v)
        title = output or label_of(v) or self.names[id(v)]
        subtitle = "gradient" if output else (
            "backward" if backward_part else ("output" if is_root else role))
        data = as_array(v)
        rows = [_cell(f"<b>{_esc(title)}</b> <font point-size=\"8\">{_esc(subtitle)}</font>",
                      COLORS[role], white=backward_part)]
        if isinstance(raw_numbers(v), np.ndarray):
            rows.append(_cell(_esc(f"{tuple(data.shape)} {data.dtype.name}")))
        rows.append(_cell("data " + _esc(fmt_value(data, self.precision, self.limit))))
        grad = getattr(v, "grad", None)
        if show_grad and grad is not None:
            text = "grad " + _esc(fmt_value(as_array(grad), self.precision, self.limit))
            rows.append(_cell(text, COLORS["gradient"], white=True))
        border = "2" if (is_root or output) else "0"
        table = (f'<table border="{border}" cellborder="1" cellspacing="0" cellpadding="3">'
                 + "".join(rows) + "</table>")
        self.lines.append(f"  {self.node_id(v)} [shape=plaintext, label=<{table}>];")

    def op_node(self, v: Any, backward_part: bool, forward_ids: set) -> None:
        ctx = v._ctx
        op_id = "op_" + self.node_id(v)
        label = str(ctx.name)
        params = op_params(ctx)
        if params:
            label += "\n" + ", ".join(f"{k}={val}" for k, val in params.items() if k != "in_shape")
        style = '"rounded,filled"'
        if getattr(ctx, "freed", False):
            label += "\n(freed by backward)"
            style = '"rounded,filled,dashed"'
        fill = COLORS["backward_op"] if backward_part else COLORS["op"]
        self.lines.append(f'  {op_id} [shape=box, style={style}, fillcolor="{fill}", '
                          f'label="{_esc_quoted(label)}"];')
        for x in op_inputs(ctx):
            if x is None:
                continue
            if is_value(x):
                attrs = ""
                if backward_part and id(x) in forward_ids:
                    attrs = (f' [color="{COLORS["saved"]}", penwidth=2.5, '
                             'tooltip="saved forward value"]')
                self.lines.append(f"  {self.node_id(x)} -> {op_id}{attrs};")
            else:
                self.n_const += 1
                const_id = f"c{self.n_const}"
                text = (fmt_value(x, self.precision, self.limit) if _is_numeric(x)
                        else type(x).__name__)
                self.lines.append(f'  {const_id} [shape=plaintext, label="{_esc_quoted(text)}"];')
                self.lines.append(f"  {const_id} -> {op_id};")
        self.lines.append(f"  {op_id} -> {self.node_id(v)};")

    def legend(self) -> None:
        entries = (("parameter", "params forward"),
                   ("saved", "params backward (saved forward values)"),
                   ("data", "data forward"), ("gradient", "data backward"))
        rows = "".join(_cell(_esc(text), COLORS[key], white=key == "gradient")
                       for key, text in entries)
        self.lines.append('  legend [shape=plaintext, label=<<table border="0" cellborder="1" '
                          f'cellspacing="0" cellpadding="3">{rows}</table>>];')

    def text(self) -> str:
        return "\n".join(self.lines + ["}"]) + "\n"


def _role(v: Any) -> str:
    if v._ctx is not None:
        return "activation"
    return "parameter" if v.requires_grad else "data"


def _cell(content: str, color: str | None = None, white: bool = False) -> str:
    bg = f' bgcolor="{color}"' if color else ""
    if white:
        content = f'<font color="white">{content}</font>'
    return f"<tr><td{bg}>{content}</td></tr>"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _esc_quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _is_numeric(x: Any) -> bool:
    return isinstance(x, (bool, int, float, np.number, np.ndarray))


def _backward_graph(root: Any, params: list) -> list:
    """The parameters' gradients as values with the graph of the backward pass."""
    existing = [getattr(p, "grad", None) for p in params]
    if params and all(g is not None and is_value(g) and g._ctx is not None for g in existing):
        return existing
    if not params:
        return []
    data = raw_numbers(root)
    if as_array(data).size != 1:
        raise ValueError(f"to_dot(backward=True): the root has shape {as_array(data).shape}; "
                         "reduce it to one element (e.g. .sum()) first")
    ones = np.ones_like(data) if isinstance(data, np.ndarray) else type(data)(1)
    start = type(root)(ones)
    start.label = "∂L/∂L"
    try:
        return _graph.backward([root], [start], retain_graph=True, create_graph=True,
                               inputs=params)
    except (TypeError, AttributeError, NotImplementedError) as err:
        raise NotImplementedError(
            f"to_dot(backward=True): this engine ({type(root).__name__}) can't record its "
            f"backward pass as a graph (create_graph=True failed: {err})"
        ) from err


# ---------------------------------------------------------------------------
# Rendering (optional: the graphviz package and its dot program)
# ---------------------------------------------------------------------------

def render(root: Any, path: str | Path, *, format: str | None = None, **options: Any) -> Path:
    """Draw ``root``'s graph to ``path`` (SVG, PNG or PDF, from the suffix or ``format``).

    ``options`` go to :func:`to_dot` (``backward=True``, ...). Needs the ``graphviz``
    package and its ``dot`` program; without them it saves the DOT text next to
    ``path`` (suffix ``.dot``) and raises :class:`GraphvizMissing` saying how to
    install them.
    """
    return render_dot(to_dot(root, **options), path, format=format)


def render_dot(dot: str, path: str | Path, *, format: str | None = None) -> Path:
    """Render DOT text to a file with Graphviz; see :func:`render`."""
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    try:
        import graphviz
    except ImportError:
        raise _missing(dot, path, "the graphviz Python package is not installed") from None
    try:
        data = graphviz.Source(dot).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise _missing(dot, path, "Graphviz's `dot` program is not installed") from None
    path.write_bytes(data)
    return path


def _missing(dot: str, path: Path | None, what: str) -> GraphvizMissing:
    dot_path = None
    where = "in this error's .dot attribute"
    if path is not None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(dot, encoding="utf-8")
        where = (f"saved to {dot_path} (render it later with `dot -Tsvg {dot_path} -o "
                 f"{path.with_suffix('.svg')}`)")
    return GraphvizMissing(f"can't render the graph: {what}; {_INSTALL}. The DOT text was "
                           f"{where}.", dot, dot_path)


class Graph:
    """A graph for notebooks: shows itself as SVG where Graphviz is installed.

    ``source`` is the DOT text (always available); :meth:`save` renders to a file;
    :meth:`svg` returns the SVG text or raises :class:`GraphvizMissing`.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def svg(self) -> str:
        try:
            import graphviz
        except ImportError:
            raise _missing(self.source, None, "the graphviz Python package is not installed") \
                from None
        try:
            return graphviz.Source(self.source).pipe(format="svg").decode("utf-8")
        except graphviz.ExecutableNotFound:
            raise _missing(self.source, None, "Graphviz's `dot` program is not installed") \
                from None

    def save(self, path: str | Path, format: str | None = None) -> Path:
        return render_dot(self.source, path, format=format)

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except GraphvizMissing:
            return None  # the notebook falls back to __repr__

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        nodes = sum(1 for line in self.source.splitlines() if "label=" in line)
        return (f"<chainrule.explain.Graph: {nodes} nodes; .source is the DOT text, .save(path) "
                "renders it (needs Graphviz)>")


def graph(root: Any, **options: Any) -> Graph:
    """``root``'s graph as an object that notebooks display as SVG (see :func:`to_dot`).

    >>> import chainrule as cr
    >>> g = graph(cr.tensor(1.0, requires_grad=True).exp())
    >>> g.source.startswith("digraph")
    True
    """
    return Graph(to_dot(root, **options))
