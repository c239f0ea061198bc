"""Drawing one frame of a figure and checking it: divergence becomes a readable "diverged" frame."""
import textwrap

import numpy as np

from .png import _png_bytes


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


def draw_frame(draw, values, sliders, *, figsize, dpi, layout=None, encode=_png_bytes):
    """Call ``draw(fig, **values)`` on a fresh figure and return a checked :class:`Frame`.

    ArithmeticError, non-finite plotted data, or any failure after NumPy reported an overflow or
    invalid value -> a "diverged" frame. Any other exception propagates (with a note naming the
    values). A draw that leaves the figure empty raises ValueError. `encode(fig)` makes the PNG bytes.
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
                return Frame(encode(fig), "ok")      # matplotlib may still fail on huge values
    except Exception as exc:
        detail = _divergence(exc, fp_events)
        if detail is None:
            exc.add_note(f"(while drawing the interactive figure with {_values_text(sliders, values)})")
            raise
    _message_figure(fig, "diverged", _values_text(sliders, values), detail, "tab:red")
    return Frame(encode(fig), "diverged", detail)
