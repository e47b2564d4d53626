"""Local Jacobians at the operating point: of one op, and of each layer of a model.

A layer's backward can be written as ``g_in = g_out L^x`` and its parameter
gradient as ``g_out L^θ``, with ``L^x = ∂x_out/∂x_in`` (one row per output
element, one column per input element) evaluated at the current input. chainrule
never builds these matrices to train: each op has a
vector-Jacobian product instead. Here they are built on purpose, one VJP per
output element (row k is the VJP of the k-th unit vector), to look at them and
to check that ``g_out L^x`` is exactly what the engine's VJP returns.

>>> import chainrule as cr
>>> x = cr.tensor([1.0, 2.0], requires_grad=True)
>>> J = jacobian(x * x)
>>> J.Lx
array([[2., 0.],
       [0., 4.]], dtype=float32)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import graph as _graph
from ._common import (
    as_array,
    describe_array,
    fmt_value,
    is_value,
    join_columns,
    label_of,
    raw_numbers,
    trace,
    value_parents,
)

__all__ = ["jacobian", "layer_jacobians", "OpJacobian", "LayerJacobian", "LayerJacobians",
           "MAX_ENTRIES"]

MAX_ENTRIES = 10 ** 6
"""The largest Jacobian (in entries) these functions agree to build."""


@dataclass
class Block:
    """The Jacobian of one output with respect to one input: ``(output size, input size)``."""

    name: str
    role: str             # "x" (an input or activation) or "θ" (a parameter)
    shape: tuple          # the input's shape
    matrix: np.ndarray


@dataclass
class OpJacobian:
    """L^x and L^θ of one op at its operating point.

    ``blocks`` has one :class:`Block` per input that needs a gradient; ``Lx`` and
    ``Ltheta`` stack the blocks of inputs and of parameters (leaves that require
    grad) side by side, as ``θ = vec[W, b]``; each is None when empty.
    """

    op: str
    output_shape: tuple
    blocks: list = field(default_factory=list)

    def _stack(self, role: str) -> np.ndarray | None:
        mats = [b.matrix for b in self.blocks if b.role == role]
        return np.concatenate(mats, axis=1) if mats else None

    @property
    def Lx(self) -> np.ndarray | None:
        return self._stack("x")

    @property
    def Ltheta(self) -> np.ndarray | None:
        return self._stack("θ")

    def __getitem__(self, name: str) -> np.ndarray:
        for b in self.blocks:
            if b.name == name:
                return b.matrix
        raise KeyError(f"no input named {name!r}; inputs: {[b.name for b in self.blocks]}")

    def __str__(self) -> str:
        lines = [f"op '{self.op}', output shape {self.output_shape}"]
        for b in self.blocks:
            kind = "L^x" if b.role == "x" else "L^θ"
            rows, cols = b.matrix.shape
            lines.append(f"  {kind} wrt {b.name} {b.shape}: {rows}x{cols}")
            if b.matrix.size <= 64:
                text = np.array2string(b.matrix, precision=4, suppress_small=True)
                lines += ["    " + line for line in text.splitlines()]
            else:
                lines.append("    " + describe_array(b.matrix))
        return "\n".join(lines)


def jacobian(node: Any, params: Any = None, *, max_entries: int = MAX_ENTRIES) -> OpJacobian:
    """The Jacobians of the op that made ``node``, with respect to each of its inputs.

    Built by one call of the op's own VJP per element of ``node`` (the engine's
    ``_vjp``, exactly as backward runs it), so the graph must not have been freed.
    Inputs are named by label (``label``) or ``input i``.

    Which inputs are parameters (θ)? Those in ``params`` when it is given; otherwise
    the leaves that require grad, provided the op also has an input that is not one
    (an activation): in ``x * x`` or ``W @ x`` with two leaves nothing tells them
    apart, and all count as x.

    >>> import chainrule as cr
    >>> W = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True); W.label = "W"
    >>> x = cr.tensor([1.0, -1.0], requires_grad=True)
    >>> J = jacobian(W @ x, params=[W])
    >>> [(b.name, b.role, b.matrix.shape) for b in J.blocks]
    [('W', 'θ', (2, 4)), ('input 2', 'x', (2, 2))]
    >>> J["input 2"]
    array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    if not is_value(node) or node._ctx is None:
        raise ValueError("jacobian() takes a value made by a recorded op (it has no op: a leaf, "
                         "or made under no_grad())")
    ctx = node._ctx
    if getattr(ctx, "freed", False):
        raise RuntimeError(f"jacobian(): op '{ctx.name}' was freed by backward(); build the graph "
                           "again or call backward(retain_graph=True)")
    out = as_array(node)
    parents = value_parents(ctx)
    sizes = [as_array(p).size for p in parents if p is not None]
    entries = out.size * sum(sizes)
    if entries > max_entries:
        raise ValueError(
            f"jacobian(): op '{ctx.name}' has a Jacobian of {out.size} x {sum(sizes)} = "
            f"{entries:,} entries, above max_entries={max_entries:,}. That is what VJPs avoid "
            "building; pass a larger max_entries if you really want it."
        )
    rows: list = [[] for _ in parents]
    for k in range(out.size):
        e = _unit(node, k)
        grads = ctx._vjp(e, False)
        for j, (p, g) in enumerate(zip(parents, grads)):
            if p is None:
                continue
            size = as_array(p).size
            rows[j].append(np.zeros(size, _dtype(p)) if g is None else as_array(g).reshape(size))
    result = OpJacobian(str(ctx.name), tuple(out.shape))
    live = [p for p in parents if p is not None]
    if params is not None:
        theta = {id(p) for p in ([params] if is_value(params) else params)}
    elif all(p._ctx is None for p in live):
        theta = set()
    else:
        theta = {id(p) for p in live if p._ctx is None and p.requires_grad}
    by_input: dict = {}
    for j, p in enumerate(parents):
        if p is None:
            continue
        matrix = np.stack(rows[j])
        if id(p) in by_input:  # the same value in two slots (x * x): its Jacobians add
            by_input[id(p)].matrix = by_input[id(p)].matrix + matrix
            continue
        role = "θ" if id(p) in theta else "x"
        name = label_of(p) or f"input {j + 1}"
        by_input[id(p)] = Block(name, role, tuple(as_array(p).shape), matrix)
        result.blocks.append(by_input[id(p)])
    return result


def _unit(node: Any, k: int) -> Any:
    data = raw_numbers(node)
    if isinstance(data, np.ndarray):
        e = np.zeros_like(data)
        e.flat[k] = 1
        return e
    return type(data)(1)


def _dtype(v: Any) -> np.dtype:
    return as_array(v).dtype


# ---------------------------------------------------------------------------
# Layers of a model
# ---------------------------------------------------------------------------

@dataclass
class LayerJacobian:
    """One layer at its operating point: L^x, L^θ and the check ``g_out L = VJP``."""

    index: int
    name: str
    x_shape: tuple
    y_shape: tuple
    Lx: np.ndarray | None
    Ltheta: np.ndarray | None
    param_names: list
    g_out: np.ndarray
    g_in: np.ndarray | None          # what the engine's backward gave for the input
    g_theta: np.ndarray | None       # ... and for the parameters, flattened and stacked
    error: float                     # max |g_out L - engine VJP| over L^x and L^θ


class LayerJacobians(list):
    """A list of :class:`LayerJacobian`, printed as a table."""

    def __str__(self) -> str:
        head = ["layer", "x shape", "y shape", "L^x", "L^θ", "parameters", "max|g_out L - VJP|"]
        rows = [head]
        for lj in self:
            rows.append([
                f"{lj.index}: {lj.name}", str(lj.x_shape), str(lj.y_shape),
                "-" if lj.Lx is None else "x".join(map(str, lj.Lx.shape)),
                "-" if lj.Ltheta is None else "x".join(map(str, lj.Ltheta.shape)),
                ", ".join(lj.param_names) or "-", fmt_value(lj.error, 3),
            ])
        return "\n".join(join_columns(rows))

    __repr__ = __str__


def layer_jacobians(model: Any, x: Any, grad_output: Any = None, *,
                    max_entries: int = MAX_ENTRIES) -> LayerJacobians:
    """L^x and L^θ of each layer of a Sequential-like ``model`` at input ``x``.

    ``model`` is an iterable of callables (``nn.Sequential``, a list of layers or of
    functions). Each layer runs on a fresh copy of its input, so its Jacobians are
    its own. Parameters are the layer's ``named_parameters()`` where it has them,
    else the leaves that require grad in its graph (weights a function closes over).
    Then the backward ``g_in = g_out L^x`` is run layer by layer from ``grad_output`` (dL/dy of the
    model's output; ones if left out): at each layer ``g_out L^x`` and ``g_out L^θ``
    are compared with what the engine's VJP gives, and the largest difference is
    kept in ``error``. A layer whose Jacobians would hold more than ``max_entries``
    numbers is refused before anything is built.

    >>> import chainrule as cr
    >>> W = cr.tensor([[1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    >>> layers = [lambda h: h @ W, lambda h: h.relu()]
    >>> result = layer_jacobians(layers, cr.tensor([1.0, -3.0]))
    >>> result[1].Lx
    array([[1., 0.],
           [0., 0.]], dtype=float32)
    >>> float(result[0].error)
    0.0
    """
    try:
        layers = list(model)
    except TypeError:
        raise TypeError(f"layer_jacobians() takes a Sequential-like model (an iterable of "
                        f"callables), got {type(model).__name__}") from None
    named = _layer_names(layers)
    records = []
    h = x
    for i, layer in enumerate(layers):
        if not callable(layer):
            raise TypeError(f"layer_jacobians(): layer {i} ({type(layer).__name__}) is not "
                            "callable")
        x_in = _fresh_input(h)
        y = layer(x_in)
        if not is_value(y):
            raise TypeError(f"layer_jacobians(): layer {i} returned {type(y).__name__}, not a "
                            "Tensor")
        names, params = _layer_params(layer, y, x_in)
        wrt = ([x_in] if x_in.requires_grad else []) + params
        n_in = sum(as_array(p).size for p in wrt)
        entries = as_array(y).size * n_in
        if entries > max_entries:
            raise ValueError(
                f"layer_jacobians(): layer {i} ({named[i]}) has Jacobians of "
                f"{as_array(y).size} x {n_in} = {entries:,} entries, above "
                f"max_entries={max_entries:,}. Use a smaller input (one example) or layer, or "
                "pass a larger max_entries."
            )
        records.append((i, layer, x_in, y, names, params))
        h = y.detach()
    if not records:
        return LayerJacobians()
    y_last = records[-1][3]
    g = np.ones_like(as_array(y_last)) if grad_output is None else \
        np.array(as_array(grad_output), dtype=as_array(y_last).dtype)
    if g.shape != as_array(y_last).shape:
        raise ValueError(f"layer_jacobians(): grad_output has shape {g.shape}, the model's "
                         f"output {as_array(y_last).shape}")
    result = []
    for i, _layer, x_in, y, names, params in reversed(records):
        wrt = ([x_in] if x_in.requires_grad else []) + params
        sizes = [as_array(p).size for p in wrt]
        J = _jacobian_of(y, wrt, sum(sizes)) if wrt else None
        engine = _graph.backward([y], [g], retain_graph=True, inputs=wrt) if wrt else []
        engine = [np.zeros(s) if e is None else as_array(e).reshape(-1)
                  for e, s in zip(engine, sizes)]
        Lx = Ltheta = g_in = g_theta = None
        error = 0.0
        n_x = sizes[0] if x_in.requires_grad else 0
        if J is not None:
            predicted = g.reshape(-1) @ J
            if x_in.requires_grad:
                Lx, g_in = J[:, :n_x], engine[0].reshape(as_array(x_in).shape)
            if params:
                Ltheta = J[:, n_x:]
                g_theta = np.concatenate(engine[1 if x_in.requires_grad else 0:])
            stacked = np.concatenate(engine) if engine else np.zeros(0)
            error = float(np.max(np.abs(predicted - stacked))) if stacked.size else 0.0
        result.append(LayerJacobian(i, named[i], tuple(as_array(x_in).shape),
                                    tuple(as_array(y).shape), Lx, Ltheta, names, g,
                                    g_in, g_theta, error))
        if g_in is None:
            break  # nothing flows further back (an integer input, say)
        g = g_in
    return LayerJacobians(reversed(result))


def _jacobian_of(y: Any, wrt: list, n: int) -> np.ndarray:
    """Rows of dy/d(wrt): one backward pass per element of y."""
    data = as_array(y)
    J = np.zeros((data.size, n), dtype=data.dtype)
    for k in range(data.size):
        e = np.zeros_like(data)
        e.flat[k] = 1
        grads = _graph.backward([y], [e], retain_graph=True, inputs=wrt)
        J[k] = np.concatenate([np.zeros(as_array(p).size, data.dtype) if gk is None
                               else as_array(gk).reshape(-1) for p, gk in zip(wrt, grads)])
    return J


def _fresh_input(h: Any) -> Any:
    """A leaf copy of a layer's input that requires grad when its dtype allows."""
    if not hasattr(h, "detach"):
        raise TypeError(f"layer_jacobians(): expected a Tensor input, got {type(h).__name__}")
    x_in = h.detach()
    if as_array(x_in).dtype.kind == "f":
        x_in.requires_grad_(True)
    return x_in


def _layer_params(layer: Any, y: Any, x_in: Any) -> tuple:
    named = getattr(layer, "named_parameters", None)
    if callable(named):
        pairs = [(n, p) for n, p in named() if p.requires_grad]
        return [n for n, _ in pairs], [p for _, p in pairs]
    leaves = [v for v in trace(y) if v._ctx is None and v.requires_grad and v is not x_in]
    return [label_of(v) or f"θ{k}" for k, v in enumerate(leaves)], leaves


def _layer_names(layers: list) -> list:
    names = []
    for layer in layers:
        text = type(layer).__name__
        if isinstance(layer, type(lambda: 0)):
            text = layer.__name__
        names.append(text)
    return names

