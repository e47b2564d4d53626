"""Formulas typed by people, parsed (never run as Python) and evaluated on chainrule values.

:func:`parse` reads a formula such as ``"log(x1) + x1*x2 - sin(x2)"`` with Python's
:mod:`ast` in ``eval`` mode, then checks every node of the tree: only numbers,
names, ``+ - * / **``, unary minus and plus, and calls of the functions in
:data:`FUNCTIONS` with one argument are allowed. Anything else (attribute
access, subscripts, lambdas, ``__import__``, strings, comparisons, ...) is
refused with one line that names it. :func:`evaluate` then walks the checked
tree with Scalars (or 0-d float64 Tensors), so the result carries its graph.
A formula is bounded: at most :data:`MAX_LENGTH` characters and :data:`MAX_TERMS`
numbers, names and operations (a backward table longer than that explains nothing),
refused in well under a tenth of a second; within the bounds nothing recurses, so
long sums and deep nesting evaluate as well as short ones.

>>> f = parse("log(x1) + x1*x2 - sin(x2)")
>>> variables(f)
['x1', 'x2']
>>> round(float(evaluate(f, {"x1": 2, "x2": 5}).data), 4)
11.6521
>>> parse("x.__class__")
Traceback (most recent call last):
    ...
chainrule.explain.expr.ExpressionError: not allowed: attribute access ('.__class__'); use ...
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

import numpy as np

from ._common import as_array

__all__ = ["FUNCTIONS", "ExpressionError", "parse", "variables", "evaluate", "engine_for",
           "MAX_LENGTH", "MAX_TERMS", "excerpt"]

MAX_LENGTH = 10_000
"""The longest formula :func:`parse` reads, in characters."""

MAX_TERMS = 2_000
"""The most numbers, names and operations a formula may have."""

FUNCTIONS = ("log", "exp", "sin", "cos", "tanh", "sqrt", "sigmoid", "relu", "abs")
"""The functions a formula may call."""

_ALLOWED = "use numbers, names, + - * / **, and " + " ".join(FUNCTIONS)

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(ValueError):
    """A formula that can't be parsed, uses something not allowed, or lacks a value."""


def excerpt(text: str, limit: int = 60) -> str:
    """``text`` quoted, cut to about ``limit`` characters (a message never echoes 200 kB)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit - 15]!r} ... {text[-10:]!r} ({len(text):,} characters)"


_TOKEN = re.compile(r"[^\W\d]\w*|\d[\d.]*(?:[eE][-+]?\d+)?|\.\d+|\*\*|[-+*/]")


def check_text(text: str, what: str = "the formula") -> None:
    """Refuse text that is not UTF-8 (a stray byte from the shell), before anything else."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ExpressionError(f"{what} has a byte that is not UTF-8 text at character "
                              f"{err.start + 1}; type it again as plain text") from None


def parse(text: str) -> ast.Expression:
    """Parse and check a formula; raise :class:`ExpressionError` naming what was refused.

    >>> parse("+".join(["x"] * 3000))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    chainrule.explain.expr.ExpressionError: the formula has about 5,999 ... at most 2,000 ...
    """
    if not isinstance(text, str):
        raise ExpressionError(f"a formula is a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the formula has {len(text):,} characters; explain takes at "
                              f"most {MAX_LENGTH:,}")
    check_text(text)
    terms = len(_TOKEN.findall(text))
    if terms > MAX_TERMS:
        raise ExpressionError(_too_many(terms, "about "))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"can't parse {excerpt(text.strip())}: {err.msg} (column "
                              f"{err.offset})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the formula is too deeply nested for Python's parser; "
                              "split it into smaller formulas") from None
    terms = sum(1 for node in ast.walk(tree) if isinstance(node, _TERMS))
    if terms > MAX_TERMS:
        raise ExpressionError(_too_many(terms, ""))
    problems = []
    for node in ast.walk(tree):
        try:
            _check(node, text)
        except _Refused as refused:
            problems.append(refused)
    if problems:  # name the worst thing (a dunder name), else the outermost one
        worst = min(problems, key=lambda p: p.priority)
        raise ExpressionError(str(worst))
    return tree


_TERMS = (ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.Call)


def _too_many(terms: int, about: str) -> str:
    return (f"the formula has {about}{terms:,} numbers, names and operations; explain takes "
            f"at most {MAX_TERMS:,} (a longer backward table explains nothing)")


class _Refused(Exception):
    def __init__(self, message: str, priority: int = 2) -> None:
        super().__init__(message)
        self.priority = priority


def _check(node: ast.AST, text: str) -> None:
    if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINARY:
        return
    if isinstance(node, (ast.USub, ast.UAdd, ast.UnaryOp)):
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd)):
            symbol = "not" if isinstance(node.op, ast.Not) else "~"
            raise _Refused(f"the operator '{symbol}' is not allowed; {_ALLOWED}")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _Refused(f"the operator {_op_symbol(node.op)} is not allowed; {_ALLOWED}")
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _Refused(f"the constant {_short(node.value)} is not a real number; "
                           f"{_ALLOWED}")
        try:
            finite = math.isfinite(float(node.value))
        except OverflowError:
            finite = False
        if not finite:
            raise _Refused(f"the number {_number_text(node, text)} is too large for a float "
                           "(the largest is about 1.8e308)")
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise _Refused(f"the name '{node.id}' is not allowed (no dunder names); {_ALLOWED}",
                           0)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            what = _source(node.func, text) or type(node.func).__name__
            raise _Refused(f"calling '{what}' is not allowed: only {', '.join(FUNCTIONS)} "
                           "can be called")
        name = node.func.id
        if name not in FUNCTIONS:
            raise _Refused(f"calling '{name}' is not allowed: only {', '.join(FUNCTIONS)} "
                           "can be called", 0 if name.startswith("__") else 2)
        if node.keywords or len(node.args) != 1:
            raise _Refused(f"{name}() takes exactly one argument and no keywords")
        return
    what = _REFUSED.get(type(node), f"{type(node).__name__} nodes")
    snippet = _source(node, text)
    if isinstance(node, ast.Attribute):
        snippet = "." + node.attr
    detail = f" ('{snippet}')" if snippet else ""
    raise _Refused(f"not allowed: {what}{detail}; {_ALLOWED}",
                   1 if isinstance(node, (ast.Attribute, ast.Subscript, ast.Lambda)) else 2)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:30] + "..." + text[-5:]


def _number_text(node: ast.Constant, text: str) -> str:
    digits = _source(node, text) or repr(node.value)
    if len(digits) <= 24:
        return digits
    return f"{digits[:12]}...{digits[-4:]} ({len(digits)} digits)"


def _source(node: ast.AST, text: str) -> str:
    try:
        return ast.get_source_segment(text.strip(), node) or ""
    except Exception:
        return ""


def _op_symbol(op: ast.operator) -> str:
    symbols = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&",
               ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
    return f"'{symbols.get(type(op), type(op).__name__)}'"


def variables(tree: ast.Expression) -> list:
    """The names a checked formula uses as variables, in order of first appearance."""
    names: list = []
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
        children: list[ast.AST] = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.Call):
            children = list(node.args)
        stack.extend(reversed(children))
    return names


# ---------------------------------------------------------------------------
# Evaluation on chainrule values
# ---------------------------------------------------------------------------

class _Engine:
    """How to make a variable or a constant, and apply a function, for one engine."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.cls: type
        if kind == "scalar":
            from ..scalar import Scalar

            self.cls = Scalar
        else:
            from ..tensor import Tensor

            self.cls = Tensor

    def variable(self, name: str, value: float) -> Any:
        if self.kind == "scalar":
            return self.cls(float(value), label=name)
        t = self.cls(np.array(float(value), dtype=np.float64), requires_grad=True)
        t.label = name
        return t

    def constant(self, value: float) -> Any:
        if self.kind == "scalar":
            return self.cls(float(value), requires_grad=False)
        return self.cls(np.array(float(value), dtype=np.float64))

    def call(self, name: str, x: Any) -> Any:
        if not isinstance(x, self.cls):
            x = self.constant(x)
        if name == "abs" and not hasattr(x, "abs"):
            return x.relu() + (-x).relu()  # |x| from ops every engine has
        return getattr(x, name)()


def engine_for(kind: str = "auto") -> _Engine:
    """'scalar', 'tensor', or 'auto': Scalars when chainrule.Scalar exists, else Tensors."""
    if kind == "auto":
        try:
            from ..scalar import Scalar  # noqa: F401
            kind = "scalar"
        except ImportError:
            kind = "tensor"
    if kind not in ("scalar", "tensor"):
        raise ExpressionError(f"engine must be 'auto', 'scalar' or 'tensor', got {kind!r}")
    return _Engine(kind)


def evaluate(tree: ast.Expression, values: dict, engine: Any = "auto") -> Any:
    """Evaluate a checked formula with each variable a chainrule value that requires grad.

    ``values`` maps variable names to numbers; the result is a Scalar or a 0-d
    Tensor (or a float when the formula has no variable). The walk keeps its own
    stack (no recursion). A division by zero, an overflow, or a function outside
    its domain raises :class:`ExpressionError` naming the part of the formula.
    """
    eng = engine if isinstance(engine, _Engine) else engine_for(engine)
    missing = [n for n in variables(tree) if n not in values]
    if missing:
        raise ExpressionError(
            "no value for " + ", ".join(repr(n) for n in missing) + ": give "
            + " ".join(f"{n}=..." for n in missing) + " after --at"
        )
    env = {name: eng.variable(name, values[name]) for name in variables(tree)}
    return _eval(tree.body, env, eng)


def _operands(node: ast.AST) -> list:
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _eval(root: ast.AST, env: dict, eng: _Engine) -> Any:
    """Post-order walk with an explicit stack: operands left to right, then the operation
    (the order the recursive definition would take, so the trace numbers agree)."""
    done: list = []  # values of finished operands, in order
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        operands = _operands(node)
        if not ready and operands:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(operands))
            continue
        args = done[len(done) - len(operands):] if operands else []
        del done[len(done) - len(operands):]
        done.append(_apply(node, args, env, eng))
    return done[0]


def _apply(node: ast.AST, args: list, env: dict, eng: _Engine) -> Any:
    """One node of a checked formula, its operands' values given (parse() stops the rest)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    if isinstance(node, ast.BinOp):
        a, b = args
        try:
            return _apply_binary(type(node.op), a, b)
        except (ZeroDivisionError, OverflowError, ValueError) as err:
            raise ExpressionError(_arithmetic_error(node, a, b, err)) from None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        try:
            return eng.call(node.func.id, args[0])
        except (ZeroDivisionError, OverflowError, ValueError) as err:
            raise ExpressionError(_call_error(node, args[0], err)) from None
    raise ExpressionError(f"{type(node).__name__} nodes are not allowed")


def _number(x: Any) -> float:
    return float(as_array(x))


def _text_of(node: ast.AST) -> str:
    try:
        return excerpt(ast.unparse(node), 50)
    except (RecursionError, ValueError):
        return "the formula"


def _overflowed(err: BaseException) -> bool:
    text = str(err)
    return isinstance(err, OverflowError) or "range" in text or "too large" in text


def _arithmetic_error(node: ast.BinOp, a: Any, b: Any, err: BaseException) -> str:
    where = _text_of(node)
    x, y = _number(a), _number(b)
    if isinstance(node.op, ast.Div) and y == 0:
        return f"division by zero in {where}: {_text_of(node.right)} is 0 at this point"
    if isinstance(node.op, ast.Pow):
        if x == 0 and y < 0:
            return f"{where}: 0 raised to the negative power {y:g} (a division by zero)"
        if x < 0 and not float(y).is_integer():
            return f"{where}: a negative number ({x:g}) to a fractional power has no real value"
    if _overflowed(err):
        return f"{where} overflows: the result is too large for a float"
    return f"{where}: {err}"


def _call_error(node: ast.Call, x: Any, err: BaseException) -> str:
    where = _text_of(node)
    if _overflowed(err):
        return f"{where} overflows: the result is too large for a float"
    return f"{where} is not defined at {_number(x):g}: {err}"


def _apply_binary(op: type, a: Any, b: Any) -> Any:
    if op is ast.Add:
        return a + b
    if op is ast.Sub:
        return a - b
    if op is ast.Mult:
        return a * b
    if op is ast.Div:
        return a / b
    return a ** b
