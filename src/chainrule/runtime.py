"""What real programs call around the math: ``inference_mode``, thread counts, ``compile``.

>>> import chainrule as cr
>>> x = cr.tensor([1.0], requires_grad=True)
>>> with cr.inference_mode():
...     (x * 2).requires_grad
False
>>> cr.compile(abs) is abs
True
"""

from __future__ import annotations

import functools
import os
import threading
import warnings
from collections.abc import Callable
from typing import Any

from .graph import _mode

__all__ = ["inference_mode", "is_inference_mode_enabled", "get_num_threads", "set_num_threads",
           "get_num_interop_threads", "set_num_interop_threads", "compile"]


# ---------------------------------------------------------------------------
# inference_mode
# ---------------------------------------------------------------------------

class _InferenceState(threading.local):
    enabled = False


_inference = _InferenceState()


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return _inference.enabled


class inference_mode:
    """Context manager and decorator (with or without parentheses): no op inside is recorded.

    chainrule's version is ``no_grad`` plus :func:`is_inference_mode_enabled`:
    PyTorch also marks the tensors made inside as inference tensors (and refuses them
    in a later recorded op); chainrule's tensors made inside are ordinary tensors that
    do not require grad. ``inference_mode(False)`` leaves grad mode as it is.

    >>> import chainrule as cr
    >>> @cr.inference_mode
    ... def predict(x):
    ...     return x * 2
    >>> predict(cr.tensor([1.0], requires_grad=True)).requires_grad
    False
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self._saved: list[tuple[bool, bool]] = []

    def __enter__(self) -> inference_mode:
        self._saved.append((_mode.enabled, _inference.enabled))
        if self.mode:
            _mode.enabled = False
        _inference.enabled = self.mode
        return self

    def __exit__(self, *exc: Any) -> None:
        _mode.enabled, _inference.enabled = self._saved.pop()

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------

class _Threads:
    intra: int | None = None
    interop: int | None = None
    limiter: Any = None


def _threadpoolctl() -> Any:
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def _count(n: Any, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{where} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{where} expects a positive integer, got {n}")
    return n


def set_num_threads(n: int) -> None:
    """Limit the threads of NumPy's BLAS (matmul, linalg) to ``n``, through threadpoolctl.

    Without threadpoolctl installed (``pip install threadpoolctl``), this warns once
    and changes nothing; elementwise NumPy ops use one thread either way.
    """
    n = _count(n, "set_num_threads")
    _Threads.intra = n
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is None:
        warnings.warn("set_num_threads: threadpoolctl is not installed, so NumPy's BLAS keeps "
                      "its thread count (pip install threadpoolctl to set it)", stacklevel=2)
        return
    _Threads.limiter = threadpoolctl.threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses (what :func:`set_num_threads` set, else the
    BLAS's own count through threadpoolctl, else the number of CPUs)."""
    threadpoolctl = _threadpoolctl()
    if threadpoolctl is not None:
        counts = [info["num_threads"] for info in threadpoolctl.threadpool_info()
                  if info.get("user_api") == "blas"]
        if counts:
            return int(max(counts))
    return _Threads.intra or os.cpu_count() or 1


def set_num_interop_threads(n: int) -> None:
    """Recorded for :func:`get_num_interop_threads`; NumPy has no inter-op thread pool."""
    _Threads.interop = _count(n, "set_num_interop_threads")


def get_num_interop_threads() -> int:
    """What :func:`set_num_interop_threads` set, else the number of CPUs (PyTorch's default)."""
    return _Threads.interop or os.cpu_count() or 1


# ---------------------------------------------------------------------------
# compile
# ---------------------------------------------------------------------------

def compile(model: Callable | None = None, *, fullgraph: bool = False,  # noqa: A001
            dynamic: bool | None = None, backend: Any = "inductor", mode: str | None = None,
            options: dict | None = None, disable: bool = False, **kwargs: Any) -> Any:
    """``model`` itself: chainrule does not compile (each op runs as NumPy calls).

    Accepted so that ``model = torch.compile(model)`` and ``@torch.compile`` (with or
    without arguments) run unchanged; the arguments are ignored. The model's
    ``state_dict`` keys stay as they are (PyTorch's compiled wrapper adds ``_orig_mod.``).
    """
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise TypeError(f"compile: expected a function or a Module, got {type(model).__name__}")
    return model


# ---------------------------------------------------------------------------
# float32 matrix-product precision
# ---------------------------------------------------------------------------

_MATMUL_PRECISIONS = ("highest", "high", "medium")
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Accept PyTorch's setting (``'highest'``, ``'high'`` or ``'medium'``) and keep it;
    any other value warns and changes nothing, as in PyTorch.

    NumPy multiplies float32 matrices in full float32 whatever is set (PyTorch's
    ``'highest'``), so results do not change; :func:`get_float32_matmul_precision`
    reports the setting, as PyTorch's does.

    >>> import chainrule as cr
    >>> cr.set_float32_matmul_precision("high")
    >>> cr.get_float32_matmul_precision()
    'high'
    >>> cr.set_float32_matmul_precision("highest")
    """
    if precision not in _MATMUL_PRECISIONS:
        # PyTorch warns and keeps the setting it had
        warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of 'highest', "
                      "'high' or 'medium'; the call has no effect", UserWarning, stacklevel=2)
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    """The last value given to :func:`set_float32_matmul_precision` (``'highest'`` at first).

    >>> import chainrule as cr
    >>> cr.get_float32_matmul_precision()
    'highest'
    """
    return _matmul_precision[0]
