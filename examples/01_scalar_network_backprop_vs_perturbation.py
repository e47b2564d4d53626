"""A sigmoid network with log loss: backprop versus perturbation, the chain rule, a Node graph.

This walks through the lecture note "03: Back Propagation" with chainrule:

1. Its 1-2-1 network (sigmoid everywhere, log loss) classifying points with
   -0.5 < x < 0.5 as one class: loss 12.017 with the partially trained
   weights, 0.347 with the trained ones.
2. The gradient the slow way (perturb each parameter by 11 deltas in
   [-0.005, 0.005] and fit a line: 77 loss evaluations for 7 parameters) and by
   backprop (one forward and one backward pass), which agree.
3. The chain rule with one path, d/dx (e^x + x)^2, and with two paths,
   d/dx x^2 (3x + 1) - sin(x^2), where the gradients of the two uses of x^2 add.
4. A computation graph (Node / Multiply / Add / Sigmoid / LogLoss) for one
   example, built once from chainrule.Scalar, its values set afterwards and
   evaluated with ``L.forward()``: yhat 0.6225, L 0.4741, dL/dw1 -0.5663,
   dL/dw2 -0.9439, dL/db -0.3775. The same numbers from chainrule.Tensor, and
   from PyTorch when it is installed.

Run: ``python examples/01_scalar_network_backprop_vs_perturbation.py``
"""

from __future__ import annotations

import math

import numpy as np

import chainrule as cr
from chainrule import Scalar

# The data: 51 points in [-1, 1]; class 1 outside (-0.5, 0.5). As in the note, the
# loss divides by len(Y), which is 1 for this (1, 51) array: it is the log loss
# summed over the 51 points (12.017 = 51 x 0.2356).
N = 51
X = np.linspace(-1, 1, N).reshape(1, N)
Y = ((X < -0.5) | (X > 0.5)).reshape(1, N).astype(float)

START = {  # the note's partially trained network
    "weights": [np.array([-7.8751, -8.3499]).reshape(2, 1),
                np.array([5.0297, -4.0937]).reshape(1, 2)],
    "biases": [np.array([-3.9181, 3.8380]).reshape(2, 1), np.array([1.6347]).reshape(1, 1)],
}
TRAINED = {  # after thousands of iterations
    "weights": [np.array([27.6292, 29.6453]).reshape(2, 1),
                np.array([18.5647, -16.8853]).reshape(1, 2)],
    "biases": [np.array([-13.8410, 14.6499]).reshape(2, 1), np.array([7.7300]).reshape(1, 1)],
}
# The note's order of the seven parameters: (list, layer, index)
PARAMS = [("weights", 0, (0, 0)), ("weights", 0, (1, 0)), ("biases", 0, (0, 0)),
          ("biases", 0, (1, 0)), ("weights", 1, (0, 0)), ("weights", 1, (0, 1)),
          ("biases", 1, (0, 0))]
PARAM_NAMES = ["w1[1]", "w2[1]", "b1[1]", "b2[1]", "w1[2]", "w2[2]", "b1[2]"]


# ---------------------------------------------------------------------------
# 1. The network, in NumPy (the note's class) and in chainrule
# ---------------------------------------------------------------------------

class CountingLoss:
    """The NumPy forward pass and log loss of the note, counting how often it is evaluated."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, weights: list, biases: list) -> float:
        self.calls += 1
        A = X
        for W, b in zip(weights, biases):
            A = 1 / (1 + np.exp(-(W @ A + b)))
        return float(-(1 / len(Y)) * (Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum())


def loss_numpy(params: dict) -> float:
    return CountingLoss()(params["weights"], params["biases"])


def loss_and_grads_chainrule(params: dict) -> tuple:
    """One forward and one backward pass with chainrule tensors (float64)."""
    weights = [cr.tensor(W, requires_grad=True) for W in params["weights"]]
    biases = [cr.tensor(b, requires_grad=True) for b in params["biases"]]
    A = cr.tensor(X)
    for W, b in zip(weights, biases):
        A = (W @ A + b).sigmoid()
    y = cr.tensor(Y)
    loss = -(y * A.log() + (1 - y) * (1 - A).log()).sum() / len(Y)
    loss.backward()
    tensors = {"weights": weights, "biases": biases}
    grads = [tensors[kind][layer].grad.numpy()[idx] for kind, layer, idx in PARAMS]
    return loss.item(), np.array(grads)


def loss_scalar(params: dict) -> tuple:
    """The same network on chainrule.Scalar, one example at a time (slow, but exact)."""
    w1 = [Scalar(v) for v in params["weights"][0][:, 0]]  # input -> hidden
    b1 = [Scalar(v) for v in params["biases"][0][:, 0]]
    w2 = [Scalar(v) for v in params["weights"][1][0]]     # hidden -> output
    b2 = Scalar(params["biases"][1][0, 0])
    total = Scalar(0.0, requires_grad=False)
    for x, y in zip(X[0], Y[0]):
        hidden = [(w1[j] * x + b1[j]).sigmoid() for j in range(2)]
        yhat = (w2[0] * hidden[0] + w2[1] * hidden[1] + b2).sigmoid()
        total = total - (y * yhat.log() + (1 - y) * (1 - yhat).log())
    loss = total / len(Y)
    loss.backward()
    grads = [w1[0].grad, w1[1].grad, b1[0].grad, b1[1].grad, w2[0].grad, w2[1].grad, b2.grad]
    return loss.data, np.array(grads)


# ---------------------------------------------------------------------------
# 2. The gradient by perturbation (the slow way)
# ---------------------------------------------------------------------------

def perturbation_gradient(params: dict, deltas: np.ndarray | None = None) -> tuple:
    """For each parameter: the loss at 11 shifted values and the slope of a fitted line."""
    if deltas is None:
        deltas = np.linspace(-0.005, 0.005, 11)
    loss = CountingLoss()
    base = loss(params["weights"], params["biases"])
    slopes = []
    for kind, layer, idx in PARAMS:
        losses = []
        for d in deltas:
            shifted = {k: [a.copy() for a in v] for k, v in params.items()}
            shifted[kind][layer][idx] += d
            losses.append(loss(shifted["weights"], shifted["biases"]))
        slopes.append(np.polyfit(deltas, np.array(losses) - base, 1)[0])
    return np.array(slopes), loss.calls - 1  # the evaluations the gradient itself needed


def one_step(params: dict, grads: np.ndarray, lr: float = 0.002) -> float:
    """One gradient-descent step on all seven parameters by -lr * gradient; returns the new loss."""
    new = {k: [a.copy() for a in v] for k, v in params.items()}
    for (kind, layer, idx), g in zip(PARAMS, grads):
        new[kind][layer][idx] -= lr * g
    return loss_numpy(new)


# ---------------------------------------------------------------------------
# The chain rule, one path and several (two worked examples)
# ---------------------------------------------------------------------------

def chain_rule_examples(x_value: float = 0.7) -> dict:
    """d/dx of (e^x + x)^2 (one path) and x^2 (3x + 1) - sin(x^2) (two paths through x^2).

    Returns (backprop on a Scalar, the closed form by hand) for each.
    """
    x = Scalar(x_value)
    ((x.exp() + x) ** 2).backward()
    one_path = 2 * (math.exp(x_value) + x_value) * (math.exp(x_value) + 1)
    x2 = Scalar(x_value)
    h = x2 ** 2  # h = x^2 feeds two places: h g and sin(h); their gradients add up
    (h * (3 * x2 + 1) - h.sin()).backward()
    two_paths = 3 * x_value ** 2 + 2 * x_value * (3 * x_value + 1 - math.cos(x_value ** 2))
    return {"(e^x + x)^2": (x.grad, one_path), "x^2 (3x + 1) - sin(x^2)": (x2.grad, two_paths)}


# ---------------------------------------------------------------------------
# 3. The Node graph of one example: z = w1 x1 + w2 x2 + b, yhat = sigmoid(z), L = log loss
# ---------------------------------------------------------------------------

NODE_VALUES = {"x1": 1.5, "x2": 2.5, "w1": -4.0, "w2": 3.0, "b": -1.0, "y": 1.0}


def manual_node_graph() -> dict:
    """The forward and backward pass written out by hand, row by row."""
    v = NODE_VALUES
    z = v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["b"]
    yhat = 1 / (1 + np.exp(-z))
    L = -v["y"] * np.log(yhat) - (1 - v["y"]) * np.log(1 - yhat)
    dL_dz = yhat * (1 - yhat) * (-v["y"] / yhat + (1 - v["y"]) / (1 - yhat))
    return {"yhat": yhat, "L": L, "dL/dw1": v["x1"] * dL_dz, "dL/dw2": v["x2"] * dL_dz,
            "dL/db": dL_dz}


def scalar_node_graph() -> dict:
    """Build the graph once, set the values, then ``L.forward()`` and ``L.backward()``."""
    nodes = {name: Scalar(0.0, label=name, requires_grad=name in ("w1", "w2", "b"))
             for name in NODE_VALUES}
    w1x1 = nodes["w1"] * nodes["x1"]
    w2x2 = nodes["w2"] * nodes["x2"]
    z = w1x1 + w2x2 + nodes["b"]
    yhat = z.sigmoid()
    y = nodes["y"]
    L = -y * yhat.log() - (1 - y) * (1 - yhat).log()
    for name, value in NODE_VALUES.items():  # x1.value = 1.5 ... after the graph is built
        nodes[name].data = value
    L.forward()
    L.backward()
    return {"yhat": yhat.data, "L": L.data, "dL/dw1": nodes["w1"].grad,
            "dL/dw2": nodes["w2"].grad, "dL/db": nodes["b"].grad}


def tensor_node_graph() -> dict:
    """The note's PyTorch code, written with chainrule tensors (float32, as there)."""
    x1, x2 = cr.tensor([1.5]), cr.tensor([2.5])
    w1, w2 = cr.tensor([-4.0], requires_grad=True), cr.tensor([3.0], requires_grad=True)
    b = cr.tensor([-1.0], requires_grad=True)
    y = cr.tensor([1.0])
    yhat = (w1 * x1 + w2 * x2 + b).sigmoid()
    L = -(y * yhat.log() + (1 - y) * (1 - yhat).log()).mean()
    L.backward()
    return {"yhat": yhat.item(), "L": L.item(), "dL/dw1": w1.grad.item(),
            "dL/dw2": w2.grad.item(), "dL/db": b.grad.item()}


def torch_node_graph() -> dict | None:
    """The note's PyTorch code itself, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    x1, x2 = torch.tensor([1.5]), torch.tensor([2.5])
    w1, w2 = torch.tensor([-4.0], requires_grad=True), torch.tensor([3.0], requires_grad=True)
    b = torch.tensor([-1.0], requires_grad=True)
    yhat = torch.sigmoid(w1 * x1 + w2 * x2 + b)
    L = torch.nn.functional.binary_cross_entropy(yhat, torch.tensor([1.0]))
    L.backward()
    return {"yhat": yhat.item(), "L": L.item(), "dL/dw1": w1.grad.item(),
            "dL/dw2": w2.grad.item(), "dL/db": b.grad.item()}


def main() -> None:
    print(f"Original loss: {loss_numpy(START):.3f}   "
          f"(chainrule: {loss_and_grads_chainrule(START)[0]:.3f})")
    print(f"Trained network loss: {loss_numpy(TRAINED):.3f}   "
          f"(chainrule: {loss_and_grads_chainrule(TRAINED)[0]:.3f})")
    slopes, evaluations = perturbation_gradient(START)
    loss, grads = loss_and_grads_chainrule(START)
    print(f"Gradient by perturbation: {evaluations} loss evaluations; by backprop: "
          "1 forward + 1 backward pass")
    for name, s, g in zip(PARAM_NAMES, slopes, grads):
        print(f"  dL/d{name:6s} perturbation {s:+.4f}   backprop {g:+.4f}")
    print(f"One step with lr = 0.002: loss {loss_numpy(START):.3f} -> "
          f"{one_step(START, slopes):.3f} (perturbation), {one_step(START, grads):.3f} (backprop)")
    print("The chain rule at x = 0.7 (backprop on Scalars, and the closed form):")
    for name, (got, closed) in chain_rule_examples().items():
        print(f"  d/dx {name:24s} = {got:.6f}   closed form {closed:.6f}")
    print("The Node graph (x1 1.5, x2 2.5, w1 -4, w2 3, b -1, y 1):")
    rows = [("manual", manual_node_graph()), ("Scalar", scalar_node_graph()),
            ("Tensor", tensor_node_graph()), ("PyTorch", torch_node_graph())]
    for name, r in rows:
        if r is None:
            print(f"  {name:7s}: not installed")
            continue
        print(f"  {name:7s}: yhat {r['yhat']:.4f}  L {r['L']:.4f}  dL/dw1 {r['dL/dw1']:.4f}  "
              f"dL/dw2 {r['dL/dw2']:.4f}  dL/db {r['dL/db']:.4f}")


if __name__ == "__main__":
    main()
