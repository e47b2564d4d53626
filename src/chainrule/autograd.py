"""The functional side of autodiff: grad, and friends built on it."""

from __future__ import annotations

from typing import Any, Sequence

from . import graph as _graph
from .tensor import Tensor, _seed

__all__ = ["grad"]


def _as_list(x: Any) -> list:
    return [x] if isinstance(x, Tensor) else list(x)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned, not stored in ``.grad``.

    >>> import chainrule as cr
    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> (dx,) = cr.grad(x ** 3, x, create_graph=True)
    >>> (ddx,) = cr.grad(dx, x)
    >>> float(dx), float(ddx)
    (27.0, 18.0)
    """
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
    roots, seeds = [], []
    for out, go in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("grad(): an output does not require grad and has no graph")
        roots.append(out)
        seeds.append(_seed(out, go, create_graph, "grad()"))
    if retain_graph is None:
        retain_graph = create_graph
    found = _graph.backward(roots, seeds, retain_graph=retain_graph,
                            create_graph=create_graph, inputs=inputs)
    result = []
    for t, g in zip(inputs, found):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad(): an input of shape {t.shape} was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor(g.astype(t.dtype, copy=False)))
    return tuple(result)
