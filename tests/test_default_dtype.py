"""set_default_dtype: every place that makes floats follows it, as PyTorch's does."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.data import default_collate

torch = pytest.importorskip("torch")


@pytest.fixture(params=["float64", "float32"])
def default(request):
    """Both libraries with the same default dtype for the test, restored afterwards."""
    ours, theirs = cr.get_default_dtype(), torch.get_default_dtype()
    cr.set_default_dtype(getattr(cr, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    yield request.param
    cr.set_default_dtype(ours)
    torch.set_default_dtype(theirs)


def name(dtype):
    return str(dtype).replace("torch.", "")


EXPRESSIONS = {
    "int * float": lambda m: m.tensor([1, 2, 3]) * 1.5,
    "float - int": lambda m: 1.5 - m.tensor([1, 2, 3]),
    "bool + float": lambda m: m.tensor([True, False]) + 0.25,
    "int / int": lambda m: m.tensor([1, 2, 3]) / m.tensor([3, 3, 3]),
    "int / 3": lambda m: m.tensor([1, 2, 3]) / 3,
    "int ** 0.5": lambda m: m.tensor([1, 2, 3]) ** 0.5,
    "2.0 ** int": lambda m: 2.0 ** m.tensor([1, 2, 3]),
    "sqrt(int)": lambda m: m.sqrt(m.tensor([1, 2, 3])),
    "exp(int)": lambda m: m.exp(m.tensor([1, 2, 3])),
    "sigmoid(int)": lambda m: m.sigmoid(m.tensor([1, 2, 3])),
    "erf(int)": lambda m: m.erf(m.tensor([1, 2, 3])),
    "atan2(int, int)": lambda m: m.atan2(m.tensor([1, 2, 3]), m.tensor([3, 2, 1])),
    "where(c, 1.5, 0.0)": lambda m: m.where(m.tensor([True, False]), 1.5, 0.0),
    "clamp(int, 0.5)": lambda m: m.clamp(m.tensor([0, 1, 2]), min=0.5, max=1.5),
    "lerp": lambda m: m.lerp(m.zeros(2), m.ones(2), 0.3),
    "zeros": lambda m: m.zeros(2),
    "rand": lambda m: m.rand(2) * 0,
    "arange(0, 1, 0.25)": lambda m: m.arange(0, 1, 0.25),
    "linspace": lambda m: m.linspace(0, 1, 5),
    "full(1.5)": lambda m: m.full((2,), 1.5),
    "tensor([1, 2.5])": lambda m: m.tensor([1, 2.5]),
    "eye": lambda m: m.eye(2),
    "int.float() * 1.5": lambda m: m.tensor([1, 2]).float() * 1.5,
}


@pytest.mark.parametrize("expr", sorted(EXPRESSIONS))
def test_ops_and_creation_follow_the_default_dtype(default, expr):
    ours, theirs = EXPRESSIONS[expr](cr), EXPRESSIONS[expr](torch)
    assert name(ours.dtype) == name(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if
                               default == "float32" else 1e-15)


LAYERS = {
    "Linear": lambda m: m.nn.Linear(3, 2),
    "Conv2d": lambda m: m.nn.Conv2d(2, 3, 3),
    "BatchNorm1d": lambda m: m.nn.BatchNorm1d(3),
    "LayerNorm": lambda m: m.nn.LayerNorm(3),
    "Embedding": lambda m: m.nn.Embedding(5, 2),
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_make_parameters_and_buffers_in_the_default_dtype(default, layer):
    ours, theirs = LAYERS[layer](cr), LAYERS[layer](torch)
    ours_dtypes = {k: name(v.dtype) for k, v in ours.state_dict().items()}
    theirs_dtypes = {k: name(v.dtype) for k, v in theirs.state_dict().items()}
    assert ours_dtypes == theirs_dtypes
    assert LAYERS[layer](cr).weight.dtype == cr.get_default_dtype()


def test_a_float64_model_trains_like_pytorch(default):
    model = nn.Linear(3, 2)
    reference = torch.nn.Linear(3, 2)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(model.weight.detach().numpy()))
        reference.bias.copy_(torch.from_numpy(model.bias.detach().numpy()))
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    ours = (model(cr.tensor(x.tolist())) ** 2).mean()
    theirs = (reference(torch.tensor(x.tolist())) ** 2).mean()
    ours.backward()
    theirs.backward()
    tol = 1e-12 if default == "float64" else 1e-5
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=tol)
    np.testing.assert_allclose(model.weight.grad.numpy(), reference.weight.grad.numpy(),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_init_draws_in_the_tensors_dtype(dtype):
    dt = getattr(cr, dtype)
    t = nn.init.uniform_(cr.empty(500, dtype=dt), -2.0, 3.0,
                         generator=cr.Generator().manual_seed(5))
    assert t.dtype == dt and float(t.min()) >= -2 and float(t.max()) < 3
    if dtype != "float16":  # the float32 draws themselves, no float64 temporary
        expected = np.random.default_rng(5).random(500, dtype=dt) * 5.0 - 2.0
        np.testing.assert_array_equal(t.numpy(), expected.astype(dt))
    w = nn.init.kaiming_normal_(cr.empty(200, 100, dtype=dt),
                                generator=cr.Generator().manual_seed(1))
    assert w.dtype == dt and abs(float(w.double().std()) - (2 / 100) ** 0.5) < 0.01
    again = nn.init.kaiming_normal_(cr.empty(200, 100, dtype=dt),
                                    generator=cr.Generator().manual_seed(1))
    assert bool((again == w).all())


def test_init_uses_the_global_generator_and_keeps_integer_tensors():
    cr.manual_seed(3)
    a = nn.init.normal_(cr.empty(10)).numpy().copy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(nn.init.normal_(cr.empty(10)).numpy(), a)
    t = nn.init.trunc_normal_(cr.empty(2000), std=2.0, a=-1.0, b=1.5,
                              generator=cr.Generator())
    assert float(t.min()) >= -1 and float(t.max()) <= 1.5 and t.dtype == cr.float32
    assert nn.init.uniform_(cr.zeros(3, dtype=cr.int64), 0, 5).dtype == cr.int64


def test_collate_and_repr_follow_the_default_dtype(default):
    from torch.utils.data import default_collate as torch_collate

    assert name(default_collate([1, 2.5]).dtype) == name(torch_collate([1, 2.5]).dtype)
    assert name(default_collate([1.5, 2]).dtype) == name(torch_collate([1.5, 2]).dtype)
    other = cr.float32 if default == "float64" else cr.float64
    assert "dtype" not in repr(cr.tensor([1.5]))
    assert f"dtype={other.name}" in repr(cr.tensor([1.5], dtype=other))


def _modules():
    import inspect

    return sorted(name for name in dir(nn) if inspect.isclass(getattr(nn, name))
                  and issubclass(getattr(nn, name), nn.Module) and name != "Module")


@pytest.mark.parametrize("layer", _modules())
def test_every_layer_follows_the_default_dtype(layer):
    """Each layer that can be built from a few sizes makes its floats in the default dtype."""
    cls = getattr(nn, layer)
    saved = cr.get_default_dtype()
    cr.set_default_dtype(cr.float64)
    try:
        module = None
        for args in [(), (4,), (4, 4), (4, 4, 3)]:
            try:
                module = cls(*args)
                break
            except Exception:  # noqa: BLE001 - these sizes do not fit this layer
                continue
        if module is None:
            pytest.skip(f"nn.{layer} is not built from plain sizes")
        floats = {key: value.dtype for key, value in
                  list(module.named_parameters()) + list(module.named_buffers())
                  if value.dtype.kind == "f"}
        assert all(dt == cr.float64 for dt in floats.values()), floats
    finally:
        cr.set_default_dtype(saved)
