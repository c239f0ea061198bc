"""scripts/memory.py, keep_freed_memory: freed blocks are reused instead of page-faulted in again.

Each check runs in a fresh Python process, because the setting applies to the whole process.
"""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))
from memory import keep_freed_memory  # noqa: E402

SCRIPT = textwrap.dedent("""
    import resource, sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from memory import keep_freed_memory
    applied = keep_freed_memory() if sys.argv[1] == "keep" else None
    sizes = [7, 3, 12, 5, 9, 1]            # MB, like the arrays of one training step
    def step():
        arrays = [np.ones(mb * 2**18, np.float32) for mb in sizes]   # touches every page
        del arrays
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        step()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
    print(applied, faults, sum(sizes) * 256)  # page faults per step, 4 kB pages touched per step
""")


def run(mode):
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(SCRIPTS)], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0], float(out[1]), int(out[2])


def test_freed_arrays_are_reused_without_page_faults():
    applied, faults, pages = run("keep")
    if applied != "True":
        pytest.skip("the C library is not glibc: keep_freed_memory() does nothing here")
    assert faults < 0.01 * pages, f"{faults} page faults per step for {pages} pages touched"


def test_keep_freed_memory_checks_its_argument():
    for bad in (0, -1, 2**31, 1.5, "1G"):
        with pytest.raises(ValueError, match="threshold"):
            keep_freed_memory(bad)
