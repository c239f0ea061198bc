"""Remove the per-cell execution timestamps (cell metadata "execution") from notebooks, in place.

    python scripts/strip_execution_times.py chapters/01_python_numpy.ipynb ...

`make execute` runs it after executing a notebook, so that a re-run that changes no output
changes no file. A notebook without timestamps is left untouched (not even rewritten).
"""
import sys

import nbformat

from nnlib.files import atomic_write


def strip(path):
    """Drop every cell's "execution" metadata; return True if the file had any and was rewritten."""
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    found = [cell.metadata.pop("execution") for cell in notebook.cells if "execution" in cell.metadata]
    if found:
        with atomic_write(path, "w") as f:
            nbformat.write(notebook, f)
    return bool(found)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        strip(name)
