"""vjp, jvp, jacobian, hessian, hvp, vhp and checkpoint, against torch's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF
import torch.utils.checkpoint

import chainrule as cr
from chainrule import graph

# torch's vectorized forward-mode jacobian goes through torch.jit, which warns about itself
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def _np(x):
    """Nested tuples of tensors (either library) to nested tuples of arrays."""
    if isinstance(x, (tuple, list)):
        return tuple(_np(t) for t in x)
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return x.data


def _assert_same(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
        return
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def _inputs(lib, *arrays):
    return tuple(lib.tensor(a) for a in arrays)


RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3))
Y = RNG.standard_normal((3,))
V_OUT = RNG.standard_normal((2,))
V_X = RNG.standard_normal((2, 3))
V_Y = RNG.standard_normal((3,))


def f_single(x):
    return (x.tanh() * x).sum(-1)


def f_pair(x, y):
    return (x @ y).sin() * (y * y).sum()


def f_multi_out(x, y):
    return (x * y).exp(), (x ** 3).sum() + y


def f_scalar(x, y):
    return ((x @ y).tanh() ** 2).sum() + (y.sin() * y).sum()


def f_linear(x):
    return (x * 3).sum()


# ---------------------------------------------------------------------------
# vjp and jvp
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn, inputs, v", [
    (f_single, (X,), V_OUT),
    (f_pair, (X, Y), V_OUT),
    (f_multi_out, (X, Y), (RNG.standard_normal((2, 3)), RNG.standard_normal((3,)))),
])
def test_vjp_matches_torch(fn, inputs, v):
    v_ours = tuple(cr.tensor(a) for a in v) if isinstance(v, tuple) else cr.tensor(v)
    v_theirs = tuple(torch.tensor(a) for a in v) if isinstance(v, tuple) else torch.tensor(v)
    ins = inputs if len(inputs) > 1 else inputs[0]
    ours = cr.vjp(fn, _inputs(cr, *inputs) if len(inputs) > 1 else cr.tensor(ins), v_ours)
    theirs = TF.vjp(fn, _inputs(torch, *inputs) if len(inputs) > 1 else torch.tensor(ins),
                    v_theirs)
    _assert_same(_np(ours), _np(theirs))


def test_vjp_without_v_needs_one_element_output():
    out, g = cr.vjp(lambda t: (t * t).sum(), cr.tensor(X))
    np.testing.assert_allclose(g.data, 2 * X)
    assert not out.requires_grad and not g.requires_grad
    with pytest.raises(RuntimeError, match=r"vjp\(\).*single element.*\(2,\)"):
        cr.vjp(f_single, cr.tensor(X))


@pytest.mark.parametrize("fn, inputs, v", [
    (f_single, (X,), (V_X,)),
    (f_pair, (X, Y), (V_X, V_Y)),
    (f_multi_out, (X, Y), (V_X, V_Y)),
])
def test_jvp_matches_torch(fn, inputs, v):
    if len(inputs) == 1:
        ours = cr.jvp(fn, cr.tensor(inputs[0]), cr.tensor(v[0]))
        theirs = TF.jvp(fn, torch.tensor(inputs[0]), torch.tensor(v[0]))
    else:
        ours = cr.jvp(fn, _inputs(cr, *inputs), _inputs(cr, *v))
        theirs = TF.jvp(fn, _inputs(torch, *inputs), _inputs(torch, *v))
    _assert_same(_np(ours), _np(theirs))


def test_jvp_of_linear_function_and_unused_input():
    out, jv = cr.jvp(lambda a, b: a * 2, _inputs(cr, Y, Y), _inputs(cr, V_Y, V_Y))
    np.testing.assert_allclose(jv.data, 2 * V_Y)
    with pytest.raises(RuntimeError, match=r"jvp\(\).*input 1.*strict"):
        cr.jvp(lambda a, b: a * 2, _inputs(cr, Y, Y), _inputs(cr, V_Y, V_Y), strict=True)


def test_v_of_wrong_shape_is_named():
    with pytest.raises(RuntimeError, match=r"v\[0\] has shape \(3,\).*\(2, 3\)"):
        cr.jvp(f_single, cr.tensor(X), cr.tensor(Y))


# ---------------------------------------------------------------------------
# jacobian and hessian
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
@pytest.mark.parametrize("fn, inputs", [
    (f_single, X), (f_pair, (X, Y)), (f_multi_out, (X, Y)),
    (lambda y: y.exp(), Y), (f_linear, X),
])
def test_jacobian_matches_torch(fn, inputs, strategy):
    if isinstance(inputs, tuple):
        ours = cr.jacobian(fn, _inputs(cr, *inputs), strategy=strategy)
        theirs = TF.jacobian(fn, _inputs(torch, *inputs),
                             strategy=strategy, vectorize=strategy == "forward-mode")
    else:
        ours = cr.jacobian(fn, cr.tensor(inputs), strategy=strategy)
        theirs = TF.jacobian(fn, torch.tensor(inputs), strategy=strategy,
                             vectorize=strategy == "forward-mode")
    _assert_same(_np(ours), _np(theirs))


def test_jacobian_unused_input_is_zero_or_strict_error():
    jac = cr.jacobian(lambda a, b: a.exp(), _inputs(cr, Y, X))
    assert jac[1].shape == (3, 2, 3) and not jac[1].data.any()
    with pytest.raises(RuntimeError, match=r"jacobian\(\).*input 1"):
        cr.jacobian(lambda a, b: a.exp(), _inputs(cr, Y, X), strict=True)


def test_jacobian_create_graph_is_differentiable_like_torch():
    x_ours = cr.tensor(Y, requires_grad=True)
    x_theirs = torch.tensor(Y, requires_grad=True)
    j_ours = cr.jacobian(lambda t: t.sin() * t, x_ours, create_graph=True)
    j_theirs = TF.jacobian(lambda t: t.sin() * t, x_theirs, create_graph=True)
    assert j_ours.requires_grad
    (j_ours * j_ours).sum().backward()
    (j_theirs * j_theirs).sum().backward()
    np.testing.assert_allclose(x_ours.grad.data, x_theirs.grad.numpy(), rtol=1e-10)


def test_jacobian_without_create_graph_leaves_inputs_alone():
    x = cr.tensor(Y, requires_grad=True)
    jac = cr.jacobian(lambda t: t * t, x)
    assert not jac.requires_grad and x.grad is None and graph.is_grad_enabled()


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
@pytest.mark.parametrize("fn, inputs", [
    (lambda x: (x.tanh() * x.exp()).sum(), X), (f_scalar, (X, Y)), (f_linear, X),
    (lambda y: (y ** 3).sum().reshape(1), Y),
])
def test_hessian_matches_torch(fn, inputs, strategy):
    if isinstance(inputs, tuple):
        ours = cr.hessian(fn, _inputs(cr, *inputs), outer_jacobian_strategy=strategy)
        theirs = TF.hessian(fn, _inputs(torch, *inputs), outer_jacobian_strategy=strategy,
                            vectorize=strategy == "forward-mode")
    else:
        ours = cr.hessian(fn, cr.tensor(inputs), outer_jacobian_strategy=strategy)
        theirs = TF.hessian(fn, torch.tensor(inputs), outer_jacobian_strategy=strategy,
                            vectorize=strategy == "forward-mode")
    _assert_same(_np(ours), _np(theirs))


def test_hessian_needs_a_scalar_function():
    with pytest.raises(RuntimeError, match=r"hessian\(\).*single-element.*\(2,\)"):
        cr.hessian(f_single, cr.tensor(X))


@pytest.mark.parametrize("name", ["hvp", "vhp"])
@pytest.mark.parametrize("fn, inputs, v", [
    (lambda x: (x.tanh() * x.exp()).sum(), (X,), (V_X,)),
    (f_scalar, (X, Y), (V_X, V_Y)),
])
def test_hvp_vhp_match_torch(name, fn, inputs, v):
    ours_fn, theirs_fn = getattr(cr, name), getattr(TF, name)
    if len(inputs) == 1:
        ours = ours_fn(fn, cr.tensor(inputs[0]), cr.tensor(v[0]))
        theirs = theirs_fn(fn, torch.tensor(inputs[0]), torch.tensor(v[0]))
    else:
        ours = ours_fn(fn, _inputs(cr, *inputs), _inputs(cr, *v))
        theirs = theirs_fn(fn, _inputs(torch, *inputs), _inputs(torch, *v))
    _assert_same(_np(ours), _np(theirs))


def test_hvp_create_graph_third_order_matches_torch():
    x_ours = cr.tensor(Y, requires_grad=True)
    x_theirs = torch.tensor(Y, requires_grad=True)
    f = lambda t: (t.sin() * t * t).sum()  # noqa: E731
    _, hv_ours = cr.hvp(f, x_ours, cr.tensor(V_Y), create_graph=True)
    _, hv_theirs = TF.hvp(f, x_theirs, torch.tensor(V_Y), create_graph=True)
    hv_ours.sum().backward()
    hv_theirs.sum().backward()
    np.testing.assert_allclose(x_ours.grad.data, x_theirs.grad.numpy(), rtol=1e-10)


def test_functional_keeps_float32():
    x = cr.tensor(X.astype(np.float32))
    assert cr.jacobian(lambda t: t.exp(), x).dtype == np.float32
    assert cr.hessian(lambda t: (t ** 3).sum(), x).dtype == np.float32
    assert cr.jvp(lambda t: t.exp(), x, x)[1].dtype == np.float32
    assert cr.hvp(lambda t: (t ** 3).sum(), x, x)[1].dtype == np.float32


# ---------------------------------------------------------------------------
# checkpoint
# ---------------------------------------------------------------------------

def _block(lib, w):
    def fn(x):
        h = (x @ w).tanh()
        return (h * h + x.sum(-1, keepdim=True)).sigmoid()

    return fn


def test_checkpoint_matches_torch_and_plain_backward():
    w0 = RNG.standard_normal((3, 3))
    x0 = RNG.standard_normal((4, 3))
    results = []
    for lib, run in (
        (cr, lambda f, x: cr.checkpoint(f, x)),
        (cr, lambda f, x: f(x)),
        (torch, lambda f, x: torch.utils.checkpoint.checkpoint(f, x, use_reentrant=False)),
    ):
        w = lib.tensor(w0, requires_grad=True)
        x = lib.tensor(x0, requires_grad=True)
        y = run(_block(lib, w), x * 2)
        (y * lib.tensor(V_X.sum() + np.arange(3.0))).sum().backward()
        results.append([_np(y), _np(x.grad), _np(w.grad)])
    for ours in results[:2]:
        for a, b in zip(ours, results[2]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_checkpoint_saves_one_record_not_the_activations():
    w = cr.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    x = cr.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    y = cr.checkpoint(_block(cr, w), x)
    assert y._ctx.name == "checkpoint"
    assert [p is x for p in y._ctx.parents] == [True]
    plain = _block(cr, w)(x)
    assert plain._ctx.name != "checkpoint"


def test_checkpoint_replays_random_numbers():
    x0 = RNG.standard_normal((5, 4))

    def dropout_like(x):
        keep = cr.rand(*x.shape, dtype=x.dtype) > 0.5
        return x.exp() * keep

    grads = []
    for use_checkpoint in (True, False):
        cr.manual_seed(11)
        x = cr.tensor(x0, requires_grad=True)
        y = cr.checkpoint(dropout_like, x) if use_checkpoint else dropout_like(x)
        cr.rand(3)  # the generator moves on between forward and backward
        y.sum().backward()
        grads.append(x.grad.data)
    np.testing.assert_array_equal(grads[0], grads[1])


def test_checkpoint_extra_arguments_and_keywords():
    x = cr.tensor(Y, requires_grad=True)
    y = cr.checkpoint(lambda t, k, scale=1.0: (t * k).exp() * scale, x, 2.0, scale=3.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6.0 * np.exp(2.0 * Y))


def test_checkpoint_is_first_order_only():
    x = cr.tensor(Y, requires_grad=True)
    (g,) = cr.grad(cr.checkpoint(lambda t: t ** 3, x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * Y ** 2)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        cr.grad(g.sum(), x)


def test_checkpoint_warns_without_inputs_requiring_grad():
    with pytest.warns(UserWarning, match="none of the inputs requires grad"):
        y = cr.checkpoint(lambda t: t * 2, cr.tensor(Y))
    assert not y.requires_grad


def test_checkpoint_needs_a_tensor_result():
    with pytest.raises(TypeError, match="checkpoint.*one Tensor"):
        cr.checkpoint(lambda t: (t, t), cr.tensor(Y, requires_grad=True))
