"""Special functions on NumPy arrays: erf, erfc, erfinv, lgamma, digamma, polygamma.

NumPy has none of them and NumPy is the only dependency, so they are written
here, vectorised, in float64 (a float32 input is computed in float64 and the
result cast back). The algorithms are the classic ones (Cephes for erf/erfc,
the Lanczos sum of CPython's ``math.lgamma``, the asymptotic series of Cephes
and PyTorch for digamma and the Hurwitz zeta function), so float64 results agree
with PyTorch's to about 1e-15 relative away from the zeros of the function.
Edge values follow PyTorch: ``erfinv(+-1) = +-inf``, ``digamma(0) = -inf``,
``digamma(-0.0) = inf``, ``lgamma`` of a non-positive integer is ``inf``, and
``digamma``/``polygamma`` are ``nan`` / ``+-inf`` at the poles.

Like :mod:`chainrule.ops.arrays`, this module imports nothing of chainrule.

>>> erf(np.array([0.0, 0.5, 3.0])).round(10).tolist()
[0.0, 0.5204998778, 0.9999779095]
>>> bool(np.isclose(lgamma(np.array(0.5)), np.log(np.sqrt(np.pi)), rtol=1e-15))
True
"""

from __future__ import annotations

from fractions import Fraction
from math import factorial

import numpy as np

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma"]


def _polyval(coefficients: tuple, x: np.ndarray) -> np.ndarray:
    """sum(c[i] * x ** (n - i)): Horner's rule, highest power first (in place: no
    temporaries)."""
    out = np.full_like(x, coefficients[0], dtype=np.float64)
    for c in coefficients[1:]:
        out *= x
        out += c
    return out


def _float64(x: np.ndarray) -> tuple[np.ndarray, np.dtype]:
    """``x`` as a float64 array, and the floating dtype the result should have."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    return x.astype(np.float64, copy=False), dtype


def _result(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return out if out.dtype == dtype else out.astype(dtype)


# ---------------------------------------------------------------------------
# The error function (Cephes ndtr.c: rational approximations)
# ---------------------------------------------------------------------------

# erf(x) = x T(x^2) / U(x^2) for |x| <= 1
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
# erfc(x) = exp(-x^2) P(x) / Q(x) for 1 <= x < 8, and R(x) / S(x) beyond
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 1."""
    z = x * x
    return x * _polyval(_ERF_T, z) / _polyval(_ERF_U, z)


def _erfc_large(a: np.ndarray) -> np.ndarray:
    """erfc(a) for a >= 1 (or nan), without cancellation; 0 once it underflows."""
    out = np.zeros_like(a)
    near = a < 8.0
    far = ~near & (a < 27.3)  # erfc(27.3) underflows
    out[np.isnan(a)] = np.nan
    for part, p, q in ((near, _ERFC_P, _ERFC_Q), (far, _ERFC_R, _ERFC_S)):
        x = a[part]
        # exp(-x^2) as exp(-hi^2) * exp(-(x^2 - hi^2)), hi = x rounded to 1/128: x*x is
        # not exact, and its rounding error would be multiplied by x^2 in exp
        hi = np.round(x * 128.0) / 128.0
        lo = (x - hi) * (x + hi)
        with np.errstate(under="ignore"):
            out[part] = np.exp(-hi * hi) * np.exp(-lo) * _polyval(p, x) / _polyval(q, x)
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise.

    >>> erf(np.array([-np.inf, 0.0, np.inf])).tolist()
    [-1.0, 0.0, 1.0]
    """
    x, dtype = _float64(x)
    a = np.abs(x)
    small = a <= 1.0
    out = np.empty_like(x)
    out[small] = _erf_small(x[small])
    big = ~small
    out[big] = np.copysign(1.0 - _erfc_large(a[big]), x[big])  # nan stays nan
    return _result(out, dtype)


def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function 1 - erf(x), accurate where it is tiny.

    >>> print(f"{float(erfc(np.array(10.0))):.10e}")
    2.0884875838e-45
    """
    x, dtype = _float64(x)
    a = np.abs(x)
    small = a < 1.0
    out = np.empty_like(x)
    out[small] = 1.0 - _erf_small(x[small])
    big = ~small
    tail = _erfc_large(a[big])
    out[big] = np.where(x[big] < 0, 2.0 - tail, tail)
    return _result(out, dtype)


# PyTorch's erfinv (a rational first guess, then two Newton steps); its constants
_ERFINV_A = (-0.140543331, 0.914624893, -1.645349621, 0.886226899)
_ERFINV_B = (0.012229801, -0.329097515, 1.442710462, -2.118377725, 1.0)
_ERFINV_C = (1.641345311, 3.429567803, -1.624906493, -1.970840454)
_ERFINV_D = (1.637067800, 3.543889200, 1.0)
_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


def erfinv(y: np.ndarray) -> np.ndarray:
    """The inverse of :func:`erf` on [-1, 1]: ``+-inf`` at ``+-1``, ``nan`` outside.

    >>> erfinv(erf(np.array([-2.0, 0.3]))).round(10).tolist()
    [-2.0, 0.3]
    """
    y, dtype = _float64(y)
    a = np.abs(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = y * y
        central = y * _polyval(_ERFINV_A, z) / _polyval(_ERFINV_B, z)
        t = np.sqrt(-np.log((1.0 - a) / 2.0))
        tail = np.copysign(_polyval(_ERFINV_C, t), y) / _polyval(_ERFINV_D, t)
        x = np.where(a <= 0.7, central, tail)
        inside = a < 1.0
        x = np.where(inside, x, 0.0)
        for _ in range(2):  # Newton: x -= (erf(x) - y) / erf'(x)
            x = x - (erf(x) - y) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
    x = np.where(inside, x, np.where(a == 1.0, np.copysign(np.inf, y), np.nan))
    return _result(x, dtype)


# ---------------------------------------------------------------------------
# Series: Bernoulli numbers and the Hurwitz zeta function
# ---------------------------------------------------------------------------


def _bernoulli(n: int) -> Fraction:
    """The Bernoulli number B_n (B_1 = -1/2), exactly."""
    b = [Fraction(1)]
    for m in range(1, n + 1):
        total = Fraction(0)
        for k in range(m):
            total += Fraction(factorial(m + 1), factorial(k) * factorial(m + 1 - k)) * b[k]
        b.append(-total / (m + 1))
    return b[n]


def _bernoulli_terms(count: int) -> tuple[float, ...]:
    """B_2j / (2j)! for j = 1 .. count."""
    return tuple(float(_bernoulli(2 * j) / factorial(2 * j)) for j in range(1, count + 1))


_B2J = _bernoulli_terms(12)


def _hurwitz_zeta(s: int, q: np.ndarray) -> np.ndarray:
    """zeta(s, q) = sum_k (q + k) ** -s for an integer s >= 2 and q > 0.

    The first terms are summed until q + k >= w0, the rest by the Euler-Maclaurin
    formula (as Cephes' zeta, which PyTorch uses).
    """
    w0 = max(10.0, float(s))
    total = np.zeros_like(q)
    w = q.copy()
    low = w < w0
    while low.any():
        total[low] += w[low] ** -s
        w[low] += 1.0
        low = w < w0
    with np.errstate(under="ignore"):
        tail = w ** (1 - s) / (s - 1) + 0.5 * w ** -s
        rising = float(s)  # s (s + 1) ... (s + 2j - 2)
        power = w ** (-s - 1)
        inv2 = 1.0 / (w * w)
        for j, b in enumerate(_B2J, start=1):
            tail = tail + b * rising * power
            rising *= (s + 2 * j - 1) * (s + 2 * j)
            power = power * inv2
    return total + tail


# ---------------------------------------------------------------------------
# log |Gamma(x)| (the Lanczos sum of CPython's math.lgamma)
# ---------------------------------------------------------------------------

_LANCZOS_G = 6.024680040776729583740234375
_LANCZOS_NUM = (23531376880.410759688572007674451636754734846804940,
                42919803642.649098768957899047001988850926355848959,
                35711959237.355668049440185451547166705960488635843,
                17921034426.037209699919755754458931112671403265390,
                6039542586.3520280050642916443072979210699388420708,
                1439720407.3117216736632230727949123939715485786772,
                248874557.86205415651146038641322942321632125127801,
                31426415.585400194380614231628318205362874684987640,
                2876370.6289353724412254090516208496135991145378768,
                186056.26539522349504029498971604569928220784236328,
                8071.6720023658162106380029022722506138218516325024,
                210.82427775157934587250973392071336271166969580291,
                2.5066282746310002701649081771338373386264310793408)
_LANCZOS_DEN = (0.0, 39916800.0, 120543840.0, 150917976.0, 105258076.0, 45995730.0,
                13339535.0, 2637558.0, 357423.0, 32670.0, 1925.0, 66.0, 1.0)
_LOG_PI = float(np.log(np.pi))


def _lanczos_sum(x: np.ndarray) -> np.ndarray:
    """The Lanczos rational function at x > 0 (in 1/x beyond 5, which cannot overflow)."""
    small = x < 5.0
    inv = 1.0 / np.where(small, 1.0, x)
    xs = np.where(small, x, 0.0)
    num = np.where(small, _polyval(_LANCZOS_NUM[::-1], xs), _polyval(_LANCZOS_NUM, inv))
    den = np.where(small, _polyval(_LANCZOS_DEN[::-1], xs), _polyval(_LANCZOS_DEN, inv))
    return num / den


# log Gamma(1 + z) = -euler * z + sum_k (-1)^k zeta(k) / k * z^k, for |z| <= 0.2: the
# series keeps full relative accuracy near the zeros of lgamma at 1 and 2
_EULER = 0.57721566490153286061
_SERIES_TERMS = 30
_LGAMMA_SERIES = tuple(
    (-1) ** k * float(_hurwitz_zeta(k, np.ones(1))[0]) / k
    for k in range(_SERIES_TERMS - 1, 1, -1)
)


def _lgamma_near_one(z: np.ndarray) -> np.ndarray:
    """log Gamma(1 + z) for |z| <= 0.2."""
    return z * (_polyval(_LGAMMA_SERIES, z) * z - _EULER)


def _sinpi(x: np.ndarray) -> np.ndarray:
    """sin(pi x), exact at the integers (the argument is reduced first)."""
    r = x - 2.0 * np.round(x / 2.0)  # in [-1, 1], exactly
    return np.sin(np.pi * np.where(np.abs(r) > 0.5, np.copysign(1.0, r) - r, r))


def lgamma(x: np.ndarray) -> np.ndarray:
    """log |Gamma(x)|, elementwise; ``inf`` at the poles (0, -1, -2, ...) and at +-inf.

    >>> lgamma(np.array([1.0, 2.0, 10.0, -0.5])).round(10).tolist()
    [0.0, 0.0, 12.8018274801, 1.2655121235]
    """
    x, dtype = _float64(x)
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        safe = np.where(np.isfinite(a) & (a > 0), a, 1.0)
        r = np.log(_lanczos_sum(safe)) - _LANCZOS_G
        r = r + (safe - 0.5) * (np.log(safe + _LANCZOS_G - 0.5) - 1.0)
        z1, z2 = safe - 1.0, safe - 2.0
        r = np.where(np.abs(z1) <= 0.2, _lgamma_near_one(np.where(np.abs(z1) <= 0.2, z1, 0)), r)
        near_two = np.abs(z2) <= 0.2
        z2 = np.where(near_two, z2, 0.0)
        r = np.where(near_two, np.log1p(z2) + _lgamma_near_one(z2), r)
        r = np.where(safe < 1e-20, -np.log(safe), r)
        # reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x) = ... - lgamma(|x|) - log|x|
        reflected = _LOG_PI - np.log(np.abs(_sinpi(safe))) - np.log(safe) - r
        out = np.where(x < 0, reflected, r)
        out = np.where((x == 1.0) | (x == 2.0), 0.0, out)  # exactly, as C's lgamma
        pole = (x <= 0) & (x == np.floor(x))
        out = np.where(pole | np.isinf(x), np.inf, out)
        out = np.where(np.isnan(x), np.nan, out)
    return _result(out, dtype)


# ---------------------------------------------------------------------------
# digamma and polygamma
# ---------------------------------------------------------------------------

_PSI_10 = 2.25175258906672110764  # digamma(10)
_DIGAMMA_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
              -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
              8.33333333333333333333e-2)


def _digamma_positive(x: np.ndarray) -> np.ndarray:
    """digamma(x) for x > 0: shift to x >= 10, then the asymptotic series (as PyTorch)."""
    result = np.zeros_like(x)
    x = x.copy()
    low = x < 10.0
    while low.any():
        result[low] -= 1.0 / x[low]
        x[low] += 1.0
        low = x < 10.0
    with np.errstate(over="ignore", under="ignore"):
        z = 1.0 / (x * x)
        y = np.where(x < 1e17, z * _polyval(_DIGAMMA_A, z), 0.0)
    out = result + np.log(x) - 0.5 / x - y
    return np.where(x == 10.0, result + _PSI_10, out)


def digamma(x: np.ndarray) -> np.ndarray:
    """The logarithmic derivative of Gamma, elementwise.

    ``-inf`` at 0, ``inf`` at -0.0, ``nan`` at the negative integers (PyTorch's values).

    >>> digamma(np.array([1.0, 0.5])).round(10).tolist()
    [-0.5772156649, -1.963510026]
    """
    x, dtype = _float64(x)
    out = np.empty_like(x)
    positive = x > 0
    out[positive] = _digamma_positive(np.where(np.isinf(x[positive]), 1e300, x[positive]))
    out[np.isposinf(x)] = np.inf
    negative = x < 0
    xn = x[negative]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = xn - np.trunc(xn)  # pi / tan(pi r) is more accurate than pi / tan(pi x)
        finite = np.isfinite(xn)
        shifted = _digamma_positive(np.where(finite, 1.0 - xn, 1.0))
        value = shifted - np.pi / np.tan(np.pi * r)
        out[negative] = np.where(finite & (r != 0), value, np.nan)
    zero = x == 0
    out[zero] = np.copysign(np.inf, -x[zero])
    out[np.isnan(x)] = np.nan
    return _result(out, dtype)


def _cot_derivative(n: int, c: np.ndarray) -> np.ndarray:
    """d^n/du^n cot(u), written as a polynomial in c = cot(u).

    P_0 = c and P_(k+1) = -(1 + c^2) P_k'(c).
    """
    poly = np.polynomial.Polynomial([0.0, 1.0])
    one_plus_c2 = np.polynomial.Polynomial([1.0, 0.0, 1.0])
    for _ in range(n):
        poly = -one_plus_c2 * poly.deriv()
    return poly(c)


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of :func:`digamma` (``n = 0`` is digamma itself), elementwise.

    At the poles (0, -1, -2, ...) it is ``(-1)^(n+1) inf`` for n >= 1.

    >>> polygamma(1, np.array([1.0, 0.5])).round(10).tolist()
    [1.6449340668, 4.9348022005]
    """
    if n == 0:
        return digamma(x)
    x, dtype = _float64(x)
    sign = 1.0 if n % 2 == 1 else -1.0  # (-1)^(n+1)
    scale = sign * float(factorial(n))
    out = np.empty_like(x)
    positive = x > 0
    xp = x[positive]
    finite = np.isfinite(xp)
    value = scale * _hurwitz_zeta(n + 1, np.where(finite, xp, 1.0))
    out[positive] = np.where(finite, value, 0.0)
    negative = x < 0
    xn = x[negative]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        finite = np.isfinite(xn)
        r = np.where(finite, xn - np.round(xn), 0.5)
        # psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) P_n(cot(pi x))
        shifted = scale * _hurwitz_zeta(n + 1, np.where(finite, 1.0 - xn, 1.0))
        c = np.cos(np.pi * r) / np.sin(np.pi * r)
        value = (-1.0) ** n * shifted - np.pi ** (n + 1) * _cot_derivative(n, c)
        value = np.where(r == 0, sign * np.inf, value)
        out[negative] = np.where(finite, value, np.nan)
    out[x == 0] = sign * np.inf
    out[np.isnan(x)] = np.nan
    return _result(out, dtype)
