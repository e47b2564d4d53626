"""DataLoader: batches from a dataset, optionally shuffled with a seeded generator.

>>> import chainrule as cr
>>> from chainrule.data import DataLoader, TensorDataset
>>> ds = TensorDataset(cr.arange(10).reshape(5, 2), cr.tensor([0, 1, 2, 3, 4]))
>>> for x, y in DataLoader(ds, batch_size=2):
...     print(tuple(x.shape), y)
(2, 2) tensor([0, 1])
(2, 2) tensor([2, 3])
(1, 2) tensor([4])
>>> [y.tolist() for _, y in DataLoader(ds, batch_size=5, shuffle=True, generator=0)]
[[2, 4, 3, 0, 1]]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..creation import default_generator
from ..tensor import Tensor
from .dataset import Subset, TensorDataset

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, field by field, as PyTorch's does.

    Tensors and arrays are stacked along a new first dimension (they must share a
    shape); Python numbers become one Tensor with the type that holds them all, as
    PyTorch infers it: bools stay bool, ints (and bools) int64, floats float64 when the
    first sample is a float, float32 when it is an int (``[1, 2.7, 3]``: PyTorch's
    default dtype), complex when any is complex; tuples, lists and dicts are collated
    entry by entry. A mismatch names the samples (their places in the batch) and the
    field.

    >>> import chainrule as cr
    >>> x, y = default_collate([(cr.tensor([1.0, 2.0]), 0), (cr.tensor([3.0, 4.0]), 1)])
    >>> x.shape, y
    ((2, 2), tensor([0, 1]))
    >>> default_collate([1, 2.7, 3]), default_collate([True, 2])
    (tensor([1. , 2.7, 3. ]), tensor([1, 2]))
    """
    return _collate(batch, [f"sample {i}" for i in range(len(batch))], "")


def _collate(batch: list, names: list[str], field: str) -> Any:
    """default_collate, naming sample ``i`` as ``names[i]`` and the field as ``field``."""
    if not batch:
        raise ValueError("default_collate: got an empty batch")
    where = f" in field {field}" if field else ""
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray)):
        for i, x in enumerate(batch):
            if not isinstance(x, (Tensor, np.ndarray)):
                raise TypeError(f"default_collate: {names[i]} is a {type(x).__name__}{where}, "
                                f"{names[0]} an array; every sample needs the same kind of "
                                "value")
        arrays = [np.asarray(x._array if isinstance(x, Tensor) else x) for x in batch]
        for i, a in enumerate(arrays):
            if a.shape != arrays[0].shape:
                raise ValueError(f"default_collate: {names[i]} has shape {a.shape}{where}, "
                                 f"{names[0]} has {arrays[0].shape}; samples of one batch "
                                 "need the same shape (pad them, or give the DataLoader a "
                                 "collate_fn)")
        return Tensor(np.stack(arrays))
    if isinstance(elem, numbers.Number) and not isinstance(elem, np.generic):
        return Tensor(_python_numbers(batch, names, where))
    if isinstance(elem, np.generic):
        return Tensor(np.array(batch))
    if isinstance(elem, dict):
        for i, sample in enumerate(batch):
            if not isinstance(sample, dict) or set(sample) != set(elem):
                keys = sorted(map(str, sample)) if isinstance(sample, dict) else None
                raise ValueError(f"default_collate: {names[i]} has keys {keys}{where}, "
                                 f"{names[0]} has {sorted(map(str, elem))}; every sample "
                                 "needs the same keys")
        return {key: _collate([sample[key] for sample in batch], names, _join(field, key))
                for key in elem}
    if isinstance(elem, (tuple, list)):
        for i, sample in enumerate(batch):
            if not isinstance(sample, (tuple, list)) or len(sample) != len(elem):
                raise ValueError(f"default_collate: {names[i]} has "
                                 f"{_count_fields(sample)}{where}, {names[0]} has "
                                 f"{len(elem)}; every sample in a batch needs the same "
                                 "number of fields")
        fields = [_collate(list(column), names, _join(field, j))
                  for j, column in enumerate(zip(*batch))]
        return fields if isinstance(elem, list) else tuple(fields)
    raise TypeError(f"default_collate: can't batch samples of type {type(elem).__name__}"
                    f"{where}; give the DataLoader a collate_fn")


def _join(field: str, key: Any) -> str:
    return f"{field}.{key}" if field else str(key)


def _count_fields(sample: Any) -> str:
    if isinstance(sample, (tuple, list)):
        return f"{len(sample)} fields"
    return f"a {type(sample).__name__} instead of fields"


def _python_numbers(batch: list, names: list[str], where: str) -> np.ndarray:
    """Python numbers as one array of the type that holds them all (PyTorch's inference)."""
    for i, x in enumerate(batch):
        if not isinstance(x, numbers.Number) or isinstance(x, np.generic):
            raise TypeError(f"default_collate: {names[i]} is a {type(x).__name__}{where}, "
                            f"{names[0]} a number; every sample needs the same kind of value")
    dtype: Any
    if any(isinstance(x, complex) for x in batch):
        dtype = np.complex128 if isinstance(batch[0], float) else np.complex64
    elif isinstance(batch[0], bool) and all(isinstance(x, bool) for x in batch):
        dtype = np.bool_
    elif all(isinstance(x, numbers.Integral) for x in batch):
        dtype = np.int64
    else:  # PyTorch: float64 when the first is a float, its default float32 otherwise
        dtype = np.float64 if isinstance(batch[0], float) else np.float32
    try:
        return np.array(batch, dtype=dtype)
    except OverflowError:
        raise ValueError(f"default_collate: an integer{where} does not fit in int64") from None


def _as_generator(generator: Any) -> np.random.Generator | None:
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"DataLoader: generator must be a numpy Generator, an int seed or None, "
                    f"got {type(generator).__name__}")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch (default 1).
        shuffle: draw a new order every epoch (default False).
        generator: where shuffled orders come from: a ``numpy.random.Generator`` (used as
            is, so its state carries on across epochs) or an int seed for a fresh one.
            Default: chainrule's global generator, which :func:`chainrule.manual_seed` seeds.
        drop_last: skip the last batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default :func:`default_collate`).

    A :class:`TensorDataset` (or a :class:`Subset` of one) is batched by indexing its
    tensors with the whole batch at once, without going sample by sample.
    """

    dataset: Any
    batch_size: int
    shuffle: bool
    generator: np.random.Generator | None
    drop_last: bool
    collate_fn: Callable[[list], Any] | None

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 generator: Any = None, drop_last: bool = False,
                 collate_fn: Callable[[list], Any] | None = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got "
                             f"{batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.generator = _as_generator(generator)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else default_generator()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            yield self._batch(order[start:start + self.batch_size])

    def _batch(self, indices: np.ndarray) -> Any:
        if self.collate_fn is None:
            tensors = _tensors_behind(self.dataset, indices)
            if tensors is not None:
                return tensors
        samples = [self.dataset[int(i)] for i in indices]
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        return _collate(samples, [f"dataset[{int(i)}]" for i in indices], "")


def _tensors_behind(dataset: Any, indices: np.ndarray) -> tuple | None:
    """A batch of a TensorDataset (possibly through Subsets) by fancy indexing, else None."""
    while isinstance(dataset, Subset):
        indices = np.asarray(dataset.indices)[indices]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return tuple(Tensor(t._array[indices]) for t in dataset.tensors)
    return None
