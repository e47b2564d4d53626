"""Property-based tests: broadcasting binary ops and indexing, gradients against PyTorch.

Shapes, slices, integer arrays (with repeats) and boolean masks are drawn by
hypothesis; every gradient must have its operand's shape and equal torch's.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

SETTINGS = settings(max_examples=40, deadline=None)

BINARY_OPS = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b * b + 1),
    "pow": lambda m, a, b: (a * a + 0.5) ** b,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "where": lambda m, a, b: m.where(a > b, a * b, b),
    "chain": lambda m, a, b: (a * b).sin() + a.exp() / (1 + b * b),
}


def _values(draw, shape):
    """Distinct values (no ties between operands), from a seed hypothesis chooses."""
    seed = draw(st.integers(0, 2**16))
    n = int(np.prod(shape))
    return np.random.default_rng(seed).uniform(-2, 2, n).reshape(shape)


def _grads(lib, fn, arrays, seed_shape_rng):
    if lib is torch:
        xs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = fn(torch, *xs)
        v = torch.tensor(seed_shape_rng(tuple(out.shape)))
        (out * v).sum().backward()
        return out.detach().numpy(), [x.grad.numpy() for x in xs]
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = fn(cr, *xs)
    v = cr.tensor(seed_shape_rng(out.shape))
    (out * v).sum().backward()
    return out.data, [x.grad.data for x in xs]


@SETTINGS
@given(
    op=st.sampled_from(sorted(BINARY_OPS)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    data=st.data(),
)
def test_broadcast_binary_matches_torch(op, shapes, data):
    fn = BINARY_OPS[op]
    a_shape, b_shape = shapes.input_shapes
    a = _values(data.draw, a_shape)
    b = _values(data.draw, b_shape)

    def cotangent(shape):
        return np.random.default_rng(5).standard_normal(shape)

    ours, our_grads = _grads(cr, fn, [a, b], cotangent)
    theirs, their_grads = _grads(torch, fn, [a, b], cotangent)
    assert ours.shape == shapes.result_shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    for g, tg, shape in zip(our_grads, their_grads, (a_shape, b_shape)):
        assert g.shape == shape, f"{op}: grad shape {g.shape} for an operand of shape {shape}"
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)


@st.composite
def _index_case(draw):
    """A shape and an index into it: basic (slices, ints, None, Ellipsis), int array or mask."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    kind = draw(st.sampled_from(["basic", "int_array", "int_array_2d", "mask", "mask_rows",
                                 "array_and_slice"]))
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True,
                                       allow_ellipsis=True))
        # torch has no negative slice steps
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(p, slice) and p.step is not None and p.step < 0 for p in parts):
            index = tuple(slice(p.start, p.stop, -p.step) if isinstance(p, slice) and p.step
                          and p.step < 0 else p for p in parts)
    elif kind == "int_array":
        n = draw(st.integers(1, 6))
        index = np.array(draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=n,
                                       max_size=n)))
    elif kind == "int_array_2d":
        index = np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=4, max_size=4)))
        index = index.reshape(2, 2)
    elif kind == "mask":
        bits = draw(st.lists(st.booleans(), min_size=int(np.prod(shape)),
                             max_size=int(np.prod(shape))))
        index = np.array(bits, dtype=bool).reshape(shape)
    elif kind == "mask_rows":
        index = np.array(draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])))
    else:
        rows = np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))
        index = (rows, slice(None, None, 2)) if len(shape) > 1 else rows
    return shape, index


def _torch_index(index):
    if isinstance(index, tuple):
        return tuple(_torch_index(p) for p in index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    return index


@SETTINGS
@given(case=_index_case(), seed=st.integers(0, 2**16))
def test_indexing_grads_match_torch(case, seed):
    shape, index = case
    x = np.random.default_rng(seed).standard_normal(shape)
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = ours[index]
    tout = theirs[_torch_index(index)]
    assert out.shape == tuple(tout.shape)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    v = np.random.default_rng(seed + 1).standard_normal(out.shape)
    (out * cr.tensor(v)).sum().backward()
    (tout * torch.tensor(v)).sum().backward()
    assert ours.grad.shape == shape
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(case=_index_case(), seed=st.integers(0, 2**16))
def test_indexing_second_order_matches_torch(case, seed):
    """d/dx of sum(grad(sum(x[i]**3 * v)) * w): repeated indices must add up at every order."""
    shape, index = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    w = rng.standard_normal(shape)
    results = []
    for lib, idx in ((cr, index), (torch, _torch_index(index))):
        t = lib.tensor(x, requires_grad=True)
        y = t[idx]
        (g,) = (torch.autograd.grad if lib is torch else cr.grad)(
            (y ** 3).sum(), t, create_graph=True)
        (h,) = (torch.autograd.grad if lib is torch else cr.grad)(
            (g * lib.tensor(w)).sum(), t)
        results.append((g.detach().numpy() if lib is torch else g.data,
                        h.numpy() if lib is torch else h.data))
    (g, h), (tg, th) = results
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, th, rtol=1e-12, atol=1e-12)
