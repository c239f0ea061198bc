"""Checkers for the exercises of chapter 2: perceptrons and logic gates.

* :func:`check_gate` checks a function ``gate(x)`` that computes a logic gate (AND, NAND, OR, NOR,
  XOR, XNOR, or the majority of three inputs) on one input of shape ``(D,)`` and on a batch of
  inputs of shape ``(N, D)``, one input per row.
* :func:`check_perceptron_layer` checks a function ``perceptron_layer(x, W, b)`` that computes the
  0/1 outputs of a layer of perceptrons, ``step(x @ W.T + b)``, with ``W`` of shape ``(M, D)``
  (one row per neuron) and ``b`` of shape ``(M,)``.

Both print one line per case (see :mod:`nnlib.checks`) and never raise on a wrong answer. The
expected values come from the truth tables, and for the layer from ``nnlib.functions.step_function``.
"""
import numpy as np

from ..functions import step_function
from . import Case, check_function, describe

__all__ = ["TRUTH_TABLES", "truth_table", "check_gate", "check_perceptron_layer"]

# Inputs of a two-input gate, one per row, in the order of counting in binary: 00, 01, 10, 11.
_TWO = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
# The eight inputs of a three-input gate, in the same order: 000, 001, ..., 111.
_THREE = np.array([[(k >> 2) & 1, (k >> 1) & 1, k & 1] for k in range(8)], dtype=np.float64)

# The output of each gate for the rows of _TWO (or _THREE), as integers 0 and 1.
TRUTH_TABLES = {
    "AND": (_TWO, np.array([0, 0, 0, 1])),
    "NAND": (_TWO, np.array([1, 1, 1, 0])),
    "OR": (_TWO, np.array([0, 1, 1, 1])),
    "NOR": (_TWO, np.array([1, 0, 0, 0])),
    "XOR": (_TWO, np.array([0, 1, 1, 0])),
    "XNOR": (_TWO, np.array([1, 0, 0, 1])),
    "majority": (_THREE, (_THREE.sum(axis=1) >= 2).astype(np.int64)),
}

_BOOL_MESSAGE = ("returned booleans (True/False), but a perceptron outputs the numbers 0 and 1; "
                 "turn the comparison into numbers, e.g. with step_function(z) or "
                 "(z > 0).astype(z.dtype)")


def truth_table(gate):
    """The inputs ``(N, D)`` (float64, rows in binary counting order) and outputs ``(N,)`` (int64)
    of the gate named ``gate`` (a key of :data:`TRUTH_TABLES`); copies, safe to change."""
    if gate not in TRUTH_TABLES:
        raise ValueError(f"truth_table: unknown gate {gate!r}; expected one of "
                         f"{', '.join(TRUTH_TABLES)}.")
    inputs, outputs = TRUTH_TABLES[gate]
    return inputs.copy(), outputs.copy()


def _as_numbers(result):
    """(array, None) for a numeric result, or (None, message) for one that is not."""
    if result is None:
        return None, "got None: did you forget `return`?"
    if isinstance(result, (bool, np.bool_)):
        return None, f"{_BOOL_MESSAGE}; got {result!r}"
    try:
        array = np.asarray(result)
    except Exception:  # noqa: BLE001 - anything the reader returns must be reportable
        return None, f"expected numbers 0 and 1, got {describe(result)}"
    if array.dtype == bool:
        return None, f"{_BOOL_MESSAGE}; got {describe(array)}"
    if array.dtype.kind not in "iuf":
        return None, f"expected numbers 0 and 1, got {describe(result)}"
    return array, None


def _inputs_text(row):
    return "(" + ", ".join(f"{v:g}" for v in row) + ")"


def _expect_gate_batch(inputs, outputs):
    """A callable expectation for the whole truth table at once: shape (N,), then row by row."""
    def compare(result):
        array, message = _as_numbers(result)
        if array is None:
            return False, message
        if array.shape != outputs.shape:
            text = (f"expected shape {outputs.shape}, one output per row of x, "
                    f"got shape {array.shape}")
            if array.shape == outputs.shape + (1,):
                text += "\nreturn a flat array of outputs (for example result[:, 0] or result.ravel())"
            return False, text
        wrong = [i for i in range(len(outputs)) if not array[i] == outputs[i]]
        if not wrong:
            return True, ""
        lines = [f"input {_inputs_text(inputs[i])}: expected {outputs[i]}, got {array[i]:g}"
                 for i in wrong]
        return False, "\n".join(lines)
    return compare


def _expect_gate_single(expected):
    """A callable expectation for one input: one number equal to `expected`."""
    def compare(result):
        array, message = _as_numbers(result)
        if array is None:
            return False, message
        if array.size != 1:
            return False, (f"expected one number for one input, got {describe(array)}; an input of "
                           "shape (D,) should give a single output")
        value = array.reshape(()).item()
        if value == expected:
            return True, ""
        return False, f"expected {expected}, got {value:g}"
    return compare


def check_gate(gate_function, gate):
    """Check ``gate_function(x)`` against the truth table of ``gate`` and print the report.

    ``gate`` is one of "AND", "NAND", "OR", "NOR", "XOR", "XNOR" (two inputs) or "majority" (three
    inputs: 1 when at least two of them are 1). The function is called on the whole truth table as
    a batch, ``x`` of shape ``(N, D)`` (float64), which must give ``N`` outputs of shape ``(N,)``,
    and on every input alone, shape ``(D,)``, which must give one number. Outputs must be the
    numbers 0 and 1 (any integer or float dtype), not booleans.
    """
    if gate not in TRUTH_TABLES:
        raise ValueError(f"check_gate: unknown gate {gate!r}; expected one of "
                         f"{', '.join(TRUTH_TABLES)} (spelled exactly like that).")
    inputs, outputs = TRUTH_TABLES[gate]
    n, d = inputs.shape
    cases = [Case(f"the whole truth table as a batch: x of shape ({n}, {d}) gives {n} outputs",
                  inputs.copy(), expected=_expect_gate_batch(inputs, outputs))]
    for row, out in zip(inputs, outputs):
        cases.append(Case(f"one input x = {_inputs_text(row)} gives {out}", row.copy(),
                          expected=_expect_gate_single(int(out))))
    name = getattr(gate_function, "__name__", None) or "your function"
    check_function(gate_function, cases, name=f"{name} ({gate})")


# ------------------------------------------------------------------------------------------------
# A layer of perceptrons
# ------------------------------------------------------------------------------------------------

def _layer_reference(x, W, b):
    """The answer: step(x @ W.T + b), in the dtype of x @ W.T + b."""
    return step_function(x @ W.T + b)


def _slips(x, W, b):
    """What two common slips give for these arguments, each with the explanation to print: the
    untransposed ``step(x @ W + b)`` (left out if those shapes do not multiply) and ``z >= 0``."""
    z = x @ W.T + b
    slips = [((z >= 0).astype(z.dtype),
              "this is 1 where z >= 0: the output is 1 only where z > 0, so an input exactly on "
              "the decision line (z = 0) gives 0")]
    try:
        slips.append((step_function(x @ W + b),
                      "this is step(x @ W + b): W has one row per neuron, shape (M, D), so the "
                      "layer multiplies by its transpose, x @ W.T + b"))
    except ValueError:
        pass
    return slips


def _expect_layer(x, W, b, expected=None, check_dtype=False):
    """A callable expectation for perceptron_layer(x, W, b): numbers, the shape, the values and,
    if asked, the dtype. `expected` defaults to step(x @ W.T + b)."""
    if expected is None:
        expected = _layer_reference(x, W, b)
    slips = _slips(x, W, b)

    def compare(result):
        array, message = _as_numbers(result)
        if array is None:
            return False, message
        if array.shape != expected.shape:
            text = f"expected shape {expected.shape}, got shape {array.shape}"
            if expected.ndim == 2 and array.shape == expected.shape[::-1]:
                text += ("\nyour result has one row per neuron; the book keeps one row per input "
                         "(sample) and one column per neuron: x @ W.T, not W @ x.T")
            return False, text
        if not np.array_equal(array, expected):
            text = f"expected {describe(expected)}\ngot      {describe(array)}"
            for slip, explanation in slips:
                if slip.shape == array.shape and np.array_equal(array, slip):
                    text += "\n" + explanation
                    break
            return False, text
        if check_dtype and array.dtype != expected.dtype:
            return False, (f"the values are right, but the dtype is {array.dtype}, not "
                           f"{expected.dtype}: float32 inputs should give float32 outputs "
                           f"without a silent upcast (step_function(z) keeps the dtype of z)")
        return True, ""
    return compare


def check_perceptron_layer(perceptron_layer):
    """Check ``perceptron_layer(x, W, b)`` and print the report.

    ``x`` is one input ``(D,)`` or a batch ``(N, D)``; ``W`` has shape ``(M, D)``, one row of
    weights per perceptron; ``b`` has shape ``(M,)``. The result must be ``step(x @ W.T + b)``:
    shape ``(N, M)`` for a batch and ``(M,)`` for one input, the numbers 0 and 1 (1 only where
    ``z > 0``; a point exactly on a decision line gives 0) in the dtype of ``z``.
    """
    X = _TWO.copy()
    and_W, and_b = np.array([[0.5, 0.5]]), np.array([-0.7])
    gates_W = np.array([[-0.5, -0.5],     # NAND
                        [0.5, 0.5]])      # OR
    gates_b = np.array([0.7, -0.2])
    three_W = np.array([[0.5, 0.5],       # AND
                        [0.5, 0.5],       # OR
                        [-1.0, 0.0]])     # NOT x1
    three_b = np.array([-0.7, -0.2, 0.5])
    rng = np.random.default_rng(2)
    x_rand = rng.standard_normal((5, 3))
    W_rand = rng.standard_normal((4, 3))
    b_rand = rng.standard_normal(4)
    x32, W32, b32 = (a.astype(np.float32) for a in (x_rand, W_rand, b_rand))

    cases = [
        Case("two neurons (NAND, OR) on the four inputs: shape (4, 2)", X, gates_W, gates_b,
             expected=_expect_layer(X, gates_W, gates_b)),
        Case("one neuron (AND) on the four inputs: shape (4, 1)", X, and_W, and_b,
             expected=_expect_layer(X, and_W, and_b)),
        Case("three neurons on two inputs: W of shape (3, 2) gives shape (4, 3)", X, three_W, three_b,
             expected=_expect_layer(X, three_W, three_b),
             hint="W has one row per neuron, shape (M, D) = (3, 2); the layer computes x @ W.T + b"),
        Case("one input x = (1, 0) of shape (2,): one output per neuron, shape (2,)",
             np.array([1.0, 0.0]), gates_W, gates_b,
             expected=_expect_layer(np.array([1.0, 0.0]), gates_W, gates_b)),
        Case("an input exactly on the decision line (z = 0) gives 0", np.array([[1.0, 1.0]]),
             np.array([[1.0, 1.0]]), np.array([-2.0]),
             expected=_expect_layer(np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]]), np.array([-2.0]),
                                    expected=np.zeros((1, 1)))),
        Case("random weights: 5 inputs of 3 values, 4 neurons", x_rand, W_rand, b_rand,
             expected=_expect_layer(x_rand, W_rand, b_rand)),
        Case("float32 in, float32 out", x32, W32, b32,
             expected=_expect_layer(x32, W32, b32, check_dtype=True)),
    ]
    check_function(perceptron_layer, cases, name="perceptron_layer")
