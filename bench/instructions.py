"""Per-op overhead in CPU instructions: a count that machine load cannot disturb.

Timings on a shared machine swing by 2x between minutes; the number of instructions a
program executes does not. This runs the chain of ``bench.chain`` (``* 1.0001``,
``+ 0.001``, ``tanh`` on 10 float64 elements, forward and backward) under valgrind's
callgrind, once with 0 and once with ``RUNS`` repetitions, and divides the difference
by the number of ops: what is left is the cost of one op, forward and backward, with
interpreter start-up and imports taken out. Needs the ``valgrind`` program.

Run: ``python -m bench.instructions`` (about a minute).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

N_OPS = 999
RUNS = 10

PROGRAMS = {
    "chainrule": "import chainrule as lib\nrun = lambda: autodiff_step(lib, x0, N_OPS)\n",
    "torch": "import torch as lib\nrun = lambda: autodiff_step(lib, x0, N_OPS)\n",
    "numpy": "run = lambda: numpy_step(x0, N_OPS)\n",
}


def _script(lib: str, runs: int) -> str:
    return ("import numpy as np\nfrom bench.chain import autodiff_step, numpy_step\n"
            f"N_OPS = {N_OPS}\nx0 = np.linspace(-1.0, 1.0, 10)\n{PROGRAMS[lib]}"
            f"run()\nfor _ in range({runs}):\n    run()\n")


def count(lib: str, runs: int) -> int:
    """Instructions executed by a fresh interpreter running the chain ``1 + runs`` times."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(_script(lib, runs))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # A fixed hash seed: set and dict layouts (and so the instruction count) repeat exactly.
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONHASHSEED="0")
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         f.name], capture_output=True, text=True, check=True, cwd=root, env=env, timeout=600)
    os.unlink(f.name)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def run() -> list:
    """Count, print, and return a report section (see bench/__main__.py)."""
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: no instruction counts (apt-get install valgrind)")
        return []
    per_op = {}
    for lib in PROGRAMS:
        try:
            per_op[lib] = (count(lib, RUNS) - count(lib, 0)) / (RUNS * N_OPS)
        except subprocess.CalledProcessError as err:
            print(f"{lib}: failed ({err.stderr.strip().splitlines()[-1]})")
    lines = []
    for lib, n in per_op.items():
        ratios = "  ".join(f"{n / per_op[b]:.2f}x {b}" for b in ("numpy", "torch") if b in per_op)
        lines.append(f"{lib:10s} {n:10,.0f}   {ratios}")
    title = f"Chain of {N_OPS} tiny ops, forward+backward: CPU instructions per op (callgrind)"
    print(title)
    print("  " + "\n  ".join(lines))
    return [{"bench": "instructions", "title": title, "text": "\n".join(lines),
             "per_op": per_op}]


if __name__ == "__main__":
    run()
