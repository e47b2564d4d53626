"""Creation functions against PyTorch: sizes, dtypes, values, out=, memory sharing, and the
legacy tensor types; their errors are one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr


def _same(ours, theirs):
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


DETERMINISTIC = {
    "zeros_ints": lambda m: m.zeros(2, 3),
    "zeros_tuple": lambda m: m.zeros((2, 3), dtype=m.int64),
    "zeros_list": lambda m: m.zeros([0, 2]),
    "zeros_scalar": lambda m: m.zeros(()),
    "zeros_size_keyword": lambda m: m.zeros(size=(2, 1)),
    "ones_size_keyword": lambda m: m.ones(size=[3], dtype=m.int32),
    "ones": lambda m: m.ones(3, dtype=m.float64),
    "full_int": lambda m: m.full((2,), 7),
    "full_float": lambda m: m.full((2, 2), 1.5),
    "full_bool": lambda m: m.full((2,), True),
    "full_complex": lambda m: m.full((2,), 1 + 1j),
    "full_dtype": lambda m: m.full([3], 2, dtype=m.float16),
    "full_tensor_value": lambda m: m.full((2,), m.tensor(2.5)),
    "eye": lambda m: m.eye(3),
    "eye_rect": lambda m: m.eye(2, 4, dtype=m.int32),
    "arange_int": lambda m: m.arange(5),
    "arange_float": lambda m: m.arange(0, 1, 0.1),
    "arange_negative": lambda m: m.arange(5, -3, -2),
    "arange_dtype": lambda m: m.arange(-2.5, 3, 2, dtype=m.int64),
    "arange_dtype_truncates": lambda m: m.arange(0.5, 5.7, 1.5, dtype=m.int64),
    "arange_float16": lambda m: m.arange(0, 10, 3, dtype=m.float16),
    "arange_tensors": lambda m: m.arange(m.tensor(1), m.tensor(4)),
    "zeros_like": lambda m: m.zeros_like(m.ones(2, dtype=m.int64)),
    "ones_like_dtype": lambda m: m.ones_like(m.ones(2, dtype=m.int64), dtype=m.float64),
    "full_like": lambda m: m.full_like(m.ones(2, 3), 4),
    "linspace": lambda m: m.linspace(0, 1, 5),
    "linspace_int": lambda m: m.linspace(-1, 10, 5, dtype=m.int64),
    "linspace_one": lambda m: m.linspace(0, 1, 1),
    "linspace_zero": lambda m: m.linspace(0, 1, 0),
    "linspace_tensors": lambda m: m.linspace(m.tensor(0.0), m.tensor(1.0), 3),
    "linspace_complex": lambda m: m.linspace(1 + 1j, 2, 3),
    "logspace": lambda m: m.logspace(0, 2, 3),
    "logspace_base": lambda m: m.logspace(0, 2, 3, base=2),
    "logspace_int": lambda m: m.logspace(0, 2, 3, dtype=m.int64),
    "tensor_nested": lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.float64),
    "legacy_long": lambda m: m.LongTensor([1.5, 2.7]),
    "legacy_float": lambda m: m.FloatTensor([1, 2]),
    "legacy_bool": lambda m: m.BoolTensor([1, 0]),
    "legacy_byte": lambda m: m.ByteTensor([1, 255]),
    "legacy_empty": lambda m: m.FloatTensor(),
    "legacy_numpy": lambda m: m.DoubleTensor(np.array([1, 2])),
}


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_creation_matches_torch(name):
    _same(DETERMINISTIC[name](cr), DETERMINISTIC[name](torch))


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.integers(0, 300),
       st.sampled_from(["float32", "float64"]))
def test_linspace_agrees_with_torch_to_one_rounding(start, end, steps, dtype):
    ours = cr.linspace(start, end, steps, dtype=getattr(cr, dtype))
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    assert ours.dtype.name == dtype and ours.shape == (steps,)
    # one fused multiply-add per element, as PyTorch's kernel; its vectorised loop rounds
    # a few elements once more (which ones depends on the CPU's vector width)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=eps,
                               atol=eps * max(abs(start), abs(end)))


def test_empty_and_legacy_sizes_give_shape_and_dtype():
    for ours, theirs in ((cr.empty(2, 3), torch.empty(2, 3)),
                         (cr.empty((2,), dtype=cr.int64), torch.empty((2,), dtype=torch.int64)),
                         (cr.empty_like(cr.ones(2, 2)), torch.empty_like(torch.ones(2, 2))),
                         (cr.FloatTensor(2, 3), torch.FloatTensor(2, 3)),
                         (cr.LongTensor(3), torch.LongTensor(3))):
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert cr.empty(2, requires_grad=True).requires_grad


BAD = {
    "negative size": (lambda: cr.zeros(2, -1), RuntimeError, "negative dimension -1"),
    "float size": (lambda: cr.rand(2.5), TypeError, "must be a tuple of ints"),
    "bool size": (lambda: cr.ones(True), TypeError, "must be a tuple of ints"),
    "int requires grad": (lambda: cr.zeros(2, dtype=cr.int64, requires_grad=True), RuntimeError,
                          "floating-point"),
    "arange step 0": (lambda: cr.arange(0, 1, 0), ValueError, "step must be nonzero"),
    "arange int step 0": (lambda: cr.arange(0, 2.5, 0.5, dtype=cr.int64), ValueError,
                          "step must be nonzero"),
    "arange wrong sign": (lambda: cr.arange(0, 5, -1), RuntimeError, "inconsistent"),
    "linspace no steps": (lambda: cr.linspace(0, 1), TypeError, "steps"),
    "linspace negative": (lambda: cr.linspace(0, 1, -1), RuntimeError, "non-negative"),
    "full list value": (lambda: cr.full((2,), [1, 2]), TypeError, "fill_value"),
    "ragged data": (lambda: cr.tensor([[1, 2], [3]]), ValueError, "can't make a tensor"),
    "string data": (lambda: cr.tensor(["a"]), TypeError, "can't make a tensor"),
    "from_numpy list": (lambda: cr.from_numpy([1.0]), TypeError, "expected np.ndarray"),
    "from_numpy str": (lambda: cr.from_numpy(np.array(["a"])), TypeError, "can't convert"),
    "legacy float": (lambda: cr.LongTensor(2.5), TypeError, "must be a sequence"),
    "legacy tensor dtype": (lambda: cr.LongTensor(cr.tensor([1.5])), TypeError, "expected a"),
    "meshgrid 2-d": (lambda: cr.meshgrid(cr.zeros(2, 2), indexing="ij"), RuntimeError, "1-d"),
    "meshgrid dtypes": (lambda: cr.meshgrid(cr.arange(2), cr.zeros(2), indexing="ij"),
                        RuntimeError, "same dtype"),
    "meshgrid indexing": (lambda: cr.meshgrid(cr.zeros(2), indexing="foo"), RuntimeError,
                          "indexing must be"),
    "meshgrid empty": (lambda: cr.meshgrid(indexing="ij"), RuntimeError, "non-empty"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_creation_calls_raise_one_line(name):
    call, error, words = BAD[name]
    with pytest.raises(error, match=words) as err:
        call()
    assert "\n" not in str(err.value)


def test_meshgrid_without_indexing_warns_and_uses_ij_as_torch():
    a, b = cr.arange(2), cr.arange(3)
    with pytest.warns(UserWarning, match="indexing"):
        grids = cr.meshgrid(a, b)
    for ours, theirs in zip(grids, torch.meshgrid(torch.arange(2), torch.arange(3),
                                                  indexing="ij")):
        _same(ours, theirs)


# ---------------------------------------------------------------------------
# out=
# ---------------------------------------------------------------------------

def test_out_writes_into_the_tensor_and_resizes_it_as_torch():
    out = cr.empty(0)
    assert cr.zeros(2, 3, out=out) is out and out.shape == (2, 3)
    same = cr.ones(2, 3)
    view = same[0]
    cr.full((2, 3), 4.0, out=same)
    assert view.tolist() == [4.0, 4.0, 4.0]  # same shape: written in place
    ints = cr.empty(0, dtype=cr.int64)
    assert cr.zeros(2, out=ints).dtype == cr.int64
    assert cr.arange(3, out=cr.empty(0)).tolist() == [0.0, 1.0, 2.0]
    cr.linspace(0, 1, 3, out=out)
    assert out.tolist() == [0.0, 0.5, 1.0]
    version = out._version
    cr.rand(4, out=out)
    assert out.shape == (4,) and out._version > version
    cr.randn(2, out=out)
    cr.randint(3, (5,), out=ints)
    cr.randperm(4, out=ints)
    assert sorted(ints.tolist()) == [0, 1, 2, 3]
    cr.normal(0.0, 1.0, (3,), out=out)
    cr.normal(cr.zeros(2), 1.0, out=out)
    cr.bernoulli(cr.ones(3), out=out)
    cr.multinomial(cr.ones(3), 2, out=ints)
    assert out.tolist() == [1.0, 1.0, 1.0] and ints.shape == (2,)


def test_out_refuses_a_dtype_clash_and_a_tensor_that_requires_grad():
    with pytest.raises(RuntimeError, match="does not match dtype of out"):
        cr.zeros(2, dtype=cr.float64, out=cr.empty(0))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        cr.zeros(2, out=cr.zeros(2, requires_grad=True))
    with pytest.raises(TypeError, match="must be a Tensor"):
        cr.zeros(2, out=np.zeros(2))
    with cr.no_grad():
        leaf = cr.zeros(2, requires_grad=True)
        cr.ones(2, out=leaf)
    assert leaf.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------
# Sharing memory: from_numpy, as_tensor, asarray
# ---------------------------------------------------------------------------

def test_from_numpy_and_as_tensor_share_memory_as_torch():
    a = np.zeros(3)
    t = cr.from_numpy(a)
    a[0] = 5.0
    t[1] = 7.0
    assert t.tolist() == [5.0, 7.0, 0.0] and a.tolist() == [5.0, 7.0, 0.0]
    shared = cr.as_tensor(a)
    shared[2] = 1.0
    assert a[2] == 1.0 and shared.dtype == cr.float64
    copied = cr.as_tensor(a, dtype=cr.float32)
    copied[0] = -1.0
    assert a[0] == 5.0
    x = cr.zeros(2, requires_grad=True)
    assert cr.as_tensor(x) is x and cr.as_tensor(x, dtype=cr.float32) is x
    assert cr.as_tensor(x, dtype=cr.float64).grad_fn is not None
    assert cr.as_tensor([1.0, 2.0]).dtype == cr.float32
    assert cr.as_tensor(np.float64(1.0)).dtype == cr.float64
    assert cr.from_numpy(np.arange(3, dtype=np.int16)).dtype == cr.int16


def test_asarray_shares_or_copies_as_asked():
    a = np.arange(3.0)
    assert np.shares_memory(cr.asarray(a).numpy(), a)
    assert not np.shares_memory(cr.asarray(a, copy=True).numpy(), a)
    assert cr.asarray(a, dtype=cr.float32).dtype == cr.float32
    with pytest.raises(ValueError, match="without a copy"):
        cr.asarray(a, dtype=cr.float32, copy=False)
    with pytest.raises(ValueError, match="can't be shared"):
        cr.asarray([1.0], copy=False)
    t = cr.ones(2)
    assert cr.asarray(t) is t
    assert cr.asarray([1.0], requires_grad=True).requires_grad


def test_tensor_copies_and_takes_pin_memory():
    a = np.zeros(2)
    t = cr.tensor(a, pin_memory=True)
    a[0] = 1.0
    assert t.tolist() == [0.0, 0.0]


def test_legacy_types_share_a_tensor_of_their_dtype():
    x = cr.tensor([1, 2])
    assert cr.LongTensor(x) is x
    assert cr.IntTensor([1]).dtype == cr.int32 and cr.ShortTensor([1]).dtype == cr.int16
    assert cr.CharTensor([1]).dtype == cr.int8 and cr.HalfTensor([1]).dtype == cr.float16
