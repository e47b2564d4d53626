"""Op catalogue: reductions, scans, sorting and statistics (issue 10).

Collected by tests/op_catalogue.py; each case is swept by gradcheck, gradgradcheck,
PyTorch parity (values, gradients, second-order gradients) and float32 dtype keeping.
The conventions at the edges (ties, NaN, dof <= 0, dtype=) are pinned by exact tests
in tests/test_reduce_ops.py.
"""

from __future__ import annotations

import numpy as np
from op_catalogue import Case, cases

CASES: list = []


def _add(name, fn, shape_sets, domains=()):
    CASES.extend(cases(name, fn, shape_sets, domains))


def _distinct(rng, shape, dtype):
    """Distinct values 0.11 apart in [-1.4, 1.4], none near 0: no ties, no kinks."""
    n = int(np.prod(shape))
    pool = np.concatenate([np.arange(0.05, 1.4, 0.11), -np.arange(0.1, 1.4, 0.11)])
    return rng.permutation(pool)[:n].reshape(shape).astype(dtype)


def _with_zeros(count):
    """Distinct nonzero values with ``count`` exact zeros along the last axis of each row."""

    def domain(rng, shape, dtype):
        x = _distinct(rng, shape, dtype) * 1.3
        flat = x.reshape(-1, shape[-1])
        for row in flat:
            row[rng.choice(shape[-1], size=count, replace=False)] = 0.0
        return flat.reshape(shape)

    return domain


def _with_nan(rng, shape, dtype):
    """Distinct values with a NaN in each row (never a whole row of NaN)."""
    x = _distinct(rng, shape, dtype)
    flat = x.reshape(-1, shape[-1])
    for row in flat:
        row[rng.integers(shape[-1])] = np.nan
    return flat.reshape(shape)


S1 = [[(5,)], [(2, 3)], [(2, 3, 2)]]

# -- scans ----------------------------------------------------------------------------------
_add("cumsum", lambda m, a: a.cumsum(0), S1 + [[()]])
_add("cumsum_neg_dim", lambda m, a: a.cumsum(dim=-1), [[(2, 3)], [(2, 3, 2)]])
_add("cumsum_fn", lambda m, a: m.cumsum(a, 1), [[(2, 3)]])
_add("cumprod", lambda m, a: a.cumprod(-1), S1 + [[()]], (_distinct,))
_add("cumprod_dim0", lambda m, a: a.cumprod(0), [[(4, 2)]], (_distinct,))
_add("cumprod_one_zero", lambda m, a: a.cumprod(-1), [[(6,)], [(2, 4)]], (_with_zeros(1),))
_add("cumprod_two_zeros", lambda m, a: a.cumprod(-1), [[(2, 5)], [(6,)]], (_with_zeros(2),))
_add("cumprod_zeros_vector", lambda m, a: m.cumprod(a, 0), [[(5,)]], (_with_zeros(2),))
_add("logcumsumexp", lambda m, a: a.logcumsumexp(-1), S1 + [[()]])
_add("logcumsumexp_dim0", lambda m, a: m.logcumsumexp(a, 0), [[(3, 2)]])
_add("logcumsumexp_large", lambda m, a: (a * 300).logcumsumexp(1), [[(2, 4)]])
_add("cummax", lambda m, a: a.cummax(0).values, [[(5,)], [(4, 2)]], (_distinct,))
_add("cummax_fn", lambda m, a: m.cummax(a, -1)[0], [[(2, 4)]], (_distinct,))
_add("cummin", lambda m, a: a.cummin(-1).values, [[(2, 4)], [()]], (_distinct,))

# -- products -------------------------------------------------------------------------------
_add("prod", lambda m, a: a.prod(), S1 + [[()]], (_distinct,))
_add("prod_dim", lambda m, a: a.prod(1), [[(2, 3)], [(2, 3, 2)]], (_distinct,))
_add("prod_keepdim", lambda m, a: a.prod(-1, keepdim=True), [[(2, 3)]], (_distinct,))
_add("prod_fn", lambda m, a: m.prod(a, 0), [[(3, 2)]], (_distinct,))
_add("prod_one_zero", lambda m, a: a.prod(-1), [[(2, 4)], [(5,)]], (_with_zeros(1),))
_add("prod_all_one_zero", lambda m, a: a.prod(), [[(5,)], [(2, 3)]], (_with_zeros(1),))
_add("prod_two_zeros", lambda m, a: a.prod(dim=1), [[(2, 4)]], (_with_zeros(2),))

# -- sums, means, statistics ----------------------------------------------------------------
_add("nansum", lambda m, a: a.nansum(), [[(2, 3)]], (_with_nan,))
_add("nansum_dim", lambda m, a: m.nansum(a, dim=-1, keepdim=True), [[(2, 3)]], (_with_nan,))
_add("nanmean", lambda m, a: a.nanmean(-1), [[(2, 3)], [(2, 2, 3)]], (_with_nan,))
_add("nanmean_all", lambda m, a: m.nanmean(a), [[(2, 3)]], (_with_nan,))
_add("nanmean_no_nan", lambda m, a: a.nanmean(dim=(0, 1)), [[(2, 3)]])
_add("var_correction2", lambda m, a: a.var(dim=1, correction=2), [[(2, 4)]])
_add("var_unbiased_positional", lambda m, a: a.var(0, False), [[(3, 2)]])
_add("std_correction0_all", lambda m, a: a.std(correction=0), [[(2, 3)]])
_add("var_mean", lambda m, a: m.var_mean(a, -1), [[(2, 3)], [(5,)]])
_add("var_mean_correction", lambda m, a: m.var_mean(a, dim=0, correction=0, keepdim=True),
     [[(3, 2)]])
_add("std_mean", lambda m, a: m.std_mean(a), [[(2, 3)]])
_add("std_mean_dims", lambda m, a: m.std_mean(a, (0, 2)), [[(2, 3, 2)]])

# -- norms ----------------------------------------------------------------------------------
_add("norm", lambda m, a: a.norm(), S1 + [[()]])
_add("norm_fro_dim", lambda m, a: a.norm("fro", dim=(0, 1)), [[(2, 3)]])
_add("norm_dim_keepdim", lambda m, a: a.norm(dim=1, keepdim=True), [[(2, 3)], [(2, 3, 2)]])
_add("norm_p1", lambda m, a: a.norm(1, dim=-1), [[(2, 3)]])
_add("norm_p3", lambda m, a: a.norm(3), [[(2, 3)]])
_add("norm_p1_5", lambda m, a: a.norm(1.5, dim=0), [[(2, 3)]])
_add("norm_p_half", lambda m, a: a.norm(0.5, dim=1), [[(2, 3)]])
_add("norm_p_negative", lambda m, a: a.norm(-1.5), [[(5,)]])
_add("norm_inf", lambda m, a: a.norm(float("inf"), dim=1), [[(2, 3)]])
_add("norm_neg_inf", lambda m, a: a.norm(-float("inf")), [[(2, 3)]])
_add("norm_fn", lambda m, a: m.norm(a, p=2, dim=0), [[(3, 2)]])
_add("dist", lambda m, a, b: a.dist(b), [[(2, 3), (2, 3)], [(3, 1), (1, 4)]])
_add("dist_p1", lambda m, a, b: m.dist(a, b, 1), [[(2, 3), (3,)]])
_add("dist_p3", lambda m, a, b: m.dist(a, b, p=3), [[(4,), (4,)]])

# -- extremes -------------------------------------------------------------------------------
_add("aminmax", lambda m, a: list(a.aminmax()), [[(2, 3)]])
_add("aminmax_dim", lambda m, a: list(m.aminmax(a, dim=1, keepdim=True)), [[(2, 3)]])
_add("aminmax_fields", lambda m, a: a.aminmax(dim=0).max * a.aminmax(dim=0).min, [[(3, 2)]])

# -- sorting and selection ------------------------------------------------------------------
_add("sort", lambda m, a: a.sort().values, S1, (_distinct,))
_add("sort_descending", lambda m, a: a.sort(0, descending=True)[0], [[(3, 2)]], (_distinct,))
_add("sort_fn", lambda m, a: m.sort(a, dim=1, stable=True).values, [[(2, 3)]], (_distinct,))
_add("topk", lambda m, a: a.topk(2).values, [[(5,)], [(2, 4)]], (_distinct,))
_add("topk_smallest_dim0", lambda m, a: a.topk(2, dim=0, largest=False).values, [[(3, 2)]],
     (_distinct,))
_add("topk_fn", lambda m, a: m.topk(a, 3, 1)[0], [[(2, 4)]], (_distinct,))
_add("kthvalue", lambda m, a: a.kthvalue(2).values, [[(5,)], [(2, 4)]], (_distinct,))
_add("kthvalue_keepdim", lambda m, a: a.kthvalue(1, 0, keepdim=True).values, [[(3, 2)]],
     (_distinct,))
_add("kthvalue_fn", lambda m, a: m.kthvalue(a, 3, dim=-1)[0], [[(2, 3)]], (_distinct,))
_add("median", lambda m, a: a.median(), S1 + [[()]], (_distinct,))
_add("median_dim", lambda m, a: a.median(1).values, [[(2, 4)], [(2, 3, 2)]], (_distinct,))
_add("median_keepdim", lambda m, a: m.median(a, 0, keepdim=True)[0], [[(3, 2)]], (_distinct,))
_add("nanmedian", lambda m, a: a.nanmedian(), [[(2, 4)]], (_with_nan,))
_add("nanmedian_dim", lambda m, a: a.nanmedian(-1).values, [[(2, 4)], [(3, 3)]], (_with_nan,))
_add("nanmedian_no_nan", lambda m, a: m.nanmedian(a, 1).values, [[(2, 3)]], (_distinct,))
_add("mode", lambda m, a: a.mode().values, [[(5,)], [(2, 3)]], (_distinct,))
_add("mode_dim0", lambda m, a: m.mode(a, 0).values, [[(3, 2)]], (_distinct,))


def _ints(rng, shape, dtype):
    return rng.integers(0, 3, shape).astype(dtype)


# -- no gradient: indices, counts, truth ----------------------------------------------------
NONDIFF_CASES = [
    Case("argsort", lambda m, a: a.argsort(), ((2, 5),), (_distinct,)),
    Case("argsort_descending", lambda m, a: m.argsort(a, 0, descending=True), ((4, 2),),
         (_distinct,)),
    Case("sort_indices", lambda m, a: a.sort(dim=0).indices, ((3, 2),), (_distinct,)),
    Case("sort_ties_stable", lambda m, a: a.sort(stable=True).indices, ((3, 12),), (_ints,)),
    Case("sort_ties_small", lambda m, a: a.sort(descending=True).indices, ((3, 9),), (_ints,)),
    Case("topk_indices", lambda m, a: a.topk(3, dim=0).indices, ((5, 2),), (_distinct,)),
    Case("kthvalue_indices", lambda m, a: a.kthvalue(2, 1).indices, ((2, 4),), (_distinct,)),
    Case("median_indices", lambda m, a: a.median(-1).indices, ((3, 4),), (_distinct,)),
    Case("median_indices_ties", lambda m, a: a.median(-1).indices, ((4, 25),), (_ints,)),
    Case("nanmedian_indices", lambda m, a: a.nanmedian(1).indices, ((3, 4),), (_with_nan,)),
    Case("median_nan_indices", lambda m, a: a.median(1).indices, ((3, 4),), (_with_nan,)),
    Case("median_nan", lambda m, a: a.median(1).values.detach(), ((3, 4),), (_with_nan,)),
    Case("mode_ties", lambda m, a: a.mode(1).indices, ((4, 9),), (_ints,)),
    Case("mode_ties_values", lambda m, a: a.mode(0).values.detach(), ((12, 3),), (_ints,)),
    Case("cummax_indices_ties", lambda m, a: a.cummax(1).indices, ((3, 8),), (_ints,)),
    Case("cummin_indices_ties", lambda m, a: a.cummin(0).indices, ((8, 3),), (_ints,)),
    Case("count_nonzero", lambda m, a: m.count_nonzero(a), ((3, 4),), (_ints,)),
    Case("count_nonzero_dims", lambda m, a: a.count_nonzero(dim=(0, 2)), ((2, 3, 2),), (_ints,)),
    Case("all_dim", lambda m, a: a.all(dim=1), ((3, 4),), (_ints,)),
    Case("any_keepdim", lambda m, a: a.any(0, keepdim=True), ((3, 4),), (_ints,)),
    Case("all_fn", lambda m, a: m.all(a), ((3, 4),), (_ints,)),
    Case("any_fn_dim", lambda m, a: m.any(a, -1), ((3, 4),), (_ints,)),
    Case("unique", lambda m, a: m.unique(a).detach(), ((3, 4),), (_ints,)),
    Case("unique_inverse", lambda m, a: a.unique(return_inverse=True)[1], ((3, 4),), (_ints,)),
    Case("unique_counts", lambda m, a: m.unique(a, return_counts=True)[1], ((3, 4),), (_ints,)),
    Case("unique_dim", lambda m, a: a.unique(dim=0).detach(), ((6, 2),), (_ints,)),
    Case("unique_dim_inverse", lambda m, a: m.unique(a, dim=1, return_inverse=True)[1],
         ((2, 7),), (_ints,)),
    Case("unique_consecutive", lambda m, a: a.unique_consecutive().detach(), ((12,),), (_ints,)),
    Case("unique_consecutive_counts",
         lambda m, a: m.unique_consecutive(a, return_inverse=True, return_counts=True)[2],
         ((3, 4),), (_ints,)),
    Case("unique_consecutive_dim", lambda m, a: a.unique_consecutive(dim=0).detach(), ((6, 2),),
         (_ints,)),
]
