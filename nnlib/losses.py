"""Loss layers, kept outside the model: ``loss.forward(scores, t)`` returns the loss as a Python float
and remembers what ``loss.backward()`` needs to return dL/d(scores).

Every loss is a mean over the mini-batch of a sum over the outputs, as in both books, and accepts
either integer labels ``t`` of shape (N,), with values 0..C-1, or targets of the scores' shape (N, C).
Labels are turned into one-hot rows first, so each loss is written once, for targets.
"""
import numpy as np

from .functions import log_softmax, sigmoid, softmax


class Loss:
    """Shared input handling. Subclasses implement ``forward(scores, t) -> float`` and ``backward()``."""

    _eye = None

    def _targets(self, scores, t):
        """Check ``scores`` (N, C) and return ``t`` as float targets (N, C) of the scores' dtype."""
        if not isinstance(scores, np.ndarray) or scores.dtype.kind != "f" or scores.ndim != 2:
            got = f"dtype {scores.dtype} and shape {scores.shape}" if isinstance(scores, np.ndarray) \
                else f"a {type(scores).__name__}"
            raise ValueError(f"{type(self).__name__}.forward expected float scores of shape (N, C), got {got}")
        t = np.asarray(t)
        if t.shape == scores.shape:
            return t.astype(scores.dtype, copy=False)
        if t.ndim == 1 and t.dtype.kind in "iu" and t.shape[0] == scores.shape[0]:
            return self._one_hot(t, scores)
        raise ValueError(f"{type(self).__name__}.forward expected integer labels of shape ({scores.shape[0]},) "
                         f"or targets of shape {scores.shape}, got shape {t.shape} and dtype {t.dtype}")

    def _one_hot(self, labels, scores):
        """One-hot rows for the labels: row k of the C x C identity matrix is the target of label k."""
        classes = scores.shape[1]
        if self._eye is None or self._eye.shape[0] != classes or self._eye.dtype != scores.dtype:
            self._eye = np.eye(classes, dtype=scores.dtype)   # kept: building it every call is slow
        try:
            return self._eye[labels]
        except IndexError:   # a label >= C (negative labels are not checked here; fit checks them)
            raise ValueError(f"{type(self).__name__}: labels must lie in 0..{classes - 1} for scores of "
                             f"shape {scores.shape}, got labels from {labels.min()} to {labels.max()}") from None

    def backward(self):
        raise NotImplementedError

    def _not_run_yet(self):
        return RuntimeError(f"{type(self).__name__}.backward called before forward")

    def __repr__(self):
        return f"{type(self).__name__}()"


class SoftmaxWithLoss(Loss):
    """Softmax of the scores followed by the cross-entropy: L = -(1/N) sum_n sum_k t_nk log y_nk.

    Shapes: scores (N, C); t integer labels (N,) or one-hot / probability targets (N, C).
    Backward: dL/dscores = (y - t) / N with y = softmax(scores) (Saitoh 5.6.3 and appendix A).
    PyTorch equivalent: ``torch.nn.CrossEntropyLoss()`` (which also takes raw scores).
    """

    def __init__(self):
        self.y = None

    def forward(self, scores, t):
        self.t = self._targets(scores, t)
        self.y = softmax(scores, axis=1)    # the probabilities, needed by backward
        log_y = log_softmax(scores, axis=1)  # from the scores: finite even where y rounds to 0
        return -float(np.vdot(self.t, log_y)) / scores.shape[0]

    def backward(self):
        if self.y is None:
            raise self._not_run_yet()
        dx = self.y - self.t
        dx *= 1.0 / dx.shape[0]
        return dx


class MeanSquaredError(Loss):
    """Quadratic cost L = (1/N) sum_n 0.5 * ||y_n - t_n||^2 (Nielsen's C, Saitoh's eq. 4.1).

    The 0.5 and the sum over outputs follow the books, so Nielsen's learning rate 3.0 works unchanged.
    Shapes: y (N, C) (the network's outputs, e.g. after a Sigmoid); t labels (N,) or targets (N, C).
    Backward: dL/dy = (y - t) / N.
    PyTorch equivalent: ``0.5 * C * torch.nn.MSELoss()(y, t)`` (MSELoss averages over all N*C entries).
    """

    def __init__(self):
        self.diff = None

    def forward(self, y, t):
        self.diff = y - self._targets(y, t)
        return 0.5 * float(np.vdot(self.diff, self.diff)) / y.shape[0]

    def backward(self):
        if self.diff is None:
            raise self._not_run_yet()
        return self.diff * (1.0 / self.diff.shape[0])


class SigmoidCrossEntropy(Loss):
    """Nielsen's cross-entropy cost for sigmoid output units, taking the pre-activations z.

    L = -(1/N) sum_n sum_j [t ln a + (1 - t) ln(1 - a)] with a = sigmoid(z), computed stably as
    max(z, 0) - t z - ln(sigmoid(|z|)). Do not put a Sigmoid layer before it: it applies the sigmoid.
    Shapes: z (N, C); t labels (N,) or targets in [0, 1] of shape (N, C).
    Backward: dL/dz = (a - t) / N, with no sigma'(z) factor, hence no learning slowdown.
    PyTorch equivalent: ``C * torch.nn.BCEWithLogitsLoss()(z, t)`` (which averages over N*C entries).
    """

    def __init__(self):
        self.a = None

    def forward(self, z, t):
        self.t = self._targets(z, t)
        self.a = sigmoid(z)
        per_output = np.maximum(z, 0) - self.t * z - np.log(sigmoid(np.abs(z)))
        return float(per_output.sum()) / z.shape[0]

    def backward(self):
        if self.a is None:
            raise self._not_run_yet()
        dz = self.a - self.t
        dz *= 1.0 / dz.shape[0]
        return dz
