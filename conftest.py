"""pytest settings for the whole repository (also when a single notebook is checked by hand)."""
import os

import pytest

# Stored notebook outputs hold static (precomputed-frame) sliders, so notebooks are re-run in the
# same mode when checked; `make test` sets the same variable.
os.environ.setdefault("NNBOOK_FIGURES", "static")


def pytest_collection_modifyitems(items):
    # `-m notebook` selects the cells of the chapters (strict nbval); scripts/portable.py uses it.
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
