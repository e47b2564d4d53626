"""Fused kernels: ops with a forward of their own for numerical stability or speed.

Each could be composed from primitives, but the composition would overflow
(softmax, log-softmax, cross-entropy, binary cross-entropy with logits) or cost
several passes over memory (a dense layer). Every exponential goes through the one
max-shift policy of :func:`chainrule.ops.arrays.max_shift`.
"""

from __future__ import annotations

import math

import numpy as np

from ..function import Function
from .arrays import NUMPY, max_shift, value


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


class AttentionSoftmax(Function):
    """Attention weights: softmax over the last axis of ``scale * s``, where only the
    positions with ``keep`` True (a boolean array broadcast to ``s``; None: all) take
    part. A row with no position to attend to gives zeros and no gradient (PyTorch's
    safe softmax).

    One op instead of five (scale, mask, the dead-row checks, softmax): forward makes
    one new array and ``fast_backward`` one, where the composition made about a dozen.
    """

    op_name = "attention_softmax"

    @staticmethod
    def forward(ctx, s, keep=None, scale=1.0):
        scale = float(scale)  # a Python number: the scores keep their dtype
        out = np.multiply(s, scale)
        if keep is not None:
            np.copyto(out, -np.inf, where=~keep)
        m = np.max(out, axis=-1, keepdims=True)
        if not np.isfinite(m).all():  # the max_shift policy: no shift where m is not finite
            m[~np.isfinite(m)] = 0
        out -= m
        np.exp(out, out=out)
        total = np.sum(out, axis=-1, keepdims=True)
        total[total == 0] = 1  # a row that is all -inf: exp gives zeros, and stays zeros
        out /= total
        ctx.save_for_backward(out)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - ctx.xp.sum(g * out, axis=-1, keepdims=True)) * ctx.scale

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays, in one new array."""
        (out,) = ctx.saved_tensors
        d = np.multiply(g, out)
        total = np.sum(d, axis=-1, keepdims=True)
        np.subtract(g, total, out=d)
        d *= out
        d *= ctx.scale
        return d


# ---------------------------------------------------------------------------
# Linear: one fused op for x @ W.T + b
# ---------------------------------------------------------------------------


def _rows(x) -> int:
    """The number of rows of ``x`` seen as a (rows, last dim) matrix."""
    return math.prod(x.shape[:-1])


class Linear(Function):
    """``x @ w.T + b`` for ``x`` of shape (..., in), ``w`` (out, in), ``b`` (out,) or None.

    One op instead of three (transpose, matmul, add), so a dense layer costs one
    BLAS call forward and two backward: dx = g @ w, dw = g.T @ x, db = sum of g.
    """

    @staticmethod
    def forward(ctx, x, w, b=None):
        # As PyTorch: x only for w's gradient, w only for x's (None holds the other slot),
        # so a weight updated in place before backward is refused only if it is needed
        needs = ctx.needs_input_grad
        ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None)
        # (..., in) as one (rows, in) matrix: one GEMM instead of NumPy's loop of one
        # GEMM per leading index (1.3x faster for (16, 64, 128) inputs)
        x2 = x.reshape(_rows(x), x.shape[-1]) if x.ndim > 2 else x
        if x2.ndim == 2 and x2.shape[0] <= 64 and w.shape[0] >= 64:
            # Few rows, many outputs: OpenBLAS computes (w @ x.T) 1.2-2x faster than
            # x @ w.T; the copy back to row-major is small (bench/mlp.py, batch 32).
            out = np.ascontiguousarray(np.matmul(w, x2.T).T)
        else:
            out = np.matmul(x2, w.T)
        if b is not None:
            out += b
        return out.reshape(x.shape[:-1] + (w.shape[0],)) if x.ndim > 2 else out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xp = ctx.xp
        need_x, need_w, need_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        g2 = xp.reshape(g, (_rows(g), g.shape[-1])) if g.ndim != 2 else g
        gx = None
        if need_x:  # one GEMM over all rows, as in forward
            gx = xp.matmul(g2, w)
            if g.ndim != 2:  # x's shape, from g and w (x is not kept when w needs no grad)
                gx = xp.reshape(gx, tuple(g.shape[:-1]) + (w.shape[-1],))
        gw = gb = None
        if need_w or need_b:
            if need_w:
                x2 = xp.reshape(x, (_rows(x), x.shape[-1])) if x.ndim != 2 else x
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
        # (..., out) as one (rows, out) matrix: one GEMM per product, as in forward
        g2 = g if g.ndim == 2 else g.reshape(_rows(g), g.shape[-1])
        gx = None
        if needs[0]:
            gx = np.matmul(g2, w)
            if g.ndim != 2:
                gx = gx.reshape(g.shape[:-1] + (w.shape[-1],))
        gw = gb = None
        need_w = len(needs) > 1 and needs[1]
        need_b = len(needs) > 2 and needs[2]
        if need_w:
            x2 = x if x.ndim == 2 else x.reshape(_rows(x), x.shape[-1])
            gw = np.matmul(g2.T, x2)
        if need_b:
            gb = np.add.reduce(g2, axis=0)
        return gx, gw, gb


# ---------------------------------------------------------------------------
# Layer normalization: one fused op
# ---------------------------------------------------------------------------


class LayerNorm(Function):
    """``(x - mean) / sqrt(var + eps) * w + b`` over the last ``k`` dims (biased variance).

    One op instead of nine: forward keeps the normalised values and ``1 / std`` for
    ``fast_backward``, which needs five passes over the input; ``backward`` recomputes
    them with ``xp`` (differentiable again). ``w`` and ``b`` (the normalised shape) may
    be None.
    """

    op_name = "layer_norm"

    @staticmethod
    def forward(ctx, x, w=None, b=None, k=1, eps=1e-5):
        n = math.prod(x.shape[x.ndim - k:])
        x2 = x.reshape(math.prod(x.shape[:x.ndim - k]), n)
        xhat = x2 - np.mean(x2, axis=1, keepdims=True)
        var = np.mean(np.square(xhat), axis=1, keepdims=True)
        var += eps
        rstd = np.sqrt(var, out=var)
        np.reciprocal(rstd, out=rstd)
        xhat *= rstd
        ctx.save_for_backward(x, w, b)
        ctx.k, ctx.eps, ctx.xhat, ctx.rstd = k, eps, xhat, rstd
        out = xhat * w.reshape(n) if w is not None else xhat.copy()
        if b is not None:
            out += b.reshape(n)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        xp = ctx.xp
        k = ctx.k
        axes = tuple(range(x.ndim - k, x.ndim))
        inv_n = 1.0 / math.prod(x.shape[x.ndim - k:])
        xc = x - xp.sum(x, axis=axes, keepdims=True) * inv_n
        rstd = 1 / xp.sqrt(xp.sum(xc * xc, axis=axes, keepdims=True) * inv_n + ctx.eps)
        xhat = xc * rstd
        dxhat = g * w if w is not None else g
        dx = rstd * (dxhat - xp.sum(dxhat, axis=axes, keepdims=True) * inv_n
                     - xhat * (xp.sum(dxhat * xhat, axis=axes, keepdims=True) * inv_n))
        if value(dx).dtype != value(x).dtype:  # a weight of another dtype
            dx = xp.astype(dx, value(x).dtype)
        need = tuple(ctx.needs_input_grad) + (False, False)
        dw = g * xhat if need[1] and w is not None else None  # the engine sums to w's shape
        db = g if need[2] and b is not None else None
        return dx, dw, db

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays, from the normalised values forward kept."""
        x, w, b = ctx.saved_tensors
        xhat, rstd = ctx.xhat, ctx.rstd
        rows, n = xhat.shape
        need = tuple(ctx.needs_input_grad) + (False, False)
        g2 = g.reshape(rows, n)
        tmp = np.multiply(g2, xhat)
        dw = np.sum(tmp, axis=0).reshape(w.shape) if need[1] and w is not None else None
        db = np.sum(g2, axis=0).reshape(b.shape) if need[2] and b is not None else None
        dx = None
        if need[0]:
            dx = g2 * w.reshape(n) if w is not None else g2.copy()  # dL/dxhat
            inv_n = 1.0 / n
            if w is not None:
                np.multiply(dx, xhat, out=tmp)
            m2 = np.sum(tmp, axis=1, keepdims=True)
            m2 *= inv_n
            m1 = np.sum(dx, axis=1, keepdims=True)
            m1 *= inv_n
            dx -= m1
            dx -= np.multiply(xhat, m2, out=tmp)
            dx *= rstd
            dx = dx.reshape(x.shape).astype(x.dtype, copy=False)
        return dx, dw, db


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
        all_valid = bool(np.logical_and.reduce(valid, axis=None))  # valid.all(), without
        # the method's Python wrapper
        safe = target if all_valid else np.where(valid, target, 0)
        shifted, _ = max_shift(x, 1)
        probs = np.exp(shifted)
        sums = np.add.reduce(probs, axis=1, keepdims=True)
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
            out = np.add.reduce(nll)
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
                denom = float(m if all_valid else np.count_nonzero(valid))
            else:
                denom = float(np.sum(weight[safe] if all_valid else weight[safe] * valid))
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


# atanh(erf(x)) ~ x P(x^2) on [0, 4], P of degree 9: a least-squares fit weighted for the
# relative error of erf (Lawson's iterations), made for this module. In float32, tanh of it
# is within 3.5 units in the last place (ulp) of erf (1.6 for |x| >= 1; the larger errors
# near 0 vanish in 1 + erf), and exact GELU from it is within 2.0 ulp of the true value for
# x >= 0 and 1.6e-7 for x < 0 (a correctly rounded erf: 1.7 ulp and 8e-8; PyTorch 2.13's
# float32 CPU GELU: 5.0 ulp and 1.1e-6). erf is exactly +-1 beyond |x| = 4.2, as float32
# rounds it there.
_ATANH_ERF = (1.1283791776712138, 0.10277219181348383, -0.00020680094771283303,
              -0.0005950216213107108, 6.90636436569614e-05, 1.4472369051705785e-06,
              -1.3200299222892386e-06, 1.605262156804446e-07, -8.78127209151174e-09,
              1.8754264229277982e-10)


def _erf_float32(x: np.ndarray, scale: float, out: np.ndarray,
                 scratch: np.ndarray) -> np.ndarray:
    """erf(scale * x) of a float32 array into ``out``, in 25 vectorised passes: about 9x
    faster than SciPy's, which computes in float64 one element at a time. ``scratch``, an
    array of ``x``'s shape, is overwritten; no other array of that size is made."""
    dtype = x.dtype.type

    def clipped_argument() -> np.ndarray:  # into scratch; P grows on (4, 4.5]: tanh(P) = 1
        np.multiply(x, scale, out=scratch)
        return np.clip(scratch, dtype(-4.5), dtype(4.5), out=scratch)

    t = np.square(clipped_argument(), out=scratch)
    p = np.multiply(t, dtype(_ATANH_ERF[-1]), out=out)
    for c in _ATANH_ERF[-2:0:-1]:
        p += dtype(c)
        p *= t
    p += dtype(_ATANH_ERF[0])
    p *= clipped_argument()  # computed again: a third array would be a fresh block
    return np.tanh(p, out=p)


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


class Gelu(Function):
    """Exact GELU, ``x Phi(x)``; its derivative is ``Phi(x) + x phi(x)``.

    One op instead of ``x * NormalCdf(x)``: forward keeps ``Phi(x)`` and
    ``fast_backward`` needs one new array (the composition allocated about ten of
    the input's size, each a fresh page-faulting block for large activations).
    """

    op_name = "gelu"

    @staticmethod
    def forward(ctx, x):
        out = np.empty_like(x)
        if x.dtype == np.float32:  # two arrays of x's size in all (the result and Phi)
            cdf = _erf_float32(x, _SQRT_HALF, np.empty_like(x), scratch=out)
        else:
            cdf = _erf(x * _SQRT_HALF)
        cdf += 1
        cdf *= 0.5
        ctx.save_for_backward(x)
        ctx.cdf = cdf
        return np.multiply(x, cdf, out=out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        # Phi recorded as its own op when x is a Tensor, so that it is differentiable again
        cdf = ctx.cdf if xp is NUMPY else NormalCdf.apply(x)
        return g * (cdf + x * xp.exp(x * x * -0.5) * (1 / _SQRT_2PI))

    @staticmethod
    def fast_backward(ctx, g):
        """``backward`` on arrays, in place in one new array."""
        (x,) = ctx.saved_tensors
        d = np.square(x)
        d *= -0.5
        np.exp(d, out=d)
        d *= x
        d *= 1 / _SQRT_2PI
        d += ctx.cdf
        d *= g
        return d


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
