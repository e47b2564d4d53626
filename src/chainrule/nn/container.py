"""Containers beside Sequential and ModuleList: ModuleDict, ParameterList, ParameterDict.

Each registers what it holds under its key, so ``state_dict`` keys and
``named_parameters`` read as in PyTorch (``heads.cls.weight``, ``scales.0``).

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 2)})
>>> sorted(heads.state_dict())
['box.bias', 'box.weight', 'cls.bias', 'cls.weight']
>>> scales = nn.ParameterList([nn.Parameter(cr.ones(2)) for _ in range(2)])
>>> list(scales.state_dict())
['0', '1']
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..tensor import Tensor
from .module import Module
from .parameter import Parameter

__all__ = ["ModuleDict", "ParameterList", "ParameterDict"]


def _pairs(values: Any, who: str) -> Iterator[tuple]:
    """(key, value) pairs from a mapping or an iterable of pairs."""
    if isinstance(values, (OrderedDict, ModuleDict, ParameterDict)) or \
            isinstance(values, Mapping):
        yield from values.items()
        return
    if not isinstance(values, Iterable):
        raise TypeError(f"{who}.update should be called with an iterable of key/value pairs, "
                        f"but got {type(values).__name__}")
    for i, pair in enumerate(values):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{who}.update: element #{i} should be a key/value pair (a tuple or "
                            f"list of length 2), got {pair!r}")
        yield pair[0], pair[1]


class ModuleDict(Module):
    """A dict of modules, registered under their keys (insertion order kept).

    >>> import chainrule.nn as nn
    >>> acts = nn.ModuleDict({"relu": nn.ReLU()})
    >>> acts["tanh"] = nn.Tanh()
    >>> list(acts.keys()), "relu" in acts, len(acts)
    (['relu', 'tanh'], True, 2)
    """

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def update(self, modules: Any) -> None:
        """Add (or replace) modules from a mapping or an iterable of (key, module) pairs."""
        for key, module in _pairs(modules, "ModuleDict"):
            self[key] = module


def _param_line(key: Any, p: Any) -> str:
    if isinstance(p, Tensor):
        size = "x".join(str(n) for n in p.shape)
        kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
        return f"({key}): {kind} containing: [{p.dtype.name} of size {size}]"
    return f"({key}): Object of type: {type(p).__name__}"


class ParameterList(Module):
    """A list of parameters, registered as ``"0"``, ``"1"``, ...; a plain Tensor added to
    it becomes a :class:`Parameter`.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> ps = nn.ParameterList([cr.zeros(2, 3)])
    >>> ps.append(nn.Parameter(cr.ones(4)))
    ParameterList(
        (0): Parameter containing: [float32 of size 2x3]
        (1): Parameter containing: [float32 of size 4]
    )
    >>> [tuple(p.shape) for p in ps]
    [(2, 3), (4,)]
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self += values

    def _index(self, idx: int) -> int:
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"ParameterList: index {idx} is out of range for {n} parameters")
        return idx % n

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(self._index(idx)))

    def __setitem__(self, idx: int, param: Any) -> None:
        key = str(self._index(idx))
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        if key in self._parameters and (param is None or isinstance(param, Parameter)):
            self._parameters[key] = param  # replaced in place: the order is kept
        elif isinstance(param, Parameter):
            self.register_parameter(key, param)
        else:
            setattr(self, key, param)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def __dir__(self) -> list:
        return [k for k in super().__dir__() if not k.isdigit()]

    def append(self, value: Any) -> ParameterList:
        """Add one parameter at the end; returns the list."""
        object.__setattr__(self, "_size", self._size + 1)
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add parameters at the end; returns the list."""
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join("  " + _param_line(k, p) for k, p in enumerate(self))


class ParameterDict(Module):
    """A dict of parameters, registered under their keys; a plain Tensor becomes a
    :class:`Parameter`.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> pd = nn.ParameterDict({"scale": nn.Parameter(cr.ones(3))})
    >>> pd["shift"] = cr.zeros(3)
    >>> list(pd.state_dict()), type(pd["shift"]).__name__
    (['scale', 'shift'], 'Parameter')
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        if key in self._parameters and (value is None or isinstance(value, Parameter)):
            self._parameters[key] = value  # replaced in place: the order is kept
        elif isinstance(value, Parameter):
            self.register_parameter(key, value)
        else:
            setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._keys))

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple:
        key = list(self._keys)[-1]
        value = self[key]
        del self[key]
        return key, value

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> Iterable[str]:
        return self._keys.keys()

    def items(self) -> Iterable[tuple]:
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterable[Any]:
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        """Add (or replace) parameters from a mapping or an iterable of (key, value) pairs."""
        for key, value in _pairs(parameters, "ParameterDict"):
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join("  " + _param_line(k, p) for k, p in self.items())

    def __or__(self, other: ParameterDict) -> ParameterDict:
        out = self.copy()
        out.update(other)
        return out

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self
