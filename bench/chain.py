"""Per-op overhead: a chain of 1,000 tiny ops, forward and backward.

The chain repeats ``x * 1.0001``, ``x + 0.001``, ``tanh(x)`` on 10 float64 elements,
then sums, so NumPy's own work is small and what is measured is the engine: recording
each op, ordering the graph, running each VJP. Reported: microseconds per op (forward
plus backward of one op), median over samples, and the ratio to PyTorch.

Columns: chainrule (Tensor), plain NumPy (forward and the hand-written backward, the
floor), PyTorch, HIPS autograd, chainrule.Scalar and micrograd on one Python float
(micrograd has no tanh: its chain uses relu on positive values, the same amount of
work per node).

Run: ``python -m bench.chain``.
"""

from __future__ import annotations

from bench import _harness as H

N_OPS = 1000
SIZE = 10
LIBS = ["chainrule", "numpy", "torch", "autograd", "chainrule-scalar", "micrograd"]


def measure(lib: str, n_ops: int = N_OPS, samples: int = 30) -> dict:
    step = _make(lib, n_ops)
    if step is None:
        return {"skipped": f"{lib} is not installed"}
    check = step()
    result = H.time_samples(step, warmup=5, samples=samples)
    result["check"] = float(check)
    return result


def _chain(y, n_ops: int, tanh):
    """The forward chain, for any library: ``* 1.0001``, ``+ 0.001``, ``tanh``, repeated."""
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            y = y * 1.0001
        elif k == 1:
            y = y + 0.001
        else:
            y = tanh(y)
    return y


def _method(name: str):
    return lambda y: getattr(y, name)()


def numpy_step(x0, n_ops: int) -> float:
    """The chain in plain NumPy: the forward, then the backward written by hand (the floor)."""
    import numpy as np

    saved = []

    def tanh(y):
        saved.append(np.tanh(y))
        return saved[-1]

    y = _chain(x0, n_ops, tanh)
    g = np.ones_like(y)
    for i in reversed(range(n_ops)):
        k = i % 3
        if k == 0:
            g = g * 1.0001
        elif k == 2:
            out = saved.pop()
            g = g * (1 - out * out)
    return g.sum()


def autodiff_step(lib_module, x0, n_ops: int) -> float:
    """The chain in chainrule or PyTorch (the same code: they share the API)."""
    x = lib_module.tensor(x0, requires_grad=True)
    _chain(x, n_ops, _method("tanh")).sum().backward()
    return x.grad.sum().item()


def _make(lib: str, n_ops: int):
    import numpy as np

    x0 = np.linspace(-1.0, 1.0, SIZE)

    if lib == "numpy":
        return lambda: numpy_step(x0, n_ops)

    if lib in ("chainrule", "torch"):
        if lib == "chainrule":
            import chainrule as lib_module
        else:
            import torch as lib_module

        return lambda: autodiff_step(lib_module, x0, n_ops)

    if lib == "autograd":
        try:
            import autograd
            import autograd.numpy as anp
        except ImportError:
            return None
        df = autograd.grad(lambda x: anp.sum(_chain(x, n_ops, anp.tanh)))
        return lambda: df(x0).sum()

    if lib == "chainrule-scalar":
        from chainrule.scalar import Scalar

        def step():
            x = Scalar(0.3, requires_grad=True)
            _chain(x, n_ops, _method("tanh")).backward()
            return x.grad
        return step

    if lib == "micrograd":
        try:
            from micrograd.engine import Value
        except ImportError:
            return None

        import sys

        sys.setrecursionlimit(10_000)  # micrograd's topological sort recurses

        def step():
            x = Value(0.3)
            _chain(x, n_ops, _method("relu")).backward()  # micrograd has no tanh
            return x.grad
        return step
    raise ValueError(f"unknown library {lib!r}")


def run(rounds: int = 2) -> list:
    """Measure every library; print and return the rows for the report."""
    results = H.compare("bench.chain", "measure", LIBS, threads=1, rounds=rounds)
    rows = H.table(results, base="torch", per=N_OPS, unit="/op")
    H.print_rows(f"Chain of {N_OPS} tiny ops ({SIZE} float64), forward+backward, per op, "
                 "1 thread (ratio: to PyTorch)",
                 ["library", "median", "min - max", "vs torch", "CPU vs torch"], rows)
    return [{"bench": "chain", "threads": 1, "results": results, "rows": rows,
             "title": f"Chain of {N_OPS} tiny ops, per op (fwd+bwd)", "base": "torch"}]


if __name__ == "__main__":
    run()
