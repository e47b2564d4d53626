"""Collectives over the process group, in place on Tensors and NumPy arrays.

Every call is an MPI non-blocking collective (``Iallreduce``, ``Ibcast``, ...) and, unless
``async_op=True``, waited for at once, at most the group's timeout. With
``async_op=True`` it returns a :class:`Work`, whose ``wait()`` finishes it: the same
contract as ``torch.distributed``. The dtype is kept; the result lands in the tensor
(or array) given.
"""

from __future__ import annotations

import enum
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .process_group import _Group, _group, _no_subgroups, _seconds, _wait

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "all_gather", "reduce_scatter",
           "barrier", "broadcast_object_list", "all_gather_object"]


class ReduceOp(enum.Enum):
    """How :func:`all_reduce` combines the ranks' values (``torch.distributed.ReduceOp``).

    ``AVG`` is the sum divided by the world size (floating-point tensors only).

    >>> ReduceOp.SUM
    <ReduceOp.SUM: 'sum'>
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


_SUPPORTED = {np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32,
                                    np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                                    np.complex64, np.complex128, np.bool_)}


class Work:
    """A collective in flight (``async_op=True``); ``wait()`` finishes it.

    ``wait()`` returns True once the result is in the tensor, and raises
    :class:`~chainrule.distributed.DistBackendError` when the other ranks don't join
    within the group's timeout. ``is_completed()`` tells without waiting.
    """

    def __init__(self, request: Any, what: str, group: _Group,
                 finish: Callable[[], None] | None = None) -> None:
        self._request = request
        self._what = what
        self._group = group
        self._finish = finish
        self._done = False

    def is_completed(self) -> bool:
        """Whether the collective has finished (its result is then written on ``wait``)."""
        return self._done or bool(self._request.Test())

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective is done and its result written; return True.

        ``timeout`` (a ``timedelta`` or seconds) replaces the group's for this wait.
        """
        if not self._done:
            seconds = None if timeout is None else _seconds(timeout, "Work.wait")
            _wait(self._request, self._what, self._group, seconds)
            self._done = True
            if self._finish is not None:
                self._finish()
        return True


def _array_of(tensor: Any, who: str) -> np.ndarray:
    if isinstance(tensor, Tensor):
        array = tensor._array
    elif isinstance(tensor, np.ndarray):
        array = tensor
    else:
        raise TypeError(f"{who}: expected a Tensor or a NumPy array (changed in place), got "
                        f"{type(tensor).__name__}")
    if array.dtype not in _SUPPORTED:
        raise TypeError(f"{who}: dtype {array.dtype} can't be sent over MPI; use float32, "
                        "float64, complex, an integer type or bool")
    if not array.flags.writeable:
        raise ValueError(f"{who}: the tensor is read-only (shape {array.shape}, {array.dtype}); "
                         "collectives write their result into it: clone() it first")
    return array


def _contiguous(array: np.ndarray) -> tuple[np.ndarray, Callable[[], None] | None]:
    """A C-contiguous buffer for ``array`` and how to copy it back (None: it is ``array``)."""
    if array.flags.c_contiguous:
        return array, None
    buffer = np.ascontiguousarray(array)

    def back() -> None:
        array[...] = buffer

    return buffer, back


def _bump(tensor: Any) -> None:
    if isinstance(tensor, Tensor):
        tensor._bump_version()


def _run(request: Any, what: str, group: _Group, finish: Callable[[], None] | None,
         async_op: bool) -> Work | None:
    work = Work(request, what, group, finish)
    if async_op:
        return work
    work.wait()
    return None


def _chain(*steps: Callable[[], None] | None) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            if step is not None:
                step()
    return run


def _mpi_op(group: _Group, op: ReduceOp, dtype: np.dtype, who: str) -> Any:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{who}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX), got {op!r}")
    MPI = group.MPI
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"{who}: ReduceOp.AVG needs a floating-point tensor, got {dtype}; "
                        "use ReduceOp.SUM and divide yourself")
    if op in (ReduceOp.MIN, ReduceOp.MAX) and dtype.kind == "c":
        raise TypeError(f"{who}: complex numbers have no order: ReduceOp.{op.name} needs a "
                        f"real tensor, got {dtype}")
    if dtype == np.bool_:
        return {ReduceOp.SUM: MPI.LOR, ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND,
                ReduceOp.MAX: MPI.LOR}[op]
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


# ---------------------------------------------------------------------------
# The collectives
# ---------------------------------------------------------------------------

def all_reduce(tensor: Any, op: ReduceOp = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Combine ``tensor`` across all ranks with ``op``; every rank gets the result, in place.

    ``tensor`` is a :class:`~chainrule.Tensor` or a NumPy array; its dtype is kept
    (``AVG`` of float32 stays float32). Returns a :class:`Work` with ``async_op=True``.

    >>> import chainrule as cr, chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> t = cr.tensor([1.0, 2.0])
    >>> dist.all_reduce(t, op=dist.ReduceOp.AVG)  # every rank: the mean over the ranks
    >>> t, dist.get_world_size()
    (tensor([1., 2.]), 1)
    """
    _no_subgroups(group, "all_reduce")
    pg = _group("all_reduce")
    array = _array_of(tensor, "all_reduce")
    mpi_op = _mpi_op(pg, op, array.dtype, "all_reduce")
    buffer, back = _contiguous(array)
    request = pg.comm.Iallreduce(pg.MPI.IN_PLACE, buffer, op=mpi_op)

    def average() -> None:
        buffer[...] = buffer / pg.size

    return _run(request, f"all_reduce({op.name}) of {array.shape} {array.dtype}", pg,
                _chain(average if op is ReduceOp.AVG else None, back,
                       lambda: _bump(tensor)), async_op)


def broadcast(tensor: Any, src: int, group: Any = None, async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place.

    >>> import chainrule as cr, chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> t = cr.tensor([1.0, 2.0]) * (1 + dist.get_rank())
    >>> dist.broadcast(t, src=0)
    >>> t  # rank 0's values, on every rank
    tensor([1., 2.])
    """
    _no_subgroups(group, "broadcast")
    pg = _group("broadcast")
    _check_rank(src, pg, "broadcast", "src")
    array = _array_of(tensor, "broadcast")
    buffer, back = _contiguous(array)
    request = pg.comm.Ibcast(buffer, root=src)
    return _run(request, f"broadcast from rank {src} of {array.shape} {array.dtype}", pg,
                _chain(back, lambda: _bump(tensor)), async_op)


def all_gather(tensor_list: list, tensor: Any, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Every rank's ``tensor`` into ``tensor_list`` (one per rank, in rank order), in place.

    ``tensor_list`` holds ``world_size`` tensors (or arrays) of ``tensor``'s shape and dtype.

    >>> import chainrule as cr, chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> out = [cr.zeros(2) for _ in range(dist.get_world_size())]
    >>> dist.all_gather(out, cr.tensor([1.0, 2.0]) + dist.get_rank())
    >>> out
    [tensor([1., 2.])]
    """
    _no_subgroups(group, "all_gather")
    pg = _group("all_gather")
    array = _array_of(tensor, "all_gather")
    outs = _same_list(tensor_list, array, pg, "all_gather", "tensor_list")
    gathered = np.empty((pg.size,) + array.shape, dtype=array.dtype)
    request = pg.comm.Iallgather(np.ascontiguousarray(array), gathered)

    def scatter() -> None:
        for i, (out, target) in enumerate(zip(outs, tensor_list)):
            out[...] = gathered[i]
            _bump(target)

    return _run(request, f"all_gather of {array.shape} {array.dtype}", pg, scatter, async_op)


def reduce_scatter(output: Any, input_list: list, op: ReduceOp = ReduceOp.SUM,
                   group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce ``input_list[i]`` over the ranks with ``op`` into ``output`` on rank ``i``.

    ``input_list`` holds ``world_size`` tensors of ``output``'s shape and dtype.

    >>> import chainrule as cr, chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> out = cr.zeros(2)
    >>> dist.reduce_scatter(out, [cr.ones(2) * 3 for _ in range(dist.get_world_size())])
    >>> out  # rank r: the sum over the ranks of their input_list[r]
    tensor([3., 3.])
    """
    _no_subgroups(group, "reduce_scatter")
    pg = _group("reduce_scatter")
    array = _array_of(output, "reduce_scatter")
    ins = _same_list(input_list, array, pg, "reduce_scatter", "input_list")
    mpi_op = _mpi_op(pg, op, array.dtype, "reduce_scatter")
    send = np.ascontiguousarray(np.stack(ins))
    received = np.empty(array.shape, dtype=array.dtype)
    request = pg.comm.Ireduce_scatter_block(send, received, op=mpi_op)

    def finish() -> None:
        array[...] = received / pg.size if op is ReduceOp.AVG else received
        _bump(output)

    return _run(request, f"reduce_scatter({op.name}) of {array.shape} {array.dtype}", pg,
                finish, async_op)


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Work | None:
    """Wait until every rank has reached this call (at most the group's timeout).

    >>> import chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> dist.barrier()
    >>> dist.barrier(async_op=True).wait()
    True
    """
    del device_ids
    _no_subgroups(group, "barrier")
    pg = _group("barrier")
    return _run(pg.comm.Ibarrier(), "barrier", pg, None, async_op)


def broadcast_object_list(object_list: list, src: int = 0, group: Any = None,
                          device: Any = None) -> None:
    """Replace ``object_list``'s items on every rank by rank ``src``'s (pickled).

    Like ``torch.distributed.broadcast_object_list``, it unpickles what ``src`` sends:
    use it only within one job you trust.

    >>> import chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> objects = [{"epoch": 3}] if dist.get_rank() == 0 else [None]
    >>> dist.broadcast_object_list(objects, src=0)
    >>> objects
    [{'epoch': 3}]
    """
    del device
    _no_subgroups(group, "broadcast_object_list")
    pg = _group("broadcast_object_list")
    _check_rank(src, pg, "broadcast_object_list", "src")
    payload = pickle.dumps(list(object_list)) if pg.rank == src else b""
    size = np.array([len(payload)], dtype=np.int64)
    _wait(pg.comm.Ibcast(size, root=src), "broadcast_object_list (size)", pg)
    data = np.frombuffer(payload, dtype=np.uint8).copy() if pg.rank == src else \
        np.empty(int(size[0]), dtype=np.uint8)
    _wait(pg.comm.Ibcast(data, root=src), "broadcast_object_list", pg)
    if pg.rank != src:
        received = pickle.loads(data.tobytes())
        if len(received) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {src} sent {len(received)} objects, "
                             f"this rank's list holds {len(object_list)}; give lists of one "
                             "length on every rank")
        object_list[:] = received


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """Every rank's ``obj`` (pickled) into ``object_list``, one per rank in rank order.

    >>> import chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> out = [None] * dist.get_world_size()
    >>> dist.all_gather_object(out, {"rank": dist.get_rank()})
    >>> out
    [{'rank': 0}]
    """
    _no_subgroups(group, "all_gather_object")
    pg = _group("all_gather_object")
    if len(object_list) != pg.size:
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} slots for "
                         f"{pg.size} ranks; give one slot per rank")
    payload = np.frombuffer(pickle.dumps(obj), dtype=np.uint8).copy()
    sizes = np.empty(pg.size, dtype=np.int64)
    _wait(pg.comm.Iallgather(np.array([payload.size], dtype=np.int64), sizes),
          "all_gather_object (sizes)", pg)
    received = np.empty(int(sizes.sum()), dtype=np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    _wait(pg.comm.Iallgatherv(payload, [received, (sizes, offsets)]), "all_gather_object", pg)
    for i in range(pg.size):
        start = int(offsets[i])
        object_list[i] = pickle.loads(received[start:start + int(sizes[i])].tobytes())


def _check_rank(rank: Any, pg: _Group, who: str, name: str) -> None:
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) \
            or not 0 <= rank < pg.size:
        raise ValueError(f"{who}: {name}={rank!r} is not a rank of this group (0 ... "
                         f"{pg.size - 1})")


def _same_list(items: Any, like: np.ndarray, pg: _Group, who: str, name: str) -> list:
    if not isinstance(items, (list, tuple)) or len(items) != pg.size:
        got = len(items) if isinstance(items, (list, tuple)) else type(items).__name__
        raise ValueError(f"{who}: {name} must be a list of {pg.size} tensors (one per rank), "
                         f"got {got}")
    arrays = [_array_of(item, who) for item in items]
    for i, a in enumerate(arrays):
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{who}: {name}[{i}] is {a.shape} {a.dtype}, the tensor is "
                             f"{like.shape} {like.dtype}; every entry needs the same shape "
                             "and dtype")
    return arrays
