"""A small MLP's whole training step with Adam: 40-100-100-10, ReLU, batch 100, float32.

The step is zero_grad, forward, softmax cross-entropy, backward and ``optim.Adam``'s
update, the code a user writes; chainrule and PyTorch run the same code from the same
weights (drawn with NumPy, seed 0), so their losses agree. At this size the arrays are
small and the step is mostly per-op and per-parameter overhead: recording, the graph
walk, and the optimizer's loop over six parameters.

Run: ``python -m bench.adam_mlp``.
"""

from __future__ import annotations

from bench import _harness as H

SIZES = (40, 100, 100, 10)
BATCH = 100
LR = 1e-3
LIBS = ["chainrule", "torch"]


def make_step(lib: str):
    """One training step of ``lib`` (chainrule or torch), returning the loss."""
    import numpy as np

    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1.0 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (n_out,)).astype(np.float32))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH).astype(np.int64)
    return H.training_step(lib, _model, params, x, y, LR, optimizer="Adam")


def _model(nn):
    return nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
                         nn.Linear(100, 10))


def measure(lib: str, samples: int = 300) -> dict:
    return H.measure_step(make_step(lib), samples, warmup=20)


def run(rounds: int = 3, threads: tuple = (1,)) -> list:
    def title(t: int) -> str:
        return f"Small MLP 40-100-100-10 step with Adam, batch {BATCH}, {t} thread(s)"
    return H.run_steps("adam_mlp", LIBS, title, base="torch", base_words="PyTorch",
                       rounds=rounds, threads=threads)


if __name__ == "__main__":
    run()
