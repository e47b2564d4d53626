"""``chainrule.backends.cudnn``: cuDNN's switches, with PyTorch's defaults; they change nothing.

>>> import chainrule.backends.cudnn as cudnn
>>> cudnn.deterministic = True
>>> cudnn.is_available(), cudnn.version()
(False, None)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit",
           "is_available", "is_acceptable", "version", "flags"]

enabled = True
"""Whether PyTorch would use cuDNN (it has none here; setting it changes nothing)."""
benchmark = False
"""Whether PyTorch would time cuDNN's algorithms and pick the fastest (ignored)."""
deterministic = False
"""Whether PyTorch would choose only deterministic cuDNN algorithms (ignored: chainrule's
NumPy ops give the same results for the same inputs)."""
allow_tf32 = True
"""Whether cuDNN convolutions may use TF32 (ignored)."""
benchmark_limit = 10
"""How many cuDNN algorithms PyTorch would try (ignored)."""


def is_available() -> bool:
    """False: there is no cuDNN."""
    return False


def is_acceptable(tensor: Any) -> bool:
    """False: no tensor is handed to cuDNN."""
    return False


def version() -> None:
    """None, as PyTorch without cuDNN."""
    return None


@contextlib.contextmanager
def flags(enabled: bool = False, benchmark: bool = False, deterministic: bool = False,
          allow_tf32: bool = True) -> Iterator[None]:
    """Set the flags inside the block and restore them after (they change nothing)."""
    module = globals()
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    saved = {name: module[name] for name in names}
    module.update(zip(names, (enabled, benchmark, deterministic, allow_tf32)))
    try:
        yield
    finally:
        module.update(saved)
