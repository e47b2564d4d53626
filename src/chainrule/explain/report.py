"""The run report: one self-contained HTML page that shows a training run.

:func:`write_report` reads a run folder written by :func:`chainrule.train.fit` (the
checkpoint, and ``health.csv`` / ``health.json`` when the run sampled its health) and
writes ``report.html`` beside them: the run's settings, the loss and accuracy curves,
the confusion matrix as a heat map, the model's layers with their parameter counts, the
health metrics over time (one heat map of layer x step per metric), the findings in
words, and the computation graph of one forward pass (drawn by Graphviz's ``dot`` as
SVG when it is installed, listed op by op without it). Every figure is SVG written here,
inline: the page needs no network, no script and no other file.

``chainrule report RUN_FOLDER`` is this function from the shell; ``chainrule train``
calls it at the end of a run and after an interruption.

>>> import os, tempfile
>>> import chainrule as cr
>>> from chainrule import nn
>>> from chainrule.data import Subset, load_digits
>>> from chainrule.train import fit
>>> _ = cr.manual_seed(0)
>>> train_set, test_set = load_digits()
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
>>> out = tempfile.mkdtemp()
>>> _ = fit(model, Subset(train_set, range(64)), test_set, epochs=1, out=out, progress=False)
>>> path = write_report(out, model, test_set)
>>> os.path.basename(path), open(path).read().startswith("<!DOCTYPE html>")
('report.html', True)
"""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

import numpy as np

from .health import Finding, diagnose, read_health

__all__ = ["write_report", "render_report", "REPORT", "line_chart", "heatmap"]

REPORT = "report.html"

_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#17becf", "#bcbd22", "#7f7f7f"]
# A perceptually ordered map (viridis' anchors), from low to high.
_MAP = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]

_METRICS = [  # (metric, title, log scale, what it shows)
    ("dead_frac", "dead units (ReLU family)", False,
     "share of units that are zero for the whole batch"),
    ("saturated_frac", "saturated outputs (tanh, sigmoid)", False,
     "share of outputs within 1% of the ends of the range"),
    ("act_std", "activation spread (std)", True, "standard deviation of the layer's output"),
    ("act_mean", "activation mean", False, "mean of the layer's output"),
    ("out_grad_norm", "gradient norm of each layer's output", True,
     "||dL/d output||; shrinking towards the first layers means vanishing gradients"),
    ("grad_norm", "gradient norm of each parameter", True, "||dL/dw||"),
    ("update_ratio", "update / weight ratio", True,
     "||w after the step - w before|| / ||w||; about 1e-3 is healthy"),
    ("nonfinite_frac", "non-finite outputs", False, "share of nan/inf among the outputs"),
]


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _color(t: float) -> str:
    """The colour at ``t`` in [0, 1] of the map."""
    if not math.isfinite(t):
        return "#cccccc"
    t = min(max(t, 0.0), 1.0) * (len(_MAP) - 1)
    i = min(int(t), len(_MAP) - 2)
    f = t - i
    a, b = _MAP[i], _MAP[i + 1]
    r, g, b_ = (round(a[k] + (b[k] - a[k]) * f) for k in range(3))
    return f"#{r:02x}{g:02x}{b_:02x}"


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-2):
        return f"{x:.1e}"
    return f"{x:.3g}"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


# ---------------------------------------------------------------------------
# Figures: SVG text
# ---------------------------------------------------------------------------

def line_chart(series: Sequence[tuple[str, Sequence[float], Sequence[float]]], *,
               title: str, x_label: str, y_label: str, width: int = 460, height: int = 280,
               log: bool = False, fig_id: str | None = None) -> str:
    """An SVG line chart: ``series`` is ``[(label, xs, ys), ...]``; ``log`` puts y on
    a log scale (values <= 0 are left out).

    >>> svg = line_chart([("loss", [1, 2, 3], [0.9, 0.5, 0.3])], title="loss",
    ...                  x_label="epoch", y_label="loss")
    >>> svg.startswith("<svg") and "polyline" in svg
    True
    """
    left, right, top, bottom = 58, 12, 30, 44
    pw, ph = width - left - right, height - top - bottom
    pts = []
    for label, xs, ys in series:
        keep = [(float(x), float(y)) for x, y in zip(xs, ys)
                if math.isfinite(float(y)) and (not log or float(y) > 0)]
        if log:
            keep = [(x, math.log10(y)) for x, y in keep]
        pts.append((label, keep))
    all_x = [x for _, p in pts for x, _ in p] or [0.0, 1.0]
    all_y = [y for _, p in pts for _, y in p] or [0.0, 1.0]
    x0, x1 = min(all_x), max(all_x)
    y0, y1 = min(all_y), max(all_y)
    if not x1 - x0 > 1e-9 * max(abs(x0), abs(x1)):
        half = max(abs(x0), 1.0) * 0.05
        x0, x1 = x0 - half, x1 + half
    if not y1 - y0 > 1e-9 * max(abs(y0), abs(y1)):
        half = max(abs(y0), 1.0) * 0.05
        y0, y1 = y0 - half, y1 + half
    pad = 0.05 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img"'
           + (f' id="{_esc(fig_id)}"' if fig_id else "") + ' class="chart">',
           f"<title>{_esc(title)}</title>",
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" '
           'stroke="#999"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" class="ct">{_esc(title)}</text>']
    for t in _ticks(y0, y1):
        y = sy(t)
        label = _fmt(10 ** t) if log else _fmt(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#e4e4e4"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tk">'
                   f"{_esc(label)}</text>")
    whole = all(float(x).is_integer() for x in all_x)
    for t in _ticks(x0, x1):
        if whole and not float(t).is_integer():
            continue
        x = sx(t)
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle" class="tk">'
                   f"{_esc(_fmt(t))}</text>")
    out.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" '
               f'class="al">{_esc(x_label)}</text>')
    out.append(f'<text x="14" y="{top + ph / 2}" text-anchor="middle" class="al" '
               f'transform="rotate(-90 14 {top + ph / 2})">{_esc(y_label)}'
               f'{" (log)" if log else ""}</text>')
    for k, (label, p) in enumerate(pts):
        color = _PALETTE[k % len(_PALETTE)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in p)
        if len(p) > 1:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                       f'points="{coords}" class="series"><title>{_esc(label)}</title>'
                       "</polyline>")
        for x, y in p if len(p) <= 60 else ():
            out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{color}"/>')
        ly = top + 14 + 16 * k
        out.append(f'<line x1="{left + pw - 110}" x2="{left + pw - 92}" y1="{ly - 4}" '
                   f'y2="{ly - 4}" stroke="{color}" stroke-width="3"/>')
        out.append(f'<text x="{left + pw - 88}" y="{ly}" class="tk">{_esc(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def heatmap(matrix: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str], *,
            title: str, log: bool = False, annotate: bool = False, cell: int = 0,
            x_label: str = "", y_label: str = "", fig_id: str | None = None) -> str:
    """An SVG heat map of ``matrix`` (rows x columns, nan for a missing value), with a
    colour bar; ``log`` colours by log10, ``annotate`` writes the numbers in the cells.

    >>> svg = heatmap(np.eye(2), ["a", "b"], ["x", "y"], title="I", annotate=True)
    >>> svg.count("<rect") >= 4
    True
    """
    m = np.asarray(matrix, dtype=np.float64)
    rows, cols = m.shape
    label_w = 8 + 7 * max([len(str(r)) for r in row_labels] + [4])
    cw = cell or max(4, min(40, 560 // max(cols, 1)))
    ch = cell or max(12, min(28, 360 // max(rows, 1)))
    top, bar = 30, 70
    width = max(label_w + cols * cw + bar + 10, label_w + 8 * len(title) + 10)
    height = top + rows * ch + 40
    shown = np.where(m > 0, np.log10(np.where(m > 0, m, 1)), np.nan) if log else m
    finite = shown[np.isfinite(shown)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img"'
           + (f' id="{_esc(fig_id)}"' if fig_id else "") + ' class="heat">',
           f"<title>{_esc(title)}</title>",
           f'<text x="{label_w}" y="18" class="ct">{_esc(title)}</text>']
    for i in range(rows):
        y = top + i * ch
        out.append(f'<text x="{label_w - 4}" y="{y + ch / 2 + 4:.1f}" text-anchor="end" '
                   f'class="tk">{_esc(row_labels[i])}</text>')
        for j in range(cols):
            value = m[i, j]
            t = (shown[i, j] - lo) / span
            fill = _color(t) if math.isfinite(value) else "#eeeeee"
            out.append(f'<rect x="{label_w + j * cw}" y="{y}" width="{cw}" height="{ch}" '
                       f'fill="{fill}"><title>{_esc(row_labels[i])}, {_esc(col_labels[j])}: '
                       f"{_esc(_fmt(value))}</title></rect>")
            if annotate and math.isfinite(value):
                ink = "#000" if t > 0.6 else "#fff"
                text = str(int(value)) if float(value).is_integer() else _fmt(value)
                out.append(f'<text x="{label_w + j * cw + cw / 2:.1f}" y="{y + ch / 2 + 4:.1f}" '
                           f'text-anchor="middle" class="tk" fill="{ink}">{_esc(text)}</text>')
    every = max(1, math.ceil(cols * 40 / max(cols * cw, 1)))
    for j in range(0, cols, every):
        out.append(f'<text x="{label_w + j * cw + cw / 2:.1f}" y="{top + rows * ch + 14}" '
                   f'text-anchor="middle" class="tk">{_esc(col_labels[j])}</text>')
    if x_label:
        out.append(f'<text x="{label_w + cols * cw / 2:.1f}" y="{height - 6}" '
                   f'text-anchor="middle" class="al">{_esc(x_label)}</text>')
    if y_label:
        out.append(f'<text x="{label_w - 4}" y="{top + rows * ch + 14}" text-anchor="end" '
                   f'class="al">{_esc(y_label)} \u2193</text>')
    bx = label_w + cols * cw + 14
    steps = 20
    for k in range(steps):
        y = top + (steps - 1 - k) * (rows * ch) / steps
        out.append(f'<rect x="{bx}" y="{y:.1f}" width="12" height="{rows * ch / steps + 0.5:.1f}" '
                   f'fill="{_color(k / (steps - 1))}"/>')
    for t, v in ((0, lo), (1, hi)):
        y = top + (1 - t) * rows * ch + (4 if t == 1 else 0) + (8 if t == 1 else -2)
        label = _fmt(10 ** v) if log else _fmt(v)
        out.append(f'<text x="{bx + 15}" y="{y:.1f}" class="tk">{_esc(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# The parts of the page
# ---------------------------------------------------------------------------

def _figure(svg: str, caption: str, fig_id: str) -> str:
    return (f'<figure class="fig" id="{_esc(fig_id)}">{svg}<figcaption>{_esc(caption)}'
            "</figcaption></figure>")


def _settings_table(settings: dict, epoch: int) -> str:
    rows = [("epochs trained", epoch)] + sorted(settings.items())
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def _curves(history: dict) -> str:
    epochs = history.get("epoch", [])
    if not epochs:
        return "<p>No epoch has finished yet.</p>"
    finite = [v for v in history["loss"] if math.isfinite(v)]
    log = bool(finite) and min(finite) > 0 and max(finite) / min(finite) > 1e3
    loss = line_chart([("train loss", epochs, history["loss"])], title="training loss",
                      x_label="epoch", y_label="loss", fig_id="loss-chart", log=log)
    acc = line_chart([("train", epochs, [100 * a for a in history["train_acc"]]),
                      ("test", epochs, [100 * a for a in history["test_acc"]])],
                     title="accuracy", x_label="epoch", y_label="accuracy (%)",
                     fig_id="accuracy-chart")
    return ('<div class="row">' + _figure(loss, "mean training loss per epoch", "fig-loss")
            + _figure(acc, "accuracy on the training batches and on the test set",
                      "fig-accuracy") + "</div>")


def _confusion(model: Any, test_data: Any) -> tuple[str, float | None]:
    from ..train import confusion_matrix, evaluate

    result = evaluate(model, test_data)
    classes = int(max(result.labels.max(initial=0), result.predictions.max(initial=0))) + 1
    matrix = confusion_matrix(result.labels, result.predictions, classes)
    names = [str(c) for c in range(classes)]
    svg = heatmap(matrix, names, names, title="confusion matrix", annotate=True, cell=30,
                  x_label="predicted class", y_label="true", fig_id="confusion")
    return (_figure(svg, f"test set: {len(result.labels)} samples, accuracy "
                         f"{100 * result.accuracy:.2f}% (rows: true class, columns: "
                         "predicted)", "fig-confusion"), result.accuracy)


def _layers_table(model: Any, state: dict | None) -> str:
    rows = []
    total = 0
    if model is not None:
        for name, module in model.named_modules():
            if next(iter(module.children()), None) is not None:
                continue
            count = sum(p.numel() for p in module.parameters(recurse=False))
            total += count
            extra = module.extra_repr()
            rows.append((name or "(model)", type(module).__name__, extra, count))
    elif state:
        groups: dict = {}
        for key, value in state.items():
            owner = key.rsplit(".", 1)[0] if "." in key else "(model)"
            groups[owner] = groups.get(owner, 0) + int(np.asarray(value).size)
        for owner, count in groups.items():
            total += count
            rows.append((owner, "", "", count))
    body = "".join(f"<tr><td>{_esc(n)}</td><td>{_esc(t)}</td><td><code>{_esc(e)}</code></td>"
                   f'<td class="num">{c:,}</td></tr>' for n, t, e, c in rows)
    return ('<table class="layers"><tr><th>layer</th><th>type</th><th>settings</th>'
            f'<th>parameters</th></tr>{body}<tr><th colspan="3">total</th>'
            f'<th class="num">{total:,}</th></tr></table>')


def _health_figures(rows: list, layers: dict) -> str:
    by_metric: dict = {}
    for step, layer, metric, value in rows:
        by_metric.setdefault(metric, {}).setdefault(layer, {})[step] = value
    parts = []
    loss = by_metric.get("loss", {}).get("(model)")
    if loss:
        steps = sorted(loss)
        svg = line_chart([("loss", steps, [loss[s] for s in steps])], title="loss at the "
                         "sampled steps", x_label="step", y_label="loss", fig_id="health-loss",
                         log=all(v > 0 for v in loss.values() if math.isfinite(v)))
        parts.append(_figure(svg, "the loss of each sampled training step", "fig-health-loss"))
    for metric, title, log, what in _METRICS:
        table = by_metric.get(metric)
        if not table:
            continue
        names = [n for n in layers if n in table] + [n for n in table if n not in layers]
        steps = sorted({s for values in table.values() for s in values})
        matrix = np.full((len(names), len(steps)), np.nan)
        for i, name in enumerate(names):
            for j, s in enumerate(steps):
                matrix[i, j] = table[name].get(s, np.nan)
        labels = [f"{n} ({layers[n]})" if n in layers else n for n in names]
        svg = heatmap(matrix, labels, [str(s) for s in steps], title=title, log=log,
                      x_label="training step", fig_id=f"health-{metric}")
        parts.append(_figure(svg, what, f"fig-health-{metric}"))
    return '<div class="row">' + "".join(parts) + "</div>"


def _findings_html(found: list[Finding], have_health: bool) -> str:
    if not have_health:
        return ("<p>This run did not sample its health; train with "
                "<code>chainrule train --health</code> (or <code>fit(..., health="
                "HealthMonitor())</code>) to see findings here.</p>")
    if not found:
        return '<p class="ok">Nothing unusual was found in the sampled steps.</p>'
    items = "".join(f'<li class="finding {f.kind}"><p>{_esc(f.message)}</p>'
                    f'<p class="try">What people usually try: {_esc(f.advice)}</p></li>'
                    for f in found)
    return f'<ol class="findings">{items}</ol>'


def _graph_section(model: Any, test_data: Any, loss_fn: Any) -> str:
    from ..data import DataLoader
    from ..graph import enable_grad
    from ._common import trace
    from .dot import to_dot

    x, y = next(iter(DataLoader(test_data, batch_size=2)))
    was_training = model.training
    model.eval()
    try:
        with enable_grad():
            out = model(x)
            root = loss_fn(out, y) if loss_fn is not None else out
    finally:
        model.train(was_training)
    dot_program = shutil.which("dot")
    if dot_program is not None:
        try:
            done = subprocess.run([dot_program, "-Tsvg"], input=to_dot(root).encode("utf-8"),
                                  capture_output=True, timeout=120, check=True)
            svg = done.stdout.decode("utf-8")
            svg = svg[svg.index("<svg"):]
            svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
            svg = svg.replace("<svg ", '<svg id="graph-svg" ', 1)
            return ('<div class="graph">' + _figure(
                svg, "one forward pass on a batch of 2 test samples, to the loss "
                     "(blue: parameters, green: data and activations; drawn by Graphviz)",
                "fig-graph") + "</div>")
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    items = []
    for v in trace(root):
        if v._ctx is None:
            continue
        inputs = ", ".join("x".join(map(str, getattr(i, "shape", ()))) or "scalar"
                           for i in v._ctx._inputs if hasattr(i, "shape"))
        shape = "x".join(map(str, v.shape)) or "scalar"
        items.append(f"<li><code>{_esc(v._ctx.name)}</code>({_esc(inputs)}) &rarr; "
                     f"{_esc(shape)}</li>")
    return ("<p>Graphviz's <code>dot</code> is not installed (apt-get install graphviz), so "
            "the ops of one forward pass are listed instead:</p>"
            f'<ol class="ops">{"".join(items)}</ol>')


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;
color:#222;padding:0 16px}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:left;font-size:0.9em}th{background:#f4f4f4}.num{text-align:right}
.row{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:0.8em;color:#555;
max-width:560px}svg text{font-family:sans-serif}.ct{font-size:13px;font-weight:600}
.tk{font-size:10px}.al{font-size:11px;fill:#444}.findings li{margin-bottom:10px}
.finding p{margin:2px 0}.try{color:#555;font-size:0.9em}.ok{color:#2a7d2a}
.graph{overflow:auto;max-height:900px;border:1px solid #eee}
"""


def render_report(out: str | os.PathLike, model: Any = None, test_data: Any = None,
                  loss_fn: Any = None) -> str:
    """The report page of the run in ``out`` as HTML text; see :func:`write_report`."""
    from ..train import load_run

    folder = os.fspath(out)
    state = load_run(folder)
    settings = {k: v for k, v in state["args"].items() if k != "out"}
    history = state["history"]
    if loss_fn is None:
        from ..nn import CrossEntropyLoss

        loss_fn = CrossEntropyLoss()
    try:
        rows, meta = read_health(folder)
        have_health = True
    except FileNotFoundError:
        rows, meta, have_health = [], {}, False
    layers = dict(meta.get("layers", {}))
    found = diagnose(rows, layers, meta.get("events", [])) if have_health else []
    title = f"chainrule run: {os.path.basename(os.path.abspath(folder))}"
    parts = [f"<h1>{_esc(title)}</h1>",
             f"<p>Folder <code>{_esc(os.path.abspath(folder))}</code>, "
             f"{state['epoch']} epoch{'s' if state['epoch'] != 1 else ''} trained"
             + (f", final test accuracy {100 * history['test_acc'][-1]:.2f}%"
                if history.get("test_acc") else "") + ".</p>",
             '<h2 id="findings">Findings</h2>', _findings_html(found, have_health),
             '<h2 id="settings">Settings</h2>', _settings_table(settings, state["epoch"]),
             '<h2 id="curves">Loss and accuracy</h2>', _curves(history)]
    if model is not None and test_data is not None:
        figure, _ = _confusion(model, test_data)
        parts += ['<h2 id="confusion-matrix">Confusion matrix</h2>', figure]
    else:
        parts += ['<h2 id="confusion-matrix">Confusion matrix</h2>',
                  "<p>Not drawn: give the model and the test set to write_report.</p>"]
    parts += ['<h2 id="layers">Layers</h2>', _layers_table(model, state.get("model"))]
    parts.append('<h2 id="health">Health over time</h2>')
    if have_health:
        every = meta.get("every")
        parts.append(f"<p>Sampled every {_esc(every)} training steps. Hover a cell for its "
                     "value.</p>")
        parts.append(_health_figures(rows, layers))
    else:
        parts.append("<p>No health data in this run (train with <code>--health</code>).</p>")
    parts.append('<h2 id="graph">Computation graph of one forward pass</h2>')
    if model is not None and test_data is not None:
        parts.append(_graph_section(model, test_data, loss_fn))
    else:
        parts.append("<p>Not drawn: give the model and the test set to write_report.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_report(out: str | os.PathLike, model: Any = None, test_data: Any = None,
                 loss_fn: Any = None) -> str:
    """Write ``report.html`` into the run folder ``out`` (atomically); return its path.

    ``model`` (trained, or with the checkpoint's weights) and ``test_data`` draw the
    confusion matrix, the layers' settings and the computation graph of one forward pass
    to the loss (``loss_fn``, default cross-entropy); without them the page shows the
    rest. Raises :class:`chainrule.train.TrainingError` when ``out`` holds no run.
    """
    from ..io import atomic_write

    text = render_report(out, model, test_data, loss_fn).encode("utf-8")
    path = os.path.join(os.fspath(out), REPORT)
    atomic_write(path, lambda f: f.write(text))
    return path
