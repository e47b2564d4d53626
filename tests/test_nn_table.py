"""docs/nn.md's table of every name against PyTorch is what tools/nn_table.py writes now."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("nn_table", ROOT / "tools" / "nn_table.py")
nn_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nn_table)


def test_docs_table_is_current():
    text = nn_table.DOC.read_text(encoding="utf-8")
    assert nn_table.BEGIN in text, "docs/nn.md has no table: run python tools/nn_table.py"
    assert nn_table.render(text) == text, \
        "docs/nn.md's table is out of date: run python tools/nn_table.py"


def test_table_rows_follow_the_live_modules(tmp_path, monkeypatch):
    """A stale table is caught by --check and rewritten; names and differences are read
    from the modules and signatures themselves."""
    text = nn_table.DOC.read_text(encoding="utf-8")
    row = "| `Linear` | yes |"
    assert row in text
    stale = tmp_path / "nn.md"
    stale.write_text(text.replace(row, "| `Linear` | missing |"), encoding="utf-8")
    monkeypatch.setattr(nn_table, "DOC", stale)
    assert nn_table.main(["--check"]) == 1
    assert nn_table.main([]) == 0
    assert stale.read_text(encoding="utf-8") == text

    import torch

    import chainrule as cr

    def ours(x, weight, bias=None, eps=1e-6, *, extra=True):
        """A made-up function standing in for a chainrule one."""

    def theirs(x, weight, bias=None, eps=1e-5, device=None):
        """A made-up function standing in for PyTorch's."""

    assert nn_table._compare(ours, theirs) == [
        "no `device`", "also `extra`", "`eps` default `1e-06` (PyTorch `1e-05`)"]
    assert nn_table._compare(cr.nn.functional.conv2d, torch.nn.functional.conv2d) == []
