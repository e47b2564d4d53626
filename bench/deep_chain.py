"""A chain of 1,000,000 ops, forward and backward, at Python's default recursion limit.

The chain of bench/chain.py (``x * 1.0001``, ``x + 0.001``, ``tanh``) on one float64
element, a million ops deep. chainrule orders the graph with an explicit stack and
frees each op's record as its VJP runs, so neither the recursion limit (left at its
default, checked) nor the graph's teardown is a problem. Reported: seconds for
forward and backward, the peak RSS of the process, and the gradient (the same for
every library).

Run: ``python -m bench.deep_chain`` (``--ops N`` for another depth).
"""

from __future__ import annotations

import sys
import time

from bench import _harness as H
from bench.chain import _chain

N_OPS = 1_000_000
LIBS = ["chainrule", "torch"]


def measure(lib: str, n_ops: int = N_OPS) -> dict:
    import numpy as np

    from bench.memory import _rss

    limit = sys.getrecursionlimit()
    x0 = np.array([0.3])
    if lib == "chainrule":
        import chainrule as cr

        x = cr.tensor(x0, requires_grad=True)
        tanh = cr.Tensor.tanh
    elif lib == "torch":
        import torch

        x = torch.tensor(x0, requires_grad=True)
        tanh = torch.Tensor.tanh
    else:
        raise ValueError(f"unknown library {lib!r}")
    start = time.perf_counter()
    y = _chain(x, n_ops, tanh)
    mid = time.perf_counter()
    y.sum().backward()
    del y
    end = time.perf_counter()
    assert sys.getrecursionlimit() == limit
    return {"forward_s": mid - start, "backward_s": end - mid, "grad": float(x.grad[0]),
            "peak_rss_mib": _rss()[1] / 2**20, "recursion_limit": limit, "times": [end - start]}


def run(n_ops: int = N_OPS) -> list:
    results = {lib: H.run_child("bench.deep_chain", "measure", lib, threads=1,
                                params={"n_ops": n_ops}) for lib in LIBS}
    rows = []
    for lib, r in results.items():
        if "error" in r:
            rows.append([lib, "error", r["error"][:80], "", "", ""])
            continue
        rows.append([lib, f"{r['forward_s']:.2f} s", f"{r['backward_s']:.2f} s",
                     f"{r['peak_rss_mib']:.0f} MiB", f"{r['grad']:.9g}",
                     str(r["recursion_limit"])])
    H.print_rows(f"Chain of {n_ops:,} ops on one float64, forward + backward, 1 thread",
                 ["library", "forward", "backward", "peak RSS", "dy/dx", "recursion limit"],
                 rows)
    return [{"bench": "deep_chain", "threads": 1, "results": results, "rows": rows,
             "title": f"Chain of {n_ops:,} ops", "base": None}]


if __name__ == "__main__":
    n = N_OPS
    if "--ops" in sys.argv:
        n = int(sys.argv[sys.argv.index("--ops") + 1])
    run(n)
