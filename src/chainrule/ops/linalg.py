"""Linear algebra: matrix products, einsum, solves, factorisations, norms and distances.

Every VJP is written with operators and ``xp`` (matmul, einsum, solve, det, ...),
so each one is differentiable again. The matrix-calculus identities used (real
matrices, ``^T`` the transpose of the last two axes):

- ``C = A B``: ``gA = G B^T``, ``gB = A^T G``.
- ``X = A^{-1}``: ``gA = -X^T G X^T``.
- ``d = det A``: ``gA = G d A^{-T}`` (the cofactor matrix where ``d`` is exactly 0).
- ``X = A^{-1} B``: ``gB = A^{-T} G``, ``gA = -gB X^T``.
- ``A = L L^T``: ``gA = L^{-T} Phi(L^T G) L^{-1}``, symmetrised (Murray, 2016).
- ``A = V diag(w) V^T``: ``gA = V (diag(gw) + sym(V^T gV) / E) V^T``, ``E_ij = w_j - w_i``.
- ``A = U diag(s) V^T``: PyTorch's ``svd_backward`` (Townsend's formula).

Factorisations that give several results (eigh, svd, qr, slogdet) are one op whose
single output packs them side by side along the last axis; :func:`unpack` cuts
them apart with indexing and reshape, which are ops too, so the gradient of any
one part flows back through the same record. A part that gets no gradient arrives
as zeros; the VJPs then skip its terms, as PyTorch skips an undefined gradient,
so eigenvalues alone stay differentiable at repeated eigenvalues.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..function import Function
from .arrays import value
from .contract import einsum, split_equation

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _mT(xp: Any, x: Any) -> Any:
    return xp.swapaxes(x, -1, -2)


def _is_zero(g: Any) -> bool:
    """True when a gradient part is all zeros (the part was not used)."""
    return not np.any(value(g))


def _eye(n: int, like: Any) -> np.ndarray:
    return np.eye(n, dtype=value(like).dtype)


def pack(arrays: Sequence[np.ndarray], batch: tuple) -> np.ndarray:
    """Arrays of shapes ``batch + s_i``, flattened after ``batch`` and laid side by side.

    >>> pack([np.zeros((2, 3)), np.ones((2, 2, 2))], (2,)).shape
    (2, 7)
    """
    nb = len(batch)
    flat = [a.reshape(batch + (math.prod(a.shape[nb:]),)) for a in arrays]
    return np.concatenate(flat, axis=-1)


def unpack(x: Any, shapes: Sequence[tuple], xp: Any) -> list:
    """The parts of a :func:`pack` ed array (or Tensor), each of ``batch + shape``.

    >>> from chainrule.ops.arrays import NUMPY
    >>> [p.shape for p in unpack(np.zeros((2, 7)), [(3,), (2, 2)], NUMPY)]
    [(2, 3), (2, 2, 2)]
    """
    batch = tuple(x.shape[:-1])
    parts = []
    start = 0
    for shape in shapes:
        size = math.prod(shape)
        parts.append(xp.reshape(x[..., start:start + size], batch + tuple(shape)))
        start += size
    return parts


# ---------------------------------------------------------------------------
# Matrix products
# ---------------------------------------------------------------------------

class Matmul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands, batch dimensions that broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        # As PyTorch: b only for a's gradient, a only for b's; an operand not saved
        # leaves its number of dimensions, which backward needs.
        need_a, need_b = ctx.needs_input_grad
        if need_a and need_b:
            ctx.save_for_backward(a, b)
        elif need_a:
            ctx.save_for_backward(None, b)
            ctx.ndims = (np.ndim(a), np.ndim(b))
        elif need_b:
            ctx.save_for_backward(a, None)
            ctx.ndims = (np.ndim(a), np.ndim(b))
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        need_a, need_b = ctx.needs_input_grad
        if a is None or b is None:
            a_vec, b_vec = ctx.ndims[0] == 1, ctx.ndims[1] == 1
        else:
            a_vec, b_vec = a.ndim == 1, b.ndim == 1
        # Treat a vector as a 1-row (a) or 1-column (b) matrix, and g to match.
        if a_vec and a is not None:
            a = xp.reshape(a, (1,) + a.shape)
        if b_vec and b is not None:
            b = xp.reshape(b, b.shape + (1,))
        if a_vec and b_vec:
            g = xp.reshape(g, (1, 1))
        elif a_vec:
            g = xp.expand_dims(g, -2)
        elif b_vec:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = xp.matmul(g, xp.swapaxes(b, -1, -2))
            if a_vec:  # a's length is b's (matrix) row count
                n = b.shape[-2]
                ga = xp.reshape(xp.sum_to(ga, (1, n)), (n,))
        if need_b:
            gb = xp.matmul(xp.swapaxes(a, -1, -2), g)
            if b_vec:  # b's length is a's (matrix) column count
                n = a.shape[-1]
                gb = xp.reshape(xp.sum_to(gb, (n, 1)), (n,))
        return ga, gb


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Einsum(Function):
    """Einstein summation by an explicit, plain equation (``"bij,bjk->bik"``).

    :func:`chainrule.einsum` turns ellipses and implicit outputs into this form.
    The gradient of operand k is itself an einsum: of the output gradient and the
    other operands, into operand k's subscripts. A letter repeated in operand k
    (a diagonal) gets a fresh letter and a constant identity that ties the two; a
    letter that appears nowhere else (summed away) gets a constant vector of ones.
    """

    @staticmethod
    def forward(ctx, *operands, equation):
        ctx.equation = equation
        ctx.shapes = tuple(np.shape(a) for a in operands)
        # Operand j is read only by the gradients of the others (PyTorch's einsum, made
        # of products, saves the same): kept only if another operand needs a gradient.
        needs = ctx.needs_input_grad
        wanted = sum(needs)
        ctx.save_for_backward(*[x if wanted > need else None
                                for x, need in zip(operands, needs)])
        return einsum(equation, *operands)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        operands = ctx.saved_tensors
        grads = []
        for k, need in enumerate(ctx.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            equation, constants = _einsum_grad_equation(ctx.equation, k, ctx.shapes[k])
            dtype = value(g).dtype
            extra = [np.eye(n, dtype=dtype) if kind == "eye" else np.ones(n, dtype=dtype)
                     for kind, n in constants]
            others = [x for j, x in enumerate(operands) if j != k]
            grads.append(xp.einsum(equation, g, *others, *extra))
        return tuple(grads)


@functools.lru_cache(maxsize=1024)
def _einsum_grad_equation(equation: str, k: int, shape: tuple) -> tuple[str, tuple]:
    """The equation of operand ``k``'s gradient, and the constants it needs.

    >>> _einsum_grad_equation("ii->", 0, (3, 3))
    (',ia->ia', (('eye', 3),))
    >>> _einsum_grad_equation("ij,jk->ik", 0, (2, 3))
    ('ik,jk->ij', ())
    >>> _einsum_grad_equation("ij->i", 0, (2, 3))
    ('i,j->ij', (('ones', 3),))
    """
    inputs, output = split_equation(equation)
    letters = inputs[k]
    fresh = iter(c for c in _LETTERS if c not in equation)
    elsewhere = set(output).union(*(s for j, s in enumerate(inputs) if j != k))
    out = []
    extra_subs = []
    constants = []
    for c, n in zip(letters, shape):
        if c in out:
            f = next(fresh)
            out.append(f)
            extra_subs.append(c + f)
            constants.append(("eye", n))
        else:
            out.append(c)
            if c not in elsewhere and letters.count(c) == 1:  # (a repeat's identity has c)
                extra_subs.append(c)
                constants.append(("ones", n))
    subs = [output] + [s for j, s in enumerate(inputs) if j != k] + extra_subs
    return ",".join(subs) + "->" + "".join(out), tuple(constants)


# ---------------------------------------------------------------------------
# Inverses, determinants, solves
# ---------------------------------------------------------------------------

class Inv(Function):
    op_name = "linalg_inv"

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.inv(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (inv,) = ctx.saved_tensors
        inv_t = _mT(xp, inv)
        return -xp.matmul(xp.matmul(inv_t, g), inv_t)


class Det(Function):
    op_name = "linalg_det"

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        a, det = ctx.saved_tensors
        g_mat = xp.expand_dims(xp.expand_dims(g, -1), -1)
        scale = xp.expand_dims(xp.expand_dims(g * det, -1), -1)
        singular = np.asarray(value(det) == 0)
        if not singular.any():
            return scale * _inv_t(xp, a)  # g det A^{-T}
        # Where det is exactly 0, A^{-T} does not exist but the gradient does: the
        # cofactor matrix, det of each (n-1) x (n-1) minor with its sign.
        mask = singular[..., None, None]
        regular = scale * _inv_t(xp, xp.where(mask, _eye(a.shape[-1], a), a))
        return xp.where(mask, g_mat * _cofactors(xp, a), regular)


class SlogDet(Function):
    """``(sign, log|det|)`` packed along a new first axis; the sign has no gradient."""

    op_name = "linalg_slogdet"

    @staticmethod
    def forward(ctx, a):
        sign, logabsdet = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        ctx.singular = np.asarray(sign == 0)
        return np.stack([sign, logabsdet])

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (a,) = ctx.saved_tensors
        scale = xp.expand_dims(xp.expand_dims(g[1], -1), -1)
        if not ctx.singular.any():
            return scale * _inv_t(xp, a)  # g A^{-T}
        # log|det| has no derivative at a singular matrix: cofactors / 0, +-inf (or nan)
        mask = ctx.singular[..., None, None]
        regular = _inv_t(xp, xp.where(mask, _eye(a.shape[-1], a), a))
        blow_up = np.where(mask, np.inf, 1.0).astype(value(a).dtype)  # finite off the mask
        with np.errstate(invalid="ignore"):
            return scale * xp.where(mask, _cofactors(xp, a) * blow_up, regular)


def _inv_t(xp: Any, a: Any) -> Any:
    """``A^{-T}``, by one solve."""
    return xp.solve(_mT(xp, a), _eye(a.shape[-1], a))


def _cofactors(xp: Any, a: Any) -> Any:
    """The cofactor matrix of each square matrix (the gradient of det), by minors."""
    n = a.shape[-1]
    keep = np.array([[j for j in range(n) if j != i] for i in range(n)]).reshape(n, n - 1)
    signs = ((-1.0) ** np.add.outer(np.arange(n), np.arange(n))).astype(value(a).dtype)
    return xp.det(a[..., keep[:, None, :, None], keep[None, :, None, :]]) * signs


class Solve(Function):
    """``X`` with ``A X = B`` for a batch of matrices ``B`` (batch dims broadcast)."""

    op_name = "linalg_solve"

    @staticmethod
    def forward(ctx, a, b):
        out = np.linalg.solve(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        a, x = ctx.saved_tensors
        gb = xp.solve(_mT(xp, a), g)
        ga = -xp.matmul(gb, _mT(xp, x)) if ctx.needs_input_grad[0] else None
        return ga, gb


class Pinv(Function):
    """The pseudo-inverse by SVD (or eigh for ``hermitian``), singular values at most
    ``max(atol, rtol * largest)`` dropped; the gradient holds where the rank is constant."""

    op_name = "linalg_pinv"

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        if hermitian:
            w, v = np.linalg.eigh(a)
            s = np.abs(w)
            cutoff = np.maximum(atol, rtol * s.max(axis=-1, initial=0.0))[..., None]
            inv_s = np.where(s > cutoff, 1 / np.where(s > cutoff, w, 1), 0).astype(a.dtype)
            out = np.matmul(v * inv_s[..., None, :], np.swapaxes(v, -1, -2))
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            cutoff = np.maximum(atol, rtol * s.max(axis=-1, initial=0.0))[..., None]
            inv_s = np.where(s > cutoff, 1 / np.where(s > cutoff, s, 1), 0).astype(a.dtype)
            out = np.matmul(np.swapaxes(vh, -1, -2) * inv_s[..., None, :],
                            np.swapaxes(u, -1, -2))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        # PyTorch's pinv_backward (Golub and Pereyra), in its two orders of products.
        xp = ctx.xp
        a, p = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        p_t, g_t = _mT(xp, p), _mT(xp, g)
        mm = xp.matmul
        if m <= n:
            k = mm(g_t, p)
            k_pt = mm(k, p_t)
            return (-_mT(xp, mm(p, k)) + k_pt - mm(mm(a, p), k_pt)
                    + mm(mm(p_t, p), g_t - mm(k, a)))
        k = mm(p, g_t)
        pt_k = mm(p_t, k)
        return (-_mT(xp, mm(k, p)) + mm(mm(g_t - mm(a, k), p), p_t) + pt_k
                - mm(mm(pt_k, p), a))


# ---------------------------------------------------------------------------
# Factorisations
# ---------------------------------------------------------------------------

class Cholesky(Function):
    """The lower factor ``L`` of ``A = L L^T`` (only A's lower triangle is read)."""

    op_name = "linalg_cholesky"

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.cholesky(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (low,) = ctx.saved_tensors
        n = low.shape[-1]
        lower = np.tril(np.ones((n, n), dtype=value(low).dtype))
        phi = xp.matmul(_mT(xp, low), g) * lower
        phi = (phi + _mT(xp, phi * (lower - _eye(n, low)))) * 0.5
        y = xp.solve(_mT(xp, low), phi)                   # L^{-T} Phi
        return _mT(xp, xp.solve(_mT(xp, low), _mT(xp, y)))  # ... L^{-1}


class Eigh(Function):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, packed."""

    op_name = "linalg_eigh"

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        n = a.shape[-1]
        ctx.shapes = ((n,), (n, n))
        out = pack((w, v), a.shape[:-2])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (out,) = ctx.saved_tensors
        w, v = unpack(out, ctx.shapes, xp)
        gw, gv = unpack(g, ctx.shapes, xp)
        eye = _eye(ctx.shapes[0][0], out)
        inner = xp.expand_dims(gw, -2) * eye
        if not _is_zero(gv):
            vt_gv = xp.matmul(_mT(xp, v), gv)
            gaps = xp.expand_dims(w, -2) - xp.expand_dims(w, -1) + eye  # w_j - w_i, 1 on diag
            inner = inner + (vt_gv - _mT(xp, vt_gv)) * 0.5 / gaps
        return xp.matmul(xp.matmul(v, inner), _mT(xp, v))


class Svd(Function):
    """``U, S, Vh`` with ``A = U diag(S) Vh``, packed."""

    op_name = "linalg_svd"

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        ctx.shapes = (u.shape[-2:], s.shape[-1:], vh.shape[-2:])
        ctx.full_matrices = full_matrices
        out = pack((u, s, vh), a.shape[:-2])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (out,) = ctx.saved_tensors
        u, s, vh = unpack(out, ctx.shapes, xp)
        gu, gs, gvh = unpack(g, ctx.shapes, xp)
        m, n = ctx.shapes[0][0], ctx.shapes[2][1]
        k = ctx.shapes[1][0]
        if ctx.full_matrices:  # only the first k columns of U and rows of Vh matter
            u, gu = u[..., :, :k], gu[..., :, :k]
            vh, gvh = vh[..., :k, :], gvh[..., :k, :]
        mm = xp.matmul
        eye = _eye(k, out)
        inner = xp.expand_dims(gs, -2) * eye
        use_u, use_v = not _is_zero(gu), not _is_zero(gvh)
        if not (use_u or use_v):
            return mm(mm(u, inner), vh)
        s2 = s * s
        gaps = xp.expand_dims(s2, -2) - xp.expand_dims(s2, -1) + eye  # s_j^2 - s_i^2
        s_row, s_col = xp.expand_dims(s, -2), xp.expand_dims(s, -1)
        if use_u:
            uhgu = mm(_mT(xp, u), gu)
            inner = inner + (uhgu - _mT(xp, uhgu)) * s_row / gaps
        if use_v:
            vhgv = mm(vh, _mT(xp, gvh))
            inner = inner + s_col * (vhgv - _mT(xp, vhgv)) / gaps
        if m > k and use_u:
            gu_s = gu / s_row
            ga = mm(u, inner) + gu_s - mm(u, mm(_mT(xp, u), gu_s))
            return mm(ga, vh)
        if n > k and use_v:
            s_gvh = gvh / s_col
            ga = mm(inner, vh) + s_gvh - mm(mm(s_gvh, _mT(xp, vh)), vh)
            return mm(u, ga)
        return mm(mm(u, inner), vh)


class Qr(Function):
    """``Q, R`` with ``A = Q R`` (Householder, as LAPACK), packed.

    ``mode`` is PyTorch's: ``"reduced"``, ``"complete"`` or ``"r"`` (Q is still
    computed here, for the error message PyTorch gives if R is differentiated).
    """

    op_name = "linalg_qr"

    @staticmethod
    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.shapes = (q.shape[-2:], r.shape[-2:])
        ctx.mode = mode
        out = pack((q, r), a.shape[:-2])
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (m, _), (_, n) = ctx.shapes
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and "
                "nrows > ncols.")
        xp = ctx.xp
        (out,) = ctx.saved_tensors
        q, r = unpack(out, ctx.shapes, xp)
        gq, gr = unpack(g, ctx.shapes, xp)
        if m >= n:
            return _qr_backward_tall(xp, q, r, gq, gr)
        # A = (B | X), R = (U | V): B = Q U is a square QR, and V = Q^T X.
        mm = xp.matmul
        u, v = r[..., :, :m], r[..., :, m:]
        gu, gv = gr[..., :, :m], gr[..., :, m:]
        x = mm(q, v)
        gb = _qr_backward_tall(xp, q, u, gq + mm(x, _mT(xp, gv)), gu)
        gx = mm(q, gv)
        shape = tuple(gb.shape[:-1]) + (n,)
        return (xp.scatter_add(gb, shape, (Ellipsis, slice(0, m)))
                + xp.scatter_add(gx, shape, (Ellipsis, slice(m, n))))


def _qr_backward_tall(xp: Any, q: Any, r: Any, gq: Any, gr: Any) -> Any:
    """``gA`` for ``A = Q R`` with ``m >= n``: ``(gQ + Q sym(triu(gR R^T - Q^T gQ))) R^{-T}``,
    ``sym`` copying the upper triangle onto the lower one."""
    n = r.shape[-1]
    upper = np.triu(np.ones((n, n), dtype=value(r).dtype))
    m_up = (xp.matmul(gr, _mT(xp, r)) - xp.matmul(_mT(xp, q), gq)) * upper
    sym = m_up + _mT(xp, m_up * (upper - _eye(n, r)))
    y = xp.matmul(q, sym) + gq
    return _mT(xp, xp.solve(r, _mT(xp, y)))  # Y R^{-T}


# ---------------------------------------------------------------------------
# Norms and distances
# ---------------------------------------------------------------------------

class VectorNorm(Function):
    """``(sum |x|^ord)^(1/ord)`` over ``axis``; ord 0 counts nonzeros, +-inf is max/min |x|.

    The gradient is PyTorch's: 0 where the norm is 0, and for ord < 1 also 0 at
    entries that are 0; for +-inf it is shared evenly by the entries that tie.
    """

    op_name = "linalg_vector_norm"

    @staticmethod
    def forward(ctx, x, ord, axis, keepdims):
        with np.errstate(divide="ignore"):  # a negative ord at a 0 entry: the norm is 0
            out = np.asarray(np.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims),
                             dtype=x.dtype)
        ctx.save_for_backward(x, out)
        ctx.ord, ctx.axis, ctx.keepdims = ord, axis, keepdims
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        x, norm = ctx.saved_tensors
        p = ctx.ord
        if p == 0:
            return xp.zeros_like(x)
        if not ctx.keepdims:
            kept = tuple(1 if i in ctx.axis else n for i, n in enumerate(x.shape))
            g = xp.reshape(g, kept)
            norm = xp.reshape(norm, kept)
        if p == 1:
            return xp.sign(x) * g
        if math.isinf(p):
            hit = np.asarray(np.abs(value(x)) == value(norm))
            share = (hit / hit.sum(axis=ctx.axis, keepdims=True)).astype(value(x).dtype)
            return xp.sign(x) * (g * share)
        zero = np.asarray(value(norm) == 0)
        safe = xp.where(zero, 1.0, norm)
        ax = xp.abs(x)
        if p < 1:
            x_zero = np.asarray(value(x) == 0)
            powered = xp.where(x_zero, 0.0, xp.where(x_zero, 1.0, ax) ** (p - 1))
            return xp.sign(x) * powered * g * norm ** (1 - p)
        scale = xp.where(zero, 0.0, g / safe ** (p - 1))
        if p == 2:
            return x * scale
        if p < 2:
            return xp.sign(x) * ax ** (p - 1) * scale
        return x * ax ** (p - 2) * scale


class Cdist(Function):
    """Distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M): (..., P, R).

    ``p == 2`` with ``use_mm`` computes ``|a|^2 + |b|^2 - 2 a.b`` with one matmul, as
    PyTorch does for more than 25 rows; otherwise the differences are formed. The
    gradient is PyTorch's direct one, 0 at a distance of 0.
    """

    @staticmethod
    def forward(ctx, x1, x2, p, use_mm):
        if p == 2 and use_mm:
            sq1 = np.sum(x1 * x1, axis=-1)[..., :, None]
            sq2 = np.sum(x2 * x2, axis=-1)[..., None, :]
            d2 = sq1 + sq2 - 2 * np.matmul(x1, np.swapaxes(x2, -1, -2))
            out = np.sqrt(np.maximum(d2, 0))
        else:
            diff = x1[..., :, None, :] - x2[..., None, :, :]
            out = np.linalg.vector_norm(diff, ord=p, axis=-1).astype(diff.dtype)
        ctx.p = p
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        x1, x2, d = ctx.saved_tensors
        p = ctx.p
        zero = np.asarray(value(d) == 0)
        if p == 0:
            return xp.zeros_like(x1), xp.zeros_like(x2)
        safe = xp.where(zero, 1.0, d)
        if p == 2:  # sum_j w_ij (x1_i - x2_j), w = g / d: two matmuls, no (P, R, M) array
            w = xp.where(zero, 0.0, g / safe)
            g1 = x1 * xp.sum(w, axis=-1, keepdims=True) - xp.matmul(w, x2)
            g2 = x2 * xp.expand_dims(xp.sum(w, axis=-2), -1) - xp.matmul(_mT(xp, w), x1)
            return g1, g2
        diff = x1[..., :, None, :] - x2[..., None, :, :]
        g_e = xp.expand_dims(g, -1)
        sign = xp.sign(diff)
        if p == 1:
            gdiff = sign * g_e
        elif math.isinf(p):
            hit = np.asarray(np.abs(value(diff)) == value(d)[..., None])
            gdiff = sign * g_e * hit.astype(value(d).dtype)
        else:
            drop = zero[..., None]
            ad = xp.abs(diff)
            if p < 1:
                drop = drop | np.asarray(value(diff) == 0)
                ad = xp.where(drop, 1.0, ad)
            scale = xp.expand_dims(xp.where(zero, 0.0, g / safe ** (p - 1)), -1)
            gdiff = xp.where(drop, 0.0, sign * ad ** (p - 1) * scale)
        return xp.sum(gdiff, axis=-2), -xp.sum(gdiff, axis=-3)
