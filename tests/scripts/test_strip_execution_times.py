"""scripts/strip_execution_times.py: `make execute` leaves no per-cell timestamps behind."""
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from strip_execution_times import strip  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fresh.ipynb"


def test_timestamps_go_and_nothing_else_changes(tmp_path):
    path = tmp_path / "nb.ipynb"
    shutil.copy(FIXTURE, path)
    before = nbformat.read(path, as_version=4)
    assert any("execution" in cell.metadata for cell in before.cells)      # the fixture has some
    assert strip(path)
    after = nbformat.read(path, as_version=4)
    for cell in before.cells:
        cell.metadata.pop("execution", None)
    assert after == before
    written = path.read_bytes()
    assert not strip(path) and path.read_bytes() == written                  # a second run: no change
