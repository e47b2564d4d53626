"""The cost of training-health diagnostics: `chainrule train` steps with and without them.

The workload is what ``chainrule train`` runs: its mlp (64-512-10) and cnn on the
bundled 8x8 digits, batch 32, Adam, one step being zero_grad, forward, loss, backward,
the monitor's ``after_backward`` and the update. A sample times 10 consecutive steps
(one full period at k = 10, so exactly one of them is a sampled step), over the
training batches in turn. Three variants, each in its own process:

* ``off``: no monitor (the module hooks do not exist: ``Module.__call__`` is forward);
* ``k=10``: ``HealthMonitor(every=10)``, the default of ``chainrule train --health``;
* ``k=1``: every step sampled, the cost of a sampled step itself.

Target (issue 15): ``k=10`` under 10% over ``off``. Wall and CPU times on a shared
machine move by more than that from run to run, so when valgrind is installed the
benchmark also counts CPU instructions per step under callgrind (the difference between
runs of 10 and 110 steps, start-up and imports taken out; fixed hash seed), which the
machine's load cannot move.
Run: ``python -m bench.health``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from bench import _harness as H

VARIANTS = ["off", "k=10", "k=1"]
STEPS = 10  # steps per sample: one period at k = 10


def measure(lib: str, model: str = "mlp", samples: int = 30) -> dict:
    import numpy as np

    import chainrule as cr
    from chainrule.cli import build_model
    from chainrule.data import DataLoader, load_digits
    from chainrule.explain.health import HealthMonitor
    from chainrule.nn import functional as F

    cr.manual_seed(0)
    train_set, _ = load_digits()
    net = build_model(model)
    images = next(iter(DataLoader(train_set, batch_size=len(train_set))))[0]
    net[0].fit(images._array)
    optimizer = cr.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(train_set, batch_size=32, shuffle=True,
                        generator=np.random.default_rng(0))
    batches = list(loader)
    monitor = None if lib == "off" else HealthMonitor(net, every=int(lib.split("=")[1]),
                                                      loss_fn=F.cross_entropy)
    position = [0]

    def one_step() -> float:
        x, y = batches[position[0] % len(batches)]
        position[0] += 1
        optimizer.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        if monitor is not None:
            monitor.after_backward(loss, x, y)
        optimizer.step()
        return loss.item()

    def sample() -> None:
        for _ in range(STEPS):
            one_step()

    result = H.time_samples(sample, warmup=3, samples=samples)
    result["times"] = [t / STEPS for t in result["times"]]
    result["cpu_times"] = [t / STEPS for t in result["cpu_times"]]
    if monitor is not None:
        result["rows"] = len(monitor.rows)
        result["findings"] = len(monitor.findings())
    return result


_SCRIPT = """
import sys
import numpy as np
import chainrule as cr
from chainrule.cli import build_model
from chainrule.data import DataLoader, load_digits
from chainrule.explain.health import HealthMonitor
from chainrule.nn import functional as F
variant, model, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cr.manual_seed(0)
train_set, _ = load_digits()
net = build_model(model)
opt = cr.optim.Adam(net.parameters(), lr=1e-3)
batches = list(DataLoader(train_set, batch_size=32, shuffle=True,
                          generator=np.random.default_rng(0)))
monitor = None if variant == "off" else HealthMonitor(net, every=int(variant.split("=")[1]))
for i in range(n):
    x, y = batches[i % len(batches)]
    opt.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    if monitor is not None:
        monitor.after_backward(loss, x, y)
    opt.step()
"""


def _instructions(variant: str, model: str, steps: int) -> int:
    env = dict(os.environ, PYTHONPATH=H.ROOT + os.pathsep + os.path.join(H.ROOT, "src")
               + os.pathsep + os.environ.get("PYTHONPATH", ""), PYTHONHASHSEED="0",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", _SCRIPT, variant, model, str(steps)],
                         capture_output=True, text=True, check=True, cwd=H.ROOT, env=env,
                         timeout=900)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def instructions(model: str = "mlp", steps: int = 100) -> dict:
    """CPU instructions per training step of each variant (callgrind), or {} without valgrind."""
    if shutil.which("valgrind") is None:
        return {}
    counts = {}
    for variant in VARIANTS:
        counts[variant] = (_instructions(variant, model, 10 + steps)
                           - _instructions(variant, model, 10)) / steps
    return counts


def run(rounds: int = 3, models: tuple = ("mlp", "cnn")) -> list:
    out = []
    counts = instructions("mlp")
    if counts:
        base = counts["off"]
        text = "\n".join(f"{v:5s} {n / 1e6:7.2f} M instructions per step ({n / base:.3f}x off)"
                         for v, n in counts.items())
        title = ("Health diagnostics: CPU instructions per `chainrule train` mlp step "
                 "(callgrind, 100 steps)")
        print(f"\n{title}\n  " + text.replace("\n", "\n  "))
        out.append({"bench": "health_instructions", "text": text, "title": title,
                    "counts": counts})
    else:
        print("valgrind is not installed: no instruction counts (apt-get install valgrind)")
    for model in models:
        samples = 30 if model == "mlp" else 10
        results = H.compare("bench.health", "measure", VARIANTS, threads=1,
                            params={"model": model, "samples": samples}, rounds=rounds)
        rows = H.table(results, base="off")
        title = (f"Health diagnostics: one `chainrule train` {model} step on the digits, "
                 "batch 32, 1 thread")
        H.print_rows(f"{title} (ratio: to no monitor)",
                     ["variant", "median per step", "min - max", "vs off", "CPU vs off"], rows)
        out.append({"bench": f"health_{model}", "threads": 1, "results": results, "rows": rows,
                    "title": title, "base": "off"})
    return out


if __name__ == "__main__":
    run()
