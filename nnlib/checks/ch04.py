"""Checkers for the exercises of chapter 4 (the forward pass).

``check_forward(fn)`` tests a reader's ``forward(x, params)`` for a three-layer network with two
sigmoid layers and an identity output layer, the network of Saitoh's section 3.4. ``params`` is a
dictionary with the weights ``W1``, ``W2``, ``W3`` in this book's layout (one row per neuron, shape
(n_out, n_in)) and the biases ``b1``, ``b2``, ``b3``. The function is tried on a single input (a
vector), on a batch (one input per row), on other layer sizes and on a float32 network of MNIST's
size. The expected values come from the same network built from the library's own layers
(``Affine``, ``Sigmoid``, ``Sequential``); the first case is also the number Saitoh prints,
[0.31682708, 0.69627909].
"""
from itertools import pairwise

import numpy as np

from ..init import xavier
from ..layers import Affine, Sequential, Sigmoid
from . import Case, check_function

__all__ = ["check_forward", "forward_cases", "reference_forward", "saitoh_params"]

_LAYER_HINT = ("each hidden layer is a = sigmoid(a @ W.T + b), with W of shape (n_out, n_in); the "
               "output layer is y = a @ W3.T + b3 with no sigmoid (the identity function).")
_BATCH_HINT = ("a batch holds one input per row, and the same lines must work for a vector and for rows: "
               "a @ W.T + b does both. Do not pick out x[0] or reshape x to a fixed size.")
_SIZES_HINT = ("take every size from the arrays in params, never write 2 or 3 into the code; each layer "
               "is a @ W.T + b, so the number of outputs is the number of rows of W.")
_FLOAT32_ADVICE = ("a float64 array or scalar has turned the computation into float64: np.zeros(...) "
                   "and np.array of Python numbers are float64 unless you pass a dtype. Use only x, the "
                   "arrays in params and NumPy operations on them.")


def saitoh_params():
    """The weights and biases of Saitoh's 2-3-2-2 network (section 3.4), in this book's layout.

    Saitoh stores each weight matrix as (n_in, n_out), one column per neuron; here every W is his
    transposed, one row per neuron: W1 (3, 2), W2 (2, 3), W3 (2, 2). float64, as in his code.
    """
    return {
        "W1": np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
        "b1": np.array([0.1, 0.2, 0.3]),
        "W2": np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]),
        "b2": np.array([0.1, 0.2]),
        "W3": np.array([[0.1, 0.2], [0.3, 0.4]]),
        "b3": np.array([0.1, 0.2]),
    }


def reference_forward(x, params):
    """The network's output computed by nnlib's layers: sigmoid, sigmoid, identity.

    ``x``: one input of shape (n_in,) -> (n_out,), or a batch (N, n_in) -> (N, n_out); the dtype is
    the weights' dtype.
    """
    dtype = params["W1"].dtype
    model = Sequential(Affine.from_arrays(params["W1"], params["b1"]), Sigmoid(dtype),
                       Affine.from_arrays(params["W2"], params["b2"]), Sigmoid(dtype),
                       Affine.from_arrays(params["W3"], params["b3"]))
    x = np.asarray(x, dtype=dtype)
    if x.ndim == 1:
        return model.forward(x[np.newaxis, :])[0]
    return model.forward(x)


def _random_params(sizes, rng, dtype):
    """Weights (Xavier) and small random biases for the layer widths ``sizes`` (4 numbers)."""
    params = {}
    for layer, (n_in, n_out) in enumerate(pairwise(sizes), start=1):
        params[f"W{layer}"] = xavier((n_out, n_in), rng, dtype)
        params[f"b{layer}"] = (0.1 * rng.standard_normal(n_out)).astype(dtype)
    return params


def forward_cases():
    """The cases of :func:`check_forward`, built from fixed seeds (no global random state)."""
    rng = np.random.default_rng(404)
    toy = saitoh_params()
    x = np.array([1.0, 0.5])
    batch = np.array([[1.0, 0.5],
                      [0.0, 0.0],
                      [-1.0, 1.0],
                      [2.0, -2.0]])
    other = _random_params([3, 5, 4, 2], rng, np.float64)
    x_other = rng.standard_normal((6, 3))
    mnist = _random_params([784, 50, 100, 10], rng, np.float32)
    images = rng.random((5, 784), dtype=np.float32)
    exact = {"rtol": 1e-7, "atol": 1e-10}
    return [
        Case("Saitoh's input [1.0, 0.5] -> [0.3168, 0.6963], a vector of shape (2,)", x, toy,
             expected=reference_forward(x, toy), **exact, hint=_LAYER_HINT),
        Case("a batch of 4 inputs, shape (4, 2) -> (4, 2)", batch, toy,
             expected=reference_forward(batch, toy), **exact, hint=_BATCH_HINT),
        Case("other layer sizes [3, 5, 4, 2], a batch of 6 -> (6, 2)", x_other, other,
             expected=reference_forward(x_other, other), **exact, hint=_SIZES_HINT),
        Case("MNIST sizes [784, 50, 100, 10], 5 float32 images -> float32 (5, 10)", images, mnist,
             expected=reference_forward(images, mnist), check_dtype=True, rtol=1e-5, atol=1e-6,
             hint=_FLOAT32_ADVICE),
    ]


def check_forward(fn):
    """Check a reader's ``forward(x, params)`` (sigmoid, sigmoid, identity); print the report.

    NumPy's overflow warnings are silenced while the reader's function runs (a textbook sigmoid
    1 / (1 + exp(-z)) warns for very negative z), so only the report is printed.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        check_function(fn, forward_cases(), name=getattr(fn, "__name__", "forward"))
