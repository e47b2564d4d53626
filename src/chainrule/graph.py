"""Engine-agnostic backpropagation: topological order, the backward pass, grad mode.

This module knows nothing about arrays or tensors. It works on any *value* that
follows one small protocol, which both :class:`chainrule.Scalar` and
:class:`chainrule.Tensor` implement:

value
    ``data`` and ``grad``, ``requires_grad`` (bool), ``label`` (the user's name for
    it, or ``None``), ``_ctx`` (the op record that produced it, or ``None`` for a
    leaf), ``_accumulate_grad(g)`` (publish ``g`` into ``.grad``) and ``_hooks``
    (may be left unset until a hook is registered). A leaf is also a node of the
    graph: its ``parents`` is ``None``.
op record (``_ctx``), the other kind of node
    ``parents`` (one node per input: the input's record, or the input itself for a
    leaf; ``None`` where an input needs no gradient), ``_inputs`` (every input as
    given: values, and constants such as numbers), ``name`` (the op's name, for
    messages), ``freed`` (bool), ``_vjp(g, create_graph)`` (return one gradient per
    parent, each of that input's shape, or ``None``), ``_release()`` (drop what was
    saved for backward) and ``_seq``, a number that grows in the order records are
    made, so that a record is always newer than its inputs' records: backward runs
    newest first from a heap, in one pass, with no counting pass over the graph.

Records point to records, not to values: when a value is changed in place it gets
a new record, and the records that used the old value keep pointing at the old
one, as in PyTorch (its ``next_functions``).

Gradients live in a dict for the length of one backward call; only leaves (and
values that retain their grad) publish ``.grad``. Nothing here recurses, so a
chain of a million ops is fine.

Three registration points let the layers above take part without this module
importing them: :func:`register_anomaly_checks` (anomaly mode, from
``chainrule.explain.anomaly``), and, per value, :func:`register_hook` and
:func:`register_post_accumulate_grad_hook` (Tensor and Scalar hooks, used by
``nn`` and data-parallel training).

>>> with no_grad():
...     is_grad_enabled()
False
>>> is_grad_enabled()
True
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from heapq import heappop, heappush
from typing import Any

__all__ = [
    "is_grad_enabled",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "walk",
    "toposort",
    "backward",
    "GraphFreedError",
    "RemovableHandle",
    "register_hook",
    "register_post_accumulate_grad_hook",
    "retain_grad",
    "register_anomaly_checks",
]


class GraphFreedError(RuntimeError):
    """Raised on a second backward through a graph whose saved values were freed."""


# ---------------------------------------------------------------------------
# Grad mode (thread-local)
# ---------------------------------------------------------------------------

class _GradMode(threading.local):
    """Grad mode and anomaly mode, one pair per thread.

    Every op asks whether it must record; a thread-local read costs a few hundred
    instructions, so the hot path reads two module counters first: how many threads
    have grad mode off (``_grad_off``) and anomaly mode on (``_anomaly_on``). While a
    counter is 0 the answer is known without the thread-local read (tensor._apply).
    A thread that ends with grad mode off leaves the counter raised: ops then take
    the exact, thread-local path, never a wrong one.
    """

    _enabled = True
    _anomaly = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: Any) -> None:
        global _grad_off
        value = bool(value)
        with _counter_lock:
            if self._enabled and not value:
                _grad_off += 1
            elif value and not self._enabled:
                _grad_off -= 1
            self._enabled = value

    @property
    def anomaly(self) -> bool:
        return self._anomaly

    @anomaly.setter
    def anomaly(self, value: Any) -> None:
        global _anomaly_on
        value = bool(value)
        with _counter_lock:
            if value and not self._anomaly:
                _anomaly_on += 1
            elif self._anomaly and not value:
                _anomaly_on -= 1
            self._anomaly = value


_counter_lock = threading.Lock()
_grad_off = 0    # threads with grad mode off: while 0, every thread records
_anomaly_on = 0  # threads with anomaly mode on: while 0, no thread checks
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

    def __enter__(self) -> set_grad_enabled:
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

    def __enter__(self) -> _ModeContext:
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
# The one depth-first walk, without recursion
# ---------------------------------------------------------------------------

def node_of(value: Any) -> Any:
    """The graph node behind a value: its op record, or the value itself for a leaf."""
    ctx = value._ctx
    return value if ctx is None else ctx


def parents_of(node: Any) -> list:
    """The nodes a node was computed from, that need a gradient (none for a leaf)."""
    parents = node.parents
    if not parents:
        return []
    return [p for p in parents if p is not None]


def walk(roots: Iterable[Any], edges: Callable[[Any], Iterable[Any]] = parents_of) -> list:
    """Everything reachable from ``roots`` through ``edges``, inputs first.

    Depth-first with an explicit stack, so graph depth is limited only by memory.
    Each item appears once, after every item it was computed from (post-order);
    inputs are visited left to right. ``edges(item)`` gives the items ``item`` was
    made from: by default the parents of a graph node (:func:`parents_of`); the
    Scalar engine and the explain views pass their own to walk values instead.

    >>> import chainrule as cr
    >>> x = cr.tensor(2.0, requires_grad=True)
    >>> y = x * 3 + 1
    >>> [node.name if node.parents else "leaf" for node in walk([node_of(y)])]
    ['leaf', 'mul', 'add']
    """
    order: list = []
    visited: set = set()
    stack: list = [(r, False) for r in reversed(list(roots))]
    push = stack.append
    pop = stack.pop
    while stack:
        item, expanded = pop()
        if expanded:
            order.append(item)
            continue
        key = id(item)
        if key in visited:
            continue
        visited.add(key)
        push((item, True))
        for parent in reversed(list(edges(item))):
            if id(parent) not in visited:
                push((parent, False))
    return order


def toposort(roots: Iterable[Any]) -> list:
    """The graph nodes behind the values ``roots``, outputs first: op records and the
    leaves that need a gradient, each before every node it was computed from."""
    order = walk([node_of(r) for r in roots])
    order.reverse()
    return order


# ---------------------------------------------------------------------------
# Hooks on values: registered here, run by the backward pass
# ---------------------------------------------------------------------------

class _Hooks:
    """A node's hooks (its ``_hooks`` attribute; unset or ``None`` until one is
    registered): hooks on its gradient, hooks after accumulation (leaves), and the
    value that asked ``retain_grad()`` (records)."""

    __slots__ = ("grad", "post_accumulate", "retain")

    def __init__(self) -> None:
        self.grad: list = []
        self.post_accumulate: list = []
        self.retain: Any = None  # a weak reference to the value


class _HookCount:
    # Hooks (and retain_grad requests) registered and not removed, on any node. While
    # it is 0 the backward pass does not look for hooks at all; while ``post`` (the
    # post-accumulate hooks among them) is 0 it does not count the edges into leaves.
    live = 0
    post = 0


class RemovableHandle:
    """What registering a hook returns; ``handle.remove()`` unregisters it."""

    def __init__(self, hooks: list, hook: Callable, post: bool = False) -> None:
        self._hooks = hooks
        self._hook = hook
        self._post = post

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
            _HookCount.live -= 1
            _HookCount.post -= self._post

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _hooks_of(node: Any) -> _Hooks:
    hooks = getattr(node, "_hooks", None)
    if hooks is None:
        hooks = node._hooks = _Hooks()
    return hooks


def register_hook(value: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` when the gradient of ``value`` has been computed in a backward.

    A hook may return a new gradient, which replaces the one passed on (to the
    value's inputs, or into ``.grad`` for a leaf), or ``None`` to keep it. A hook on a
    value that is later changed in place stays with the value it was registered on
    (its op record), as in PyTorch. ``Tensor.register_hook`` is this function.
    """
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    if not value.requires_grad:
        raise RuntimeError("cannot register a hook on a value that doesn't require grad")
    hooks = _hooks_of(node_of(value)).grad
    hooks.append(hook)
    _HookCount.live += 1
    return RemovableHandle(hooks, hook)


def register_post_accumulate_grad_hook(value: Any, hook: Callable[[Any], None]) -> RemovableHandle:
    """Call ``hook(value)`` right after a leaf's ``.grad`` has been accumulated.

    It runs as soon as that gradient is final, while the rest of the backward pass
    is still to run, so that work on it (a data-parallel allreduce) overlaps the rest.
    """
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    if value._ctx is not None:
        raise RuntimeError("post-accumulate-grad hooks can only be registered on leaf tensors")
    if not value.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require grad")
    hooks = _hooks_of(value).post_accumulate
    hooks.append(hook)
    _HookCount.live += 1
    _HookCount.post += 1
    return RemovableHandle(hooks, hook, post=True)


def retain_grad(value: Any) -> None:
    """Have backward publish ``value``'s gradient into its ``.grad`` although it is not a
    leaf (``Tensor.retain_grad``); it is published after the value's hooks ran."""
    ctx = value._ctx
    if ctx is None:
        return  # leaves always keep theirs
    hooks = _hooks_of(ctx)
    if hooks.retain is None:
        hooks.retain = weakref.ref(value)
        _HookCount.live += 1


def _run_grad_hooks(node: Any, g: Any) -> Any:
    hooks = getattr(node, "_hooks", None)
    if hooks is not None:
        for hook in list(hooks.grad):
            result = hook(g)
            if result is not None:
                g = result
    return g


def _retained(node: Any) -> Any:
    """The value whose ``retain_grad()`` asked for this record's gradient, if alive."""
    hooks = getattr(node, "_hooks", None)
    if hooks is None or hooks.retain is None:
        return None
    return hooks.retain()


def _count_hooked_edges(nodes: Sequence[Any]) -> dict:
    """For each leaf with a post-accumulate hook: how many op inputs it is, in this graph.

    Run only while post-accumulate hooks exist, so that a hooked leaf can be published
    as soon as its last contribution has arrived instead of at the end of the pass.
    """
    counts: dict = {}
    for node in walk(nodes):
        for parent in node.parents or ():
            if parent is None or parent.parents is not None:
                continue
            hooks = getattr(parent, "_hooks", None)
            if hooks is not None and hooks.post_accumulate:
                counts[id(parent)] = counts.get(id(parent), 0) + 1
    return counts


# ---------------------------------------------------------------------------
# Anomaly mode: checks registered by chainrule.explain.anomaly
# ---------------------------------------------------------------------------

class _AnomalyChecks:
    forward: Callable[[Any, Sequence[Any], Any], None] | None = None
    backward: Callable[[Any, Sequence[Any]], None] | None = None


def register_anomaly_checks(forward: Callable[[Any, Sequence[Any], Any], None],
                            backward: Callable[[Any, Sequence[Any]], None]) -> None:
    """Install the checks that anomaly mode runs: ``forward(record, inputs, output)``
    after each recorded op, ``backward(record, input_grads)`` after each VJP.

    The engine calls them only while the thread-local anomaly flag is on, which
    ``chainrule.detect_anomaly`` (the module that registers them) turns on.
    """
    _AnomalyChecks.forward = staticmethod(forward)
    _AnomalyChecks.backward = staticmethod(backward)


def check_forward_anomaly(ctx: Any, inputs: Sequence[Any], out: Any) -> None:
    """Run the registered forward check (the engine calls this only in anomaly mode)."""
    if _AnomalyChecks.forward is not None:
        _AnomalyChecks.forward(ctx, inputs, out)


# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------

def backward(
    roots: Sequence[Any],
    grad_outputs: Sequence[Any],
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Any] | None = None,
) -> list:
    """Propagate ``grad_outputs`` (dL/d root, one per root) back through the graph.

    With ``inputs=None`` every leaf that requires grad (and every value that called
    ``retain_grad()``) accumulates into ``.grad``. With ``inputs`` given, nothing is
    published: the gradients of those values are returned, in order (``None`` for
    an input the roots do not depend on); without ``inputs`` the list is empty.
    ``create_graph=True`` runs each op's vector-Jacobian product on the engine's
    values instead of raw numbers, so the backward pass is itself recorded and can be
    differentiated again.
    """
    wanted = None if inputs is None else {id(node_of(v)): i for i, v in enumerate(inputs)}
    found: list | None = None if inputs is None else [None] * len(inputs)
    prev_mode = _mode.enabled
    _mode.enabled = create_graph
    try:
        _backward_newest_first(roots, grad_outputs, not retain_graph, create_graph, wanted,
                               found)
    finally:
        _mode.enabled = prev_mode
    return found if found is not None else []


def _publish(value: Any, g: Any, wanted: dict | None, found: list | None) -> None:
    """Hand a leaf's finished gradient to its ``.grad`` (running its hooks), or to
    ``found`` when ``inputs`` were given."""
    hooks = getattr(value, "_hooks", None) if _HookCount.live else None
    if hooks is not None:
        g = _run_grad_hooks(value, g)
    if wanted is None:
        value._accumulate_grad(g)
        if hooks is not None:
            for hook in list(hooks.post_accumulate):
                hook(value)
    else:
        slot = wanted.get(id(value))
        if slot is not None:
            found[slot] = g  # type: ignore[index]


def _count_down(pending: dict, leaf: Any, take: Callable, wanted: dict | None,
                found: list | None) -> None:
    """One more contribution to a hooked leaf has arrived; publish it after the last."""
    key = id(leaf)
    pending[key] -= 1
    if pending[key] == 0:
        del pending[key]
        _publish(leaf, take(key), wanted, found)


def _records_to_run(nodes: Sequence[Any], wanted: dict) -> tuple[set, set]:
    """With ``inputs`` given: the ids of the records whose VJP leads to a wanted node
    (those with a parent that is wanted or leads to one), and of every node that is
    wanted or leads to one. As in PyTorch, the rest of the graph is not run: a branch
    that leads only to other leaves costs nothing. A record freed by an earlier backward
    has dropped its edges, so it counts as leading to one: reaching it raises the freed
    error rather than giving a gradient without its part."""
    leads: set = set()
    run: set = set()
    for node in walk(nodes):  # inputs first
        key = id(node)
        if node.parents is not None and node.freed:
            run.add(key)
            leads.add(key)
            continue
        for parent in node.parents or ():
            if parent is not None and id(parent) in leads:
                run.add(key)
                leads.add(key)
                break
        else:
            if key in wanted:
                leads.add(key)
    return run, leads


def _freed_error(ctx: Any) -> GraphFreedError:
    return GraphFreedError(
        f"Trying to backward through the graph a second time (op '{ctx.name}'): "
        "its saved values were freed after the first backward. "
        "Pass retain_graph=True to the first backward() if you need to call it twice."
    )


def _backward_newest_first(roots: Sequence[Any], grad_outputs: Sequence[Any], free: bool,
                           create_graph: bool, wanted: dict | None,
                           found: list | None) -> None:
    """One pass, newest record first, for records numbered in creation order (``_seq``).

    A record is always newer than the records of its inputs, so popping the newest
    pending record from a heap runs every consumer of a value before the value's own
    record: no counting pass over the graph is needed. A record enters the heap when
    its first gradient arrives, so parts of the graph that get no gradient are never
    visited; leaves collect their gradients until the end, except leaves with a
    post-accumulate hook, which are published as soon as their gradient is complete.
    """
    grads: dict = {}
    heap: list = []
    leaves: list = []
    nodes = [node_of(root) for root in roots]
    run = leads = None
    if wanted is not None:
        run, leads = _records_to_run(nodes, wanted)
    for node, grad_output in zip(nodes, grad_outputs):
        key = id(node)
        if leads is not None and key not in leads:
            continue  # a root that no wanted node lies behind
        if key in grads:
            grads[key] = grads[key] + grad_output
            continue
        grads[key] = grad_output
        if node.parents is None:
            leaves.append(node)
        else:
            heappush(heap, (-node._seq, key, node))
    hooked = _HookCount.live > 0
    pending = _count_hooked_edges(nodes) if _HookCount.post and wanted is None else None
    anomaly = _anomaly_on and _mode.anomaly
    take = grads.pop
    get = grads.get
    # The next record when it is the only one pending, with its gradient: no heap or dict
    # round trip along a chain. Such a record has no other gradient waiting in ``grads``:
    # any other contribution would have come from a newer record, and those are all done.
    chained = None
    chained_g = None
    while heap or chained is not None:
        if chained is not None:
            ctx = chained
            g = chained_g
            chained = chained_g = None
            if wanted is not None:
                key = id(ctx)
        else:
            _, key, ctx = heappop(heap)
            g = take(key)
        if hooked:
            g = _run_grad_hooks(ctx, g)
            if wanted is None:
                kept = _retained(ctx)
                if kept is not None:
                    kept._accumulate_grad(g)
        if wanted is not None:
            slot = wanted.get(key)
            if slot is not None:
                found[slot] = g  # type: ignore[index]
            if key not in run:  # type: ignore[operator]
                continue  # no other wanted node lies behind this one: its VJP is not needed
        if ctx.freed:
            raise _freed_error(ctx)
        parents = ctx.parents
        parent_grads = ctx._vjp(g, create_graph)
        if anomaly:
            _AnomalyChecks.backward(ctx, parent_grads)  # type: ignore[misc]
        if len(parents) == 1 and not pending:
            # One input (most ops): the loop below, unrolled.
            parent = parents[0]
            pg = parent_grads[0]
            if parent is not None and pg is not None and (leads is None
                                                          or id(parent) in leads):
                if not heap and parent.parents is not None:
                    chained = parent  # nothing else pending, so no gradient waiting for it
                    chained_g = pg
                else:
                    key = id(parent)
                    prev = get(key)
                    if prev is not None:
                        grads[key] = prev + pg
                    else:
                        grads[key] = pg
                        if parent.parents is None:
                            leaves.append(parent)
                        else:
                            heappush(heap, (-parent._seq, key, parent))
            if free:
                ctx._release()
            continue
        for parent, pg in zip(parents, parent_grads):
            if parent is None or pg is None or leads is not None and id(parent) not in leads:
                continue  # no gradient, or (inputs given) no wanted node behind it
            if parent is chained:  # a second input of this op that is the same record
                chained_g = chained_g + pg
                continue
            if chained is None and not heap and parent.parents is not None:
                chained = parent  # nothing else pending, so no gradient waiting for it
                chained_g = pg
                continue
            key = id(parent)
            prev = get(key)
            if prev is not None:
                grads[key] = prev + pg
                if pending and key in pending:
                    _count_down(pending, parent, take, wanted, found)
                continue
            if parent.parents is not None:
                grads[key] = pg
                heappush(heap, (-parent._seq, key, parent))
                continue
            grads[key] = pg
            leaves.append(parent)
            if pending and key in pending:
                _count_down(pending, parent, take, wanted, found)
        if chained is not None and heap:  # not the only one pending after all
            key = id(chained)
            grads[key] = chained_g
            heappush(heap, (-chained._seq, key, chained))
            chained = chained_g = None
        if free:
            ctx._release()
    for leaf in leaves:
        g = take(id(leaf), None)  # None: published early, or listed twice as a root
        if g is not None:
            _publish(leaf, g, wanted, found)
