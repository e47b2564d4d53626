"""Run by tests/test_distributed.py under ``mpirun -n 2``: the checks that need two ranks.

Each check returns a dict of measurements; rank 0 writes them all, as JSON, to the path
given as the first argument, and the test asserts on them. Every rank also computes the
single-process reference itself (the whole global batch, no MPI), so no data has to be
sent around for the comparison.
"""

from __future__ import annotations

import datetime
import json
import sys

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.nn.parallel import DistributedDataParallel as DDP

B = 8  # samples per rank; the reference takes 2 * B per step
STEPS = 50


def mlp(dtype):
    return nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(24, 16), nn.Tanh(),
                         nn.Linear(16, 5)).to(dtype)


def cnn(dtype):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 5)).to(dtype)


def data(kind, dtype, step):
    rng = np.random.default_rng(1000 + step)
    shape = (2 * B, 12) if kind == "mlp" else (2 * B, 1, 8, 8)
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, 5, 2 * B)


def build(kind, dtype, seed):
    cr.manual_seed(seed)
    return (mlp if kind == "mlp" else cnn)(dtype)


def checksum(model):
    return sum(float(np.sum(p._array.astype(np.float64) * (1 + np.arange(p._array.size)
                                                          .reshape(p.shape) % 7)))
               for p in model.parameters())


def spread(value):
    """max - min of a number over the ranks."""
    both = np.array([value, -value])
    dist.all_reduce(both, dist.ReduceOp.MAX)
    return float(both[0] + both[1])


def train_both(ddp, opt, reference, ref_opt, x, y, rank):
    """One step of the data-parallel model on this rank's B samples of the global batch
    (x, y), and one of the single-process reference on all of it."""
    mine = slice(rank * B, (rank + 1) * B)
    opt.zero_grad()
    F.cross_entropy(ddp(cr.tensor(x[mine])), cr.tensor(y[mine])).backward()
    opt.step()
    ref_opt.zero_grad()
    F.cross_entropy(reference(cr.tensor(x)), cr.tensor(y)).backward()
    ref_opt.step()


def equivalence(kind, dtype, optimizer):
    rank = dist.get_rank()
    # rank 1 starts from other weights: the wrap must broadcast rank 0's
    model = build(kind, dtype, seed=rank)
    ddp = DDP(model)
    reference = build(kind, dtype, seed=0)
    make = (lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9)) if optimizer == "sgd" \
        else (lambda ps: cr.optim.Adam(ps, lr=1e-2))
    opt, ref_opt = make(model.parameters()), make(reference.parameters())
    worst_spread = 0.0
    for step in range(STEPS):
        x, y = data(kind, dtype, step)
        train_both(ddp, opt, reference, ref_opt, x, y, rank)
        worst_spread = max(worst_spread, spread(checksum(model)))
    diff = max(float(np.max(np.abs(p._array - q._array)))
               for p, q in zip(model.parameters(), reference.parameters()))
    dtypes = sorted({str(p.dtype) for p in model.parameters()} |
                    {str(p.grad.dtype) for p in model.parameters()})
    return {"max_diff": diff, "rank_spread": worst_spread, "dtypes": dtypes,
            "buckets": len(ddp._buckets)}


def small_buckets():
    """Many buckets (bucket_cap_mb tiny): still the reference's gradients."""
    rank = dist.get_rank()
    model = build("mlp", np.float64, seed=0)
    ddp = DDP(model, bucket_cap_mb=0.0005)
    reference = build("mlp", np.float64, seed=0)
    x, y = data("mlp", np.float64, 0)
    mine = slice(rank * B, (rank + 1) * B)
    F.cross_entropy(ddp(cr.tensor(x[mine])), cr.tensor(y[mine])).backward()
    F.cross_entropy(reference(cr.tensor(x)), cr.tensor(y)).backward()
    diff = max(float(np.max(np.abs(p.grad._array - q.grad._array)))
               for p, q in zip(model.parameters(), reference.parameters()))
    return {"max_diff": diff, "buckets": len(ddp._buckets)}


def no_sync():
    rank = dist.get_rank()
    model = build("mlp", np.float64, seed=0)
    ddp = DDP(model)
    reference = build("mlp", np.float64, seed=0)
    micro = [data("mlp", np.float64, 100 + k) for k in range(3)]
    mine = slice(rank * B, (rank + 1) * B)
    with ddp.no_sync():
        for x, y in micro[:2]:
            F.cross_entropy(ddp(cr.tensor(x[mine])), cr.tensor(y[mine])).backward()
    local_spread = spread(checksum_grads(model))  # differ: nothing was averaged yet
    x, y = micro[2]
    F.cross_entropy(ddp(cr.tensor(x[mine])), cr.tensor(y[mine])).backward()
    for x, y in micro:
        F.cross_entropy(reference(cr.tensor(x)), cr.tensor(y)).backward()
    diff = max(float(np.max(np.abs(p.grad._array - q.grad._array)))
               for p, q in zip(model.parameters(), reference.parameters()))
    return {"max_diff": diff, "spread_inside_no_sync": local_spread,
            "spread_after": spread(checksum_grads(model))}


def checksum_grads(model):
    return sum(float(np.sum(p.grad._array * (1 + np.arange(p.grad._array.size)
                                             .reshape(p.shape) % 5)))
               for p in model.parameters())


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(6, 8)
        self.a = nn.Linear(8, 3)
        self.b = nn.Linear(8, 3)
        self.never = nn.Linear(8, 3)

    def forward(self, x, head):
        h = self.body(x).relu()
        return self.a(h) if head == "a" else self.b(h)


def unused_parameters():
    """find_unused_parameters: rank 0 uses head a, rank 1 head b, no rank uses `never`."""
    rank = dist.get_rank()
    cr.manual_seed(0)
    model = TwoHeads().double()
    ddp = DDP(model, find_unused_parameters=True)
    cr.manual_seed(0)
    reference = TwoHeads().double()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2 * B, 6))
    y = rng.integers(0, 3, 2 * B)
    mine = slice(rank * B, (rank + 1) * B)
    F.cross_entropy(ddp(cr.tensor(x[mine]), "a" if rank == 0 else "b"),
                    cr.tensor(y[mine])).backward()
    # the reference: each half through its head, each half's mean loss weighted 1/2
    half = [slice(0, B), slice(B, 2 * B)]
    loss = (F.cross_entropy(reference(cr.tensor(x[half[0]]), "a"), cr.tensor(y[half[0]]))
            + F.cross_entropy(reference(cr.tensor(x[half[1]]), "b"), cr.tensor(y[half[1]])))
    (loss / 2).backward()
    diffs = {}
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        if q.grad is None:
            diffs[name] = None if p.grad is None else "grad where none expected"
        else:
            diffs[name] = float(np.max(np.abs(p.grad._array - q.grad._array)))
    return diffs


def buffers():
    """BatchNorm's running statistics: rank 0's are broadcast at each forward."""
    rank = dist.get_rank()
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).double()
    ddp = DDP(model)
    bn = model[1]
    bn.running_mean._array[...] = 100.0 * rank  # rank 1's own value must be replaced
    x = np.random.default_rng(rank).standard_normal((B, 4))
    with cr.no_grad():
        h = model[0](cr.tensor(x))._array
    ddp(cr.tensor(x))
    expected = 0.9 * 0.0 + 0.1 * h.mean(axis=0)
    return {"max_diff": float(np.max(np.abs(bn.running_mean._array - expected))),
            "keys": sorted(ddp.state_dict())[:2], "has_module": ddp.module is model}


def sync_batchnorm(kind):
    """SyncBatchNorm on 2 ranks x batch B == BatchNorm in one process with batch 2B."""
    rank = dist.get_rank()

    def make():
        cr.manual_seed(0)
        if kind == "1d":
            return nn.Sequential(nn.Linear(12, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                 nn.Linear(8, 5)).double()
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                             nn.Linear(4 * 6 * 6, 5)).double()

    model = nn.SyncBatchNorm.convert_sync_batchnorm(make())
    ddp = DDP(model)
    reference = make()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = cr.optim.SGD(reference.parameters(), lr=0.1)
    for step in range(10):
        x, y = data("mlp" if kind == "1d" else "cnn", np.float64, 500 + step)
        train_both(ddp, opt, reference, ref_opt, x, y, rank)
    state, ref_state = model.state_dict(), reference.state_dict()
    diff = max(float(np.max(np.abs(np.asarray(state[k]._array, np.float64)
                                   - np.asarray(ref_state[k]._array, np.float64))))
               for k in ref_state)
    return {"max_diff": diff, "layer": type(model[1]).__name__, "keys_equal":
            sorted(state) == sorted(ref_state)}


def collectives():
    rank, size = dist.get_rank(), dist.get_world_size()
    out = {"rank_world": [rank, size]}
    for op, expected in ((dist.ReduceOp.SUM, 3.0), (dist.ReduceOp.AVG, 1.5),
                         (dist.ReduceOp.MAX, 2.0), (dist.ReduceOp.MIN, 1.0),
                         (dist.ReduceOp.PRODUCT, None)):
        t = cr.tensor([1.0 + rank, 2.0 * (1.0 + rank)], dtype=cr.float32)
        version = t._version
        dist.all_reduce(t, op=op)
        a = np.array([1.0 + rank, 2.0 * (1.0 + rank)], dtype=np.float64)
        dist.all_reduce(a, op=op)
        out[op.name] = {"tensor": t.tolist(), "tensor_dtype": str(t.dtype),
                        "array": a.tolist(), "array_dtype": str(a.dtype),
                        "expected": [2.0, 8.0] if expected is None else [expected, 2 * expected],
                        "version_bumped": t._version > version}
    ints = np.array([rank + 1], dtype=np.int64)
    dist.all_reduce(ints)
    out["int_sum"] = [ints.tolist(), str(ints.dtype)]
    strided = np.arange(12.0).reshape(3, 4)[:, ::2] * (rank + 1)
    dist.all_reduce(strided)
    out["strided"] = strided.tolist()
    b = cr.tensor([float(rank)] * 3, dtype=cr.float64)
    dist.broadcast(b, src=1)
    out["broadcast"] = b.tolist()
    gathered = [np.zeros(2, np.int32) for _ in range(size)]
    dist.all_gather(gathered, np.array([rank, 10 * rank], np.int32))
    out["all_gather"] = [g.tolist() for g in gathered]
    part = cr.zeros(2, dtype=cr.float32)
    dist.reduce_scatter(part, [cr.full((2,), 1.0 + rank), cr.full((2,), 10.0 * (1 + rank))])
    out["reduce_scatter"] = part.tolist()
    work = dist.all_reduce(np.ones(3), async_op=True)
    out["async"] = work.wait(timeout=datetime.timedelta(seconds=60))
    objects = [{"from": rank}]
    dist.broadcast_object_list(objects, src=1)
    out["objects"] = objects
    dist.barrier()
    return out


def main() -> None:
    dist.init_process_group("mpi")
    results = {"collectives": collectives()}
    for kind in ("mlp", "cnn"):
        for dtype in (np.float64, np.float32):
            for optimizer in ("sgd", "adam"):
                key = f"{kind}-{np.dtype(dtype).name}-{optimizer}"
                results[key] = equivalence(kind, dtype, optimizer)
    results["small_buckets"] = small_buckets()
    results["no_sync"] = no_sync()
    results["unused"] = unused_parameters()
    results["buffers"] = buffers()
    results["sync_bn_1d"] = sync_batchnorm("1d")
    results["sync_bn_2d"] = sync_batchnorm("2d")
    everything = [None] * dist.get_world_size()
    dist.all_gather_object(everything, results)
    if dist.get_rank() == 0:
        with open(sys.argv[1], "w") as f:
            json.dump(everything, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
