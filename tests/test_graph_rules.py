"""The rules of the graph, and small exact cases that pin conventions.

Each test is one rule from issue 2 or from the regression list in STYLE.md:
deep graphs, reused intermediates, accumulation, freed graphs, in-place
detection, dtype keeping, error messages, kink and tie conventions (checked
against PyTorch), thread-local grad mode and custom Functions.
"""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.gradcheck import GradcheckError

# ---------------------------------------------------------------------------
# Graph shape
# ---------------------------------------------------------------------------

def test_million_op_chain_has_no_recursion():
    # A chain makes no reference cycles, so pausing Python's cyclic collector changes
    # nothing but the time (it would otherwise rescan millions of live objects).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x0 = cr.tensor([0.5], requires_grad=True)
        x = x0
        for _ in range(1_000_000):
            x = -x
        x.sum().backward()
    finally:
        if was_enabled:
            gc.enable()
    assert x0.grad.tolist() == [1.0]
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        x.sum().backward()


def test_reused_intermediate_accumulates():
    a = cr.tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_diamond_and_shared_parameter():
    w = cr.tensor(2.0, requires_grad=True)
    x = w * 3
    y = x.exp() * x + w * w  # x used twice, w used at three places
    y.backward()
    x_val = 6.0
    expected = 3 * (np.exp(x_val) * x_val + np.exp(x_val)) + 2 * 2.0
    assert np.isclose(w.grad.item(), expected, rtol=1e-6)


def test_leaves_accumulate_intermediates_keep_nothing():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    (b * b).sum().backward()
    assert a.grad.tolist() == [18.0, 36.0]
    assert b.grad is None
    (a * 2).sum().backward()
    assert a.grad.tolist() == [20.0, 38.0]


def test_retain_grad_keeps_intermediate_grad():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = (a * 3).retain_grad()
    (b * b).sum().backward()
    assert b.grad.tolist() == [6.0, 12.0]
    assert not b.is_leaf and a.is_leaf


def test_broadcast_operand_grad_has_operand_shape():
    a = cr.ones(3, 1, requires_grad=True)
    b = cr.ones(1, 4, requires_grad=True)
    c = cr.tensor(2.0, requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4) and c.grad.shape == ()
    assert a.grad.tolist() == [[8.0]] * 3 and c.grad.item() == 12.0


# ---------------------------------------------------------------------------
# Freeing, retain_graph, output gradients
# ---------------------------------------------------------------------------

def test_second_backward_through_freed_graph_raises():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (a.exp() * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_grad_with_inputs_runs_only_the_part_of_the_graph_behind_them():
    # As PyTorch: a branch that leads to no input is not run (its VJPs cost nothing)
    results = []
    for lib in (cr, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        a, b = (x * x).sum(), y.exp().sum()
        z = a + b
        (gx,) = lib.autograd.grad(z, x, retain_graph=True)
        (gx2, ga) = lib.autograd.grad(z * z, [x, a])  # an input behind another input
        b.backward()  # the y branch was not run by grad, so it was not freed either
        results.append((gx.numpy(), gx2.numpy(), ga.numpy(), y.grad.numpy()))
        z2 = (x * y).sum()
        z2.backward(inputs=[x])  # backward(inputs=...) accumulates into x only
        assert y.grad.tolist() == results[-1][3].tolist()
        results[-1] += (x.grad.numpy(),)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)
    calls = []

    class Counted(cr.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * 2

    x = cr.tensor([1.0], requires_grad=True)
    w = cr.tensor([1.0], requires_grad=True)
    loss = (Counted.apply(w) + x * 3).sum()
    assert cr.autograd.grad(loss, x)[0].tolist() == [3.0]
    assert calls == []  # the branch that leads only to w never ran


def test_grad_through_a_branch_an_earlier_backward_freed_raises():
    # Pruning the graph to the inputs never skips a freed record: its edges are gone,
    # so it might lead to an input, and a gradient without its part would be wrong.
    for lib in (cr, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = (x * x).sum()
        b = x.exp().sum()
        b.backward()
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            lib.autograd.grad(a + b, x)
        y = (x * 3).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            lib.autograd.grad(y, x)


def test_retain_graph_allows_second_backward_and_accumulates():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert a.grad.tolist() == [4.0, 8.0]


def test_saved_values_are_dropped_after_backward():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    y = a.exp()
    ctx = y._ctx
    y.sum().backward()
    assert ctx.freed
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        _ = ctx.saved_tensors


def test_non_scalar_backward_needs_gradient():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    y = a * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*gradient"):
        y.backward()
    y.backward(gradient=cr.tensor([1.0, -1.0]))
    assert a.grad.tolist() == [2.0, -2.0]


def test_backward_gradient_of_wrong_shape_raises():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        (a * 2).backward(gradient=cr.ones(3))


def test_backward_without_graph_raises():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        cr.tensor([1.0]).sum().backward()


# ---------------------------------------------------------------------------
# In-place changes
# ---------------------------------------------------------------------------

def test_inplace_add_to_saved_input_raises_naming_op():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0])
    y = w * x  # mul saves x
    x += 1
    with pytest.raises(RuntimeError, match=r"op 'mul'.*modified in place"):
        y.sum().backward()


def test_setitem_on_saved_intermediate_raises_naming_op():
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    c = b.sin()  # sin saves its input
    b[0] = 5.0
    with pytest.raises(RuntimeError, match=r"op 'sin'.*modified in place"):
        c.sum().backward()


def test_inplace_on_saved_output_raises():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()  # exp saves its output
    b *= 2
    with pytest.raises(RuntimeError, match=r"op 'exp'.*modified in place"):
        b.sum().backward()


def test_inplace_on_unsaved_intermediate_is_recorded():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1.0  # neither operand that needs saving is b itself
    b += a
    b *= 3
    b.sum().backward()
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    tb = t * 1.0
    tb += t
    tb *= 3
    tb.sum().backward()
    assert a.grad.tolist() == t.grad.tolist()


def test_changing_an_input_its_op_did_not_save_is_fine_as_in_torch():
    # add saves nothing and exp saves only its output: a later in-place change of their
    # input does not touch their gradients, and PyTorch runs the backward too
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        b = a + 1
        c = a.exp()
        a.mul_(3)  # recorded on a; b's and c's records still point at a's old record
        (b.sum() + c.sum() + a.sum()).backward()
        return x.grad.tolist()

    ours, theirs = run(cr), run(torch)
    assert np.allclose(ours, theirs, rtol=1e-6)


def test_a_constant_input_that_was_saved_is_checked_too():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0])  # needs no grad, but mul saved it for w's gradient
    y = x * w
    x.mul_(2)
    with pytest.raises(RuntimeError, match=r"op 'mul'.*version 0 -> 1"):
        y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 3.0
    with cr.no_grad():
        w -= 1
        w[1] = 7.0
    assert w.tolist() == [0.0, 7.0] and w.requires_grad and w.is_leaf


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [cr.int64, cr.int32, cr.bool])
def test_integer_and_bool_tensors_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match="floating-point"):
        cr.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        cr.tensor([1, 0], dtype=dtype).requires_grad_()


def test_float32_in_float32_out_and_numbers_do_not_upcast():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    assert x.dtype == np.float32
    y = (2.5 * x + 1) ** 2 / 3.0 - 0.1 * x.exp() + 2 ** x
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_stays_float64():
    x = cr.tensor(np.array([0.5, 1.5]), requires_grad=True)
    assert x.dtype == np.float64
    y = (x * 2.0).tanh().sum()
    y.backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float64


def test_mixed_float32_float64_promotes_like_torch():
    a = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([2.0], dtype=cr.float64, requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


@pytest.mark.parametrize("expr", [
    lambda m: m.arange(3) * 2.5, lambda m: m.ones(3) * m.arange(3), lambda m: m.arange(3) / 2,
    lambda m: m.arange(1, 4) / m.arange(1, 4), lambda m: 1 / m.arange(1, 4),
    lambda m: m.arange(3).exp(), lambda m: m.arange(3).sqrt(), lambda m: m.arange(3).sigmoid(),
    lambda m: m.arange(1, 4).log(), lambda m: m.arange(3).sin(), lambda m: m.arange(3) ** 0.5,
    lambda m: 2.5 ** m.arange(3), lambda m: m.arange(3) - 0.5, lambda m: m.arange(3) + True,
    lambda m: -m.arange(3), lambda m: m.arange(3).abs(), lambda m: (m.arange(3) > 0).sum(),
    lambda m: m.maximum(m.ones(3), m.arange(3)),
    lambda m: m.where(m.arange(3) > 0, m.arange(3), 0.5),
    lambda m: m.ones(3) * np.float64(2.0), lambda m: m.ones(3) + np.float32(1.0),
    lambda m: m.ones(2, dtype=m.float64) * m.ones(2), lambda m: m.ones(2) * m.arange(2) * 0.5,
])
def test_type_promotion_matches_torch(expr):
    ours, theirs = expr(cr), expr(torch)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_float32_with_integer_tensor_keeps_float32_grad():
    w = cr.tensor([0.5, 1.5], requires_grad=True)
    y = w * cr.arange(2) + w / cr.tensor([1, 2]) - cr.tensor([3, 4]) ** w
    assert y.dtype == np.float32
    y.sum().backward()
    t = torch.tensor([0.5, 1.5], requires_grad=True)
    (t * torch.arange(2) + t / torch.tensor([1, 2]) - torch.tensor([3, 4]) ** t).sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad.data, t.grad.numpy(), rtol=1e-6)


def test_cast_is_differentiable_and_grad_keeps_input_dtype():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = x.double() ** 3
    assert y.dtype == np.float64
    (g,) = cr.grad(y.sum(), x, create_graph=True)
    assert g.dtype == np.float32 and np.allclose(g.data, 3 * x.data ** 2)
    (h,) = cr.grad(g.sum(), x)
    assert h.dtype == np.float32 and np.allclose(h.data, 6 * x.data)
    assert not x.long().requires_grad and x.long().dtype == np.int64


def test_higher_order_grads_keep_float32():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    (g,) = cr.grad((x ** 3).sum(), x, create_graph=True)
    (h,) = cr.grad(g.sum(), x)
    assert g.dtype == np.float32 and h.dtype == np.float32
    assert np.allclose(h.data, 6 * x.data)


# ---------------------------------------------------------------------------
# Errors a user can cause name the op and the shapes
# ---------------------------------------------------------------------------

def test_matmul_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 6\)"):
        cr.ones(3, 4) @ cr.ones(5, 6)


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        cr.ones(2, 3) + cr.ones(4)
    with pytest.raises(ValueError, match=r"maximum.*\(2, 3\).*\(2,\)"):
        cr.maximum(cr.ones(2, 3), cr.ones(2))


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r"reshape.*\(4,\).*\(2, 3\)"):
        cr.ones(2, 3).reshape(4)


def test_cat_and_stack_errors_name_shapes():
    with pytest.raises(ValueError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        cr.cat([cr.ones(2, 3), cr.ones(2, 4)], dim=0)
    with pytest.raises(ValueError, match=r"stack.*\(2,\).*\(3,\)"):
        cr.stack([cr.ones(2), cr.ones(3)])


def test_dim_out_of_range_names_op():
    with pytest.raises(IndexError, match=r"sum.*dim 2"):
        cr.ones(2, 3).sum(dim=2)


# ---------------------------------------------------------------------------
# Conventions at kinks and ties: exactly PyTorch's
# ---------------------------------------------------------------------------

def _both(fn, *values):
    """Gradients of sum(fn(x...)) in chainrule and torch, for float64 inputs."""
    ours = [cr.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    fn(cr, *ours).sum().backward()
    fn(torch, *theirs).sum().backward()
    return [o.grad.tolist() for o in ours], [t.grad.tolist() for t in theirs]


@pytest.mark.parametrize("name, fn, values, expected", [
    ("relu at 0", lambda m, x: x.relu(), ([-1.0, 0.0, 2.0],), [[0.0, 0.0, 1.0]]),
    ("abs at 0", lambda m, x: x.abs(), ([-1.0, 0.0, 2.0],), [[-1.0, 0.0, 1.0]]),
    ("clamp at bounds", lambda m, x: x.clamp(0.0, 1.0), ([0.0, 0.5, 1.0, 2.0],),
     [[1.0, 1.0, 1.0, 0.0]]),
    ("max ties split", lambda m, x: x.max(), ([1.0, 3.0, 3.0],), [[0.0, 0.5, 0.5]]),
    ("amax ties split per row", lambda m, x: x.amax(dim=1),
     ([[2.0, 2.0, 2.0], [1.0, 5.0, 5.0]],), [[[1 / 3] * 3, [0.0, 0.5, 0.5]]]),
    ("min ties split", lambda m, x: x.min(), ([1.0, 1.0, 3.0],), [[0.5, 0.5, 0.0]]),
    ("max(dim) to returned index", lambda m, x: x.max(dim=0).values,
     ([1.0, 3.0, 3.0],), [[0.0, 1.0, 0.0]]),
    ("min(dim) to returned index", lambda m, x: x.min(dim=1).values,
     ([[4.0, 2.0, 2.0]],), [[[0.0, 1.0, 0.0]]]),
    ("maximum ties half-half", lambda m, a, b: m.maximum(a, b),
     ([1.0, 2.0], [1.0, 3.0]), [[0.5, 0.0], [0.5, 1.0]]),
    ("minimum ties half-half", lambda m, a, b: m.minimum(a, b),
     ([1.0, 2.0], [1.0, 3.0]), [[0.5, 1.0], [0.5, 0.0]]),
    ("pow 0 ** 0", lambda m, a, b: a ** b, ([0.0, 2.0], [0.0, 1.0]),
     [[0.0, 1.0], [0.0, 2 * np.log(2)]]),
    ("sqrt at 0 is inf", lambda m, x: x.sqrt(), ([0.0, 4.0],), [[np.inf, 0.25]]),
])
def test_conventions_match_torch(name, fn, values, expected):
    ours, theirs = _both(fn, *values)
    for got, torch_got, want in zip(ours, theirs, expected):
        np.testing.assert_allclose(got, torch_got, err_msg=f"{name}: differs from torch")
        np.testing.assert_allclose(got, want, err_msg=name)


def test_max_dim_returns_values_and_indices():
    x = cr.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == np.int64
    assert x.max(dim=1).indices.tolist() == torch.tensor(x.numpy()).max(dim=1).indices.tolist()
    kept = x.min(dim=0, keepdim=True)
    assert kept.values.shape == (1, 3) and kept.indices.tolist() == [[0, 1, 0]]


def test_comparisons_give_bool_and_no_grad():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    for r in (a < 2, a >= a, a == 1.0, 2.0 > a, a != np.array([1.0, 0.0])):
        assert r.dtype == np.bool_ and not r.requires_grad
    assert (a > 1).tolist() == [False, True]


# ---------------------------------------------------------------------------
# Grad mode
# ---------------------------------------------------------------------------

def test_no_grad_enable_grad_set_grad_enabled_nest():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        assert not (x * 2).requires_grad
        with cr.enable_grad():
            assert (x * 2).requires_grad
        assert not cr.is_grad_enabled()
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled()
    cr.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)

    @cr.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad and (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    inside = threading.Event()
    checked = threading.Event()
    seen = {}

    def worker():
        with cr.no_grad():
            inside.set()
            checked.wait(5)
            seen["worker"] = (cr.is_grad_enabled(), (x * 2).requires_grad)

    x = cr.tensor([1.0], requires_grad=True)
    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(5)
    seen["main"] = (cr.is_grad_enabled(), (x * 2).requires_grad)
    checked.set()
    t.join(5)
    assert seen == {"main": (True, True), "worker": (False, False)}


# ---------------------------------------------------------------------------
# grad(), create_graph, higher order
# ---------------------------------------------------------------------------

def test_grad_returns_and_does_not_touch_dot_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], requires_grad=True)
    gx, gy = cr.grad((x * y).sum(), [x, y])
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    assert x.grad is None and y.grad is None


def test_grad_allow_unused_and_grad_outputs():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    z = cr.tensor([1.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        cr.grad(y, [x, z], grad_outputs=cr.ones(2), retain_graph=True)
    gx, gz = cr.grad(y, [x, z], grad_outputs=[cr.tensor([1.0, -2.0])], allow_unused=True)
    assert gx.tolist() == [3.0, -6.0] and gz is None


def test_third_order_matches_torch():
    def f(m, x):
        return (x.tanh() * x.sin()).sum()

    ours = cr.tensor(np.array([0.3, -0.7]), requires_grad=True)
    theirs = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    results = []
    for lib, x, grad in ((cr, ours, cr.grad), (torch, theirs, torch.autograd.grad)):
        (g1,) = grad(f(lib, x), x, create_graph=True)
        (g2,) = grad(g1.sum(), x, create_graph=True)
        (g3,) = grad(g2.sum(), x)
        results.append([np.asarray(g.detach().numpy() if lib is torch else g.data)
                        for g in (g1, g2, g3)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_backward_create_graph_gives_differentiable_grad():
    x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.item() == 12.0
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0


def test_log_x1_plus_x1x2_minus_sin_x2_worked_example():
    """f = log x1 + x1 x2 - sin x2 at (2, 5): df/dx1 = 1/2 + 5, df/dx2 = 2 - cos 5."""
    x1 = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    x2 = cr.tensor(5.0, dtype=cr.float64, requires_grad=True)
    f = x1.log() + x1 * x2 - x2.sin()
    f.backward()
    assert np.isclose(f.item(), np.log(2) + 10 - np.sin(5))
    assert np.isclose(x1.grad.item(), 5.5) and np.isclose(x2.grad.item(), 2 - np.cos(5))


# ---------------------------------------------------------------------------
# Custom Functions
# ---------------------------------------------------------------------------

class _Cube(cr.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class _MulAdd(cr.Function):
    """a * b + c with a keyword parameter that is never differentiated."""

    @staticmethod
    def forward(ctx, a, b, c, scale=1.0):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return (a * b + c) * scale

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        g = grad * ctx.scale
        return g * b, g * a, g


class _OnceSquare(cr.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @cr.once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        assert isinstance(x, np.ndarray)
        return 2 * grad * x


def test_custom_function_first_and_second_order():
    x = cr.tensor([1.0, -2.0], dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda t: _Cube.apply(t), (x,))
    assert cr.gradgradcheck(lambda t: _Cube.apply(t), (x,))
    _Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_custom_function_several_inputs_broadcast_and_params():
    a = cr.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    b = cr.tensor(np.array([[3.0], [4.0]]), requires_grad=True)
    c = cr.tensor(np.array(0.5), requires_grad=True)
    out = _MulAdd.apply(a, b, c, scale=2.0)
    assert out.shape == (2, 2)
    out.sum().backward()
    assert a.grad.tolist() == [[14.0, 14.0]] and b.grad.tolist() == [[6.0], [6.0]]
    assert c.grad.item() == 8.0
    assert cr.gradcheck(lambda *t: _MulAdd.apply(*t, scale=2.0), (a, b, c))


def test_once_differentiable_first_order_works_second_raises():
    x = cr.tensor([1.0, 3.0], requires_grad=True)
    _OnceSquare.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 6.0]
    (g,) = cr.grad(_OnceSquare.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [2.0, 6.0]
    with pytest.raises(RuntimeError, match="once_differentiable"):
        cr.grad(g.sum(), x)


# ---------------------------------------------------------------------------
# gradcheck's own messages
# ---------------------------------------------------------------------------

class _WrongGrad(cr.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x * 1.5  # wrong for y


class _WrongSecond(cr.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # right values, but the x-dependence is hidden from a second differentiation
        return grad * 3 * (x * x).detach() if hasattr(x, "detach") else grad * 3 * x * x


def test_gradcheck_names_input_element_and_values():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([3.0, -1.0], dtype=cr.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 .*element \(0,\).*analytic.*numerical"):
        cr.gradcheck(lambda a, b: _WrongGrad.apply(a, b), (x, y))
    assert cr.gradcheck(lambda a, b: _WrongGrad.apply(a, b), (x, y),
                        raise_exception=False) is False


def test_gradgradcheck_catches_wrong_second_order():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda t: _WrongSecond.apply(t), (x,))
    with pytest.raises(GradcheckError, match=r"input 0 .*element.*analytic.*numerical"):
        cr.gradgradcheck(lambda t: _WrongSecond.apply(t), (x,))


# ---------------------------------------------------------------------------
# The Tensor API: properties and creation (PyTorch's names and dtypes)
# ---------------------------------------------------------------------------

def test_tensor_properties():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.shape == (2, 2) and x.ndim == 2 and x.dtype == np.float32
    assert x.is_leaf and x.requires_grad and x.grad is None
    y = x * 2
    assert not y.is_leaf and y.requires_grad
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.tolist() == y.tolist()
    assert np.shares_memory(d.numpy(), y.numpy(force=True))
    assert np.shares_memory(y.data.numpy(), y.numpy(force=True))
    with pytest.raises(RuntimeError, match="detach"):
        y.numpy()
    assert x[1, 0].item() == 3.0
    with pytest.raises(ValueError, match="item"):
        x.item()
    z = cr.tensor([1.0]).requires_grad_()
    assert z.requires_grad


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(2, 3), lambda m: m.ones((2, 3)), lambda m: m.full((2,), 1.5),
    lambda m: m.full((2,), 3), lambda m: m.full((2,), True), lambda m: m.eye(3),
    lambda m: m.eye(2, 3), lambda m: m.arange(5), lambda m: m.arange(1, 7, 2),
    lambda m: m.arange(0.0, 1.0, 0.25), lambda m: m.zeros_like(m.ones(2, dtype=m.float64)),
    lambda m: m.ones_like(m.arange(3)), lambda m: m.zeros(3, dtype=m.float64),
    lambda m: m.tensor(3), lambda m: m.tensor([True, False]), lambda m: m.tensor(2.5),
])
def test_creation_matches_torch(make):
    ours, theirs = make(cr), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_random_creation_and_manual_seed():
    cr.manual_seed(3)
    a, b = cr.rand(2, 3), cr.randn(4)
    cr.manual_seed(3)
    assert cr.rand(2, 3).tolist() == a.tolist() and cr.randn(4).tolist() == b.tolist()
    assert a.dtype == np.float32 and ((a.data >= 0) & (a.data < 1)).all()
    assert cr.randn(2, dtype=cr.float64, requires_grad=True).requires_grad


# ---------------------------------------------------------------------------
# x[index] = v on a recorded tensor: no gradient reaches the overwritten entries
# ---------------------------------------------------------------------------

_SETITEM_CASES = {
    "int": (lambda: 1, (2,)),
    "slice": (lambda: (slice(0, 2), slice(1, None)), (2, 1)),
    "broadcast_row": (lambda: slice(1, 3), (2,)),
    "fancy": (lambda: ([0, 2], [1, 0]), (2,)),
    "bool_mask": (lambda: np.array([True, False, True]), (1, 2)),
    "ellipsis_scalar": (lambda: Ellipsis, ()),
    "negative_and_none": (lambda: (-1, None), (2,)),
}


def _setitem_grads(lib, x0, v0, w, index):
    tensor = torch.tensor if lib is torch else cr.tensor
    x = tensor(x0, requires_grad=True)
    v = tensor(v0, requires_grad=True)
    y = x * 3.0  # a recorded intermediate (a leaf that requires grad can't be written)
    y[index] = v * 2.0
    loss = (y * tensor(w)).sum()
    loss.backward()

    def arr(t):
        return t.grad.numpy() if lib is torch else t.grad.data

    return arr(x), arr(v), (y.detach().numpy() if lib is torch else y.data)


@pytest.mark.parametrize("name", sorted(_SETITEM_CASES))
def test_setitem_gradient_matches_torch(name):
    make_index, v_shape = _SETITEM_CASES[name]
    rng = np.random.default_rng(3)
    x0, w = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    v0 = rng.standard_normal(v_shape)
    ours = _setitem_grads(cr, x0, v0, w, make_index())
    theirs = _setitem_grads(torch, x0, v0, w, make_index())
    for a, b, what in zip(ours, theirs, ("x.grad", "v.grad", "y")):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=what)
    written = np.zeros((3, 2), bool)
    written[make_index()] = True
    assert np.all(ours[0].numpy()[written] == 0)  # the overwritten entries of x get nothing


@pytest.mark.parametrize("name", sorted(_SETITEM_CASES))
def test_setitem_gradcheck_first_and_second_order(name):
    make_index, v_shape = _SETITEM_CASES[name]
    rng = np.random.default_rng(4)

    def fn(x, v):
        y = x * x  # second order is not trivially zero
        y[make_index()] = v * v
        return y

    x = cr.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    v = cr.tensor(rng.standard_normal(v_shape), requires_grad=True)
    assert cr.gradcheck(fn, (x, v), rtol=1e-6, atol=1e-8)
    assert cr.gradgradcheck(fn, (x, v), rtol=1e-6, atol=1e-8)
