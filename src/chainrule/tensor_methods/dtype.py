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
    to_arguments,
)
from ..dtypes import as_dtype, bfloat16, legacy_name
from ..graph import _mode
from ..ops.elementwise import Cast
from ..ops.shape import Clone
from ..tensor import _apply
from ._base import TensorBase

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["DtypeMethods"]


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
        dev, dtype, copy, fmt = to_arguments(args, kwargs)
        check_device(dev, "to")
        check_memory_format(fmt, self.ndim, "to")
        dt = as_dtype(dtype)
        if dt is None or dt == self.dtype:
            return _apply(Clone, (self,)) if copy else self  # type: ignore[return-value]
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
        """False: chainrule's tensors live in NumPy arrays, never on Apple's GPU."""
        return False

    @property
    def is_meta(self) -> builtins.bool:
        """False: every chainrule tensor holds data (PyTorch's meta tensors hold none)."""
        return False

    def get_device(self) -> builtins.int:
        """-1, PyTorch's answer for a CPU tensor."""
        return -1

    def __index__(self) -> builtins.int:
        """A one-element integer tensor as a Python int wherever an index is expected
        (``data[i:i + n]``, ``range(t)``), as in PyTorch."""
        if self._array.size != 1 or self._array.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors of a single element can be converted to an "
                            f"index, got shape {self._array.shape} and dtype {self._array.dtype}")
        return builtins.int(self._array.reshape(()).item())

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
