"""Tensor hooks: ``register_hook`` and ``register_post_accumulate_grad_hook``, as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr


def _pair(values, requires_grad=True):
    return (cr.tensor(np.array(values), requires_grad=requires_grad),
            torch.tensor(np.array(values), requires_grad=requires_grad))


def test_hook_on_leaf_can_replace_its_gradient_like_torch():
    (x, tx) = _pair([1.0, -2.0, 3.0])
    seen, tseen = [], []
    x.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
    tx.register_hook(lambda g: tseen.append(g.tolist()) or g * 2)
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    assert seen == tseen == [[2.0, -4.0, 6.0]]
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_hook_on_intermediate_changes_what_flows_on_like_torch():
    (x, tx) = _pair([0.5, 1.5])
    for a in (x, tx):
        y = a.exp()
        y.register_hook(lambda g: g * 0)  # nothing flows through exp
        (y + a).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    assert x.grad.tolist() == [1.0, 1.0]


def test_hook_runs_once_with_the_summed_gradient_of_a_reused_value():
    x = cr.tensor([2.0], requires_grad=True)
    y = x * 3
    calls = []
    y.register_hook(lambda g: calls.append(g.item()))
    (y * y + y).sum().backward()  # y used three times
    assert calls == [2 * 6.0 + 1]


def test_removed_hook_does_not_run():
    x = cr.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    handle.remove()  # a second remove does nothing
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_hook_needs_a_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        cr.tensor([1.0]).register_hook(lambda g: g)


def test_hooks_see_create_graph_gradients_as_tensors():
    x = cr.tensor([3.0], requires_grad=True)
    kinds = []
    x.register_hook(lambda g: kinds.append(type(g).__name__))
    (g,) = cr.grad((x ** 3).sum(), x, create_graph=True)
    assert kinds == ["Tensor"] and g.requires_grad


def test_post_accumulate_hook_sees_the_accumulated_grad_like_torch():
    (w, tw) = _pair([1.0, 2.0])
    got, tgot = [], []
    w.register_post_accumulate_grad_hook(lambda p: got.append(p.grad.tolist()))
    tw.register_post_accumulate_grad_hook(lambda p: tgot.append(p.grad.tolist()))
    for _ in range(2):  # the second backward accumulates onto the first
        (w * w).sum().backward()
        (tw * tw).sum().backward()
    assert got == tgot == [[2.0, 4.0], [4.0, 8.0]]


def test_post_accumulate_hook_runs_before_the_rest_of_backward():
    # w1 is used only by the last op, w0 only by the first: w1's gradient is final long
    # before the pass reaches w0, and its hook must run at that moment (what lets a
    # data-parallel allreduce overlap the rest of the backward pass).
    w0 = cr.tensor([1.0, 2.0], requires_grad=True)
    w1 = cr.tensor([3.0, 4.0], requires_grad=True)
    events = []
    w0.register_post_accumulate_grad_hook(lambda p: events.append("w0"))
    w1.register_post_accumulate_grad_hook(lambda p: events.append("w1"))
    h = w0.tanh()
    for _ in range(5):
        h = h.sin()
    spy = h.register_hook(lambda g: events.append("middle"))
    loss = (h * w1).sum()
    loss.backward()
    spy.remove()
    assert events == ["w1", "middle", "w0"]
    np.testing.assert_allclose(w1.grad.data, h.data)


def test_post_accumulate_hook_waits_for_every_use_of_a_shared_leaf():
    w = cr.tensor([2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.item()))
    a = w * 3
    b = a.exp() * w  # w used twice, at different depths
    (b + w * w).sum().backward()
    assert len(seen) == 1
    expected = 3 * np.exp(6.0) * 2 + np.exp(6.0) + 2 * 2.0
    assert np.isclose(seen[0], expected)


def test_post_accumulate_hook_only_on_leaves():
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_hooks_do_not_keep_a_graph_alive():
    import gc
    import weakref

    x = cr.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: g)  # a closure over nothing
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None
