"""Checkers for the exercises of chapter 7 (training on MNIST).

* ``check_confusion_matrix(fn)``: ``fn(labels, predicted, classes=10)`` returns the integer matrix
  whose entry [i, j] counts the images of digit i that were classified as j.
* ``check_l2_step(fn)``: ``fn(W, grad, eta, lmbda, n)`` returns the weights after one step of
  gradient descent on Nielsen's regularised cost C0 + (lmbda / 2n) sum w^2, where ``grad`` is the
  gradient of C0 alone: W' = (1 - eta lmbda / n) W - eta grad. The reference is nnlib's own SGD with
  ``weight_decay = lmbda / n``.
* ``check_output_gradients(fn)``: ``fn(z, y)`` for one sigmoid output neuron with weighted input z and
  target y returns the pair (dC/dz for the quadratic cost (a - y)^2 / 2, dC/dz for the cross-entropy
  -[y ln a + (1 - y) ln(1 - a)]), with a = sigmoid(z). They are (a - y) sigma'(z) and (a - y).
"""
import numpy as np

from ..functions import sigmoid
from ..layers import Parameter
from ..optim import SGD
from . import Case, check_function

__all__ = ["check_confusion_matrix", "confusion_matrix_cases", "reference_confusion_matrix",
           "check_l2_step", "l2_step_cases", "reference_l2_step",
           "check_output_gradients", "output_gradient_cases", "reference_output_gradients"]


def reference_confusion_matrix(labels, predicted, classes=10):
    """counts[i, j] = number of samples with label i and prediction j; shape (classes, classes)."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(labels), np.asarray(predicted)), 1)
    return counts


def _integer_matrix(expected):
    def compare(result):
        if result is None:
            return False, "got None: did you forget `return`?"
        result = np.asarray(result)
        if result.shape != expected.shape:
            return False, f"expected shape {expected.shape}, got shape {result.shape}"
        if result.dtype.kind not in "iu":
            return False, (f"expected whole numbers (an integer dtype), got dtype {result.dtype}; "
                           "counts are integers: start from np.zeros(..., dtype=int)")
        if not np.array_equal(result, expected):
            wrong = np.argwhere(result != expected)[0]
            i, j = (int(k) for k in wrong)
            return False, (f"entry [{i}, {j}] is {result[i, j]}, expected {expected[i, j]} "
                           f"(images of digit {i} classified as {j})")
        return True, ""
    return compare


def confusion_matrix_cases():
    rng = np.random.default_rng(707)
    labels = rng.integers(0, 10, size=500)
    predicted = np.where(rng.random(500) < 0.8, labels, rng.integers(0, 10, size=500))
    small_labels = np.array([0, 0, 1, 2, 2, 2])
    small_predicted = np.array([0, 1, 1, 2, 2, 0])
    repeated = np.array([3, 3, 3, 3])
    return [
        Case("3 classes, 6 samples: rows are labels, columns are answers", small_labels,
             small_predicted, classes=3,
             expected=_integer_matrix(reference_confusion_matrix(small_labels, small_predicted, 3)),
             hint="entry [i, j] counts the samples whose label is i and whose answer is j: "
                  "row = the true digit, column = the network's answer."),
        Case("the same pair four times counts 4, not 1", repeated, repeated, classes=10,
             expected=_integer_matrix(reference_confusion_matrix(repeated, repeated, 10))),
        Case("500 samples, 10 classes; the diagonal holds the correct answers", labels, predicted,
             expected=_integer_matrix(reference_confusion_matrix(labels, predicted, 10)),
             hint="a loop over the samples with counts[label, answer] += 1 works; so does "
                  "np.add.at(counts, (labels, predicted), 1). Note that counts[labels, predicted] += 1 "
                  "adds only 1 for a pair that occurs several times."),
    ]


def check_confusion_matrix(fn):
    """Check a reader's ``confusion_matrix(labels, predicted, classes=10)``; print the report."""
    check_function(fn, confusion_matrix_cases(), name=getattr(fn, "__name__", "confusion_matrix"))


def reference_l2_step(W, grad, eta, lmbda, n):
    """One step of nnlib's SGD with weight_decay = lmbda / n on a copy of W; returns the new W."""
    p = Parameter(np.array(W, copy=True), "W")
    p.grad = np.asarray(grad, dtype=p.data.dtype)
    SGD([p], lr=eta, weight_decay=lmbda / n).step()
    return p.data


def l2_step_cases():
    rng = np.random.default_rng(77)
    W = rng.standard_normal((3, 4))
    grad = rng.standard_normal((3, 4))
    W_big = rng.standard_normal((100, 784)).astype(np.float32)
    grad_big = (0.01 * rng.standard_normal((100, 784))).astype(np.float32)
    return [
        Case("lmbda = 0: plain gradient descent, W - eta * grad", W, grad, 0.5, 0.0, 50_000,
             expected=reference_l2_step(W, grad, 0.5, 0.0, 50_000),
             hint="without regularisation the step is W - eta * grad."),
        Case("grad = 0: the weights shrink by the factor 1 - eta * lmbda / n", W, np.zeros_like(W),
             0.1, 5.0, 50_000, expected=reference_l2_step(W, np.zeros_like(W), 0.1, 5.0, 50_000),
             hint="the penalty (lmbda / 2n) sum w^2 has the gradient (lmbda / n) w, so a step "
                  "multiplies W by 1 - eta * lmbda / n even when grad is zero. Divide by n, not 2n."),
        Case("Nielsen's settings eta 0.1, lmbda 5.0, n 50,000 on a small W", W, grad, 0.1, 5.0,
             50_000, expected=reference_l2_step(W, grad, 0.1, 5.0, 50_000)),
        Case("a float32 (100, 784) weight matrix stays float32", W_big, grad_big, 0.1, 5.0, 50_000,
             expected=reference_l2_step(W_big, grad_big, 0.1, 5.0, 50_000), check_dtype=True,
             rtol=1e-5, atol=1e-6,
             hint="compute with W, grad and Python numbers only; np.float64 constants would turn "
                  "the result into float64."),
    ]


def check_l2_step(fn):
    """Check a reader's ``l2_step(W, grad, eta, lmbda, n)``; print the report."""
    check_function(fn, l2_step_cases(), name=getattr(fn, "__name__", "l2_step"))


def reference_output_gradients(z, y):
    """(quadratic dC/dz, cross-entropy dC/dz) for one sigmoid neuron: ((a-y) a (1-a), a - y)."""
    a = sigmoid(np.asarray(z, dtype=np.float64))
    return (a - y) * a * (1 - a), a - y


def _pair(expected):
    quad, ce = (np.asarray(e, dtype=np.float64) for e in expected)

    def compare(result):
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            return False, "expected a pair (quadratic, cross_entropy), e.g. return dq, dce"
        got = [np.asarray(r, dtype=np.float64) for r in result]
        for name, g, e in (("quadratic", got[0], quad), ("cross-entropy", got[1], ce)):
            if g.shape != e.shape or not np.allclose(g, e, rtol=1e-9, atol=1e-15):
                return False, f"the {name} gradient: expected {e.round(12).tolist()}, got {g.tolist()}"
        return True, ""
    return compare


def output_gradient_cases():
    z = np.array([-6.0, -2.0, 0.0, 2.0, 6.0])
    return [
        Case("z = 0, y = 0: a = 0.5, so (0.125, 0.5)", 0.0, 0.0,
             expected=_pair(reference_output_gradients(0.0, 0.0)),
             hint="a = sigmoid(z); quadratic: (a - y) * sigmoid'(z) with sigmoid'(z) = a (1 - a); "
                  "cross-entropy: a - y."),
        Case("z = 5, y = 0: a saturated neuron, badly wrong", 5.0, 0.0,
             expected=_pair(reference_output_gradients(5.0, 0.0)),
             hint="the quadratic gradient is small here (sigmoid' is small) although the output is "
                  "wrong; the cross-entropy gradient is almost 1."),
        Case("an array of z with y = 1 (element by element)", z, 1.0,
             expected=_pair(reference_output_gradients(z, 1.0)),
             hint="use NumPy operations so that the same lines work for an array z."),
    ]


def check_output_gradients(fn):
    """Check a reader's ``output_gradients(z, y)``; print the report."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        check_function(fn, output_gradient_cases(), name=getattr(fn, "__name__", "output_gradients"))
