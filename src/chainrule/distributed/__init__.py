"""chainrule.distributed: data-parallel training over MPI, with torch.distributed's names.

Start the processes with an MPI launcher, one per core (or per node):

    mpirun -n 4 python train.py          # a laptop or workstation
    srun --mpi=pmix -n 64 python train.py  # a Slurm cluster

and in ``train.py`` wrap the model in :class:`chainrule.nn.parallel.DistributedDataParallel`
and give the DataLoader a :class:`chainrule.data.DistributedSampler`. The group is
joined by :func:`init_process_group` (or on first use, under mpirun/srun). MPI comes
from mpi4py, imported only when a group is made: ``pip install "chainrule[mpi]"``.

>>> import chainrule.distributed as dist
>>> dist.ReduceOp.AVG.name, dist.is_available()
('AVG', True)
"""

from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    reduce_scatter,
)
from .process_group import (
    DistBackendError,
    DistError,
    abort,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    launched_world_size,
)

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "is_mpi_available", "get_rank", "get_world_size", "get_backend",
           "launched_world_size", "abort", "ReduceOp", "Work", "all_reduce", "broadcast",
           "all_gather", "reduce_scatter", "barrier", "broadcast_object_list",
           "all_gather_object", "DistError", "DistBackendError", "default_pg_timeout"]
