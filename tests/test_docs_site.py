"""The documentation site: it builds in strict mode, and every public name is documented.

``mkdocs build --strict`` (mkdocs.yml at the root, pages under docs/, docs/_build/hooks.py
for what the build generates) turns any warning into a failure: a broken link or anchor, a
reference mkdocstrings cannot find, a page left out of the navigation. The build test is
skipped, with the reason, where the ``[docs]`` extra is not installed; the docstring test
needs nothing and always runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import chainrule

ROOT = Path(__file__).resolve().parents[1]

def _missing_docs_packages() -> list[str]:
    missing = []
    for module, package in (("mkdocs", "mkdocs"), ("material", "mkdocs-material"),
                            ("mkdocstrings", "mkdocstrings"),
                            ("mkdocstrings_handlers", "mkdocstrings-python"),
                            ("matplotlib", "matplotlib")):   # the build draws figures
        if importlib.util.find_spec(module) is None:
            missing.append(package)
    return missing


needs_docs_extra = pytest.mark.skipif(
    bool(_missing_docs_packages()),
    reason=f"the [docs] extra is not installed ({', '.join(_missing_docs_packages())} "
           "missing): pip install -e '.[docs]'")

# module -> reference page that documents its public names (docs/_build/hooks.py)
MODULES = {
    "chainrule.autograd": "autograd",
    "chainrule.nn": "nn",
    "chainrule.nn.utils": "nn",
    "chainrule.nn.functional": "nn.functional",
    "chainrule.nn.init": "nn.init",
    "chainrule.optim": "optim",
    "chainrule.optim.lr_scheduler": "optim.lr_scheduler",
    "chainrule.data": "data",
    "chainrule.explain": "explain",
    "chainrule.io": "io",
    "chainrule.train": "train",
    "chainrule.linalg": "linalg",
    "chainrule.special": "special",
    "chainrule.distributed": "distributed",     # where this checkout has them
    "chainrule.nn.parallel": "nn.parallel",
}


def public_names() -> list[tuple[str, str, object, object]]:
    """(page, qualified name, owner, object) for every public name of the package."""
    found = []
    for name in dir(chainrule):
        obj = getattr(chainrule, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType) or name == "annotations":
            continue
        page = "tensor" if obj is chainrule.Tensor else "chainrule"
        found.append((page, f"chainrule.{name}", chainrule, obj))
    for name in dir(chainrule.Tensor):
        if not name.startswith("_"):
            found.append(("tensor", f"chainrule.Tensor.{name}", chainrule.Tensor,
                          inspect.getattr_static(chainrule.Tensor, name)))
    for module, page in MODULES.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError:
            continue   # a module another part of chainrule adds, not in this checkout yet
        names = getattr(mod, "__all__", None)
        if names is None:
            names = [n for n in vars(mod) if not n.startswith("_")
                     and (getattr(getattr(mod, n), "__module__", "") or "").startswith(module)]
        for name in names:
            obj = getattr(mod, name)
            if not isinstance(obj, types.ModuleType):
                found.append((page, f"{module}.{name}", mod, obj))
    return found


def _needs_docstring(owner: object, obj: object) -> bool:
    """Functions, classes, methods and properties of chainrule's own; not values."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        return True
    if type(obj).__name__ in ("member_descriptor", "getset_descriptor"):
        return True
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.isbuiltin(obj)):
        return False
    return (getattr(obj, "__module__", "") or "").startswith("chainrule")


def _docstring(obj: object) -> str:
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        return obj.__doc__ or (obj.fget.__doc__ if obj.fget else "") or ""
    if type(obj).__name__ == "member_descriptor":
        return inspect.getdoc(obj) or ""   # a slot: its docstring is in __slots__ (a dict)
    return obj.__doc__ or ""


def test_every_public_name_has_a_docstring():
    missing = sorted(qual for _, qual, owner, obj in public_names()
                     if _needs_docstring(owner, obj) and not _docstring(obj).strip())
    assert not missing, f"{len(missing)} public names have no docstring: {', '.join(missing)}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    warnings = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not warnings, "\n".join(warnings)
    return out


@needs_docs_extra
def test_the_site_builds_strict_with_every_section(site):
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    for page in ("index.html", "tutorials/06-first-model.html", "how-to/port-from-pytorch.html",
                 "reference/tensor.html", "reference/cli.html", "ENGINE_NOTES.html",
                 "explanations/performance.html"):
        assert page in pages
    assert len(pages) >= 40
    # figures were drawn by the build, and the pages show them
    for figure in ("neuron_graph.svg", "finite_differences.svg", "benchmarks.svg",
                   "first_model_curves.png"):
        assert (site / "figures" / figure).stat().st_size > 1000
    tutorial = (site / "tutorials" / "03-scalar-network.html").read_text(encoding="utf-8")
    assert "neuron_graph.svg" in tutorial
    assert "Gradient by perturbation" in tutorial          # the example's printed output
    cli = (site / "reference" / "cli.html").read_text(encoding="utf-8")
    assert "chainrule train" in cli and "--batch-size" in cli


@needs_docs_extra
def test_every_public_name_has_a_reference_entry(site):
    html: dict[str, str] = {}
    missing = []
    for page, qual, _, _ in public_names():
        if page not in html:
            html[page] = (site / "reference" / f"{page}.html").read_text(encoding="utf-8")
        if f'id="{qual}"' not in html[page]:
            missing.append(f"{qual} (reference/{page})")
    assert not missing, f"{len(missing)} public names have no reference entry: {missing}"


@needs_docs_extra
def test_docstring_examples_render_as_code(site):
    """Doctest lines become code blocks, not nested quotes (docs/_build/griffe_docstrings)."""
    nn = (site / "reference" / "nn.html").read_text(encoding="utf-8")
    entry = nn[nn.index('id="chainrule.nn.Linear"'):]
    entry = entry[:entry.index('id="chainrule.nn.', 30)]
    assert "<blockquote>" not in entry
    assert re.search(r'<code[^>]*>.*fc.*=.*nn.*Linear', entry, re.S)
