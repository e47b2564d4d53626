"""Every Python example in README.md and docs/*.md runs as written, on its own.

Each ```python block is run in a fresh namespace, in an empty temporary folder (so the
files an example writes go there): a block must import what it uses and define what it
needs, exactly as a reader who copies it would have to. Blocks that import torch are
skipped where PyTorch is not installed.
"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))


def _blocks(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, match.start()) + 2
        found.append((page, line, match.group(1)))
    return found


BLOCKS = [block for page in PAGES for block in _blocks(page)]


def test_every_page_with_python_is_swept():
    pages = {page for page, _, _ in BLOCKS}
    assert {"README.md", "docs/training.md", "docs/explain.md", "docs/nn.md",
            "docs/walkthrough.md", "docs/ENGINE_NOTES.md"} <= pages
    assert len([b for b in BLOCKS if b[0] == "README.md"]) >= 4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("page, line, code", BLOCKS,
                         ids=[f"{page}:{line}" for page, line, _ in BLOCKS])
def test_example_runs_on_its_own(page, line, code, tmp_path, monkeypatch, capsys):
    if re.search(r"^\s*(import torch|from torch)", code, re.M) and \
            importlib.util.find_spec("torch") is None:
        pytest.skip("this example needs PyTorch")
    monkeypatch.chdir(tmp_path)
    exec(compile("\n" * (line - 1) + code, str(ROOT / page), "exec"), {"__name__": "__doc__"})


def test_readme_claims_follow_the_latest_benchmark():
    """The README's speed figures are the ones docs/benchmarks.md measured last, dated."""
    bench = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    date = re.search(r"^- Date: (\d{4}-\d\d-\d\d)", bench, re.M).group(1)
    per_op = re.search(r"Per-op overhead, chain of 1,000 ops, vs PyTorch: .*?CPU time "
                       r"([\d.]+x)", bench).group(1)
    assert date in readme, f"the README's figures should say they were measured on {date}"
    assert f"{per_op} PyTorch's" in readme, f"per-op overhead measured: {per_op} PyTorch's"
    assert "below PyTorch" not in readme and "level with PyTorch for an MLP" not in readme
