"""chainrule.Scalar against micrograd's Value on the same work, in one run.

The work: a 2-16-16-1 MLP (relu hidden layers, linear output, micrograd's
layout), the squared error summed over 100 samples, forward and backward,
with Python's garbage collector on (its default). Both engines start from
the same weights and must produce the same loss and gradients; the script
checks that before timing anything.

Three timings are printed, as medians over repeats:

* micrograd: ``micrograd.nn.MLP`` (every ``*`` and ``+`` a node).
* chainrule, per-op: the same expression written over Scalars, node for node
  what micrograd builds (``sum(w * x for ...) + b``).
* chainrule: ``chainrule.scalar.MLP``, whose neurons use the fused ``dot``
  primitive (one node per pre-activation instead of 2 n; same numbers).

Run: ``python bench/scalar_micrograd.py`` (``--repeats N`` to change the count).
If micrograd is not installed (``pip install micrograd==0.1.0``) only the
chainrule timings are printed.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time

from chainrule.scalar import MLP, Scalar

SIZES = (2, [16, 16, 1])
N_SAMPLES = 100


def make_data(seed: int = 0) -> tuple:
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(N_SAMPLES)]
    ys = [rng.uniform(-1, 1) for _ in range(N_SAMPLES)]
    return xs, ys


def step_chainrule(model: MLP, xs: list, ys: list) -> Scalar:
    """Fused neurons: chainrule.scalar.MLP as shipped."""
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


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
        print(f"same numbers: loss {loss_ref.data:.12g} identical; gradients agree to "
              f"{worst:.1e} (relative; only the summation order differs)")

    print(f"2-16-16-1 MLP, forward + backward over {N_SAMPLES} samples, gc on, "
          f"median of {args.repeats} ({platform.python_implementation()} "
          f"{platform.python_version()}, {platform.processor() or platform.machine()})")
    t_ours = median_time(lambda: step_chainrule(ours, xs, ys), args.repeats)
    t_per_op = median_time(lambda: step_chainrule_per_op(ours, xs, ys), args.repeats)
    if theirs is not None:
        t_theirs = median_time(lambda: step_micrograd(theirs, xs, ys), args.repeats)
        print(f"  micrograd Value            {t_theirs * 1e3:8.1f} ms")
    print(f"  chainrule Scalar, per-op   {t_per_op * 1e3:8.1f} ms"
          + (f"   {t_theirs / t_per_op:5.1f}x faster than micrograd" if theirs else ""))
    print(f"  chainrule Scalar, MLP      {t_ours * 1e3:8.1f} ms"
          + (f"   {t_theirs / t_ours:5.1f}x faster than micrograd" if theirs else ""))


if __name__ == "__main__":
    main()
