"""Samplers, DataLoader arguments, collation and the dataset combinators against PyTorch.

Random draws come from NumPy, so random index sequences differ from PyTorch's for the
same seed: random samplers are checked for what they mean (permutations, ranges,
weights, reproducibility), everything deterministic for equality with PyTorch.
"""

import collections
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

torch = pytest.importorskip("torch")
tud = pytest.importorskip("torch.utils.data")


def plain(x):
    """Batches of either library as nested Python values (tensors become (dtype, list))."""
    if isinstance(x, cr.Tensor):
        return (x.dtype.name.replace("bool_", "bool"), x.tolist())
    if isinstance(x, torch.Tensor):
        return (str(x.dtype).replace("torch.", ""), x.tolist())
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(plain(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(plain(v) for v in x)
    return x


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return type(e), str(e)
    return None


def g(seed=0):
    return cr.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True),
                                                      (9, 3, True), (2, 5, False),
                                                      (2, 5, True), (0, 2, False)])
def test_sequential_and_batch_sampler_equal_pytorch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)
    assert list(SequentialSampler(range(n))) == list(tud.SequentialSampler(range(n)))


@pytest.mark.parametrize("num_samples", [None, 3, 7, 16])
def test_random_sampler_without_replacement_is_permutations(num_samples):
    n = 7
    ours = RandomSampler(range(n), num_samples=num_samples, generator=g())
    theirs = tud.RandomSampler(range(n), num_samples=num_samples)
    order = list(ours)
    assert len(ours) == len(theirs) == len(order) == len(list(theirs))
    for start in range(0, len(order), n):  # each full pass a permutation, a part distinct
        chunk = order[start:start + n]
        assert len(set(chunk)) == len(chunk) and set(chunk) <= set(range(n))
    assert all(isinstance(i, int) for i in order)


def test_random_sampler_with_replacement_and_reproducibility():
    ours = RandomSampler(range(5), replacement=True, num_samples=200, generator=g(1))
    drawn = list(ours)
    assert len(drawn) == len(ours) == 200 and set(drawn) == set(range(5))
    assert list(RandomSampler(range(5), replacement=True, num_samples=200,
                              generator=g(1))) == drawn
    sampler = RandomSampler(range(50), generator=g(2))
    assert list(sampler) != list(sampler)  # the generator's state carries on
    cr.manual_seed(4)
    first = list(RandomSampler(range(50)))
    cr.manual_seed(4)
    assert list(RandomSampler(range(50))) == first  # the global generator by default


@pytest.mark.parametrize("kwargs", [dict(replacement=1), dict(num_samples=0),
                                    dict(num_samples=-2), dict(num_samples=1.5)])
def test_random_sampler_errors_equal_pytorch(kwargs):
    assert error_of(lambda: RandomSampler(range(3), **kwargs)) == \
        error_of(lambda: tud.RandomSampler(range(3), **kwargs))


def test_subset_random_sampler():
    indices = [9, 4, 7, 1]
    order = list(SubsetRandomSampler(indices, generator=g()))
    assert sorted(order) == sorted(indices) and len(SubsetRandomSampler(indices)) == 4
    assert sorted(tud.SubsetRandomSampler(indices)) == sorted(order)


def test_weighted_random_sampler():
    weights = [0.0, 2.0, 0.0, 1.0, 1.0]
    drawn = list(WeightedRandomSampler(weights, 400, generator=g()))
    assert set(drawn) == {1, 3, 4}
    counts = np.bincount(drawn, minlength=5) / 400
    assert abs(counts[1] - 0.5) < 0.1
    once = list(WeightedRandomSampler(weights, 3, replacement=False, generator=g()))
    assert sorted(once) == [1, 3, 4]
    assert set(tud.WeightedRandomSampler(weights, 3, replacement=False)) == {1, 3, 4}
    assert WeightedRandomSampler(weights, 3).weights.dtype == cr.float64
    with pytest.raises(RuntimeError):
        list(WeightedRandomSampler(weights, 4, replacement=False, generator=g()))


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([[1.0, 2.0]], 2),
                                  ([1.0, 2.0], 2, "yes")])
def test_weighted_random_sampler_errors_equal_pytorch(args):
    assert error_of(lambda: WeightedRandomSampler(*args)) == \
        error_of(lambda: tud.WeightedRandomSampler(*args))


@pytest.mark.parametrize("args", [(range(3), 0, False), (range(3), 2, None),
                                  (range(3), True, False)])
def test_batch_sampler_errors_equal_pytorch(args):
    assert error_of(lambda: BatchSampler(*args)) == error_of(lambda: tud.BatchSampler(*args))


# ---------------------------------------------------------------------------
# DataLoader: batches and collation, against PyTorch's
# ---------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


class Samples(Dataset):
    """A map-style dataset whose samples are built by ``make(i, lib)``."""

    def __init__(self, make, lib, n=5):
        self.make, self.lib, self.n = make, lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.make(i, self.lib)


SAMPLES = {
    "tuple of tensor and int": lambda i, m: (m.tensor([i, i + 0.5]), i),
    "dict": lambda i, m: {"x": np.full(2, i, np.float32), "y": float(i), "name": f"s{i}"},
    "named tuple": lambda i, m: Point(np.int32(i), [i, True]),
    "list": lambda i, m: [i, 2.5 * i, np.float64(i)],
    "numbers": lambda i, m: i * 0.25,
    "nested": lambda i, m: {"a": (m.tensor([i]), {"b": i})},
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("batch_size, drop_last", [(2, False), (2, True), (5, False)])
def test_batches_equal_pytorch(kind, batch_size, drop_last):
    make = SAMPLES[kind]
    ours = DataLoader(Samples(make, cr), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(Samples(make, torch), batch_size=batch_size, drop_last=drop_last)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]
    assert len(ours) == len(theirs)


def test_tensor_dataset_batches_equal_pytorch():
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    y = np.arange(7)
    ours = DataLoader(Subset(TensorDataset(cr.tensor(x), cr.tensor(y)), [6, 0, 3, 2, 5]),
                      batch_size=2)
    theirs = tud.DataLoader(tud.Subset(tud.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                       [6, 0, 3, 2, 5]), batch_size=2)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]
    assert isinstance(next(iter(ours)), list)  # default_collate: a list, as PyTorch
    passing = iter(ours)
    assert len(passing) == 3 and iter(passing) is passing
    assert len(list(passing)) == 3 and next(passing, None) is None


def test_sampler_batch_sampler_and_no_batching_equal_pytorch():
    def both(**kwargs):
        ours = DataLoader(Samples(SAMPLES["dict"], cr), **kwargs)
        theirs = tud.DataLoader(Samples(SAMPLES["dict"], torch), **kwargs)
        assert len(ours) == len(theirs)
        return [plain(b) for b in ours], [plain(b) for b in theirs]

    for kwargs in (dict(sampler=[4, 0, 2], batch_size=2),
                   dict(batch_sampler=[[3, 1], [0], [4, 2, 2]]),
                   dict(batch_size=None),
                   dict(batch_size=None, sampler=[1, 3]),
                   dict(batch_size=3, sampler=SequentialSampler(range(5)), drop_last=True)):
        ours, theirs = both(**kwargs)
        assert ours == theirs, kwargs


def test_collate_fn_and_default_convert_equal_pytorch():
    sample = {"a": np.arange(3), "b": (np.float32(1.5), "s"), "c": [np.zeros(2, bool)]}
    assert plain(default_convert(sample)) == plain(tud.default_convert(sample))
    batch = [(np.array([1.0, 2.0]), {"k": 1}), (np.array([3.0, 4.0]), {"k": 2})]
    assert plain(default_collate(batch)) == plain(tud.default_collate(batch))
    ours = DataLoader(Samples(SAMPLES["list"], cr), batch_size=2, collate_fn=len)
    assert list(ours) == [2, 2, 1]
    with pytest.raises(TypeError, match="numpy arrays"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_collating_tensors_that_need_a_gradient_keeps_the_graph():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    batch.sum().backward()
    assert batch.shape == (2, 2) and w.grad.tolist() == [5.0, 5.0]


def test_shuffle_gives_a_permutation_per_pass_reproducibly():
    ds = TensorDataset(cr.arange(30))
    loader = DataLoader(ds, batch_size=7, shuffle=True, generator=g(3))
    passes = [np.concatenate([x.numpy() for (x,) in loader]) for _ in range(2)]
    for order in passes:
        np.testing.assert_array_equal(np.sort(order), np.arange(30))
    assert not np.array_equal(passes[0], passes[1])
    again = DataLoader(ds, batch_size=7, shuffle=True, generator=g(3))
    np.testing.assert_array_equal(np.concatenate([x.numpy() for (x,) in again]), passes[0])
    assert isinstance(loader.sampler, RandomSampler) and loader.sampler.generator is \
        loader.generator


def test_worker_arguments_run_in_process():
    seen = []
    ds = Samples(lambda i, m: (i, get_worker_info()), cr, n=4)
    loader = DataLoader(ds, batch_size=2, num_workers=3, pin_memory=True, timeout=5,
                        worker_init_fn=lambda worker: seen.append(worker), prefetch_factor=4,
                        persistent_workers=True, generator=g(), collate_fn=list)
    for _ in range(2):
        batches = list(loader)
        assert [[i for i, _ in batch] for batch in batches] == [[0, 1], [2, 3]]
        for batch in batches:
            info = batch[0][1]
            assert info.id == 0 and info.num_workers == 1 and info.dataset is ds
    assert seen == [0]  # persistent workers start once
    assert get_worker_info() is None
    with pytest.raises(RuntimeError, match="Cannot assign"):
        info.id = 1
    assert [s for _, s in next(iter(DataLoader(ds, batch_size=4, collate_fn=list)))] == \
        [None] * 4
    seen.clear()
    loader = DataLoader(ds, batch_size=4, num_workers=1, worker_init_fn=seen.append,
                        collate_fn=list)
    list(loader), list(loader)
    assert seen == [0, 0] and loader.prefetch_factor == 2


# ---------------------------------------------------------------------------
# DataLoader: argument errors, worded as PyTorch's
# ---------------------------------------------------------------------------

class Stream(IterableDataset):
    def __init__(self, n, lib):
        self.n, self.lib = n, lib

    def __iter__(self):
        return iter([(i, self.lib.tensor([i, -i])) for i in range(self.n)])


class SizedStream(Stream):
    def __len__(self):
        return self.n


class TorchStream(tud.IterableDataset):
    def __init__(self, n, sized=False):
        self.n, self.sized = n, sized

    def __iter__(self):
        return iter([(i, torch.tensor([i, -i])) for i in range(self.n)])

    def __len__(self):
        if not self.sized:
            raise TypeError("object of type 'TorchStream' has no len()")
        return self.n


@pytest.mark.parametrize("kwargs", [
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=2, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(batch_size=0),
    dict(batch_size=2.0),
    dict(batch_sampler=[[0]], batch_size=0),
    dict(drop_last=1),
])
def test_argument_errors_equal_pytorch(kwargs):
    ours = error_of(lambda: DataLoader(Samples(SAMPLES["numbers"], cr), **kwargs))
    theirs = error_of(lambda: tud.DataLoader(Samples(SAMPLES["numbers"], torch), **kwargs))
    assert ours is not None and ours == theirs


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]),
                                    dict(batch_sampler=[[0]])])
def test_iterable_dataset_argument_errors_equal_pytorch(kwargs):
    ours = error_of(lambda: DataLoader(Stream(3, cr), **kwargs))
    theirs = error_of(lambda: tud.DataLoader(TorchStream(3), **kwargs))
    assert ours is not None and ours[0] == theirs[0]
    assert ours[1].split(", but got")[0] == theirs[1].split(", but got")[0]


def test_attributes_are_fixed_after_init():
    loader = DataLoader(Samples(SAMPLES["numbers"], cr))
    for attr in ("batch_size", "sampler", "drop_last", "dataset"):
        fresh = tud.DataLoader(Samples(SAMPLES["numbers"], torch))
        theirs = error_of(lambda a=attr, f=fresh: setattr(f, a, 1))
        assert error_of(lambda a=attr: setattr(loader, a, 1)) == theirs
    loader.num_workers = 0  # others may change, as in PyTorch


@pytest.mark.parametrize("batch_size, drop_last", [(2, False), (2, True), (None, False),
                                                   (5, False)])
def test_iterable_dataset_batches_equal_pytorch(batch_size, drop_last):
    ours = DataLoader(SizedStream(5, cr), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(TorchStream(5, sized=True), batch_size=batch_size,
                            drop_last=drop_last)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]
    assert len(ours) == len(theirs)
    with pytest.raises(TypeError):
        len(DataLoader(Stream(5, cr), batch_size=2))
    chained = list(Stream(2, cr) + Stream(1, cr))
    assert plain(chained) == plain(list(TorchStream(2) + TorchStream(1)))
    assert isinstance(Stream(2, cr) + Stream(1, cr), ChainDataset)


# ---------------------------------------------------------------------------
# Datasets and random_split
# ---------------------------------------------------------------------------

def test_concat_and_stack_datasets_equal_pytorch():
    parts = [[1, 2], [3], [4, 5, 6]]
    ours, theirs = ConcatDataset(parts), tud.ConcatDataset(parts)
    assert [ours[i] for i in range(-6, 6)] == [theirs[i] for i in range(-6, 6)]
    assert ours.cumulative_sizes == theirs.cumulative_sizes and len(ours) == len(theirs)
    assert error_of(lambda: ours[-7]) == error_of(lambda: theirs[-7])
    assert error_of(lambda: ConcatDataset([])) == error_of(lambda: tud.ConcatDataset([]))
    assert StackDataset([1, 2], "ab")[1] == tud.StackDataset([1, 2], "ab")[1]
    assert StackDataset(x=[1, 2], y="ab")[0] == tud.StackDataset(x=[1, 2], y="ab")[0]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1, 2], "abc")
    ds = TensorDataset(cr.arange(3))
    assert isinstance(ds + ds, ConcatDataset) and len(ds + ds) == 6


@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]),
                                        (7, [0.1, 0.1, 0.8]), (30, [0.3, 0.3, 0.4]),
                                        (5, [5, 0])])
def test_random_split_sizes_equal_pytorch_and_cover_the_dataset(n, lengths):
    ours = random_split(range(n), lengths, generator=g())
    theirs = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    together = [i for part in ours for i in part]
    assert sorted(together) == list(range(n))
    again = random_split(range(n), lengths, generator=g())
    assert [list(p) for p in again] == [list(p) for p in ours]


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [-0.5, 1.5]])
def test_random_split_errors_equal_pytorch(lengths):
    ours = error_of(lambda: random_split(range(10), lengths))
    theirs = error_of(lambda: tud.random_split(range(10), lengths))
    assert ours[0] == theirs[0] and ours[1].startswith(theirs[1])


def test_random_split_uses_the_global_generator_by_default():
    cr.manual_seed(5)
    first = [list(p) for p in random_split(range(20), [10, 10])]
    cr.manual_seed(5)
    assert [list(p) for p in random_split(range(20), [10, 10])] == first


# ---------------------------------------------------------------------------
# torch.utils.data's path
# ---------------------------------------------------------------------------

def test_utils_data_is_the_data_package():
    import chainrule.utils.data
    from chainrule.utils.data import DataLoader as Loader
    from chainrule.utils.data import TensorDataset as TD
    from chainrule.utils.data.sampler import RandomSampler as RS

    import chainrule.data.sampler

    assert chainrule.utils.data is cr.data and cr.utils.data.DataLoader is Loader is DataLoader
    assert TD is TensorDataset and RS is RandomSampler
    assert chainrule.data.sampler.__spec__.name == "chainrule.data.sampler"


def test_utils_data_imports_in_a_fresh_process():
    code = ("import chainrule.utils.data.dataloader as d, chainrule as torch\n"
            "from chainrule.utils.data import DataLoader, Dataset, TensorDataset\n"
            "assert d is torch.data.dataloader and DataLoader is torch.utils.data.DataLoader\n"
            "assert not any('chainrule.utils.data' in repr(c) for c in (DataLoader, Dataset))\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
