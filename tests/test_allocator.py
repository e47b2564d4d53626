"""chainrule.allocator: glibc keeps freed array memory, so a step's arrays don't page-fault anew."""

import os
import subprocess
import sys
import textwrap

import pytest

GLIBC = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None

# Minor page faults of a step's worth of arrays, made and dropped 10 times after a warm-up:
# sixteen 2 MiB arrays alive at once, as in a forward pass, then all freed. glibc's own
# rules give the freed top of the heap back to the kernel (above its trim threshold), so
# the next step's arrays fault in every page again.
FAULTS = textwrap.dedent("""
    import resource, numpy as np
    {setup}
    def churn():
        for _ in range(10):
            step = [np.ones(1 << 18) for _ in range(16)]
            del step
    churn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    churn()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES",
                                                          "CHAINRULE_KEEP_FREED_MEMORY")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**clean, **env}, timeout=120, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_import_keeps_freed_memory_and_arrays_stop_page_faulting():
    kept = int(_run(FAULTS.format(setup="import chainrule")))
    plain = int(_run(FAULTS.format(setup="")))
    # 10 x 32 MiB of fresh memory faults in about 10 * 8192 pages (fewer where the kernel
    # hands out huge pages); reused memory in none
    assert plain >= 100
    assert kept < 1024 and kept * 10 < plain


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_the_user_can_opt_out_or_choose_their_own_malloc_settings():
    code = "import chainrule as cr; print(cr.allocator.freed_memory_kept())"
    assert _run(code) == "True"
    assert _run(code, CHAINRULE_KEEP_FREED_MEMORY="0") == "False"
    assert _run(code, MALLOC_TRIM_THRESHOLD_="131072") == "False"
    faults = int(_run(FAULTS.format(setup="import chainrule"), CHAINRULE_KEEP_FREED_MEMORY="0"))
    assert faults >= 100


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_keep_freed_memory_can_be_switched_off_again():
    setup = ("import chainrule as cr\nassert cr.allocator.keep_freed_memory(False)\n"
             "assert not cr.allocator.freed_memory_kept()")
    code = FAULTS.format(setup=setup)
    assert int(_run(code)) >= 100
