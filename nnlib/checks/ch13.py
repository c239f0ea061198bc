"""Checkers for the exercises of chapter 13 (deep learning).

``check_gradient_prediction(answer)`` checks a "predict first" answer: in a freshly initialised
sigmoid network with four hidden layers, which hidden layer (1 = next to the input, 4 = next to
the output) receives the largest gradient?

``check_stacked_params(fn)`` tests a reader's ``stacked_params(n)``: for one input and one output
channel, the weights of ``n`` stacked 3x3 convolutions and of the single convolution that sees the
same region, returned as a pair ``(stacked, single)``. Saitoh 8.1.3: ``(18, 25)`` for n = 2 and
``(27, 49)`` for n = 3.

``check_ensemble_labels(fn)`` tests a reader's ``ensemble_labels(probs)``: ``probs`` has shape
(members, N, classes), each member's softmax probabilities; the answer is, for every sample, the
class with the largest probability averaged over the members (shape (N,), integers).
"""
import numpy as np

from . import Case, check_choice, check_function, describe

__all__ = ["check_gradient_prediction", "check_stacked_params", "check_ensemble_labels",
           "stacked_params_cases", "ensemble_cases", "LARGEST_GRADIENT_LAYER"]

#: The hidden layer of a 4-hidden-layer sigmoid network with the largest gradient at the start.
LARGEST_GRADIENT_LAYER = 4


def check_gradient_prediction(answer):
    """Check the reader's prediction: which of the hidden layers 1-4 gets the largest gradient."""
    check_choice(answer, "four sigmoid hidden layers: the layer with the largest gradient",
                 ("1", "2", "3", "4"), str(LARGEST_GRADIENT_LAYER),
                 ask="a layer number 1, 2, 3 or 4", answered="you answered layer {}",
                 hint="on its way back from the output the gradient is multiplied, layer after layer, "
                      "by a weight and by the sigmoid's slope, which is at most 1/4.")


def _pair_expectation(n):
    expected = (9 * n, (2 * n + 1) ** 2)
    slips = {
        (3 * n, (2 * n + 1) ** 2): "3 * n weights for the stack: a 3x3 filter has 9 weights, not 3",
        (9 * n, (3 * n) ** 2): "a single filter of size 3n: each extra 3x3 layer widens the view by 2 "
                               "pixels, not 3, so the single filter is (2n + 1) x (2n + 1)",
        (9 * n, (2 * n + 1)): "the single filter's side, not its number of weights (square it)",
        ((2 * n + 1) ** 2, 9 * n): "the pair in the wrong order: (stacked, single)",
    }

    def compare(result):
        try:
            pair = tuple(int(v) for v in result)
        except (TypeError, ValueError):
            return False, f"expected a pair of whole numbers (stacked, single), got {describe(result)}"
        if len(pair) != 2 or any(float(v) != p for v, p in zip(result, pair)):
            return False, f"expected a pair of whole numbers (stacked, single), got {describe(result)}"
        if pair == expected:
            return True, ""
        message = f"expected {expected}, got {pair}"
        if pair in slips:
            message += f": {slips[pair]}"
        return False, message
    return expected, compare


def stacked_params_cases():
    """The cases of :func:`check_stacked_params`: Saitoh's two examples, one layer, and deeper."""
    notes = {1: "one layer is just a 3x3 filter", 2: "Saitoh's 18 against 25",
             3: "Saitoh's 27 against 49", 5: "five layers see an 11x11 region"}
    cases = []
    for n, note in notes.items():
        expected, compare = _pair_expectation(n)
        cases.append(Case(f"stacked_params({n}) = {expected}: {note}", n, expected=compare,
                          hint="each 3x3 layer adds one pixel of view on every side: n layers see "
                               "(2n + 1) x (2n + 1) pixels, with 9 weights per layer"))
    return cases


def check_stacked_params(fn):
    """Check a reader's ``stacked_params(n)`` and print the report."""
    check_function(fn, stacked_params_cases(), name=getattr(fn, "__name__", "stacked_params"))


def _ensemble_expectation(probs):
    expected = probs.mean(axis=0).argmax(axis=1)
    votes = np.array([np.bincount(column, minlength=probs.shape[2]).argmax()
                      for column in probs.argmax(axis=2).T])
    first_member = probs[0].argmax(axis=1)

    def compare(result):
        if result is None:
            return False, "got None: did you forget `return`?"
        arr = np.asarray(result)
        if arr.shape != expected.shape:
            hint = (" (argmax over the wrong axis? average over axis 0, the members, then take the "
                    "argmax over the classes)" if arr.shape in (probs.shape[1:2], probs.shape[::2]) or
                    arr.ndim != 1 else "")
            return False, f"expected shape {expected.shape}, got shape {arr.shape}{hint}"
        if arr.dtype.kind not in "iu":
            return False, f"expected whole-number class labels, got dtype {arr.dtype}"
        if np.array_equal(arr, expected):
            return True, ""
        message = f"expected {describe(expected)}\ngot      {describe(arr)}"
        if np.array_equal(arr, votes):
            message += "\nthat is a majority vote of the members' answers; average the probabilities"
        elif np.array_equal(arr, first_member):
            message += "\nthat is the first member's answer alone; average over all members"
        return False, message
    return compare


def ensemble_cases():
    """The cases of :func:`check_ensemble_labels`: an easy one, vote against average, ties."""
    easy = np.array([[[0.9, 0.1], [0.2, 0.8]],
                     [[0.7, 0.3], [0.4, 0.6]]])
    # two members say class 0 by a little, one says class 1 by a lot: the vote and the average differ
    split = np.array([[[0.55, 0.45, 0.0]],
                      [[0.55, 0.45, 0.0]],
                      [[0.0, 1.0, 0.0]]])
    rng = np.random.default_rng(13)
    logits = rng.standard_normal((5, 8, 10)) * 2
    random = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    return [
        Case("two members that agree on two samples", easy, expected=_ensemble_expectation(easy)),
        Case("two members say 0 by a little, one says 1 by a lot: the average says 1", split,
             expected=_ensemble_expectation(split),
             hint="average the probabilities over the members (axis 0), then take the argmax"),
        Case("five members, eight samples, ten classes", random,
             expected=_ensemble_expectation(random)),
    ]


def check_ensemble_labels(fn):
    """Check a reader's ``ensemble_labels(probs)`` and print the report."""
    check_function(fn, ensemble_cases(), name=getattr(fn, "__name__", "ensemble_labels"))
