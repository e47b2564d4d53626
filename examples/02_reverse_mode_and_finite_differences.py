"""Why finite differences fail, and reverse mode instead: scalars, control flow, matrices.

This walks through the lecture note "Back-propagation Lecture Notes" with chainrule:

1. f(x1, x2) = log x1 + x1 x2 - sin x2 at (2, 5). A float32 forward difference
   with h = 1e-5 is off by about 0.095 in df/dx2 (the note prints 0.09509146);
   reverse mode on chainrule.Scalar gives the exact gradient (1/x1 + x2,
   x1 - cos x2), and the evaluation trace: the primal values v_-1 .. v_5 and
   their adjoints v-bar.
2. Control flow for free: the graph is whatever the Python ``if`` and ``for``
   built this time, and backprop follows it.
3. Matrix backprop without Jacobians: for F(X) = A X the vector-Jacobian
   product is d<AX, G>/dX = A'G, checked against finite differences; the full
   Jacobian it avoids would hold n^4 numbers.

Run: ``python examples/02_reverse_mode_and_finite_differences.py``
"""

from __future__ import annotations

import math

import numpy as np

import chainrule as cr
from chainrule import Scalar

# ---------------------------------------------------------------------------
# 1. Numerical versus reverse-mode differentiation
# ---------------------------------------------------------------------------

def forward_difference_error() -> float:
    """|exact df/dx2 - forward difference| in float32, as the note computes it."""
    def f(x1, x2):
        return np.log(x1) + x1 * x2 - np.sin(x2)

    x1, x2, h = np.array([2.0, 5.0, 1e-5], dtype=np.float32)
    d_f_x2 = (f(x1, x2 + h) - f(x1, x2)) / h
    return float(np.absolute(x1 - np.cos(x2) - d_f_x2))


def reverse_mode_gradient(x1: float = 2.0, x2: float = 5.0) -> tuple:
    """f and its gradient by backprop on Scalars; each v_i of the evaluation trace is kept."""
    v_m1, v0 = Scalar(x1, label="v-1"), Scalar(x2, label="v0")
    v1 = v_m1.log()
    v2 = v_m1 * v0
    v3 = v0.sin()
    v4 = v1 + v2
    v5 = v4 - v3
    trace = [("v-1", v_m1), ("v0", v0), ("v1", v1), ("v2", v2), ("v3", v3), ("v4", v4), ("v5", v5)]
    for _, v in trace[2:]:
        v.retain_grad()  # keep each adjoint v-bar = d v5 / d v_i
    v5.backward()
    return v5.data, (v_m1.grad, v0.grad), [(name, v.data, v.grad) for name, v in trace]


def exact_gradient(x1: float = 2.0, x2: float = 5.0) -> tuple:
    return 1 / x1 + x2, x1 - math.cos(x2)


# ---------------------------------------------------------------------------
# 2. Control flow: if and for
# ---------------------------------------------------------------------------

def branchy(a: Scalar, b: Scalar, c: Scalar, n: int) -> Scalar:
    """``x = a + b if a > 0 else a + c``, then a loop: y = x^n by repeated products."""
    x = a + b if a > 0 else a + c
    y = Scalar(1.0, requires_grad=False)
    for _ in range(n):
        y = y * x
    return y


def control_flow_gradients() -> dict:
    """Gradients through each branch; n = 3, so dy/da = 3 x^2."""
    results = {}
    for a_val in (2.0, -2.0):
        a, b, c = Scalar(a_val), Scalar(1.0), Scalar(4.0)
        y = branchy(a, b, c, n=3)
        y.backward()
        results["a > 0" if a_val > 0 else "a <= 0"] = (y.data, a.grad, b.grad, c.grad)
    return results


# ---------------------------------------------------------------------------
# 3. The matmul VJP, A'G, without the Jacobian
# ---------------------------------------------------------------------------

def matmul_vjp(n: int = 4, k: int = 3, seed: int = 0) -> dict:
    """F(X) = A X; chainrule's dX for upstream gradient G against A'G and finite differences."""
    rng = np.random.default_rng(seed)
    A, X0, G = rng.normal(size=(n, n)), rng.normal(size=(n, k)), rng.normal(size=(n, k))
    X = cr.tensor(X0, requires_grad=True)
    (cr.tensor(A) @ X).backward(cr.tensor(G))
    # central differences of <AX, G> (a scalar) in each entry of X, float64
    eps = 1e-6
    numeric = np.zeros_like(X0)
    for idx in np.ndindex(*X0.shape):
        up, down = X0.copy(), X0.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (np.sum((A @ up) * G) - np.sum((A @ down) * G)) / (2 * eps)
    return {"engine": X.grad.numpy(), "AtG": A.T @ G, "numeric": numeric}


def main() -> None:
    err = forward_difference_error()
    value, grad, trace = reverse_mode_gradient()
    exact = exact_gradient()
    print("f(x1, x2) = log x1 + x1 x2 - sin x2 at (2, 5)")
    print(f"  float32 forward difference (h = 1e-5): error in df/dx2 = {err:.8f}")
    print(f"  reverse mode (Scalar): f = {value:.6f}, grad = ({grad[0]:.6f}, {grad[1]:.6f}); "
          f"error against (1/x1 + x2, x1 - cos x2) = "
          f"{max(abs(g - e) for g, e in zip(grad, exact)):.1e}")
    print("  forward values and adjoints (v-bar = dv5/dv_i):")
    for name, v, vbar in trace:
        print(f"    {name:3s} = {v:9.5f}   v-bar = {vbar:+.5f}")
    print("Control flow (x = a + b if a > 0 else a + c; y = x^3 by a for loop):")
    def show(g):  # a Scalar the branch did not use gets no gradient at all (None)
        return "unused" if g is None else f"{g:6.1f}"

    for branch, (y, ga, gb, gc) in control_flow_gradients().items():
        print(f"  {branch:6s}: y = {y:6.1f}  dy/da = {show(ga)}  dy/db = {show(gb)}  "
              f"dy/dc = {show(gc)}")
    m = matmul_vjp()
    print("Matmul VJP: dX of <AX, G> equals A'G:", np.allclose(m["engine"], m["AtG"], rtol=1e-12),
          "; and central differences:",
          np.allclose(m["engine"], m["numeric"], rtol=1e-6, atol=1e-8))
    print("  (for n = 1024 the full Jacobian dF/dX would hold 1024^4 floats, 4 TiB in float32)")


if __name__ == "__main__":
    main()
