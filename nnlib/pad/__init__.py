"""The drawing pad: the book's trained networks read the reader's own handwriting.

One JavaScript file, ``digitpad.js`` beside this module, does everything in the browser: the pad
(mouse, pen, touch), the preprocessing (the twin of :mod:`nnlib.drawing`) and the forward pass
(one short function per layer type). It serves two places:

* **the web book** (no kernel): a chapter cell displays :func:`drawing_pad`, which in static mode
  (``make execute``, the stored outputs) is a ``<div>`` plus ``<script src=".../digitpad.js">``.
  The site's extension (``book/_ext/nnbook_site.py``, :func:`write_site_files`) puts that file and
  the networks' weights (float16, base64 inside a ``.js`` file, so ``file://`` pages can load
  them) into ``_static/nnpad/``; the pad loads the weights only when it scrolls into view.
* **JupyterLab** (live mode): :func:`drawing_pad` returns a :class:`~nnlib.pad.widget.DigitPad`
  widget (anywidget) using the same JavaScript; its strokes go to the kernel, where
  :func:`nnlib.drawing.drawing_to_mnist` makes the (28, 28) float32 array, ``pad.image``, and
  the network given to it (an nnlib model) computes the probabilities the pad shows.

Both kinds of pad start with the same example drawing (a 7), so ``pad.image`` has a value before
the reader draws.
"""
import base64
import html
import json
from importlib import resources
from pathlib import Path

import numpy as np

from ..drawing import drawing_to_mnist

__all__ = ["NETWORKS", "EXAMPLE_SEVEN", "drawing_pad", "StaticPad", "load_network", "predict", "title",
           "network_spec", "weights_js", "write_site_files", "digitpad_js"]

WEIGHTS_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "weights"

# The networks the pad can run: the shipped file, the layers in order ("name" = the parameters'
# prefix in the .npz), the input's shape, and which layer's output the pad shows as "inside".
NETWORKS = {
    "mlp": {"file": "mlp_ce-softmax-xavier_seed1.npz",
            "title": "chapter 7's best network: 784-100-10, {:.2f} % of the test images",
            "record": ("histories/mlp_ce-softmax-xavier_seed1.json", "final_test_correct_float64"),
            "input": [784], "inside": 1,
            "layers": [("affine", "0"), ("sigmoid", None), ("affine", "2"), ("softmax", None)]},
    "cnn": {"file": "simple_convnet.npz",
            "title": "SimpleConvNet: 30 filters 5x5, pool, 100, 10; {:.2f} % of the test images",
            "record": ("weights/simple_convnet.json", "test_correct"),
            "input": [1, 28, 28], "inside": 1,
            "layers": [("conv", "0"), ("relu", None), ("maxpool", None), ("affine", "4"),
                       ("relu", None), ("affine", "6"), ("softmax", None)]},
}

# A 7 in pad units (x right, y down): one stroke, the bar and the stem.
EXAMPLE_SEVEN = [[[0.28, 0.24], [0.5, 0.23], [0.72, 0.22], [0.62, 0.42], [0.53, 0.62], [0.46, 0.8]]]

SITE_FOLDER = "nnpad"                 # the site's _static/nnpad/


def digitpad_js():
    """The text of ``digitpad.js`` (package data)."""
    return resources.files(__package__).joinpath("digitpad.js").read_text(encoding="utf-8")


def title(key, weights_dir=None):
    """The network's name and its recorded test accuracy (from the training record beside the weights)."""
    _check_key(key)
    path, field = NETWORKS[key]["record"]
    record = json.loads((Path(weights_dir or WEIGHTS_DIR).parent / path).read_text(encoding="utf-8"))
    return NETWORKS[key]["title"].format(record[field] / 100)


def _check_key(key):
    if key not in NETWORKS:
        raise ValueError(f"the drawing pad knows the networks {sorted(NETWORKS)}; got {key!r}")


def _arrays(key, weights_dir=None):
    _check_key(key)
    path = Path(weights_dir or WEIGHTS_DIR) / NETWORKS[key]["file"]
    with np.load(path, allow_pickle=False) as stored:
        return {name: stored[name] for name in stored.files}


def load_network(key, dtype=np.float32, round_to=None, weights_dir=None):
    """The shipped network ``key`` ("mlp" or "cnn") as an nnlib model, without its softmax.

    ``round_to=np.float16`` first rounds every weight to float16 (what the web page holds), to
    compare the page's arithmetic with nnlib's on exactly the same weights.
    """
    from ..layers import Affine, Sequential, Sigmoid
    from ..models import SimpleConvNet, load_weights

    arrays = _arrays(key, weights_dir)
    if round_to is not None:
        arrays = {name: a.astype(round_to) for name, a in arrays.items()}
    arrays = {name: a.astype(dtype) for name, a in arrays.items()}
    if key == "mlp":
        return Sequential(Affine.from_arrays(arrays["0.W"], arrays["0.b"]), Sigmoid(dtype),
                          Affine.from_arrays(arrays["2.W"], arrays["2.b"]))
    return load_weights(SimpleConvNet(np.random.default_rng(0), dtype=dtype), arrays)


def predict(network, image):
    """Run an nnlib model on one (28, 28) image: (probabilities (10,), the first hidden layer's output).

    The input is shaped for the model's first layer ((1, 784) for a fully connected one,
    (1, 1, 28, 28) for a convolution); "probabilities" is the softmax of the model's outputs, so
    give a model that ends with its scores (as ``nnlib.mlp.load_mlp`` and the CNNs do).
    """
    from ..functions import softmax

    first = network[0]
    dtype = first.W.data.dtype
    x = np.asarray(image, dtype=dtype)
    x = x.reshape(1, 1, 28, 28) if first.W.data.ndim == 4 else x.reshape(1, 784)
    inside = None
    for k, layer in enumerate(network):
        x = layer.forward(x)
        if k == 1:
            inside = x[0]
    return softmax(x.astype(np.float64))[0], inside


def network_spec(key, dtype="float16", weights_dir=None):
    """What the page needs to run network ``key``: layers, shapes and the weights as base64."""
    if dtype not in ("float16", "float32"):
        raise ValueError(f"dtype must be 'float16' or 'float32', got {dtype!r}")
    net, arrays = NETWORKS[key], _arrays(key, weights_dir)
    layers, chunks = [], []
    for kind, name in net["layers"]:
        if name is None:
            layers.append({"type": kind})
            continue
        W, b = arrays[f"{name}.W"], arrays[f"{name}.b"]
        layers.append({"type": kind, "W": list(W.shape), "b": list(b.shape)})
        chunks += [W.astype("<f2" if dtype == "float16" else "<f4").tobytes(),
                   b.astype("<f2" if dtype == "float16" else "<f4").tobytes()]
    return {"name": key, "title": title(key, weights_dir), "input": net["input"], "inside": net["inside"],
            "dtype": dtype, "layers": layers, "data": base64.b64encode(b"".join(chunks)).decode("ascii")}


def weights_js(key, dtype="float16", weights_dir=None):
    """The weights file of network ``key``: one call ``NNPad.weights(key, {...});``."""
    spec = json.dumps(network_spec(key, dtype, weights_dir), separators=(",", ":"))
    return f"/* {NETWORKS[key]['file']} for the drawing pad (scripts/export_web_weights.py) */\n" \
           f"NNPad.weights({json.dumps(key)}, {spec});\n"


def write_site_files(folder, dtype="float16", weights_dir=None):
    """Write ``digitpad.js`` and one weights file per network into ``folder``; {file name: bytes}."""
    from ..files import atomic_write

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"digitpad.js": digitpad_js()}
    files.update({f"{key}.js": weights_js(key, dtype, weights_dir) for key in NETWORKS})
    sizes = {}
    for name, text in files.items():
        data = text.encode("utf-8")
        with atomic_write(folder / name) as f:
            f.write(data)
        sizes[name] = len(data)
    return sizes


class StaticPad:
    """The pad as the web book shows it (stored output of a chapter cell); ``image`` is the example's."""

    def __init__(self, key, strokes=None, base=f"../_static/{SITE_FOLDER}/"):
        _check_key(key)
        self.key, self.base = key, base
        self.strokes = [list(map(list, s)) for s in (strokes or EXAMPLE_SEVEN)]

    @property
    def image(self):
        """The drawing as an MNIST image: (28, 28) float32."""
        return drawing_to_mnist(self.strokes)

    def _repr_html_(self):
        esc = html.escape
        example = esc(json.dumps(self.strokes, separators=(",", ":")))
        return (f'<div class="nnpad" data-nnpad-model="{esc(self.key)}" '
                f'data-nnpad-src="{esc(self.base)}{esc(self.key)}.js" data-nnpad-example="{example}">'
                '<p>The drawing pad needs JavaScript; in JupyterLab, run this cell to get it as a widget.</p>'
                f'</div>\n<script src="{esc(self.base)}digitpad.js"></script>')

    def __repr__(self):
        return f"StaticPad({self.key!r}): the web book's drawing pad (run the cell in JupyterLab to draw)"


def drawing_pad(key="mlp", network=None, mode=None):
    """A drawing pad for network ``key`` ("mlp": chapter 7, "cnn": chapter 12).

    Live mode (JupyterLab): a :class:`~nnlib.pad.widget.DigitPad` widget running ``network`` (an
    nnlib model ending with its scores; default: the shipped network ``key``) in the kernel.
    Static mode (the web book; ``make execute``): a :class:`StaticPad`, which the page runs in
    JavaScript. Either way ``pad.image`` is the current drawing as a (28, 28) float32 array.
    The mode is chosen as for the slider figures (:func:`nnlib.figures.resolve_mode`).
    """
    from ..figures.mode import resolve_mode

    _check_key(key)
    if resolve_mode(mode) == "static":
        return StaticPad(key)
    try:
        from .widget import DigitPad
    except ImportError as error:
        raise ImportError("the drawing pad needs anywidget in JupyterLab: pip install anywidget "
                          "(requirements.txt pins it), or use mode='static'") from error
    return DigitPad(network if network is not None else load_network(key), key=key)
