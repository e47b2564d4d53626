"""Datasets: map-style (``__getitem__`` and ``__len__``) and iterable-style, as PyTorch's.

:class:`TensorDataset` indexes tensors along their first dimension; :class:`Subset`,
:class:`ConcatDataset`, :class:`StackDataset` and :class:`ChainDataset` combine datasets;
:func:`random_split` cuts one into random, non-overlapping parts.

>>> import chainrule as cr
>>> from chainrule.data import TensorDataset
>>> ds = TensorDataset(cr.arange(6).reshape(3, 2), cr.tensor([0, 1, 0]))
>>> len(ds)
3
>>> ds[1]
(tensor([2, 3]), tensor(1))
>>> len(ds + ds)
6
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from ..random import Generator
from ..tensor import Tensor
from .sampler import _rng

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split"]

_T_co = TypeVar("_T_co", covariant=True)


class Dataset(Generic[_T_co]):
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    ``dataset[i]`` returns one sample, usually a tuple such as ``(image, label)``;
    ``a + b`` is ``ConcatDataset([a, b])``. As in PyTorch, the base class has no
    ``__len__`` (``len()`` of a dataset without one raises TypeError).

    >>> class Squares(Dataset):
    ...     def __getitem__(self, i):
    ...         return i * i
    ...     def __len__(self):
    ...         return 4
    >>> [Squares()[i] for i in range(4)], len(Squares() + Squares())
    ([0, 1, 4, 9], 8)
    """

    def __getitem__(self, index: Any) -> _T_co:
        raise NotImplementedError(f"{type(self).__name__} does not implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[_T_co], Iterable[_T_co]):
    """Base class of datasets that are a stream of samples: subclasses define ``__iter__``.

    A :class:`~chainrule.data.DataLoader` iterates it and batches what comes out (it
    takes no sampler and no shuffle). ``a + b`` is ``ChainDataset([a, b])``.

    >>> from chainrule.data import DataLoader
    >>> class Count(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(5))
    >>> [b.tolist() for b in DataLoader(Count(), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples made by indexing each tensor along its first dimension.

    Args:
        *tensors: Tensors (or arrays, turned into Tensors without copying) with the same
            size of their first dimension.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t))
                        for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"TensorDataset: every tensor needs the same size of its first "
                             f"dimension, got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(Tensor(t._array[index]) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(t.shape)} {t.dtype.name}" for t in self.tensors)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    >>> import chainrule as cr
    >>> from chainrule.data import TensorDataset, Subset
    >>> sub = Subset(TensorDataset(cr.tensor([10, 11, 12, 13])), [3, 0])
    >>> [int(x) for (x,) in sub]
    [13, 10]
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index: int) -> Any:
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices`` (one call to the dataset's ``__getitems__`` if it
        has one)."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class StackDataset(Dataset):
    """Samples of several datasets of one length side by side: ``StackDataset(a, b)[i]``
    is ``(a[i], b[i])``, ``StackDataset(x=a, y=b)[i]`` is ``{"x": a[i], "y": b[i]}``.

    >>> StackDataset([1, 2], "ab")[1], StackDataset(x=[1, 2], y="ab")[0]
    ((2, 'b'), {'x': 1, 'y': 'a'})
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or ``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])
        if any(len(part) != self._length for part in parts):
            sizes = [len(part) for part in parts]
            raise ValueError(f"Size mismatch between datasets: StackDataset got lengths "
                             f"{sizes}")
        self.datasets: tuple | dict = args if args else kwargs

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """Map-style datasets one after the other: indices ``0 .. len(a) - 1`` are ``a``'s,
    the next ``len(b)`` are ``b``'s, and so on.

    >>> ds = ConcatDataset([[1, 2], [3, 4, 5]])
    >>> len(ds), ds[2], ds[-1], ds.cumulative_sizes
    (5, 3, 5, [2, 5])
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"ConcatDataset: index {idx} is out of range for {len(self)} "
                             "samples")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other, chained as they are iterated.

    >>> class Count(IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(self.n))
    >>> list(ChainDataset([Count(2), Count(3)]))
    [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(dataset)  # type: ignore[arg-type]
        return total


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping :class:`Subset` s of the given ``lengths``,
    its indices shuffled by one random permutation.

    ``lengths`` are sizes that add up to ``len(dataset)``, or fractions that add up to 1:
    each part then gets ``floor(fraction * len(dataset))`` samples and what is left over
    is handed out one by one, first part first (PyTorch's rule). ``generator`` is a
    :class:`chainrule.Generator` (default: the global one).

    >>> import chainrule as cr
    >>> train, val = random_split(range(10), [0.8, 0.2], generator=cr.Generator().manual_seed(0))
    >>> len(train), len(val), sorted(list(train) + list(val)) == list(range(10))
    (8, 2, True)
    """
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        sizes: list[int] = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(math.floor(n * fraction))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, share in enumerate(sizes):
            if share == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", stacklevel=2)
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input "
                         f"dataset! (random_split got lengths {list(lengths)} for "
                         f"{n} samples)")
    for i, size in enumerate(lengths):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"random_split: length at index {i} is {size!r}; give "
                             "non-negative integers that add up to the dataset's length, "
                             "or fractions that add up to 1")
    counts = [int(size) for size in lengths]
    order = _rng(generator, "random_split").permutation(n).tolist()
    parts = []
    for end, count in zip(itertools.accumulate(counts), counts):
        parts.append(Subset(dataset, order[end - count:end]))
    return parts
