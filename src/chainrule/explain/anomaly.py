"""Where a NaN was born: anomaly mode, for the forward and the backward pass.

Inside ``with chainrule.detect_anomaly():`` every recorded op remembers the line
of your code that created it, and the first op whose forward output or whose
vector-Jacobian product is not finite (NaN or ±inf) stops the program with an
:class:`AnomalyError` naming the op, that line, and its inputs' shapes with their
min and max. Outside the block nothing here runs: the engine only tests a
thread-local flag (``chainrule.graph._mode.anomaly``).

>>> import chainrule as cr
>>> x = cr.tensor([1.0, -1.0], requires_grad=True)
>>> with cr.detect_anomaly():
...     y = x.log()
Traceback (most recent call last):
    ...
chainrule.explain.anomaly.AnomalyError: forward pass: op 'log' produced nan (1 of 2 elements)...
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, NamedTuple

import numpy as np

from .. import graph as _graph
from ._common import as_array, describe_array, is_value

__all__ = ["detect_anomaly", "AnomalyError", "is_anomaly_enabled"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class AnomalyError(FloatingPointError):
    """An op made a NaN or an infinity, in the forward or the backward pass.

    Attributes: ``op`` (its name), ``pass_`` ("forward" or "backward") and
    ``trace`` (where the op was created: a :class:`SourceLine`, or None).
    """

    def __init__(self, message: str, op: str, pass_: str, trace: SourceLine | None) -> None:
        super().__init__(message)
        self.op = op
        self.pass_ = pass_
        self.trace = trace


class SourceLine(NamedTuple):
    """A line of user code: file, line number, function and the source text."""

    filename: str
    lineno: int
    function: str
    line: str

    def __str__(self) -> str:
        text = f"{self.filename}:{self.lineno} in {self.function}"
        return text + (f": {self.line}" if self.line else "")


class _AnomalyState(threading.local):
    check_nan = True


_state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    """True inside :class:`detect_anomaly` (in this thread)."""
    return _graph._mode.anomaly


class detect_anomaly:
    """Context manager and decorator: stop at the op where a NaN or an inf is born.

    In the forward pass each recorded op keeps the line of user code that made it
    and its output is checked; in the backward pass each op's VJP result is
    checked, and the error names the forward line of the op whose derivative went
    wrong. ``check_nan=False`` only records the lines (cheaper; the lines still
    appear in the messages of other errors you raise from them via ``ctx._trace``).

    >>> import chainrule as cr
    >>> x = cr.tensor(0.0, requires_grad=True)
    >>> y = x.sqrt()              # sqrt(0) = 0 is fine; its derivative is not
    >>> with cr.detect_anomaly():
    ...     y.backward()
    Traceback (most recent call last):
        ...
    chainrule.explain.anomaly.AnomalyError: backward pass: the VJP of op 'sqrt' produced inf...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)

    def __enter__(self) -> detect_anomaly:
        self._prev = (_graph._mode.anomaly, _state.check_nan)
        _graph._mode.anomaly = True
        _state.check_nan = self.check_nan
        return self

    def __exit__(self, *exc: Any) -> None:
        _graph._mode.anomaly, _state.check_nan = self._prev

    def __call__(self, fn: Callable) -> Callable:
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(check_nan):
                return fn(*args, **kwargs)

        return wrapper


# ---------------------------------------------------------------------------
# The two checks, called by the engine only while anomaly mode is on
# ---------------------------------------------------------------------------

def _check_forward(ctx: Any, inputs: Sequence[Any], out: Any) -> None:
    """Run by the engine after each recorded op: keep the line, check the output."""
    ctx._trace = _user_line()
    if not _state.check_nan:
        return
    data = as_array(out)
    if data.dtype.kind not in "fc" or np.isfinite(data).all():
        return
    raise AnomalyError(
        f"forward pass: op '{ctx.name}' produced {_bad_summary(data)}\n"
        f"  created at {ctx._trace}\n"
        f"  inputs:\n{_describe_inputs(inputs)}\n"
        f"  output: {describe_array(data)}\n"
        f"{_hint(ctx.name, 'forward')}",
        str(ctx.name), "forward", ctx._trace,
    )


def _check_backward(ctx: Any, parent_grads: Sequence[Any]) -> None:
    """Run by the backward pass after each op's VJP while anomaly mode is on."""
    if not _state.check_nan:
        return
    for i, pg in enumerate(parent_grads):
        if pg is None:
            continue
        data = as_array(pg)
        if data.dtype.kind not in "fc" or np.isfinite(data).all():
            continue
        trace = getattr(ctx, "_trace", None)
        if trace is not None:
            where = str(trace)
        elif hasattr(type(ctx), "_trace"):
            where = ("unknown: the forward pass ran outside detect_anomaly(); run it inside "
                     "too to see the line")
        else:
            where = f"unknown: {type(ctx).__name__} ops do not record where they were created"
        inputs = ctx._inputs or ()
        raise AnomalyError(
            f"backward pass: the VJP of op '{ctx.name}' produced {_bad_summary(data)} in the "
            f"gradient of its input {i + 1}\n"
            f"  op created at {where}\n"
            f"  backward called at {_user_line()}\n"
            f"  forward inputs:\n{_describe_inputs(inputs)}\n"
            f"  gradient for input {i + 1}: {describe_array(data)}\n"
            f"{_hint(ctx.name, 'backward')}",
            str(ctx.name), "backward", trace,
        )


# The engine calls these only while the thread-local anomaly flag is on.
_graph.register_anomaly_checks(_check_forward, _check_backward)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _user_line() -> SourceLine | None:
    """The innermost frame outside the chainrule package: the line that made the op."""
    frame: FrameType | None = sys._getframe(1)
    innermost: FrameType | None = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if innermost is None:
            innermost = frame
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            break
        frame = frame.f_back
    if frame is None:
        frame = innermost
    if frame is None:
        return None
    filename = frame.f_code.co_filename
    lineno = frame.f_lineno
    line = linecache.getline(filename, lineno).strip()
    return SourceLine(filename, lineno, frame.f_code.co_name, line)


def _bad_summary(data: np.ndarray) -> str:
    nan = int(np.count_nonzero(np.isnan(data)))
    inf = int(np.count_nonzero(np.isinf(data)))
    kinds = " and ".join(k for k, n in (("nan", nan), ("inf", inf)) if n)
    return f"{kinds} ({nan + inf} of {data.size} element{'s' if data.size != 1 else ''})"


def _describe_inputs(inputs: Sequence[Any]) -> str:
    lines = []
    for i, x in enumerate(inputs):
        if x is None:
            text = "(not needed for backward)"
        elif is_value(x) or isinstance(x, np.ndarray):
            text = describe_array(as_array(x))
        elif isinstance(x, (list, tuple)):
            text = "[" + "; ".join(describe_array(as_array(y)) for y in x) + "]"
        else:
            text = repr(x)
        lines.append(f"    {i + 1}: {text}")
    return "\n".join(lines) if lines else "    (none kept)"


_HINTS = {
    "log": "log of a number <= 0: clamp the input (x.clamp(min=eps)) or use a fused op "
           "(log_softmax, cross_entropy, binary_cross_entropy_with_logits)",
    "sqrt": "the derivative of sqrt at 0 is infinite: add a small eps inside the sqrt",
    "sqrt forward": "sqrt of a negative number: clamp the input (x.clamp(min=0)) first",
    "pow forward": "a negative base with a fractional exponent",
    "div": "division by zero (or a tiny number): add an eps to the denominator",
    "pow": "a negative base with a fractional exponent, or 0 to a negative power",
    "exp": "exp overflows above about 88 (float32) or 709 (float64): subtract the max first "
           "(logsumexp, softmax do this)",
}


def _hint(name: str, pass_: str) -> str:
    hint = _HINTS.get(f"{name} {pass_}", _HINTS.get(str(name)))
    return f"  hint: {hint}" if hint else "  hint: look at the inputs' min and max above"
