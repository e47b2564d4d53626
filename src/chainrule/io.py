"""Saving and loading state dicts: plain arrays in an ``.npz``, never pickle.

:func:`save` writes a (nested) dict of arrays, Tensors and plain Python values,
such as ``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
Each array becomes one member of the ``.npz`` archive, named by its dotted key
path (``model.0.weight``, ``optimizer.state.0.exp_avg``); the nesting, the key
types and the small non-array values are kept in a JSON manifest inside the same
archive, so :func:`load` rebuilds the dict exactly. Loading reads with
``allow_pickle=False``: a file can never run code.

Writes are atomic: the archive goes to a temporary file in the same directory,
is flushed to disk, and replaces the target in one ``os.replace``, so a crash
mid-write leaves the old file intact.

>>> import os, tempfile
>>> import numpy as np
>>> import chainrule as cr
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> cr.save({"w": cr.tensor([1.0, 2.0]), "meta": {"epoch": 3, "name": "mlp"}}, path)
>>> state = cr.load(path)
>>> state["w"], state["meta"]
(tensor([1., 2.]), {'epoch': 3, 'name': 'mlp'})
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from typing import Any, Mapping

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

_MANIFEST = "__chainrule_manifest__"
_FORMAT = "chainrule.state_dict"
_VERSION = 1


# ---------------------------------------------------------------------------
# Flattening a nested state into arrays and a manifest
# ---------------------------------------------------------------------------

class _Flattener:
    """Walk a nested state; collect arrays by dotted name and describe the tree in JSON."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def node(self, value: Any, path: list) -> Any:
        where = ".".join(str(k) for k in path) or "<root>"
        if isinstance(value, Tensor):
            return {"array": self._add(value.data, path), "tensor": True}
        if isinstance(value, np.ndarray):
            return {"array": self._add(value, path)}
        if isinstance(value, Mapping):
            items = []
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"chainrule.save: the key {key!r} at {where} is a "
                                    f"{type(key).__name__}; keys must be str or int")
                items.append([key, self.node(item, path + [key])])
            return {"dict": items}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [self.node(item, path + [i]) for i, item in enumerate(value)]}
        if isinstance(value, np.generic):
            return {"array": self._add(np.asarray(value), path), "scalar": True}
        if value is None or isinstance(value, (bool, int, str)):
            return {"value": value}
        if isinstance(value, float):
            if math.isfinite(value):
                return {"value": value}
            return {"float": repr(value)}  # nan, inf, -inf: JSON has no literal for them
        raise TypeError(
            f"chainrule.save: can't save the {type(value).__name__} at {where}; a state holds "
            "dicts, lists, tuples, arrays, Tensors, numbers, strings and None"
        )

    def _add(self, array: np.ndarray, path: list) -> str:
        where = ".".join(str(k) for k in path) or "<root>"
        if array.dtype.hasobject:
            raise TypeError(f"chainrule.save: the array at {where} has dtype object, which "
                            "can't be saved without pickle")
        name = where
        n = 1
        while name in self.arrays or name == _MANIFEST:
            n += 1
            name = f"{where}#{n}"
        self.arrays[name] = np.ascontiguousarray(array)
        return name


def save(obj: Mapping, path: str | os.PathLike) -> None:
    """Write ``obj`` (a nested dict of arrays, Tensors and plain values) to ``path``, atomically.

    The file is a NumPy ``.npz`` archive written to exactly ``path`` (no extension is
    added). Tensors come back from :func:`load` as Tensors (without their graph),
    NumPy arrays as arrays; dicts, lists, tuples, str/int keys, numbers, strings and
    None round-trip as they are.
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"chainrule.save: expected a dict (a state dict), got "
                        f"{type(obj).__name__}")
    flat = _Flattener()
    tree = flat.node(obj, [])
    manifest = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree})
    arrays = dict(flat.arrays)
    arrays[_MANIFEST] = np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8)

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"chainrule.save: no such folder: {directory!r} (for {path!r})")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# Loading and validating
# ---------------------------------------------------------------------------

def load(path: str | os.PathLike) -> dict:
    """Read a state written by :func:`save`; never unpickles anything.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file
    and the problem for anything else that is not an intact chainrule state: a
    truncated or corrupt archive, a foreign ``.npz`` or some other file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"chainrule.load: no such file: {path!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"chainrule.load: {path!r} is not a chainrule state file (not an .npz "
                         "archive; truncated, or written by something else)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            if _MANIFEST not in names:
                raise ValueError(f"chainrule.load: {path!r} is an .npz archive but was not "
                                 "written by chainrule.save (it has no chainrule manifest)")
            manifest = _read_manifest(archive[_MANIFEST], path)
            arrays = {name: archive[name] for name in names if name != _MANIFEST}
    except ValueError as err:
        if str(err).startswith("chainrule.load"):
            raise
        raise ValueError(f"chainrule.load: {path!r} is corrupt: {err}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as err:
        raise ValueError(f"chainrule.load: {path!r} is truncated or corrupt: {err}") from None
    return _build(manifest["tree"], arrays, path)


def _read_manifest(raw: np.ndarray, path: str) -> dict:
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"chainrule.load: {path!r} has an unreadable manifest: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ValueError(f"chainrule.load: {path!r} was not written by chainrule.save")
    if manifest.get("version") != _VERSION:
        raise ValueError(f"chainrule.load: {path!r} has format version "
                         f"{manifest.get('version')!r}; this chainrule reads version {_VERSION}")
    if "tree" not in manifest:
        raise ValueError(f"chainrule.load: {path!r} has a manifest without a tree")
    return manifest


def _build(node: Any, arrays: dict, path: str) -> Any:
    """Rebuild the nested state from the manifest tree, checking every reference."""
    if not isinstance(node, dict) or len(node) == 0:
        raise ValueError(f"chainrule.load: {path!r} has a malformed manifest entry {node!r}")
    if "array" in node:
        name = node["array"]
        if name not in arrays:
            raise ValueError(f"chainrule.load: {path!r} is missing the array {name!r} that "
                             "its manifest lists (the file is truncated or was altered)")
        array = arrays[name]
        if node.get("tensor"):
            return Tensor(array)
        if node.get("scalar"):
            return array[()]
        return array
    if "dict" in node:
        return {key: _build(item, arrays, path) for key, item in node["dict"]}
    if "list" in node:
        return [_build(item, arrays, path) for item in node["list"]]
    if "tuple" in node:
        return tuple(_build(item, arrays, path) for item in node["tuple"])
    if "value" in node:
        return node["value"]
    if "float" in node and node["float"] in ("nan", "inf", "-inf"):
        return float(node["float"])
    raise ValueError(f"chainrule.load: {path!r} has a malformed manifest entry {node!r}")
