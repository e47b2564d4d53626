"""How the process's C allocator treats the memory of freed arrays.

A training step makes and drops many arrays of the same sizes, step after step. glibc's
``malloc`` (Linux) hands each block of more than 128 KiB back to the kernel when it is
freed, so the next step's array of that size is fresh memory again and page-faults on
first touch: an elementwise op on a 2 MiB array then costs 10-20x its arithmetic (see
docs/ENGINE_NOTES.md, "Fresh memory"). PyTorch avoids this with its own caching
allocator; chainrule, whose arrays are NumPy's, asks glibc to keep freed memory for
reuse instead, once, when chainrule is imported:

* blocks up to 32 MiB (glibc's largest setting) come from the heap, not from ``mmap``;
* up to 1 GiB freed at the top of the heap stays with the process (``M_TRIM_THRESHOLD``),
  and the heap grows 64 MiB at a time (``M_TOP_PAD``).

The process then keeps about its peak memory between steps, as PyTorch's allocator does.
It is skipped where the C library is not glibc, when the ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_`` or ``GLIBC_TUNABLES`` variables already
choose, and when ``CHAINRULE_KEEP_FREED_MEMORY=0``.
``keep_freed_memory(False)`` puts glibc's default sizes back (fixed, not adaptive).

>>> import chainrule as cr
>>> cr.allocator.keep_freed_memory(True) in (True, False)  # False where libc is not glibc
True
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

__all__ = ["keep_freed_memory", "freed_memory_kept"]

# mallopt's parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

_KEEP = {_M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: 1 << 30, _M_TOP_PAD: 64 << 20}
_GLIBC_DEFAULTS = {_M_MMAP_THRESHOLD: 128 << 10, _M_TRIM_THRESHOLD: 128 << 10,
                   _M_TOP_PAD: 128 << 10}
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                  "GLIBC_TUNABLES")

_kept = False


def _mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None where the C library is another one."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # the symbols already loaded into the process (its C library among them):
        # no search for libc on disk at import time
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None  # musl and other C libraries have no mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt


def keep_freed_memory(enabled: bool = True) -> bool:
    """Have glibc keep freed array memory for reuse (True) or give it back (False).

    Returns whether glibc took the setting (False where the C library is not glibc).
    """
    global _kept
    mallopt = _mallopt()
    if mallopt is None:
        return False
    settings = _KEEP if enabled else _GLIBC_DEFAULTS
    ok = all(mallopt(param, value) == 1 for param, value in settings.items())
    _kept = bool(enabled and ok)
    return ok


def freed_memory_kept() -> bool:
    """True while chainrule's setting (``keep_freed_memory(True)``) is in force."""
    return _kept


def _at_import() -> None:
    """The import-time default: keep freed memory unless the user chose otherwise."""
    if os.environ.get("CHAINRULE_KEEP_FREED_MEMORY", "1") == "0":
        return
    if any(name in os.environ for name in _USER_SETTINGS):
        return
    keep_freed_memory(True)
