"""Weights across libraries: chainrule.save / chainrule.load in the safetensors format.

A chainrule model saved to ``.safetensors`` loads into the same PyTorch module with
``safetensors.torch.load_file``, and a PyTorch state dict saved with
``safetensors.torch.save_file`` loads into chainrule; outputs are compared.
"""

import os
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")


def _models(lib, dtype):
    """The same small CNN in both libraries: conv, batch norm (buffers), linear."""
    model = lib.nn.Sequential(
        lib.nn.Conv2d(2, 4, kernel_size=3, padding=1),
        lib.nn.BatchNorm2d(4),
        lib.nn.ReLU(),
        lib.nn.Flatten(),
        lib.nn.Linear(4 * 5 * 5, 3),
    )
    return model.to(dtype) if lib is torch else _cast(model, dtype)


def _cast(model, dtype):
    if dtype == torch.float64:
        model = model.double()
    return model


def _train_a_little(model, x):
    """Training mode forward passes, so the batch-norm buffers hold something."""
    model.train()
    for _ in range(3):
        model(x)
    model.eval()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_chainrule_model_loads_into_torch(dtype, tmp_path):
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    x = np.random.default_rng(0).standard_normal((6, 2, 5, 5)).astype(np_dtype)
    mine = _models(cr, dtype)
    with cr.no_grad():
        _train_a_little(mine, cr.tensor(x))
    path = tmp_path / "model.safetensors"
    cr.save(mine.state_dict(), path)

    theirs = _models(torch, dtype)
    theirs.load_state_dict(st_torch.load_file(str(path)))  # strict: same keys, shapes
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    with cr.no_grad():
        got = mine(cr.tensor(x)).numpy()
    assert got.dtype == np_dtype
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    loaded = st_torch.load_file(str(path))
    assert loaded["1.num_batches_tracked"].dtype == torch.int64
    assert loaded["1.num_batches_tracked"].item() == 3


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_torch_state_dict_loads_into_chainrule(dtype, tmp_path):
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    x = np.random.default_rng(1).standard_normal((6, 2, 5, 5)).astype(np_dtype)
    torch.manual_seed(0)
    theirs = _models(torch, dtype)
    with torch.no_grad():
        _train_a_little(theirs, torch.tensor(x))
        expected = theirs(torch.tensor(x)).numpy()
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(theirs.state_dict(), str(path))

    state = cr.load(path)
    assert set(state) == set(theirs.state_dict())
    assert all(isinstance(v, cr.Tensor) for v in state.values())
    mine = _models(cr, dtype)
    mine.load_state_dict(state)
    mine.eval()
    with cr.no_grad():
        got = mine(cr.tensor(x)).numpy()
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_round_trip_keeps_dtypes_shapes_and_values(tmp_path):
    state = {
        "w": cr.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "h": np.linspace(0, 1, 5).astype(np.float16),
        "scalar": np.array(2.5),
        "steps": np.array([1, 2], np.int64),
        "mask": np.array([True, False]),
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],
    }
    path = tmp_path / "s.safetensors"
    cr.save(state, path)
    back = cr.load(path)
    assert set(back) == set(state)
    for key, value in state.items():
        want = value.numpy() if isinstance(value, cr.Tensor) else value
        got = back[key].numpy()
        assert got.dtype == want.dtype and got.shape == want.shape, key
        np.testing.assert_array_equal(got, want)
    back["w"].numpy()[0, 0] = 100.0  # loaded arrays are the caller's, writable


def test_npz_stays_the_default(tmp_path):
    path = tmp_path / "m.ckpt"
    cr.save({"w": cr.ones(2)}, path)
    with open(path, "rb") as f:
        assert f.read(2) == b"PK"  # a zip (.npz) archive


@pytest.mark.parametrize("value, message", [
    ({"w": cr.ones(2), "epoch": 3}, "'epoch' is a int; save nested or non-array state"),
    ({"model": {"w": cr.ones(2)}}, "'model' is a dict"),
    ({1: cr.ones(2)}, "names its arrays with strings, got the key 1"),
    ({"z": np.ones(2, np.complex64)}, "has no dtype complex64"),
    ({"o": np.array([None])}, "has no dtype object"),
])
def test_save_refuses_what_safetensors_cannot_hold(value, message, tmp_path):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(TypeError, match=message):
        cr.save(value, path)
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file left


def test_a_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "m.safetensors"
    cr.save({"w": cr.ones(2)}, path)
    with pytest.raises(TypeError):
        cr.save({"w": cr.zeros(2), "bad": "text"}, path)
    np.testing.assert_array_equal(cr.load(path)["w"].numpy(), [1.0, 1.0])
    assert os.listdir(tmp_path) == ["m.safetensors"]


@pytest.mark.parametrize("content, message", [
    (b"", "not an intact safetensors file"),
    (b"not a safetensors file at all", "not an intact safetensors file"),
    (None, "not an intact safetensors file"),  # a real file, truncated
])
def test_load_refuses_a_bad_file_in_one_line(content, message, tmp_path):
    path = tmp_path / "bad.safetensors"
    if content is None:
        cr.save({"w": cr.ones(100)}, path)
        content = path.read_bytes()[:-17]
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        cr.load(path)
    assert "\n" not in str(info.value) and "bad.safetensors" in str(info.value)


def test_load_names_a_dtype_numpy_lacks(tmp_path):
    path = tmp_path / "bf16.safetensors"
    st_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(ValueError, match="dtype BF16, which NumPy has no type for"):
        cr.load(path)


def test_load_missing_file_folder_and_max_bytes(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        cr.load(tmp_path / "none.safetensors")
    (tmp_path / "dir.safetensors").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        cr.load(tmp_path / "dir.safetensors")
    path = tmp_path / "big.safetensors"
    cr.save({"w": cr.zeros(1000)}, path)
    with pytest.raises(ValueError, match="max_bytes=100 bytes"):
        cr.load(path, max_bytes=100)


def test_a_wrong_key_set_is_a_clear_error(tmp_path):
    path = tmp_path / "other.safetensors"
    st_torch.save_file(torch.nn.Linear(3, 2).state_dict(), str(path))
    model = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.weight"'):
        model.load_state_dict(cr.load(path))


def test_without_the_package_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match='pip install "chainrule\\[safetensors\\]"'):
        cr.save({"w": cr.ones(2)}, tmp_path / "m.safetensors")
    with pytest.raises(ImportError, match='pip install "chainrule\\[safetensors\\]"'):
        cr.load(tmp_path / "m.safetensors")
