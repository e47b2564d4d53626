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
from typing import Any, Callable, Iterator

import numpy as np

from ..creation import default_generator
from ..tensor import Tensor
from .dataset import Subset, TensorDataset

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, field by field, as PyTorch's does.

    Tensors and arrays are stacked along a new first dimension; Python ints become an
    int64 Tensor and floats a float64 one; tuples, lists and dicts are collated entry by
    entry.

    >>> import chainrule as cr
    >>> x, y = default_collate([(cr.tensor([1.0, 2.0]), 0), (cr.tensor([3.0, 4.0]), 1)])
    >>> x.shape, y
    ((2, 2), tensor([0, 1]))
    """
    if not batch:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray)):
        return Tensor(np.stack([np.asarray(x.data if isinstance(x, Tensor) else x)
                                for x in batch]))
    if isinstance(elem, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, np.generic):
        return Tensor(np.array(batch))
    if isinstance(elem, dict):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        if any(len(sample) != len(elem) for sample in batch):
            raise ValueError("default_collate: every sample in a batch needs the same number "
                             "of fields")
        fields = [default_collate(list(column)) for column in zip(*batch)]
        return fields if isinstance(elem, list) else tuple(fields)
    raise TypeError(f"default_collate: can't batch samples of type {type(elem).__name__}; "
                    "give the DataLoader a collate_fn")


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
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in indices])


def _tensors_behind(dataset: Any, indices: np.ndarray) -> tuple | None:
    """A batch of a TensorDataset (possibly through Subsets) by fancy indexing, else None."""
    while isinstance(dataset, Subset):
        indices = np.asarray(dataset.indices)[indices]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return tuple(Tensor(t.data[indices]) for t in dataset.tensors)
    return None
