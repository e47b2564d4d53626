"""dtypes as PyTorch has them: names, the default dtype, inference from data, finfo/iinfo,
promote_types / result_type / can_cast, and the Tensor's dtype methods (to, type, casts)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import chainrule as cr

NAMES = ["float16", "float32", "float64", "half", "float", "double", "uint8", "int8", "int16",
         "short", "int32", "int", "int64", "long", "bool", "complex64", "complex128", "cfloat",
         "cdouble"]
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]


def _name(torch_dtype) -> str:
    return str(torch_dtype).replace("torch.", "")


@pytest.mark.parametrize("name", NAMES)
def test_every_dtype_name_is_pytorchs(name):
    ours, theirs = getattr(cr, name), getattr(torch, name)
    assert isinstance(ours, cr.dtype)
    assert ours.name == _name(theirs)
    assert ours.itemsize == theirs.itemsize
    assert cr.zeros(2, dtype=ours).dtype is ours  # t.dtype is chainrule.float32, as in torch


def test_bfloat16_and_complex32_exist_and_refuse_one_line():
    config = {"float32": cr.float32, "bfloat16": cr.bfloat16, "float16": cr.float16}
    assert repr(config["bfloat16"]) == "chainrule.bfloat16"
    for make in (lambda: cr.zeros(2, dtype=cr.bfloat16), lambda: cr.ones(2).to(cr.bfloat16),
                 lambda: cr.ones(2).bfloat16(), lambda: cr.tensor([1.0], dtype=cr.chalf),
                 lambda: cr.BFloat16Tensor([1.0])):
        with pytest.raises(TypeError, match="not available: NumPy has no") as err:
            make()
        assert "\n" not in str(err.value)
    assert cr.finfo(cr.bfloat16).eps == torch.finfo(torch.bfloat16).eps
    assert cr.finfo(cr.bfloat16).max == torch.finfo(torch.bfloat16).max


def test_a_non_dtype_says_so_in_one_line():
    with pytest.raises(TypeError, match="'cpu' is not a dtype"):
        cr.zeros(2, dtype="cpu")
    with pytest.raises(TypeError, match="not supported"):
        cr.zeros(2, dtype=object)


# ---------------------------------------------------------------------------
# Inference from data and the default dtype
# ---------------------------------------------------------------------------

DATA = [
    1.5, [1.0, 2.0], [1, 2], True, [True, False], [2, 1 + 2j], 1 + 2j, [], [1, 2.5],
    np.float64(1.5), [np.float64(1.5)], [np.float32(1.5), 2.0], [np.int32(1)],
    np.zeros(2, np.float64), np.zeros(2, np.float16), [[1, 2], [3, 4]], (1.0, 2),
]


@pytest.mark.parametrize("data", DATA, ids=[repr(d) for d in DATA])
def test_tensor_infers_pytorchs_dtype(data):
    assert cr.tensor(data).dtype.name == _name(torch.tensor(data).dtype)


@pytest.mark.parametrize("default", ["float64", "float16", "float32"])
def test_default_dtype_sets_python_floats_and_creation(default):
    try:
        cr.set_default_dtype(getattr(cr, default))
        torch.set_default_dtype(getattr(torch, default))
        assert cr.get_default_dtype() == getattr(cr, default)
        for make in (lambda m: m.tensor([1.5]), lambda m: m.zeros(2), lambda m: m.ones(1),
                     lambda m: m.empty(2),
                     lambda m: m.full((2,), 1.5), lambda m: m.arange(0, 1, 0.5),
                     lambda m: m.rand(2), lambda m: m.randn(2), lambda m: m.linspace(0, 1, 3),
                     lambda m: m.eye(2), lambda m: m.tensor([1]).float(),
                     lambda m: m.FloatTensor([1]), lambda m: m.normal(0.0, 1.0, (2,))):
            assert make(cr).dtype.name == _name(make(torch).dtype)
        # float16's complex twin, complex32, is not in NumPy: complex64 stands in
        want = "complex64" if default == "float16" else _name(torch.tensor(1 + 2j).dtype)
        assert cr.tensor(1 + 2j).dtype.name == want
        assert cr.finfo().dtype == default
    finally:
        cr.set_default_dtype(cr.float32)
        torch.set_default_dtype(torch.float32)


def test_set_default_dtype_refuses_integers():
    with pytest.raises(TypeError, match="only floating-point types"):
        cr.set_default_dtype(cr.int64)
    assert cr.get_default_dtype() is cr.float32


# ---------------------------------------------------------------------------
# finfo, iinfo, promote_types, result_type, can_cast
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float16", "float32", "float64", "complex64", "complex128"])
def test_finfo_fields_and_repr_are_pytorchs(name):
    ours, theirs = cr.finfo(getattr(cr, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_fields_and_repr_are_pytorchs(name):
    ours, theirs = cr.iinfo(getattr(cr, name)), torch.iinfo(getattr(torch, name))
    for field in ("bits", "min", "max", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


def test_finfo_and_iinfo_refuse_the_other_kind():
    with pytest.raises(TypeError, match="use chainrule.iinfo"):
        cr.finfo(cr.int32)
    with pytest.raises(TypeError, match="use chainrule.finfo"):
        cr.iinfo(cr.float32)
    with pytest.raises(TypeError, match="not a tensor"):
        cr.finfo(cr.zeros(2))


def test_promote_types_and_can_cast_are_pytorchs_for_every_pair():
    wrong = []
    for a, b in itertools.product(DTYPES, repeat=2):
        ours = cr.promote_types(getattr(cr, a), getattr(cr, b)).name
        theirs = _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
        can = cr.can_cast(getattr(cr, a), getattr(cr, b))
        if ours != theirs or can != torch.can_cast(getattr(torch, a), getattr(torch, b)):
            wrong.append((a, b, ours, theirs, can))
    assert not wrong


OPERANDS = [  # (description, chainrule value, torch value)
    *[(f"{d}[2]", lambda m, d=d: m.zeros(2, dtype=getattr(m, d)))
      for d in ("bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64",
                "complex64")],
    *[(f"{d} 0-d", lambda m, d=d: m.zeros((), dtype=getattr(m, d)))
      for d in ("bool", "int32", "int64", "float16", "float64", "complex128")],
    ("True", lambda m: True), ("3", lambda m: 3), ("1000", lambda m: 1000), ("2.5", lambda m: 2.5),
    ("1j", lambda m: 1j),
]


def test_result_type_is_pytorchs_for_every_pair():
    wrong = []
    for (a, make_a), (b, make_b) in itertools.product(OPERANDS, repeat=2):
        ours = cr.result_type(make_a(cr), make_b(cr)).name
        theirs = _name(torch.result_type(make_a(torch), make_b(torch)))
        if ours != {"complex32": "complex64"}.get(theirs, theirs):  # NumPy has no complex32
            wrong.append((a, b, ours, theirs))
    assert not wrong


def test_is_floating_point_is_complex_is_tensor():
    assert cr.is_floating_point(cr.zeros(2)) and not cr.is_floating_point(cr.tensor([1]))
    assert cr.is_complex(cr.tensor([1j])) and not cr.is_complex(cr.zeros(1))
    with pytest.raises(TypeError, match="must be a Tensor, not float"):
        cr.is_floating_point(1.0)
    assert cr.is_tensor(cr.zeros(1)) and cr.is_tensor(cr.nn.Parameter(cr.zeros(1)))
    assert not cr.is_tensor([1]) and not cr.is_tensor(np.zeros(1))


# ---------------------------------------------------------------------------
# Tensor methods: to, type, the casts, dtype facts
# ---------------------------------------------------------------------------

X = [1.5, -2.5, 300.7]
TO_CALLS = {
    "dtype": lambda m, x, y: x.to(m.float64),
    "device": lambda m, x, y: x.to("cpu"),
    "device_object": lambda m, x, y: x.to(m.device("cpu")),
    "device_dtype": lambda m, x, y: x.to("cpu", m.int64),
    "keywords": lambda m, x, y: x.to(device="cpu", dtype=m.int32),
    "other": lambda m, x, y: x.to(y),
    "other_copy": lambda m, x, y: x.to(y, copy=True),
    "flags": lambda m, x, y: x.to(m.device("cpu"), m.float64, True, True),
    "dtype_flags": lambda m, x, y: x.to(m.float64, False, True),
    "non_blocking": lambda m, x, y: x.to(m.float16, non_blocking=True),
    "nothing": lambda m, x, y: x.to(),
    "device_keyword_dtype": lambda m, x, y: x.to("cpu", dtype=m.float64),
    "memory_format": lambda m, x, y: x.reshape(1, 3, 1, 1).to(memory_format=m.channels_last),
}


@pytest.mark.parametrize("call", sorted(TO_CALLS))
def test_to_takes_pytorchs_signatures(call):
    x, y = cr.tensor(X), cr.tensor([1, 2])
    tx, ty = torch.tensor(X), torch.tensor([1, 2])
    ours, theirs = TO_CALLS[call](cr, x, y), TO_CALLS[call](torch, tx, ty)
    assert ours.dtype.name == _name(theirs.dtype)
    assert (ours is x) == (theirs is tx)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("call", [
    lambda x: x.to("float64"), lambda x: x.to(1), lambda x: x.to(cr.float64, dtype=cr.float16),
    lambda x: x.to(cr.float64, colour=True), lambda x: x.to("cuda"), lambda x: x.to("cuda:0"),
    lambda x: x.to(memory_format=cr.channels_last), lambda x: x.to(x, dtype=cr.float64),
    lambda x: x.to(cr.float64, 3),
])
def test_to_refuses_what_pytorch_refuses_in_one_line(call):
    with pytest.raises((TypeError, RuntimeError)) as err:
        call(cr.tensor(X))
    assert "\n" not in str(err.value)


def test_to_copy_is_a_differentiable_copy_and_casts_keep_the_graph():
    x = cr.tensor(X, requires_grad=True)
    y = x.to(cr.float32, copy=True)
    assert y is not x and y.grad_fn is not None
    z = x.to(cr.float64)
    assert z.grad_fn is not None and z.dtype == cr.float64
    (y * 2 + z.to(x) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0, 5.0])
    assert x.grad.dtype == cr.float32


def test_integer_casts_leave_the_graph_and_complex_refuses_a_gradient():
    x = cr.tensor(X, requires_grad=True)
    assert not x.long().requires_grad and not x.to(cr.bool).requires_grad
    with pytest.raises(TypeError, match="does not differentiate complex"):
        x.to(cr.complex64)
    assert x.detach().cfloat().dtype == cr.complex64
    with cr.no_grad():
        assert x.cdouble().dtype == cr.complex128
    with pytest.raises(RuntimeError, match="floating-point"):
        cr.tensor([1 + 2j], requires_grad=True)


CASTS = ["float", "double", "half", "long", "int", "short", "char", "byte", "bool", "cfloat",
         "cdouble"]


@pytest.mark.parametrize("cast", CASTS)
def test_cast_shorthands_match_torch(cast):
    ours, theirs = getattr(cr.tensor(X), cast)(), getattr(torch.tensor(X), cast)()
    assert ours.dtype.name == _name(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", DTYPES)
def test_type_strings_and_dtype_facts_match_torch(name):
    ours = cr.zeros(3, dtype=getattr(cr, name))
    theirs = torch.zeros(3, dtype=getattr(torch, name))
    if name not in ("complex64", "complex128"):
        assert ours.type() == theirs.type()
    for fact in ("is_floating_point", "is_complex", "is_signed", "element_size"):
        assert getattr(ours, fact)() == getattr(theirs, fact)(), fact
    assert (ours.itemsize, ours.nbytes) == (theirs.itemsize, theirs.nbytes)


def test_type_takes_legacy_types_and_their_strings():
    x = cr.tensor(X)
    assert x.type(cr.LongTensor).dtype == cr.int64
    assert x.type("torch.DoubleTensor").dtype == cr.float64
    assert x.type("chainrule.IntTensor").dtype == cr.int32
    assert x.type(cr.float32) is x
    assert x.double().type() == "torch.DoubleTensor"
    assert isinstance(x, cr.FloatTensor) and not isinstance(x, cr.LongTensor)
    assert cr.LongTensor.dtype == cr.int64
