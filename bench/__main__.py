"""Run every benchmark: ``python -m bench [--write] [--quick] [--only NAME ...]``.

Each benchmark compares chainrule with hand-written NumPy and PyTorch, every library
in its own fresh process (see bench/_harness.py). ``--write`` puts the tables, the
machine, the versions and the BLAS kernel into docs/benchmarks.md. ``--quick`` takes
few samples (a smoke run, not numbers to quote). The whole run takes a few minutes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time

from bench import _harness as H

NAMES = ["chain", "mlp", "cnn", "memory", "deep_chain", "scalar_micrograd"]


def _scalar_micrograd() -> list:
    """bench/scalar_micrograd.py (chainrule.Scalar against micrograd), run as written."""
    env = dict(os.environ, PYTHONPATH=H.ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(H.ROOT, "bench", "scalar_micrograd.py")],
                          capture_output=True, text=True, env=env, cwd=H.ROOT, timeout=300)
    text = (proc.stdout + ("\n" + proc.stderr if proc.returncode else "")).strip()
    print("\nchainrule.Scalar against micrograd (bench/scalar_micrograd.py)")
    print("  " + text.replace("\n", "\n  "))
    return [{"bench": "scalar_micrograd", "text": text,
             "title": "chainrule.Scalar against micrograd (bench/scalar_micrograd.py)"}]


def run(names: list) -> list:
    sections = []
    for name in names:
        start = time.perf_counter()
        if name == "scalar_micrograd":
            sections += _scalar_micrograd()
        else:
            module = __import__(f"bench.{name}", fromlist=["run"])
            sections += module.run()
        print(f"  ({name}: {time.perf_counter() - start:.0f} s)")
    return sections


def _child_info() -> dict:
    """BLAS kernels as each library's process sees them (one chainrule and one torch child)."""
    out = {}
    for lib in ("numpy", "torch"):
        r = H.run_child("bench._harness_info", "info", lib, threads=1)
        out[lib] = r.get("blas", r.get("error"))
    return out


def markdown(sections: list, info: dict, blas: dict, command: str, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        "chainrule against hand-written NumPy and PyTorch (and, for per-op overhead, HIPS "
        "autograd and micrograd), every library in its own fresh process, warm-up first, "
        "then the median and the min - max of repeated samples. Ratios are only "
        "meaningful within one table: the libraries of a table run in turns in the same "
        "window of time; absolute times drift up to 2x between runs on a shared machine.",
        "",
        f"- Command: `{command}` ({seconds / 60:.1f} min)",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['platform']}",
        f"- Versions: Python {info['python']}, NumPy {info['numpy']}, "
        + ", ".join(f"{k} {info[k]}" for k in ("torch", "autograd", "micrograd",
                                                "threadpoolctl", "chainrule") if k in info),
        f"- OPENBLAS_* environment: {info['openblas_env'] or 'none set'}",
    ]
    for lib, entries in blas.items():
        if isinstance(entries, list):
            desc = "; ".join(
                ", ".join(f"{k}={v}" for k, v in e.items() if k != "prefix") for e in entries)
        else:
            desc = str(entries)
        lines.append(f"- Thread pools in a {lib} process (threadpoolctl, 1 thread): {desc}")
    lines.append("")
    for sec in sections:
        lines += ["", f"## {sec['title']}" + (f", {sec['threads']} thread(s)"
                                              if sec.get("threads") and "thread" not in
                                              sec["title"] else ""), ""]
        if "text" in sec:
            lines += ["```", sec["text"], "```"]
            continue
        header = _headers(sec)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in sec["rows"]:
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
        extra = _notes(sec)
        if extra:
            lines += ["", extra]
    lines.append("")
    return "\n".join(lines)


def _headers(sec: dict) -> list:
    if sec["bench"] == "memory":
        return ["library", "tracemalloc peak", "vs numpy", "RSS peak", "growth (1,000 steps)",
                "cycles"]
    if sec["bench"] == "deep_chain":
        return ["library", "forward", "backward", "peak RSS", "dy/dx", "recursion limit"]
    return ["library", "median", "min - max", f"vs {sec['base']}", f"CPU time vs {sec['base']}"]


def _notes(sec: dict) -> str:
    res = sec.get("results", {})
    losses = [f"{k} {r['first_loss']:.5f} / {r['second_loss']:.5f}" for k, r in res.items()
              if "first_loss" in r]
    if losses:
        return "Loss at steps 1 / 2 (same weights, same batch): " + ", ".join(losses) + "."
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="few samples: a smoke run")
    parser.add_argument("--only", nargs="*", choices=NAMES, help="run only these")
    args = parser.parse_args()
    if args.quick:
        os.environ["CHAINRULE_BENCH_QUICK"] = "1"
        H.QUICK = True
    names = args.only or NAMES
    info = H.machine()
    print(f"{info['cpu']}, {info['cores']} cores; Python {info['python']}, NumPy "
          f"{info['numpy']}, torch {info.get('torch', '-')}; OPENBLAS_* env: "
          f"{info['openblas_env'] or 'none'}")
    blas = _child_info()
    for lib, entries in blas.items():
        print(f"  {lib} process thread pools: {entries}")
    start = time.perf_counter()
    sections = run(names)
    seconds = time.perf_counter() - start
    print(f"\nall done in {seconds:.0f} s")
    if args.write:
        command = "python -m bench " + " ".join(sys.argv[1:])
        path = os.path.join(H.ROOT, "docs", "benchmarks.md")
        with open(path, "w") as f:
            f.write(markdown(sections, info, blas, command.strip(), seconds))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
