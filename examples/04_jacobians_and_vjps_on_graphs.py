"""Backprop over computation graphs, with each layer's Jacobians made explicit.

This walks through the chapter "Backpropagation" of Foundations of Computer Vision
with chainrule. For a layer x_out = f(x_in, theta) the chapter defines, at the
operating point, L^x = d x_out / d x_in and L^theta = d x_out / d theta, and
backprop is g_in = g_out L^x (data) and dJ/dtheta = g_out L^theta (parameters).
chainrule never builds these matrices; here we build them anyway, one
``chainrule.grad`` per output element (each call gives one row), and check
that the engine's vector-Jacobian products equal the explicit products.

Then: batches as averaged per-example gradients; a DAG with branch and merge;
a shared parameter whose gradient is the sum over its uses; and backprop to
the data, optimising an input so that a chosen neuron's activation grows.

Run: ``python examples/04_jacobians_and_vjps_on_graphs.py``
"""

from __future__ import annotations

import numpy as np

import chainrule as cr


def t(a, requires_grad: bool = True) -> cr.Tensor:
    """A float64 chainrule tensor (the example checks exact identities)."""
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def jacobian(out: cr.Tensor, wrt: cr.Tensor) -> np.ndarray:
    """d out / d wrt as a [|out| x |wrt|] matrix, one chainrule.grad per output element."""
    flat = out.reshape(-1)
    rows = []
    for i in range(flat.shape[0]):
        (row,) = cr.grad(flat[i], wrt, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(wrt.shape) if row is None else row.numpy())
    return np.stack([r.reshape(-1) for r in rows])


# ---------------------------------------------------------------------------
# A chain: x0 -> linear W1 -> relu -> linear W2 -> L2 loss (an MLP without biases)
# ---------------------------------------------------------------------------

def make_chain(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"x0": rng.normal(size=4), "W1": rng.normal(size=(3, 4)),
            "W2": rng.normal(size=(2, 3)), "y": rng.normal(size=2)}


def chain_jacobians(params: dict) -> list:
    """For each layer: its name, L^x, L^theta, g_out, g_in (engine) and dJ/dtheta (engine)."""
    x0 = t(params["x0"])
    W1, W2 = t(params["W1"]), t(params["W2"])
    y = t(params["y"], requires_grad=False)
    x1 = W1 @ x0
    x2 = x1.relu()
    x3 = W2 @ x2
    J = ((x3 - y) ** 2).sum()
    layers = [("linear W1", x0, W1, x1), ("relu", x1, None, x2),
              ("linear W2", x2, W2, x3), ("L2 loss", x3, None, J)]
    report = []
    for name, x_in, theta, x_out in layers:
        L_x = jacobian(x_out, x_in)
        L_theta = None if theta is None else jacobian(x_out, theta)
        # The engine's VJPs: gradients of J with respect to this layer's output and input.
        wanted = [x_out, x_in] + ([] if theta is None else [theta])
        grads = cr.grad(J, wanted, retain_graph=True)
        g_out = np.atleast_1d(grads[0].numpy()).reshape(-1)
        report.append({
            "name": name, "L_x": L_x, "L_theta": L_theta, "g_out": g_out,
            "g_in": grads[1].numpy().reshape(-1),
            "dJ_dtheta": None if theta is None else grads[2].numpy().reshape(-1),
        })
    return report


def check_chain(report: list, params: dict) -> dict:
    """g_in == g_out L^x and dJ/dtheta == g_out L^theta; the closed forms of each L."""
    W1, W2 = params["W1"], params["W2"]
    x1 = W1 @ params["x0"]
    x3 = W2 @ np.maximum(x1, 0)
    closed = {"linear W1": W1, "relu": np.diag((x1 >= 0).astype(float)),
              "linear W2": W2, "L2 loss": 2 * (x3 - params["y"])[None, :]}
    # L^W[i, (j, k)] = x_in[k] if i == j else 0: a sparse [M x MN] matrix
    closed_theta = {"linear W1": np.kron(np.eye(3), params["x0"][None, :]),
                    "linear W2": np.kron(np.eye(2), np.maximum(x1, 0)[None, :])}
    checks = {}
    for layer in report:
        ok = np.allclose(layer["g_out"] @ layer["L_x"], layer["g_in"], rtol=1e-12, atol=1e-14)
        if layer["L_theta"] is not None:
            ok &= np.allclose(layer["g_out"] @ layer["L_theta"], layer["dJ_dtheta"], rtol=1e-12)
            ok &= np.allclose(layer["L_theta"], closed_theta[layer["name"]], rtol=1e-12)
        ok &= np.allclose(layer["L_x"], closed[layer["name"]], rtol=1e-12)
        checks[layer["name"]] = bool(ok)
    return checks


# ---------------------------------------------------------------------------
# Forward-backward is a bigger network: the backward half is linear in g_out
# ---------------------------------------------------------------------------

def backward_is_linear(seed: int = 5) -> dict:
    """The backward pass of x0 -> W1 -> relu -> W2 maps g_out to g_in linearly.

    It equals W1^T diag(relu'(z)) W2^T g_out: linear layers run with transposed
    weights, the relu becomes a 0/1 gating matrix. With ``create_graph=True``
    that backward network is itself recorded and can be differentiated again.
    """
    rng = np.random.default_rng(seed)
    W1_val, W2_val, x_val = rng.normal(size=(3, 4)), rng.normal(size=(2, 3)), rng.normal(size=4)
    x = t(x_val)
    z = t(W1_val, False) @ x
    out = t(W2_val, False) @ z.relu()
    g1, g2 = rng.normal(size=2), rng.normal(size=2)

    def vjp(g):
        (g_in,) = cr.grad(out, x, grad_outputs=t(g, False), retain_graph=True)
        return g_in.numpy()

    gate = np.diag((W1_val @ x_val > 0).astype(float))
    # The backward network, recorded (create_graph) and differentiated once more:
    # g_in = W1^T v with v = gate W2^T g1, so d sum(g_in^2) / d W1 = 2 v g_in^T.
    W1 = t(W1_val)
    x2 = t(x_val)
    out2 = t(W2_val, False) @ (W1 @ x2).relu()
    (g_in,) = cr.grad(out2, x2, grad_outputs=t(g1, False), create_graph=True)
    (g_in * g_in).sum().backward()
    v = gate @ W2_val.T @ g1
    return {
        "combined": vjp(2.0 * g1 - 3.0 * g2), "separate": 2.0 * vjp(g1) - 3.0 * vjp(g2),
        "engine": vjp(g1), "transposed_net": W1_val.T @ gate @ W2_val.T @ g1,
        "second_order": W1.grad.numpy(), "second_order_closed": 2 * np.outer(v, W1_val.T @ v),
        "gate": np.diag(gate),
    }


# ---------------------------------------------------------------------------
# Batches: the gradient of the mean loss is the mean of per-example gradients
# ---------------------------------------------------------------------------

def batch_gradients(n: int = 5, seed: int = 1) -> tuple:
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, 4)), rng.normal(size=(n, 2))
    W1, W2 = rng.normal(size=(3, 4)), rng.normal(size=(2, 3))

    def loss(x, y, w1, w2):
        return ((w2 @ (w1 @ x).relu() - y) ** 2).sum()

    per_example = []
    for x, y in zip(X, Y):
        w1, w2 = t(W1), t(W2)
        loss(t(x, False), t(y, False), w1, w2).backward()
        per_example.append(w1.grad.numpy())
    w1, w2 = t(W1), t(W2)
    mean_loss = sum((loss(t(x, False), t(y, False), w1, w2) for x, y in zip(X, Y)), t(0.0)) / n
    mean_loss.backward()
    return np.mean(per_example, axis=0), w1.grad.numpy()


# ---------------------------------------------------------------------------
# Branch and merge; parameter sharing
# ---------------------------------------------------------------------------

def branch_and_merge(seed: int = 2) -> dict:
    """x branches into W_a x and relu(W_b x); the two merge (concatenate) into W_c [.,.]."""
    rng = np.random.default_rng(seed)
    x_val = rng.normal(size=3)
    Wa, Wb, Wc = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(1, 4))

    def graph(x):
        merged = cr.cat([t(Wa, False) @ x, (t(Wb, False) @ x).relu()], dim=0)
        return (t(Wc, False) @ merged).sum()

    x = t(x_val)
    graph(x).backward()
    # The branch sums the gradients of its copies: follow each path alone.
    g_merge = Wc[0]
    g_a = g_merge[:2] @ Wa
    g_b = (g_merge[2:] * (Wb @ x_val > 0)) @ Wb
    return {"engine": x.grad.numpy(), "g_a": g_a, "g_b": g_b}


def shared_parameter(seed: int = 3) -> dict:
    """One W used by two layers: dJ/dW is the sum of the gradients of its two uses."""
    rng = np.random.default_rng(seed)
    W_val, x_val = rng.normal(size=(3, 3)), rng.normal(size=3)
    W = t(W_val)
    (W @ (W @ t(x_val, False)).tanh()).sum().backward()
    W_first, W_second = t(W_val), t(W_val)  # the same value, as two separate copies
    (W_second @ (W_first @ t(x_val, False)).tanh()).sum().backward()
    return {"shared": W.grad.numpy(), "first": W_first.grad.numpy(),
            "second": W_second.grad.numpy()}


# ---------------------------------------------------------------------------
# Backprop to the data
# ---------------------------------------------------------------------------

def excite_neuron(steps: int = 40, lr: float = 0.05, neuron: int = 1, seed: int = 4) -> list:
    """Gradient descent on the *input* with J = -x_1[neuron] (minus: descent makes it grow).

    The network's weights stay fixed; the input is kept on the unit sphere so the
    activation cannot grow by scaling alone. Returns the activation after each step.
    """
    rng = np.random.default_rng(seed)
    W1, W2 = t(rng.normal(size=(8, 4)), False), t(rng.normal(size=(3, 8)), False)
    x = t(rng.normal(size=4))
    with cr.no_grad():
        x /= (x * x).sum().sqrt()
    history = []
    for _ in range(steps):
        activation = (W2 @ (W1 @ x).relu())[neuron]
        history.append(activation.item())
        J = -activation
        x.grad = None
        J.backward()
        with cr.no_grad():
            x -= lr * x.grad
            x /= (x * x).sum().sqrt()
    history.append((W2 @ (W1 @ x).relu())[neuron].item())
    return history


def main() -> None:
    params = make_chain()
    report = chain_jacobians(params)
    checks = check_chain(report, params)
    print("A chain x0 -> W1 -> relu -> W2 -> L2 loss; "
          "L^x built from one chainrule.grad per output:")
    for layer in report:
        shape_t = "" if layer["L_theta"] is None else f", L^theta {layer['L_theta'].shape}"
        print(f"  {layer['name']:9s}: L^x {layer['L_x'].shape}{shape_t}; "
              f"g_out L^x == engine VJP and L matches its closed form: {checks[layer['name']]}")
    lin = backward_is_linear()
    print("Backward as a linear network: g_in(2 g1 - 3 g2) == 2 g_in(g1) - 3 g_in(g2):",
          np.allclose(lin["combined"], lin["separate"], rtol=1e-12),
          "; == W1^T gate W2^T g_out:",
          np.allclose(lin["engine"], lin["transposed_net"], rtol=1e-12))
    print("  recorded with create_graph and differentiated again (d|g_in|^2/dW1 = 2 v g_in^T):",
          np.allclose(lin["second_order"], lin["second_order_closed"], rtol=1e-12))
    averaged, batched = batch_gradients()
    print("Batch of 5: mean of per-example dJ/dW1 equals dJ/dW1 of the mean loss:",
          np.allclose(averaged, batched, rtol=1e-12))
    dag = branch_and_merge()
    print("Branch and merge: dJ/dx =", np.round(dag["engine"], 6),
          "= path a + path b:", np.allclose(dag["engine"], dag["g_a"] + dag["g_b"], rtol=1e-12))
    shared = shared_parameter()
    print("Shared W used twice: dJ/dW equals the sum over its two uses:",
          np.allclose(shared["shared"], shared["first"] + shared["second"], rtol=1e-12))
    history = excite_neuron()
    print(f"Backprop to the data: neuron 1's activation {history[0]:.4f} -> {history[-1]:.4f} "
          f"in {len(history) - 1} steps on the input (weights fixed)")


if __name__ == "__main__":
    main()
