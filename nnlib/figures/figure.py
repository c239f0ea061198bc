"""The figure object, live (ipywidgets) or static, and :func:`interactive_figure`, the one call
chapters use."""
import base64
import copy
import gc
import html
import inspect
import io
import numbers
import re
from collections import OrderedDict
from itertools import product

import numpy as np

from ..files import atomic_write
from .frames import Frame, _message_figure, _new_figure, _values_text, draw_frame
from .mode import _get_ipython, resolve_mode
from .sliders import Slider, _is_real
from .viewer import _static_html, static_grid

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
        values = {n: values[n] for n in self.sliders}
        if self.mode == "live":
            frame = live_frame(self.draw, values, self.sliders, figsize=self.figsize, dpi=self.dpi,
                               layout=self.layout, css_size=self.css_size)
        else:
            frame = draw_frame(self.draw, values, self.sliders, figsize=self.figsize, dpi=self.dpi,
                               layout=self.layout)
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
        previous = _LIVE.pop(self.name, None)
        if previous is not None:   # the cell ran again: free the old widgets (and their saved state)
            previous.close()
        _LIVE[self.name] = self
        self.css_size = _css_size(self.figsize, self.dpi, len(self.sliders))
        self.pixel_scale = LIVE_PIXEL_SCALE
        # Every slider's track starts at the same x: one label width for all of them.
        label_em = max(len(s.label) for s in self.sliders.values()) * 0.6 + 1.0
        self.controls, self.readouts, rows = {}, {}, []
        for n, s in self.sliders.items():
            self.controls[n] = widgets.SelectionSlider(
                options=[(s.format(v), v) for v in s.values], value=s.default,
                description=s.label, continuous_update=True, readout=False,
                style={"description_width": f"{label_em:.1f}em"},
                layout=widgets.Layout(width=f"{label_em + 22:.1f}em", max_width="100%"))
            # The value as plain text: read-only, and it looks it (no input box).
            self.readouts[n] = widgets.Label(value=s.format(s.default),
                                             layout=widgets.Layout(min_width="5em"))
            rows.append(widgets.HBox([self.controls[n], self.readouts[n]],
                                     layout=widgets.Layout(align_items="center")))
        frame = self.render(**self.defaults())   # a real error in draw shows up in the cell here
        width, height = self.css_size
        # The frame has pixel_scale x the CSS size in pixels (crisp on high-density screens) and is
        # shown at the CSS size, never stretched to the notebook's width.
        self.image = widgets.Image(value=frame.png, format="png", width=width, height=height,
                                   layout=widgets.Layout(width=f"{width}px", max_width="100%",
                                                         height="auto", object_fit="contain"))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.last_error = None
        self.widget = widgets.VBox([self.image] + rows,
                                   layout=widgets.Layout(align_items="flex-start"))

    def _on_change(self, change):
        values = {n: c.value for n, c in self.controls.items()}
        for n, s in self.sliders.items():
            self.readouts[n].value = s.format(values[n])
        try:
            frame = self.render(**values)
        except Exception as exc:  # no cell to raise into: show the error in the figure
            self.last_error = exc
            fig = _new_figure(self.figsize, self.dpi * self.pixel_scale, self.layout)
            _message_figure(fig, "error", _values_text(self.sliders, values),
                            f"{type(exc).__name__}: {exc}", "black")
            frame = Frame(_live_png(fig), "error", str(exc))
        self.image.value = frame.png
        gc.collect(1)       # the frames' figures, now that the reader sees the new one

    def close(self):
        """Close the live widgets (a figure drawn again under the same name replaces this one)."""
        if self.mode == "live":
            for row in self.widget.children:
                for w in getattr(row, "children", ()):
                    w.close()
                row.close()
            self.widget.close()

    # -- display --------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.mode == "live":
            # The widget, and beside it the default frame as a plain picture for every viewer
            # without the kernel's widgets (nbconvert, GitHub, an untrusted copy).
            data = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
            data["text/plain"] = repr(self)
            data["image/png"] = base64.b64encode(self.render(**self.defaults()).png).decode("ascii")
            width, height = self.css_size
            return data, {"image/png": {"width": width, "height": height}}
        return {"text/plain": repr(self), "text/html": self.html,
                "image/png": base64.b64encode(self.default_png).decode("ascii")}

    def show(self):
        """Display the figure in the notebook (done automatically by interactive_figure)."""
        from IPython.display import display
        self._shown_in = getattr(_get_ipython(), "execution_count", None)
        bundle = self._repr_mimebundle_()
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
        display(data, raw=True, metadata=metadata)

    def _ipython_display_(self):
        # interactive_figure() has already displayed the figure in this cell; when its return
        # value is the cell's last expression, do not show it a second time.
        shell = _get_ipython()
        if shell is not None and self._shown_in == shell.execution_count:
            return
        self.show()


def _named_sliders(sliders):
    """The sliders, each labelled after its keyword unless it has a label (the caller's Slider
    objects are left as they were)."""
    named = {}
    for key, slider in sliders.items():
        if slider.label is None:
            slider = copy.copy(slider)
            slider.label = key
        named[key] = slider
    return named


# Live frames have this many pixels per CSS pixel, so they are crisp on high-density (2x) screens;
# standard screens scale them down smoothly.
LIVE_PIXEL_SCALE = 2
# A live figure with its sliders fits a 1366x768 screen in JupyterLab: about 620 px of height are
# left under its menus, tabs and toolbar; each slider row takes about 34 px.
LIVE_MAX_HEIGHT = 600
SLIDER_ROW_HEIGHT = 34
_LIVE = {}   # name -> the live figure last shown under that name (in this kernel)


def _css_size(figsize, dpi, n_sliders):
    """The size (width, height) in CSS pixels a live figure is shown at: its own size at `dpi`,
    scaled down only if it would not fit a 1366x768 screen together with its sliders."""
    width, height = figsize[0] * dpi, figsize[1] * dpi
    room = LIVE_MAX_HEIGHT - SLIDER_ROW_HEIGHT * n_sliders
    scale = min(1.0, room / height)
    return int(round(width * scale)), int(round(height * scale))


def _live_png(fig):
    """A PNG of `fig` made for speed (live frames go to the reader's own browser, not to a page)."""
    from PIL import Image
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba()))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def live_frame(draw, values, sliders, *, figsize, dpi, layout=None, css_size=None):
    """The frame a live figure shows for `values` it has not drawn before: drawn for a screen
    with LIVE_PIXEL_SCALE device pixels per CSS pixel, at `css_size` (default: the figure's size)."""
    css_size = css_size or _css_size(figsize, dpi, len(sliders))
    frame_dpi = dpi * LIVE_PIXEL_SCALE * css_size[1] / (figsize[1] * dpi)
    # No garbage collection while the reader waits: a full collection of a chapter's kernel can
    # take longer than the frame. The figure's own garbage is collected after the frame is shown
    # (gc.collect(1) in _on_change): young objects only, a few milliseconds.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return draw_frame(draw, values, sliders, figsize=figsize, dpi=frame_dpi, layout=layout,
                          encode=_live_png)
    finally:
        if enabled:
            gc.enable()


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
    figure = InteractiveFigure(draw, _named_sliders(sliders), name=name, figsize=(width, height), dpi=dpi,
                               mode=resolve_mode(mode), max_frames=int(max_frames),
                               max_bytes=max_bytes, layout=layout)
    if show and _get_ipython() is not None:
        figure.show()
    return figure
