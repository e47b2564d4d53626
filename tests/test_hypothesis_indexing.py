"""Property-based tests: indices that mix integers, slices, None, Ellipsis, index tensors,
boolean masks and Python bools, against PyTorch.

hypothesis draws a shape and an index; ``x[index]`` must give PyTorch's shape, values
and gradient (or fail where PyTorch fails), and ``x[index] = v`` PyTorch's values and
gradients (for ``x`` and ``v``). NumPy disagrees with PyTorch on many of these indices
(integers count as index arrays there, an empty Ellipsis keeps index arrays apart), so
this is what pins PyTorch's rule.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

SETTINGS = settings(max_examples=100, deadline=None)


@st.composite
def mixed_indices(draw):
    """``(shape, parts)``: a tensor shape and an index (a list of parts, each a tagged value
    that both libraries can be given: see :func:`_build`)."""
    ndim = draw(st.integers(1, 5))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    kinds = draw(st.lists(st.sampled_from(["int", "slice", "none", "array", "list", "int_tensor",
                                           "true", "false", "mask"]), min_size=1, max_size=6))
    if draw(st.booleans()):
        kinds.insert(draw(st.integers(0, len(kinds))), "ellipsis")
    adv_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    if "mask" in kinds:  # a mask's length broadcasts with nothing else: it is alone
        kinds = [k for k in kinds if k not in ("array", "list", "mask")]
        kinds.insert(draw(st.integers(0, len(kinds))), "mask")
    parts, dim = [], 0
    rest = ndim - sum(1 for k in kinds if k in ("int", "slice", "array", "list", "int_tensor"))
    for kind in kinds:
        if kind == "ellipsis":
            dim += max(rest, 0)
            parts.append(("ellipsis", None))
            continue
        if kind in ("none", "true", "false"):
            parts.append((kind, None))
            continue
        if dim >= ndim:
            continue  # no dims left to index
        n = shape[dim]
        if kind == "int":
            parts.append(("int", draw(st.integers(-n, n - 1))))
        elif kind == "int_tensor":
            parts.append(("int_tensor", draw(st.integers(-n, n - 1))))
        elif kind == "slice":
            bound = st.none() | st.integers(-n - 2, n + 2)
            step = st.none() | st.integers(1, 3)
            parts.append(("slice", slice(draw(bound), draw(bound), draw(step))))
        elif kind in ("array", "list"):
            own = tuple(1 if draw(st.booleans()) else s for s in adv_shape)
            own = own[draw(st.integers(0, len(own))):]  # leading dims may be left out
            seed = draw(st.integers(0, 2**16))
            values = np.random.default_rng(seed).integers(-n, n, size=own)
            parts.append((kind, values if kind == "array" else values.tolist()))
        else:  # a mask over as many dims as are left, at most 2
            k = draw(st.integers(1, min(2, ndim - dim)))
            seed = draw(st.integers(0, 2**16))
            mask = np.random.default_rng(seed).random(shape[dim:dim + k]) < 0.6
            parts.append(("mask", mask))
            dim += k
            continue
        dim += 1
    return shape, parts


def _build(lib, parts):
    """The index as ``lib`` takes it (a tuple), from the tagged parts."""
    out = []
    for kind, v in parts:
        if kind == "ellipsis":
            out.append(Ellipsis)
        elif kind == "none":
            out.append(None)
        elif kind in ("true", "false"):
            out.append(kind == "true")
        elif kind in ("int", "slice", "list"):
            out.append(v)
        elif kind == "int_tensor":
            out.append(lib.tensor(v))
        else:
            out.append(lib.tensor(v))
    return tuple(out)


def _torch_result(x_array, parts):
    """PyTorch's x[index], or the type of error it raises."""
    try:
        return torch.tensor(x_array)[_build(torch, parts)], None
    except (IndexError, RuntimeError, ValueError) as err:
        return None, type(err)


@SETTINGS
@given(case=mixed_indices(), seed=st.integers(0, 2**16))
def test_getitem_matches_torch(case, seed):
    shape, parts = case
    rng = np.random.default_rng(seed)
    x_array = rng.standard_normal(shape)
    expected, error = _torch_result(x_array, parts)
    x = cr.tensor(x_array, requires_grad=True)
    if error is not None:
        try:
            x[_build(cr, parts)]
        except (IndexError, RuntimeError, ValueError):
            return
        raise AssertionError(f"torch raises {error.__name__} for {parts}, chainrule does not")
    out = x[_build(cr, parts)]
    assert out.shape == tuple(expected.shape), parts
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())

    w = rng.standard_normal(out.shape)
    (out * cr.tensor(w)).sum().backward()
    xt = torch.tensor(x_array, requires_grad=True)
    (xt[_build(torch, parts)] * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(case=mixed_indices(), seed=st.integers(0, 2**16))
def test_setitem_matches_torch(case, seed):
    shape, parts = case
    rng = np.random.default_rng(seed)
    x_array = rng.standard_normal(shape)
    expected, error = _torch_result(x_array, parts)
    if error is not None:
        return
    positions = torch.arange(int(np.prod(shape))).reshape(shape)[_build(torch, parts)]
    unique = len(set(positions.reshape(-1).tolist())) == positions.numel()
    # repeated places: one value for all (which write wins is not defined); else one each
    v_shape = tuple(expected.shape) if unique else ()
    v_array = rng.standard_normal(v_shape)
    w = rng.standard_normal(shape)

    results = []
    for lib in (cr, torch):
        x = lib.tensor(x_array, requires_grad=True)
        v = lib.tensor(v_array, requires_grad=True)
        out = x * 1.0
        out[_build(lib, parts)] = v
        (out * lib.tensor(w)).sum().backward()
        results.append([out.detach().numpy(), x.grad.numpy(), v.grad.numpy()])
    for ours, theirs, what in zip(*results, ("values", "grad of x", "grad of v")):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, err_msg=f"{what}: {parts}")
