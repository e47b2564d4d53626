"""The functional side of autodiff: grad, and friends built on it.

:func:`grad` returns gradients instead of storing them in ``.grad``. On top of it,
following ``torch.autograd.functional``: :func:`vjp`, :func:`jvp` (by the double-VJP
trick), :func:`jacobian`, :func:`hessian`, :func:`hvp` and :func:`vhp`. And
:func:`checkpoint`, which trades compute for memory like ``torch.utils.checkpoint``.

>>> import chainrule as cr
>>> x = cr.tensor([1.0, 2.0], dtype=cr.float64)
>>> cr.hessian(lambda t: (t ** 3).sum(), x)
tensor([[ 6.,  0.],
        [ 0., 12.]], dtype=float64)
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import graph as _graph
from .creation import _Generator, ones_like, zeros, zeros_like
from .function import Function, once_differentiable
from .tensor import Tensor, _grad_output
from .tensor_methods.shape import stack

__all__ = ["grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "vhp", "checkpoint"]


def _as_list(x: Any) -> list:
    return [x] if isinstance(x, Tensor) else list(x)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned, not stored in ``.grad``.

    PyTorch's arguments, in its order: ``only_inputs`` is deprecated and ignored (a warning
    when False, as PyTorch); ``allow_unused`` gives None for an input the outputs do not
    depend on (an error otherwise), ``materialize_grads`` gives zeros instead (and implies
    ``allow_unused``); ``is_grads_batched=True`` is not supported.

    >>> import chainrule as cr
    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> (dx,) = cr.grad(x ** 3, x, create_graph=True)
    >>> (ddx,) = cr.grad(dx, x)
    >>> float(dx), float(ddx)
    (27.0, 18.0)
    """
    if not only_inputs:
        warnings.warn("grad(): only_inputs is deprecated and ignored (gradients are returned "
                      "for inputs only); use backward() to accumulate into other leaves",
                      FutureWarning, stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("grad(): is_grads_batched=True is not supported; call grad() "
                                  "once per row of grad_outputs")
    if materialize_grads and allow_unused is False:
        raise ValueError("grad(): expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got allow_unused=False")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = _as_list(grad_outputs) if not isinstance(grad_outputs, (list, tuple)) \
            else list(grad_outputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("grad(): every input must be a Tensor that requires grad")
    roots, starts = [], []
    for out, go in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("grad(): an output does not require grad and has no graph")
        roots.append(out)
        starts.append(_grad_output(out, go, create_graph, "grad()"))
    if retain_graph is None:
        retain_graph = create_graph
    found = _graph.backward(roots, starts, retain_graph=retain_graph,
                            create_graph=create_graph, inputs=inputs)
    result: list = []
    for t, g in zip(inputs, found):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad(): an input of shape {t.shape} was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(zeros_like(t) if materialize_grads else None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor(g.astype(t.dtype, copy=False)))
    return tuple(result)


# ---------------------------------------------------------------------------
# torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp
# ---------------------------------------------------------------------------

def _as_tuple(x: Any, what: str, fn_name: str) -> tuple:
    """``(was_a_tuple, tuple_of_tensors)``; raises naming ``fn_name`` for anything else."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{fn_name}(): {what} must be a Tensor or a tuple of Tensors, but element {i} "
                f"is a {type(t).__name__}"
            )
    return is_tuple, xs


def _untuple(xs: tuple, is_tuple: bool) -> Any:
    return xs if is_tuple else xs[0]


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs to differentiate at: connected views under create_graph, fresh leaves otherwise."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(t.dtype.kind == "f"))
    return tuple(out)


def _finish(xs: Any, create_graph: bool) -> Any:
    """Cut results from the graph unless the caller wants to differentiate them again."""
    if create_graph:
        return xs
    if isinstance(xs, tuple):
        return tuple(_finish(x, False) for x in xs)
    return xs.detach()


def _check_v(v: Any, like: tuple, what: str, fn_name: str) -> tuple:
    """Validate ``v`` against the tensors it pairs with; ``None`` only for one-element ones."""
    if v is None:
        if any(t._array.size != 1 for t in like):
            shapes = [tuple(t.shape) for t in like]
            raise RuntimeError(
                f"{fn_name}(): v can be left out only when the {what} has a single element; "
                f"it has shape(s) {shapes}. Pass v of that shape."
            )
        return tuple(ones_like(t) for t in like)
    _, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(like):
        raise RuntimeError(f"{fn_name}(): v has {len(vs)} tensor(s) but the {what} has {len(like)}")
    for i, (a, b) in enumerate(zip(vs, like)):
        if a.shape != b.shape:
            raise RuntimeError(
                f"{fn_name}(): v[{i}] has shape {tuple(a.shape)} but the {what}[{i}] has shape "
                f"{tuple(b.shape)}"
            )
    return vs


def _grads(outputs: tuple, inputs: tuple, grad_outputs: Sequence[Any], create_graph: bool,
           strict: bool, fn_name: str, retain_graph: bool | None = None) -> tuple:
    """Like :func:`grad`, but with zeros (or, with ``strict``, an error) for unused inputs."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    found: tuple = (None,) * len(inputs)
    if pairs:
        found = grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs],
                     retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn_name}(): the output does not depend on input {i} (shape "
                    f"{tuple(t.shape)}), and strict=True"
                )
            g = zeros_like(t)
        result.append(g)
    return tuple(result)


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product, as ``torch.autograd.functional``.

    ``v`` has the output's shape (it may be left out for a one-element output); the
    result has the inputs' shapes, a tuple when ``inputs`` is one.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0])
    >>> out, g = cr.vjp(lambda t: t ** 2, x, cr.tensor([1.0, 10.0]))
    >>> g
    tensor([ 2., 40.])
    """
    with _graph.enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
        xs = _prepare(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "the outputs of func", "vjp")
        vs = _check_v(v, outs, "output", "vjp")
        grads = _grads(outs, xs, vs, create_graph, strict, "vjp")
    return (_finish(_untuple(outs, out_tuple), create_graph),
            _finish(_untuple(grads, in_tuple), create_graph))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(*inputs), J v)``: the Jacobian-vector product, by the double-VJP trick.

    With ``u`` a dummy cotangent, ``g(u) = J^T u`` is linear in ``u``; its VJP with
    ``v`` is ``J v``. Two reverse passes give a forward-mode product.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0])
    >>> out, jv = cr.jvp(lambda t: t ** 2, x, cr.tensor([1.0, 10.0]))
    >>> jv
    tensor([ 2., 40.])
    """
    with _graph.enable_grad():
        _, xs = _as_tuple(inputs, "inputs", "jvp")
        out_tuple, outs, jv = _jvp(func, xs, v, create_graph, strict)
    return (_finish(_untuple(outs, out_tuple), create_graph),
            _finish(_untuple(jv, out_tuple), create_graph))


def _jvp(func: Callable, xs: tuple, v: Any, create_graph: bool, strict: bool) -> tuple:
    """``(outputs_were_a_tuple, outputs, J v)``, the last two as tuples."""
    xs = _prepare(xs, create_graph)
    vs = _check_v(v, xs, "input", "jvp")
    out_tuple, outs = _as_tuple(func(*xs), "the outputs of func", "jvp")
    us = tuple(zeros_like(o).requires_grad_(o.dtype.kind == "f") for o in outs)
    g_u = _grads(outs, xs, us, True, strict, "jvp")  # J^T u, linear in u
    connected = [(g, w) for g, w in zip(g_u, vs) if g.requires_grad]
    if connected:
        found = grad([g for g, _ in connected], list(us), [w for _, w in connected],
                     create_graph=create_graph, allow_unused=True)
    else:
        found = (None,) * len(us)
    jv = tuple(zeros_like(o) if j is None else j for o, j in zip(outs, found))
    return out_tuple, outs, jv


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``, shaped ``output.shape + input.shape``.

    As ``torch.autograd.functional.jacobian``: a Tensor for one input and one
    output, a tuple over inputs (or outputs), and a tuple of tuples
    ``J[i][j] = d output_i / d input_j`` when both are tuples.
    ``strategy="reverse-mode"`` builds it a row at a time (one backward per output
    element), ``"forward-mode"`` a column at a time (one :func:`jvp` per input
    element). ``vectorize`` is accepted for compatibility; rows are not batched.

    >>> import chainrule as cr
    >>> cr.jacobian(lambda t: t * t, cr.tensor([1.0, 3.0]))
    tensor([[2., 0.],
            [0., 6.]])
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f"jacobian(): strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}"
        )
    with _graph.enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
        xs = _prepare(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "the outputs of func", "jacobian")
        if strategy == "reverse-mode":
            blocks = _jacobian_rows(outs, xs, create_graph, strict)
        else:
            blocks = _jacobian_columns(func, outs, xs, create_graph, strict)
    rows = tuple(_untuple(tuple(_finish(b, create_graph) for b in row), in_tuple)
                 for row in blocks)
    return _untuple(rows, out_tuple)


def _jacobian_rows(outs: tuple, xs: tuple, create_graph: bool, strict: bool) -> list:
    blocks = []
    for out in outs:
        n = out._array.size
        per_input: list = [[] for _ in xs]
        for k in range(n):
            e = np.zeros(n, dtype=out.dtype)
            e[k] = 1
            seed = Tensor(e.reshape(out.shape))
            gs = _grads((out,), xs, (seed,), create_graph, strict, "jacobian", retain_graph=True)
            for j, g in enumerate(gs):
                per_input[j].append(g)
        row = []
        for x, gs in zip(xs, per_input):
            block = stack(gs) if gs else zeros(0, *x.shape, dtype=x.dtype)
            row.append(block.reshape(tuple(out.shape) + tuple(x.shape)))
        blocks.append(row)
    return blocks


def _jacobian_columns(func: Callable, outs: tuple, xs: tuple, create_graph: bool,
                      strict: bool) -> list:
    columns: list = [[[] for _ in xs] for _ in outs]
    for j, x in enumerate(xs):
        n = x._array.size
        for k in range(n):
            vs = []
            for i, other in enumerate(xs):
                v = np.zeros(other._array.size, dtype=other.dtype)
                if i == j:
                    v[k] = 1
                vs.append(Tensor(v.reshape(other.shape)))
            _, _, jv = _jvp(func, xs, tuple(vs), create_graph, strict)
            for i, col in enumerate(jv):
                columns[i][j].append(col)
    blocks = []
    for out, per_input in zip(outs, columns):
        row = []
        for x, cols in zip(xs, per_input):
            if cols:
                block = stack(cols, dim=-1)
            else:
                block = zeros(*out.shape, 0, dtype=out.dtype)
            row.append(block.reshape(tuple(out.shape) + tuple(x.shape)))
        blocks.append(row)
    return blocks


def _scalar_function(func: Callable, fn_name: str) -> Callable:
    def wrapped(*xs: Any) -> Tensor:
        out = func(*xs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{fn_name}(): func must return a single Tensor, got "
                            f"{type(out).__name__}")
        if out._array.size != 1:
            raise RuntimeError(
                f"{fn_name}(): func must return a single-element Tensor, got shape "
                f"{tuple(out.shape)}"
            )
        return out.reshape(())

    return wrapped


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar ``func``: the Jacobian of its gradient.

    Shaped ``input.shape + input.shape``; a tuple of tuples ``H[i][j]`` for a tuple of
    inputs, as ``torch.autograd.functional.hessian``.

    >>> import chainrule as cr
    >>> cr.hessian(lambda a, b: (a * b).sum(), (cr.tensor([1.0]), cr.tensor([2.0])))[0][1]
    tensor([[1.]])
    """
    scalar_fn = _scalar_function(func, "hessian")
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*ys: Any) -> tuple:
        out = scalar_fn(*ys)
        return _grads((out,), ys, (None,), True, strict, "hessian")

    result = jacobian(gradient, xs, create_graph=create_graph, strict=strict,
                      strategy=outer_jacobian_strategy)
    if not in_tuple:
        return result[0][0]
    return result


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(*inputs), v^T H)`` for a scalar ``func``: two reverse passes, no Hessian built.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0])
    >>> cr.vhp(lambda t: (t ** 3).sum(), x, cr.tensor([1.0, 1.0]))[1]
    tensor([ 6., 12.])
    """
    scalar_fn = _scalar_function(func, "vhp")
    with _graph.enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vhp")
        xs = _prepare(xs, create_graph)
        vs = _check_v(v, xs, "input", "vhp")
        out = scalar_fn(*xs)
        gs = _grads((out,), xs, (None,), True, strict, "vhp")
        result = _grads(gs, xs, vs, create_graph, strict, "vhp")
    return _finish(out, create_graph), _finish(_untuple(result, in_tuple), create_graph)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(*inputs), H v)`` for a scalar ``func``, as ``torch.autograd.functional.hvp``.

    The Hessian of a twice-differentiable function is symmetric, so ``H v`` is
    ``v^T H``, computed by :func:`vhp` in two reverse passes.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0])
    >>> cr.hvp(lambda t: (t ** 3).sum(), x, cr.tensor([1.0, 0.0]))[1]
    tensor([6., 0.])
    """
    return vhp(func, inputs, v, create_graph=create_graph, strict=strict)


# ---------------------------------------------------------------------------
# Checkpointing: recompute the forward during backward instead of saving it
# ---------------------------------------------------------------------------

class _Checkpoint(Function):
    """Runs ``function`` without recording; its backward re-runs it, recorded, and backprops."""

    op_name = "checkpoint"

    @staticmethod
    def forward(ctx, *args, function, tensor_at):
        ctx.function, ctx.tensor_at = function, tensor_at
        ctx.rng = copy.deepcopy(_Generator.rng)  # replay dropout masks exactly
        ctx.save_for_backward(*args)
        with _graph.no_grad():
            out = function(*_rebuild(args, tensor_at, ()))
        if not isinstance(out, Tensor):
            raise TypeError(
                f"checkpoint: the function must return one Tensor, got {type(out).__name__}"
            )
        return out._array

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        args = ctx.saved_tensors
        needs = ctx.needs_input_grad
        rng, _Generator.rng = _Generator.rng, ctx.rng
        try:
            with _graph.enable_grad():
                rebuilt = _rebuild(args, ctx.tensor_at, needs)
                out = ctx.function(*rebuilt)
        finally:
            _Generator.rng = rng
        if out.requires_grad:
            # Leaves captured by the function (parameters) accumulate .grad here, as in
            # torch's reentrant checkpoint; the inputs' gradients are returned.
            _graph.backward([out], [g])
        return tuple(
            x.grad._array if need and isinstance(x, Tensor) and x.grad is not None else None
            for x, need in zip(rebuilt, needs)
        )


def _rebuild(args: tuple, tensor_at: tuple, needs: tuple) -> list:
    """Tensors again where the caller passed Tensors; fresh leaves where a gradient is needed."""
    out = []
    for i, a in enumerate(args):
        if i in tensor_at:
            t = Tensor(a)
            if needs and needs[i]:
                t.requires_grad_()
            out.append(t)
        else:
            out.append(a)
    return out


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               **kwargs: Any) -> Tensor:
    """``function(*args)`` without keeping its intermediate values for backward.

    The forward runs under :class:`no_grad`; during backward the function is run
    again, recorded, and differentiated, so memory for activations is traded for
    a second forward (``torch.utils.checkpoint.checkpoint``). The random generator
    is replayed, so dropout draws the same mask twice. ``function`` must return one
    Tensor. Leaf tensors it captures (a layer's parameters) receive ``.grad`` during
    ``backward()``, as in PyTorch's reentrant checkpoint; gradients through a
    checkpoint are first-order only (it is ``once_differentiable``).

    >>> import chainrule as cr
    >>> w = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> x = cr.tensor([3.0, 4.0], requires_grad=True)
    >>> y = cr.checkpoint(lambda t: (t * w).tanh() * t, x)
    >>> y.sum().backward()
    >>> w.grad.shape, x.grad.shape
    ((2,), (2,))
    """
    if kwargs:
        function = _bind(function, kwargs)
    tensor_at = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    if _graph.is_grad_enabled() and not any(args[i].requires_grad for i in tensor_at):
        warnings.warn(
            "checkpoint: none of the inputs requires grad, so nothing is recorded and the "
            "function's parameters will get no gradient. Pass an input that requires grad.",
            stacklevel=2,
        )
    return _Checkpoint.apply(*args, function=function, tensor_at=tensor_at)


def _bind(function: Callable, kwargs: dict) -> Callable:
    def bound(*args: Any) -> Any:
        return function(*args, **kwargs)

    return bound
