"""MkDocs hooks: the parts of the site that the build makes from the repository.

- ``reference/*.md``: one page per public module, one entry per public name, rendered by
  mkdocstrings from the docstrings (the list of names is read from the package, so a new
  public name gets its entry without anyone editing a page);
- ``reference/cli.md``: the ``chainrule`` command's argparse help, every subcommand;
- ``figures/*``: graphs (Graphviz's ``dot`` when it is installed, else the DOT text as a
  picture), training curves, Jacobians, finite-difference errors and benchmark plots,
  drawn with chainrule and matplotlib while the site builds;
- markers in pages, replaced by what the build computes::

      <!-- build:source examples/NAME.py -->   the example's code
      <!-- build:output examples/NAME.py -->   what it prints when run
      <!-- build:text NAME -->                 a text block computed here (tables, maps)
      <!-- build:md NAME -->                   Markdown computed here (links to pages
                                               that other work has not written yet)

The chainrule imported is the one in ``src/`` of this checkout.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("MPLBACKEND", "Agg")

from mkdocs.structure.files import File, Files  # noqa: E402


def _skip_source_line_numbers() -> None:
    """Speed: griffe's inspector asks ``inspect`` where each object's source lines are
    (for "show source", which the site does not use); for a class Python re-parses its
    whole module each time, about 10 s of a build. Tell it there is no source to find.
    A private name of griffe: if it moves, the build is slower, not wrong."""
    try:
        from griffe._internal.agents.inspector import Inspector
    except ImportError:
        return
    if hasattr(Inspector, "_get_linenos"):
        Inspector._get_linenos = lambda self, node: (None, None)


_skip_source_line_numbers()

# ---------------------------------------------------------------------------------------------
# the public names, page by page
# ---------------------------------------------------------------------------------------------

# reference page slug -> (module, title, one-line summary)
MODULE_PAGES = {
    "autograd": ("chainrule.autograd", "chainrule.autograd",
                 "The functional side of differentiation: grad, vjp, jvp, Jacobians, Hessians, "
                 "checkpointing."),
    "nn": ("chainrule.nn", "chainrule.nn", "Modules, parameters, containers, layers and losses."),
    "nn.functional": ("chainrule.nn.functional", "chainrule.nn.functional",
                      "Layers and losses as functions (``import chainrule.nn.functional as F``)."),
    "nn.init": ("chainrule.nn.init", "chainrule.nn.init", "Weight initialisation, in place."),
    "optim": ("chainrule.optim", "chainrule.optim", "Optimizers: the base class owns the loop, "
              "each subclass one update rule."),
    "optim.lr_scheduler": ("chainrule.optim.lr_scheduler", "chainrule.optim.lr_scheduler",
                           "Learning-rate schedules."),
    "data": ("chainrule.data", "chainrule.data", "Datasets, the DataLoader, the bundled digits."),
    "explain": ("chainrule.explain", "chainrule.explain",
                "Seeing backprop: graphs, adjoint tables, Jacobians, memory, anomalies."),
    "io": ("chainrule.io", "chainrule.io", "Saving and loading state dicts without pickle."),
    "train": ("chainrule.train", "chainrule.train",
              "The training loop as a Python API: progress, checkpoints, resume, curves."),
    "linalg": ("chainrule.linalg", "chainrule.linalg", "Linear algebra, differentiable."),
    "special": ("chainrule.special", "chainrule.special", "Special functions."),
    "distributed": ("chainrule.distributed", "chainrule.distributed",
                    "Process groups and collectives over MPI (``torch.distributed``'s names)."),
    "nn.parallel": ("chainrule.nn.parallel", "chainrule.nn.parallel",
                    "Data-parallel training: ``DistributedDataParallel``."),
}


def _module_present(module: str) -> bool:
    """Whether this checkout has ``module`` and it imports (some modules come with other
    work; ``chainrule.distributed`` imports without mpi4py, which it loads when used)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def module_pages() -> dict[str, tuple[str, str, str]]:
    """The reference pages of the modules this checkout has."""
    return {slug: spec for slug, spec in MODULE_PAGES.items() if _module_present(spec[0])}

# extra modules documented on a page besides its own (they have no page of their own)
EXTRA_MODULES = {"nn": ["chainrule.nn.utils"]}

# top-level names, grouped by the module that defines them
TOP_GROUPS = [
    ("chainrule.creation", "Creating tensors, random numbers"),
    ("chainrule.random", "Random number generators"),
    ("chainrule.tensor", "The Tensor"),
    ("chainrule.scalar", "The scalar engine"),
    ("chainrule.graph", "Grad mode"),
    ("chainrule.function", "Custom ops"),
    ("chainrule.autograd", "Functional autodiff"),
    ("chainrule.gradcheck", "Gradient checking"),
    ("chainrule.io", "Saving and loading"),
    ("chainrule.explain", "Debugging gradients"),
    ("chainrule.tensor_methods", "Tensor operations as functions"),
    ("chainrule", "Tensor methods as functions (``chainrule.f(t, ...)`` is ``t.f(...)``)"),
    ("chainrule.nn", "Neural-network functions also at the top level"),
    ("chainrule.dtypes", "Data types"),
    ("chainrule.devices", "Devices, layouts and defaults"),
    ("chainrule.runtime", "Runtime settings"),
]


def _defined_in(obj: Any) -> str:
    return getattr(obj, "__module__", None) or type(obj).__module__


def _is_documented_callable(obj: Any) -> bool:
    """Functions and classes get a rendered entry; values (dtypes, formats) a table row.

    So do names that are another package's (``chainrule.dtype`` is ``numpy.dtype``).
    """
    if not _defined_in(obj).startswith("chainrule"):
        return False
    return inspect.isfunction(obj) or inspect.isbuiltin(obj) or inspect.isclass(obj) or \
        isinstance(obj, functools.partial) or (callable(obj) and hasattr(obj, "__wrapped__"))


def top_level_names() -> list[str]:
    """Every public name of ``chainrule`` (it has no ``__all__``): not modules, not imports."""
    import chainrule

    names = []
    for name in dir(chainrule):
        obj = getattr(chainrule, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType) or name == "annotations":
            continue
        names.append(name)
    return names


def module_names(module: str) -> list[str]:
    """The public names of a module: its ``__all__``, without submodules."""
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")
                 and _defined_in(getattr(mod, n)).startswith(module)]
    return [n for n in names if not isinstance(getattr(mod, n), types.ModuleType)]


def tensor_names() -> list[str]:
    """Tensor's public methods and properties."""
    import chainrule

    return [n for n in dir(chainrule.Tensor) if not n.startswith("_")]


# ---------------------------------------------------------------------------------------------
# reference pages
# ---------------------------------------------------------------------------------------------

def _entry(path: str) -> str:
    return f"::: {path}\n"


def _value_table(module: str, names: list[str], docs: dict[str, str] | None = None) -> str:
    """Values (dtypes, memory formats, generators) as a table with an anchor per name."""
    owner: Any = importlib.import_module(module.rsplit(".", 1)[0]) if module.endswith(
        ".Tensor") else importlib.import_module(module)
    if module.endswith(".Tensor"):
        owner = owner.Tensor
    rows = ["| name | value | what it is |", "|---|---|---|"]
    for name in names:
        obj = getattr(owner, name)
        doc = (docs or {}).get(name) or (inspect.getdoc(obj) or "")
        if type(obj).__module__.startswith("numpy"):    # dtypes: NumPy's own docs say little
            if inspect.isclass(obj):
                doc = f"`{obj.__module__}.{obj.__name__}`, the class of every dtype"
            else:
                doc = f"NumPy's dtype `{obj}`, under PyTorch's name"
        doc = doc.strip().split("\n\n")[0].replace("\n", " ")
        doc = doc.replace("|", "\\|")
        value = repr(obj).replace("|", "\\|")
        if len(value) > 60:
            value = value[:57] + "..."
        rows.append(f'| <span id="{module}.{name}"></span>`{module}.{name}` | `{value}` | {doc} |')
    return "\n".join(rows) + "\n"


def chainrule_page() -> str:
    import chainrule

    callables: dict[str, list[str]] = {}
    values = []
    for name in top_level_names():
        obj = getattr(chainrule, name)
        if obj is chainrule.Tensor:
            continue   # its own page
        if not _is_documented_callable(obj):
            values.append(name)
            continue
        where = _defined_in(obj)
        group = next((g for g, _ in TOP_GROUPS if where == g or where.startswith(g + ".")),
                     where)
        callables.setdefault(group, []).append(name)
    lines = ["# chainrule", "",
             "The top-level namespace: `import chainrule as cr`. Tensor methods are on the "
             "[Tensor](tensor.md) page; `cr.f(t, ...)` is `t.f(...)` for the methods that "
             "PyTorch also has as functions.", ""]
    titles = dict(TOP_GROUPS)
    toc = [g for g, _ in TOP_GROUPS if g in callables] + \
        sorted(g for g in callables if g not in titles)
    for group in toc:
        lines += [f"## {titles.get(group, group)}", ""]
        for name in sorted(callables[group], key=str.lower):
            lines.append(_entry(f"chainrule.{name}").replace(
                "\n", "\n    options:\n      heading_level: 3\n", 1))
    lines += ["## Values: data types, formats, the default generator", "",
              _value_table("chainrule", values)]
    return "\n".join(lines)


TENSOR_GROUPS = {
    "chainrule.tensor": "Autograd, properties and operators",
    "chainrule.tensor_methods.index": "Indexing, gathering and scattering",
    "chainrule.tensor_methods.elementwise": "Elementwise math and comparisons",
    "chainrule.tensor_methods.reduce": "Reductions and statistics",
    "chainrule.tensor_methods.scan": "Cumulative operations",
    "chainrule.tensor_methods.sort": "Sorting and selection",
    "chainrule.tensor_methods.shape": "Shapes, views and joins",
    "chainrule.tensor_methods.linalg": "Linear algebra",
    "chainrule.tensor_methods.fused": "Fused, numerically stable kernels",
    "chainrule.tensor_methods.dtype": "dtypes, devices and conversions",
    "chainrule.tensor_methods.random": "Random sampling in place",
    "chainrule.tensor_methods._base": "Basics",
}


TENSOR_VALUES = {
    "parents": "A leaf has no parents (`None`); an op's output reaches its inputs through "
               "`grad_fn`. Part of the graph protocol that Tensor shares with Scalar.",
}


def tensor_groups() -> dict[str, list[str]]:
    """Tensor's public names, grouped by the class of its MRO that defines each."""
    import chainrule

    groups: dict[str, list[str]] = {}
    for name in tensor_names():
        owner = next(c for c in chainrule.Tensor.__mro__ if name in vars(c))
        groups.setdefault(owner.__module__, []).append(name)
    return groups


def tensor_page() -> str:
    lines = ["# Tensor", "",
             "`chainrule.Tensor`: an n-dimensional array (NumPy underneath) that records the "
             "ops applied to it when it requires grad. Its methods follow PyTorch's names and "
             "arguments; in-place variants end in `_`.", "",
             "::: chainrule.Tensor",
             "    options:",
             "      members: false", ""]
    groups = tensor_groups()
    import chainrule

    values = [n for names in groups.values() for n in names
              if not hasattr(inspect.getattr_static(chainrule.Tensor, n), "__get__")]
    order = [g for g in TENSOR_GROUPS if g in groups] + sorted(set(groups) - set(TENSOR_GROUPS))
    for group in order:
        lines += [f"## {TENSOR_GROUPS.get(group, group)}", ""]
        for name in sorted(groups[group], key=str.lower):
            if name not in values:
                lines.append(_entry(f"chainrule.Tensor.{name}").replace(
                    "\n", "\n    options:\n      heading_level: 3\n", 1))
    lines += ["## Class attributes", "", _value_table("chainrule.Tensor", values, TENSOR_VALUES)]
    return "\n".join(lines)


def module_page(slug: str) -> str:
    module, title, summary = MODULE_PAGES[slug]
    lines = [f"# {title}", "", summary, ""]
    mod = importlib.import_module(module)
    callables = [n for n in module_names(module) if _is_documented_callable(getattr(mod, n))]
    values = [n for n in module_names(module) if n not in callables]
    for name in callables:
        lines.append(_entry(f"{module}.{name}"))
    if values:
        lines += ["## Values", "", _value_table(module, values)]
    for extra in EXTRA_MODULES.get(slug, []):
        lines += [f"## {extra}", ""]
        for name in module_names(extra):
            lines.append(_entry(f"{extra}.{name}").replace(
                "\n", "\n    options:\n      heading_level: 3\n", 1))
    return "\n".join(lines)


def cli_page() -> str:
    from chainrule import cli

    parser = cli._parser()
    lines = ["# The chainrule command", "",
             "`chainrule` (or `python -m chainrule`) is installed with the package. Every "
             "subcommand calls a Python API that a notebook can call too: `train` is "
             "[chainrule.train.fit](train.md), `explain` is [chainrule.explain](explain.md). "
             "The help below is the command's own (`chainrule SUBCOMMAND --help`), printed "
             "while the site was built.", "",
             "## chainrule", "", "```text", parser.format_help().rstrip(), "```", ""]
    for action in parser._subparsers._group_actions:  # argparse keeps subparsers there
        for name, sub in action.choices.items():
            lines += [f"## chainrule {name}", "", "```text", sub.format_help().rstrip(),
                      "```", ""]
    return "\n".join(lines)


def reference_index() -> str:
    rows = ["| page | what |", "|---|---|",
            "| [chainrule](chainrule.md) | the top-level namespace: creation, math, grad mode, "
            "save/load, dtypes |",
            "| [Tensor](tensor.md) | every Tensor method and property |"]
    for slug, (_module, title, summary) in module_pages().items():
        rows.append(f"| [{title}]({slug}.md) | {summary} |")
    rows.append("| [the chainrule command](cli.md) | `chainrule train`, `evaluate`, "
                "`explain`, ... |")
    rows.append("| [nn coverage](../nn.md) | which PyTorch layers chainrule has, and how "
                "they are tested |")
    return "\n".join(["# Reference", "",
                      "Generated from the docstrings of the package in this checkout; every "
                      "public name has an entry (a test checks it). Signatures show the types "
                      "of the annotations.", "", *rows, ""])


def reference_pages() -> dict[str, str]:
    pages = {"reference/index.md": reference_index(),
             "reference/chainrule.md": chainrule_page(),
             "reference/tensor.md": tensor_page(),
             "reference/cli.md": cli_page()}
    for slug in module_pages():
        pages[f"reference/{slug}.md"] = module_page(slug)
    return pages


# ---------------------------------------------------------------------------------------------
# figures and computed text
# ---------------------------------------------------------------------------------------------

FIGURES: dict[str, Callable[[], bytes]] = {}
TEXTS: dict[str, Callable[[], str]] = {}
MARKDOWN: dict[str, Callable[[], str]] = {}


def figure(name: str):
    def register(fn):
        FIGURES[name] = fn
        return fn
    return register


def text(name: str):
    def register(fn):
        TEXTS[name] = fn
        return fn
    return register


def _svg_of_dot(dot_source: str) -> bytes:
    """Graphviz's drawing when ``dot`` is installed; else the DOT text itself as an SVG."""
    dot = shutil.which("dot")
    if dot:
        return subprocess.run([dot, "-Tsvg"], input=dot_source.encode(), check=True,
                              capture_output=True).stdout
    from xml.sax.saxutils import escape

    lines = ["Graphviz's dot program is not installed; the graph as DOT text:", ""]
    lines += dot_source.splitlines()
    height = 16 * len(lines) + 10
    width = 8 * max(len(line) for line in lines) + 20
    body = "".join(f'<text x="10" y="{16 * (i + 1)}">{escape(line)}</text>'
                   for i, line in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="monospace" font-size="13">{body}</svg>').encode()


def _matplotlib_svg(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return re.sub(rb"<dc:date>.*?</dc:date>", b"", buf.getvalue())


def _loss_curve_svg(losses: list, height: float, xlabel: str, ylabel: str, title: str) -> bytes:
    """A training run's losses, one per step, as a line plot."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, height))
    ax.plot(losses)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return _matplotlib_svg(fig)


def _neuron_loss():
    """The log loss of a sigmoid neuron, the running example of the scalar tutorials."""
    import chainrule as cr

    def leaf(v, name, grad=False):
        t = cr.tensor(v, dtype=cr.float64, requires_grad=grad)
        t.label = name
        return t

    x1, x2, y = leaf(1.5, "x1"), leaf(2.5, "x2"), leaf(1.0, "y")
    w1, w2, b = leaf(-4.0, "w1", True), leaf(3.0, "w2", True), leaf(-1.0, "b", True)
    yhat = (w1 * x1 + w2 * x2 + b).sigmoid()
    return -y * yhat.log() - (1 - y) * (1 - yhat).log()


def _linear_layer_loss():
    """A two-layer network's squared error on one example, each value labelled."""
    import chainrule as cr

    cr.manual_seed(0)
    x = cr.tensor([[0.5, -1.0, 2.0]], dtype=cr.float64)
    x.label = "x"
    w1 = cr.randn(4, 3, dtype=cr.float64, requires_grad=True)
    w1.label = "W1"
    w2 = cr.randn(1, 4, dtype=cr.float64, requires_grad=True)
    w2.label = "W2"
    h = (x @ w1.T).tanh()
    h.label = "h"
    out = h @ w2.T
    out.label = "yhat"
    return ((out - 1.0) ** 2).sum()


@figure("neuron_graph.svg")
def _neuron_graph() -> bytes:
    from chainrule import explain

    loss = _neuron_loss()
    loss.backward(retain_graph=True)
    return _svg_of_dot(explain.to_dot(loss))


@text("neuron_backward_table")
def _neuron_table() -> str:
    from chainrule import explain

    return str(explain.backward_table(_neuron_loss()))


@figure("two_layer_backward.svg")
def _two_layer_graph() -> bytes:
    from chainrule import explain

    return _svg_of_dot(explain.to_dot(_linear_layer_loss(), backward=True))


@text("two_layer_backward_table")
def _two_layer_table() -> str:
    from chainrule import explain

    return str(explain.backward_table(_linear_layer_loss()))


@figure("layer_jacobians.svg")
def _layer_jacobians() -> bytes:
    import matplotlib.pyplot as plt

    import chainrule as cr
    from chainrule import explain, nn

    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    x = cr.randn(1, 4)
    jac = explain.layer_jacobians(model, x)
    mats = _jacobian_items(jac)
    fig, axes = plt.subplots(1, len(mats), figsize=(3 * len(mats), 3))
    for ax, (name, m) in zip(axes, mats):
        im = ax.imshow(m, cmap="RdBu", vmin=-abs(m).max(), vmax=abs(m).max())
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.7)
    fig.suptitle("d(layer output) / d(layer input), one example: each layer's Jacobian")
    return _matplotlib_svg(fig)


def _jacobian_items(jac) -> list[tuple[str, Any]]:
    """(label, matrix) for each layer's input Jacobian in a ``layer_jacobians`` result."""
    import numpy as np

    items = []
    for entry in jac:
        m = np.asarray(entry.Lx, dtype=float)
        m = m.reshape(m.shape[0], -1)
        items.append((f"{entry.index}: {entry.name}, L^x {m.shape[0]} x {m.shape[1]}", m))
    return items


@figure("finite_differences.svg")
def _finite_differences() -> bytes:
    import matplotlib.pyplot as plt
    import numpy as np

    import chainrule as cr

    def f(x):
        return (x.sin() * x.exp()).sum()

    x0 = 0.7
    hs = np.logspace(-15, -1, 57)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for dtype, name in ((cr.float32, "float32"), (cr.float64, "float64")):
        x = cr.tensor(x0, dtype=dtype, requires_grad=True)
        f(x).backward()
        exact = np.cos(x0) * np.exp(x0) + np.sin(x0) * np.exp(x0)
        err_rev = max(abs(float(x.grad) - exact), 1e-17)
        err_fwd, err_ctr = [], []
        for h in hs:
            def at(v, dtype=dtype):
                return float(f(cr.tensor(v, dtype=dtype)))
            err_fwd.append(abs((at(x0 + h) - at(x0)) / h - exact))
            err_ctr.append(abs((at(x0 + h) - at(x0 - h)) / (2 * h) - exact))
        ax.loglog(hs, np.maximum(err_fwd, 1e-17), label=f"forward difference, {name}")
        ax.loglog(hs, np.maximum(err_ctr, 1e-17), "--", label=f"central difference, {name}")
        ax.axhline(err_rev, lw=0.8, color="k" if name == "float64" else "grey")
        ax.annotate(f"reverse mode, {name}", (hs[0], err_rev * 1.5), fontsize=8)
    ax.set_xlabel("step h")
    ax.set_ylabel("|error| of d/dx [sin(x) e^x] at x = 0.7")
    ax.legend(fontsize=7)
    return _matplotlib_svg(fig)


@figure("batched_mlp_loss.svg")
def _batched_mlp_loss() -> bytes:

    import chainrule as cr
    import chainrule.nn.functional as F
    from chainrule import nn, optim
    from chainrule.data import DataLoader, load_digits

    cr.manual_seed(0)
    train, _ = load_digits()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Sigmoid(), nn.Linear(32, 10))
    opt = optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(2):
        for images, labels in DataLoader(train, batch_size=64, shuffle=True):
            opt.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return _loss_curve_svg(losses, 3.5, "step (batches of 64 digits)", "softmax cross-entropy",
                           "64-32-10 sigmoid MLP, SGD lr 0.5, two epochs")


@functools.cache
def _first_model_run() -> tuple[bytes, str]:
    import chainrule as cr
    from chainrule import nn
    from chainrule.data import load_digits
    from chainrule.train import fit

    cr.manual_seed(0)
    train, test = load_digits()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    log = io.StringIO()
    with tempfile.TemporaryDirectory() as out:
        fit(model, train, test, epochs=5, lr=3e-3, out=out, progress=log)
        curves = (Path(out) / "curves.png").read_bytes()
    return curves, log.getvalue()


@figure("first_model_curves.png")
def _first_model_curves() -> bytes:
    return _first_model_run()[0]


@text("first_model_log")
def _first_model_log() -> str:
    return _first_model_run()[1].rstrip()


def _benchmark_tables() -> list[tuple[str, str, list[tuple[str, float]]]]:
    """(title, ratio column, [(library, ratio)]) for each table of docs/benchmarks.md."""
    bench = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    tables = []
    for match in re.finditer(r"^## (.+?)\n\n((?:\|.*\|\n)+)", bench, re.M):
        title, rows = match.group(1), match.group(2).strip().splitlines()
        header = [c.strip() for c in rows[0].strip("|").split("|")]
        if "library" not in header:
            continue
        col = next((i for i, c in enumerate(header) if c.startswith("CPU time vs")), None)
        if col is None:
            col = next((i for i, c in enumerate(header) if c.startswith("vs ")), None)
        if col is None:
            continue
        points = []
        for row in rows[2:]:
            cells = [c.strip() for c in row.strip("|").split("|")]
            ratio = re.match(r"([\d.]+)x", cells[col]) if len(cells) > col else None
            if ratio:
                points.append((cells[header.index("library")], float(ratio.group(1))))
        if points:
            tables.append((title, header[col], points))
    return tables


@figure("benchmarks.svg")
def _benchmarks() -> bytes:
    import matplotlib.pyplot as plt

    tables = _benchmark_tables()
    ncols = 2
    nrows = max(1, (len(tables) + ncols - 1) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 2.4 * nrows), squeeze=False)
    for ax, (title, column, points) in zip(axes.flat, tables):
        libs = [p[0] for p in points]
        ratios = [p[1] for p in points]
        colors = ["tab:blue" if lib.startswith("chainrule") else "tab:grey" for lib in libs]
        ax.barh(libs, ratios, color=colors)
        ax.axvline(1.0, color="k", lw=0.8)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(column + " (lower is better)", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(tables):]:
        ax.axis("off")
    fig.tight_layout()
    return _matplotlib_svg(fig)


@text("benchmark_machine")
def _benchmark_machine() -> str:
    bench = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    keep = [line[2:] for line in bench.splitlines()
            if re.match(r"- (Command|Date|Machine|Versions):", line)]
    return "\n".join(keep)


def _distributed_guide() -> str:
    """A link to docs/distributed.md where it exists (it comes with chainrule.distributed)."""
    if (ROOT / "docs" / "distributed.md").exists():
        return ("The full guide, with the measured scaling and what differs from PyTorch's "
                "DDP: [Distributed training](../distributed.md).")
    return ("The full guide, with the measured scaling, is `docs/distributed.md`, which "
            "comes with `chainrule.distributed`; it is not in this checkout yet.")


MARKDOWN["distributed_guide"] = _distributed_guide


def _health_guide() -> str:
    """A link to docs/health.md where it exists (it comes with the health diagnostics)."""
    if (ROOT / "docs" / "health.md").exists():
        return ("Every diagnostic, the findings of deliberately broken runs and the measured "
                "cost: [Training health](../health.md).")
    return ""


MARKDOWN["health_guide"] = _health_guide


def _has(name: str) -> bool:
    from chainrule import nn

    return hasattr(nn, name)


def _sorting_transformer():
    """A small encoder trained briefly to sort digits (tutorial 7): (model, losses)."""
    import chainrule as cr
    import chainrule.nn.functional as F
    from chainrule import nn, optim

    cr.manual_seed(0)
    length, digits, d_model = 6, 10, 32

    class Sorter(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(digits, d_model)
            self.positions = nn.Embedding(length, d_model)
            layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=64,
                                               dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2)
            self.out = nn.Linear(d_model, digits)

        def embed(self, x):
            return self.tokens(x) + self.positions(cr.arange(x.shape[1]))

        def forward(self, x):
            return self.out(self.encoder(self.embed(x)))

    model = Sorter()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(100):
        x = cr.randint(0, digits, (32, length))
        loss = F.cross_entropy(model(x).flatten(0, 1), x.sort(dim=1).values.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


@figure("transformer_sorting.svg")
def _transformer_figure() -> bytes:
    import matplotlib.pyplot as plt

    import chainrule as cr

    if not _has("TransformerEncoderLayer"):
        return b""
    model, losses = _sorting_transformer()
    model.eval()
    x = cr.tensor([[7, 2, 9, 2, 0, 5]])
    with cr.no_grad():
        h = model.embed(x)
        _, weights = model.encoder.layers[0].self_attn(h, h, h, need_weights=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.plot(losses)
    ax1.set_xlabel("step (batches of 32 sequences)")
    ax1.set_ylabel("cross-entropy")
    ax1.set_title("training loss")
    im = ax2.imshow(weights.numpy()[0], cmap="viridis")
    ax2.set_xticks(range(6), [str(v) for v in x.tolist()[0]])
    ax2.set_yticks(range(6), [f"out {i}" for i in range(6)])
    ax2.set_xlabel("input digit")
    ax2.set_title("layer 1 attention (heads averaged)")
    fig.colorbar(im, ax=ax2, shrink=0.8)
    return _matplotlib_svg(fig)


def _transformer_figure_md() -> str:
    if not _has("TransformerEncoderLayer"):
        return ("*(The figure of this page, a training curve and an attention map, is drawn "
                "when `chainrule.nn.TransformerEncoderLayer` is present.)*")
    return ("![training loss and an attention map of the sorting transformer]"
            "(../figures/transformer_sorting.svg)")


MARKDOWN["transformer_figure"] = _transformer_figure_md


@figure("lstm_loss.svg")
def _lstm_figure() -> bytes:

    import chainrule as cr
    import chainrule.nn.functional as F
    from chainrule import nn, optim

    if not _has("LSTM"):
        return b""
    text = ("the chain rule multiplies local derivatives along every path, "
            "and backprop adds the paths up in reverse order. ") * 4
    chars = sorted(set(text))
    data = cr.tensor([chars.index(c) for c in text])
    cr.manual_seed(0)
    embed, lstm, out = nn.Embedding(len(chars), 16), nn.LSTM(16, 64, batch_first=True), \
        nn.Linear(64, len(chars))
    params = [*embed.parameters(), *lstm.parameters(), *out.parameters()]
    opt = optim.Adam(params, lr=1e-2)
    losses = []
    for _ in range(60):
        starts = cr.randint(0, len(data) - 33, (16,)).tolist()
        x = cr.stack([data[s:s + 32] for s in starts])
        y = cr.stack([data[s + 1:s + 33] for s in starts])
        h, _ = lstm(embed(x))
        loss = F.cross_entropy(out(h).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return _loss_curve_svg(losses, 3.2, "step (16 windows of 32 characters)",
                           "cross-entropy per character", "character-level LSTM, hidden size 64")


def _lstm_figure_md() -> str:
    if not _has("LSTM"):
        return ("*(The figure of this page, the training curve, is drawn when "
                "`chainrule.nn.LSTM` is present.)*")
    return "![the training loss of the character-level LSTM](../figures/lstm_loss.svg)"


MARKDOWN["lstm_figure"] = _lstm_figure_md


@text("package_map")
def _package_map() -> str:
    """Each module of src/chainrule: lines of code and the first line of its docstring."""
    import ast

    rows = []
    src = ROOT / "src"
    for path in sorted((src / "chainrule").rglob("*.py")):
        rel = path.relative_to(src)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = (ast.get_docstring(tree) or "").strip().split("\n")[0]
        lines = path.read_text(encoding="utf-8").count("\n")
        rows.append(f"{str(rel):44} {lines:6}  {doc}")
    return "\n".join([f"{'module':44} {'lines':>6}  what it holds", *rows])


# ---------------------------------------------------------------------------------------------
# examples: their code and what they print
# ---------------------------------------------------------------------------------------------

@functools.cache
def example_output(rel: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run([sys.executable, str(ROOT / rel)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{rel} failed while building the docs:\n{done.stderr}")
    return done.stdout.rstrip()


_MARKER = re.compile(r"^<!-- build:(source|output|text|md) (\S+) -->$", re.M)


def _fence(kind: str, body: str) -> str:
    ticks = "````" if "```" in body else "```"
    return f"{ticks}{kind}\n{body}\n{ticks}"


def _expand(match: re.Match) -> str:
    what, arg = match.group(1), match.group(2)
    if what == "source":
        return _fence("python", (ROOT / arg).read_text(encoding="utf-8").rstrip())
    if what == "output":
        return _fence("text", example_output(arg))
    if what == "md":
        return MARKDOWN[arg]()
    if arg not in TEXTS:
        raise KeyError(f"docs/_build/hooks.py has no text named {arg!r}")
    return _fence("text", TEXTS[arg]())


# ---------------------------------------------------------------------------------------------
# the MkDocs events
# ---------------------------------------------------------------------------------------------

def _use_this_checkout() -> None:
    """Import chainrule from ``src/`` here, whatever else is installed (MkDocs restores
    ``sys.path`` after loading the hooks, so this runs when the build starts)."""
    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    import chainrule

    where = Path(chainrule.__file__).resolve()
    if not where.is_relative_to(ROOT / "src"):
        raise RuntimeError(f"the docs must document {src}, but chainrule was already "
                           f"imported from {where}")


def on_config(config):
    """Use this checkout's chainrule; leave out nav entries whose page another branch has
    not written yet."""
    _use_this_checkout()
    docs = Path(config["docs_dir"])

    def keep(item):
        if isinstance(item, dict):
            (title, value), = item.items()
            if isinstance(value, list):
                return {title: [x for x in map(keep, value) if x is not None]}
            return item if _exists(docs, value) else None
        return item if _exists(docs, item) else None

    config["nav"] = [x for x in map(keep, config["nav"]) if x is not None]
    # a page that other work adds to docs/ appears under "More" until mkdocs.yml lists it
    listed = _nav_pages(config["nav"])
    unlisted = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md")
                      if "_build" not in p.parts and p.relative_to(docs).as_posix() not in listed)
    if unlisted:
        config["nav"].append({"More": unlisted})
    return config


def _exists(docs: Path, page: str) -> bool:
    if page.startswith("reference/"):
        slug = page[len("reference/"):-len(".md")]
        return slug not in MODULE_PAGES or slug in module_pages()
    return (docs / page).exists()


def _nav_pages(nav) -> set[str]:
    found: set[str] = set()
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            found |= _nav_pages(value)
        else:
            found.add(value)
    return found


def on_files(files: Files, config) -> Files:
    pages = reference_pages()
    with ThreadPoolExecutor(max_workers=4) as pool:   # the examples run in subprocesses
        examples = sorted({m.group(2) for page in Path(config["docs_dir"]).rglob("*.md")
                           for m in _MARKER.finditer(page.read_text(encoding="utf-8"))
                           if m.group(1) == "output"})
        list(pool.map(example_output, examples))
    for uri, content in pages.items():
        files.append(File.generated(config, uri, content=content))
    for name, make in FIGURES.items():
        content = make()
        if content:   # a figure of a layer that is not in this checkout yet is left out
            files.append(File.generated(config, f"figures/{name}", content=content))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    return _MARKER.sub(_expand, markdown)
