"""Data-parallel scaling over MPI: 1 rank against 2 ranks, 1 BLAS thread per rank.

Two models: the MLP of bench/mlp.py (784-512-512-10) and the LeNet-like CNN of
bench/cnn.py (28x28 inputs), float32, SGD, softmax cross-entropy. For each:

* fixed per-rank batch (weak scaling): every rank trains on the same batch size, so 2
  ranks do twice the work per step; efficiency = (samples/s on 2 ranks) / (2 x samples/s
  on 1 rank);
* fixed global batch (strong scaling): 2 ranks each take half; efficiency = speedup / 2.

One rank is the plain model, no DistributedDataParallel and no communication: the
efficiency is measured against the best one process can do. On 2 ranks it is also timed

* ``overlap``: DistributedDataParallel as shipped, buckets allreduced while backward runs;
* ``after``: the same model unwrapped, and one allreduce of all gradients (one flat
  buffer) after backward, as a simple data-parallel loop would do;
* ``local``: each rank steps alone, no communication at all: the compute time the 2
  ranks take side by side (they share the machine's memory bandwidth and caches),

* ``overlap_no_thread``: DistributedDataParallel without its progress thread (buckets
  launched early, but MPI moves them only inside MPI calls, so in effect at the end);

and the share of a step spent waiting on communication is ``(overlap - local) /
overlap``; ``DistributedDataParallel``'s own count of the time it waits at the end of
backward is reported too.

Every figure is given from the median step and from the fastest step: on a busy shared
machine other processes take the cores now and then, and the fastest steps are the ones
they disturbed least. The CPU-time efficiency compares each rank's CPU seconds per step
(a rank waiting for another spins, so waiting counts).

Run: ``python -m bench.distributed`` (about a minute). Each configuration runs under
``mpirun -n 1`` and ``mpirun -n 2`` (``--allow-run-as-root`` as root, ``--oversubscribe``),
in turns, and the samples of the rounds are pooled.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from bench import _harness as H

MODELS = {"mlp": {"per_rank": 256, "global": 256}, "cnn": {"per_rank": 64, "global": 64}}
STEPS = 6 if H.QUICK else 25
WARMUP = 2 if H.QUICK else 4


# ---------------------------------------------------------------------------
# The worker: one MPI rank
# ---------------------------------------------------------------------------

def _model(kind: str, nn):
    from bench import cnn, mlp

    return (mlp._model if kind == "mlp" else cnn._model)(nn)


def _weights(kind: str) -> list:
    from bench import cnn, mlp

    return mlp.weights() if kind == "mlp" else cnn.weights()


def _data(kind: str, n: int, rank: int):
    import numpy as np

    rng = np.random.default_rng(100 + rank)
    shape = (n, 784) if kind == "mlp" else (n, 1, 28, 28)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, n)


def _make_step(kind: str, mode: str, batch: int):
    """One training step of ``mode`` on this rank's batch, and the wrapper (or None)."""
    import numpy as np

    import chainrule as cr
    import chainrule.distributed as dist
    from chainrule import nn
    from chainrule.nn import functional as F

    model = _model(kind, nn)
    with cr.no_grad():
        for p, w in zip(model.parameters(), _weights(kind)):
            p.copy_(cr.tensor(w))
    ddp = nn.parallel.DistributedDataParallel(model) if mode.startswith("overlap") else None
    if mode == "overlap_no_thread":  # buckets launched early, but MPI moves them only
        ddp._progress = None          # inside MPI calls: at the final wait
    net = ddp if ddp is not None else model
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    x, y = _data(kind, batch, dist.get_rank())
    xt, yt = cr.tensor(x), cr.tensor(y)
    params = list(model.parameters())
    flat = np.empty(sum(p.numel() for p in params), dtype=np.float32)

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(net(xt), yt).backward()
        if mode == "after":  # one allreduce of every gradient, after backward
            start = 0
            for p in params:
                flat[start:start + p.numel()] = p.grad._array.ravel()
                start += p.numel()
            dist.all_reduce(flat, dist.ReduceOp.AVG)
            start = 0
            for p in params:
                p.grad._array[...] = flat[start:start + p.numel()].reshape(p.shape)
                start += p.numel()
        opt.step()

    return step, ddp


def _measure(kind: str, modes: list, batch: int) -> dict:
    """Seconds per step on this rank for each mode, the modes taking turns step by step
    (so that a burst of other work on the machine hits them all alike), each timed step
    starting from a barrier."""
    import chainrule.distributed as dist

    steps = {mode: _make_step(kind, mode, batch) for mode in modes}
    for _ in range(WARMUP):
        for step, _ in steps.values():
            step()
    dist.barrier()
    times: dict = {mode: [] for mode in modes}
    cpu: dict = {mode: [] for mode in modes}
    waited = {mode: ddp._wait_seconds for mode, (_, ddp) in steps.items() if ddp is not None}
    for _ in range(STEPS):
        for mode, (step, _) in steps.items():
            dist.barrier()  # every timed step starts with the ranks together (untimed)
            began, began_cpu = time.perf_counter(), time.process_time()
            step()
            cpu[mode].append(time.process_time() - began_cpu)
            times[mode].append(time.perf_counter() - began)
    results = {}
    for mode, (_, ddp) in steps.items():
        results[mode] = {"times": times[mode], "cpu": cpu[mode]}
        if ddp is not None:
            results[mode]["wait"] = (ddp._wait_seconds - waited[mode]) / STEPS
            results[mode]["buckets"] = len(ddp._buckets)
    dist.barrier()
    return results


def worker(configs: list) -> None:
    """Run every configuration on this rank; rank 0 prints the results as one JSON line
    (each rank's times; the slowest rank sets the pace of a synchronous step).
    ``configs``: ``[kind, [modes], batch]`` triples."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    import chainrule.distributed as dist

    dist.init_process_group("mpi")
    out = []
    for kind, modes, batch in configs:
        mine = _measure(kind, modes, batch)
        every = [None] * dist.get_world_size()
        dist.all_gather_object(every, mine)
        for mode in modes:
            out.append({"kind": kind, "mode": mode, "batch": batch,
                        "ranks": [r[mode] for r in every]})
    if dist.get_rank() == 0:
        sys.stdout.write("\n@@RESULT@@" + json.dumps({"results": out,
                                                      "blas": H.blas_info()}) + "\n")
    dist.destroy_process_group()


# ---------------------------------------------------------------------------
# The parent: mpirun -n 1 and -n 2, in turns
# ---------------------------------------------------------------------------

def _mpirun(n: int, configs: list) -> dict:
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise SystemExit('bench.distributed needs mpirun: pip install "chainrule[mpi]"')
    env = dict(os.environ)
    for var in H.THREAD_VARS:
        env[var] = "1"
    env["PYTHONPATH"] = os.pathsep.join([H.ROOT, os.path.join(H.ROOT, "src"),
                                         env.get("PYTHONPATH", "")])
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    command = [mpirun, "--oversubscribe", "--bind-to", "core" if n <= (os.cpu_count() or 1)
               else "none", "-n", str(n), sys.executable, "-m", "bench.distributed",
               "--worker", json.dumps(configs)]
    proc = subprocess.run(command, env=env, cwd=H.ROOT, capture_output=True, text=True,
                          timeout=900)
    marker = proc.stdout.rfind("@@RESULT@@")
    if proc.returncode != 0 or marker < 0:
        raise SystemExit(f"mpirun -n {n} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout[marker + len("@@RESULT@@"):])


def _pace(entry: dict) -> list:
    """Per-step seconds of the slowest rank, step by step."""
    return [max(step) for step in zip(*(r["times"] for r in entry["ranks"]))]


def run(rounds: int = 2) -> dict:
    one = [(kind, ["plain"], b) for kind, s in MODELS.items()
           for b in sorted({s["per_rank"], s["global"]})]
    two = [(kind, ["overlap", "overlap_no_thread", "after", "local"], b)
           for kind, s in MODELS.items() for b in sorted({s["per_rank"], s["global"] // 2})]
    pooled: dict = {}
    blas = None
    load_start = os.getloadavg()[0]
    for _ in range(1 if H.QUICK else rounds):
        for n, configs in ((1, one), (2, two)):
            result = _mpirun(n, configs)
            blas = result["blas"]
            for entry in result["results"]:
                key = (n, entry["kind"], entry["mode"], entry["batch"])
                slot = pooled.setdefault(key, {"times": [], "wait": [], "cpu": []})
                slot["times"] += _pace(entry)
                slot["cpu"].append(max(statistics.median(r["cpu"]) for r in entry["ranks"]))
                if entry["mode"].startswith("overlap"):
                    slot["wait"].append(statistics.mean(r["wait"] for r in entry["ranks"]))
                    slot["buckets"] = entry["ranks"][0]["buckets"]

    def med(n, kind, mode, batch, what="times"):
        return statistics.median(pooled[(n, kind, mode, batch)][what])

    def fast(n, kind, mode, batch):
        """The fastest step: the least disturbed by other work on a busy machine."""
        return min(pooled[(n, kind, mode, batch)]["times"])

    report: dict = {"scaling": [], "overlap": [], "blas": blas, "machine": H.machine(),
                    "load": (load_start, os.getloadavg()[0])}
    for kind, s in MODELS.items():
        b = s["per_rank"]
        t1, t2 = med(1, kind, "plain", b), med(2, kind, "overlap", b)
        c1, c2 = med(1, kind, "plain", b, "cpu"), med(2, kind, "overlap", b, "cpu")
        report["scaling"].append({
            "model": kind, "setting": f"fixed per-rank batch {b}", "ranks1_steps": 1 / t1,
            "ranks2_steps": 1 / t2, "ranks1_samples": b / t1, "ranks2_samples": 2 * b / t2,
            "speedup": t1 / t2 * 2, "efficiency": t1 / t2, "cpu_efficiency": c1 / c2,
            "fast_efficiency": fast(1, kind, "plain", b) / fast(2, kind, "overlap", b)})
        g = s["global"]
        t1, t2 = med(1, kind, "plain", g), med(2, kind, "overlap", g // 2)
        c1, c2 = med(1, kind, "plain", g, "cpu"), med(2, kind, "overlap", g // 2, "cpu")
        report["scaling"].append({
            "model": kind, "setting": f"fixed global batch {g}", "ranks1_steps": 1 / t1,
            "ranks2_steps": 1 / t2, "ranks1_samples": g / t1, "ranks2_samples": g / t2,
            "speedup": t1 / t2, "efficiency": t1 / t2 / 2, "cpu_efficiency": c1 / c2 / 2,
            "fast_efficiency": fast(1, kind, "plain", g) / fast(2, kind, "overlap", g // 2) / 2})
        for batch in sorted({b, g // 2}):
            over, after = med(2, kind, "overlap", batch), med(2, kind, "after", batch)
            nothread = med(2, kind, "overlap_no_thread", batch)
            local = med(2, kind, "local", batch)
            slot = pooled[(2, kind, "overlap", batch)]
            report["overlap"].append({
                "model": kind, "batch": batch, "overlap": over, "no_thread": nothread,
                "after": after, "local": local,
                "fastest": [fast(2, kind, mode, batch)
                            for mode in ("overlap", "overlap_no_thread", "after", "local")],
                "exposed_share": max(over - local, 0.0) / over,
                "after_exposed_share": max(after - local, 0.0) / after,
                "ddp_wait": statistics.mean(slot["wait"]),
                "no_thread_wait": statistics.mean(pooled[(2, kind, "overlap_no_thread",
                                                          batch)]["wait"]),
                "buckets": slot["buckets"]})
    _print(report)
    return report


def _print(report: dict) -> None:
    rows = [[r["model"], r["setting"], f"{r['ranks1_steps']:.1f}", f"{r['ranks2_steps']:.1f}",
             f"{r['ranks1_samples']:.0f}", f"{r['ranks2_samples']:.0f}", f"{r['speedup']:.2f}x",
             f"{r['efficiency']:.2f}", f"{r['fast_efficiency']:.2f}",
             f"{r['cpu_efficiency']:.2f}"] for r in report["scaling"]]
    H.print_rows("Data-parallel scaling, 1 BLAS thread per rank (steps/s and samples/s: "
                 "medians of wall time; 2 ranks: DistributedDataParallel)",
                 ["model", "setting", "1 rank steps/s", "2 ranks steps/s", "1 rank samples/s",
                  "2 ranks samples/s", "speedup", "efficiency", "(fastest steps)",
                  "(CPU time)"], rows)
    rows = [[r["model"], str(r["batch"]), H.fmt_time(r["overlap"]), H.fmt_time(r["no_thread"]),
             H.fmt_time(r["after"]), H.fmt_time(r["local"]), f"{100 * r['exposed_share']:.0f}%",
             f"{100 * r['after_exposed_share']:.0f}%", H.fmt_time(r["ddp_wait"]),
             H.fmt_time(r["no_thread_wait"]), str(r["buckets"]),
             f"{r['local'] / r['overlap']:.2f}"] for r in report["overlap"]]
    rows += [[r["model"], f"{r['batch']} fastest"] + [H.fmt_time(t) for t in r["fastest"]]
             + [f"{100 * max(r['fastest'][0] - r['fastest'][3], 0) / r['fastest'][0]:.0f}%",
                f"{100 * max(r['fastest'][2] - r['fastest'][3], 0) / r['fastest'][2]:.0f}%",
                "", "", "", f"{r['fastest'][3] / r['fastest'][0]:.2f}"]
             for r in report["overlap"]]
    H.print_rows("Overlap on 2 ranks: seconds per step (median of the slower rank)",
                 ["model", "batch/rank", "DDP", "DDP, no helper thread", "allreduce after",
                  "no comm", "waiting, DDP", "waiting, after", "DDP final wait",
                  "final wait, no thread", "buckets", "no comm / DDP"], rows)
    print(f"\n  load average (1 min) at the start / end: {report['load'][0]:.1f} / "
          f"{report['load'][1]:.1f} on {os.cpu_count()} cores")
    blas = "; ".join(", ".join(f"{k}={v}" for k, v in d.items() if k != "prefix")
                     for d in report["blas"] or [])
    print(f"\n  BLAS in a rank (threadpoolctl): {blas or 'threadpoolctl not installed'}")
    m = report["machine"]
    print(f"  machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, "
          f"NumPy {m['numpy']}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        worker(json.loads(sys.argv[2]))
    else:
        run()
