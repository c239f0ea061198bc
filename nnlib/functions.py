"""Activation functions, their derivatives, softmax and the loss functions, as plain NumPy.

Every function works on arrays of any float dtype and returns that dtype (float32 in, float32 out).
They are written so that large inputs (1000, -1000) neither overflow nor underflow:

* the sigmoid is computed as ``0.5 * (1 + tanh(x / 2))``, the same function as ``1 / (1 + exp(-x))``
  but without the ``exp(-x)`` that overflows for very negative x;
* softmax subtracts the row maximum first (Saitoh 3.5.2), so the largest exponent is ``exp(0) = 1``;
* ``softmax_cross_entropy`` and ``sigmoid_cross_entropy`` start from the scores (logits), never
  from ``log(softmax(...))``, so a confident wrong answer costs a large finite number, not ``inf``
  (``cross_entropy_error`` is Saitoh's version for probabilities, with his small ``delta``).

The losses follow the books: mean over the mini-batch, sum over the outputs; they return a float.
"""
import numpy as np


def step_function(x):
    """The perceptron's step: 1 where x > 0, else 0 (same dtype as a float x, int64 otherwise)."""
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.int64)


def step_grad(x):
    """The step's derivative: 0 everywhere (it is undefined at 0, where the step jumps)."""
    x = np.asarray(x)
    return np.zeros_like(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), computed as 0.5 * (1 + tanh(x / 2)) so it never overflows."""
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(x))


def sigmoid_grad(x):
    """Derivative of the sigmoid, sigma(x) * (1 - sigma(x)); its largest value is 1/4, at x = 0."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """Hyperbolic tangent, an S-curve through the origin with values in (-1, 1)."""
    return np.tanh(x)


def tanh_grad(x):
    """Derivative of tanh: 1 - tanh(x)**2, which is 1 at x = 0."""
    y = np.tanh(x)
    return 1.0 - y * y


def relu(x):
    """Rectified linear unit max(0, x)."""
    return np.maximum(x, 0)


def relu_grad(x):
    """Derivative of ReLU: 1 where x > 0, else 0 (we take 0 at x = 0, as Saitoh's eq. 5.8 does)."""
    x = np.asarray(x)
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def _shifted_scores(a, axis):
    """Scores minus their maximum along ``axis``: the largest becomes 0, so exp() cannot overflow."""
    a = np.asarray(a)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a - a.max(axis=axis, keepdims=True)


def _exp_no_underflow(shifted):
    """exp() of values <= 0; values below log(smallest normal number) are raised to it first.

    Their exponentials (below 1e-38 in float32, 1e-308 in float64) would only underflow to 0,
    so this changes no result that matters and keeps ``np.errstate(under="raise")`` quiet.
    """
    floor = np.log(np.finfo(shifted.dtype).tiny)
    return np.exp(np.maximum(shifted, floor))


def softmax(a, axis=-1):
    """Softmax along ``axis`` (default: the last, one row per sample): exp(a_k) / sum_i exp(a_i).

    Shape: same as ``a``. Saitoh's example: softmax([0.3, 2.9, 4.0]) = [0.0182, 0.2452, 0.7366].
    """
    e = _exp_no_underflow(_shifted_scores(a, axis))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(a, axis=-1):
    """log(softmax(a)) computed as (a - max) - log(sum(exp(a - max))): finite for any finite a."""
    shifted = _shifted_scores(a, axis)
    return shifted - np.log(_exp_no_underflow(shifted).sum(axis=axis, keepdims=True))


def one_hot(labels, num_classes, dtype=np.float32):
    """Integer labels of shape (N,) -> one-hot rows of shape (N, num_classes)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"one_hot expected integer labels of shape (N,), got dtype {labels.dtype} "
                         f"and shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got values from "
                         f"{labels.min()} to {labels.max()}")
    out = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


def _as_batch(y, t):
    """Turn a single sample (1-D) into a batch of one, and integer labels into one-hot rows."""
    y = np.asarray(y)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y[np.newaxis, :]
        t = t.reshape(1, -1) if t.ndim == 1 and t.size == y.shape[1] else t.reshape(-1)
    if t.shape != y.shape:
        if t.ndim == 1 and t.dtype.kind in "iu" and t.shape[0] == y.shape[0]:
            t = one_hot(t, y.shape[1], dtype=y.dtype if y.dtype.kind == "f" else np.float64)
        else:
            raise ValueError(f"targets must have the outputs' shape {y.shape} or be integer labels "
                             f"of shape ({y.shape[0]},), got shape {t.shape}")
    return y, t


def mean_squared_error(y, t):
    """Quadratic cost 0.5 * sum_k (y_k - t_k)**2, averaged over the batch (Saitoh eq. 4.1, Nielsen).

    ``y``: outputs, shape (N, C) or (C,) for one sample; ``t``: targets of the same shape or integer
    labels of shape (N,). Saitoh's example gives 0.0975 for a good guess and 0.5975 for a bad one.
    """
    y, t = _as_batch(y, t)
    d = y - t
    return 0.5 * float(np.sum(d * d)) / y.shape[0]


def cross_entropy_error(y, t, delta=1e-7):
    """Cross-entropy -sum_k t_k log(y_k + delta) of *probabilities* y, averaged over the batch.

    This is Saitoh's eq. 4.2/4.3; ``delta`` keeps log(0) = -inf away. To start from scores (logits),
    use :func:`softmax_cross_entropy`, which needs no delta and is exact.
    """
    y, t = _as_batch(y, t)
    return -float(np.sum(t * np.log(y + delta))) / y.shape[0]


def softmax_cross_entropy(a, t):
    """Cross-entropy of softmax(a) against labels or one-hot targets t, from the scores a, stably.

    ``a``: scores of shape (N, C) or (C,); ``t``: integer labels (N,) or targets of a's shape.
    Equals ``cross_entropy_error(softmax(a), t)`` (without its delta) but stays finite for a = 1000.
    """
    a, t = _as_batch(a, t)
    return -float(np.sum(t * log_softmax(a, axis=1))) / a.shape[0]


def sigmoid_cross_entropy(z, t):
    """Nielsen's cross-entropy of sigmoid outputs, from the pre-activations z, averaged over the batch.

    C = -sum_j [t_j ln a_j + (1 - t_j) ln(1 - a_j)] with a = sigmoid(z). Written as
    max(z, 0) - t z - ln(sigmoid(|z|)), every term of which is finite for any z (the last one is the
    log of a number between 1/2 and 1). ``t``: targets in [0, 1] of z's shape, or integer labels.
    """
    z, t = _as_batch(z, t)
    per_output = np.maximum(z, 0) - t * z - np.log(sigmoid(np.abs(z)))
    return float(np.sum(per_output)) / z.shape[0]
