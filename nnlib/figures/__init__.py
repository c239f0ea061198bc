"""Interactive figures: one call, live sliders in Jupyter and working sliders in the static web book.

A chapter writes a drawing function and lists its parameters::

    from nnlib.figures import Slider, interactive_figure

    def draw(fig, lr, steps):
        ax = fig.add_subplot()
        ...                                   # plot on `fig`, never with plt.*

    interactive_figure(draw,
                       lr=Slider(0.001, 10.0, default=0.1, steps=21, log=True, label="learning rate η"),
                       steps=Slider(1, 50, default=10, integer=True),
                       figsize=(6, 4), name="descent-path")

Two ways of showing the same figure
-----------------------------------
* **live**: ipywidgets sliders under an image of the figure. Moving a slider calls ``draw`` for the
  new values, unless that frame was drawn before (frames are cached by their values).
* **static**: every frame of a grid of slider values is drawn in advance, stored as PNG inside the
  notebook output, and a few lines of inline JavaScript swap the image when the ``<input
  type="range">`` moves. This needs no kernel and no network, so it works in the published book.

How the mode is chosen (first match wins):

1. the ``mode=`` argument of :func:`interactive_figure` (``"live"``, ``"static"`` or ``"auto"``);
2. the environment variable ``NNBOOK_FIGURES`` (``static``, ``live`` or ``auto``); the book's
   ``make execute`` and ``make test`` set ``NNBOOK_FIGURES=static``, so the stored outputs and the
   published pages hold static frames;
3. ``auto``: live when running inside a Jupyter kernel with ipywidgets installed (a reader in
   JupyterLab or Notebook), static otherwise (plain ``python``, scripts, tests).

Diverging values
----------------
If ``draw`` raises an ``ArithmeticError`` (``nnlib.train.DivergenceError`` is one,
``FloatingPointError`` and ``OverflowError`` too), or plots data that contains NaN or infinity, or
fails after NumPy reported an overflow or invalid value, the frame shows a readable "diverged"
message instead. NumPy's floating-point warnings are silenced while ``draw`` runs: the figure says it.
To leave deliberate gaps in a line, use a masked array with finite values underneath; NaN counts
as divergence.

Checking every figure
---------------------
In static mode every frame is drawn when the cell runs, and each frame is checked: ``draw`` returned,
drew at least one artist, and all plotted numbers are finite (or the frame shows "diverged").
Any other exception is raised with a note naming the figure and the values; a figure whose *default*
values diverge is an error too. The static grid always contains the minimum, maximum and default of
every slider, so running a chapter under ``NNBOOK_FIGURES=static`` (as ``make test`` does with nbval)
tests every figure the chapter registers, with no hand-kept list.

This package is the book's presentation layer, one module per concern: ``sliders`` (the slider
grids), ``mode`` (live or static), ``frames`` (drawing a frame and detecting divergence), ``png``
(compact PNG frames), ``viewer`` (the static grid and its HTML; the JavaScript is ``viewer.js``)
and ``figure`` (the figure object, its live widget, and :func:`interactive_figure`). It needs
matplotlib (and Pillow, which comes with it) and, for live mode, ipywidgets, imported only when a
figure is drawn. The numerical core of ``nnlib`` does not import it.
"""
from .figure import InteractiveFigure, interactive_figure
from .frames import Frame, draw_frame
from .mode import ENV_VAR, MODES, resolve_mode
from .sliders import Slider
from .viewer import static_grid

__all__ = ["Slider", "InteractiveFigure", "Frame", "interactive_figure", "resolve_mode", "draw_frame",
           "static_grid", "ENV_VAR", "MODES"]
