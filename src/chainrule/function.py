"""Function and Context: how an op is defined, and how users write their own.

An op is a subclass of :class:`Function` with two static methods:

``forward(ctx, *inputs, **params)``
    Receives NumPy arrays (a Tensor argument arrives as its array; Python
    numbers and other arrays arrive as they were given) and returns one array.
    It may stash what backward needs with ``ctx.save_for_backward(*arrays)`` and
    plain attributes such as ``ctx.axis = 1``.
``backward(ctx, grad)``
    The vector-Jacobian product. Given dL/d(output) it returns one gradient per
    input of ``forward`` (a tuple, or a single value for a one-input op), each of
    that input's shape (or broadcastable to it: the engine sums gradients back to
    the input's shape, once, for every op), or ``None`` where there is none.

The VJP contract that makes every op differentiable at any order: write
``backward`` with operators and with functions from ``xp = ctx.xp``, the array
namespace of the pass being run (its names: :data:`chainrule.ops.arrays.ARRAY_API`).
In an ordinary backward ``xp`` is NumPy and everything is plain arrays; under
``create_graph=True`` the same code runs on Tensors and is recorded, so gradients
of gradients need no extra code. Values from ``ctx.saved_tensors`` follow the same
rule: arrays in an ordinary pass, the very input or output Tensors under
``create_graph``. Anything else stashed on ``ctx`` is a constant to the second pass
(fine for masks and indices).

An op may also define ``fast_backward(ctx, grad)``: the same vector-Jacobian
product on arrays only, written for speed (it may reuse what forward kept and
write in place). An ordinary backward then runs it instead of ``backward``;
``create_graph=True`` always runs ``backward``. tests/test_fast_kernels.py checks
every op that has one against its ``backward``.

>>> import numpy as np
>>> import chainrule as cr
>>> class Cube(cr.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x ** 2
>>> x = cr.tensor([2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad
tensor([12.])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from .ops.arrays import NUMPY, sum_to

__all__ = ["Function", "Context", "once_differentiable", "register_engine"]

# Numbers every Context as it is made. Inputs exist before the op that uses them, so
# the order of creation is a topological order: graph.backward runs VJPs newest first.
_sequence = itertools.count()


class _Engine:
    """The array engine that runs and records ops: :func:`chainrule.tensor._apply`.

    A registration point rather than an import, so that this module stays below
    Tensor in the import order; see :func:`register_engine`.
    """

    apply: Callable[..., Any] | None = None


def register_engine(apply: Callable[..., Any]) -> None:
    """Make ``apply(fn, inputs, params)`` the function that :meth:`Function.apply` calls.

    chainrule.tensor registers its recorder once, when it is imported.
    """
    _Engine.apply = staticmethod(apply)


class Context:
    """What one recorded op keeps between its forward and its backward.

    A record is a node of the graph (the op-record side of the protocol in
    :mod:`chainrule.graph`): ``parents`` (one node per input that needs a gradient:
    the input's record, or the input itself for a leaf; ``None`` elsewhere),
    ``needs_input_grad`` (one bool per input), ``name``, ``freed``, ``_inputs`` (every
    forward input, as given), ``_seq``.
    """

    # What every op sets lives in slots (one Context is made per op, so this is hot);
    # an op's own attributes (``ctx.axis = 1``) go to the instance ``__dict__``.
    __slots__ = ("fn", "parents", "needs_input_grad", "freed", "xp", "_saved", "_inputs",
                 "_versions", "_seq", "_out_array", "__dict__", "__weakref__")

    fn: type[Function]      # the op
    parents: tuple | None
    needs_input_grad: tuple
    freed: bool
    _saved: tuple
    xp: Any                 # the array namespace of the pass: NUMPY, or a create_graph pass's
    _versions: tuple        # tensor, version, tensor, version, ...: each Tensor input whose
                            # array forward saved, as it was then; backward checks they match
    _inputs: tuple          # every forward input, as given (Tensors kept for saved lookups)
    _seq: int               # creation order: an op's record is newer than its inputs' records
    _out_array: Any         # the output's array, set only when forward saved it
    _out = None             # the output as a Tensor, only while a create_graph backward runs
    _hooks = None           # hooks on the output's gradient, and retain_grad (graph.py)
    _trace = None           # where the op was created, in anomaly mode

    def __init__(self, fn: type[Function]) -> None:
        # tensor._apply fills these same slots without calling __init__: keep the two in step
        self.fn = fn
        self.parents = None
        self.needs_input_grad = ()
        self.freed = False
        self.xp = NUMPY
        self._saved = ()
        self._inputs = ()
        self._versions = ()
        self._seq = next(_sequence)

    @property
    def name(self) -> str:
        """The op's name, for messages (its Function's ``op_name``)."""
        return self.fn.op_name

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward: inputs of forward, its output, or constants."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept: arrays, or Tensors under ``create_graph``."""
        if self.freed:
            raise RuntimeError(
                f"op '{self.name}': saved tensors were freed after backward; "
                "pass retain_graph=True to backward() to keep them"
            )
        if self.xp is NUMPY:
            return self._saved
        # Under create_graph: give back the Tensors the saved arrays belong to, so the
        # recorded backward stays connected to the forward graph.
        result: list = []
        out = self._out
        for array in self._saved:
            if array is None:  # a slot the op left empty (that gradient is not needed)
                result.append(None)
                continue
            if out is not None and array is out._array:
                result.append(out)  # a Tensor whose record is this one
                continue
            for x in self._inputs:
                if getattr(x, "_array", None) is array and not isinstance(x, type(array)):
                    result.append(x)
                    break
            else:
                result.append(array)
        return tuple(result)

    def mark_non_differentiable(self, *arrays: Any) -> None:  # PyTorch-compatible no-op
        """Accepted for compatibility: chainrule ops have one output."""

    def __repr__(self) -> str:
        state = " (freed)" if self.freed else ""
        return f"<{self.name} backward{state}>"

    # -- what graph.backward calls (the graph protocol) --------------------------
    def _vjp(self, g: Any, create_graph: bool) -> tuple:
        """Run the op's VJP and bring each gradient to its input's shape and dtype."""
        versions = self._versions
        if versions and (versions[0]._version != versions[1] or len(versions) > 2 and (
                len(versions) > 4 or versions[2]._version != versions[3])):
            self._check_versions()  # the common cases, one or two saved inputs unchanged, inline
        if create_graph:
            return self._recorded_vjp(g)
        # The ordinary pass: arrays in, arrays out.
        grads: Any = self.fn._array_backward(self, g)
        parents: tuple = self.parents  # type: ignore[assignment]  # None only once freed
        inputs = self._inputs
        n = len(parents)
        if n == 1:  # the common one- and two-input cases, without the loop
            if type(grads) is tuple or type(grads) is list:
                pg = grads[0] if grads else None
            else:
                pg = grads  # a one-input op may return its gradient bare
            if pg is None or parents[0] is None:
                return (None,)
            data = inputs[0]._array
            if pg.shape == data.shape and pg.dtype is data.dtype:
                return (pg,)  # already the input's shape and dtype
            return (_conform(self, pg, inputs[0]),)
        if type(grads) is not tuple:
            grads = tuple(grads) if type(grads) is list else (grads,)
        if n == 2 and len(grads) == 2:
            p0, p1 = parents
            g0, g1 = grads
            if p0 is None or g0 is None:
                a = None
            else:
                data = inputs[0]._array
                a = g0 if g0.shape == data.shape and g0.dtype is data.dtype \
                    else _conform(self, g0, inputs[0])
            if p1 is None or g1 is None:
                return (a, None)
            data = inputs[1]._array
            b = g1 if g1.shape == data.shape and g1.dtype is data.dtype \
                else _conform(self, g1, inputs[1])
            if b is a:
                b = g1.copy()  # one array per input: leaves may accumulate in place
            return (a, b)
        result: list = []
        for parent, pg, x in zip(parents, grads, inputs):
            if parent is not None and pg is not None:
                data = x._array
                if pg.shape != data.shape or pg.dtype is not data.dtype:
                    pg = _conform(self, pg, x)
                for r in result:
                    if r is pg:  # one array per input: leaves may accumulate in place
                        pg = pg.copy()
                        break
            result.append(None if parent is None else pg)
        return tuple(result)

    def _check_versions(self) -> None:
        """Refuse to run backward if a value forward saved was changed in place since.

        As in PyTorch, only what the op saved is checked: an op that needs no values of
        an input (indexing, reshaping, adding) does not mind the input changing later,
        since its gradient never reads them."""
        versions = self._versions
        for i in range(0, len(versions), 2):
            tensor, version = versions[i], versions[i + 1]
            if tensor is _OUTPUT_CHANGED:
                raise RuntimeError(
                    f"op '{self.name}': its output was modified in place after being saved "
                    "for backward, so the gradient would be wrong. Clone it before changing "
                    "it."
                )
            if tensor._version != version:
                raise RuntimeError(
                    f"op '{self.name}': one of its inputs, of shape {tuple(tensor.shape)}, "
                    f"was modified in place after the op saved it (version {version} -> "
                    f"{tensor._version}), so the gradient would be wrong. Clone the tensor "
                    "before changing it, or change it before the op or outside the graph."
                )

    def _output_changed(self) -> None:
        """The output this op saved was changed in place: its backward must refuse to run."""
        self._versions += (_OUTPUT_CHANGED, -1)

    def _recorded_vjp(self, g: Any) -> tuple:
        """The VJP run on Tensors (``create_graph=True``), so that it is recorded too."""
        backward = self.fn.backward
        wrap = type(g)
        if not getattr(backward, "_once_differentiable", False):
            self.xp = g.__array_namespace__()
            out = getattr(self, "_out_array", None)
            if out is not None:  # the saved output, as a Tensor made by this record
                self._out = wrap._from_op(out, self)
            try:
                grads = backward(self, g)
            finally:
                self._out = None
                self.xp = NUMPY
        else:
            grads = _wrap_once_differentiable(self, backward(self, g._array), wrap)
        if type(grads) is not tuple:
            grads = (grads,) if not isinstance(grads, list) else tuple(grads)
        result: list = []
        for parent, pg, x in zip(self.parents or (), grads, self._inputs):
            if parent is None or pg is None:
                result.append(None)
                continue
            if not isinstance(pg, wrap):
                pg = wrap(pg)
            if pg.shape != x._array.shape:
                pg = self._fit(pg, x._array.shape)
            if pg.dtype != x._array.dtype:
                pg = pg.type(x._array.dtype)  # a recorded cast: float32 stays float32
            result.append(pg)
        return tuple(result)

    def _fit(self, g: Any, shape: tuple) -> Any:
        """Sum a gradient back over broadcast axes; the one place un-broadcasting happens."""
        try:
            if isinstance(g, np.ndarray):
                return sum_to(g, shape)
            return g.__array_namespace__().sum_to(g, shape)
        except ValueError:
            raise ValueError(
                f"op '{self.name}': backward returned a gradient of shape {tuple(g.shape)} "
                f"for an input of shape {tuple(shape)}"
            ) from None

    def _release(self) -> None:
        """Free what forward saved (arrays, masks, inputs); the record stays, marked freed."""
        self.__dict__.clear()  # the op's own attributes: masks, indices, shapes
        self.parents = ()  # still a record: reaching it again raises the freed error
        self._saved = ()
        self._inputs = ()
        self._versions = ()
        self.freed = True


class _OutputChanged:
    """Stands in a record's ``_versions`` once the output it saved was changed in place:
    its version (0) never matches the -1 noted beside it, so backward stops there."""

    _version = 0


_OUTPUT_CHANGED = _OutputChanged()


def _conform(ctx: Context, pg: np.ndarray, x: Any) -> np.ndarray:
    """One input's gradient (an array) in that input's shape and dtype."""
    data = x._array
    if pg.shape != data.shape:
        pg = ctx._fit(pg, data.shape)
    if pg.dtype is not data.dtype and pg.dtype != data.dtype:
        pg = pg.astype(data.dtype)
    return pg


class Function:
    """Base class of every op, built-in or user-written. See the module docstring."""

    op_name: str = "function"
    # The VJP an ordinary (first-order) backward runs: ``fast_backward`` where the class
    # defines one beside its ``backward``, else ``backward``. Set for each subclass.
    _array_backward: Callable[..., Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "op_name" not in cls.__dict__:
            cls.op_name = cls.__name__.lower()
        if "fast_backward" in cls.__dict__:
            cls._array_backward = cls.__dict__["fast_backward"].__func__
        elif "backward" in cls.__dict__:
            backward = cls.__dict__["backward"]
            cls._array_backward = getattr(backward, "__func__", backward)

    @staticmethod
    def forward(ctx: Context, *inputs: Any, **params: Any) -> Any:
        raise NotImplementedError("a Function must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        raise NotImplementedError("a Function must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the op on Tensors (or numbers and arrays) and record it for backward."""
        return _Engine.apply(cls, inputs, params)  # type: ignore[misc]


Function._array_backward = Function.__dict__["backward"].__func__


def once_differentiable(backward: Callable) -> Callable:
    """Mark a ``backward`` as usable for first-order gradients only.

    Under ``create_graph=True`` it then runs on arrays, and asking for a gradient
    of its result raises instead of silently returning a wrong answer.
    """
    backward._once_differentiable = True  # type: ignore[attr-defined]
    return backward


def _wrap_once_differentiable(ctx: Context, grads: Any, tensor_type: Any) -> tuple:
    if type(grads) is not tuple:
        grads = (grads,)
    wrapped: list = []
    for pg in grads:
        if pg is None:
            wrapped.append(None)
            continue
        # a Function of its own, so that the record is named after the op it came from
        marker = type("NotTwiceDifferentiable", (_NotTwiceDifferentiable,),
                      {"op_name": f"{ctx.name} backward"})
        stub = Context(marker)
        # the op's own edges (PyTorch's error node keeps them too), so that a gradient
        # asked for through it reaches it and raises, instead of finding no path
        stub.parents = ctx.parents
        wrapped.append(tensor_type._from_op(pg, stub))
    return tuple(wrapped)


class _NotTwiceDifferentiable(Function):
    op_name = "once_differentiable"

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        raise RuntimeError(
            f"'{ctx.name}' is implemented as once_differentiable: its gradient cannot be "
            "differentiated again (create_graph=True reached it)"
        )
