"""One training step of an MLP: 784-512-512-10, ReLU, softmax cross-entropy, SGD, float32.

A step is zero_grad, forward, loss, backward and the SGD update, on one fixed batch
(batch 256 and batch 32). Every library starts from the same weights (drawn with
NumPy, seed 0) and the first loss of each is printed, so the three compute the same
thing:

* chainrule: ``nn.Sequential(nn.Linear, nn.ReLU, ...)``, ``F.cross_entropy``,
  ``optim.SGD``, the code a user would write.
* numpy: the same network written by hand (matmuls, a max-shifted softmax, the
  backward by hand, in-place updates): the floor a Python library on NumPy can reach.
* torch: the same as chainrule, with ``torch.nn``.

Each runs in its own process, with 1 thread and with 2 threads.
Run: ``python -m bench.mlp``.
"""

from __future__ import annotations

from bench import _harness as H

SIZES = (784, 512, 512, 10)
LR = 0.01
LIBS = ["chainrule", "numpy", "torch"]


def weights(seed: int = 0) -> list:
    """PyTorch-layout (out, in) weights and biases, float32, PyTorch's default init range."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1.0 / np.sqrt(n_in)
        out.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        out.append(rng.uniform(-bound, bound, (n_out,)).astype(np.float32))
    return out


def batch(n: int, seed: int = 1) -> tuple:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], n).astype(np.int64)
    return x, y


def make_step(lib: str, batch_size: int):
    """A function running one training step and returning the loss (a float)."""
    params = weights()
    x, y = batch(batch_size)
    return H.step_for(lib, _numpy_step, _model, params, x, y, LR)


def _model(nn):
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def _numpy_step(params: list, x, y):
    import numpy as np

    w1, b1, w2, b2, w3, b3 = params
    # keep (in, out) copies so the forward matmuls read contiguous memory
    w1, w2, w3 = (np.ascontiguousarray(w.T) for w in (w1, w2, w3))
    n = x.shape[0]
    rows = np.arange(n)
    lr = np.float32(LR)

    def step():
        h1 = x @ w1
        h1 += b1
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ w2
        h2 += b2
        np.maximum(h2, 0, out=h2)
        z = h2 @ w3
        z += b3
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s[:, 0]).mean() - z[rows, y].mean())
        dz = e
        dz /= s
        dz[rows, y] -= 1
        dz *= np.float32(1.0 / n)
        dw3 = h2.T @ dz
        db3 = dz.sum(axis=0)
        dh2 = dz @ w3.T
        dh2 *= h2 > 0
        dw2 = h1.T @ dh2
        db2 = dh2.sum(axis=0)
        dh1 = dh2 @ w2.T
        dh1 *= h1 > 0
        dw1 = x.T @ dh1
        db1 = dh1.sum(axis=0)
        for p, g in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2), (w3, dw3), (b3, db3)):
            g *= lr
            p -= g
        return loss
    return step


def measure(lib: str, batch_size: int = 256, samples: int = 40) -> dict:
    return H.measure_step(make_step(lib, batch_size), samples, warmup=5)


def run(rounds: int = 2, batches: tuple = (256, 32), threads: tuple = (1, 2)) -> list:
    out = []
    for b in batches:
        for t in threads:
            samples = 40 if b == 256 else 150
            results = H.compare("bench.mlp", "measure", LIBS, threads=t,
                                params={"batch_size": b, "samples": samples}, rounds=rounds)
            rows = H.table(results, base="numpy")
            losses = ", ".join(f"{k} {r['first_loss']:.5f}/{r['second_loss']:.5f}"
                               for k, r in results.items() if "first_loss" in r)
            title = f"MLP 784-512-512-10 training step, batch {b}, {t} thread(s)"
            H.print_rows(f"{title} (ratio: to hand-NumPy; losses of steps 1/2: {losses})",
                         ["library", "median", "min - max", "vs numpy", "CPU vs numpy"], rows)
            out.append({"bench": f"mlp{b}", "threads": t, "results": results, "rows": rows,
                        "title": title, "base": "numpy"})
    return out


if __name__ == "__main__":
    run()
