"""Samplers: the orders in which a DataLoader visits a dataset's indices, as PyTorch's.

A sampler is an iterable of indices (or, for :class:`BatchSampler`, of lists of
indices) with a ``__len__``. Random samplers draw from ``generator`` (a
:class:`chainrule.Generator`), or from chainrule's default generator, which
:func:`chainrule.manual_seed` seeds. The draws are NumPy's, so the indices differ from
PyTorch's for the same seed; what they mean (a permutation per pass, draws with
replacement, weighted draws) is PyTorch's.

>>> import chainrule as cr
>>> from chainrule.data import BatchSampler, RandomSampler, SequentialSampler
>>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
[[0, 1, 2], [3, 4, 5], [6]]
>>> sorted(RandomSampler(range(5), generator=cr.Generator().manual_seed(0)))
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

from ..random import Generator, numpy_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]

_T_co = TypeVar("_T_co", covariant=True)


def _rng(generator: Any, where: str) -> np.random.Generator:
    """The NumPy Generator behind ``generator`` (a chainrule Generator, a NumPy Generator,
    or None for the default one), looked up at each pass so that reseeding is seen."""
    if generator is not None and not isinstance(generator, (Generator, np.random.Generator)):
        raise TypeError(f"{where}: generator must be a chainrule.Generator or None, got "
                        f"{type(generator).__name__}")
    if isinstance(generator, np.random.Generator):
        return generator
    return numpy_generator(generator, where)


def _is_positive_int(value: Any) -> bool:
    return (isinstance(value, numbers.Integral) and not isinstance(value, bool)
            and int(value) > 0)


class Sampler(Generic[_T_co]):
    """Base class of samplers: subclasses define ``__iter__`` (the indices of one pass)
    and usually ``__len__``.

    ``data_source`` is accepted for compatibility with older PyTorch code and ignored.

    >>> class Evens(Sampler):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(0, self.n, 2))
    ...     def __len__(self):
    ...         return (self.n + 1) // 2
    >>> list(Evens(5))
    [0, 2, 4]
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, in order.

    >>> list(SequentialSampler("abc"))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Indices of ``data_source`` in random order.

    Without ``replacement`` each pass of ``len(data_source)`` indices is a new random
    permutation (``num_samples`` larger than the dataset chains several passes, smaller
    takes the start of one); with it, ``num_samples`` independent uniform draws.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement (default False).
        num_samples: how many indices one iteration gives (default ``len(data_source)``).
        generator: a :class:`chainrule.Generator` to draw from (default: the global one).

    >>> import chainrule as cr
    >>> g = cr.Generator().manual_seed(1)
    >>> len(list(RandomSampler(range(4), replacement=True, num_samples=10, generator=g)))
    10
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={self.replacement}")
        if not _is_positive_int(self.num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        """Indices per iteration: ``num_samples`` if given, else the dataset's length."""
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = _rng(self.generator, "RandomSampler")
        count = int(self.num_samples)
        if self.replacement:
            yield from rng.integers(0, n, count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        if count % n:
            yield from rng.permutation(n)[:count % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices``, in a new random order each pass (without replacement).

    >>> import chainrule as cr
    >>> sorted(SubsetRandomSampler([7, 3, 9], generator=cr.Generator()))
    [3, 7, 9]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        order = _rng(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        for i in order.tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` drawn with
    probability proportional to ``weights[i]`` (the weights need not sum to one).

    With ``replacement=False`` an index is drawn at most once, so ``num_samples`` can be
    at most the number of nonzero weights.

    >>> import chainrule as cr
    >>> g = cr.Generator().manual_seed(0)
    >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3, generator=g))
    [1, 1, 1]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if not _is_positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        from ..tensor import Tensor  # the weights are kept as a float64 tensor, as PyTorch

        array = np.asarray(getattr(weights, "_array", weights), dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(array.shape)}")
        self.weights = Tensor(array)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        from ..tensor_methods.random import multinomial

        _rng(self.generator, "WeightedRandomSampler")  # a clear error for a wrong type
        drawn = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter
    list is dropped when ``drop_last`` is True.

    >>> list(BatchSampler(range(10), batch_size=3, drop_last=True))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        indices = iter(self.sampler)
        batch = list(itertools.islice(indices, self.batch_size))
        while batch:
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
