"""The code stays clean: ruff (style and likely bugs) and mypy (types) over the package.

Both tools come with the ``[dev]`` extra; a test is skipped, with the reason, only where
its tool is not installed. The configuration lives in pyproject.toml.
"""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run_tool(module: str, *args: str) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    result = _run_tool("ruff", "check", "src", "tests", "bench", "examples", "tools")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    result = _run_tool("mypy")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
