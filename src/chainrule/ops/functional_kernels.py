"""Primitives of ``nn.functional``: two whose forward needs ``log1p`` or ``expm1``, and
one that scales a gradient.

Composed from ``exp`` and ``log``, softplus loses all relative precision in its
tail (``log(1 + exp(-40))`` rounds to 0 where the answer is 4e-18; in float32
already at -17), and ELU loses it near 0 (``exp(x) - 1`` for tiny x). These two
ops keep PyTorch's own forward formulas (``log1p``, ``expm1``) and its VJPs, which
are one line each in ``xp``, so they are differentiable at any order like every
other op. Everything else in ``nn.functional`` is composed from Tensor ops.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .arrays import NUMPY, value

__all__ = ["Softplus", "Elu", "LeakyRelu", "Hardtanh", "Threshold", "Hardshrink", "Softshrink",
           "ScaleGrad", "CTCPlan", "CTCLoss", "LOG_ZERO"]


class LeakyRelu(Function):
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    Its own op rather than a ``where`` of ``x`` and ``x * negative_slope`` so that it
    keeps what PyTorch's keeps, ``x`` (an in-place change of ``x`` afterwards makes
    backward raise, one of the output does not), and one array instead of three.
    """

    op_name = "leaky_relu"

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return ctx.xp.where(value(x) > 0, g, g * ctx.slope)  # slope at 0, as PyTorch


class _Banded(Function):
    """An activation whose gradient is ``g`` where a test of ``x`` holds and 0 elsewhere.

    One op each rather than a ``where`` of masks, so that they keep what PyTorch's keep,
    ``x`` (its backward finds the mask again from it): changing ``x`` in place
    afterwards makes backward raise, changing the output does not. ``a`` and ``b`` are
    the op's two numbers (bounds, a threshold and a fill, ``lambd``). A subclass gives
    the test (``_passes``) and the value (``_value``).
    """

    @staticmethod
    def _passes(x: np.ndarray, a: float, b: float) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _value(x: np.ndarray, a: float, b: float) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, a, b=None):
        ctx.save_for_backward(x)
        ctx.a, ctx.b = a, b
        return ctx.fn._value(x, a, b)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return ctx.xp.where(ctx.fn._passes(value(x), ctx.a, ctx.b), g, 0)


class Hardtanh(_Banded):
    """``x`` clipped to [a, b]; no gradient at or beyond the bounds (PyTorch's rule)."""

    op_name = "hardtanh"

    @staticmethod
    def _passes(x, a, b):
        return (x > a) & (x < b)

    @staticmethod
    def _value(x, a, b):
        return np.where(Hardtanh._passes(x, a, b), x, np.clip(x, a, b).astype(x.dtype,
                                                                              copy=False))


class Threshold(_Banded):
    """``x`` where ``x > a``, else ``b``."""

    op_name = "threshold"

    @staticmethod
    def _passes(x, a, b):
        return x > a

    @staticmethod
    def _value(x, a, b):
        return np.where(x > a, x, np.asarray(b, dtype=x.dtype))


class Hardshrink(_Banded):
    """``x`` where ``|x| > a``, else 0."""

    op_name = "hardshrink"

    @staticmethod
    def _passes(x, a, b):
        return np.abs(x) > a

    @staticmethod
    def _value(x, a, b):
        return np.where(np.abs(x) > a, x, np.zeros((), x.dtype))


class Softshrink(Hardshrink):
    """``x - a`` above ``a``, ``x + a`` below ``-a``, 0 between (the gradient: Hardshrink's)."""

    op_name = "softshrink"

    @staticmethod
    def _value(x, a, b):
        shifted = np.where(x > 0, x - a, x + a)
        return np.where(np.abs(x) > a, shifted, np.zeros((), x.dtype))


class Softplus(Function):
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``.

    The derivative is ``sigmoid(beta x)`` (1 above the threshold), as in PyTorch.
    """

    op_name = "softplus"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        z = x * beta
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta  # never overflows
        return np.where(z > threshold, x, soft)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        z = x * ctx.beta
        # at z == threshold PyTorch's slope is sigmoid(z) but its derivative is 0
        below = value(z) < ctx.threshold
        slope = xp.sigmoid(xp.where(below, z, ctx.threshold))
        return xp.where(below | (value(z) == ctx.threshold), g * slope, g)


class Elu(Function):
    """``scale x`` for x > 0, else ``scale alpha (exp(input_scale x) - 1)`` (with expm1).

    One op for ELU, CELU (``input_scale = 1 / alpha``) and SELU (PyTorch's constants).
    At x = 0 the derivative is that of the negative side, ``scale alpha input_scale``,
    as in PyTorch.
    """

    op_name = "elu"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.save_for_backward(x)
        ctx.coefs = (alpha, scale, input_scale)
        ctx.positive, ctx.negative = x > 0, x < 0
        neg = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        return np.where(ctx.positive, x * scale, neg)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.coefs
        xp = ctx.xp
        # exp never sees a positive x; at x = 0 the slope has no derivative (PyTorch's
        # double backward masks x < 0, its backward x <= 0)
        x_neg = xp.where(ctx.negative, x, 0)
        slope = xp.exp(x_neg * input_scale) * (alpha * scale * input_scale)
        return xp.where(ctx.positive, g * scale, g * slope)


class ScaleGrad(Function):
    """The identity, whose gradient is multiplied by a constant array ``scale``.

    For ``embedding(..., scale_grad_by_freq=True)``: each looked-up row's gradient is
    divided by how often its index occurs in the batch, with the forward unchanged
    (a composition ``x * s + (x * (1 - s)).detach()`` would round the forward).
    """

    op_name = "scale_grad"

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale


# ---------------------------------------------------------------------------
# CTC: the forward (alpha) and backward (beta) recursions in log space
# ---------------------------------------------------------------------------

LOG_ZERO = -1e30
"""log(0) inside the CTC recursions: finite, so that a state no alignment reaches keeps
a finite value and gradient (a logsumexp of -inf alone puts NaN in a gradient); it is
so far below any reachable log-probability that exp() of it is exactly 0 beside them."""


class CTCPlan:
    """The constant structure of a CTC batch: the extended labels (blank, l1, blank,
    ..., blank) of each sequence, its frame count, where a label may be skipped to.

    A state s is reached from s, s - 1, and s - 2 when ``skip[n, s]`` (its label is not
    a blank and differs from the label two before); the backward recursion reads the
    same moves the other way (``skip_next[n, s]``: s may move on to s + 2).
    """

    def __init__(self, labels: list, in_len: np.ndarray, num_classes: int, blank: int,
                 dtype: np.dtype) -> None:
        n = len(labels)
        tgt_len = np.array([seq.size for seq in labels], dtype=np.int64)
        k = 2 * int(tgt_len.max(initial=0)) + 1
        ext = np.full((n, k), blank, np.int64)
        for i, seq in enumerate(labels):
            ext[i, 1:2 * seq.size:2] = seq
        states = np.arange(k)
        self.shape = (n, k)
        self.in_len = in_len
        self.t_max = int(in_len.max(initial=0))
        self.rows = np.arange(n)[:, None]
        self.ext = ext
        self.skip = (states >= 2) & (ext != blank) & (ext != np.roll(ext, 2, axis=1))
        self.skip_next = np.zeros_like(self.skip)
        self.skip_next[:, :-2] = self.skip[:, 2:]
        self.onehot = (ext[:, :, None] == np.arange(num_classes)).astype(dtype)  # (N, K, C)
        self.start = np.where(states < 2, 0.0, LOG_ZERO).astype(dtype)
        self.empty = np.where(states == 0, 0.0, LOG_ZERO).astype(dtype)  # no frames at all
        last = 2 * tgt_len
        self.finals = np.stack([last, np.where(tgt_len > 0, last - 1, last)], axis=1)
        self.finals_distinct = np.stack([np.ones(n, bool), tgt_len > 0], axis=1)
        self.end = np.full((n, k), LOG_ZERO, dtype)
        self.end[np.arange(n)[:, None], self.finals] = 0.0
        self.log_zero = np.full((n, 2), LOG_ZERO, dtype)
        self.edges = {}  # what a shift by 1 or 2 states, either way, fills with log-zero
        for by in (1, 2, -1, -2):
            edge = np.zeros((n, k), dtype)
            edge[:, slice(0, by) if by > 0 else slice(k + by, k)] = LOG_ZERO
            self.edges[by] = edge


def _logsumexp3(xp, a, b, c):
    """log(exp(a) + exp(b) + exp(c)) elementwise; the shift is a constant (its value)."""
    m = np.maximum(np.maximum(value(a), value(b)), value(c))
    return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _emissions(xp, lp, plan: CTCPlan):
    """log-probability of each extended label at each frame: (T, N, K), -inf made finite."""
    emit = lp[:, plan.rows, plan.ext]
    return xp.where(value(emit) > LOG_ZERO, emit, LOG_ZERO)


def _shift(xp, x, plan: CTCPlan, by: int):
    """``x`` (N, K) moved ``by`` states to the right (left if negative), log-zero filled."""
    n, k = plan.shape
    if isinstance(x, np.ndarray):
        out = np.full((n, k), LOG_ZERO, x.dtype)
        if by > 0:
            out[:, by:] = x[:, :k - by]
        else:
            out[:, :k + by] = x[:, -by:]
        return out
    if by > 0:
        moved = xp.scatter_add(x[:, :k - by], (n, k), (slice(None), slice(by, None)))
    else:
        moved = xp.scatter_add(x[:, -by:], (n, k), (slice(None), slice(0, k + by)))
    return moved + plan.edges[by]


def _alphas(xp, emit, plan: CTCPlan) -> list:
    """alpha_t (N, K) for t < t_max: log-probability of the prefixes ending in each state
    at frame t (emission included); frozen after each sequence's last frame."""
    if plan.t_max == 0:
        return [np.broadcast_to(plan.empty, plan.shape).copy()]
    alpha = emit[0] + plan.start
    no_frames = plan.in_len == 0
    if no_frames.any():
        alpha = xp.where(no_frames[:, None], plan.empty, alpha)
    out = [alpha]
    for t in range(1, plan.t_max):
        two_back = xp.where(plan.skip, _shift(xp, alpha, plan, 2), LOG_ZERO)
        step = _logsumexp3(xp, alpha, _shift(xp, alpha, plan, 1), two_back) + emit[t]
        running = t < plan.in_len
        alpha = step if running.all() else xp.where(running[:, None], step, alpha)
        out.append(alpha)
    return out


def _betas(xp, emit, plan: CTCPlan) -> list:
    """beta_t (N, K) for t < t_max: log-probability of the suffixes from each state at
    frame t (emission included) to the end; log-zero past each sequence's last frame."""
    out: list = [None] * plan.t_max
    beta = None
    for t in reversed(range(plan.t_max)):
        first = emit[t] + plan.end
        if beta is None:
            step = first
        else:
            two_on = xp.where(plan.skip_next, _shift(xp, beta, plan, -2), LOG_ZERO)
            step = _logsumexp3(xp, beta, _shift(xp, beta, plan, -1), two_on) + emit[t]
        last_frame = plan.in_len - 1
        beta = xp.where((last_frame == t)[:, None], first,
                        xp.where((last_frame > t)[:, None], step, LOG_ZERO))
        out[t] = beta
    return out


def _log_likelihood(xp, alpha, plan: CTCPlan):
    """log p(labels) per sequence from the last alpha: its two final states."""
    ends = xp.where(plan.finals_distinct, alpha[plan.rows, plan.finals], plan.log_zero)
    return _logsumexp3(xp, ends[:, 0], ends[:, 1], plan.log_zero[:, 0])


class CTCLoss(Function):
    """-log p(target | log_probs) per sequence (N,), by the alpha recursion.

    The VJP runs the beta recursion: the gradient in ``log_probs[t, n, c]`` is minus
    the posterior occupancy of the states labelled c at frame t (the true gradient,
    not PyTorch's, which is already projected through a log_softmax). Written with
    ``xp``, it is recorded under ``create_graph`` (its frames then assembled one by
    one, O(T^2) memory traffic: fine for the rare second derivative).
    """

    op_name = "ctc_loss"

    @staticmethod
    def forward(ctx, lp, plan):
        ctx.save_for_backward(lp)
        ctx.plan = plan
        emit = _emissions(NUMPY, lp, plan)
        return -_log_likelihood(NUMPY, _alphas(NUMPY, emit, plan)[-1], plan)

    @staticmethod
    def backward(ctx, g):
        (lp,) = ctx.saved_tensors
        plan, xp = ctx.plan, ctx.xp
        n, k = plan.shape
        steps = plan.t_max
        emit = _emissions(xp, lp, plan)
        alphas = _alphas(xp, emit, plan)
        ll = xp.reshape(_log_likelihood(xp, alphas[-1], plan), (n, 1))
        if steps == 0:
            return xp.zeros_like(lp)
        alpha = _frames(xp, alphas, (steps, n, k))
        beta = _frames(xp, _betas(xp, emit, plan), (steps, n, k))
        live = (np.arange(steps)[:, None] < plan.in_len) & (value(ll)[:, 0] > LOG_ZERO / 10)
        occupancy = xp.exp(alpha + beta - emit[:steps] - ll) * live[..., None].astype(
            plan.start.dtype)  # (T', N, K): posterior of each state at each frame
        per_class = xp.swapaxes(xp.matmul(xp.swapaxes(occupancy, 0, 1), plan.onehot), 0, 1)
        if steps < lp.shape[0]:
            per_class = xp.scatter_add(per_class, lp.shape, (slice(0, steps),))
        return per_class * xp.reshape(-g, (1, n, 1))


def _frames(xp, pieces: list, shape: tuple):
    """``pieces`` stacked along a new dim 0 (Tensors: placed one by one and added)."""
    if all(isinstance(p, np.ndarray) for p in pieces):
        return np.stack(pieces)
    total = None
    for t, piece in enumerate(pieces):
        placed = xp.scatter_add(piece, shape, (t,))
        total = placed if total is None else total + placed
    return total
