"""The ``chainrule`` command's entry point.

It lives outside the package so that a Ctrl-C while chainrule and NumPy are still
loading ends the command with one line, as a Ctrl-C later on does, and not with the
traceback of whatever import it happened to interrupt. An interrupt that lands inside a
C extension's import can come out as that import's own error (NumPy reports an
ImportError), so the launcher notes the signal itself rather than trusting the exception.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

_interrupted = False


def _note_interrupt(signum: int, frame: Any) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def main() -> int:
    """Load chainrule's command line and run it; exit status 130 for an early Ctrl-C."""
    watching = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if watching:  # an ignored SIGINT (a background job) stays ignored
        signal.signal(signal.SIGINT, _note_interrupt)
    try:
        from chainrule.cli import main as run
    except BaseException:
        if not _interrupted:
            raise
        print("chainrule: interrupted while starting; nothing was run", file=sys.stderr)
        return 130
    finally:
        if watching:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    return run()
