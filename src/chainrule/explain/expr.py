"""Formulas typed by people, parsed (never run as Python) and evaluated on chainrule values.

:func:`parse` reads a formula such as ``"log(x1) + x1*x2 - sin(x2)"`` with Python's
:mod:`ast` in ``eval`` mode, then checks every node of the tree: only numbers,
names, ``+ - * / **``, unary minus and plus, and calls of the functions in
:data:`FUNCTIONS` with one argument are allowed. Anything else (attribute
access, subscripts, lambdas, ``__import__``, strings, comparisons, ...) is
refused with one line that names it. :func:`evaluate` then walks the checked
tree with Scalars (or 0-d float64 Tensors), so the result carries its graph.

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
from typing import Any

import numpy as np

__all__ = ["FUNCTIONS", "ExpressionError", "parse", "variables", "evaluate", "engine_for"]

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


def parse(text: str) -> ast.Expression:
    """Parse and check a formula; raise :class:`ExpressionError` naming what was refused."""
    if not isinstance(text, str):
        raise ExpressionError(f"a formula is a string, got {type(text).__name__}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"can't parse {text!r}: {err.msg} (column {err.offset})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the formula is nested too deeply") from None
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
            raise _Refused(f"the constant {node.value!r} is not a real number; {_ALLOWED}")
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
    stack = [tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.Call):
            children = node.args
        stack.extend(reversed(children))
    return names


# ---------------------------------------------------------------------------
# Evaluation on chainrule values
# ---------------------------------------------------------------------------

class _Engine:
    """How to make a variable or a constant, and apply a function, for one engine."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
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
    Tensor (or a float when the formula has no variable).
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


def _eval(node: ast.AST, env: dict, eng: _Engine) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        x = _eval(node.operand, env, eng)
        return -x if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.BinOp):
        a = _eval(node.left, env, eng)
        b = _eval(node.right, env, eng)
        try:
            return _apply_binary(type(node.op), a, b)
        except ZeroDivisionError:
            raise ExpressionError("division by zero") from None
        except OverflowError:
            raise ExpressionError("a number grew too large (overflow)") from None
    if isinstance(node, ast.Call):
        x = _eval(node.args[0], env, eng)
        try:
            return eng.call(node.func.id, x)
        except (ValueError, OverflowError) as err:
            raise ExpressionError(f"{node.func.id}(): {err}") from None
    raise ExpressionError(f"{type(node).__name__} nodes are not allowed")  # parse() stops these


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
