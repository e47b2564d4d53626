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

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from . import graph as _graph
from .dtypes import default_complex, default_float, result_type, to_array
from .function import Context, Function, _sequence, register_engine
from .graph import RemovableHandle, _mode, check_forward_anomaly
from .ops.arrays import NUMPY, ArrayNamespace
from .ops.elementwise import (
    Abs,
    Add,
    BitwiseAnd,
    BitwiseNot,
    BitwiseOr,
    BitwiseXor,
    Div,
    DivRounding,
    LeftShift,
    Mul,
    Neg,
    Pow,
    PowScalar,
    Reciprocal,
    Remainder,
    RightShift,
    Sub,
)
from .ops.namespace import TENSOR
from .ops.shape import SetItem

__all__ = ["Tensor"]


# ---------------------------------------------------------------------------
# Applying and recording an op
# ---------------------------------------------------------------------------

# The parameters of an op called without any: one shared, read-only mapping, so that an
# operator does not build an empty dict per call (40 ns, about 1% of an op)
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


def _apply(fn: type[Function], inputs: Sequence[Any], params: Mapping[str, Any] = _NO_PARAMS
           ) -> Tensor:
    """Run ``fn.forward`` on the arrays behind ``inputs``; record it if a gradient is needed.

    This runs once per op, so it is written for speed (bench/instructions.py counts it):
    one- and two-input calls take a straight path without loops or generators, the
    Context and the output Tensor are filled slot by slot, grad and anomaly mode are
    read from module counters unless some thread changed them (graph._GradMode), and
    only the inputs that forward saved get their version noted for the in-place check.
    """
    if type(inputs) is not tuple:
        inputs = tuple(inputs)
    ctx = _new_object(Context)
    ctx.fn = fn
    ctx.freed = False
    ctx.xp = NUMPY
    ctx._saved = ()
    ctx._versions = ()
    ctx._seq = _next_seq()
    n = len(inputs)
    if n == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            a = x._array
            record = x.requires_grad and (_graph._grad_off == 0 or _mode.enabled)
        else:
            a = x
            record = False
        if record:
            node = x._ctx
            ctx.parents = (x if node is None else node,)
            ctx.needs_input_grad = _NEED_1
            ctx._inputs = inputs
        else:
            ctx.parents = None
            ctx.needs_input_grad = _NO_NEED_1
            ctx._inputs = ()
        try:
            out = fn.forward(ctx, a, **params) if params else fn.forward(ctx, a)
        except (ValueError, TypeError, IndexError) as err:
            raise type(err)(f"{fn.op_name}: {_describe(inputs)}: {err}") from None
        if type(out) is not np.ndarray:
            out = _as_array(ctx, out, record)
        if record and ctx._saved:
            for s in ctx._saved:
                if s is out:  # the op keeps its own output: create_graph and in-place need it
                    ctx._out_array = out
                elif s is a:
                    ctx._versions = (x, x._version)
    elif n == 2:
        x, y = inputs
        x_is_t = isinstance(x, Tensor)
        y_is_t = isinstance(y, Tensor)
        need_x = x_is_t and x.requires_grad
        need_y = y_is_t and y.requires_grad
        record = (need_x or need_y) and (_graph._grad_off == 0 or _mode.enabled)
        a = x._array if x_is_t else x
        b = y._array if y_is_t else y
        if record:
            if need_x and need_y:
                node_x = x._ctx
                node_y = y._ctx
                ctx.parents = (x if node_x is None else node_x, y if node_y is None else node_y)
                ctx.needs_input_grad = _NEED_2
            elif need_x:
                node_x = x._ctx
                ctx.parents = (x if node_x is None else node_x, None)
                ctx.needs_input_grad = _NEED_FIRST
            else:
                node_y = y._ctx
                ctx.parents = (None, y if node_y is None else node_y)
                ctx.needs_input_grad = _NEED_SECOND
            ctx._inputs = inputs
        else:
            ctx.parents = None
            ctx.needs_input_grad = _NO_NEED_2
            ctx._inputs = ()
        try:
            out = fn.forward(ctx, a, b, **params) if params else fn.forward(ctx, a, b)
        except (ValueError, TypeError, IndexError) as err:
            raise type(err)(f"{fn.op_name}: {_describe(inputs)}: {err}") from None
        if type(out) is not np.ndarray:
            out = _as_array(ctx, out, record)
        if record and ctx._saved:
            for s in ctx._saved:
                if s is out:
                    ctx._out_array = out
                elif s is a and x_is_t:
                    ctx._versions += (x, x._version)
                elif s is b and y_is_t:
                    ctx._versions += (y, y._version)
    else:
        out, record = _apply_many(ctx, fn, inputs, params)
    t = _new_object(Tensor)
    t._array = out
    t.grad = None
    t._version = 0
    t.label = None
    if record:
        t.requires_grad = True
        t._ctx = ctx
        if _graph._anomaly_on and _mode.anomaly:
            check_forward_anomaly(ctx, inputs, t)
    else:
        t.requires_grad = False
        t._ctx = None
    return t


def _apply_many(ctx: Context, fn: type[Function], inputs: tuple,
                params: Mapping[str, Any]) -> tuple[np.ndarray, bool]:
    """``_apply`` for no inputs or more than two: forward's array, and whether the op
    is recorded."""
    datas = []
    needs = []
    parents: list = []
    record = False
    for x in inputs:  # one pass: the arrays, which inputs need a gradient, and their nodes
        if isinstance(x, Tensor):
            datas.append(x._array)
            if x.requires_grad:
                record = True
                needs.append(True)
                node = x._ctx
                parents.append(x if node is None else node)
                continue
        else:
            datas.append(x)
        needs.append(False)
        parents.append(None)
    ctx.needs_input_grad = tuple(needs)
    if record and (_graph._grad_off == 0 or _mode.enabled):
        ctx.parents = tuple(parents)
        ctx._inputs = inputs
    else:
        record = False
        ctx.parents = None
        ctx._inputs = ()
    try:
        out = fn.forward(ctx, *datas, **params) if params else fn.forward(ctx, *datas)
    except (ValueError, TypeError, IndexError) as err:
        raise type(err)(f"{fn.op_name}: {_describe(inputs)}: {err}") from None
    if type(out) is not np.ndarray:
        out = _as_array(ctx, out, record)
    if record and ctx._saved:
        for s in ctx._saved:
            if s is out:
                ctx._out_array = out
                continue
            for x, a in zip(inputs, datas):
                if a is s and x is not a:  # a Tensor input's array (not a raw array input)
                    ctx._versions += (x, x._version)
                    break
    return out, record


def _as_array(ctx: Context, out: Any, record: bool) -> np.ndarray:
    """A forward's result as an array: NumPy gives 0-d results as scalars; a saved
    scalar result becomes the same array, so the op still knows it kept its output."""
    array = np.asarray(out)
    if record and ctx._saved:
        ctx._saved = tuple([array if s is out else s for s in ctx._saved])
    return array


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


def _promote_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Two tensors cast to ``torch.result_type``'s dtype (:func:`chainrule.dtypes.result_type`):
    float32 with a 0-d float64 tensor stays float32, float32 with int64 stays float32,
    float32 with float64 gives float64. The casts are recorded, so gradients cross them."""
    da, db = a._array.dtype, b._array.dtype
    result = result_type(a, b)
    return (a if da == result else a.type(result)), (b if db == result else b.type(result))


def _same_dtype(a: Any, b: Any) -> tuple[Any, Any]:
    """``(a, b)``, with two Tensors of different dtypes cast as :func:`_promote_pair` says."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._array.dtype is not b._array.dtype:
        return _promote_pair(a, b)
    return a, b


class _Family:
    """The tensors that share one block of memory (a tensor and its views): a write to
    any of them gives all of them a new version."""

    __slots__ = ("refs", "added")

    def __init__(self) -> None:
        self.refs: list = []
        self.added = 0

    def add(self, t: Tensor) -> None:
        self.refs.append(weakref.ref(t))
        self.added += 1
        if self.added % 64 == 0:  # drop the views that are gone, now and then
            self.refs = [r for r in self.refs if r() is not None]

    def alive(self) -> list:
        return [t for t in (r() for r in self.refs) if t is not None]


def _view_of(out: Tensor, base: Any, index: Any = None) -> Tensor:
    """Mark ``out`` as a view of ``base`` when they share memory (a reshape, transpose,
    expand, basic index or detach): writes to either give both a new version, and an
    in-place change of an indexed view writes its base (``index``) in a graph too."""
    if not np.may_share_memory(out._array, base._array):
        return out
    family = getattr(base, "_family", None)
    if family is None:
        family = base._family = _Family()
        family.add(base)
    family.add(out)
    out._family = family
    if base.requires_grad:
        out._view_info = (base, index)
    return out


def _constant(array: np.ndarray) -> Tensor:
    """A Tensor outside any graph: results that have no gradient (comparisons, indices)."""
    return Tensor(array)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


# ---------------------------------------------------------------------------
# Tensor: the method groups are imported here, after _apply, _same_dtype, _view_of,
# _constant and _is_tensor, which they call
# ---------------------------------------------------------------------------

from .tensor_methods._indexing import torch_index  # noqa: E402
from .tensor_methods.dtype import DtypeMethods  # noqa: E402
from .tensor_methods.elementwise import ElementwiseMethods  # noqa: E402
from .tensor_methods.fused import FusedMethods  # noqa: E402
from .tensor_methods.index import IndexMethods  # noqa: E402
from .tensor_methods.linalg import LinalgMethods  # noqa: E402
from .tensor_methods.random import RandomMethods  # noqa: E402
from .tensor_methods.reduce import ReduceMethods  # noqa: E402
from .tensor_methods.shape import ShapeMethods  # noqa: E402


class Tensor(IndexMethods, ElementwiseMethods, ReduceMethods, ShapeMethods, LinalgMethods,
             FusedMethods, DtypeMethods, RandomMethods):
    """A multi-dimensional array that records the ops applied to it.

    Create one with :func:`chainrule.tensor`. ``numpy()`` gives its NumPy array;
    ``grad`` is a Tensor (or None) filled in by :meth:`backward`; ``label`` is a
    name for pictures and tables (:mod:`chainrule.explain`).
    """

    # ``_hooks`` is left unset until a hook is registered (graph.py reads it with a
    # default), which keeps it off the path of every op.
    # ``_family`` and ``_view_info`` likewise stay unset unless the tensor is a view
    # or has views (``_view_of``).
    # a dict of slots: the values are the attributes' docstrings (help(), the reference)
    __slots__ = {
        "_array": None, "_ctx": None, "_version": None, "_hooks": None, "_family": None,
        "_view_info": None, "__weakref__": None,
        "grad": "dL/d(self) after ``backward()``, for a leaf that requires grad (else None); "
                "accumulates across backward calls until ``zero_grad``/``grad = None``.",
        "requires_grad": "Whether ops on this tensor are recorded so that gradients flow to "
                         "it; set it on a leaf with ``requires_grad_()`` or at creation.",
        "label": "A name for this value in ``chainrule.explain``'s graphs and tables "
                 "(None: the op's name); any string.",
    }
    _family: _Family
    _view_info: tuple
    parents = None  # a leaf is a node of the graph with no parents (graph protocol)
    __array_priority__ = 1000
    __array_ufunc__ = None  # NumPy defers to Tensor's operators: array * tensor is a Tensor

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        arr = data if type(data) is np.ndarray else to_array(data, copy=False)
        self._array: np.ndarray = arr
        self.grad: Tensor | None = None
        self._ctx: Context | None = None
        self._version = 0
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
    def data(self) -> Tensor:
        """This tensor's values as a new tensor outside the graph, sharing memory (PyTorch's
        ``.data``).

        Writes through it (``p.data.add_(...)``, ``p.data[...] = ...``) change this tensor
        without being recorded and without bumping its version, so a backward that needs
        the old values computes a wrong gradient without a word: use it only for updates
        outside a graph (optimizer steps, initialisation), as in PyTorch. ``detach()`` is the
        same tensor with the version check kept; ``numpy()`` gives the array.

        >>> import chainrule as cr
        >>> w = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> w.data.mul_(10)
        tensor([10., 20.])
        >>> w
        tensor([10., 20.], requires_grad=True)
        """
        return Tensor(self._array)

    @data.setter
    def data(self, value: Any) -> None:
        array = value._array if isinstance(value, Tensor) else np.asarray(value)
        self._array = array

    @property
    def shape(self) -> tuple:
        """The shape, a tuple of ints.

        >>> import chainrule as cr
        >>> cr.zeros(2, 3).shape
        (2, 3)
        """
        return self._array.shape

    @property
    def dtype(self) -> np.dtype:
        """The data type: a NumPy dtype (``chainrule.float32`` is ``numpy.float32``'s dtype).

        >>> import chainrule as cr
        >>> cr.tensor([1.0]).dtype == cr.float32
        True
        """
        return self._array.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions.

        >>> import chainrule as cr
        >>> cr.zeros(2, 3).ndim
        2
        """
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
        """The shape as a tuple, or its length along ``dim`` (PyTorch returns a ``torch.Size``).

        >>> import chainrule as cr
        >>> t = cr.zeros(2, 3)
        >>> t.size(), t.size(1), t.size(-1)
        ((2, 3), 3, 3)
        """
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        """The number of dimensions (``ndim``).

        >>> import chainrule as cr
        >>> cr.zeros(2, 3).dim()
        2
        """
        return self.ndim

    def numel(self) -> int:
        """The number of elements (the product of the shape).

        >>> import chainrule as cr
        >>> cr.zeros(2, 3).numel()
        6
        """
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
        """The value of a one-element tensor as a Python number; other shapes raise.

        >>> import chainrule as cr
        >>> loss = cr.tensor([1.5, 2.5]).sum()
        >>> loss.item()
        4.0
        """
        if self._array.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted, got shape {self.shape}")
        return self._array.item()

    def tolist(self) -> Any:
        """The data as nested Python lists (a 0-d tensor gives a number).

        >>> import chainrule as cr
        >>> cr.tensor([[1, 2], [3, 4]]).tolist()
        [[1, 2], [3, 4]]
        """
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
        shown = (default_float(), default_complex(), np.int64, np.bool_)
        if self.dtype not in shown or self._array.size == 0:
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
        _graph.retain_grad(self)
        return self

    def detach(self) -> Tensor:
        """The same data, cut from the graph; it shares memory and versions with this one."""
        out = Tensor(self._array)
        family = getattr(self, "_family", None)
        if family is None:
            family = self._family = _Family()
            family.add(self)
        family.add(out)
        out._family = family
        return out

    def detach_(self) -> Tensor:
        """Make this tensor a leaf that does not require grad, in place; returns it.

        >>> import chainrule as cr
        >>> y = cr.ones(2, requires_grad=True) * 2
        >>> y.detach_().requires_grad, y.grad_fn is None
        (False, True)
        """
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
        dtype = self._array.dtype
        if g.dtype is not dtype and g.dtype != dtype:
            g = g.astype(dtype)
        if self.grad is None:
            if type(g) is not np.ndarray or g.base is not None or self._ctx is not None \
                    or not g.flags.writeable:
                g = np.array(g)  # own the array: later backward calls add into it in place
            self.grad = Tensor(g)
        elif self.grad.requires_grad or self.grad._array.shape != g.shape:
            self.grad = Tensor(self.grad._array + g)
        else:
            self.grad._array += g
            self.grad._version += 1

    # -- in-place ops -----------------------------------------------------------
    def _inplace(self, compute: Callable[[Tensor], Tensor], name: str,
                 others: tuple = ()) -> Tensor:
        """Set this tensor to ``compute(itself)``, in place.

        ``others`` are the other tensor operands (a gradient may flow to them). Outside a
        graph the arrays are simply overwritten. When a graph needs it, the change is
        recorded: ``compute`` runs on a snapshot of the old values, this tensor is rebased
        onto the result, and a view written this way writes its base too (``x[0] += 1``
        on a tensor in a graph). Every tensor sharing this memory gets a new version, so
        a backward that saved the old values refuses to run.
        """
        others_need = any(isinstance(a, Tensor) and a.requires_grad for a in others)
        view = getattr(self, "_view_info", None)
        if not (_mode.enabled and (self.requires_grad or others_need)):
            with _graph.no_grad():
                out = compute(self)
            self._write(out, name)
            return self
        if self.requires_grad and self._ctx is None:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad (shape {self.shape}) can't be "
                "changed in place while grad is enabled. Do it under chainrule.no_grad(), "
                "or use an out-of-place op."
            )
        if view is not None:
            base, index = view
            if base.requires_grad and base._ctx is None:
                raise RuntimeError(
                    f"{name}: this is a view of a leaf tensor that requires grad (shape "
                    f"{base.shape}); it can't be changed in place while grad is enabled. Do "
                    "it under chainrule.no_grad(), or clone() the view first."
                )
            if index is None:
                raise RuntimeError(
                    f"{name}: in-place change of a reshaped, transposed or expanded view "
                    f"(shape {self.shape}) of a tensor in a graph; clone() it first, or "
                    "change the tensor it was made from"
                )
        # The op runs on a copy of the old values (which it may save), as a new node
        # after this tensor's current record; then this tensor takes the new record.
        old = Tensor(self._array.copy())
        old.requires_grad, old._ctx = self.requires_grad, self._ctx
        out = compute(old)
        self._write(out, name)
        self._ctx = out._ctx
        self.requires_grad = out.requires_grad
        if view is not None:
            base, index = view
            base[index] = out  # records the write on the base as well (out is self's twin)
        return self

    def _write(self, out: Tensor, name: str) -> None:
        """Copy ``out``'s values into this tensor's memory and bump every alias's version."""
        if out._array.shape != self._array.shape and \
                np.broadcast_shapes(out._array.shape, self._array.shape) != self._array.shape:
            raise RuntimeError(
                f"{name}: the result has shape {out.shape}, which doesn't fit in this tensor "
                f"of shape {self.shape} (an in-place op can't change the shape)"
            )
        if not np.can_cast(out._array.dtype, self._array.dtype, casting="same_kind"):
            raise RuntimeError(
                f"{name}: the result type {out.dtype} can't be cast to this tensor's dtype "
                f"{self.dtype} in place; use an out-of-place op"
            )
        if not self._array.flags.writeable:
            raise RuntimeError(
                f"{name}: this tensor is a read-only view (an expand() or sliding-window "
                "result shares one memory location between elements); clone() it first"
            )
        self._array[...] = out._array
        self._bump_version()

    def _bump_version(self) -> None:
        """A new version for this tensor and every tensor that shares its memory; a record
        that saved one of their arrays as its output can no longer run its backward."""
        family = getattr(self, "_family", None)
        for member in family.alive() if family is not None else (self,):
            member._version += 1
            ctx = member._ctx
            if ctx is not None and getattr(ctx, "_out_array", None) is member._array:
                ctx._output_changed()

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self += alpha * other``, in place."""
        if alpha != 1:
            other = other * alpha
        return self._inplace(lambda old: _apply(Add, (old, other)), "add_", (other,))

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self -= alpha * other``, in place."""
        if alpha != 1:
            other = other * alpha
        return self._inplace(lambda old: _apply(Sub, (old, other)), "sub_", (other,))

    def mul_(self, other: Any) -> Tensor:
        """``self *= other``, in place."""
        return self._inplace(lambda old: _apply(Mul, (old, other)), "mul_", (other,))

    def div_(self, other: Any) -> Tensor:
        """``self /= other``, in place."""
        return self._inplace(lambda old: _apply(Div, (old, other)), "div_", (other,))

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """``self += value * tensor1 * tensor2``, in place (PyTorch's optimizer idiom)."""
        return self._inplace(lambda old: old.addcmul(tensor1, tensor2, value=value),
                             "addcmul_", (tensor1, tensor2))

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """``self += value * tensor1 / tensor2``, in place."""
        return self._inplace(lambda old: old.addcdiv(tensor1, tensor2, value=value),
                             "addcdiv_", (tensor1, tensor2))

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """Clip to ``[min, max]`` in place."""
        return self._inplace(lambda old: old.clamp(min, max), "clamp_", (min, max))

    clip_ = clamp_

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """``self + value * tensor1 * tensor2``."""
        product = tensor1 * tensor2
        return self + (product * value if value != 1 else product)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        """``self + value * tensor1 / tensor2``."""
        quotient = tensor1 / tensor2
        return self + (quotient * value if value != 1 else quotient)

    def __setitem__(self, index: Any, value: Any) -> None:
        select, idx = torch_index(index, self.ndim)
        self._inplace(lambda old: _apply(SetItem, (old, value), {"index": idx, "select": select}),
                      "index_put_", (value,))

    def zero_(self) -> Tensor:
        """Fill with zeros, in place."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        """Fill with ``value`` (a number or a one-element tensor), in place."""
        self.__setitem__(Ellipsis, value)
        return self

    def copy_(self, src: Any, non_blocking: bool = False) -> Tensor:
        """Copy ``src`` (broadcast to this shape) into this tensor, in place; differentiable
        with respect to ``src``."""
        self.__setitem__(Ellipsis, src)
        return self

    # -- arithmetic -----------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Add, _promote_pair(self, other))
        return _apply(Add, (self, other))

    def __radd__(self, other: Any) -> Tensor:
        return _apply(Add, (other, self))

    def __sub__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Sub, _promote_pair(self, other))
        return _apply(Sub, (self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return _apply(Sub, (other, self))

    def __mul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Mul, _promote_pair(self, other))
        return _apply(Mul, (self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return _apply(Mul, (other, self))

    def __truediv__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other._array.dtype is not self._array.dtype:
            return _apply(Div, _promote_pair(self, other))
        return _apply(Div, (self, other))

    def __rtruediv__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float)):
            # PyTorch's number / tensor: reciprocal, then the product, which keeps the
            # reciprocal rather than self (self may then change in place) and rounds alike
            return _apply(Reciprocal, (self,)) * other
        return _apply(Div, (other, self))

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float, np.integer, np.floating)):
            return _apply(PowScalar, (self,), {"c": other})
        return _apply(Pow, _same_dtype(self, other))

    def __rpow__(self, other: Any) -> Tensor:
        return _apply(Pow, (other, self))

    def __neg__(self) -> Tensor:
        return _apply(Neg, (self,))

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _apply(Abs, (self,))

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``, elementwise (a number or a tensor, broadcast).

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0, 3.0]).pow(2)
        tensor([1., 4., 9.])
        """
        return self ** exponent

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self + alpha * other."""
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self - alpha * other."""
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other: Any) -> Tensor:
        """``self * other``, elementwise with broadcasting; ``multiply`` is the same method.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 2.0]).mul(3)
        tensor([3., 6.])
        """
        return self * other

    subtract, multiply = sub, mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode="trunc"`` or ``"floor"`` rounds the quotient
        (see :meth:`divide`)."""
        if rounding_mode is None:
            return self / other
        return self.divide(other, rounding_mode=rounding_mode)

    def neg(self) -> Tensor:
        """``-self``; ``negative`` is the same method.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, -2.0]).neg()
        tensor([-1.,  2.])
        """
        return -self

    # -- comparisons (no gradient; bool results) ------------------------------
    def _compare(self, other: Any, ufunc: Any) -> Tensor:
        return Tensor(ufunc(self._array, other._array if isinstance(other, Tensor) else other))

    def __lt__(self, other: Any) -> Tensor:
        """``self < other`` elementwise, a bool tensor (no gradient); also ``lt`` and ``less``.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2, 3]) < 2
        tensor([ True, False, False])
        """
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        """``self <= other`` elementwise, a bool tensor (no gradient); also ``le`` and
        ``less_equal``.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2, 3]).le(2)
        tensor([ True,  True, False])
        """
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        """``self > other`` elementwise, a bool tensor (no gradient); also ``gt`` and ``greater``.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2, 3]).gt(2)
        tensor([False, False,  True])
        """
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        """``self >= other`` elementwise, a bool tensor (no gradient); also ``ge`` and
        ``greater_equal``.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2, 3]).ge(2)
        tensor([False,  True,  True])
        """
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        """``self == other`` elementwise, a bool tensor (no gradient), as in PyTorch (use
        ``chainrule.equal`` for one bool); also ``eq``.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2, 3]).eq(2)
        tensor([False,  True, False])
        """
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        """``self != other`` elementwise, a bool tensor (no gradient); also ``ne`` and
        ``not_equal``.

        >>> import chainrule as cr
        >>> cr.tensor([1, 2, 3]).ne(2)
        tensor([ True, False,  True])
        """
        return self._compare(other, np.not_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    # -- integer division and remainder (// %): floor_divide and remainder ----------
    def __floordiv__(self, other: Any) -> Tensor:
        return self.floor_divide(other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _apply(DivRounding, (other, self), {"rounding_mode": "floor"})

    def __ifloordiv__(self, other: Any) -> Tensor:
        return self._inplace_op(DivRounding, "floor_divide_", other, rounding_mode="floor")

    def __mod__(self, other: Any) -> Tensor:
        return self.remainder(other)

    def __rmod__(self, other: Any) -> Tensor:
        return _apply(Remainder, (other, self))

    def __imod__(self, other: Any) -> Tensor:
        return self._inplace_op(Remainder, "remainder_", other)

    # -- bitwise (integer and bool tensors; no gradient): & | ^ ~ << >> -------------
    def __and__(self, other: Any) -> Tensor:
        return _apply(BitwiseAnd, (self, other))

    def __rand__(self, other: Any) -> Tensor:
        return _apply(BitwiseAnd, (other, self))

    def __iand__(self, other: Any) -> Tensor:
        return self._inplace_op(BitwiseAnd, "bitwise_and_", other)

    def __or__(self, other: Any) -> Tensor:
        return _apply(BitwiseOr, (self, other))

    def __ror__(self, other: Any) -> Tensor:
        return _apply(BitwiseOr, (other, self))

    def __ior__(self, other: Any) -> Tensor:
        return self._inplace_op(BitwiseOr, "bitwise_or_", other)

    def __xor__(self, other: Any) -> Tensor:
        return _apply(BitwiseXor, (self, other))

    def __rxor__(self, other: Any) -> Tensor:
        return _apply(BitwiseXor, (other, self))

    def __ixor__(self, other: Any) -> Tensor:
        return self._inplace_op(BitwiseXor, "bitwise_xor_", other)

    def __invert__(self) -> Tensor:
        return _apply(BitwiseNot, (self,))

    def __lshift__(self, other: Any) -> Tensor:
        return _apply(LeftShift, (self, other))

    def __rlshift__(self, other: Any) -> Tensor:
        return _apply(LeftShift, (other, self))

    def __ilshift__(self, other: Any) -> Tensor:
        return self._inplace_op(LeftShift, "bitwise_left_shift_", other)

    def __rshift__(self, other: Any) -> Tensor:
        return _apply(RightShift, (self, other))

    def __rrshift__(self, other: Any) -> Tensor:
        return _apply(RightShift, (other, self))

    def __irshift__(self, other: Any) -> Tensor:
        return self._inplace_op(RightShift, "bitwise_right_shift_", other)
