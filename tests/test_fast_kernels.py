"""Every op with a ``fast_backward`` agrees with its ``backward``.

An ordinary backward runs ``fast_backward`` (arrays only, written for speed); a
``create_graph=True`` backward runs ``backward`` (the one VJP, usable at any order).
Both must compute the same vector-Jacobian product: this file checks each such op
at several settings, and checks that ``backward`` is differentiable again
(gradgradcheck). A new fast kernel without a case here fails
``test_every_fast_kernel_has_cases``.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.function import Function
from chainrule.ops.arrays import max_shift
from chainrule.ops.conv import AvgPool, Conv, MaxPool, TakeAxis, TakePoints
from chainrule.ops.elementwise import Relu
from chainrule.ops.fused import AttentionSoftmax, CrossEntropy, Gelu, LayerNorm, Linear
from chainrule.ops.rnn import RecurrentLayer
from chainrule.ops.scan import Cumprod

RNG = np.random.default_rng(0)


def _all_functions(cls=Function):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_functions(sub)


def _logits(m=6, c=5):
    return RNG.standard_normal((m, c))


def _ties(shape):
    # small integers: many windows hold tied maxima, which must go to the first one
    return RNG.integers(0, 3, shape).astype(np.float64)


def _sparse(shape):
    # zeros here and there: one, two or none per row, at the start, the end or inside
    return RNG.standard_normal(shape) * (RNG.random(shape) > 0.3)


# op -> list of (inputs as arrays, keyword parameters); the first input is differentiated
CASES = {
    CrossEntropy: [
        ((_logits(), np.array([0, 1, 2, 3, 4, 0])), {}),
        ((_logits(), np.array([0, 1, 2, 3, 4, 0])), {"reduction": "sum"}),
        ((_logits(), np.array([0, 1, 2, 3, 4, 0])), {"reduction": "none"}),
        ((_logits(), np.array([0, -100, 2, 3, -100, 0])), {"ignore_index": -100}),
        ((_logits(), np.array([0, 1, 2, 3, 4, 0])), {"label_smoothing": 0.2}),
        ((_logits(), np.array([0, 1, 2, 3, 4, 0])),
         {"weight": np.linspace(0.5, 2.0, 5), "label_smoothing": 0.1, "reduction": "mean"}),
        ((_logits(), np.array([0, 1, -1, 3, 4, 0])),
         {"weight": np.linspace(0.5, 2.0, 5), "ignore_index": -1, "reduction": "none"}),
        # 80 rows of 10 classes: max_shift takes the row maximum on the transposed copy
        ((RNG.standard_normal((80, 10)) * 30, RNG.integers(0, 10, 80)), {}),
    ],
    Linear: [  # x (..., in), weight (out, in), bias (out,) or None
        ((RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3)), RNG.standard_normal(5)), {}),
        ((RNG.standard_normal((2, 4, 3)), RNG.standard_normal((5, 3)), None), {}),
        ((RNG.standard_normal(3), RNG.standard_normal((5, 3)), RNG.standard_normal(5)), {}),
    ],
    MaxPool: [
        ((RNG.standard_normal((2, 3, 6, 6)),), {"window": (2, 2), "stride": (2, 2),
                                                "dilation": (1, 1)}),
        ((_ties((2, 2, 7, 7)),), {"window": (3, 3), "stride": (1, 1), "dilation": (1, 1)}),
        ((_ties((1, 2, 9, 8)),), {"window": (2, 3), "stride": (2, 1), "dilation": (2, 1)}),
        # windows that tile the input: pooled one axis at a time (ties, cropped edges, 3-d)
        ((_ties((2, 3, 7, 9)),), {"window": (2, 3), "stride": (2, 3), "dilation": (1, 1)}),
        ((_ties((2, 2, 5, 4, 6)),), {"window": (2, 1, 3), "stride": (2, 1, 3),
                                     "dilation": (1, 1, 1)}),
        ((_ties((3, 2, 9)),), {"window": (3,), "stride": (3,), "dilation": (1,)}),
    ],
    Conv: [  # x, weight, bias: stride 1 takes the input's grid, the others plain col2im
        ((RNG.standard_normal((2, 3, 7, 6)), RNG.standard_normal((4, 3, 3, 3)),
          RNG.standard_normal(4)), {"stride": (1, 1), "dilation": (1, 1)}),
        ((RNG.standard_normal((2, 3, 8, 7)), RNG.standard_normal((4, 3, 3, 2)), None),
         {"stride": (2, 1), "dilation": (1, 2)}),
        ((RNG.standard_normal((2, 2, 11)), RNG.standard_normal((3, 2, 3)), None),
         {"stride": (1,), "dilation": (3,)}),
        ((RNG.standard_normal((1, 2, 5, 6, 6)), RNG.standard_normal((2, 2, 3, 4, 4)),
          RNG.standard_normal(2)), {"stride": (1, 1, 1), "dilation": (1, 1, 1)}),
    ],
    Cumprod: [
        ((_sparse((4, 6)),), {"axis": 1}),
        ((_sparse((5, 3)),), {"axis": 0}),
        ((RNG.standard_normal((2, 3, 4)),), {"axis": 2}),
        ((np.array([0.0, 0.0, 1.5, -2.0]),), {"axis": 0}),
    ],
    AvgPool: [
        ((RNG.standard_normal((2, 3, 6, 6)),), {"window": (2, 2), "stride": (2, 2),
                                                "scale": 0.25}),
        ((RNG.standard_normal((1, 2, 7, 5)),), {"window": (3, 2), "stride": (1, 2),
                                                "scale": 1.0 / 6}),
    ],
    TakeAxis: [  # unsorted positions with repeats, as padding makes; sorted, as resizing does
        ((RNG.standard_normal((2, 4, 3)),), {"index": np.array([2, 1, 0, 1, 2, 3, 2]),
                                             "axis": 1}),
        ((RNG.standard_normal((3, 5)),), {"index": np.array([0, 0, 0, 1, 1, 2, 4, 4]),
                                          "axis": 1}),
        ((RNG.standard_normal((4, 2)),), {"index": np.array([3, 0, 3, 0]), "axis": 0}),
        ((RNG.standard_normal((2, 3)),), {"index": np.array([], dtype=np.int64), "axis": 1}),
    ],
    TakePoints: [  # points with repeats, shared by the channels or one set per channel
        ((RNG.standard_normal((2, 3, 5)),), {"index": np.array([[[4, 0, 4, 2]], [[1, 1, 1, 3]]])}),
        ((RNG.standard_normal((2, 2, 4)),), {"index": RNG.integers(0, 4, (2, 2, 6))}),
        ((RNG.standard_normal((3, 4)),), {"index": np.array([0, 3, 3])}),
    ],
    Relu: [
        ((RNG.standard_normal((4, 5)),), {}),
        ((np.array([-1.0, 0.0, 2.0, np.nan, -0.0, np.inf]),), {}),  # 0 and nan: gradient 0
    ],
    AttentionSoftmax: [  # scores; keep (broadcast, causal, a row with nothing kept), scale
        ((RNG.standard_normal((2, 3, 4)),), {}),
        ((RNG.standard_normal((2, 4, 4)),), {"keep": np.tri(4, 4, dtype=bool), "scale": 0.5}),
        ((RNG.standard_normal((3, 5)),), {"keep": np.array([[True], [False], [True]]),
                                          "scale": 2.0}),
    ],
    Gelu: [
        ((RNG.standard_normal((4, 5)) * 3,), {}),
        ((np.array([-30.0, -9.0, -0.0, 0.0, 1e-8, 2.5, 30.0, np.nan]),), {}),
    ],
    LayerNorm: [  # x, weight, bias over the last k dims
        ((RNG.standard_normal((3, 4, 5)),), {"k": 1}),
        ((RNG.standard_normal((2, 6)), RNG.standard_normal(6), RNG.standard_normal(6)),
         {"k": 1, "eps": 1e-3}),
        ((RNG.standard_normal((2, 3, 4)), RNG.standard_normal((3, 4)), None), {"k": 2}),
    ],
    RecurrentLayer: [  # x (T, B, I), h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr
        ((RNG.standard_normal((3, 2, 2)), RNG.standard_normal((2, 2)),
          RNG.standard_normal((2, 2)), RNG.standard_normal((8, 2)),
          RNG.standard_normal((8, 2)), RNG.standard_normal(8), RNG.standard_normal(8)),
         {"mode": "LSTM"}),
        ((RNG.standard_normal((3, 2, 2)), RNG.standard_normal((2, 2)), None,
          RNG.standard_normal((6, 2)), RNG.standard_normal((6, 2)), RNG.standard_normal(6),
          RNG.standard_normal(6)), {"mode": "GRU", "reverse": True, "lengths": np.array([3, 1])}),
        ((RNG.standard_normal((4, 1, 3)), RNG.standard_normal((1, 2)), None,
          RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2))), {"mode": "RNN_TANH"}),
    ],
}


def test_every_fast_kernel_has_cases():
    with_fast = {f for f in _all_functions() if "fast_backward" in f.__dict__}
    assert with_fast == set(CASES), "add cases for new fast kernels to CASES"


def _params():
    for fn, cases in CASES.items():
        for i, case in enumerate(cases):
            yield pytest.param(fn, *case, id=f"{fn.op_name}-{i}")


@pytest.mark.parametrize("fn, arrays, params", _params())
def test_fast_backward_equals_backward(fn, arrays, params):
    for dtype in (np.float64, np.float32):
        x = cr.tensor(arrays[0].astype(dtype), requires_grad=True)
        rest = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                for a in arrays[1:]]  # float operands (weights) in x's dtype, as layers have
        out = fn.apply(x, *rest, **params)
        ctx = out._ctx
        g = RNG.standard_normal(out.shape).astype(dtype)
        fast = fn.fast_backward(ctx, g.copy())
        plain = fn.backward(ctx, g.copy())
        fast = fast if isinstance(fast, tuple) else (fast,)
        plain = plain if isinstance(plain, tuple) else (plain,)
        rtol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(fast[0], plain[0], rtol=rtol, atol=rtol)
        assert fast[0].dtype == plain[0].dtype == dtype
        assert all(a is None and b is None for a, b in zip(fast[1:], plain[1:]))


@pytest.mark.parametrize("fn, arrays, params", _params())
def test_backward_used_at_second_order_is_right(fn, arrays, params):
    # distinct values: gradcheck needs a point away from ties, where max is differentiable,
    # and away from 0, where relu is not
    n = arrays[0].size
    x = cr.tensor((RNG.permutation(n) - n // 2 + 0.5).reshape(arrays[0].shape) * 0.1,
                  requires_grad=True)
    assert cr.gradcheck(lambda t: fn.apply(t, *arrays[1:], **params), (x,))
    assert cr.gradgradcheck(lambda t: fn.apply(t, *arrays[1:], **params), (x,))


@pytest.mark.parametrize("weight_value", [None, np.inf, np.nan])
def test_conv_fast_backward_gives_every_gradient(weight_value):
    # the cases above differentiate only x; here the weight and bias need gradients too,
    # and a non-finite weight sends the input gradient through plain col2im
    x = cr.tensor(RNG.standard_normal((2, 3, 6, 5)), requires_grad=True)
    w_array = RNG.standard_normal((4, 3, 3, 2))
    if weight_value is not None:
        w_array[1, 2, 0, 1] = weight_value
    w = cr.tensor(w_array, requires_grad=True)
    b = cr.tensor(RNG.standard_normal(4), requires_grad=True)
    out = Conv.apply(x, w, b, stride=(1, 1), dilation=(1, 1))
    g = RNG.standard_normal(out.shape)
    with np.errstate(invalid="ignore"):
        fast = Conv.fast_backward(out._ctx, g.copy())
        plain = Conv.backward(out._ctx, g.copy())
    assert len(fast) == len(plain) == 3
    for a, b_ in zip(fast, plain):
        np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_fast_backward_gives_every_gradient(x_shape, bias):
    # the cases above differentiate only x; here the weight and the bias need gradients
    for dtype in (np.float64, np.float32):
        x = cr.tensor(RNG.standard_normal(x_shape).astype(dtype), requires_grad=True)
        w = cr.tensor(RNG.standard_normal((5, 3)).astype(dtype), requires_grad=True)
        b = cr.tensor(RNG.standard_normal(5).astype(dtype), requires_grad=True) if bias else None
        out = Linear.apply(x, w, b)
        g = RNG.standard_normal(out.shape).astype(dtype)
        fast = Linear.fast_backward(out._ctx, g.copy())
        plain = Linear.backward(out._ctx, g.copy())
        assert len(fast) == len(plain) == 3
        for a, b_ in zip(fast, plain):
            if b_ is None:
                assert a is None
                continue
            assert a.dtype == b_.dtype == dtype and a.shape == b_.shape
            np.testing.assert_allclose(a, b_, rtol=1e-12 if dtype == np.float64 else 1e-5)


def test_ordinary_backward_runs_the_fast_kernel():
    calls = []
    original = MaxPool._array_backward

    def spy(ctx, g):
        calls.append("fast")
        return original(ctx, g)

    MaxPool._array_backward = spy
    try:
        x = cr.tensor(RNG.standard_normal((1, 1, 4, 4)), requires_grad=True)
        MaxPool.apply(x, window=(2, 2), stride=(2, 2), dilation=(1, 1)).sum().backward()
    finally:
        MaxPool._array_backward = original
    assert calls == ["fast"]
    assert MaxPool._array_backward is MaxPool.__dict__["fast_backward"].__func__


@pytest.mark.parametrize("axis", [1, -1])
def test_max_shift_of_many_short_rows_is_the_plain_maximum(axis):
    # 70 rows of 5: the row maximum is taken on the transposed copy; the same values,
    # shape, dtype and non-finite policy as np.max along the rows
    x = RNG.standard_normal((70, 5)).astype(np.float32)
    x[3] = -np.inf
    x[4, 2] = np.inf
    x[5, 1] = np.nan
    shifted, m = max_shift(x, axis)
    plain = np.max(x, axis=1, keepdims=True)
    expected = np.where(np.isfinite(plain), plain, 0)
    assert m.shape == (70, 1) and m.dtype == np.float32 and shifted.dtype == np.float32
    np.testing.assert_array_equal(m, expected)
    np.testing.assert_array_equal(shifted, x - expected)
    assert m[3, 0] == 0 and m[4, 0] == 0 and m[5, 0] == 0
