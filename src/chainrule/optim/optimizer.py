"""Optimizer: the base class that owns the update loop.

A subclass owns one update rule: it passes its hyperparameters to
``Optimizer.__init__`` as ``defaults`` and implements :meth:`Optimizer._update`
for a single parameter. Everything else, param groups, ``zero_grad``, ``step``,
``state_dict`` and ``load_state_dict``, lives here and follows PyTorch.

Updates run on the arrays behind the parameters with NumPy, in
place and outside any graph, and keep each parameter's dtype.

>>> import chainrule as cr
>>> from chainrule.optim import SGD
>>> w = cr.tensor([1.0, -2.0], requires_grad=True)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w
tensor([ 0.8, -1.6], requires_grad=True)
>>> opt.zero_grad()
>>> w.grad is None
True
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..dtypes import get_default_dtype
from ..graph import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


# ---------------------------------------------------------------------------
# Hooks around step, state_dict and load_state_dict (PyTorch's)
# ---------------------------------------------------------------------------

_hook_ids = itertools.count()
_global_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()


class _HookHandle:
    """What registering an optimizer hook returns; ``handle.remove()`` unregisters it."""

    def __init__(self, hooks: OrderedDict, hook: Callable, prepend: bool = False) -> None:
        if not callable(hook):
            raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
        self.id = next(_hook_ids)
        self._hooks = hooks
        hooks[self.id] = hook
        if prepend:
            hooks.move_to_end(self.id, last=False)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_optimizer_step_pre_hook(hook: Callable) -> _HookHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``.

    As in PyTorch, ``args`` starts with the optimizer itself. The hook may return
    ``(new_args, new_kwargs)`` to change the call, or None.
    """
    return _HookHandle(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> _HookHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    return _HookHandle(_global_step_post_hooks, hook)


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap an optimizer's ``step`` so that the step hooks run around it (once per call,
    even when a subclass's ``step`` calls its base's)."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_running_step_hooks") or not (
                _global_step_pre_hooks or _global_step_post_hooks
                or self._optimizer_step_pre_hooks or self._optimizer_step_post_hooks):
            return step(self, *args, **kwargs)  # no hooks to run (or run by an outer call)
        self._running_step_hooks = True
        args = (self, *args)  # as PyTorch's hooks see them: the optimizer first
        try:
            for pre_hook in itertools.chain(list(_global_step_pre_hooks.values()),
                                            list(self._optimizer_step_pre_hooks.values())):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"an optimizer step pre-hook must return None or a "
                                           f"tuple (new_args, new_kwargs), but got {result!r}")
                    args, kwargs = result
            out = step(*args, **kwargs)
            for post_hook in itertools.chain(list(self._optimizer_step_post_hooks.values()),
                                             list(_global_step_post_hooks.values())):
                post_hook(self, args, kwargs)
            return out
        finally:
            self._running_step_hooks = False

    wrapper._with_step_hooks = True  # type: ignore[attr-defined]
    return wrapper


def _check_nonnegative(name: str, value: Any) -> None:
    """Raise ``ValueError`` unless ``value`` is a number >= 0 (NaN is rejected too)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name}: {value} (it must be >= 0)")


def _as_array(value: Any) -> Any:
    """A chainrule or PyTorch tensor as its NumPy array (a PyTorch optimizer's state dict
    holds PyTorch tensors); anything else as it is."""
    if isinstance(value, Tensor):
        return value._array
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return np.asarray(value.detach().cpu().numpy())
    return value


def _implementation_flags(who: str, *, foreach: bool | None = None,
                          fused: bool | None = None, differentiable: bool = False) -> None:
    """Check PyTorch's switches between implementations of one update rule.

    ``foreach``, ``fused`` and ``capturable`` choose how PyTorch runs the same
    arithmetic (per tensor, batched, in one kernel, in a CUDA graph); chainrule has one
    implementation, so they are taken for PyTorch's signatures and change nothing.
    ``differentiable=True`` (autograd through the step itself) is refused: the updates
    run on the arrays, outside any graph.
    """
    if differentiable:
        raise NotImplementedError(
            f"{who}: differentiable=True (autograd through the optimizer step) is not "
            "supported: chainrule's optimizers update the arrays outside the graph")
    if fused and foreach:
        raise RuntimeError(f"{who}: `fused` and `foreach` cannot be `True` together.")


def _check_betas(betas: Any) -> tuple[float, float]:
    """Return ``betas`` as a pair, each in [0, 1), or raise ``ValueError`` as PyTorch does."""
    betas = tuple(betas)
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas}")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} "
                             "(it must be in [0, 1))")
    return (float(betas[0]), float(betas[1]))


def _scalar_dtype() -> type:
    """The dtype of per-parameter scalar state (NAdam's ``mu_product``, ASGD's ``eta``).

    PyTorch keeps such numbers in 0-d tensors of float64 when the default dtype is
    float64 and of float32 otherwise, and rounds them there; so does chainrule.
    """
    return np.float64 if get_default_dtype() == np.float64 else np.float32


class Optimizer:
    """Base class of every optimizer: holds the parameter groups and the per-parameter state.

    Args:
        params: an iterable of Tensors (or of ``(name, Tensor)`` pairs, as
            ``model.named_parameters()`` gives: the names go into each group's
            ``"param_names"``), or of dicts each with a ``"params"`` entry and
            hyperparameters that override ``defaults`` for that group.
        defaults: the hyperparameters of the update rule.

    Attributes:
        param_groups: a list of dicts, one per group, each with ``"params"`` (a list of
            Tensors) and every hyperparameter.
        state: a dict from parameter to that parameter's state (a dict of NumPy arrays
            and numbers, filled in lazily by the first :meth:`step`).
    """

    def __init__(self, params: Iterable[Any], defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict] = {}
        self.param_groups: list[dict] = []
        self._running_step_hooks = False
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a Tensor; wrap it in a list: [tensor]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Use a list instead."
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_with_step_hooks", False):
            cls.step = _with_step_hooks(step)  # type: ignore[method-assign]

    # -- hooks ---------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> _HookHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each :meth:`step` (``args`` starts
        with the optimizer, as in PyTorch); it may return ``(new_args, new_kwargs)``.
        Returns a handle whose ``remove()`` unregisters it.

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> opt = SGD([cr.zeros(1, requires_grad=True)], lr=0.1)
        >>> handle = opt.register_step_post_hook(lambda o, args, kwargs: print("stepped"))
        >>> opt.step()
        stepped
        >>> handle.remove()
        >>> opt.step()
        """
        return _HookHandle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> _HookHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each :meth:`step`."""
        return _HookHandle(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _HookHandle:
        """Call ``hook(optimizer)`` before :meth:`state_dict` builds the state dict."""
        return _HookHandle(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> _HookHandle:
        """Call ``hook(optimizer, state_dict)`` on the state dict :meth:`state_dict` built;
        a dict it returns is returned instead."""
        return _HookHandle(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> _HookHandle:
        """Call ``hook(optimizer, state_dict)`` before :meth:`load_state_dict` reads it
        (a shallow copy); a dict it returns is loaded instead."""
        return _HookHandle(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> _HookHandle:
        """Call ``hook(optimizer)`` after :meth:`load_state_dict` has loaded."""
        return _HookHandle(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- parameter groups ------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with its own hyperparameters, to ``param_groups``.

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> a, b = cr.zeros(2, requires_grad=True), cr.zeros(3, requires_grad=True)
        >>> opt = SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError('a param group needs a "params" entry')
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]  # named_parameters()
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one made by an op); "
                                 "optimize the leaves it was computed from")
            if p._array.dtype.kind != "f":
                raise TypeError(f"optimizer can only optimize floating-point Tensors, got "
                                f"dtype {p._array.dtype.name}")
        group = {"params": params}
        if names:
            group["param_names"] = names
        for key, value in param_group.items():
            if key != "params":
                group[key] = value
        for other in self.param_groups:
            if ("param_names" in group) != ("param_names" in other):
                raise ValueError("all optimizer param groups should be with/without names. "
                                 "cannot add param group "
                                 f"{'with' if 'param_names' in group else 'without'} names to "
                                 "the optimizer")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter appears more than once in the same param group")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # -- the loop ------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (the default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif p.grad.requires_grad:  # a gradient with a graph (create_graph=True)
                    p.grad = Tensor(np.zeros_like(p.grad._array))
                else:
                    p.grad._array[...] = 0
                    p.grad._version += 1

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss if given.

        ``closure``, when given, re-evaluates the model and returns the loss; it runs with
        grad mode on. Parameters whose ``.grad`` is None are skipped, as in PyTorch.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states = self.state
        update = self._update
        for group in self.param_groups:
            maximize = group.get("maximize", False)
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                grad = g._array
                param = p._array
                if grad.shape != param.shape:
                    raise RuntimeError(
                        f"{type(self).__name__}.step: a parameter of shape {param.shape} has a "
                        f"gradient of shape {grad.shape}"
                    )
                if maximize:
                    grad = -grad
                state = states.get(p)
                if state is None:
                    state = states[p] = {}
                update(param, grad, state, group)
                p._version += 1  # an in-place change, as PyTorch's optimizers make
        return loss

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """Apply the update rule to one parameter array, in place; ``state`` is its state."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # -- saving and restoring --------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state, PyTorch's layout: ``{"state": {...}, "param_groups": [...]}``.

        Parameters are referred to by their index across all groups; arrays are copies.
        Save it with :func:`chainrule.save`.

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> w = cr.zeros(2, requires_grad=True)
        >>> SGD([w], lr=0.1).state_dict()["param_groups"][0]["params"]
        [0]
        """
        for pre_hook in list(self._optimizer_state_dict_pre_hooks.values()):
            pre_hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index and s:
                state[index[id(p)]] = {k: v.copy() if isinstance(v, np.ndarray) else v
                                       for k, v in s.items()}
        out = {"state": state, "param_groups": groups}
        for post_hook in list(self._optimizer_state_dict_post_hooks.values()):
            result = post_hook(self, out)
            if result is not None:
                out = result
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state from :meth:`state_dict`; the groups must have the same sizes.

        Floating-point state arrays are cast to their parameter's dtype; a state array
        of another shape than its parameter is refused (nothing changes then).
        """
        if isinstance(state_dict, dict):
            state_dict = dict(state_dict)  # the hooks may change this copy
            for pre_hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
                result = pre_hook(self, state_dict)
                if result is not None:
                    state_dict = result
        if not isinstance(state_dict, dict) or "state" not in state_dict \
                or "param_groups" not in state_dict:
            raise ValueError('an optimizer state dict needs "state" and "param_groups" entries')
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, but the "
                f"optimizer has {len(self.param_groups)}"
            )
        for i, (mine, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved['params'])} "
                    f"parameters, but the optimizer's has {len(mine['params'])}"
                )
        by_index = {}
        for mine, saved in zip(self.param_groups, saved_groups):
            for p, idx in zip(mine["params"], saved["params"]):
                by_index[int(idx)] = p
        if not isinstance(state_dict["state"], dict):
            raise ValueError(f'an optimizer state dict\'s "state" is a dict, got '
                             f'{type(state_dict["state"]).__name__}')
        new_state: dict[Tensor, dict] = {}
        for idx, s in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                continue
            if not isinstance(s, dict):
                raise ValueError(f"the optimizer state of parameter {idx} is a "
                                 f"{type(s).__name__}, not a dict")
            new_state[p] = {k: self._cast_state(k, v, p, idx) for k, v in s.items()}
        self.state = new_state
        for mine, saved in zip(self.param_groups, saved_groups):
            for key, value in saved.items():
                if key == "params":
                    continue
                if isinstance(mine.get(key), tuple) and isinstance(value, list):
                    value = tuple(value)  # betas
                mine[key] = copy.deepcopy(value)
        for post_hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            post_hook(self)

    # state entries that are one number per parameter (kept as NumPy scalars), not arrays
    _scalar_state: frozenset = frozenset()

    def _state_shape(self, key: str, shape: tuple) -> tuple:
        """The shape a state array ``key`` has for a parameter of ``shape`` (the same)."""
        return shape

    def _cast_state(self, key: str, value: Any, param: Tensor, idx: Any) -> Any:
        value = _as_array(value)
        if key in self._scalar_state and isinstance(value, (np.ndarray, np.generic, float, int)):
            value = np.asarray(value)
            if value.size != 1:
                raise ValueError(f"the optimizer state {key!r} of parameter {idx} is one number, "
                                 f"got an array of shape {value.shape}")
            return value.reshape(())[()].astype(_scalar_dtype())
        if isinstance(value, np.ndarray):
            if value.ndim == 0 and key == "step":
                return int(value)
            expected = self._state_shape(key, param._array.shape)
            if value.shape != expected:
                what = ("the parameter has shape" if expected == param._array.shape else
                        f"for a parameter of shape {param._array.shape} it has shape")
                raise ValueError(
                    f"the optimizer state {key!r} of parameter {idx} has shape "
                    f"{value.shape}, but {what} {expected}")
            if value.dtype.kind == "f":
                return value.astype(param._array.dtype, copy=True)
            return value.copy()
        if key == "step" and isinstance(value, float) and math.isfinite(value):
            return int(value)
        return value


Optimizer.step = _with_step_hooks(Optimizer.step)  # type: ignore[method-assign]
