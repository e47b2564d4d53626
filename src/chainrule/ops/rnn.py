"""Recurrent layers as one op per layer and direction: the whole time loop, forward and VJP.

A recurrent layer composed from primitives costs several recorded ops per time step,
and each indexing op's VJP writes a full-size zero array; one op for the whole sequence
runs the loop in NumPy and its backward (backpropagation through time) in one pass.

``RecurrentLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode=..., reverse=...,
lengths=...)`` takes time-major input ``x`` (T, B, I) and returns the states after
every step, (T, B, P) (``h``, P = the projection size or the hidden size H), or for
``mode='LSTM'`` the states and the cells side by side, (T, B, P + H). ``reverse`` runs
from the last step to the first. ``lengths`` (B,) freezes a sequence's state once it
has ended (forward) or until it starts (reverse), so that variable-length batches need
no other care: the last state of every sequence is the one at the last step taken.

The cells, PyTorch's formulas and gate order (biases b_ih and b_hh both):

* RNN: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act tanh or relu;
* LSTM: gates ``i, f, g, o`` = sigmoid, sigmoid, tanh, sigmoid of ``W_ih x + b_ih +
  W_hh h + b_hh``; ``c' = f c + i g``, ``h' = o tanh(c')``, times ``W_hr^T`` with a
  projection;
* GRU: ``r, z = sigmoid(...)``, ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``,
  ``h' = (1 - z) n + z h``.

``fast_backward`` uses what forward kept and ends in one matmul per weight;
``backward`` recomputes the forward with ``xp`` and runs the same loop on Tensors
too, so the layer is differentiable at any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out = np.negative(z)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def _order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _active(lengths: Any, t: int) -> Any:
    """(B, 1) bool: the sequences still running at step ``t``; None when all are."""
    if lengths is None:
        return None
    active = (lengths > t)[:, None]
    return None if active.all() else active


# ---------------------------------------------------------------------------
# One step, written with xp: the recorded forward of ``backward`` and its VJP
# ---------------------------------------------------------------------------


def _cell(xp, mode: str, gx, h, c, w_hh, b_hh, w_hr, hidden: int) -> tuple:
    """One step from the input part ``gx`` (B, G H) and the state: (h', c', cache)."""
    gh = xp.matmul(h, xp.transpose(w_hh))
    if b_hh is not None:
        gh = gh + b_hh
    H = hidden
    if mode == "LSTM":
        a = gx + gh
        i = xp.sigmoid(a[:, :H])
        f = xp.sigmoid(a[:, H:2 * H])
        g = xp.tanh(a[:, 2 * H:3 * H])
        o = xp.sigmoid(a[:, 3 * H:])
        c2 = f * c + i * g
        tc = xp.tanh(c2)
        m = o * tc
        h2 = m if w_hr is None else xp.matmul(m, xp.transpose(w_hr))
        return h2, c2, (i, f, g, o, tc, m)
    if mode == "GRU":
        r = xp.sigmoid(gx[:, :H] + gh[:, :H])
        z = xp.sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
        ghn = gh[:, 2 * H:]
        n = xp.tanh(gx[:, 2 * H:] + r * ghn)
        h2 = n + z * (h - n)
        return h2, None, (r, z, n, ghn)
    pre = gx + gh
    if mode == "RNN_TANH":
        h2 = xp.tanh(pre)
    else:
        h2 = xp.where(_value(pre) > 0, pre, xp.zeros_like(pre))
    return h2, None, (h2,)


def _cell_back(xp, mode: str, dh, dc, cache, h, c, w_hr) -> tuple:
    """VJP of one step: (gate gradients for gx, for gh, as lists of blocks), dh_direct,
    dc_prev, dW_hr of the step. ``dh_direct`` is the part of dL/dh not through ``gh``."""
    if mode == "LSTM":
        i, f, g, o, tc, m = cache
        if w_hr is None:
            dm, dwhr = dh, None
        else:
            dm = xp.matmul(dh, w_hr)
            dwhr = xp.matmul(xp.transpose(dh), m)
        dct = dc + dm * o * (1 - tc * tc)
        blocks = [dct * g * i * (1 - i), dct * c * f * (1 - f), dct * i * (1 - g * g),
                  dm * tc * o * (1 - o)]
        return blocks, blocks, None, dct * f, dwhr
    if mode == "GRU":
        r, z, n, ghn = cache
        dn = dh * (1 - z) * (1 - n * n)
        dr = dn * ghn * r * (1 - r)
        dz = dh * (h - n) * z * (1 - z)
        return [dr, dz, dn], [dr, dz, dn * r], dh * z, None, None
    (h2,) = cache
    if mode == "RNN_TANH":
        d = dh * (1 - h2 * h2)
    else:
        d = dh * (_value(h2) > 0)
    return [d], [d], None, None, None


def _value(t: Any) -> Any:
    return getattr(t, "_array", t)


# ---------------------------------------------------------------------------
# The op
# ---------------------------------------------------------------------------


class RecurrentLayer(Function):
    """One recurrent layer in one direction over a whole sequence (see the module doc).

    >>> import chainrule as cr
    >>> x, h0 = cr.ones(5, 2, 3), cr.zeros(2, 4)        # 5 steps, batch 2, 3 features
    >>> w_ih, w_hh = cr.ones(4, 3) * 0.1, cr.ones(4, 4) * 0.1
    >>> RecurrentLayer.apply(x, h0, None, w_ih, w_hh, mode="RNN_TANH").shape
    (5, 2, 4)
    """

    op_name = "recurrent_layer"

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, mode="LSTM",
                reverse=False, lengths=None):
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        ctx.mode, ctx.reverse, ctx.lengths = mode, reverse, lengths
        if mode == "LSTM":
            return _lstm_forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, lengths)
        steps, batch = x.shape[0], x.shape[1]
        G = GATES[mode]
        H = w_hh.shape[0] // G
        gx = np.matmul(x.reshape(steps * batch, -1), w_ih.T).reshape(steps, batch, G * H)
        if b_ih is not None:
            gx += b_ih
        if mode != "GRU" and b_hh is not None:
            gx += b_hh  # one add for all steps instead of one per step
        w_hh_t = w_hh.T
        P = h0.shape[-1]
        cache: dict = {}
        out = hs = np.empty((steps, batch, P), dtype=x.dtype)
        if mode == "GRU":
            rzn = np.empty((steps, batch, 3 * H), dtype=x.dtype)
            ghns = np.empty((steps, batch, H), dtype=x.dtype)
            cache.update(rzn=rzn, ghns=ghns)
        h = h0
        for t in _order(steps, reverse):
            active = _active(lengths, t)
            gh = np.matmul(h, w_hh_t)
            if mode == "GRU":
                if b_hh is not None:
                    gh += b_hh
                g = gx[t]
                rz = _sigmoid(g[:, :2 * H] + gh[:, :2 * H])
                ghn = gh[:, 2 * H:]
                n = np.tanh(g[:, 2 * H:] + rz[:, :H] * ghn)
                z = rz[:, H:]
                h2 = n + z * (h - n)
                rzn[t, :, :2 * H] = rz
                rzn[t, :, 2 * H:] = n
                ghns[t] = ghn
                if active is not None:
                    h2 = np.where(active, h2, h)
            else:
                pre = gx[t]
                pre += gh
                h2 = np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)
                if active is not None:
                    h2 = np.where(active, h2, h)
            hs[t] = h2
            h = hs[t]
        ctx.hidden = H
        cache["hs"] = hs
        ctx.cache = cache
        return out

    @staticmethod
    def fast_backward(ctx, g):
        if ctx.mode == "LSTM":
            return _lstm_fast_backward(ctx, g)
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = ctx.saved_tensors
        mode, reverse, lengths, H = ctx.mode, ctx.reverse, ctx.lengths, ctx.hidden
        cache = ctx.cache
        hs = cache["hs"]
        steps, batch = x.shape[0], x.shape[1]
        G = GATES[mode]
        dgx = np.empty((steps, batch, G * H), dtype=x.dtype)
        dgh = np.empty_like(dgx) if mode == "GRU" else dgx
        dh_next = np.zeros_like(h0)
        order = list(_order(steps, reverse))
        for k in range(steps - 1, -1, -1):
            t = order[k]
            h_prev = h0 if k == 0 else hs[order[k - 1]]
            active = _active(lengths, t)
            dh = g[t] + dh_next
            if active is not None:
                keep = dh * ~active
                dh = dh * active
            if mode == "GRU":
                rzn = cache["rzn"][t]
                r, z, n = rzn[:, :H], rzn[:, H:2 * H], rzn[:, 2 * H:]
                dn = dh * (1 - z) * (1 - n * n)
                dr = dn * cache["ghns"][t] * r * (1 - r)
                dz = dh * (h_prev - n) * z * (1 - z)
                dgx[t, :, :H] = dr
                dgx[t, :, H:2 * H] = dz
                dgx[t, :, 2 * H:] = dn
                dgh[t, :, :2 * H] = dgx[t, :, :2 * H]
                np.multiply(dn, r, out=dgh[t, :, 2 * H:])
                dh_next = dgh[t] @ w_hh + dh * z
            else:
                h2 = hs[t]
                if mode == "RNN_TANH":
                    np.multiply(dh, 1 - h2 * h2, out=dgx[t])
                else:
                    np.multiply(dh, h2 > 0, out=dgx[t])
                dh_next = dgx[t] @ w_hh
            if active is not None:
                dh_next += keep
        need = tuple(ctx.needs_input_grad) + (False,) * 8
        dx, dw_ih, db_ih = _input_grads(dgx, x, w_ih, need[0], need[3],
                                        need[5] and b_ih is not None)
        dw_hh = _recurrent_weight_grad(dgh, hs, h0, reverse) if need[4] else None
        db_hh = None
        if need[6] and b_hh is not None:
            db_hh = dgh.reshape(steps * batch, -1).sum(axis=0)
        return dx, dh_next if need[1] else None, None, dw_ih, dw_hh, db_ih, db_hh, None

    @staticmethod
    def backward(ctx, g):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = ctx.saved_tensors
        xp = ctx.xp
        mode, reverse, lengths, H = ctx.mode, ctx.reverse, ctx.lengths, ctx.hidden
        steps = x.shape[0]
        G = GATES[mode]
        P = h0.shape[-1]
        dtype = _value(x).dtype
        # recompute the forward, recorded when these are Tensors
        gx_all = xp.matmul(x, xp.transpose(w_ih))
        if b_ih is not None:
            gx_all = gx_all + b_ih
        order = list(_order(steps, reverse))
        states = []  # (h_prev, c_prev, cache) per step, in the order taken
        h, c = h0, c0
        for t in order:
            h2, c2, cache = _cell(xp, mode, gx_all[t], h, c, w_hh, b_hh, w_hr, H)
            active = _active(lengths, t)
            if active is not None:
                h2 = xp.where(active, h2, h)
                if c2 is not None:
                    c2 = xp.where(active, c2, c)
            states.append((h, c, cache))
            h, c = h2, c2
        # E[k] puts a (B, H) block into the k-th gate's columns of a (B, G H) array
        eye = np.eye(G * H, dtype=dtype)
        place = [eye[k * H:(k + 1) * H] for k in range(G)]
        onehot = np.eye(steps, dtype=dtype)[:, :, None, None]  # puts a step into (T, ...)
        dh_next = dc_next = None
        dx = dw_ih = dw_hh = db_ih = db_hh = dwhr = None
        for k in range(steps - 1, -1, -1):
            t = order[k]
            h_prev, c_prev, cache = states[k]
            dh = g[t, :, :P] if dh_next is None else g[t, :, :P] + dh_next
            dc = None
            if mode == "LSTM":
                dc = g[t, :, P:] if dc_next is None else g[t, :, P:] + dc_next
            active = _active(lengths, t)
            if active is not None:
                on = active.astype(dtype)
                off = 1 - on
                keep, dh = dh * off, dh * on
                if dc is not None:
                    keep_c, dc = dc * off, dc * on
            blocks_x, blocks_h, dh_direct, dc_prev, dwhr_t = _cell_back(
                xp, mode, dh, dc, cache, h_prev, c_prev, w_hr)
            dgx = _join(xp, blocks_x, place)
            dgh = dgx if blocks_h is blocks_x else _join(xp, blocks_h, place)
            dh_next = xp.matmul(dgh, w_hh)
            if dh_direct is not None:
                dh_next = dh_next + dh_direct
            if active is not None:
                dh_next = dh_next + keep
                if dc_prev is not None:
                    dc_prev = dc_prev + keep_c
            dc_next = dc_prev
            x_t = x[t]
            dx = _add(dx, onehot[t] * xp.expand_dims(xp.matmul(dgx, w_ih), 0))
            dw_ih = _add(dw_ih, xp.matmul(xp.transpose(dgx), x_t))
            dw_hh = _add(dw_hh, xp.matmul(xp.transpose(dgh), h_prev))
            db_ih = _add(db_ih, xp.sum(dgx, axis=0))
            db_hh = _add(db_hh, xp.sum(dgh, axis=0))
            if dwhr_t is not None:
                dwhr = _add(dwhr, dwhr_t)
        need = tuple(ctx.needs_input_grad) + (False,) * 8
        if dx is not None and _value(dx).dtype != dtype:
            dx = xp.astype(dx, dtype)
        grads = (dx, dh_next, dc_next, dw_ih, dw_hh, db_ih, db_hh, dwhr)
        return tuple(gr if n else None for gr, n in zip(grads, need[:8]))


# ---------------------------------------------------------------------------
# The LSTM's fast kernels, and what every cell's fast backward ends with
# ---------------------------------------------------------------------------


def _lstm_forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, lengths):
    """The LSTM's forward: about ten NumPy calls a step, none allocating.

    ``sigmoid(z) = (tanh(z / 2) + 1) / 2``: the i, f, o rows of the weights and biases
    are halved first (exact, a power of two), so one ``tanh`` a step covers all four
    gates. The gates of every step live in one (T, B, 4H) array, activated in place and
    kept for backward with the cells and ``tanh`` of the cells.
    """
    steps, batch = x.shape[0], x.shape[1]
    H = w_hh.shape[0] // 4
    P = h0.shape[-1]
    half = np.full(4 * H, 0.5, dtype=x.dtype)
    half[2 * H:3 * H] = 1
    shift = np.full(4 * H, 0.5, dtype=x.dtype)
    shift[2 * H:3 * H] = 0
    gates = np.matmul(x.reshape(steps * batch, -1), _scaled_transpose(w_ih, half))
    gates = gates.reshape(steps, batch, 4 * H)
    biases = [b for b in (b_ih, b_hh) if b is not None]
    if biases:
        gates += sum(biases) * half  # one add for all steps
    # a contiguous (P, 4H) right operand: OpenBLAS multiplies (32, 128) by it 1.5x
    # faster than by the transposed view of w_hh
    w_hh_t = _scaled_transpose(w_hh, half)
    # the output holds h and c side by side; hs and cs are views into it
    out = np.empty((steps, batch, P + H), dtype=x.dtype)
    hs, cs = out[..., :P], out[..., P:]
    tcs = np.empty((steps, batch, H), dtype=x.dtype)
    ms = np.empty_like(tcs) if w_hr is not None else None
    gh = np.empty((batch, 4 * H), dtype=gates.dtype)
    ig = np.empty((batch, H), dtype=gates.dtype)
    h, c = h0, c0
    for t in _order(steps, reverse):
        a = gates[t]
        a += np.matmul(h, w_hh_t, out=gh)
        np.tanh(a, out=a)
        a *= half
        a += shift
        c2 = np.multiply(a[:, H:2 * H], c, out=cs[t])
        c2 += np.multiply(a[:, :H], a[:, 2 * H:3 * H], out=ig)
        tc = np.tanh(c2, out=tcs[t])
        if w_hr is None:
            h2 = np.multiply(a[:, 3 * H:], tc, out=hs[t])
        else:
            m = np.multiply(a[:, 3 * H:], tc, out=ms[t])
            h2 = np.matmul(m, w_hr.T, out=hs[t])
        active = _active(lengths, t)
        if active is not None:  # an ended sequence keeps its state
            np.copyto(c2, c, where=~active)
            np.copyto(h2, h, where=~active)
        c, h = c2, h2
    ctx.hidden = H
    ctx.cache = {"acts": gates, "cs": cs, "tcs": tcs, "ms": ms, "hs": hs}
    return out


def _scaled_transpose(w, scale):
    """``(w * scale[:, None]).T`` as a new C-contiguous array, in one pass."""
    out = np.empty((w.shape[1], w.shape[0]), dtype=np.result_type(w, scale))
    return np.multiply(w.T, scale, out=out)


def _lstm_fast_backward(ctx, g):
    """The LSTM's first-order VJP from what forward kept: about ten NumPy calls a step,
    into buffers made once; the gates' derivatives of all steps in four calls first."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = ctx.saved_tensors
    reverse, lengths, H = ctx.reverse, ctx.lengths, ctx.hidden
    cache = ctx.cache
    acts, cs, tcs, ms, hs = cache["acts"], cache["cs"], cache["tcs"], cache["ms"], cache["hs"]
    steps, batch = x.shape[0], x.shape[1]
    P = hs.shape[-1]
    dt = acts.dtype
    # d(gate)/dz for every step: s (1 - s) = s - s^2 for i, f, o and 1 - g^2 for g; the
    # gate gradients are then these times the rest of the chain, in place
    dgates = np.square(acts)
    np.subtract(acts[..., :2 * H], dgates[..., :2 * H], out=dgates[..., :2 * H])
    np.subtract(1, dgates[..., 2 * H:3 * H], out=dgates[..., 2 * H:3 * H])
    np.subtract(acts[..., 3 * H:], dgates[..., 3 * H:], out=dgates[..., 3 * H:])
    # o (1 - tanh(c)^2): dL/dc through h, per unit of dL/dh
    o_dtanh = np.square(tcs)
    np.subtract(1, o_dtanh, out=o_dtanh)
    o_dtanh *= acts[..., 3 * H:]
    dh, dh_next = np.empty((batch, P), dtype=dt), np.zeros((batch, P), dtype=dt)
    dc, dc_next = np.empty((batch, H), dtype=dt), np.zeros((batch, H), dtype=dt)
    dct = np.empty((batch, H), dtype=dt)
    rest = np.empty((batch, 4 * H), dtype=dt)
    dm = dh if w_hr is None else np.empty((batch, H), dtype=dt)
    dwhr = np.zeros_like(w_hr) if w_hr is not None else None
    order = list(_order(steps, reverse))
    for k in range(steps - 1, -1, -1):
        t = order[k]
        c_prev = c0 if k == 0 else cs[order[k - 1]]
        a = acts[t]
        np.add(g[t, :, :P], dh_next, out=dh)
        np.add(g[t, :, P:], dc_next, out=dc)
        active = _active(lengths, t)
        if active is not None:  # a step not taken passes the gradients through
            keep, keep_c = dh * ~active, dc * ~active
            dh *= active
            dc *= active
        if w_hr is not None:
            np.matmul(dh, w_hr, out=dm)
            dwhr += dh.T @ ms[t]
        np.multiply(dm, o_dtanh[t], out=dct)
        dct += dc  # dL/dc of this step
        np.multiply(dct, a[:, 2 * H:3 * H], out=rest[:, :H])
        np.multiply(dct, c_prev, out=rest[:, H:2 * H])
        np.multiply(dct, a[:, :H], out=rest[:, 2 * H:3 * H])
        np.multiply(dm, tcs[t], out=rest[:, 3 * H:])
        d = dgates[t]
        d *= rest
        np.multiply(dct, a[:, H:2 * H], out=dc_next)
        np.matmul(d, w_hh, out=dh_next)
        if active is not None:
            dc_next += keep_c
            dh_next += keep
    need = tuple(ctx.needs_input_grad) + (False,) * 8
    dx, dw_ih, db = _input_grads(dgates, x, w_ih, need[0], need[3], need[5] or need[6])
    dw_hh = _recurrent_weight_grad(dgates, hs, h0, reverse) if need[4] else None
    return (dx, dh_next if need[1] else None, dc_next if need[2] else None, dw_ih, dw_hh,
            db if need[5] and b_ih is not None else None,
            db if need[6] and b_hh is not None else None, dwhr if need[7] else None)


def _input_grads(dgx, x, w_ih, need_x: bool, need_w: bool, need_b: bool) -> tuple:
    """dL/dx, dL/dW_ih and dL/db from the gate gradients of all steps (T, B, G H): one
    GEMM each."""
    flat = dgx.reshape(-1, dgx.shape[-1])
    dx = (flat @ w_ih).reshape(x.shape).astype(x.dtype, copy=False) if need_x else None
    dw = flat.T @ x.reshape(flat.shape[0], -1) if need_w else None
    db = flat.sum(axis=0) if need_b else None
    return dx, dw, db


def _recurrent_weight_grad(dgh, hs, h0, reverse: bool):
    """dL/dW_hh, the sum over steps of ``dgh[t].T @`` the state step ``t`` started from:
    ``h0`` for the first step taken, the previous step's output for the others, so one
    GEMM over views of ``hs`` and one small one (no copy of the states)."""
    steps = dgh.shape[0]
    out = dgh[steps - 1 if reverse else 0].T @ h0
    if steps > 1:
        later, prev = (dgh[:-1], hs[1:]) if reverse else (dgh[1:], hs[:-1])
        out += later.reshape(-1, dgh.shape[-1]).T @ prev.reshape(-1, hs.shape[-1])
    return out


def _join(xp, blocks: list, place: list) -> Any:
    """Side by side along the last axis: sum of block @ E_k (works on arrays and Tensors)."""
    if len(blocks) == 1:
        return blocks[0]
    out = None
    for block, e in zip(blocks, place, strict=True):
        out = _add(out, xp.matmul(block, e))
    return out


def _add(total: Any, term: Any) -> Any:
    return term if total is None else total + term
