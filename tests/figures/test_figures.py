"""Tests of nnlib.figures (formerly nnlib.interactive): sliders, the static viewer, the live widget
and the checks of frames.

Every figure a chapter registers is tested by running the chapter under NNBOOK_FIGURES=static
(nbval in `make test`): static mode draws and checks every frame of the grid, which always holds
the minimum, maximum and default of each slider. `test_chapter_figures_are_static` makes sure the
stored chapter outputs really were produced that way.
"""
import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnlib.figures import Slider, interactive_figure, resolve_mode

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "interactive" / "interactive_demo.ipynb"
SMALL = dict(figsize=(3, 2), dpi=50)     # small frames keep the tests cheap
TAB_RED = (214, 39, 40)                  # colour of the "diverged" headline


class DivergenceError(ArithmeticError):
    """Stands in for nnlib.train.DivergenceError (an ArithmeticError)."""


def parabola(fig, lr, steps=5):
    """Gradient descent on w**2 (blue and grey only); raises DivergenceError when |w| explodes."""
    ax = fig.add_subplot()
    w = [2.0]
    for _ in range(steps):
        w.append(w[-1] - lr * 2 * w[-1])
        if abs(w[-1]) > 1e3:
            raise DivergenceError(f"|w| = {abs(w[-1]):.3g} after {len(w) - 1} steps")
    ax.plot(np.linspace(-3, 3, 50), np.linspace(-3, 3, 50) ** 2, color="0.5")
    ax.plot(w, np.square(w), "o-", color="tab:blue")
    ax.set_ylim(-1, 10)


def static(draw, **kwargs):
    options = dict(SMALL, name="test-fig", mode="static", show=False)
    options.update(kwargs)
    return interactive_figure(draw, **options)


def red_pixels(png):
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int(np.sum(np.all(np.abs(rgb - TAB_RED) <= 12, axis=-1)))


def viewer_data(html):
    found = re.search(r'<script type="application/json" class="nnbook-figure-data">(.*?)</script>',
                      html, re.S)
    assert found, "the static HTML has no frame data"
    return json.loads(found.group(1))


# ---------------------------------------------------------------------------------------------
# Slider
# ---------------------------------------------------------------------------------------------

def test_log_slider_grid_has_min_max_default_and_round_values():
    s = Slider(0.001, 10.0, default=0.1, steps=21, log=True, label="learning rate η")
    assert len(s.values) == 21
    assert s.values[0] == 0.001 and s.values[-1] == 10.0 and 0.1 in s.values
    assert s.values[s.default_index] == s.default == 0.1
    assert s.values[1] == 0.00158                           # 10**-2.8, rounded to 3 digits
    assert list(s.values) == sorted(s.values)
    ratios = np.diff(np.log10(s.values))
    np.testing.assert_allclose(ratios, 0.2, atol=0.002)    # evenly spaced exponents


def test_default_off_grid_replaces_nearest_point():
    s = Slider(0.0, 1.0, default=0.33, steps=11)
    assert len(s.values) == 11 and 0.33 in s.values and 0.3 not in s.values
    assert s.values[0] == 0.0 and s.values[-1] == 1.0
    assert isinstance(Slider(0.5, 2.0, default=1).default, float)


def test_integer_slider():
    s = Slider(1, 50, default=10, steps=50, integer=True)
    assert s.values == tuple(range(1, 51)) and s.default == 10
    assert all(type(v) is int for v in s.values)
    assert Slider(1, 200, default=7, integer=True).values[0] == 1      # thinned to at most 51
    assert len(Slider(1, 200, default=7, integer=True).values) <= 52
    log_int = Slider(10, 1000, default=100, steps=8, log=True, integer=True)
    assert log_int.values[0] == 10 and log_int.values[-1] == 1000 and 100 in log_int.values


def test_explicit_values():
    s = Slider(values=["sigmoid", "tanh", "relu"], default="relu")
    assert s.values == ("sigmoid", "tanh", "relu") and s.default_index == 2
    assert Slider(values=[np.float64(0.5), 1.0]).default == 0.5


@pytest.mark.parametrize("kwargs, message", [
    (dict(min=0.0, max=1.0, default=2.0), "outside the range"),
    (dict(min=0.0, max=1.0, default=-0.1), "outside the range"),
    (dict(min=1.0, max=1.0), "smaller than max"),
    (dict(min=2.0, max=1.0), "smaller than max"),
    (dict(min=0.0, max=1.0, log=True), "min > 0"),
    (dict(min=0.0, max=1.0, steps=1), "steps"),
    (dict(min=0.0, max=1.0, steps=2.5), "steps"),
    (dict(min=0.0, max=float("inf")), "finite"),
    (dict(min=0.0, max=float("nan")), "finite"),
    (dict(min=1, max=5.5, integer=True), "whole numbers"),
    (dict(min=0, max=5, default=2.5, integer=True), "whole numbers"),
    (dict(), "range"),
    (dict(values=[1.0]), "at least two"),
    (dict(values=[1.0, 1.0]), "distinct"),
    (dict(values=[1.0, 2.0], default=3.0), "not one of"),
    (dict(values=[1.0, 2.0], min=0.0), "not both"),
    (dict(values=[1.0, None]), "numbers or strings"),
    (dict(values=[1.0, float("nan")]), "finite"),
    (dict(min=0.0, max=1.0, fmt=".2q"), "format spec"),
])
def test_slider_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Slider(**kwargs)


# ---------------------------------------------------------------------------------------------
# interactive_figure arguments and mode
# ---------------------------------------------------------------------------------------------

def test_zero_or_four_sliders_rejected():
    with pytest.raises(ValueError, match="one, two or three sliders, received 0"):
        static(lambda fig: None)
    four = {k: Slider(0.0, 1.0) for k in "abcd"}
    with pytest.raises(ValueError, match="one, two or three sliders, received 4"):
        static(lambda fig, a, b, c, d: None, **four)


def test_three_sliders_frames_in_the_order_the_viewer_indexes_them():
    # The viewer computes frame = (i_a * n_b + i_b) * n_c + i_c; frame k must show those values.
    drawn = {}

    def draw(fig, a, b, c):
        ax = fig.add_subplot()
        ax.plot([0, 1], [a, b + c])
        drawn[len(drawn)] = (a, b, c)

    sliders = dict(a=Slider(values=[1, 2]), b=Slider(values=[10, 20, 30]), c=Slider(values=[100, 200]))
    fig = static(draw, **sliders)
    assert len(fig.frames) == 12
    data = viewer_data(fig.html)
    assert [len(labels) for labels in data["labels"]] == [2, 3, 2]
    for i_a, a in enumerate((1, 2)):
        for i_b, b in enumerate((10, 20, 30)):
            for i_c, c in enumerate((100, 200)):
                assert drawn[(i_a * 3 + i_b) * 2 + i_c] == (a, b, c)
    assert len(set(data["index"])) == 12          # every frame is a different picture


@pytest.mark.parametrize("kwargs, message", [
    (dict(name=None), "name="),
    (dict(name="has space"), "name="),
    (dict(name="1abc"), "name="),
    (dict(lr=0.1), "must be Sliders"),
    (dict(figsize=(0, 3)), "figsize"),
    (dict(figsize="big"), "figsize"),
    (dict(dpi=1000), "dpi"),
    (dict(max_frames=4), "max_frames"),
    (dict(max_bytes=0), "max_bytes"),
    (dict(mode="browser"), "mode= must be one of"),
])
def test_interactive_figure_rejects_bad_arguments(kwargs, message):
    options = dict(lr=Slider(0.1, 1.0, default=0.5, steps=3))
    options.update(kwargs)
    with pytest.raises(ValueError, match=message):
        static(parabola, **options)


def test_draw_signature_is_checked():
    with pytest.raises(ValueError, match=r"draw must accept draw\(fig, rate\)"):
        static(parabola, rate=Slider(0.1, 1.0, default=0.5, steps=3))


def test_mode_from_argument_environment_and_auto(monkeypatch):
    monkeypatch.delenv("NNBOOK_FIGURES", raising=False)
    assert resolve_mode() == "static"            # auto, and pytest is not a Jupyter kernel
    monkeypatch.setenv("NNBOOK_FIGURES", "live")
    assert resolve_mode() == "live"
    assert resolve_mode("static") == "static"    # the argument wins over the environment
    monkeypatch.setenv("NNBOOK_FIGURES", "Static")
    assert resolve_mode() == "static"
    monkeypatch.setenv("NNBOOK_FIGURES", "pdf")
    with pytest.raises(ValueError, match=r"\$NNBOOK_FIGURES must be one of"):
        resolve_mode()


def test_environment_selects_live_figure(monkeypatch):
    monkeypatch.setenv("NNBOOK_FIGURES", "live")
    fig = interactive_figure(parabola, lr=Slider(0.1, 0.5, default=0.1, steps=3), name="env-live",
                             show=False, **SMALL)
    assert fig.mode == "live" and fig.draw_calls == 1


def test_slider_label_defaults_to_keyword_without_changing_callers_slider():
    shared = Slider(0.1, 0.5, default=0.1, steps=3)
    fig = static(parabola, lr=shared)
    assert fig.sliders["lr"].label == "lr" and shared.label is None
    assert '<label for="nnfig-test-fig-lr" style="min-width:8em">lr</label>' in fig.html


# ---------------------------------------------------------------------------------------------
# Static frames: drawing, checking, divergence
# ---------------------------------------------------------------------------------------------

def test_static_frames_cover_grid_with_min_max_default():
    seen = []

    def draw(fig, lr, steps):
        seen.append((lr, steps))
        parabola(fig, lr, steps)

    lr = Slider(0.01, 0.9, default=0.1, steps=5, log=True)
    steps = Slider(1, 6, default=3, integer=True)
    fig = static(draw, lr=lr, steps=steps)
    assert len(fig.frames) == 5 * 6 == len(seen) == fig.draw_calls
    assert sorted(seen) == sorted((a, b) for a in lr.values for b in steps.values)
    assert all(f.status == "ok" and f.png.startswith(b"\x89PNG") for f in fig.frames)
    assert Image.open(io.BytesIO(fig.frames[0].png)).size == (150, 100)


def test_thinned_grid_keeps_min_max_default():
    lr = Slider(0.001, 1.0, default=0.0316, steps=31, log=True)
    steps = Slider(1, 40, default=7, integer=True)
    fig = static(parabola, lr=lr, steps=steps, max_frames=20)
    assert len(fig.frames) <= 20
    for slider, values in zip((lr, steps), fig.grid):
        assert {slider.values[0], slider.values[-1], slider.default} <= set(values)
    assert "thinned from 31 x 40" in fig.summary()


def test_divergence_at_max_shows_message():
    fig = static(parabola, lr=Slider(0.1, 100.0, default=0.1, steps=4, log=True))
    statuses = [f.status for f in fig.frames]
    assert statuses[0] == "ok" and statuses[-1] == "diverged"
    last = fig.frames[-1]
    assert "DivergenceError" in last.message and "|w|" in last.message
    assert red_pixels(last.png) > 100                   # the red "diverged" headline is drawn
    assert red_pixels(fig.frames[0].png) == 0
    assert viewer_data(fig.html)["diverged"][-1] == 1
    assert "diverged" in fig.summary()


@pytest.mark.parametrize("kind", ["line", "scatter", "image", "bar", "inf-line"])
def test_silent_nan_or_inf_is_caught(kind):
    def draw(fig, x):
        ax = fig.add_subplot()
        bad = np.nan if x > 1 else 1.0
        if kind == "line":
            ax.plot([0, 1, 2], [1.0, bad, 2.0])
        elif kind == "scatter":
            ax.scatter([0, 1], [bad, 1.0])
        elif kind == "image":
            ax.imshow(np.array([[0.0, bad], [1.0, 2.0]]))
        elif kind == "bar":
            ax.bar([0, 1], [bad, 1.0])
        else:
            ax.plot([0, 1], [1.0, np.inf if x > 1 else 2.0])

    fig = static(draw, x=Slider(values=[0, 1, 2], default=1))
    assert [f.status for f in fig.frames] == ["ok", "ok", "diverged"]
    assert "NaN or infinity" in fig.frames[-1].message
    assert red_pixels(fig.frames[-1].png) > 100


def test_nnlib_divergence_error_is_an_arithmetic_error():
    train = pytest.importorskip("nnlib.train")     # written by another helper; caught as ArithmeticError
    assert issubclass(train.DivergenceError, ArithmeticError)


def test_float32_overflow_is_reported():
    def draw(fig, lr):
        w = np.float32(3.0)
        for _ in range(60):
            w = w - np.float32(lr) * w * w * w         # explodes to inf for large lr
        fig.add_subplot().plot([0, 1], [0, w])

    fig = static(draw, lr=Slider(values=[0.001, 10.0], default=0.001))
    assert fig.frames[-1].status == "diverged"
    assert "overflow" in fig.frames[-1].message


def test_error_after_overflow_counts_as_divergence():
    def draw(fig, scale):
        big = np.float64(scale) * np.float64(1e300)      # overflow to inf for scale 1e10
        fig.add_subplot().hist([0.0, big])              # numpy.histogram raises ValueError on inf

    fig = static(draw, scale=Slider(values=[1.0, 1e10], default=1.0))
    assert fig.frames[-1].status == "diverged"
    assert "overflow" in fig.frames[-1].message and "ValueError" in fig.frames[-1].message


@pytest.mark.parametrize("layout", [None, "constrained", "tight"])
def test_layout_engines_and_the_message_frame_draw_without_warnings(layout):
    def draw(fig, x):
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1.0 / x if x < 5 else np.nan])
        ax.set_ylabel("loss")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = static(draw, x=Slider(values=[1, 10], default=1), layout=layout)
    assert [f.status for f in fig.frames] == ["ok", "diverged"]
    with pytest.raises(ValueError, match="layout must be"):
        static(draw, x=Slider(values=[1, 10], default=1), layout="grid")


def test_masked_gaps_are_allowed():
    def draw(fig, x):
        y = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
        fig.add_subplot().plot([0, 1, 2], y * x)

    fig = static(draw, x=Slider(1.0, 2.0, default=1.0, steps=2))
    assert all(f.status == "ok" for f in fig.frames)


def test_other_exceptions_propagate_with_a_note():
    def draw(fig, lr):
        if lr > 0.5:
            raise KeyError("no such layer")
        parabola(fig, lr)

    with pytest.raises(KeyError) as info:
        static(draw, lr=Slider(values=[0.1, 0.2, 1.0], default=0.1))
    assert info.value.__notes__ == ["(while drawing the interactive figure with lr = 1)"]


def test_drawing_nothing_is_an_error():
    with pytest.raises(ValueError, match="drew nothing"):
        static(lambda fig, lr: fig.add_subplot(), lr=Slider(0.1, 1.0, default=0.1, steps=2))


def test_diverging_default_is_an_error():
    with pytest.raises(ValueError, match="default values .* diverged"):
        static(parabola, lr=Slider(0.1, 100.0, default=100.0, steps=3))


# ---------------------------------------------------------------------------------------------
# Static HTML viewer
# ---------------------------------------------------------------------------------------------

def two_slider_figure(name="viewer"):
    return static(parabola, name=name,
                  lr=Slider(0.01, 10.0, default=0.1, steps=4, log=True, label="learning rate η"),
                  steps=Slider(1, 9, default=5, steps=3, integer=True))


def test_static_html_structure():
    fig = two_slider_figure()
    page = fig.html
    data = viewer_data(page)
    assert len(data["index"]) == len(fig.frames) == 4 * 3
    assert len(data["frames"]) == len({f.png for f in fig.frames})
    for encoded in data["frames"]:
        assert base64.b64decode(encoded).startswith(b"\x89PNG")
    assert data["labels"] == [["0.01", "0.1", "1", "10"], ["1", "5", "9"]]
    assert page.count('<input type="range"') == 2
    assert 'id="nnfig-viewer"' in page and 'id="nnfig-viewer-lr"' in page and 'id="nnfig-viewer-steps"' in page
    assert 'value="1"' in page and 'max="3"' in page         # starts at the default 0.1
    assert "<script>" in page and "<script src" not in page   # inline JS, no external file
    assert "http://" not in page and "https://" not in page
    assert "addEventListener(\"input\"" in page
    assert 'data-nnbook-figure="viewer"' in page
    default = base64.b64encode(fig.render(lr=0.1, steps=5).png).decode()
    assert f'src="data:image/png;base64,{default}"' in page


def test_static_output_is_byte_stable():
    first, second = two_slider_figure(), two_slider_figure()
    assert first.html == second.html
    bundle = first._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "image/png"}
    assert bundle["text/plain"] == repr(first) == repr(second)


def test_identical_frames_are_stored_once():
    def draw(fig, lr, unused):
        parabola(fig, lr)

    fig = static(draw, lr=Slider(0.1, 0.3, default=0.1, steps=3),
                 unused=Slider(values=[1, 2, 3, 4], default=1))
    data = viewer_data(fig.html)
    assert len(data["index"]) == 12 and len(data["frames"]) == 3


def test_page_weight_of_typical_figures():
    def curve(fig, lr, steps):
        ax = fig.add_subplot()
        t = np.arange(steps + 1)
        ax.plot(t, 4.0 * (1 - 2 * lr) ** (2 * t), "o-", label="loss")
        ax.set(xlabel="step", ylabel="loss", title=f"η = {lr:g}", ylim=(0, 5))
        ax.legend()

    one = interactive_figure(lambda fig, lr: curve(fig, lr, 20),
                             lr=Slider(0.01, 0.9, default=0.1, steps=21),
                             name="weight-one", mode="static", show=False)
    two = interactive_figure(curve, lr=Slider(0.01, 0.9, default=0.1, steps=21),
                             steps=Slider(5, 50, default=20, integer=True),
                             name="weight-two", mode="static", show=False)
    assert len(one.frames) == 21 and len(two.frames) <= 60
    for fig in (one, two):
        size = len(fig.html.encode())
        assert size < 2_000_000, f"{fig.name}: {size} bytes"
        assert size / len(fig.frames) < 20_000          # about 10 kB a frame at 600 x 400 pixels


def test_page_weight_limit_is_enforced():
    with pytest.raises(ValueError, match="page weight"):
        static(parabola, lr=Slider(0.1, 0.4, default=0.1, steps=3), max_bytes=1000)


def test_save_html_writes_a_standalone_page(tmp_path):
    fig = static(parabola, lr=Slider(0.1, 0.4, default=0.1, steps=3))
    target = tmp_path / "figure.html"
    fig.save_html(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and fig.html in text
    assert [p.name for p in tmp_path.iterdir()] == ["figure.html"]      # no temp file left


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
@pytest.mark.slow
def test_viewer_swaps_frames_in_a_headless_browser(tmp_path):
    """Load the page from a file (no server, no network), move both sliders as a reader would and
    read back the image and the value labels."""
    fig = two_slider_figure()
    probe = """<pre id="probe"></pre><script>
      var inputs = document.querySelectorAll("input[type=range]");
      inputs[0].value = 3; inputs[0].dispatchEvent(new Event("input"));
      inputs[1].value = 2; inputs[1].dispatchEvent(new Event("input"));
      var outs = document.querySelectorAll("output");
      document.getElementById("probe").textContent = JSON.stringify({
        src: document.querySelector("img").src, alt: document.querySelector("img").alt,
        labels: [outs[0].textContent, outs[1].textContent],
        aria: inputs[0].getAttribute("aria-valuetext")});
    </script>"""
    page = tmp_path / "page.html"
    page.write_text(fig.page_html().replace("</body>", probe + "</body>"), encoding="utf-8")
    profile = tempfile.mkdtemp(dir=tmp_path)
    result = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stderr[-2000:]
    probe_data = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    expected = base64.b64encode(fig.render(lr=10.0, steps=9).png).decode()
    assert probe_data["src"] == "data:image/png;base64," + expected
    assert probe_data["labels"] == ["10", "9"] and probe_data["aria"] == "10"
    assert probe_data["alt"] == "viewer: learning rate η = 10, steps = 9 (diverged)"


# ---------------------------------------------------------------------------------------------
# Live mode (ipywidgets, without a browser)
# ---------------------------------------------------------------------------------------------

def live_figure(draw=parabola):
    return interactive_figure(draw, lr=Slider(0.1, 100.0, default=0.1, steps=4, log=True),
                              steps=Slider(1, 5, default=3, integer=True),
                              name="live", mode="live", show=False, **SMALL)


def test_live_widget_redraws_and_caches():
    fig = live_figure()
    assert set(fig.controls) == {"lr", "steps"}
    assert [v for _, v in fig.controls["lr"].options] == list(fig.sliders["lr"].values)
    assert fig.controls["lr"].value == 0.1 and fig.draw_calls == 1
    first = fig.image.value
    assert first == fig.render(lr=0.1, steps=3).png

    fig.controls["steps"].value = 5
    assert fig.draw_calls == 2 and fig.image.value != first
    fig.controls["steps"].value = 3                    # back to a value already seen
    assert fig.draw_calls == 2 and fig.cache_hits >= 1 and fig.image.value == first
    assert "2 frames drawn" in fig.summary()


def test_live_divergence_and_errors_show_in_the_image():
    def draw(fig, lr, steps):
        if steps == 5:
            raise KeyError("a bug in the chapter")
        parabola(fig, lr, steps)

    fig = live_figure(draw)
    fig.controls["lr"].value = 100.0                   # diverges: message, no exception
    assert red_pixels(fig.image.value) > 100
    fig.controls["steps"].value = 5                    # a real error: shown, remembered
    assert isinstance(fig.last_error, KeyError)
    assert red_pixels(fig.image.value) == 0 and bytes(fig.image.value).startswith(b"\x89PNG")


def test_live_bundle_is_a_widget_view_with_the_picture_beside_it():
    fig = live_figure()
    data, metadata = fig._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    # a viewer without the widget (a saved copy, nbconvert) shows the default frame at its CSS size
    assert base64.b64decode(data["image/png"]) == fig.render(lr=0.1, steps=3).png
    assert metadata["image/png"] == {"width": fig.css_size[0], "height": fig.css_size[1]}


def png_size(png):
    from PIL import Image
    return Image.open(io.BytesIO(png)).size


def test_live_frames_are_crisp_shown_at_true_size_with_aligned_read_only_values():
    from nnlib.figures.figure import LIVE_PIXEL_SCALE
    fig = interactive_figure(parabola, lr=Slider(0.1, 100.0, default=0.1, steps=4, log=True),
                             steps=Slider(1, 5, default=3, integer=True, label="number of steps"),
                             name="crisp", mode="live", show=False, figsize=(3, 2), dpi=50)
    assert fig.css_size == (150, 100)                     # 3 x 2 inches at 50 dpi, not stretched
    assert fig.image.width == "150" and fig.image.layout.width == "150px"
    assert png_size(fig.image.value) == (150 * LIVE_PIXEL_SCALE, 100 * LIVE_PIXEL_SCALE)
    widths = {c.style.description_width for c in fig.controls.values()}
    assert len(widths) == 1                               # every track starts at the same x
    assert all(c.continuous_update and not c.readout for c in fig.controls.values())
    fig.controls["steps"].value = 5
    assert fig.readouts["steps"].value == "5" and type(fig.readouts["steps"]).__name__ == "Label"


def test_a_tall_live_figure_is_scaled_to_fit_a_laptop_screen_with_its_sliders():
    from nnlib.figures.figure import LIVE_MAX_HEIGHT, SLIDER_ROW_HEIGHT
    fig = interactive_figure(parabola, lr=Slider(0.1, 100.0, default=0.1, steps=4, log=True),
                             steps=Slider(1, 5, default=3, integer=True),
                             name="tall", mode="live", show=False, figsize=(6, 6), dpi=100)
    width, height = fig.css_size
    assert height + 2 * SLIDER_ROW_HEIGHT <= LIVE_MAX_HEIGHT and width / height == 1.0
    assert png_size(fig.image.value)[1] == 2 * height


def test_drawing_a_live_figure_again_under_its_name_closes_the_old_widgets():
    old = live_figure()
    new = live_figure()
    assert old.image.comm is None and old.widget.comm is None       # closed
    assert new.image.value


# ---------------------------------------------------------------------------------------------
# Import hygiene, stored notebooks
# ---------------------------------------------------------------------------------------------

def test_the_old_module_name_gives_the_same_objects():
    import nnlib.figures
    import nnlib.interactive
    for name in nnlib.figures.__all__:
        assert getattr(nnlib.interactive, name) is getattr(nnlib.figures, name)


def test_the_viewer_javascript_is_package_data():
    from importlib import resources

    from nnlib.figures import viewer
    script = resources.files("nnlib.figures").joinpath("viewer.js").read_text(encoding="utf-8")
    assert script.startswith("(function () {") and "%(root_id)s" in script
    assert viewer._VIEWER_JS == script.rstrip("\n")


def test_imports_stay_lazy():
    code = ("import sys, nnlib; assert 'nnlib.figures' not in sys.modules; "
            "import nnlib.figures, nnlib.interactive; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def figure_outputs(notebook):
    """(cell source, list of our static HTML outputs, other outputs) per cell calling interactive_figure."""
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or "interactive_figure(" not in source:
            continue
        ours = [o for o in cell.get("outputs", [])
                if "data-nnbook-figure=" in "".join(o.get("data", {}).get("text/html", ""))]
        yield source, ours, [o for o in cell.get("outputs", []) if o not in ours]


def test_fixture_notebook_outputs_are_static_and_shown_once():
    notebook = json.loads(FIXTURE.read_text(encoding="utf-8"))
    cells = list(figure_outputs(notebook))
    assert len(cells) == 3
    for source, ours, others in cells:
        calls = source.count("interactive_figure(")
        assert len(ours) == calls, source
        assert not [o for o in others if o["output_type"] in ("execute_result", "display_data")]


@pytest.mark.slow
def test_fixture_notebook_passes_strict_nbval():
    env = dict(os.environ, NNBOOK_FIGURES="static")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-current-env", str(FIXTURE)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "failed" not in result.stdout


CHAPTERS = sorted(p for p in (REPO / "chapters").glob("*.ipynb")
                  if "interactive_figure(" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_figures_are_static(path):
    """A chapter's stored outputs must come from static mode (make execute sets NNBOOK_FIGURES=static):
    only then were all its figures checked at min, max and default, and only then does the
    published page have working sliders. Figure names must be unique on the page."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    names = []
    for source, ours, _ in figure_outputs(notebook):
        assert ours, (f"{path.name}: a cell calling interactive_figure has no static figure output; "
                      "re-execute the notebook with NNBOOK_FIGURES=static (make execute).\n" + source)
        for output in ours:
            page = "".join(output["data"]["text/html"])
            names += re.findall(r'data-nnbook-figure="([^"]+)"', page)
            assert "http://" not in page and "https://" not in page
    assert len(names) == len(set(names)), f"{path.name}: figure names repeat: {sorted(names)}"
