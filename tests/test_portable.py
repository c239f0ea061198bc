"""The maintainer's portability check (scripts/portable.py, `make portable`) on the nbval fixtures.

It runs the fixtures under OpenBLAS's generic SSE kernel in a subprocess of the script; the tests
themselves, and every other test, keep the machine's own BLAS settings.
"""
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                                reason="the OpenBLAS kernel names are x86 ones")


def portable(*args):
    return subprocess.run([sys.executable, "scripts/portable.py", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_a_table_row_per_kernel_and_thread_count_with_the_kernel_that_ran():
    result = portable("--kernels", "Prescott", "--threads", "1,2", "--workers", "1",
                      str(FIXTURES / "fresh.ipynb"))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.rsplit("|", 2)[0] for line in result.stdout.splitlines() if line.startswith("| Prescott")]
    # kernel asked, threads, kernel that ran (OpenBLAS calls its generic set "Katmai"), passed, failed
    assert rows == ["| Prescott | 1 | Katmai x1 | 3 | 0 ", "| Prescott | 2 | Katmai x2 | 3 | 0 "]
    assert "Every stored output" in result.stdout


def test_a_stale_output_is_reported_by_cell_and_fails_the_check():
    result = portable("--kernels", "Prescott", "--threads", "1", "--workers", "1",
                      str(FIXTURES / "fresh.ipynb"), str(FIXTURES / "stale.ipynb"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "| Prescott | 1 | Katmai x1 | 5 | 1 |" in result.stdout
    assert "FAILED under Prescott x1: stale.ipynb::Cell" in result.stdout


def test_an_unknown_or_unrunnable_kernel_is_named():
    result = portable("--kernels", "NoSuchCPU", "--threads", "1", "--workers", "1",
                      str(FIXTURES / "fresh.ipynb"))
    assert result.returncode == 1
    assert "kernel NoSuchCPU was asked for, OpenBLAS ran" in result.stdout
