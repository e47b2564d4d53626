"""Data-parallel training: DistributedDataParallel over MPI (``chainrule.distributed``).

Each rank holds a full copy of the model and trains on its own share of every batch;
after ``backward()`` every rank holds the gradient averaged over all ranks, so the
optimizers, stepping alike, keep the copies identical. How it works, as in PyTorch:

- at wrap time rank 0's parameters and buffers are broadcast to the other ranks (and the
  ranks check that they built the same model);
- the parameters are grouped in *buckets* of about ``bucket_cap_mb`` megabytes, in
  reverse order of ``parameters()`` (about the order backward produces their gradients;
  with the default cap the first bucket is kept to 1 MB so that communication starts
  early);
- a hook on each parameter (:meth:`Tensor.register_post_accumulate_grad_hook`) notes
  when its gradient is final; when the last gradient of a bucket is in, the bucket is
  copied into one flat buffer and a non-blocking allreduce (``MPI_Iallreduce``) is
  launched, while backward goes on with the layers below; buckets are launched in the
  same order on every rank;
- when the last bucket has been launched, backward waits for them all, divides by the
  world size and writes the averages back into each ``.grad``.

>>> import chainrule.nn as nn
>>> nn.parallel.DistributedDataParallel.__name__
'DistributedDataParallel'
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..graph import is_grad_enabled, node_of, walk
from ..tensor import Tensor
from .module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_CAP_MB = 25


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    def __init__(self, indices: list[int], params: list, dtype: np.dtype) -> None:
        self.indices = indices
        self.dtype = dtype
        self.shapes = [params[i].shape for i in indices]
        sizes = [int(np.prod(params[i].shape, dtype=np.int64)) for i in indices]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()
        self.buffer = np.empty(self.offsets[-1], dtype=dtype)
        self.pending = len(indices)
        self.request: Any = None

    def slot(self, k: int) -> np.ndarray:
        return self.buffer[self.offsets[k]:self.offsets[k + 1]]


def _tensors_in(output: Any) -> Iterator[Tensor]:
    """The tensors in a forward's output (a Tensor, or lists / tuples / dicts of them)."""
    stack = [output]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            yield item
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training across the ranks of an MPI job.

    Args:
        module: the model; build the same one on every rank.
        device_ids, output_device: for GPU modules in PyTorch; chainrule runs on the
            CPU, where (as in PyTorch) they must be None.
        dim: the batch dimension (kept for PyTorch's signature; inputs are not split,
            each rank passes its own batch).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics, ...)
            to every rank at the start of each forward (default True).
        init_sync: broadcast rank 0's parameters and buffers at wrap time (default True).
        process_group: only the default group (None) exists.
        bucket_cap_mb: the size of a gradient bucket in megabytes (default 25, and
            then the first bucket is 1 MB so that communication starts early).
        find_unused_parameters: walk the forward's graph to find parameters that will
            get no gradient and count them as ready (contributing zeros). Without it, a
            parameter that takes no part in the forward raises an error that names it.

    The wrapper is a Module whose only child is ``module``: ``ddp.module`` is the model
    and ``ddp.state_dict()`` keys start with ``"module."``, as in PyTorch. Save
    ``ddp.module.state_dict()`` to load the weights into an unwrapped model. Gradients
    are averaged only for a forward run with gradients on and outside :meth:`no_sync`.

    >>> import chainrule as cr, chainrule.distributed as dist
    >>> import chainrule.nn as nn
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi")
    >>> ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 2))
    >>> ddp(cr.ones(4, 3)).sum().backward()  # .grad: the average over the ranks
    >>> sorted(ddp.state_dict()), ddp.module.weight.grad.shape
    (['module.bias', 'module.weight'], (2, 3))
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, init_sync: bool = True,
                 process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module to wrap, got "
                            f"{type(module).__name__}")
        if device_ids or output_device is not None:
            raise ValueError("DistributedDataParallel: device_ids and output_device must be "
                             "None: chainrule modules live on the CPU (as PyTorch requires "
                             "for CPU modules)")
        if process_group is not None:
            raise ValueError("DistributedDataParallel: only the default process group exists "
                             "in chainrule; leave process_group out")
        cap = _DEFAULT_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        if isinstance(cap, bool) or not isinstance(cap, (int, float)) or not cap > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive "
                             f"number of megabytes, got {bucket_cap_mb!r}")
        from ..distributed.process_group import _group

        self.module = module
        self.dim = dim
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        # PyTorch: with the default cap, the first bucket is kept small (1 MB)
        self._first_bucket_bytes = _FIRST_BUCKET_BYTES if bucket_cap_mb is None \
            else self.bucket_bytes_cap
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._pg = _group("DistributedDataParallel")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient")
        self._names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._verify_same_model()
        if init_sync:
            self._broadcast([p for p in module.parameters()] + self._buffer_list())
        self._buckets = self._make_buckets()
        self._bucket_of: list[tuple[int, int]] = [(0, 0)] * len(self._params)
        for b, bucket in enumerate(self._buckets):
            for k, i in enumerate(bucket.indices):
                self._bucket_of[i] = (b, k)
        self._armed = False
        self._marked = [False] * len(self._params)
        self._next_bucket = 0
        self._used: np.ndarray | None = None
        self._used_request: Any = None
        self._wait_seconds = 0.0  # time spent waiting on gradient allreduce, for benchmarks
        # MPI moves a non-blocking message only inside MPI calls: a helper thread makes
        # them while backward computes (NumPy releases the interpreter lock meanwhile)
        self._progress = _Progress(self._pg.MPI) if self._pg.size > 1 and \
            len(self._buckets) > 1 else None
        this = weakref.ref(self)
        self._handles = [p.register_post_accumulate_grad_hook(_hook(this, i))
                         for i, p in enumerate(self._params)]
        # the module outlives its wrapper: take the hooks off when the wrapper goes
        weakref.finalize(self, _remove_hooks, list(self._handles), self._progress)

    # -- setup --------------------------------------------------------------------
    def _buffer_list(self) -> list[Tensor]:
        return [b for b in self.module.buffers() if b is not None]

    def _verify_same_model(self) -> None:
        """Every rank must hold the same parameters and buffers (names, shapes, dtypes)."""
        pg = self._pg
        if pg.size == 1:
            return
        layout = [(n, tuple(t.shape), str(t.dtype)) for n, t in
                  list(self.module.named_parameters()) + list(self.module.named_buffers())
                  if t is not None]
        crc = zlib.crc32(repr(layout).encode())
        check = np.array([crc, -crc], dtype=np.int64)
        from ..distributed.collectives import ReduceOp, all_reduce

        all_reduce(check, ReduceOp.MAX)
        if check[0] != crc or -check[1] != crc:
            raise RuntimeError("DistributedDataParallel: the ranks hold different models "
                               "(parameter or buffer names, shapes or dtypes differ); build "
                               f"the same model on every rank ({len(layout)} tensors here)")

    def _broadcast(self, tensors: list[Tensor]) -> None:
        """Rank 0's values of ``tensors`` to every rank, one message per dtype."""
        from ..distributed.collectives import broadcast

        if self._pg.size == 1 or not tensors:
            return
        by_dtype: dict[np.dtype, list[Tensor]] = {}
        for t in tensors:
            by_dtype.setdefault(t._array.dtype, []).append(t)
        for group in by_dtype.values():
            flat = np.concatenate([t._array.ravel() for t in group])
            broadcast(flat, src=0)
            start = 0
            for t in group:
                t._array[...] = flat[start:start + t._array.size].reshape(t._array.shape)
                start += t._array.size
                t._bump_version()

    def _make_buckets(self) -> list[_Bucket]:
        """PyTorch's assignment: reverse parameter order, one dtype per bucket, a bucket
        closed once it holds at least its cap (the first one's, then bucket_cap_mb)."""
        buckets: list[_Bucket] = []
        open_: dict[np.dtype, tuple[list[int], int]] = {}
        closed_by_dtype: dict[np.dtype, int] = {}
        for i in reversed(range(len(self._params))):
            dtype = self._params[i]._array.dtype
            indices, size = open_.get(dtype, ([], 0))
            indices.append(i)
            size += self._params[i]._array.nbytes
            limit = self._first_bucket_bytes if closed_by_dtype.get(dtype, 0) == 0 \
                else self.bucket_bytes_cap
            if size >= limit:
                buckets.append(_Bucket(indices, self._params, dtype))
                closed_by_dtype[dtype] = closed_by_dtype.get(dtype, 0) + 1
                open_.pop(dtype, None)
            else:
                open_[dtype] = (indices, size)
        for dtype, (indices, _) in open_.items():
            buckets.append(_Bucket(indices, self._params, dtype))
        # launch order: the bucket holding the latest parameter first
        buckets.sort(key=lambda b: -max(b.indices))
        return buckets

    # -- forward ------------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._armed:
            raise RuntimeError(self._unfinished())
        if self.require_forward_param_sync and self.broadcast_buffers:
            self._broadcast(self._buffer_list())
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare_for_backward(output)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this block, forwards don't average gradients: backward only accumulates
        them locally; the first backward after the block averages the sum.

        >>> import contextlib
        >>> callable(DistributedDataParallel.no_sync)
        True
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _prepare_for_backward(self, output: Any) -> None:
        roots = [node_of(t) for t in _tensors_in(output) if t.requires_grad]
        reached = {id(node) for node in walk(roots)} if roots else set()
        unused = [i for i, p in enumerate(self._params) if id(p) not in reached]
        if unused and not self.find_unused_parameters:
            names = ", ".join(self._names[i] for i in unused[:8])
            more = f" (and {len(unused) - 8} more)" if len(unused) > 8 else ""
            raise RuntimeError(
                f"DistributedDataParallel: {len(unused)} parameter(s) take no part in this "
                f"forward's output and would get no gradient on rank {self._pg.rank}: "
                f"{names}{more}; pass find_unused_parameters=True to average zeros for them, "
                "or remove them from the model")
        for bucket in self._buckets:
            bucket.pending = len(bucket.indices)
            bucket.request = None
        self._marked = [False] * len(self._params)
        self._next_bucket = 0
        self._armed = True
        if self.find_unused_parameters:
            self._used = np.ones(len(self._params), dtype=np.int32)
            self._used[unused] = 0
            self._used_request = self._pg.comm.Iallreduce(self._pg.MPI.IN_PLACE, self._used,
                                                          op=self._pg.MPI.SUM)
            for i in unused:
                self._mark_ready(i)

    def _unfinished(self) -> str:
        missing = [self._names[i] for i, done in enumerate(self._marked) if not done]
        names = ", ".join(missing[:8]) + (f" (and {len(missing) - 8} more)"
                                          if len(missing) > 8 else "")
        return ("DistributedDataParallel: the previous forward's gradients were never "
                f"averaged: on rank {self._pg.rank} no gradient arrived for {names}. Call "
                "backward() on a loss that uses the whole output after each forward with "
                "gradients on (run evaluation under chainrule.no_grad(), or on ddp.module), "
                "or pass find_unused_parameters=True")

    # -- backward: the hooks --------------------------------------------------------
    def _mark_ready(self, i: int) -> None:
        if self._marked[i]:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self._names[i]} got its gradient "
                "twice after one forward (backward called twice, or retain_graph reuse); "
                "run a forward before every backward")
        self._marked[i] = True
        b, _ = self._bucket_of[i]
        bucket = self._buckets[b]
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready()

    def _launch_ready(self) -> None:
        """Launch, in order, every bucket whose gradients are all in."""
        pg = self._pg
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.pending:
                return
            for k, i in enumerate(bucket.indices):
                grad = self._params[i].grad
                slot = bucket.slot(k)
                if grad is None:
                    slot[...] = 0
                else:
                    slot[...] = grad._array.ravel()
            bucket.request = pg.comm.Iallreduce(pg.MPI.IN_PLACE, bucket.buffer,
                                                op=pg.MPI.SUM)
            self._next_bucket += 1
            if self._next_bucket < len(self._buckets) and self._progress is not None:
                self._progress.watch(bucket.request)
        self._finish()

    def _finish(self) -> None:
        """All buckets launched: wait for them, average, write back into ``.grad``."""
        from ..distributed.process_group import _wait

        began = time.perf_counter()
        pg = self._pg
        if self._progress is not None:
            self._progress.release()
        for b, bucket in enumerate(self._buckets):
            _wait(bucket.request, f"DistributedDataParallel gradient allreduce (bucket {b})",
                  pg)
        if self._used_request is not None:
            _wait(self._used_request, "DistributedDataParallel unused-parameter map", pg)
        self._wait_seconds += time.perf_counter() - began
        for bucket in self._buckets:
            for k, i in enumerate(bucket.indices):
                p = self._params[i]
                total = bucket.slot(k).reshape(bucket.shapes[k])
                grad = p.grad
                if grad is None and self._used is not None and self._used[i] == 0:
                    continue  # no rank used it: its gradient stays None, as in PyTorch
                if grad is None or grad.requires_grad or grad._array.shape != total.shape:
                    p.grad = Tensor(total / pg.size)
                else:  # the average straight into .grad: one pass over the memory
                    np.divide(total, pg.size, out=grad._array)
                    grad._bump_version()
        self._armed = False
        self._used = None
        self._used_request = None

    def extra_repr(self) -> str:
        return (f"world_size={self._pg.size}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_bytes_cap / 1024 / 1024:g}, "
                f"find_unused_parameters={self.find_unused_parameters}")


def _remove_hooks(handles: list, progress: _Progress | None) -> None:
    for handle in handles:
        handle.remove()
    if progress is not None:
        progress.close()


class _Progress:
    """A daemon thread that calls ``MPI_Testall`` on the buckets in flight, every 0.1 ms,
    until backward needs them (:meth:`release`). MPI lets one thread at a time test a
    request: the thread tests only while holding the condition's lock, which
    :meth:`release` takes before the main thread waits on the requests itself."""

    def __init__(self, mpi: Any) -> None:
        self._mpi = mpi
        self._cond = threading.Condition()
        self._requests: list = []
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, request: Any) -> None:
        with self._cond:
            self._requests.append(request)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="chainrule-ddp-progress")
                self._thread.start()
            self._cond.notify()

    def release(self) -> None:
        """Stop testing; afterwards the main thread alone waits on the requests."""
        with self._cond:  # the thread is not inside Testall, and won't test again
            self._requests = []

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._requests = []
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._requests and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                if self._mpi.Request.Testall(self._requests):
                    self._requests = []
            time.sleep(0.0001)


def _hook(ddp_ref: weakref.ref, i: int) -> Any:
    def hook(param: Tensor) -> None:
        ddp = ddp_ref()
        if ddp is not None and ddp._armed:
            ddp._mark_ready(i)
    return hook
