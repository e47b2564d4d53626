"""Training health: what each layer does while a network trains, and what is wrong.

A :class:`HealthMonitor` watches a model every ``every`` steps (a *sampled* step) with
module forward hooks and tensor gradient hooks, attached for that step only, so the
steps in between run exactly as without it. On a sampled step it records, per layer
(each leaf module that computes something):

- ``act_mean``, ``act_std``: the mean and spread of the layer's output;
- ``dead_frac`` (ReLU family): the share of units that are zero (<= 0) for the whole
  batch; ``saturated_frac`` (tanh, sigmoid and kin): the share of outputs within 1%
  of the ends of the range (|tanh| > 0.99, sigmoid < 0.01 or > 0.99);
- ``nonfinite_frac``: the share of nan/inf among the outputs;
- ``out_grad_norm``: the norm of the loss's gradient with respect to the output;

and per parameter: ``grad_norm`` and ``update_ratio``, ||w after - w before|| / ||w||
over the optimizer step (``||lr * update|| / ||w||``); and the loss. Every step it
checks that the loss is finite; the first time it is not, it replays that step's
forward (and backward) under :class:`~chainrule.explain.anomaly.detect_anomaly` with
the same weights and random state, to name the op and the line where the first
non-finite value was born.

:func:`diagnose` turns the numbers into findings, in words, with the numbers, the layer
and what people usually try. With a run folder the numbers go to ``health.csv``
(``step,layer,metric,value``) and the layers and events to ``health.json``, rewritten
atomically at the end of each epoch; a resumed run keeps the rows before its
checkpoint's step and continues.

>>> import chainrule as cr, chainrule.nn as nn
>>> _ = cr.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> opt = cr.optim.SGD(model.parameters(), lr=0.1)
>>> monitor = HealthMonitor(model, every=2)
>>> x, y = cr.randn(16, 4), cr.randint(0, 2, (16,))
>>> for step in range(4):
...     opt.zero_grad()
...     loss = nn.functional.cross_entropy(model(x), y)
...     loss.backward()
...     monitor.after_backward(loss, x, y)
...     opt.step()
>>> sorted({metric for _, layer, metric, _ in monitor.rows if layer == "1"})
['act_mean', 'act_std', 'dead_frac', 'nonfinite_frac', 'out_grad_norm']
>>> monitor.findings()
[]
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TextIO

import numpy as np

from ..creation import default_generator
from ..graph import is_grad_enabled

__all__ = ["HealthMonitor", "Finding", "diagnose", "read_health", "HEALTH_CSV", "HEALTH_JSON",
           "RELU_FAMILY", "SATURATING"]

HEALTH_CSV = "health.csv"
HEALTH_JSON = "health.json"

RELU_FAMILY = frozenset({"ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU"})
"""Layers whose units can die: zero (or negative) for every input."""

SATURATING = {"Tanh": "tanh", "Sigmoid": "sigmoid", "Hardtanh": "tanh", "Softsign": "tanh",
              "Hardsigmoid": "sigmoid", "LogSigmoid": None}
"""Layers whose outputs can saturate, and the range they saturate in."""

# Layers that only reshape or drop: their outputs say nothing new about training health.
_SKIP = frozenset({"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                   "FeatureAlphaDropout", "Flatten", "Unflatten", "Identity"})

# Thresholds of the findings (the same for every run; documented in diagnose()).
DEAD = 0.5             # share of dead units in a ReLU-family layer
SATURATED = 0.4        # share of saturated outputs in a tanh/sigmoid layer
MIN_SAMPLES = 3        # a condition must hold for this many samples in a row (or all)
SHRINK = 1e3           # gradient norm ratio between the first and last layers with weights
HIGH_UPDATE = 1e-1     # update/weight ratio of a weight matrix
LOW_UPDATE = 1e-6
LOSS_GROWTH = 4.0      # a sample's loss / the first sample's
RECENT = 5             # the low-update finding looks at the median of the last samples
WINDOW = 3             # the high-update finding: the worst median of WINDOW samples in a row
_NORMS = frozenset({"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
                    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"})


class Finding(NamedTuple):
    """One diagnosis: ``kind`` (``dead``, ``saturated``, ``vanishing``, ``exploding``,
    ``update_high``, ``update_low``, ``loss_growing``, ``nonfinite``, ``nan_birth``),
    the ``layer`` (or parameter) it is about, the ``step`` where it shows, the
    ``message`` with the numbers, and ``advice``: what people usually try."""

    kind: str
    layer: str
    step: int
    message: str
    advice: str

    def __str__(self) -> str:
        return f"{self.message}\n    try: {self.advice}"


def _layer_words(name: str, kind: str) -> str:
    return f"layer {name or '(model)'} ({kind})"


def _sci(x: float) -> str:
    """A ratio in the 3e-1 style."""
    if x == 0:
        return "0"
    text = f"{x:.0e}"
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


class HealthMonitor:
    """Samples a model's health every ``every`` steps; see the module text.

    Call :meth:`after_backward` once per step, after ``loss.backward()`` and before
    ``optimizer.step()``, with the step's loss and batch (the batch is only used to
    replay a step whose loss is not finite). ``loss_fn(output, target)`` is needed for
    that replay (default: cross-entropy). ``out``: a run folder for ``health.csv`` and
    ``health.json``; :meth:`start` resumes there. :func:`chainrule.train.fit` drives all
    of it with ``fit(..., health=HealthMonitor(every=10))``.
    """

    def __init__(self, model: Any = None, every: int = 10, *,
                 loss_fn: Callable[[Any, Any], Any] | None = None,
                 out: str | os.PathLike | None = None) -> None:
        if not isinstance(every, int) or isinstance(every, bool) or every <= 0:
            raise ValueError(f"HealthMonitor: every must be a positive integer, got {every!r}")
        self.every = every
        self.model: Any = None
        self.loss_fn = loss_fn
        self.out = None if out is None else os.fspath(out)
        self.step = 0
        self.rows: list[tuple[int, str, str, float]] = []
        self.events: list[dict] = []
        self.layers: dict[str, str] = {}  # name -> type, in the order of the forward pass
        self._handles: list = []
        self._grad_handles: list = []
        self._names: dict[int, str] = {}  # id(layer) -> name, of the layers watched
        self._finalizer: Any = None  # removes the hook if the monitor is dropped attached
        self._snapshot: list | None = None  # (name, parameter, its values before the
        # update) of a sampled step
        self._rng_state: Any = None
        self._replayed = False
        if model is not None:
            self.start(model)

    # -- driving ------------------------------------------------------------------
    def start(self, model: Any, loss_fn: Callable[[Any, Any], Any] | None = None,
              out: str | os.PathLike | None = None, step: int = 0) -> None:
        """Watch ``model`` from global step ``step``; with a run folder, keep its rows
        before ``step`` (a resumed run) and drop the rest."""
        self.model = model
        if loss_fn is not None:
            self.loss_fn = loss_fn
        if out is not None:
            self.out = os.fspath(out)
        self.step = int(step)
        if self.out is not None and self.step > 0:
            try:
                rows, meta = read_health(self.out)
            except FileNotFoundError:
                rows, meta = [], {}
            self.rows = [r for r in rows if r[0] < self.step]
            self.events = [e for e in meta.get("events", []) if e.get("step", 0) < self.step]
            self.layers = dict(meta.get("layers", {}))
            self._replayed = any(e.get("kind") == "nan_birth" for e in self.events)
        self._remember_rng()
        if self.step % self.every == 0:
            self._attach()

    def after_backward(self, loss: Any, input: Any = None, target: Any = None) -> None:
        """One training step's gradients are in: record, check, and get ready for the next."""
        step = self.step
        value = float(loss._array) if hasattr(loss, "_array") else float(loss)
        sampled = bool(self._handles)
        finite = True  # the gradient norms of a sampled step
        if self._snapshot is not None:
            self._update_ratios(step - 1)
        if sampled:
            self._detach()
            self.rows.append((step, "(model)", "loss", value))
            params = list(self.model.named_parameters())
            finite = self._gradients(step, params)
            self._snapshot = [(n, p, p._array.copy()) for n, p in params if p.requires_grad]
        if not self._replayed and not (math.isfinite(value) and finite):
            self._replay(step, input, target, value)  # a non-finite loss or gradient norm
        self.step = step + 1
        self._remember_rng()
        if self.step % self.every == 0:
            self._attach()

    def close(self) -> None:
        """Take the hooks off (the monitor can be started again)."""
        self._detach()
        self._snapshot = None

    def findings(self) -> list[Finding]:
        """What is wrong so far, in words (see :func:`diagnose`)."""
        return diagnose(self.rows, self.layers, self.events)

    # -- files --------------------------------------------------------------------
    def write(self, out: str | os.PathLike | None = None) -> None:
        """Rewrite ``health.csv`` and ``health.json`` in the run folder, atomically."""
        from ..io import atomic_write

        folder = os.fspath(out) if out is not None else self.out
        if folder is None:
            raise ValueError("HealthMonitor.write: no run folder (give out=)")
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["step", "layer", "metric", "value"])
        for step, layer, metric, value in self.rows:
            writer.writerow([step, layer, metric, f"{value:.6g}"])
        data = text.getvalue().encode("utf-8")
        atomic_write(os.path.join(folder, HEALTH_CSV), lambda f: f.write(data))
        meta = {"every": self.every, "layers": self.layers, "events": self.events}
        blob = json.dumps(meta, indent=1).encode("utf-8")
        atomic_write(os.path.join(folder, HEALTH_JSON), lambda f: f.write(blob))

    def report(self, stream: TextIO | None) -> list[Finding]:
        """Print the findings (or that nothing was found) on ``stream``; return them."""
        found = self.findings()
        if stream is not None:
            if found:
                print(f"health: {len(found)} finding{'s' if len(found) != 1 else ''}",
                      file=stream)
                for f in found:
                    print(f"  - {f}", file=stream)
            else:
                print(f"health: nothing unusual in {self._samples()} samples (every "
                      f"{self.every} steps)", file=stream)
        return found

    def _samples(self) -> int:
        return sum(1 for r in self.rows if r[2] == "loss")

    # -- hooks --------------------------------------------------------------------
    def _watched(self) -> Iterable[tuple[str, Any]]:
        for name, module in self.model.named_modules():
            if any(child is not None for child in module._modules.values()):
                continue  # a container: its layers are watched
            if type(module).__name__ in _SKIP:
                continue
            yield name, module

    def _attach(self) -> None:
        """Hook the forward of every watched layer for the next step: one global module
        hook that knows the layers by identity (registering one hook per layer, with its
        handle and weak reference, cost about as much again per sample)."""
        if self.model is None or self._handles:
            return
        from ..nn.hooks import register_module_forward_hook

        self._names = {id(module): name for name, module in self._watched()}
        self._seen: set = set()
        # The global table must not keep the monitor (and its model) alive: the hook holds
        # it weakly, and a monitor dropped while attached takes its hook along.
        ref = weakref.ref(self)

        def hook(module: Any, args: Any, output: Any) -> None:
            monitor = ref()
            if monitor is not None:
                monitor._forward_hook(module, args, output)

        handle = register_module_forward_hook(hook)
        self._handles.append(handle)
        self._finalizer = weakref.finalize(self, handle.remove)

    def _detach(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        for handle in self._handles + self._grad_handles:
            handle.remove()  # tensor hooks too: while any exists, backward looks for them
        self._handles = []
        self._grad_handles = []

    def _forward_hook(self, module: Any, args: Any, output: Any) -> None:
        name = self._names.get(id(module))
        if name is None or name in self._seen or not hasattr(output, "_array"):
            return  # not a watched layer, or one called twice in a step: its first call stands
        if not module.training or not is_grad_enabled():
            return  # an evaluation between training steps
        self._seen.add(name)
        kind = type(module).__name__
        self.layers.setdefault(name, kind)
        self._activation(name, kind, output._array)
        if output.requires_grad:
            step = self.step

            def grad_hook(g: Any) -> None:
                array = np.asarray(getattr(g, "_array", g))
                with np.errstate(over="ignore", invalid="ignore"):
                    self.rows.append((step, name, "out_grad_norm", _norm(array)))

            self._grad_handles.append(output.register_hook(grad_hook))

    def _activation(self, name: str, kind: str, a: np.ndarray) -> None:
        if a.dtype.kind != "f" or a.size == 0:
            return  # integer, bool or complex outputs: no activation statistics
        with np.errstate(over="ignore", invalid="ignore"):
            self._moments(name, kind, a)

    def _moments(self, name: str, kind: str, a: np.ndarray) -> None:
        step, rows = self.step, self.rows
        mean = _mean(a)
        if not math.isfinite(mean):
            finite = np.isfinite(a)
            rows.append((step, name, "nonfinite_frac", float(1.0 - finite.mean())))
            a = a[finite]
            if a.size == 0:
                return
            mean = _mean(a)
        else:
            rows.append((step, name, "nonfinite_frac", 0.0))
        rows.append((step, name, "act_mean", mean))
        var = _sum_squares(a) / a.size - mean * mean  # one pass more, not std's two
        rows.append((step, name, "act_std", math.sqrt(max(var, 0.0))))
        if kind in RELU_FAMILY:
            units = a.reshape(a.shape[0], -1) if a.ndim >= 2 else a.reshape(1, -1)
            rows.append((step, name, "dead_frac", float(np.mean(units.max(axis=0) <= 0))))
        elif SATURATING.get(kind) == "tanh":
            rows.append((step, name, "saturated_frac", float(np.mean(np.abs(a) > 0.99))))
        elif SATURATING.get(kind) == "sigmoid":
            rows.append((step, name, "saturated_frac",
                         float(np.mean((a < 0.01) | (a > 0.99)))))

    def _gradients(self, step: int, params: list) -> bool:
        """Record each parameter's gradient norm; whether all of them are finite."""
        finite = True
        with np.errstate(over="ignore", invalid="ignore"):
            for name, p in params:
                if p.grad is not None:
                    norm = _norm(p.grad._array)
                    finite = finite and math.isfinite(norm)
                    self.rows.append((step, name, "grad_norm", norm))
        return finite

    def _update_ratios(self, step: int) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            for name, p, before in self._snapshot or ():
                if p._array.shape != before.shape:
                    continue
                size = _norm(before)
                if size == 0 or not math.isfinite(size):
                    continue
                delta = _norm(p._array - before)
                self.rows.append((step, name, "update_ratio", delta / size))
        self._snapshot = None

    # -- where a non-finite loss came from ------------------------------------------
    def _remember_rng(self) -> None:
        self._rng_state = default_generator().bit_generator.state

    def _replay(self, step: int, input: Any, target: Any, value: float) -> None:
        """Run this step again under anomaly mode to find the op that made the first
        non-finite value; the global random state is put back afterwards."""
        from ..autograd import grad
        from .anomaly import AnomalyError, detect_anomaly

        self._replayed = True
        if math.isfinite(value):
            what = "a gradient became non-finite"
        else:
            what = "loss became " + ("nan" if math.isnan(value) else str(value))
        event = {"step": step, "kind": "nan_birth", "what": what, "op": None, "where": None,
                 "pass": None}
        if input is not None and target is not None and self.model is not None:
            from ..nn.functional import cross_entropy

            loss_fn: Callable[[Any, Any], Any] = self.loss_fn or cross_entropy
            from ..nn.hooks import register_module_forward_hook, register_module_forward_pre_hook

            names = {id(m): (n, type(m).__name__) for n, m in self.model.named_modules()}
            stack: list = []  # the layers whose forward is running, innermost last

            def enter(module: Any, args: Any) -> None:
                stack.append(names.get(id(module)))

            def leave(module: Any, args: Any, output: Any) -> None:
                stack.pop()

            generator = default_generator().bit_generator
            now = generator.state
            generator.state = self._rng_state
            handles = [register_module_forward_pre_hook(enter),
                       register_module_forward_hook(leave)]
            try:
                with detect_anomaly():
                    loss = loss_fn(self.model(input), target)
                    params = [p for p in self.model.parameters() if p.requires_grad]
                    if loss.requires_grad and params:
                        grad(loss, params, allow_unused=True)
            except AnomalyError as err:
                event["op"] = err.op
                event["pass"] = err.pass_
                where = None if err.trace is None else str(err.trace)
                if where is not None and where.startswith("<"):
                    where = None  # no line of the user's: chainrule's own model, run by -m
                event["where"] = where
                inner = next((s for s in reversed(stack) if s is not None and s[0]), None)
                if err.pass_ == "forward" and inner is not None:
                    event["layer"] = list(inner)
            finally:
                for handle in handles:
                    handle.remove()
                generator.state = now
        self.events.append(event)


def _sum_squares(a: np.ndarray) -> float:
    """Sum of squares: one BLAS dot in the array's own dtype (fast), redone in float64
    when that overflows. The caller silences NumPy's overflow warnings (one
    ``np.errstate`` per batch of arrays, not one per array: each costs about 1 us)."""
    if a.dtype.kind == "c":
        a = np.abs(a)
    flat = a.reshape(-1)
    if flat.dtype.kind != "f":
        flat = flat.astype(np.float64)
    total = float(np.dot(flat, flat))
    if not math.isfinite(total):
        total = float(np.add.reduce(np.square(flat, dtype=np.float64)))
    return total


def _mean(a: np.ndarray) -> float:
    """``a.mean()`` as a float, with the ufunc reduction that ``mean`` runs behind its
    Python wrapper (float16 summed in float32, as ``mean`` does)."""
    flat = a.reshape(-1)
    dtype = np.float32 if flat.dtype == np.float16 else None
    return float(np.add.reduce(flat, dtype=dtype)) / flat.size


def _norm(a: np.ndarray) -> float:
    """The 2-norm of an array."""
    return math.sqrt(_sum_squares(a))


# ---------------------------------------------------------------------------
# Reading a run's health back
# ---------------------------------------------------------------------------

def read_health(out: str | os.PathLike) -> tuple[list[tuple[int, str, str, float]], dict]:
    """The rows of ``health.csv`` and the contents of ``health.json`` in a run folder.

    Raises FileNotFoundError when the run was trained without health diagnostics.
    """
    folder = os.fspath(out)
    rows = []
    with open(os.path.join(folder, HEALTH_CSV), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != ["step", "layer", "metric", "value"]:
            raise ValueError(f"{os.path.join(folder, HEALTH_CSV)} is not a health file "
                             f"(its header is {header})")
        for line in reader:
            if len(line) == 4:
                rows.append((int(line[0]), line[1], line[2], float(line[3])))
    try:
        with open(os.path.join(folder, HEALTH_JSON), encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        meta = {}
    return rows, meta


# ---------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------

def _series(rows: Sequence[tuple[int, str, str, float]]) -> dict:
    """{(layer, metric): ([steps], [values])}, steps ascending."""
    out: dict = {}
    for step, layer, metric, value in rows:
        steps, values = out.setdefault((layer, metric), ([], []))
        steps.append(step)
        values.append(value)
    return out


def _final_streak(steps: list, values: list, test: Callable[[float], bool]) -> tuple | None:
    """The samples at the end of the run where ``test`` holds: (first step, last step,
    how many, their values), or None when it does not hold at the last sample."""
    n = 0
    for v in reversed(values):
        if not test(v):
            break
        n += 1
    if n == 0 or n < min(MIN_SAMPLES, len(values)):
        return None
    return steps[-n], steps[-1], n, values[-n:]


def _worst_window(steps: list, values: list, pick: Callable) -> tuple | None:
    """(last step, median) of the window of WINDOW consecutive samples whose median is
    picked by ``pick`` (max or min); None with fewer samples."""
    if len(values) < WINDOW:
        return None
    windows = []
    for i in range(WINDOW, len(values) + 1):
        chunk = [v for v in values[i - WINDOW:i] if math.isfinite(v)]
        if chunk:
            windows.append((steps[i - 1], float(np.median(chunk))))
    return pick(windows, key=lambda sv: sv[1]) if windows else None


def _median_recent(values: list) -> float:
    recent = [v for v in values[-RECENT:] if math.isfinite(v)]
    return float(np.median(recent)) if recent else math.nan


_OP_ADVICE = {
    "log": "keep the argument of log positive: clamp it (x.clamp(min=1e-12)), or give "
           "logits to a fused loss (cross_entropy, log_softmax, "
           "binary_cross_entropy_with_logits) instead of taking log of probabilities",
    "sqrt": "add a small eps inside the sqrt (its derivative at 0 is infinite)",
    "div": "add an eps to the denominator",
    "exp": "subtract the max before exp (logsumexp and softmax do), or lower the learning rate",
    "pow": "avoid a negative base with a fractional exponent and 0 to a negative power",
}


def diagnose(rows: Sequence[tuple[int, str, str, float]], layers: dict | None = None,
             events: Sequence[dict] = ()) -> list[Finding]:
    """Findings from a run's health rows (``(step, layer, metric, value)``).

    The rules, each with its threshold:

    - *dead*: a ReLU-family layer with at least 50% dead units at each of the last
      samples (at least 3 in a row, or all when fewer were taken);
    - *saturated*: a tanh/sigmoid layer with at least 40% saturated outputs, the same way;
    - *vanishing* / *exploding*: the output-gradient norm of the first layer with
      weights is 1000x smaller / larger than that of the last one (medians of the
      last 5 samples);
    - *update_high*: a weight matrix whose update/weight ratio is above 1e-1 (median of
      3 samples in a row; about 1e-3 is healthy); *update_low*: below 1e-6 (median of the
      last 5 samples);
    - *loss_growing*: the loss of a sample is 4x the first sample's or more;
    - *nonfinite*: a layer whose outputs held nan/inf;
    - *nan_birth*: the loss (or a gradient) became non-finite; the op and the line of
      code that made the first non-finite value, found by anomaly mode.

    >>> rows = [(0, "1", "dead_frac", 0.9), (10, "1", "dead_frac", 0.8)]
    >>> diagnose(rows, {"1": "ReLU"})[0].message
    'layer 1 (ReLU): 85% of units dead (zero for the whole batch) from step 0 to step 10'
    """
    layers = dict(layers or {})
    series = _series(rows)
    found: list[Finding] = []

    for event in events:
        if event.get("kind") != "nan_birth":
            continue
        op, where = event.get("op"), event.get("where")
        text = f"{event.get('what', 'loss became nan')} at step {event['step']}"
        if op is not None:
            layer = event.get("layer")
            text += (f": the first non-finite value came from op '{op}' in the "
                     f"{event.get('pass') or 'forward'} pass"
                     + (f" of {_layer_words(*layer)}" if layer else "")
                     + (f", created at {where}" if where else "") + " (anomaly mode)")
            advice = _OP_ADVICE.get(op, "look at that op's inputs; lower the learning rate "
                                        "if values grew step by step")
        else:
            text += ": anomaly mode did not find the op again in a replay of the step"
            advice = "lower the learning rate; run the step under chainrule.detect_anomaly()"
        found.append(Finding("nan_birth", "(model)", int(event["step"]), text, advice))

    nonfinite = []
    for name, kind in layers.items():
        steps, values = series.get((name, "nonfinite_frac"), ([], []))
        bad = [(s, v) for s, v in zip(steps, values) if v > 0]
        if bad:
            nonfinite.append((bad[0][0], name, kind, bad[-1][1], len(bad), len(steps)))
    if nonfinite:
        nonfinite.sort(key=lambda n: n[0])
        first = nonfinite[0]
        listed = "; ".join(f"{_layer_words(name, kind)}: {100 * share:.0f}% from step {step} "
                           f"({n} of {total} samples)"
                           for step, name, kind, share, n, total in nonfinite)
        found.append(Finding(
            "nonfinite", first[1], first[0],
            f"outputs are nan or inf in {listed}",
            "find where the first non-finite value is born (the nan finding, or "
            "chainrule.detect_anomaly()); lower the learning rate"))
    for name, kind in layers.items():
        words = _layer_words(name, kind)
        steps, values = series.get((name, "dead_frac"), ([], []))
        streak = _final_streak(steps, values, lambda v: v >= DEAD)
        if streak:
            first, last, n, vals = streak
            found.append(Finding(
                "dead", name, last,
                f"{words}: {100 * float(np.mean(vals)):.0f}% of units dead (zero for the whole "
                f"batch) from step {first} to step {last}",
                "a smaller learning rate; biases that start at zero or slightly positive; "
                "He (Kaiming) initialisation; LeakyReLU or GELU, which pass a gradient for "
                "negative inputs; standardised inputs"))
        steps, values = series.get((name, "saturated_frac"), ([], []))
        streak = _final_streak(steps, values, lambda v: v >= SATURATED)
        if streak:
            first, last, n, vals = streak
            found.append(Finding(
                "saturated", name, last,
                f"{words}: {100 * float(np.mean(vals)):.0f}% of outputs saturated (within 1% "
                f"of the ends of the range, where the gradient is about 0) from step {first} "
                f"to step {last}",
                "Xavier (Glorot) initialisation or smaller initial weights; standardised "
                "inputs; a normalisation layer (LayerNorm, BatchNorm) before it; ReLU-family "
                "activations"))

    has_weight = {layer.rsplit(".", 1)[0] if "." in layer else ""
                  for layer, metric in series if metric == "grad_norm"
                  and layer.endswith("weight")}
    weighted = [name for name in layers if name in has_weight]
    with_grads = [n for n in weighted if (n, "out_grad_norm") in series]
    if len(with_grads) >= 2:
        first, last = with_grads[0], with_grads[-1]
        g_first = _median_recent(series[(first, "out_grad_norm")][1])
        g_last = _median_recent(series[(last, "out_grad_norm")][1])
        step = series[(first, "out_grad_norm")][0][-1]
        a = _layer_words(first, layers[first])
        b = _layer_words(last, layers[last])
        if math.isfinite(g_first) and math.isfinite(g_last) and g_last > 0:
            ratio = g_first / g_last
            if ratio == 0:
                found.append(Finding(
                    "vanishing", first, step,
                    f"no gradient reaches {a}: the gradient of its output is 0, against "
                    f"{g_last:.2g} at {b}",
                    "look for dead or saturated layers between them (findings above); "
                    "ReLU-family activations with He initialisation; normalisation layers"))
            elif ratio < 1 / SHRINK:
                found.append(Finding(
                    "vanishing", first, step,
                    f"gradients shrink 10^{math.log10(1 / ratio):.1f}x from {b} to {a} "
                    f"(output-gradient norms {g_last:.2g} -> {g_first:.2g}): the first "
                    "layers barely learn",
                    "ReLU-family activations instead of sigmoid/tanh; He (Kaiming) "
                    "initialisation; normalisation layers (BatchNorm, LayerNorm); residual "
                    "connections; fewer layers"))
            elif ratio > SHRINK:
                found.append(Finding(
                    "exploding", first, step,
                    f"gradients grow 10^{math.log10(ratio):.1f}x from {b} to {a} "
                    f"(output-gradient norms {g_last:.2g} -> {g_first:.2g})",
                    "a smaller learning rate; gradient clipping "
                    "(nn.utils.clip_grad_norm_); smaller initial weights; normalisation "
                    "layers"))

    high, low = [], []
    for (layer, metric), (steps, values) in series.items():
        if metric != "update_ratio" or not layer.endswith("weight"):
            continue
        owner = layer.rsplit(".", 1)[0] if "." in layer else ""
        if layers.get(owner) in _NORMS:
            continue  # a scale vector, not a weight matrix
        worst = _worst_window(steps, values, max)
        if worst is not None and worst[1] > HIGH_UPDATE:
            high.append((layer, worst[1], worst[0]))
            continue
        ratio = _median_recent(values)
        if math.isfinite(ratio) and ratio < LOW_UPDATE and len(values) >= WINDOW:
            low.append((layer, ratio, steps[-1]))
    if high:
        high.sort(key=lambda h: -h[1])
        layer, ratio, step = high[0]
        others = "".join(f", {_sci(r)} on {name}" for name, r, _ in high[1:])
        found.append(Finding(
            "update_high", layer, step,
            f"update/weight ratio {_sci(ratio)} on {layer}{others} (the highest median of "
            f"{WINDOW} samples in a row): the learning rate is likely too high (about 1e-3 "
            "is healthy)",
            "a learning rate 10x to 100x smaller; a warm-up; gradient clipping"))
    if low:
        low.sort(key=lambda h: h[1])
        layer, ratio, step = low[0]
        others = "".join(f", {_sci(r)} on {name}" for name, r, _ in low[1:])
        found.append(Finding(
            "update_low", layer, step,
            f"update/weight ratio {_sci(ratio)} on {layer}{others} (median of the last "
            f"{RECENT} samples): these weights barely change (about 1e-3 is healthy)",
            "check that gradients reach these layers (findings above); a larger learning "
            "rate"))

    steps, values = series.get(("(model)", "loss"), ([], []))
    finite = [(s, v) for s, v in zip(steps, values) if math.isfinite(v)]
    if len(finite) >= 2:
        (s0, early), (s1, peak) = finite[0], max(finite[1:], key=lambda sv: sv[1])
        if early > 0 and peak > LOSS_GROWTH * early:
            found.append(Finding(
                "loss_growing", "(model)", s1,
                f"the loss rose from {early:.3g} at step {s0} to {peak:.3g} at step {s1}: "
                "the steps overshoot",
                "a learning rate 10x smaller; a warm-up; gradient clipping"))
    return found
