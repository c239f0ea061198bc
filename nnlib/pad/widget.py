"""The drawing pad as a JupyterLab widget (anywidget), with the JavaScript of the web book's pad.

The browser sends the strokes; the kernel turns them into the (28, 28) MNIST image with
:func:`nnlib.drawing.drawing_to_mnist`, runs the network and sends back what the pad shows.
"""
import anywidget
import numpy as np
import traitlets

from ..drawing import drawing_to_mnist
from . import EXAMPLE_SEVEN, NETWORKS, digitpad_js, predict, title

# the web book's digitpad.js, plus the few lines that connect it to the widget's model
_GLUE = """
export default {
  render({ model, el }) {
    const pad = NNPad.createPad(el, {
      onStrokes: strokes => { model.set("strokes", strokes); model.save_changes(); },
    });
    const show = () => {
      const image = model.get("pixels"), p = model.get("probabilities"), inside = model.get("inside");
      pad.show({
        image: image.length ? Float32Array.from(image) : null,
        probabilities: p.length ? p : null,
        insideValues: inside.values ? { values: Float32Array.from(inside.values), shape: inside.shape } : null,
      });
      pad.status(model.get("message"));
    };
    model.on("change:pixels change:probabilities change:inside change:message", show);
    pad.setStrokes(model.get("strokes"));
    show();
  },
};
"""


class DigitPad(anywidget.AnyWidget):
    """Draw a digit; ``pad.image`` is the drawing as MNIST would have it, (28, 28) float32.

    ``network``: an nnlib model ending with its scores, run on every finished stroke (None: the
    pad only shows the image). ``key``: which of :data:`nnlib.pad.NETWORKS` it is, for its title.
    """

    _esm = digitpad_js() + _GLUE
    strokes = traitlets.List(EXAMPLE_SEVEN).tag(sync=True)
    pixels = traitlets.List([]).tag(sync=True)                 # 784 grey levels, row by row
    probabilities = traitlets.List([]).tag(sync=True)
    inside = traitlets.Dict({}).tag(sync=True)                 # {"values": [...], "shape": [...]}
    message = traitlets.Unicode("").tag(sync=True)

    def __init__(self, network=None, key="mlp", strokes=None, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.title = title(key) if key in NETWORKS else str(key)
        self.strokes = [list(map(list, s)) for s in (strokes if strokes is not None else EXAMPLE_SEVEN)]
        self._update()

    @traitlets.observe("strokes")
    def _strokes_changed(self, change):
        self._update()

    def _update(self):
        if not self.strokes:
            self.pixels, self.probabilities, self.inside = [], [], {}
            self.message = "draw a digit"
            return
        image = drawing_to_mnist(self.strokes)
        self.pixels = image.ravel().tolist()
        if self.network is None:
            self.message = "no network given: the pad shows the image only"
            return
        probabilities, inside = predict(self.network, image)
        self.inside = {"values": np.asarray(inside, dtype=np.float64).ravel().tolist(),
                       "shape": list(inside.shape)}
        self.probabilities = probabilities.tolist()
        self.message = f"computed in the kernel: {self.title}"

    @property
    def image(self):
        """The drawing as a (28, 28) float32 array; ``ValueError`` if the pad is empty."""
        if not self.strokes:
            raise ValueError("the pad is empty: draw a digit on it, then run this cell again")
        return drawing_to_mnist(self.strokes)
