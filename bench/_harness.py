"""The measuring harness every benchmark in bench/ shares.

Each library runs in its own fresh interpreter (``python -m bench._child``): OpenBLAS's
and PyTorch's thread pools would otherwise fight over the cores, and a library's
import-time state (allocator caches, thread pools) would leak into the next. The
thread count is fixed in the child *before* NumPy or PyTorch is imported (environment
variables), then again with threadpoolctl and ``torch.set_num_threads``.

A child runs one function ``bench.<module>.<func>(lib, **params)`` and prints its
result as one JSON line. Timing functions use :func:`time_samples`: warm-up calls,
then ``samples`` timed calls; the parent reports the median and the min-max.
To damp drift on a shared machine, :func:`compare` runs the libraries of one
comparison in turns (round-robin, ``rounds`` times) and pools their samples, so every
ratio comes from one window of time.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
QUICK = os.environ.get("CHAINRULE_BENCH_QUICK") == "1"  # fewer samples, for a smoke run


# ---------------------------------------------------------------------------
# In the child
# ---------------------------------------------------------------------------

def time_samples(step: Callable[[], Any], warmup: int, samples: int, inner: int = 1) -> dict:
    """Seconds per call of ``step``: ``warmup`` untimed calls, then ``samples`` timings.

    Returns ``{"times": wall-clock seconds, "cpu_times": this process's CPU seconds}``
    per sample. Each sample times ``inner`` calls back to back and divides (for very
    short steps). With one thread, CPU time is the steadier measure on a shared
    machine (it does not count the time other processes hold the core).
    """
    if QUICK:
        warmup, samples = min(warmup, 2), min(samples, 5)
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    clock = time.perf_counter
    cpu_clock = time.process_time
    for _ in range(samples):
        start, start_cpu = clock(), cpu_clock()
        for _ in range(inner):
            step()
        cpu.append((cpu_clock() - start_cpu) / inner)
        wall.append((clock() - start) / inner)
    return {"times": wall, "cpu_times": cpu}


def training_step(lib: str, build: Callable, params: list, x: Any, y: Any,
                  lr: float, optimizer: str = "SGD") -> Callable[[], float]:
    """One step of ``optim.<optimizer>`` with softmax cross-entropy, written as a user
    would, for chainrule or PyTorch (the same code: the two share the API). ``build(nn)``
    makes the model; ``params`` (NumPy arrays, in ``parameters()`` order) are copied in."""
    import importlib

    m = importlib.import_module("chainrule" if lib == "chainrule" else "torch")
    model = build(m.nn)
    with m.no_grad():
        for p, w in zip(model.parameters(), params, strict=True):
            p.copy_(m.tensor(w))
    opt = getattr(m.optim, optimizer)(model.parameters(), lr=lr)
    xt, yt = m.tensor(x), m.tensor(y)
    cross_entropy = m.nn.functional.cross_entropy

    def step() -> float:
        opt.zero_grad()
        loss = cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def step_for(lib: str, numpy_step: Callable, build: Callable, params: list, x: Any, y: Any,
             lr: float) -> Callable[[], float]:
    """The training step of ``lib``: the hand-written NumPy one, or :func:`training_step`
    for chainrule and PyTorch."""
    if lib == "numpy":
        return numpy_step(params, x, y)
    if lib in ("torch", "chainrule"):
        return training_step(lib, build, params, x, y, lr)
    raise ValueError(f"unknown library {lib!r}")


def set_threads(n: int) -> None:
    """Fix the thread count for whatever is imported (call again after importing torch)."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:
        pass
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(n)


def blas_info() -> list:
    """What threadpoolctl sees: which BLAS / OpenMP library, kernel and thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "prefix",
            "threading_layer")
    return [{k: d.get(k) for k in keep if d.get(k) is not None} for d in threadpool_info()]


def child_main(argv: list) -> None:
    spec = json.loads(argv[0])
    threads = spec["threads"]
    import importlib

    # Every library's process gets the allocator setting chainrule makes at import
    # (glibc keeps freed memory for reuse: chainrule.allocator), so that a ratio
    # compares the libraries' work, not how glibc treated their freed arrays.
    from chainrule import allocator

    allocator.keep_freed_memory(True)
    module = importlib.import_module(spec["module"])
    lib = spec["lib"]
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
    set_threads(threads)
    fn = getattr(module, spec["func"])
    result = fn(lib, **spec.get("params", {}))
    result["blas"] = blas_info()
    result["lib"] = lib
    sys.stdout.write("\n@@RESULT@@" + json.dumps(result) + "\n")


# ---------------------------------------------------------------------------
# In the parent
# ---------------------------------------------------------------------------

def run_child(module: str, func: str, lib: str, threads: int = 1, params: dict | None = None,
              timeout: float = 300) -> dict:
    """Run ``module.func(lib, **params)`` in a fresh interpreter with ``threads`` threads."""
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    spec = json.dumps({"module": module, "func": func, "lib": lib, "threads": threads,
                       "params": params or {}})
    proc = subprocess.run([sys.executable, "-m", "bench._child", spec], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    marker = proc.stdout.rfind("@@RESULT@@")
    if proc.returncode != 0 or marker < 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"lib": lib, "error": " | ".join(tail) or f"exit {proc.returncode}"}
    return json.loads(proc.stdout[marker + len("@@RESULT@@"):].strip())


def compare(module: str, func: str, libs: list, threads: int = 1, params: dict | None = None,
            rounds: int = 2) -> dict:
    """Run every lib ``rounds`` times in turns; pool the samples of each lib."""
    results: dict = {}
    for _ in range(1 if QUICK else rounds):
        for lib in libs:
            r = run_child(module, func, lib, threads, params)
            if lib not in results or "error" in results[lib]:
                results[lib] = r
            elif "error" not in r:
                for key in ("times", "cpu_times"):
                    results[lib].setdefault(key, []).extend(r.get(key, []))
    return results


def summary(times: list) -> dict:
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "n": len(times)}


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(results: dict, base: str, per: float = 1.0, unit: str = "") -> list:
    """Rows ``[lib, median, min-max, ratio to base, CPU-time ratio to base]``.

    Times are divided by ``per`` (ops per sample, say). The last column is the ratio
    of the medians of per-process CPU time, steadier than wall time on a busy machine
    (meaningful for 1-thread runs; with 2 threads it adds both threads' time).
    """
    rows = []
    base_r = results.get(base, {})
    base_t = statistics.median(base_r["times"]) / per if base_r.get("times") else None
    base_c = statistics.median(base_r["cpu_times"]) if base_r.get("cpu_times") else None
    for lib, r in results.items():
        if "error" in r:
            rows.append([lib, "error", r["error"][:80], "", ""])
            continue
        if r.get("skipped"):
            rows.append([lib, "skipped", r["skipped"], "", ""])
            continue
        s = summary([t / per for t in r["times"]])
        ratio = f"{s['median'] / base_t:.2f}x" if base_t else ""
        cpu = ""
        if base_c and r.get("cpu_times"):
            cpu = f"{statistics.median(r['cpu_times']) / base_c:.2f}x"
        rows.append([lib, fmt_time(s["median"]) + unit,
                     f"{fmt_time(s['min'])} - {fmt_time(s['max'])}", ratio, cpu])
    return rows


def print_rows(title: str, header: list, rows: list) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header] + rows:
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def machine() -> dict:
    """The machine and versions, for the report."""
    import numpy

    info = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
    }
    try:
        import importlib.metadata as md

        for name in ("torch", "autograd", "micrograd", "threadpoolctl", "chainrule"):
            try:
                info[name] = md.version(name)
            except md.PackageNotFoundError:
                pass
    except ImportError:
        pass
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure_step(step: Callable[[], Any], samples: int, warmup: int = 3) -> dict:
    """Time a training step; the losses of its first two calls go along with the times
    (the second comes after one update, so it checks the gradients too)."""
    first = step()
    second = step()
    result = time_samples(step, warmup=warmup, samples=samples)
    result.update(first_loss=first, second_loss=second)
    return result


def run_steps(name: str, libs: list, title: Callable[[int], str], base: str, base_words: str,
              rounds: int, threads: tuple) -> list:
    """Compare ``bench.<name>.measure`` across ``libs`` for each thread count; print and
    return one report section per count (see bench/__main__.py)."""
    out = []
    for t in threads:
        results = compare(f"bench.{name}", "measure", libs, threads=t, rounds=rounds)
        rows = table(results, base=base)
        losses = ", ".join(f"{k} {r['first_loss']:.5f}/{r['second_loss']:.5f}"
                           for k, r in results.items() if "first_loss" in r)
        heading = title(t)
        print_rows(f"{heading} (ratio: to {base_words}; losses of steps 1/2: {losses})",
                   ["library", "median", "min - max", f"vs {base}", f"CPU vs {base}"], rows)
        out.append({"bench": name, "threads": t, "results": results, "rows": rows,
                    "title": heading, "base": base})
    return out
