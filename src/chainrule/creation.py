"""Making Tensors: from data, filled, ranges, grids and random draws, with PyTorch's names,
arguments and defaults.

Every function takes PyTorch's keywords: ``dtype=`` (floating results take the default
dtype, :func:`chainrule.get_default_dtype`), ``device=`` (the CPU only: chainrule
computes with NumPy), ``layout=``, ``requires_grad=`` and, where PyTorch has it,
``out=`` (the result is written into that tensor, resized if needed) and
``generator=`` (a :class:`chainrule.Generator`; the default one otherwise, which
:func:`chainrule.manual_seed` seeds). Random draws are made in the result's dtype.

>>> import chainrule as cr
>>> cr.tensor([1.0, 2.0]).dtype
dtype('float32')
>>> cr.zeros(2, 3, device="cpu").shape
(2, 3)
>>> cr.linspace(0, 1, 5)
tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .devices import check_device, check_layout, check_memory_format
from .dtypes import (
    LEGACY_TYPES,
    LegacyTensorType,
    UnavailableDtype,
    as_dtype,
    default_complex,
    default_float,
    to_array,
)
from .graph import _mode
from .random import (
    Generator,
    draw_normal,
    draw_uniform,
    get_rng_state,
    initial_seed,
    manual_seed,
    numpy_generator,
    seed,
    set_rng_state,
)
from .random import default_generator as _default
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "eye", "arange", "linspace", "logspace", "meshgrid", "zeros_like", "ones_like",
           "empty_like", "full_like", "rand", "randn", "randint", "randperm", "rand_like",
           "randn_like", "randint_like", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "Generator", "default_generator", "FloatTensor", "DoubleTensor",
           "HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor", "ShortTensor",
           "IntTensor", "LongTensor", "BoolTensor"]

_Generator = _default
"""The default generator; :func:`chainrule.checkpoint` swaps its ``rng`` to replay a forward."""


def default_generator() -> np.random.Generator:
    """The NumPy Generator behind chainrule's default generator, for the modules that draw
    with NumPy directly (nn.init, dropout, data, train); reseeding replaces it, so call
    this at each draw. The :class:`chainrule.Generator` itself is
    ``chainrule.random.default_generator``."""
    return _default.rng


# ---------------------------------------------------------------------------
# The arguments every creation function takes
# ---------------------------------------------------------------------------

def _size(size: Sequence[Any], where: str, keyword: Any = None) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(size=(2, 3))`` as one shape; ints
    only, none negative."""
    if keyword is not None:
        if size:
            raise TypeError(f"{where}(): give the size as numbers or as size=, not both")
        size = tuple(keyword) if isinstance(keyword, (tuple, list)) else (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = []
    for position, n in enumerate(size):
        if isinstance(n, bool):
            n = None
        else:
            try:
                n = operator.index(n)
            except TypeError:
                n = None
        if n is None:
            raise TypeError(f"{where}(): argument 'size' must be a tuple of ints, but found "
                            f"element of type {type(size[position]).__name__} at pos {position}")
        shape.append(n)
    if any(n < 0 for n in shape):
        bad = next(n for n in shape if n < 0)
        raise RuntimeError(f"{where}: Trying to create tensor with negative dimension {bad}: "
                           f"{shape}")
    return tuple(shape)


def _options(where: str, device: Any = None, layout: Any = None) -> None:
    check_device(device, where)
    check_layout(layout, where)


def _result_dtype(dtype: Any, out: Any, where: str, default: Any = None) -> np.dtype:
    """The dtype to make: ``dtype``, else ``out``'s, else ``default`` (the default float)."""
    dt = as_dtype(dtype)
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"{where}(): argument 'out' must be a Tensor, not "
                            f"{type(out).__name__}")
        if dt is not None and dt != out.dtype:
            raise RuntimeError(f"{where}: dtype {dt} does not match dtype of out parameter "
                               f"({out.dtype})")
        return out.dtype
    if dt is not None:
        return dt
    return as_dtype(default) or default_float()


def _result(array: np.ndarray, where: str, out: Tensor | None = None,
            requires_grad: bool = False) -> Tensor:
    """``array`` as a new Tensor, or written into ``out`` (resized when its shape differs)."""
    if out is None:
        return Tensor(array, requires_grad=requires_grad)
    if requires_grad or (out.requires_grad and _mode.enabled):
        raise RuntimeError(f"{where}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out._array.shape == array.shape:
        out._array[...] = array
    else:
        out._array = np.ascontiguousarray(array, dtype=out.dtype)
    out._version += 1
    return out


def _number(x: Any, where: str, name: str) -> Any:
    """A Python number from a number or a one-element tensor."""
    if isinstance(x, Tensor):
        if x._array.size != 1:
            raise ValueError(f"{where}: {name} must be a number or a one-element tensor, got "
                             f"shape {x.shape}")
        return x._array.item()
    if isinstance(x, np.generic):
        return x.item()
    if not isinstance(x, numbers.Number):
        raise TypeError(f"{where}(): argument '{name}' must be a number, not {type(x).__name__}")
    return x


def _number_dtype(*values: Any) -> np.dtype:
    """PyTorch's dtype for numbers alone: bool, int64, the default float or complex."""
    if any(isinstance(v, complex) for v in values):
        return default_complex()
    if any(isinstance(v, float) for v in values):
        return default_float()
    if all(isinstance(v, bool) for v in values):
        return np.dtype(np.bool_)
    return np.dtype(np.int64)


# ---------------------------------------------------------------------------
# From data
# ---------------------------------------------------------------------------

def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Make a Tensor from a number, a (nested) list or an array; the data is copied.

    Python floats take the default dtype (float32), Python complex numbers the matching
    complex dtype (complex64), ints int64, bools bool; NumPy arrays and NumPy scalars
    keep their dtype. ``pin_memory`` is accepted and changes nothing on the CPU.

    >>> import chainrule as cr
    >>> cr.tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> cr.tensor([1, 2]).dtype, cr.tensor([2, 1 + 2j]).dtype
    (dtype('int64'), dtype('complex64'))
    """
    check_device(device, "tensor")
    return Tensor(to_array(data, dtype), requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a Tensor, sharing memory where it can (as ``torch.as_tensor``).

    A NumPy array of the same dtype (or with ``dtype=None``) is shared: writing to
    one shows in the other. A Tensor of the same dtype is returned as it is; another
    dtype gives a (differentiable) cast. Lists and numbers are copied.

    >>> import numpy as np, chainrule as cr
    >>> a = np.zeros(3)
    >>> t = cr.as_tensor(a)
    >>> t[0] = 5.0
    >>> a
    array([5., 0., 0.])
    """
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        dt = as_dtype(dtype)
        return data if dt is None or dt == data.dtype else data.to(dt)
    if isinstance(data, np.ndarray):
        return Tensor(to_array(data, dtype, copy=False))
    return Tensor(to_array(data, dtype))


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """``obj`` as a Tensor (as ``torch.asarray``): shared when possible and ``copy`` is not
    True, copied when ``copy=True``; ``copy=False`` raises where a copy would be needed."""
    check_device(device, "asarray")
    dt = as_dtype(dtype)
    source = obj._array if isinstance(obj, Tensor) else obj
    if isinstance(source, np.ndarray):
        shared = dt is None or dt == source.dtype
        if copy is False and not shared:
            raise ValueError(f"asarray: can't convert dtype {source.dtype} to {dt} without a "
                             "copy, and copy=False")
        if copy is not True and shared:
            if isinstance(obj, Tensor) and not requires_grad:
                return obj
            return Tensor(to_array(source, copy=False), requires_grad=requires_grad)
        return Tensor(to_array(source, dt, copy=True), requires_grad=requires_grad)
    if copy is False:
        raise ValueError(f"asarray: a {type(obj).__name__} can't be shared; give an array or "
                         "a tensor, or leave copy out")
    return Tensor(to_array(obj, dt), requires_grad=requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A Tensor sharing ``ndarray``'s memory and dtype: writing to one shows in the other.

    >>> import numpy as np, chainrule as cr
    >>> a = np.arange(3.0)
    >>> t = cr.from_numpy(a)
    >>> a[0] = 7.0
    >>> t
    tensor([7., 1., 2.], dtype=float64)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: can't convert np.ndarray of type {ndarray.dtype}; the "
                        "supported types are bool, integers, float16/32/64 and complex64/128")
    if not ndarray.dtype.isnative:
        raise TypeError(f"from_numpy: the array's byte order ({ndarray.dtype.str}) is not "
                        "this machine's; convert it with arr.astype(arr.dtype.newbyteorder('='))")
    return Tensor(ndarray)


# ---------------------------------------------------------------------------
# Filled
# ---------------------------------------------------------------------------

def zeros(*sizes: Any, size: Any = None, out: Tensor | None = None, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros; the size as separate numbers, one tuple, or ``size=``.

    >>> import chainrule as cr
    >>> cr.zeros(2, dtype=cr.int64)
    tensor([0, 0])
    """
    _options("zeros", device, layout)
    dt = _result_dtype(dtype, out, "zeros")
    return _result(np.zeros(_size(sizes, "zeros", size), dt), "zeros", out, requires_grad)


def ones(*sizes: Any, size: Any = None, out: Tensor | None = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones; the size as separate numbers, one tuple, or ``size=``."""
    _options("ones", device, layout)
    dt = _result_dtype(dtype, out, "ones")
    return _result(np.ones(_size(sizes, "ones", size), dt), "ones", out, requires_grad)


def empty(*sizes: Any, size: Any = None, out: Tensor | None = None, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: bool = False,
          pin_memory: bool = False, memory_format: Any = None) -> Tensor:
    """A Tensor whose values are not set (whatever the memory held): fill it before reading.

    >>> import chainrule as cr
    >>> cr.empty(2, 3).shape
    (2, 3)
    """
    _options("empty", device, layout)
    dt = _result_dtype(dtype, out, "empty")
    shape = _size(sizes, "empty", size)
    check_memory_format(memory_format, len(shape), "empty")
    return _result(np.empty(shape, dt), "empty", out, requires_grad)


def full(size: Any, fill_value: Any, *, out: Tensor | None = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor filled with ``fill_value``; its dtype follows the value (bool, int64, the
    default float, complex) unless ``dtype`` says otherwise.

    >>> import chainrule as cr
    >>> cr.full((2,), 7).dtype, cr.full((2,), 1.5).dtype, cr.full((2,), True).dtype
    (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    _options("full", device, layout)
    value = _number(fill_value, "full", "fill_value")
    dt = _result_dtype(dtype, out, "full", _number_dtype(value))
    shape = _size((size,) if isinstance(size, numbers.Integral) else tuple(size), "full")
    return _result(np.full(shape, value, dt), "full", out, requires_grad)


def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype: Any = None,
        layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The ``n`` x ``m`` identity matrix (square when ``m`` is None)."""
    _options("eye", device, layout)
    dt = _result_dtype(dtype, out, "eye")
    rows, cols = _size((n, n if m is None else m), "eye")
    return _result(np.eye(rows, cols, dtype=dt), "eye", out, requires_grad)


def zeros_like(input: Any, *, dtype: Any = None, layout: Any = None,  # noqa: A002
               device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    """Zeros of ``input``'s shape and dtype (unless ``dtype`` is given)."""
    array = _like(input, "zeros_like", device, layout, memory_format)
    return Tensor(np.zeros(array.shape, as_dtype(dtype) or array.dtype),
                  requires_grad=requires_grad)


def ones_like(input: Any, *, dtype: Any = None, layout: Any = None,  # noqa: A002
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    """Ones of ``input``'s shape and dtype (unless ``dtype`` is given)."""
    array = _like(input, "ones_like", device, layout, memory_format)
    return Tensor(np.ones(array.shape, as_dtype(dtype) or array.dtype),
                  requires_grad=requires_grad)


def empty_like(input: Any, *, dtype: Any = None, layout: Any = None,  # noqa: A002
               device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    """A Tensor of ``input``'s shape and dtype whose values are not set."""
    array = _like(input, "empty_like", device, layout, memory_format)
    return Tensor(np.empty(array.shape, as_dtype(dtype) or array.dtype),
                  requires_grad=requires_grad)


def full_like(input: Any, fill_value: Any, *, dtype: Any = None,  # noqa: A002
              layout: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype (unless ``dtype`` is given)."""
    array = _like(input, "full_like", device, layout, memory_format)
    value = _number(fill_value, "full_like", "fill_value")
    return Tensor(np.full(array.shape, value, as_dtype(dtype) or array.dtype),
                  requires_grad=requires_grad)


def _like(input: Any, where: str, device: Any, layout: Any,  # noqa: A002
          memory_format: Any) -> np.ndarray:
    _options(where, device, layout)
    array = input._array if isinstance(input, Tensor) else np.asarray(input)
    check_memory_format(memory_format, array.ndim, where)
    return array


# ---------------------------------------------------------------------------
# Ranges and grids
# ---------------------------------------------------------------------------

def arange(start: Any, end: Any = None, step: Any = 1, *, out: Tensor | None = None,
           dtype: Any = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to (not including) ``end``, as ``torch.arange``:
    int64 when every argument is an integer, the default float otherwise. With an
    integer ``dtype``, the arguments are truncated to integers first (as PyTorch).

    >>> import chainrule as cr
    >>> cr.arange(5), cr.arange(0, 1, 0.25)
    (tensor([0, 1, 2, 3, 4]), tensor([0.  , 0.25, 0.5 , 0.75]))
    """
    _options("arange", device, layout)
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange", name)
                        for v, name in ((start, "start"), (end, "end"), (step, "step")))
    dt = _result_dtype(dtype, out, "arange", _number_dtype(start, end, step))
    if dt.kind in "biu":  # as PyTorch: the arguments are cast to the integer dtype first
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    array = np.arange(start, end, step)
    return _result(array.astype(dt, copy=False), "arange", out, requires_grad)


def linspace(start: Any, end: Any, steps: int, *, out: Tensor | None = None, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Computed as PyTorch's kernel does (the first half counted up from ``start``, the
    second half down from ``end``, each value one fused multiply-add in the result's
    dtype), so float32 and float64 results agree with PyTorch's to the last bit, but for
    a few elements that PyTorch's vectorised loop rounds once more (one unit in the last
    place). Integer dtypes are computed in float64 and truncated.

    >>> import chainrule as cr
    >>> cr.linspace(0, 10, 4, dtype=cr.int64)
    tensor([ 0,  3,  6, 10])
    """
    _options("linspace", device, layout)
    values = _spaced(start, end, steps, "linspace", dtype, out)
    return _result(values, "linspace", out, requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *,
             out: Tensor | None = None, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent.

    >>> import chainrule as cr
    >>> cr.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    _options("logspace", device, layout)
    dt = _result_dtype(dtype, out, "logspace")
    work = dt if dt.kind in "fc" else np.dtype(np.float64)
    exponents = _spaced(start, end, steps, "logspace", work, None)
    base = _number(base, "logspace", "base")
    values = np.power(np.asarray(base, dtype=work), exponents)
    return _result(values.astype(dt, copy=False), "logspace", out, requires_grad)


def _spaced(start: Any, end: Any, steps: Any, where: str, dtype: Any, out: Any) -> np.ndarray:
    start, end = _number(start, where, "start"), _number(end, where, "end")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f"{where}(): argument 'steps' must be an int, not "
                        f"{type(steps).__name__}")
    steps = int(steps)
    if steps < 0:
        raise RuntimeError(f"{where}: number of steps must be non-negative, got {steps}")
    default = default_complex() if isinstance(start, complex) or isinstance(end, complex) \
        else None
    dt = _result_dtype(dtype, out, where, default)
    if steps == 0:
        return np.empty(0, dt)
    work = dt if dt.kind in "fc" else np.dtype(np.float64)
    first, last = np.asarray(start).astype(work), np.asarray(end).astype(work)
    if steps == 1:
        return np.full(1, first).astype(dt)
    # PyTorch's kernel: the first half counted up from start, the second half down from
    # end, each value one fused multiply-add (start + step * i) in the result's dtype
    step = (last - first) / work.type(steps - 1)
    half = steps // 2
    up = np.arange(half)
    down = np.arange(steps - half - 1, -1, -1)
    values = np.concatenate([_fma(step, up, first), _fma(-step, down, last)])
    return values.astype(dt, copy=False)


def _fma(a: np.ndarray, k: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``a * k + c`` for a 0-d ``a`` and ``c`` and integers ``k``, rounded once as a fused
    multiply-add is (what compilers make of PyTorch's ``start + step * i``)."""
    dt = a.dtype
    if dt == np.float32:  # exact product and one float64 rounding, then float32
        return (a.astype(np.float64) * k + c.astype(np.float64)).astype(dt)
    if dt != np.float64:  # float16 (rounded op by op, as c10::Half) and complex
        return a * k.astype(dt) + c
    kf = k.astype(np.float64)
    product = a * kf
    error = _product_error(a, kf, product)  # a * k == product + error exactly
    total = product + c
    back = total - product
    sum_error = (product - (total - back)) + (c - back)  # product + c == total + sum_error
    return total + (sum_error + error)


def _product_error(a: np.ndarray, b: np.ndarray, product: np.ndarray) -> np.ndarray:
    """The rounding error of ``a * b`` in float64 (Dekker's exact product)."""
    def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = x * 134217729.0  # 2**27 + 1
        high = t - (t - x)
        return high, x - high

    a_high, a_low = split(a)
    b_high, b_low = split(b)
    return ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d (or 0-d) tensors; differentiable (each grid is an expand).

    ``indexing='ij'`` gives grids of shape ``(len(t0), len(t1), ...)``; ``'xy'`` gives
    ``(len(t1), len(t0), ...)`` (NumPy's and Matplotlib's convention). As in PyTorch, leaving
    ``indexing`` out means 'ij', with a warning.

    >>> import chainrule as cr
    >>> gx, gy = cr.meshgrid(cr.arange(2), cr.arange(3), indexing="ij")
    >>> gx.shape, gy[1].tolist()
    ((2, 3), [0, 1, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument; 'ij' is used", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid: expected Tensors, got {type(t).__name__} at position {i}")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0-d or 1-d tensors, got shape {t.shape} at "
                               f"position {i}")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype, got "
                           + ", ".join(str(t.dtype) for t in tensors))
    flat = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = shape[i]
        grids.append(t.reshape(*view).expand(*shape))
    if swap:  # the grids of the first two inputs, back in their places
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# ---------------------------------------------------------------------------
# Random
# ---------------------------------------------------------------------------

def rand(*sizes: Any, size: Any = None, generator: Generator | None = None,
         out: Tensor | None = None, dtype: Any = None, layout: Any = None, device: Any = None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform on [0, 1), drawn in the result's dtype.

    >>> import chainrule as cr
    >>> g = cr.Generator().manual_seed(0)
    >>> cr.rand(2, 3, generator=g).shape, cr.rand(2, dtype=cr.float64).dtype
    ((2, 3), dtype('float64'))
    """
    _options("rand", device, layout)
    dt = _result_dtype(dtype, out, "rand")
    rng = numpy_generator(generator, "rand")
    return _result(draw_uniform(rng, _size(sizes, "rand", size), dt, "rand"), "rand", out,
                   requires_grad)


def randn(*sizes: Any, size: Any = None, generator: Generator | None = None,
          out: Tensor | None = None, dtype: Any = None, layout: Any = None, device: Any = None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal, drawn in the result's dtype (no float64 temporary for float32)."""
    _options("randn", device, layout)
    dt = _result_dtype(dtype, out, "randn")
    rng = numpy_generator(generator, "randn")
    return _result(draw_normal(rng, _size(sizes, "randn", size), dt, "randn"), "randn", out,
                   requires_grad)


def randint(low: Any = None, high: Any = None, size: Any = None, *,
            generator: Generator | None = None, out: Tensor | None = None, dtype: Any = None,
            layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high), int64 by default: ``randint(high, size)`` or
    ``randint(low, high, size)``.

    >>> import chainrule as cr
    >>> cr.randint(10, (3,)).dtype, cr.randint(3, 5, (2, 2)).shape
    (dtype('int64'), (2, 2))
    """
    _options("randint", device, layout)
    if size is None and high is not None:
        low, high, size = 0, low, high  # randint(high, size)
    if high is None:
        low, high = 0, low
    if low is None:
        low = 0
    if size is None:
        raise TypeError("randint(): missing the 'size' argument (a tuple of ints): "
                        "randint(high, size) or randint(low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be a tuple of ints, not "
                        f"{type(size).__name__}")
    low, high = _number(low, "randint", "low"), _number(high, "randint", "high")
    dt = _result_dtype(dtype, out, "randint", np.int64)
    values = _integers(numpy_generator(generator, "randint"), low, high, _size(size, "randint"),
                       "randint")
    return _result(values.astype(dt, copy=False), "randint", out, requires_grad)


def _integers(rng: np.random.Generator, low: Any, high: Any, shape: tuple, where: str
              ) -> np.ndarray:
    low, high = math.ceil(low), math.ceil(high)
    if low >= high:
        raise RuntimeError(f"{where}: random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    return rng.integers(low, high, shape, dtype=np.int64)


def randperm(n: int, *, generator: Generator | None = None, out: Tensor | None = None,
             dtype: Any = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of ``0, ..., n - 1`` (int64 by default).

    >>> import chainrule as cr
    >>> sorted(cr.randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    _options("randperm", device, layout)
    (count,) = _size((n,), "randperm")
    dt = _result_dtype(dtype, out, "randperm", np.int64)
    values = numpy_generator(generator, "randperm").permutation(count)
    return _result(values.astype(dt, copy=False), "randperm", out, requires_grad)


def rand_like(input: Any, *, generator: Generator | None = None,  # noqa: A002
              dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Uniform on [0, 1) in ``input``'s shape (and dtype, unless given)."""
    array = _like(input, "rand_like", device, layout, memory_format)
    dt = as_dtype(dtype) or array.dtype
    return Tensor(draw_uniform(numpy_generator(generator, "rand_like"), array.shape, dt,
                               "rand_like"), requires_grad=requires_grad)


def randn_like(input: Any, *, generator: Generator | None = None,  # noqa: A002
               dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Standard normal in ``input``'s shape (and dtype, unless given)."""
    array = _like(input, "randn_like", device, layout, memory_format)
    dt = as_dtype(dtype) or array.dtype
    return Tensor(draw_normal(numpy_generator(generator, "randn_like"), array.shape, dt,
                              "randn_like"), requires_grad=requires_grad)


def randint_like(input: Any, low: Any = 0, high: Any = None, *,  # noqa: A002
                 generator: Generator | None = None, dtype: Any = None, layout: Any = None,
                 device: Any = None, requires_grad: bool = False,
                 memory_format: Any = None) -> Tensor:
    """Integers on [low, high) in ``input``'s shape and dtype: ``randint_like(t, high)`` or
    ``randint_like(t, low, high)``."""
    array = _like(input, "randint_like", device, layout, memory_format)
    if high is None:
        low, high = 0, low
    low, high = _number(low, "randint_like", "low"), _number(high, "randint_like", "high")
    dt = as_dtype(dtype) or array.dtype
    values = _integers(numpy_generator(generator, "randint_like"), low, high, array.shape,
                       "randint_like")
    return Tensor(values.astype(dt, copy=False), requires_grad=requires_grad)


# ---------------------------------------------------------------------------
# PyTorch's legacy tensor types: chainrule.FloatTensor, LongTensor, ...
# ---------------------------------------------------------------------------

class _LegacyTensor(metaclass=LegacyTensorType):
    """Make a tensor of this type's dtype: from data (``LongTensor([1, 2])``), from a size
    (``FloatTensor(2, 3)``: values not set), or empty (``FloatTensor()``); and stand for
    that dtype (``x.type(chainrule.LongTensor)``, ``isinstance(x, chainrule.FloatTensor)``)."""

    legacy_dtype: np.dtype | UnavailableDtype

    def __new__(cls, *args: Any, device: Any = None) -> Tensor:  # type: ignore[misc]
        name = cls.__name__
        check_device(device, name)
        dt = as_dtype(cls.legacy_dtype)
        assert dt is not None
        if not args:
            return Tensor(np.empty(0, dt))
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            return Tensor(np.empty(_size(args, name), dt))
        if len(args) > 1:
            raise TypeError(f"{name}(): give the data as one sequence or the size as ints, got "
                            f"{len(args)} arguments")
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != dt:
                raise TypeError(f"{name}(): expected a tensor of dtype {dt}, got "
                                f"{data.dtype}; use tensor.to({dt.name})")
            return data
        if isinstance(data, numbers.Number):
            raise TypeError(f"{name}(): data must be a sequence (got {type(data).__name__})")
        return Tensor(to_array(data, dt))


def _legacy_type(name: str) -> type:
    return LegacyTensorType(name, (_LegacyTensor,), {
        "legacy_dtype": LEGACY_TYPES[name], "dtype": LEGACY_TYPES[name],
        "__module__": "chainrule", "__qualname__": name,
        "__doc__": f"PyTorch's legacy tensor type for dtype {LEGACY_TYPES[name]}: "
                   f"``chainrule.{name}(data)`` makes a tensor of that dtype from a sequence; "
                   f"``isinstance(t, chainrule.{name})`` tests a tensor's dtype and "
                   f"``t.type(chainrule.{name})`` converts it.",
    })


FloatTensor = _legacy_type("FloatTensor")
DoubleTensor = _legacy_type("DoubleTensor")
HalfTensor = _legacy_type("HalfTensor")
BFloat16Tensor = _legacy_type("BFloat16Tensor")
ByteTensor = _legacy_type("ByteTensor")
CharTensor = _legacy_type("CharTensor")
ShortTensor = _legacy_type("ShortTensor")
IntTensor = _legacy_type("IntTensor")
LongTensor = _legacy_type("LongTensor")
BoolTensor = _legacy_type("BoolTensor")
