"""How much of PyTorch's public API chainrule has: writes docs/coverage.md.

Compares the public names of ``torch``, ``torch.Tensor``, ``torch.linalg``,
``torch.nn.functional``, ``torch.nn`` and ``torch.optim`` with chainrule's
(``chainrule``, ``chainrule.Tensor``, ``chainrule.linalg``, ``chainrule.nn.functional``,
``chainrule.nn``, ``chainrule.optim``), leaving out names that belong to what chainrule
does not try to be (GPU backends, quantization, sparse layouts, TorchScript, compilers,
distributed internals); the rules are in ``RULES`` and printed in the document.

    python tools/coverage.py            # rewrite docs/coverage.md
    python tools/coverage.py --check    # exit 1 if docs/coverage.md is not current

Needs PyTorch (``pip install torch``) as the reference.
"""

from __future__ import annotations

import argparse
import re
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "coverage.md"

# (what the names are, why they are left out, the pattern on the name)
RULES: list[tuple[str, str, str]] = [
    ("accelerators and vendor kernels", "chainrule runs on NumPy, on the CPU",
     r"cuda|cudnn|cupti|miopen|mkldnn|mps|xpu|ipu|xla|hpu|mtia|maia|vulkan|fbgemm|nccl"
     r"|record_stream|^(Stream|Event)$"),
    ("quantization", "NumPy has no quantized types",
     r"quant|qint|quint|^q_|qscheme|qparams|per_tensor|per_channel|int_repr"),
    ("sparse layouts", "chainrule's tensors are dense",
     r"sparse|spmm|^s?smm$|^hs?pmm$|^hsmm$|saddmm|spaddmm|coalesce"
     r"|^(c?col|crow|row)_indices|^indices$|^values$|^to_dense$|^dense_dim$"),
    ("TorchScript, JIT and C++ binding types", "no TorchScript",
     r"jit|script|^fork$|^wait$|import_ir|parse_ir|type_comment|schema|unify_type"
     r"|merge_type|classproperty|<binding>"),
    ("compiler and export internals", "symbolic shapes, functionalised view copies "
     "(``X_copy``; ``index_copy`` is an op and is counted), ``torch.cond`` and "
     "``torch.while_loop`` (control flow for export; ``linalg.cond`` is counted)",
     r"^sym_|(?-i:^Sym)|(?<!\bindex)_copy$|^torch\.(cond|while_loop)$|^slice_inverse$"),
    ("distributed and multiprocessing internals", "chainrule.distributed is its own API",
     r"distributed|rpc|rref|c10d|gloo|is_shared|share_memory|prepare_multiprocessing"),
    ("autocast internals", "``autocast`` itself is counted",
     r"autocast_|_autocast"),
    ("ATen kernel entry points", "PyTorch's internal kernels exposed by name",
     r"^native_|batch_norm_(stats|elemt|gather|update|backward)"),
    ("storages", "chainrule's tensors are NumPy arrays, not storages",
     r"storage|^from_file$"),
    ("build flags and constants in capitals", "not API (classes such as ``GRU`` are counted)",
     r"(?-i:^[A-Z0-9_]+$)"),
    ("dtypes NumPy lacks", "8-bit floats and sub-byte integers",
     r"^float8_|^float4_|^bits\d|^u?int[1-7]$"),
    ("documentation notes", "texts for the docs (``common_notes``, ``tf32_notes``, ...)",
     r"_notes$"),
]
_PATTERNS = [(title, re.compile(pattern, re.IGNORECASE)) for title, _, pattern in RULES]
_CONSTANTS_ONLY = "build flags and constants in capitals"  # a rule for values, not classes

# names in torch.nn.functional that are not functional ops: typing and TorchScript helpers,
# the __torch_function__ protocol, the Tensor class it imports, notes
_FUNCTIONAL_HELPERS = {"BroadcastingList1", "BroadcastingList2", "BroadcastingList3",
                       "Callable", "DType", "Optional", "Tensor", "boolean_dispatch",
                       "handle_torch_function", "has_torch_function",
                       "has_torch_function_unary", "has_torch_function_variadic",
                       "assert_int_or_pair"}


def _namespaces() -> list[tuple[str, object, object]]:
    try:
        import torch
        import torch.nn.functional
    except ImportError:
        sys.exit("tools/coverage.py compares with PyTorch: pip install torch")
    sys.path.insert(0, str(ROOT / "src"))
    import chainrule
    import chainrule.nn.functional

    return [
        ("torch", torch, chainrule),
        ("torch.Tensor", torch.Tensor, chainrule.Tensor),
        ("torch.linalg", torch.linalg, chainrule.linalg),
        ("torch.nn.functional", torch.nn.functional, chainrule.nn.functional),
        ("torch.nn", torch.nn, chainrule.nn),
        ("torch.optim", torch.optim, chainrule.optim),
    ]


def _left_out(label: str, name: str, value: object) -> str | None:
    """The rule that leaves ``name`` out, or None when it is counted."""
    name_for_rules = "<binding>" if type(value).__name__ == "pybind11_type" else name
    for title, pattern in _PATTERNS:
        if title == _CONSTANTS_ONLY and (callable(value) or label == "torch.Tensor"):
            continue  # classes (GRU) and Tensor's properties (T, H) are API
        if pattern.search(name_for_rules) or pattern.search(f"{label}.{name}"):
            return title
    if label == "torch.nn.functional":
        if name in _FUNCTIONAL_HELPERS or not callable(value):
            return "helpers and notes in torch.nn.functional"
    return None


def survey() -> list[dict]:
    """One record per namespace: its counted names, those chainrule has, those left out."""
    import torch

    records = []
    for label, theirs, ours in _namespaces():
        counted, left_out, modules = [], {}, []
        for name in sorted(dir(theirs)):
            if name.startswith("_"):
                continue
            try:
                value = getattr(theirs, name)
            except Exception:  # noqa: BLE001 - a lazy attribute that fails is not API
                continue
            if isinstance(value, types.ModuleType):
                modules.append(name)
                continue
            rule = _left_out(label, name, value)
            if rule is None:
                counted.append(name)
            else:
                left_out.setdefault(rule, []).append(name)
        missing = [name for name in counted if not hasattr(ours, name)]
        records.append({"label": label, "counted": counted, "missing": missing,
                        "left_out": left_out, "modules": modules,
                        "torch": torch.__version__})
    return records


def render(records: list[dict]) -> str:
    """docs/coverage.md's text."""
    version = records[0]["torch"]
    lines = [
        "# PyTorch API coverage",
        "",
        f"Which public names of PyTorch {version} chainrule has, namespace by namespace. "
        "Generated by `python tools/coverage.py`; do not edit by hand "
        "(tests/test_coverage.py fails when this file is not current: rerun the script "
        "after adding or removing a public name).",
        "",
        "A name counts when it does not start with `_`, is not a submodule, and no rule "
        "below leaves it out; chainrule has it when the matching chainrule namespace has "
        "an attribute of that name (`chainrule`, `chainrule.Tensor`, `chainrule.linalg`, "
        "`chainrule.nn.functional`, `chainrule.nn`, `chainrule.optim`). Having a name is "
        "not a claim of full parity: the tests compare behaviour with PyTorch op by op.",
        "",
        "| namespace | public names | left out by the rules | counted | chainrule has "
        "| missing | coverage |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in records:
        left = sum(len(v) for v in r["left_out"].values())
        counted, missing = len(r["counted"]), len(r["missing"])
        has = counted - missing
        share = f"{100 * has / counted:.0f}%" if counted else "-"
        lines.append(f"| `{r['label']}` | {left + counted} | {left} | {counted} | {has} "
                     f"| {missing} | {share} |")
    total = sum(len(r["counted"]) for r in records)
    total_has = total - sum(len(r["missing"]) for r in records)
    lines.append(f"| all | | | {total} | {total_has} | {total - total_has} "
                 f"| {100 * total_has / total:.0f}% |")
    lines += ["", "## What is left out, and why", "",
              "Each rule is a regular expression searched (`re.search`, ignoring case "
              "except inside `(?-i:...)`) in the name and in `namespace.name`; the "
              "capitals rule applies only to module "
              "attributes that are not callable. In `torch`, classes that are C++ "
              "bindings (pybind11 types: TorchScript's `Graph`, `Node`, `ScriptModule`, "
              "...) fall under the TorchScript rule. In "
              "`torch.nn.functional`, typing and TorchScript helpers, the "
              "`__torch_function__` protocol, the imported `Tensor` class and the "
              "documentation notes are left out too.", "",
              "| rule | why | pattern |", "| --- | --- | --- |"]
    for title, why, pattern in RULES:
        lines.append(f"| {title} | {why} | `{pattern.replace('|', '&#124;')}` |")
    lines += ["", "## Missing names", ""]
    for r in records:
        lines.append(f"### `{r['label']}` ({len(r['missing'])} missing)")
        lines.append("")
        lines.append(", ".join(f"`{name}`" for name in r["missing"]) or "(none)")
        lines.append("")
    lines += ["## Left out, per namespace", ""]
    for r in records:
        parts = [f"{rule} ({len(names)})" for rule, names in sorted(r["left_out"].items())]
        lines.append(f"- `{r['label']}`: " + ("; ".join(parts) or "none"))
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/coverage.md is not current")
    args = parser.parse_args(argv)
    text = render(survey())
    if args.check:
        current = DOC.read_text() if DOC.is_file() else ""
        if current != text:
            print("docs/coverage.md is not current: run python tools/coverage.py")
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
