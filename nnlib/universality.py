"""Chapter 8's constructions: networks whose weights are written down, not learned.

Nielsen's visual proof that a network with one hidden layer can approximate any continuous function
builds its weights by hand from three pieces, and this module builds the same pieces as arrays:

* a sigmoid neuron sigma(w x + b) with a large weight w is nearly a step function that jumps at
  ``s = -b / w`` (:func:`step_position`, :func:`step_neuron`);
* two such neurons, one stepping up at ``s1`` and one at ``s2``, with output weights ``h`` and ``-h``,
  make a bump of height ``h`` on [s1, s2]; N bumps side by side make a staircase that follows any
  continuous function (:func:`bump_network`, :func:`bump_edges`);
* for two inputs, steps in x and in y feed a second hidden layer whose neurons fire only where an
  x-bump and a y-bump overlap: a tower (:func:`tower_network`).

Every builder returns plain NumPy arrays in the book's layout (``W`` of shape (n_out, n_in), ``b`` of
shape (n_out,)); :func:`as_model` turns them into an ``nnlib`` ``Sequential`` of ``Affine`` and
``Sigmoid`` layers, so the hand-made network runs through the same code as a trained one.
:func:`best_heights` and :func:`max_error` measure how good a staircase is.
"""
import numpy as np

from .layers import Affine, Sequential, Sigmoid

__all__ = ["step_position", "step_neuron", "bump_edges", "bump_network", "tower_network", "as_model",
           "forward", "best_heights", "max_error", "random_steps"]

#: A sigmoid is within 5e-5 of 0 or 1 once |w (x - s)| >= 10: how far outside an interval the outer
#: steps of :func:`bump_edges` are placed.
SATURATED = 10.0


def _positive_number(value, what):
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a positive number, got {value!r}")
    return value


def step_position(w, b):
    """Where the neuron sigma(w x + b) crosses 1/2: the input ``s = -b / w`` (w must not be 0)."""
    if w == 0:
        raise ValueError("a neuron with weight w = 0 ignores its input and has no step; give w != 0")
    return -b / w


def step_neuron(s, steepness):
    """The weight and bias ``(w, b)`` of a sigmoid neuron that steps up at ``s``: w = steepness, b = -w s."""
    w = _positive_number(steepness, "steepness")
    return w, -w * float(s)


def bump_edges(n, lo=0.0, hi=1.0, steepness=1000.0):
    """The n + 1 edges of n bumps of equal width that cover [lo, hi].

    The inner edges split [lo, hi] evenly. The two outer ones are moved out by ``SATURATED /
    steepness``, so that at ``lo`` and ``hi`` the first and last bumps are at their full height
    instead of half of it (a sigmoid is exactly 1/2 at its own step).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of bumps n must be a whole number >= 1, got {n!r}")
    if not lo < hi:
        raise ValueError(f"the interval needs lo < hi, got lo={lo!r}, hi={hi!r}")
    margin = SATURATED / _positive_number(steepness, "steepness")
    edges = np.linspace(lo, hi, int(n) + 1)
    edges[0] -= margin
    edges[-1] += margin
    return edges


def _check_edges_heights(edges, heights):
    edges = np.asarray(edges, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2:
        raise ValueError(f"edges must be a list of at least 2 numbers, got shape {edges.shape}")
    if heights.shape != (edges.size - 1,):
        raise ValueError(f"{edges.size} edges make {edges.size - 1} bumps, so give {edges.size - 1} heights; "
                         f"got heights of shape {heights.shape}")
    if not (np.all(np.isfinite(edges)) and np.all(np.isfinite(heights))):
        raise ValueError("edges and heights must be finite numbers (no NaN or infinity)")
    if not np.all(np.diff(edges) > 0):
        raise ValueError("edges must increase from left to right (edges[i] < edges[i + 1])")
    return edges, heights


def bump_network(edges, heights, steepness=1000.0):
    """Weights of a network with one input, 2N hidden sigmoid neurons and a
    linear output, whose output is N bumps side by side.

    Bump i rises at edges[i], falls at edges[i + 1] and has height heights[i].
    Hidden neurons 2i and 2i + 1 step up at those two edges; the output adds
    heights[i] times the first and subtracts it times the second.
    Returns (W1, b1, W2, b2) of shapes (2N, 1), (2N,), (1, 2N), (1,).
    """
    edges, heights = _check_edges_heights(edges, heights)
    w = _positive_number(steepness, "steepness")
    # the step positions s1, s2 of bump 0, then s1, s2 of bump 1, ...
    positions = np.stack([edges[:-1], edges[1:]], axis=1).ravel()
    W1 = np.full((positions.size, 1), w)       # every step is equally steep
    b1 = -w * positions                         # b = -w s puts it at s
    # output weights +h for the rise and -h for the fall of each bump
    W2 = np.stack([heights, -heights], axis=1).reshape(1, -1)
    b2 = np.zeros(1)
    return W1, b1, W2, b2


def tower_network(x_edges, y_edges, heights, steepness=1000.0, tower_steepness=None):
    """Weights of a 2-input network with two hidden layers that builds a tower on every grid cell.

    Layer 1 has one step neuron per edge: ``len(x_edges)`` neurons looking at x, then
    ``len(y_edges)`` looking at y. Layer 2 has one neuron per cell (i, j): it adds the x-bump of
    column i and the y-bump of row j (each 1 inside its strip, 0 outside), so its input is 2 on the
    cell, 1 on the rest of the two strips and 0 elsewhere, and with bias -1.5 and a large weight it
    fires only on the cell. The linear output adds ``heights[j, i]`` times the tower of cell (i, j):
    row j of ``heights`` belongs to the y-strip j, as in an image.
    Returns ``[(W1, b1), (W2, b2), (W3, b3)]``, float64.
    """
    x_edges, _ = _check_edges_heights(x_edges, np.zeros(np.size(x_edges) - 1))
    y_edges, _ = _check_edges_heights(y_edges, np.zeros(np.size(y_edges) - 1))
    heights = np.asarray(heights, dtype=np.float64)
    nx, ny = x_edges.size - 1, y_edges.size - 1
    if heights.shape != (ny, nx):
        raise ValueError(f"{nx} columns and {ny} rows of cells need heights of shape ({ny}, {nx}) "
                         f"(one row per y-strip), got {heights.shape}")
    if not np.all(np.isfinite(heights)):
        raise ValueError("heights must be finite numbers (no NaN or infinity)")
    w = _positive_number(steepness, "steepness")
    k = _positive_number(tower_steepness if tower_steepness is not None else steepness / 10,
                         "tower_steepness")
    W1 = np.zeros((x_edges.size + y_edges.size, 2))
    W1[:x_edges.size, 0] = w
    W1[x_edges.size:, 1] = w
    b1 = -w * np.concatenate([x_edges, y_edges])
    W2 = np.zeros((nx * ny, W1.shape[0]))
    for j in range(ny):
        for i in range(nx):
            cell = j * nx + i
            W2[cell, i], W2[cell, i + 1] = k, -k                                      # x-bump of column i
            W2[cell, x_edges.size + j], W2[cell, x_edges.size + j + 1] = k, -k        # y-bump of row j
    b2 = np.full(nx * ny, -1.5 * k)
    W3 = heights.reshape(1, -1)
    b3 = np.zeros(1)
    return [(W1, b1), (W2, b2), (W3, b3)]


def random_steps(n, rng, steepness=20.0, lo=0.0, hi=1.0):
    """A starting hidden layer for learning a function of one input on [lo, hi]: ``(W, b)`` of shapes
    (n, 1) and (n,), float64.

    Each neuron is a soft step at a random place of [lo, hi] (uniform), with a weight drawn from
    N(0, steepness^2), so it rises or falls there. With the usual small weights every neuron would be
    almost a straight line over so short an interval, and gradient descent would first have to
    discover the steps.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of hidden neurons n must be a whole number >= 1, got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
    scale = _positive_number(steepness, "steepness")
    W = rng.normal(0.0, scale, size=(int(n), 1))
    positions = rng.uniform(lo, hi, size=int(n))
    return W, -W[:, 0] * positions


def as_model(*layers):
    """An ``nnlib`` network from ``(W, b)`` pairs (or a flat ``W1, b1, W2, b2, ...``): a float64
    ``Affine`` for each pair with a ``Sigmoid`` between consecutive ones and none after the last."""
    if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
        layers = tuple(layers[0])
    if layers and not isinstance(layers[0], tuple):
        if len(layers) % 2:
            raise ValueError("give (W, b) pairs or W1, b1, W2, b2, ...: an even number of arrays")
        layers = tuple(zip(layers[::2], layers[1::2]))
    if not layers:
        raise ValueError("as_model needs at least one (W, b) pair")
    parts = []
    for i, (W, b) in enumerate(layers):
        if i:
            parts.append(Sigmoid(np.float64))
        parts.append(Affine.from_arrays(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)))
    return Sequential(*parts)


def forward(model, x):
    """The outputs of a model with one output for inputs x: shape (N,) for x of shape (N,) (one
    input each) or (N, d)."""
    x = np.asarray(x, dtype=np.float64)
    batch = x[:, np.newaxis] if x.ndim == 1 else x
    return model.forward(batch)[:, 0]


def best_heights(f, edges, lo=0.0, hi=1.0, samples=2001):
    """The heights that make the staircase's largest error on [lo, hi] as small as possible, and that error.

    On each bump's piece of [lo, hi] the best constant is halfway between the smallest and the largest
    value of f there; its error is half that range. ``f`` is measured at ``samples`` evenly spaced
    points of [lo, hi] (each piece gets the points that fall in it, and both of its ends).
    Returns ``(heights, error)``.
    """
    edges = np.asarray(edges, dtype=np.float64)
    x = np.linspace(lo, hi, samples)
    inner = np.clip(edges, lo, hi)
    heights, worst = [], 0.0
    for a, b in zip(inner[:-1], inner[1:]):
        piece = np.concatenate([[a], x[(x > a) & (x < b)], [b]])
        values = np.asarray(f(piece), dtype=np.float64)
        low, high = values.min(), values.max()
        heights.append((low + high) / 2)
        worst = max(worst, (high - low) / 2)
    return np.array(heights), float(worst)


def max_error(g, f, lo=0.0, hi=1.0, samples=2001):
    """The largest |g(x) - f(x)| over ``samples`` evenly spaced points of [lo, hi], and the x where it is.

    ``g`` and ``f`` are functions of a NumPy array (a model can be passed as ``lambda x: forward(model,
    x)``). Returns ``(error, x_at_error)``.
    """
    x = np.linspace(lo, hi, samples)
    gap = np.abs(np.asarray(g(x), dtype=np.float64) - np.asarray(f(x), dtype=np.float64))
    if gap.shape != x.shape:
        raise ValueError(f"g and f must return one value per input: {x.shape}, got {gap.shape}")
    if not np.all(np.isfinite(gap)):
        raise ValueError("g or f returned NaN or infinity")
    i = int(np.argmax(gap))
    return float(gap[i]), float(x[i])
