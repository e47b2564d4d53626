"""The ``chainrule`` command's entry point.

It lives outside the package so that a Ctrl-C while chainrule and NumPy are still
loading ends the command with one line, as a Ctrl-C later on does, and not with the
traceback of whatever import it happened to interrupt. An interrupt that lands inside a
C extension's import can come out as that import's own error (NumPy reports an
ImportError), or be swallowed by an import that catches everything, so the launcher notes
the signal itself rather than trusting the exception.
"""

from __future__ import annotations

import signal

_interrupted = False


def _note_interrupt(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


# Watch for Ctrl-C from this module's first statements on (an ignored SIGINT, as in a
# background job, stays ignored); main() hands SIGINT back once chainrule is loaded.
_watching = signal.getsignal(signal.SIGINT) is signal.default_int_handler
if _watching:
    signal.signal(signal.SIGINT, _note_interrupt)

import sys  # noqa: E402  (after the handler: the window before it stays as small as it can)


def main() -> int:
    """Load chainrule's command line and run it; exit status 130 for an early Ctrl-C."""
    try:
        from chainrule.cli import main as run
    except BaseException:
        if not _interrupted:
            raise
    finally:
        if _watching:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if _interrupted:  # also when an import swallowed the KeyboardInterrupt and went on
        print("chainrule: interrupted while starting; nothing was run", file=sys.stderr)
        return 130
    return run()
