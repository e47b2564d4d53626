"""What every chainrule command does at its edges: a closed pipe and Ctrl-C.

``chainrule evaluate RUN | head -1`` closes the pipe before the command has written
everything; like a Unix tool, the command then stops quietly with the status of a
process ended by SIGPIPE (141), instead of printing Python's BrokenPipeError. Ctrl-C
outside the training loop (which reports what it saved) prints one line, status 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run ``command()``, flush stdout, and turn a closed pipe or Ctrl-C into an exit status."""
    try:
        status = command()
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        try:
            print(f"\n{prog}: interrupted", file=sys.stderr)
        except BrokenPipeError:
            pass
        return EXIT_INTERRUPTED


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit can't fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (no usage block), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
