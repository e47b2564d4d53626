"""Devices, layouts and memory formats: PyTorch's objects, on a library that runs on the CPU.

chainrule computes with NumPy, on the CPU. Programs written for PyTorch name devices
everywhere (``torch.device("cuda" if torch.cuda.is_available() else "cpu")``,
``x.to(device)``, ``zeros(..., device=device)``); here every such name works, the CPU
is the only device a tensor can be on, and asking for another one raises one line.

>>> import chainrule as cr
>>> cr.device("cpu"), str(cr.device("cuda", 1))
(device(type='cpu'), 'cuda:1')
>>> cr.zeros(2, device="cpu").device
device(type='cpu')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import LegacyTensorType, UnavailableDtype

__all__ = ["device", "UnavailableDeviceError", "as_device", "check_device", "CPU", "to_arguments",
           "get_default_device", "set_default_device", "memory_format", "contiguous_format",
           "preserve_format", "channels_last", "channels_last_3d", "layout", "strided",
           "check_layout", "check_memory_format"]

DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
"""The device types ``torch.device`` knows (in its order)."""


class UnavailableDeviceError(RuntimeError, AssertionError):
    """A tensor was asked to live on a device other than the CPU.

    A RuntimeError, and an AssertionError as PyTorch built without CUDA raises, so
    that either ``except`` of a ported program catches it.
    """


class device:
    """Where a tensor lives, as ``torch.device``: ``device("cpu")``, ``device("cuda:1")``,
    ``device("cuda", 1)``, or a device to copy.

    Any device type PyTorch knows can be named (so ``device("cuda")`` works as a value
    in a program); tensors can only be on the CPU. ``str`` gives ``'cpu'`` or
    ``'cuda:1'``; two devices are equal when type and index are.

    >>> device("cuda:0")
    device(type='cuda', index=0)
    >>> device("cpu") == device("cpu"), device("cpu") == device("cpu", 0)
    (True, False)
    """

    __slots__ = ("_type", "_index")
    _type: str
    _index: int | None

    def __init__(self, type: str | device | int,  # noqa: A002  (PyTorch's name)
                 index: int | None = None) -> None:
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): give an index only with a device type string")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, bool) or not isinstance(type, (str, int)):
            raise TypeError(f"device(): expected a string such as 'cpu' or 'cuda:0', got "
                            f"{type!r}")
        if isinstance(type, int):  # a bare index means the current accelerator's
            raise UnavailableDeviceError("Cannot access accelerator device when none is "
                                         "available: chainrule runs on the CPU only")
        name, colon, number = type.partition(":")
        if name not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start "
                               f"of device string: {type}")
        if colon:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index "
                                   f"was passed explicitly: {type}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device(): index must be an integer, got {index!r}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self._type = name
        self._index = index

    @property
    def type(self) -> str:  # noqa: A003  (PyTorch's name)
        """The device type: 'cpu', 'cuda', ..."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device's index within its type, or None when not given."""
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self) -> tuple:
        return (device, (self._type, self._index))

    def __enter__(self) -> device:
        """``with device("cpu"):`` is allowed (the CPU is already the default)."""
        check_device(self, "with device(...)")
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


CPU = device("cpu")
"""The one device chainrule computes on."""


def as_device(d: Any) -> device:
    """``d`` (a device, a string such as "cpu" or "cuda:0", or an index) as a :class:`device`."""
    return d if isinstance(d, device) else device(d)


def check_device(d: Any, where: str) -> None:
    """Accept ``d`` when it names the CPU (or is None); raise one line otherwise.

    >>> check_device("cuda", "zeros")
    Traceback (most recent call last):
    ...
    chainrule.devices.UnavailableDeviceError: zeros: device 'cuda' is not available: chainrule computes with NumPy on the CPU only; use device='cpu' or leave device out
    """  # noqa: E501
    if d is None:
        return
    if isinstance(d, device):
        dev = d
    else:
        try:
            dev = device(d)
        except UnavailableDeviceError as err:
            raise UnavailableDeviceError(f"{where}: {err}") from None
        except (RuntimeError, TypeError) as err:
            raise type(err)(f"{where}: {err}") from None
    if dev._type != "cpu":
        raise UnavailableDeviceError(
            f"{where}: device {str(dev)!r} is not available: chainrule computes with NumPy "
            f"on the CPU only; use device='cpu' or leave device out"
        )


def get_default_device() -> device:
    """The device new tensors are made on: always the CPU."""
    return CPU


def set_default_device(d: Any) -> None:
    """Accepts the CPU (or None); any other device raises, as no tensor can live there."""
    check_device(d, "set_default_device")


# ---------------------------------------------------------------------------
# Layouts and memory formats
# ---------------------------------------------------------------------------

class layout:
    """How a tensor's elements are stored: chainrule has ``strided`` (dense) tensors only."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"


strided = layout("strided")


def check_layout(value: Any, where: str) -> None:
    """Accept ``layout=None`` or ``chainrule.strided``; raise one line for any other layout."""
    if value is not None and value is not strided:
        raise RuntimeError(f"{where}: layout {value!r} is not supported: chainrule tensors are "
                           "dense (chainrule.strided)")


class memory_format:
    """The order of a tensor's elements in memory, as ``torch.memory_format``.

    chainrule's arrays are always in C (row-major) order, so every format is accepted
    and gives the same values; ``channels_last`` asks for a 4-d tensor, as in PyTorch.
    """

    __slots__ = ("name", "ndim")

    def __init__(self, name: str, ndim: int | None = None) -> None:
        self.name = name
        self.ndim = ndim

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last", 4)
channels_last_3d = memory_format("channels_last_3d", 5)


def check_memory_format(value: Any, ndim: int, where: str) -> None:
    """Accept a :class:`memory_format` that fits a tensor of ``ndim`` dims; raise otherwise."""
    if value is None:
        return
    if not isinstance(value, memory_format):
        raise TypeError(f"{where}: memory_format must be e.g. chainrule.contiguous_format, got "
                        f"{value!r}")
    if value.ndim is not None and value.ndim != ndim:
        raise RuntimeError(f"{where}: required rank {value.ndim} tensor to use {value.name} "
                           f"format, got a {ndim}-d tensor")


# ---------------------------------------------------------------------------
# The arguments of to()
# ---------------------------------------------------------------------------

def _is_dtype(x: Any) -> bool:
    """Whether a positional argument of ``to`` names a dtype (strings name devices)."""
    if isinstance(x, (np.dtype, UnavailableDtype, LegacyTensorType)):
        return True
    return isinstance(x, type) and (issubclass(x, np.generic)
                                    or x in (float, int, bool, complex))


def _is_device(x: Any) -> bool:
    return isinstance(x, (device, str)) or (isinstance(x, int) and not isinstance(x, bool))


_TO_KEYWORDS = frozenset(("device", "dtype", "non_blocking", "copy", "memory_format"))


def to_arguments(args: tuple, kwargs: dict) -> tuple[Any, Any, bool, Any]:
    """PyTorch's three signatures of ``to`` (``Tensor.to`` and ``Module.to``), read into
    ``(device, dtype, copy, memory_format)``: ``to(dtype)``, ``to(device, dtype=None)`` and
    ``to(other_tensor)``, each followed by ``non_blocking`` and ``copy``, or keywords.
    A string is a device (as in PyTorch); nothing is checked here but the shape of the call.

    >>> to_arguments(("cpu", np.float64), {})
    ('cpu', <class 'numpy.float64'>, False, None)
    """
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
    if len(rest) > 2 or any(not isinstance(a, bool) for a in rest):
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
    return dev, dtype, bool(flags.get("copy", False)), flags.get("memory_format")


def _describe(args: list) -> str:
    return ", ".join(repr(a) if not hasattr(a, "_array") else "a tensor" for a in args) or \
        "nothing"
