"""Engine-agnostic backpropagation: topological order, the backward pass, grad mode.

This module knows nothing about arrays or tensors. It works on any *value* that
follows one small protocol, which both :class:`chainrule.Scalar` and
:class:`chainrule.Tensor` implement:

value
    ``requires_grad`` (bool), ``_ctx`` (the op record that produced it, or ``None``
    for a leaf), ``_retains_grad`` (bool) and ``_accumulate_grad(g)`` (publish ``g``
    into ``.grad``; called on leaves and on values that asked ``retain_grad()``).
op record (``_ctx``)
    ``parents`` (a tuple of input values, ``None`` where an input needs no
    gradient), ``name`` (the op's name, for messages), ``freed`` (bool),
    ``_vjp(g, out, create_graph)`` (return one gradient per parent, each with that
    parent's shape, or ``None``), ``_release()`` (drop what was saved for
    backward) and ``_seq``, a number that grows in the order records are made, so
    that a record is always newer than its inputs' records: backward runs newest
    first from a heap, in one pass, with no counting pass over the graph.

Gradients live in a dict for the length of one backward call; only leaves (and
values that retain their grad) publish ``.grad``. Nothing here recurses, so a
chain of a million ops is fine.

>>> with no_grad():
...     is_grad_enabled()
False
>>> is_grad_enabled()
True
"""

from __future__ import annotations

import functools
import threading
from heapq import heappop, heappush
from typing import Any, Callable, Iterable, Sequence

__all__ = [
    "is_grad_enabled",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "toposort",
    "backward",
    "GraphFreedError",
]


class GraphFreedError(RuntimeError):
    """Raised on a second backward through a graph whose saved values were freed."""


# ---------------------------------------------------------------------------
# Grad mode (thread-local)
# ---------------------------------------------------------------------------

class _GradMode(threading.local):
    enabled = True
    anomaly = False


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when new ops are recorded for backward (the default)."""
    return _mode.enabled


class set_grad_enabled:
    """Turn recording on or off; usable as a call, a context manager or a decorator.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0], requires_grad=True)
    >>> with cr.set_grad_enabled(False):
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        self.prev = _mode.enabled
        self.mode = bool(mode)
        _mode.enabled = self.mode

    def __enter__(self) -> "set_grad_enabled":
        return self

    def __exit__(self, *exc: Any) -> None:
        _mode.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode
        _mode.enabled = self.prev  # decorating must not change the current mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _ModeContext:
    _mode_value = True

    def __enter__(self) -> "_ModeContext":
        self.prev = _mode.enabled
        _mode.enabled = self._mode_value
        return self

    def __exit__(self, *exc: Any) -> None:
        _mode.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        mode = self._mode_value

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _mode.enabled
            _mode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _mode.enabled = prev

        return wrapper


class no_grad(_ModeContext):
    """Context manager and decorator: ops inside are not recorded.

    >>> import chainrule as cr
    >>> w = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> with cr.no_grad():
    ...     y = w * 3
    >>> y.requires_grad
    False
    """

    _mode_value = False


class enable_grad(_ModeContext):
    """Context manager and decorator: ops inside are recorded, even under ``no_grad``."""

    _mode_value = True


# ---------------------------------------------------------------------------
# Topological order, without recursion
# ---------------------------------------------------------------------------

def toposort(roots: Iterable[Any]) -> list:
    """Values reachable from ``roots`` that require grad, outputs first.

    Depth-first with an explicit stack, so graph depth is limited only by memory.
    Each value appears once, after every value that consumes it.
    """
    order: list = []
    visited: set = set()
    stack: list = [(r, False) for r in roots]
    push = stack.append
    pop = stack.pop
    append = order.append
    while stack:
        value, expanded = pop()
        if expanded:
            append(value)
            continue
        key = id(value)
        if key in visited:
            continue
        visited.add(key)
        push((value, True))
        ctx = value._ctx
        if ctx is not None and ctx.parents is not None:
            for parent in ctx.parents:
                if parent is not None and id(parent) not in visited:
                    push((parent, False))
    order.reverse()
    return order


# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------

def backward(
    roots: Sequence[Any],
    seeds: Sequence[Any],
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Any] | None = None,
) -> list | None:
    """Propagate ``seeds`` (dL/d root, one per root) back through the graph.

    With ``inputs=None`` every leaf that requires grad (and every value that called
    ``retain_grad()``) accumulates into ``.grad``. With ``inputs`` given, nothing is
    published: the gradients of those values are returned, in order (``None`` for
    an input the roots do not depend on). ``create_graph=True`` runs each op's
    vector-Jacobian product on the engine's values instead of raw numbers, so the
    backward pass is itself recorded and can be differentiated again.
    """
    wanted = None if inputs is None else {id(v): i for i, v in enumerate(inputs)}
    found: list | None = None if inputs is None else [None] * len(inputs)
    prev_mode = _mode.enabled
    _mode.enabled = create_graph
    try:
        _backward_newest_first(roots, seeds, not retain_graph, create_graph, wanted, found)
    finally:
        _mode.enabled = prev_mode
    return found


def _publish(value: Any, g: Any, wanted: dict | None, found: list | None) -> None:
    """Hand a finished gradient to a leaf's ``.grad``, or to ``found`` when ``inputs`` given."""
    if wanted is None:
        value._accumulate_grad(g)
    else:
        slot = wanted.get(id(value))
        if slot is not None:
            found[slot] = g


def _freed_error(ctx: Any) -> GraphFreedError:
    return GraphFreedError(
        f"Trying to backward through the graph a second time (op '{ctx.name}'): "
        "its saved values were freed after the first backward. "
        "Pass retain_graph=True to the first backward() if you need to call it twice."
    )


def _backward_newest_first(roots: Sequence[Any], seeds: Sequence[Any], free: bool,
                      create_graph: bool, wanted: dict | None, found: list | None) -> None:
    """One pass, newest op first, for op records numbered in creation order (``_seq``).

    A record is always newer than the records of its inputs, so popping the newest
    pending value from a heap runs every consumer of a value before the value itself:
    no counting pass over the graph is needed. A value enters the heap when its first
    gradient arrives, so parts of the graph that get no gradient are never visited;
    leaves collect their gradients until the end.
    """
    grads: dict = {}
    heap: list = []
    leaves: list = []
    for root, seed in zip(roots, seeds):
        key = id(root)
        if key in grads:
            grads[key] = grads[key] + seed
            continue
        grads[key] = seed
        ctx = root._ctx
        if ctx is None:
            leaves.append(root)
        else:
            heappush(heap, (-ctx._seq, key, root))
    anomaly = _mode.anomaly
    take = grads.pop
    get = grads.get
    while heap:
        _, key, value = heappop(heap)
        g = take(key)
        ctx = value._ctx
        if wanted is not None:
            _publish(value, g, wanted, found)
        elif value._retains_grad:
            value._accumulate_grad(g)
        if ctx.freed:
            raise _freed_error(ctx)
        parents = ctx.parents
        parent_grads = ctx._vjp(g, value, create_graph)
        if anomaly:
            _check_anomaly(ctx, parent_grads)
        for parent, pg in zip(parents, parent_grads):
            if parent is None or pg is None:
                continue
            key = id(parent)
            prev = get(key)
            if prev is not None:
                grads[key] = prev + pg
                continue
            grads[key] = pg
            parent_ctx = parent._ctx
            if parent_ctx is None:
                leaves.append(parent)
            else:
                heappush(heap, (-parent_ctx._seq, key, parent))
        if free:
            ctx._release()
    for leaf in leaves:
        _publish(leaf, take(id(leaf)), wanted, found)


# Set by chainrule.explain.anomaly when it is imported; called only in anomaly mode.
# A hook, so that this module imports nothing of chainrule.
_anomaly_hook: Callable[[Any, Sequence[Any]], None] | None = None


def _check_anomaly(ctx: Any, parent_grads: Sequence[Any]) -> None:
    hook = getattr(ctx, "_check_backward_anomaly", None)
    if hook is not None:
        hook(parent_grads)
    elif _anomaly_hook is not None:
        _anomaly_hook(ctx, parent_grads)
