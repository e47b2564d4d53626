"""The ``chainrule`` command's entry point.

It lives outside the package so that a Ctrl-C while chainrule and NumPy are still
loading ends the command with one line, as a Ctrl-C later on does, and not with the
traceback of whatever import it happened to interrupt.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Load chainrule's command line and run it; exit status 130 for an early Ctrl-C."""
    try:
        from chainrule.cli import main as run
    except KeyboardInterrupt:
        print("chainrule: interrupted while starting; nothing was run", file=sys.stderr)
        return 130
    return run()
