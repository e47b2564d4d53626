"""dtype and device methods of Tensor: ``to``, ``type``, ``float()``/``long()``/..., ``cpu()``,
``device``, ``is_cuda``, ``element_size()``, ...

Casts between floating dtypes are differentiable (:class:`chainrule.ops.elementwise.Cast`);
casts to integer or bool give tensors outside the graph, as in PyTorch. The CPU is the
only device: ``to("cpu")`` and ``cpu()`` return the tensor itself, and any other device
raises one line.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import numpy as np

from ..devices import (
    CPU,
    UnavailableDeviceError,
    check_device,
    check_memory_format,
    device,
)
from ..dtypes import LegacyTensorType, UnavailableDtype, as_dtype, bfloat16, legacy_name
from ..graph import _mode
from ..ops.elementwise import Cast
from ..ops.shape import Clone
from ..tensor import _apply
from ._base import TensorBase

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["DtypeMethods"]


def _is_dtype(x: Any) -> builtins.bool:
    """Whether a positional argument of ``to`` names a dtype (strings name devices)."""
    if isinstance(x, (np.dtype, UnavailableDtype, LegacyTensorType)):
        return True
    return isinstance(x, builtins.type) and (issubclass(x, np.generic)
                                             or x in (builtins.float, builtins.int,
                                                      builtins.bool, builtins.complex))


def _is_device(x: Any) -> builtins.bool:
    return isinstance(x, (device, str)) or (isinstance(x, builtins.int)
                                            and not isinstance(x, builtins.bool))


_TO_KEYWORDS = frozenset(("device", "dtype", "non_blocking", "copy", "memory_format"))


def _to_arguments(self: Any, args: tuple, kwargs: dict) -> tuple[Any, Any, builtins.bool, Any]:
    """PyTorch's three signatures of ``to``, read into (device, dtype, copy, memory_format)."""
    unknown = set(kwargs) - _TO_KEYWORDS
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    rest = list(args)
    dev = dtype = None
    if rest and getattr(rest[0], "_array", None) is not None:  # to(other, ...)
        other = rest.pop(0)
        if "dtype" in kwargs or "device" in kwargs:
            raise TypeError("to(other): the dtype and device come from the other tensor; "
                            "don't pass dtype= or device= too")
        dtype = other.dtype
    else:
        if rest and _is_device(rest[0]):
            dev = rest.pop(0)
        if rest and _is_dtype(rest[0]):
            dtype = rest.pop(0)
    if len(rest) > 2 or any(not isinstance(a, builtins.bool) for a in rest):
        raise TypeError("to() takes a dtype, a device, both, or another tensor, then "
                        f"non_blocking and copy (bools); got {_describe(rest)}")
    flags = dict(zip(("non_blocking", "copy"), rest))
    for name, value in kwargs.items():
        if name in flags or (name == "dtype" and dtype is not None) \
                or (name == "device" and dev is not None):
            raise TypeError(f"to() got multiple values for argument {name!r}")
        flags[name] = value
    dev = flags.get("device", dev)
    dtype = flags.get("dtype", dtype)
    return dev, dtype, builtins.bool(flags.get("copy", False)), flags.get("memory_format")


def _describe(args: list) -> str:
    return ", ".join(repr(a) if not hasattr(a, "_array") else "a tensor" for a in args) or \
        "nothing"


class DtypeMethods(TensorBase):
    """to, type, cpu/cuda, the cast shorthands (float, long, ...) and dtype/device facts."""

    __slots__ = ()

    # -- moving and casting -------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """This tensor with another dtype and/or device, as ``torch.Tensor.to``.

        ``to(dtype)``, ``to(device, dtype=None)``, ``to(other_tensor)`` (its dtype), each
        with ``non_blocking`` and ``copy``; or keywords ``device=``, ``dtype=``,
        ``memory_format=``. Returns the tensor itself when nothing changes, unless
        ``copy=True``. The device must be the CPU.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.5, -2.5])
        >>> x.to("cpu") is x, x.to("cpu", cr.int64)
        (True, tensor([ 1, -2]))
        """
        dev, dtype, copy, fmt = _to_arguments(self, args, kwargs)
        check_device(dev, "to")
        check_memory_format(fmt, self.ndim, "to")
        dt = as_dtype(dtype)
        if dt is None or dt == self.dtype:
            return _apply(Clone, (self,), {}) if copy else self  # type: ignore[return-value]
        return self._cast(dt, "to")

    def _cast(self, dt: np.dtype, where: str) -> Tensor:
        """This tensor in dtype ``dt``: recorded between floating dtypes, outside the graph
        otherwise (as PyTorch: an integer result has no gradient)."""
        if self.requires_grad and _mode.enabled:
            if dt.kind == "f":
                return _apply(Cast, (self,), {"dtype": dt})
            if dt.kind == "c":
                raise TypeError(f"{where}: can't cast a tensor that requires grad to {dt}: "
                                "chainrule does not differentiate complex numbers; cast "
                                "x.detach() if no gradient is needed")
        from ..tensor import Tensor  # the class being defined with these methods

        return Tensor(self._array.astype(dt))

    def type(self, dtype: Any = None, non_blocking: builtins.bool = False,  # noqa: A003
             **kwargs: Any) -> Any:
        """With no dtype, PyTorch's type string ('torch.FloatTensor'); otherwise this tensor
        in ``dtype`` (itself when it already is). ``dtype`` may be a dtype, a legacy type
        (``chainrule.LongTensor``) or its string ('torch.LongTensor').

        >>> import chainrule as cr
        >>> x = cr.tensor([1.5])
        >>> x.type(), x.type(cr.float64).dtype
        ('torch.FloatTensor', dtype('float64'))
        """
        if dtype is None:
            return legacy_name(self.dtype)
        dt = as_dtype(dtype)
        assert dt is not None
        if dt == self.dtype:
            return self
        return self._cast(dt, "type")

    def cpu(self, memory_format: Any = None) -> Tensor:
        """This tensor on the CPU: the tensor itself (chainrule's tensors are all there)."""
        check_memory_format(memory_format, self.ndim, "cpu")
        return self  # type: ignore[return-value]

    def cuda(self, device: Any = None, non_blocking: builtins.bool = False,
             memory_format: Any = None) -> Tensor:
        """Refused with one line: chainrule has no CUDA (use ``cpu()`` or leave it out)."""
        raise UnavailableDeviceError("cuda(): CUDA is not available: chainrule computes with "
                                     "NumPy on the CPU only; use .cpu() or .to('cpu')")

    def pin_memory(self, device: Any = None) -> Tensor:
        """The tensor itself: pinned memory speeds up copies to a GPU, which chainrule has none
        of. (PyTorch without an accelerator raises here; chainrule accepts it, so that
        ``pin_memory=True`` code runs.)"""
        return self  # type: ignore[return-value]

    def is_pinned(self, device: Any = None) -> builtins.bool:
        """False: chainrule's tensors are in ordinary (pageable) memory."""
        return False

    # -- where the tensor is ------------------------------------------------------
    @property
    def device(self) -> device:
        """Where the tensor is: always ``device(type='cpu')``."""
        return CPU

    @property
    def is_cuda(self) -> builtins.bool:
        """False: chainrule's tensors are on the CPU."""
        return False

    @property
    def is_cpu(self) -> builtins.bool:
        """True: chainrule's tensors are on the CPU."""
        return True

    @property
    def is_mps(self) -> builtins.bool:
        return False

    @property
    def is_meta(self) -> builtins.bool:
        return False

    def get_device(self) -> builtins.int:
        """-1, PyTorch's answer for a CPU tensor."""
        return -1

    # -- facts about the dtype ----------------------------------------------------
    def is_floating_point(self) -> builtins.bool:
        """True for float16, float32 and float64 tensors."""
        return builtins.bool(self._array.dtype.kind == "f")

    def is_complex(self) -> builtins.bool:
        """True for complex64 and complex128 tensors."""
        return builtins.bool(self._array.dtype.kind == "c")

    def is_signed(self) -> builtins.bool:
        """True unless the dtype is unsigned or bool (as PyTorch, complex counts as signed)."""
        return builtins.bool(self._array.dtype.kind in "ifc")

    def element_size(self) -> builtins.int:
        """Bytes per element (4 for float32)."""
        return builtins.int(self._array.itemsize)

    @property
    def itemsize(self) -> builtins.int:
        """Bytes per element (4 for float32)."""
        return builtins.int(self._array.itemsize)

    @property
    def nbytes(self) -> builtins.int:
        """Bytes the elements take."""
        return builtins.int(self._array.nbytes)

    # -- the cast shorthands (last: their names shadow builtins in this class) ------
    def float(self, memory_format: Any = None) -> Tensor:  # noqa: A003
        """This tensor as float32."""
        return self.type(np.float32)

    def double(self, memory_format: Any = None) -> Tensor:
        """This tensor as float64."""
        return self.type(np.float64)

    def half(self, memory_format: Any = None) -> Tensor:
        """This tensor as float16."""
        return self.type(np.float16)

    def bfloat16(self, memory_format: Any = None) -> Tensor:
        """Refused with one line: NumPy has no bfloat16."""
        return self.type(bfloat16)

    def long(self, memory_format: Any = None) -> Tensor:
        """This tensor as int64."""
        return self.type(np.int64)

    def int(self, memory_format: Any = None) -> Tensor:  # noqa: A003
        """This tensor as int32."""
        return self.type(np.int32)

    def short(self, memory_format: Any = None) -> Tensor:
        """This tensor as int16."""
        return self.type(np.int16)

    def char(self, memory_format: Any = None) -> Tensor:
        """This tensor as int8."""
        return self.type(np.int8)

    def byte(self, memory_format: Any = None) -> Tensor:
        """This tensor as uint8 (negative values wrap around, as in PyTorch)."""
        return self.type(np.uint8)

    def cfloat(self, memory_format: Any = None) -> Tensor:
        """This tensor as complex64."""
        return self.type(np.complex64)

    def cdouble(self, memory_format: Any = None) -> Tensor:
        """This tensor as complex128."""
        return self.type(np.complex128)

    def bool(self, memory_format: Any = None) -> Tensor:  # noqa: A003
        """This tensor as bool (nonzero is True)."""
        return self.type(np.bool_)
