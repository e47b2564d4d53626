"""The process group: one MPI world (mpi4py), its rank and size, timeouts and abort.

chainrule's data-parallel training runs on MPI, the engine HPC clusters and Horovod use:
``mpirun -n 4 python train.py`` (or ``srun`` under Slurm) starts the processes, and
:func:`init_process_group` joins them. The MPI library is imported only here, on the
first call, so that ``import chainrule`` never needs it.

A rank that fails must not leave the others waiting forever: once the group is up,
an uncaught exception on any rank prints one line naming the rank, then aborts the
whole MPI job (``MPI_Abort``), and every collective waits at most ``timeout``.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import sys
import threading
import time
from typing import Any

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "is_mpi_available", "get_rank", "get_world_size", "get_backend",
           "launched_world_size", "abort", "DistError", "DistBackendError",
           "default_pg_timeout"]

default_pg_timeout = datetime.timedelta(minutes=30)
"""How long a collective may wait for the other ranks by default (PyTorch's too)."""

INSTALL_HINT = 'pip install "chainrule[mpi]"'

# Environment variables that MPI launchers set in every process they start: the rank,
# and the world size. Open MPI's mpirun, MPICH's / Intel MPI's hydra, Slurm's srun.
# (Only the decision "started by a launcher, with more than one process" rests on them:
# the rank and size themselves come from MPI.)
_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS")
_RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID")


class DistError(RuntimeError):
    """A distributed operation failed (PyTorch's ``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """The communication itself failed or timed out (``torch.distributed.DistBackendError``)."""


DistError.__module__ = DistBackendError.__module__ = "chainrule.distributed"


class _Group:
    """The one process group: MPI's world communicator, duplicated for chainrule."""

    def __init__(self, mpi: Any, comm: Any, timeout: float) -> None:
        self.MPI = mpi
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout


_state: dict[str, Any] = {"group": None, "hook": None}
_lock = threading.Lock()


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(f"chainrule.distributed needs mpi4py and an MPI library: "
                          f"{INSTALL_HINT} (got: {err})") from None
    return MPI


def is_mpi_available() -> bool:
    """Whether mpi4py can be imported (``pip install "chainrule[mpi]"`` installs it).

    >>> isinstance(is_mpi_available(), bool)
    True
    """
    return importlib.util.find_spec("mpi4py") is not None


def is_available() -> bool:
    """Whether the distributed package can be used here: mpi4py is installed.

    >>> is_available() == is_mpi_available()
    True
    """
    return is_mpi_available()


def launched_world_size() -> int:
    """The number of processes the MPI launcher (``mpirun``, ``srun``) started, from the
    environment it sets; 0 when this process was not started by one.

    >>> import os
    >>> launched_world_size() >= 0
    True
    """
    if not any(var in os.environ for var in _RANK_VARS):
        return 0
    for var in _SIZE_VARS:
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 0


def _seconds(timeout: Any, who: str = "init_process_group") -> float:
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        seconds = timeout.total_seconds()
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        seconds = float(timeout)
    else:
        raise TypeError(f"{who}: timeout must be a datetime.timedelta or a "
                        f"number of seconds, got {type(timeout).__name__}")
    if not seconds > 0:
        raise ValueError(f"{who}: timeout must be positive, got {seconds} s")
    return seconds


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | float | None = None,
                       world_size: int = -1, rank: int = -1, store: Any = None,
                       group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the processes that ``mpirun`` / ``srun`` started into the default group.

    Only ``backend="mpi"`` (the default) exists: the rank and world size come from the
    MPI launcher, so ``init_method``, ``store`` and the addresses PyTorch's TCP
    rendezvous needs are not used; ``world_size`` and ``rank``, when given, must match
    what MPI says. ``timeout`` (a ``timedelta`` or seconds, default 30 minutes) bounds
    every collective: a rank that waits longer raises :class:`DistBackendError` and
    the job is aborted. Started without a launcher, the group is this one process.

    From here on an uncaught exception on any rank prints one line naming the rank
    and aborts every rank of the job, so a failure never leaves the others hanging.

    >>> import chainrule.distributed as dist
    >>> if not dist.is_initialized():  # under mpirun, N ranks; run alone, a world of one
    ...     dist.init_process_group("mpi", timeout=600)
    >>> dist.get_backend(), 0 <= dist.get_rank() < dist.get_world_size()
    ('mpi', True)
    """
    del init_method, group_name, pg_options  # PyTorch's TCP rendezvous: MPI has its own
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: backend {backend!r} is not available; chainrule "
                         "runs on MPI: use backend='mpi' (or leave it out) and start the "
                         "processes with mpirun or srun")
    if store is not None:
        raise ValueError("init_process_group: store= is for PyTorch's TCP rendezvous; MPI "
                         "finds its processes itself, leave it out")
    if device_id is not None and str(device_id) != "cpu":
        raise ValueError(f"init_process_group: device_id={device_id!r}: chainrule runs on "
                         "the CPU; leave it out")
    seconds = _seconds(timeout)
    with _lock:
        if _state["group"] is not None:
            raise RuntimeError("init_process_group: the default process group is already "
                               "initialized (call destroy_process_group() first)")
        mpi = _import_mpi()
        if not mpi.Is_initialized():
            mpi.Init_thread()
        group = _Group(mpi, mpi.COMM_WORLD.Dup(), seconds)
        for name, given, actual in (("world_size", world_size, group.size),
                                    ("rank", rank, group.rank)):
            if given is not None and given != -1 and given != actual:
                group.comm.Free()
                raise ValueError(f"init_process_group: {name}={given} but MPI started this "
                                 f"process as {name} {actual}; leave {name} out (MPI knows "
                                 "it) or start the job with the matching mpirun -n")
        _state["group"] = group
        _install_abort_hook(group)


def _install_abort_hook(group: _Group) -> None:
    previous = sys.excepthook

    def hook(exc_type: type, exc: BaseException, tb: Any) -> None:
        previous(exc_type, exc, tb)
        live = _state["group"]
        if live is not None and live.size > 1:
            abort(f"{exc_type.__name__}: {_first_line(exc)}")

    _state["hook"] = (hook, previous)
    sys.excepthook = hook


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "(no message)"


def abort(reason: str, errorcode: int = 1) -> None:
    """End every rank of the job now: print one line on stderr naming this rank and
    ``reason``, then ``MPI_Abort``. Without a group it does nothing; alone in one it
    prints the line and returns.

    >>> abort("a world of one, or none: nothing to end")
    """
    group = _state["group"]
    if group is None:
        return
    print(f"chainrule.distributed: rank {group.rank} of {group.size} failed: {reason}; "
          f"ending all {group.size} ranks", file=sys.stderr, flush=True)
    if group.size > 1:
        sys.stdout.flush()
        group.MPI.COMM_WORLD.Abort(errorcode)


def _group(who: str) -> _Group:
    """The default group; picked up automatically when mpirun/srun started us."""
    group = _state["group"]
    if group is not None:
        return group
    if launched_world_size() > 0:
        init_process_group("mpi")
        return _state["group"]
    raise RuntimeError(f"{who}: the default process group has not been initialized; call "
                       "chainrule.distributed.init_process_group() first (under mpirun or "
                       "srun it is picked up automatically)")


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has run (and the group is not destroyed).

    >>> isinstance(is_initialized(), bool)
    True
    """
    return _state["group"] is not None


def get_rank(group: Any = None) -> int:
    """This process's rank, 0 ... world size - 1 (MPI's rank in ``COMM_WORLD``).

    Under ``mpirun``/``srun`` the group is joined on first use; otherwise call
    :func:`init_process_group` first, as in PyTorch.
    """
    _no_subgroups(group, "get_rank")
    return _group("get_rank").rank


def get_world_size(group: Any = None) -> int:
    """The number of processes in the group (``mpirun -n N``: N)."""
    _no_subgroups(group, "get_world_size")
    return _group("get_world_size").size


def get_backend(group: Any = None) -> str:
    """The backend's name: ``"mpi"``."""
    _no_subgroups(group, "get_backend")
    _group("get_backend")
    return "mpi"


def _no_subgroups(group: Any, who: str) -> None:
    if group is not None:
        raise ValueError(f"{who}: only the default group (group=None) exists in chainrule; "
                         "leave group out")


def destroy_process_group(group: Any = None) -> None:
    """Leave the default group: free its communicator and remove the abort hook.

    MPI itself is finalized when the process exits (mpi4py does it), so a later
    :func:`init_process_group` in the same process joins the same world again.

    >>> import chainrule.distributed as dist
    >>> if not dist.is_initialized():
    ...     dist.init_process_group("mpi")
    >>> dist.destroy_process_group()
    >>> dist.is_initialized()
    False
    >>> dist.destroy_process_group()  # nothing left to destroy: no error
    """
    _no_subgroups(group, "destroy_process_group")
    with _lock:
        live = _state["group"]
        if live is None:
            return
        _state["group"] = None
        hook = _state["hook"]
        if hook is not None and sys.excepthook is hook[0]:
            sys.excepthook = hook[1]
        _state["hook"] = None
        try:
            live.comm.Free()
        except Exception:  # an aborted or broken communicator: nothing left to free
            pass


def _wait(request: Any, what: str, group: _Group, timeout: float | None = None) -> None:
    """Wait for ``request`` at most ``timeout`` seconds (default: the group's), driving
    MPI's progress engine.

    Spins on ``Test`` at first (the common, short waits), then yields the core and
    finally sleeps briefly between tests, so a long wait does not starve other work.
    """
    if request.Test():
        return
    limit = group.timeout if timeout is None else timeout
    start = time.monotonic()
    deadline = start + limit
    spins = 0
    while not request.Test():
        spins += 1
        if spins < 2000:
            continue
        now = time.monotonic()
        if now > deadline:
            raise DistBackendError(
                f"{what} timed out after {limit:g} s on rank {group.rank} of "
                f"{group.size}: another rank has not joined it (failed, stuck, or running "
                "different collectives)")
        time.sleep(0 if now - start < 0.05 else 0.0005)
