"""Lazy modules: layers whose input size is read from the first input they see.

``LazyLinear(out_features)`` holds an :class:`UninitializedParameter` until its first call,
which takes ``in_features`` from the input's last dim, gives the weight its shape, draws
it as ``Linear`` does, and turns the module into a plain ``Linear``, as in PyTorch. Loading
a state dict into a lazy module gives its parameters the loaded shapes.

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> fc = nn.LazyLinear(4)
>>> fc
LazyLinear(in_features=0, out_features=4, bias=True)
>>> fc(cr.zeros(2, 7)).shape, fc
((2, 4), Linear(in_features=7, out_features=4, bias=True))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..devices import check_device
from ..graph import no_grad
from ..tensor import Tensor
from .conv import Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .functional._checks import _desc, _tensor
from .layers import BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Linear, _dtype
from .normalization import BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .parameter import Parameter

__all__ = [
    "UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
    "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
]


class _Uninitialized:
    """A tensor without a shape yet; :meth:`materialize` gives it one (and its final class)."""

    __slots__ = ()
    cls_to_become: type = Tensor
    _is_uninitialized = True
    _array: np.ndarray
    _version: int
    requires_grad: bool

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor ``shape`` (its values are then to be filled by the owner)."""
        check_device(device, f"{type(self).__name__}.materialize")
        shape = (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)
        dt = self._array.dtype if dtype is None else np.dtype(dtype)
        self._array = np.zeros(shape, dtype=dt)  # type: ignore[misc]
        self._version += 1  # type: ignore[misc]
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo: dict) -> Any:
        if id(self) not in memo:
            remake: Any = type(self)
            memo[id(self)] = remake(self.requires_grad, dtype=self._array.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return (_remake, (type(self), self.requires_grad, self._array.dtype.str))


def _remake(cls: type, requires_grad: bool, dtype: str) -> Any:
    return cls(requires_grad, dtype=np.dtype(dtype))


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape a lazy module sets on its first call.

    >>> import chainrule.nn as nn
    >>> p = nn.UninitializedParameter()
    >>> p.materialize((2, 3))
    >>> type(p).__name__, p.shape
    ('Parameter', (2, 3))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        check_device(device, "UninitializedParameter")
        dt = _dtype(dtype)
        super().__init__(np.zeros((0,), dtype=dt), requires_grad)


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape a lazy module sets on its first call.

    >>> import chainrule.nn as nn
    >>> b = nn.UninitializedBuffer()
    >>> b.materialize(3)
    >>> type(b).__name__, b.shape
    ('Tensor', (3,))
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        check_device(device, "UninitializedBuffer")
        dt = _dtype(dtype)
        super().__init__(np.zeros((0,), dtype=dt), requires_grad=requires_grad)


class LazyModuleMixin:
    """Shapes the module's uninitialized parameters and buffers from its first input
    (``initialize_parameters``), then turns it into ``cls_to_become``."""

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        """Whether some parameter or buffer still waits for its shape."""
        stores = (self._parameters.values(), self._buffers.values())  # type: ignore[attr-defined]
        return any(isinstance(t, _Uninitialized) for store in stores for t in store)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__}: initialize_parameters is not "
                                  "implemented")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with no_grad():
            self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"{type(self).__name__}: module parameters are still "
                               "uninitialized after initialize_parameters")
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become
        return self(*args, **kwargs)


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`~chainrule.nn.Linear` whose ``in_features`` is the last dim of its first
    input.

    >>> import chainrule as cr, chainrule.nn as nn
    >>> nn.LazyLinear(3, bias=False)(cr.ones(5, 2)).shape
    (5, 3)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, False, device=device, dtype=dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> None:
        input = _tensor(input, "LazyLinear")
        if input.ndim == 0:
            raise ValueError(f"LazyLinear({self.out_features}): expected an input with a "
                             f"last dim to take in_features from, got {_desc(input)}")
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))  # type: ignore[attr-defined]
            if self.bias is not None:
                self.bias.materialize((self.out_features,))  # type: ignore[attr-defined]
            self.reset_parameters()
        self.in_features = self.weight.shape[1]


class _LazyConvMixin(LazyModuleMixin):
    _dims = 2
    groups: int
    kernel_size: tuple
    in_channels: int
    out_channels: int
    weight: Any
    bias: Any
    reset_parameters: Any

    def _lazy_init(self, out_channels: int, bias: bool, dtype: Any) -> None:
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        input = _tensor(input, name)
        d = self._dims
        if input.ndim not in (d + 1, d + 2):
            raise ValueError(f"{name}: expected a {d + 2}-d input (N, C, ...) or an unbatched "
                             f"{d + 1}-d one, got {_desc(input)}")
        if self.has_uninitialized_params():
            self.in_channels = input.shape[1] if input.ndim == d + 2 else input.shape[0]
            if self.in_channels % self.groups:
                raise ValueError(f"{name}: in_channels ({self.in_channels}) must be divisible "
                                 f"by groups ({self.groups})")
            if getattr(self, "transposed", False):
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + self.kernel_size)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()
        w = self.weight.shape
        self.in_channels = w[0] if getattr(self, "transposed", False) else w[1] * self.groups


def _lazy_conv(base: type, dims: int, transposed: bool) -> type:
    """The lazy twin of a convolution layer: the same arguments but ``in_channels``."""

    base_init: Any = base.__init__  # type: ignore[misc]

    def init_transposed(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                        padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                        bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
                        device: Any = None, dtype: Any = None) -> None:
        base_init(self, groups, groups, kernel_size, stride, padding, output_padding, groups,
                  False, dilation, padding_mode, device=device, dtype=dtype)
        self.in_channels = 0
        self._lazy_init(out_channels, bias, dtype)

    def init_plain(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                   padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        base_init(self, groups, groups, kernel_size, stride, padding, dilation, groups, False,
                  padding_mode, device=device, dtype=dtype)
        self.in_channels = 0
        self._lazy_init(out_channels, bias, dtype)

    name = "Lazy" + base.__name__
    doc = (f"A :class:`~chainrule.nn.{base.__name__}` whose ``in_channels`` is read from its "
           f"first input (dim 1, or dim 0 unbatched).\n\n"
           f"    >>> import chainrule.nn as nn\n"
           f"    >>> nn.{name}(4, 3).in_channels\n"
           f"    0\n")
    return type(name, (_LazyConvMixin, base), {
        "__init__": init_transposed if transposed else init_plain, "__doc__": doc,
        "cls_to_become": base, "_dims": dims,
        "__module__": __name__, "__qualname__": name})


LazyConv1d = _lazy_conv(Conv1d, 1, False)
LazyConv2d = _lazy_conv(Conv2d, 2, False)
LazyConv3d = _lazy_conv(Conv3d, 3, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, 1, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, 2, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, 3, True)


class _LazyNormMixin(LazyModuleMixin):
    weight: Any
    bias: Any
    running_mean: Any
    running_var: Any
    num_features: int
    num_batches_tracked: Any
    affine: bool
    track_running_stats: bool
    def _lazy_init(self, affine: bool, track_running_stats: bool, bias: bool,
                   dtype: Any) -> None:
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = Tensor(np.array(0, dtype=np.int64))

    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        input = _tensor(input, name)
        if input.ndim < 2:
            raise ValueError(f"{name}: expected an input with channels in dim 1, got "
                             f"{_desc(input)}")
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            n = self.num_features
            with no_grad():
                if self.affine:
                    self.weight.materialize((n,))
                    self.weight._array[...] = 1
                    if self.bias is not None:
                        self.bias.materialize((n,))
                if self.track_running_stats:
                    self.running_mean.materialize((n,))
                    self.running_var.materialize((n,))
                    self.running_var._array[...] = 1
        for t in (self.weight, self.running_mean):
            if t is not None:
                self.num_features = t.shape[0]


def _lazy_norm(base: type, affine: bool, track: bool) -> type:
    """The lazy twin of a normalisation layer: the same arguments but ``num_features``."""
    base_init: Any = base.__init__  # type: ignore[misc]

    def __init__(self: Any, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = affine, track_running_stats: bool = track, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        base_init(self, 0, eps, momentum, False, False, device=device, dtype=dtype)
        self._lazy_init(affine, track_running_stats, bias, dtype)

    name = "Lazy" + base.__name__
    doc = (f"A :class:`~chainrule.nn.{base.__name__}` whose ``num_features`` is read from "
           f"its first input (dim 1).\n\n"
           f"    >>> import chainrule.nn as nn\n"
           f"    >>> nn.{name}().num_features\n"
           f"    0\n")
    return type(name, (_LazyNormMixin, base), {
        "__init__": __init__, "__doc__": doc, "cls_to_become": base,
        "__module__": __name__, "__qualname__": name})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d, True, True)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, True, True)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, True, True)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, True, True)  # PyTorch: both on
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, True, True)  # PyTorch: both on
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, True, True)  # PyTorch: both on
