"""Ensembles of saved networks, and answers that do not depend on the reader's BLAS kernel.

An ensemble answers with the class of the largest *average of its members' softmax
probabilities* (Saitoh 6.4; Nielsen's record of 99.67 % on MNIST is an ensemble of five networks).
One network is an ensemble of one, so the same functions serve a single model too.

Evaluating in float32 is fast, but the last digits of float32 sums depend on the CPU's BLAS kernel
and thread count, so an image whose two best classes are almost tied may be answered differently on
another computer. :func:`stable_predictions` therefore recomputes the closest calls in float64 and
checks that every other call is decided by a margin far larger than the float32 rounding::

    build = lambda rng, dtype: DeepConvNet(rng, dtype)
    result = stable_predictions(build, ["data/weights/best_1.npz", ...], x_test)
    correct = int(np.sum(result.labels == t_test))

Weights are the ``.npz`` files of :func:`nnlib.models.save_weights`, or dicts of arrays with the
same names (e.g. the arrays of a file rounded to float16).
"""
from dataclasses import dataclass

import numpy as np

from .functions import softmax
from .models import load_weights
from .train import predict

__all__ = ["load_members", "average_probabilities", "stable_predictions", "StablePredictions"]


def load_members(build, weights, dtype=np.float32):
    """One model per entry of ``weights`` (paths or dicts), built by ``build(rng, dtype)``.

    ``build`` must make the architecture the weights were saved from, e.g.
    ``lambda rng, dtype: DeepConvNet(rng, dtype)``; the generator it receives only fills the
    initial weights, which the saved ones replace.
    """
    if isinstance(weights, (str, dict)) or not hasattr(weights, "__iter__"):
        raise ValueError("weights must be a list of .npz paths or dicts of arrays, one per member; "
                         f"got {type(weights).__name__} (wrap a single one in a list)")
    weights = list(weights)
    if not weights:
        raise ValueError("an ensemble needs at least one member; got an empty list of weights")
    return [load_weights(build(np.random.default_rng(0), dtype), w) for w in weights]


def average_probabilities(models, x, batch_size=1000):
    """The mean over ``models`` of their softmax probabilities for x, shape (N, classes), float64."""
    if not models:
        raise ValueError("average_probabilities needs at least one model")
    total = 0.0
    for model in models:
        total = total + softmax(predict(model, x, batch_size).astype(np.float64))
    return total / len(models)


@dataclass
class StablePredictions:
    """What :func:`stable_predictions` returns.

    ``labels`` (N,): the ensemble's answers; ``probabilities`` (N, C): the averaged probabilities
    (float64 values for the recomputed rows, float32 evaluation for the others); ``margin`` (N,):
    best minus second-best probability; ``recomputed``: indices of the rows evaluated in float64;
    ``rounding``: the largest difference between float32 and float64 probabilities seen in those
    rows; ``smallest_kept_margin``: the smallest margin among the rows not recomputed.
    """

    labels: np.ndarray
    probabilities: np.ndarray
    margin: np.ndarray
    recomputed: np.ndarray
    rounding: float
    smallest_kept_margin: float


def _margin(p):
    top_two = np.sort(p, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def stable_predictions(build, weights, x, *, closest=50, safety=20.0, batch_size=1000):
    """The ensemble's answers for x, the same on every CPU.

    Evaluates every member in float32, recomputes the ``closest`` images with the smallest margins
    between the two most probable classes in float64, and checks that every other image's margin is
    more than ``safety`` times the float32 rounding error seen in the recomputed rows. Raises a
    ``ValueError`` if it is not (then pass a larger ``closest``).
    """
    if closest < 1:
        raise ValueError(f"closest must be at least 1, got {closest}")
    models = load_members(build, weights, np.float32)
    probs = average_probabilities(models, x, batch_size)
    margin = _margin(probs)
    order = np.argsort(margin, kind="stable")
    redo, kept = order[:closest], order[closest:]
    models64 = load_members(build, weights, np.float64)
    exact = average_probabilities(models64, np.asarray(x[redo], dtype=np.float64), batch_size)
    rounding = float(np.abs(exact - probs[redo]).max())
    smallest_kept = float(margin[kept].min()) if len(kept) else float("inf")
    if smallest_kept <= safety * rounding:
        raise ValueError(
            f"an image outside the {closest} recomputed ones has its two best classes only "
            f"{smallest_kept:.2e} apart, within {safety:g} times the float32 rounding error "
            f"({rounding:.2e}): its answer might differ on another CPU. Pass a larger closest=.")
    probs = probs.copy()
    probs[redo] = exact
    margin = _margin(probs)
    return StablePredictions(labels=probs.argmax(axis=1), probabilities=probs, margin=margin,
                             recomputed=redo, rounding=rounding, smallest_kept_margin=smallest_kept)
