"""One training step of an LSTM sequence classifier: 1 layer, hidden 128, sequence 32,
batch 32, float32.

Input (32 steps, batch 32, 64 features) -> ``nn.LSTM(64, 128)`` -> the last hidden
state -> ``nn.Linear(128, 10)`` -> softmax cross-entropy -> SGD. Same weights (NumPy,
seed 0) for every library; the losses of steps 1 and 2 are printed (the second checks
the gradients too).

* chainrule: ``nn.LSTM`` (one fused op per layer: the time loop and its backward in
  NumPy), ``nn.Linear``, ``F.cross_entropy``, ``optim.SGD``.
* numpy: by hand, the input projection of all steps in one matmul, the loop over steps,
  backpropagation through time, one matmul per weight gradient.
* torch: ``torch.nn.LSTM`` and the same layers (oneDNN or its native CPU kernel).

Run: ``python -m bench.lstm``.
"""

from __future__ import annotations

from bench import _harness as H

STEPS, BATCH, INPUT, HIDDEN, CLASSES = 32, 32, 64, 128, 10
LR = 0.01
LIBS = ["chainrule", "numpy", "torch"]


def weights(seed: int = 0) -> list:
    """In ``parameters()`` order: weight_ih, weight_hh, bias_ih, bias_hh, fc weight, bias."""
    import numpy as np

    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(HIDDEN)
    shapes = [((4 * HIDDEN, INPUT), k), ((4 * HIDDEN, HIDDEN), k), ((4 * HIDDEN,), k),
              ((4 * HIDDEN,), k), ((CLASSES, HIDDEN), k), ((CLASSES,), k)]
    return [rng.uniform(-b, b, s).astype(np.float32) for s, b in shapes]


def batch(seed: int = 1) -> tuple:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH).astype(np.int64)
    return x, y


def _model(nn):
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(INPUT, HIDDEN)
            self.fc = nn.Linear(HIDDEN, CLASSES)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.fc(h[-1])
    return Classifier()


def make_step(lib: str):
    params = weights()
    x, y = batch()
    return H.step_for(lib, _numpy_step, _model, params, x, y, LR)


def _numpy_step(params: list, x, y):
    import numpy as np

    w_ih, w_hh, b_ih, b_hh, w_fc, b_fc = params
    T, N, H = STEPS, BATCH, HIDDEN
    rows = np.arange(N)
    lr = np.float32(LR)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def step():
        # forward: all input projections at once, then the loop
        gates = (x.reshape(T * N, -1) @ w_ih.T).reshape(T, N, 4 * H)
        gates += b_ih + b_hh
        hs = np.zeros((T + 1, N, H), np.float32)
        cs = np.zeros((T + 1, N, H), np.float32)
        tcs = np.empty((T, N, H), np.float32)
        for t in range(T):
            a = gates[t]
            a += hs[t] @ w_hh.T
            a[:, :2 * H] = sigmoid(a[:, :2 * H])
            a[:, 3 * H:] = sigmoid(a[:, 3 * H:])
            np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
            cs[t + 1] = a[:, H:2 * H] * cs[t] + a[:, :H] * a[:, 2 * H:3 * H]
            tcs[t] = np.tanh(cs[t + 1])
            hs[t + 1] = a[:, 3 * H:] * tcs[t]
        z = hs[T] @ w_fc.T + b_fc
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s[:, 0]).mean() - z[rows, y].mean())
        # backward
        dz = e / s
        dz[rows, y] -= 1
        dz *= np.float32(1.0 / N)
        dw_fc = dz.T @ hs[T]
        db_fc = dz.sum(axis=0)
        dh = dz @ w_fc
        dc = np.zeros((N, H), np.float32)
        dgates = np.empty_like(gates)
        for t in range(T - 1, -1, -1):
            a = gates[t]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            tc = tcs[t]
            dc += dh * o * (1 - tc * tc)
            d = dgates[t]
            d[:, :H] = dc * g * i * (1 - i)
            d[:, H:2 * H] = dc * cs[t] * f * (1 - f)
            d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
            d[:, 3 * H:] = dh * tc * o * (1 - o)
            dc *= f
            dh = d @ w_hh
        flat = dgates.reshape(T * N, -1)
        dw_ih = flat.T @ x.reshape(T * N, -1)
        dw_hh = flat.T @ hs[:T].reshape(T * N, H)
        db = flat.sum(axis=0)
        for p, g in ((w_ih, dw_ih), (w_hh, dw_hh), (b_ih, db), (b_hh, db.copy()),
                     (w_fc, dw_fc), (b_fc, db_fc)):
            g *= lr
            p -= g
        return loss
    return step


def measure(lib: str, samples: int = 20) -> dict:
    return H.measure_step(make_step(lib), samples)


def run(rounds: int = 2, threads: tuple = (1,)) -> list:
    def title(t: int) -> str:
        return (f"LSTM training step (1 layer, hidden {HIDDEN}, seq {STEPS}, batch {BATCH}), "
                f"{t} thread(s)")

    return H.run_steps("lstm", LIBS, title, base="torch", base_words="PyTorch",
                       rounds=rounds, threads=threads)


if __name__ == "__main__":
    run()
