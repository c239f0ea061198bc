"""pytest settings for the whole repository (also when a single notebook is checked by hand)."""
import os

# Stored notebook outputs hold static (precomputed-frame) sliders, so notebooks are re-run in the
# same mode when checked; `make test` sets the same variable.
os.environ.setdefault("NNBOOK_FIGURES", "static")
