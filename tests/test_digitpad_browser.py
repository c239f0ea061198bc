"""The drawing pad's JavaScript (nnlib/pad/digitpad.js) in headless Chromium, against nnlib.

A page like the book's (the stored output of ``drawing_pad``, and ``_static/nnpad/`` as the site's
build writes it) is opened from ``file://``, as a reader opens the book offline. Then:

* 1,000 MNIST test images go through the page's forward pass, for the MLP and for the CNN: the
  answers must equal nnlib's, and the probabilities agree within 1e-5 with nnlib run on the same
  float16 weights, and within 2e-3 with the shipped float32 weights (the cost of float16; over all
  10,000 test images, `scripts/export_web_weights.py` measures at most 1.1e-3 and no changed answer);
* a "1" drawn with the mouse and a "0" drawn with a finger (touch events, at phone width 390 px):
  the page's 28 x 28 image equals ``nnlib.drawing.drawing_to_mnist`` of the same strokes, and
  both networks read the digit drawn;
* the weights are loaded only when the pad scrolls into view;
* the JupyterLab widget's front end (the same file plus its glue) sends the strokes it was drawn
  with to its model, and the kernel side makes them a (28, 28) array.

Without Chromium these tests are skipped, and say so.
"""
import base64
import json
import math

import numpy as np
import pytest
from test_site_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, PageVisit

from nnlib.data import load_mnist
from nnlib.drawing import drawing_to_mnist
from nnlib.functions import softmax
from nnlib.pad import StaticPad, load_network, write_site_files

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None,
    reason="SKIPPED the browser test of the drawing pad: no Chromium found. Install Debian's "
           "`chromium` package (as .ci/run does) to run it.")]

N_IMAGES = 1000


@pytest.fixture(scope="module")
def pad_page(tmp_path_factory):
    """chapters/pad.html with an MLP pad, a tall gap, and a CNN pad; _static/nnpad/ beside it."""
    root = tmp_path_factory.mktemp("padsite")
    write_site_files(root / "_static" / "nnpad")
    (root / "chapters").mkdir()
    body = (StaticPad("mlp")._repr_html_() + '\n<div id="gap" style="height:3000px"></div>\n'
            + StaticPad("cnn")._repr_html_())
    page = root / "chapters" / "pad.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8">'
                    f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                    f'<body style="margin:8px;font-family:sans-serif">{body}</body></html>', encoding="utf-8")
    return page.as_uri()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile-pad")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1366, "height": 900}, has_touch=True)
        yield context
        context.close()


def ready(visit, which):
    """Scroll pad `which` (0: MLP, 1: CNN) into view and wait until its weights are loaded."""
    pad = visit.page.locator(".nnpad").nth(which)
    pad.scroll_into_view_if_needed()
    visit.page.wait_for_function(f"() => document.querySelectorAll('.nnpad')[{which}].dataset.nnpadReady",
                                 timeout=30_000)
    return pad


@pytest.fixture(scope="module")
def mnist_sample():
    (_, _), (_, _), (x_test, t_test) = load_mnist()
    return x_test[:N_IMAGES], t_test[:N_IMAGES]


@pytest.mark.parametrize("key", ["mlp", "cnn"])
def test_the_pages_forward_pass_gives_nnlibs_answers_and_probabilities(pad_page, browser, mnist_sample, key):
    x, t = mnist_sample
    pixels = np.round(x * 256).astype(np.uint8)                 # the stored images are exactly k / 256
    assert np.array_equal(pixels / np.float32(256), x)
    visit = PageVisit(browser, pad_page)
    ready(visit, 0 if key == "mlp" else 1)
    js = np.array(visit.page.evaluate("""([key, data, n]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0)), net = NNPad.networks[key], out = [];
        for (let k = 0; k < n; k++) {
            const image = Float32Array.from(bytes.subarray(784 * k, 784 * (k + 1)), v => v / 256);
            const outputs = NNPad.forward(net, image);
            out.push(Array.from(outputs[outputs.length - 1].data));
        }
        return out; }""", [key, base64.b64encode(pixels.tobytes()).decode("ascii"), N_IMAGES]))
    assert visit.errors == []
    visit.page.close()
    assert js.shape == (N_IMAGES, 10)
    shape = (-1, 784) if key == "mlp" else (-1, 1, 28, 28)
    same_weights = softmax(load_network(key, round_to=np.float16).forward(x.reshape(shape)).astype(np.float64))
    shipped = softmax(load_network(key).forward(x.reshape(shape)).astype(np.float64))
    assert np.array_equal(js.argmax(1), same_weights.argmax(1))
    assert np.array_equal(js.argmax(1), shipped.argmax(1))
    worst_same, worst_shipped = np.abs(js - same_weights).max(), np.abs(js - shipped).max()
    print(f"{key}: {N_IMAGES} images, same answers; largest probability difference {worst_same:.1e} "
          f"(same float16 weights), {worst_shipped:.1e} (shipped float32 weights); "
          f"accuracy {np.mean(js.argmax(1) == t):.3f}")
    assert worst_same <= 1e-5
    assert worst_shipped <= 2e-3


def one_stroke(n=14):
    return [[[0.52 - 0.04 * k / n, 0.15 + 0.7 * k / n] for k in range(n + 1)]]


def zero_stroke(n=40):
    return [[[0.5 + 0.25 * math.sin(2 * math.pi * k / n), 0.5 - 0.33 * math.cos(2 * math.pi * k / n)]
             for k in range(n + 1)]]


def draw_with_mouse(page, canvas, strokes):
    box = canvas.bounding_box()
    for stroke in strokes:
        xy = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*xy[0])
        page.mouse.down()
        for p in xy[1:]:
            page.mouse.move(*p, steps=2)
        page.mouse.up()


def draw_with_finger(page, canvas, strokes):
    cdp = page.context.new_cdp_session(page)
    box = canvas.bounding_box()
    for stroke in strokes:
        xy = [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]} for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [xy[0]]})
        for p in xy[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [p]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


@pytest.mark.parametrize("digit, viewport", [(1, {"width": 1366, "height": 900}), (0, {"width": 390, "height": 844})])
def test_a_drawn_digit_is_preprocessed_as_in_python_and_read_right(pad_page, browser, digit, viewport):
    visit = PageVisit(browser, pad_page, viewport=viewport)
    page = visit.page
    for which in (0, 1):
        pad = ready(visit, which)
        pad.locator(".nnpad-clear").click()
        canvas = pad.locator(".nnpad-canvas")
        assert canvas.bounding_box()["width"] >= 200
        if digit == 1:
            draw_with_mouse(page, canvas, one_stroke())
        else:
            draw_with_finger(page, canvas, zero_stroke())
        page.wait_for_timeout(200)
        strokes, image, guess = page.evaluate(f"""() => {{
            const root = document.querySelectorAll('.nnpad')[{which}], strokes = root.nnpad.strokes();
            return [strokes, Array.from(NNPad.drawingToMnist(strokes)), root.dataset.guess]; }}""")
        assert len(strokes) == 1 and len(strokes[0]) >= 10, strokes
        expected = drawing_to_mnist(strokes)
        np.testing.assert_allclose(np.array(image, dtype=np.float32).reshape(28, 28), expected, rtol=0, atol=1e-6)
        assert guess == str(digit), f"pad {which} read the drawn {digit} as {guess}"
        if which == 1:
            maps = page.locator(".nnpad").nth(1).locator(".nnpad-map").count()
            assert maps == 30
        else:
            assert pad.locator(".nnpad-hidden").count() == 1
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page is {width} px wide at {viewport['width']} px"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".nnpad").nth(0).screenshot(path=str(SCREENSHOTS / f"pad-{digit}-{viewport['width']}.png"))
    assert visit.errors == [] and visit.foreign == []
    page.close()


def test_the_weights_load_only_when_the_pad_comes_into_view(pad_page, browser):
    visit = PageVisit(browser, pad_page)
    visit.page.wait_for_timeout(500)
    loaded = lambda: visit.page.evaluate(  # noqa: E731
        "() => [...document.querySelectorAll('script[src]')].map(e => e.src.split('/').pop())")
    assert "mlp.js" in loaded() and "cnn.js" not in loaded()      # the CNN's pad is 3,000 px down
    assert visit.page.evaluate("() => Object.keys(NNPad.networks)") == ["mlp"]
    ready(visit, 1)
    assert "cnn.js" in loaded()
    visit.page.close()


def test_the_widgets_front_end_sends_the_drawing_to_the_kernel(pad_page, browser):
    """The anywidget module (digitpad.js + glue) with a stand-in for the widget's model."""
    pytest.importorskip("anywidget")
    from nnlib.pad.widget import DigitPad

    pad = DigitPad(load_network("mlp"), key="mlp")
    visit = PageVisit(browser, pad_page)
    page = visit.page
    page.evaluate("""async ([esm, state]) => {
        const url = URL.createObjectURL(new Blob([esm], {type: 'text/javascript'}));
        const widget = (await import(url)).default, handlers = {};
        window.sent = [];
        const model = {
            get: name => state[name],
            set: (name, value) => { state[name] = value; },
            save_changes: () => window.sent.push(JSON.parse(JSON.stringify(state.strokes))),
            on: (names, f) => names.split(' ').forEach(n => { handlers[n] = f; }),
        };
        const el = document.createElement('div');
        el.id = 'widget';
        document.body.prepend(el);
        widget.render({model, el});
        window.widgetModel = {state, handlers}; }""", [DigitPad._esm, pad.get_state()])
    canvas = page.locator("#widget .nnpad-canvas")
    canvas.scroll_into_view_if_needed()
    page.locator("#widget .nnpad-clear").click()
    draw_with_mouse(page, canvas, one_stroke())
    sent = page.evaluate("() => window.sent")
    assert sent[-2] == [] and len(sent[-1]) == 1          # Clear sent no strokes, the pen one stroke
    pad._handle_msg({"content": {"data": {"method": "update", "state": {"strokes": sent[-1]},
                                          "buffer_paths": []}}, "buffers": []})
    assert pad.image.shape == (28, 28) and pad.image.dtype == np.float32
    np.testing.assert_array_equal(pad.image, drawing_to_mnist(sent[-1]))
    assert int(np.argmax(pad.probabilities)) == 1
    # the kernel's answer goes back to the front end and is shown
    page.evaluate("""(state) => { Object.assign(window.widgetModel.state, state);
                                  window.widgetModel.handlers['change:probabilities'](); }""",
                  json.loads(json.dumps({k: v for k, v in pad.get_state().items()
                                         if k in ("pixels", "probabilities", "inside", "message")})))
    assert page.locator("#widget .nnpad-guess").inner_text().startswith("Guess: 1")
    assert visit.errors == []
    page.close()
    pad.close()


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_the_page_decodes_the_weights_exactly(pad_page, browser, dtype):
    """Every number of the exported MLP, decoded by the page, equals the exported float16/float32 value."""
    from nnlib.pad import _arrays, network_spec

    visit = PageVisit(browser, pad_page)
    decoded = visit.page.evaluate("""(spec) => NNPad.decode(spec).layers.filter(l => l.W)
        .map(l => [Array.from(l.W.data), Array.from(l.b.data)])""", network_spec("mlp", dtype=dtype))
    arrays = _arrays("mlp")
    for (W, b), name in zip(decoded, ("0", "2")):
        np.testing.assert_array_equal(np.array(W, dtype=np.float32),
                                      arrays[f"{name}.W"].astype(dtype).astype(np.float32).ravel())
        np.testing.assert_array_equal(np.array(b, dtype=np.float32),
                                      arrays[f"{name}.b"].astype(dtype).astype(np.float32))
    visit.page.close()
