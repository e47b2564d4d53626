"""Fused kernels: ops with a forward of their own for numerical stability or speed.

Each could be composed from primitives, but the composition would overflow
(softmax, log-softmax, cross-entropy, binary cross-entropy with logits) or cost
several passes over memory (a dense layer). Every exponential goes through the one
max-shift policy of :func:`chainrule.ops.arrays.max_shift`.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .arrays import max_shift, value


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted, _ = max_shift(x, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class LogSoftmax(Function):
    """x - logsumexp(x) along one axis; finite for logits of any magnitude."""

    op_name = "log_softmax"

    @staticmethod
    def forward(ctx, x, axis):
        out = _log_softmax(x, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        xp = ctx.xp
        return g - xp.exp(out) * xp.sum(g, axis=ctx.axis, keepdims=True)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        e = np.exp(max_shift(x, axis)[0])
        out = e / np.sum(e, axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - ctx.xp.sum(g * out, axis=ctx.axis, keepdims=True))


# ---------------------------------------------------------------------------
# Linear: one fused op for x @ W.T + b
# ---------------------------------------------------------------------------


class Linear(Function):
    """``x @ w.T + b`` for ``x`` of shape (..., in), ``w`` (out, in), ``b`` (out,) or None.

    One op instead of three (transpose, matmul, add), so a dense layer costs one
    BLAS call forward and two backward: dx = g @ w, dw = g.T @ x, db = sum of g.
    """

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.save_for_backward(x, w)
        if x.ndim == 2 and x.shape[0] <= 64 and w.shape[0] >= 64:
            # Few rows, many outputs: OpenBLAS computes (w @ x.T) 1.2-2x faster than
            # x @ w.T; the copy back to row-major is small (bench/mlp.py, batch 32).
            out = np.ascontiguousarray(np.matmul(w, x.T).T)
        else:
            out = np.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xp = ctx.xp
        need_x, need_w, need_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        gx = xp.matmul(g, w) if need_x else None
        gw = gb = None
        if need_w or need_b:
            g2 = xp.reshape(g, (-1, g.shape[-1])) if g.ndim != 2 else g
            if need_w:
                x2 = xp.reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
                gw = xp.matmul(xp.transpose(g2), x2)
            if need_b:
                gb = xp.sum(g2, axis=0)
        return gx, gw, gb

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays, calling NumPy's matmul and add.reduce directly: the
        same three products, without the namespace and wrapper calls (a dense layer's
        backward runs once per layer and step: bench/mlp.py at batch 32)."""
        x, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gx = np.matmul(g, w) if needs[0] else None
        gw = gb = None
        need_w = len(needs) > 1 and needs[1]
        need_b = len(needs) > 2 and needs[2]
        if need_w or need_b:
            g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
            if need_w:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                gw = np.matmul(g2.T, x2)
            if need_b:
                gb = np.add.reduce(g2, axis=0)
        return gx, gw, gb


# ---------------------------------------------------------------------------
# Softmax cross-entropy with class indices: one fused op
# ---------------------------------------------------------------------------


class CrossEntropy(Function):
    """Cross-entropy of logits (M, C) against class indices (M,), reduced.

    The loss of row i is ``-sum_c q_ic log softmax(x)_ic`` with the target
    distribution ``q_ic = valid_i ((1 - ls) w_{t_i} [c = t_i] + ls w_c / C)``,
    where ``valid_i`` is ``t_i != ignore_index``, ``w`` the class weights (ones by
    default) and ``ls`` the label smoothing: exactly PyTorch's formula. ``'mean'``
    divides by ``sum_i valid_i w_{t_i}``. The VJP is ``(s_i softmax(x) - q) * g_i``
    with ``s_i = sum_c q_ic``: for plain targets ``(softmax - onehot) * g / M``.
    """

    op_name = "cross_entropy"

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                reduction="mean"):
        m, c = x.shape
        rows = np.arange(m)
        valid = target != ignore_index
        all_valid = bool(valid.all())
        safe = target if all_valid else np.where(valid, target, 0)
        shifted, _ = max_shift(x, 1)
        probs = np.exp(shifted)
        sums = np.sum(probs, axis=1, keepdims=True)
        log_sums = np.log(sums)[:, 0]
        probs /= sums
        picked = shifted[rows, safe]
        ctx.save_for_backward(x)
        ctx.probs, ctx.safe, ctx.weight, ctx.label_smoothing = probs, safe, weight, label_smoothing
        ctx.denom = None
        if weight is None and not label_smoothing and all_valid:
            # the common case: -log softmax at the target, no masks or weights
            ctx.valid = ctx.pick = None
            nll = log_sums - picked
            if reduction == "none":
                return nll
            out = np.sum(nll)
            if reduction == "mean":
                ctx.denom = float(m)
                out = out * (1.0 / m) if m else out * np.nan
            return np.asarray(out, dtype=x.dtype)
        # pick[i] = weight of the target class in the loss of row i (0 where ignored)
        pick = np.full(m, 1.0 - label_smoothing, dtype=x.dtype)
        if weight is not None:
            pick *= weight[safe]
        if not all_valid:
            pick *= valid
        loss = pick * (log_sums - picked)
        if label_smoothing:
            w_all = np.ones(c, dtype=x.dtype) if weight is None else weight
            smooth = log_sums * np.sum(w_all) - shifted @ w_all
            loss += (label_smoothing / c) * smooth * (valid if not all_valid else 1)
        ctx.valid, ctx.pick = (None if all_valid else valid), pick
        if reduction == "none":
            return loss
        out = np.sum(loss)
        if reduction == "mean":
            if weight is None:
                denom = float(np.count_nonzero(valid))
            else:
                denom = float(np.sum(weight[safe] * valid))
            ctx.denom = denom
            out = out / denom if denom else out * np.nan
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def _row_scale(ctx, g, xp, m):
        """dL/d(loss of row i): a column for ``reduction='none'``, else one number."""
        if g.ndim:
            return xp.reshape(g, (m, 1))
        if ctx.denom is None:
            return g
        # every target ignored: the loss is 0/0 = NaN but the gradient 0 (PyTorch)
        return g * (1.0 / ctx.denom if ctx.denom else 0.0)

    @staticmethod
    def _target(ctx, m, c, dtype):
        """The target distribution ``q`` (a constant array) and its row sums ``s``."""
        pick = np.ones(m, dtype=dtype) if ctx.pick is None else ctx.pick
        q = np.zeros((m, c), dtype=dtype)
        q[np.arange(m), ctx.safe] = pick
        s = pick
        ls = ctx.label_smoothing
        if ls:
            w_all = 1.0 if ctx.weight is None else ctx.weight[None, :]
            keep = 1.0 if ctx.valid is None else ctx.valid[:, None]
            q += (ls / c) * w_all * keep
            w_sum = c if ctx.weight is None else float(np.sum(ctx.weight))
            s = s + (ls / c) * w_sum * (1 if ctx.valid is None else ctx.valid)
        return q, s[:, None].astype(dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        m, c = x.shape
        q, s = CrossEntropy._target(ctx, m, c, x.dtype)
        e = xp.exp(x - max_shift(value(x), 1)[1])  # the shift is a constant
        probs = e / xp.sum(e, axis=1, keepdims=True)
        return (probs * s - q) * CrossEntropy._row_scale(ctx, g, xp, m), None, None

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays, reusing the softmax that forward kept."""
        probs = ctx.probs
        m, c = probs.shape
        if ctx.pick is None and not ctx.label_smoothing:  # plain targets: softmax - one-hot
            grad = probs.copy()
            grad[np.arange(m), ctx.safe] -= 1
        else:
            q, s = CrossEntropy._target(ctx, m, c, probs.dtype)
            grad = probs * s - q
        grad *= CrossEntropy._row_scale(ctx, g, np, m)
        return grad, None, None


# ---------------------------------------------------------------------------
# Binary cross-entropy with logits: one fused elementwise op (unreduced)
# ---------------------------------------------------------------------------


def _softplus(xp, x):
    """log(1 + exp(x)), finite for any x."""
    return xp.maximum(x, 0) + xp.log(1 + xp.exp(-xp.abs(x)))


class BCEWithLogits(Function):
    """``(1 - y) x + (1 + (pw - 1) y) softplus(-x)`` elementwise; stable for any |x|.

    ``pw`` is ``pos_weight`` (1 when None). Differentiable in x, y and pos_weight.
    """

    op_name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, x, y, pos_weight=None):
        if pos_weight is None:
            ctx.save_for_backward(x, y)
        else:
            ctx.save_for_backward(x, y, pos_weight)
        sp = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        if pos_weight is None:
            return (1 - y) * x + sp
        return (1 - y) * x + (1 + (pos_weight - 1) * y) * sp

    @staticmethod
    def backward(ctx, g):
        saved = ctx.saved_tensors
        x, y = saved[:2]
        pw = saved[2] if len(saved) == 3 else None
        xp = ctx.xp
        need = tuple(ctx.needs_input_grad) + (False, False)
        lw = 1 if pw is None else 1 + (pw - 1) * y
        gx = g * ((1 - y) - lw * xp.sigmoid(-x)) if need[0] else None
        gy = gpw = None
        if need[1] or need[2]:
            sp = _softplus(xp, -x)
            if need[1]:
                gy = g * (-x) if pw is None else g * ((pw - 1) * sp - x)
            if need[2]:
                gpw = g * y * sp
        return gx, gy, gpw


# ---------------------------------------------------------------------------
# The standard normal CDF (for exact GELU) and the embedding lookup
# ---------------------------------------------------------------------------

_SQRT_2PI = float(np.sqrt(2 * np.pi))
_SQRT_HALF = float(np.sqrt(0.5))


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise: SciPy's when it is installed, else math.erf."""
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - SciPy is optional
        import math

        return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)
    return erf(x).astype(x.dtype, copy=False)


class NormalCdf(Function):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2; its derivative is the normal density."""

    op_name = "normal_cdf"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (1 + _erf(x * _SQRT_HALF))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.exp(x * x * -0.5) * (1 / _SQRT_2PI)


class Embedding(Function):
    """Rows of ``weight`` at integer ``indices``; the ``padding_idx`` row gets no gradient."""

    op_name = "embedding"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None):
        ctx.indices, ctx.shape = indices, weight.shape
        ctx.keep = None if padding_idx is None else (indices != padding_idx)[..., None]
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        if ctx.keep is not None:
            g = g * ctx.keep
        return ctx.xp.scatter_add(g, ctx.shape, ctx.indices), None


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON is a C float, also in float64


class BinaryCrossEntropy(Function):
    """``-(y log p + (1 - y) log(1 - p))`` elementwise, each log clamped at -100 as in
    PyTorch; the gradient in p is ``(p - y) / max(p (1 - p), 1e-12)``."""

    op_name = "binary_cross_entropy"

    @staticmethod
    def forward(ctx, p, y):
        ctx.save_for_backward(p, y)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_q = np.maximum(np.log1p(-p), -100)
        return -(y * log_p + (1 - y) * log_q)

    @staticmethod
    def backward(ctx, g):
        p, y = ctx.saved_tensors
        xp = ctx.xp
        need_p, need_y = ctx.needs_input_grad
        gp = g * (p - y) / xp.maximum(p * (1 - p), _BCE_EPS) if need_p else None
        gy = None
        if need_y:
            with np.errstate(divide="ignore"):
                gy = g * (xp.maximum(xp.log(1 - p), -100) - xp.maximum(xp.log(p), -100))
        return gp, gy
