"""What :func:`chainrule.train.fit` does differently on N ranks, kept in one place.

The run on N ranks is the run one process would make with the same global batch, up
to the order of floating-point sums, so a checkpoint can be resumed with any N:

- every rank draws the same shuffled order (same generator, same seed) and takes its
  contiguous share of each global batch; shares differ by at most one sample, and the
  loss of each share is weighted by its size, so the averaged gradient is the mean over
  the global batch even for a short last batch;
- dropout masks are drawn for the whole global batch on every rank, each rank keeping
  its rows, so the global generator moves exactly as in one process;
- a rank whose share of a short last batch is empty trains on one sample with weight 0
  (every rank must take part in every gradient allreduce);
- training metrics and the evaluation (each rank classifies a share of the test set)
  are summed over the ranks, so every rank reports the same numbers;
- rank 0 alone reads and writes the run folder; what it reads, and any error it
  meets, is sent to the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..random import default_generator as _generator
from .collectives import all_reduce, broadcast_object_list
from .process_group import _Group, _group, is_initialized, launched_world_size

__all__ = ["DataParallelFit", "data_parallel_fit"]


def data_parallel_fit() -> DataParallelFit | None:
    """The N-rank helper when this process is one of several MPI ranks, else None.

    A group made earlier is used; under mpirun/srun with more than one process the
    group is made here.
    """
    if not is_initialized() and launched_world_size() <= 1:
        return None
    group = _group("fit")
    if group.size == 1:
        return None
    return DataParallelFit(group)


class _GlobalBatchGenerator:
    """Stands in for chainrule's global NumPy generator during one rank's forward:
    a draw shaped like the local batch is drawn for the global batch, and this rank's
    rows are returned. Any other draw goes to the real generator unchanged."""

    def __init__(self, rng: np.random.Generator, local: int, total: int, lo: int,
                 hi: int) -> None:
        self._rng = rng
        self._local = local
        self._total = total
        self._lo = lo
        self._hi = hi

    def random(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        shape = (size,) if isinstance(size, (int, np.integer)) else size
        if out is None and shape and shape[0] == self._local:
            full = self._rng.random((self._total,) + tuple(shape[1:]), dtype=dtype)
            return full[self._lo:self._hi] if self._hi > self._lo else full[:self._local]
        return self._rng.random(size, dtype=dtype, out=out)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rng, name)


class DataParallelFit:
    """One rank's part in a data-parallel :func:`~chainrule.train.fit`."""

    def __init__(self, group: _Group) -> None:
        self.group = group
        self.rank = group.rank
        self.size = group.size
        self.real = 0     # this rank's samples in the current batch
        self.total = 0    # the global batch's samples
        self.lo = 0       # where this rank's share starts in the global batch
        self.hi = 0

    # -- rank 0 does, everyone learns ------------------------------------------------
    def from_rank0(self, work: Callable[[], Any], error: type[Exception]) -> Any:
        """Run ``work()`` on rank 0 and hand its result to every rank; an ``error`` it
        raises is raised on every rank (same message), so all stop together."""
        message: list[Any] = [None, None]
        if self.rank == 0:
            try:
                message = [work(), None]
            except error as err:
                message = [None, str(err)]
        broadcast_object_list(message, src=0)
        if message[1] is not None:
            raise error(message[1])
        return message[0]

    # -- batches ------------------------------------------------------------------------
    def batches(self, loader: Any) -> Iterator[Any]:
        """This rank's share of each batch that ``loader`` (shuffling or not) would yield,
        drawing the order exactly as the loader does."""
        for drawn in loader.batch_sampler:  # the global batches, in the loader's order
            indices = list(drawn)
            total = len(indices)
            share, extra = divmod(total, self.size)
            lo = self.rank * share + min(self.rank, extra)
            hi = lo + share + (1 if self.rank < extra else 0)
            self.total, self.lo, self.hi, self.real = total, lo, hi, hi - lo
            mine = indices[lo:hi] if hi > lo else indices[:1]  # weight 0, see backward
            yield loader._fetch(mine)

    @contextlib.contextmanager
    def forward(self, local: int) -> Iterator[None]:
        """Dropout and other batch-shaped draws see the global batch (see the module)."""
        real = _generator.rng
        _generator.rng = _GlobalBatchGenerator(  # type: ignore[assignment]
            real, local, self.total, self.lo, self.hi)
        try:
            yield
        finally:
            _generator.rng = real

    def backward(self, loss: Any) -> None:
        """Backward of this share's mean loss, weighted so that the ranks' average is the
        mean over the global batch."""
        weight = self.real * self.size / self.total
        (loss if weight == 1 else loss * weight).backward()

    def tally(self, loss: Any, logits: Any, labels: Any) -> tuple[float, int, int]:
        """(summed loss, correct predictions, samples) of this share (zeros for a stand-in)."""
        if self.real == 0:
            return 0.0, 0, 0
        correct = int(np.sum(np.argmax(logits._array, axis=1) == labels._array))
        return loss.item() * self.real, correct, self.real

    def sum(self, *values: float) -> list[float]:
        """The sums over the ranks of a few numbers."""
        array = np.array(values, dtype=np.float64)
        all_reduce(array)
        return array.tolist()

    # -- evaluation -----------------------------------------------------------------------
    def accuracy(self, evaluate: Callable[[Any, Any], Any], model: Any, data: Any) -> float:
        """The accuracy on ``data``: each rank classifies a contiguous share; counts summed."""
        from ..data import Subset

        share, extra = divmod(len(data), self.size)
        lo = self.rank * share + min(self.rank, extra)
        hi = lo + share + (1 if self.rank < extra else 0)
        correct = 0
        if hi > lo:
            result = evaluate(model, Subset(data, range(lo, hi)))
            correct = int(np.sum(result.predictions == result.labels))
        correct_all, count = self.sum(correct, hi - lo)
        return correct_all / count if count else float("nan")
