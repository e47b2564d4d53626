"""Griffe extension: chainrule's docstrings, written for `help()` and doctest, read as Markdown.

The docstrings use three habits of plain-text Python docs that Markdown would garble:
doctest lines (``>>> x``, which Markdown takes for nested quotes), reST roles
(``:func:`name```) and ``::`` before an indented literal block. This extension fences the
doctest runs as ``pycon`` code, turns roles into code spans, and ends ``::`` paragraphs
with a colon (the indented block after them is already a Markdown code block).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:func|class|meth|attr|mod|obj|data|exc|const|ref):`~?([^`]+)`")


def markdown_docstring(text: str) -> str:
    """Return ``text`` with doctest runs fenced, reST roles as code, ``::`` as ``:``."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            block = []
            while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
                block.append(lines[i][len(indent):])
                i += 1
            out.append(f"{indent}```pycon")
            out.extend(indent + b for b in block)
            out.append(f"{indent}```")
            continue
        line = _ROLE.sub(r"``\1``", line)
        if line.rstrip().endswith("::") and not line.rstrip().endswith(":::"):
            line = line.rstrip()[:-1]
            if line.rstrip() == ":":
                line = ""
        out.append(line)
        i += 1
    return "\n".join(out)


class PlainDocstrings(griffe.Extension):
    """Rewrite every docstring griffe loads with :func:`markdown_docstring`."""

    def on_instance(self, *, obj: griffe.Object, node: Any = None, **kwargs: Any) -> None:
        runtime = getattr(node, "obj", None)
        if type(runtime).__name__ == "member_descriptor":   # a slot: a per-instance value
            obj.value = None
            obj.labels = {"instance-attribute"}
            doc = inspect.getdoc(runtime)   # a slot's docstring lives in __slots__ (a dict)
            if doc and obj.docstring is None:
                obj.docstring = griffe.Docstring(doc, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
