"""Module: the building block of networks, and the containers Sequential and ModuleList.

A Module registers what is assigned to it: a :class:`Parameter` becomes a
parameter, a Module becomes a child, and :meth:`Module.register_buffer` adds
state that is saved but not trained (BatchNorm's running statistics). Names
follow PyTorch, so ``state_dict()`` keys read ``0.weight`` or ``fc1.bias``.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
>>> model(cr.ones(5, 4)).shape
(5, 2)
>>> print(model)
Sequential(
  (0): Linear(in_features=4, out_features=3, bias=True)
  (1): ReLU()
  (2): Linear(in_features=3, out_features=2, bias=True)
)
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..devices import check_device, to_arguments
from ..graph import no_grad
from ..tensor import Tensor
from . import hooks as _hooks
from .hooks import RemovableHandle
from .parameter import Buffer, Parameter

__all__ = ["Module", "Sequential", "ModuleList"]


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` returns: keys it did not find, and extra keys."""

    missing_keys: list
    unexpected_keys: list


# The ordered dicts of hooks every Module has, keyed by the id of the handle.
_HOOK_STORES = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                "_backward_pre_hooks", "_backward_hooks")

# Which dtype kinds a destination of each kind takes in load_state_dict: floats from
# floats, complex from real or complex, integers from integers, bools from bools.
_TAKES = {"f": "f", "c": "fc", "i": "iu", "u": "iu", "b": "b"}


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


class Module:
    """Base class of every layer and model. Subclasses set attributes in ``__init__``
    (after calling ``super().__init__()``) and define ``forward``.

    >>> import chainrule.nn as nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(2, 4)
    ...         self.fc2 = nn.Linear(4, 1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> list(TwoLayer().state_dict())
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        for store in _HOOK_STORES:
            object.__setattr__(self, store, OrderedDict())

    # -- calling ----------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function: '
            "define forward(self, ...) in the subclass"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _hooks.live:  # some module hook exists, on this module or another
            return self._call_with_hooks(*args, **kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        """``__call__`` while some module hook exists: PyTorch's order of hook calls."""
        d = self.__dict__
        if "_forward_hooks" not in d:  # a subclass that skipped Module.__init__
            raise AttributeError(f"{type(self).__name__}: call Module.__init__() (super()."
                                 "__init__()) before using the module")
        pre_hooks = d["_forward_pre_hooks"]
        fwd_hooks = d["_forward_hooks"]
        bw_pre = d["_backward_pre_hooks"]
        bw_hooks = d["_backward_hooks"]
        g = _hooks
        if not (pre_hooks or fwd_hooks or bw_pre or bw_hooks or g._global_forward_pre_hooks
                or g._global_forward_hooks or g._global_backward_pre_hooks
                or g._global_backward_hooks):
            return self.forward(*args, **kwargs)
        result = None
        called_always: set = set()
        try:
            backward_pre = [*g._global_backward_pre_hooks.values(), *bw_pre.values()]
            backward = [*g._global_backward_hooks.values(), *bw_hooks.values()]
            for hook_id, hook in (*g._global_forward_pre_hooks.items(), *pre_hooks.items()):
                if hook_id in d["_forward_pre_hooks_with_kwargs"]:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            raise RuntimeError(
                                f"{type(self).__name__}: a forward pre-hook with_kwargs must "
                                "return None or a tuple of (new_args, new_kwargs), but got "
                                f"{new!r}")
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            bw_hook = None
            if backward or backward_pre:
                bw_hook = _hooks.BackwardHook(self, backward, backward_pre)
                args = bw_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (*g._global_forward_hooks.items(), *fwd_hooks.items()):
                if (hook_id in d["_forward_hooks_always_called"]
                        or hook_id in g._global_forward_hooks_always_called):
                    called_always.add(hook_id)
                if (hook_id in d["_forward_hooks_with_kwargs"]
                        or hook_id in g._global_forward_hooks_with_kwargs):
                    new = hook(self, args, kwargs, result)
                else:
                    new = hook(self, args, result)
                if new is not None:
                    result = new
            if bw_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    _hooks._warn_not_tensor(self, result)
                result = bw_hook.setup_output_hook(result)
            return result
        except Exception:
            for hook_id, hook in (*g._global_forward_hooks.items(), *fwd_hooks.items()):
                if hook_id in called_always or not (
                        hook_id in d["_forward_hooks_always_called"]
                        or hook_id in g._global_forward_hooks_always_called):
                    continue
                try:
                    if (hook_id in d["_forward_hooks_with_kwargs"]
                            or hook_id in g._global_forward_hooks_with_kwargs):
                        new = hook(self, args, kwargs, result)
                    else:
                        new = hook(self, args, result)
                    if new is not None:
                        result = new
                except Exception as err:  # the forward's own error is the one to raise
                    warnings.warn(f"{type(self).__name__}: a forward hook with always_call="
                                  f"True raised {type(err).__name__}: {err}", stacklevel=2)
            raise

    # -- hooks ----------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward; a value returned replaces
        ``args`` (a non-tuple is wrapped in one). With ``with_kwargs=True`` the hook is
        ``hook(module, args, kwargs)`` and may return ``(new_args, new_kwargs)``.
        ``prepend=True`` runs it before the hooks already registered.

        >>> import chainrule as cr, chainrule.nn as nn
        >>> m = nn.Identity()
        >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        >>> m(cr.tensor([1.0]))
        tensor([2.])
        >>> h.remove()
        """
        handle = _hooks._add(self._forward_pre_hooks, hook, prepend,
                             extra=self._forward_pre_hooks_with_kwargs, owner=self)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each forward; a value returned
        replaces the output. ``with_kwargs=True``: ``hook(module, args, kwargs, output)``;
        ``always_call=True``: run it even when forward raised; ``prepend=True``: before
        the hooks already registered.

        >>> import chainrule as cr, chainrule.nn as nn
        >>> m = nn.Linear(2, 3)
        >>> shapes = []
        >>> h = m.register_forward_hook(lambda mod, args, out: shapes.append(out.shape))
        >>> _ = m(cr.ones(4, 2))
        >>> shapes
        [(4, 3)]
        """
        handle = _hooks._add(self._forward_hooks, hook, prepend,
                             extra=[self._forward_hooks_with_kwargs,
                                    self._forward_hooks_always_called], owner=self)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_pre_hook(self, hook: Callable,
                                        prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs
        are complete, before the module's own backward; ``grad_output`` is a tuple (one
        entry per output, ``None`` for an output that got no gradient). A tuple returned
        replaces ``grad_output``.

        >>> import chainrule as cr, chainrule.nn as nn
        >>> m = nn.Linear(2, 1)
        >>> h = m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0,))
        >>> m(cr.ones(1, 2)).sum().backward()
        >>> m.weight.grad
        tensor([[0., 0.]])
        """
        return _hooks._add(self._backward_pre_hooks, hook, prepend, owner=self)

    def register_full_backward_hook(self, hook: Callable,
                                    prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of the
        module's inputs are complete. Both are tuples: ``grad_input`` one entry per
        positional argument (the gradient for a Tensor, ``None`` for anything else),
        ``grad_output`` one per output. A tuple returned replaces ``grad_input``. When no
        input requires grad, the hook runs as soon as ``grad_output`` is known, with
        ``None`` for every ``grad_input``. Keyword arguments are not seen, as in PyTorch.

        >>> import chainrule as cr, chainrule.nn as nn
        >>> m = nn.Linear(2, 1, bias=False)
        >>> _ = m.weight.data.fill_(3.0)
        >>> got = []
        >>> h = m.register_full_backward_hook(lambda mod, gi, go: got.append(gi[0]))
        >>> m(cr.ones(1, 2, requires_grad=True)).sum().backward()
        >>> got
        [tensor([[3., 3.]])]
        """
        return _hooks._add(self._backward_hooks, hook, prepend, owner=self)

    # -- registration by attribute ------------------------------------------------
    def _stores(self) -> tuple:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign parameters, modules or buffers before "
                "Module.__init__() is called; call super().__init__() first"
            )
        return d["_parameters"], d["_buffers"], d["_modules"]

    def _forget(self, name: str, keep: dict | None = None) -> None:
        # ``keep``: the store being assigned to, where the name keeps its place (PyTorch's
        # order: a tied ``decoder.weight = encoder.weight`` stays before ``decoder.bias``).
        for store in self._stores():
            if store is not keep:
                store.pop(name, None)
        self.__dict__.pop(name, None)
        self._non_persistent.discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._stores()
            self._forget(name, keep=d["_parameters"])
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._stores()
            self._forget(name, keep=d["_modules"])
            d["_modules"][name] = value
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, value.persistent)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign a {type(value).__name__} to "
                    f"parameter '{name}'; assign an nn.Parameter or None"
                )
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign a {type(value).__name__} to child "
                    f"module '{name}'; assign an nn.Module or None"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: cannot assign a {type(value).__name__} to buffer "
                    f"'{name}'; assign a Tensor or None"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if any(name in s for s in self._stores()):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list:
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a ``None`` placeholder, as for ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter('{name}'): expected an nn.Parameter "
                f"or None, got {type(param).__name__}"
            )
        self._stores()
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is not trained; ``persistent`` buffers go into ``state_dict``.

        >>> import chainrule as cr, chainrule.nn as nn
        >>> m = nn.Module()
        >>> m.register_buffer("steps", cr.tensor(0))
        >>> list(m.state_dict())
        ['steps']
        """
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{type(self).__name__}.register_buffer('{name}'): expected a Tensor or None, "
                f"got {type(tensor).__name__}"
            )
        self._stores()
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): {type(module).__name__} is not a Module")
        self._stores()
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # -- walking the tree -----------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "") -> Iterator[tuple]:
        """``(name, module)`` for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from child.named_modules(memo, sub)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, store: str, prefix: str, recurse: bool) -> Iterator[tuple]:
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple]:
        """``(name, parameter)`` pairs; a parameter shared by two layers comes once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively), then on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients --------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) on the tree."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode): mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (``None``, or zeros in place)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor(np.zeros_like(p._array))

    # -- dtype ----------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating-point parameters and buffers to a dtype in place; returns self.

        Accepts PyTorch's signatures: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)`` and the keywords ``device=``, ``dtype=``, ``non_blocking=``.
        chainrule runs on the CPU, so the CPU device is a no-op and any other device is
        refused in one line. The Parameter objects stay the same, so an optimizer built
        before still holds them.
        """
        device, dtype, _, _ = to_arguments(args, kwargs)
        if device is not None:
            check_device(device, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        dt = np.dtype(dtype)
        if dt.kind not in "fc":
            raise TypeError(f"{type(self).__name__}.to: only floating point dtypes are accepted, "
                            f"got {dt.name}")
        with no_grad():
            for t in list(self.parameters()) + list(self.buffers()):
                if t._array.dtype.kind == "f" and t._array.dtype != dt:
                    t._array = t._array.astype(dt)
                    if t.grad is not None:
                        t.grad = Tensor(t.grad._array.astype(dt))
        return self

    def cpu(self) -> Module:
        """This module, on the CPU (where it already is); returns self."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Refused in one line: chainrule runs on the CPU."""
        check_device(device if device is not None else "cuda", f"{type(self).__name__}.cuda")
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # -- state ----------------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, in registration order.

        The values share memory with the module (detached from the graph unless
        ``keep_vars=True``), as in PyTorch.
        """
        out = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers, in place.

        Values may be chainrule Tensors, NumPy arrays or anything ``numpy.asarray``
        accepts (PyTorch tensors included). Keys missing from ``state_dict`` and
        unexpected extra keys are errors when ``strict``; a shape mismatch is always
        an error, and so is a value of another kind than its destination: a floating
        point parameter takes floating point values only (never bool, integer or
        complex ones, which would be cast without a word), an integer buffer integers.
        Every value is checked and converted before the first one is written, so
        nothing is changed when an error is raised.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a dict (a state dict), got "
                            f"{type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        params = {key for key, _ in self.named_parameters()}
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays, problems = {}, []
        for key, dst in own.items():
            if key not in state_dict:
                continue
            src = state_dict[key]
            try:
                arr = src._array if isinstance(src, Tensor) else np.asarray(src)
            except (ValueError, TypeError) as err:
                problems.append(f"the value for {key} is not an array: {err}")
                continue
            lazy = getattr(dst, "_is_uninitialized", False)  # takes the loaded shape
            if arr.shape != dst._array.shape and not lazy:
                problems.append(
                    f"size mismatch for {key}: copying a value of shape {tuple(arr.shape)}, "
                    f"the shape in the current model is {tuple(dst._array.shape)}"
                )
                continue
            if arr.dtype.kind not in _TAKES.get(dst._array.dtype.kind, dst._array.dtype.kind):
                problems.append(
                    f"dtype mismatch for {key}: copying a value of dtype {arr.dtype}, the "
                    f"{'parameter' if key in params else 'buffer'} is {dst._array.dtype}"
                )
                continue
            arrays[key] = arr.astype(dst._array.dtype, copy=False)
        if strict and unexpected:
            problems.insert(0, "Unexpected key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            problems.insert(0, "Missing key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in missing) + ".")
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        for key, arr in arrays.items():
            dst = own[key]
            if getattr(dst, "_is_uninitialized", False):
                dst.materialize(arr.shape)  # type: ignore[attr-defined]
            dst._array[...] = arr
            dst._version += 1
        return IncompatibleKeys(missing, unexpected)

    # -- printing -------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr; override in layers."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _addindent(repr(child), 2)
            for name, child in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


class Sequential(Module):
    """Modules applied in order; the output of one is the input of the next.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    >>> len(model), type(model[0]).__name__, model(cr.zeros(1, 3)).shape
    (2, 'Linear', (1, 2))
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(str(name), module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input

    def _index(self, idx: int) -> int:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"{type(self).__name__}: index {idx} is out of range for {n} modules")
        return idx % n

    def __getitem__(self, idx: Any) -> Any:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(OrderedDict(items[idx]))
        return items[self._index(idx)][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[self._index(idx)]
        self.add_module(key, module)

    def __delitem__(self, idx: Any) -> None:
        keys = list(self._modules)
        doomed = keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]
        for key in doomed:
            del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (``0.weight``, ``1.weight``...).

    >>> import chainrule.nn as nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx: int) -> int:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"ModuleList: index {idx} is out of range for {n} modules")
        return idx % n

    def __getitem__(self, idx: Any) -> Any:
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(values[idx])
        return values[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(self._index(idx)), module)

    def __delitem__(self, idx: Any) -> None:
        values = list(self._modules.values())
        if isinstance(idx, slice):
            del values[idx]
        else:
            del values[self._index(idx)]
        self._modules.clear()
        for i, module in enumerate(values):
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        values = list(self._modules.values())
        values.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(values):
            self.add_module(str(i), m)
