"""Ops save for backward what PyTorch saves, so in-place changes after an op behave alike.

Backward refuses to run when a value an op saved was changed in place since
(version counters). That makes *what* an op saves visible: an op that keeps more
than PyTorch raises where PyTorch runs, one that keeps less runs where PyTorch
raises. The sweep takes one case per op of the catalogue (tests/op_catalogue.py),
makes each float64 input a non-leaf (``leaf * 1``), and in separate runs changes
one input, or the first floating output, in place with ``add_(0)`` (a new version,
the same values) before backward. chainrule must raise a RuntimeError exactly when
PyTorch does, and give PyTorch's leaf gradients when neither does.

The differences that remain are listed by op below (``KEEPS_MORE``, ``KEEPS_LESS``,
with the reasons) and marked xfail; an op on a list that comes to match PyTorch
fails the test, so the lists only shrink. A case is skipped only where the in-place
change cannot be made in PyTorch itself (it refuses ``add_`` on that tensor: an
expanded view, one view of several outputs, ...), where chainrule refuses it (an
in-place change of a reshaped, transposed or expanded view of a tensor in a graph,
which PyTorch allows: a matter of views, not of what ops save), or where there is no
floating output to change; the skip says why.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from op_catalogue import CASES, Lib, make_inputs

import chainrule as cr

CR64 = Lib(cr, np.float64)
TORCH64 = Lib(torch, np.float64)

# One case per op name (its first shapes): what an op saves does not depend on shapes.
_FIRST: dict = {}
for _case in CASES:
    _FIRST.setdefault(_case.name, _case)
SWEPT = list(_FIRST.values())


class _InplaceRefused(Exception):
    """The in-place change itself was refused (by the library, before any backward)."""


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _is_float(t) -> bool:
    return t.dtype in (torch.float32, torch.float64) if isinstance(t, torch.Tensor) \
        else np.dtype(t.dtype).kind == "f"


def _run(lib, case, arrays, change, only=None):
    """Run ``case`` on non-leaf inputs, change input ``change`` (an int) or the first
    floating output (``"output"``) in place, then backward: the leaves' gradients.
    With ``only`` (an index) that input alone needs a gradient; the other float64
    inputs are plain tensors (PyTorch then saves less: mul keeps one operand)."""
    leaves, xs = [], []
    for i, a in enumerate(arrays):
        if a.dtype == np.float64 and only in (None, i):
            leaf = lib.leaf(a)
            leaves.append(leaf)
            xs.append(leaf * 1)  # a non-leaf: an in-place change to it is allowed
        else:
            xs.append(lib.as_tensor(a))
    outs = [o for o in _as_list(case.fn(lib, *xs)) if _is_float(o)]
    if not outs:
        raise _InplaceRefused("no floating output")
    target = outs[0] if change == "output" else xs[change]
    try:
        target.add_(0)
    except RuntimeError as err:
        raise _InplaceRefused(str(err).splitlines()[0]) from None
    rng = np.random.default_rng(3)
    total = None
    for o in outs:
        v = lib.as_tensor(rng.standard_normal(tuple(o.shape)))
        term = (o * v).sum()
        total = term if total is None else total + term
    if not total.requires_grad:
        raise _InplaceRefused("the outputs need no gradient")
    total.backward()
    return [None if x.grad is None else x.grad.numpy() for x in leaves]


def _outcome(lib, case, arrays, change, only=None):
    """``("refused", why)``, ``("raised", message)`` or ``("ran", gradients)``."""
    try:
        return "ran", _run(lib, case, arrays, change, only)
    except _InplaceRefused as err:
        return "refused", str(err)
    except RuntimeError as err:
        return "raised", str(err).splitlines()[0]


def _changes(case, arrays):
    return [i for i, a in enumerate(arrays) if a.dtype == np.float64] + ["output"]


def _compare(case, arrays, change, only=None):
    """``(verdict, detail)``: verdict ``"skip"`` where PyTorch refuses the in-place change
    itself, ``"same"``, ``"more"`` (chainrule raises where PyTorch runs: it kept more),
    ``"less"`` (chainrule runs where PyTorch raises) or ``"grad"`` (gradients differ)."""
    theirs = _outcome(TORCH64, case, arrays, change, only)
    if theirs[0] == "refused":
        return "skip", theirs[1]
    ours = _outcome(CR64, case, arrays, change, only)
    if ours[0] == "refused":  # chainrule refuses in-place changes of views in a graph
        return "skip", "chainrule refuses the change itself: " + ours[1]
    where = f"{case.id}, {'output' if change == 'output' else f'input {change}'} changed"
    if only is not None:
        where += f", only input {only} needing a gradient"
    if ours[0] != theirs[0]:
        verdict = "more" if ours[0] == "raised" else "less"
        return verdict, f"{where}: chainrule {ours[0]} ({_short(ours[1])}), " \
                        f"torch {theirs[0]} ({_short(theirs[1])})"
    if ours[0] == "ran":
        for k, (a, b) in enumerate(zip(ours[1], theirs[1])):
            # No gradient and PyTorch's zeros (addmm with beta=0) read alike, as in
            # tests/test_ops_catalogue.py: that is not what this file checks.
            a = np.zeros_like(b) if a is None and b is not None else a
            b = np.zeros_like(a) if b is None and a is not None else b
            if a is not None and not np.allclose(a, b, rtol=1e-7, atol=1e-10):
                return "grad", f"{where}: leaf {k} gradient differs from torch"
    return "same", ""


def _short(x):
    return x if isinstance(x, str) else "gradients"


# Where chainrule still keeps more than PyTorch: PyTorch's version of the op saves a
# copy it made (the clamped variance of gaussian_nll_loss, the scaled query and key
# of its attention, the permuted copies of tensordot and einsum with three operands,
# matrix_exp's own kernel, ldexp's and instance_norm's), or its indices where
# chainrule's max pooling saves its output to find the winners again.
KEEPS_MORE = frozenset({
    "F.gaussian_nll_loss", "F.gaussian_nll_loss_full", "F.instance_norm", "F.sdpa",
    "F.sdpa_bool_mask", "F.sdpa_causal", "F.sdpa_float_mask", "F.sdpa_gqa",
    "F.sdpa_large_scores", "einsum_bilinear", "ldexp", "matrix_exp", "matrix_exp_method",
    "max_pool1d_indices_values", "max_pool2d_indices_values", "max_pool2d_pad", "max_pool3d",
    "max_pool3d_args", "max_pool3d_indices_values", "tensordot_dims",
})

# Where chainrule keeps less than PyTorch: PyTorch saves an input (for its shape, or
# to recompute a mask) where chainrule keeps the mask or nothing, or it tracks views
# (split, chunk, unbind) that chainrule's outputs are not.
KEEPS_LESS = frozenset({
    "F.group_norm", "F.group_norm_plain", "F.huber_loss", "F.huber_loss_weight",
    "F.instance_norm", "F.logsigmoid", "F.pairwise_distance", "F.pairwise_distance_p1",
    "F.pairwise_distance_p3", "F.smooth_l1_loss", "F.smooth_l1_loss_sum", "F.soft_margin_loss",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool2d_none",
    "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool2d_indices_values", "adaptive_max_pool3d", "avg_pool1d_ceil_pad",
    "avg_pool2d_divisor", "avg_pool3d", "avg_pool3d_args", "avg_pool3d_divisor",
    "cholesky_solve", "cholesky_solve_upper", "cholesky_upper", "chunk", "chunk_fn",
    "clamp_grad_bounds", "clamp_grad_min_only", "conv1d_same", "conv3d_args",
    "conv3d_unbatched", "conv_transpose1d", "cross", "cross_method", "cummax", "cummax_fn",
    "cummin", "dist", "dist_p1", "dist_p3", "eigh", "eigh_upper", "eigvalsh",
    "fractional_max_pool2d", "fractional_max_pool3d_ratio", "gather", "gather_dim0_repeats",
    "gather_fn_dim0", "gather_smaller_index", "grid_sample", "grid_sample_bicubic",
    "grid_sample_bicubic_reflection", "grid_sample_border_align", "grid_sample_nearest",
    "grid_sample_reflection_3d", "index_add", "index_add_alpha", "index_add_inplace",
    "index_copy", "index_copy_inplace", "index_reduce_amax", "index_reduce_amax_noself",
    "index_reduce_amin", "index_reduce_amin_noself", "index_reduce_mean",
    "index_reduce_mean_noself", "interpolate_area", "ldexp", "linalg_cross", "linalg_cross_dim",
    "lstsq", "masked_select", "masked_select_broadcast", "matrix_norm_dim", "nanmean",
    "nanmean_all", "nanmean_no_nan", "nansum", "nansum_dim", "pad_reflect", "pad_reflect_2d",
    "pad_reflect_3d_crop", "pad_replicate", "pad_replicate_1d", "pairwise_distance_top", "put",
    "put_accumulate", "put_inplace", "qr", "qr_complete_wide", "qr_r_only", "qr_wide",
    "scatter_reduce_amax_noself", "scatter_reduce_amax_self", "scatter_reduce_amin_noself",
    "scatter_reduce_amin_self", "scatter_reduce_mean_noself", "scatter_reduce_mean_self",
    "scatter_reduce_sum_noself", "scatter_reduce_sum_self", "sgn", "slogdet_negative",
    "solve_right", "solve_triangular", "solve_triangular_lower_right", "solve_triangular_unit",
    "spatial_transformer", "split", "split_fn", "split_sizes", "split_tensor_size",
    "split_tensor_sizes", "svdvals", "take", "take_along_dim", "take_along_dim_broadcast",
    "take_along_dim_flat", "take_along_dim_negative", "take_fn_repeats", "tensorinv",
    "tensorsolve", "unbind", "unbind_fn", "vander", "vander_n",
})


def _check(case, only=None):
    arrays = make_inputs(case)
    found: dict = {"skip": [], "same": [], "more": [], "less": [], "grad": []}
    for change in _changes(case, arrays):
        verdict, detail = _compare(case, arrays, change, only)
        found[verdict].append(f"{change}: {detail}" if verdict == "skip" else detail)
    assert not found["grad"], "\n".join(found["grad"])
    lists = (("more", KEEPS_MORE, frozenset()), ("less", KEEPS_LESS, frozenset()))
    if only is not None:  # the lists of all inputs needing a gradient may apply here too
        lists = (("more", KEEPS_MORE_ONE, KEEPS_MORE), ("less", KEEPS_LESS_ONE, KEEPS_LESS))
    for kind, known, also in lists:
        if case.name in known and only is None:
            assert found[kind], f"{case.name} now matches torch: take it off the list"
        elif case.name not in known and case.name not in also:
            assert not found[kind], "\n".join(found[kind])
    if not (found["same"] or found["more"] or found["less"]):
        pytest.skip("no change could be compared (refused by torch or by chainrule, before "
                    "backward): " + "; ".join(found["skip"]))
    if found["more"] or found["less"]:
        pytest.xfail("a known difference in what is saved: " + found["more" if found["more"]
                                                                  else "less"][0])


@pytest.mark.parametrize("case", SWEPT, ids=[c.id for c in SWEPT])
def test_inplace_after_op_matches_torch(case):
    _check(case)


# The cases with two or more float64 inputs, each input in turn the only one that needs
# a gradient: what PyTorch saves then depends on which one (mul keeps the other).
ONE_OF = [(case, i) for case in SWEPT
          for i, a in enumerate(make_inputs(case)) if a.dtype == np.float64
          and sum(b.dtype == np.float64 for b in make_inputs(case)) > 1]

# The differences left with one input needing a gradient, besides the ops above: the
# same kinds (PyTorch's composite einsum and attention keep products and copies). An
# op may differ here for one choice of input only, so these are not checked to shrink.
KEEPS_MORE_ONE = frozenset({
    "einsum_chain",
})
KEEPS_LESS_ONE = frozenset({
    "F.poisson_nll_loss_full", "F.prelu", "conv_transpose1d_unbatched", "conv_transpose2d",
    "conv_transpose2d_args", "conv_transpose2d_outpad_dilation", "conv_transpose2d_pad_crops",
    "conv_transpose2d_unbatched", "conv_transpose3d",
})


@pytest.mark.parametrize("case, only", ONE_OF, ids=[f"{c.id}-{i}" for c, i in ONE_OF])
def test_inplace_with_one_input_needing_grad_matches_torch(case, only):
    _check(case, only)


# ---------------------------------------------------------------------------
# The cases that motivated the sweep, written out
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_mul_by_number_keeps_no_tensor(m):
    a = m.ones(3, requires_grad=True)
    x = a * 1
    y = x * 2.0
    x.add_(1)
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_mul_keeps_only_the_operand_a_needed_gradient_reads(m):
    a = m.ones(3, requires_grad=True)
    w = m.ones(3)
    x = a * 1
    y = x * w  # w needs no gradient: only w is saved (for x's gradient)
    x.add_(1)
    y.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0, 1.0]
    a = m.ones(3, requires_grad=True)
    w = m.ones(3)
    x = a * 1
    y = x * w
    w.add_(1)  # but w itself was saved
    with pytest.raises(RuntimeError):
        y.sum().backward()


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_mul_and_div_do_not_keep_their_output(m):
    a = m.ones(3, requires_grad=True)
    b = m.full((3,), 2.0, requires_grad=True)
    for op in (lambda x, y: x * y, lambda x, y: x / y):
        y = op(a * 1, b * 1)
        y.add_(1)
        y.sum().backward()
    assert a.grad.tolist() == [2.5, 2.5, 2.5]  # 2 + 1/2
    assert b.grad.tolist() == [0.75, 0.75, 0.75]  # 1 - 1/4


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_div_keeps_the_divisor_for_the_dividends_gradient(m):
    a = m.ones(3, requires_grad=True)
    b = m.full((3,), 2.0)
    y = a / b
    b.add_(1)
    with pytest.raises(RuntimeError):
        y.sum().backward()
    a = m.ones(3, requires_grad=True)
    x = a * 1
    y = x / b  # b needs no gradient: x is not saved
    x.add_(1)
    y.sum().backward()
    assert np.allclose(a.grad.tolist(), [1 / 3] * 3)


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
@pytest.mark.parametrize("op, saves", [("exp", "output"), ("sin", "input")])
def test_unary_ops_keep_their_output_or_their_input(m, op, saves):
    for changed in ("input", "output"):
        a = m.ones(3, requires_grad=True)
        x = a * 1
        y = getattr(x, op)()
        (x if changed == "input" else y).add_(0)
        if changed == saves:
            with pytest.raises(RuntimeError):
                y.sum().backward()
        else:
            y.sum().backward()
            assert a.grad is not None


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
@pytest.mark.parametrize("batch_shape", [(4,), (2, 4), ()], ids=["2d", "3d", "1d"])
def test_linear_keeps_the_weight_only_for_the_inputs_gradient(m, batch_shape):
    lin = m.nn.Linear(3, 2)
    x = m.ones(*batch_shape, 3)  # needs no gradient: the weight is not saved
    y = lin(x).sum()
    with m.no_grad():
        lin.weight.add_(1)  # an update before backward, as a misordered training loop does
    y.backward()
    assert lin.weight.grad.tolist() == [[float(np.prod(batch_shape))] * 3] * 2
    leaf = m.ones(*batch_shape, 3, requires_grad=True)
    y = lin(leaf * 1).sum()  # the input needs a gradient: the weight is saved for it
    with m.no_grad():
        lin.weight.add_(1)
    with pytest.raises(RuntimeError):
        y.backward()
    y = lin(leaf * 1).sum()
    y.backward()  # unchanged since: runs
    assert leaf.grad.shape == leaf.shape


@pytest.mark.parametrize("m", [cr, torch], ids=["chainrule", "torch"])
def test_number_over_tensor_keeps_the_reciprocal_not_the_tensor(m):
    a = m.full((3,), 2.0, requires_grad=True)
    x = a * 1
    y = 3.0 / x  # PyTorch: x.reciprocal() * 3.0, which keeps the reciprocal
    x.add_(1)
    y.sum().backward()
    assert np.allclose(a.grad.tolist(), [-0.75] * 3)  # -3 / 2**2, from the saved reciprocal
