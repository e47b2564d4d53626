"""The engine's promises about order, memory and depth (what bench/ relies on)."""

import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import chainrule as cr


def test_deep_chain_at_default_recursion_limit():
    # bench/deep_chain.py runs a million; a tenth of that keeps the suite quick
    limit = sys.getrecursionlimit()
    x = cr.tensor(np.array([0.5]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad.tolist() == [1.0]


def test_backward_frees_saved_arrays_as_it_goes():
    # after backward, nothing of the forward graph is alive but what the user holds
    x = cr.tensor(np.ones(4), requires_grad=True)
    h = (x * 2).tanh()
    probe = weakref.ref(h._ctx)
    out = (h * 3).exp().sum()
    del h
    gc.disable()
    try:
        out.backward()
        assert probe() is None or probe().freed
    finally:
        gc.enable()


def test_graphs_free_by_refcount_no_cycles():
    gc.collect()
    gc.disable()
    try:
        w = cr.tensor(np.random.randn(8, 8), requires_grad=True)
        refs = []
        for _ in range(20):
            h = (cr.tensor(np.random.randn(2, 8)) @ w).tanh()
            refs.append(weakref.ref(h))
            loss = (h * h).sum()
            refs.append(weakref.ref(loss))
            loss.backward()
            del h, loss
        assert all(r() is None for r in refs)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_no_growth_over_many_steps():
    w = cr.tensor(np.random.randn(16, 16).astype(np.float32), requires_grad=True)
    x = cr.tensor(np.random.randn(4, 16).astype(np.float32))

    def step():
        loss = ((x @ w).relu() * 0.5).sum()
        loss.backward()
        with cr.no_grad():
            w.data -= 0.01 * w.grad.data
        w.grad = None

    for _ in range(20):
        step()
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(20):
            step()
        gc.collect()  # a full collection also empties CPython's free lists (bounded caches)
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            step()
        cycles = gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
        gc.enable()
    assert cycles == 0
    assert grown < 4 * 1024


def test_root_that_feeds_another_root():
    # both roots in one call: the later one's gradient flows through the earlier one
    x = cr.tensor([2.0], requires_grad=True, dtype=np.float64)
    a = x * 3
    b = a * a
    cr.graph.backward([a, b], [np.ones(1), np.ones(1)])
    # d(a + b)/dx = 3 + 2 * a * 3 = 3 + 36
    assert x.grad.tolist() == [39.0]


def test_diamond_and_shared_inputs():
    x = cr.tensor([1.5], requires_grad=True, dtype=np.float64)
    a = x * x          # 2x
    b = a + x          # 2x + 1
    c = a * b          # d/dx (x^2 (x^2 + x)) = 4x^3 + 3x^2
    c.sum().backward()
    assert x.grad.item() == pytest.approx(4 * 1.5 ** 3 + 3 * 1.5 ** 2)


def test_inplace_after_use_still_detected_in_ordered_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    z = (h * h).sum()
    h += 1  # rebases h onto a newer record than z's
    with pytest.raises(RuntimeError, match="modified"):
        z.backward()


def test_grad_of_non_leaf_input():
    x = cr.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = x * 3
    y = (h * h).sum()
    (gh,) = cr.grad(y, [h])
    assert gh.tolist() == [6.0, 12.0]
    assert x.grad is None
