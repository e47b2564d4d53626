"""dtypes: PyTorch's names and rules, on NumPy's dtypes.

A chainrule dtype is a NumPy dtype (``chainrule.float32 is np.dtype("float32")``), so
``t.dtype is chainrule.float32`` holds as in PyTorch. Python floats become the default
floating dtype (float32 unless :func:`set_default_dtype` says otherwise), Python complex
numbers the matching complex dtype, Python ints int64, bools bool; NumPy arrays and
NumPy scalars keep their dtype (no silent upcast or downcast).

>>> as_dtype(float), as_dtype(int), as_dtype("float64")
(dtype('float32'), dtype('int64'), dtype('float64'))
>>> to_array([1.0, 2.0]).dtype, to_array(np.zeros(2)).dtype, to_array([2, 1 + 2j]).dtype
(dtype('float32'), dtype('float64'), dtype('complex64'))
>>> promote_types(int32, float16), can_cast(float64, int32)
(dtype('float16'), False)
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = ["DEFAULT_FLOAT", "as_dtype", "float_dtype", "to_array", "default_float",
           "default_complex", "get_default_dtype", "set_default_dtype", "UnavailableDtype",
           "LegacyTensorType", "LEGACY_TYPES", "legacy_name", "finfo", "iinfo",
           "promote_types", "result_type", "can_cast", "is_floating_point", "is_complex",
           "is_tensor", "dtype", "float16", "half", "float32", "float64", "double", "bfloat16",
           "uint8", "uint16", "uint32", "uint64", "int8", "int16", "short", "int32", "int64",
           "long", "bool_", "complex64", "cfloat", "complex128", "cdouble", "complex32", "chalf"]

# ---------------------------------------------------------------------------
# The dtypes, under PyTorch's names
# ---------------------------------------------------------------------------

dtype = np.dtype
"""The type of every chainrule dtype: ``isinstance(chainrule.float32, chainrule.dtype)``."""

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
complex64 = cfloat = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)

DEFAULT_FLOAT = float32
"""The default floating dtype chainrule starts with (PyTorch's); :func:`default_float`
gives the current one, which :func:`set_default_dtype` changes."""


class UnavailableDtype:
    """A PyTorch dtype that NumPy has no type for (bfloat16, complex32).

    It exists so that code naming it (``{"bfloat16": torch.bfloat16, ...}``) runs;
    making or converting a tensor to it raises one clear line.
    """

    __slots__ = ("name", "itemsize", "is_floating_point", "is_complex")

    def __init__(self, name: str, itemsize: int, is_complex: bool = False) -> None:
        self.name = name
        self.itemsize = itemsize
        self.is_complex = is_complex
        self.is_floating_point = not is_complex

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def refuse(self) -> TypeError:
        """The error to raise where this dtype is asked for."""
        return TypeError(
            f"chainrule.{self.name} is not available: NumPy has no {self.name} type; use "
            f"{'chainrule.complex64' if self.is_complex else 'chainrule.float16 or float32'}"
        )


bfloat16 = UnavailableDtype("bfloat16", 2)
complex32 = chalf = UnavailableDtype("complex32", 4, is_complex=True)

# ---------------------------------------------------------------------------
# The default floating dtype
# ---------------------------------------------------------------------------


class _Default:
    float_dtype: np.dtype = float32


def default_float() -> np.dtype:
    """The current default floating dtype (float32 unless :func:`set_default_dtype` changed it)."""
    return _Default.float_dtype


def default_complex() -> np.dtype:
    """The complex dtype that goes with the default floating dtype: complex128 with float64,
    complex64 otherwise (with float16, PyTorch's complex32, which NumPy lacks)."""
    return complex128 if _Default.float_dtype == float64 else complex64


def get_default_dtype() -> np.dtype:
    """The dtype of Python floats and of floating creation functions (float32 by default).

    >>> import chainrule as cr
    >>> cr.get_default_dtype()
    dtype('float32')
    """
    return _Default.float_dtype


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (float16, float32 or float64) the dtype of Python floats and creation functions.

    As in PyTorch, it also sets the dtype of Python complex numbers (complex128 with
    float64, complex64 otherwise); tensors already made keep their dtype.

    >>> import chainrule as cr
    >>> cr.set_default_dtype(cr.float64)
    >>> cr.tensor([1.5]).dtype, cr.zeros(2).dtype, cr.tensor(1j).dtype
    (dtype('float64'), dtype('float64'), dtype('complex128'))
    >>> cr.set_default_dtype(cr.float32)
    """
    dt = as_dtype(d)
    if dt is None or dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {d!r}; use chainrule.float32 or chainrule.float64")
    _Default.float_dtype = dt


# ---------------------------------------------------------------------------
# Reading a dtype argument
# ---------------------------------------------------------------------------

class LegacyTensorType(type):
    """The metaclass of ``chainrule.FloatTensor``, ``LongTensor``, ...: a class that stands for
    a dtype (``x.type(chainrule.LongTensor)``, ``isinstance(x, chainrule.FloatTensor)``)."""

    legacy_dtype: np.dtype | UnavailableDtype

    def __instancecheck__(cls, obj: Any) -> builtins.bool:
        array = getattr(obj, "_array", None)
        return isinstance(array, np.ndarray) and array.dtype == cls.legacy_dtype


LEGACY_TYPES: dict[str, np.dtype | UnavailableDtype] = {
    "FloatTensor": float32, "DoubleTensor": float64, "HalfTensor": float16,
    "BFloat16Tensor": bfloat16, "ByteTensor": uint8, "CharTensor": int8, "ShortTensor": int16,
    "IntTensor": int32, "LongTensor": int64, "BoolTensor": bool_,
}
"""PyTorch's legacy tensor type names and the dtype each stands for."""

_LEGACY_BY_DTYPE = {dt: name for name, dt in LEGACY_TYPES.items()}


def legacy_name(dt: np.dtype) -> str:
    """The type string of ``Tensor.type()`` for dtype ``dt``: 'torch.FloatTensor'."""
    name = _LEGACY_BY_DTYPE.get(dt)
    if name is None:  # complex and unsigned types have no legacy class; PyTorch names them so
        name = {"complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor",
                "uint16": "UInt16Tensor", "uint32": "UInt32Tensor",
                "uint64": "UInt64Tensor"}.get(dt.name, dt.name)
    return f"torch.{name}"


_SUPPORTED_KINDS = frozenset("biufc")


def as_dtype(d: Any) -> np.dtype | None:
    """A NumPy dtype for ``d``: a chainrule/NumPy dtype or type, a string such as "float64",
    Python's ``float``/``int``/``bool``/``complex``, or a legacy type (``chainrule.LongTensor``,
    "torch.LongTensor"); None stays None. Anything else raises one TypeError."""
    if d is None:
        return None
    if isinstance(d, np.dtype):
        if d.kind not in _SUPPORTED_KINDS:
            raise TypeError(f"dtype {d} is not supported: chainrule tensors hold booleans, "
                            "integers, floating-point or complex numbers")
        return d
    if d is builtins.float:
        return _Default.float_dtype
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if d is builtins.complex:
        return default_complex()
    if isinstance(d, UnavailableDtype):
        raise d.refuse()
    if isinstance(d, LegacyTensorType):
        return as_dtype(d.legacy_dtype)
    if isinstance(d, str):
        prefix, _, name = d.rpartition(".")
        if prefix in ("torch", "chainrule") and name in LEGACY_TYPES:
            return as_dtype(LEGACY_TYPES[name])
    try:
        dt = np.dtype(d)
    except TypeError:
        raise TypeError(f"{d!r} is not a dtype; use e.g. chainrule.float32 or chainrule.int64"
                        ) from None
    return as_dtype(dt)


def float_dtype(d: Any) -> np.dtype:
    """``d`` as a NumPy dtype, the default floating dtype when None."""
    return as_dtype(d) or _Default.float_dtype


# ---------------------------------------------------------------------------
# Data to arrays
# ---------------------------------------------------------------------------

def _plain(x: Any) -> Any:
    """The numbers behind a Tensor (its array) or a Scalar (its float); anything else as is."""
    array = getattr(x, "_array", None)
    if isinstance(array, np.ndarray):
        return array
    if hasattr(x, "_ctx") and isinstance(getattr(x, "data", None), builtins.float):
        return x.data
    return x


def _numpy_dtype_inside(data: Any, wide: np.dtype) -> builtins.bool:
    """True when a NumPy scalar or array of dtype ``wide`` is among the leaves of the nested
    lists ``data`` (then it, not the Python numbers around it, sets the dtype, as in
    PyTorch). Each list's element types are read with C-speed ``map``, so tensor() of long
    lists stays cheap."""
    stack = [data if type(data) in _CONTAINERS else [data]]
    arrays = False
    while stack:
        seq = stack.pop()
        kinds = set(map(type, seq))
        if kinds & _CONTAINERS:
            stack.extend(x for x in seq if type(x) in _CONTAINERS)
            kinds -= _CONTAINERS
        for kind in kinds:
            if issubclass(kind, np.generic) and np.dtype(kind) == wide:
                return True
            arrays = arrays or issubclass(kind, np.ndarray)
    if not arrays:
        return False
    stack = [data if type(data) in _CONTAINERS else [data]]
    while stack:
        seq = stack.pop()
        for x in seq:
            if type(x) in _CONTAINERS:
                stack.append(x)
            elif isinstance(x, np.ndarray) and x.dtype == wide:
                return True
    return False


_CONTAINERS = frozenset((list, tuple))
_PYTHON_NUMBERS = frozenset((builtins.float, builtins.int, builtins.bool, builtins.complex))


def to_array(data: Any, dtype: Any = None, copy: builtins.bool = True) -> np.ndarray:
    """An array from a number, a nested list, an array or a Tensor, with PyTorch's dtype rules."""
    dt = as_dtype(dtype)
    data = _plain(data)
    if isinstance(data, np.ndarray):
        if data.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(f"can't convert an array of dtype {data.dtype}: chainrule tensors "
                            "hold booleans, integers, floating-point or complex numbers")
        arr = data.astype(dt) if dt is not None else data
        return arr.copy() if copy and arr is data else arr
    python_numbers = type(data) in _PYTHON_NUMBERS
    if isinstance(data, (list, tuple)) and data:
        python_numbers = set(map(type, data)) <= _PYTHON_NUMBERS  # the common, fast case
        if not python_numbers:
            data = [_plain(d) for d in data]
    try:
        arr = np.array(data, dtype=dt)
    except (ValueError, TypeError) as err:
        raise type(err)(f"tensor(): can't make a tensor of this data: {err}") from None
    if dt is None:
        kind = arr.dtype.kind
        if kind not in _SUPPORTED_KINDS:
            raise TypeError(f"tensor(): can't make a tensor of {type(data).__name__} data "
                            f"(NumPy reads it as {arr.dtype}); give numbers")
        if kind in "fc" and not isinstance(data, np.generic):
            wide = arr.dtype
            if wide in (float64, complex128) and (python_numbers
                                                  or not _numpy_dtype_inside(data, wide)):
                # Python floats and complex numbers take the default dtype, as in PyTorch
                arr = arr.astype(_Default.float_dtype if kind == "f" else default_complex())
    return arr


# ---------------------------------------------------------------------------
# Facts about dtypes: finfo, iinfo, and what they promote and cast to
# ---------------------------------------------------------------------------

class finfo:
    """The numerical limits of a floating dtype, with PyTorch's fields.

    ``bits``, ``eps`` (the gap between 1 and the next number), ``max``, ``min``,
    ``tiny`` and ``smallest_normal`` (the smallest positive normal number),
    ``resolution`` (10 ** -precision) and ``dtype`` (its name). Without an
    argument, the default floating dtype; a complex dtype gives its parts' limits.

    >>> import chainrule as cr
    >>> cr.finfo(cr.float32).eps
    1.1920928955078125e-07
    >>> cr.finfo(cr.float16)
    finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)
    """  # noqa: E501

    bits: int
    eps: builtins.float
    max: builtins.float
    min: builtins.float
    tiny: builtins.float
    smallest_normal: builtins.float
    resolution: builtins.float
    dtype: str

    def __init__(self, type: Any = None) -> None:  # noqa: A002  (PyTorch's name)
        if type is bfloat16:  # NumPy has no bfloat16; its limits are fixed by the format
            self.bits, self.dtype, self.resolution = 16, "bfloat16", 0.01
            self.eps = 2.0 ** -7
            self.max = (2.0 - 2.0 ** -7) * 2.0 ** 127
            self.min = -self.max
            self.tiny = self.smallest_normal = 2.0 ** -126
            return
        dt = get_default_dtype() if type is None else _dtype_argument(type, "finfo")
        if dt.kind == "c":
            dt = np.dtype(f"f{dt.itemsize // 2}")
        if dt.kind != "f":
            raise TypeError(f"finfo() requires a floating point input type, got {dt}; use "
                            "chainrule.iinfo for integer types")
        info = np.finfo(dt)
        self.bits = int(info.bits)
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = dt.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The limits of an integer dtype, with PyTorch's fields: ``bits``, ``min``, ``max``, ``dtype``.

    >>> import chainrule as cr
    >>> cr.iinfo(cr.int32).max, cr.iinfo(cr.uint8)
    (2147483647, iinfo(min=0, max=255, dtype=uint8))
    """

    bits: int
    min: int
    max: int
    dtype: str

    def __init__(self, type: Any) -> None:  # noqa: A002  (PyTorch's name)
        dt = _dtype_argument(type, "iinfo")
        if dt.kind not in "iu":
            raise TypeError(f"iinfo() requires an integer input type, got {dt}; use "
                            "chainrule.finfo for floating types")
        info = np.iinfo(dt)
        self.bits, self.min, self.max, self.dtype = int(info.bits), int(info.min), \
            int(info.max), dt.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def _dtype_argument(d: Any, where: str) -> np.dtype:
    if getattr(d, "_array", None) is not None or isinstance(d, np.ndarray):
        raise TypeError(f"{where}() takes a dtype, not a tensor; pass tensor.dtype")
    dt = as_dtype(d)
    assert dt is not None
    return dt


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote(a: np.dtype | None, b: np.dtype | None) -> np.dtype | None:
    """PyTorch's promote_types on NumPy dtypes; None (no operand) gives the other."""
    if a is None:
        return b
    if b is None:
        return a
    ka, kb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ka == kb or ka + kb == 5:  # the same kind, or float with complex: NumPy agrees
        return np.promote_types(a, b)
    return a if ka > kb else b  # int32 with float16 is float16, unlike NumPy


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The smallest dtype that both ``type1`` and ``type2`` cast to without losing their kind.

    As ``torch.promote_types``: a floating dtype beats any integer one (int64 with
    float16 is float16, where NumPy says float64); within a kind, the wider.

    >>> import chainrule as cr
    >>> cr.promote_types(cr.uint8, cr.int8), cr.promote_types(cr.float64, cr.complex64)
    (dtype('int16'), dtype('complex128'))
    """
    a, b = as_dtype(type1), as_dtype(type2)
    if a is None or b is None:
        raise TypeError("promote_types() takes two dtypes")
    result = _promote(a, b)
    assert result is not None
    return result


def _to_complex(dt: np.dtype) -> np.dtype:
    return complex128 if dt == float64 else complex64


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's combine_categories: a result from a higher-priority group of operands
    (tensors with dims > 0-d tensors > Python numbers) wins unless a lower one has a
    higher kind."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "c":
        return higher
    if lower.kind == "c":
        return _to_complex(higher) if higher.kind == "f" else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def _number_dtype(x: Any) -> np.dtype:
    if isinstance(x, (builtins.bool, np.bool_)):
        return bool_
    if isinstance(x, (builtins.int, np.integer)):
        return int64
    if isinstance(x, (builtins.float, np.floating)):
        return _Default.float_dtype
    if isinstance(x, (builtins.complex, np.complexfloating)):
        return default_complex()
    raise TypeError(f"result_type() takes tensors and numbers, got {type(x).__name__}")


def result_type(tensor1: Any, tensor2: Any) -> np.dtype:
    """The dtype of an arithmetic op on ``tensor1`` and ``tensor2`` (tensors or numbers).

    As ``torch.result_type``: a tensor with dims sets the dtype unless the other operand
    is of a higher kind (bool < integer < floating < complex); a 0-d tensor in turn
    beats a Python number of the same kind; Python floats count as the default dtype.

    >>> import chainrule as cr
    >>> cr.result_type(cr.tensor([1, 2], dtype=cr.int8), 1000)
    dtype('int8')
    >>> cr.result_type(cr.tensor([1.0], dtype=cr.float16), cr.tensor(1.0, dtype=cr.float64))
    dtype('float16')
    >>> cr.result_type(cr.tensor([1, 2]), 1.0)
    dtype('float32')
    """
    dims = zero = wrapped = None
    for x in (tensor1, tensor2):
        array = getattr(x, "_array", None)
        if isinstance(array, np.ndarray):
            if array.ndim:
                dims = _promote(dims, array.dtype)
            else:
                zero = _promote(zero, array.dtype)
        else:
            wrapped = _promote(wrapped, _number_dtype(x))
    result = _combine(dims, _combine(zero, wrapped))
    assert result is not None
    return result


def can_cast(from_: Any, to: Any) -> builtins.bool:
    """Whether PyTorch's type promotion allows casting ``from_`` to ``to`` (as ``torch.can_cast``).

    Not to a lower kind: complex to real, floating to integer, anything else to bool;
    any cast within a kind or up is allowed (int64 to uint8 too).

    >>> import chainrule as cr
    >>> cr.can_cast(cr.float64, cr.int32), cr.can_cast(cr.int64, cr.float16)
    (False, True)
    """
    a, b = as_dtype(from_), as_dtype(to)
    if a is None or b is None:
        raise TypeError("can_cast() takes two dtypes")
    return _CATEGORY[a.kind] <= _CATEGORY[b.kind]


def _tensor_argument(x: Any, where: str) -> np.ndarray:
    array = getattr(x, "_array", None)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{where}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    return array


def is_floating_point(input: Any) -> builtins.bool:  # noqa: A002  (PyTorch's name)
    """True when ``input`` is a tensor of a floating dtype (float16, float32, float64)."""
    return _tensor_argument(input, "is_floating_point").dtype.kind == "f"


def is_complex(input: Any) -> builtins.bool:  # noqa: A002  (PyTorch's name)
    """True when ``input`` is a tensor of a complex dtype."""
    return _tensor_argument(input, "is_complex").dtype.kind == "c"


def is_tensor(obj: Any) -> builtins.bool:
    """True when ``obj`` is a chainrule Tensor (or a subclass, such as a Parameter)."""
    from .tensor import Tensor  # dtypes sits below tensor: look it up when asked

    return isinstance(obj, Tensor)
