"""Write docs/nn.md's table of every layer, function, optimizer and scheduler against PyTorch.

The table is made from the live modules: for each public name of ``torch.nn`` (modules),
``torch.nn.functional``, ``torch.optim`` (optimizers) and ``torch.optim.lr_scheduler``, and
each name chainrule adds there, it says whether chainrule has it and how it differs:
arguments PyTorch takes that chainrule does not, arguments only chainrule takes, defaults
that differ (all read from the two signatures), and the differences in behaviour written in
``NOTES`` below. tests/test_nn_table.py fails when docs/nn.md is not what this script writes.

    python tools/nn_table.py           # rewrite the table in docs/nn.md
    python tools/nn_table.py --check   # exit 1 if docs/nn.md is out of date
"""

from __future__ import annotations

import argparse
import ast
import inspect
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "nn.md"
BEGIN = "<!-- nn_table: begin (written by tools/nn_table.py; do not edit by hand) -->"
END = "<!-- nn_table: end -->"

# Differences in behaviour that signatures cannot show, by section and name. Keep each to one
# line; the longer story is in the prose of docs/nn.md.
NOTES: dict[str, dict[str, str]] = {
    "nn": {
        "Dropout": "masks drawn from chainrule's generator (seeded runs repeat; not PyTorch's "
                   "stream)",
        "Dropout1d": "masks from chainrule's generator",
        "Dropout2d": "masks from chainrule's generator",
        "Dropout3d": "masks from chainrule's generator",
        "AlphaDropout": "masks from chainrule's generator",
        "FeatureAlphaDropout": "masks from chainrule's generator",
        "RReLU": "slopes in training from chainrule's generator",
        "MultiheadAttention": "attention dropout from chainrule's generator; a query with "
                              "every key masked gets zeros (PyTorch: NaN); no fast path",
        "TransformerEncoder": "`enable_nested_tensor` ignored: padded positions of the output "
                              "hold values (PyTorch's nested path gives zeros)",
        "Hardsigmoid": "float64 gradient 1/6 to float64 precision (PyTorch's: 1/6 in float32)",
        "RNN": "`flatten_parameters()` does nothing",
        "LSTM": "`flatten_parameters()` does nothing",
        "GRU": "`flatten_parameters()` does nothing",
        "CTCLoss": "gradient is the true one w.r.t. log_probs (PyTorch's is projected through "
                   "log_softmax); equal before a log_softmax",
        "SoftMarginLoss": "finite where PyTorch's overflows (|x| > 88 in float32)",
        "BCELoss": "target gradient at p = 0 or 1 is the clamped loss's slope (PyTorch: inf)",
        "EmbeddingBag": "scale_grad_by_freq leaves rows seen once unscaled (PyTorch's CPU "
                        "kernel scales them)",
        "CosineSimilarity": "second derivative at a zero vector is 0 (PyTorch: NaN)",
        "PairwiseDistance": "second derivative at a zero vector is 0 (PyTorch: NaN)",
        "CircularPad1d": "a crop to fewer elements than the wrap raises (PyTorch reads "
                         "unwritten memory)",
        "CircularPad2d": "as CircularPad1d",
        "CircularPad3d": "as CircularPad1d",
    },
    "functional": {
        "dropout": "masks from chainrule's generator",
        "dropout1d": "masks from chainrule's generator",
        "dropout2d": "masks from chainrule's generator",
        "dropout3d": "masks from chainrule's generator",
        "alpha_dropout": "masks from chainrule's generator",
        "feature_alpha_dropout": "masks from chainrule's generator",
        "rrelu": "slopes in training from chainrule's generator",
        "scaled_dot_product_attention": "dropout from chainrule's generator; PyTorch's "
                                        "\"math\" formulation",
        "ctc_loss": "gradient is the true one w.r.t. log_probs (PyTorch's is projected "
                    "through log_softmax)",
        "soft_margin_loss": "finite where PyTorch's overflows (|x| > 88 in float32)",
        "binary_cross_entropy": "target gradient at p = 0 or 1 is finite (PyTorch: inf)",
        "embedding_bag": "scale_grad_by_freq leaves rows seen once unscaled",
        "cosine_similarity": "second derivative at a zero vector is 0 (PyTorch: NaN)",
        "pairwise_distance": "second derivative at a zero vector is 0 (PyTorch: NaN)",
        "normalize": "second derivative at a zero vector is 0 (PyTorch: NaN)",
        "pad": "'circular' crop to fewer elements than the wrap raises",
        "interpolate": "antialias=True raises",
        "conv1d": "argument errors are ValueError (PyTorch: RuntimeError)",
        "conv2d": "argument errors are ValueError (PyTorch: RuntimeError)",
        "conv3d": "argument errors are ValueError (PyTorch: RuntimeError)",
    },
    "optim": {},
    "lr_scheduler": {},
}

# Helpers PyTorch's namespaces import or keep that are not part of their API.
_NOT_API = {"Optional", "assert_int_or_pair", "boolean_dispatch", "handle_torch_function",
            "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
            "swap_in_optimizer_params_and_state", "lr_scheduler", "swa_utils"}

SECTIONS = [
    ("nn", "`torch.nn`: modules", "chainrule.nn", "torch.nn"),
    ("functional", "`torch.nn.functional`", "chainrule.nn.functional", "torch.nn.functional"),
    ("optim", "`torch.optim`: optimizers", "chainrule.optim", "torch.optim"),
    ("lr_scheduler", "`torch.optim.lr_scheduler`", "chainrule.optim.lr_scheduler",
     "torch.optim.lr_scheduler"),
]


def _import(name: str):
    __import__(name)
    return sys.modules[name]


def _public(section: str, module) -> dict[str, object]:
    """The names of one section's API in ``module``: classes or functions, by kind."""
    import torch

    base = {"nn": torch.nn.Module, "optim": torch.optim.Optimizer,
            "lr_scheduler": torch.optim.lr_scheduler.LRScheduler}
    ours = not module.__name__.startswith("torch")
    if ours:
        import chainrule

        base = {"nn": chainrule.nn.Module, "optim": chainrule.optim.Optimizer,
                "lr_scheduler": getattr(chainrule.optim.lr_scheduler, "LRScheduler", object)}
    names = getattr(module, "__all__", None) or dir(module)
    found = {}
    for name in names:
        if name.startswith("_") or name in _NOT_API:
            continue
        obj = getattr(module, name, None)
        if obj is None or inspect.ismodule(obj):
            continue
        if section == "functional":
            if inspect.isclass(obj) or not callable(obj):
                continue
            if getattr(obj, "__module__", "") in ("typing", "torch._jit_internal",
                                                  "torch.overrides", "torch._C"):
                continue
        elif not (inspect.isclass(obj) and issubclass(obj, base[section])):
            continue
        found[name] = obj
    return found


def _signature(obj) -> inspect.Signature | None:
    """The call signature (a class's ``__init__``), or one parsed from a builtin's docstring."""
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        pass
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"^\w+\((.*?)\)\s*(->|$)", doc, re.M)
    if not match:
        return None
    try:
        tree = ast.parse(f"def f({match.group(1)}): pass")
    except SyntaxError:
        return None
    args = tree.body[0].args  # type: ignore[attr-defined]
    params = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    for arg, default in zip(positional, defaults):
        params.append(inspect.Parameter(arg.arg, kind, default=_literal(default)))
    if args.vararg:
        params.append(inspect.Parameter(args.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY,
                                        default=_literal(default)))
    return inspect.Signature(params)


def _literal(node):
    """A default written in a docstring: a literal, or arithmetic on literals (``1.0 / 8``)."""
    if node is None:
        return inspect.Parameter.empty
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    if all(isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop))
           for n in ast.walk(node)):
        return eval(compile(ast.Expression(node), "<default>", "eval"), {"__builtins__": {}})
    return ast.unparse(node)


def _same_default(a, b) -> bool:
    if a is inspect.Parameter.empty or b is inspect.Parameter.empty:
        return a is b
    if callable(a) and callable(b):                             # activation=F.relu
        return getattr(a, "__name__", a) == getattr(b, "__name__", b)
    if hasattr(a, "item") and getattr(a, "ndim", 1) == 0:    # a 0-d tensor default
        a = a.item()
    if hasattr(b, "item") and getattr(b, "ndim", 1) == 0:
        b = b.item()
    try:
        return bool(a == b) and type(a) is type(b) or (
            isinstance(a, (int, float)) and isinstance(b, (int, float))
            and not isinstance(a, bool) and not isinstance(b, bool) and float(a) == float(b))
    except Exception:
        return repr(a) == repr(b)


def _fmt(value) -> str:
    if value is inspect.Parameter.empty:
        return "required"
    return f"`{value!r}`"


def _compare(ours, theirs) -> list[str]:
    """Argument differences, in words."""
    mine, torch_sig = _signature(ours), _signature(theirs)
    if mine is None or torch_sig is None:
        return []
    skip = {"self", "args", "kwargs"}
    a = {n: p for n, p in mine.parameters.items()
         if n not in skip and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    b = {n: p for n, p in torch_sig.parameters.items()
         if n not in skip and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    takes_any = any(p.kind == p.VAR_KEYWORD for p in mine.parameters.values())
    words = []
    lacking = [n for n in b if n not in a and not takes_any]
    if lacking:
        words.append("no " + ", ".join(f"`{n}`" for n in lacking))
    extra = [n for n in a if n not in b]
    if extra and not any(p.kind == p.VAR_KEYWORD for p in torch_sig.parameters.values()):
        words.append("also " + ", ".join(f"`{n}`" for n in extra))
    for name in a:
        if name in b and not _same_default(a[name].default, b[name].default):
            words.append(f"`{name}` default {_fmt(a[name].default)} "
                         f"(PyTorch {_fmt(b[name].default)})")
    return words


def _flat(nested) -> list:
    """The numbers of a nested list, in order."""
    return [v for item in nested for v in _flat(item)] if isinstance(nested, list) else [nested]


def _inplace_note(ours, theirs) -> str | None:
    """For a layer taking ``inplace``: whether ``inplace=True`` writes into its input here
    as in PyTorch, found by calling both (in eval mode) on [-1, 2]."""
    try:
        if "inplace" not in inspect.signature(ours).parameters:
            return None
        import torch

        import chainrule

        mine, their_layer = ours(inplace=True), theirs(inplace=True)
    except (TypeError, ValueError):
        return None
    values = [[[[-1.0, 2.0]]]]
    x, t = chainrule.tensor(values), torch.tensor(values)
    try:
        mine.eval()(x)
        their_layer.eval()(t)
    except (TypeError, ValueError, RuntimeError):
        return None
    if all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7)
           for a, b in zip(_flat(x.tolist()), _flat(t.tolist()))):
        return None  # the same values, to float32 rounding
    if x.tolist() == values:
        return "`inplace=True` accepted; the result is a new tensor (the input is unchanged)"
    return "`inplace=True` changes the input differently from PyTorch"


def _rows(section: str, ours_name: str, torch_name: str) -> tuple[list[str], int, int]:
    ours = _public(section, _import(ours_name))
    theirs = _public(section, _import(torch_name))
    notes = NOTES[section]
    lines = ["| name | in chainrule | against PyTorch |", "| --- | --- | --- |"]
    for name in sorted(set(ours) | set(theirs), key=lambda n: (n.lower(), n)):
        if name not in ours:
            lines.append(f"| `{name}` | missing | |")
            continue
        if name not in theirs:
            lines.append(f"| `{name}` | yes | chainrule only |")
            continue
        words = _compare(ours[name], theirs[name])
        if section == "nn":
            inplace = _inplace_note(ours[name], theirs[name])
            if inplace:
                words.append(inplace)
        if name in notes:
            words.append(notes[name])
        text = "; ".join(words) if words else "same arguments and defaults"
        lines.append(f"| `{name}` | yes | {text} |")
    return lines, len([n for n in theirs if n in ours]), len(theirs)


def table() -> str:
    """The generated section of docs/nn.md, between its markers."""
    import torch

    version = torch.__version__.split("+")[0]
    out = [BEGIN, "",
           f"Read from chainrule's modules and PyTorch {version}'s by `python tools/nn_table.py`;",
           "tests/test_nn_table.py fails when this table is out of date. \"Same arguments and",
           "defaults\" compares the two signatures (for PyTorch's compiled functions, the one in",
           "its docstring); behaviour is compared with PyTorch's by the tests of each name, and",
           "the differences they pin are noted here. docs/coverage.md counts every other",
           "namespace of PyTorch's (`torch`, `torch.Tensor`, `torch.linalg`).", ""]
    for section, title, ours_name, torch_name in SECTIONS:
        lines, have, total = _rows(section, ours_name, torch_name)
        out += [f"### {title} ({have} of PyTorch's {total})", "", *lines, ""]
    out.append(END)
    return "\n".join(out)


def render(text: str) -> str:
    """``text`` (docs/nn.md) with its table replaced by :func:`table`'s (appended if absent)."""
    new = table()
    if BEGIN in text and END in text:
        start = text.index(BEGIN)
        stop = text.index(END) + len(END)
        return text[:start] + new + text[stop:]
    heading = "## Every layer, function, optimizer and scheduler against PyTorch\n\n"
    return text.rstrip("\n") + "\n\n" + heading + new + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/nn.md is out of date, without writing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print("docs/nn.md is out of date: run python tools/nn_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
