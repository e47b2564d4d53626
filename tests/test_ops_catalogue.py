"""Every case of the op catalogue, checked four ways.

1. ``chainrule.gradcheck``: backprop against central differences (float64).
2. ``chainrule.gradgradcheck``: the backward pass, recorded with
   ``create_graph=True``, against central differences of itself.
3. PyTorch parity in float64: values, first gradients and second-order
   gradients (the gradient of sum(first grad * w) for a fixed random w).
4. float32 in gives float32 values, gradients and second-order gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from op_catalogue import CASES, FLOAT64_TOL, NONDIFF_CASES, Lib, make_inputs

import chainrule as cr
from chainrule.gradcheck import GradcheckError

CR64 = Lib(cr, np.float64)
TORCH64 = Lib(torch, np.float64)
CR32 = Lib(cr, np.float32)

IDS = [c.id for c in CASES]
assert len(set(IDS)) == len(IDS), "catalogue case ids must be unique"


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _chainrule_fn(case):
    return lambda *xs: case.fn(CR64, *xs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case):
    xs = [cr.tensor(a, requires_grad=True) for a in make_inputs(case)]
    assert cr.gradcheck(_chainrule_fn(case), xs, **FLOAT64_TOL)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradgradcheck(case):
    xs = [cr.tensor(a, requires_grad=True) for a in make_inputs(case)]
    assert cr.gradgradcheck(_chainrule_fn(case), xs, **FLOAT64_TOL)


class _SlightlyWrongExp(cr.Function):
    """exp whose VJP is 0.05% too large: the error a tolerance must catch."""

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * 1.0005


def test_the_sweeps_tolerance_catches_a_0_05_percent_vjp_error():
    x = cr.tensor(make_inputs(CASES[0])[0], requires_grad=True)
    assert cr.gradcheck(_SlightlyWrongExp.apply, (x,))  # gradcheck's default lets it through
    with pytest.raises(GradcheckError, match="analytic"):
        cr.gradcheck(_SlightlyWrongExp.apply, (x,), **FLOAT64_TOL)


# ---------------------------------------------------------------------------
# PyTorch parity
# ---------------------------------------------------------------------------

def _to_numpy(t, shape):
    if t is None:
        return np.zeros(shape)
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # force: torch's ZeroTensor
    return t.numpy(force=True)


def _derivatives(lib, case, arrays, seed=3):
    """Values, first gradients and second-order gradients of ``case`` on ``lib``."""
    grad = torch.autograd.grad if lib.is_torch else cr.grad
    xs = [lib.leaf(a) for a in arrays]
    outs = _as_list(case.fn(lib, *xs))
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(tuple(o.shape)).astype(lib.dtype) for o in outs]
    ws = [rng.standard_normal(a.shape).astype(lib.dtype) for a in arrays]
    total = None
    for o, v in zip(outs, vs):
        term = (o * lib.as_tensor(v)).sum()
        total = term if total is None else total + term
    firsts = grad(total, xs, create_graph=True, allow_unused=True)
    second_total = None
    for g, w in zip(firsts, ws):
        if g is not None and g.requires_grad:
            term = (g * lib.as_tensor(w)).sum()
            second_total = term if second_total is None else second_total + term
    if second_total is None:  # the first gradients do not depend on the inputs
        seconds = [None] * len(xs)
    else:
        seconds = grad(second_total, xs, allow_unused=True)
    shapes = [a.shape for a in arrays]
    return (
        [_to_numpy(o, None) for o in outs],
        [_to_numpy(g, s) for g, s in zip(firsts, shapes)],
        [_to_numpy(h, s) for h, s in zip(seconds, shapes)],
    )


def _assert_close(ours, theirs, what, case):
    assert len(ours) == len(theirs), f"{case.id}: {what}: {len(ours)} vs {len(theirs)} results"
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, f"{case.id}: {what} {k}: shape {a.shape} vs torch {b.shape}"
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10,
                                   err_msg=f"{case.id}: {what} {k} differs from torch")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case):
    arrays = make_inputs(case)
    ours = _derivatives(CR64, case, arrays)
    theirs = _derivatives(TORCH64, case, arrays)
    for what, a, b in zip(("value", "grad", "second-order grad"), ours, theirs):
        _assert_close(a, b, what, case)


@pytest.mark.parametrize("case", NONDIFF_CASES, ids=[c.id for c in NONDIFF_CASES])
def test_nondifferentiable_matches_torch(case):
    arrays = make_inputs(case)
    ours = case.fn(CR64, *[cr.tensor(a, requires_grad=True) for a in arrays])
    theirs = case.fn(TORCH64, *[torch.tensor(a, requires_grad=True) for a in arrays])
    assert not ours.requires_grad
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------------
# dtype preservation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_stays_float32(case):
    arrays = make_inputs(case, dtype=np.float32)
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    outs = _as_list(case.fn(CR32, *xs))
    for o in outs:
        assert o.dtype == np.float32, f"{case.id}: value dtype {o.dtype}"
    total = outs[0].sum()
    for o in outs[1:]:
        total = total + o.sum()
    firsts = cr.grad(total, xs, create_graph=True, allow_unused=True)
    for g in firsts:
        if g is not None:
            assert g.dtype == np.float32, f"{case.id}: grad dtype {g.dtype}"
    connected = [g for g in firsts if g is not None and g.requires_grad]
    if connected:
        second = cr.grad(sum(g.sum() for g in connected), xs, allow_unused=True)
        for h in second:
            if h is not None:
                assert h.dtype == np.float32, f"{case.id}: second-order grad dtype {h.dtype}"
    total_plain = sum(o.sum() for o in _as_list(case.fn(CR32, *xs)))
    total_plain.backward()
    for x in xs:
        if x.grad is not None:
            assert x.grad.dtype == np.float32, f"{case.id}: .grad dtype {x.grad.dtype}"
