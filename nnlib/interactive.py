"""Interactive figures: one call, live sliders in Jupyter and working sliders in the static web book.

A chapter writes a drawing function and lists its parameters::

    from nnlib.interactive import Slider, interactive_figure

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

This module is the book's presentation layer: it needs matplotlib (and Pillow, which comes with it)
and, for live mode, ipywidgets. The numerical core of ``nnlib`` does not import it.
"""
import base64
import copy
import html
import inspect
import io
import json
import math
import numbers
import os
import re
import sys
import textwrap
import time
from collections import OrderedDict
from itertools import product

import numpy as np

from .files import atomic_write

__all__ = ["Slider", "InteractiveFigure", "Frame", "interactive_figure", "resolve_mode"]

ENV_VAR = "NNBOOK_FIGURES"
MODES = ("live", "static", "auto")

DEFAULT_FLOAT_STEPS = 21
DEFAULT_MAX_INTEGER_STEPS = 51


# --------------------------------------------------------------------------------------------
# Sliders
# --------------------------------------------------------------------------------------------

def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _plain(value):
    """NumPy scalars -> Python scalars (so values hash, compare and print the same way)."""
    return value.item() if isinstance(value, np.generic) else value


def _round_grid(grid, keep):
    """Round the float values of `grid` to the fewest significant digits (at least 3) that keep
    them distinct, so the draw function and the labels see 0.00158 rather than 0.001584893...
    Values in `keep` (min, max, default) stay exactly as the author wrote them."""
    for digits in range(3, 17):
        rounded = [v if v in keep else float(f"{v:.{digits}g}") for v in grid]
        if len(set(rounded)) == len(grid):
            return rounded
    return list(grid)


class Slider:
    """One parameter of an interactive figure: the values a reader can choose and the default.

    Either a range ``Slider(min, max, default=..., steps=..., log=False, integer=False)``, giving
    ``steps`` evenly spaced values (evenly spaced exponents if ``log``; whole numbers if
    ``integer``), or an explicit list ``Slider(values=[...], default=...)`` (numbers or strings).

    The grid always contains ``min``, ``max`` and ``default``: a default between two grid points
    replaces the nearest inner point. ``label`` is shown next to the slider (default: the keyword
    name); ``fmt`` is a format spec for the displayed values, e.g. ``".2f"``.
    ``steps`` defaults to 21 for floats and to every whole number (at most 51) for integers;
    ``default`` to the first value.

    Attributes: ``values`` (tuple), ``default``, ``default_index``, ``label`` (None until named).
    """

    def __init__(self, min=None, max=None, *, default=None, steps=None, log=False, integer=False,
                 label=None, values=None, fmt=None):
        if values is not None:
            if min is not None or max is not None or steps is not None or log or integer:
                raise ValueError(
                    "Slider: give either values=[...] or a range (min, max, steps, log, integer), "
                    f"not both; received values={values!r} together with min={min!r}, max={max!r}, "
                    f"steps={steps!r}, log={log!r}, integer={integer!r}.")
            grid = self._check_values(values)
        else:
            grid = self._make_range(min, max, default, steps, log, integer)
        default = grid[0] if default is None else _plain(default)
        if default not in grid:  # (a range always holds its default: _make_range puts it there)
            raise ValueError(f"Slider: default={default!r} is not one of values={list(grid)!r}; "
                             "pick the default from the list.")
        default = grid[grid.index(default)]  # the grid's own value: 1.0, not 1, on a float slider
        if fmt is not None:
            try:
                format(grid[0], fmt)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"Slider: fmt={fmt!r} cannot format the value {grid[0]!r} ({exc}); "
                                 "give a format spec such as '.3g' or '.2f'.") from None
        if label is not None and not isinstance(label, str):
            raise ValueError(f"Slider: label must be a string, received {label!r}.")
        self.values = tuple(grid)
        self.default = default
        self.default_index = self.values.index(default)
        self.label = label
        self.fmt = fmt

    @staticmethod
    def _check_values(values):
        grid = [_plain(v) for v in values]
        if len(grid) < 2:
            raise ValueError(f"Slider: values needs at least two entries, received {values!r}.")
        for v in grid:
            if not (_is_real(v) or isinstance(v, (str, bool))):
                raise ValueError(f"Slider: values must be numbers or strings, received {v!r} "
                                 f"of type {type(v).__name__}.")
            if _is_real(v) and not math.isfinite(v):
                raise ValueError(f"Slider: values must be finite, received {v!r}.")
        if len(set(grid)) != len(grid):
            raise ValueError(f"Slider: values must be distinct, received {values!r}.")
        return grid

    @staticmethod
    def _make_range(low, high, default, steps, log, integer):
        if low is None or high is None:
            raise ValueError("Slider: give a range Slider(min, max, default=...) or an explicit list "
                             f"Slider(values=[...]); received min={low!r}, max={high!r}.")
        given = [("min", low), ("max", high)] + ([("default", default)] if default is not None else [])
        for what, v in given:
            if not _is_real(v) or not math.isfinite(v):
                raise ValueError(f"Slider: {what} must be a finite number, received {v!r}.")
        if not low < high:
            raise ValueError(f"Slider: min must be smaller than max, received min={low!r}, max={high!r}.")
        if log and low <= 0:
            raise ValueError(f"Slider: a log slider needs min > 0, received min={low!r}.")
        if integer:
            for what, v in given:
                if v != int(v):
                    raise ValueError(f"Slider: an integer slider needs whole numbers, received {what}={v!r}.")
            low, high = int(low), int(high)
            default = None if default is None else int(default)
        elif default is not None:
            default = float(default)
        if default is not None and not low <= default <= high:
            raise ValueError(f"Slider: default={default!r} lies outside the range [{low!r}, {high!r}]; "
                             "choose a default between min and max.")
        if steps is None:
            steps = min(high - low + 1, DEFAULT_MAX_INTEGER_STEPS) if integer else DEFAULT_FLOAT_STEPS
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 2:
            raise ValueError(f"Slider: steps must be a whole number >= 2, received steps={steps!r}.")
        steps = int(steps)

        if log:
            raw = np.logspace(np.log10(low), np.log10(high), steps)
        else:
            raw = np.linspace(low, high, steps)
        if integer:
            grid = sorted(set(int(round(v)) for v in raw) | {low, high})
        else:
            grid = [float(v) for v in raw]
            grid[0], grid[-1] = float(low), float(high)
        if default is not None and default not in grid:
            # Replace the nearest inner grid point by the default (or insert it, if the nearest
            # point is an end of the range), so min, max and default are always on the grid.
            scale = math.log if log else float
            inner = range(1, len(grid) - 1)
            nearest = min(inner, key=lambda i: abs(scale(grid[i]) - scale(default)), default=None)
            if nearest is None:
                grid.append(default)
            else:
                grid[nearest] = default
            grid = sorted(set(grid))
        if not integer:
            keep = {float(low), float(high)} | ({float(default)} if default is not None else set())
            grid = _round_grid(grid, keep)
        return grid

    def format(self, value):
        """The text shown for `value` next to the slider."""
        if self.fmt is not None:
            return format(value, self.fmt)
        if isinstance(value, float):
            return f"{value:.6g}"
        return str(value)

    def __repr__(self):
        return (f"Slider(values=[{self.format(self.values[0])} .. {self.format(self.values[-1])}] "
                f"({len(self.values)} values), default={self.default!r}, label={self.label!r})")


# --------------------------------------------------------------------------------------------
# Mode
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Drawing and checking one frame
# --------------------------------------------------------------------------------------------

class Frame:
    """One rendered frame: `png` (bytes), `status` ("ok", "diverged" or "error") and `message`."""

    __slots__ = ("png", "status", "message")

    def __init__(self, png, status, message=""):
        self.png, self.status, self.message = png, status, message

    def __repr__(self):
        return f"Frame({self.status!r}, {len(self.png)} bytes, message={self.message!r})"


def _non_finite(array):
    """True if the numeric `array` holds NaN or infinity (masked entries included: matplotlib
    masks NaN itself, so a NaN underneath a mask still counts). Non-numeric data (dates,
    category strings) is not checked."""
    if array is None:
        return False
    data = np.ma.getdata(array)
    if not isinstance(data, np.ndarray):
        try:
            data = np.asarray(data, dtype=float)
        except (TypeError, ValueError):
            return False
    if data.dtype.kind not in "fc":
        if data.dtype.kind != "O":
            return False
        try:
            data = data.astype(float)
        except (TypeError, ValueError):
            return False
    return not np.all(np.isfinite(data))


def _artist_arrays(artist):
    """The numeric arrays an artist plots (the data checked for NaN and infinity)."""
    from matplotlib.collections import Collection, QuadMesh
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(artist, Line2D):
        return [artist.get_xdata(orig=True), artist.get_ydata(orig=True)]
    if isinstance(artist, QuadMesh):
        return [artist.get_coordinates(), artist.get_array()]
    if isinstance(artist, Collection):
        return ([artist.get_offsets(), artist.get_array()]
                + [path.vertices for path in artist.get_paths()])
    if isinstance(artist, AxesImage):
        return [artist.get_array()]
    if isinstance(artist, Patch):
        try:  # the patch's corners in data coordinates (a bar of height NaN has NaN corners)
            return [artist.get_patch_transform().transform(artist.get_path().vertices)]
        except Exception:  # patches placed in display coordinates (arrows) are not checked
            return []
    return []


def _describe(artist):
    label = artist.get_label()
    kind = type(artist).__name__
    return f"{kind} {label!r}" if label and not label.startswith("_") else kind


def _inspect_figure(fig):
    """Return (number of artists drawn, description of the first artist with non-finite data)."""
    kinds = ("lines", "collections", "images", "patches", "texts", "tables", "artists")
    count, bad = 0, None
    for owner in [fig] + list(fig.axes):
        for kind in kinds:
            for artist in getattr(owner, kind, []):
                count += 1
                if bad is None and any(_non_finite(a) for a in _artist_arrays(artist)):
                    bad = _describe(artist)
    return count, bad


def _new_figure(figsize, dpi, layout=None):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    # A Figure made directly (not through pyplot) is never shown by the notebook on its own
    # and is freed with the last reference: no figure pile-up.
    fig = Figure(figsize=figsize, dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _png_bytes(fig):
    """Render `fig` as a compact, byte-stable PNG.

    The Agg pixels are reduced to a 256-colour palette (plots have few colours; this makes the
    file about 3 times smaller than matplotlib's own PNG) and saved without any timestamp or
    software tag, so the same figure always gives the same bytes.
    """
    from PIL import Image
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba()))
    white = Image.new("RGBA", image.size, "white")       # a transparent figure on white paper
    image = Image.alpha_composite(white, image).convert("RGB")
    # MAXCOVERAGE keeps white exactly white and every pixel within a few levels of the original
    palette = image.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG")
    return out.getvalue()


def _values_text(sliders, values):
    return ", ".join(f"{s.label} = {s.format(values[n])}" for n, s in sliders.items())


def _message_figure(fig, headline, values_text, detail, color):
    """Replace whatever `fig` holds by a readable message (used for diverged and failed frames)."""
    fig.clear()
    fig.set_layout_engine("none")     # the message fills the figure; no layout engine needed
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.text(0.5, 0.62, headline, ha="center", va="center", fontsize=22, color=color, weight="bold")
    ax.text(0.5, 0.47, values_text, ha="center", va="center", fontsize=11)
    detail = textwrap.shorten(detail, 240, placeholder=" ...")
    ax.text(0.5, 0.36, "\n".join(textwrap.wrap(detail, 64)), ha="center", va="top", fontsize=9,
            color="0.35")


def _divergence(exc, fp_events):
    """Why `exc` counts as divergence, or None if it is a plain error (a bug to report)."""
    if isinstance(exc, ArithmeticError):
        return f"{type(exc).__name__}: {exc}"
    serious = sorted(set(e for e in fp_events if e in ("overflow", "invalid value")))
    if serious:  # the numbers blew up first, and something failed because of it
        return f"NumPy reported {' and '.join(serious)}, then {type(exc).__name__}: {exc}"
    return None


def draw_frame(draw, values, sliders, *, figsize, dpi, layout=None):
    """Call ``draw(fig, **values)`` on a fresh figure and return a checked :class:`Frame`.

    ArithmeticError, non-finite plotted data, or any failure after NumPy reported an overflow or
    invalid value -> a "diverged" frame. Any other exception propagates (with a note naming the
    values). A draw that leaves the figure empty raises ValueError.
    """
    fig = _new_figure(figsize, dpi, layout)
    fp_events = []
    # NumPy calls `record` instead of printing a RuntimeWarning; the frame will say what happened.
    record = lambda kind, flag: fp_events.append(kind)  # noqa: E731
    errstate = dict(call=record, over="call", invalid="call", divide="ignore", under="ignore")
    detail = None
    try:
        with np.errstate(**errstate):
            draw(fig, **values)
        count, bad = _inspect_figure(fig)
        if bad is not None:
            detail = f"the plotted data contains NaN or infinity ({bad})"
            if fp_events:
                detail += f"; NumPy reported {' and '.join(sorted(set(fp_events)))}"
        elif count == 0:
            raise ValueError(
                f"draw({_values_text(sliders, values)}) drew nothing on the figure it received. "
                "Draw on that figure (ax = fig.add_subplot(); ax.plot(...)), not with plt.*.")
        else:
            with np.errstate(**errstate):
                return Frame(_png_bytes(fig), "ok")      # matplotlib may still fail on huge values
    except Exception as exc:
        detail = _divergence(exc, fp_events)
        if detail is None:
            exc.add_note(f"(while drawing the interactive figure with {_values_text(sliders, values)})")
            raise
    _message_figure(fig, "diverged", _values_text(sliders, values), detail, "tab:red")
    return Frame(_png_bytes(fig), "diverged", detail)


# --------------------------------------------------------------------------------------------
# The static grid and its HTML viewer
# --------------------------------------------------------------------------------------------

def _subset(n, default_index, k):
    """Indices of about `k` of `n` grid values, evenly spread, always with 0, n-1 and the default."""
    if k >= n:
        return list(range(n))
    chosen = sorted({int(round(i)) for i in np.linspace(0, n - 1, k)})
    if default_index not in chosen:  # the nearest inner point gives way to the default
        inner = chosen[1:-1]
        if inner:
            chosen.remove(min(inner, key=lambda i: abs(i - default_index)))
        chosen = sorted(chosen + [default_index])
    return chosen


def static_grid(sliders, max_frames):
    """For each slider, the indices of its values drawn in static mode (at most about
    `max_frames` frames in all; the largest slider is thinned first)."""
    counts = [len(s.values) for s in sliders]
    defaults = [s.default_index for s in sliders]
    keep = list(counts)
    while True:
        subsets = [_subset(n, d, k) for n, d, k in zip(counts, defaults, keep)]
        if math.prod(len(s) for s in subsets) <= max_frames:
            return subsets
        largest = max(range(len(keep)), key=lambda i: len(subsets[i]))
        if len(subsets[largest]) <= 3:
            return subsets
        keep[largest] = min(keep[largest], len(subsets[largest])) - 1


_VIEWER_JS = """(function () {
  // Find this figure's elements (the script's parent), read the frames, swap the image on input.
  var root = document.currentScript ? document.currentScript.parentNode
                                    : document.getElementById("%(root_id)s");
  var data = JSON.parse(root.querySelector("script.nnbook-figure-data").textContent);
  var img = root.querySelector("img");
  var inputs = root.querySelectorAll("input[type=range]");
  var outputs = root.querySelectorAll("output");
  function show() {
    var frame = 0, parts = [];
    for (var i = 0; i < inputs.length; i++) {
      var j = Number(inputs[i].value), text = data.labels[i][j];
      frame = frame * data.labels[i].length + j;
      outputs[i].textContent = text;
      inputs[i].setAttribute("aria-valuetext", text);
      parts.push(data.names[i] + " = " + text);
    }
    img.src = "data:image/png;base64," + data.frames[data.index[frame]];
    img.alt = data.title + ": " + parts.join(", ") + (data.diverged[frame] ? " (diverged)" : "");
  }
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener("input", show);
})();"""


def _static_html(name, sliders, subsets, frames, size):
    """The self-contained viewer: default frame, one range input per slider, frames as JSON."""
    names = list(sliders)
    unique, index = [], []
    position = {}
    for frame in frames:
        if frame.png not in position:
            position[frame.png] = len(unique)
            unique.append(base64.b64encode(frame.png).decode("ascii"))
        index.append(position[frame.png])
    labels = [[sliders[n].format(sliders[n].values[i]) for i in subset]
              for n, subset in zip(names, subsets)]
    start = [subset.index(sliders[n].default_index) for n, subset in zip(names, subsets)]
    flat = 0
    for j, subset in zip(start, subsets):
        flat = flat * len(subset) + j
    data = {"title": name, "names": [sliders[n].label for n in names], "labels": labels,
            "frames": unique, "index": index, "diverged": [int(f.status != "ok") for f in frames]}
    # ensure_ascii keeps the JSON plain ASCII; "</" is escaped so no string can end the script tag
    payload = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("</", "<\\/")

    root_id = f"nnfig-{name}"
    esc = html.escape
    alt = f"{name}: {_values_text(sliders, {n: sliders[n].default for n in names})}"
    lines = [
        f'<div class="nnbook-figure" id="{root_id}" data-nnbook-figure="{esc(name)}">',
        f'<img src="data:image/png;base64,{unique[index[flat]]}" alt="{esc(alt)}" '
        f'width="{size[0]}" height="{size[1]}" style="max-width:100%;height:auto">',
    ]
    for n, subset, j, label_list in zip(names, subsets, start, labels):
        input_id = f"{root_id}-{n}"
        lines.append(
            '<div class="nnbook-figure-control" style="display:flex;align-items:center;gap:0.6em">'
            f'<label for="{input_id}" style="min-width:8em">{esc(sliders[n].label)}</label>'
            f'<input type="range" id="{input_id}" min="0" max="{len(subset) - 1}" step="1" '
            f'value="{j}" aria-valuetext="{esc(label_list[j])}" style="flex:1;max-width:24em">'
            f'<output for="{input_id}">{esc(label_list[j])}</output></div>')
    lines.append(f'<script type="application/json" class="nnbook-figure-data">{payload}</script>')
    lines.append(f"<script>\n{_VIEWER_JS % {'root_id': root_id}}\n</script>")
    lines.append("</div>")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The figure object
# --------------------------------------------------------------------------------------------

_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class InteractiveFigure:
    """An interactive figure in "live" or "static" mode; made by :func:`interactive_figure`.

    Useful attributes: ``mode``, ``name``, ``sliders`` (dict name -> Slider),
    ``render(**values)`` -> :class:`Frame` (cached), ``draw_calls`` and ``cache_hits`` (counters).
    Static mode: ``frames`` (list of Frame, row-major over ``grid``), ``grid`` (for each slider,
    the values drawn), ``html`` (the viewer), ``save_html(path)``.
    Live mode: ``widget`` (ipywidgets box), ``controls`` (dict name -> SelectionSlider),
    ``image`` (ipywidgets.Image).
    """

    def __init__(self, draw, sliders, *, name, figsize, dpi, mode, max_frames, max_bytes,
                 layout=None, cache_size=512):
        self.draw = draw
        self.sliders = sliders
        self.name = name
        self.figsize = figsize
        self.dpi = dpi
        self.layout = layout
        self.mode = mode
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.cache_size = cache_size
        self.draw_calls = 0
        self.cache_hits = 0
        self._cache = OrderedDict()
        self._shown_in = None
        if mode == "static":
            self._build_static()
        else:
            self._build_live()

    # -- shared ---------------------------------------------------------------------------
    def render(self, **values):
        """The frame for `values` (keyword per slider; each value must be one of its grid values)."""
        if set(values) != set(self.sliders):
            raise ValueError(f"render() needs exactly the slider values {sorted(self.sliders)}, "
                             f"received {sorted(values)}.")
        for n, v in values.items():
            if v not in self.sliders[n].values:
                raise ValueError(f"render(): {n}={v!r} is not on the slider's grid "
                                 f"{list(self.sliders[n].values)!r}.")
        key = tuple(values[n] for n in self.sliders)
        if key in self._cache:
            self.cache_hits += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        self.draw_calls += 1
        frame = draw_frame(self.draw, {n: values[n] for n in self.sliders}, self.sliders,
                           figsize=self.figsize, dpi=self.dpi, layout=self.layout)
        self._cache[key] = frame
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return frame

    def defaults(self):
        return {n: s.default for n, s in self.sliders.items()}

    # -- static ---------------------------------------------------------------------------
    def _build_static(self):
        from PIL import Image
        names = list(self.sliders)
        self.grid_indices = static_grid([self.sliders[n] for n in names], self.max_frames)
        self.grid = [[self.sliders[n].values[i] for i in subset]
                     for n, subset in zip(names, self.grid_indices)]
        self.frames = []
        for combo in product(*self.grid):
            self.frames.append(self.render(**dict(zip(names, combo))))
        default_frame = self.render(**self.defaults())
        if default_frame.status != "ok":
            raise ValueError(
                f"interactive figure {self.name!r}: the default values "
                f"({_values_text(self.sliders, self.defaults())}) diverged: {default_frame.message}. "
                "Choose defaults that show a working figure.")
        self.default_png = default_frame.png
        size = Image.open(io.BytesIO(default_frame.png)).size
        self.html = _static_html(self.name, self.sliders, self.grid_indices, self.frames, size)
        nbytes = len(self.html.encode("utf-8"))
        if nbytes > self.max_bytes:
            raise ValueError(
                f"interactive figure {self.name!r}: the static page weight is {nbytes / 1e6:.2f} MB "
                f"for {len(self.frames)} frames, above max_bytes={self.max_bytes / 1e6:.2f} MB. "
                "Use fewer steps, a smaller max_frames, figsize or dpi.")
        self._cache.clear()  # the frames live in self.frames; no need to keep them twice

    def summary(self):
        """One line: the sliders, the frames drawn and how many diverged (static), or the cache (live)."""
        names = " x ".join(self.sliders)
        full = " x ".join(str(len(s.values)) for s in self.sliders.values())
        if self.mode == "static":
            drawn = " x ".join(str(len(g)) for g in self.grid)
            diverged = sum(f.status != "ok" for f in self.frames)
            thinned = "" if drawn == full else f", thinned from {full}"
            count = f"{drawn} = {len(self.frames)}" if len(self.grid) == 2 else drawn
            return (f"interactive figure {self.name!r} (static): {names}: {count} frames{thinned}, "
                    f"{diverged} diverged")
        return (f"interactive figure {self.name!r} (live): {names}: {full} values, "
                f"{self.draw_calls} frames drawn, {self.cache_hits} from cache")

    def __repr__(self):
        return f"<{self.summary()}>"

    def page_html(self):
        """A standalone HTML page holding the static viewer (for checking it in a browser)."""
        if self.mode != "static":
            raise ValueError("page_html() needs a static figure; create it with mode='static'.")
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.name)}</title></head>\n<body>\n{self.html}\n</body></html>\n")

    def save_html(self, path):
        """Write :meth:`page_html` to `path` (atomically)."""
        with atomic_write(path, "w") as f:
            f.write(self.page_html())

    # -- live -----------------------------------------------------------------------------
    def _build_live(self):
        import ipywidgets as widgets
        self.controls = {}
        for n, s in self.sliders.items():
            self.controls[n] = widgets.SelectionSlider(
                options=[(s.format(v), v) for v in s.values], value=s.default,
                description=s.label, continuous_update=True,
                style={"description_width": "initial"}, layout=widgets.Layout(width="32em"))
        start = time.perf_counter()
        frame = self.render(**self.defaults())   # a real error in draw shows up in the cell here
        slow = time.perf_counter() - start > 0.25
        self.image = widgets.Image(value=frame.png, format="png",
                                   layout=widgets.Layout(max_width="100%", height="auto"))
        for control in self.controls.values():
            if slow:  # redraw on release instead of on every pixel of the drag
                control.continuous_update = False
            control.observe(self._on_change, names="value")
        self.last_error = None
        self.widget = widgets.VBox([self.image] + list(self.controls.values()))

    def _on_change(self, change):
        values = {n: c.value for n, c in self.controls.items()}
        try:
            frame = self.render(**values)
        except Exception as exc:  # no cell to raise into: show the error in the figure
            self.last_error = exc
            fig = _new_figure(self.figsize, self.dpi, self.layout)
            _message_figure(fig, "error", _values_text(self.sliders, values),
                            f"{type(exc).__name__}: {exc}", "black")
            frame = Frame(_png_bytes(fig), "error", str(exc))
        self.image.value = frame.png

    # -- display --------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.mode == "live":
            return self.widget._repr_mimebundle_(include=include, exclude=exclude)
        return {"text/plain": repr(self), "text/html": self.html,
                "image/png": base64.b64encode(self.default_png).decode("ascii")}

    def show(self):
        """Display the figure in the notebook (done automatically by interactive_figure)."""
        from IPython.display import display
        self._shown_in = getattr(_get_ipython(), "execution_count", None)
        if self.mode == "live":
            display(self.widget)
        else:
            display(self._repr_mimebundle_(), raw=True)

    def _ipython_display_(self):
        # interactive_figure() has already displayed the figure in this cell; when its return
        # value is the cell's last expression, do not show it a second time.
        shell = _get_ipython()
        if shell is not None and self._shown_in == shell.execution_count:
            return
        self.show()


# --------------------------------------------------------------------------------------------
# The one call chapters use
# --------------------------------------------------------------------------------------------

def interactive_figure(draw, /, *, name=None, figsize=(6.0, 4.0), mode=None, dpi=100,
                       max_frames=60, max_bytes=2_000_000, layout=None, show=True, **sliders):
    """Show ``draw(fig, **values)`` with one to three sliders; live in Jupyter, precomputed in the book.

    Parameters
    ----------
    draw : callable ``draw(fig, **values)`` drawing on the matplotlib ``Figure`` it receives (a new
        one for every frame; do not use ``plt``). It may raise ``ArithmeticError`` (e.g.
        ``nnlib.train.DivergenceError``) or plot NaN/inf: the frame then says "diverged".
    name : str, required; unique on the page, letters, digits, "-" and "_"; gives stable HTML ids.
    figsize : (width, height) in inches; dpi : pixels per inch of the frames.
    layout : matplotlib layout engine of each frame's Figure: None (fixed margins, the default:
        the axes stay in place from frame to frame), "constrained", "compressed" or "tight"
        (nothing clipped, but the axes may shift when tick labels change width).
    mode : "live", "static", "auto" or None (= environment variable NNBOOK_FIGURES, else "auto").
    max_frames : at most about this many frames are drawn in static mode (sliders are thinned,
        always keeping min, max and default); max_bytes : limit on the static HTML (2 MB).
    show : display the figure now when running in IPython (default True).
    **sliders : one, two or three ``Slider``s, passed to ``draw`` under these keyword names.

    Returns the :class:`InteractiveFigure` (already displayed; it is not shown twice when it is
    the cell's last expression).
    """
    if not callable(draw):
        raise ValueError(f"interactive_figure: draw must be a function draw(fig, **values), "
                         f"received {draw!r}.")
    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise ValueError("interactive_figure: name= must be a string of letters, digits, '-' or '_' "
                         f"starting with a letter, unique on the page; received {name!r}.")
    not_sliders = {k: v for k, v in sliders.items() if not isinstance(v, Slider)}
    if not_sliders:
        raise ValueError(f"interactive_figure: keyword arguments other than name, figsize, mode, dpi, "
                         f"max_frames, max_bytes, layout and show must be Sliders; "
                         f"received {not_sliders!r}.")
    if not 1 <= len(sliders) <= 3:
        raise ValueError(f"interactive_figure: give one, two or three sliders, received {len(sliders)} "
                         f"({', '.join(sliders) or 'none'}).")
    try:
        width, height = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise ValueError(f"interactive_figure: figsize must be (width, height) in inches, "
                         f"received {figsize!r}.") from None
    if not (0 < width <= 20 and 0 < height <= 20):
        raise ValueError(f"interactive_figure: figsize must be positive and at most 20 inches, "
                         f"received {figsize!r}.")
    if not _is_real(dpi) or not 20 <= dpi <= 300:
        raise ValueError(f"interactive_figure: dpi must be a number between 20 and 300, received {dpi!r}.")
    if not _is_real(max_bytes) or max_bytes <= 0:
        raise ValueError(f"interactive_figure: max_bytes must be a positive number, received {max_bytes!r}.")
    if layout not in (None, "constrained", "compressed", "tight"):
        raise ValueError(f"interactive_figure: layout must be None, 'constrained', 'compressed' or "
                         f"'tight', received {layout!r}.")
    if isinstance(max_frames, bool) or not isinstance(max_frames, numbers.Integral) or max_frames < 9:
        raise ValueError(f"interactive_figure: max_frames must be a whole number >= 9, "
                         f"received {max_frames!r}.")
    try:
        inspect.signature(draw).bind(None, **{n: s.default for n, s in sliders.items()})
    except TypeError as exc:
        raise ValueError(f"interactive_figure: draw must accept draw(fig, {', '.join(sliders)}); "
                         f"calling it that way fails: {exc}.") from None
    except ValueError:
        pass  # builtins without a signature: let the first call tell
    named = {}
    for key, slider in sliders.items():
        if slider.label is None:  # label it after its keyword, leaving the caller's Slider as it was
            slider = copy.copy(slider)
            slider.label = key
        named[key] = slider
    figure = InteractiveFigure(draw, named, name=name, figsize=(width, height), dpi=dpi,
                               mode=resolve_mode(mode), max_frames=int(max_frames),
                               max_bytes=max_bytes, layout=layout)
    if show and _get_ipython() is not None:
        figure.show()
    return figure
