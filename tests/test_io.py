"""chainrule.save / chainrule.load: round trips, no pickle, atomic writes, clear errors."""

import os
import zipfile

import numpy as np
import pytest

import chainrule as cr
import chainrule.io as crio


def _state():
    return {
        "model": {"0.weight": cr.randn(3, 2), "0.bias": cr.zeros(3),
                  "bn.running_mean": np.arange(3, dtype=np.float64),
                  "bn.num_batches_tracked": np.int64(7)},
        "optimizer": {
            "state": {0: {"step": 4, "exp_avg": np.ones((3, 2), np.float32)}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1],
                              "amsgrad": False, "name": None}],
        },
        "epoch": 3,
        "args": {"model": "mlp", "lr": 1e-3, "tags": ["a", "b"]},
        "rng": {"bit_generator": "PCG64", "state": {"state": 2 ** 127 + 5, "inc": 3}},
        "weird": {"key.with.dots": np.float32(2.5), "inf": float("inf")},
    }


def test_round_trip_keeps_structure_types_and_values(tmp_path):
    state = _state()
    path = tmp_path / "ckpt.npz"
    cr.save(state, path)
    back = cr.load(path)
    assert list(back) == list(state)
    model = back["model"]
    assert isinstance(model["0.weight"], cr.Tensor) and model["0.weight"].dtype == np.float32
    np.testing.assert_array_equal(model["0.weight"].data, state["model"]["0.weight"].data)
    assert isinstance(model["bn.running_mean"], np.ndarray)
    assert model["bn.running_mean"].dtype == np.float64
    assert model["bn.num_batches_tracked"] == 7
    assert model["bn.num_batches_tracked"].dtype == np.int64
    opt = back["optimizer"]
    assert list(opt["state"]) == [0]  # int keys stay ints
    assert opt["state"][0]["step"] == 4
    np.testing.assert_array_equal(opt["state"][0]["exp_avg"], np.ones((3, 2)))
    assert opt["param_groups"][0]["betas"] == (0.9, 0.999)  # tuples stay tuples
    assert opt["param_groups"][0]["name"] is None
    assert back["epoch"] == 3 and back["args"] == state["args"]
    assert back["rng"]["state"]["state"] == 2 ** 127 + 5  # big ints survive
    assert back["weird"]["key.with.dots"] == np.float32(2.5)
    assert back["weird"]["inf"] == float("inf")


def test_arrays_are_npz_members_with_dotted_names(tmp_path):
    path = tmp_path / "ckpt.npz"
    cr.save(_state(), path)
    with np.load(path, allow_pickle=False) as f:
        names = set(f.files)
    assert {"model.0.weight", "optimizer.state.0.exp_avg", "model.bn.running_mean"} <= names


def test_colliding_dotted_names_are_kept_apart(tmp_path):
    state = {"a": {"b": np.zeros(1)}, "a.b": np.ones(1)}
    cr.save(state, tmp_path / "x.npz")
    back = cr.load(tmp_path / "x.npz")
    assert back["a"]["b"][0] == 0 and back["a.b"][0] == 1


def test_the_exact_path_is_written_and_no_temp_file_is_left(tmp_path):
    path = tmp_path / "checkpoint"  # no extension added
    cr.save({"x": np.zeros(2)}, path)
    assert os.listdir(tmp_path) == ["checkpoint"]


def test_overwrite_is_atomic_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    cr.save({"epoch": 1, "w": np.zeros(3)}, path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(crio.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        cr.save({"epoch": 2, "w": np.ones(3)}, path)
    monkeypatch.undo()
    assert cr.load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_save_uses_replace_after_fsync(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(crio.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(crio.os, "replace",
                        lambda a, b: (calls.append(("replace", os.path.dirname(a))),
                                      real_replace(a, b)))
    cr.save({"x": np.zeros(2)}, tmp_path / "a.npz")
    assert calls[0] == "fsync"
    assert calls[1] == ("replace", str(tmp_path))  # the temp file sits beside the target


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"__chainrule_manifest__": np.zeros(1),
                      "x": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ValueError, match="evil.npz"):
        cr.load(path)


def test_truncated_file_raises_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    cr.save(_state(), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"ckpt\.npz.*(truncated|corrupt)"):
            cr.load(path)


def test_corrupted_member_raises_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    cr.save({"w": np.arange(1000, dtype=np.float64)}, path)
    data = bytearray(path.read_bytes())
    data[200:210] = b"\xff" * 10  # inside the array's bytes: the CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"ckpt\.npz"):
        cr.load(path)


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt.*not a chainrule state file"):
        cr.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(2))
    with pytest.raises(ValueError, match=r"plain\.npz.*not written by chainrule\.save"):
        cr.load(plain)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme", "hi")
    with pytest.raises(ValueError, match="other.zip"):
        cr.load(other_zip)


def test_manifest_pointing_at_a_missing_array(tmp_path):
    path = tmp_path / "ckpt.npz"
    cr.save({"w": np.zeros(2), "v": np.ones(2)}, path)
    with np.load(path) as f:
        members = {name: f[name] for name in f.files if name != "v"}
    np.savez(path, **members)
    with pytest.raises(ValueError, match=r"missing the array 'v'"):
        cr.load(path)


def test_missing_file_or_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-file.npz"):
        cr.load("no-such-file.npz")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        cr.save({"x": np.zeros(1)}, tmp_path / "missing" / "x.npz")


def test_unsaveable_values_are_refused_with_their_key(tmp_path):
    with pytest.raises(TypeError, match=r"can't save the object at model\.fn"):
        cr.save({"model": {"fn": object()}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        cr.save({"a": np.array([None])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="keys must be str or int"):
        cr.save({(1, 2): np.zeros(1)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="expected a dict"):
        cr.save([np.zeros(1)], tmp_path / "x.npz")
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


# ---------------------------------------------------------------------------
# Hostile and odd files: bounded loads, no hangs, one clear error (issue 14)
# ---------------------------------------------------------------------------

def _archive(path, manifest_tree, members):
    """An .npz written member by member: ``members`` maps a member name to its bytes."""
    import io as _io
    import json

    manifest = {"format": "chainrule.state_dict", "version": 1, "tree": manifest_tree}
    raw = np.frombuffer(json.dumps(manifest).encode(), np.uint8)
    buf = _io.BytesIO()
    np.lib.format.write_array(buf, raw)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("__chainrule_manifest__.npy", buf.getvalue())
        for name, data in members.items():
            z.writestr(name, data)


def _npy(array):
    import io as _io

    buf = _io.BytesIO()
    np.lib.format.write_array(buf, array)
    return buf.getvalue()


def _zeros_member(nbytes):
    """An npy member of ``nbytes`` zero bytes (deflates to almost nothing)."""
    import io as _io

    head = _io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": "<f8", "fortran_order": False, "shape": (nbytes // 8,)})
    return head.getvalue() + bytes(nbytes)


def test_a_deflate_bomb_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "bomb.npz"
    _archive(path, {"dict": [["w", {"array": "w"}]]}, {"w.npy": _zeros_member(32 << 20)})
    assert path.stat().st_size < 1 << 20  # 32 MiB of zeros in well under 1 MiB
    with pytest.raises(ValueError, match=r"bomb\.npz.*max_bytes=.*member 'w'.*larger max_bytes"):
        cr.load(path, max_bytes=16 << 20)
    assert cr.load(path, max_bytes=48 << 20)["w"].shape == (4 << 20,)
    assert crio.DEFAULT_MAX_BYTES == 1 << 30
    import inspect

    assert inspect.signature(cr.load).parameters["max_bytes"].default == crio.DEFAULT_MAX_BYTES


def test_members_the_manifest_does_not_name_are_never_read(tmp_path):
    path = tmp_path / "extra.npz"
    _archive(path, {"dict": [["w", {"array": "w"}]]},
             {"w.npy": _npy(np.arange(3.0)), "junk.npy": b"not an array at all" * 1000,
              "huge.npy": _zeros_member(16 << 20)})
    state = cr.load(path, max_bytes=1 << 20)
    assert list(state) == ["w"] and state["w"].tolist() == [0.0, 1.0, 2.0]


def test_a_header_claiming_more_than_the_member_holds(tmp_path):
    path = tmp_path / "liar.npz"
    import io as _io

    head = _io.BytesIO()
    np.lib.format.write_array_header_1_0(  # 745 GiB of float64, in a 1 kB member
        head, {"descr": "<f8", "fortran_order": False, "shape": (100_000, 1_000_000)})
    _archive(path, {"dict": [["w", {"array": "w"}]]}, {"w.npy": head.getvalue() + bytes(1000)})
    with pytest.raises(ValueError, match=r"liar\.npz.*member 'w' declares shape "
                                         r"\(100000, 1000000\)"):
        cr.load(path, max_bytes=1 << 50)


@pytest.mark.parametrize("tree, needle", [
    ({"array": ["w"]}, "not a dict"),
    ({"dict": [["w", {"array": ["w"]}]]}, "at w: an array name must be a string"),
    ({"dict": [1]}, "a dict item must be"),
    ({"dict": [["a", {"list": {"x": 1}}]]}, "at a: a list's items must be a list"),
    ([1, 2], "not a dict"),
    ({"dict": [["a", {"bogus": 1}]]}, "at a: unknown entry"),
    ({"dict": [["a", {"value": [1]}]]}, "a plain value must be"),
    ({"dict": [["a", {"float": "1e400"}]]}, "a special float must be"),
    ({"dict": [["a", {"array": "w", "tensor": "yes"}]]}, "marks must be true or false"),
])
def test_malformed_manifests_name_the_entry(tmp_path, tree, needle):
    path = tmp_path / "bad.npz"
    _archive(path, tree, {"w.npy": _npy(np.zeros(2))})
    with pytest.raises(ValueError, match=r"bad\.npz.*malformed manifest") as info:
        cr.load(path)
    assert needle in str(info.value)


def test_a_deeply_nested_manifest_is_refused(tmp_path):
    tree = {"value": 1}
    for _ in range(150):
        tree = {"dict": [["a", tree]]}
    path = tmp_path / "deep.npz"
    _archive(path, tree, {})
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        cr.load(path)
    deeper = "[" * 100_000 + "]" * 100_000  # too deep for json itself
    path2 = tmp_path / "deeper.npz"
    raw = np.frombuffer(('{"format": "chainrule.state_dict", "version": 1, "tree": '
                         + deeper + "}").encode(), np.uint8)
    with zipfile.ZipFile(path2, "w") as z:
        z.writestr("__chainrule_manifest__.npy", _npy(raw))
    with pytest.raises(ValueError, match=r"deeper\.npz"):
        cr.load(path2)


def test_fifos_devices_and_folders_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # nobody writes to it: open() for reading would block forever
    with pytest.raises(ValueError, match=r"pipe\.npz.*not a regular file \(a named pipe\)"):
        cr.load(fifo)
    with pytest.raises(ValueError, match=r"/dev/zero.*not a regular file"):
        cr.load("/dev/zero")
    with pytest.raises(ValueError, match="is a folder, not a file"):
        cr.load(tmp_path)
    link = tmp_path / "zero.npz"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="not a regular file"):
        cr.load(link)


def test_a_state_that_contains_itself_is_refused(tmp_path):
    state = {"a": {"b": 1}}
    state["a"]["self"] = state
    with pytest.raises(ValueError, match=r"the dict at a\.self contains itself"):
        cr.save(state, tmp_path / "x.npz")
    loop = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"the list at l\.1 contains itself"):
        cr.save({"l": loop}, tmp_path / "x.npz")
    shared = np.zeros(2)
    cr.save({"a": [shared, shared], "b": (shared,)}, tmp_path / "x.npz")  # shared, not cyclic
    deep = {"v": 0}
    for _ in range(2000):
        deep = {"d": deep}
    with pytest.raises(ValueError, match="nests more than 100 levels"):
        cr.save(deep, tmp_path / "x.npz")
    assert sorted(os.listdir(tmp_path)) == ["x.npz"]


def test_save_flushes_fsyncs_replaces_then_fsyncs_the_folder(tmp_path, monkeypatch):
    """Each durability step is checked by what it does, not by the call's name alone."""
    import stat as _stat

    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        kind = "folder" if _stat.S_ISDIR(info.st_mode) else "file"
        events.append((kind, info.st_size))  # a file's size on disk when it is synced
        real_fsync(fd)

    def replace(a, b):
        events.append(("replace", os.path.dirname(a)))
        real_replace(a, b)

    monkeypatch.setattr(crio.os, "fsync", fsync)
    monkeypatch.setattr(crio.os, "replace", replace)
    target = tmp_path / "a.npz"
    cr.save({"x": np.zeros(1000)}, target)
    size = target.stat().st_size
    assert events == [("file", size), ("replace", str(tmp_path)), ("folder", events[2][1])]
    events.clear()
    crio.atomic_write(tmp_path / "b.csv", lambda f: f.write(b"1,2\n" * 100))  # no flush of its own
    assert events == [("file", 400), ("replace", str(tmp_path)), ("folder", events[2][1])]


def test_files_get_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "a.npz"
        cr.save({"x": np.zeros(1)}, path)
        assert path.stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        cr.save({"x": np.zeros(1)}, path)
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_a_symlink_at_the_target_is_replaced_not_written_through(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "a.npz").symlink_to(outside)
    cr.save({"x": np.zeros(1)}, folder / "a.npz")
    assert outside.read_text() == "precious"
    assert not (folder / "a.npz").is_symlink() and cr.load(folder / "a.npz")["x"].shape == (1,)


def test_stale_temp_files_of_the_named_files_are_removed(tmp_path):
    names = [".checkpoint.npz.k3j_x9a2.tmp", ".checkpoint.npz.0123456789abcdef.tmp",
             "metrics.csv.tmp", ".curves.png.0123456789abcdef.tmp"]
    keep = ["checkpoint.npz", ".other.npz.0123456789abcdef.tmp", "notes.tmp"]
    for name in names + keep:
        (tmp_path / name).write_text("x")
    (tmp_path / "outside").write_text("precious")
    (tmp_path / ".metrics.csv.abcdef012345.tmp").symlink_to(tmp_path / "outside")
    removed = crio.remove_stale_temp_files(tmp_path, ["checkpoint.npz", "metrics.csv",
                                                      "curves.png"])
    assert len(removed) == len(names) + 1
    assert sorted(os.listdir(tmp_path)) == sorted(keep + ["outside"])
    assert (tmp_path / "outside").read_text() == "precious"


def test_a_write_error_names_the_file(tmp_path):
    """A full disk (here: a file-size limit, which fails the same write) names the file."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import resource, signal
        import numpy as np
        import chainrule as cr
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            cr.save({{"w": np.zeros(100_000)}}, {str(tmp_path / "big.npz")!r})
        except OSError as err:
            print(err)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "File too large" in run.stdout and "big.npz" in run.stdout
    assert os.listdir(tmp_path) == []  # the temporary file is gone too
