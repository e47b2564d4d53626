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
import sys
from typing import Any

from ._common import as_array, fmt_value, is_value
from .dot import GraphvizMissing, render, to_dot
from .expr import ExpressionError, engine_for, evaluate, parse, variables
from .table import backward_table

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
                        help="adjoint order: reverse of the forward numbering (the evaluation trace) or "
                        "the engine's")
    parser.add_argument("--precision", type=int, default=6, metavar="DIGITS",
                        help="significant digits (default 6)")


def run(args: argparse.Namespace) -> int:
    """Print value, gradient and backward table; 0 on success, 2 for a bad formula or point,
    1 when the picture could not be drawn."""
    try:
        tree = parse(args.formula)
        point = _parse_point(args.at)
        engine = engine_for(args.engine)
        result = evaluate(tree, point, engine)
    except ExpressionError as err:
        print(f"chainrule explain: error: {err}", file=sys.stderr)
        return 2
    names = variables(tree)
    digits = args.precision
    at = ", ".join(f"{n}={fmt_value(point[n], digits)}" for n in names)
    print(f"f({at}) = {args.formula.strip()}")
    print(f"value: {fmt_value(as_array(result.data) if is_value(result) else result, digits)}")
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
    if args.dot:
        with open(args.dot, "w", encoding="utf-8") as fh:
            fh.write(to_dot(result))
        print(f"graph written to {args.dot} (DOT text)")
    if args.svg:
        try:
            render(result, args.svg, format="svg")
            print(f"graph drawn to {args.svg}")
        except GraphvizMissing as err:
            print(f"chainrule explain: {err}", file=sys.stderr)
            status = 1
    return status


def _parse_point(items: list) -> dict:
    point: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"--at takes NAME=VALUE pairs, got {item!r}")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"--at {name}: {text!r} is not a number") from None
        point[name] = value
    return point


def main(argv: Any = None) -> int:
    """``python -m chainrule.explain``: the explain command on its own."""
    parser = argparse.ArgumentParser(
        prog="python -m chainrule.explain",
        description="See backprop: a formula's value, gradient and backward table.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
