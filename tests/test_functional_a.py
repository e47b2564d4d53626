"""nn.functional, family "a" (activations, normalization, dropout, sparse, losses, distances,
attention): what the op catalogue cannot sweep.

- PyTorch's conventions at the kinks (values, gradients, second derivatives);
- ops whose PyTorch kernel has no second derivative (hardsigmoid, the multi-class margin
  losses, embedding_bag, ctc_loss): first order against PyTorch, second order by
  gradgradcheck;
- random ops (dropout family, rrelu in training, attention dropout): statistics and seeds;
- in-place forms, running statistics, renormalised embeddings, warnings and errors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_catalogue import FLOAT64_TOL

import chainrule as cr
import chainrule.nn.functional as F

LIBS = ((cr, F), (torch, TF))


def _grad(m):
    return torch.autograd.grad if m is torch else cr.grad


def _np(t):
    return t.detach().numpy()


def first_order(fn, *arrays, seed=3):
    """fn(F, m, *tensors) on both libraries: (values, gradients) of each, as arrays."""
    results = []
    for m, lib in LIBS:
        xs = [m.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(lib, m, *xs)
        v = np.random.default_rng(seed).standard_normal(tuple(out.shape))
        grads = _grad(m)((out * m.tensor(v.astype(arrays[0].dtype))).sum(), xs,
                         allow_unused=True)
        results.append((_np(out), [np.zeros(a.shape) if g is None else _np(g)
                                   for g, a in zip(grads, arrays)]))
    return results


def assert_first_order(fn, *arrays, rtol=1e-9, atol=1e-12):
    (out_c, grads_c), (out_t, grads_t) = first_order(fn, *arrays)
    np.testing.assert_allclose(out_c, out_t, rtol=rtol, atol=atol)
    for a, b in zip(grads_c, grads_t):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def assert_twice_differentiable(fn, *arrays):
    xs = [cr.tensor(a.copy(), requires_grad=True) for a in arrays]
    g = lambda *ts: fn(F, cr, *ts)  # noqa: E731
    assert cr.gradcheck(g, xs, **FLOAT64_TOL)
    assert cr.gradgradcheck(g, xs, **FLOAT64_TOL)


# ---------------------------------------------------------------------------
# Kinks: values, gradients and second derivatives exactly where PyTorch puts them
# ---------------------------------------------------------------------------

KINK_POINTS = np.array([-50.0, -6.0, -3.0, -1.0, -0.5, -0.25, 0.0, 1e-9, 0.25, 0.5, 1.0, 3.0,
                        6.0, 19.0, 20.0, 21.0, 50.0, 800.0, -800.0])

PIECEWISE = {
    "relu": lambda f, x: f.relu(x),
    "relu6": lambda f, x: f.relu6(x),
    "hardtanh": lambda f, x: f.hardtanh(x),
    "hardtanh_bounds": lambda f, x: f.hardtanh(x, -0.5, 3.0),
    "hardswish": lambda f, x: f.hardswish(x),
    "hardsigmoid": lambda f, x: f.hardsigmoid(x),
    "leaky_relu": lambda f, x: f.leaky_relu(x, 0.2),
    "rrelu_eval": lambda f, x: f.rrelu(x),
    "threshold": lambda f, x: f.threshold(x, 0.25, -7.0),
    "softshrink": lambda f, x: f.softshrink(x, 0.5),
    "hardshrink": lambda f, x: f.hardshrink(x, 1.0),
    "elu": lambda f, x: f.elu(x, 0.3),
    "selu": lambda f, x: f.selu(x),
    "celu": lambda f, x: f.celu(x, 2.5),
    "softplus": lambda f, x: f.softplus(x),
    "softplus_beta": lambda f, x: f.softplus(x, 2.0, 10.0),
    "logsigmoid": lambda f, x: f.logsigmoid(x),
    "silu": lambda f, x: f.silu(x),
    "mish": lambda f, x: f.mish(x),
    "softsign": lambda f, x: f.softsign(x),
    "prelu": lambda f, x: f.prelu(x, x.new_tensor([0.3]) if hasattr(x, "new_tensor")
                                  else cr.tensor([0.3], dtype=cr.float64)),
}
# PyTorch has no second derivative of hardsigmoid; mish's second derivative differs
# by rounding (1e-14) at 19 and PyTorch's is NaN at 800 (inf * 0 in its formula)
NO_TORCH_SECOND = {"hardsigmoid", "mish"}


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_kinks_follow_torch(name):
    fn = PIECEWISE[name]
    results = []
    for m, lib in LIBS:
        x = m.tensor(KINK_POINTS.copy(), requires_grad=True)
        y = fn(lib, x)
        (g,) = _grad(m)(y.sum(), x, create_graph=True)
        if name in NO_TORCH_SECOND and m is torch:
            h = None
        elif g.requires_grad:
            (h,) = _grad(m)((g * g).sum(), x, allow_unused=True)
        else:
            h = None
        results.append((_np(y), _np(g), None if h is None else _np(h)))
    (y_c, g_c, h_c), (y_t, g_t, h_t) = results
    np.testing.assert_allclose(y_c, y_t, rtol=1e-13, atol=0)
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, even in float64
    np.testing.assert_allclose(g_c, g_t, rtol=1e-7 if name == "hardsigmoid" else 1e-13, atol=0)
    if h_t is not None:
        # chainrule's sigmoid VJP, out * (1 - out), rounds to 0 where PyTorch keeps 1e-22
        np.testing.assert_allclose(0 if h_c is None else h_c, h_t, rtol=1e-7, atol=1e-21)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tails_keep_relative_precision(dtype):
    # log1p / expm1 where exp and log alone would round the answer away
    x = np.array([-80.0, -30.0, -1e-3, -1e-7, 1e-7, 30.0], dtype)
    for name in ["softplus", "logsigmoid", "elu", "selu", "celu", "silu", "mish"]:
        ours = _np(getattr(F, name)(cr.tensor(x)))
        theirs = getattr(TF, name)(torch.tensor(x)).numpy()
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs, rtol=4 * np.finfo(dtype).eps, atol=0,
                                   err_msg=name)


def test_logsigmoid_and_softplus_are_finite_for_huge_inputs():
    x = cr.tensor([-1e4, 1e4], requires_grad=True)
    y = F.logsigmoid(x) + F.softplus(x)
    y.sum().backward()
    assert np.isfinite(_np(y)).all() and np.isfinite(x.grad.numpy()).all()


def test_integer_inputs():
    x = cr.tensor([-2, 0, 3])
    for name in ["relu", "relu6", "hardtanh"]:
        out = getattr(F, name)(x)
        assert out.dtype == np.int64
        assert out.tolist() == getattr(TF, name)(torch.tensor([-2, 0, 3])).tolist()
    assert F.threshold(x, 1, 0).tolist() == [0, 0, 3]
    assert F.softsign(x).dtype == np.float32
    with pytest.raises(TypeError, match="silu: expected a floating-point input"):
        F.silu(x)


# ---------------------------------------------------------------------------
# In-place forms
# ---------------------------------------------------------------------------

INPLACE = {
    "relu_": lambda f, x: f.relu_(x),
    "relu(inplace)": lambda f, x: f.relu(x, inplace=True),
    "leaky_relu_": lambda f, x: f.leaky_relu_(x, 0.2),
    "elu_": lambda f, x: f.elu_(x, 0.5),
    "elu(inplace)": lambda f, x: f.elu(x, inplace=True),
    "selu_": lambda f, x: f.selu_(x),
    "celu_": lambda f, x: f.celu_(x, 2.0),
    "hardtanh_": lambda f, x: f.hardtanh_(x, -1.0, 0.5),
    "relu6(inplace)": lambda f, x: f.relu6(x, inplace=True),
    "threshold_": lambda f, x: f.threshold_(x, 0.1, 5.0),
    "silu(inplace)": lambda f, x: f.silu(x, inplace=True),
    "mish(inplace)": lambda f, x: f.mish(x, inplace=True),
    "hardswish(inplace)": lambda f, x: f.hardswish(x, inplace=True),
    "hardsigmoid(inplace)": lambda f, x: f.hardsigmoid(x, inplace=True),
    "rrelu_(eval)": lambda f, x: f.rrelu_(x),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_forms_write_into_the_input_and_backprop(name):
    fn = INPLACE[name]
    a = np.array([-2.0, -0.7, 0.3, 0.9, 4.0])
    results = []
    for m, lib in LIBS:
        w = m.tensor(a.copy(), requires_grad=True)
        x = w * 1.5
        out = fn(lib, x)
        assert out is x
        (x * x).sum().backward()
        results.append((_np(x), w.grad.numpy().copy()))
    rtol = 1e-7 if "hardsigmoid" in name else 1e-12  # PyTorch's 1/6 is a float32 there
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=rtol)


def test_inplace_on_a_leaf_that_requires_grad_is_refused_and_works_under_no_grad():
    w = cr.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="elu_: a leaf tensor that requires grad"):
        F.elu_(w)
    with cr.no_grad():
        F.relu_(w)
    assert w.tolist() == [0.0, 2.0]
    assert cr.relu_ is F.relu_ and cr.selu is F.selu and cr.threshold_ is F.threshold_


# ---------------------------------------------------------------------------
# Ops whose PyTorch kernel has no second derivative
# ---------------------------------------------------------------------------

def test_hardsigmoid():
    x = np.array([-4.0, -2.9, -1.0, 0.2, 2.5, 3.5])
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, even in float64
    assert_first_order(lambda f, m, a: f.hardsigmoid(a), x, rtol=1e-7)
    assert_twice_differentiable(lambda f, m, a: f.hardsigmoid(a * 2), x)


MARGIN_TARGETS = np.array([0, 3, 4, 1])
MULTILABEL_TARGETS = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [0, 0, -1, 0, 1],
                               [-1, 1, 2, 3, 4]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 0.7)])
def test_multi_margin_loss(reduction, p, margin):
    x = np.random.default_rng(0).standard_normal((4, 5))
    weight = np.array([0.5, 1.0, 2.0, 1.5, 0.3])

    def fn(f, m, a):
        return f.multi_margin_loss(a, m.tensor(MARGIN_TARGETS), p=p, margin=margin,
                                   weight=m.tensor(weight), reduction=reduction)

    assert_first_order(fn, x)
    assert_twice_differentiable(fn, x)
    assert_first_order(lambda f, m, a: f.multi_margin_loss(a[1], m.tensor(2),
                                                           reduction=reduction), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(reduction):
    x = np.random.default_rng(1).standard_normal((4, 5))

    def fn(f, m, a):
        return f.multilabel_margin_loss(a, m.tensor(MULTILABEL_TARGETS), reduction=reduction)

    assert_first_order(fn, x)
    assert_twice_differentiable(fn, x)
    assert_first_order(lambda f, m, a: f.multilabel_margin_loss(
        a[0], m.tensor(MULTILABEL_TARGETS[0]), reduction=reduction), x)


# -- embedding_bag --------------------------------------------------------------------------
BAG_INPUT = np.array([1, 2, 4, 4, 3, 0, 6, 6, 2])
BAG_OFFSETS = np.array([0, 2, 2, 5])
TABLE = np.random.default_rng(2).standard_normal((7, 3))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("layout", ["offsets", "2d", "padding_idx", "last_offset"])
def test_embedding_bag(mode, layout):
    def fn(f, m, w):
        if layout == "2d":
            return f.embedding_bag(m.tensor(BAG_INPUT.reshape(3, 3)), w, mode=mode)
        kwargs = {"padding_idx": 4} if layout == "padding_idx" else {}
        offsets = BAG_OFFSETS
        if layout == "last_offset":
            offsets, kwargs = np.append(BAG_OFFSETS, BAG_INPUT.size), {"include_last_offset": True}
        return f.embedding_bag(m.tensor(BAG_INPUT), w, m.tensor(offsets), mode=mode, **kwargs)

    assert_first_order(fn, TABLE)
    assert_twice_differentiable(fn, TABLE)


def test_embedding_bag_per_sample_weights():
    psw = np.random.default_rng(3).standard_normal(BAG_INPUT.size)

    def fn(f, m, w, p):
        return f.embedding_bag(m.tensor(BAG_INPUT), w, m.tensor(BAG_OFFSETS), mode="sum",
                               per_sample_weights=p, padding_idx=2)

    assert_first_order(fn, TABLE, psw)
    assert_twice_differentiable(fn, TABLE, psw)


def test_embedding_bag_max_gives_the_gradient_to_the_first_maximum_and_zeros_empty_bags():
    w = cr.tensor([[1.0, 5.0], [5.0, 1.0], [5.0, 5.0]], requires_grad=True)
    out = F.embedding_bag(cr.tensor([0, 1, 2]), w, cr.tensor([0, 3]), mode="max")
    assert out.tolist() == [[5.0, 5.0], [0.0, 0.0]]
    out.sum().backward()
    assert w.grad.tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]


def test_embedding_scale_grad_by_freq_and_max_norm():
    idx = np.array([[1, 2, 4], [4, 3, 0], [6, 6, 2]])
    assert_first_order(lambda f, m, w: f.embedding(m.tensor(idx), w, scale_grad_by_freq=True),
                       TABLE)
    # each row's gradient is divided by how often it is looked up (PyTorch's embedding_bag
    # gets this wrong on CPU: it halves the gradient of a row seen once, next to a repeat)
    w = cr.tensor(TABLE, requires_grad=True)
    F.embedding_bag(cr.tensor([2, 0, 0, 1]), w, cr.tensor([0]), mode="sum",
                    scale_grad_by_freq=True).sum().backward()
    assert w.grad.numpy()[:3].tolist() == [[1.0] * 3] * 3
    tables = []
    for m, lib in LIBS:
        w = m.tensor(TABLE * 2)
        lib.embedding(m.tensor(idx), w, max_norm=1.3, norm_type=1.0)
        tables.append(_np(w))
    np.testing.assert_allclose(tables[0], tables[1], rtol=1e-12)
    w = cr.tensor(TABLE * 2)
    version = w._version
    F.embedding_bag(cr.tensor(idx), w, max_norm=1.0)
    assert w._version == version + 1
    assert np.all(np.linalg.norm(_np(w)[np.unique(idx)], axis=1) <= 1.0 + 1e-6)


# -- ctc_loss ----------------------------------------------------------------------------
CTC_TARGETS = np.array([[1, 2, 2], [1, 1, 1], [3, 4, 0], [2, 0, 0]])
CTC_TARGET_LENGTHS = np.array([3, 3, 0, 1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("input_lengths", [[7, 6, 4, 6], [7, 5, 0, 2]])
def test_ctc_loss_matches_torch_through_log_softmax(reduction, input_lengths):
    x = np.random.default_rng(4).standard_normal((7, 4, 5))

    def fn(f, m, a):
        return f.ctc_loss(a.log_softmax(2), m.tensor(CTC_TARGETS), m.tensor(input_lengths),
                          m.tensor(CTC_TARGET_LENGTHS), reduction=reduction)

    assert_first_order(fn, x)


@pytest.mark.parametrize("layout", ["blank_last", "concatenated", "unbatched", "tuples"])
def test_ctc_loss_layouts(layout):
    x = np.random.default_rng(5).standard_normal((6, 3, 5))
    lengths = np.array([6, 5, 6])
    targets = np.array([[1, 3, 3], [2, 1, 0], [3, 0, 0]])
    target_lengths = np.array([3, 2, 1])

    def fn(f, m, a):
        lp = a.log_softmax(-1)
        if layout == "blank_last":
            return f.ctc_loss(lp, m.tensor(targets % 4), m.tensor(lengths),
                              m.tensor(target_lengths), blank=4)
        if layout == "concatenated":
            flat = np.concatenate([t[:n] for t, n in zip(targets, target_lengths)])
            return f.ctc_loss(lp, m.tensor(flat), m.tensor(lengths), m.tensor(target_lengths),
                              reduction="none")
        if layout == "unbatched":
            return f.ctc_loss(lp[:, 0], m.tensor(targets[0]), m.tensor(lengths[:1]),
                              m.tensor(target_lengths[:1]))
        return f.ctc_loss(lp, m.tensor(targets), tuple(lengths.tolist()),
                          tuple(target_lengths.tolist()), reduction="sum")

    assert_first_order(fn, x)


def test_ctc_loss_is_twice_differentiable_even_on_raw_log_probs():
    x = np.random.default_rng(6).standard_normal((5, 2, 4))

    def fn(f, m, a):
        return f.ctc_loss(a, m.tensor([[1, 2], [3, 3]]), [5, 4], [2, 2], reduction="sum")

    assert_twice_differentiable(fn, x)
    assert_twice_differentiable(lambda f, m, a: fn(f, m, a.log_softmax(-1)), x)


def test_ctc_loss_impossible_alignments_and_zero_infinity():
    lp = cr.tensor(np.random.default_rng(7).standard_normal((4, 2, 3)),
                   requires_grad=True).log_softmax(2)
    targets, lengths, target_lengths = cr.tensor([[1, 1, 1], [2, 1, 0]]), [2, 4], [3, 2]
    loss = F.ctc_loss(lp, targets, lengths, target_lengths, reduction="none")
    assert loss[0].item() == math.inf and np.isfinite(loss[1].item())
    (g,) = cr.grad(loss[1] + loss[0] * 0, lp)  # the impossible one gives no gradient
    assert np.isfinite(g.numpy()).all()
    zeroed = F.ctc_loss(lp, targets, lengths, target_lengths, zero_infinity=True,
                        reduction="none")
    assert zeroed[0].item() == 0.0 and zeroed[1].item() == loss[1].item()
    mean = F.ctc_loss(lp, targets, lengths, target_lengths, zero_infinity=True)
    assert mean.item() == pytest.approx(loss[1].item() / 2 / 2)


def test_ctc_loss_keeps_float32_and_handles_minus_infinity():
    lp = np.log(np.array([[[0.5, 0.5, 0.0]], [[0.0, 1.0, 0.0]]], np.float32))  # -inf entries
    x = cr.tensor(lp, requires_grad=True)
    loss = F.ctc_loss(x, cr.tensor([[1]]), [2], [1])
    theirs = TF.ctc_loss(torch.tensor(lp), torch.tensor([[1]]), [2], [1])
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), theirs.item(), rtol=1e-6)
    loss.backward()
    assert x.grad.dtype == np.float32 and np.isfinite(x.grad.numpy()).all()


def test_ctc_loss_errors():
    lp = cr.zeros(4, 2, 3)
    with pytest.raises(ValueError, match="ctc_loss: input_lengths must be at most T = 4"):
        F.ctc_loss(lp, cr.tensor([[1], [2]]), [5, 4], [1, 1])
    with pytest.raises(ValueError, match="other than blank=0"):
        F.ctc_loss(lp, cr.tensor([[1, 0], [2, 2]]), [4, 4], [2, 2])
    with pytest.raises(ValueError, match=r"padded targets \(2, 1\)"):
        F.ctc_loss(lp, cr.tensor([[1], [2]]), [4, 4], [2, 1])
    with pytest.raises(ValueError, match="target_lengths must hold 2 integer lengths"):
        F.ctc_loss(lp, cr.tensor([[1], [2]]), [4, 4], [1])
    with pytest.raises(ValueError, match=r"log_probs must be \(T, N, C\)"):
        F.ctc_loss(cr.zeros(3), cr.tensor([1]), [3], [1])


# ---------------------------------------------------------------------------
# Dropout family: statistics, structure, seeds
# ---------------------------------------------------------------------------

def test_dropout_statistics_and_seed():
    x = cr.ones(400, 500)
    out = _np(F.dropout(x, 0.3))
    dropped = (out == 0).mean()
    assert abs(dropped - 0.3) < 0.01  # 200,000 draws: 5 standard deviations is 0.005
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    assert abs(out.mean() - 1) < 0.01
    cr.manual_seed(11)
    a = _np(F.dropout(x, 0.5))
    cr.manual_seed(11)
    np.testing.assert_array_equal(a, _np(F.dropout(x, 0.5)))
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert not _np(F.dropout(x, 1.0)).any()


@pytest.mark.parametrize("name,shape", [("dropout1d", (20, 30, 7)), ("dropout1d", (30, 7)),
                                        ("dropout2d", (20, 30, 3, 3)),
                                        ("dropout3d", (20, 30, 2, 2, 2)),
                                        ("dropout3d", (30, 2, 2, 2))])
def test_channel_dropout_zeroes_whole_channels(name, shape):
    x = cr.tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    out = getattr(F, name)(x, 0.4)
    ratio = _np(out) / _np(x)
    channels = ratio.reshape(ratio.shape[:len(shape) - (3 if "3d" in name else
                                                        2 if "2d" in name else 1)] + (-1,))
    assert np.all(channels.std(-1) < 1e-6)  # one factor per channel
    assert set(np.round(np.unique(channels), 6)) <= {0.0, round(1 / 0.6, 6)}
    assert abs((channels[..., 0] == 0).mean() - 0.4) < 0.15
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ratio, rtol=1e-6)  # the mask is the gradient


def test_dropout2d_warns_as_torch_on_3d_input_and_dropout1d_refuses_4d():
    with pytest.warns(UserWarning, match=r"takes it as \(N, C, L\)"):
        F.dropout2d(cr.ones(2, 3, 4))
    with pytest.raises(ValueError, match="dropout1d: expected a 2-D"):
        F.dropout1d(cr.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout2d(cr.ones(2, 3, 4, 4), p=1.5)


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    cr.manual_seed(3)
    x = cr.randn(100, 200, 10)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    assert fn(x, 0.2) is x  # training is False by default, as in PyTorch
    out = _np(fn(x, 0.2, training=True))
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    # dropped units sit at SELU's saturation value, all through the same affine map
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * 0.2 + 1) * 0.8)
    dropped = np.isclose(out, -alpha * a + alpha * a * 0.2, atol=1e-6)
    assert dropped.mean() == pytest.approx(0.2, abs=0.02)
    np.testing.assert_allclose(out[~dropped], (a * _np(x) + alpha * a * 0.2)[~dropped],
                               rtol=1e-5, atol=1e-5)
    if feature:  # whole channels: a channel is dropped when all its 10 values are
        assert dropped.all(-1).mean() == pytest.approx(0.2, abs=0.02)


def test_rrelu_training_draws_slopes_in_range_and_uses_them_as_gradient():
    cr.manual_seed(5)
    x = cr.tensor(-np.linspace(0.1, 2, 1000), requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = _np(out) / _np(x)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.04
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)
    positive = cr.tensor([0.5, 2.0])
    assert F.rrelu(positive, training=True).tolist() == [0.5, 2.0]


# ---------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------

def test_attention_rows_with_nothing_to_attend_to_give_zeros_without_nan():
    rng = np.random.default_rng(8)
    q, k, v = (cr.tensor(rng.standard_normal(s), requires_grad=True)
               for s in [(2, 3, 4), (2, 5, 4), (2, 5, 2)])
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=cr.tensor(mask))
    assert not _np(out)[:, 1].any()
    out.sum().backward()
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()
    assert not q.grad.numpy()[:, 1].any()


def test_attention_dropout_is_seeded_and_scaled():
    rng = np.random.default_rng(9)
    q, k = (cr.tensor(rng.standard_normal(s).astype(np.float32)) for s in [(1, 6, 4), (1, 8, 4)])
    v = cr.eye(8).reshape(1, 8, 8)  # the output is the (dropped) attention weights
    plain = _np(F.scaled_dot_product_attention(q, k, v))
    cr.manual_seed(1)
    dropped = _np(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5))
    cr.manual_seed(1)
    np.testing.assert_array_equal(dropped, _np(F.scaled_dot_product_attention(q, k, v,
                                                                              dropout_p=0.5)))
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], plain[kept] * 2, rtol=1e-6)
    assert 0.2 < kept.mean() < 0.8


def test_attention_errors():
    q = cr.zeros(2, 3, 4)
    with pytest.raises(ValueError, match="give either attn_mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=cr.ones(3, 3), is_causal=True)
    with pytest.raises(TypeError, match="must have the same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(TypeError, match="attn_mask must be boolean or of the query's dtype"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=cr.zeros(3, 3, dtype=cr.int64))
    with pytest.raises(ValueError, match=r"expected query \(..., L, E\)"):
        F.scaled_dot_product_attention(q, cr.zeros(2, 3, 5), q)
    with pytest.raises(ValueError, match="must divide the number of query heads"):
        F.scaled_dot_product_attention(cr.zeros(1, 3, 2, 4), cr.zeros(1, 2, 2, 4),
                                       cr.zeros(1, 2, 2, 4), enable_gqa=True)


# ---------------------------------------------------------------------------
# Normalization with running statistics
# ---------------------------------------------------------------------------

def test_instance_norm_running_statistics_follow_torch():
    x = np.random.default_rng(10).standard_normal((3, 4, 5))
    stats = []
    for m, lib in LIBS:
        rm, rv = m.zeros(4, dtype=m.float64), m.ones(4, dtype=m.float64)
        lib.instance_norm(m.tensor(x), rm, rv, momentum=0.3)
        out = lib.instance_norm(m.tensor(x), rm, rv, use_input_stats=False)
        stats.append((_np(rm), _np(rv), _np(out)))
    for a, b in zip(*stats):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# ---------------------------------------------------------------------------
# Reductions, warnings and errors of the losses
# ---------------------------------------------------------------------------

def test_legacy_size_average_and_reduce_warn_and_map_as_torch():
    x, y = np.random.default_rng(11).standard_normal((2, 3, 4))
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = F.smooth_l1_loss(cr.tensor(x), cr.tensor(y), size_average, reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = TF.smooth_l1_loss(torch.tensor(x), torch.tensor(y), size_average, reduce)
        np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-12)


def test_kl_div_mean_warns_and_batchmean_divides_by_the_batch():
    x, y = cr.tensor([[-1.0, -2.0]]), cr.tensor([[0.3, 0.7]])
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        mean = F.kl_div(x, y)
    assert mean.item() == pytest.approx(F.kl_div(x, y, reduction="sum").item() / 2)
    assert F.kl_div(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 0.5]), reduction="none")[0].item() == 0


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.smooth_l1_loss(cr.ones(2), cr.ones(2), beta=-1.0), ValueError,
     "smooth_l1_loss: beta must not be negative"),
    (lambda: F.huber_loss(cr.ones(2), cr.ones(2), reduction="avg"), ValueError,
     "huber_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: F.kl_div(cr.ones(2), cr.ones(2), reduction="batch"), ValueError,
     "kl_div: reduction must be 'mean', 'batchmean'"),
    (lambda: F.gaussian_nll_loss(cr.ones(2, 3), cr.ones(2, 3), cr.ones(3, 2)), ValueError,
     "gaussian_nll_loss: var"),
    (lambda: F.gaussian_nll_loss(cr.ones(2), cr.ones(2), -1.0), ValueError,
     "var has negative entries"),
    (lambda: F.triplet_margin_loss(cr.ones(2, 3), cr.ones(2, 3), cr.ones(3), margin=1.0),
     ValueError, "anchor, positive and negative must have the same number of dims"),
    (lambda: F.triplet_margin_loss(cr.ones(2, 3), cr.ones(2, 3), cr.ones(2, 3), margin=0.0),
     ValueError, "margin must be greater than 0"),
    (lambda: F.multi_margin_loss(cr.ones(2, 3), cr.tensor([0, 3])), IndexError,
     r"multi_margin_loss: target values must be class indices in \[0, 2\]"),
    (lambda: F.multi_margin_loss(cr.ones(2, 3), cr.tensor([0, 1]), p=3), ValueError,
     "only p == 1 and p == 2"),
    (lambda: F.multilabel_margin_loss(cr.ones(2, 3), cr.tensor([[0, 5, -1], [0, 1, 2]])),
     IndexError, "multilabel_margin_loss: target values must be class indices"),
    (lambda: F.cosine_embedding_loss(cr.ones(2, 3), cr.ones(2, 3), cr.ones(3)), ValueError,
     "cosine_embedding_loss: expected inputs of the same shape"),
    (lambda: F.margin_ranking_loss(cr.ones(2), cr.ones(2), cr.ones(2, 1)), ValueError,
     "margin_ranking_loss: all inputs must have the same number of dims"),
    (lambda: F.poisson_nll_loss(cr.ones(2), cr.tensor([1, 2])), TypeError,
     "poisson_nll_loss: expected a floating-point target"),
    (lambda: F.embedding_bag(cr.tensor([0, 1]), cr.ones(3, 2)), ValueError,
     "embedding_bag: a 1-D input needs offsets"),
    (lambda: F.embedding_bag(cr.tensor([0, 1]), cr.ones(3, 2), cr.tensor([1])), ValueError,
     r"offsets\[0\] must be 0"),
    (lambda: F.embedding_bag(cr.tensor([[0, 1]]), cr.ones(3, 2), mode="mean",
                             per_sample_weights=cr.ones(1, 2)), ValueError,
     "per_sample_weights is only supported for mode='sum'"),
    (lambda: F.embedding_bag(cr.tensor([[0, 3]]), cr.ones(3, 2)), IndexError,
     "embedding_bag: index out of range"),
    (lambda: F.glu(cr.ones(3)), ValueError, "glu: the halving dim must have an even size"),
    (lambda: F.group_norm(cr.ones(2, 3, 4), 2), ValueError,
     r"group_norm: the number of channels \(3\)"),
    (lambda: F.instance_norm(cr.ones(2, 3, 1)), ValueError,
     "instance_norm: expected more than 1 spatial element"),
    (lambda: F.rms_norm(cr.ones(2, 3), (2,)), ValueError,
     r"rms_norm: expected input with trailing shape \(2,\)"),
    (lambda: F.normalize(cr.ones(3), dim=1), IndexError, "normalize: dim 1 is out of range"),
    (lambda: F.prelu(cr.ones(2, 3), cr.ones(2)), ValueError, "prelu: weight has 2 slopes"),
    (lambda: F.hardtanh(cr.ones(2), 1.0, -1.0), ValueError,
     "hardtanh: min_val cannot be greater than max_val"),
    (lambda: F.cosine_similarity(cr.ones(2, 3), cr.ones(2, 4)), ValueError,
     "cosine_similarity: x1 .* and x2 .* can't be broadcast together"),
    (lambda: F.pairwise_distance(cr.ones(()), cr.ones(())), ValueError,
     "pairwise_distance: expected inputs of at least 1 dim"),
])
def test_errors_name_the_op(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Broadcasting: shapes drawn by hypothesis, against PyTorch
# ---------------------------------------------------------------------------

DISTANCES = {
    "cosine_similarity": lambda f, a, b: f.cosine_similarity(a, b, dim=-1),
    "pairwise_distance": lambda f, a, b: f.pairwise_distance(a, b),
    "pairwise_distance_p1": lambda f, a, b: f.pairwise_distance(a, b, p=1.0, keepdim=True),
    "cosine_embedding": lambda f, a, b: f.cosine_similarity(a.exp(), b, dim=0),
}


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(DISTANCES)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                 min_side=1, max_side=3),
       seed=st.integers(0, 2**16))
def test_distances_broadcast_as_torch(name, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, s) for s in shapes.input_shapes]
    assert_first_order(lambda f, m, a, b: DISTANCES[name](f, a, b), *arrays, rtol=1e-8,
                       atol=1e-10)
