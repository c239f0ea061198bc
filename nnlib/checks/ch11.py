"""Checkers for the exercises of chapter 11 (batch normalisation, regularisation, validation).

``check_batchnorm_forward(fn)`` tests a reader's ``batchnorm_forward(x, gamma, beta, eps)``: the
training-mode output of batch normalisation for a batch x of shape (N, D), each column normalised
with its batch mean and (biased) variance, then scaled by gamma and shifted by beta. The expected
values come from :class:`nnlib.layers.BatchNorm`.

``check_dropout_forward(fn)`` tests a reader's ``dropout_forward(x, u, p)``: inverted dropout in
training mode, given uniform random numbers ``u`` of x's shape; a unit is kept where u >= p and the
kept ones are divided by 1 - p (as :class:`nnlib.layers.Dropout` does).

``check_early_stopping(fn)`` tests a reader's ``early_stopping(val_acc, patience)``, which returns
``(stop, best)``: the index of the epoch after which training stops (the first epoch that comes
``patience`` epochs after the best one so far without beating it; the last epoch if that never
happens) and the index of the best epoch up to then (the earliest one if tied), whose weights are kept.

``check_gap_prediction(answer)`` checks a "predict first" answer: how many percentage points the
training accuracy of the unregularised 300-image network lies above its test accuracy after
200 epochs, one of "1", "5", "25", "50".
"""
import numpy as np

from ..layers import BatchNorm
from . import Case, check_choice, check_function, describe

__all__ = ["check_batchnorm_forward", "check_dropout_forward", "check_early_stopping",
           "check_gap_prediction", "batchnorm_cases", "dropout_cases", "early_stopping_cases",
           "early_stopping", "GAP_CHOICES", "GAP_ANSWER"]

#: The choices of the prediction and the right one (the shipped histories of
#: scripts/train_regularization.py give a gap of about 25 points; tests/test_regularization_histories.py
#: checks that this stays true).
GAP_CHOICES = ("1", "5", "25", "50")
GAP_ANSWER = "25"


# --- batch normalisation -------------------------------------------------------------------------

def _batchnorm(x, gamma, beta, eps):
    layer = BatchNorm(x.shape[1], eps=eps, dtype=np.float64)
    layer.gamma.data[...] = gamma
    layer.beta.data[...] = beta
    return layer.forward(x, training=True)


def _close(a, b):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-8))


def _slip_comparison(expected, slips):
    """compare(result) -> (ok, message) for an array result: right, one of the named ``slips``
    (``{what went wrong: the array it gives}``; NaNs in the same places count as equal), or wrong."""
    def compare(result):
        try:
            got = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            return False, f"expected an array of shape {expected.shape}, got {describe(result)}"
        if got.shape != expected.shape:
            return False, f"expected shape {expected.shape}, got shape {got.shape}"
        if _close(got, expected):
            return True, ""
        for slip, wrong in slips.items():
            if not _close(wrong, expected) and np.all(np.isfinite(got) == np.isfinite(wrong)) \
                    and _close(np.nan_to_num(got), np.nan_to_num(wrong)):
                return False, f"got {describe(got)}\nwhich is {slip}"
        return False, f"expected {describe(expected)}\ngot      {describe(got)}"
    return compare


def _batchnorm_expectation(x, gamma, beta, eps):
    expected = _batchnorm(x, gamma, beta, eps)
    centred = x - x.mean(axis=0)
    slips = {}
    if len(x) > 1:
        unbiased = centred / np.sqrt(x.var(axis=0, ddof=1) + eps)
        slips["the unbiased variance (ddof=1); batch normalisation divides by N"] = gamma * unbiased + beta
    rows = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    slips["each row (sample) normalised, not each column (feature) over the batch: use axis=0"] = \
        gamma * rows + beta
    slips["x_hat without gamma and beta"] = centred / np.sqrt(x.var(axis=0) + eps)
    slips["divided by the variance instead of its square root"] = gamma * centred / (x.var(axis=0) + eps) + beta
    with np.errstate(all="ignore"):
        slips["eps left out (a constant column divides 0 by 0)"] = gamma * centred / np.sqrt(x.var(axis=0)) + beta

    return _slip_comparison(expected, slips)


def batchnorm_cases():
    """Cases of :func:`check_batchnorm_forward`: plain columns, gamma and beta, a constant column."""
    rng = np.random.default_rng(11)
    x1 = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0], [7.0, 2.0]])
    x2 = rng.normal(3.0, 2.0, size=(5, 3))
    x3 = np.column_stack([rng.normal(size=4), np.full(4, 0.5)])
    hint = ("per column j: mean = x[:, j].mean(), var = ((x[:, j] - mean)**2).mean(), "
            "x_hat = (x - mean) / sqrt(var + eps), out = gamma * x_hat + beta; "
            "x.mean(axis=0) and x.var(axis=0) do every column at once.")
    cases = []
    for text, x, gamma, beta, eps in [
            ("4 x 2 batch, gamma 1, beta 0", x1, np.ones(2), np.zeros(2), 1e-7),
            ("5 x 3 batch, gamma (2, 0.5, 1), beta (0, 1, -3)", x2, np.array([2.0, 0.5, 1.0]),
             np.array([0.0, 1.0, -3.0]), 1e-5),
            ("a constant column: eps keeps it finite (it becomes beta)", x3, np.array([1.0, 3.0]),
             np.array([0.0, 0.25]), 1e-5)]:
        cases.append(Case(f"batchnorm_forward: {text}", x, gamma, beta, eps,
                          expected=_batchnorm_expectation(x, gamma, beta, eps), hint=hint))
    return cases


def check_batchnorm_forward(fn):
    """Check a reader's ``batchnorm_forward(x, gamma, beta, eps)`` and print the report."""
    check_function(fn, batchnorm_cases(), name=getattr(fn, "__name__", "batchnorm_forward"))


# --- dropout ----------------------------------------------------------------------------------------

def _dropout_expectation(x, u, p):
    keep = u >= p
    expected = x * keep / (1.0 - p)
    slips = {
        "not rescaled: the kept units must be divided by 1 - p, so that the expected output "
        "equals x and evaluation can use x unchanged": x * keep,
        "multiplied by 1 - p: that is Saitoh's rule for test time; inverted dropout divides in training":
            x * keep * (1.0 - p),
        "the units with u < p kept instead of dropped (p is the probability of dropping)": x * ~keep / (1.0 - p),
        "divided by p instead of 1 - p": x * keep / p if p > 0 else expected,
    }

    return _slip_comparison(expected, slips)


def dropout_cases():
    """Cases of :func:`check_dropout_forward`: p = 0.5, Saitoh's 0.15, and p = 0 (nothing dropped)."""
    x = np.array([[1.0, -2.0, 3.0, 4.0], [0.5, 0.25, -1.0, 2.0]])
    u = np.array([[0.9, 0.1, 0.6, 0.3], [0.05, 0.72, 0.49, 0.95]])
    hint = "keep = u >= p; return x * keep / (1 - p)."
    return [Case(f"dropout_forward with p = {p}: {note}", x, u, p, expected=_dropout_expectation(x, u, p), hint=hint)
            for p, note in [(0.5, "half of the units dropped on average"),
                            (0.15, "Saitoh's ratio; here only the units with u < 0.15 go"),
                            (0.0, "nothing dropped: x unchanged")]]


def check_dropout_forward(fn):
    """Check a reader's ``dropout_forward(x, u, p)`` and print the report."""
    check_function(fn, dropout_cases(), name=getattr(fn, "__name__", "dropout_forward"))


# --- early stopping --------------------------------------------------------------------------------

def early_stopping(val_acc, patience):
    """The reference: (stop, best) for the validation accuracies ``val_acc`` (see the module docstring)."""
    best = 0
    for epoch, acc in enumerate(val_acc):
        if acc > val_acc[best]:
            best = epoch
        if epoch - best >= patience:
            return epoch, best
    return len(val_acc) - 1, best


def _pair_expectation(expected, slips):
    def compare(result):
        try:
            got = tuple(int(v) for v in result)
        except (TypeError, ValueError):
            return False, f"expected a pair (stop, best), got {describe(result)}"
        if len(got) != 2:
            return False, f"expected a pair (stop, best), got {describe(result)}"
        if got == expected:
            return True, ""
        for slip, wrong in slips.items():
            if wrong != expected and got == wrong:
                return False, f"expected {expected}, got {got}, which is {slip}"
        return False, f"expected (stop, best) = {expected}, got {got}"
    return compare


def early_stopping_cases():
    """Cases of :func:`check_early_stopping`, chosen so that the usual slips give other answers."""
    curves = [
        ([0.50, 0.60, 0.70, 0.72, 0.71, 0.72, 0.70, 0.69, 0.68, 0.80], 3,
         "a tie with the best does not reset the patience; the late 0.80 comes too late"),
        ([0.2, 0.4, 0.6, 0.8, 0.9], 2, "still improving: train to the end"),
        ([0.9, 0.8, 0.7, 0.6], 1, "the first epoch is the best; patience 1 stops at once"),
        ([0.5, 0.6, 0.55, 0.58, 0.65, 0.6, 0.6, 0.6, 0.6, 0.7], 3, "an improvement after a dip resets the count"),
    ]
    cases = []
    for val_acc, patience, note in curves:
        expected = early_stopping(val_acc, patience)
        last_tie = _last_tie(val_acc, patience)
        slips = {"the best of the whole curve: early stopping cannot look at epochs it never trained":
                 (len(val_acc) - 1, int(np.argmax(val_acc))),
                 "one epoch too late: stop when `patience` epochs have passed without improvement, "
                 "that is at best + patience": _late(val_acc, patience),
                 "a tie counted as an improvement (use >, not >=)": last_tie}
        cases.append(Case(f"patience {patience}: {note} -> {expected}", val_acc, patience,
                          expected=_pair_expectation(expected, slips),
                          hint="keep the index of the best accuracy so far (update it only when an "
                               "accuracy is strictly larger); stop at the first epoch with "
                               "epoch - best >= patience."))
    return cases


def _late(val_acc, patience):
    stop, best = early_stopping(val_acc, patience + 1)
    return stop, best


def _last_tie(val_acc, patience):
    best = 0
    for epoch, acc in enumerate(val_acc):
        if acc >= val_acc[best]:
            best = epoch
        if epoch - best >= patience:
            return epoch, best
    return len(val_acc) - 1, best


def check_early_stopping(fn):
    """Check a reader's ``early_stopping(val_acc, patience)`` and print the report."""
    check_function(fn, early_stopping_cases(), name=getattr(fn, "__name__", "early_stopping"))


# --- prediction ----------------------------------------------------------------------------------------

def check_gap_prediction(answer):
    """Check the reader's prediction of the train-test gap (percentage points) of the 300-image network."""
    check_choice(answer, "300 training images, 200 epochs, no regularisation: training minus test accuracy",
                 GAP_CHOICES, GAP_ANSWER, normalise=lambda text: text.rstrip("%").strip(),
                 hint="the network has about 140,000 weights for 300 images: it can learn every one of "
                      "them by heart, while a network trained on all 60,000 images reaches about 97 % "
                      "on the test set.")

