"""einsum, forward and backward: chainrule against NumPy's einsum and PyTorch.

Four equations a model might write: a batched matmul, a chain of three matrices,
attention scores (two batch letters, one contracted) and a bilinear form (three
operands). Each step computes ``out = einsum(eq, *ops)`` and the gradient of
``sum(out * w)`` for every operand, float32:

* chainrule: ``cr.einsum`` and ``backward()``, as a user writes it (each pairwise
  contraction one matmul; each gradient an einsum of the same kind).
* numpy: ``np.einsum(..., optimize=True)`` for the forward and for each gradient,
  written by hand: what NumPy gives without chainrule's contraction kernel.
* torch: ``torch.einsum`` and ``backward()``.

Run: ``python -m bench.einsum`` (1 thread).
"""

from __future__ import annotations

from bench import _harness as H

EQUATIONS = {
    "bij,bjk->bik": [(32, 128, 128), (32, 128, 128)],
    "ij,jk,kl->il": [(256, 512), (512, 64), (64, 256)],
    "bhqd,bhkd->bhqk": [(8, 8, 128, 64), (8, 8, 128, 64)],
    "bn,anm,bm->ba": [(64, 256), (32, 256, 256), (64, 256)],
}
LIBS = ["chainrule", "numpy", "torch"]


def _arrays(equation: str) -> tuple:
    import numpy as np

    rng = np.random.default_rng(0)
    ops = [rng.standard_normal(s).astype(np.float32) for s in EQUATIONS[equation]]
    out_shape = np.einsum(equation, *ops, optimize=True).shape
    return ops, rng.standard_normal(out_shape).astype(np.float32)


def _numpy_grads(equation: str, ops: list, w):
    """Each operand's gradient as np.einsum of w and the other operands (no repeated or
    private letters in these equations, so that is the whole VJP)."""
    import numpy as np

    inputs, output = equation.split("->")
    terms = inputs.split(",")
    grads = []
    for k, term in enumerate(terms):
        others = [t for j, t in enumerate(terms) if j != k]
        eq = ",".join([output] + others) + "->" + term
        grads.append(np.einsum(eq, w, *[o for j, o in enumerate(ops) if j != k], optimize=True))
    return grads


def measure(lib: str, equation: str, samples: int = 10) -> dict:
    ops, w = _arrays(equation)
    if lib == "numpy":
        import numpy as np

        def step():
            out = np.einsum(equation, *ops, optimize=True)
            grads = _numpy_grads(equation, ops, w)
            return float((out * w).sum()) + sum(float(g.sum()) for g in grads)
    else:
        import importlib

        m = importlib.import_module("chainrule" if lib == "chainrule" else "torch")
        leaves = [m.tensor(o, requires_grad=True) for o in ops]
        wt = m.tensor(w)

        def step():
            for leaf in leaves:
                leaf.grad = None
            out = m.einsum(equation, *leaves)
            (out * wt).sum().backward()
            return float((out * wt).sum().item()) + sum(float(x.grad.sum().item())
                                                         for x in leaves)
    check = step()
    result = H.time_samples(step, warmup=2, samples=samples)
    result["check"] = check
    return result


def run(rounds: int = 2) -> list:
    out = []
    for equation in EQUATIONS:
        results = H.compare("bench.einsum", "measure", LIBS, threads=1,
                            params={"equation": equation}, rounds=rounds)
        rows = H.table(results, base="torch")
        title = f"einsum {equation!r} {EQUATIONS[equation]}, float32, forward+backward, 1 thread"
        H.print_rows(title, ["library", "median", "min - max", "vs torch", "CPU vs torch"], rows)
        out.append({"bench": "einsum", "threads": 1, "results": results, "rows": rows,
                    "title": title, "base": "torch"})
    return out


if __name__ == "__main__":
    run()
