"""Convolution, pooling and vision functions: PyTorch's conventions, exactly.

The catalogue (tests/catalogue_functional_b.py) sweeps every function with
gradcheck, gradgradcheck and float64 PyTorch parity; this file adds float32
parity of the same cases, sweeps of the coordinate rules (pad modes and negative
pads, interpolate's index and weight rules, pooling windows with ties and NaNs)
against PyTorch, property tests of shapes and arguments, and the error messages.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from op_catalogue import CASES as ALL_CASES
from op_catalogue import Lib, make_inputs
from test_ops_catalogue import _derivatives

import chainrule as cr
from chainrule.nn import functional as F

SETTINGS = settings(max_examples=30, deadline=None)
CASES = [c for c in ALL_CASES if c.fn.__module__ == "catalogue_functional_b"]


def _np(t):
    return t.detach().numpy()


def _grads(lib, fn, arrays, seed=0):
    """Value of ``fn`` and the gradients of sum(value * v) for a fixed random v."""
    rng = np.random.default_rng(seed)
    xs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(lib, *xs)
    v = rng.standard_normal(tuple(out.shape)).astype(arrays[0].dtype)
    (out * lib.tensor(v)).sum().backward()
    return _np(out), [_np(x.grad) if x.grad is not None else np.zeros_like(a)
                      for x, a in zip(xs, arrays)]


def _assert_same(lib_fn, arrays, rtol=1e-10, atol=1e-12):
    ours, ours_g = _grads(cr, lib_fn, arrays)
    theirs, theirs_g = _grads(torch, lib_fn, arrays)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    for a, b in zip(ours_g, theirs_g):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# float32 parity of every catalogue case: values, gradients, second order
# ---------------------------------------------------------------------------

CR32 = Lib(cr, np.float32)
TORCH32 = Lib(torch, np.float32)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_float32_matches_torch(case):
    arrays = make_inputs(case, dtype=np.float32)
    ours = _derivatives(CR32, case, arrays)
    theirs = _derivatives(TORCH32, case, arrays)
    for what, a_list, b_list in zip(("value", "grad", "second-order grad"), ours, theirs):
        for a, b in zip(a_list, b_list):
            assert a.shape == b.shape, f"{case.id}: {what} shape"
            assert a.dtype == np.float32 or not a.any(), f"{case.id}: {what} dtype {a.dtype}"
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5,
                                       err_msg=f"{case.id}: {what} differs from torch")


# ---------------------------------------------------------------------------
# pad: every mode, negative pads, the dims each mode supports, PyTorch's errors
# ---------------------------------------------------------------------------

PAD_SHAPES = [(4,), (3, 4), (2, 3, 4), (1, 2, 3, 4), (1, 1, 2, 3, 4), (1, 1, 1, 2, 2, 3)]
PAD_AMOUNTS = [(2, 1), (-1, 2), (-2, 3), (3, -1), (0, -3), (-3, -2), (4, 0), (3, 0), (-2, -2),
               (1, 1, -1, 2), (0, 0, 2, -1), (1, -1, -2, 3, 1, 1), (2, 0, 0, 1, -1, 1),
               (1, 1, 1, 1, 1, 1, 1, 1)]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_torch(mode):
    checked = 0
    for shape, pads in itertools.product(PAD_SHAPES, PAD_AMOUNTS):
        if mode == "circular" and _wraps_past_the_crop(shape, pads):
            continue  # PyTorch reads or writes memory it should not there
        x = np.random.default_rng(0).standard_normal(shape)
        fn = (lambda m, t, p=pads: m.nn.functional.pad(t, p, mode=mode))  # noqa: E731
        try:
            expected = TF.pad(torch.tensor(x), pads, mode=mode)
        except (RuntimeError, NotImplementedError) as err:
            with pytest.raises(type(err), match="pad: "):
                F.pad(cr.tensor(x), pads, mode=mode)
            continue
        assert F.pad(cr.tensor(x), pads, mode=mode).shape == tuple(expected.shape)
        _assert_same(fn, [x])
        checked += 1
    assert checked >= 15


def _wraps_past_the_crop(shape, pads):
    for k in range(len(pads) // 2):
        if k >= len(shape):
            return False
        b, a = pads[2 * k], pads[2 * k + 1]
        kept = shape[-1 - k] - max(-b, 0) - max(-a, 0)
        if max(b, a, 0) > kept:
            return True
    return False


def test_pad_circular_crop_to_nothing_raises():
    with pytest.raises(RuntimeError, match="leaving nothing to wrap"):
        F.pad(cr.zeros(1, 2, 4), (-4, 1), mode="circular")


def test_pad_keeps_dtype_and_value_rules():
    x = cr.tensor([[1, 2, 3]])
    assert F.pad(x, (1, 1), value=2.7).tolist() == [[2, 1, 2, 3, 2]]  # cast as PyTorch
    assert F.pad(x, (1, 0), mode="reflect").tolist() == [[2, 1, 2, 3]]
    assert F.pad(x, (1, 1), mode="circular", value=0.0).tolist() == [[3, 1, 2, 3, 1]]
    with pytest.raises(RuntimeError, match="doesn't take a value"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(NotImplementedError, match="unknown padding mode 'foo'"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(TypeError, match="pad must hold ints"):
        F.pad(x, (1.5, 1))
    with pytest.raises(NotImplementedError, match="bool"):
        F.pad(cr.tensor([[True, False]]), (1, 1), mode="replicate")


# ---------------------------------------------------------------------------
# max pooling: integers, ties, NaN, -inf next to padding, indices
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
def test_max_pool_integer_input_with_padding_does_not_overflow(dtype):
    info = np.iinfo(dtype)
    x = np.array([[[info.min, info.min + 1, 3, info.min],
                   [info.max, 0, info.min, 1]]], dtype=dtype)
    ours = F.max_pool2d(cr.tensor(x), 3, stride=1, padding=1)
    theirs = TF.max_pool2d(torch.from_numpy(x), 3, stride=1, padding=1)
    assert ours.dtype == dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    values, indices = F.max_pool2d(cr.tensor(x), 2, padding=1, return_indices=True)
    t_values, t_indices = TF.max_pool2d(torch.from_numpy(x), 2, padding=1, return_indices=True)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())


NAN, INF = float("nan"), float("inf")
ROUTING_INPUTS = [
    [NAN, 1.0, NAN, 2.0, 5.0, 5.0, 1.0, NAN, 3.0],      # several NaNs: the last one wins
    [-INF, -INF, -INF, 2.0, 5.0, 5.0, -INF, 0.0, -INF],  # -inf beside padding
    [1.0, 1.0, 1.0, 2.0, 2.0, 0.0, 2.0, 2.0, 2.0],      # ties: the first one wins
]


@pytest.mark.parametrize("values", ROUTING_INPUTS, ids=["nan", "neg_inf", "ties"])
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool_gradient_goes_where_torch_sends_it(values, dims, return_indices):
    x = np.array(values).reshape((1, 1) + (1,) * (dims - 1) + (9,))
    kernel = (1,) * (dims - 1) + (3,)
    kw = {"stride": (1,) * (dims - 1) + (2,), "padding": (0,) * (dims - 1) + (1,),
          "ceil_mode": True, "return_indices": return_indices}
    results = []
    for m in (cr, torch):
        t = m.tensor(x, requires_grad=True)
        pool = getattr(m.nn.functional, f"max_pool{dims}d")
        out = pool(t, kernel, **kw)
        value = out[0] if return_indices else out
        (value * m.tensor(np.arange(1.0, value.numel() + 1).reshape(value.shape))).sum().backward()
        results.append((_np(value), _np(t.grad), _np(out[1]) if return_indices else None))
    (v1, g1, i1), (v2, g2, i2) = results
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(g1, g2)
    if return_indices:
        np.testing.assert_array_equal(i1, i2)


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("size", [4, 3])  # overlapping windows; windows that tile the input
def test_adaptive_max_pool_nan_and_ties_match_torch(dims, size):
    x = np.array([NAN, 1.0, NAN, 2.0, 5.0, 5.0, 1.0, 7.0, 7.0]).reshape((1,) * dims + (9,))
    results = []
    for m in (cr, torch):
        t = m.tensor(x, requires_grad=True)
        pool = getattr(m.nn.functional, f"adaptive_max_pool{dims}d")
        value, index = pool(t, (1,) * (dims - 1) + (size,), return_indices=True)
        value.sum().backward()
        results.append((_np(value), _np(t.grad), _np(index)))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape, kernel", [((2, 3, 6, 8), 2), ((2, 3, 7, 9), (2, 3)),
                                           ((1, 2, 4, 5, 7), 2), ((2, 2, 9), 3)])
@pytest.mark.parametrize("nan", [False, True])
def test_tiled_max_pool_ties_nan_and_layout_match_torch(shape, kernel, nan):
    # stride = kernel: pooled one axis at a time; ties still go to the first maximum in
    # row-major order and a NaN window to its last NaN, whatever the memory layout
    x = np.random.default_rng(2).integers(-1, 2, shape).astype(np.float64)
    x[x == 0] = -0.0
    if nan:
        x.flat[::5] = NAN
    dims = len(shape) - 2
    for channel_major in (False, True):
        results = []
        for m in (cr, torch):
            if channel_major:  # the layout a convolution's output has
                leaf = m.tensor(np.ascontiguousarray(np.swapaxes(x, 0, 1)), requires_grad=True)
                t = leaf.transpose(0, 1)
            else:
                leaf = t = m.tensor(x, requires_grad=True)
            out = getattr(m.nn.functional, f"max_pool{dims}d")(t, kernel)
            (out * m.tensor(np.arange(1.0, out.numel() + 1).reshape(out.shape))).sum().backward()
            results.append((_np(out), _np(leaf.grad)))
        for a, b in zip(*results):
            np.testing.assert_array_equal(a, b)


def test_conv_relu_pool_conv_chain_matches_torch():
    # a LeNet-like chain: the first convolution's channel-major output goes through ReLU and
    # tiled pooling into the second (two-copy im2col, input gradient on the input's grid)
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((3, 1, 12, 12), (4, 1, 3, 3), (4,), (5, 4, 3, 3),
                                               (5,), (2, 5, 1, 1))]

    def fn(m, x, w1, b1, w2, b2, w3):
        f = m.nn.functional
        h = f.max_pool2d(f.relu(f.conv2d(x, w1, b1)), 2)
        h = f.max_pool2d(f.relu(f.conv2d(h, w2, b2, dilation=(1, 2))), (2, 1))
        return f.conv2d(h, w3, stride=(1, 2))

    _assert_same(fn, arrays)


def test_max_unpool_roundtrip_and_repeated_indices_match_torch():
    x = np.random.default_rng(1).integers(0, 3, (2, 3, 6, 5)).astype(np.float64)

    def fn(m, t):
        f = m.nn.functional
        out, idx = f.max_pool2d(t, 3, stride=1, padding=1, return_indices=True)  # repeats
        return f.max_unpool2d(out * 3, idx, 3, stride=1, padding=1)

    _assert_same(fn, [x])


def test_unpool_checks_indices():
    out, idx = F.max_pool2d(cr.arange(21.0).reshape(1, 3, 7), 2, return_indices=True)
    with pytest.raises(RuntimeError, match=r"max_unpool2d: found an invalid max index 12"):
        F.max_unpool2d(out, idx, 2)
    with pytest.raises(ValueError, match=r"invalid output_size \(5, 7\)"):
        F.max_unpool2d(out, idx, 2, output_size=(5, 7))
    with pytest.raises(RuntimeError, match="indices must be int64"):
        F.max_unpool2d(out, idx.float(), 2)
    assert F.max_unpool2d(out, idx, 2, output_size=(1, 1, 3, 7)).shape == (1, 3, 7)


# ---------------------------------------------------------------------------
# interpolate: PyTorch's coordinate rules, swept
# ---------------------------------------------------------------------------

SIZES_IN = [1, 2, 3, 4, 5, 7, 10, 13]
SCALES = [0.3, 0.5, 0.55, 0.7, 1.0, 1.1, 4 / 3, 1.5, 2.0, 2.5, 3.0, 3.7]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "linear-align", "area"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interpolate_1d_sweep_matches_torch(mode, dtype):
    align = {"align_corners": True} if mode == "linear-align" else \
        ({"align_corners": False} if mode == "linear" else {})
    mode = mode.replace("-align", "")
    rng = np.random.default_rng(0)
    calls = []
    for n in SIZES_IN:
        calls += [{"size": o} for o in range(1, 3 * n + 3)]
        for s in SCALES:
            if int(n * s) >= 1:
                calls += [{"scale_factor": s}, {"scale_factor": s, "recompute_scale_factor": True}]
        for kw in calls:
            x = rng.standard_normal((2, 1, n)).astype(dtype)
            theirs = TF.interpolate(torch.from_numpy(x), mode=mode, **align, **kw).numpy()
            ours = F.interpolate(cr.tensor(x), mode=mode, **align, **kw)
            assert ours.dtype == dtype
            np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6, atol=1e-6,
                                       err_msg=f"n={n}, {kw}")
        calls = []


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area", "nearest-exact"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_2d_values_and_gradients_match_torch(mode, align_corners):
    if align_corners and mode not in ("bilinear", "bicubic"):
        return
    kw = {"align_corners": align_corners} if mode in ("bilinear", "bicubic") else {}
    rng = np.random.default_rng(1)
    for shape, target in [((1, 2, 3, 4), {"size": (7, 5)}), ((2, 1, 5, 6), {"size": (2, 9)}),
                          ((1, 1, 4, 4), {"scale_factor": (2.5, 0.6)}),
                          ((1, 1, 3, 3), {"scale_factor": 1.0})]:
        x = rng.standard_normal(shape)
        _assert_same(lambda m, t, target=target: m.nn.functional.interpolate(
            t, mode=mode, **kw, **target), [x])


def test_interpolate_trilinear_and_nearest_3d_match_torch():
    x = np.random.default_rng(2).standard_normal((1, 2, 3, 4, 2))
    for kw in [{"size": (5, 2, 3), "mode": "trilinear"},
               {"scale_factor": (1.5, 0.5, 2.0), "mode": "trilinear", "align_corners": True},
               {"scale_factor": 2, "mode": "nearest"}, {"size": (2, 3, 3), "mode": "area"}]:
        _assert_same(lambda m, t, kw=kw: m.nn.functional.interpolate(t, **kw), [x])


def test_interpolate_nearest_keeps_integer_images():
    x = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    ours = F.interpolate(cr.tensor(x), scale_factor=1.5)
    theirs = TF.interpolate(torch.from_numpy(x), scale_factor=1.5)
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_upsample_aliases_warn_and_match_torch():
    x = np.random.default_rng(3).standard_normal((1, 1, 3, 4))
    for name, kw in [("upsample", {"scale_factor": 2, "mode": "bilinear"}),
                     ("upsample_nearest", {"size": (5, 5)}),
                     ("upsample_bilinear", {"scale_factor": 2})]:
        with pytest.warns(UserWarning, match="deprecated"):
            ours = getattr(F, name)(cr.tensor(x), **kw)
        with pytest.warns(UserWarning, match="deprecated"):
            theirs = getattr(TF, name)(torch.tensor(x), **kw)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_interpolate_errors():
    x = cr.zeros(1, 2, 4)
    cases = [
        (ValueError, "only one of size or scale_factor", {"size": 2, "scale_factor": 2}),
        (ValueError, "either size or scale_factor", {}),
        (ValueError, "align_corners can only be set", {"size": 2, "align_corners": True}),
        (ValueError, "recompute_scale_factor is not meaningful", {"size": 3,
                                                                  "recompute_scale_factor": True}),
        (NotImplementedError, "bilinear mode needs a 4-d one", {"size": 2, "mode": "bilinear"}),
        (NotImplementedError, "unknown mode 'cubic'", {"size": 2, "mode": "cubic"}),
        (RuntimeError, "sizes should be greater than 0", {"scale_factor": 0.1}),
        (TypeError, "size must be an int", {"size": 2.5}),
        (NotImplementedError, "antialias", {"size": (2, 2), "mode": "bilinear",
                                            "antialias": True}),
    ]
    for err, match, kw in cases:
        target = cr.zeros(1, 2, 4, 4) if kw.get("antialias") else x
        with pytest.raises(err, match=match):
            F.interpolate(target, **kw)


# ---------------------------------------------------------------------------
# grid_sample and affine_grid
# ---------------------------------------------------------------------------

GRID_SETTINGS = [(dims, mode, padding, align)
                 for dims in (2, 3) for mode in ("bilinear", "nearest", "bicubic")
                 for padding in ("zeros", "border", "reflection") for align in (False, True)
                 if not (dims == 3 and mode == "bicubic")]


@pytest.mark.parametrize("dims, mode, padding, align", GRID_SETTINGS)
def test_grid_sample_matches_torch(dims, mode, padding, align):
    rng = np.random.default_rng(dims)
    x = rng.standard_normal((2, 3, 4, 5) if dims == 2 else (2, 2, 3, 4, 5))
    grid = rng.uniform(-1.6, 1.6, (2, 3, 2, 2) if dims == 2 else (2, 2, 3, 2, 3))
    _assert_same(lambda m, x, g: m.nn.functional.grid_sample(
        x, g, mode=mode, padding_mode=padding, align_corners=align), [x, grid])


def test_grid_sample_nearest_keeps_the_grid_in_the_graph_with_a_zero_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 4, 4))
    grid = rng.uniform(-1, 1, (1, 3, 3, 2))
    results = []
    for lib in (cr, torch):
        g = lib.tensor(grid, requires_grad=True)  # only the grid needs a gradient
        out = lib.nn.functional.grid_sample(lib.tensor(x), g, mode="nearest",
                                            align_corners=False)
        assert out.requires_grad
        out.sum().backward()
        results.append((out.detach().numpy(), g.grad.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], np.zeros_like(grid))
    np.testing.assert_array_equal(results[1][1], np.zeros_like(grid))


def test_grid_sample_and_affine_grid_warn_without_align_corners():
    theta = cr.tensor([[[1.0, 0.2, 0.1], [0.0, 0.9, -0.1]]])
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid = F.affine_grid(theta, (1, 1, 3, 3))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(cr.ones(1, 1, 3, 3), grid)


# ---------------------------------------------------------------------------
# transposed convolution is the adjoint of convolution
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_transpose_is_the_adjoint_of_conv(dims):
    rng = np.random.default_rng(dims)
    stride, padding, dilation, groups = 2, 1, (1,) * (dims - 1) + (2,), 2
    x = rng.standard_normal((2, 4) + (5,) * dims)
    w = rng.standard_normal((6, 2) + (3,) * dims)
    conv = getattr(F, f"conv{dims}d")
    conv_t = getattr(F, f"conv_transpose{dims}d")
    y = conv(cr.tensor(x), cr.tensor(w), stride=stride, padding=padding, dilation=dilation,
             groups=groups)
    v = rng.standard_normal(y.shape)
    back = conv_t(cr.tensor(v), cr.tensor(w), stride=stride, padding=padding, groups=groups,
                  dilation=dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose((y.numpy() * v).sum(), (x * back.numpy()).sum(), rtol=1e-12)


@SETTINGS
@given(dims=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), groups=st.sampled_from([1, 2]), kernel=st.integers(1, 3),
       extra=st.integers(0, 2), size=st.integers(1, 4), bias=st.booleans())
def test_conv_transpose_matches_torch(dims, stride, padding, dilation, groups, kernel, extra,
                                      size, bias):
    extra = min(extra, max(stride, dilation) - 1)
    out_size = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + extra + 1
    rng = np.random.default_rng(size)
    x = rng.standard_normal((2, 2 * groups) + (size,) * dims)
    w = rng.standard_normal((2 * groups, 3) + (kernel,) * dims)
    arrays = [x, w] + ([rng.standard_normal(3 * groups)] if bias else [])

    def fn(m, x, w, *b):
        f = getattr(m.nn.functional, f"conv_transpose{dims}d")
        return f(x, w, *b, stride=stride, padding=padding, output_padding=extra, groups=groups,
                 dilation=dilation)

    if out_size < 1:
        with pytest.raises(ValueError, match="use less padding"):
            fn(cr, *[cr.tensor(a) for a in arrays])
        return
    _assert_same(fn, arrays)


@SETTINGS
@given(dims=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), kernel=st.integers(1, 3), size=st.integers(1, 6),
       ceil_mode=st.booleans(), ties=st.booleans(), kind=st.sampled_from(["max", "avg"]),
       count_include_pad=st.booleans())
def test_pooling_matches_torch(dims, stride, padding, dilation, kernel, size, ceil_mode, ties,
                               kind, count_include_pad):
    padding = min(padding, kernel // 2)
    rng = np.random.default_rng(size + 7 * kernel)
    shape = (2, 2) + (size,) * dims
    x = rng.integers(0, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    if kind == "max":
        kw = {"stride": stride, "padding": padding, "dilation": dilation, "ceil_mode": ceil_mode}
    else:
        kw = {"stride": stride, "padding": padding, "ceil_mode": ceil_mode,
              "count_include_pad": count_include_pad}
        dilation = 1
    try:
        getattr(TF, f"{kind}_pool{dims}d")(torch.tensor(x), kernel, **kw)
    except RuntimeError:
        with pytest.raises(ValueError, match="too small|smaller than"):
            getattr(F, f"{kind}_pool{dims}d")(cr.tensor(x), kernel, **kw)
        return

    def fn(m, t):
        return getattr(m.nn.functional, f"{kind}_pool{dims}d")(t, kernel, **kw)

    _assert_same(fn, [x])
    if kind == "max":
        ours = F.__dict__[f"max_pool{dims}d"](cr.tensor(x), kernel, return_indices=True, **kw)
        theirs = getattr(TF, f"max_pool{dims}d")(torch.tensor(x), kernel, return_indices=True,
                                                 **kw)
        np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


@SETTINGS
@given(dims=st.integers(1, 3), sizes=st.lists(st.integers(1, 7), min_size=6, max_size=6),
       kind=st.sampled_from(["max", "avg"]))
def test_adaptive_pooling_matches_torch(dims, sizes, kind):
    shape = (2, 2) + tuple(sizes[:dims])
    target = tuple(sizes[3:3 + dims])
    x = np.random.default_rng(sum(sizes)).standard_normal(shape)
    _assert_same(lambda m, t: getattr(m.nn.functional, f"adaptive_{kind}_pool{dims}d")(t, target),
                 [x])


# ---------------------------------------------------------------------------
# unfold / fold, shuffles
# ---------------------------------------------------------------------------

def test_fold_of_unfold_counts_windows():
    x = cr.ones(1, 2, 5, 6)
    cols = F.unfold(x, (2, 3), padding=1, stride=(1, 2))
    back = F.fold(cols, (5, 6), (2, 3), padding=1, stride=(1, 2))
    theirs = TF.fold(TF.unfold(torch.ones(1, 2, 5, 6), (2, 3), padding=1, stride=(1, 2)),
                     (5, 6), (2, 3), padding=1, stride=(1, 2))
    np.testing.assert_array_equal(back.numpy(), theirs.numpy())


def test_shuffles_invert_each_other():
    x = cr.tensor(np.random.default_rng(0).standard_normal((2, 8, 3, 4)))
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(), x.numpy())
    np.testing.assert_array_equal(F.channel_shuffle(F.channel_shuffle(x, 2), 4).numpy(),
                                  x.numpy())


# ---------------------------------------------------------------------------
# errors: one line naming the function and the shapes
# ---------------------------------------------------------------------------

ERRORS = [
    (lambda: F.conv_transpose2d(cr.zeros(2, 4, 5, 5), cr.zeros(3, 2, 3, 3)), ValueError,
     r"conv_transpose2d: expected input with 3 channels"),
    (lambda: F.conv_transpose2d(cr.zeros(1, 4, 5, 5), cr.zeros(4, 2, 3, 3), output_padding=1),
     ValueError, r"output_padding \(1, 1\) must be smaller than either stride"),
    (lambda: F.conv_transpose2d(cr.zeros(4, 1, 1), cr.zeros(4, 2, 3, 3), padding=2), ValueError,
     r"output of size \(-1, -1\)"),
    (lambda: F.conv_transpose1d(cr.zeros(4, 5), cr.zeros(4, 2, 3), bias=cr.zeros(3)), ValueError,
     r"expected a bias of shape \(2,\)"),
    (lambda: F.conv3d(cr.zeros(1, 4, 5, 5, 5), cr.zeros(2, 4, 3, 3, 6)), ValueError,
     "smaller than the"),
    (lambda: F.conv2d(cr.zeros(4, 5, 5), cr.zeros(2, 4, 3, 3), stride=0), ValueError,
     "stride must be positive"),
    (lambda: F.conv2d(cr.zeros(4, 5, 5), cr.zeros(2, 4, 3, 3), padding=-1), ValueError,
     "negative padding"),
    (lambda: F.conv3d(cr.zeros(5, 5), cr.zeros(2, 4, 3, 3, 3)), ValueError,
     r"conv3d: expected a 5-d input \(N, C, D, H, W\)"),
    (lambda: F.max_pool3d(cr.zeros(5, 5), 2), ValueError, "expected a 4-d or 5-d input"),
    (lambda: F.max_pool2d(cr.zeros(1, 2, 4, 4), 2, stride=0), ValueError,
     "stride must be positive"),
    (lambda: F.max_pool2d(cr.zeros(1, 2, 4, 4, dtype=cr.bool), 2), NotImplementedError,
     "bool"),
    (lambda: F.avg_pool3d(cr.zeros(1, 2, 4, 4, 4), 2, divisor_override=0), ValueError,
     "divisor_override must not be zero"),
    (lambda: F.avg_pool2d(cr.zeros(1, 2, 4, 4, dtype=cr.int64), 2), TypeError,
     "floating-point"),
    (lambda: F.adaptive_avg_pool2d(cr.zeros(2, 6, 3, 5, 6), 2), ValueError,
     "expected a 3-d or 4-d input"),
    (lambda: F.adaptive_max_pool2d(cr.zeros(6, 0, 5), 2), ValueError, "non-empty"),
    (lambda: F.unfold(cr.zeros(1, 3, 5, 5), 6), ValueError, "has no whole window"),
    (lambda: F.fold(cr.zeros(2, 12, 15), 5, 2), ValueError, "has 4 \\* 4 windows, but"),
    (lambda: F.fold(cr.zeros(2, 13, 16), 5, 2), ValueError, "divisible by the kernel size"),
    (lambda: F.pixel_shuffle(cr.zeros(7, 4, 4), 2), ValueError, "divisible by upscale_factor"),
    (lambda: F.pixel_unshuffle(cr.zeros(2, 4, 5), 2), ValueError, "divisible by downscale"),
    (lambda: F.channel_shuffle(cr.zeros(2, 6, 3), 4), ValueError, "not divisible by groups=4"),
    (lambda: F.channel_shuffle(cr.zeros(2, 6), 2), ValueError, "more than 2 dims"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 3, 3), cr.zeros(1, 2, 2, 3), align_corners=False),
     ValueError, r"grid \(N, Ho, Wo, 2\)"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 2, 3, 3), cr.zeros(1, 2, 2, 2, 3), mode="bicubic",
                           align_corners=False), ValueError, "bicubic interpolation only"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 3, 3), cr.zeros(1, 2, 2, 2), mode="area",
                           align_corners=False), ValueError, "mode must be"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 3, 3), cr.zeros(1, 2, 2, 2), padding_mode="wrap",
                           align_corners=False), ValueError, "padding_mode must be"),
    (lambda: F.affine_grid(cr.zeros(1, 2, 3), (1, 1, 2, 3, 3), align_corners=False), ValueError,
     r"expected theta of shape \(1, 3, 4\)"),
    (lambda: F.affine_grid(cr.zeros(1, 2, 3), (1, 1, 3), align_corners=False),
     NotImplementedError, "size must be"),
]


@pytest.mark.parametrize("call, err, match", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_are_one_clear_line(call, err, match):
    with pytest.raises(err, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_output_sizes_follow_torch():
    # a few shape rules at a glance: ceil_mode windows, output_padding, global pooling
    assert F.max_pool2d(cr.zeros(1, 1, 5, 5), 2, ceil_mode=True).shape == (1, 1, 3, 3)
    assert F.conv_transpose2d(cr.zeros(1, 2, 4, 4), cr.zeros(2, 3, 4, 4), stride=2, padding=1,
                              output_padding=1).shape == (1, 3, 9, 9)
    assert F.adaptive_avg_pool3d(cr.zeros(2, 3, 4, 5, 6), 1).shape == (2, 3, 1, 1, 1)
    assert math.prod(F.unfold(cr.zeros(2, 3, 6, 6), 3).shape) == 2 * 27 * 16
