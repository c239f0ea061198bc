"""Nielsen's fully connected sigmoid networks, and reading back the weights ``scripts/train_mlp.py`` saves.

    net = nielsen_mlp([784, 30, 10], rng)                     # sigmoid outputs, for the quadratic cost
    net = nielsen_mlp([784, 100, 10], rng, output="scores")   # raw scores, for a loss that takes them
    net = load_mlp("data/weights/mlp_quadratic30_seed1.npz")  # float64, ends with the output scores
    net = relu_mlp([784, 100, 100, 10], rng, dropout=0.15)    # Saitoh's ReLU networks (chapters 9-11)

``nielsen_mlp`` draws every weight and bias from N(0, 1) by default, as Nielsen's ``network.py`` does.
``output="sigmoid"`` ends with a Sigmoid layer (use it with :class:`~nnlib.losses.MeanSquaredError`);
``output="scores"`` ends with the last Affine layer, for :class:`~nnlib.losses.SigmoidCrossEntropy`
and :class:`~nnlib.losses.SoftmaxWithLoss`, which apply the sigmoid or the softmax themselves.

``load_mlp`` always builds the network *without* an output activation: the sigmoid and the softmax
never change which output is largest, so the scores give the same answers, and they keep apart two
outputs that a sigmoid would round to the same number. :func:`count_correct` counts the right answers
and :func:`near_ties` the images whose two largest scores are so close that the rounding of another
BLAS kernel could swap them. :func:`load_histories` reads the per-epoch histories the script wrote.
"""
import json
from pathlib import Path

import numpy as np

from . import fast
from .layers import Affine, BatchNorm, Dropout, ReLU, Sequential, Sigmoid

OUTPUTS = ("sigmoid", "scores")


def nielsen_mlp(sizes, rng, *, output="sigmoid", init=1.0, bias_std=1.0, dtype=np.float32):
    """A fully connected network with the layer widths ``sizes`` and sigmoid hidden layers.

    ``sizes``: e.g. ``[784, 30, 10]``; ``rng``: a ``numpy.random.Generator``; ``output``: ``"sigmoid"``
    or ``"scores"`` (see the module docstring); ``init`` and ``bias_std``: as for
    :class:`~nnlib.layers.Affine` (1.0 and 1.0 give Nielsen's N(0, 1) weights and biases).
    """
    sizes = list(sizes)
    if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
        raise ValueError(f"sizes must list at least two positive layer widths, e.g. [784, 30, 10]; got {sizes}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Affine(n_in, n_out, rng, init=init, bias_std=bias_std, dtype=dtype))
        if k < len(sizes) - 2 or output == "sigmoid":
            layers.append(Sigmoid(dtype))
    return Sequential(*layers)


def relu_mlp(sizes, rng, *, init="he", batchnorm=False, dropout=0.0, dtype=np.float32, fast_layers=True):
    """Saitoh's fully connected ReLU network (his ``MultiLayerNet`` and ``MultiLayerNetExtend``).

    Every hidden layer is Affine, then BatchNorm if ``batchnorm``, then ReLU, then Dropout with
    probability ``dropout`` if it is not 0; the last Affine layer gives the scores (for
    :class:`~nnlib.losses.SoftmaxWithLoss`). ``init``: ``"he"`` (default, Saitoh's for ReLU),
    ``"xavier"`` or a standard deviation; biases start at 0. ``rng`` draws the weights, layer by
    layer, and then the dropout masks. The first layer does not compute the gradient with respect to
    the images (``input_grad=False``). ``fast_layers=True`` uses the Affine and ReLU of
    :mod:`nnlib.fast` (the same numbers, faster); False the teaching layers.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
        raise ValueError(f"sizes must list at least two positive layer widths, e.g. [784, 100, 10]; got {sizes}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a probability in [0, 1), got {dropout}")
    affine, relu = (fast.Affine, fast.ReLU) if fast_layers else (Affine, ReLU)
    stack = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-2], sizes[1:-1])):
        stack.append(affine(n_in, n_out, rng, init=init, dtype=dtype, input_grad=k > 0))
        if batchnorm:
            stack.append(BatchNorm(n_out, dtype=dtype))
        stack.append(relu(dtype))
        if dropout:
            stack.append(Dropout(dropout, rng, dtype=dtype))
    stack.append(affine(sizes[-2], sizes[-1], rng, init=init, dtype=dtype, input_grad=len(sizes) > 2))
    return Sequential(*stack)


def load_mlp(path, dtype=np.float64):
    """The network stored in ``path`` (an ``.npz`` written by ``save_weights``), ending with its scores.

    The file holds ``"<i>.W"`` and ``"<i>.b"`` for the Affine layer at position ``i``; the layers in
    between are sigmoids. The weights are converted to ``dtype`` (float64 by default, so that the
    answers do not depend on the BLAS kernel; see :func:`near_ties`).
    """
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    positions = sorted({int(name.split(".")[0]) for name in arrays})
    expected = {f"{i}.{p}" for i in positions for p in ("W", "b")}
    if set(arrays) != expected or positions != list(range(0, 2 * len(positions), 2)):
        raise ValueError(f"{path} does not hold a fully connected sigmoid network (arrays 0.W, 0.b, 2.W, "
                         f"2.b, ...); it holds {sorted(arrays)}")
    layers = []
    for k, i in enumerate(positions):
        W, b = arrays[f"{i}.W"].astype(dtype), arrays[f"{i}.b"].astype(dtype)
        if k and W.shape[1] != layers[-2].W.data.shape[0]:
            raise ValueError(f"{path}: layer {i} expects {W.shape[1]} inputs but the layer before has "
                             f"{layers[-2].W.data.shape[0]} outputs")
        layers.append(Affine.from_arrays(W, b))
        layers.append(Sigmoid(dtype))
    return Sequential(*layers[:-1])


def scores(model, x, batch_size=2000):
    """The model's outputs for the images ``x`` (converted to the model's dtype), shape (N, C)."""
    dtype = model[0].W.data.dtype
    return np.concatenate([model.forward(x[i:i + batch_size].astype(dtype, copy=False))
                           for i in range(0, len(x), batch_size)])


def count_correct(model, x, t):
    """How many images the model classifies correctly (largest output = label ``t``)."""
    return int(np.count_nonzero(scores(model, x).argmax(axis=1) == np.asarray(t)))


def near_ties(s, tolerance=1e-4):
    """How many rows of the scores ``s`` have their two largest entries closer than ``tolerance``.

    For those images (and only those) another order of additions could change the answer. In
    float64 the rounding differences are about 1e-13, so with the default tolerance a count of 0
    means no BLAS kernel can change any answer.
    """
    top2 = np.sort(np.asarray(s), axis=1)[:, -2:]
    return int(np.count_nonzero(top2[:, 1] - top2[:, 0] < tolerance))


RESULTS_DIR = Path(__file__).resolve().parent.parent / "data"


def load_histories(pattern, results_dir=None):
    """The histories ``data/histories/<pattern>.json`` written by ``scripts/train_mlp.py``, sorted by seed.

    ``pattern`` may contain shell wildcards, e.g. ``"mlp_quadratic30_seed*"``. Raises a
    ``FileNotFoundError`` that says how to make the files when none match.
    """
    folder = Path(results_dir or RESULTS_DIR) / "histories"
    paths = sorted(folder.glob(f"{pattern}.json"))
    if not paths:
        raise FileNotFoundError(f"no history matches {folder / (pattern + '.json')}; they come with the "
                                "book's repository, or run `make train-mlp` to make them")
    histories = [json.loads(p.read_text()) for p in paths]
    return sorted(histories, key=lambda h: (h["seed"], h["experiment"]))
