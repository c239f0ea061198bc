"""Checkers for the exercises of chapter 3 (activation functions).

``check_softmax(fn)`` tests a reader's ``softmax(z)`` on single score vectors and on batches (one
sample per row), including scores so large or so small that the textbook formula overflows;
``check_relu_derivative(fn)`` tests a reader's derivative of ReLU. Expected values come from the
library's own ``nnlib.functions.softmax`` and ``relu_grad`` and from the numbers printed in Saitoh's
section 3.5.
"""
import numpy as np

from ..functions import relu_grad, softmax
from . import Case, check_function

__all__ = ["check_relu_derivative", "check_softmax", "relu_derivative_cases", "softmax_cases"]

_OVERFLOW_HINT = ("exp(1010) overflows to inf and inf / inf is nan. Subtract the largest score "
                  "first, z - max(z): the largest exponent becomes exp(0) = 1 and the result is the same.")
_UNDERFLOW_HINT = ("exp(-1000) underflows to 0, so the sum is 0 and 0 / 0 is nan. Subtracting the "
                   "largest score first fixes this too: the largest exponent becomes exp(0) = 1.")
_ROWS_HINT = ("a batch holds one sample per row: take the maximum and the sum of each row, "
              "z.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True), not of the whole array.")


def softmax_cases():
    """The cases of :func:`check_softmax`: vectors, huge and tiny scores, batches, float32."""
    saito = np.array([0.3, 2.9, 4.0])
    huge = np.array([1010.0, 1000.0, 990.0])
    tiny = np.array([-1000.0, -1010.0, -1020.0])
    batch = np.array([[0.3, 2.9, 4.0],
                      [1.0, 1.0, 1.0]])
    mixed = np.array([[1.0, 2.0, 3.0],
                      [1000.0, 1001.0, 1002.0]])
    scores32 = np.array([2.0, 1.0, 0.1, -1.0], dtype=np.float32)
    exact = {"rtol": 1e-6, "atol": 1e-12}
    return [
        Case("Saitoh's scores [0.3, 2.9, 4.0] -> [0.0182, 0.2452, 0.7366]", saito,
             expected=softmax(saito), **exact,
             hint="divide exp(z) by the sum of exp(z), so that the outputs add up to 1."),
        Case("four equal scores -> 0.25 each", np.full(4, 5.0), expected=np.full(4, 0.25), **exact),
        Case("huge scores [1010, 1000, 990] (no overflow)", huge, expected=softmax(huge), **exact,
             hint=_OVERFLOW_HINT),
        Case("very negative scores [-1000, -1010, -1020] (no 0 / 0)", tiny, expected=softmax(tiny),
             **exact, hint=_UNDERFLOW_HINT),
        Case("a batch of 2 rows: every row sums to 1", batch, expected=softmax(batch), **exact,
             hint=_ROWS_HINT),
        Case("a batch whose rows have very different scores", mixed, expected=softmax(mixed), **exact,
             hint="subtract each row's own maximum, z.max(axis=-1, keepdims=True); the maximum of "
                  "the whole batch makes exp() of the smaller row underflow to 0."),
        Case("a batch of one row keeps the shape (1, 3)", saito[np.newaxis, :],
             expected=softmax(saito[np.newaxis, :]), **exact,
             hint="return an array of the input's shape; (1, 3) in, (1, 3) out."),
        Case("float32 scores in, float32 probabilities out", scores32,
             expected=softmax(scores32), check_dtype=True, rtol=1e-5, atol=1e-7,
             hint="use only NumPy operations on `z` (np.exp, z.max, .sum); converting to float64 "
                  "or mixing in float64 arrays makes the result float64."),
    ]


def relu_derivative_cases():
    """The cases of :func:`check_relu_derivative`."""
    x = np.array([-2.0, -0.5, 0.5, 3.0])
    batch = np.array([[1.0, -0.5],
                      [-2.0, 3.0]])      # Saitoh's example in 5.5.1
    x32 = np.array([-1.5, 2.5, 1000.0, -0.001], dtype=np.float32)
    return [
        Case("[-2, -0.5, 0.5, 3] -> [0, 0, 1, 1]", x, expected=relu_grad(x),
             hint="ReLU is x for x > 0 (slope 1) and 0 for x < 0 (slope 0)."),
        Case("at x = 0 the derivative is taken as 0", np.array([0.0]), expected=np.array([0.0]),
             hint="ReLU has a corner at 0, where the derivative is not defined; this book (like "
                  "Saitoh's eq. 5.8) uses 0 there: test x > 0, not x >= 0."),
        Case("Saitoh's batch [[1, -0.5], [-2, 3]] keeps its shape", batch,
             expected=relu_grad(batch),
             hint="work element by element, with no loop and no flattening: (x > 0) has x's shape."),
        Case("float32 in, float32 numbers (not booleans) out", x32,
             expected=relu_grad(x32), check_dtype=True,
             hint="x > 0 gives booleans (True/False); turn them into numbers of x's dtype with "
                  "(x > 0).astype(x.dtype)."),
    ]


def check_softmax(fn):
    """Check a reader's ``softmax(z)`` (a vector, or a batch with one sample per row); print the report.

    NumPy's overflow warnings are silenced while the reader's function runs: the report says what
    went wrong, with a hint, instead of a warning printed above it.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        check_function(fn, softmax_cases(), name=getattr(fn, "__name__", "softmax"))


def check_relu_derivative(fn):
    """Check a reader's ``relu_derivative(x)`` (element-wise, any shape); print the report."""
    check_function(fn, relu_derivative_cases(), name=getattr(fn, "__name__", "relu_derivative"))
