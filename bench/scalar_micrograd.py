"""chainrule.Scalar against micrograd's Value on the same work, in one run.

The work: a 2-16-16-1 MLP (relu hidden layers, linear output, micrograd's
layout), the squared error summed over 100 samples, forward and backward,
with Python's garbage collector on (its default), each run charged with
collecting the garbage it leaves behind. Both engines start from
the same weights and must produce the same loss and gradients; the script
checks that before timing anything.

Three timings are printed, as medians over rounds (in each round every engine
runs once, in turn):

* micrograd: ``micrograd.nn.MLP`` (every ``*`` and ``+`` a node).
* chainrule, per-op: the same expression written over Scalars, node for node
  what micrograd builds (``sum(w * x for ...) + b``).
* chainrule: ``chainrule.scalar_nn.MLP``, whose neurons use the fused ``dot``
  primitive (one node per pre-activation instead of 2 n; same numbers).

Run: ``python bench/scalar_micrograd.py`` (``--repeats N`` to change the count).
If micrograd is not installed (``pip install micrograd==0.1.0``) only the
chainrule timings are printed.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import time

from chainrule.scalar import Scalar
from chainrule.scalar_nn import MLP

SIZES = (2, [16, 16, 1])
N_SAMPLES = 100


def make_data(seed: int = 0) -> tuple:
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(N_SAMPLES)]
    ys = [rng.uniform(-1, 1) for _ in range(N_SAMPLES)]
    return xs, ys


def step_chainrule(model: MLP, xs: list, ys: list) -> Scalar:
    """Fused neurons: chainrule.scalar_nn.MLP as shipped."""
    model.zero_grad()
    loss = Scalar(0.0, requires_grad=False)
    for x, y in zip(xs, ys):
        loss = loss + (model(x) - y) ** 2
    loss.backward()
    return loss


def step_chainrule_per_op(model: MLP, xs: list, ys: list) -> Scalar:
    """The same network, every multiply and add its own node (micrograd's graph)."""
    model.zero_grad()
    loss = Scalar(0.0, requires_grad=False)
    for x, y in zip(xs, ys):
        h = x
        for layer in model.layers:
            out = []
            for n in layer.neurons:
                act = sum((wi * xi for wi, xi in zip(n.w, h)), n.b)
                out.append(act.relu() if n.nonlin else act)
            h = out
        loss = loss + (h[0] - y) ** 2
    loss.backward()
    return loss


def step_micrograd(model, xs: list, ys: list):
    from micrograd.engine import Value

    model.zero_grad()
    loss = Value(0.0)
    for x, y in zip(xs, ys):
        loss = loss + (model(x) - y) ** 2
    loss.backward()
    return loss


def copy_weights(src, dst: MLP) -> None:
    """Give ``dst`` (chainrule) the weights of ``src`` (micrograd)."""
    for p_src, p_dst in zip(src.parameters(), dst.parameters(), strict=True):
        p_dst.data = float(p_src.data)


def check_same_numbers(theirs, ours: MLP, xs: list, ys: list) -> tuple:
    """Assert both engines give the same loss and gradients; returns (loss, worst relative
    gradient difference). Its graphs are garbage once it returns."""
    loss_ref = step_micrograd(theirs, xs, ys)
    grads_ref = [p.grad for p in theirs.parameters()]
    worst = 0.0
    for step in (step_chainrule, step_chainrule_per_op):
        loss = step(ours, xs, ys)
        grads = [p.grad for p in ours.parameters()]
        assert loss.data == loss_ref.data, (step.__name__, loss.data, loss_ref.data)
        rel = max(abs(a - b) / abs(b) for a, b in zip(grads, grads_ref) if b)
        assert rel < 1e-12, (step.__name__, rel)
        worst = max(worst, rel)
    return loss_ref.data, worst


def timed(fn) -> float:
    """Seconds for ``fn()`` plus collecting the garbage it leaves (its own cost, not the next's).

    micrograd's graphs hold reference cycles, so they are freed by the cycle
    collector, whenever it next runs; charging each run with a final
    ``gc.collect()`` keeps one engine's garbage out of the other's timing.
    """
    gc.collect()
    start = time.perf_counter()
    fn()
    gc.collect()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    xs, ys = make_data()
    random.seed(0)
    ours = MLP(*SIZES)
    try:
        from micrograd.nn import MLP as MicroMLP
    except ImportError:
        theirs = None
        print("micrograd is missing (pip install micrograd==0.1.0): timing chainrule only")
    else:
        random.seed(0)
        theirs = MicroMLP(*SIZES)
        copy_weights(theirs, ours)
        loss, worst = check_same_numbers(theirs, ours, xs, ys)
        print(f"same numbers: loss {loss:.12g} identical; gradients agree to "
              f"{worst:.1e} (relative; only the summation order differs)")

    print(f"2-16-16-1 MLP, forward + backward over {N_SAMPLES} samples, gc on, "
          f"median of {args.repeats} rounds ({platform.python_implementation()} "
          f"{platform.python_version()}, {platform.processor() or platform.machine()})")
    # The engines take turns within each round, so a change in the machine's load
    # touches all of them alike; the ratios are medians of per-round ratios.
    runs: dict = {"micrograd": [], "per-op": [], "MLP": []}
    for _ in range(args.repeats):
        if theirs is not None:
            runs["micrograd"].append(timed(lambda: step_micrograd(theirs, xs, ys)))
        runs["per-op"].append(timed(lambda: step_chainrule_per_op(ours, xs, ys)))
        runs["MLP"].append(timed(lambda: step_chainrule(ours, xs, ys)))
    if theirs is not None:
        print(f"  micrograd Value            {statistics.median(runs['micrograd']) * 1e3:8.1f} ms")
    for key, label in (("per-op", "chainrule Scalar, per-op"), ("MLP", "chainrule Scalar, MLP")):
        line = f"  {label:26s} {statistics.median(runs[key]) * 1e3:8.1f} ms"
        if theirs is not None:
            ratio = statistics.median(m / t for m, t in zip(runs["micrograd"], runs[key]))
            line += f"   {ratio:5.1f}x faster than micrograd"
        print(line)


if __name__ == "__main__":
    main()
