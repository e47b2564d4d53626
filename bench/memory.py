"""Memory of training: the peak of a step, and no growth over 1,000 steps.

Two measures, each library in its own process:

* **tracemalloc** (chainrule and hand-NumPy): NumPy reports its array buffers to
  tracemalloc, and Python objects are traced too, so this is everything the step
  allocates. The peak is taken over 20 MLP steps (batch 256) above the memory held
  before the first of them (weights, batch and optimizer state already exist).
  PyTorch's allocator is invisible to tracemalloc.
* **RSS** (all three): the process's peak resident set over the same 20 steps, above
  the resident set before the first step (``VmHWM`` reset through ``/proc/self/clear_refs``
  where the kernel allows, else the peak since start). Coarse (pages, allocator caches,
  freed memory kept by malloc) but the one measure that sees PyTorch.

Growth: 1,000 MLP steps at batch 32 with the garbage collector *disabled*, so anything
kept alive only by a reference cycle piles up: how many objects ``gc.collect()`` then
finds (cycles; should be 0), and the traced memory after step 1,000 minus after step 10
(should be about 0). Both are taken right after a full collection, which also empties
CPython's free lists: those fill up to a fixed cap (about 120 KiB) over the first few
thousand steps whether or not anything leaks.

Run: ``python -m bench.memory``.
"""

from __future__ import annotations

import gc
import os

from bench import _harness as H

LIBS = ["chainrule", "numpy", "torch"]
MIB = 1024 * 1024


def _rss() -> tuple:
    """(current, peak) resident set in bytes, from /proc/self/status."""
    cur = peak = 0
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    cur = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
    except OSError:
        pass
    return cur, peak


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(lib: str, steps: int = 20, growth_steps: int = 1000) -> dict:
    import tracemalloc

    from bench.mlp import make_step

    result: dict = {}
    step = make_step(lib, 256)
    gc.collect()
    # RSS, from before the first step (model and batch made), without tracemalloc
    reset = _reset_peak_rss()
    rss0, _ = _rss()
    for _ in range(steps):
        step()
    _, rss_peak = _rss()
    gc.collect()
    result["rss_peak_mib"] = (rss_peak - rss0) / MIB
    result["rss_peak_reset"] = reset
    if lib != "torch":
        # tracemalloc: from a steady state (the first steps made grad buffers, caches)
        tracemalloc.start()
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(steps):
            step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["traced_peak_mib"] = (peak - start) / MIB
    del step
    gc.collect()

    # growth over many steps, gc off
    step = make_step(lib, 32)
    for _ in range(3):
        step()
    gc.disable()
    try:
        if lib != "torch":
            tracemalloc.start()
        for i in range(1, growth_steps + 1):
            step()
            if i == 10:
                # A full collection finds no cycles here but empties CPython's free lists,
                # bounded caches that otherwise fill up over the first few thousand steps.
                gc.collect()
                base = tracemalloc.get_traced_memory()[0] if lib != "torch" else 0
                rss_base = _rss()[0]
        result["cycles_found"] = gc.collect()
        end = tracemalloc.get_traced_memory()[0] if lib != "torch" else 0
        rss_end = _rss()[0]
        if lib != "torch":
            tracemalloc.stop()
        result["growth_kib"] = (end - base) / 1024 if lib != "torch" else None
        result["rss_growth_kib"] = (rss_end - rss_base) / 1024
    finally:
        gc.enable()
    result["growth_steps"] = growth_steps
    result["pid"] = os.getpid()
    return result


def run(rounds: int = 1) -> list:
    results = {lib: H.run_child("bench.memory", "measure", lib, threads=1) for lib in LIBS}
    base = results.get("numpy", {})
    rows = []
    for lib, r in results.items():
        if "error" in r:
            rows.append([lib, "error", r["error"][:80], "", "", ""])
            continue
        traced = r.get("traced_peak_mib")
        ratio = ""
        if traced is not None and base.get("traced_peak_mib"):
            ratio = f"{traced / base['traced_peak_mib']:.2f}x"
        rows.append([
            lib,
            f"{traced:.1f} MiB" if traced is not None else "n/a",
            ratio,
            f"{r['rss_peak_mib']:.1f} MiB",
            f"{r['growth_kib']:.1f} KiB" if r.get("growth_kib") is not None else
            f"n/a (RSS {r['rss_growth_kib']:.0f} KiB)",
            str(r["cycles_found"]),
        ])
    H.print_rows("Memory: 20 MLP steps at batch 256 (peak above start), and 1,000 steps at "
                 "batch 32 with gc off (growth from step 10 to 1,000; cycles gc then finds)",
                 ["library", "tracemalloc peak", "vs numpy", "RSS peak", "growth",
                  "cycles"], rows)
    return [{"bench": "memory", "threads": 1, "results": results, "rows": rows,
             "title": "Memory over training steps (MLP)", "base": "numpy"}]


if __name__ == "__main__":
    run()
