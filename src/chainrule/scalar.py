"""Scalar: the teaching engine, reverse-mode autodiff on Python floats.

Every arithmetic operation on a :class:`Scalar` makes a new Scalar that
remembers its inputs and the *local derivatives* of the op, computed in the
forward pass as plain floats. ``backward()`` then walks the graph once,
newest op first (an order in which every use of a value comes before the
value), and multiplies each incoming gradient by those local derivatives:
reverse mode, the chain rule applied from the output back to the inputs.

>>> from chainrule import Scalar
>>> x1, x2 = Scalar(2.0), Scalar(5.0)
>>> f = x1.log() + x1 * x2 - x2.sin()
>>> f.backward()
>>> round(x1.grad, 4), round(x2.grad, 4)
(5.5, 1.7163)

How it is built:

* Each primitive is a small *kernel*, ``(a, b) -> (value, d value/d a,
  d value/d b)``, its forward beside its local derivatives; derived ops
  (``-``, ``/``, ``neg``, ...) are one-liners over primitives.
* A Scalar is its own op record (graph protocol of :mod:`chainrule.graph`,
  so the explain views and ``graph.backward`` work on it as on a Tensor): its
  inputs, the op ``name`` and the two local derivatives sit in ``__slots__``,
  so an op costs one object and nothing else the garbage collector tracks.
* ``backward()`` runs a pass of its own on those slots, summing every
  gradient in the order ``graph.backward`` does (the same numbers to the last
  bit); with a hook registered, ``retain_grad()`` or anomaly mode on it hands
  over to ``graph.backward``, which runs them.
* No reference cycles: a graph is freed by reference counting as soon as the
  last Scalar that reaches it goes away.
* A graph can be evaluated again after its leaves change: set ``leaf.data``
  and call :meth:`Scalar.forward` on the output (``L.forward()``), to evaluate
  the same graph at a new point.

Scalars require grad by default (every number in a teaching graph can be
asked for its gradient); pass ``requires_grad=False`` for data. ``.grad`` is
``None`` until a backward pass reaches the Scalar, then a float; leaves add
to it across backward calls, as in PyTorch.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import graph as _graph
from .graph import _mode

__all__ = ["Scalar", "dot"]

Number = (int, float)

# Creation order of recorded ops: a node is always newer than its inputs, which
# lets graph.backward visit a graph newest-first without a counting pass.
# next(_seq_counter) is atomic under the GIL, and a builtin call: half the cost of
# calling the counter's bound __next__.
_seq_counter = itertools.count()


# ---------------------------------------------------------------------------
# Primitives: each op's forward value beside its local derivatives
# ---------------------------------------------------------------------------
# A binary kernel returns (out, d out/d a, d out/d b); a unary kernel
# returns (out, d out/d a). Nothing else in this file knows any calculus.

def _add(a: float, b: float) -> tuple:
    return a + b, 1.0, 1.0


def _mul(a: float, b: float) -> tuple:
    return a * b, b, a


def _pow(a: float, b: float) -> tuple:
    out = a ** b
    if isinstance(out, complex):
        raise ValueError("a negative base with a non-integer exponent has no real power")
    if a == 0 and b < 1:
        d_a = 0.0 if b == 0 else math.inf  # b < 0 has already failed: 0 ** b divides by 0
    else:
        d_a = b * a ** (b - 1)
    if a > 0:
        d_b = out * math.log(a)
    elif a == 0:
        d_b = 0.0  # the limit of a**b * log(a) as a -> 0+, as in PyTorch
    else:
        d_b = math.nan  # log of a negative base: undefined, as in PyTorch
    return out, d_a, d_b


def _exp(a: float) -> tuple:
    out = math.exp(a)
    return out, out


def _log(a: float) -> tuple:
    return math.log(a), 1.0 / a


def _sqrt(a: float) -> tuple:
    out = math.sqrt(a)
    return out, (0.5 / out if out > 0 else math.inf)


def _sin(a: float) -> tuple:
    return math.sin(a), math.cos(a)


def _cos(a: float) -> tuple:
    return math.cos(a), -math.sin(a)


def _tanh(a: float) -> tuple:
    out = math.tanh(a)
    return out, 1.0 - out * out


def _sigmoid(a: float) -> tuple:
    if a >= 0:
        out = 1.0 / (1.0 + math.exp(-a))
    else:  # the same value, without overflow for very negative a
        e = math.exp(a)
        out = e / (1.0 + e)
    return out, out * (1.0 - out)


def _relu(a: float) -> tuple:
    return (a, 1.0) if a > 0 else (0.0, 0.0)  # relu'(0) = 0, as in PyTorch


def _dot(args: tuple) -> tuple:
    """bias + w[0]*x[0] + w[1]*x[1] + ..., for args = (w..., x..., bias).

    Summed left to right from the bias, so the value is bit-for-bit the chain
    of ``+`` and ``*`` it replaces; the local derivatives are x for each w,
    w for each x and 1 for the bias.
    """
    n = len(args) // 2
    ws, xs = args[:n], args[n:2 * n]
    out = args[-1]
    for w, x in zip(ws, xs):
        out = out + w * x
    return out, xs + ws + (1.0,)


_BINARY: dict[str, Callable] = {"add": _add, "mul": _mul, "pow": _pow}
_UNARY: dict[str, Callable] = {
    "exp": _exp, "log": _log, "sqrt": _sqrt, "sin": _sin, "cos": _cos,
    "tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu,
}
_NARY: dict[str, Callable] = {"dot": _dot}


# ---------------------------------------------------------------------------
# Scalar
# ---------------------------------------------------------------------------

class Scalar:
    """A float that records the operations applied to it, for backpropagation.

    ``Scalar(data, label=None, requires_grad=True)``. Operators work on both
    sides with Python numbers (``2 * x``, ``x ** y``, ``1 / x``); methods
    ``exp log sqrt sin cos tanh sigmoid relu``.

    >>> a = Scalar(3.0, label="a")
    >>> b = a * a + 2 * a          # a is used three times: gradients add up
    >>> b.backward()
    >>> b.data, a.grad
    (15.0, 8.0)
    """

    data: float
    grad: float | None
    label: str | None
    requires_grad: bool
    _hooks: Any                   # unset until a hook is registered (graph protocol)
    name: str | None              # the op's name; None for a leaf
    _seq: int                     # creation order of recorded ops; -1 for a leaf
    _a: Any                       # the inputs as given, Scalars or floats (no _b: unary)
    _b: Any
    _pa: Scalar | None            # the inputs that need a gradient, None elsewhere
    _pb: Scalar | None
    _d0: Any                      # local derivatives d self / d input: floats, None once
    _d1: Any                      # freed (and on leaves and n-ary ops)
    _g: Any                       # backward's running gradient (a float); None outside it

    # One object per op and no tuples: every container the cyclic garbage collector
    # tracks costs it work on each of its passes, and a graph is mostly these objects.
    __slots__ = (
        "data", "grad", "label", "requires_grad", "_hooks", "name", "_seq",
        "_a", "_b", "_pa", "_pb", "_d0", "_d1", "_g",
        "__weakref__",
    )

    def __init__(self, data: Any, label: str | None = None, requires_grad: bool = True) -> None:
        if isinstance(data, Scalar):
            data = data.data
        try:
            self.data = float(data)
        except (TypeError, ValueError):
            raise TypeError(
                f"Scalar(data): data must be a real number, got {type(data).__name__} {data!r}"
            ) from None
        self.grad = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        _as_leaf(self)

    # -- the graph protocol (see chainrule.graph) -------------------------------
    # A Scalar is its own op record. Its fields live in the slots above, and the
    # protocol's names are read from them: parents, _inputs and freed are built on
    # demand for the engine-agnostic code (graph.backward with hooks, explain views).
    @property
    def parents(self) -> tuple | None:
        """The inputs that need a gradient (``None`` elsewhere); None for a leaf."""
        pa, pb = self._pa, self._pb
        if pa is None and pb is None:
            return None
        return (pa,) if self.name in _UNARY else (pa, pb)

    @property
    def _inputs(self) -> tuple | None:
        """Every input of the op as given, Scalars and numbers; None for a leaf."""
        if self.name is None:
            return None
        return (self._a,) if self.name in _UNARY else (self._a, self._b)

    @property
    def freed(self) -> bool:
        """True once backward has dropped the local derivatives (see :meth:`forward`)."""
        return self.name is not None and self._d0 is None

    @property
    def _ctx(self) -> Scalar | None:
        """The op record behind this value: the Scalar itself, or None for a leaf."""
        return None if self.parents is None else self

    def _vjp(self, g: float, create_graph: bool) -> Sequence[float]:
        if create_graph:
            raise NotImplementedError(
                "Scalar does not support create_graph=True (higher-order gradients); "
                "use chainrule.Tensor for gradients of gradients"
            )
        if self.name in _UNARY:
            return (g * self._d0,)
        return (g * self._d0, g * self._d1)

    def _release(self) -> None:
        self._d0 = self._d1 = None  # the saved local derivatives go; the structure stays

    def _accumulate_grad(self, g: float) -> None:
        self.grad = g if self.grad is None else self.grad + g

    # -- building the graph ---------------------------------------------------
    # __add__ and __mul__ are most of any graph: they build their node inline (the
    # same steps as _record), as one Python call per op. The other binary ops go
    # through their kernel and _record, the unary ones through _unary.
    def __add__(self, other: Any) -> Scalar:
        if type(other) is Scalar or isinstance(other, Scalar):
            b = other.data
            pb = other if other.requires_grad else None
        elif type(other) is float or isinstance(other, Number):
            b = other = float(other)
            pb = None
        else:
            return NotImplemented
        a = self.data
        if _graph._grad_off and not _mode.enabled:
            return _new(a + b)
        node = _object_new(Scalar)
        node.data = a + b              # d/da = 1, d/db = 1
        node._d0 = 1.0
        node._d1 = 1.0
        node.grad = None
        node.label = None
        node.name = "add"
        node._a = self
        node._b = other
        node._pa = pa = self if self.requires_grad else None
        node._pb = pb
        node.requires_grad = pa is not None or pb is not None
        node._seq = next(_seq_counter)
        node._g = None
        return node

    def __mul__(self, other: Any) -> Scalar:
        if type(other) is Scalar or isinstance(other, Scalar):
            b = other.data
            pb = other if other.requires_grad else None
        elif type(other) is float or isinstance(other, Number):
            b = other = float(other)
            pb = None
        else:
            return NotImplemented
        a = self.data
        if _graph._grad_off and not _mode.enabled:
            return _new(a * b)
        node = _object_new(Scalar)
        node.data = a * b              # d/da = b, d/db = a
        node._d0 = b
        node._d1 = a
        node.grad = None
        node.label = None
        node.name = "mul"
        node._a = self
        node._b = other
        node._pa = pa = self if self.requires_grad else None
        node._pb = pb
        node.requires_grad = pa is not None or pb is not None
        node._seq = next(_seq_counter)
        node._g = None
        return node

    def _binary(self, other: Any, name: str, reverse: bool = False) -> Scalar:
        """Apply the binary primitive ``name`` to (self, other), or (other, self)."""
        if isinstance(other, Scalar):
            b = other.data
        elif isinstance(other, Number):
            b = other = float(other)
        else:
            return NotImplemented
        a = self.data
        x, y = self, other
        if reverse:
            x, y, a, b = other, self, b, a
        try:
            out, d0, d1 = _BINARY[name](a, b)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise ValueError(f"Scalar {name}({a!r}, {b!r}): {err}") from None
        return _record(name, out, x, y, d0, d1)

    def _unary(self, name: str) -> Scalar:
        try:
            out, d0 = _UNARY[name](self.data)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise ValueError(f"Scalar {name}({self.data!r}): {err}") from None
        if _graph._grad_off and not _mode.enabled:
            return _new(out)
        # _record's steps for one input, inline: relu is half the nodes of scalar_nn's MLP
        node = _object_new(Scalar)
        node.data = out
        node._d0 = d0
        node.grad = None
        node.label = None
        node.name = name
        node._a = self
        node._pa = pa = self if self.requires_grad else None
        node._pb = None
        node.requires_grad = pa is not None
        node._seq = next(_seq_counter)
        node._g = None
        return node

    # -- primitives as operators ----------------------------------------------
    def __radd__(self, other: Any) -> Scalar:
        return self._binary(other, "add", reverse=True)

    def __rmul__(self, other: Any) -> Scalar:
        return self._binary(other, "mul", reverse=True)

    def __pow__(self, other: Any) -> Scalar:
        return self._binary(other, "pow")

    def __rpow__(self, other: Any) -> Scalar:
        return self._binary(other, "pow", reverse=True)

    def exp(self) -> Scalar:
        """e ** self."""
        return self._unary("exp")

    def log(self) -> Scalar:
        """Natural logarithm; raises ValueError for data <= 0."""
        return self._unary("log")

    def sqrt(self) -> Scalar:
        return self._unary("sqrt")

    def sin(self) -> Scalar:
        return self._unary("sin")

    def cos(self) -> Scalar:
        return self._unary("cos")

    def tanh(self) -> Scalar:
        return self._unary("tanh")

    def sigmoid(self) -> Scalar:
        """1 / (1 + e ** -self), computed without overflow."""
        return self._unary("sigmoid")

    def relu(self) -> Scalar:
        """max(self, 0); its derivative at 0 is 0 (PyTorch's convention)."""
        return self._unary("relu")

    # -- derived ops: one-liners over the primitives -------------------------
    def __neg__(self) -> Scalar:
        return self * -1.0

    def __pos__(self) -> Scalar:
        return self

    def __sub__(self, other: Any) -> Scalar:
        return self + (-other)

    def __rsub__(self, other: Any) -> Scalar:
        return other + (-self)

    def __truediv__(self, other: Any) -> Scalar:
        return self * other ** -1

    def __rtruediv__(self, other: Any) -> Scalar:
        return other * self ** -1

    # -- comparisons compare values (no graph) -----------------------------------
    def __lt__(self, other: Any) -> bool:
        return self.data < _value(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _value(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _value(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _value(other)

    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __format__(self, spec: str) -> str:
        """Format the value: ``f"{s:.4f}"`` works like it does for a float."""
        return format(self.data, spec) if spec else repr(self)

    def item(self) -> float:
        """The value as a Python float (PyTorch's name)."""
        return self.data

    # -- autograd ----------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        """True for Scalars made by the user rather than by a recorded op."""
        return self.parents is None

    def requires_grad_(self, requires_grad: bool = True) -> Scalar:
        """Set ``requires_grad`` on a leaf, in place; returns self."""
        if self.parents is not None:
            raise RuntimeError(
                "requires_grad_(): only a leaf's flag can be changed; use detach() on a result"
            )
        self.requires_grad = bool(requires_grad)
        # A result of constants is a leaf too; from now on backward publishes its .grad.
        self._seq = -1
        return self

    def detach(self) -> Scalar:
        """A new leaf with the same value, cut from the graph (requires no grad)."""
        return Scalar(self.data, label=self.label, requires_grad=False)

    def retain_grad(self) -> Scalar:
        """Keep ``.grad`` on this intermediate after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): this Scalar does not require grad")
        _graph.retain_grad(self)
        return self

    def zero_grad(self) -> None:
        """Set ``.grad`` back to None."""
        self.grad = None

    def backward(self, gradient: float = 1.0, retain_graph: bool = False) -> None:
        """Add d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        The local derivatives saved by forward are freed afterwards; pass
        ``retain_graph=True`` to call backward through the same graph again,
        or call :meth:`forward` first, which recomputes them.

        >>> x = Scalar(2.0)
        >>> y = x * x * x
        >>> y.backward(retain_graph=True)
        >>> y.backward()
        >>> x.grad                      # 12 + 12: leaves accumulate
        24.0
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this Scalar does not require grad and has no graph. Build it "
                "from Scalars that require grad, and not under no_grad()."
            )
        if _HookCount.live or (_graph._anomaly_on and _mode.anomaly):
            # hooks, retain_grad() and anomaly checks: the shared engine runs them
            _graph.backward([self], [float(gradient)], retain_graph=retain_graph)
        else:
            with _backward_lock:
                _backward(self, float(gradient), not retain_graph)

    def forward(self) -> float:
        """Recompute this Scalar and every recorded Scalar it depends on.

        Leaves keep their current ``.data``, so this evaluates the same graph at
        new inputs (set ``x1.data = 1.5`` ..., then call ``L.forward()``).
        It also recomputes the local derivatives, so a graph freed by backward
        can be differentiated again. Returns the new value.

        >>> x = Scalar(1.0)
        >>> y = x * x + 1
        >>> x.data = 3.0
        >>> y.forward()
        10.0
        >>> y.backward(); x.grad
        6.0
        """
        for node in _forward_order(self):
            values = tuple(_value(v) for v in node._inputs)
            try:
                if node.name in _NARY:
                    node.data, node._local = _NARY[node.name](values)
                elif len(values) == 1:
                    node.data, node._d0 = _UNARY[node.name](*values)
                else:
                    node.data, node._d0, node._d1 = _BINARY[node.name](*values)
            except (ValueError, ZeroDivisionError, OverflowError) as err:
                inputs = ", ".join(repr(v) for v in values)
                raise ValueError(f"Scalar.forward(): {node.name}({inputs}): {err}") from None
        return self.data

    # -- printing ----------------------------------------------------------------
    def __repr__(self) -> str:
        parts = [f"data={self.data:.4f}"]
        if self.grad is not None:
            parts.append(f"grad={self.grad:.4f}")
        if self.name is not None:
            parts.append(f"op={self.name}")
        if self.label is not None:
            parts.insert(0, f"label={self.label!r}")
        return "Scalar(" + ", ".join(parts) + ")"


class _NaryScalar(Scalar):
    """A Scalar made by an n-ary primitive (``dot``): its inputs, parents and local
    derivatives are tuples; ``_pa``, ``_pb`` and ``_d0`` stay None."""

    _args: tuple                  # every input as given
    _parents: tuple | None        # the inputs that need a gradient, None elsewhere
    _local: tuple | None          # local derivatives, None once freed

    __slots__ = ("_args", "_parents", "_local")

    @property
    def parents(self) -> tuple | None:
        return self._parents

    @property
    def _inputs(self) -> tuple | None:
        return self._args

    @property
    def freed(self) -> bool:
        return self._local is None

    def _vjp(self, g: float, create_graph: bool) -> Sequence[float]:
        if create_graph:
            return Scalar._vjp(self, g, create_graph)
        return [g * d for d in self._local]  # type: ignore[union-attr]

    def _release(self) -> None:
        self._local = None


def dot(weights: Iterable[Any], inputs: Iterable[Any], bias: Any = 0.0) -> Scalar:
    """``bias + sum(w * x for w, x in zip(weights, inputs))`` as one graph node.

    The value is exactly that of the chain of ``+`` and ``*`` (summed left to
    right, starting from ``bias``), and so are the gradients, but the graph has
    one node instead of ``2 n``: a neuron's pre-activation costs one op.
    Weights, inputs and bias may be Scalars or numbers.

    >>> from chainrule.scalar import Scalar, dot
    >>> w = [Scalar(2.0), Scalar(-1.0)]
    >>> z = dot(w, [3.0, 4.0], Scalar(0.5))
    >>> z.backward()
    >>> z.data, [wi.grad for wi in w]
    (2.5, [3.0, 4.0])
    """
    weights, inputs = tuple(weights), tuple(inputs)
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot: {len(weights)} weights but {len(inputs)} inputs; they must pair up"
        )
    args = weights + inputs + (bias,)
    values = []
    needs = []
    for v in args:
        if isinstance(v, Scalar):
            values.append(v.data)
            needs.append(v.requires_grad)
        elif isinstance(v, Number):
            values.append(float(v))
            needs.append(False)
        else:
            raise TypeError(f"dot: expected Scalars or numbers, got {type(v).__name__}")
    out, local = _dot(tuple(values))
    if _graph._grad_off and not _mode.enabled:
        return _new(out)
    node = _object_new(_NaryScalar)
    node.data = out
    node.grad = None
    node.label = None
    node.name = "dot"
    node._pa = node._pb = node._d0 = None
    node._args = args
    node._local = local
    node._seq = next(_seq_counter)
    node._g = None
    if all(needs):
        node._parents = args
    elif any(needs):
        node._parents = tuple(v if need else None for v, need in zip(args, needs))
    else:
        node._parents = None
    node.requires_grad = node._parents is not None
    return node


# ---------------------------------------------------------------------------
# Making nodes
# ---------------------------------------------------------------------------

_object_new = object.__new__
_HookCount = _graph._HookCount


def _as_leaf(node: Scalar) -> Scalar:
    """Fill the record slots of a leaf: no op, no inputs, no saved derivatives."""
    node.name = None
    node._seq = -1
    node._pa = node._pb = None
    node._d0 = None
    node._g = None
    return node


def _new(out: float) -> Scalar:
    """A leaf result that requires no grad (an op under ``no_grad``), every slot set."""
    node = _object_new(Scalar)
    node.data = out
    node.grad = None
    node.label = None
    node.requires_grad = False
    return _as_leaf(node)


def _record(name: str, out: float, x: Any, y: Any, d0: float, d1: float) -> Scalar:
    """The Scalar ``out = name(x, y)`` with its local derivatives ``d0``, ``d1``.

    ``x`` and ``y`` are Scalars or floats (constants); the ones that require grad become
    the node's parents. Under ``no_grad`` nothing is recorded.
    """
    if _graph._grad_off and not _mode.enabled:
        return _new(out)
    node = _object_new(Scalar)
    node.data = out
    node._d0 = d0
    node._d1 = d1
    node.grad = None
    node.label = None
    node.name = name
    node._a = x
    node._b = y
    node._pa = pa = x if type(x) is not float and x.requires_grad else None
    node._pb = pb = y if type(y) is not float and y.requires_grad else None
    node.requires_grad = pa is not None or pb is not None
    node._seq = next(_seq_counter)
    node._g = None
    return node


# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------

_seq_of = operator.attrgetter("_seq")
# One Scalar backward pass at a time: the pass marks nodes in their _g slots, and two
# passes through a shared graph in two threads would read each other's marks.
_backward_lock = threading.Lock()


def _backward(root: Scalar, gradient: float, free: bool) -> None:
    """Backpropagate ``gradient`` from ``root`` into the ``.grad`` of the leaves it reaches.

    What ``graph.backward`` does for a graph without hooks, in the same order (newest
    record first, so every gradient is summed exactly as there), on Scalar's own
    fields: one pass finds the nodes the root reaches, a sort by creation number
    orders them, and one pass runs the chain rule, each node's running gradient kept
    in its ``_g`` slot (floats, no dict, no heap). ``_g`` is None outside this
    function, which is how the first pass knows what it has seen; so that two
    threads never share those marks, callers hold ``_backward_lock``.
    """
    root._g = gradient
    order = [root]
    leaves: list = []
    stack = [root]
    push = stack.append
    pop = stack.pop
    seen = order.append
    try:
        # Every node the root reaches through parents, once. Depth first, because that
        # finds them in long runs of creation order, which the sort below merges
        # cheaply (breadth first shuffles them: the sort took 3x longer on the MLP of
        # bench/scalar_micrograd.py). -0.0 starts each sum: -0.0 + x == x for every
        # float x (0.0 + -0.0 would be 0.0).
        while stack:
            node = pop()
            p = node._pb
            if p is not None and p._g is None:
                p._g = -0.0
                seen(p)
                push(p)
            p = node._pa
            if p is not None and p._g is None:
                p._g = -0.0
                seen(p)
                push(p)
            if node._d0 is None and type(node) is _NaryScalar:
                for p in node._parents or ():
                    if p is not None and p._g is None:
                        p._g = -0.0
                        seen(p)
                        push(p)
        # Newest first: every consumer of a node runs before the node itself. Leaves
        # (creation number -1) come first in ascending order; they are split off.
        order.sort(key=_seq_of)
        n_leaves = bisect.bisect_left(order, 0, key=_seq_of)
        leaves = order[:n_leaves]
        del order[:n_leaves]
        order.reverse()
        for node in order:
            g = node._g
            node._g = None
            d0 = node._d0
            if d0 is None:  # an n-ary op, or a node whose derivatives were freed
                if type(node) is not _NaryScalar or node._local is None:
                    raise _graph._freed_error(node)
                for p, d in zip(node._parents, node._local):  # type: ignore[arg-type]
                    if p is not None:
                        p._g += g * d
                if free:
                    node._local = None
                continue
            p = node._pa
            if p is not None:
                p._g += g * d0
            p = node._pb
            if p is not None:
                p._g += g * node._d1
            if free:
                node._d0 = node._d1 = None
        for leaf in leaves:
            g = leaf._g
            leaf._g = None
            leaf.grad = g if leaf.grad is None else leaf.grad + g
    except BaseException:
        for node in itertools.chain(order, leaves):
            node._g = None
        raise


# ---------------------------------------------------------------------------
# Recomputing a graph: forward()
# ---------------------------------------------------------------------------

def _value(x: Any) -> float:
    return x.data if isinstance(x, Scalar) else x


def _recorded_inputs(node: Scalar) -> list:
    """The Scalars an op read, whether or not they need a gradient (none for a leaf)."""
    inputs = node._inputs
    if inputs is None:
        return []
    return [x for x in inputs if isinstance(x, Scalar)]


def _forward_order(root: Scalar) -> list:
    """Recorded Scalars that ``root`` depends on, inputs first, without recursion.

    Unlike :func:`chainrule.graph.toposort` (which follows ``parents``, the inputs
    that need a gradient) this follows every input, so that ``1 - y`` is
    recomputed when the data ``y`` changes.
    """
    return [n for n in _graph.walk([root], _recorded_inputs) if n._inputs is not None]
