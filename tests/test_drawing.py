"""nnlib.drawing (a drawing made into an MNIST digit) and the Python side of nnlib.pad."""
import json

import numpy as np
import pytest

from nnlib.drawing import GRID, RADIUS, drawing_to_mnist, mnist_style, rasterize
from nnlib.pad import EXAMPLE_SEVEN, NETWORKS, StaticPad, drawing_pad, network_spec, predict, weights_js

ONE = [[[0.5, 0.15], [0.5, 0.85]]]


def test_a_dot_is_a_disc_of_the_pens_radius():
    image = rasterize([[[0.5, 0.5]]])
    r = RADIUS * GRID
    assert image.shape == (GRID, GRID) and image.max() == 1.0
    assert image.sum() == pytest.approx(np.pi * r * r, rel=0.03)       # the soft edge adds as much as it takes
    rows = np.flatnonzero(image.max(axis=1) > 0)
    assert rows[-1] - rows[0] + 1 == pytest.approx(2 * r + 1, abs=1.01)


def test_a_segment_is_inked_along_its_length_only():
    image = rasterize(ONE)
    column = image[:, GRID // 2]
    assert column[int(0.2 * GRID):int(0.8 * GRID)].min() == 1.0
    assert column[:int(0.15 * GRID - RADIUS * GRID - 1)].max() == 0.0
    assert image[:, :int(0.5 * GRID - RADIUS * GRID - 1)].max() == 0.0


def test_a_block_is_scaled_to_20_pixels_keeping_its_aspect_ratio_and_centred():
    image = np.zeros((100, 100))
    image[10:50, 30:40] = 1.0                      # 40 rows x 10 columns -> 20 x 5
    out = mnist_style(image)
    assert out.dtype == np.float32 and out.shape == (28, 28)
    rows, cols = np.flatnonzero(out.max(axis=1) > 0), np.flatnonzero(out.max(axis=0) > 0)
    assert (len(rows), len(cols)) == (20, 5)
    assert (rows[0], cols[0]) == (4, 12)           # centre of mass (14, 14) -> rows 4..23, columns 12(.5)..
    assert out.sum() == pytest.approx(100.0)       # area averaging keeps the mean grey level


def test_grey_levels_are_kept_and_edges_become_grey():
    image = np.zeros((60, 60))
    image[5:38, 20:27] = 0.6                        # an L of 33 rows: the scale 20/33 cuts pixels in parts
    image[31:38, 20:45] = 0.6
    out = mnist_style(image)
    assert out.max() == pytest.approx(0.6)
    assert np.any((out > 0) & (out < 0.6 - 1e-6))


def test_the_result_does_not_depend_on_where_or_how_large_the_digit_was_drawn():
    here = drawing_to_mnist(EXAMPLE_SEVEN)
    moved = drawing_to_mnist([[[x - 0.1, y + 0.05] for x, y in s] for s in EXAMPLE_SEVEN])
    assert np.abs(here - moved).mean() < 0.03     # pixel edges fall elsewhere, nothing more
    # drawn at half the size, with the pen scaled too: about the same digit
    small = drawing_to_mnist([[[0.2 + x / 2, 0.3 + y / 2] for x, y in s] for s in EXAMPLE_SEVEN],
                             radius=RADIUS / 2)
    assert np.abs(here - small).mean() < 0.03


def test_bad_drawings_get_clear_errors():
    with pytest.raises(ValueError, match="empty"):
        drawing_to_mnist([])
    with pytest.raises(ValueError, match="empty"):
        mnist_style(np.zeros((10, 10)))
    with pytest.raises(ValueError, match=r"\(x, y\) points"):
        drawing_to_mnist([[0.5, 0.5]])
    with pytest.raises(ValueError, match="between 0"):
        mnist_style(np.full((5, 5), 2.0))
    with pytest.raises(ValueError, match="networks"):
        drawing_pad("resnet", mode="static")


@pytest.mark.parametrize("key", sorted(NETWORKS))
def test_the_shipped_networks_read_the_example_seven(key):
    from nnlib.pad import load_network

    p, inside = predict(load_network(key), drawing_to_mnist(EXAMPLE_SEVEN))
    assert p.argmax() == 7 and p.sum() == pytest.approx(1.0)
    assert inside.shape == ((100,) if key == "mlp" else (30, 24, 24))


def test_the_weights_file_holds_every_parameter_as_float16():
    spec = network_spec("mlp")
    count = sum(int(np.prod(layer["W"])) + int(np.prod(layer["b"])) for layer in spec["layers"] if "W" in layer)
    assert count == 784 * 100 + 100 + 100 * 10 + 10
    import base64

    assert len(base64.b64decode(spec["data"])) == 2 * count
    assert spec["title"] == "chapter 7's best network: 784-100-10, 98.02 % of the test images"
    assert network_spec("cnn")["title"].endswith("99.14 % of the test images")
    text = weights_js("mlp")
    assert text.splitlines()[1].startswith('NNPad.weights("mlp", {')
    with pytest.raises(ValueError, match="float16"):
        network_spec("mlp", dtype="int8")


def test_the_static_pad_links_its_files_and_knows_its_image():
    pad = drawing_pad("cnn", mode="static")
    assert isinstance(pad, StaticPad)
    html = pad._repr_html_()
    assert 'data-nnpad-src="../_static/nnpad/cnn.js"' in html
    assert '<script src="../_static/nnpad/digitpad.js"></script>' in html
    assert pad.image.shape == (28, 28) and pad.image.dtype == np.float32


def test_a_drawing_sent_by_the_widgets_front_end_reaches_the_kernel_as_a_28x28_array():
    """What JupyterLab does when the reader lifts the pen: an `update` message with the strokes."""
    pytest.importorskip("anywidget")
    from nnlib.pad import load_network
    from nnlib.pad.widget import DigitPad

    pad = DigitPad(load_network("mlp"), key="mlp")
    assert len(pad.probabilities) == 10 and np.argmax(pad.probabilities) == 7    # the example 7
    strokes = json.loads(json.dumps(ONE))
    pad._handle_msg({"content": {"data": {"method": "update", "state": {"strokes": strokes},
                                          "buffer_paths": []}}, "buffers": []})
    assert pad.image.shape == (28, 28) and pad.image.dtype == np.float32
    np.testing.assert_array_equal(pad.image, drawing_to_mnist(ONE))
    assert np.argmax(pad.probabilities) == 1
    assert len(pad.pixels) == 784 and len(pad.inside["values"]) == 100
    pad._handle_msg({"content": {"data": {"method": "update", "state": {"strokes": []}, "buffer_paths": []}},
                     "buffers": []})
    assert pad.probabilities == [] and pad.message == "draw a digit"
    with pytest.raises(ValueError, match="empty"):
        _ = pad.image
    pad.close()


@pytest.mark.slow
@pytest.mark.shipped_weights
@pytest.mark.parametrize("key", sorted(NETWORKS))
def test_float16_weights_change_no_answer_on_the_test_images(key):
    """What chapter 7 and the README say about the web page's float16 weights."""
    from nnlib.data import load_mnist
    from nnlib.pad import load_network

    (_, _), (_, _), (x, _) = load_mnist()
    x = x.reshape((-1, 784) if key == "mlp" else (-1, 1, 28, 28))
    answers = [np.concatenate([load_network(key, round_to=r).forward(x[i:i + 2000]) for i in range(0, len(x), 2000)])
               for r in (None, np.float16)]
    assert np.array_equal(answers[0].argmax(1), answers[1].argmax(1))
