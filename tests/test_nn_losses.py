"""chainrule.nn losses: PyTorch parity for every reduction and option, float64
gradcheck and gradgradcheck, stability at logits of magnitude 1e4, errors."""

import numpy as np
import pytest
import torch
from op_catalogue import FLOAT64_TOL

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import functional as F

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
REDUCTIONS = ["mean", "sum", "none"]


def rng(seed=0):
    return np.random.default_rng(seed)


def compare(loss_c, loss_t, inputs_c, inputs_t, dtype):
    """Values, and gradients of every input that requires grad, against PyTorch."""
    assert loss_c.dtype == dtype
    np.testing.assert_allclose(loss_c.data, loss_t.detach().numpy(), **TOL[dtype])
    seed = rng(9).standard_normal(loss_c.shape).astype(dtype)
    loss_c.backward(seed)
    loss_t.backward(torch.tensor(seed))
    for a, b in zip(inputs_c, inputs_t):
        if b.requires_grad:
            assert a.grad.dtype == dtype
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **TOL[dtype])


def pair(array, dtype, requires_grad=True):
    array = np.asarray(array).astype(dtype)
    return (cr.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


# ---------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss"])
def test_regression_losses_match_torch(name, reduction, dtype):
    x_c, x_t = pair(rng(0).standard_normal((4, 3)), dtype)
    y_c, y_t = pair(rng(1).standard_normal((4, 3)), dtype)
    loss_c = getattr(nn, name)(reduction=reduction)(x_c, y_c)
    loss_t = getattr(torch.nn, name)(reduction=reduction)(x_t, y_t)
    compare(loss_c, loss_t, [x_c, y_c], [x_t, y_t], dtype)


# ---------------------------------------------------------------------------
# Binary cross-entropy
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
@pytest.mark.parametrize("edge", [False, True], ids=["inside", "p_at_0_and_1"])
def test_bce_matches_torch(edge, weighted, reduction, dtype):
    p = 1 / (1 + np.exp(-rng(0).standard_normal((5, 3))))
    if edge:  # each log is clamped at -100, as in PyTorch; the input gradient stays finite
        p[0, 0], p[1, 1] = 0.0, 1.0
    x_c, x_t = pair(p, dtype)
    # at p = 0 or 1 PyTorch's target gradient is infinite; ours is the clamped loss's slope
    y_c, y_t = pair(rng(1).random((5, 3)), dtype, requires_grad=not edge)
    w = rng(2).random(3).astype(dtype) if weighted else None
    loss_c = nn.BCELoss(weight=None if w is None else cr.tensor(w), reduction=reduction)(x_c, y_c)
    loss_t = torch.nn.BCELoss(weight=None if w is None else torch.tensor(w),
                              reduction=reduction)(x_t, y_t)
    compare(loss_c, loss_t, [x_c, y_c], [x_t, y_t], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "pos_weight", "weight_and_pos_weight"])
def test_bce_with_logits_matches_torch(options, reduction, dtype):
    x_c, x_t = pair(rng(0).standard_normal((5, 3)) * 3, dtype)
    y_c, y_t = pair(rng(1).random((5, 3)), dtype)
    kwargs_c, kwargs_t = {}, {}
    if options != "plain":
        pw = rng(2).random(3).astype(dtype) * 3
        kwargs_c["pos_weight"], kwargs_t["pos_weight"] = cr.tensor(pw), torch.tensor(pw)
    if options == "weight_and_pos_weight":
        w = rng(3).random((5, 1)).astype(dtype)
        kwargs_c["weight"], kwargs_t["weight"] = cr.tensor(w), torch.tensor(w)
    loss_c = nn.BCEWithLogitsLoss(reduction=reduction, **kwargs_c)(x_c, y_c)
    loss_t = torch.nn.BCEWithLogitsLoss(reduction=reduction, **kwargs_t)(x_t, y_t)
    compare(loss_c, loss_t, [x_c, y_c], [x_t, y_t], dtype)


# ---------------------------------------------------------------------------
# Cross-entropy and NLL
# ---------------------------------------------------------------------------

CE_OPTIONS = {
    "plain": {},
    "weight": {"weight": [0.2, 1.0, 3.0, 0.5]},
    "ignore_index": {"ignore_index": 2},
    "label_smoothing": {"label_smoothing": 0.1},
    "all": {"weight": [0.2, 1.0, 3.0, 0.5], "ignore_index": 1, "label_smoothing": 0.25},
}


def _ce_kwargs(options, dtype, lib):
    kwargs = dict(CE_OPTIONS[options])
    if "weight" in kwargs:
        w = np.array(kwargs["weight"], dtype=dtype)
        kwargs["weight"] = cr.tensor(w) if lib is cr else torch.tensor(w)
    return kwargs


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", sorted(CE_OPTIONS))
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2), (4,)], ids=["NC", "NCd", "C"])
def test_cross_entropy_matches_torch(shape, options, reduction, dtype):
    x_c, x_t = pair(rng(0).standard_normal(shape) * 2, dtype)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = rng(1).integers(0, 4, tshape)
    loss_c = nn.CrossEntropyLoss(reduction=reduction, **_ce_kwargs(options, dtype, cr))(
        x_c, cr.tensor(target))
    loss_t = torch.nn.CrossEntropyLoss(reduction=reduction, **_ce_kwargs(options, dtype, torch))(
        x_t, torch.tensor(target))
    compare(loss_c, loss_t, [x_c], [x_t], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "label_smoothing"])
def test_cross_entropy_probability_targets_match_torch(options, reduction, dtype):
    x_c, x_t = pair(rng(0).standard_normal((5, 4)), dtype)
    probs = rng(1).random((5, 4))
    probs /= probs.sum(1, keepdims=True)
    y_c, y_t = pair(probs, dtype)
    kw_c, kw_t = _ce_kwargs(options, dtype, cr), _ce_kwargs(options, dtype, torch)
    loss_c = F.cross_entropy(x_c, y_c, reduction=reduction, **kw_c)
    loss_t = torch.nn.functional.cross_entropy(x_t, y_t, reduction=reduction, **kw_t)
    compare(loss_c, loss_t, [x_c, y_c], [x_t, y_t], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "ignore_index"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2)], ids=["NC", "NCd"])
def test_nll_loss_matches_torch(shape, options, reduction, dtype):
    logp = torch.log_softmax(torch.tensor(rng(0).standard_normal(shape)), 1).numpy()
    x_c, x_t = pair(logp, dtype)
    target = rng(1).integers(0, 4, shape[:1] + shape[2:])
    kw_c, kw_t = _ce_kwargs(options, dtype, cr), _ce_kwargs(options, dtype, torch)
    loss_c = nn.NLLLoss(reduction=reduction, **kw_c)(x_c, cr.tensor(target))
    loss_t = torch.nn.NLLLoss(reduction=reduction, **kw_t)(x_t, torch.tensor(target))
    compare(loss_c, loss_t, [x_c], [x_t], dtype)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = cr.tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    target = cr.tensor([-100, -100])
    loss = F.cross_entropy(x, target)
    assert np.isnan(loss.item())
    loss.backward()
    assert np.all(x.grad.numpy() == 0)
    assert np.isnan(torch.nn.functional.cross_entropy(torch.zeros(2, 3),
                                                      torch.tensor([-100, -100])).item())


def test_cross_entropy_is_one_fused_op_on_the_logits():
    x = cr.tensor(rng(0).standard_normal((4, 3)), requires_grad=True)
    loss = F.cross_entropy(x, cr.tensor([0, 1, 2, 0]))
    assert loss.grad_fn.name == "cross_entropy"
    assert loss.grad_fn.parents[0] is x


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits = rng(0).standard_normal((5, 4)).astype(np.float32)
    target = np.array([0, 3, 1, 1, 2])
    x = cr.tensor(logits, requires_grad=True)
    F.cross_entropy(x, cr.tensor(target)).backward()
    e = np.exp(logits - logits.max(1, keepdims=True))
    expected = (e / e.sum(1, keepdims=True) - np.eye(4)[target]) / 5
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-5, atol=1e-7)
    assert x.grad.dtype == np.float32


# ---------------------------------------------------------------------------
# Stability at logits of magnitude 1e4
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_fused_losses_finite_at_1e4(dtype):
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
    target = np.array([1, 0])
    for options in CE_OPTIONS:
        x_c, x_t = pair(big, dtype)
        kw_c = _ce_kwargs(options, dtype, cr)
        kw_c.pop("weight", None)
        kw_c.pop("ignore_index", None)
        loss_c = F.cross_entropy(x_c, cr.tensor(target), **kw_c)
        loss_t = torch.nn.functional.cross_entropy(x_t, torch.tensor(target), **kw_c)
        assert np.isfinite(loss_c.item())
        compare(loss_c, loss_t, [x_c], [x_t], dtype)
    x_c, x_t = pair(big, dtype)
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]], dtype=dtype)
    loss_c = F.binary_cross_entropy_with_logits(x_c, cr.tensor(y))
    loss_t = torch.nn.functional.binary_cross_entropy_with_logits(x_t, torch.tensor(y))
    assert np.isfinite(loss_c.item())
    compare(loss_c, loss_t, [x_c], [x_t], dtype)
    assert np.all(np.isfinite(x_c.grad.numpy()))


# ---------------------------------------------------------------------------
# gradcheck and second order (float64, small shapes)
# ---------------------------------------------------------------------------

def _t(shape, seed=0, scale=1.0):
    return cr.tensor(rng(seed).standard_normal(shape) * scale, requires_grad=True)


TARGET = cr.tensor([0, 2, 1, 2])
WEIGHT = cr.tensor([0.5, 2.0, 1.5], dtype=cr.float64)
PROBS = cr.tensor(rng(5).random((4, 3)), requires_grad=True)
SIGMOID_P = cr.tensor(1 / (1 + np.exp(-rng(6).standard_normal((4, 3)))), requires_grad=True)

GRADCHECK = {
    "mse": (lambda x, y: F.mse_loss(x, y), [_t((4, 3)), _t((4, 3), 1)]),
    "l1": (lambda x, y: F.l1_loss(x, y, reduction="sum"), [_t((4, 3)), _t((4, 3), 1)]),
    "bce": (lambda p, y: F.binary_cross_entropy(p, y), [SIGMOID_P, PROBS]),
    "bce_with_logits": (lambda x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
                        [_t((4, 3)), PROBS, cr.tensor([0.5, 2.0, 1.0], dtype=cr.float64,
                                                      requires_grad=True)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, TARGET), [_t((4, 3))]),
    "cross_entropy_none": (lambda x: F.cross_entropy(x, TARGET, reduction="none"), [_t((4, 3))]),
    "cross_entropy_all_options": (
        lambda x: F.cross_entropy(x, TARGET, weight=WEIGHT, ignore_index=1, label_smoothing=0.2),
        [_t((4, 3))]),
    "cross_entropy_spatial": (lambda x: F.cross_entropy(x, cr.tensor([[0, 1], [2, 2]])),
                              [_t((2, 3, 2))]),
    "cross_entropy_probs": (lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1),
                            [_t((4, 3)), PROBS]),
    "nll": (lambda x: F.nll_loss(x, TARGET, weight=WEIGHT, ignore_index=0), [_t((4, 3))]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    fn, inputs = GRADCHECK[name]
    assert cr.gradcheck(fn, inputs, **FLOAT64_TOL)


@pytest.mark.parametrize("name", sorted(set(GRADCHECK) - {"l1"}))
def test_gradgradcheck(name):
    fn, inputs = GRADCHECK[name]
    assert cr.gradgradcheck(fn, inputs, **FLOAT64_TOL)


def test_cross_entropy_hessian_vector_product_matches_torch():
    logits = rng(0).standard_normal((3, 4))
    target = [1, 0, 3]
    x = cr.tensor(logits, requires_grad=True)
    (g,) = cr.grad(F.cross_entropy(x, cr.tensor(target), label_smoothing=0.1), x,
                   create_graph=True)
    (h,) = cr.grad((g * g).sum(), x)
    xt = torch.tensor(logits, requires_grad=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.cross_entropy(
        xt, torch.tensor(target), label_smoothing=0.1), xt, create_graph=True)
    (ht,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(h.data, ht.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_cross_entropy_errors():
    x = cr.zeros(3, 4)
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(x, cr.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(x, cr.tensor([0, 1]))
    with pytest.raises(ValueError, match="reduction must be"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(x, cr.tensor([0, 1, 2]), weight=cr.ones(3))
    with pytest.raises(TypeError, match="class indices"):
        F.cross_entropy(x, cr.tensor([True, False, True]))
    with pytest.raises(ValueError, match=r"convert the target with .long\(\)"):
        F.cross_entropy(x, cr.tensor([0.0, 1.0, 2.0]))


def test_regression_and_bce_errors():
    with pytest.raises(ValueError, match="can't be broadcast"):
        F.mse_loss(cr.zeros(3, 2), cr.zeros(4))
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(cr.zeros(3, 1), cr.zeros(3))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(cr.tensor([1.5]), cr.tensor([1.0]))
    with pytest.raises(ValueError, match="same shape"):
        F.binary_cross_entropy_with_logits(cr.zeros(3), cr.zeros(3, 1))
    with pytest.raises(TypeError, match="floating-point target"):
        F.mse_loss(cr.zeros(3), cr.tensor([1, 2, 3]))


def test_loss_modules_repr_and_state():
    assert repr(nn.MSELoss()) == repr(torch.nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss()) == repr(torch.nn.CrossEntropyLoss())
    w = [1.0, 2.0]
    ours = nn.CrossEntropyLoss(weight=cr.tensor(w)).state_dict()
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(w)).state_dict()
    assert list(ours) == list(theirs) == ["weight"]


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(cr.tensor(idx), 5).data,
                                  torch.nn.functional.one_hot(torch.tensor(idx), 5).numpy())
    assert F.one_hot(cr.tensor([2, 0])).shape == (2, 3)
    with pytest.raises(ValueError, match="class values must be in"):
        F.one_hot(cr.tensor([3]), 3)
