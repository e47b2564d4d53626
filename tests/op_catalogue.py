"""One catalogue of op cases, swept by gradcheck, gradgradcheck and PyTorch parity.

Each :class:`Case` is a function ``fn(m, *tensors)`` that calls the same names on
either library: ``m`` is a :class:`Lib`, which forwards attribute look-ups to
``chainrule`` or to ``torch`` (``m.maximum``, ``m.cat``, ``m.tensor``, ...) and adds
``m.const(shape)``, a fixed ndarray operand (given to chainrule as an ndarray,
to torch as a tensor, since torch refuses raw ndarrays next to a tensor that
requires grad). Tensor methods (``x.sum(dim=1)``, ``x[1:, None]``) are shared by
both libraries, so the very same lambda runs on both.

``domains`` says where each input's values are drawn from:

``"real"``
    distinct values at least 0.13 apart and at least 0.037 away from 0, from
    -0.5 and from 0.8 (the clamp bounds used below): away from every kink and
    tie, so central differences with eps=1e-6 are exact to rounding.
``"positive"``
    distinct values in [0.45, 2.6]: for log, sqrt, fractional powers and
    denominators.
a callable ``domain(rng, shape, dtype) -> array``
    for anything else (values in (-1, 1) for asin, integer indices, ...); a family's
    file defines its own.

Cases are grouped by family: this file holds the first ones and the machinery;
each ``tests/catalogue_<family>.py`` defines ``CASES`` (and, if any,
``NONDIFF_CASES``) with :func:`cases` and :class:`Case` from here, and is
collected below, so that families can be added without touching this file.

The sweep covers scalar, vector, matrix and broadcasting shapes ((3, 1) with
(1, 4), size-1 axes), keepdim and negative dims.
"""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case", "Lib", "CASES", "NONDIFF_CASES", "make_inputs", "cases", "UNARY_SHAPES",
           "BINARY_SHAPES", "FLOAT64_TOL"]

FLOAT64_TOL = {"rtol": 1e-6, "atol": 1e-8}
"""gradcheck / gradgradcheck tolerances for the suite's own float64 sweeps. gradcheck's
defaults (rtol 1e-3, PyTorch's) let a VJP that is 0.05% wrong through; central
differences with eps=1e-6 on these inputs agree with a right VJP to about 1e-9."""


# ---------------------------------------------------------------------------
# The library handle the cases are written against
# ---------------------------------------------------------------------------

class Lib:
    """``chainrule`` or ``torch`` with a dtype, plus ``const`` for ndarray operands."""

    def __init__(self, module: Any, dtype: Any = np.float64) -> None:
        self.module = module
        self.dtype = np.dtype(dtype)
        self.is_torch = module.__name__ == "torch"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)

    def const(self, shape: tuple, seed: int = 7) -> Any:
        """A fixed array (values in [0.5, 1.5]) of ``shape``, in this Lib's dtype."""
        arr = np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(self.dtype)
        return self.module.from_numpy(arr) if self.is_torch else arr

    def leaf(self, array: np.ndarray) -> Any:
        """A leaf tensor that requires grad, holding a copy of ``array``."""
        return self.module.tensor(array.copy(), requires_grad=True)

    def as_tensor(self, array: np.ndarray) -> Any:
        return self.module.tensor(array.copy())


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable
    shapes: tuple
    domains: tuple = field(default=())

    @property
    def id(self) -> str:
        shapes = "_".join("x".join(map(str, s)) or "scalar" for s in self.shapes)
        return f"{self.name}[{shapes}]"

    def domain(self, i: int) -> Any:
        return self.domains[i] if i < len(self.domains) else "real"


def make_inputs(case: Case, dtype: Any = np.float64, seed: int = 0) -> list:
    """Arrays for ``case``'s inputs, drawn from each input's domain (see module doc)."""
    rng = np.random.default_rng(seed)
    sizes = [int(np.prod(s)) for s in case.shapes]
    total = sum(sizes) + 2
    real = 0.037 + 0.13 * (np.arange(total) - total // 2)
    positive = 0.45 + 0.09 * np.arange(total)
    real, positive = rng.permutation(real), rng.permutation(positive)
    arrays, start = [], 0
    for i, (shape, n) in enumerate(zip(case.shapes, sizes)):
        domain = case.domain(i)
        if callable(domain):
            arrays.append(np.asarray(domain(rng, shape, dtype)))
            continue
        pool = positive if domain == "positive" else real
        arrays.append(pool[start:start + n].reshape(shape).astype(dtype))
        start += n
    return arrays


def cases(name: str, fn: Callable, shape_sets: list, domains: tuple = ()) -> list:
    """One :class:`Case` of ``fn`` per set of input shapes."""
    return [Case(name, fn, tuple(tuple(s) for s in shapes), domains) for shapes in shape_sets]


CASES: list = []


def _add(name: str, fn: Callable, shape_sets: list, domains: tuple = ()) -> None:
    CASES.extend(cases(name, fn, shape_sets, domains))


UNARY_SHAPES = [[()], [(5,)], [(2, 3)], [(2, 1, 3)]]
BINARY_SHAPES = [
    [(), ()], [(4,), (4,)], [(2, 3), (2, 3)], [(3, 1), (1, 4)], [(2, 3), ()], [(), (2, 3)],
    [(2, 1, 3), (4, 1)], [(3,), (2, 3)],
]

# -- arithmetic, tensor with tensor (broadcasting) ----------------------------
_add("add", lambda m, a, b: a + b, BINARY_SHAPES)
_add("sub", lambda m, a, b: a - b, BINARY_SHAPES)
_add("mul", lambda m, a, b: a * b, BINARY_SHAPES)
_add("div", lambda m, a, b: a / b, BINARY_SHAPES, ("real", "positive"))
_add("pow_tensor", lambda m, a, b: a ** b, BINARY_SHAPES, ("positive", "real"))
_add("pow_fn", lambda m, a, b: m.pow(a, b), [[(2, 3), (3,)]], ("positive", "real"))
_add("neg", lambda m, a: -a, UNARY_SHAPES)
_add("method_arith", lambda m, a, b: a.add(b).mul(a).sub(b).div(b.abs() + 1), [[(2, 3), (3,)]])

# -- Python numbers on either side --------------------------------------------
_add("radd_number", lambda m, a: 2.5 + a, UNARY_SHAPES)
_add("add_int", lambda m, a: a + 2, [[(2, 3)]])
_add("rsub_number", lambda m, a: 1.5 - a, UNARY_SHAPES)
_add("sub_number", lambda m, a: a - 1.5, [[(2, 3)]])
_add("rmul_int", lambda m, a: 3 * a, [[(2, 3)]])
_add("mul_number", lambda m, a: a * 0.5, UNARY_SHAPES)
_add("div_number", lambda m, a: a / 4.0, [[(2, 3)]])
_add("rdiv_number", lambda m, a: 2.0 / a, UNARY_SHAPES, ("positive",))
_add("pow_int", lambda m, a: a ** 3, UNARY_SHAPES)
_add("pow_two", lambda m, a: a ** 2, [[(2, 3)]])
_add("pow_zero", lambda m, a: a ** 0, [[(2, 3)]])
_add("pow_one", lambda m, a: a ** 1, [[(2, 3)]])
_add("pow_half", lambda m, a: a ** 0.5, UNARY_SHAPES, ("positive",))
_add("pow_negative", lambda m, a: a ** -1.5, [[(2, 3)]], ("positive",))
_add("pow_method", lambda m, a: a.pow(2.5), [[(2, 3)]], ("positive",))
_add("rpow_number", lambda m, a: 2 ** a, UNARY_SHAPES)
_add("rpow_float", lambda m, a: 0.7 ** a, [[(2, 3)]])
_add("square", lambda m, a: a.square(), [[(2, 3)]])
_add("reciprocal", lambda m, a: a.reciprocal(), [[(2, 3)]], ("positive",))

# -- ndarrays on either side --------------------------------------------------
_add("add_ndarray", lambda m, a: a + m.const(a.shape), [[(2, 3)], [()]])
_add("radd_ndarray", lambda m, a: m.const((3,)) + a, [[(2, 3)]])
_add("rsub_ndarray", lambda m, a: m.const((2, 1)) - a, [[(2, 3)]])
_add("rmul_ndarray", lambda m, a: m.const((3, 1)) * a, [[(1, 4)]])
_add("div_ndarray", lambda m, a: a / m.const((3,)), [[(2, 3)]])
_add("rdiv_ndarray", lambda m, a: m.const((2, 3)) / a, [[(3,)]], ("positive",))
_add("rpow_ndarray", lambda m, a: m.const((2, 3)) ** a, [[(2, 3)]])
_add("pow_ndarray", lambda m, a: a ** m.const((3,)), [[(2, 3)]], ("positive",))
_add("rmatmul_ndarray", lambda m, b: m.const((2, 3)) @ b, [[(3, 4)], [(3,)]])
_add("matmul_ndarray", lambda m, a: a @ m.const((3, 2)), [[(2, 3)]])
_add("maximum_ndarray", lambda m, a: m.maximum(a, m.const(a.shape) - 1), [[(2, 3)]])

# -- transcendental -----------------------------------------------------------
_add("exp", lambda m, a: a.exp(), UNARY_SHAPES)
_add("log", lambda m, a: a.log(), UNARY_SHAPES, ("positive",))
_add("sqrt", lambda m, a: a.sqrt(), UNARY_SHAPES, ("positive",))
_add("sin", lambda m, a: a.sin(), UNARY_SHAPES)
_add("cos", lambda m, a: a.cos(), UNARY_SHAPES)
_add("tanh", lambda m, a: a.tanh(), UNARY_SHAPES)
_add("sigmoid", lambda m, a: a.sigmoid(), UNARY_SHAPES)
_add("exp_fn", lambda m, a: m.exp(a), [[(2, 3)]])
_add("log_fn", lambda m, a: m.log(a), [[(2, 3)]], ("positive",))
_add("sqrt_fn", lambda m, a: m.sqrt(a), [[(2, 3)]], ("positive",))
_add("trig_fn", lambda m, a: m.sin(a) * m.cos(a), [[(2, 3)]])
_add("tanh_fn", lambda m, a: m.tanh(a), [[(2, 3)]])
_add("sigmoid_fn", lambda m, a: m.sigmoid(a), [[(2, 3)]])
_add("sigmoid_large", lambda m, a: (a * 30).sigmoid(), [[(2, 3)]])

# -- piecewise (inputs away from the kinks) ---------------------------------------
_add("abs", lambda m, a: a.abs(), UNARY_SHAPES)
_add("abs_fn", lambda m, a: m.abs(a), [[(2, 3)]])
_add("abs_builtin", lambda m, a: abs(a), [[(2, 3)]])
_add("relu", lambda m, a: a.relu(), UNARY_SHAPES)
_add("relu_fn", lambda m, a: m.relu(a), [[(2, 3)]])
_add("clamp", lambda m, a: a.clamp(min=-0.5, max=0.8), UNARY_SHAPES)
_add("clamp_min", lambda m, a: a.clamp(min=0.0), [[(2, 3)]])
_add("clamp_max", lambda m, a: a.clamp(max=-0.5), [[(2, 3)]])
_add("clamp_fn", lambda m, a: m.clamp(a, -0.5, 0.8), [[(2, 3)]])
_add("clip", lambda m, a: a.clip(-0.5, 0.8), [[(2, 3)]])
_add("clamp_tensor_bounds", lambda m, a: a.clamp(min=m.const((3,)) - 1.0, max=m.const((3,))),
     [[(2, 3)]])
_add("clamp_grad_bounds", lambda m, a, lo, hi: a.clamp(min=lo * 0.1 - 0.5, max=hi * 0.1 + 0.5),
     [[(2, 3), (3,), (2, 1)]])
_add("clamp_grad_min_only", lambda m, a, lo: a.clamp(min=lo), [[(2, 3), (2, 3)]])
_add("maximum", lambda m, a, b: m.maximum(a, b), BINARY_SHAPES[:4] + [[(2, 3), (3,)]])
_add("minimum", lambda m, a, b: m.minimum(a, b), BINARY_SHAPES[:4] + [[(2, 3), (3,)]])
_add("maximum_method", lambda m, a, b: a.maximum(b), [[(3, 1), (1, 4)]])
_add("max_binary", lambda m, a, b: a.max(b), [[(2, 3), (2, 3)]])
_add("min_binary", lambda m, a, b: a.min(b), [[(2, 3), (2, 3)]])
_add("where", lambda m, a, b: m.where(a > 0, a, b), [[(2, 3), (2, 3)], [(3, 1), (1, 4)]])
_add("where_cond_other", lambda m, a, b: m.where(b < 0.3, a * 2, b.exp()), [[(2, 3), (3,)]])
_add("where_number", lambda m, a: m.where(a > 0, a, 0.0), [[(2, 3)]])
_add("where_number_first", lambda m, a: m.where(a > 0, 1.5, a), [[(2, 3)]])
_add("where_two_numbers", lambda m, a: m.where(a > 0, 1.5, -0.5) * a, [[(2, 3)]])

# -- reductions ---------------------------------------------------------------
R_SHAPES = [[(5,)], [(2, 3)], [(2, 3, 2)]]
_add("sum", lambda m, a: a.sum(), R_SHAPES + [[()]])
_add("sum_dim0", lambda m, a: a.sum(dim=0), R_SHAPES)
_add("sum_dim_neg", lambda m, a: a.sum(dim=-1), R_SHAPES)
_add("sum_keepdim", lambda m, a: a.sum(dim=1, keepdim=True), [[(2, 3)], [(2, 3, 2)]])
_add("sum_dims", lambda m, a: a.sum(dim=(0, -1)), [[(2, 3, 2)]])
_add("sum_dims_keepdim", lambda m, a: a.sum(dim=(0, 2), keepdim=True), [[(2, 3, 2)]])
_add("sum_size1_axis", lambda m, a: a.sum(dim=1), [[(2, 1, 3)]])
_add("sum_fn", lambda m, a: m.sum(a, 1), [[(2, 3)]])
_add("sum_empty_dims", lambda m, a: a.sum(dim=()), [[(2, 3)]])
_add("mean_empty_dims", lambda m, a: a.mean(dim=[]), [[(2, 3)]])
_add("reduce_0d_dims", lambda m, a: a.sum(0) + a.mean(-1) * a.amax(0) + a.logsumexp(0), [[()]])
_add("reduce_0d_keepdim", lambda m, a: a.sum(0, keepdim=True) * a.amin(-1, keepdim=True), [[()]])
_add("mean", lambda m, a: a.mean(), R_SHAPES + [[()]])
_add("mean_dim", lambda m, a: a.mean(dim=-1), R_SHAPES)
_add("mean_keepdim", lambda m, a: a.mean(dim=(0, 1), keepdim=True), [[(2, 3)], [(2, 3, 2)]])
_add("mean_fn", lambda m, a: m.mean(a, 0), [[(2, 3)]])
_add("var", lambda m, a: a.var(), R_SHAPES)
_add("var_dim", lambda m, a: a.var(dim=1), [[(2, 3)], [(2, 3, 2)]])
_add("var_biased", lambda m, a: a.var(dim=-1, unbiased=False, keepdim=True), [[(2, 3)]])
_add("var_correction0", lambda m, a: a.var(dim=0, correction=0), [[(2, 3)]])
_add("var_fn", lambda m, a: m.var(a, 0), [[(3, 2)]])
_add("std", lambda m, a: a.std(), R_SHAPES)
_add("std_dim", lambda m, a: a.std(dim=0, keepdim=True), [[(3, 2)], [(3, 2, 2)]])
_add("std_biased", lambda m, a: a.std(dim=1, unbiased=False), [[(2, 3)]])
_add("std_fn", lambda m, a: m.std(a), [[(2, 3)]])
_add("logsumexp", lambda m, a: a.logsumexp(dim=0), R_SHAPES)
_add("logsumexp_neg", lambda m, a: a.logsumexp(dim=-1, keepdim=True), [[(2, 3)], [(2, 3, 2)]])
_add("logsumexp_dims", lambda m, a: a.logsumexp(dim=(0, 1)), [[(2, 3)], [(2, 3, 2)]])
_add("logsumexp_large", lambda m, a: (a * 400).logsumexp(dim=1), [[(2, 3)]])
_add("logsumexp_fn", lambda m, a: m.logsumexp(a, 1), [[(2, 3)]])
_add("max_all", lambda m, a: a.max(), R_SHAPES + [[()]])
_add("min_all", lambda m, a: a.min(), R_SHAPES)
_add("max_fn", lambda m, a: m.max(a), [[(2, 3)]])
_add("max_dim", lambda m, a: a.max(dim=1).values, [[(2, 3)], [(2, 3, 2)]])
_add("max_dim_neg_keepdim", lambda m, a: a.max(-1, keepdim=True)[0], [[(2, 3)], [(2, 3, 2)]])
_add("max_dim_vector", lambda m, a: a.max(dim=0).values, [[(5,)]])
_add("min_dim", lambda m, a: a.min(dim=0).values, [[(2, 3)], [(2, 3, 2)]])
_add("min_dim_keepdim", lambda m, a: a.min(dim=-2, keepdim=True).values, [[(2, 3)]])
_add("amax", lambda m, a: a.amax(dim=1), [[(2, 3)], [(2, 3, 2)]])
_add("amax_dims_keepdim", lambda m, a: a.amax(dim=(0, -1), keepdim=True), [[(2, 3, 2)]])
_add("amin", lambda m, a: a.amin(dim=0), [[(2, 3)]])
_add("amax_fn", lambda m, a: m.amax(a, -1), [[(2, 3)]])

# -- matmul -------------------------------------------------------------------
_add("matmul", lambda m, a, b: a @ b,
     [[(2, 3), (3, 4)], [(3,), (3, 4)], [(2, 3), (3,)], [(3,), (3,)], [(2, 2, 3), (2, 3, 2)],
      [(2, 1, 2, 3), (3, 3, 2)], [(2, 2, 3), (3,)], [(3,), (2, 3, 2)], [(2, 2, 3), (3, 2)]])
_add("matmul_fn", lambda m, a, b: m.matmul(a, b), [[(2, 3), (3, 2)]])
_add("matmul_method", lambda m, a, b: a.matmul(b), [[(1, 3), (3, 1)]])

# -- shape ----------------------------------------------------------------------
_add("reshape", lambda m, a: a.reshape(3, 2), [[(2, 3)], [(6,)]])
_add("reshape_tuple", lambda m, a: a.reshape((-1,)), [[(2, 3)], [()]])
_add("reshape_fn", lambda m, a: m.reshape(a, (2, -1)), [[(2, 3)]])
_add("view", lambda m, a: a.view(1, 6, 1), [[(2, 3)]])
_add("flatten", lambda m, a: a.flatten(), [[(2, 3, 2)], [()]])
_add("flatten_range", lambda m, a: a.flatten(1), [[(2, 3, 2)]])
_add("flatten_fn", lambda m, a: m.flatten(a, 0, 1), [[(2, 3, 2)]])
_add("transpose", lambda m, a: a.transpose(0, 1), [[(2, 3)]])
_add("transpose_neg", lambda m, a: a.transpose(-1, -3), [[(2, 3, 2)]])
_add("transpose_fn", lambda m, a: m.transpose(a, 1, 2), [[(2, 3, 2)]])
_add("permute", lambda m, a: a.permute(2, 0, 1), [[(2, 3, 2)]])
_add("permute_tuple", lambda m, a: a.permute((1, 0)), [[(2, 3)]])
_add("permute_fn", lambda m, a: m.permute(a, (1, 2, 0)), [[(2, 3, 2)]])
_add("T", lambda m, a: a.T, [[(2, 3)], [(1, 4)]])
_add("unsqueeze", lambda m, a: a.unsqueeze(0), [[(2, 3)], [()]])
_add("unsqueeze_neg", lambda m, a: a.unsqueeze(-1), [[(2, 3)]])
_add("unsqueeze_fn", lambda m, a: m.unsqueeze(a, 1), [[(2, 3)]])
_add("squeeze", lambda m, a: a.squeeze(), [[(2, 1, 3)], [(1, 1)]])
_add("squeeze_dim", lambda m, a: a.squeeze(1), [[(2, 1, 3)]])
_add("squeeze_dim_not_one", lambda m, a: a.squeeze(0), [[(2, 1, 3)]])
_add("squeeze_neg", lambda m, a: a.squeeze(-1), [[(3, 1)]])
_add("squeeze_fn", lambda m, a: m.squeeze(a, 1), [[(2, 1, 3)]])
_add("expand", lambda m, a: a.expand(3, 4), [[(3, 1)], [(1, 4)], [()]])
_add("expand_new_dims", lambda m, a: a.expand(2, -1, 3), [[(4, 1)]])
_add("expand_tuple", lambda m, a: a.expand((2, 3)), [[(3,)]])
_add("expand_as", lambda m, a, b: a.expand_as(b) * b, [[(3, 1), (3, 4)]])

# -- indexing -----------------------------------------------------------------------
_add("index_int", lambda m, a: a[1], [[(3, 4)], [(4,)]])
_add("index_neg_int", lambda m, a: a[-1, -2], [[(3, 4)]])
_add("index_slice", lambda m, a: a[1:], [[(3, 4)]])
_add("index_slices", lambda m, a: a[:, 1:3], [[(3, 4)]])
_add("index_step", lambda m, a: a[::2, 1::2], [[(3, 4)]])
_add("index_none", lambda m, a: a[None, :, None], [[(3, 4)]])
_add("index_ellipsis", lambda m, a: a[..., 1], [[(2, 3, 4)]])
_add("index_ellipsis_none", lambda m, a: a[0, ..., None], [[(2, 3, 4)]])
_add("index_list_repeats", lambda m, a: a[[0, 2, 0, 0]], [[(3, 4)], [(3,)]])
_add("index_tensor_repeats", lambda m, a: a[m.tensor([1, 1, 0])], [[(3, 4)]])
_add("index_ndarray_repeats", lambda m, a: a[np.array([2, -1, 0])], [[(3, 4)]])
_add("index_2d_array", lambda m, a: a[m.tensor([[0, 1], [1, 1]])], [[(3, 2)]])
_add("index_pair_arrays", lambda m, a: a[[0, 2, 0], [1, 3, 1]], [[(3, 4)]])
_add("index_int_and_array", lambda m, a: a[1, [0, 3, 3]], [[(3, 4)]])
_add("index_slice_and_array", lambda m, a: a[:, [2, 0, 2]], [[(3, 4)]])
_add("index_array_ellipsis", lambda m, a: a[..., [1, 1]], [[(2, 3, 4)]])
_add("index_bool_mask", lambda m, a: a[a > 0], [[(3, 4)], [(5,)]])
_add("index_bool_ndarray", lambda m, a: a[np.array([True, False, True])], [[(3, 4)]])
_add("index_bool_rows", lambda m, a: a[:, m.tensor([True, False, True, True])], [[(3, 4)]])
_add("index_twice", lambda m, a: a[1:][0] * a[0], [[(3, 4)]])

_add("gather", lambda m, a: a.gather(1, m.tensor([[0, 0], [2, 1]])), [[(2, 3)]])
_add("gather_dim0_repeats", lambda m, a: a.gather(0, m.tensor([[1, 1, 0]])), [[(2, 3)]])
_add("mT", lambda m, a: a.mT, [[(2, 2, 3)]])
_add("t", lambda m, a: a.t(), [[(2, 3)], [(3,)]])
_add("view_as", lambda m, a, b: a.view_as(b) * b, [[(2, 3), (3, 2)]])
_add("broadcast_to", lambda m, a: a.broadcast_to((2, 3)), [[(3,)]])
_add("softmax", lambda m, a: a.softmax(dim=-1), [[(2, 3)], [(3,)]])
_add("log_softmax", lambda m, a: a.log_softmax(dim=0), [[(2, 3)]])

# -- joining and splitting -------------------------------------------------------------
_add("cat", lambda m, a, b: m.cat([a, b]), [[(2, 3), (1, 3)], [(2,), (3,)]])
_add("cat_neg_dim", lambda m, a, b: m.cat([a, b], dim=-1), [[(2, 3), (2, 1)]])
_add("cat_three", lambda m, a, b: m.cat((a, b, a), dim=1), [[(2, 1), (2, 2)]])
_add("stack", lambda m, a, b: m.stack([a, b]), [[(2, 3), (2, 3)], [(), ()]])
_add("stack_dim", lambda m, a, b: m.stack([a, b, a], dim=1), [[(2, 3), (2, 3)]])
_add("stack_neg_dim", lambda m, a, b: m.stack([a, b], dim=-1), [[(3,), (3,)]])
_add("split", lambda m, a: a.split(2, dim=1), [[(2, 5)]])
_add("split_sizes", lambda m, a: a.split([1, 3], dim=-1), [[(2, 4)]])
_add("split_fn", lambda m, a: m.split(a, 1), [[(3, 2)]])
_add("chunk", lambda m, a: a.chunk(2, dim=0), [[(5, 2)]])
_add("chunk_fn", lambda m, a: m.chunk(a, 3, 1), [[(2, 4)]])

# -- compositions (reused intermediates, several paths) --------------------------
_add("composite_mlp", lambda m, x, w, b: ((x @ w + b).tanh() ** 2).mean(dim=0),
     [[(4, 3), (3, 2), (2,)]])
_add("composite_reuse", lambda m, a: (a * a.exp() + a / (1 + a * a)).sum(dim=-1), [[(2, 3)]])
_add("composite_softplus", lambda m, a: (1 + (-a.abs()).exp()).log() + a.relu(), [[(2, 3)]])


# ---------------------------------------------------------------------------
# Ops with no gradient: compared on values and dtypes only
# ---------------------------------------------------------------------------

NONDIFF_CASES = [
    Case("lt", lambda m, a, b: a < b, ((3, 1), (1, 4))),
    Case("le_number", lambda m, a: a <= 0.5, ((2, 3),)),
    Case("gt_reflected", lambda m, a: 0.1 < a, ((2, 3),)),
    Case("ge", lambda m, a, b: a >= b, ((2, 3), (3,))),
    Case("eq", lambda m, a: a == a[0], ((2, 3),)),
    Case("ne", lambda m, a, b: a != b, ((2, 3), (2, 3))),
    Case("eq_method", lambda m, a: a.eq(a.T), ((3, 3),)),
    Case("argmax", lambda m, a: a.argmax(), ((2, 3),)),
    Case("argmax_dim", lambda m, a: a.argmax(dim=1), ((2, 3, 2),)),
    Case("argmax_keepdim", lambda m, a: a.argmax(dim=-1, keepdim=True), ((2, 3),)),
    Case("argmin", lambda m, a: a.argmin(), ((2, 3),)),
    Case("argmin_dim", lambda m, a: m.argmin(a, 0), ((2, 3),)),
    Case("max_indices", lambda m, a: a.max(dim=1).indices, ((2, 3, 2),)),
    Case("min_indices", lambda m, a: a.min(0, keepdim=True)[1], ((2, 3),)),
]


# ---------------------------------------------------------------------------
# The families' files: tests/catalogue_<family>.py
# ---------------------------------------------------------------------------

def _collect_families() -> None:
    folder = pathlib.Path(__file__).resolve().parent
    for path in sorted(folder.glob("catalogue_*.py")):
        module = importlib.import_module(path.stem)
        CASES.extend(module.CASES)
        NONDIFF_CASES.extend(getattr(module, "NONDIFF_CASES", []))


_collect_families()
