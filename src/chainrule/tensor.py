"""Tensor: an ndarray that remembers how it was made.

This is the engine's core: :func:`_apply`, the one place where an op is run and
recorded, and the Tensor class with its properties, autograd (``backward``,
``grad``, hooks), operators and in-place rules. Tensor's other methods live beside
the ops they call, grouped like :mod:`chainrule.ops` (:mod:`chainrule.tensor_methods`);
creation functions are in :mod:`chainrule.creation`. Names and semantics follow
PyTorch.

>>> import chainrule as cr
>>> x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([[2., 4.],
        [6., 8.]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import graph as _graph
from .dtypes import as_dtype, to_array
from .function import Context, Function, _sequence, register_engine
from .graph import RemovableHandle, _mode, check_forward_anomaly
from .ops.arrays import ArrayNamespace
from .ops.elementwise import Abs, Add, Cast, Div, Mul, Neg, Pow, PowScalar, Sub
from .ops.namespace import TENSOR
from .ops.shape import SetItem

__all__ = ["Tensor"]


# ---------------------------------------------------------------------------
# Applying and recording an op
# ---------------------------------------------------------------------------

def _apply(fn: type[Function], inputs: Sequence[Any], params: dict) -> Tensor:
    """Run ``fn.forward`` on the arrays behind ``inputs``; record it if a gradient is needed.

    This runs once per op, so it is written for speed (bench/chain.py measures it):
    one- and two-input calls take a straight path without loops or generators, and
    the Context and the output Tensor are filled slot by slot.
    """
    if type(inputs) is not tuple:
        inputs = tuple(inputs)
    ctx = _new_object(Context)
    ctx.fn = fn
    ctx.freed = False
    ctx._saved = ()
    ctx._seq = _next_seq()
    n = len(inputs)
    forward_args: tuple
    if n == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            a = x._array
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
        forward_args = (x._array if x_is_t else x, y._array if y_is_t else y)
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
                datas.append(x._array)
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
    t._array = out
    t.grad = None
    t._version = 0
    t._retains_grad = False
    t.label = None
    if record:
        t.requires_grad = True
        t._ctx = ctx
        if _mode.anomaly:
            check_forward_anomaly(ctx, inputs, t)
    else:
        t.requires_grad = False
        t._ctx = None
    return t


_new_object = object.__new__  # Tensor and Context define no __new__: skip __init__
_next_seq = _sequence.__next__
_NEED_1 = (True,)
_NO_NEED_1 = (False,)
_NEED_2 = (True, True)
_NEED_FIRST = (True, False)
_NEED_SECOND = (False, True)
_NO_NEED_2 = (False, False)



register_engine(_apply)


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


def _grad_output(out: Tensor, gradient: Any, create_graph: bool, where: str) -> Any:
    """dL/d(out) to start a backward pass from: ``gradient``, or 1 for a one-element ``out``."""
    if gradient is None:
        if out._array.size != 1:
            raise RuntimeError(
                f"{where}: grad can be implicitly created only for one-element outputs; this "
                f"output has shape {out.shape}. Pass gradient=... (dL/d output) of that shape."
            )
        start = np.ones(out.shape, dtype=out.dtype)
    else:
        start = np.array(gradient._array if isinstance(gradient, Tensor) else gradient,
                         dtype=out.dtype)
        if start.shape != out.shape:
            raise RuntimeError(
                f"{where}: gradient has shape {start.shape} but the output has shape {out.shape}"
            )
    if create_graph:
        return gradient if isinstance(gradient, Tensor) else Tensor(start)
    return start


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Two tensors cast to PyTorch's result dtype (differentiable casts where needed).

    Like ``torch.result_type``: a 0-d tensor does not widen a tensor with dims of the
    same or a higher kind (bool < int < float < complex), so float32 with a 0-d
    float64 tensor stays float32; a 0-d tensor of a higher kind gives its dtype.
    Otherwise the higher kind's dtype (float32 with int64: float32), and within one
    kind NumPy's promotion (float32 with float64: float64).
    """
    da, db = a._array.dtype, b._array.dtype
    a_zero, b_zero = a._array.ndim == 0, b._array.ndim == 0
    ka, kb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if a_zero != b_zero:
        dims, zero = (db, da) if a_zero else (da, db)
        result = zero if _CATEGORY[zero.kind] > _CATEGORY[dims.kind] else dims
    elif ka == kb:
        result = np.promote_types(da, db)
    else:  # the higher kind's dtype: float32 with int64 stays float32
        result = da if ka > kb else db
    return (a if da == result else a.type(result)), (b if db == result else b.type(result))


def _same_dtype(a: Any, b: Any) -> tuple[Any, Any]:
    """``(a, b)``, with two Tensors of different dtypes cast as :func:`_promote_pair` says."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._array.dtype is not b._array.dtype:
        return _promote_pair(a, b)
    return a, b


def _constant(array: np.ndarray) -> Tensor:
    """A Tensor outside any graph: results that have no gradient (comparisons, indices)."""
    return Tensor(array)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


# ---------------------------------------------------------------------------
# Tensor: the method groups are imported here, after _apply, _same_dtype, _constant
# and _is_tensor, which they call
# ---------------------------------------------------------------------------

from .tensor_methods._indexing import torch_index  # noqa: E402
from .tensor_methods.elementwise import ElementwiseMethods  # noqa: E402
from .tensor_methods.fused import FusedMethods  # noqa: E402
from .tensor_methods.index import IndexMethods  # noqa: E402
from .tensor_methods.linalg import LinalgMethods  # noqa: E402
from .tensor_methods.reduce import ReduceMethods  # noqa: E402
from .tensor_methods.shape import ShapeMethods  # noqa: E402


class Tensor(IndexMethods, ElementwiseMethods, ReduceMethods, ShapeMethods, LinalgMethods,
             FusedMethods):
    """A multi-dimensional array that records the ops applied to it.

    Create one with :func:`chainrule.tensor`. ``numpy()`` gives its NumPy array;
    ``grad`` is a Tensor (or None) filled in by :meth:`backward`; ``label`` is a
    name for pictures and tables (:mod:`chainrule.explain`).
    """

    # ``_hooks`` is left unset until a hook is registered (graph.py reads it with a
    # default), which keeps it off the path of every op.
    __slots__ = ("_array", "grad", "requires_grad", "_ctx", "_version", "_retains_grad",
                 "label", "_hooks", "__weakref__")
    __array_priority__ = 1000
    __array_ufunc__ = None  # NumPy defers to Tensor's operators: array * tensor is a Tensor

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        arr = data if type(data) is np.ndarray else to_array(data, copy=False)
        self._array: np.ndarray = arr
        self.grad: Tensor | None = None
        self._ctx: Context | None = None
        self._version = 0
        self._retains_grad = False
        self.label: str | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Context) -> Tensor:
        t = cls(data)
        t.requires_grad = True
        t._ctx = ctx
        return t

    # -- the array namespace used by VJPs under create_graph -------------------
    def __array_namespace__(self, api_version: Any = None) -> ArrayNamespace:
        return TENSOR

    # -- basic properties -----------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The NumPy array behind this tensor (shared, not copied)."""
        return self._array

    @data.setter
    def data(self, value: Any) -> None:
        self._array = value._array if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self) -> tuple:
        return self._array.shape

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    @property
    def ndim(self) -> int:
        return self._array.ndim

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
        return int(self._array.size)

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def numpy(self, force: bool = False) -> np.ndarray:
        """The data as a NumPy array (shared, not copied).

        As in PyTorch, a tensor that requires grad refuses unless ``force=True``.
        """
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy()."
            )
        return self._array

    def item(self) -> Any:
        if self._array.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted, got shape {self.shape}")
        return self._array.item()

    def tolist(self) -> Any:
        return self._array.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous"
            )
        return bool(self._array.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._array if dtype is None else self._array.astype(dtype)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._array, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_) or self._array.size == 0:
            extras.append(f"dtype={self.dtype.name}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- autograd -------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place; only floating-point tensors can require grad."""
        if requires_grad and self._array.dtype.kind != "f":
            raise RuntimeError(
                f"only real floating-point tensors can require gradients, got dtype "
                f"{self.dtype.name}; convert with .float() or .double() first"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that doesn't require grad")
        if self._ctx is not None:
            self._retains_grad = True
        return self

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor(self._array)

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

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
        grad_output = _grad_output(self, gradient, create_graph, "backward")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            found = _graph.backward([self], [grad_output], retain_graph=retain_graph,
                                    create_graph=create_graph, inputs=inputs)
            for t, g in zip(inputs, found):
                if g is not None:
                    t._accumulate_grad(g)
            return
        _graph.backward([self], [grad_output], retain_graph=retain_graph, create_graph=create_graph)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` each time this tensor's gradient is computed in a backward.

        The hook may return a new gradient to use instead. Returns a handle whose
        ``remove()`` unregisters it.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([20., 40.])
        """
        return _graph.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]
                                           ) -> RemovableHandle:
        """Call ``hook(self)`` right after a backward has accumulated this leaf's ``.grad``.

        It runs as soon as that gradient is final, before the rest of the backward pass
        (what data-parallel training uses to overlap communication with backward).
        """
        return _graph.register_post_accumulate_grad_hook(self, hook)

    def _accumulate_grad(self, g: Any) -> None:
        if isinstance(g, Tensor):  # create_graph: keep the graph of the gradient
            self.grad = g if self.grad is None else self.grad + g
            return
        if g.dtype != self._array.dtype:
            g = g.astype(self._array.dtype)
        if self.grad is None:
            if type(g) is not np.ndarray or g.base is not None or not g.flags.writeable \
                    or self._ctx is not None:
                g = np.array(g)  # own the array: later backward calls add into it in place
            self.grad = Tensor(g)
        elif self.grad.requires_grad or self.grad._array.shape != g.shape:
            self.grad = Tensor(self.grad._array + g)
        else:
            self.grad._array += g
            self.grad._version += 1

    # -- in-place ops -----------------------------------------------------------
    def _inplace(self, fn: type[Function], *args: Any, name: str, **params: Any) -> Tensor:
        """Change ``self._array`` in place; recorded (and rebased) when a graph needs it."""
        others_need = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        if _mode.enabled and (self.requires_grad or others_need):
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    f"{name}: a leaf tensor that requires grad (shape {self.shape}) can't be "
                    "changed in place while grad is enabled. Do it under chainrule.no_grad(), "
                    "or use an out-of-place op."
                )
            old = Tensor(self._array.copy())
            old.requires_grad, old._ctx = self.requires_grad, self._ctx
            prev = self._ctx
            if prev is not None and any(a is self._array for a in prev._saved):
                # The op that made self saved its output, which is about to change: point
                # the record at ``old`` and mark that changed, so its backward raises.
                prev._saved = tuple(old._array if a is self._array else a for a in prev._saved)
                old._version = self._version + 1
            out = fn.apply(old, *args, **params)
            self._array[...] = out._array
            self._version += 1
            self._ctx = out._ctx
            self.requires_grad = True
            self._ctx._out_version = self._version
            out._array = self._array
            return self
        with _graph.no_grad():
            out = fn.apply(self, *args, **params)
        self._array[...] = out._array
        self._version += 1
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(Add, other, name="add_")

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(Sub, other, name="sub_")

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(Mul, other, name="mul_")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(Div, other, name="div_")

    add_ = __iadd__
    sub_ = __isub__
    mul_ = __imul__
    div_ = __itruediv__

    def __setitem__(self, index: Any, value: Any) -> None:
        select, idx = torch_index(index, self.ndim)
        self._inplace(SetItem, value, index=idx, select=select, name="index_put_")

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        self.__setitem__(Ellipsis, value)
        return self

    def copy_(self, src: Any) -> Tensor:
        self.__setitem__(Ellipsis, src)
        return self

    # -- dtype ----------------------------------------------------------------
    def to(self, dtype: Any) -> Tensor:
        return self.type(dtype)

    def type(self, dtype: Any) -> Tensor:
        """This tensor in ``dtype`` (itself when it already is); differentiable between
        floating dtypes."""
        dt = as_dtype(dtype)
        if dt is None:
            raise TypeError("type(): give a dtype, e.g. chainrule.float64")
        if dt == self.dtype:
            return self
        if self.requires_grad and dt.kind in "fc":
            return _apply(Cast, (self,), {"dtype": dt})
        return Tensor(self._array.astype(dt))

    def float(self) -> Tensor:
        return self.type(np.float32)

    def double(self) -> Tensor:
        return self.type(np.float64)

    def long(self) -> Tensor:
        return self.type(np.int64)

    def int(self) -> Tensor:
        return self.type(np.int32)

    def bool(self) -> Tensor:
        return self.type(np.bool_)

    # -- arithmetic -----------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Add, _promote_pair(self, other), {})
        return _apply(Add, (self, other), {})

    def __radd__(self, other: Any) -> Tensor:
        return _apply(Add, (other, self), {})

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Sub, _promote_pair(self, other), {})
        return _apply(Sub, (self, other), {})

    def __rsub__(self, other: Any) -> Tensor:
        return _apply(Sub, (other, self), {})

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Mul, _promote_pair(self, other), {})
        return _apply(Mul, (self, other), {})

    def __rmul__(self, other: Any) -> Tensor:
        return _apply(Mul, (other, self), {})

    def __truediv__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Div, _promote_pair(self, other), {})
        return _apply(Div, (self, other), {})

    def __rtruediv__(self, other: Any) -> Tensor:
        return _apply(Div, (other, self), {})

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float, np.integer, np.floating)):
            return _apply(PowScalar, (self,), {"c": other})
        return _apply(Pow, _same_dtype(self, other), {})

    def __rpow__(self, other: Any) -> Tensor:
        return _apply(Pow, (other, self), {})

    def __neg__(self) -> Tensor:
        return _apply(Neg, (self,), {})

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _apply(Abs, (self,), {})

    def pow(self, exponent: Any) -> Tensor:
        return self ** exponent

    def add(self, other: Any) -> Tensor:
        return self + other

    def sub(self, other: Any) -> Tensor:
        return self - other

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def neg(self) -> Tensor:
        return -self

    # -- comparisons (no gradient; bool results) ------------------------------
    def _compare(self, other: Any, ufunc: Any) -> Tensor:
        return Tensor(ufunc(self._array, other._array if isinstance(other, Tensor) else other))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_or)

    def __invert__(self) -> Tensor:
        return Tensor(~self._array)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
