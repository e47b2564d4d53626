"""One training step of a LeNet-like CNN, batch 64 x 1 x 28 x 28, float32.

conv 1->8 3x3, ReLU, maxpool 2, conv 8->16 3x3, ReLU, maxpool 2, flatten, linear 400->10,
softmax cross-entropy, SGD. Same weights (NumPy, seed 0) for every library; the first
loss of each is printed.

* chainrule: ``nn.Conv2d``, ``nn.ReLU``, ``nn.MaxPool2d``, ``nn.Flatten``, ``nn.Linear``,
  ``F.cross_entropy``, ``optim.SGD``.
* numpy: by hand, im2col on ``sliding_window_view`` (one copy, one matmul per conv),
  max-pool over the 4 strided slices of each 2x2 window, col2im by 9 shifted adds.
* torch: ``torch.nn``, the same layers.

Run: ``python -m bench.cnn``.
"""

from __future__ import annotations

from bench import _harness as H

BATCH = 64
LR = 0.01
LIBS = ["chainrule", "numpy", "torch"]


def weights(seed: int = 0) -> list:
    import numpy as np

    rng = np.random.default_rng(seed)
    shapes = [((8, 1, 3, 3), 9), ((8,), 9), ((16, 8, 3, 3), 72), ((16,), 72), ((10, 400), 400),
              ((10,), 400)]
    return [rng.uniform(-1, 1, s).astype(np.float32) / np.float32(np.sqrt(fan_in))
            for s, fan_in in shapes]


def batch(seed: int = 1) -> tuple:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH).astype(np.int64)
    return x, y


def make_step(lib: str):
    params = weights()
    x, y = batch()
    return H.step_for(lib, _numpy_step, _model, params, x, y, LR)


def _model(nn):
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 10))


def _numpy_step(params: list, x, y):
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    k1, c1, k2, c2, w3, b3 = params
    k1m = k1.reshape(8, -1)
    k2m = k2.reshape(16, -1)
    n = x.shape[0]
    rows = np.arange(n)
    lr = np.float32(LR)

    def conv(a, km):
        # a (N, C, H, W) -> (N, F, H-2, W-2); returns the im2col rows for backward
        nb, c, h, w = a.shape
        win = sliding_window_view(a, (3, 3), axis=(2, 3))          # (N, C, Ho, Wo, 3, 3)
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(nb * (h - 2) * (w - 2), c * 9)
        out = cols @ km.T                                          # (N*Ho*Wo, F)
        return out, cols

    def pool(a):
        # a (N, C, H, W) -> 2x2 max, floor; returns which of the 4 slices won, for backward
        h, w = a.shape[2] // 2 * 2, a.shape[3] // 2 * 2
        s = [a[:, :, i:h:2, j:w:2] for i in (0, 1) for j in (0, 1)]
        m = np.maximum(np.maximum(s[0], s[1]), np.maximum(s[2], s[3]))
        return m, s

    def unpool(g, a, m, s):
        da = np.zeros_like(a)
        h, w = a.shape[2] // 2 * 2, a.shape[3] // 2 * 2
        taken = np.zeros(m.shape, bool)
        for idx, (i, j) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
            hit = (s[idx] == m) & ~taken  # the first maximum gets the gradient
            taken |= hit
            da[:, :, i:h:2, j:w:2] = g * hit
        return da

    def step():
        # forward
        o1, cols1 = conv(x, k1m)                                   # (N*26*26, 8)
        o1 += c1
        np.maximum(o1, 0, out=o1)
        a1 = o1.reshape(n, 26, 26, 8).transpose(0, 3, 1, 2)       # view, NCHW
        p1, s1 = pool(a1)                                          # (N, 8, 13, 13)
        o2, cols2 = conv(p1, k2m)                                  # (N*11*11, 16)
        o2 += c2
        np.maximum(o2, 0, out=o2)
        a2 = o2.reshape(n, 11, 11, 16).transpose(0, 3, 1, 2)
        p2, s2 = pool(a2)                                          # (N, 16, 5, 5)
        f = p2.reshape(n, 400)
        z = f @ w3.T + b3
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        ssum = e.sum(axis=1, keepdims=True)
        loss = float(np.log(ssum[:, 0]).mean() - z[rows, y].mean())
        # backward
        dz = e / ssum
        dz[rows, y] -= 1
        dz *= np.float32(1.0 / n)
        dw3 = dz.T @ f
        db3 = dz.sum(axis=0)
        dp2 = (dz @ w3).reshape(p2.shape)
        da2 = unpool(dp2, a2, p2, s2)                              # (N, 16, 11, 11)
        da2 *= a2 > 0
        do2 = da2.transpose(0, 2, 3, 1).reshape(-1, 16)            # rows like o2
        dk2 = do2.T @ cols2
        dc2 = do2.sum(axis=0)
        dcols2 = (do2 @ k2m).reshape(n, 11, 11, 8, 3, 3)
        dp1 = np.zeros((n, 8, 13, 13), np.float32)
        for i in range(3):                                         # col2im: 9 shifted adds
            for j in range(3):
                dp1[:, :, i:i + 11, j:j + 11] += dcols2[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        da1 = unpool(dp1, a1, p1, s1)                              # (N, 8, 26, 26)
        da1 *= a1 > 0
        do1 = da1.transpose(0, 2, 3, 1).reshape(-1, 8)
        dk1 = do1.T @ cols1
        dc1 = do1.sum(axis=0)
        for p, g in ((k1m, dk1), (c1, dc1), (k2m, dk2), (c2, dc2), (w3, dw3), (b3, db3)):
            g *= lr
            p -= g
        return loss
    return step


def measure(lib: str, samples: int = 30) -> dict:
    return H.measure_step(make_step(lib), samples)


def run(rounds: int = 2, threads: tuple = (1, 2)) -> list:
    def title(t: int) -> str:
        return f"LeNet-like CNN training step, batch {BATCH}, {t} thread(s)"

    return H.run_steps("cnn", LIBS, title, base="numpy", base_words="hand-NumPy im2col",
                       rounds=rounds, threads=threads)


if __name__ == "__main__":
    run()
