"""DataLoader: batches from a dataset, with PyTorch's arguments and rules.

Loading runs in the calling process: ``num_workers`` is accepted (any non-negative
value), and a loader with workers runs as one in-process worker (worker 0 of 1:
``worker_init_fn(0)`` is called at the start of each pass, and
:func:`get_worker_info` describes that worker while it loads). ``pin_memory`` is a
no-op on the CPU; ``timeout`` and ``prefetch_factor`` are checked as PyTorch checks
them and otherwise have nothing to do.

>>> import chainrule as cr
>>> from chainrule.data import DataLoader, TensorDataset
>>> ds = TensorDataset(cr.arange(10).reshape(5, 2), cr.tensor([0, 1, 2, 3, 4]))
>>> for x, y in DataLoader(ds, batch_size=2):
...     print(tuple(x.shape), y)
(2, 2) tensor([0, 1])
(2, 2) tensor([2, 3])
(1, 2) tensor([4])
>>> g = cr.Generator().manual_seed(0)
>>> [sorted(y.tolist()) for _, y in DataLoader(ds, batch_size=5, shuffle=True, generator=g)]
[[0, 1, 2, 3, 4]]
"""

from __future__ import annotations

import collections.abc
import copy
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..dtypes import default_complex, default_float
from ..random import Generator
from ..tensor import Tensor
from ..tensor_methods.shape import stack
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _rng

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info",
           "WorkerInfo"]


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, field by field, as PyTorch's does.

    Tensors and arrays are stacked along a new first dimension (they must share a
    shape); Python numbers become one Tensor with the type that holds them all, as
    PyTorch infers it: bools stay bool, ints (and bools) int64, floats float64 when the
    first sample is a float, the default dtype (:func:`chainrule.get_default_dtype`)
    when it is an int (``[1, 2.7, 3]``), complex when any is complex; NumPy scalars
    become a tensor of their dtype; strings are returned as they are. Dicts (and other
    mappings) are collated key by key into the same type, named tuples field by field
    into a named tuple, and other tuples and lists field by field into a **list** (as
    PyTorch: a batch of ``(image, label)`` pairs is ``[images, labels]``). A mismatch
    names the samples (their places in the batch) and the field.

    >>> import chainrule as cr
    >>> x, y = default_collate([(cr.tensor([1.0, 2.0]), 0), (cr.tensor([3.0, 4.0]), 1)])
    >>> x.shape, y
    ((2, 2), tensor([0, 1]))
    >>> default_collate([1, 2.7, 3]), default_collate([True, 2])
    (tensor([1. , 2.7, 3. ]), tensor([1, 2]))
    >>> default_collate([("a", 1.5), ("b", 2.5)])
    [('a', 'b'), tensor([1.5, 2.5], dtype=float64)]
    """
    return _collate(batch, [f"sample {i}" for i in range(len(batch))], "")


def _collate(batch: Sequence, names: list[str], field: str) -> Any:
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
        if arrays[0].dtype.kind in "OSUV":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found an array of {arrays[0].dtype}"
                            f"{where}")
        for i, a in enumerate(arrays):
            if a.shape != arrays[0].shape:
                raise ValueError(f"default_collate: {names[i]} has shape {a.shape}{where}, "
                                 f"{names[0]} has {arrays[0].shape}; samples of one batch "
                                 "need the same shape (pad them, or give the DataLoader a "
                                 "collate_fn)")
        if any(isinstance(x, Tensor) and x.requires_grad for x in batch):
            return stack([x if isinstance(x, Tensor) else Tensor(x) for x in batch])
        return Tensor(np.stack(arrays))
    if isinstance(elem, numbers.Number) and not isinstance(elem, np.generic):
        return Tensor(_python_numbers(batch, names, where))
    if isinstance(elem, (np.bool_, np.number)):
        return Tensor(np.array(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        for i, sample in enumerate(batch):
            if not isinstance(sample, collections.abc.Mapping) or set(sample) != set(elem):
                keys = (sorted(map(str, sample)) if isinstance(sample, collections.abc.Mapping)
                        else None)
                raise ValueError(f"default_collate: {names[i]} has keys {keys}{where}, "
                                 f"{names[0]} has {sorted(map(str, elem))}; every sample "
                                 "needs the same keys")
        values = {key: _collate([sample[key] for sample in batch], names, _join(field, key))
                  for key in elem}
        return _same_mapping(elem, values)
    if isinstance(elem, collections.abc.Sequence):
        for i, sample in enumerate(batch):
            if not isinstance(sample, collections.abc.Sequence) or len(sample) != len(elem):
                raise ValueError(f"default_collate: {names[i]} has "
                                 f"{_count_fields(sample)}{where}, {names[0]} has "
                                 f"{len(elem)}; every sample in a batch needs the same "
                                 "number of fields (each element in list of batch should "
                                 "be of equal size)")
        fields = [_collate(column, names, _join(field, j))
                  for j, column in enumerate(zip(*batch))]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
            return type(elem)(*fields)
        return fields
    raise TypeError(f"default_collate: can't batch samples of type {type(elem).__name__}"
                    f"{where}; give the DataLoader a collate_fn")


def _join(field: str, key: Any) -> str:
    return f"{field}.{key}" if field else str(key)


def _same_mapping(elem: Any, values: dict) -> Any:
    """``values`` in a mapping of ``elem``'s type where that type can be made (PyTorch's
    rule), else a dict."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            out = copy.copy(elem)
            out.update(values)
            return out
        return type(elem)(values)
    except TypeError:
        return values


def _count_fields(sample: Any) -> str:
    if isinstance(sample, collections.abc.Sequence):
        return f"{len(sample)} fields"
    return f"a {type(sample).__name__} instead of fields"


def _python_numbers(batch: Sequence, names: list[str], where: str) -> np.ndarray:
    """Python numbers as one array of the type that holds them all (PyTorch's inference)."""
    for i, x in enumerate(batch):
        if not isinstance(x, numbers.Number) or isinstance(x, np.generic):
            raise TypeError(f"default_collate: {names[i]} is a {type(x).__name__}{where}, "
                            f"{names[0]} a number; every sample needs the same kind of value")
    dtype: Any
    if any(isinstance(x, complex) for x in batch):
        dtype = np.complex128 if isinstance(batch[0], float) else default_complex()
    elif isinstance(batch[0], bool) and all(isinstance(x, bool) for x in batch):
        dtype = np.bool_
    elif all(isinstance(x, numbers.Integral) for x in batch):
        dtype = np.int64
    else:  # PyTorch: float64 when the first is a float, the default dtype otherwise
        dtype = np.float64 if isinstance(batch[0], float) else default_float()
    try:
        return np.array(batch, dtype=dtype)
    except OverflowError:
        raise ValueError(f"default_collate: an integer{where} does not fit in int64") from None


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars into Tensors, inside mappings and sequences too;
    leave everything else as it is (PyTorch's ``default_convert``, what a DataLoader with
    ``batch_size=None`` applies to each sample).

    >>> import numpy as np
    >>> default_convert({"x": np.array([1, 2]), "name": "a"})
    {'x': tensor([1, 2]), 'name': 'a'}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "OSUV" else Tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return Tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        if isinstance(data, list):
            return converted
        try:
            return type(data)(converted)  # type: ignore[call-arg]
        except TypeError:
            return converted
    return data


# ---------------------------------------------------------------------------
# The in-process worker
# ---------------------------------------------------------------------------


class WorkerInfo:
    """What :func:`get_worker_info` tells a dataset about the worker loading it: ``id``,
    ``num_workers``, ``seed`` and ``dataset`` (read-only, as PyTorch's)."""

    __slots__ = ("id", "num_workers", "seed", "dataset")
    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:  # noqa: A002
        for name, value in zip(self.__slots__, (id, num_workers, seed, dataset)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={type(self.dataset).__name__})")


_worker: list[WorkerInfo | None] = [None]


def get_worker_info() -> WorkerInfo | None:
    """The worker that is loading data now, or None in the main process.

    chainrule loads in the calling process: while a DataLoader with ``num_workers > 0``
    loads, this gives worker 0 of 1 (so a dataset that shards itself by worker reads
    everything once); otherwise None, as PyTorch gives with ``num_workers=0``.

    >>> get_worker_info() is None
    True
    """
    return _worker[0]


class _Loading:
    """Inside the block, :func:`get_worker_info` describes ``info`` (None: the main
    process); the previous value is restored on exit (nested loaders)."""

    def __init__(self, info: WorkerInfo | None) -> None:
        self.info = info

    def __enter__(self) -> None:
        self.saved = _worker[0]
        _worker[0] = self.info

    def __exit__(self, *exc: Any) -> None:
        _worker[0] = self.saved


def _as_generator(generator: Any) -> Any:
    if generator is None or isinstance(generator, (Generator, np.random.Generator)):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return Generator().manual_seed(int(generator))
    raise TypeError(f"DataLoader: generator must be a chainrule.Generator (or a NumPy "
                    f"Generator, or an int seed) or None, got {type(generator).__name__}")


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable-style dataset: None, forever."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


_FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
          "persistent_workers")


class DataLoader:
    """Iterate over ``dataset`` in batches, with PyTorch's arguments.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``) or an
            :class:`~chainrule.data.IterableDataset`.
        batch_size: samples per batch (default 1); None turns batching off (each sample
            comes out alone, its arrays made Tensors by :func:`default_convert`).
        shuffle: a new random order every pass (default False); not with ``sampler``.
        sampler: the order of the indices (a :class:`~chainrule.data.Sampler` or any
            iterable of indices with a length); not with ``shuffle``.
        batch_sampler: gives lists of indices, one per batch; not with ``batch_size``,
            ``shuffle``, ``sampler`` or ``drop_last``.
        num_workers: accepted, any value >= 0; loading runs in this process (with
            workers asked for, as one in-process worker: see :func:`get_worker_info`).
        collate_fn: turns a list of samples into a batch (default :func:`default_collate`).
        pin_memory: accepted; a no-op on the CPU.
        drop_last: skip the last batch when it is smaller than ``batch_size``.
        timeout: accepted (must be >= 0); there are no workers to wait for.
        worker_init_fn: with ``num_workers > 0``, called as ``worker_init_fn(0)`` at the
            start of each pass (once, with ``persistent_workers``).
        multiprocessing_context: accepted and unused.
        generator: where shuffled orders come from: a :class:`chainrule.Generator` (its
            state carries on across passes). A NumPy Generator or an int seed (a new
            Generator seeded with it) are taken too. Default: chainrule's global
            generator, which :func:`chainrule.manual_seed` seeds.
        prefetch_factor: only with ``num_workers > 0`` (default 2 there), as PyTorch.
        persistent_workers: only with ``num_workers > 0``, as PyTorch.
        pin_memory_device, in_order: accepted and unused.

    A :class:`TensorDataset` (or a :class:`Subset` of one) with the default
    ``collate_fn`` is batched by indexing its tensors with the whole batch at once.

    >>> import chainrule as cr
    >>> from chainrule.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(cr.arange(10)), batch_size=4, drop_last=True)
    >>> len(loader), [x.tolist() for (x,) in loader]
    (2, [[0, 1, 2, 3], [4, 5, 6, 7]])
    """

    _initialized = False

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable "
                             "multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler="
                                 f"{batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        generator = _as_generator(generator)
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size  # checked by BatchSampler
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._workers_started = False
        self._initialized = True

    def __setattr__(self, attr: str, value: Any) -> None:
        if self._initialized and attr in _FIXED:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self) -> _DataLoaderIter:
        info = self._start_pass()
        if self._iterable:
            batches = self._iterable_batches(info)
        else:
            batches = self._map_batches(info)
        return _DataLoaderIter(self, batches)

    def _start_pass(self) -> WorkerInfo | None:
        """The in-process worker of this pass (None without workers); runs
        ``worker_init_fn`` as a new worker would."""
        if self.num_workers == 0:
            return None
        seed = int(_rng(self.generator, "DataLoader").integers(0, 2 ** 63))
        info = WorkerInfo(id=0, num_workers=1, seed=seed, dataset=self.dataset)
        if self.worker_init_fn is not None and not (self.persistent_workers
                                                    and self._workers_started):
            with _Loading(info):
                self.worker_init_fn(0)
        object.__setattr__(self, "_workers_started", True)
        return info

    def _map_batches(self, info: WorkerInfo | None) -> Iterator[Any]:
        indices = iter(self._index_sampler)
        while True:
            with _Loading(info):
                try:
                    index = next(indices)
                except StopIteration:
                    return
                batch = self._fetch(index)
            yield batch

    def _fetch(self, index: Any) -> Any:
        if not self._auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._default_collate:
            tensors = _tensors_behind(self.dataset, index)
            if tensors is not None:
                return tensors
        if callable(getattr(self.dataset, "__getitems__", None)):
            samples = self.dataset.__getitems__(list(index))
        else:
            samples = [self.dataset[i] for i in index]
        if self._default_collate:
            return _collate(samples, [f"dataset[{i}]" for i in index], "")
        return self.collate_fn(samples)

    def _iterable_batches(self, info: WorkerInfo | None) -> Iterator[Any]:
        with _Loading(info):
            samples = iter(self.dataset)
        while True:
            with _Loading(info):
                if not self._auto_collation:
                    try:
                        sample = next(samples)
                    except StopIteration:
                        return
                    batch = self.collate_fn(sample)
                else:
                    chunk = []
                    for sample in samples:
                        chunk.append(sample)
                        if len(chunk) == self.batch_size:
                            break
                    size = self.batch_size if self.batch_size is not None else 0
                    if not chunk or (self.drop_last and len(chunk) < size):
                        return
                    batch = self.collate_fn(chunk)
            yield batch


class _DataLoaderIter:
    """One pass over a DataLoader: ``next()`` gives a batch; ``len()`` is the loader's."""

    def __init__(self, loader: DataLoader, batches: Iterator[Any]) -> None:
        self._loader = loader
        self._batches = batches

    def __iter__(self) -> _DataLoaderIter:
        return self

    def __next__(self) -> Any:
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


def _tensors_behind(dataset: Any, index: Any) -> list | None:
    """A batch of a TensorDataset (possibly through Subsets) by fancy indexing, else None:
    what default_collate makes of its samples, a list of stacked tensors."""
    if not isinstance(dataset, (Subset, TensorDataset)):
        return None
    try:
        indices = np.asarray(index)
    except (TypeError, ValueError):
        return None
    if indices.dtype.kind not in "iu" or indices.ndim != 1 or not indices.size:
        return None
    while type(dataset) is Subset:
        indices = np.asarray(dataset.indices)[indices]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return [Tensor(t._array[indices]) for t in dataset.tensors]
    return None
