"""docs/coverage.md is what tools/coverage.py writes today (PyTorch's names vs chainrule's)."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("coverage_tool", ROOT / "tools" / "coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_coverage_document_is_current():
    torch = pytest.importorskip("torch")
    doc = ROOT / "docs" / "coverage.md"
    if not doc.is_file():
        pytest.skip("docs/coverage.md is not in this checkout")
    recorded = re.search(r"public names of PyTorch (\S+) chainrule has", doc.read_text())
    assert recorded, "docs/coverage.md lacks its PyTorch version line"
    if recorded.group(1) != torch.__version__:
        pytest.skip(f"docs/coverage.md was made with PyTorch {recorded.group(1)}, "
                    f"this is {torch.__version__}")
    text = _tool().render(_tool().survey())
    if text != doc.read_text():
        current = {line for line in doc.read_text().splitlines()}
        changed = [line[:120] for line in text.splitlines() if line not in current]
        pytest.fail("docs/coverage.md is not current: run `python tools/coverage.py`. "
                    "Lines that would change:\n" + "\n".join(changed[:10]))


def test_rules_leave_out_backend_names_and_keep_ops():
    pytest.importorskip("torch")
    tool = _tool()
    assert tool._left_out("torch", "cudnn_convolution", len) is not None
    assert tool._left_out("torch", "quantize_per_tensor", len) is not None
    assert tool._left_out("torch", "view_copy", len) is not None
    assert tool._left_out("torch", "index_copy", len) is None
    assert tool._left_out("torch.Tensor", "index_copy", len) is None
    assert tool._left_out("torch", "cond", len) is not None
    assert tool._left_out("torch.linalg", "cond", len) is None
    assert tool._left_out("torch", "tril_indices", len) is None
    assert tool._left_out("torch.nn", "GRU", type) is None
    assert tool._left_out("torch.Tensor", "T", property()) is None
    assert tool._left_out("torch", "TYPE_CHECKING", False) is not None
