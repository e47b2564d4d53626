"""Catalogue cases of ``nn.functional``: activations, normalization, distances, losses,
attention (issue 10, family "functional a").

Each case calls ``m.nn.functional.<name>`` on both libraries; op_catalogue sweeps it
with gradcheck, gradgradcheck, PyTorch parity (values, first and second order) and
float32 keeping. Ops whose PyTorch kernel has no second derivative (hardsigmoid,
the multi-class margin losses, embedding_bag, ctc_loss) are checked in
tests/test_functional_a.py instead: first order against PyTorch, second order by
gradgradcheck.
"""

from __future__ import annotations

import contextlib

import numpy as np

# (name, fn, shape sets, domains) of each case; op_catalogue turns them into its Cases
# when it reads CASES (importing op_catalogue here would be circular: it imports this file)
_SPECS: list = []


def _add(name, fn, shape_sets, domains=()):
    _SPECS.append((name, fn, shape_sets, domains))


def __getattr__(name):
    if name == "CASES":
        from op_catalogue import cases

        return [case for spec in _SPECS for case in cases(*spec)]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def F(m):
    return m.nn.functional


def const(m, array, like):
    """A constant tensor holding ``array``, in ``like``'s dtype (float) or as int64."""
    array = np.asarray(array)
    t = m.tensor(array)
    return t.to(like.dtype) if array.dtype.kind == "f" else t


# -- domains ---------------------------------------------------------------------------
# every kink of the piecewise ops below: central differences must not straddle one
_KINKS = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 6.0, -6.0, 0.3, -0.3,
                   1.5, -1.5])


def wide(rng, shape, dtype):
    """Distinct values in (-7, 7), at least 0.05 from every kink (and 0.02 apart)."""
    n = int(np.prod(shape))
    found: list = []
    while len(found) < n:
        v = rng.uniform(-7, 7)
        if np.abs(_KINKS - v).min() > 0.05 and all(abs(v - u) > 0.02 for u in found):
            found.append(v)
    return np.array(found).reshape(shape).astype(dtype)


def probabilities(rng, shape, dtype):
    """Rows (last dim) of positive values summing to 1."""
    p = rng.uniform(0.2, 1.0, shape)
    return (p / p.sum(-1, keepdims=True)).astype(dtype)


def unit(rng, shape, dtype):
    """Values in (0.1, 0.9)."""
    return rng.uniform(0.1, 0.9, shape).astype(dtype)


def small(rng, shape, dtype):
    """Standard normal values scaled by 0.7: attention scores of moderate size."""
    return (0.7 * rng.standard_normal(shape)).astype(dtype)


W = (wide,)
ACT = [[()], [(7,)], [(3, 4)], [(2, 3, 4)]]
ACT2 = [[(7,)], [(3, 4)]]

# -- activations ------------------------------------------------------------------------
_add("F.silu", lambda m, a: F(m).silu(a), ACT, W)
_add("F.softplus", lambda m, a: F(m).softplus(a), ACT, W)
_add("F.softplus_beta", lambda m, a: F(m).softplus(a, beta=2.5, threshold=5.0), ACT2, W)
_add("F.elu", lambda m, a: F(m).elu(a, alpha=0.7), ACT, W)
_add("F.selu", lambda m, a: F(m).selu(a), ACT2, W)
_add("F.celu", lambda m, a: F(m).celu(a, alpha=1.7), ACT2, W)
_add("F.mish", lambda m, a: F(m).mish(a), ACT, W)
_add("F.hardtanh", lambda m, a: F(m).hardtanh(a), ACT, W)
_add("F.hardtanh_bounds", lambda m, a: F(m).hardtanh(a, -2.0, 3.0), ACT2, W)
_add("F.relu6", lambda m, a: F(m).relu6(a), ACT2, W)
_add("F.hardswish", lambda m, a: F(m).hardswish(a), ACT, W)
_add("F.logsigmoid", lambda m, a: F(m).logsigmoid(a), ACT, W)
_add("F.logsigmoid_large", lambda m, a: F(m).logsigmoid(a * 40), ACT2, W)
_add("F.softsign", lambda m, a: F(m).softsign(a), ACT2, W)
_add("F.tanhshrink", lambda m, a: F(m).tanhshrink(a), ACT2, W)
_add("F.softshrink", lambda m, a: F(m).softshrink(a), ACT, W)
_add("F.softshrink_lambd", lambda m, a: F(m).softshrink(a, 1.5), ACT2, W)
_add("F.hardshrink", lambda m, a: F(m).hardshrink(a, lambd=1.0), ACT2, W)
_add("F.threshold", lambda m, a: F(m).threshold(a, 0.3, -2.0), ACT2, W)
_add("F.leaky_relu", lambda m, a: F(m).leaky_relu(a, 0.2), ACT2, W)
_add("F.rrelu_eval", lambda m, a: F(m).rrelu(a, 0.1, 0.4), ACT2, W)
_add("F.gelu_tanh", lambda m, a: F(m).gelu(a, approximate="tanh"), ACT2, W)
_add("F.prelu", lambda m, a, w: F(m).prelu(a, w), [[(2, 3, 4), (3,)], [(3, 4), (1,)]],
     (wide, "positive"))
_add("F.softmin", lambda m, a: F(m).softmin(a, dim=-1), [[(3, 4)], [(2, 3, 4)]])
_add("F.softmin_dim0", lambda m, a: F(m).softmin(a, 0), [[(3, 4)]])
_add("F.glu", lambda m, a: F(m).glu(a), [[(3, 4)], [(6,)]])
_add("F.glu_dim", lambda m, a: F(m).glu(a, dim=1), [[(2, 4, 3)]])

# -- normalization ----------------------------------------------------------------------
_add("F.normalize", lambda m, a: F(m).normalize(a), [[(3, 4)], [(2, 3, 4)]])
_add("F.normalize_p1_last", lambda m, a: F(m).normalize(a, p=1.0, dim=-1), [[(3, 4)]])
_add("F.normalize_p3", lambda m, a: F(m).normalize(a, p=3.0, dim=0), [[(3, 4)]])
_add("F.normalize_inf", lambda m, a: F(m).normalize(a, p=float("inf")), [[(3, 4)]])
_add("F.group_norm", lambda m, a, w, b: F(m).group_norm(a, 2, w, b),
     [[(2, 4, 3), (4,), (4,)], [(3, 6, 2, 2), (6,), (6,)]])
_add("F.group_norm_plain", lambda m, a: F(m).group_norm(a, 3, eps=1e-3), [[(2, 3, 5)]])
_add("F.instance_norm", lambda m, a, w, b: F(m).instance_norm(a, weight=w, bias=b),
     [[(2, 3, 4), (3,), (3,)], [(2, 2, 3, 2), (2,), (2,)]])
_add("F.rms_norm", lambda m, a, w: F(m).rms_norm(a, (4,), w, eps=1e-6), [[(3, 4), (4,)]])
_add("F.rms_norm_2d", lambda m, a: F(m).rms_norm(a, [3, 4]), [[(2, 3, 4)]])
_add("F.local_response_norm", lambda m, a: F(m).local_response_norm(a, 3, alpha=0.3, k=1.5),
     [[(2, 5, 3)], [(1, 4, 2, 3)]])
_add("F.local_response_norm_even", lambda m, a: F(m).local_response_norm(a, 2, beta=0.5),
     [[(2, 3, 4)]])

# -- bilinear form ---------------------------------------------------------------------
_add("F.bilinear", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c),
     [[(3, 2), (3, 4), (5, 2, 4), (5,)], [(2, 1, 3), (2, 1, 2), (2, 3, 2), (2,)]])
_add("F.bilinear_no_bias", lambda m, a, b, w: F(m).bilinear(a, b, w), [[(2,), (3,), (1, 2, 3)]])

# -- distances --------------------------------------------------------------------------
_add("F.cosine_similarity", lambda m, a, b: F(m).cosine_similarity(a, b),
     [[(3, 4), (3, 4)], [(2, 3, 4), (2, 3, 4)]])
_add("F.cosine_similarity_bcast", lambda m, a, b: F(m).cosine_similarity(a, b, dim=-1),
     [[(3, 4), (4,)], [(3, 1, 4), (2, 4)]])
_add("cosine_similarity_top", lambda m, a, b: m.cosine_similarity(a, b, 0), [[(3, 4), (3, 4)]])
_add("F.pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b),
     [[(3, 4), (3, 4)], [(4,), (2, 4)]])
_add("F.pairwise_distance_p1", lambda m, a, b: F(m).pairwise_distance(a, b, p=1.0, eps=0.0),
     [[(3, 4), (3, 4)]])
_add("F.pairwise_distance_p3", lambda m, a, b: F(m).pairwise_distance(a, b, 3.0, keepdim=True),
     [[(3, 4), (3, 4)]])
_add("F.pairwise_distance_inf", lambda m, a, b: F(m).pairwise_distance(a, b, float("inf")),
     [[(3, 4), (3, 4)]])
_add("pairwise_distance_top", lambda m, a, b: m.pairwise_distance(a, b), [[(3, 4), (3, 4)]])

# -- losses -----------------------------------------------------------------------------
LOSS = [[(3, 4), (3, 4)], [(5,), (5,)]]
_add("F.smooth_l1_loss", lambda m, a, b: F(m).smooth_l1_loss(a, b, beta=0.7), LOSS, (W + W))
_add("F.smooth_l1_loss_sum", lambda m, a, b: F(m).smooth_l1_loss(a, b, reduction="sum"),
     LOSS[:1], (W + W))
_add("F.smooth_l1_loss_beta0", lambda m, a, b: F(m).smooth_l1_loss(a, b, reduction="none",
                                                                   beta=0.0), LOSS[:1])
_add("F.huber_loss", lambda m, a, b: F(m).huber_loss(a, b, delta=1.5), LOSS, (W + W))
_add("F.huber_loss_weight", lambda m, a, b, w: F(m).huber_loss(a, b, "none", 0.8, w),
     [[(3, 4), (3, 4), (3, 4)]], (wide, wide, "positive"))
_add("F.kl_div_batchmean", lambda m, a, b: F(m).kl_div(a.log_softmax(-1), b,
                                                       reduction="batchmean"),
     [[(3, 4), (3, 4)]], ("real", probabilities))
_add("F.kl_div_sum", lambda m, a, b: F(m).kl_div(a, b, reduction="sum"), LOSS, ("real", unit))
_add("F.kl_div_log_target", lambda m, a, b: F(m).kl_div(a, b, reduction="none",
                                                        log_target=True), LOSS)
_add("F.poisson_nll_loss", lambda m, a, b: F(m).poisson_nll_loss(a, b), LOSS,
     ("real", "positive"))
_add("F.poisson_nll_loss_full", lambda m, a, b: F(m).poisson_nll_loss(a, b, log_input=False,
                                                                      full=True),
     LOSS, ("positive", "positive"))
_add("F.gaussian_nll_loss", lambda m, a, b, v: F(m).gaussian_nll_loss(a, b, v),
     [[(3, 4), (3, 4), (3, 4)], [(3, 4), (3, 4), (3, 1)], [(3, 4), (3, 4), (3,)]],
     ("real", "real", "positive"))
_add("F.gaussian_nll_loss_full", lambda m, a, b, v: F(m).gaussian_nll_loss(
    a, b, v, full=True, reduction="sum"), [[(2, 3), (2, 3), (2, 3)]], ("real", "real", unit))
_add("F.soft_margin_loss", lambda m, a: F(m).soft_margin_loss(
    a, const(m, [[1.0, -1.0, -1.0, 1.0]] * 3, a)), [[(3, 4)]], W)
_add("F.multilabel_soft_margin_loss", lambda m, a, w: F(m).multilabel_soft_margin_loss(
    a, const(m, [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]], a), w),
    [[(3, 4), (4,)]], (wide, "positive"))
_add("F.hinge_embedding_loss", lambda m, a: F(m).hinge_embedding_loss(
    a, const(m, [1, -1, -1, 1, -1], a), margin=2.0, reduction="none"), [[(5,)]], W)
_add("F.cosine_embedding_loss", lambda m, a, b: F(m).cosine_embedding_loss(
    a, b, const(m, [1, -1, -1], a), margin=-0.9), [[(3, 4), (3, 4)]])
_add("F.cosine_embedding_loss_1d", lambda m, a, b: F(m).cosine_embedding_loss(
    a, b, const(m, 1, a)), [[(4,), (4,)]])
_add("F.margin_ranking_loss", lambda m, a, b, t: F(m).margin_ranking_loss(
    a, b, t.sign(), margin=0.1, reduction="sum"), [[(5,), (5,), (5,)]])
_add("F.triplet_margin_loss", lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=3.0),
     [[(3, 4), (3, 4), (3, 4)]])
_add("F.triplet_margin_loss_swap", lambda m, a, p, n: F(m).triplet_margin_loss(
    a, p, n, margin=2.0, p=1, swap=True, reduction="none"), [[(3, 4), (3, 4), (3, 4)]])
_add("F.triplet_margin_with_distance_loss", lambda m, a, p, n: (
    F(m).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - F(m).cosine_similarity(x, y), margin=1.5)),
    [[(3, 4), (3, 4), (3, 4)]])
_add("F.l1_loss", lambda m, a, b: F(m).l1_loss(a, b), LOSS[:1])


# -- attention --------------------------------------------------------------------------
@contextlib.contextmanager
def _math_attention(m):
    """PyTorch's reference ("math") attention: its fused CPU kernel has no second
    derivative. chainrule has only this one."""
    if not m.is_torch:
        yield
        return
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel(SDPBackend.MATH):
        yield


def sdpa(m, *args, **kwargs):
    with _math_attention(m):
        return F(m).scaled_dot_product_attention(*args, **kwargs)


QKV = (small, small, small)
_add("F.sdpa", lambda m, q, k, v: sdpa(m, q, k, v),
     [[(2, 3, 4), (2, 5, 4), (2, 5, 3)], [(3, 2), (3, 2), (3, 2)]], QKV)
_add("F.sdpa_causal", lambda m, q, k, v: sdpa(m, q, k, v, is_causal=True),
     [[(2, 4, 3), (2, 4, 3), (2, 4, 2)], [(1, 4, 3), (1, 3, 3), (1, 3, 2)]], QKV)
_add("F.sdpa_bool_mask", lambda m, q, k, v: sdpa(
    m, q, k, v, attn_mask=m.tensor(np.array([[1, 0, 1, 1], [0, 0, 0, 0], [0, 1, 0, 1]],
                                            dtype=bool))),
    [[(2, 3, 2), (2, 4, 2), (2, 4, 3)]], QKV)
_add("F.sdpa_float_mask", lambda m, q, k, v, mask: sdpa(m, q, k, v, attn_mask=mask, scale=0.8),
     [[(2, 3, 2), (2, 4, 2), (2, 4, 3), (3, 4)]], QKV + (small,))
_add("F.sdpa_gqa", lambda m, q, k, v: sdpa(m, q, k, v, enable_gqa=True),
     [[(1, 4, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2)]], QKV)
_add("F.sdpa_large_scores", lambda m, q, k, v: sdpa(m, q * 30, k, v), [[(2, 3), (4, 3), (4, 2)]],
     QKV)
