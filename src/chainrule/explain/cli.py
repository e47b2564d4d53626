"""``chainrule explain FORMULA --at NAME=VALUE ...``: value, gradient and backward table.

The ``chainrule`` command calls :func:`add_arguments` and :func:`run`; the same
runs without it as ``python -m chainrule.explain``. The formula is parsed, never
executed (see :mod:`chainrule.explain.expr`).

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="chainrule explain")
>>> add_arguments(parser)
>>> run(parser.parse_args(["x * x", "--at", "x=3"]))
f(x=3) = x * x
value: 9
gradient:
  ∂f/∂x = 6
<BLANKLINE>
backward pass (forward assignments, then adjoints in the order they ran):
step  pass      assignment              numbers  value  note
1     forward   v_0 = x                          3
2     forward   v_1 = v_0 * v_0         3 * 3    9
3     backward  v̄_1 = 1                          1      start
4     backward  v̄_0 = v̄_1 · ∂v_1/∂v_0   1 · 3    3      fan-out: contribution 1 of 2
5     backward  v̄_0 += v̄_1 · ∂v_1/∂v_0  1 · 3    6      fan-out: contribution 2 of 2
0
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Sequence

from .._console import OneLineParser, run_command
from ..io import atomic_write
from ._common import as_array, fmt_value, is_value
from .dot import GraphvizMissing, render, to_dot
from .expr import ExpressionError, check_text, engine_for, evaluate, excerpt, parse, variables
from .table import backward_table

MAX_PRECISION = 17  # a float64 has 17 significant digits at most

__all__ = ["add_arguments", "run", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the explain command's arguments to ``parser``."""
    parser.add_argument("formula", help='a formula, e.g. "log(x1) + x1*x2 - sin(x2)" (numbers, '
                        "names, + - * / **, log exp sin cos tanh sqrt sigmoid relu abs)")
    parser.add_argument("--at", nargs="+", default=[], metavar="NAME=VALUE",
                        help="the point: a value for each variable, e.g. --at x1=2 x2=5")
    parser.add_argument("--svg", metavar="FILE",
                        help="also draw the graph to FILE (needs Graphviz)")
    parser.add_argument("--dot", metavar="FILE", help="also write the graph as DOT text to FILE")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--engine", choices=("auto", "scalar", "tensor"), default="auto",
                        help="evaluate on Scalars (auto: when chainrule.Scalar exists) or on "
                        "0-d float64 Tensors")
    parser.add_argument("--order", choices=("trace", "engine"), default="trace",
                        help="adjoint order: reverse of the forward numbering (the evaluation "
                        "trace) or the engine's")
    parser.add_argument("--precision", type=_precision, default=6, metavar="DIGITS",
                        help=f"significant digits, 1 to {MAX_PRECISION} (default 6)")


def _precision(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_PRECISION:
        raise argparse.ArgumentTypeError(
            f"the precision is 1 to {MAX_PRECISION} significant digits, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Print value, gradient and backward table; 0 on success, 2 for a bad formula or point,
    1 when the picture could not be drawn."""
    try:
        tree = parse(args.formula)
        point = _parse_point(args.at, variables(tree))
        for flag, path in (("--dot", args.dot), ("--svg", args.svg)):
            _check_output(flag, path)
        engine = engine_for(args.engine)
        result = evaluate(tree, point, engine)
    except ExpressionError as err:
        print(f"chainrule explain: error: {err}", file=sys.stderr)
        return 2
    names = variables(tree)
    digits = args.precision
    at = ", ".join(f"{n}={fmt_value(point[n], digits)}" for n in names)
    print(f"f({at}) = {args.formula.strip()}")
    print(f"value: {fmt_value(as_array(result) if is_value(result) else result, digits)}")
    if not names:
        print("gradient: none (the formula has no variables)")
        return 0
    if result._ctx is None:  # the formula is one variable
        print("gradient:")
        for n in names:
            print(f"  ∂f/∂{n} = {1 if n == names[0] else 0}")
        return 0
    table = backward_table(result, order=args.order, precision=digits)
    grads = table.gradients
    print("gradient:")
    for n in names:
        g = grads.get(n)
        print(f"  ∂f/∂{n} = " + (fmt_value(g, digits) if g is not None
                                  else "0 (it does not reach the output)"))
    print()
    print("backward pass (forward assignments, then adjoints in the order they ran):")
    print(table.to_markdown() if args.markdown else table.to_text())
    status = 0
    try:
        if args.dot:
            dot = to_dot(result).encode("utf-8")
            atomic_write(args.dot, lambda f: f.write(dot))
            print(f"graph written to {args.dot} (DOT text)")
        if args.svg:
            try:
                render(result, args.svg, format="svg")
                print(f"graph drawn to {args.svg}")
            except GraphvizMissing as err:
                print(f"chainrule explain: {err}", file=sys.stderr)
                status = 1
    except BrokenPipeError:
        raise
    except OSError as err:
        print(f"chainrule explain: error: can't write {err.filename or args.dot or args.svg}: "
              f"{err.strerror or err}", file=sys.stderr)
        status = 1
    return status


def _check_output(flag: str, path: str | None) -> None:
    """Refuse a --dot / --svg path whose folder does not exist, before any work."""
    if path is None:
        return
    check_text(path, f"{flag} {excerpt(path)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ExpressionError(f"{flag} {path}: no such folder {folder}")
    if os.path.isdir(path):
        raise ExpressionError(f"{flag} {path} is a folder; give a file name")


def _parse_point(items: list, names: list) -> dict:
    """``NAME=VALUE`` pairs; names are read as Python reads them in the formula (NFKC, so a
    fullwidth ｘ is x), each given once, and each a variable of the formula."""
    point: dict = {}
    for item in items:
        check_text(item, "--at")
        name, sep, text = item.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())
        if not sep or not name.isidentifier():
            raise ExpressionError(f"--at takes NAME=VALUE pairs, got {excerpt(item)}")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"--at {name}: {excerpt(text)} is not a number") from None
        if name in point:
            raise ExpressionError(f"--at gives {name} twice ({name}={point[name]:g} and "
                                  f"{name}={value:g}); give each variable once")
        if name not in names:
            have = ", ".join(names) if names else "none"
            raise ExpressionError(f"--at {name}={text}: the formula has no variable {name} "
                                  f"(its variables: {have})")
        point[name] = value
    return point


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m chainrule.explain``: the explain command on its own."""
    parser = OneLineParser(
        prog="python -m chainrule.explain",
        description="See backprop: a formula's value, gradient and backward table.")
    add_arguments(parser)

    def command() -> int:
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:  # --help, or a bad argument (already reported)
            return int(stop.code or 0)
        return run(args)

    return run_command("chainrule explain", command)
