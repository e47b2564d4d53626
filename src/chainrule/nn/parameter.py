"""Parameter: a Tensor that a Module registers as something to train; Buffer: one it
registers as state (saved in ``state_dict`` unless ``persistent=False``, never trained).

>>> import chainrule.nn as nn
>>> p = nn.Parameter([1.0, 2.0])
>>> p.requires_grad, p.dtype
(True, dtype('float32'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import default_float
from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor with ``requires_grad=True`` that a :class:`Module` picks up on assignment.

    ``Parameter(t)`` shares ``t``'s memory, as in PyTorch; a list or a float array
    is taken as it is (Python floats become the default dtype, float32 unless set).
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=default_float())
        elif isinstance(data, Tensor):
            data = data._array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self._array.copy(), requires_grad=self.requires_grad)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return (Parameter, (self._array, self.requires_grad))


class Buffer(Tensor):
    """A Tensor that a :class:`Module` registers as a buffer when assigned to it, as
    ``register_buffer(name, tensor, persistent)`` does.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> m = nn.Module()
    >>> m.steps = nn.Buffer(cr.tensor(0))
    >>> m.scratch = nn.Buffer(cr.zeros(2), persistent=False)
    >>> list(m.state_dict()), [name for name, _ in m.named_buffers()]
    (['steps'], ['steps', 'scratch'])
    """

    __slots__ = ("persistent",)

    def __init__(self, data: Any = None, *, persistent: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        requires_grad = isinstance(data, Tensor) and data.requires_grad
        if isinstance(data, Tensor):
            data = data._array
        super().__init__(data, requires_grad=requires_grad)
        self.persistent = persistent
