"""What every method group may use of a Tensor, for the type checker."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["TensorBase"]


class TensorBase:
    """The attributes, properties, operators and methods of :class:`chainrule.Tensor` that
    one method group uses from another, declared for the type checker (no slots, no
    code: Tensor provides them, and mypy checks that its signatures agree)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _array: np.ndarray
        requires_grad: bool

        @property
        def shape(self) -> tuple[int, ...]: ...

        @property
        def ndim(self) -> int: ...

        @property
        def dtype(self) -> np.dtype: ...

        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def maximum(self, other: Any) -> Tensor: ...
        def minimum(self, other: Any) -> Tensor: ...
        def squeeze(self, dim: Any = None) -> Tensor: ...
        def type(self, dtype: Any = None, non_blocking: bool = False,  # noqa: A003
                 **kwargs: Any) -> Any: ...
        def _inplace(self, compute: Callable[[Tensor], Tensor], name: str,
                     others: tuple = ()) -> Tensor: ...
