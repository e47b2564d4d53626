"""Layers with a hand-written backward: backward functions as linear maps, the module view.

This walks through the lecture note "Preliminaries on Partial Derivatives" with chainrule.

A network is a list of modules, each with ``forward``, ``backward`` and
``update_parameters``; the network keeps every intermediate output of the
forward pass. ``Linear.backward`` adds into its parameter gradients (they
accumulate) and ``update_parameters`` resets them to zero; a wrong input or
gradient size raises.

The note's example, Linear(3, 2) on x = [1, 2, 3] with grad_output = [0.1, 0.2]
and a learning rate of 0.01, is done three ways that must agree:

1. the hand-written NumPy module below (the note's C++ class, in Python),
2. chainrule with a custom ``chainrule.Function`` that carries that backward,
3. chainrule's plain autograd (``W @ x + b``, then ``backward``), no ``nn``.

Run: ``python examples/03_layers_with_handwritten_backward.py``
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

X = np.array([1.0, 2.0, 3.0])
GRAD_OUTPUT = np.array([0.1, 0.2])
LR = 0.01


# ---------------------------------------------------------------------------
# The module view, by hand in NumPy
# ---------------------------------------------------------------------------

class Module:
    """forward(input) -> output; backward(grad_output) -> grad_input; update_parameters(lr)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update_parameters(self, learning_rate: float) -> None:
        """Modules without parameters have nothing to update."""


class Linear(Module):
    """y = W x + b. backward adds into grad_weights / grad_bias; the update resets them."""

    def __init__(self, input_size: int, output_size: int, rng: np.random.Generator) -> None:
        self.weights = rng.normal(0.0, 0.01, size=(output_size, input_size))
        self.bias = rng.normal(0.0, 0.01, size=output_size)
        self.grad_weights = np.zeros_like(self.weights)
        self.grad_bias = np.zeros_like(self.bias)
        self.input = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.shape != (self.weights.shape[1],):
            raise ValueError(
                f"Linear.forward: input size {x.shape} does not match the weight matrix "
                f"{self.weights.shape} (expected ({self.weights.shape[1]},))"
            )
        self.input = x  # saved for the backward pass
        return self.weights @ x + self.bias

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        if grad_output.shape != (self.weights.shape[0],):
            raise ValueError(
                f"Linear.backward: gradient size {grad_output.shape} does not match the weight "
                f"matrix {self.weights.shape} (expected ({self.weights.shape[0]},))"
            )
        self.grad_weights += np.outer(grad_output, self.input)  # dJ/dW = g_out x^T
        self.grad_bias += grad_output                           # dJ/db = g_out
        return self.weights.T @ grad_output                     # dJ/dx = W^T g_out

    def update_parameters(self, learning_rate: float) -> None:
        self.weights -= learning_rate * self.grad_weights
        self.bias -= learning_rate * self.grad_bias
        self.grad_weights[...] = 0.0  # reset after the update
        self.grad_bias[...] = 0.0


class ReLU(Module):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self.mask


class NeuralNetwork:
    """Modules in a chain; ``intermediate_outputs`` holds the input and every module's output."""

    def __init__(self, modules: list) -> None:
        self.modules = list(modules)
        self.intermediate_outputs: list = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.intermediate_outputs = [x]
        for module in self.modules:
            x = module.forward(x)
            self.intermediate_outputs.append(x)
        return x

    def backward(self, grad_loss: np.ndarray) -> np.ndarray:
        grad = grad_loss
        for module in reversed(self.modules):
            grad = module.backward(grad)
        return grad

    def update_parameters(self, learning_rate: float) -> None:
        for module in self.modules:
            module.update_parameters(learning_rate)


# ---------------------------------------------------------------------------
# One Linear(3, 2) step, three ways
# ---------------------------------------------------------------------------

def initial_parameters(seed: int = 0) -> tuple:
    """The note's initialisation: N(0, 0.01) for weights and bias, here from a fixed seed."""
    layer = Linear(3, 2, np.random.default_rng(seed))
    return layer.weights.copy(), layer.bias.copy()


def numpy_step(weights: np.ndarray, bias: np.ndarray) -> dict:
    """forward, backward with grad_output = [0.1, 0.2], update: the hand-written module."""
    layer = Linear(3, 2, np.random.default_rng(0))
    layer.weights, layer.bias = weights.copy(), bias.copy()
    output = layer.forward(X)
    grad_input = layer.backward(GRAD_OUTPUT)
    result = {"output": output, "grad_input": grad_input,
              "grad_weights": layer.grad_weights.copy(), "grad_bias": layer.grad_bias.copy()}
    layer.update_parameters(LR)
    result.update(weights=layer.weights, bias=layer.bias,
                  grads_after_update=(layer.grad_weights.copy(), layer.grad_bias.copy()))
    return result


class LinearFunction(cr.Function):
    """y = W x + b as a chainrule op whose backward is the module's backward."""

    @staticmethod
    def forward(ctx, x, weights, bias):
        ctx.save_for_backward(x, weights)
        return weights @ x + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weights = ctx.saved_tensors
        xp = ctx.xp
        grad_x = xp.swapaxes(weights, 0, 1) @ grad_output
        grad_w = grad_output[:, None] * x[None, :]
        return grad_x, grad_w, grad_output


def _chainrule_step(weights: np.ndarray, bias: np.ndarray, use_function: bool) -> dict:
    x = cr.tensor(X, requires_grad=True)
    w = cr.tensor(weights, requires_grad=True)
    b = cr.tensor(bias, requires_grad=True)
    output = LinearFunction.apply(x, w, b) if use_function else w @ x + b
    output.backward(cr.tensor(GRAD_OUTPUT))
    result = {"output": output.detach().numpy(), "grad_input": x.grad.numpy(),
              "grad_weights": w.grad.numpy().copy(), "grad_bias": b.grad.numpy().copy()}
    with cr.no_grad():  # update_parameters, then reset the gradients
        w -= LR * w.grad
        b -= LR * b.grad
    w.grad = b.grad = None
    result.update(weights=w.detach().numpy(), bias=b.detach().numpy())
    return result


def function_step(weights: np.ndarray, bias: np.ndarray) -> dict:
    """The same step through a custom chainrule.Function."""
    return _chainrule_step(weights, bias, use_function=True)


def autograd_step(weights: np.ndarray, bias: np.ndarray) -> dict:
    """The same step with plain chainrule autograd."""
    return _chainrule_step(weights, bias, use_function=False)


# ---------------------------------------------------------------------------
# A network that keeps every intermediate output, against chainrule
# ---------------------------------------------------------------------------

def network_gradients(seed: int = 1) -> dict:
    """Linear(3, 4) -> ReLU -> Linear(4, 2) by hand, and the same in chainrule autograd."""
    rng = np.random.default_rng(seed)
    net = NeuralNetwork([Linear(3, 4, rng), ReLU(), Linear(4, 2, rng)])
    for layer in (net.modules[0], net.modules[2]):
        layer.weights *= 100  # weights of order 1, so the ReLU mask is not trivial
    w1, b1 = net.modules[0].weights.copy(), net.modules[0].bias.copy()
    w2, b2 = net.modules[2].weights.copy(), net.modules[2].bias.copy()
    net.forward(X)
    grad_x = net.backward(GRAD_OUTPUT)

    x = cr.tensor(X, requires_grad=True)
    params = [cr.tensor(p, requires_grad=True) for p in (w1, b1, w2, b2)]
    out = params[2] @ (params[0] @ x + params[1]).relu() + params[3]
    out.backward(cr.tensor(GRAD_OUTPUT))
    return {
        "intermediate_shapes": [o.shape for o in net.intermediate_outputs],
        "numpy": [grad_x, net.modules[0].grad_weights, net.modules[0].grad_bias,
                  net.modules[2].grad_weights, net.modules[2].grad_bias],
        "chainrule": [x.grad.numpy()] + [p.grad.numpy() for p in params],
    }


def _fmt(a: np.ndarray) -> list:
    return np.round(a, 6).tolist()


def main() -> None:
    np.set_printoptions(precision=6, suppress=False)
    weights, bias = initial_parameters()
    ref = numpy_step(weights, bias)
    print("Linear(3, 2) on x = [1, 2, 3], grad_output = [0.1, 0.2], lr = 0.01")
    print("  grad_input   (W^T g)  :", ref["grad_input"])
    print("  grad_weights (g x^T)  :", _fmt(ref["grad_weights"]))
    print("  grad_bias    (g)      :", ref["grad_bias"])
    print("  updated weights       :", _fmt(ref["weights"]))
    print("  updated bias          :", ref["bias"])
    print("  grads after the update:", [_fmt(g) for g in ref["grads_after_update"]])
    for name, step in (("custom chainrule.Function", function_step),
                       ("chainrule autograd", autograd_step)):
        other = step(weights, bias)
        keys = ("output", "grad_input", "grad_weights", "grad_bias", "weights", "bias")
        same = all(np.allclose(other[k], ref[k], rtol=1e-12, atol=0) for k in keys)
        print(f"  {name:26s}: same gradients and updated parameters: {same}")
    net = network_gradients()
    same = all(np.allclose(a, b, rtol=1e-12) for a, b in zip(net["numpy"], net["chainrule"]))
    print("NeuralNetwork Linear(3,4)-ReLU-Linear(4,2): intermediate outputs",
          net["intermediate_shapes"], "; gradients match chainrule:", same)
    try:
        Linear(3, 2, np.random.default_rng(0)).forward(np.ones(4))
    except ValueError as err:
        print("  a wrong input size raises:", err)


if __name__ == "__main__":
    main()
