"""Run by tests/test_distributed.py under ``mpirun -n 2``: ways for one rank to fail.

``python failures.py MODE [DIR]`` with MODE one of:

- ``unused``: a parameter takes no part in the forward (no find_unused_parameters);
- ``raise``: rank 1 raises in the middle of epoch 2 of ``fit(..., out=DIR)``;
- ``timeout``: rank 1 sleeps while rank 0 waits in a barrier with a 2 s timeout;
- ``kill``: rank 1 is killed (SIGKILL) while rank 0 waits in an allreduce.

Every mode must end the whole job quickly, with a non-zero exit status.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.nn.parallel import DistributedDataParallel as DDP

FAIL_AT_STEP = 6  # with 128 samples in batches of 32: the 2nd step of epoch 2


class Failing(nn.Module):
    """Passes its input through; on rank 1, raises at the FAIL_AT_STEP-th training call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            if dist.get_rank() == 1 and self.calls == FAIL_AT_STEP:
                raise RuntimeError("injected failure in the forward")
        return x


def model() -> nn.Module:
    """The model of the ``raise`` mode (test_distributed resumes it without Failing)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10), Failing())


def main() -> None:
    mode = sys.argv[1]
    if mode == "timeout":
        dist.init_process_group("mpi", timeout=2)
    if mode == "unused":
        class WithSpare(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.used = nn.Linear(4, 2)
                self.spare = nn.Linear(4, 2)

            def forward(self, x):
                return self.used(x)

        ddp = DDP(WithSpare())
        loss = F.cross_entropy(ddp(cr.randn(3, 4)), cr.tensor([0, 1, 0]))
        loss.backward()
    elif mode == "raise":
        from chainrule.data import Subset, load_digits
        from chainrule.train import fit

        cr.manual_seed(0)
        train, test = load_digits()
        fit(model(), Subset(train, range(128)), Subset(test, range(64)), epochs=3,
            batch_size=32, lr=1e-2, out=sys.argv[2], progress=False)
    elif mode == "timeout":
        if dist.get_rank() == 1:
            time.sleep(60)
        dist.barrier()
    elif mode == "kill":
        for step in range(10_000):
            if dist.get_rank() == 1 and step == 20:
                os.kill(os.getpid(), signal.SIGKILL)
            dist.all_reduce(np.ones(1000))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
