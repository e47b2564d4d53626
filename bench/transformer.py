"""One training step of a causal transformer block: d_model 128, 4 heads, sequence 64,
batch 16, float32.

``nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0, activation="gelu",
batch_first=True, norm_first=True)`` under the causal mask (``is_causal=True``), then
``nn.Linear(128, 16)`` on every position, softmax cross-entropy against a token per
position, SGD. Same weights (NumPy, seed 0) for every library; the losses of steps 1
and 2 are printed (the second checks the gradients too).

* chainrule: ``nn.TransformerEncoderLayer`` (attention composed from matmul, a stable
  softmax and masks), ``nn.Linear``, ``F.cross_entropy``, ``optim.SGD``.
* numpy: by hand, the same block: fused QKV projection, batched matmuls over (batch,
  head), the masked softmax, LayerNorm and GELU (erf) with their backward.
* torch: ``torch.nn`` with the same modules (its CPU attention kernel).

Run: ``python -m bench.transformer``.
"""

from __future__ import annotations

from bench import _harness as H

D, HEADS, SEQ, BATCH, FF, VOCAB = 128, 4, 64, 16, 512, 16
LR = 0.01
LIBS = ["chainrule", "numpy", "torch"]
# parameters() order of the model below, with each one's shape
SHAPES = [("self_attn.in_proj_weight", (3 * D, D)), ("self_attn.in_proj_bias", (3 * D,)),
          ("self_attn.out_proj.weight", (D, D)), ("self_attn.out_proj.bias", (D,)),
          ("linear1.weight", (FF, D)), ("linear1.bias", (FF,)), ("linear2.weight", (D, FF)),
          ("linear2.bias", (D,)), ("norm1.weight", (D,)), ("norm1.bias", (D,)),
          ("norm2.weight", (D,)), ("norm2.bias", (D,)), ("head.weight", (VOCAB, D)),
          ("head.bias", (VOCAB,))]


def weights(seed: int = 0) -> list:
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for name, shape in SHAPES:
        if name.startswith("norm") and name.endswith("weight"):
            w = 1 + 0.1 * rng.standard_normal(shape)
        else:
            fan_in = shape[1] if len(shape) == 2 else D
            w = rng.uniform(-1, 1, shape) / np.sqrt(fan_in)
        out.append(w.astype(np.float32))
    return out


def batch(seed: int = 1) -> tuple:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SEQ, D)).astype(np.float32)
    y = rng.integers(0, VOCAB, BATCH * SEQ).astype(np.int64)
    return x, y


def _model(nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0,
                                                    activation="gelu", batch_first=True,
                                                    norm_first=True)
            self.head = nn.Linear(D, VOCAB)
            self.mask = nn.Transformer.generate_square_subsequent_mask(SEQ)

        def forward(self, x):
            h = self.block(x, src_mask=self.mask, is_causal=True)
            return self.head(h).reshape(-1, VOCAB)
    return Block()


def make_step(lib: str):
    params = weights()
    x, y = batch()
    if lib == "numpy":
        return _numpy_step(params, x, y)
    if lib in ("torch", "chainrule"):
        if lib == "torch":
            import torch

            torch.backends.mha.set_fastpath_enabled(False)  # training: never taken anyway
        return H.training_step(lib, _model, params, x, y, LR)
    raise ValueError(f"unknown library {lib!r}")


def _numpy_step(params: list, x, y):
    import math

    import numpy as np

    from chainrule.ops.specfun import erf

    (w_qkv, b_qkv, w_o, b_o, w_1, b_1, w_2, b_2, g_1, c_1, g_2, c_2, w_h, b_h) = params
    n, L, d, nh = BATCH, SEQ, D, HEADS
    hd = d // nh
    rows = np.arange(n * L)
    lr = np.float32(LR)
    causal = np.triu(np.ones((L, L), bool), 1)
    scale = np.float32(1 / math.sqrt(hd))
    eps = 1e-5
    inv_sqrt2 = np.float32(1 / math.sqrt(2))
    inv_sqrt2pi = np.float32(1 / math.sqrt(2 * math.pi))

    def layer_norm(a, g, c):
        mu = a.mean(-1, keepdims=True)
        xc = a - mu
        rstd = 1 / np.sqrt((xc * xc).mean(-1, keepdims=True) + eps)
        xhat = xc * rstd
        return xhat * g + c, (xhat, rstd)

    def layer_norm_back(dy, g, saved):
        xhat, rstd = saved
        dg = (dy * xhat).reshape(-1, d).sum(0)
        dc = dy.reshape(-1, d).sum(0)
        dxhat = dy * g
        dx = rstd * (dxhat - dxhat.mean(-1, keepdims=True)
                     - xhat * (dxhat * xhat).mean(-1, keepdims=True))
        return dx, dg, dc

    def heads(t):  # (n, L, d) -> (n, nh, L, hd)
        return t.reshape(n, L, nh, hd).transpose(0, 2, 1, 3)

    def step():
        # forward
        a1, ln1 = layer_norm(x, g_1, c_1)
        qkv = a1 @ w_qkv.T + b_qkv                                   # (n, L, 3d)
        q, k, v = heads(qkv[..., :d]), heads(qkv[..., d:2 * d]), heads(qkv[..., 2 * d:])
        s = (q * scale) @ k.transpose(0, 1, 3, 2)                    # (n, nh, L, L)
        s[..., causal] = -np.inf
        s -= s.max(-1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(-1, keepdims=True)
        ctx = (p @ v).transpose(0, 2, 1, 3).reshape(n, L, d)
        h1 = x + ctx @ w_o.T + b_o
        a2, ln2 = layer_norm(h1, g_2, c_2)
        z = a2 @ w_1.T + b_1
        cdf = 0.5 * (1 + erf(z * inv_sqrt2))
        f = z * cdf
        h2 = h1 + f @ w_2.T + b_2
        logits = (h2 @ w_h.T + b_h).reshape(-1, VOCAB)
        logits -= logits.max(1, keepdims=True)
        e = np.exp(logits)
        ssum = e.sum(1, keepdims=True)
        loss = float(np.log(ssum[:, 0]).mean() - logits[rows, y].mean())
        # backward
        dl = e / ssum
        dl[rows, y] -= 1
        dl *= np.float32(1 / (n * L))
        h2f = h2.reshape(-1, d)
        dw_h, db_h = dl.T @ h2f, dl.sum(0)
        dh2 = (dl @ w_h).reshape(n, L, d)
        ff = f.reshape(-1, FF)
        dh2f = dh2.reshape(-1, d)
        dw_2, db_2 = dh2f.T @ ff, dh2f.sum(0)
        df = dh2 @ w_2
        dz = df * (cdf + z * np.exp(-0.5 * z * z) * inv_sqrt2pi)
        dzf = dz.reshape(-1, FF)
        dw_1, db_1 = dzf.T @ a2.reshape(-1, d), dzf.sum(0)
        da2 = dz @ w_1
        dh1_ln, dg_2, dc_2 = layer_norm_back(da2, g_2, ln2)
        dh1 = dh2 + dh1_ln
        dh1f = dh1.reshape(-1, d)
        dw_o, db_o = dh1f.T @ ctx.reshape(-1, d), dh1f.sum(0)
        dctx = heads(dh1 @ w_o)                                      # (n, nh, L, hd)
        dp = dctx @ v.transpose(0, 1, 3, 2)
        dv = p.transpose(0, 1, 3, 2) @ dctx
        ds = p * (dp - (dp * p).sum(-1, keepdims=True))
        dq = (ds @ k) * scale
        dk = ds.transpose(0, 1, 3, 2) @ (q * scale)
        dqkv = np.concatenate([t.transpose(0, 2, 1, 3).reshape(n, L, d) for t in (dq, dk, dv)],
                              -1).reshape(-1, 3 * d)
        dw_qkv, db_qkv = dqkv.T @ a1.reshape(-1, d), dqkv.sum(0)
        da1 = (dqkv @ w_qkv).reshape(n, L, d)
        _, dg_1, dc_1 = layer_norm_back(da1, g_1, ln1)   # dx not needed: x is data
        grads = (dw_qkv, db_qkv, dw_o, db_o, dw_1, db_1, dw_2, db_2, dg_1, dc_1, dg_2, dc_2,
                 dw_h, db_h)
        for w, g in zip(params, grads, strict=True):
            g *= lr
            w -= g
        return loss
    return step


def measure(lib: str, samples: int = 20) -> dict:
    return H.measure_step(make_step(lib), samples)


def run(rounds: int = 2, threads: tuple = (1,)) -> list:
    def title(t: int) -> str:
        return (f"Transformer block training step (d {D}, {HEADS} heads, seq {SEQ}, batch "
                f"{BATCH}, causal), {t} thread(s)")

    return H.run_steps("transformer", LIBS, title, base="torch", base_words="PyTorch",
                       rounds=rounds, threads=threads)


if __name__ == "__main__":
    run()
