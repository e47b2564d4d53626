"""Catalogue cases of the indexing and shape family (issue 10): PyTorch's indexing rules,
gather/scatter, index_*, masked_*, take, diagonals and triangles, flip/roll/rot90,
repeat/tile, narrow/select/unbind/unflatten/movedim/unfold, splitting and stacking.

Index tensors are built inside each case (``m.tensor([...])``), so the same lambda
runs on chainrule and on torch; every case's float inputs are drawn from the
catalogue's "real" domain (distinct values, away from 0 and from ties), which keeps
scatter_reduce's amax/amin away from ties and its prod away from zeros.

A ``src`` larger than the index (which PyTorch's forward accepts) is tested in
tests/test_index_ops.py: PyTorch's backward of scatter and scatter_reduce fails on it
("returned an invalid gradient"), so it cannot be a parity case.
"""

from __future__ import annotations

from op_catalogue import Case, cases

CASES: list = []


def _add(name, fn, shape_sets, domains=()):
    CASES.extend(cases(name, fn, shape_sets, domains))


def _set(x, index, value):
    """``x[index] = value`` on a copy, returning it (indexing assignment as an expression)."""
    out = x.clone()
    out[index] = value
    return out


# -- PyTorch's indexing rules: integers select first, index tensors then in place -----------------
_add("index_issue_shape",
     lambda m, a: a[1, :, 1:5:2, m.tensor([[0, 2, 1]]).reshape(1, 1, 1, 3, 1, 1), 0:2],
     [[(2, 3, 5, 3, 2, 2)]])
_add("index_int_slice_tensor", lambda m, a: a[1, :, m.tensor([0, 3, 0])], [[(2, 3, 4)]])
_add("index_tensor_int_tensor", lambda m, a: a[m.tensor([0, 1, 1]), 2, m.tensor([1, 3, 1])],
     [[(2, 3, 4)]])
_add("index_tensor_slice_int", lambda m, a: a[m.tensor([[1], [0]]), :, -1], [[(2, 3, 4)]])
_add("index_0d_tensor_selects", lambda m, a: a[m.tensor(1), :, m.tensor([0, 2])], [[(2, 3, 4)]])
_add("index_ellipsis_int_tensor", lambda m, a: a[0, ..., m.tensor([2, 2])], [[(2, 3, 4)]])
_add("index_none_int_tensor", lambda m, a: a[None, 1, m.tensor([0, 2]), None], [[(2, 3, 4)]])
_add("index_bool_scalar_int", lambda m, a: a[0, :, True], [[(2, 3, 4)]])
_add("index_mask_int", lambda m, a: a[m.tensor([True, False, True]), 1], [[(3, 4)]])
_add("index_int_mask_2d", lambda m, a: a[1, m.tensor([[True, False], [True, True]])],
     [[(2, 2, 2, 3)]])
_add("setitem_int_slice_tensor", lambda m, a, b: _set(a, (1, slice(None), m.tensor([0, 3])), b),
     [[(2, 3, 4), (3, 2)], [(2, 3, 4), (2,)]])
_add("setitem_tensor_int_tensor", lambda m, a, b: _set(a, (m.tensor([0, 1]), 2, m.tensor([1, 3])),
                                                       b), [[(2, 3, 4), (2,)]])
_add("setitem_value_leading_ones", lambda m, a, b: _set(a, 0, b), [[(3, 4), (1, 1, 4)]])
_add("setitem_mask", lambda m, a, b: _set(a, a > 0, b), [[(3, 4), ()]])

# -- gather and scatter ---------------------------------------------------------------------------
_add("gather_smaller_index", lambda m, a: a.gather(1, m.tensor([[0, 0, 3], [2, 1, 1]])),
     [[(3, 4)]])
_add("gather_fn_dim0", lambda m, a: m.gather(a, 0, m.tensor([[2], [0]])), [[(3, 4)]])
_add("scatter_src", lambda m, a, b: a.scatter(1, m.tensor([[0, 3], [2, 1]]), b),
     [[(3, 4), (2, 2)]])
_add("scatter_value", lambda m, a: a.scatter(0, m.tensor([[1, 0, 2, 2]]), 1.5), [[(3, 4)]])
_add("scatter_fn", lambda m, a, b: m.scatter(a, 0, m.tensor([2, 0]), b), [[(3,), (2,)]])
_add("scatter_inplace", lambda m, a, b: (a * 1).scatter_(1, m.tensor([[1], [0]]), b),
     [[(2, 3), (2, 1)]])
_add("scatter_add", lambda m, a, b: a.scatter_add(0, m.tensor([[0, 1, 0], [2, 0, 0]]), b),
     [[(3, 3), (2, 3)], [(3, 4), (2, 3)]])
_add("scatter_add_fn", lambda m, a, b: m.scatter_add(a, 1, m.tensor([[0, 0, 2]]), b),
     [[(2, 3), (1, 3)]])
_add("scatter_add_inplace", lambda m, a, b: (a * 1).scatter_add_(0, m.tensor([1, 1]), b),
     [[(3,), (2,)]])
for _mode in ("sum", "prod", "mean", "amax", "amin"):
    for _self in (True, False):
        _add(f"scatter_reduce_{_mode}_{'self' if _self else 'noself'}",
             lambda m, a, b, mode=_mode, inc=_self: a.scatter_reduce(
                 1, m.tensor([[0, 2, 0, 0], [1, 1, 3, 1]]), b, mode, include_self=inc),
             [[(2, 4), (2, 4)], [(3, 4), (2, 4)]])
_add("scatter_reduce_fn", lambda m, a, b: m.scatter_reduce(a, 0, m.tensor([0, 0, 1]), b, "prod"),
     [[(2,), (3,)]])

# -- index_* --------------------------------------------------------------------------------------
_add("index_select", lambda m, a: a.index_select(1, m.tensor([2, 0, 2])), [[(3, 4)], [(2, 3, 2)]])
_add("index_select_fn", lambda m, a: m.index_select(a, 0, m.tensor([1])), [[(3, 4)]])
_add("index_add", lambda m, a, b: a.index_add(0, m.tensor([0, 2, 0]), b), [[(3, 4), (3, 4)]])
_add("index_add_alpha", lambda m, a, b: m.index_add(a, 1, m.tensor([1, 1]), b, alpha=-2.5),
     [[(3, 4), (3, 2)]])
_add("index_add_inplace", lambda m, a, b: (a * 1).index_add_(0, m.tensor([1, 1]), b),
     [[(3, 2), (2, 2)]])
_add("index_copy", lambda m, a, b: a.index_copy(1, m.tensor([3, 0]), b), [[(3, 4), (3, 2)]])
_add("index_copy_inplace", lambda m, a, b: (a * 1).index_copy_(0, m.tensor([2]), b),
     [[(3, 2), (1, 2)]])
_add("index_fill", lambda m, a: a.index_fill(1, m.tensor([0, 2]), -1.0), [[(3, 4)]])
_add("index_fill_tensor", lambda m, a, b: m.index_fill(a, 0, m.tensor([1, 1, 2]), b),
     [[(3, 4), ()]])
_add("index_fill_inplace", lambda m, a: (a * 1).index_fill_(1, m.tensor([1]), 0.5), [[(2, 3)]])
_add("index_put", lambda m, a, b: a.index_put((m.tensor([0, 2]), m.tensor([1, 3])), b),
     [[(3, 4), (2,)], [(3, 4), ()]])
_add("index_put_accumulate",
     lambda m, a, b: m.index_put(a, (m.tensor([0, 2, 0]), m.tensor([1, 1, 1])), b, True),
     [[(3, 4), (3,)], [(3, 4), (1,)]])
_add("index_put_rows", lambda m, a, b: a.index_put((m.tensor([1, 1]),), b, accumulate=True),
     [[(3, 4), (4,)]])
_add("index_put_inplace", lambda m, a, b: (a * 1).index_put_((m.tensor([0]),), b),
     [[(2, 3), (3,)]])
for _mode in ("prod", "mean", "amax", "amin"):
    _add(f"index_reduce_{_mode}",
         lambda m, a, b, mode=_mode: a.index_reduce(0, m.tensor([0, 2, 0]), b, mode),
         [[(3, 2), (3, 2)]])
    _add(f"index_reduce_{_mode}_noself",
         lambda m, a, b, mode=_mode: m.index_reduce(a, 1, m.tensor([1, 1]), b, mode,
                                                    include_self=False), [[(2, 3), (2, 2)]])
_add("index_fill_negative", lambda m, a: a.index_fill(0, m.tensor([-1]), 2.0), [[(3, 2)]])
_add("put", lambda m, a, b: a.put(m.tensor([0, -1, 4]), b), [[(2, 3), (3,)]])
_add("put_accumulate", lambda m, a, b: m.put(a, m.tensor([[1, 1]]), b, accumulate=True),
     [[(2, 3), (1, 2)]])
_add("put_inplace", lambda m, a, b: (a * 1).put_(m.tensor([2]), b), [[(3,), (1,)]])
_add("select_scatter", lambda m, a, b: m.select_scatter(a, b, 1, -1), [[(2, 3), (2,)]])
_add("slice_scatter", lambda m, a, b: a.slice_scatter(b, 1, 0, None, 2), [[(2, 4), (2, 2)]])
_add("slice_scatter_fn", lambda m, a, b: m.slice_scatter(a, b, start=1), [[(3, 2), (2, 2)]])
_add("diagonal_scatter", lambda m, a, b: m.diagonal_scatter(a, b, 1), [[(3, 4), (3,)]])
_add("diagonal_scatter_dims", lambda m, a, b: a.diagonal_scatter(b, -1, 2, 0),
     [[(3, 2, 3), (2, 2)]])

# -- masks ----------------------------------------------------------------------------------------
_add("masked_fill", lambda m, a: a.masked_fill(a > 0, 0.5), [[(3, 4)], [()]])
_add("masked_fill_tensor_value", lambda m, a, b: m.masked_fill(a, a < 0, b), [[(3, 4), ()]])
_add("masked_fill_broadcast_mask",
     lambda m, a: a.masked_fill(m.tensor([[True, False, True]] * 2), -2.0), [[(3,)]])
_add("masked_fill_inplace", lambda m, a: (a * 1).masked_fill_(m.tensor([True, False]), 1.0),
     [[(3, 2)]])
_add("masked_select", lambda m, a: a.masked_select(a > 0), [[(3, 4)]])
_add("masked_select_broadcast",
     lambda m, a: m.masked_select(a, m.tensor([[True], [False], [True]])), [[(4,)], [(3, 4)]])
_add("masked_scatter", lambda m, a, b: a.masked_scatter(m.tensor([[True, False, True]]), b),
     [[(2, 3), (5,)], [(2, 3), (2, 3)]])
_add("masked_scatter_inplace",
     lambda m, a, b: (a * 1).masked_scatter_(m.tensor([False, True, True]), b), [[(3,), (2, 2)]])

# -- flat positions -------------------------------------------------------------------------------
_add("take", lambda m, a: a.take(m.tensor([[0, 5], [11, -1]])), [[(3, 4)]])
_add("take_fn_repeats", lambda m, a: m.take(a, m.tensor([2, 2, 0])), [[(2, 3)]])
_add("take_along_dim", lambda m, a: a.take_along_dim(m.tensor([[0], [2], [1]]), dim=1),
     [[(3, 4)]])
_add("take_along_dim_broadcast", lambda m, a: m.take_along_dim(a, m.tensor([[[0, 1]]]), 2),
     [[(2, 1, 3)]])
_add("take_along_dim_flat", lambda m, a: a.take_along_dim(m.tensor([5, 0, 5])), [[(2, 3)]])
_add("take_along_dim_negative", lambda m, a: a.take_along_dim(m.tensor([[-1], [0]]), 1),
     [[(2, 3)]])

# -- triangles and diagonals ----------------------------------------------------------------------
_add("tril", lambda m, a: a.tril(), [[(3, 4)], [(2, 3, 3)]])
_add("tril_fn_offset", lambda m, a: m.tril(a, -1), [[(4, 3)]])
_add("triu", lambda m, a: a.triu(1), [[(3, 4)], [(2, 2, 3)]])
_add("triu_fn", lambda m, a: m.triu(a, diagonal=-1), [[(3, 3)]])
_add("tril_inplace", lambda m, a: (a * 1).tril_(1), [[(3, 3)]])
_add("diag_vector", lambda m, a: a.diag(), [[(4,)]])
_add("diag_vector_offset", lambda m, a: m.diag(a, -2) + m.diag(a, 2), [[(3,)]])
_add("diag_matrix", lambda m, a: a.diag(1), [[(3, 4)], [(4, 3)]])
_add("diag_embed", lambda m, a: a.diag_embed(), [[(2, 3)], [(3,)]])
_add("diag_embed_dims", lambda m, a: m.diag_embed(a, 1, 0, 2), [[(2, 3)]])
_add("diagonal", lambda m, a: a.diagonal(), [[(3, 4)], [(4, 3)]])
_add("diagonal_dims", lambda m, a: m.diagonal(a, -1, 2, 0), [[(3, 2, 4)]])
_add("trace", lambda m, a: a.trace(), [[(3, 4)], [(3, 3)]])
_add("trace_fn", lambda m, a: m.trace(a), [[(4, 2)]])

# -- flip, roll, rot90 ----------------------------------------------------------------------------
_add("flip", lambda m, a: a.flip(0), [[(3, 4)], [(5,)]])
_add("flip_dims", lambda m, a: a.flip(0, 2), [[(2, 3, 2)]])
_add("flip_fn", lambda m, a: m.flip(a, (-1,)), [[(2, 3)]])
_add("flip_then_use", lambda m, a: a.flip(1) * a, [[(2, 3)]])
_add("fliplr", lambda m, a: a.fliplr(), [[(2, 3)]])
_add("flipud", lambda m, a: m.flipud(a), [[(3, 2)]])
_add("roll", lambda m, a: a.roll(1), [[(2, 3)], [(5,)]])
_add("roll_dims", lambda m, a: a.roll((1, -1), (0, 1)), [[(2, 3)]])
_add("roll_fn", lambda m, a: m.roll(a, 5, 1), [[(2, 3)]])
_add("rot90", lambda m, a: a.rot90(), [[(2, 3)]])
_add("rot90_k", lambda m, a: m.rot90(a, 2, (1, 0)) + m.rot90(a, -1, (0, 1)).rot90(3), [[(3, 3)]])
_add("rot90_dims", lambda m, a: a.rot90(1, (2, 0)), [[(2, 3, 2)]])

# -- repeating ------------------------------------------------------------------------------------
_add("repeat", lambda m, a: a.repeat(2, 1, 2), [[(2, 3)], [(3,)]])
_add("repeat_ones", lambda m, a: a.repeat(1, 1), [[(2, 3)]])
_add("repeat_interleave", lambda m, a: a.repeat_interleave(2), [[(2, 3)]])
_add("repeat_interleave_dim", lambda m, a: a.repeat_interleave(3, dim=1), [[(2, 2)]])
_add("repeat_interleave_tensor", lambda m, a: a.repeat_interleave(m.tensor([1, 0, 2]), dim=0),
     [[(3, 2)]])
_add("repeat_interleave_fn", lambda m, a: m.repeat_interleave(a, m.tensor([2]), dim=-1),
     [[(2, 3)]])
_add("tile", lambda m, a: a.tile((2,)), [[(2, 3)]])
_add("tile_fn", lambda m, a: m.tile(a, (2, 1, 2)), [[(2, 2)]])

# -- slices, views and dims -----------------------------------------------------------------------
_add("narrow", lambda m, a: a.narrow(1, 1, 2), [[(2, 4)]])
_add("narrow_fn_negative", lambda m, a: m.narrow(a, -1, -2, 2), [[(2, 4)]])
_add("narrow_copy", lambda m, a: m.narrow_copy(a, 0, 1, 1) * a.narrow_copy(1, 0, 1),
     [[(2, 2)]])
_add("narrow_tensor_start", lambda m, a: a.narrow(0, m.tensor(1), 2), [[(3, 2)]])
_add("select", lambda m, a: a.select(1, -1), [[(2, 3)]])
_add("select_fn", lambda m, a: m.select(a, 0, 1), [[(2, 3, 2)]])
_add("unbind", lambda m, a: a.unbind(1), [[(2, 3)]])
_add("unbind_fn", lambda m, a: m.unbind(a), [[(3, 2)]])
_add("unflatten", lambda m, a: a.unflatten(1, (2, -1)), [[(2, 6)]])
_add("unflatten_fn", lambda m, a: m.unflatten(a, 0, (1, 2)), [[(2, 3)]])
_add("movedim", lambda m, a: a.movedim(0, -1), [[(2, 3, 4)]])
_add("movedim_fn", lambda m, a: m.movedim(a, (0, 1), (2, 0)), [[(2, 3, 4)]])
_add("moveaxis", lambda m, a: m.moveaxis(a, 1, 0), [[(2, 3)]])
_add("swapaxes", lambda m, a: a.swapaxes(0, 2), [[(2, 3, 4)]])
_add("swapdims_fn", lambda m, a: m.swapdims(a, 1, -1), [[(2, 3, 4)]])
_add("contiguous", lambda m, a: a.t().contiguous(), [[(2, 3)]])
_add("clone_memory_format", lambda m, a: a.clone(memory_format=m.preserve_format), [[(2, 3)]])
_add("clone_fn", lambda m, a: m.clone(a) * a, [[(2, 3)]])
_add("unfold", lambda m, a: a.unfold(1, 2, 1), [[(2, 5)]])
_add("unfold_step", lambda m, a: a.unfold(0, 3, 2), [[(7,)], [(6, 2)]])
_add("squeeze_dims", lambda m, a: a.squeeze((0, 2)), [[(1, 3, 1)], [(1, 3, 2)]])
_add("squeeze_dims_fn", lambda m, a: m.squeeze(a, (-1, 1)), [[(2, 1, 1)]])
_add("expand_keep", lambda m, a: a.expand(2, -1, -1), [[(3, 1)]])

# -- splitting and stacking -----------------------------------------------------------------------
_add("split_tensor_sizes", lambda m, a: a.split([m.tensor(1), m.tensor(2)]), [[(3, 2)]])
_add("split_tensor_size", lambda m, a: m.split(a, m.tensor(2), 1), [[(2, 5)]])
_add("tensor_split_sections", lambda m, a: a.tensor_split(3, dim=1), [[(2, 5)], [(2, 2)]])
_add("tensor_split_indices", lambda m, a: m.tensor_split(a, [1, -1, 9]), [[(4, 2)]])
_add("tensor_split_tensor", lambda m, a: a.tensor_split(m.tensor([1, 2]), 1), [[(2, 4)]])
_add("hsplit", lambda m, a: m.hsplit(a, 2), [[(2, 4)], [(4,)]])
_add("vsplit", lambda m, a: m.vsplit(a, [1]), [[(3, 2)]])
_add("dsplit", lambda m, a: m.dsplit(a, 2), [[(1, 2, 4)]])
_add("hstack", lambda m, a, b: m.hstack([a, b]), [[(2, 3), (2, 1)], [(3,), ()]])
_add("vstack", lambda m, a, b: m.vstack((a, b)), [[(3,), (2, 3)]])
_add("row_stack", lambda m, a, b: m.row_stack([a, b]), [[(2,), (2,)]])
_add("dstack", lambda m, a, b: m.dstack([a, b]), [[(3,), (3,)], [(2, 2), (2, 2, 1)]])
_add("column_stack", lambda m, a, b, c: m.column_stack([a, b, c]), [[(3,), (3, 2), (3, 1)]])
_add("atleast_1d", lambda m, a: m.atleast_1d(a), [[()], [(2, 3)]])
_add("atleast_2d", lambda m, a, b: m.atleast_2d(a, b), [[(), (3,)]])
_add("atleast_3d", lambda m, a, b, c: m.atleast_3d([a, b, c]), [[(), (3,), (2, 3)]])


# ---------------------------------------------------------------------------
# No gradient: positions, new tensors, memory read as another dtype
# ---------------------------------------------------------------------------

NONDIFF_CASES = [
    Case("nonzero", lambda m, a: (a > 0).nonzero(), ((3, 4),)),
    Case("nonzero_fn", lambda m, a: m.nonzero(a > 0.2), ((2, 3, 2),)),
    Case("nonzero_as_tuple", lambda m, a: (a > 0).nonzero(as_tuple=True)[1], ((3, 4),)),
    Case("argwhere", lambda m, a: m.argwhere(a < 0), ((5,),)),
    Case("argwhere_method", lambda m, a: a.argwhere(), ((2, 3),)),
    Case("nonzero_0d", lambda m, a: a.nonzero(), ((),)),
    Case("new_zeros", lambda m, a: a.new_zeros(2, 3), ((2,),)),
    Case("new_ones_dtype", lambda m, a: a.new_ones((2,), dtype=m.int64), ((2,),)),
    Case("new_full", lambda m, a: a.new_full((3, 1), 2.5), ((2,),)),
    Case("new_tensor", lambda m, a: a.new_tensor([[1, 2], [3, 4]]), ((2,),)),
    Case("view_dtype", lambda m, a: a.view(m.int64), ((2, 3),)),
    Case("view_dtype_smaller", lambda m, a: a.view(m.float32), ((2, 3),)),
    Case("repeat_interleave_counts", lambda m, a: m.repeat_interleave(m.tensor([2, 0, 1])),
         ((2,),)),
    Case("tril_int", lambda m, a: m.tensor([[1, 2], [3, 4]]).tril(), ((2,),)),
    Case("trace_int", lambda m, a: m.tensor([[1, 2], [3, 4]], dtype=m.int32).trace(), ((2,),)),
    Case("masked_fill_int", lambda m, a: m.tensor([1, 2, 3]).masked_fill(a > 0, 2.7), ((3,),)),
    Case("scatter_reduce_int_mean",
         lambda m, a: m.tensor([5, 6]).scatter_reduce(0, m.tensor([0, 0, 0]), m.tensor([1, 2, 4]),
                                                      "mean", include_self=False), ((2,),)),
]
