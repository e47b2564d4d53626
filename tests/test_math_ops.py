"""Elementwise math (issue 10): conventions checked exactly against PyTorch.

The catalogue (tests/catalogue_math.py) sweeps gradients; this file pins what it cannot:
bitwise operators and their dtypes, integer division and rounding, edge values of
the special functions on both kernel paths (NumPy's own and SciPy's), piecewise-
constant ops that stay in the graph, second-order gradients through relu and abs,
in-place rules, and the one-line errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
from chainrule.ops import specfun
from chainrule.ops import special as special_ops

INF, NAN = math.inf, math.nan


def _pair(values, dtype):
    """The same tensor in chainrule and in torch."""
    array = np.array(values, dtype=dtype)
    return cr.tensor(array), torch.from_numpy(array.copy())


def _same(ours, theirs, exact=True, rtol=1e-7):
    """Same shape, dtype and values (nan where torch has nan)."""
    expected = theirs.detach().numpy()
    got = np.asarray(ours.detach())
    assert got.shape == expected.shape
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    if exact:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=0, equal_nan=True)


# ---------------------------------------------------------------------------
# Bitwise operators: integers and bools, PyTorch's dtypes
# ---------------------------------------------------------------------------


def test_and_on_int32_is_bitwise_and_keeps_int32():
    # the regression: int32 ``t & 0x1337`` was logical (1, bool); PyTorch gives 4912
    t = cr.tensor([0xFFF0], dtype=cr.int32)
    out = t & 0x1337
    assert out.dtype == np.int32
    assert out.tolist() == [4912]
    assert (t | 0x000F).tolist() == [0xFFFF]


BITWISE = {
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "lshift": lambda a, b: a << b, "rshift": lambda a, b: a >> b,
}
OPERANDS = [  # (values, dtype) or a Python number
    (([5, -3, 12], "int32"), ([3, 1, 2], "int64")),
    (([5, -3, 12], "int32"), (2, "int64")),  # a 0-d int64 tensor does not widen int32
    (([5, -3, 12], "int32"), 3),
    (([1, 200, 255], "uint8"), ([1, 2, 3], "int8")),
    (([1, 200, 255], "uint8"), 1),
    (([True, False, True], "bool"), 1),
    (([True, False, True], "bool"), True),
    (([True, False, True], "bool"), ([3, 1, 2], "int16")),
    (([3, -4, 7], "int16"), 2 ** 20 + 3),  # the number wraps to int16, as in PyTorch
    (([-8, 8, 1], "int64"), 70),  # shifts past the width
    (([3, -4, 7], "int8"), (1, "int64")),
]


@pytest.mark.parametrize("op", sorted(BITWISE))
@pytest.mark.parametrize("first, second", OPERANDS)
def test_bitwise_values_and_dtypes_match_torch(op, first, second):
    fn = BITWISE[op]
    a, ta = _pair(*first)
    b, tb = _pair(*second) if isinstance(second, tuple) else (second, second)
    for x, y, tx, ty in ((a, b, ta, tb), (b, a, tb, ta)):  # and reflected
        try:
            expected = fn(tx, ty)
        except (RuntimeError, TypeError):  # e.g. shifts of bools
            with pytest.raises((RuntimeError, TypeError), match="bitwise"):
                fn(x, y)
            continue
        _same(fn(x, y), expected)


def test_invert_is_bitwise_for_integers_and_logical_for_bools():
    a, ta = _pair([5, -3, 0], "int32")
    _same(~a, ~ta)
    _same(cr.bitwise_not(a), torch.bitwise_not(ta))
    m, tm = _pair([True, False], "bool")
    _same(~m, ~tm)
    u, tu = _pair([0, 7, 255], "uint8")
    _same(~u, ~tu)


@pytest.mark.parametrize("fn", [lambda x: x & 1, lambda x: x | x, lambda x: x ^ 2,
                                lambda x: ~x, lambda x: x << 1, lambda x: 1 >> x,
                                lambda x: x.bitwise_and(1)])
def test_bitwise_on_floats_raises_one_line_naming_the_op(fn):
    with pytest.raises((TypeError, RuntimeError)) as expected:  # the class PyTorch raises
        fn(torch.tensor([1.5, 2.0]))
    with pytest.raises(expected.type) as info:
        fn(cr.tensor([1.5, 2.0]))
    message = str(info.value)
    assert "bitwise" in message and "float32" in message and "\n" not in message


def test_masks_combine_with_and_or_xor():
    x = cr.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    inside = (x > 0) & (x < 1)
    assert inside.dtype == np.bool_ and inside.tolist() == [False, True, False]
    assert ((x < 0) | (x > 1)).tolist() == [True, False, True]
    assert ((x > 0) ^ (x > 1)).tolist() == [False, True, False]
    assert not inside.requires_grad


INPLACE = {
    "iand": lambda a, b: a.__iand__(b), "ior": lambda a, b: a.__ior__(b),
    "ixor": lambda a, b: a.__ixor__(b), "ilshift": lambda a, b: a.__ilshift__(b),
    "irshift": lambda a, b: a.__irshift__(b), "imod": lambda a, b: a.__imod__(b),
    "ifloordiv": lambda a, b: a.__ifloordiv__(b),
    "bitwise_and_": lambda a, b: a.bitwise_and_(b), "remainder_": lambda a, b: a.remainder_(b),
    "fmod_": lambda a, b: a.fmod_(b), "floor_divide_": lambda a, b: a.floor_divide_(b),
}


@pytest.mark.parametrize("op", sorted(INPLACE))
@pytest.mark.parametrize("other", [3, ([1, 2, 3], "int64"), 2.5, ([True, True, False], "bool")])
def test_inplace_integer_ops_match_torch(op, other):
    a, ta = _pair([7, -7, 12], "int32")
    b, tb = _pair(*other) if isinstance(other, tuple) else (other, other)
    fn = INPLACE[op]
    try:
        fn(ta, tb)
    except RuntimeError as err:
        if "ZeroDivisionError" in str(err):  # a bool False divisor
            with pytest.raises(RuntimeError, match="integer division by zero"):
                fn(a, b)
            return
        # a float result can't be written into an int tensor (or, for the bitwise ops,
        # can't be computed: NotImplementedError is a RuntimeError)
        version = a._version
        with pytest.raises(RuntimeError, match="can't be cast to this tensor's dtype int32|"
                                               "not implemented for float32"):
            fn(a, b)
        assert a._version == version and a.tolist() == [7, -7, 12]
        return
    version = a._version
    assert fn(a, b) is a
    assert a._version == version + 1
    _same(a, ta)


def test_bool_inplace_and_with_an_integer_is_refused_as_in_torch():
    m = cr.tensor([True, False])
    with pytest.raises(RuntimeError, match="bitwise_and_: the result type int32 can't be cast"):
        m &= cr.tensor([1, 1], dtype=cr.int32)
    m &= cr.tensor([False, True])
    assert m.tolist() == [False, False]


# ---------------------------------------------------------------------------
# Logical ops
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_give_bool_for_any_dtypes(name):
    a, ta = _pair([0.0, 1.5, -2.0, 0.0], "float32")
    b, tb = _pair([3, 0, 2, 0], "int64")
    _same(getattr(cr, name)(a, b), getattr(torch, name)(ta, tb))
    _same(getattr(a, name)(b), getattr(ta, name)(tb))
    _same(cr.logical_not(a), torch.logical_not(ta))


def test_logical_ops_of_tensors_that_require_grad_are_constants():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    for out in (cr.logical_and(x, x), x.logical_not(), cr.logical_xor(x, x > 0)):
        assert out.dtype == np.bool_ and not out.requires_grad


# ---------------------------------------------------------------------------
# Piecewise-constant ops stay in the graph, with a zero gradient
# ---------------------------------------------------------------------------

STEPWISE = {
    "sign": lambda m, x: x.sign(), "sgn": lambda m, x: x.sgn(), "floor": lambda m, x: x.floor(),
    "ceil": lambda m, x: m.ceil(x), "round": lambda m, x: x.round(),
    "round_decimals": lambda m, x: x.round(decimals=1), "trunc": lambda m, x: m.trunc(x),
    "div_floor": lambda m, x: m.div(x, 0.7, rounding_mode="floor"),
    "div_trunc": lambda m, x: x.div(0.7, rounding_mode="trunc"),
}


@pytest.mark.parametrize("name", sorted(STEPWISE))
def test_piecewise_constant_ops_give_zero_gradients_like_torch(name):
    fn = STEPWISE[name]
    values = [-1.5, 0.0, 0.3, 2.0]
    x = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out, tout = fn(cr, x), fn(torch, tx)
    assert out.requires_grad and tout.requires_grad
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    out.sum().backward()
    tout.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy(force=True))  # a ZeroTensor
    # and a first gradient recorded with create_graph is a constant, as PyTorch's
    (g,) = cr.grad(fn(cr, x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(fn(torch, tx).sum(), tx, create_graph=True)
    assert g.requires_grad == tg.requires_grad == False  # noqa: E712


def test_floor_divide_operator_has_a_zero_gradient():
    # PyTorch raises "derivative for aten::floor_divide is not implemented" here; the
    # function is piecewise constant, so chainrule gives its zero gradient, as
    # torch.div(..., rounding_mode="floor") does
    a = cr.tensor([1.5, -2.5], requires_grad=True)
    b = cr.tensor([0.7, 0.9], requires_grad=True)
    ((a // b) + (1.3 // a)).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0] and b.grad.tolist() == [0.0, 0.0]


def test_remainder_with_a_number_first_has_the_gradient_of_the_divisor():
    # torch.remainder(Scalar, Tensor) has no derivative in PyTorch; chainrule's is
    # -floor(a / b), checked against central differences
    b = cr.tensor([0.7, -1.1, 2.3], dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda t: 2.5 % t, (b,), atol=1e-8, rtol=1e-6)
    assert cr.gradgradcheck(lambda t: (2.5 % t) * t, (b,), atol=1e-8, rtol=1e-6)


def test_sign_and_abs_at_nan_follow_torch():
    values = [NAN, -1.0, 0.0, 2.0]
    x = cr.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    _same(x.sign(), tx.sign())
    x.abs().sum().backward()
    tx.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


# ---------------------------------------------------------------------------
# Second-order gradients through relu, abs, clamp, maximum, minimum
# ---------------------------------------------------------------------------

KINKED = {
    "relu": lambda m, x, y: x.relu(), "abs": lambda m, x, y: x.abs(),
    "clamp": lambda m, x, y: x.clamp(0.0, 1.0), "clamp_min": lambda m, x, y: x.clamp(min=0.0),
    "maximum": lambda m, x, y: m.maximum(x, y), "minimum": lambda m, x, y: m.minimum(x, y),
    "where": lambda m, x, y: m.where(x > 0, x, y),
}


def _second_order(lib, fn, values, with_seed_grad):
    grad = torch.autograd.grad if lib is torch else cr.grad
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    y = lib.tensor([0.3, 0.7, 1.0], dtype=lib.float64, requires_grad=True)
    out = fn(lib, x, y)
    seed = lib.ones(tuple(out.shape), dtype=lib.float64)
    if with_seed_grad:
        seed.requires_grad_(True)
    (g,) = grad(out, x, seed, create_graph=True)
    if not g.requires_grad:
        return False, None
    (h,) = grad(g.sum(), x, allow_unused=True)
    return True, None if h is None else h.detach().numpy(force=True)


@pytest.mark.parametrize("name", sorted(KINKED))
@pytest.mark.parametrize("with_seed_grad", [False, True])
def test_second_order_through_kinks_is_attached_where_torch_is(name, with_seed_grad):
    values = [-1.5, 0.5, 2.0]
    ours = _second_order(cr, KINKED[name], values, with_seed_grad)
    theirs = _second_order(torch, KINKED[name], values, with_seed_grad)
    assert ours[0] == theirs[0]
    if theirs[1] is None:
        assert ours[1] is None
    else:
        np.testing.assert_array_equal(ours[1], theirs[1])


def test_relu_and_abs_second_gradient_needs_no_allow_unused():
    x = cr.tensor([-1.5, 0.5, 2.0], requires_grad=True)
    for fn in (lambda t: t.relu(), lambda t: t.abs(), lambda t: cr.nn.functional.relu(t)):
        (g,) = cr.grad(fn(x).sum(), x, create_graph=True)
        (h,) = cr.grad(g.sum(), x)
        assert h.tolist() == [0.0, 0.0, 0.0]


# ---------------------------------------------------------------------------
# Division and rounding conventions
# ---------------------------------------------------------------------------


def test_integer_division_by_zero_raises_like_torch():
    i = cr.tensor([7, -7])
    for fn in (lambda: i // 0, lambda: i % 0, lambda: cr.fmod(i, 0),
               lambda: cr.div(i, 0, rounding_mode="trunc"), lambda: i // cr.tensor([1, 0])):
        with pytest.raises(RuntimeError, match="integer division by zero"):
            fn()


def test_float_division_by_zero_follows_torch():
    values = [2.5, -2.5, 0.0, INF]
    f, tf = _pair(values, "float64")
    _same(f // 0.0, tf // 0.0)
    _same(f % 0.0, tf % 0.0)
    _same(cr.fmod(f, 0.0), torch.fmod(tf, 0.0))
    _same(cr.div(f, 0.0, rounding_mode="trunc"), torch.div(tf, 0.0, rounding_mode="trunc"))
    _same(f % INF, tf % INF)
    _same(cr.fmod(f, INF), torch.fmod(tf, INF))


def test_division_rounding_errors_are_one_line():
    b = cr.tensor([True, False])
    with pytest.raises(NotImplementedError, match="div: not implemented for bool"):
        b // b
    with pytest.raises(ValueError, match="rounding_mode must be None, 'trunc' or 'floor'"):
        cr.div(cr.tensor([1.0]), 2.0, rounding_mode="round")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("decimals", [0, 1, 2, 3, -1, -2])
def test_round_with_decimals_matches_torch_exactly(dtype, decimals):
    rng = np.random.default_rng(decimals + 10)
    values = np.concatenate([rng.uniform(-2000, 2000, 500), np.arange(-40, 40) / 8.0,
                             [1.25, 1.35, 2.675, 0.5, 1.5, 2.5, -0.5, -0.0, INF, -INF, NAN]])
    a, ta = _pair(values, dtype)
    _same(a.round(decimals=decimals), ta.round(decimals=decimals))
    _same(cr.round(a, decimals=decimals), torch.round(ta, decimals=decimals))


def test_rounding_of_integers_and_bools_follows_torch():
    i, ti = _pair([7, -7, 3], "int64")
    for name in ("floor", "ceil", "round", "trunc", "sign"):
        _same(getattr(i, name)(), getattr(ti, name)())
    with pytest.raises(NotImplementedError, match="round: decimals=1"):  # as PyTorch
        i.round(decimals=1)
    with pytest.raises(NotImplementedError, match="frac"):
        i.frac()
    with pytest.raises(NotImplementedError, match="floor: not implemented for bool"):
        cr.tensor([True]).floor()
    _same(cr.tensor([True, False]).sign(), torch.tensor([True, False]).sign())


def test_frac_and_fix():
    values = [2.5, -2.5, 0.75, INF, -0.0]
    a, ta = _pair(values, "float32")
    _same(a.frac(), ta.frac())
    _same(cr.fix(a), torch.fix(ta))


# ---------------------------------------------------------------------------
# Special functions: both kernel paths, edges, dtypes
# ---------------------------------------------------------------------------


@pytest.fixture(params=["numpy", "scipy"])
def kernels(request):
    """Run a test with chainrule's own NumPy kernels, then with SciPy's (if installed)."""
    if request.param == "scipy":
        pytest.importorskip("scipy")
    old = special_ops.use_scipy(request.param == "scipy")
    yield request.param
    special_ops.use_scipy(old)


GRID = np.concatenate([np.linspace(-6, 6, 1201) + 1.3e-3, np.geomspace(1e-8, 1e3, 200),
                       -np.geomspace(1e-8, 30, 200) + 1e-3])
EDGES = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, 1e-300, -1e-300, INF, -INF, NAN]
SPECIAL = {
    "erf": lambda m, x: m.erf(x), "erfc": lambda m, x: m.erfc(x),
    "lgamma": lambda m, x: m.lgamma(x), "digamma": lambda m, x: m.digamma(x),
    "erfinv": lambda m, x: m.erfinv(x.tanh() * 0.99), "polygamma1": lambda m, x: m.polygamma(1, x),
    "polygamma2": lambda m, x: m.polygamma(2, x), "polygamma3": lambda m, x: m.polygamma(3, x),
}
TOLERANCE = {"lgamma": 1e-11, "digamma": 1e-11, "polygamma1": 5e-9, "polygamma2": 1e-11}


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_functions_match_torch_in_float64(name, kernels):
    fn = SPECIAL[name]
    x, tx = _pair(GRID, "float64")
    ours = fn(cr, x).numpy()
    theirs = fn(torch, tx).numpy()
    # away from the zeros of lgamma/digamma, where only absolute accuracy is meaningful
    rtol = TOLERANCE.get(name, 1e-13)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-13 * np.abs(theirs).max()
                               if name in ("lgamma", "digamma") else 0)


@pytest.mark.parametrize("name", ["erf", "erfc", "lgamma", "digamma"])
def test_special_functions_at_edges_match_torch(name, kernels):
    x, tx = _pair(EDGES, "float64")
    _same(SPECIAL[name](cr, x), SPECIAL[name](torch, tx), exact=False, rtol=1e-13)


def test_erfinv_edges_and_polygamma_poles():
    y, ty = _pair([1.0, -1.0, 1.5, -2.0, 0.0, -0.0, NAN], "float64")
    _same(y.erfinv(), ty.erfinv())
    x = cr.tensor([0.0, -1.0, -2.0], dtype=cr.float64)
    assert x.polygamma(1).tolist() == [INF, INF, INF]
    assert x.polygamma(2).tolist() == [-INF, -INF, -INF]
    assert x.polygamma(3).tolist() == [INF, INF, INF]
    with pytest.raises(ValueError, match="polygamma: n must be a non-negative integer"):
        x.polygamma(-1)


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_functions_keep_float32_and_make_float32_of_integers(name, kernels):
    values = [0.25, 1.5, 3.0, -0.5]
    f, tf = _pair(values, "float32")
    _same(SPECIAL[name](cr, f), SPECIAL[name](torch, tf), exact=False, rtol=2e-6)
    i, ti = _pair([1, 2, 3, 7], "int64")
    out, expected = SPECIAL[name](cr, i), SPECIAL[name](torch, ti)
    assert out.dtype == np.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=2e-6)
    half = SPECIAL[name](cr, cr.tensor(np.array(values, dtype=np.float16)))
    assert half.dtype == np.float16


@pytest.mark.parametrize("name", ["erf", "erfc", "lgamma", "digamma", "polygamma1"])
def test_special_gradients_match_torch_on_both_paths(name, kernels):
    fn = SPECIAL[name]
    values = np.array([0.3, 1.7, 4.2, -0.6, -2.3])
    x = cr.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    (g,) = cr.grad(fn(cr, x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(fn(torch, tx).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-9)
    (h,) = cr.grad(g.sum(), x)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-9)


def test_numpy_kernels_are_accurate_near_the_zeros_of_lgamma():
    # the series about 1 and 2 keeps relative accuracy where log|Gamma| vanishes
    x = np.array([1 + 1e-9, 1 - 1e-7, 2 + 1e-10, 2 - 1e-6, 1.0, 2.0])
    expected = torch.lgamma(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(specfun.lgamma(x), expected, rtol=1e-12)


FLOAT_FUNCTIONS = ["exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "reciprocal", "tan",
                   "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "sinc", "logit",
                   "deg2rad", "rad2deg", "sigmoid", "exp", "sqrt"]


@pytest.mark.parametrize("name", FLOAT_FUNCTIONS)
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_floating_functions_of_integers_give_float32(name, dtype):
    values = [0, 1, 0, 1] if dtype == "bool" else [0, 1, 2, -3]
    a, ta = _pair(values, dtype)
    _same(getattr(cr, name)(a), getattr(torch, name)(ta), exact=False, rtol=1e-6)


def test_binary_functions_of_integers_give_float32():
    a, ta = _pair([1, -2, 3], "int64")
    b, tb = _pair([2, 5, -1], "int32")
    for name in ("atan2", "copysign", "xlogy"):
        _same(getattr(cr, name)(a, b), getattr(torch, name)(ta, tb), exact=False, rtol=1e-6)
    _same(cr.float_power(a, 2), torch.float_power(ta, 2))
    _same(cr.true_divide(a, b), torch.true_divide(ta, tb))


# ---------------------------------------------------------------------------
# nan_to_num, isclose, allclose, equal
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_nan_to_num_defaults_and_gradient_match_torch(dtype):
    values = [NAN, INF, -INF, 1.5, -0.25]
    a, ta = _pair(values, dtype)
    _same(a.nan_to_num(), ta.nan_to_num())
    _same(cr.nan_to_num(a, posinf=7.0), torch.nan_to_num(ta, posinf=7.0))
    if dtype != "float16":
        x = cr.tensor(np.array(values, dtype=dtype), requires_grad=True)
        tx = torch.tensor(np.array(values, dtype=dtype), requires_grad=True)
        (x.nan_to_num() * 2).sum().backward()
        (tx.nan_to_num() * 2).sum().backward()
        _same(x.grad, tx.grad)


def test_isclose_allclose_equal_follow_torch():
    a, ta = _pair([1.0, NAN, INF, -INF, 2.0], "float64")
    b, tb = _pair([1.0 + 1e-9, NAN, INF, INF, 2.1], "float64")
    _same(cr.isclose(a, b), torch.isclose(ta, tb))
    _same(a.isclose(b, equal_nan=True), ta.isclose(tb, equal_nan=True))
    _same(cr.isclose(a, b, rtol=0.1), torch.isclose(ta, tb, rtol=0.1))
    assert cr.allclose(a[:1], b[:1]) is True and a.allclose(b) is False
    assert cr.equal(a[:1], a[:1]) is True and a.equal(b) is False
    assert cr.equal(cr.tensor([1.0, 2.0]), cr.tensor([1.0])) is False
    assert cr.equal(cr.tensor([1.0, 2.0]), cr.tensor([1, 2])) is True
    with pytest.raises(RuntimeError, match=r"isclose: shapes \(5,\) and \(2,\) do not broadcast"):
        cr.allclose(a, cr.tensor([1.0, 2.0]))


def test_inf_and_nan_tests_are_constants():
    x = cr.tensor([1.0, INF, -INF, NAN], requires_grad=True)
    for name in ("isinf", "isposinf", "isneginf", "isfinite", "isnan", "isreal", "signbit"):
        out = getattr(cr, name)(x)
        expected = getattr(torch, name)(torch.tensor([1.0, INF, -INF, NAN]))
        _same(out, expected)
        assert not out.requires_grad


# ---------------------------------------------------------------------------
# lerp, copysign, xlogy conventions
# ---------------------------------------------------------------------------


def test_lerp_is_exact_at_both_ends_and_matches_torch():
    start, ts = _pair([0.1, -3.3, 1e8], "float64")
    end, te = _pair([0.7, 2.9, -1e-8], "float64")
    assert cr.lerp(start, end, 1.0).tolist() == end.tolist()
    assert start.lerp(end, 0.0).tolist() == start.tolist()
    for w in (0.3, 0.5, 0.8, 1.7, -0.4):  # PyTorch fuses multiply-adds: rounding differs
        _same(cr.lerp(start, end, w), torch.lerp(ts, te, w), exact=False, rtol=1e-15)
    w, tw = _pair([0.2, 0.5, 0.9], "float64")
    _same(start.lerp(end, w), ts.lerp(te, tw), exact=False, rtol=1e-15)


def test_copysign_uses_the_sign_bit_and_gives_other_a_zero_gradient():
    a = cr.tensor([1.5, -2.0, 0.0], requires_grad=True)
    b = cr.tensor([-0.0, 3.0, -1.0], requires_grad=True)
    ta = torch.tensor([1.5, -2.0, 0.0], requires_grad=True)
    tb = torch.tensor([-0.0, 3.0, -1.0], requires_grad=True)
    _same(cr.copysign(a, b).detach(), torch.copysign(ta, tb).detach())
    cr.copysign(a, b).sum().backward()
    torch.copysign(ta, tb).sum().backward()
    _same(a.grad, ta.grad)
    _same(b.grad, tb.grad)


def test_xlogy_at_zero_follows_torch():
    values_x, values_y = [0.0, 0.0, 0.0, 2.0, 1.0], [0.0, NAN, -1.0, 0.0, 3.0]
    x = cr.tensor(values_x, requires_grad=True)
    y = cr.tensor(values_y, requires_grad=True)
    tx = torch.tensor(values_x, requires_grad=True)
    ty = torch.tensor(values_y, requires_grad=True)
    _same(cr.xlogy(x, y).detach(), torch.xlogy(tx, ty).detach())
    cr.xlogy(x, y).sum().backward()
    torch.xlogy(tx, ty).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


def test_special_namespace_names_are_the_top_level_functions():
    x = cr.tensor([0.2, 0.7])
    for name, top in [("erf", "erf"), ("erfc", "erfc"), ("erfinv", "erfinv"),
                      ("gammaln", "lgamma"), ("psi", "digamma"), ("digamma", "digamma"),
                      ("log1p", "log1p"), ("expm1", "expm1"), ("exp2", "exp2"),
                      ("sinc", "sinc"), ("logit", "logit"), ("expit", "sigmoid")]:
        np.testing.assert_array_equal(getattr(cr.special, name)(x).numpy(),
                                      getattr(cr, top)(x).numpy())
        assert hasattr(torch.special, name)
    _same(cr.special.entr(cr.tensor([0.0, 0.5, -1.0])),
          torch.special.entr(torch.tensor([0.0, 0.5, -1.0])))
    _same(cr.special.softmax(x, 0), torch.special.softmax(torch.tensor([0.2, 0.7]), 0),
          exact=False)


# ---------------------------------------------------------------------------
# In-place ops on tensors in a graph
# ---------------------------------------------------------------------------


def test_inplace_remainder_in_a_graph_is_recorded():
    x = cr.tensor([1.3, -2.6, 0.4], requires_grad=True)
    tx = torch.tensor([1.3, -2.6, 0.4], requires_grad=True)
    y, ty = x * 3, tx * 3
    y %= 0.7
    ty %= 0.7
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    _same(y.detach(), ty.detach(), exact=False)
    _same(x.grad, tx.grad, exact=False, rtol=1e-6)


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = cr.tensor([1.3, -2.6], requires_grad=True)
    with pytest.raises(RuntimeError, match="remainder_: a leaf tensor"):
        x %= 0.7


# ---------------------------------------------------------------------------
# Broadcasting: shapes and values against torch (hypothesis)
# ---------------------------------------------------------------------------

BROADCAST_OPS = {
    "atan2": lambda m, a, b: m.atan2(a, b), "hypot": lambda m, a, b: m.hypot(a, b),
    "remainder": lambda m, a, b: m.remainder(a, b + 3.0), "fmod": lambda m, a, b: m.fmod(a, b),
    "logaddexp": lambda m, a, b: m.logaddexp(a, b), "copysign": lambda m, a, b: m.copysign(a, b),
    "xlogy": lambda m, a, b: m.xlogy(a, b * b + 0.1), "lerp": lambda m, a, b: m.lerp(a, b, b),
    "div_floor": lambda m, a, b: m.div(a, b, rounding_mode="floor") + a,
}


@settings(max_examples=30, deadline=None)
@given(op=st.sampled_from(sorted(BROADCAST_OPS)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_broadcast_binary_math_matches_torch(op, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, s) for s in shapes.input_shapes]
    fn = BROADCAST_OPS[op]
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(cr, *xs), fn(torch, *txs)
    assert out.shape == tuple(tout.shape) == shapes.result_shape
    v = rng.standard_normal(out.shape)
    (out * cr.tensor(v)).sum().backward()
    (tout * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10)
    for x, tx in zip(xs, txs):
        assert x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(op=st.sampled_from(sorted(BITWISE)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       dtypes=st.tuples(*[st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "bool"])
                          for _ in range(2)]),
       seed=st.integers(0, 2 ** 16))
def test_broadcast_bitwise_matches_torch(op, shapes, dtypes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.integers(0, 9, s).astype(d) for s, d in zip(shapes.input_shapes, dtypes)]
    xs = [cr.tensor(a) for a in arrays]
    txs = [torch.from_numpy(a.copy()) for a in arrays]
    try:
        expected = BITWISE[op](*txs)
    except (RuntimeError, TypeError):
        with pytest.raises((RuntimeError, TypeError)):
            BITWISE[op](*xs)
        return
    _same(BITWISE[op](*xs), expected)


INPLACE_UNARY = {
    "exp_": (), "exp2_": (), "expm1_": (), "log_": (), "log2_": (), "log10_": (), "log1p_": (),
    "sqrt_": (), "rsqrt_": (), "sin_": (), "cos_": (), "tan_": (), "asin_": (), "acos_": (),
    "atan_": (), "sinh_": (), "cosh_": (), "tanh_": (), "asinh_": (), "atanh_": (),
    "sigmoid_": (), "logit_": (), "erf_": (), "erfc_": (), "erfinv_": (), "lgamma_": (),
    "digamma_": (), "sinc_": (), "abs_": (), "relu_": (), "sign_": (), "floor_": (),
    "ceil_": (), "trunc_": (), "round_": (), "nan_to_num_": (), "square_": (),
    "polygamma_": (1,), "atan2_": ("other",), "hypot_": ("other",), "copysign_": ("other",),
    "xlogy_": ("other",), "lerp_": ("other", 0.3), "neg_": (), "negative_": (),
    "reciprocal_": (), "pow_": (2.5,), "divide_": ("other",), "true_divide_": ("other",),
    "subtract_": ("other",), "multiply_": ("other",), "frac_": (), "deg2rad_": (),
    "rad2deg_": (), "ldexp_": ("other",), "clamp_min_": (0.5,), "clamp_max_": (0.5,),
}


@pytest.mark.parametrize("name", sorted(INPLACE_UNARY))
def test_inplace_math_in_a_graph_matches_torch(name):
    values, others = [0.3, 0.55, 0.8], [0.6, -0.2, 0.45]

    def run(lib):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        other = lib.tensor(others, dtype=lib.float64)
        args = [other if a == "other" else a for a in INPLACE_UNARY[name]]
        y = x * 1.0
        if lib is torch and name in ("asinh_", "atanh_"):  # no derivative in PyTorch
            y = getattr(y, name[:-1])(*args)
        else:
            assert getattr(y, name)(*args) is y
        (y * y).sum().backward()
        return y.detach().numpy(), x.grad.numpy()

    ours, theirs = run(cr), run(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_inplace_math_on_integers_follows_torch():
    for name in ("exp_", "sigmoid_", "erfinv_", "sqrt_"):
        with pytest.raises(RuntimeError, match=f"{name}: the result type float32 can't be cast"):
            getattr(cr.tensor([1, 2]), name)()
    for name in ("abs_", "sign_", "floor_", "round_", "square_"):
        i, ti = _pair([3, -4], "int64")
        getattr(i, name)()
        getattr(ti, name)()
        _same(i, ti)
    z, tz = _pair([1.26, 2.55, -0.35], "float32")
    z.round_(decimals=1)
    tz.round_(decimals=1)
    _same(z, tz)


def test_ndtr_keeps_its_lower_tail_and_gcd_refuses_bools():
    # PyTorch's ndtr is 0.5 * (1 + erf(x / sqrt 2)), 0 below about -8.3; chainrule's uses
    # erfc there (7.62e-24 at -10), and agrees with PyTorch elsewhere
    x = cr.tensor([-10.0, -40.0, -1.0, 0.0, 3.0], dtype=cr.float64)
    np.testing.assert_allclose(cr.special.ndtr(x).numpy(), [7.619853024160527e-24,
                               0.0, 0.15865525393145707,
                               0.5, 0.9986501019683699], rtol=1e-14)
    with pytest.raises(NotImplementedError, match="gcd: .*only for integer tensors"):
        cr.gcd(cr.tensor([True]), cr.tensor([True]))


def test_fmax_fmin_ignore_nan_and_send_ties_to_the_first_operand():
    values_a, values_b = [1.0, NAN, 2.0, 3.0, NAN], [1.0, 0.0, NAN, 1.0, NAN]
    for name in ("fmax", "fmin"):
        a = cr.tensor(values_a, requires_grad=True)
        b = cr.tensor(values_b, requires_grad=True)
        ta = torch.tensor(values_a, requires_grad=True)
        tb = torch.tensor(values_b, requires_grad=True)
        out, tout = getattr(cr, name)(a, b), getattr(torch, name)(ta, tb)
        _same(out.detach(), tout.detach())
        out.sum().backward()
        tout.sum().backward()
        _same(a.grad, ta.grad)
        _same(b.grad, tb.grad)


def test_logical_inplace_and_positive():
    m, tm = _pair([True, False, True], "bool")
    other, tother = _pair([1.0, 1.0, 0.0], "float32")
    for name in ("logical_and_", "logical_or_", "logical_xor_"):
        getattr(m, name)(other)
        getattr(tm, name)(tother)
        _same(m, tm)
    m.logical_not_()
    tm.logical_not_()
    _same(m, tm)
    f = cr.tensor([1.5, -2.0])
    assert cr.positive(f) is f
    with pytest.raises(TypeError, match="positive"):
        cr.positive(cr.tensor([True]))
