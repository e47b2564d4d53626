"""chainrule.utils: PyTorch's ``torch.utils`` paths for what chainrule has under its own.

``chainrule.utils.data`` *is* :mod:`chainrule.data` (the same module object, and its
submodules too: ``chainrule.utils.data.sampler`` is ``chainrule.data.sampler``), so
code written for PyTorch imports it unchanged:

>>> import chainrule as torch
>>> torch.utils.data.DataLoader is torch.data.DataLoader
True
>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> DataLoader is torch.data.DataLoader
True
>>> from chainrule.utils.data.sampler import RandomSampler
>>> RandomSampler is torch.data.RandomSampler
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

from .. import data

__all__ = ["data"]

_ALIAS = __name__ + ".data"
_REAL = data.__name__


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``chainrule.utils.data.X`` as the module ``chainrule.data.X`` itself
    (never a second copy with classes of its own)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_ALIAS + "."):
            return None
        real = _REAL + fullname[len(_ALIAS):]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(_REAL + spec.name[len(_ALIAS):])
        spec.loader_state = module.__spec__  # put back by exec_module (see below)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system has written the alias's spec onto the real module: restore it
        if module.__spec__ is not None and module.__spec__.loader_state is not None:
            module.__spec__ = module.__spec__.loader_state


if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())  # before the path finder, which would load a copy
sys.modules[_ALIAS] = data
