"""A tiny neural network over Scalars: Neuron, Layer, MLP (micrograd's API).

The engine is :mod:`chainrule.scalar`; this module builds on it, as a network
library builds on an autodiff engine. Each neuron's pre-activation is one
:func:`chainrule.scalar.dot` node, so a forward pass costs one graph node per
neuron instead of two per weight.

>>> import random
>>> from chainrule.scalar_nn import MLP
>>> random.seed(0)
>>> model = MLP(3, [4, 4, 1])
>>> loss = (model([2.0, 3.0, -1.0]) - 1.0) ** 2
>>> loss.backward()
>>> len(model.parameters())
41
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from .scalar import Scalar, dot

__all__ = ["Neuron", "Layer", "MLP"]


# ---------------------------------------------------------------------------
# A tiny teaching network over Scalars (micrograd's API)
# ---------------------------------------------------------------------------
# These mirror chainrule.nn.Module's interface (callable, parameters(),
# named_parameters(), zero_grad()) without subclassing it: nn.Module is built
# for Tensors (state_dict, to(dtype), load_state_dict work on arrays), and the
# core engine never imports chainrule.nn.

class _ScalarModule:
    """What the Scalar teaching classes share: a callable with Scalar parameters."""

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def named_parameters(self) -> Iterator[tuple]:
        raise NotImplementedError  # pragma: no cover

    def parameters(self) -> list:
        """Every Scalar parameter, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (``grad = None``, as in PyTorch)."""
        for p in self.parameters():
            p.grad = None


def _as_inputs(x: Any) -> tuple:
    if isinstance(x, (Scalar, int, float)):
        return (x,)
    return tuple(x)


class Neuron(_ScalarModule):
    """``act(w . x + b)`` with ``nin`` weights drawn from U(-1, 1) and a zero bias.

    ``nonlin=True`` applies relu; the pre-activation is one :func:`dot` node.

    >>> import random
    >>> random.seed(0)
    >>> n = Neuron(2)
    >>> y = n([1.0, -2.0])
    >>> y.backward()
    >>> [p.grad for p in n.parameters()] == ([1.0, -2.0, 1.0] if y.data > 0 else [0.0, 0.0, 0.0])
    True
    """

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Scalar(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Scalar(0.0)
        self.nonlin = nonlin

    def forward(self, x: Any) -> Scalar:
        x = _as_inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f"Neuron({len(self.w)}): got {len(x)} inputs")
        act = dot(self.w, x, self.b)
        return act.relu() if self.nonlin else act

    def named_parameters(self) -> Iterator[tuple]:
        for i, w in enumerate(self.w):
            yield f"w.{i}", w
        yield "b", self.b

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(_ScalarModule):
    """``nout`` neurons reading the same ``nin`` inputs; returns a list of Scalars
    (or one Scalar when ``nout == 1``, as in micrograd).

    >>> layer = Layer(3, 2, nonlin=False)
    >>> out = layer([1.0, 0.0, -1.0])
    >>> len(out), len(layer.parameters())
    (2, 8)
    """

    def __init__(self, nin: int, nout: int, nonlin: bool = True) -> None:
        self.neurons = [Neuron(nin, nonlin=nonlin) for _ in range(nout)]

    def forward(self, x: Any) -> Any:
        x = _as_inputs(x)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def named_parameters(self) -> Iterator[tuple]:
        for i, n in enumerate(self.neurons):
            for name, p in n.named_parameters():
                yield f"neurons.{i}.{name}", p

    def __repr__(self) -> str:
        first = self.neurons[0]
        return f"Layer({len(first.w)}, {len(self.neurons)}, nonlin={first.nonlin})"


class MLP(_ScalarModule):
    """A multi-layer perceptron over Scalars: relu between layers, linear output.

    >>> import random
    >>> random.seed(1)
    >>> model = MLP(2, [4, 1])
    >>> len(model.parameters())          # 2*4 + 4 + 4*1 + 1
    17
    >>> loss = (model([0.5, -1.0]) - 1.0) ** 2
    >>> loss.backward()
    >>> all(p.grad is not None for p in model.parameters())
    True
    >>> model.zero_grad(); model.parameters()[0].grad is None
    True
    """

    def __init__(self, nin: int, nouts: list) -> None:
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def named_parameters(self) -> Iterator[tuple]:
        for i, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                yield f"layers.{i}.{name}", p

    def __repr__(self) -> str:
        return "MLP(" + ", ".join(repr(layer) for layer in self.layers) + ")"
