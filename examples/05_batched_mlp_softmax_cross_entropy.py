"""Batched MLP backprop with softmax and cross-entropy, rows as examples.

This walks through the lecture note "BP for multi-layer perceptron (MLP)" with chainrule.

The forward pass (no biases): Z_l = A_{l-1} W_l^T, A_l = f(Z_l), and at
the top A_L = softmax(Z_L) with loss -(1/N) sum Y log A_L. Its backward pass,
written out in NumPy:

    Delta_L = (A_L - Y) / N                      (softmax + cross-entropy together)
    dW_l    = Delta_l^T A_{l-1}
    Delta_l = (Delta_{l+1} W_{l+1}) * f'(Z_l)

These must equal chainrule's gradients of the same loss, built from Tensor ops
(``@``, ``relu``, ``log_softmax``, indexing and ``mean``; no ``nn``).

Two slips in the note's pseudocode are fixed here: the last layer uses
``W.T`` like the others (the note writes ``A @ W``), and the backward loop runs
down to the first layer (the note's ``range(L-2, 0, -1)`` stops before it).

Run: ``python examples/05_batched_mlp_softmax_cross_entropy.py``
"""

from __future__ import annotations

import numpy as np

import chainrule as cr

SIZES = (5, 8, 6, 3)  # input features, two hidden layers, classes
N = 16                # examples, one per row


def make_problem(seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, SIZES[0]))
    labels = rng.integers(0, SIZES[-1], size=N)
    Y = np.eye(SIZES[-1])[labels]  # one-hot rows
    W = [rng.normal(size=(n_out, n_in)) / np.sqrt(n_in) for n_in, n_out in zip(SIZES, SIZES[1:])]
    return X, Y, labels, W


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def d_relu(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(z.dtype)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward_pass(X: np.ndarray, Y: np.ndarray, W: list) -> tuple:
    """The forward pass; A[0] is the input, A[l] the activation of layer l."""
    A, Z = [X], [None]
    for l, Wl in enumerate(W, start=1):
        Z.append(A[-1] @ Wl.T)
        A.append(softmax(Z[-1]) if l == len(W) else relu(Z[-1]))
    loss = -np.sum(Y * np.log(A[-1])) / X.shape[0]
    return loss, A, Z


def backward_pass(Y: np.ndarray, A: list, Z: list, W: list) -> list:
    """The Delta formulas; returns dL/dW_l for every layer."""
    L = len(W)
    delta = (A[L] - Y) / Y.shape[0]             # Delta_L
    grads = [None] * L
    for l in range(L, 0, -1):
        grads[l - 1] = delta.T @ A[l - 1]       # dW_l = Delta_l^T A_{l-1}
        if l > 1:
            delta = (delta @ W[l - 1]) * d_relu(Z[l - 1])  # Delta_{l-1}
    return grads


def chainrule_gradients(X: np.ndarray, labels: np.ndarray, W: list) -> tuple:
    """The same loss from chainrule Tensor ops; one backward call."""
    weights = [cr.tensor(Wl, requires_grad=True) for Wl in W]
    A = cr.tensor(X)
    for l, Wl in enumerate(weights, start=1):
        Z = A @ Wl.T
        A = Z if l == len(weights) else Z.relu()
    log_probs = A.log_softmax(dim=1)
    loss = -log_probs[np.arange(len(labels)), labels].mean()
    loss.backward()
    return loss.item(), [Wl.grad.numpy() for Wl in weights]


def compare(seed: int = 0) -> dict:
    X, Y, labels, W = make_problem(seed)
    loss_np, A, Z = forward_pass(X, Y, W)
    grads_np = backward_pass(Y, A, Z, W)
    loss_cr, grads_cr = chainrule_gradients(X, labels, W)
    return {"loss_numpy": loss_np, "loss_chainrule": loss_cr,
            "grads_numpy": grads_np, "grads_chainrule": grads_cr,
            "max_abs_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(grads_np, grads_cr))}


def main() -> None:
    r = compare()
    print(f"MLP {'-'.join(map(str, SIZES))} (relu, softmax + cross-entropy), a batch of {N} rows")
    print(f"  loss: NumPy {r['loss_numpy']:.10f}   chainrule {r['loss_chainrule']:.10f}")
    for l, (g_np, g_cr) in enumerate(zip(r["grads_numpy"], r["grads_chainrule"]), start=1):
        print(f"  dL/dW{l} {str(g_np.shape):7s}: Delta formulas == chainrule: "
              f"{np.allclose(g_np, g_cr, rtol=1e-10, atol=1e-13)}")
    print(f"  largest difference: {r['max_abs_diff']:.1e} (float64 rounding)")


if __name__ == "__main__":
    main()
