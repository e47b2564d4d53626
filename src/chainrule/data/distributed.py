"""DistributedSampler: each rank of a data-parallel job iterates over its own share.

The order is PyTorch's: the dataset's indices (shuffled or not) are padded by repeating
the first ones until their number divides by ``num_replicas`` (or cut, with
``drop_last``), and rank ``r`` takes every ``num_replicas``-th index starting at ``r``.
Over one epoch the ranks together see every sample, each exactly once apart from the
padding. With ``shuffle=True`` the order is a permutation drawn from a generator seeded
with ``seed + epoch``: call :meth:`DistributedSampler.set_epoch` at the start of every
epoch, or every epoch repeats the same order.

>>> from chainrule.data.distributed import DistributedSampler
>>> [list(DistributedSampler(range(5), num_replicas=2, rank=r, shuffle=False))
...  for r in range(2)]
[[0, 2, 4], [1, 3, 0]]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["DistributedSampler"]


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"DistributedSampler: {name} must be an integer, got {value!r}")
    return int(value)


class DistributedSampler:
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` should load.

    Args:
        dataset: anything with ``len()`` (only its length is used).
        num_replicas: the number of ranks (default: the process group's world size).
        rank: this process's rank (default: the process group's rank).
        shuffle: a new order every epoch (default True), the same on every rank.
        seed: the order of epoch ``e`` comes from a generator seeded with ``seed + e``;
            it must be the same on every rank.
        drop_last: cut the tail so that every rank gets the same number of samples
            without repeating any (default False: pad by repeating the first indices).

    It is an iterable of ints with ``len()``: give it to a DataLoader as its
    ``sampler``, or index the dataset with it yourself.

    >>> ranks = [DistributedSampler(range(10), num_replicas=3, rank=r, seed=1)
    ...          for r in range(3)]
    >>> for s in ranks:
    ...     s.set_epoch(2)  # every rank, at the start of every epoch
    >>> [len(s) for s in ranks], sorted(set().union(*ranks)) == list(range(10))
    ([4, 4, 4], True)
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed as dist

            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        num_replicas = _whole(num_replicas, "num_replicas")
        rank = _whole(rank, "rank")
        if num_replicas <= 0:
            raise ValueError(f"DistributedSampler: num_replicas must be positive, got "
                             f"{num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank}, rank should be in the "
                             f"interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.seed = _whole(seed, "seed")
        n = len(dataset)
        if self.drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if not self.drop_last:
            padding = self.total_size - n
            if padding > 0:
                order = np.concatenate([order, np.resize(order, padding)]) if n else order
        else:
            order = order[:self.total_size]
        mine = order[self.rank:self.total_size:self.num_replicas]
        return iter(mine.tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of epoch ``epoch`` (with ``shuffle``, a fresh one per epoch)."""
        self.epoch = _whole(epoch, "epoch")

    def __repr__(self) -> str:
        return (f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")
