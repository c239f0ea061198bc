"""Live or static: which way a figure is shown (see :mod:`nnlib.figures`)."""
import os
import sys

ENV_VAR = "NNBOOK_FIGURES"
MODES = ("live", "static", "auto")


def _get_ipython():
    """The running IPython shell (terminal or kernel), or None in plain Python."""
    ipython = sys.modules.get("IPython")  # never import IPython just to find out
    return ipython.get_ipython() if ipython is not None else None


def _ipython_kernel():
    """The running IPython shell if we are inside a Jupyter kernel, else None."""
    shell = _get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def _have_ipywidgets():
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_mode(mode=None):
    """Return "live" or "static" for the requested `mode` (see the module docstring)."""
    source = "mode="
    if mode is None:
        mode, source = os.environ.get(ENV_VAR, "").strip() or "auto", f"${ENV_VAR}"
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in MODES:
        raise ValueError(f"interactive_figure: {source} must be one of {MODES}, received {mode!r}.")
    if mode == "auto":
        return "live" if _ipython_kernel() is not None and _have_ipywidgets() else "static"
    if mode == "live" and not _have_ipywidgets():
        raise ValueError("interactive_figure: live mode needs ipywidgets; install it "
                         "(pip install ipywidgets) or use mode='static'.")
    return mode
