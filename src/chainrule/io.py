"""Saving and loading state dicts: plain arrays in an ``.npz``, never pickle.

:func:`save` writes a (nested) dict of arrays, Tensors and plain Python values,
such as ``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
Each array becomes one member of the ``.npz`` archive, named by its dotted key
path (``model.0.weight``, ``optimizer.state.0.exp_avg``); the nesting, the key
types and the small non-array values are kept in a JSON manifest inside the same
archive, so :func:`load` rebuilds the dict exactly. Loading reads with
``allow_pickle=False``: a file can never run code. It reads only the members the
manifest names, checks each one's declared shape and dtype against its size
before reading it, and refuses more than ``max_bytes`` of arrays in all.

A path ending in ``.safetensors`` reads and writes the safetensors format instead
(a flat dict of named arrays, the format PyTorch, JAX and Hugging Face exchange
weights in), through the optional ``safetensors`` package's NumPy API: a model's
``state_dict()`` saved here loads into the same PyTorch module with
``safetensors.torch.load_file``, and the other way round.

Writes are atomic (:func:`atomic_write`, which every file of a training run goes
through too): the bytes go to a new temporary file in the same folder, are
flushed and fsynced, and replace the target in one ``os.replace``, so a crash
mid-write leaves the old file intact, and a symbolic link is never written through.

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
import re
import secrets
import stat
import zipfile
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

import numpy as np

from .devices import check_device
from .tensor import Tensor

__all__ = ["save", "load", "atomic_write", "remove_stale_temp_files", "DEFAULT_MAX_BYTES"]

_MANIFEST = "__chainrule_manifest__"
_FORMAT = "chainrule.state_dict"
_VERSION = 1

DEFAULT_MAX_BYTES = 1 << 30
"""How many bytes of arrays :func:`load` reads at most (1 GiB) unless told otherwise."""

MAX_DEPTH = 100
"""How deeply a saved state may nest dicts, lists and tuples."""

_MANIFEST_MAX_BYTES = 64 << 20  # the JSON text of a state with millions of entries


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


# ---------------------------------------------------------------------------
# Writing a file atomically (checkpoints, metrics, curves: one way for all)
# ---------------------------------------------------------------------------

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _temp_pattern(name: str) -> re.Pattern:
    # ours: .NAME.<16 hex>.tmp; earlier chainrules: .NAME.<8 of mkstemp's>.tmp and NAME.tmp
    return re.compile(r"\." + re.escape(name) + r"\.[A-Za-z0-9_]{6,32}\.tmp|"
                      + re.escape(name) + r"\.tmp")


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], Any]) -> None:
    """Write a file all at once: ``write(f)`` fills a new temporary file, then it replaces ``path``.

    The temporary file is created in ``path``'s folder under a fresh random name
    (``.NAME.<random>.tmp``), exclusively and without following symbolic links; it
    gets the mode new files get (0666 less the umask). After ``write`` it is
    flushed, fsynced and renamed over ``path`` with ``os.replace`` (which replaces
    a symbolic link at ``path`` rather than writing where it points); then the
    folder is fsynced so the rename itself survives a power cut. If anything fails
    (or Ctrl-C arrives) the temporary file is removed and ``path`` is untouched;
    an ``OSError`` names ``path``.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> atomic_write(path, lambda f: f.write(b"hello\\n"))
    >>> open(path).read()
    'hello\\n'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"no such folder: {directory!r} (for {path!r})")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as err:
        err.filename = path
        raise
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError):
            err.filename = path
        raise
    _fsync_directory(directory)


def remove_stale_temp_files(directory: str | os.PathLike, names: Iterable[str]) -> list[str]:
    """Delete temporary files that an interrupted :func:`atomic_write` of ``names`` left.

    A ``kill -9`` (or a power cut) during a write leaves ``.NAME.<random>.tmp``
    behind; call this when a run starts again in ``directory``. Only entries that
    match the temporary names of ``names`` are removed (a symbolic link is removed,
    never what it points to); returns their paths.
    """
    patterns = [_temp_pattern(name) for name in names]
    removed: list[str] = []
    with os.scandir(os.fspath(directory)) as entries:
        for entry in entries:
            if not any(p.fullmatch(entry.name) for p in patterns):
                continue
            if entry.is_dir(follow_symlinks=False):
                continue
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            removed.append(entry.path)
    return removed


def _fsync_directory(directory: str) -> None:
    """Make a rename itself durable (POSIX); a no-op where folders can't be opened."""
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
# Flattening a nested state into arrays and a manifest
# ---------------------------------------------------------------------------

class _Flattener:
    """Walk a nested state; collect arrays by dotted name and describe the tree in JSON."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._open: set[int] = set()  # the containers on the current path (cycle check)

    def node(self, value: Any, path: list) -> Any:
        where = ".".join(str(k) for k in path) or "<root>"
        if isinstance(value, Tensor):
            return {"array": self._add(value._array, path), "tensor": True}
        if isinstance(value, np.ndarray):
            return {"array": self._add(value, path)}
        if isinstance(value, (Mapping, list, tuple)):
            if id(value) in self._open:
                raise ValueError(f"chainrule.save: the {type(value).__name__} at {where} "
                                 "contains itself; a state must be a tree, without cycles")
            if len(path) >= MAX_DEPTH:
                raise ValueError(f"chainrule.save: the state nests more than {MAX_DEPTH} "
                                 f"levels deep at {where}")
            self._open.add(id(value))
            try:
                return self._container(value, path, where)
            finally:
                self._open.discard(id(value))
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

    def _container(self, value: Any, path: list, where: str) -> dict:
        if isinstance(value, Mapping):
            items = []
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"chainrule.save: the key {key!r} at {where} is a "
                                    f"{type(key).__name__}; keys must be str or int")
                items.append([key, self.node(item, path + [key])])
            return {"dict": items}
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [self.node(item, path + [i]) for i, item in enumerate(value)]}

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
        # (ascontiguousarray alone makes a 0-d array 1-d: keep the shape)
        self.arrays[name] = np.ascontiguousarray(array).reshape(array.shape)
        return name


def save(obj: Mapping, path: str | os.PathLike) -> None:
    """Write ``obj`` (a nested dict of arrays, Tensors and plain values) to ``path``, atomically.

    If ``path`` ends in ``.safetensors``, ``obj`` must be a flat dict from names to
    Tensors or arrays (a model's ``state_dict()``), written in the safetensors format
    (needs ``pip install "chainrule[safetensors]"``); otherwise as follows.

    The file is a NumPy ``.npz`` archive written to exactly ``path`` (no extension is
    added), through :func:`atomic_write`. Tensors come back from :func:`load` as
    Tensors (without their graph), NumPy arrays as arrays; dicts, lists, tuples,
    str/int keys, numbers, strings and None round-trip as they are. A state that
    contains itself, or nests more than :data:`MAX_DEPTH` levels, is refused.
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"chainrule.save: expected a dict (a state dict), got "
                        f"{type(obj).__name__}")
    if _is_safetensors(path):
        _save_safetensors(obj, os.fspath(path))
        return
    flat = _Flattener()
    tree = flat.node(obj, [])
    manifest = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree})
    arrays = dict(flat.arrays)
    arrays[_MANIFEST] = np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8)

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"chainrule.save: no such folder: {directory!r} (for {path!r})")
    atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Loading and validating
# ---------------------------------------------------------------------------

def _open_regular(path: str, who: str) -> int:
    """Open ``path`` for reading if it is a regular file; never blocks (FIFOs, devices)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{who}: no such file: {path!r}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{who}: {path!r} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{who}: {path!r} is not a regular file (a {_file_kind(info.st_mode)}); "
                         "give the path of a file written by chainrule.save")
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else in between
        os.close(fd)
        raise ValueError(f"{who}: {path!r} is not a regular file")
    return fd


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def load(path: str | os.PathLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         max_bytes: int = DEFAULT_MAX_BYTES) -> dict:
    """Read a state written by :func:`save`; never unpickles anything.

    PyTorch's arguments are taken so that ``torch.load(path, map_location=device,
    weights_only=True)`` runs unchanged: every array lands on the CPU, so
    ``map_location`` may be None, a CPU device (a ``str``, :class:`chainrule.device`, or
    a dict or function mapping locations); ``weights_only`` changes nothing, since
    nothing is ever unpickled; ``pickle_module`` must be None and ``mmap`` falsy.

    A path ending in ``.safetensors`` is read as a safetensors file (written here, by
    PyTorch's ``safetensors.torch.save_file`` or by any other library): the result is
    a dict from names to Tensors, for ``load_state_dict``. Otherwise:

    Only the archive members that the manifest names are read. Before any is read,
    each one's declared shape and dtype must agree with its size in the archive,
    and together they must fit in ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`,
    1 GiB; raise it for larger states you trust): a small file can't claim gigabytes.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file
    (and the member or key) for anything else that is not an intact chainrule
    state: a folder, a pipe or device, a truncated or corrupt archive, a malformed
    manifest, a foreign ``.npz`` or some other file.
    """
    path = os.fspath(path)
    who = "chainrule.load"
    if map_location is not None and not callable(map_location) \
            and not isinstance(map_location, dict):
        check_device(map_location, who)
    if pickle_module is not None:
        raise ValueError(f"{who}: pickle_module is not supported: chainrule files hold no "
                         "pickles; leave it out")
    if mmap:
        raise ValueError(f"{who}: mmap=True is not supported; leave it out")
    if _is_safetensors(path):
        return _load_safetensors(path, max_bytes)
    fd = _open_regular(path, who)
    with os.fdopen(fd, "rb") as fh:
        if not zipfile.is_zipfile(fh):
            raise ValueError(f"{who}: {path!r} is not a chainrule state file (not an .npz "
                             "archive; truncated, or written by something else)")
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as archive:
                reader = _Reader(archive, path, max_bytes)
                manifest = reader.manifest()
                names: list[str] = []
                _check_tree(manifest["tree"], path, names)
                arrays = reader.arrays(names)
        except ValueError as err:
            if str(err).startswith(who):
                raise
            raise ValueError(f"{who}: {path!r} is corrupt: {err}") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError,
                NotImplementedError, RuntimeError) as err:
            raise ValueError(f"{who}: {path!r} is truncated or corrupt: {err}") from None
    return _build(manifest["tree"], arrays)


class _Reader:
    """Reads the manifest and the named array members of an open archive, within a budget."""

    def __init__(self, archive: zipfile.ZipFile, path: str, max_bytes: int) -> None:
        self.archive = archive
        self.path = path
        self.max_bytes = max_bytes
        self.members = {info.filename: info for info in archive.infolist()}

    def _fail(self, message: str) -> ValueError:
        return ValueError(f"chainrule.load: {self.path!r} {message}")

    def _header(self, name: str) -> tuple[zipfile.ZipInfo, tuple, bool, np.dtype, int]:
        info = self.members.get(name + ".npy")
        if info is None:
            raise self._fail(f"is missing the array {name!r} that its manifest lists (the file "
                             "is truncated or was altered)")
        with self.archive.open(info) as f:
            try:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            except ValueError as err:
                raise self._fail(f"has a damaged header in the member {name!r}: {err}") from None
            header_size = f.tell()
        if dtype.hasobject:
            raise self._fail(f"holds Python objects in the member {name!r} (dtype {dtype}), "
                             "which can't be read without pickle")
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        held = info.file_size - header_size
        if nbytes != held:
            raise self._fail(f"is corrupt: the member {name!r} declares shape {shape} of "
                             f"{dtype} ({nbytes:,} bytes) but holds {held:,}")
        return info, shape, fortran, dtype, nbytes

    def manifest(self) -> dict:
        if _MANIFEST + ".npy" not in self.members:
            raise self._fail("is an .npz archive but was not written by chainrule.save (it has "
                             "no chainrule manifest)")
        info, shape, _, dtype, nbytes = self._header(_MANIFEST)
        if dtype != np.uint8 or len(shape) != 1:
            raise self._fail("has an unreadable manifest (not UTF-8 bytes)")
        if nbytes > min(_MANIFEST_MAX_BYTES, self.max_bytes):
            raise self._fail(f"has a manifest of {_mib(nbytes)}, more than this reader takes")
        raw = self._read(info)
        try:
            manifest = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise self._fail(f"has an unreadable manifest: {err}") from None
        except RecursionError:
            raise self._fail(f"has a manifest nested too deeply (more than {MAX_DEPTH} "
                             "levels)") from None
        if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
            raise self._fail("was not written by chainrule.save")
        if manifest.get("version") != _VERSION:
            raise self._fail(f"has format version {manifest.get('version')!r}; this chainrule "
                             f"reads version {_VERSION}")
        if "tree" not in manifest:
            raise self._fail("has a manifest without a tree")
        return manifest

    def arrays(self, names: list[str]) -> dict[str, np.ndarray]:
        plan, total = [], 0
        for name in dict.fromkeys(names):
            info, shape, _, dtype, nbytes = self._header(name)
            total += nbytes
            if total > self.max_bytes:
                raise self._fail(
                    f"would take more than max_bytes={self.max_bytes:,} bytes "
                    f"({_mib(self.max_bytes)}) of memory, reaching the member {name!r} "
                    f"(shape {shape}, {dtype}: {_mib(nbytes)}); if you trust the file, pass a "
                    "larger max_bytes= to chainrule.load")
            plan.append((name, info))
        return {name: self._read(info) for name, info in plan}

    def _read(self, info: zipfile.ZipInfo) -> np.ndarray:
        with self.archive.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False)


_NODE_KEYS = {
    "array": {"array", "tensor", "scalar"},
    "dict": {"dict"}, "list": {"list"}, "tuple": {"tuple"},
    "value": {"value"}, "float": {"float"},
}


def _check_tree(root: Any, path: str, names: list[str]) -> None:
    """Check every manifest entry's form (without recursion); collect the array names.

    The root must be a dict; every entry one of the forms :class:`_Flattener` writes.
    """
    def fail(where: str, what: str) -> ValueError:
        return ValueError(f"chainrule.load: {path!r} has a malformed manifest at {where}: {what}")

    if not (isinstance(root, dict) and "dict" in root):
        raise fail("<root>", "the saved state is not a dict")
    stack: list[tuple[Any, str, int]] = [(root, "<root>", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise fail(where, f"nested more than {MAX_DEPTH} levels")
        kind = next((k for k in _NODE_KEYS if isinstance(node, dict) and k in node), None)
        if kind is None or not set(node) <= _NODE_KEYS[kind]:
            raise fail(where, f"unknown entry {_short(node)}")
        value = node[kind]
        if kind == "array":
            if not isinstance(value, str) or value == _MANIFEST:
                raise fail(where, f"an array name must be a string, got {_short(value)}")
            if any(not isinstance(node.get(flag, False), bool) for flag in ("tensor", "scalar")):
                raise fail(where, "the tensor and scalar marks must be true or false")
            names.append(value)
        elif kind == "dict":
            if not isinstance(value, list):
                raise fail(where, f"a dict's items must be a list, got {_short(value)}")
            for item in value:
                if not (isinstance(item, list) and len(item) == 2
                        and isinstance(item[0], (str, int)) and not isinstance(item[0], bool)):
                    raise fail(where, f"a dict item must be [str or int key, entry], got "
                                      f"{_short(item)}")
                stack.append((item[1], _join(where, item[0]), depth + 1))
        elif kind in ("list", "tuple"):
            if not isinstance(value, list):
                raise fail(where, f"a {kind}'s items must be a list, got {_short(value)}")
            stack.extend((item, _join(where, i), depth + 1) for i, item in enumerate(value))
        elif kind == "value":
            if value is not None and not isinstance(value, (bool, int, float, str)):
                raise fail(where, f"a plain value must be a number, string or null, got "
                                  f"{_short(value)}")
        elif value not in ("nan", "inf", "-inf"):
            raise fail(where, f"a special float must be nan, inf or -inf, got {_short(value)}")


def _join(where: str, key: Any) -> str:
    return str(key) if where == "<root>" else f"{where}.{key}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _build(node: dict, arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild the nested state from a checked manifest tree (at most MAX_DEPTH deep)."""
    if "array" in node:
        array = arrays[node["array"]]
        if node.get("tensor"):
            return Tensor(array)
        return array[()] if node.get("scalar") else array
    if "dict" in node:
        return {key: _build(item, arrays) for key, item in node["dict"]}
    if "list" in node:
        return [_build(item, arrays) for item in node["list"]]
    if "tuple" in node:
        return tuple(_build(item, arrays) for item in node["tuple"])
    if "value" in node:
        return node["value"]
    return float(node["float"])


# ---------------------------------------------------------------------------
# The safetensors format (optional package, imported when used)
# ---------------------------------------------------------------------------

def _is_safetensors(path: str | os.PathLike) -> bool:
    return os.fspath(path).lower().endswith(".safetensors")


def _safetensors_numpy(who: str) -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(f'{who}: .safetensors files need the safetensors package: '
                          f'pip install "chainrule[safetensors]"') from None
    return safetensors.numpy


def _save_safetensors(obj: Mapping, path: str) -> None:
    who = "chainrule.save"
    arrays: dict[str, np.ndarray] = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"{who}: a .safetensors file names its arrays with strings, got "
                            f"the key {key!r} ({type(key).__name__})")
        if isinstance(value, Tensor):
            array = value._array
        elif isinstance(value, np.ndarray):
            array = value
        else:
            raise TypeError(
                f"{who}: a .safetensors file holds a flat dict of arrays (a model's "
                f"state_dict()), but {key!r} is a {type(value).__name__}; save nested or "
                "non-array state (optimizer, epoch) to an .npz path instead")
        if array.dtype.kind not in "biuf" or array.dtype.byteorder == ">":
            raise TypeError(f"{who}: the safetensors format has no dtype {array.dtype} (the "
                            f"array {key!r}); it takes bool, integer and float arrays")
        arrays[key] = np.ascontiguousarray(array).reshape(array.shape)
    st = _safetensors_numpy(who)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{who}: no such folder: {directory!r} (for {path!r})")
    data = st.save(arrays)
    atomic_write(path, lambda f: f.write(data))


def _load_safetensors(path: str, max_bytes: int) -> dict:
    who = "chainrule.load"
    st = _safetensors_numpy(who)
    fd = _open_regular(path, who)
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes + _MANIFEST_MAX_BYTES:  # the arrays plus a generous header
            raise ValueError(
                f"{who}: {path!r} is {_mib(size)}, more than max_bytes={max_bytes:,} bytes "
                f"({_mib(max_bytes)}) of arrays; if you trust the file, pass a larger "
                "max_bytes= to chainrule.load")
        data = fh.read()
    try:
        arrays = st.load(data)
    except KeyError as err:  # a dtype that NumPy lacks (bfloat16, float8)
        raise ValueError(
            f"{who}: {path!r} holds tensors of dtype {err.args[0]}, which NumPy has no type "
            "for; convert them (e.g. tensor.float()) before saving") from None
    except Exception as err:  # safetensors' own error type: a damaged or foreign file
        if type(err).__name__ != "SafetensorError":
            raise
        raise ValueError(f"{who}: {path!r} is not an intact safetensors file ({err})") from None
    if sum(a.nbytes for a in arrays.values()) > max_bytes:
        raise ValueError(f"{who}: {path!r} holds more than max_bytes={max_bytes:,} bytes "
                         f"({_mib(max_bytes)}) of arrays; if you trust the file, pass a "
                         "larger max_bytes= to chainrule.load")
    return {name: Tensor(np.array(array)) for name, array in arrays.items()}
