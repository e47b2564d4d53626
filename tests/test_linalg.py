"""Linear algebra: conventions at the edges, errors, and einsum against torch on random
equations.

The op catalogue (tests/catalogue_linalg.py) sweeps every op at well-conditioned
inputs; here are the cases it can't hold: singular and degenerate inputs, zero
norms and distances, ties, the ops PyTorch can't differentiate twice (cdist), the
outputs that carry no gradient, and what a user sees on a mistake.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.ops.contract import einsum as contract_einsum
from chainrule.tensor_methods.linalg import _chain_order

TOL = {"rtol": 1e-9, "atol": 1e-12}


def _pair(array):
    """The same float64 values as a chainrule leaf and a torch leaf."""
    a = np.array(array, dtype=np.float64)
    return cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _grads(fn_cr, fn_torch, *arrays, weights_seed=0):
    """Values and first gradients of sum(out * w) on both libraries."""
    pairs = [_pair(a) for a in arrays]
    ours = fn_cr(*[p[0] for p in pairs])
    theirs = fn_torch(*[p[1] for p in pairs])
    w = np.random.default_rng(weights_seed).standard_normal(tuple(ours.shape))
    g_ours = cr.grad((ours * cr.tensor(w)).sum(), [p[0] for p in pairs], allow_unused=True)
    g_theirs = torch.autograd.grad((theirs * torch.tensor(w)).sum(), [p[1] for p in pairs],
                                   allow_unused=True)
    return ours, theirs, g_ours, g_theirs


def _close(ours, theirs, **tol):
    tol = tol or TOL
    if theirs is None:
        assert ours is None or not np.any(ours.detach().numpy())
        return
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)


# ---------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------

@st.composite
def einsum_problems(draw):
    """A random valid equation (repeated letters, private letters, ellipses that
    broadcast, implicit or explicit output) with operand shapes."""
    letters = "abcde"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    n_ops = draw(st.integers(1, 3))
    use_ellipsis = draw(st.booleans())
    ell_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    terms, shapes = [], []
    for _ in range(n_ops):
        term = draw(st.lists(st.sampled_from(letters), min_size=0, max_size=3))
        shape = [sizes[c] for c in term]
        text = "".join(term)
        if use_ellipsis:
            k = draw(st.integers(0, len(ell_shape)))
            dims = list(ell_shape[len(ell_shape) - k:])
            dims = [1 if draw(st.booleans()) else n for n in dims]  # size-1 dims broadcast
            text = "..." + text
            shape = dims + shape
        terms.append(text)
        shapes.append(tuple(shape))
    used = sorted(set("".join(terms).replace(".", "")))
    if draw(st.booleans()):
        out = draw(st.permutations(used))
        out = out[:draw(st.integers(0, len(out)))]
        equation = ",".join(terms) + "->" + ("..." if use_ellipsis else "") + "".join(out)
    else:
        equation = ",".join(terms)
    return equation, shapes


@settings(max_examples=60, deadline=None)
@given(einsum_problems(), st.integers(0, 2 ** 16))
def test_einsum_matches_torch_on_random_equations(problem, seed):
    equation, shapes = problem
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours, theirs, g_ours, g_theirs = _grads(
        lambda *xs: cr.einsum(equation, *xs), lambda *xs: torch.einsum(equation, *xs), *arrays)
    assert ours.shape == tuple(theirs.shape), equation
    _close(ours, theirs)
    for a, b in zip(g_ours, g_theirs):
        _close(a, b)


@settings(max_examples=40, deadline=None)
@given(einsum_problems(), st.integers(0, 2 ** 16))
def test_einsum_kernel_matches_numpy(problem, seed):
    equation, shapes = problem
    if "..." in equation:
        equation = equation.replace("...", "")
        shapes = [s[len(s) - len(t):] if t else () for s, t in
                  zip(shapes, equation.split("->")[0].split(","))]
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    out = equation.split("->")[1] if "->" in equation else None
    if out is None:
        return  # the kernel takes explicit equations only (chainrule.einsum makes them so)
    np.testing.assert_allclose(contract_einsum(equation, *arrays), np.einsum(equation, *arrays),
                               rtol=1e-10, atol=1e-12)


def test_einsum_gradient_is_an_einsum_and_twice_differentiable():
    a = cr.tensor(np.arange(6.0).reshape(2, 3) / 7, requires_grad=True)
    b = cr.tensor(np.arange(12.0).reshape(3, 4) / 5, requires_grad=True)
    out = cr.einsum("ij,jk->ik", a, b)
    (ga,) = cr.grad((out * out).sum(), [a], create_graph=True)
    assert ga.grad_fn.name == "einsum"
    assert cr.gradgradcheck(lambda x, y: cr.einsum("ii,ij,jk->k", x @ x.T, x, y), [a, b])


def test_einsum_trace_gradient_is_the_identity():
    x = cr.tensor(np.ones((3, 3)), requires_grad=True)
    cr.einsum("ii", x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.eye(3))


@pytest.mark.parametrize("args, message", [
    (("ij,jk->ik", np.ones((2, 3))), "fewer operands"),
    (("ij", np.ones((2, 3)), np.ones(3)), "more operands"),
    (("ijk", np.ones((2, 3))), "number of subscripts in the equation (3) does not match"),
    (("ij->ii", np.ones((2, 3))), "output subscript i appears more than once"),
    (("ij->k", np.ones((2, 3))), "output subscript k does not appear"),
    (("ii->i", np.ones((2, 3))), "subscript i is repeated for operand 0"),
    (("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2))), "does not broadcast"),
    (("i1", np.ones((2, 3))), "subscripts must be in [a-zA-Z]"),
    (("i.j", np.ones((2, 3))), "not part of any ellipsis"),
])
def test_einsum_mistakes_give_one_clear_line(args, message):
    with pytest.raises(ValueError) as err:
        cr.einsum(*args)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_einsum_chain_keeps_batch_letters_and_broadcasts():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 1, 2, 3))
    y = rng.standard_normal((5, 3, 2))
    np.testing.assert_allclose(cr.einsum("...ij,...jk->...ik", x, y).numpy(),
                               np.einsum("...ij,...jk->...ik", x, y), rtol=1e-12)


# ---------------------------------------------------------------------------
# Products: shapes and mistakes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: cr.mm(cr.ones(3), cr.ones(3, 4)), "mm: input must be a matrix"),
    (lambda: cr.mm(cr.ones(2, 3), cr.ones(4, 4)), "cannot be multiplied (3 != 4)"),
    (lambda: cr.bmm(cr.ones(2, 2, 3), cr.ones(3, 3, 4)), "bmm: shapes"),
    (lambda: cr.mv(cr.ones(2, 3), cr.ones(4)), "mv: shapes"),
    (lambda: cr.dot(cr.ones(3), cr.ones(4)), "different sizes, 3 and 4"),
    (lambda: cr.outer(cr.ones(2, 3), cr.ones(4)), "outer: input must be a vector"),
    (lambda: cr.addmm(cr.ones(3, 3), cr.ones(2, 4), cr.ones(4, 3)), "does not broadcast"),
    (lambda: cr.tensordot(cr.ones(2, 3), cr.ones(4, 5), dims=1), "contracted dimensions"),
    (lambda: cr.linalg.cross(cr.ones(2, 4), cr.ones(2, 4)), "must have length 3"),
    (lambda: cr.linalg.cross(cr.ones(2, 3), cr.ones(4, 1, 3)), "same number of dimensions"),
    (lambda: cr.cdist(cr.ones(3, 4), cr.ones(5, 3)), "same number of columns"),
    (lambda: cr.cdist(cr.ones(4), cr.ones(5, 4)), "at least 2D"),
    (lambda: cr.cdist(cr.ones(3, 4), cr.ones(5, 4), p=-1), "non-negative p"),
    (lambda: cr.linalg.multi_dot([cr.ones(2, 3), cr.ones(4, 2)]), "cannot be multiplied"),
    (lambda: cr.ones(2, 3) @ cr.ones(2, 3), "not aligned"),
])
def test_product_mistakes_give_one_clear_line(call, message):
    with pytest.raises((ValueError, TypeError)) as err:
        call()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_addmm_with_beta_zero_ignores_nan_in_input():
    out = cr.addmm(cr.full((2, 2), float("nan")), cr.ones(2, 3), cr.ones(3, 2), beta=0)
    np.testing.assert_array_equal(out.numpy(), np.full((2, 2), 3.0))


@pytest.mark.parametrize("shape", [(2, 2), (2,)])
def test_addmm_with_beta_zero_keeps_input_in_the_graph_with_a_zero_gradient(shape):
    grads = []
    for lib in (cr, torch):
        x = lib.full(shape, float("nan"), requires_grad=True)
        out = lib.addmm(x, lib.ones(2, 3), lib.ones(3, 2), beta=0)
        assert out.requires_grad  # as PyTorch: backward through it works
        out.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], np.zeros(shape))


def test_matrix_power_zero_is_the_identity_and_negative_powers_invert():
    a = np.array([[2.0, 1.0], [0.5, 3.0]])
    np.testing.assert_array_equal(cr.linalg.matrix_power(cr.tensor(a), 0).numpy(), np.eye(2))
    np.testing.assert_allclose(cr.linalg.matrix_power(cr.tensor(a), -3).numpy(),
                               torch.linalg.matrix_power(torch.tensor(a), -3).numpy(), rtol=1e-12)


def test_multi_dot_multiplies_the_cheap_pair_first():
    # (10x100)(100x5)(5x50): (AB)C costs 7,500 multiplications, A(BC) 75,000
    assert _chain_order((10, 100, 5, 50))[0][2] == 1
    assert _chain_order((50, 5, 100, 10))[0][2] == 0


def test_cross_without_dim_takes_the_first_dim_of_size_3():
    a, b = np.arange(9.0).reshape(3, 3), np.arange(9.0).reshape(3, 3)[::-1].copy()
    ours = cr.cross(cr.tensor(a), cr.tensor(b))
    with pytest.warns(UserWarning):
        theirs = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------------
# cdist: PyTorch has no second derivative of its direct path, so first order here
# ---------------------------------------------------------------------------

X1 = [[0.0, 1.0], [2.0, 3.0], [1.0, 1.0]]
X2 = [[0.0, 1.0], [1.0, 1.0], [2.0, 3.5], [-1.0, 0.25]]


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 1.5, 0.5, 0.0, float("inf")])
def test_cdist_values_and_gradients_match_torch_with_zero_distances_and_ties(p):
    ours, theirs, g_ours, g_theirs = _grads(
        lambda a, b: cr.cdist(a, b, p=p), lambda a, b: torch.cdist(a, b, p=p), X1, X2)
    _close(ours, theirs)
    for a, b in zip(g_ours, g_theirs):
        _close(a, b)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 1.5, float("inf")])
def test_cdist_is_twice_differentiable(p):
    rng = np.random.default_rng(4)
    a = cr.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    b = cr.tensor(rng.standard_normal((1, 4, 2)), requires_grad=True)
    fn = lambda x, y: cr.cdist(x, y, p=p)  # noqa: E731
    assert cr.gradcheck(fn, [a, b], rtol=1e-6, atol=1e-8)
    assert cr.gradgradcheck(fn, [a, b], rtol=1e-6, atol=1e-8)


def test_cdist_matmul_path_agrees_with_the_direct_one_near_zero_distances():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((30, 3))
    b = np.concatenate([a[:4], rng.standard_normal((3, 3))])
    x = cr.tensor(a, requires_grad=True)
    d = cr.cdist(x, cr.tensor(b))  # 30 rows: the matmul path, as PyTorch's default
    np.testing.assert_allclose(d.detach().numpy(), cr.cdist(
        cr.tensor(a), cr.tensor(b), compute_mode="donot_use_mm_for_euclid_dist").numpy(),
        atol=1e-7)
    assert np.abs(np.diagonal(d.detach().numpy()[:4, :4])).max() < 1e-7  # cancellation, as torch
    d.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


# ---------------------------------------------------------------------------
# Norms at zero and at ties
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("ord", [2, 1, 3, 1.5, 0.5, -1, float("inf"), -float("inf"), 0])
@pytest.mark.parametrize("x", [[0.0, 0.0, 0.0], [1.0, -3.0, 3.0, 0.0], [1.0, -3.0, 2.0, 0.5]])
def test_vector_norm_gradient_matches_torch_at_zeros_and_ties(ord, x):
    ours, theirs, g_ours, g_theirs = _grads(
        lambda a: cr.linalg.vector_norm(a, ord=ord), lambda a: torch.linalg.vector_norm(a, ord),
        x)
    _close(ours, theirs)
    _close(g_ours[0], g_theirs[0])


def test_vector_norm_dtype_and_its_mistakes():
    x = cr.tensor([3.0, 4.0])
    assert cr.linalg.vector_norm(x, dtype=cr.float64).dtype == np.float64
    with pytest.raises(TypeError, match="Expected a floating point"):
        cr.linalg.vector_norm(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="without narrowing"):
        cr.linalg.vector_norm(x.double(), dtype=cr.float32)


@pytest.mark.parametrize("call, message", [
    (lambda: cr.linalg.matrix_norm(cr.ones(2, 2), ord=3), "Order 3 not supported"),
    (lambda: cr.linalg.matrix_norm(cr.ones(2)), "at least 2 dimensions"),
    (lambda: cr.linalg.norm(cr.ones(2, 2, 2), ord=1), "input must be 1D or 2D"),
    (lambda: cr.linalg.norm(cr.ones(2, 2), ord="fro", dim=0), "matrix norm"),
])
def test_norm_mistakes_give_one_clear_line(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------
# Determinants and inverses at singular matrices
# ---------------------------------------------------------------------------

SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]]


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    a = cr.tensor(SINGULAR, dtype=cr.float64, requires_grad=True)
    t = torch.tensor(SINGULAR, dtype=torch.float64, requires_grad=True)
    (ours,) = cr.grad(cr.linalg.det(a), [a])
    # PyTorch's differentiable (create_graph) path gives the cofactors there too
    (theirs,) = torch.autograd.grad(torch.linalg.det(t), [t], create_graph=True)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    # second order, through the cofactors (central differences would step off the
    # singular set, where det A^{-T} is ill-conditioned)
    w = np.random.default_rng(0).standard_normal((3, 3))
    (g1,) = cr.grad(cr.linalg.det(a), [a], create_graph=True)
    (h,) = cr.grad((g1 * cr.tensor(w)).sum(), [a])
    (h_t,) = torch.autograd.grad((theirs * torch.tensor(w)).sum(), [t])
    np.testing.assert_allclose(h.numpy(), h_t.numpy(), rtol=1e-10, atol=1e-12)


def test_det_of_a_batch_with_one_singular_matrix():
    batch = np.stack([np.array(SINGULAR), np.eye(3) * 2 + 0.1])
    a = cr.tensor(batch, requires_grad=True)
    t = torch.tensor(batch, requires_grad=True)
    (ours,) = cr.grad(cr.linalg.det(a).sum(), [a], create_graph=True)
    (theirs,) = torch.autograd.grad(torch.linalg.det(t).sum(), [t], create_graph=True)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    (second,) = cr.grad((ours * ours).sum(), [a])
    (second_t,) = torch.autograd.grad((theirs * theirs).sum(), [t])
    np.testing.assert_allclose(second.numpy(), second_t.numpy(), atol=1e-10)


def test_slogdet_sign_and_logdet_of_negative_and_zero_determinants():
    a = np.array([[[0.0, 1.0], [1.0, 0.0]], [[2.0, 0.0], [0.0, 3.0]], [[1.0, 2.0], [2.0, 4.0]]])
    sign, logabsdet = cr.linalg.slogdet(cr.tensor(a))
    ref = torch.linalg.slogdet(torch.tensor(a))
    np.testing.assert_array_equal(sign.numpy(), ref.sign.numpy())
    np.testing.assert_allclose(logabsdet.numpy(), ref.logabsdet.numpy())
    np.testing.assert_allclose(cr.logdet(cr.tensor(a)).numpy(),
                               torch.logdet(torch.tensor(a)).numpy())
    assert type(cr.slogdet(cr.tensor(a))).__name__ == "slogdet"


@pytest.mark.parametrize("call, error, message", [
    (lambda: cr.linalg.inv(cr.tensor(SINGULAR)), RuntimeError, "singular"),
    (lambda: cr.linalg.inv(cr.ones(2, 3)), ValueError, "2 by 3 matrices"),
    (lambda: cr.linalg.inv(cr.ones(3)), ValueError, ">= 2 dims"),
    (lambda: cr.linalg.inv(cr.tensor([[1, 2], [3, 4]])), TypeError, "floating-point"),
    (lambda: cr.linalg.det(cr.ones(2, 3)), ValueError, "square"),
    (lambda: cr.linalg.solve(cr.tensor(SINGULAR), cr.ones(3)), RuntimeError, "singular"),
    (lambda: cr.linalg.solve(cr.eye(3), cr.ones(2, 3)), ValueError, "AX = B (3x3 and 2x3)"),
    (lambda: cr.linalg.solve(cr.eye(3), cr.ones(3), left=False), ValueError, "XA = B"),
    (lambda: cr.linalg.cholesky(-cr.eye(3)), RuntimeError, "minor of order 1"),
    (lambda: cr.linalg.cholesky(cr.tensor([[[1.0, 0], [0, 1]], [[1.0, 2], [2, 1]]])),
     RuntimeError, "order 2 of matrix 1 of the batch"),
    (lambda: cr.linalg.qr(cr.ones(2, 2), mode="thin"), ValueError, "mode must be"),
    (lambda: cr.linalg.eigh(cr.ones(2, 2), UPLO="X"), ValueError, "UPLO"),
    (lambda: cr.linalg.svd(cr.ones(3)), ValueError, "matrix"),
])
def test_decomposition_mistakes_give_one_clear_line(call, error, message):
    with pytest.raises(error) as err:
        call()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_inv_ex_and_cholesky_ex_report_info_as_lapack():
    batch = np.stack([np.array(SINGULAR), np.eye(3) + 0.1,
                      np.array([[1.0, 1, 1], [1, 1, 1], [1, 1, 2.0]])])
    ours = cr.linalg.inv_ex(cr.tensor(batch))
    theirs = torch.linalg.inv_ex(torch.tensor(batch))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    np.testing.assert_allclose(ours.inverse.numpy()[1], theirs.inverse.numpy()[1])
    spd = np.stack([np.eye(3) * 2, np.diag([1.0, -1.0, 1.0]), np.array(SINGULAR)])
    ours = cr.linalg.cholesky_ex(cr.tensor(spd))
    theirs = torch.linalg.cholesky_ex(torch.tensor(spd))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    np.testing.assert_allclose(ours.L.numpy()[0], theirs.L.numpy()[0])
    with pytest.raises(RuntimeError, match="not positive-definite"):
        cr.linalg.cholesky_ex(cr.tensor(spd), check_errors=True)


def test_solve_broadcasts_batches_and_vectors_as_torch():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 1, 3, 3)) + 3 * np.eye(3)
    for b_shape in [(3,), (4, 3, 2), (2, 1, 3), (5, 3, 1)]:
        b = rng.standard_normal(b_shape)
        ours, theirs, g_ours, g_theirs = _grads(cr.linalg.solve, torch.linalg.solve, a, b)
        assert ours.shape == tuple(theirs.shape), b_shape
        _close(ours, theirs)
        for x, y in zip(g_ours, g_theirs):
            _close(x, y)


# ---------------------------------------------------------------------------
# Spectral decompositions: conventions and degenerate spectra
# ---------------------------------------------------------------------------

def test_eigh_gradient_is_pytorchs_symmetric_one():
    rng = np.random.default_rng(3)
    s = rng.standard_normal((4, 4))
    s = s + s.T
    w = rng.standard_normal((4, 4))
    fn_cr = lambda a: (cr.linalg.eigh(a).eigenvectors ** 2 * cr.tensor(w)).sum()  # noqa: E731
    fn_t = lambda a: (torch.linalg.eigh(a).eigenvectors ** 2 * torch.tensor(w)).sum()  # noqa: E731
    ours, theirs, g_ours, g_theirs = _grads(fn_cr, fn_t, s)
    _close(g_ours[0], g_theirs[0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(g_ours[0].numpy(), g_ours[0].numpy().T, atol=1e-12)


def test_eigenvalue_and_singular_value_gradients_stay_finite_at_repeated_values():
    a = cr.tensor(np.eye(3), requires_grad=True)
    cr.linalg.eigvalsh(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3), atol=1e-12)
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]  # all s = 1
    b = cr.tensor(q, requires_grad=True)
    cr.linalg.svdvals(b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), q, atol=1e-12)  # U Vh
    m = cr.tensor(q, requires_grad=True)
    cr.linalg.matrix_norm(m, "nuc").backward()
    assert np.isfinite(m.grad.numpy()).all()


def test_svd_full_matrices_gradient_ignores_the_extra_columns_as_torch():
    a = np.array([[3.0, 1.0], [1.0, 2.0], [0.5, -1.0]])
    ours, theirs, g_ours, g_theirs = _grads(
        lambda x: (cr.linalg.svd(x).U ** 2).sum(-1), lambda x: (torch.linalg.svd(x).U ** 2).sum(-1),
        a)
    _close(g_ours[0], g_theirs[0], rtol=1e-8, atol=1e-10)


def test_qr_mode_r_and_complete_tall_cannot_be_differentiated_as_torch():
    a = cr.tensor(np.arange(6.0).reshape(3, 2) + np.eye(3, 2), requires_grad=True)
    q, r = cr.linalg.qr(a, mode="r")
    assert q.shape == (0,)
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()
    q, r = cr.linalg.qr(a, mode="complete")
    assert q.shape == (3, 3) and r.shape == (3, 2)
    with pytest.raises(RuntimeError, match="nrows > ncols"):
        q.sum().backward()


def test_torch_svd_gives_v_not_vh():
    a = np.array([[3.0, 1.0], [1.0, 2.0], [0.5, -1.0]])
    u, s, v = cr.svd(cr.tensor(a))
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ v.numpy().T, a, atol=1e-12)
    u0, s0, v0 = cr.svd(cr.tensor(a), compute_uv=False)
    assert u0.shape == (3, 3) and v0.shape == (2, 2) and not u0.numpy().any()


# ---------------------------------------------------------------------------
# pinv, matrix_rank, lstsq: tolerances and outputs as PyTorch's
# ---------------------------------------------------------------------------

RANK2 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])


@pytest.mark.parametrize("kwargs", [{}, {"atol": 0.5}, {"rtol": 0.3}, {"hermitian": False},
                                    {"atol": 1e-3, "rtol": 0.2}])
def test_pinv_and_matrix_rank_tolerances_match_torch(kwargs):
    np.testing.assert_allclose(cr.linalg.pinv(cr.tensor(RANK2), **kwargs).numpy(),
                               torch.linalg.pinv(torch.tensor(RANK2), **kwargs).numpy(),
                               atol=1e-12)
    assert cr.linalg.matrix_rank(cr.tensor(RANK2), **kwargs).item() == \
        torch.linalg.matrix_rank(torch.tensor(RANK2), **kwargs).item()
    assert cr.linalg.matrix_rank(cr.tensor(RANK2)).dtype == np.int64


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
def test_lstsq_outputs_follow_the_driver_as_torch(driver):
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    ours = cr.linalg.lstsq(cr.tensor(a), cr.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    for x, y in zip(ours, theirs):
        assert x.shape == tuple(y.shape)
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-9, atol=1e-12)


def test_lstsq_of_a_rank_deficient_matrix_is_the_minimum_norm_solution():
    b = np.arange(4.0)
    ours = cr.linalg.lstsq(cr.tensor(RANK2), cr.tensor(b), driver="gelsd")
    theirs = torch.linalg.lstsq(torch.tensor(RANK2), torch.tensor(b), driver="gelsd")
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), atol=1e-10)
    assert ours.rank.item() == theirs.rank.item() == 2


# ---------------------------------------------------------------------------
# Broadcasting of the batched ops, against torch
# ---------------------------------------------------------------------------

@st.composite
def broadcasting_batches(draw):
    """Two batch shapes that broadcast: size-1 dims and missing leading dims."""
    full = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    pick = [[n if draw(st.booleans()) else 1 for n in full] for _ in range(2)]
    cut = [draw(st.integers(0, len(full))) for _ in range(2)]
    return tuple(pick[0][cut[0]:]), tuple(pick[1][cut[1]:])


@settings(max_examples=25, deadline=None)
@given(broadcasting_batches(), st.integers(0, 2 ** 16))
def test_batched_factorisations_and_products_broadcast_as_torch(batches, seed):
    b1, b2 = batches
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(b1 + (3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal(b2 + (3, 2))
    for fn_cr, fn_t in [(cr.matmul, torch.matmul),
                        (cr.linalg.solve, torch.linalg.solve),
                        (lambda x, y: cr.cdist(x, y.mT), lambda x, y: torch.cdist(x, y.mT))]:
        ours, theirs, g_ours, g_theirs = _grads(fn_cr, fn_t, a, b)
        assert ours.shape == tuple(theirs.shape)
        _close(ours, theirs, rtol=1e-8, atol=1e-10)
        for x, y in zip(g_ours, g_theirs):
            _close(x, y, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------
# More of torch.linalg
# ---------------------------------------------------------------------------

COND = np.array([[3.0, 1.0, 0.5], [0.2, 4.0, 1.0], [0.1, 0.3, 2.0]])


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, float("inf"), -float("inf")])
def test_cond_matches_torch(p):
    np.testing.assert_allclose(cr.linalg.cond(cr.tensor(COND), p).numpy(),
                               torch.linalg.cond(torch.tensor(COND), p).numpy(), rtol=1e-12)
    a = cr.tensor(COND, requires_grad=True)
    # PyTorch can't differentiate its own cond for the norms that use inv (an in-place
    # write in its inv_ex); ours is checked against central differences instead
    assert cr.gradcheck(lambda x: cr.linalg.cond(x, p), [a], rtol=1e-6, atol=1e-8)


def test_solve_ex_reports_singular_matrices_as_torch():
    batch = np.stack([np.array(SINGULAR), np.eye(3) + 0.1])
    b = np.ones((2, 3))
    ours = cr.linalg.solve_ex(cr.tensor(batch), cr.tensor(b))
    theirs = torch.linalg.solve_ex(torch.tensor(batch), torch.tensor(b))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    np.testing.assert_allclose(ours.result.numpy()[1], theirs.result.numpy()[1])
    assert np.isnan(ours.result.numpy()[0]).all()


def test_solve_triangular_reads_one_triangle_and_gives_it_the_gradient():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((3, 3)) + 3 * np.eye(3), rng.standard_normal((3, 2))
    ours, theirs, g_ours, g_theirs = _grads(
        lambda x, y: cr.linalg.solve_triangular(x, y, upper=True),
        lambda x, y: torch.linalg.solve_triangular(x, y, upper=True), a, b)
    _close(ours, theirs)
    _close(g_ours[0], g_theirs[0])
    assert not np.tril(g_ours[0].numpy(), -1).any()


@pytest.mark.parametrize("scale", [0.01, 0.5, 3.0, 40.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matrix_exp_matches_torch_across_pade_degrees_and_squarings(scale, dtype):
    a = (np.random.default_rng(8).standard_normal((2, 4, 4)) * scale).astype(dtype)
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    pairs = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = cr.linalg.matrix_exp(pairs[0]), torch.linalg.matrix_exp(pairs[1])
    assert ours.dtype == dtype
    scale_out = np.abs(theirs.detach().numpy()).max()
    np.testing.assert_allclose(ours.detach().numpy() / scale_out,
                               theirs.detach().numpy() / scale_out, **tol)
    ours.sum().backward()
    theirs.sum().backward()
    scale_grad = np.abs(pairs[1].grad.numpy()).max()
    np.testing.assert_allclose(pairs[0].grad.numpy() / scale_grad,
                               pairs[1].grad.numpy() / scale_grad, **tol)


@pytest.mark.parametrize("call, message", [
    (lambda: cr.linalg.tensorinv(cr.ones(2, 3, 4), ind=1), "prod(self.shape[ind:])"),
    (lambda: cr.linalg.tensorinv(cr.ones(2, 2), ind=0), "strictly positive"),
    (lambda: cr.linalg.tensorsolve(cr.ones(2, 3, 4), cr.ones(2, 3)), "square system"),
    (lambda: cr.linalg.cond(cr.eye(2), p=3), "Order 3 not supported"),
    (lambda: cr.linalg.solve_triangular(cr.eye(2), cr.ones(2), upper=True), "B must be a matrix"),
])
def test_more_linalg_mistakes_give_one_clear_line(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)


def test_slogdet_gradient_at_a_singular_matrix_is_infinite_not_an_error():
    batch = np.stack([np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[2.0, 1.0], [0.0, 3.0]])])
    a = cr.tensor(batch, requires_grad=True)
    cr.linalg.slogdet(a).logabsdet.sum().backward()
    assert np.isinf(a.grad.numpy()[0]).all()
    np.testing.assert_allclose(a.grad.numpy()[1], np.linalg.inv(batch[1]).T)


# ---------------------------------------------------------------------------
# float32 end to end: LAPACK's single-precision routines, against torch's
# ---------------------------------------------------------------------------

def _spd32(m, a):
    return a @ a.mT + 3 * m.eye(3, dtype=a.dtype)


FLOAT32_CASES = {
    "det": lambda m, a: m.linalg.det(a),
    "inv": lambda m, a: m.linalg.inv(a),
    "solve": lambda m, a: m.linalg.solve(a, a[..., :1] * 2 + 1),
    "cholesky": lambda m, a: m.linalg.cholesky(_spd32(m, a)),
    "eigh": lambda m, a: m.linalg.eigh(a + a.mT).eigenvectors ** 2,
    "eigvalsh": lambda m, a: m.linalg.eigvalsh(a + a.mT),
    "svd": lambda m, a: m.linalg.svd(a).S + (m.linalg.svd(a).U ** 2).sum(-1),
    "qr": lambda m, a: m.linalg.qr(a).R,
    "pinv": lambda m, a: m.linalg.pinv(a),
    "matrix_exp": lambda m, a: m.linalg.matrix_exp(a),
    "nuclear_norm": lambda m, a: m.linalg.matrix_norm(a, "nuc"),
    "einsum": lambda m, a: m.einsum("bij,bjk->bik", a, a),
    "cdist": lambda m, a: m.cdist(a, a * 0.5 + 1),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CASES))
def test_float32_values_and_gradients_match_torch(name):
    a = np.array([[[3.0, 1.0, 0.5], [0.2, 4.0, 1.0], [0.1, 0.3, 2.0]],
                  [[2.0, -1.0, 0.0], [0.5, 3.0, -0.5], [1.0, 0.0, 5.0]]], dtype=np.float32)
    fn = FLOAT32_CASES[name]
    ours_x, theirs_x = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = fn(cr, ours_x), fn(torch, theirs_x)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-5,
                               atol=2e-5)
    w = np.random.default_rng(0).standard_normal(ours.shape).astype(np.float32)
    (ours * cr.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    assert ours_x.grad.dtype == np.float32
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-4, atol=1e-4)
