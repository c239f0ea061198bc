"""Checkers for the exercises of chapter 10 (weight initialisation).

``check_init_std(fn)`` tests a reader's ``init_std(kind, n_in)``, which returns the standard
deviation of the initial weights of a layer with ``n_in`` inputs per unit for ``kind`` ``"xavier"``
(1/sqrt(n_in), Saitoh's simplified Xavier, the one ``nnlib.init`` calls ``"xavier"``) and ``"he"``
(sqrt(2/n_in)). The expected values come from :func:`nnlib.init.xavier_std` and
:func:`nnlib.init.he_std`.

``check_relu_factor(fn)`` tests a reader's ``relu_factor(std, n_in)``: the factor by which the
root mean square of the weighted input changes from one ReLU layer to the next when the weights
have standard deviation ``std`` and every unit has ``n_in`` inputs, std * sqrt(n_in / 2).

``check_relu_prediction(answer)`` checks a "predict first" answer: which of ``"1"``, ``"0.01"``,
``"xavier"`` and ``"he"`` keeps the spread of the activations of a deep ReLU network.
"""
import math

from ..init import he_std, xavier_std
from . import Case, check_choice, check_function, describe

__all__ = ["check_init_std", "check_relu_factor", "check_relu_prediction", "init_std_cases",
           "relu_factor_cases", "BEST_RELU"]

#: The initialisation that keeps the spread of a ReLU network's activations (Saitoh 6.2.3).
BEST_RELU = "he"
CHOICES = ("1", "0.01", "xavier", "he")


def _number_with_slips(expected, slips):
    """A comparison for one case: right within 1e-9, or wrong, naming the slip the value matches."""
    def compare(result):
        try:
            value = float(result)
        except (TypeError, ValueError):
            return False, f"expected a number, got {describe(result)}"
        if math.isclose(value, expected, rel_tol=1e-9):
            return True, ""
        for slip, wrong in slips.items():
            if math.isclose(value, wrong, rel_tol=1e-9):
                return False, f"expected {expected:.6g}, got {value:.6g}, which is {slip}"
        return False, f"expected {expected:.6g}, got {value:.6g}"
    return compare


def _std_expectation(expected, kind, n_in):
    """A comparison for one case that names the usual slips when the number is wrong."""
    slips = {
        "1 / n_in (a variance, not a standard deviation)": 1.0 / n_in,
        "2 / n_in (He's variance, not its standard deviation)": 2.0 / n_in,
        "sqrt(2) / n_in": math.sqrt(2.0) / n_in,
        "2 / sqrt(n_in)": 2.0 / math.sqrt(n_in),
        "sqrt(1 / n_in), Xavier's value": xavier_std(n_in),
        "sqrt(2 / n_in), He's value": he_std(n_in),
    }

    # a slip that happens to equal the right value (He's 2 / n_in at n_in = 2) is not named
    return _number_with_slips(expected, {slip: wrong for slip, wrong in slips.items()
                                         if not math.isclose(wrong, expected, rel_tol=1e-9)})


def init_std_cases():
    """The cases of :func:`check_init_std`: both kinds, several fan-ins, a convolution's fan-in."""
    cases = []
    for kind, n_in, note in [("xavier", 100, "a layer of 100 inputs per unit"),
                             ("he", 100, "a layer of 100 inputs per unit"),
                             ("xavier", 784, "the first layer of an MNIST network"),
                             ("he", 784, "the first layer of an MNIST network"),
                             ("he", 1, "a single input"),
                             ("he", 144, "a 3x3 convolution over 16 channels, fan-in 16 * 3 * 3")]:
        expected = xavier_std(n_in) if kind == "xavier" else he_std(n_in)
        hint = ("Xavier's standard deviation is 1 / sqrt(n_in): the variance 1 / n_in keeps "
                "the variance of the weighted input equal to that of one input." if kind == "xavier" else
                "He's standard deviation is sqrt(2 / n_in): twice Xavier's variance, because ReLU sets "
                "half of the weighted inputs to zero.")
        cases.append(Case(f'init_std("{kind}", {n_in}) = {expected:.4g}: {note}', kind, n_in,
                          expected=_std_expectation(expected, kind, n_in), hint=hint))
    return cases


def check_init_std(fn):
    """Check a reader's ``init_std(kind, n_in)`` and print the report."""
    check_function(fn, init_std_cases(), name=getattr(fn, "__name__", "init_std"))


def _factor_expectation(std, n_in):
    """A comparison for one case of :func:`check_relu_factor` that names the usual slips."""
    expected = std * math.sqrt(n_in / 2)
    slips = {
        "std * sqrt(n_in): the factor without ReLU; ReLU keeps only half of the second moment":
            std * math.sqrt(n_in),
        "n_in * std**2 / 2, the factor of the second moment; take its square root": n_in * std ** 2 / 2,
        "std * sqrt(n_in) / 2: ReLU halves the second moment (the square), so the factor is 1/sqrt(2)":
            std * math.sqrt(n_in) / 2,
    }

    return _number_with_slips(expected, slips)


def relu_factor_cases():
    """The cases of :func:`check_relu_factor`: Saitoh's stds on 100 inputs, and MNIST's 784."""
    hint = ("the weighted input z of the next layer has second moment n_in * std**2 * E[a**2], and "
            "ReLU keeps half of it: E[a**2] = E[z**2] / 2. So the root mean square of z changes by "
            "std * sqrt(n_in / 2) per layer.")
    cases = []
    for std, n_in, note in [(0.01, 100, "Saitoh's std 0.01: the activations shrink"),
                            (xavier_std(100), 100, "Xavier: still shrinking, by 1/sqrt(2)"),
                            (he_std(100), 100, "He: exactly 1, the spread is kept"),
                            (1.0, 100, "std 1: the activations grow"),
                            (0.05, 784, "std 0.05 on 784 inputs")]:
        cases.append(Case(f"relu_factor({std:.4g}, {n_in}) = {std * math.sqrt(n_in / 2):.4g}: {note}",
                          std, n_in, expected=_factor_expectation(std, n_in), hint=hint))
    return cases


def check_relu_factor(fn):
    """Check a reader's ``relu_factor(std, n_in)`` and print the report."""
    check_function(fn, relu_factor_cases(), name=getattr(fn, "__name__", "relu_factor"))


def check_relu_prediction(answer):
    """Check the reader's prediction: which of "1", "0.01", "xavier", "he" keeps a ReLU net's spread."""
    check_choice(answer, "five ReLU layers of 100 units: the initialisation that keeps the spread",
                 CHOICES, BEST_RELU, normalise=str.lower,
                 hint="ReLU sets about half of its inputs to zero, which halves the second moment in "
                      "every layer; the initialisation whose variance is twice 1 / n_in makes up for it.")
