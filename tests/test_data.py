"""Datasets, DataLoader and the bundled digits."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, load_digits


def _ds(n=10):
    return TensorDataset(cr.arange(2 * n).reshape(n, 2).float(), cr.arange(n))


# ---------------------------------------------------------------------------
# TensorDataset and Subset
# ---------------------------------------------------------------------------

def test_tensor_dataset_indexes_every_tensor():
    ds = _ds(4)
    assert len(ds) == 4
    x, y = ds[2]
    np.testing.assert_array_equal(x.data, [4.0, 5.0])
    assert y.item() == 2


def test_tensor_dataset_accepts_arrays_and_checks_sizes():
    ds = TensorDataset(np.zeros((3, 2), np.float32), np.arange(3))
    assert isinstance(ds.tensors[0], cr.Tensor)
    with pytest.raises(ValueError, match=r"same size of its first dimension.*\(3, 2\), \(4,\)"):
        TensorDataset(cr.zeros(3, 2), cr.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_subset():
    sub = Subset(_ds(5), [4, 1])
    assert len(sub) == 2
    assert sub[0][1].item() == 4
    (x, y), = list(DataLoader(sub, batch_size=2))
    np.testing.assert_array_equal(y.data, [4, 1])


# ---------------------------------------------------------------------------
# DataLoader
# ---------------------------------------------------------------------------

def test_batches_in_order_with_a_short_last_batch():
    batches = list(DataLoader(_ds(10), batch_size=4))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([y.data for _, y in batches]), np.arange(10))
    assert len(DataLoader(_ds(10), batch_size=4)) == 3
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64


def test_drop_last():
    loader = DataLoader(_ds(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(y) for _, y in loader] == [4, 4]
    assert len(DataLoader(_ds(3), batch_size=4, drop_last=True)) == 0
    assert list(DataLoader(_ds(3), batch_size=4, drop_last=True)) == []


def test_shuffle_is_a_permutation_that_changes_each_epoch():
    loader = DataLoader(_ds(50), batch_size=8, shuffle=True, generator=3)
    epochs = [np.concatenate([y.data for _, y in loader]) for _ in range(2)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(50))
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[0], np.arange(50))


def test_shuffle_same_seed_same_order():
    def order(generator):
        return np.concatenate([y.data for _, y in
                               DataLoader(_ds(30), batch_size=7, shuffle=True,
                                          generator=generator)])

    np.testing.assert_array_equal(order(5), order(5))
    np.testing.assert_array_equal(order(np.random.default_rng(5)), order(5))
    assert not np.array_equal(order(5), order(6))


def test_shuffle_default_uses_chainrule_global_generator():
    loader = DataLoader(_ds(30), batch_size=30, shuffle=True)
    cr.manual_seed(11)
    first = next(iter(loader))[1].numpy().copy()
    cr.manual_seed(11)
    again = next(iter(loader))[1].data
    np.testing.assert_array_equal(first, again)
    cr.manual_seed(12)
    assert not np.array_equal(first, next(iter(loader))[1].data)


def test_generator_state_carries_over_and_can_be_restored():
    rng = np.random.default_rng(0)
    loader = DataLoader(_ds(20), batch_size=20, shuffle=True, generator=rng)
    next(iter(loader))
    saved = rng.bit_generator.state
    second = next(iter(loader))[1].numpy().copy()
    rng.bit_generator.state = saved
    np.testing.assert_array_equal(next(iter(loader))[1].data, second)


class _Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(3, i, np.float32), "y": i, "w": float(i) / 2}


def test_generic_dataset_goes_through_default_collate():
    batch = next(iter(DataLoader(_Squares(), batch_size=4)))
    assert batch["x"].shape == (4, 3) and batch["x"].dtype == np.float32
    assert batch["y"].dtype == np.int64 and batch["y"].tolist() == [0, 1, 2, 3]
    assert batch["w"].dtype == np.float64  # Python floats collate to float64, as in PyTorch


def test_collate_fn_and_errors():
    loader = DataLoader(_ds(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2]
    with pytest.raises(TypeError, match="can't batch samples of type object"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(TypeError, match="generator must be"):
        DataLoader(_ds(), shuffle=True, generator="seed")
    with pytest.raises(TypeError):  # as PyTorch: the base class has no __len__
        len(Dataset())


# ---------------------------------------------------------------------------
# The bundled digits
# ---------------------------------------------------------------------------

def test_digits_shapes_dtypes_and_range():
    train, test = load_digits()
    assert (len(train), len(test)) == (1437, 360)
    for ds in (train, test):
        x, y = ds.tensors
        assert x.shape[1:] == (1, 8, 8) and x.dtype == np.float32
        assert y.dtype == np.int64
        assert x.data.min() == 0.0 and x.data.max() == 1.0
        assert set(np.unique(y.data)) == set(range(10))
    # pixel values are the counts 0..16, scaled by 1/16
    np.testing.assert_array_equal(np.unique(train.tensors[0].data * 16), np.arange(17))


def test_digits_split_is_stratified_disjoint_and_deterministic():
    train, test = load_digits(test_size=0.25, seed=4)
    xa, ya = train.tensors
    xb, yb = test.tensors
    assert len(test) == 450  # ceil(0.25 * 1797)
    total = np.bincount(ya.data, minlength=10) + np.bincount(yb.data, minlength=10)
    share = np.bincount(yb.data, minlength=10) / total
    assert np.all(np.abs(share - 0.25) < 0.01)
    # no image appears on both sides (rows are distinct as a whole data set, almost)
    rows_a = {r.tobytes() + bytes([c]) for r, c in zip(xa.numpy().reshape(len(xa), -1), ya.numpy())}
    rows_b = {r.tobytes() + bytes([c]) for r, c in zip(xb.numpy().reshape(len(xb), -1), yb.numpy())}
    assert len(rows_a) + len(rows_b) == len(rows_a | rows_b)
    again = load_digits(test_size=0.25, seed=4)[1].tensors[1].data
    np.testing.assert_array_equal(again, yb.data)
    other = load_digits(test_size=0.25, seed=5)[1].tensors[0].data
    assert not np.array_equal(other, xb.data)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, "0.2", True])
def test_digits_bad_test_size(bad):
    with pytest.raises(ValueError, match="test_size must be a fraction"):
        load_digits(test_size=bad)


def test_digits_file_is_package_data():
    from pathlib import Path

    import tomllib

    import chainrule.data

    here = Path(chainrule.data.__file__).parent
    assert (here / "digits.npz").is_file() and (here / "DIGITS_LICENSE.txt").is_file()
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.is_file():
        patterns = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
        assert "data/*.npz" in patterns["chainrule"] and "data/*.txt" in patterns["chainrule"]


@pytest.mark.parametrize("batch, values, dtype", [
    ([1, 2.7, 3], [1.0, 2.7, 3.0], np.float32),  # an int first: PyTorch's default float32
    ([2.5, 1], [2.5, 1.0], np.float64),
    ([True, 2], [1, 2], np.int64),
    ([1.0, True], [1.0, 1.0], np.float64),
    ([True, False], [True, False], np.bool_),
    ([1, 2], [1, 2], np.int64),
    ([2, 1 + 2j], [2, 1 + 2j], np.complex64),
])
def test_collate_python_numbers_promotes_as_pytorch(batch, values, dtype):
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    out = default_collate(batch)
    assert out.dtype == dtype and out.tolist() == pytest.approx(values)
    theirs = torch_collate(batch)
    assert str(theirs.dtype).replace("torch.", "") == np.dtype(dtype).name.replace("bool_",
                                                                                   "bool")
    np.testing.assert_allclose(theirs.numpy(), out.data, rtol=1e-6)


class _Ragged(Dataset):
    def __init__(self, sample):
        self.sample = sample

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return self.sample(i)


def test_collate_mismatches_name_the_samples_and_shapes():
    loader = DataLoader(_Ragged(lambda i: (cr.zeros(3 if i != 4 else 5), i)), batch_size=6)
    with pytest.raises(ValueError, match=r"dataset\[4\] has shape \(5,\) in field 0, "
                                         r"dataset\[0\] has \(3,\)"):
        next(iter(loader))
    loader = DataLoader(_Ragged(lambda i: {"a": i, ("b" if i < 3 else "c"): 1.0}),
                        batch_size=3, shuffle=True, generator=0)
    with pytest.raises(ValueError, match=r"dataset\[\d\] has keys \['a', '[bc]'\], "
                                         r"dataset\[\d\] has \['a', '[bc]'\]"):
        list(loader)
    with pytest.raises(ValueError, match=r"sample 1 has 1 fields, sample 0 has 2"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(ValueError, match=r"sample 1 has shape \(2,\) in field x\.0"):
        default_collate([{"x": (np.zeros(1),)}, {"x": (np.zeros(2),)}])
    with pytest.raises(TypeError, match="sample 1 is a str, sample 0 a number"):
        default_collate([1, "a"])
