"""Tensor: an ndarray that remembers how it was made.

This is the one place where ops are applied and recorded (:func:`_apply`), and
where Tensor methods and operators are mapped onto the primitives in
:mod:`chainrule.ops`. Names and semantics follow PyTorch.

>>> import chainrule as cr
>>> x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([[2., 4.],
        [6., 8.]])
"""

from __future__ import annotations

import builtins
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from . import function as _function
from . import graph as _graph
from .function import Context
from .graph import _mode
from .ops import elementwise as E
from .ops import linalg as L
from .ops import nn as N
from .ops import reduce as R
from .ops import shape as S

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "full", "eye", "arange", "rand", "randn", "randint",
    "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "manual_seed",
    "cat", "stack", "split", "chunk", "where", "maximum", "minimum",
]

_FLOATS = (np.float16, np.float32, np.float64)
_DEFAULT_FLOAT = np.float32


# ---------------------------------------------------------------------------
# Applying and recording an op
# ---------------------------------------------------------------------------

def _apply(fn: type, inputs: Sequence[Any], params: dict) -> "Tensor":
    """Run ``fn.forward`` on the arrays behind ``inputs``; record it if a gradient is needed.

    This runs once per op, so it is written for speed (bench/chain.py measures it):
    one- and two-input calls take a straight path without loops or generators, and
    the Context and the output Tensor are filled slot by slot.
    """
    if type(inputs) is not tuple:
        inputs = tuple(inputs)
    ctx = _new_object(Context)
    ctx.fn = fn
    ctx.name = fn.op_name
    ctx.freed = False
    ctx._saved = ()
    ctx._seq = _next_seq()
    n = len(inputs)
    if n == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            a = x.data
            record = x.requires_grad and _mode.enabled
        else:
            a = x
            record = False
        if record:
            ctx.parents = inputs
            ctx.needs_input_grad = _NEED_1
            ctx._inputs = inputs
            ctx._versions = ((x, x._version),)
        else:
            ctx.parents = None
            ctx.needs_input_grad = _NO_NEED_1
            ctx._inputs = ()
            ctx._versions = ()
        forward_args = (a,)
    elif n == 2:
        x, y = inputs
        x_is_t = isinstance(x, Tensor)
        y_is_t = isinstance(y, Tensor)
        need_x = x_is_t and x.requires_grad
        need_y = y_is_t and y.requires_grad
        record = (need_x or need_y) and _mode.enabled
        forward_args = (x.data if x_is_t else x, y.data if y_is_t else y)
        if record:
            if need_x and need_y:
                ctx.parents = inputs
                ctx.needs_input_grad = _NEED_2
            elif need_x:
                ctx.parents = (x, None)
                ctx.needs_input_grad = _NEED_FIRST
            else:
                ctx.parents = (None, y)
                ctx.needs_input_grad = _NEED_SECOND
            ctx._inputs = inputs
            if x_is_t and y_is_t:
                ctx._versions = ((x, x._version), (y, y._version))
            elif x_is_t:
                ctx._versions = ((x, x._version),)
            else:
                ctx._versions = ((y, y._version),)
        else:
            ctx.parents = None
            ctx.needs_input_grad = _NO_NEED_2
            ctx._inputs = ()
            ctx._versions = ()
    else:
        datas = []
        needs = []
        versions = []
        for x in inputs:
            if isinstance(x, Tensor):
                datas.append(x.data)
                needs.append(x.requires_grad)
                versions.append((x, x._version))
            else:
                datas.append(x)
                needs.append(False)
        forward_args = tuple(datas)
        ctx.needs_input_grad = tuple(needs)
        record = True in needs and _mode.enabled
        if record:
            parents = []
            for x, need in zip(inputs, needs):
                parents.append(x if need else None)
            ctx.parents = tuple(parents)
            ctx._inputs = inputs
            ctx._versions = tuple(versions)
        else:
            ctx.parents = None
            ctx._inputs = ()
            ctx._versions = ()
    try:
        if params:
            out = fn.forward(ctx, *forward_args, **params)
        else:
            out = fn.forward(ctx, *forward_args)
    except (ValueError, TypeError, IndexError) as err:
        raise type(err)(f"{fn.op_name}: {_describe(inputs)}: {err}") from None
    if type(out) is not np.ndarray:
        scalar, out = out, np.asarray(out)  # NumPy gives 0-d results as scalars
        if record and ctx._saved:
            ctx._saved = tuple([out if a is scalar else a for a in ctx._saved])
    t = _new_object(Tensor)
    t.data = out
    t.grad = None
    t._version = 0
    t._retains_grad = False
    t.name = None
    if record:
        t.requires_grad = True
        t._ctx = ctx
        if _mode.anomaly:
            from .explain.anomaly import _check_forward

            _check_forward(ctx, inputs, t)
    else:
        t.requires_grad = False
        t._ctx = None
    return t


_new_object = object.__new__  # Tensor and Context define no __new__: skip __init__
_next_seq = _function._sequence.__next__
_NEED_1 = (True,)
_NO_NEED_1 = (False,)
_NEED_2 = (True, True)
_NEED_FIRST = (True, False)
_NEED_SECOND = (False, True)
_NO_NEED_2 = (False, False)


_function._engine_apply = _apply


def _describe(inputs: Sequence[Any]) -> str:
    parts = []
    for x in inputs:
        if isinstance(x, (Tensor, np.ndarray)):
            parts.append(f"{tuple(x.shape)} {np.dtype(x.dtype).name}")
        elif isinstance(x, (list, tuple)) and x and isinstance(x[0], Tensor):
            parts.append("[" + ", ".join(str(tuple(t.shape)) for t in x) + "]")
        elif isinstance(x, (int, float, complex)):
            parts.append(repr(x))
    return "inputs " + " and ".join(parts)


# ---------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------

def _as_dtype(dtype: Any) -> np.dtype | None:
    if dtype is None:
        return None
    if dtype is builtins.float:
        return np.dtype(_DEFAULT_FLOAT)
    if dtype is builtins.int:
        return np.dtype(np.int64)
    if dtype is builtins.bool:
        return np.dtype(np.bool_)
    return np.dtype(dtype)


def _to_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    dt = _as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        arr = data.astype(dt) if dt is not None else data
        return arr.copy() if copy and arr is data else arr
    if isinstance(data, (list, tuple)) and data and any(isinstance(d, Tensor) for d in data):
        data = [d.data if isinstance(d, Tensor) else d for d in data]
    arr = np.array(data, dtype=dt)
    if dt is None and arr.dtype == np.float64 and not isinstance(data, np.generic):
        arr = arr.astype(_DEFAULT_FLOAT)  # Python floats become float32, as in PyTorch
    return arr


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    """Make a Tensor from a number, a (nested) list or an array; the data is copied.

    Python floats become float32; float64 arrays stay float64; ints become int64.

    >>> import chainrule as cr
    >>> cr.tensor([1.0, 2.0]).dtype
    dtype('float32')
    >>> cr.tensor([1, 2]).dtype
    dtype('int64')
    """
    return Tensor(_to_array(data, dtype), requires_grad=requires_grad)


class _Generator:
    rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed chainrule's global random generator (rand, randn, init, dropout, shuffling)."""
    _Generator.rng = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The global NumPy Generator behind chainrule's random functions."""
    return _Generator.rng


def _shape(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _float_dtype(dtype: Any) -> np.dtype:
    return _as_dtype(dtype) or np.dtype(_DEFAULT_FLOAT)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    return Tensor(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    return Tensor(np.ones(_shape(size), _float_dtype(dtype)), requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    if dtype is None:
        dtype = np.int64 if isinstance(fill_value, (bool, int)) and not isinstance(
            fill_value, bool) else (np.bool_ if isinstance(fill_value, bool) else _DEFAULT_FLOAT)
    size = (size,) if isinstance(size, int) else tuple(size)
    return Tensor(np.full(size, fill_value, _as_dtype(dtype)), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    return Tensor(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> "Tensor":
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    arr = np.arange(start, end, step)
    if dtype is not None:
        arr = arr.astype(_as_dtype(dtype))
    elif arr.dtype == np.float64:
        arr = arr.astype(_DEFAULT_FLOAT)
    return Tensor(arr, requires_grad=requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    """Uniform on [0, 1), from the generator that :func:`manual_seed` seeds."""
    arr = _Generator.rng.random(_shape(size)).astype(_float_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    """Standard normal, from the generator that :func:`manual_seed` seeds."""
    arr = _Generator.rng.standard_normal(_shape(size)).astype(_float_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None) -> "Tensor":
    if high is None:
        low, high = 0, low
    arr = _Generator.rng.integers(low, high, size=tuple(size) if not isinstance(size, int) else (size,))
    return Tensor(arr.astype(_as_dtype(dtype) or np.int64))


def zeros_like(t: "Tensor", dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    return Tensor(np.zeros_like(_data(t), dtype=_as_dtype(dtype)), requires_grad=requires_grad)


def ones_like(t: "Tensor", dtype: Any = None, requires_grad: bool = False) -> "Tensor":
    return Tensor(np.ones_like(_data(t), dtype=_as_dtype(dtype)), requires_grad=requires_grad)


def full_like(t: "Tensor", fill_value: Any, dtype: Any = None,
              requires_grad: bool = False) -> "Tensor":
    return Tensor(np.full_like(_data(t), fill_value, dtype=_as_dtype(dtype)),
                  requires_grad=requires_grad)


def rand_like(t: "Tensor", dtype: Any = None) -> "Tensor":
    return rand(*t.shape, dtype=dtype or t.dtype)


def randn_like(t: "Tensor", dtype: Any = None) -> "Tensor":
    return randn(*t.shape, dtype=dtype or t.dtype)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# ---------------------------------------------------------------------------
# Helpers for dims and indices
# ---------------------------------------------------------------------------

def _axes(dim: Any, ndim: int, op: str) -> tuple:
    """Normalise ``dim`` (None, an int, or a sequence; negatives allowed) to a tuple.

    As in PyTorch, an empty sequence means every dim for a reduction (not for
    squeeze), and a 0-d tensor accepts dim 0 or -1, which reduces nothing.
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims and op != "squeeze":
        return tuple(range(ndim))
    out = []
    for d in dims:
        n = max(ndim, 1)
        if not -n <= d < n:
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor with {ndim} dimension(s)"
            )
        out.append(int(d) % n)
    if ndim == 0:
        return ()
    return tuple(sorted(set(out)))


def _dim(dim: int, ndim: int, op: str) -> int:
    return _axes(dim, ndim, op)[0] if ndim else 0


def _index(index: Any) -> Any:
    """Turn Tensors and lists inside an index into arrays NumPy understands."""
    if isinstance(index, tuple):
        return tuple(_index_part(i) for i in index)
    return _index_part(index)


def _index_part(part: Any) -> Any:
    if isinstance(part, Tensor):
        part = part.data
        if part.dtype.kind == "f":
            raise IndexError("tensors used as indices must be integer or bool tensors")
        return part
    if isinstance(part, list):
        return np.asarray(part)
    return part


class MaxResult(NamedTuple):
    """What ``max(dim=...)`` and ``min(dim=...)`` return: values and their indices."""

    values: "Tensor"
    indices: "Tensor"


# ---------------------------------------------------------------------------
# Tensor
# ---------------------------------------------------------------------------

class Tensor:
    """A multi-dimensional array that records the ops applied to it.

    Create one with :func:`chainrule.tensor`. ``data`` is the NumPy array;
    ``grad`` is a Tensor (or None) filled in by :meth:`backward`.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_version", "_retains_grad",
                 "name", "__weakref__")
    __array_priority__ = 1000
    __array_ufunc__ = None  # NumPy defers to Tensor's operators: array * tensor is a Tensor

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        arr = data if type(data) is np.ndarray else _to_array(data, copy=False)
        self.data: np.ndarray = arr
        self.grad: Tensor | None = None
        self._ctx: Context | None = None
        self._version = 0
        self._retains_grad = False
        self.name: str | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Context) -> "Tensor":
        t = cls(data)
        t.requires_grad = True
        t._ctx = ctx
        return t

    # -- the array namespace used by VJPs under create_graph -------------------
    def __array_namespace__(self, api_version: Any = None) -> Any:
        from .ops.namespace import TENSOR

        return TENSOR

    # -- basic properties -----------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded op."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Context | None:
        """The recorded op that made this tensor (None for a leaf)."""
        return self._ctx

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared, not copied)."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy()."
            )
        return self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous"
            )
        return bool(self.data.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __iter__(self) -> Iterator["Tensor"]:
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_) or self.data.size == 0:
            extras.append(f"dtype={self.dtype.name}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- autograd -------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place; only floating-point tensors can require grad."""
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype.name}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Keep ``.grad`` on this non-leaf after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that doesn't require grad")
        if self._ctx is not None:
            self._retains_grad = True
        return self

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def detach_(self) -> "Tensor":
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self) -> "Tensor":
        """A copy with its own memory, still connected to the graph."""
        return _apply(S.Clone, (self,), {})

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is dL/d(self) and may be left out only for a one-element tensor.
        The graph's saved values are freed afterwards unless ``retain_graph=True``;
        ``create_graph=True`` records the backward pass for higher-order gradients.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph. Create the "
                "inputs with requires_grad=True (and not under no_grad())."
            )
        seed = _seed(self, gradient, create_graph, "backward")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            found = _graph.backward([self], [seed], retain_graph=retain_graph,
                                    create_graph=create_graph, inputs=inputs)
            for t, g in zip(inputs, found):
                if g is not None:
                    t._accumulate_grad(g)
            return
        _graph.backward([self], [seed], retain_graph=retain_graph, create_graph=create_graph)

    def _accumulate_grad(self, g: Any) -> None:
        if isinstance(g, Tensor):  # create_graph: keep the graph of the gradient
            self.grad = g if self.grad is None else self.grad + g
            return
        if g.dtype != self.data.dtype:
            g = g.astype(self.data.dtype)
        if self.grad is None:
            if type(g) is not np.ndarray or g.base is not None or not g.flags.writeable \
                    or self._ctx is not None:
                g = np.array(g)  # own the array: later backward calls add into it in place
            self.grad = Tensor(g)
        elif self.grad.requires_grad or self.grad.data.shape != g.shape:
            self.grad = Tensor(self.grad.data + g)
        else:
            self.grad.data += g
            self.grad._version += 1

    # -- in-place ops -----------------------------------------------------------
    def _inplace(self, fn: type, *args: Any, name: str, **params: Any) -> "Tensor":
        """Change ``self.data`` in place; recorded (and rebased) when a graph needs it."""
        others_need = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        if _mode.enabled and (self.requires_grad or others_need):
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    f"{name}: a leaf tensor that requires grad (shape {self.shape}) can't be "
                    "changed in place while grad is enabled. Do it under chainrule.no_grad(), "
                    "or use an out-of-place op."
                )
            old = Tensor(self.data.copy())
            old.requires_grad, old._ctx = self.requires_grad, self._ctx
            prev = self._ctx
            if prev is not None and any(a is self.data for a in prev._saved):
                # The op that made self saved its output, which is about to change: point
                # the record at ``old`` and mark that changed, so its backward raises.
                prev._saved = tuple(old.data if a is self.data else a for a in prev._saved)
                old._version = self._version + 1
            out = fn.apply(old, *args, **params)
            self.data[...] = out.data
            self._version += 1
            self._ctx = out._ctx
            self.requires_grad = True
            self._ctx._out_version = self._version
            out.data = self.data
            return self
        with _graph.no_grad():
            out = fn.apply(self, *args, **params)
        self.data[...] = out.data
        self._version += 1
        return self

    def __iadd__(self, other: Any) -> "Tensor":
        return self._inplace(E.Add, other, name="add_")

    def __isub__(self, other: Any) -> "Tensor":
        return self._inplace(E.Sub, other, name="sub_")

    def __imul__(self, other: Any) -> "Tensor":
        return self._inplace(E.Mul, other, name="mul_")

    def __itruediv__(self, other: Any) -> "Tensor":
        return self._inplace(E.Div, other, name="div_")

    add_ = __iadd__
    sub_ = __isub__
    mul_ = __imul__
    div_ = __itruediv__

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace(S.SetItem, value, index=_index(index), name="index_put_")

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def fill_(self, value: Any) -> "Tensor":
        self.__setitem__(Ellipsis, value)
        return self

    def copy_(self, src: Any) -> "Tensor":
        self.__setitem__(Ellipsis, src)
        return self

    # -- dtype ----------------------------------------------------------------
    def to(self, dtype: Any) -> "Tensor":
        return self.type(dtype)

    def type(self, dtype: Any) -> "Tensor":
        dt = _as_dtype(dtype)
        if dt == self.dtype:
            return self
        if self.requires_grad and dt.kind in "fc":
            return _apply(_Cast, (self,), {"dtype": dt})
        return Tensor(self.data.astype(dt))

    def float(self) -> "Tensor":
        return self.type(np.float32)

    def double(self) -> "Tensor":
        return self.type(np.float64)

    def long(self) -> "Tensor":
        return self.type(np.int64)

    def int(self) -> "Tensor":
        return self.type(np.int32)

    def bool(self) -> "Tensor":
        return self.type(np.bool_)

    # -- arithmetic -----------------------------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        return _apply(E.Add, (self, other), {})

    def __radd__(self, other: Any) -> "Tensor":
        return _apply(E.Add, (other, self), {})

    def __sub__(self, other: Any) -> "Tensor":
        return _apply(E.Sub, (self, other), {})

    def __rsub__(self, other: Any) -> "Tensor":
        return _apply(E.Sub, (other, self), {})

    def __mul__(self, other: Any) -> "Tensor":
        return _apply(E.Mul, (self, other), {})

    def __rmul__(self, other: Any) -> "Tensor":
        return _apply(E.Mul, (other, self), {})

    def __truediv__(self, other: Any) -> "Tensor":
        return _apply(E.Div, (self, other), {})

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _apply(E.Div, (other, self), {})

    def __pow__(self, other: Any) -> "Tensor":
        if isinstance(other, (int, float, np.integer, np.floating)):
            return _apply(E.PowScalar, (self,), {"c": other})
        return _apply(E.Pow, (self, other), {})

    def __rpow__(self, other: Any) -> "Tensor":
        return _apply(E.Pow, (other, self), {})

    def __matmul__(self, other: Any) -> "Tensor":
        _check_matmul(self, other)
        return _apply(L.Matmul, (self, other), {})

    def __rmatmul__(self, other: Any) -> "Tensor":
        _check_matmul(other, self)
        return _apply(L.Matmul, (other, self), {})

    def __neg__(self) -> "Tensor":
        return _apply(E.Neg, (self,), {})

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _apply(E.Abs, (self,), {})

    def matmul(self, other: Any) -> "Tensor":
        return self @ other

    def pow(self, exponent: Any) -> "Tensor":
        return self ** exponent

    def add(self, other: Any) -> "Tensor":
        return self + other

    def sub(self, other: Any) -> "Tensor":
        return self - other

    def mul(self, other: Any) -> "Tensor":
        return self * other

    def div(self, other: Any) -> "Tensor":
        return self / other

    def neg(self) -> "Tensor":
        return -self

    # -- comparisons (no gradient; bool results) ------------------------------
    def _compare(self, other: Any, ufunc: Any) -> "Tensor":
        return Tensor(ufunc(self.data, _data(other) if isinstance(other, Tensor) else other))

    def __lt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __and__(self, other: Any) -> "Tensor":
        return self._compare(other, np.logical_and)

    def __or__(self, other: Any) -> "Tensor":
        return self._compare(other, np.logical_or)

    def __invert__(self) -> "Tensor":
        return Tensor(~self.data)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def isfinite(self) -> "Tensor":
        return Tensor(np.isfinite(self.data))

    def isnan(self) -> "Tensor":
        return Tensor(np.isnan(self.data))

    def sign(self) -> "Tensor":
        return Tensor(np.sign(self.data))

    def all(self) -> "Tensor":
        return Tensor(np.all(self.data))

    def any(self) -> "Tensor":
        return Tensor(np.any(self.data))

    # -- elementwise functions --------------------------------------------------
    def exp(self) -> "Tensor":
        return _apply(E.Exp, (self,), {})

    def log(self) -> "Tensor":
        return _apply(E.Log, (self,), {})

    def sqrt(self) -> "Tensor":
        return _apply(E.Sqrt, (self,), {})

    def abs(self) -> "Tensor":
        return _apply(E.Abs, (self,), {})

    def sin(self) -> "Tensor":
        return _apply(E.Sin, (self,), {})

    def cos(self) -> "Tensor":
        return _apply(E.Cos, (self,), {})

    def tanh(self) -> "Tensor":
        return _apply(E.Tanh, (self,), {})

    def sigmoid(self) -> "Tensor":
        return _apply(E.Sigmoid, (self,), {})

    def relu(self) -> "Tensor":
        return _apply(E.Relu, (self,), {})

    def square(self) -> "Tensor":
        return _apply(E.PowScalar, (self,), {"c": 2})

    def reciprocal(self) -> "Tensor":
        return 1 / self

    def clamp(self, min: Any = None, max: Any = None) -> "Tensor":
        """Clip to ``[min, max]``; the bounds may be numbers or Tensors that broadcast.

        The gradient passes where ``min <= x <= max`` (bounds included), as in PyTorch;
        a bound that requires grad gets it where it is the result.

        >>> import chainrule as cr
        >>> cr.tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
        tensor([0. , 0.5, 1. ])
        """
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if (isinstance(min, Tensor) and min.requires_grad) or (
                isinstance(max, Tensor) and max.requires_grad):
            out = self
            if min is not None:
                out = where(out < min, min, out)
            if max is not None:
                out = where(out > max, max, out)
            return out
        low = min.data if isinstance(min, Tensor) else min
        high = max.data if isinstance(max, Tensor) else max
        return _apply(E.Clamp, (self,), {"low": low, "high": high})

    clip = clamp

    def maximum(self, other: Any) -> "Tensor":
        return _apply(E.Maximum, (self, other), {})

    def minimum(self, other: Any) -> "Tensor":
        return _apply(E.Minimum, (self, other), {})

    def softmax(self, dim: int) -> "Tensor":
        return _apply(N.Softmax, (self,), {"axis": _dim(dim, self.ndim, "softmax")})

    def log_softmax(self, dim: int) -> "Tensor":
        return _apply(N.LogSoftmax, (self,), {"axis": _dim(dim, self.ndim, "log_softmax")})

    # -- reductions -----------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _apply(R.Sum, (self,), {"axis": _axes(dim, self.ndim, "sum"), "keepdims": keepdim})

    def mean(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        axes = _axes(dim, self.ndim, "mean")
        n = int(np.prod([self.shape[a] for a in axes])) if axes else 1
        return _apply(R.Sum, (self,), {"axis": axes, "keepdims": keepdim}) * (1.0 / n if n else np.nan)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
            correction: int | None = None) -> "Tensor":
        """Variance; ``correction=1`` (the default, as ``unbiased=True``) divides by n - 1."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        axes = _axes(dim, self.ndim, "var")
        n = int(np.prod([self.shape[a] for a in axes])) if axes else 1
        centered = self - self.mean(axes, keepdim=True)
        denom = max(n - correction, 0)
        total = (centered * centered).sum(axes, keepdim=keepdim)
        return total * (1.0 / denom) if denom else total * np.nan

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
            correction: int | None = None) -> "Tensor":
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def logsumexp(self, dim: Any, keepdim: bool = False) -> "Tensor":
        return _apply(R.LogSumExp, (self,), {"axis": _axes(dim, self.ndim, "logsumexp"),
                                             "keepdims": keepdim})

    def amax(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _apply(R.Amax, (self,), {"axis": _axes(dim, self.ndim, "amax"), "keepdims": keepdim})

    def amin(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return _apply(R.Amin, (self,), {"axis": _axes(dim, self.ndim, "amin"), "keepdims": keepdim})

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Largest element; with ``dim``, ``(values, indices)`` along it, like PyTorch.

        Without ``dim``, tied maxima share the gradient evenly; with ``dim``, the
        gradient goes to the index returned (the first maximum).
        """
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return self.amax()
        return self._reduce_with_index(dim, keepdim, np.argmax, "max")

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Smallest element; with ``dim``, ``(values, indices)`` along it."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return self.amin()
        return self._reduce_with_index(dim, keepdim, np.argmin, "min")

    def _reduce_with_index(self, dim: int, keepdim: bool, arg: Any, op: str) -> MaxResult:
        d = _dim(dim, self.ndim, op)
        if self.ndim and self.shape[d] == 0:
            raise IndexError(f"{op}(): dim {dim} of shape {self.shape} is empty")
        idx = arg(self.data, axis=d, keepdims=True) if self.ndim else np.zeros((), np.int64)
        values = _apply(R.TakeAlongAxis, (self,), {"indices": idx, "axis": d}) if self.ndim \
            else self * 1
        if not keepdim and self.ndim:
            values = values.squeeze(d)
            idx = np.squeeze(idx, d)
        return MaxResult(values, Tensor(idx.astype(np.int64)))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _arg(self, dim, keepdim, np.argmax)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _arg(self, dim, keepdim, np.argmin)

    def gather(self, dim: int, index: Any) -> "Tensor":
        """``torch.gather``: pick along ``dim`` at ``index`` (an integer tensor)."""
        return _apply(R.TakeAlongAxis, (self,), {"indices": _index_part(index),
                                                "axis": _dim(dim, self.ndim, "gather")})

    # -- shape ----------------------------------------------------------------
    def reshape(self, *shape: Any) -> "Tensor":
        shape = _shape(shape)
        try:
            return _apply(S.Reshape, (self,), {"shape": shape})
        except ValueError:
            raise ValueError(
                f"reshape: shape {tuple(shape)} is invalid for a tensor of shape "
                f"{self.shape} ({self.numel()} elements)"
            ) from None

    view = reshape

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        if self.ndim == 0:
            return self.reshape(1)
        s = _dim(start_dim, self.ndim, "flatten")
        e = _dim(end_dim, self.ndim, "flatten")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def permute(self, *dims: Any) -> "Tensor":
        dims = _shape(dims)
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {dims} are not a permutation of {self.ndim} dims")
        return _apply(S.Permute, (self,), {"axes": tuple(d % self.ndim for d in dims)})

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        axes = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim, "transpose"), _dim(dim1, self.ndim, "transpose")
        axes[a], axes[b] = axes[b], axes[a]
        return _apply(S.Permute, (self,), {"axes": tuple(axes)})

    @property
    def T(self) -> "Tensor":
        return _apply(S.Permute, (self,), {"axes": tuple(reversed(range(self.ndim)))})

    @property
    def mT(self) -> "Tensor":
        return self.transpose(-2, -1)

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dims, got {self.ndim}")
        return self.T

    def unsqueeze(self, dim: int) -> "Tensor":
        d = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= d <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for {self.ndim} dims")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Any = None) -> "Tensor":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = _axes(dim, self.ndim, "squeeze")
        return self.reshape(tuple(n for i, n in enumerate(self.shape)
                                  if not (i in axes and n == 1)))

    def expand(self, *sizes: Any) -> "Tensor":
        sizes = _shape(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {len(sizes)} sizes given for a tensor of {self.ndim} dims")
        shape = tuple(
            (self.shape[i - lead] if (n == -1 and i >= lead) else n) for i, n in enumerate(sizes)
        )
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"expand: shape {self.shape} can't be expanded to {sizes}") from None
        return _apply(S.Expand, (self,), {"shape": shape})

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def broadcast_to(self, shape: Any) -> "Tensor":
        return self.expand(shape)

    def __getitem__(self, index: Any) -> "Tensor":
        return _apply(S.GetItem, (self,), {"index": _index(index)})

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        return split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return chunk(self, chunks, dim)


def _arg(t: Tensor, dim: Any, keepdim: bool, fn: Any) -> Tensor:
    if dim is None:
        out = fn(t.data)
        return Tensor(np.asarray(out, dtype=np.int64).reshape((1,) * t.ndim if keepdim else ()))
    d = _dim(dim, t.ndim, fn.__name__)
    return Tensor(np.asarray(fn(t.data, axis=d, keepdims=keepdim), dtype=np.int64))


def _check_matmul(a: Any, b: Any) -> None:
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    if not sa or not sb:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {sa} and {sb}")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: {k_a} (last dim of the first) "
            f"!= {k_b} ({'first' if len(sb) == 1 else 'second-to-last'} dim of the second)"
        )


class _Cast(_function.Function):
    op_name = "cast"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.in_dtype) if isinstance(g, np.ndarray) else g.type(ctx.in_dtype)


def _seed(out: Tensor, gradient: Any, create_graph: bool, where: str) -> Any:
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"{where}: grad can be implicitly created only for one-element outputs; this "
                f"output has shape {out.shape}. Pass gradient=... (dL/d output) of that shape."
            )
        seed = np.ones(out.shape, dtype=out.dtype)
    else:
        seed = np.array(_data(gradient), dtype=out.dtype)
        if seed.shape != out.shape:
            raise RuntimeError(
                f"{where}: gradient has shape {seed.shape} but the output has shape {out.shape}"
            )
    if create_graph:
        if isinstance(gradient, Tensor):
            return gradient
        return Tensor(seed)
    return seed


# ---------------------------------------------------------------------------
# Functions on several tensors
# ---------------------------------------------------------------------------

def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ndim = np.ndim(_data(tensors[0]))
    d = _dim(dim, ndim, "cat")
    shapes = [np.shape(_data(t)) for t in tensors]
    for s in shapes:
        if len(s) != ndim or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != d):
            raise ValueError(f"cat: shapes {shapes} don't match outside dim {dim}")
    return _apply(S.Concatenate, tuple(tensors), {"axis": d})


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)


def split(t: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or given sizes."""
    d = _dim(dim, t.ndim, "split")
    n = t.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} don't add up to {n} (dim {dim} of {t.shape})")
    lead = (slice(None),) * d
    out, start = [], 0
    for s in sizes:
        out.append(t[lead + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(t: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` nearly equal pieces along ``dim`` (PyTorch's rule: ceil-sized)."""
    n = t.shape[_dim(dim, t.ndim, "chunk")]
    size = -(-n // chunks) if n else 1
    return split(t, max(size, 1), dim)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elementwise ``input if condition else other``; ``condition`` gets no gradient."""
    return _apply(E.Where, (_data(condition).astype(bool), input, other), {})


def maximum(a: Any, b: Any) -> Tensor:
    return _apply(E.Maximum, (a, b), {})


def minimum(a: Any, b: Any) -> Tensor:
    return _apply(E.Minimum, (a, b), {})
