"""The notebook check itself: strict nbval with our options passes a fresh notebook and fails a stale one."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytestmark = pytest.mark.slow


def run_nbval(notebook):
    # The same invocation as `make test` (its nbval options come from pyproject.toml's addopts).
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval", "-q", str(notebook)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name, passes", [("fresh.ipynb", True), ("stale.ipynb", False)])
def test_strict_nbval_detects_stale_outputs(name, passes):
    result = run_nbval(FIXTURES / name)
    summary = result.stdout.strip().splitlines()[-1]
    if passes:
        assert result.returncode == 0, result.stdout
        assert "3 passed" in summary
    else:
        assert result.returncode == 1, result.stdout
        assert "1 failed" in summary and "2 passed" in summary
        assert "mismatch" in result.stdout.lower()
