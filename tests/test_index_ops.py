"""Exact cases for indexing and shape ops (issue 10): PyTorch's conventions that the
catalogue's sweeps do not pin — indexing rules, repeated indices, zeros in a scatter
product, in-place rules, copies versus views, dtypes and the one-line errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import chainrule as cr


def _pair(array, requires_grad=True):
    """The same float64 values as a chainrule and a torch leaf."""
    array = np.asarray(array, dtype=np.float64)
    return (cr.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------------------
# Indexing with PyTorch's rules
# ---------------------------------------------------------------------------

def test_the_issue_example_gives_pytorchs_shape_and_values():
    rng = np.random.default_rng(0)
    x_array = rng.standard_normal((2, 5, 6, 5, 3, 4))
    d_array = rng.integers(0, 5, (2, 1, 1, 5, 1, 1))
    x, xt = _pair(x_array)
    out = x[1, :, 3:11:2, cr.tensor(d_array), 0:2]
    expected = xt[1, :, 3:11:2, torch.tensor(d_array), 0:2]
    assert out.shape == (5, 2, 2, 1, 1, 5, 1, 1, 2, 4) == tuple(expected.shape)
    np.testing.assert_array_equal(_np(out), _np(expected))
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("index", [
    lambda m: (0, slice(None), m.tensor([1, 0])),           # int, slice, tensor: in place
    lambda m: (m.tensor([1, 0]), slice(None), 1),           # the int does not split them
    lambda m: (m.tensor(1), slice(None), m.tensor([0, 2])),  # a 0-d tensor selects
    lambda m: (0, slice(None), True),                       # a bool adds a dim of 1
    lambda m: (m.tensor([0, 1]), None, m.tensor([1, 1])),   # None splits: indexed dims first
    lambda m: (Ellipsis, 1, m.tensor([[0], [3]])),
    lambda m: (m.tensor([0, 1]), Ellipsis, m.tensor([1, 1]), slice(None)),  # an empty Ellipsis
    lambda m: (slice(None), True, Ellipsis, True, 1, 2),
])
def test_mixed_indices_follow_pytorch_not_numpy(index):
    x, xt = _pair(np.arange(24.0).reshape(2, 3, 4))
    out, expected = x[index(cr)], xt[index(torch)]
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(_np(out), _np(expected))


def test_a_list_of_lists_is_a_tuple_of_indices_as_in_pytorch():
    x, xt = _pair(np.arange(12.0).reshape(3, 4))
    with pytest.warns(UserWarning, match="tuple"):
        out = x[[[0, 2], [1, 3]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = xt[[[0, 2], [1, 3]]]
    np.testing.assert_array_equal(_np(out), _np(expected))
    assert x[[0, 2, 2]].shape == (3, 4)  # a flat list is an index tensor


def test_a_uint8_index_is_a_mask_with_a_warning():
    x = cr.arange(3.0)
    with pytest.warns(UserWarning, match="uint8"):
        out = x[cr.tensor(np.array([1, 0, 1], dtype=np.uint8))]
    assert out.tolist() == [0.0, 2.0]


def test_negative_steps_are_accepted_with_numpys_meaning():
    # PyTorch refuses them; flip is its way to write x[::-1]
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = x[::-2]
    assert out.tolist() == [3.0, 1.0]
    (out * cr.tensor([1.0, 10.0])).sum().backward()
    assert x.grad.tolist() == [10.0, 0.0, 1.0]


@pytest.mark.parametrize("index, error", [
    (lambda: cr.tensor([0.5]), "integer or bool"),
    (lambda: "a", "valid indices"),
    (lambda: (Ellipsis, Ellipsis), "single ellipsis"),
    (lambda: (0, 0, 0), "too many indices"),
    (lambda: (0, cr.tensor([0]), 0), "too many indices"),
])
def test_bad_indices_raise_index_error(index, error):
    with pytest.raises(IndexError, match=error):
        cr.zeros(2, 3)[index()]


def test_setitem_with_an_int_and_an_index_tensor_writes_where_pytorch_does():
    x, xt = _pair(np.zeros((2, 3, 4)))
    v, vt = _pair(np.arange(6.0).reshape(3, 2))
    out, outt = x * 1, xt * 1
    out[1, :, cr.tensor([3, 0])] = v
    outt[1, :, torch.tensor([3, 0])] = vt
    np.testing.assert_array_equal(_np(out), _np(outt))
    w = np.random.default_rng(1).standard_normal((2, 3, 4))
    (out * cr.tensor(w)).sum().backward()
    (outt * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_array_equal(v.grad.numpy(), vt.grad.numpy())


def test_setitem_with_repeated_indices_gives_the_value_every_gradient():
    # PyTorch's index_put VJP: each repeat gets the gradient of the place it wrote to
    v, vt = _pair([5.0])
    out, outt = cr.zeros(3, dtype=cr.float64), torch.zeros(3, dtype=torch.float64)
    out[cr.tensor([1, 1, 2])] = v
    outt[torch.tensor([1, 1, 2])] = vt
    (out * cr.tensor([1.0, 2.0, 3.0])).sum().backward()
    (outt * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.tolist() == vt.grad.tolist() == [7.0]


# ---------------------------------------------------------------------------
# gather and scatter
# ---------------------------------------------------------------------------

def test_gather_accepts_an_index_smaller_than_the_input_outside_dim():
    x, xt = _pair(np.arange(12.0).reshape(3, 4))
    index = [[0], [3]]
    out, expected = x.gather(1, cr.tensor(index)), xt.gather(1, torch.tensor(index))
    np.testing.assert_array_equal(_np(out), _np(expected))
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    assert cr.gradgradcheck(lambda a: a.gather(1, cr.tensor(index)) ** 2, (x,))


@pytest.mark.parametrize("call, error", [
    (lambda x: x.gather(1, cr.tensor([[0], [1], [2], [3]])), "larger than the tensor"),
    (lambda x: x.gather(1, cr.tensor([0, 1])), "as many"),
    (lambda x: x.gather(1, cr.tensor([[4]])), "out of range"),
    (lambda x: x.gather(1, cr.tensor([[-1]])), "out of range"),
    (lambda x: x.scatter(0, cr.tensor([[0, 1]]), cr.zeros(1, 1)), "larger than src"),
    (lambda x: x.scatter(0, cr.tensor([[0]]), cr.zeros(1, 1, dtype=cr.float64)), "same dtype"),
    (lambda x: x.scatter_reduce(0, cr.tensor([[0]]), x, "max"), "reduce must be"),
])
def test_gather_and_scatter_check_their_arguments(call, error):
    with pytest.raises((RuntimeError, IndexError, ValueError), match=error):
        call(cr.zeros(3, 4))


def test_scatter_with_src_larger_than_the_index_uses_the_indexed_part():
    # PyTorch's forward does the same; its backward fails on this case ("invalid gradient")
    x, xt = _pair(np.zeros((3, 4)))
    src, srct = _pair(np.arange(30.0).reshape(5, 6))
    index = [[0, 3], [2, 1]]
    out = x.scatter(1, cr.tensor(index), src)
    expected = xt.scatter(1, torch.tensor(index), srct)
    np.testing.assert_array_equal(_np(out), _np(expected))
    out.sum().backward()
    assert src.grad.numpy()[:2, :2].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert src.grad.numpy().sum() == 4.0
    assert cr.gradcheck(lambda a, b: a.scatter(1, cr.tensor(index), b), (x, src))


def test_scatter_with_repeated_indices_gives_every_source_the_gradient_as_pytorch():
    x, xt = _pair(np.zeros(3))
    src, srct = _pair([1.0, 2.0])
    out = x.scatter(0, cr.tensor([1, 1]), src)
    outt = xt.scatter(0, torch.tensor([1, 1]), srct)
    (out * cr.tensor([1.0, 10.0, 100.0])).sum().backward()
    (outt * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert src.grad.tolist() == srct.grad.tolist() == [10.0, 10.0]
    assert x.grad.tolist() == xt.grad.tolist() == [1.0, 0.0, 100.0]


@pytest.mark.parametrize("src_values", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0],
                                        [2.0, 5.0, 3.0, 4.0]])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_is_exact_at_zeros(src_values, include_self):
    index = [0, 0, 0, 1]
    x, xt = _pair([1.5, 0.0])
    src, srct = _pair(src_values)
    out = x.scatter_reduce(0, cr.tensor(index), src, "prod", include_self=include_self)
    outt = xt.scatter_reduce(0, torch.tensor(index), srct, "prod", include_self=include_self)
    np.testing.assert_array_equal(_np(out), _np(outt))
    w = [0.7, -1.3]
    ours = cr.grad((out * cr.tensor(w)).sum(), (x, src), create_graph=True)
    theirs = torch.autograd.grad((outt * torch.tensor(w)).sum(), (xt, srct), create_graph=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12)
    if src_values.count(0.0) < 2:  # PyTorch refuses the second order with two zeros
        second = cr.grad(ours[1].sum() + ours[0].sum(), (x, src))
        second_t = torch.autograd.grad(theirs[1].sum() + theirs[0].sum(), (xt, srct))
        for a, b in zip(second, second_t):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12)


def test_scatter_reduce_amax_shares_the_gradient_among_ties():
    x, xt = _pair([3.0, 1.0])
    src, srct = _pair([3.0, 2.0, 3.0])
    out = x.scatter_reduce(0, cr.tensor([0, 1, 0]), src, "amax")
    outt = xt.scatter_reduce(0, torch.tensor([0, 1, 0]), srct, "amax")
    out.sum().backward()
    outt.sum().backward()
    assert x.grad.tolist() == xt.grad.tolist()
    assert src.grad.tolist() == srct.grad.tolist()
    assert src.grad.tolist()[0] == pytest.approx(1 / 3)


def test_scatter_reduce_mean_of_integers_rounds_down():
    x = cr.tensor([5, 6])
    out = x.scatter_reduce(0, cr.tensor([0, 0, 0]), cr.tensor([1, 2, 4]), "mean")
    assert out.tolist() == [3, 6]
    assert out.dtype == np.int64


def test_scatter_reduce_keyword_reduce_of_scatter():
    x = cr.ones(2, 3)
    out = x.scatter(1, cr.tensor([[0, 0]]), 2.0, reduce="multiply")
    assert out.tolist() == [[4.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    added = x.scatter(1, cr.tensor([[0, 0]]), cr.ones(1, 2), reduce="add")
    assert added.tolist() == [[3.0, 1.0, 1.0], [1.0, 1.0, 1.0]]


# ---------------------------------------------------------------------------
# index_* and masks
# ---------------------------------------------------------------------------

def test_index_fill_with_a_tensor_value_counts_each_place_once_as_pytorch():
    x, xt = _pair(np.zeros((2, 3)))
    v, vt = _pair(2.0)
    out = x.index_fill(1, cr.tensor([0, 0, 2]), v)
    outt = xt.index_fill(1, torch.tensor([0, 0, 2]), vt)
    np.testing.assert_array_equal(_np(out), _np(outt))
    out.sum().backward()
    outt.sum().backward()
    assert v.grad.item() == vt.grad.item() == 4.0


def test_index_add_accumulates_repeated_indices():
    x = cr.zeros(3, 2)
    out = x.index_add(0, cr.tensor([2, 2, 0]), cr.ones(3, 2), alpha=2)
    assert out.tolist() == [[2.0, 2.0], [0.0, 0.0], [4.0, 4.0]]


def test_index_put_with_a_bool_mask_and_accumulate():
    x, xt = _pair(np.zeros((3, 2)))
    v, vt = _pair([1.0, 2.0])
    mask = [True, False, True]
    out = x.index_put((cr.tensor(mask),), v, accumulate=True)
    outt = xt.index_put((torch.tensor(mask),), vt, accumulate=True)
    np.testing.assert_array_equal(_np(out), _np(outt))
    out.sum().backward()
    outt.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), vt.grad.numpy())


def test_masked_fill_keeps_selfs_dtype():
    assert cr.tensor([1, 2, 3]).masked_fill(cr.tensor([True, False, True]), 2.7).tolist() == \
        [2, 2, 2]
    x = cr.zeros(3)
    out = x.masked_fill(cr.tensor([True, False, False]), cr.tensor(1.5, dtype=cr.float64))
    assert out.dtype == np.float32


@pytest.mark.parametrize("call, error", [
    (lambda x: x.masked_fill(cr.tensor([1, 0, 1]), 1.0), "bool"),
    (lambda x: x.masked_fill(cr.tensor([True, False, True]), cr.tensor([1.0])), "0-d"),
    (lambda x: x.masked_scatter(cr.tensor([True, True, True]), cr.zeros(2)), "only 2"),
    (lambda x: x.index_select(0, cr.tensor([3])), "out of range"),
    (lambda x: x.index_select(0, cr.tensor([[0]])), "vector"),
    (lambda x: x.index_copy(0, cr.tensor([0], dtype=cr.int32), cr.zeros(1)), "int64"),
    (lambda x: x.index_add(0, cr.tensor([0]), cr.zeros(2)), "does not fit"),
    (lambda x: x.take(cr.tensor([3])), "out of range"),
    (lambda x: x.index_put((cr.tensor([0]), None), cr.tensor(1.0)), "must be a tensor"),
])
def test_index_ops_check_their_arguments(call, error):
    with pytest.raises((RuntimeError, IndexError, TypeError), match=error):
        call(cr.zeros(3))


# ---------------------------------------------------------------------------
# In place
# ---------------------------------------------------------------------------

def test_in_place_variants_follow_the_in_place_rules():
    leaf = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.masked_fill_(cr.tensor([True, False, True]), 1.0)
    with cr.no_grad():
        leaf.index_fill_(0, cr.tensor([1]), 2.0)
    assert leaf.tolist() == [0.0, 2.0, 0.0]

    x, xt = _pair([1.0, 2.0, 3.0])
    y, yt = x * 2, xt * 2
    y.index_add_(0, cr.tensor([0, 0]), x[:2] * 10)
    yt.index_add_(0, torch.tensor([0, 0]), xt[:2] * 10)
    np.testing.assert_array_equal(_np(y), _np(yt))
    (y * cr.tensor([1.0, 2.0, 3.0])).sum().backward()
    (yt * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_in_place_changes_bump_the_version_so_stale_saved_values_are_caught():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    y.masked_fill_(cr.tensor([True, False]), 0.0)
    with pytest.raises(RuntimeError):
        z.sum().backward()


def test_in_place_results_must_keep_the_shape():
    with pytest.raises(RuntimeError, match="shape"):
        cr.zeros(3).masked_fill_(cr.tensor([[True, False, True]] * 2), 1.0)


# ---------------------------------------------------------------------------
# Copies, views and the remaining conventions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", [
    lambda x: x.flip(0), lambda x: x.roll(1), lambda x: x.repeat(1, 1), lambda x: x.rot90(4),
    lambda x: x.tile((1,)), lambda x: x.repeat_interleave(1, dim=0),
])
def test_ops_that_copy_in_pytorch_copy(op):
    x = cr.zeros(2, 2)
    out = op(x)
    out += 1
    assert x.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_view_dtype_reads_the_same_memory_without_a_gradient():
    x, xt = _pair([[1.0, -2.0]])
    out, expected = x.view(cr.int32), xt.view(torch.int32)
    assert not out.requires_grad and not expected.requires_grad
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert out.shape == (1, 4)
    with pytest.raises(RuntimeError, match="divisible"):
        cr.zeros(1, 3).view(cr.float64)
    with pytest.raises(RuntimeError, match="0-d"):
        cr.tensor(1.0).view(cr.float64)


def test_expand_refuses_minus_one_in_a_new_leading_dim():
    with pytest.raises(RuntimeError, match="-1 is not allowed in a new leading dim"):
        cr.zeros(3).expand(-1, 3)
    with pytest.raises(RuntimeError, match="does not match"):
        cr.zeros(3).expand(2, 4)
    assert cr.zeros(3, 1).expand(2, -1, 4).shape == (2, 3, 4)


def test_split_sizes_may_be_0d_tensors_but_not_a_vector_tensor():
    pieces = cr.arange(5).split([cr.tensor(2), cr.tensor(3)])
    assert [p.tolist() for p in pieces] == [[0, 1], [2, 3, 4]]
    assert len(cr.arange(5).split(cr.tensor(2))) == 3
    with pytest.raises(TypeError, match="not a tensor"):
        cr.arange(5).split(cr.tensor([2, 3]))


def test_nonzero_forms():
    x = cr.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]]
    rows, cols = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert cr.tensor(3.0).nonzero().shape == (1, 0)
    assert [t.tolist() for t in cr.tensor(3.0).nonzero(as_tuple=True)] == [[0]]
    assert cr.argwhere(x).dtype == np.int64


def test_new_tensors_take_this_tensors_dtype_and_refuse_other_devices():
    x = cr.zeros(2, dtype=cr.float64)
    assert x.new_zeros(2, 3).dtype == np.float64
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert cr.zeros(2, dtype=cr.int64).new_full((2,), 3.7).tolist() == [3, 3]
    assert x.new_ones(2, requires_grad=True).requires_grad
    assert x.new_tensor([1, 2]).dtype == np.float64
    assert x.new_empty((2, 2), device="cpu").shape == (2, 2)
    with pytest.raises(RuntimeError, match="CPU"):
        x.new_zeros(2, device="cuda")


def test_repeat_interleave_with_counts_only():
    assert cr.repeat_interleave(cr.tensor([1, 0, 2])).tolist() == [0, 2, 2]
    with pytest.raises(RuntimeError, match="output_size"):
        cr.arange(3).repeat_interleave(2, output_size=5)
    with pytest.raises(RuntimeError, match="non-negative"):
        cr.arange(3).repeat_interleave(-1)


def test_memory_formats_are_accepted():
    x = cr.zeros(1, 2, 2, 2)
    assert x.clone(memory_format=cr.channels_last).shape == x.shape
    assert x.contiguous() is x
    assert repr(cr.preserve_format) == "chainrule.preserve_format"
    with pytest.raises(TypeError, match="memory_format"):
        x.clone(memory_format="channels_last")


# the family's names: a method and a function wherever PyTorch has both
NAMES = [
    "flip", "fliplr", "flipud", "roll", "rot90", "repeat", "repeat_interleave", "tile", "tril",
    "triu", "diag", "diag_embed", "diagonal", "trace", "masked_fill", "masked_fill_",
    "masked_select", "masked_scatter", "masked_scatter_", "scatter", "scatter_", "scatter_add",
    "scatter_add_", "scatter_reduce", "scatter_reduce_", "index_select", "index_add",
    "index_add_", "index_copy", "index_copy_", "index_fill", "index_fill_", "index_put",
    "index_put_", "take", "take_along_dim", "nonzero", "argwhere", "narrow", "unbind",
    "unflatten", "movedim", "moveaxis", "swapaxes", "swapdims", "contiguous", "new_zeros",
    "new_ones", "new_full", "new_empty", "new_tensor", "clone", "unfold", "view", "squeeze",
    "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d", "atleast_2d",
    "atleast_3d", "split", "tensor_split", "hsplit", "vsplit", "dsplit", "select", "expand",
    "gather", "tril_", "triu_", "index_reduce", "index_reduce_", "put", "put_", "select_scatter",
    "slice_scatter", "diagonal_scatter", "narrow_copy",
]


@pytest.mark.parametrize("name", NAMES)
def test_names_exist_where_pytorch_has_them(name):
    assert hasattr(cr, name) == hasattr(torch, name), name
    assert hasattr(cr.Tensor, name) == hasattr(torch.Tensor, name), name


def test_sizes_and_dims_may_be_given_by_keyword_as_in_pytorch():
    x = cr.arange(6.0).reshape(2, 3)
    assert x.flip(dims=(0,)).tolist() == x.flip(0).tolist()
    assert x.repeat(repeats=(2, 1)).shape == (4, 3)
    assert x.tile(dims=(2,)).shape == (2, 6)
    assert x.permute(dims=(1, 0)).shape == (3, 2)
    assert x.expand(size=(2, 2, 3)).shape == (2, 2, 3)
    with pytest.raises(TypeError, match="not both"):
        x.flip(0, dims=(1,))
