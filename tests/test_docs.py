"""Every Python example in README.md and the pages of docs/ runs as written, on its own.

Each ```python block is run in a fresh namespace, in an empty temporary folder (so the
files an example writes go there): a block must import what it uses and define what it
needs, exactly as a reader who copies it would have to. Blocks that import torch are
skipped where PyTorch is not installed. A block that needs something optional says so in
an HTML comment on the line before it (invisible on the site), or in its first line, and
is skipped, with that reason, where it is absent:

    <!-- needs: safetensors -->           (a package: an optional extra)
    # needs: chainrule.nn.LSTM            (a name another part of chainrule adds)
"""

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md"] + sorted(p.relative_to(ROOT).as_posix()
                               for p in (ROOT / "docs").rglob("*.md"))


def _blocks(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^(?:<!-- (needs: .+?) -->\n)?```python\n(.*?)^```", text,
                             re.S | re.M):
        line = text.count("\n", 0, match.start(2))
        needs = f"# {match.group(1)}\n" if match.group(1) else ""
        found.append((page, line + 1 - bool(needs), needs + match.group(2)))
    return found


BLOCKS = [block for page in PAGES for block in _blocks(page)]


def test_every_page_with_python_is_swept():
    pages = {page for page, _, _ in BLOCKS}
    assert {"README.md", "docs/training.md", "docs/explain.md", "docs/nn.md",
            "docs/walkthrough.md", "docs/ENGINE_NOTES.md"} <= pages
    assert len([b for b in BLOCKS if b[0] == "README.md"]) >= 4


def _absent(requirement: str) -> bool:
    """True when a module, or a module's attribute (``chainrule.nn.LSTM``), is missing."""
    parts = requirement.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            continue
        obj = importlib.import_module(module)
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return True
            obj = getattr(obj, attr)
        return False
    return True


def _needs(code: str) -> list[str]:
    match = re.match(r"\s*# needs: (.+)", code)
    return [r.strip() for r in match.group(1).split(",")] if match else []


def test_needs_markers_are_read():
    hidden = [b for b in _blocks("docs/how-to/save-load.md") if "safetensors" in b[2]]
    assert hidden and _needs(hidden[0][2])[0] == "safetensors"
    assert _needs("# needs: safetensors, chainrule.nn.LSTM\nimport x\n") == [
        "safetensors", "chainrule.nn.LSTM"]
    assert not _absent("chainrule.nn.Linear") and not _absent("numpy")
    assert _absent("chainrule.nn.NoSuchLayer") and _absent("no_such_package_here")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("page, line, code", BLOCKS,
                         ids=[f"{page}:{line}" for page, line, _ in BLOCKS])
def test_example_runs_on_its_own(page, line, code, tmp_path, monkeypatch, capsys):
    if re.search(r"^\s*(import torch|from torch)", code, re.M) and \
            importlib.util.find_spec("torch") is None:
        pytest.skip("this example needs PyTorch")
    missing = [r for r in _needs(code) if _absent(r)]
    if missing:
        pytest.skip(f"this example needs {', '.join(missing)}, which is not installed here "
                    "(an optional extra, or a part of chainrule that has not landed)")
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
