"""The old name of :mod:`nnlib.figures`, kept so that notebooks written before the split still run:
``from nnlib.interactive import Slider, interactive_figure`` imports the same objects."""
from .figures import *  # noqa: F403
from .figures import __all__  # noqa: F401
