"""Catalogue cases of the elementwise math family (issue 10): rounding, division with
rounding and remainders, exponentials and logarithms, trigonometric and hyperbolic
functions, special functions, binary functions, nan/inf handling, bitwise and logical
ops. Collected by tests/op_catalogue.py and swept by tests/test_ops_catalogue.py.

Each ``fn(m, *tensors)`` runs unchanged on ``m = chainrule`` and ``m = torch``.
Domains keep inputs away from kinks and jumps (integers for floor, half-integers for
round, quotients at integers for fmod/remainder) and inside each function's domain.
"""

from __future__ import annotations

import numpy as np
from op_catalogue import BINARY_SHAPES, Case, cases

# ---------------------------------------------------------------------------
# Domains: (rng, shape, dtype) -> array
# ---------------------------------------------------------------------------


def unit(rng, shape, dtype):
    """Inside (-0.9, 0.9): asin, acos, atanh, erfinv."""
    return rng.uniform(-0.9, 0.9, shape).astype(dtype)


def above_one(rng, shape, dtype):
    """(1.2, 3): acosh."""
    return rng.uniform(1.2, 3.0, shape).astype(dtype)


def probability(rng, shape, dtype):
    """(0.05, 0.95): logit."""
    return rng.uniform(0.05, 0.95, shape).astype(dtype)


def wide_probability(rng, shape, dtype):
    """(0.02, 0.98): logit with eps=0.1 sees points inside and outside [eps, 1 - eps]."""
    return rng.uniform(0.02, 0.98, shape).astype(dtype)


def gamma_argument(rng, shape, dtype):
    """Positive values and negative non-integers (lgamma, digamma, polygamma reflect there)."""
    positive = rng.uniform(0.3, 5.0, shape)
    negative = rng.uniform(-0.8, -0.2, shape) - rng.integers(0, 3, shape)
    return np.where(rng.random(shape) < 0.7, positive, negative).astype(dtype)


def positive_gamma_argument(rng, shape, dtype):
    return rng.uniform(0.3, 5.0, shape).astype(dtype)


def moderate_gamma_argument(rng, shape, dtype):
    """(1, 5): high-order polygammas stay moderate, so central differences of the
    projected sum are not lost in rounding."""
    return rng.uniform(1.0, 5.0, shape).astype(dtype)


def off_integers(rng, shape, dtype):
    """In (-3, 3), at least 0.1 from every integer and half-integer (floor, round, ...)."""
    whole = rng.integers(-3, 3, shape)
    offset = rng.choice([0.15, 0.35, 0.65, 0.85], shape) + rng.uniform(-0.04, 0.04, shape)
    return (whole + offset).astype(dtype)


def off_hundredths(rng, shape, dtype):
    """Values whose second decimal is 2 or 7: round(decimals=1) does not jump nearby."""
    tenths = rng.integers(-30, 30, shape) / 10.0
    return (tenths + rng.choice([0.02, 0.07], shape)).astype(dtype)


def dividend(rng, shape, dtype):
    return rng.uniform(-3.0, 3.0, shape).astype(dtype)


def divisor(rng, shape, dtype):
    """+-(0.6, 1.4): away from 0, both signs (fmod and remainder differ by sign)."""
    return (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.6, 1.4, shape)).astype(dtype)


def with_a_zero(rng, shape, dtype):
    """Real values with one exact 0 (xlogy's convention at 0)."""
    out = rng.uniform(-2.0, 2.0, shape)
    out.reshape(-1)[:1] = 0.0
    return out.astype(dtype)


def weight(rng, shape, dtype):
    """lerp weights, on both sides of 0.5 (where PyTorch's formula switches)."""
    return rng.uniform(-0.2, 1.2, shape).astype(dtype)


def not_finite(rng, shape, dtype):
    """Finite values with nan, +inf and -inf among them (nan_to_num)."""
    out = rng.uniform(-2.0, 2.0, shape)
    flat = out.reshape(-1)
    flat[: min(3, flat.size)] = [np.nan, np.inf, -np.inf][: min(3, flat.size)]
    return out.astype(dtype)


def positive(rng, shape, dtype):
    return rng.uniform(0.3, 3.0, shape).astype(dtype)


SHAPES = [[()], [(2, 3)], [(2, 1, 3)]]
TWO_SHAPES = [[(2, 3), (2, 3)], [(3, 1), (1, 4)], [(2, 3), ()], [(3,), (2, 3)]]

CASES: list = []


def _add(name, fn, shape_sets, domains=()):
    CASES.extend(cases(name, fn, shape_sets, domains))


# -- rounding: piecewise constant, zero gradient, attached ----------------------------
_add("floor", lambda m, a: a.floor() * a, SHAPES, (off_integers,))
_add("ceil", lambda m, a: m.ceil(a) + a, [[(2, 3)]], (off_integers,))
_add("trunc", lambda m, a: a.trunc(), [[(2, 3)]], (off_integers,))
_add("fix", lambda m, a: m.fix(a) * a, [[(2, 3)]], (off_integers,))
_add("round", lambda m, a: a.round() * a, SHAPES, (off_integers,))
_add("round_decimals", lambda m, a: m.round(a, decimals=1) * a, [[(2, 3)]], (off_hundredths,))
_add("frac", lambda m, a: a.frac() * a, SHAPES, (off_integers,))
_add("sign", lambda m, a: a.sign() * a.exp(), SHAPES)
_add("sign_alone", lambda m, a: m.sign(a), [[(2, 3)]])
_add("sgn", lambda m, a: a.sgn() + a, [[(2, 3)]])

# -- division with rounding and remainders --------------------------------------------
# (PyTorch has no derivative for ``//`` itself: test_math_ops.py checks its zeros)
_add("div_floor", lambda m, a, b: m.div(a, b, rounding_mode="floor") * b + a, TWO_SHAPES,
     (dividend, divisor))
_add("div_trunc", lambda m, a, b: a.div(b, rounding_mode="trunc") * b,
     [[(2, 3), (3,)]], (dividend, divisor))
_add("div_none", lambda m, a, b: m.div(a, b, rounding_mode=None), [[(2, 3), (3,)]],
     (dividend, divisor))
_add("remainder_op", lambda m, a, b: a % b, TWO_SHAPES, (dividend, divisor))
_add("remainder_number", lambda m, a: a % 0.7, SHAPES, (dividend,))
_add("remainder_fn", lambda m, a, b: m.remainder(a, b), [[(3, 1), (1, 4)]], (dividend, divisor))
_add("fmod", lambda m, a, b: m.fmod(a, b), TWO_SHAPES, (dividend, divisor))
_add("fmod_method_number", lambda m, a: a.fmod(-0.7), [[(2, 3)]], (dividend,))

# -- exponentials and logarithms ----------------------------------------------------
_add("exp2", lambda m, a: a.exp2(), SHAPES)
_add("expm1", lambda m, a: m.expm1(a), SHAPES)
_add("expm1_small", lambda m, a: (a * 1e-6).expm1(), [[(2, 3)]])
_add("log2", lambda m, a: a.log2(), SHAPES, (positive,))
_add("log10", lambda m, a: m.log10(a), [[(2, 3)]], (positive,))
_add("log1p", lambda m, a: a.log1p(), SHAPES, (positive,))
_add("log1p_small", lambda m, a: m.log1p(a * 1e-7), [[(2, 3)]])
_add("rsqrt", lambda m, a: a.rsqrt(), SHAPES, (positive,))
_add("rsqrt_fn", lambda m, a: m.rsqrt(a) * m.reciprocal(a), [[(2, 3)]], (positive,))
_add("square_fn", lambda m, a: m.square(a), [[(2, 3)]])

# -- trigonometric and hyperbolic ---------------------------------------------------
_add("tan", lambda m, a: a.tan(), SHAPES)
_add("asin", lambda m, a: a.asin(), SHAPES, (unit,))
_add("acos", lambda m, a: m.acos(a), SHAPES, (unit,))
_add("atan", lambda m, a: a.atan(), SHAPES)
_add("arc_aliases", lambda m, a: m.arcsin(a) + a.arccos() + m.arctan(a), [[(2, 3)]], (unit,))
_add("sinh", lambda m, a: a.sinh(), SHAPES)
_add("cosh", lambda m, a: m.cosh(a), SHAPES)
_add("asinh", lambda m, a: a.asinh(), SHAPES)
_add("acosh", lambda m, a: m.acosh(a), SHAPES, (above_one,))
_add("atanh", lambda m, a: a.atanh(), SHAPES, (unit,))
_add("arc_hyperbolic_aliases", lambda m, a: m.arcsinh(a) + a.arctanh(), [[(2, 3)]], (unit,))
_add("deg2rad", lambda m, a: m.deg2rad(a * 90) + a.rad2deg(), [[(2, 3)]])

# -- special functions ----------------------------------------------------------------
_add("erf", lambda m, a: a.erf(), SHAPES)
_add("erf_wide", lambda m, a: m.erf(a * 3), [[(2, 3)]])
_add("erfc", lambda m, a: m.erfc(a * 3), SHAPES)
_add("erfinv", lambda m, a: a.erfinv(), SHAPES, (unit,))
_add("gelu_exact", lambda m, a: 0.5 * a * (1 + m.erf(a * 0.7071067811865476)), [[(2, 3)]])
_add("lgamma", lambda m, a: a.lgamma(), SHAPES, (gamma_argument,))
_add("lgamma_large", lambda m, a: m.lgamma(a * 40), [[(2, 3)]], (positive_gamma_argument,))
_add("digamma", lambda m, a: m.digamma(a), SHAPES, (gamma_argument,))
_add("polygamma_1", lambda m, a: m.polygamma(1, a), SHAPES, (gamma_argument,))
_add("polygamma_2_method", lambda m, a: a.polygamma(2), [[(2, 3)]], (gamma_argument,))
_add("polygamma_4", lambda m, a: m.polygamma(4, a), [[(2, 3)]], (moderate_gamma_argument,))
_add("logit", lambda m, a: a.logit(), SHAPES, (probability,))
_add("logit_eps", lambda m, a: m.logit(a, eps=0.1), [[(2, 3)], [(4,)]], (wide_probability,))
_add("sinc", lambda m, a: m.sinc(a), SHAPES)
_add("special_erfs", lambda m, a: m.special.erf(a) + m.special.erfc(a) + m.special.erfinv(a * 0.5),
     [[(2, 3)]], (unit,))
_add("special_gamma", lambda m, a: m.special.gammaln(a) * m.special.digamma(a)
     + m.special.psi(a) + m.special.polygamma(1, a), [[(2, 3)]], (positive_gamma_argument,))
_add("special_expit_logit", lambda m, a: m.special.expit(a) + m.special.logit(a),
     [[(2, 3)]], (probability,))
_add("special_exp_log", lambda m, a: m.special.exp2(a) + m.special.expm1(a) + m.special.log1p(a),
     [[(2, 3)]], (positive,))
_add("special_sinc_entr", lambda m, a: m.special.sinc(a) + m.special.entr(a), [[(2, 3)]],
     (positive,))
_add("special_xlogy", lambda m, a, b: m.special.xlogy(a, b), [[(2, 3), (3,)]],
     (with_a_zero, positive))
_add("special_round", lambda m, a: m.special.round(a) * a, [[(2, 3)]], (off_integers,))

# -- binary functions --------------------------------------------------------------
_add("atan2", lambda m, a, b: m.atan2(a, b), BINARY_SHAPES[:4] + [[(2, 3), (3,)]])
_add("atan2_method", lambda m, a, b: a.atan2(b) + m.arctan2(b, a), [[(2, 3), (2, 3)]])
_add("hypot", lambda m, a, b: m.hypot(a, b), TWO_SHAPES)
_add("hypot_method", lambda m, a, b: a.hypot(b), [[(3, 1), (1, 4)]])
_add("logaddexp", lambda m, a, b: m.logaddexp(a, b), TWO_SHAPES)
_add("logaddexp_large", lambda m, a, b: (a * 30).logaddexp(b * 30), [[(2, 3), (2, 3)]])
_add("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), [[(2, 3), (3,)]])
_add("copysign", lambda m, a, b: m.copysign(a, b), TWO_SHAPES)
_add("copysign_number", lambda m, a: a.copysign(-1.0) * a, [[(2, 3)]])
_add("xlogy", lambda m, a, b: m.xlogy(a, b), TWO_SHAPES, (with_a_zero, positive))
_add("xlogy_method", lambda m, a, b: a.xlogy(b), [[(2, 3), (2, 3)]], ("real", positive))
_add("lerp_number", lambda m, a, b: m.lerp(a, b, 0.3) + a.lerp(b, 0.8), TWO_SHAPES)
_add("lerp_tensor_weight", lambda m, a, b, w: m.lerp(a, b, w), [[(2, 3), (2, 3), (2, 3)],
     [(3, 1), (1, 4), (3, 4)], [(2, 3), (3,), ()]], ("real", "real", weight))

_add("xlog1py", lambda m, a, b: m.special.xlog1py(a, b), [[(2, 3), (2, 3)], [(3, 1), (1, 4)]],
     (with_a_zero, positive))
_add("ndtr", lambda m, a: m.special.ndtr(a * 3), SHAPES)
_add("ldexp", lambda m, a, b: m.ldexp(a, b), TWO_SHAPES)
_add("clamp_min_max", lambda m, a: a.clamp_min(-0.5) * m.clamp_max(a, 0.8), SHAPES)
_add("fmax", lambda m, a, b: m.fmax(a, b), TWO_SHAPES)
_add("fmin", lambda m, a, b: a.fmin(b), TWO_SHAPES)
_add("add_sub_alpha", lambda m, a, b: m.add(a, b, alpha=2.5) * m.sub(a, b, alpha=-0.5)
     + a.add(b, alpha=3) - a.sub(b, alpha=0.5), TWO_SHAPES)
_add("mul_subtract_fns", lambda m, a, b: m.mul(a, b) + m.multiply(a, 2.0) - m.subtract(b, a)
     + a.multiply(b).subtract(a) + m.positive(a), [[(2, 3), (3,)]])

# -- nan and inf -----------------------------------------------------------------------
# (the default posinf/neginf, the dtype's extremes, swamp central differences of the
# projected output: test_math_ops.py checks them exactly)
_add("nan_to_num_values", lambda m, a: m.nan_to_num(a, nan=0.5, posinf=3.0, neginf=-3.0),
     [[(2, 3)], [(4,)]], (not_finite,))
_add("nan_to_num_finite", lambda m, a: m.nan_to_num(a), SHAPES)


# ---------------------------------------------------------------------------
# No gradient: values and dtypes against PyTorch
# ---------------------------------------------------------------------------


def _ints(t, scale=10):
    """Distinct integers (int64) from a real-valued tensor."""
    return (t * scale).long()


def _divisors(t):
    return (t * 10).long().abs() + 1


NONDIFF_CASES = [
    # bitwise on integers and bools, with PyTorch's dtypes
    Case("and_int32_number", lambda m, a: (a * 4000).int() & 0x1337, ((2, 3),)),
    Case("and_int64", lambda m, a, b: _ints(a) & _ints(b), ((3, 1), (1, 4))),
    Case("and_int32_int64", lambda m, a, b: _ints(a).int() & _ints(b), ((2, 3), (3,))),
    Case("and_int32_0d_int64", lambda m, a, b: _ints(a).int() & _ints(b), ((2, 3), ())),
    Case("and_bool", lambda m, a, b: (a > 0) & (b < 0.3), ((2, 3), (2, 3))),
    Case("and_bool_int", lambda m, a: (a > 0) & 1, ((2, 3),)),
    Case("rand_number", lambda m, a: 6 & _ints(a).int(), ((2, 3),)),
    Case("or", lambda m, a, b: _ints(a) | _ints(b).int(), ((2, 3), (2, 3))),
    Case("ror_bool", lambda m, a: True | (a > 0), ((2, 3),)),
    Case("xor", lambda m, a, b: _ints(a).int() ^ _ints(b).int(), ((2, 3), (2, 3))),
    Case("rxor", lambda m, a: 5 ^ _ints(a), ((4,),)),
    Case("xor_bool", lambda m, a, b: (a > 0) ^ (b > 0), ((3, 1), (1, 4))),
    Case("invert_int", lambda m, a: ~_ints(a).int(), ((2, 3),)),
    Case("invert_bool", lambda m, a: ~(a > 0), ((2, 3),)),
    Case("lshift", lambda m, a: _ints(a).int() << 3, ((2, 3),)),
    Case("lshift_tensor", lambda m, a, b: _ints(a) << _ints(b).abs(), ((2, 3), (3,))),
    Case("rlshift", lambda m, a: 3 << _ints(a).abs(), ((2, 3),)),
    Case("rshift", lambda m, a: _ints(a, 100).int() >> 2, ((2, 3),)),
    Case("rshift_past_width", lambda m, a: _ints(a) >> 70, ((2, 3),)),
    Case("lshift_past_width", lambda m, a: _ints(a) << 64, ((2, 3),)),
    Case("rrshift", lambda m, a: 1000 >> _ints(a).abs(), ((2, 3),)),
    Case("bitwise_fns", lambda m, a, b: m.bitwise_xor(m.bitwise_or(m.bitwise_and(
        _ints(a), _ints(b)), 3), m.bitwise_not(_ints(b))), ((2, 3), (2, 3))),
    Case("bitwise_shift_fns", lambda m, a: m.bitwise_left_shift(_ints(a).abs(), 2)
         + m.bitwise_right_shift(_ints(a), 1), ((2, 3),)),
    Case("bitwise_methods", lambda m, a, b: _ints(a).bitwise_and(_ints(b)).bitwise_or(4)
         .bitwise_xor(_ints(b)).bitwise_not(), ((2, 3), (2, 3))),
    Case("gcd", lambda m, a, b: m.gcd(_ints(a, 30), _ints(b, 20)), ((2, 3), (3,))),
    Case("lcm", lambda m, a, b: _ints(a).int().lcm(_ints(b)), ((3, 1), (1, 4))),
    Case("comparison_fns", lambda m, a, b: m.eq(a, a) & m.ne(a, b) & (m.lt(a, b) | m.le(b, a))
         ^ (m.gt(a, 0.2) | m.ge(b, a)), ((2, 3), (3,))),
    Case("comparison_aliases", lambda m, a, b: m.greater(a, b) | a.less(b).logical_not()
         ^ m.greater_equal(a, 0.1) & m.less_equal(b, a) | a.not_equal(b), ((3, 1), (1, 4))),
    # logical ops: bool results for any dtype
    Case("logical_and", lambda m, a, b: m.logical_and(a, b), ((2, 3), (2, 3))),
    Case("logical_or_mixed", lambda m, a, b: m.logical_or(a > 0, _ints(b)), ((3, 1), (1, 4))),
    Case("logical_xor", lambda m, a, b: a.logical_xor(b > 0), ((2, 3), (3,))),
    Case("logical_not", lambda m, a: m.logical_not(a.round()), ((2, 3),)),
    Case("logical_not_method", lambda m, a: _ints(a).logical_not(), ((2, 3),)),
    # integer division and remainders keep integer dtypes
    Case("floordiv_int", lambda m, a, b: _ints(a) // _divisors(b), ((2, 3), (2, 3))),
    Case("floordiv_int_negative", lambda m, a: _ints(a) // -3, ((2, 3),)),
    Case("rfloordiv_int", lambda m, a: -7 // _divisors(a), ((2, 3),)),
    Case("floordiv_int_float", lambda m, a: _ints(a) // 2.5, ((2, 3),)),
    Case("mod_int", lambda m, a, b: _ints(a) % _divisors(b).int(), ((2, 3), (3,))),
    Case("mod_int_negative", lambda m, a: _ints(a).int() % -3, ((2, 3),)),
    Case("rmod_int", lambda m, a: 17 % _divisors(a), ((2, 3),)),
    Case("fmod_int", lambda m, a: m.fmod(_ints(a), -3), ((2, 3),)),
    Case("fmod_int_float", lambda m, a: _ints(a).fmod(2.5), ((2, 3),)),
    Case("remainder_int_float", lambda m, a: m.remainder(_ints(a).int(), 2.5), ((2, 3),)),
    Case("div_trunc_int", lambda m, a, b: m.div(_ints(a), _divisors(b), rounding_mode="trunc"),
         ((2, 3), (2, 3))),
    Case("div_floor_int", lambda m, a: _ints(a).div(4, rounding_mode="floor"), ((2, 3),)),
    Case("div_true_int", lambda m, a: m.div(_ints(a), 4), ((2, 3),)),
    Case("floor_divide_fn", lambda m, a: m.floor_divide(_ints(a), 3), ((2, 3),)),
    Case("true_divide_int", lambda m, a: m.true_divide(_ints(a), 3), ((2, 3),)),
    # rounding of integers is the identity; sign keeps the dtype
    Case("floor_int", lambda m, a: _ints(a).floor(), ((2, 3),)),
    Case("ceil_round_trunc_int32", lambda m, a: _ints(a).int().ceil() + _ints(a).int().round()
         + m.trunc(_ints(a).int()), ((2, 3),)),
    Case("sign_int", lambda m, a: _ints(a).int().sign(), ((2, 3),)),
    Case("sign_bool", lambda m, a: (a > 0).sign(), ((2, 3),)),
    Case("signbit", lambda m, a: m.signbit(a), ((2, 3),)),
    # exact float results of integers: float32, as PyTorch
    Case("exp2_int", lambda m, a: m.exp2(_ints(a).int()), ((2, 3),)),
    Case("square_int", lambda m, a: m.square(_ints(a)), ((2, 3),)),
    # nan and inf tests
    Case("isinf_isnan_isfinite", lambda m, a: m.isinf(a / a.round()) | m.isnan(a.round() / 0.0)
         | ~m.isfinite(a.round() / 0.0), ((2, 3),)),
    Case("isposinf_isneginf", lambda m, a: m.isposinf(a / 0.0) ^ a.isneginf(), ((2, 3),)),
    Case("isreal", lambda m, a: m.isreal(a), ((2, 3),)),
    Case("nan_to_num_int", lambda m, a: m.nan_to_num(_ints(a)), ((2, 3),)),
    Case("isclose", lambda m, a, b: m.isclose(a, a + b * 1e-6), ((2, 3), (2, 3))),
    Case("isclose_tolerances", lambda m, a, b: a.isclose(b, rtol=0.5, atol=0.1),
         ((3, 1), (1, 4))),
    Case("isclose_nan", lambda m, a: m.isclose(a / 0.0, a / 0.0, equal_nan=True), ((2, 3),)),
]
