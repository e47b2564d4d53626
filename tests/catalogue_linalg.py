"""Linear algebra cases of the op catalogue: products, einsum, solves, factorisations, norms.

Each case runs unchanged on chainrule and on torch (tests/op_catalogue.py sweeps it
with gradcheck, gradgradcheck, PyTorch parity at first and second order, and
float32). Inputs come from domains that keep each op away from its singular cases:
well-conditioned matrices for inverses and solves, well-separated spectra for
eigh and svd. Symmetric-input ops (cholesky, eigh) are given ``a + a^T`` or
``a a^T + c I``, so that central differences over every entry see the same
function that PyTorch's (symmetric) gradient describes. Eigenvectors and singular
vectors are compared through quantities that don't depend on their signs.
"""

from __future__ import annotations

import numpy as np
from op_catalogue import Case, cases

CASES: list = []


def _add(name, fn, shape_sets, domains=()):
    CASES.extend(cases(name, fn, shape_sets, domains))


# ---------------------------------------------------------------------------
# Domains
# ---------------------------------------------------------------------------

def _orthogonal(rng, batch, n):
    q, r = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def wellcond(rng, shape, dtype):
    """Square matrices ``n I + noise``: far from singular."""
    n = shape[-1]
    return (rng.uniform(-0.5, 0.5, shape) + n * np.eye(n)).astype(dtype)


def spread(rng, shape, dtype):
    """Matrices ``U diag(s) V^T`` with singular values 1, 1.7, 2.4, ... (well apart)."""
    m, n = shape[-2:]
    k = min(m, n)
    u = _orthogonal(rng, shape[:-2], m)[..., :, :k]
    v = _orthogonal(rng, shape[:-2], n)[..., :, :k]
    s = 1.0 + 0.7 * np.arange(k)[::-1]
    return (u * s[..., None, :] @ np.swapaxes(v, -1, -2)).astype(dtype)


def symmetric_spread(rng, shape, dtype):
    """Half of ``Q diag(w) Q^T`` with eigenvalues 1 apart and none near 0 (so that
    ``a + a^T`` has them)."""
    n = shape[-1]
    q = _orthogonal(rng, shape[:-2], n)
    w = np.arange(n) - (n - 1) / 2.0 + 0.3
    return (0.5 * (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)


def _sym(a):
    return a + a.mT


def _spd(m, a):
    n = a.shape[-1]
    eye = m.eye(n, dtype=m.float64 if m.dtype == np.float64 else m.float32)
    return a @ a.mT + eye * n


# ---------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------

_add("einsum_matmul", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [[(2, 3), (3, 4)]])
_add("einsum_batched", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), [[(2, 2, 3), (2, 3, 2)]])
_add("einsum_trace", lambda m, a: m.einsum("ii", a), [[(3, 3)]])
_add("einsum_diagonal", lambda m, a: m.einsum("ii->i", a), [[(3, 3)]])
_add("einsum_diag_mixed", lambda m, a, b: m.einsum("iij,jk->ik", a, b), [[(3, 3, 2), (2, 2)]])
_add("einsum_implicit", lambda m, a, b: m.einsum("ij,kj", a, b), [[(2, 3), (4, 3)]])
_add("einsum_transpose", lambda m, a: m.einsum("ij->ji", a), [[(2, 3)]])
_add("einsum_sum", lambda m, a: m.einsum("ijk->j", a), [[(2, 3, 2)]])
_add("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
     [[(2, 2, 3), (3, 2)], [(2, 1, 2, 3), (3, 3, 2)]])
_add("einsum_ellipsis_sum", lambda m, a: m.einsum("...ij->ij", a), [[(2, 2, 3)]])
_add("einsum_chain", lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c),
     [[(2, 3), (3, 4), (4, 2)]])
_add("einsum_bilinear", lambda m, x, w, y: m.einsum("bn,anm,bm->ba", x, w, y),
     [[(2, 3), (2, 3, 2), (2, 2)]])
_add("einsum_outer", lambda m, a, b: m.einsum("i,j->ij", a, b), [[(3,), (4,)]])
_add("einsum_dot", lambda m, a, b: m.einsum("i,i->", a, b), [[(3,), (3,)]])
_add("einsum_scalar", lambda m, a, b: m.einsum(",ij->ij", a, b), [[(), (2, 3)]])
_add("einsum_broadcast_label", lambda m, a, b: m.einsum("ij,ij->ij", a, b),
     [[(3, 1), (1, 4)]])
_add("einsum_same_operand", lambda m, a: m.einsum("ij,ij->i", a, a), [[(2, 3)]])
_add("einsum_list", lambda m, a, b: m.einsum("ij,jk", [a, b]), [[(2, 3), (3, 2)]])
_add("einsum_sublist", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]),
     [[(2, 3), (3, 2)]])
_add("einsum_spaces", lambda m, a, b: m.einsum(" i j , j -> i ", a, b), [[(2, 3), (3,)]])
_add("einsum_const", lambda m, a: m.einsum("ij,jk->ik", a, m.const((3, 2))), [[(2, 3)]])

# ---------------------------------------------------------------------------
# Vector and matrix products
# ---------------------------------------------------------------------------

_add("outer", lambda m, a, b: m.outer(a, b), [[(3,), (4,)]])
_add("outer_method", lambda m, a, b: a.outer(b), [[(2,), (3,)]])
_add("ger", lambda m, a, b: m.ger(a, b), [[(2,), (3,)]])
_add("dot", lambda m, a, b: m.dot(a, b), [[(4,), (4,)]])
_add("dot_method", lambda m, a, b: a.dot(b), [[(3,), (3,)]])
_add("vdot", lambda m, a, b: m.vdot(a, b), [[(3,), (3,)]])
_add("inner", lambda m, a, b: m.inner(a, b), [[(2, 3), (4, 3)], [(3,), (3,)], [(), (2, 3)]])
_add("mm", lambda m, a, b: m.mm(a, b), [[(2, 3), (3, 4)]])
_add("mm_method", lambda m, a, b: a.mm(b), [[(3, 2), (2, 2)]])
_add("bmm", lambda m, a, b: m.bmm(a, b), [[(2, 2, 3), (2, 3, 2)]])
_add("mv", lambda m, a, b: m.mv(a, b), [[(2, 3), (3,)]])
_add("addmm", lambda m, c, a, b: m.addmm(c, a, b),
     [[(2, 3), (2, 4), (4, 3)], [(3,), (2, 2), (2, 3)]])
_add("addmm_scaled", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2.0),
     [[(2, 1), (2, 3), (3, 2)]])
_add("addmm_beta0", lambda m, c, a, b: m.addmm(c, a, b, beta=0), [[(2, 2), (2, 3), (3, 2)]])
_add("addmm_method", lambda m, c, a, b: c.addmm(a, b, alpha=3), [[(2, 2), (2, 3), (3, 2)]])
_add("addmv", lambda m, c, a, b: m.addmv(c, a, b, beta=2.0), [[(2,), (2, 3), (3,)]])
_add("addr", lambda m, c, a, b: m.addr(c, a, b, beta=2.0, alpha=0.5), [[(2, 3), (2,), (3,)]])
_add("addr_method", lambda m, c, a, b: c.addr(a, b), [[(3,), (2,), (3,)]])
_add("addbmm", lambda m, c, a, b: m.addbmm(c, a, b, alpha=0.5), [[(2, 2), (3, 2, 2), (3, 2, 2)]])
_add("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b, beta=-1.0),
     [[(2, 1, 2), (2, 1, 3), (2, 3, 2)]])
_add("kron", lambda m, a, b: m.kron(a, b), [[(2, 3), (2, 2)], [(2,), (2, 1, 3)], [(), (2,)]])
_add("kron_method", lambda m, a, b: a.kron(b), [[(2,), (3,)]])
_add("tensordot", lambda m, a, b: m.tensordot(a, b), [[(2, 3, 2), (3, 2, 2)]])
_add("tensordot_dims", lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])),
     [[(3, 2, 2), (2, 2, 3)]])
_add("tensordot_int", lambda m, a, b: m.tensordot(a, b, dims=1), [[(2, 3), (3, 2)]])
_add("tensordot_outer", lambda m, a, b: m.tensordot(a, b, dims=0), [[(2,), (3,)]])
_add("matrix_power", lambda m, a: m.linalg.matrix_power(a, 3), [[(3, 3)], [(2, 2, 2)]],
     (wellcond,))
_add("matrix_power_one", lambda m, a: m.linalg.matrix_power(a, 1), [[(2, 2)]])
_add("matrix_power_negative", lambda m, a: m.linalg.matrix_power(a, -2), [[(3, 3)]],
     (wellcond,))
_add("matrix_power_method", lambda m, a: a.matrix_power(5), [[(2, 2)]], (wellcond,))
_add("multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
     [[(2, 3), (3, 4), (4, 2)], [(3,), (3, 2), (2, 4)], [(3,), (3, 2), (2,)]])
_add("chain_matmul", lambda m, a, b, c: m.chain_matmul(a, b, c), [[(2, 3), (3, 1), (1, 2)]])
_add("cdist_mm", lambda m, a, b: m.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
     [[(3, 2), (4, 2)], [(2, 3, 2), (1, 2, 2)]])
_add("linalg_cross", lambda m, a, b: m.linalg.cross(a, b), [[(2, 3), (2, 3)], [(2, 3), (1, 3)]])
_add("linalg_cross_dim", lambda m, a, b: m.linalg.cross(a, b, dim=0), [[(3, 2), (3, 2)]])
_add("cross", lambda m, a, b: m.cross(a, b, dim=1), [[(2, 3), (2, 3)]])
_add("cross_method", lambda m, a, b: a.cross(b, dim=-1), [[(3,), (3,)]])
_add("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), [[(2, 3), (3,)]])
_add("vecdot_dim", lambda m, a, b: m.linalg.vecdot(a, b, dim=0), [[(3, 2), (3, 2)]])
_add("linalg_diagonal", lambda m, a: m.linalg.diagonal(a), [[(2, 3, 3)], [(3, 4)]])
_add("linalg_diagonal_offset", lambda m, a: m.linalg.diagonal(a, offset=-1, dim1=0, dim2=2),
     [[(3, 2, 3)]])
_add("linalg_matmul", lambda m, a, b: m.linalg.matmul(a, b), [[(2, 3), (3,)]])

# ---------------------------------------------------------------------------
# Determinants, inverses, solves
# ---------------------------------------------------------------------------

_add("det", lambda m, a: m.linalg.det(a), [[(3, 3)], [(2, 2, 2)], [(1, 1)]], (wellcond,))
_add("det_method", lambda m, a: a.det(), [[(2, 2)]], (wellcond,))
_add("det_fn", lambda m, a: m.det(a), [[(3, 3)]], (wellcond,))
_add("slogdet", lambda m, a: m.linalg.slogdet(a).logabsdet, [[(3, 3)], [(2, 2, 2)]],
     (wellcond,))
_add("slogdet_negative", lambda m, a: m.linalg.slogdet(-a), [[(3, 3)]], (wellcond,))
_add("slogdet_method", lambda m, a: a.slogdet()[1], [[(2, 2)]], (wellcond,))
_add("logdet", lambda m, a: m.logdet(_spd(m, a)), [[(3, 3)]])
_add("inv", lambda m, a: m.linalg.inv(a), [[(3, 3)], [(2, 2, 2)]], (wellcond,))
_add("inverse", lambda m, a: a.inverse() + m.inverse(a), [[(2, 2)]], (wellcond,))
_add("solve", lambda m, a, b: m.linalg.solve(a, b),
     [[(3, 3), (3, 2)], [(3, 3), (3,)], [(2, 3, 3), (3, 2)], [(2, 3, 3), (2, 3)],
      [(1, 2, 2), (3, 2, 1)]], (wellcond,))
_add("solve_right", lambda m, a, b: m.linalg.solve(a, b, left=False),
     [[(3, 3), (2, 3)], [(2, 3, 3), (3, 3)]], (wellcond,))
_add("pinv", lambda m, a: m.linalg.pinv(a), [[(3, 2)], [(2, 3)], [(2, 3, 2)]], (spread,))
_add("pinv_hermitian", lambda m, a: m.linalg.pinv(_sym(a), hermitian=True), [[(3, 3)]],
     (symmetric_spread,))
_add("pinverse", lambda m, a: m.pinverse(a), [[(3, 2)]], (spread,))
_add("lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution,
     [[(4, 3), (4, 2)], [(4, 2), (4,)]], (spread,))

# ---------------------------------------------------------------------------
# Factorisations
# ---------------------------------------------------------------------------

_add("cholesky", lambda m, a: m.linalg.cholesky(_spd(m, a)), [[(3, 3)], [(2, 2, 2)]])
_add("cholesky_upper", lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True), [[(3, 3)]])
_add("cholesky_ex", lambda m, a: m.linalg.cholesky_ex(_spd(m, a)).L, [[(2, 2)]])
_add("inv_ex", lambda m, a: m.linalg.inv_ex(a).inverse, [[(2, 2)]], (wellcond,))
_add("qr", lambda m, a: m.linalg.qr(a), [[(4, 3)], [(3, 3)], [(2, 3, 2)]], (spread,))
_add("qr_wide", lambda m, a: m.linalg.qr(a), [[(2, 4)], [(2, 2, 3)]], (spread,))
_add("qr_complete_wide", lambda m, a: m.linalg.qr(a, mode="complete"), [[(2, 3)]], (spread,))
_add("qr_r_only", lambda m, a: m.linalg.qr(a).R, [[(3, 2)]], (spread,))
_add("eigh", lambda m, a: (lambda r: (r.eigenvalues, r.eigenvectors ** 2))(m.linalg.eigh(_sym(a))),
     [[(3, 3)], [(2, 4, 4)]], (symmetric_spread,))
_add("eigh_rebuild", lambda m, a: (lambda w, v: (v * w.exp().unsqueeze(-2)) @ v.mT)(
    *m.linalg.eigh(_sym(a))), [[(3, 3)]], (symmetric_spread,))
_add("eigh_upper", lambda m, a: m.linalg.eigh(_sym(a), UPLO="U").eigenvalues, [[(3, 3)]],
     (symmetric_spread,))
_add("eigvalsh", lambda m, a: m.linalg.eigvalsh(_sym(a)), [[(3, 3)], [(2, 2, 2)]],
     (symmetric_spread,))
_add("svd", lambda m, a: (lambda r: (r.U ** 2, r.S, r.Vh ** 2))(
    m.linalg.svd(a, full_matrices=False)), [[(3, 2)], [(2, 3)], [(3, 3)], [(2, 3, 2)]],
     (spread,))
_add("svd_full", lambda m, a: (lambda r: (r.U[..., :2] ** 2, r.S, r.Vh[..., :2, :] ** 2))(
    m.linalg.svd(a)), [[(3, 2)], [(2, 3)]], (spread,))
_add("svd_polar", lambda m, a: (lambda r: r.U @ r.Vh)(m.linalg.svd(a, full_matrices=False)),
     [[(3, 3)], [(3, 2)]], (spread,))
_add("svd_fn", lambda m, a: (lambda r: r[0] @ r[2].mT)(m.svd(a)), [[(3, 2)]], (spread,))
_add("svdvals", lambda m, a: m.linalg.svdvals(a), [[(3, 2)], [(2, 2, 3)]], (spread,))

# ---------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------

_add("vector_norm", lambda m, a: m.linalg.vector_norm(a), [[(5,)], [(2, 3)]])
_add("vector_norm_dim", lambda m, a: m.linalg.vector_norm(a, dim=1, keepdim=True),
     [[(2, 3)], [(2, 3, 2)]])
_add("vector_norm_dims", lambda m, a: m.linalg.vector_norm(a, ord=3, dim=(0, 2)), [[(2, 3, 2)]])
_add("vector_norm_1", lambda m, a: m.linalg.vector_norm(a, ord=1, dim=-1), [[(2, 3)]])
_add("vector_norm_half", lambda m, a: m.linalg.vector_norm(a, ord=0.5, dim=0), [[(3, 2)]])
_add("vector_norm_1_5", lambda m, a: m.linalg.vector_norm(a, ord=1.5), [[(4,)]])
_add("vector_norm_neg", lambda m, a: m.linalg.vector_norm(a, ord=-1, dim=1), [[(2, 3)]])
_add("vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, ord=float("inf"), dim=1),
     [[(2, 3)]])
_add("vector_norm_neg_inf", lambda m, a: m.linalg.vector_norm(a, ord=-float("inf")), [[(2, 3)]])
_add("vector_norm_0d", lambda m, a: m.linalg.vector_norm(a), [[()]])
for _ord in ("fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")):
    _add(f"matrix_norm_{_ord}", lambda m, a, o=_ord: m.linalg.matrix_norm(a, ord=o),
         [[(3, 2)], [(2, 2, 3)]], (spread,))
_add("matrix_norm_dim", lambda m, a: m.linalg.matrix_norm(a, ord=1, dim=(2, 0), keepdim=True),
     [[(3, 2, 2)]])
_add("matrix_norm_nuc_keepdim", lambda m, a: m.linalg.matrix_norm(a, "nuc", keepdim=True),
     [[(2, 3, 2)]], (spread,))
_add("linalg_norm", lambda m, a: m.linalg.norm(a), [[(2, 3)], [(2, 3, 2)]])
_add("linalg_norm_ord", lambda m, a: m.linalg.norm(a, ord=2), [[(3, 2)]], (spread,))
_add("linalg_norm_vector_ord", lambda m, a: m.linalg.norm(a, ord=3), [[(4,)]])
_add("linalg_norm_dim", lambda m, a: m.linalg.norm(a, ord=1, dim=1), [[(2, 3)]])
_add("linalg_norm_dims", lambda m, a: m.linalg.norm(a, dim=(0, 1)), [[(2, 3, 2)]])


# ---------------------------------------------------------------------------
# No gradient: compared on values and dtypes
# ---------------------------------------------------------------------------

NONDIFF_CASES = [
    Case("matrix_rank", lambda m, a: m.linalg.matrix_rank(a), ((3, 2),), (spread,)),
    Case("matrix_rank_batch", lambda m, a: m.linalg.matrix_rank(a @ a.mT), ((2, 3, 2),),
         (spread,)),
    Case("matrix_rank_hermitian", lambda m, a: m.linalg.matrix_rank(_sym(a), hermitian=True),
         ((3, 3),), (symmetric_spread,)),
    Case("lstsq_rank", lambda m, a, b: m.linalg.lstsq(a, b).rank, ((4, 3), (4, 2)),
         (spread,)),
]

# -- more of torch.linalg -------------------------------------------------------------
_add("solve_ex", lambda m, a, b: m.linalg.solve_ex(a, b).result, [[(3, 3), (3, 2)]],
     (wellcond,))
_add("solve_triangular", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
     [[(3, 3), (3, 2)], [(2, 3, 3), (3, 1)]], (wellcond,))
_add("solve_triangular_lower_right",
     lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False), [[(3, 3), (2, 3)]],
     (wellcond,))
_add("solve_triangular_unit",
     lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
     [[(3, 3), (3, 2)]], (wellcond,))
_add("cholesky_solve", lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(_spd(m, a))),
     [[(3, 2), (3, 3)]])
_add("cholesky_solve_upper",
     lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(_spd(m, a), upper=True), upper=True),
     [[(3, 2), (3, 3)]])
_add("cholesky_inverse", lambda m, a: m.cholesky_inverse(m.linalg.cholesky(_spd(m, a))),
     [[(3, 3)]])
_add("cond", lambda m, a: m.linalg.cond(a), [[(3, 3)], [(3, 2)]], (spread,))
_add("cond_minus_2", lambda m, a: m.linalg.cond(a, -2), [[(3, 3)]], (wellcond,))
_add("vander", lambda m, x: m.linalg.vander(x), [[(3,)], [(2, 3)]])
_add("vander_n", lambda m, x: m.linalg.vander(x, N=4), [[(2,)]])
_add("tensorinv", lambda m, a: m.linalg.tensorinv(a, ind=1), [[(4, 2, 2)]],
     (lambda rng, shape, dtype: wellcond(rng, (4, 4), dtype).reshape(shape),))
_add("tensorsolve", lambda m, a, b: m.linalg.tensorsolve(a, b), [[(2, 3, 6), (2, 3)]],
     (lambda rng, shape, dtype: wellcond(rng, (6, 6), dtype).reshape(shape),))
_add("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), [[(3, 3)], [(2, 2, 2)]])
_add("matrix_exp_large", lambda m, a: m.matrix_exp(a * 4), [[(3, 3)]])
_add("matrix_exp_method", lambda m, a: a.matrix_exp(), [[(2, 2)]])
