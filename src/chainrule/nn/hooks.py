"""Module hooks: the handles, the global hook tables, and the backward-hook machinery.

:class:`~chainrule.nn.Module` keeps its own hooks in ordered dicts keyed by a handle id
(as PyTorch does); this module holds what they share:

- :class:`RemovableHandle`, what every ``register_*_hook`` returns;
- the global hooks of :func:`register_module_forward_pre_hook`,
  :func:`register_module_forward_hook`, :func:`register_module_full_backward_pre_hook`
  and :func:`register_module_full_backward_hook`, which run for every module;
- :class:`BackwardHook`, which gives a module's full backward hooks all the
  gradients of its outputs (``grad_output``) and of its inputs (``grad_input``) at
  once, as tuples, before they are passed on.

How a module's gradients are caught. Each side (inputs, outputs) goes through a
*gate*: one op ``_Gate`` takes every tensor of that side and makes a zero scalar;
each tensor is then re-issued by a ``_Tap`` op that reads the gate's scalar and hands
back the tensor's values. The module computes with the re-issued tensors. In the
backward pass each tap's VJP stores the gradient it received (and gives the gate a
zero); the gate's record is older than every tap, so the engine (newest record first)
runs its VJP only after all taps are done, with every gradient in hand. The gate's VJP
calls the user's hooks with the whole tuple, takes their replacement if they return
one, and passes the gradients on to the original tensors. Nothing of this exists
while no backward hook is registered.

>>> import chainrule as cr, chainrule.nn as nn
>>> seen = []
>>> lin = nn.Linear(2, 1)
>>> h = lin.register_full_backward_hook(lambda m, gi, go: seen.append((len(gi), len(go))))
>>> lin(cr.ones(3, 2, requires_grad=True)).sum().backward()
>>> seen
[(1, 1)]
>>> h.remove()
"""

from __future__ import annotations

import itertools
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..function import Function
from ..graph import RemovableHandle as _GraphHandle
from ..graph import is_grad_enabled
from ..ops.arrays import NUMPY
from ..tensor import Tensor

__all__ = [
    "RemovableHandle",
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
]


live = 0
"""Module hooks registered and not removed, on any module or global.

While it is 0, ``Module.__call__`` calls ``forward`` straight away; otherwise it runs
the hooks. A module global, because ``Module.__call__`` reads it on every call: a
module attribute is one specialised lookup, a class attribute (3.11) a slower generic
one. Reading a counter, rather than swapping ``Module.__call__`` on the first hook and
back on the last, keeps registering and removing hooks cheap: assigning a special
method on a class with some 180 subclasses rewrites every subclass's slot and empties
the interpreter's caches for them (about 10 us each way, and the following calls run
slower until the caches refill), which a monitor that hooks every tenth step paid
twice per sample.
"""


def _count(n: int) -> None:
    global live
    live += n


class RemovableHandle(_GraphHandle):
    """What a module's ``register_*_hook`` returns: ``remove()`` unregisters the hook.

    As PyTorch's ``torch.utils.hooks.RemovableHandle``: ``id`` is the hook's key in the
    module's hook dicts, ``extra_dict`` names more dicts (e.g. ``with_kwargs``) to
    clean; usable as a context manager.

    >>> import chainrule.nn as nn
    >>> m = nn.Identity()
    >>> with m.register_forward_hook(lambda mod, args, out: None):
    ...     len(m._forward_hooks)
    1
    >>> len(m._forward_hooks)
    0
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:  # noqa: D107
        self.hooks_dict_ref = hooks_dict
        self._finalizer: Any = None
        self.id = next(RemovableHandle._next_id)
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self.extra_dict_ref = tuple(extra_dict)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        if self.id in self.hooks_dict_ref:
            del self.hooks_dict_ref[self.id]
            _count(-1)
            if self._finalizer is not None:
                self._finalizer.detach()
        for extra in self.extra_dict_ref:
            extra.pop(self.id, None)


def _add(hooks: OrderedDict, hook: Callable, prepend: bool, extra: Any = None,
         owner: Any = None) -> RemovableHandle:
    """Register ``hook`` in ``hooks``; a module ``owner`` that is garbage collected with
    its hooks still registered stops counting as a module with hooks."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks, extra_dict=extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    _count(1)
    if owner is not None:
        handle._finalizer = weakref.finalize(owner, _count, -1)
    return handle


# ---------------------------------------------------------------------------
# Global hooks: for every module
# ---------------------------------------------------------------------------

_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(module, args)`` before every module's forward (before its own pre-hooks).

    >>> import chainrule as cr, chainrule.nn as nn
    >>> names = []
    >>> with register_module_forward_pre_hook(lambda m, a: names.append(type(m).__name__)):
    ...     _ = nn.Sequential(nn.Linear(2, 2), nn.ReLU())(cr.ones(1, 2))
    >>> names
    ['Sequential', 'Linear', 'ReLU']
    """
    return _add(_global_forward_pre_hooks, hook, False)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after every module's forward (before its own
    hooks); ``with_kwargs=True`` calls ``hook(module, args, kwargs, output)``. A value
    returned replaces the output; ``always_call`` runs it even when forward raised.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> shapes = []
    >>> with register_module_forward_hook(lambda m, a, out: shapes.append(out.shape)):
    ...     _ = nn.Linear(2, 3)(cr.ones(4, 2))
    >>> shapes
    [(4, 3)]
    """
    handle = RemovableHandle(_global_forward_hooks, extra_dict=[
        _global_forward_hooks_with_kwargs, _global_forward_hooks_always_called])
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    _global_forward_hooks[handle.id] = hook
    _count(1)
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(module, grad_output)`` for every module, before its own backward
    pre-hooks; see :meth:`Module.register_full_backward_pre_hook`."""
    return _add(_global_backward_pre_hooks, hook, False)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Call ``hook(module, grad_input, grad_output)`` for every module, before its own
    backward hooks; see :meth:`Module.register_full_backward_hook`."""
    return _add(_global_backward_hooks, hook, False)


# ---------------------------------------------------------------------------
# The gate: every gradient of one side of a module, at once
# ---------------------------------------------------------------------------

class _GateState:
    """The gradients the taps of one gate received, and what to do with them."""

    __slots__ = ("grads", "on_grads")

    def __init__(self, n: int, on_grads: Callable[[list], list]) -> None:
        self.grads: list = [None] * n
        self.on_grads = on_grads


class _Gate(Function):
    op_name = "backward_hook"

    @staticmethod
    def forward(ctx: Any, *arrays: Any, state: _GateState) -> Any:
        ctx.state = state
        return np.zeros((), dtype=arrays[0].dtype if arrays[0].dtype.kind == "f" else
                        np.float32)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        state = ctx.state
        grads = state.on_grads(state.grads)
        state.grads = [None] * len(state.grads)
        if ctx.xp is not NUMPY:
            grads = [g if g is None or isinstance(g, Tensor) else Tensor(g) for g in grads]
        return tuple(grads)


class _Tap(Function):
    op_name = "backward_hook"

    @staticmethod
    def forward(ctx: Any, gate: Any, *, source: Any, state: _GateState, index: int) -> Any:
        ctx.state = state
        ctx.index = index
        return source.view()

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        state = ctx.state
        previous = state.grads[ctx.index]
        state.grads[ctx.index] = grad if previous is None else previous + grad
        return ctx.xp.sum(grad) * 0


def _gate(tensors: list, on_grads: Callable[[list], list]) -> list:
    """Re-issue ``tensors`` (all requiring grad) through one gate; see the module text."""
    state = _GateState(len(tensors), on_grads)
    anchor = _Gate.apply(*tensors, state=state)
    return [_Tap.apply(anchor, source=t._array, state=state, index=i)
            for i, t in enumerate(tensors)]


class BackwardHook:
    """Runs one module call's full backward pre-hooks and full backward hooks.

    ``setup_input_hook(args)`` re-issues the tensor arguments (positional ones) through
    a gate, ``setup_output_hook(result)`` the output tensors (a Tensor or a tuple); in the
    backward pass the pre-hooks get ``grad_output`` when the outputs' gradients are
    complete, and the hooks get ``(grad_input, grad_output)`` when the inputs' are,
    one entry per positional argument / output (``None`` where it is not a Tensor).
    """

    def __init__(self, module: Any, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = 0
        self.input_index: list | None = None  # positions of the Tensor arguments
        self.input_tapped: list = []  # of those, the ones that require grad
        self._input_like: dict = {}  # position -> (shape, dtype), for zeros where no grad came
        self.n_outputs = 0
        self.output_index: list | None = None

    # -- inputs -------------------------------------------------------------------
    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tapped = [i for i in index if args[i].requires_grad]
        if not tapped or not is_grad_enabled():
            return args
        self.input_index = index
        self.input_tapped = tapped
        self._input_like = {i: (args[i].shape, args[i]._array.dtype) for i in index}
        new = _gate([args[i] for i in tapped], self._input_grads)
        out = list(args)
        for i, t in zip(tapped, new):
            out[i] = t
        return tuple(out)

    def _input_grads(self, grads: list) -> list:
        if self.grad_outputs is None or not self.user_hooks:
            self.grad_outputs = None
            return grads
        got = dict(zip(self.input_tapped, grads))
        grad_input: list = [None] * self.n_inputs
        wrap = Tensor if any(isinstance(g, Tensor) for g in grads) else np.ndarray
        for i in self.input_index or ():
            g = got.get(i)
            if g is None:  # no gradient reached it: zeros, as PyTorch's materialized grads
                shape, dtype = self._input_like[i]
                g = np.zeros(shape, dtype)
            grad_input[i] = g
        res = tuple(_as_tensor(g) for g in grad_input)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook of {type(self.module).__name__} returned an "
                                   f"invalid number of grad_input, got {len(out)}, but "
                                   f"expected {len(res)}")
            res = tuple(out)
        self.grad_outputs = None
        return [_as_array(res[i], wrap) for i in self.input_tapped]

    # -- outputs ------------------------------------------------------------------
    def setup_output_hook(self, result: Any) -> Any:
        is_tuple = isinstance(result, tuple)
        outputs = result if is_tuple else (result,)
        self.n_outputs = len(outputs)
        index = [i for i, a in enumerate(outputs)
                 if isinstance(a, Tensor) and a.requires_grad]
        if not index or not is_grad_enabled():
            return result
        self.output_index = index
        new = _gate([outputs[i] for i in index], self._output_grads)
        out = list(outputs)
        for i, t in zip(index, new):
            out[i] = t
        return tuple(out) if is_tuple else out[0]

    def _output_grads(self, grads: list) -> list:
        wrap = Tensor if any(isinstance(g, Tensor) for g in grads) else np.ndarray
        packed: list = [None] * self.n_outputs
        for i, g in zip(self.output_index or (), grads):
            packed[i] = g
        self.grad_outputs = tuple(_as_tensor(g) for g in packed)
        for hook in self.user_pre_hooks:
            out = hook(self.module, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook of {type(self.module).__name__} "
                                   f"returned an invalid number of grad_output, got {len(out)}, "
                                   f"but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(out)
        local = self.grad_outputs
        if self.input_index is None or not self.input_tapped:
            # No input requires grad: the hooks run now, with None for every grad_input.
            grad_input = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_input, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return [_as_array(local[i], wrap) for i in self.output_index or ()]


def _as_tensor(g: Any) -> Any:
    """A gradient as the hooks see it: a Tensor (or None)."""
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor(g)


def _as_array(g: Any, wrap: type) -> Any:
    """A gradient a hook handed back, as the engine wants it (array, or Tensor under
    create_graph)."""
    if g is None:
        return None
    if wrap is np.ndarray:
        return g._array if isinstance(g, Tensor) else np.asarray(g)
    return g if isinstance(g, Tensor) else Tensor(np.asarray(g))


def _warn_not_tensor(module: Any, result: Any) -> None:
    warnings.warn(f"{type(module).__name__}: for backward hooks to be called, the module's "
                  f"output should be a Tensor or a tuple of Tensors, not "
                  f"{type(result).__name__}", stacklevel=3)
