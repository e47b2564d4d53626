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
