"""Checkers for the exercises of chapter 6 (backpropagation).

Each checker takes the reader's backward function and compares it with ``nnlib``'s own layers:

* ``check_mul_backward(fn)``: ``fn(x, y, dout) -> (dx, dy)`` for z = x * y;
* ``check_add_backward(fn)``: ``fn(x, y, dout) -> (dx, dy)`` for z = x + y;
* ``check_sigmoid_backward(fn)``: ``fn(out, dout) -> dx``, where ``out`` is the sigmoid's forward output;
* ``check_affine_backward(fn)``: ``fn(x, W, b, dout) -> (dx, dW, db)`` for out = x @ W.T + b, with W of
  shape (n_out, n_in) as everywhere in this book.

The cases start with Saitoh's numbers (10 * 5 with upstream 1.3 sends back 6.5 and 13; the batch bias
gradient [5, 7, 9]) and go on to arrays, batches and float32. A function that returns the right numbers
in the wrong shape, or turns float32 into float64, fails with a hint that says what to change.
"""
import numpy as np

from ..graph import AddNode, MulNode
from ..layers import Affine, Sigmoid
from . import Case, check_function, describe

__all__ = ["check_mul_backward", "check_add_backward", "check_sigmoid_backward", "check_affine_backward",
           "mul_cases", "add_cases", "sigmoid_cases", "affine_cases", "reference_affine_backward"]


def _tuple_result(expected, names, *, rtol=1e-7, atol=1e-10, hints=None):
    """An ``expected`` callable for a Case whose result is a tuple of arrays (or numbers).

    Compares the length, then each entry's shape, dtype (for arrays) and values; the message names
    the entry that is wrong and adds that entry's hint from ``hints``."""
    hints = hints or {}

    def compare(result):
        if result is None:
            return False, "got None: did you forget `return`?"
        if not isinstance(result, (tuple, list)) or len(result) != len(expected):
            return False, (f"expected a tuple of {len(expected)} ({', '.join(names)}), "
                           f"got {describe(result)}")
        for name, got, want in zip(names, result, expected):
            want = np.asarray(want)
            try:
                got_arr = np.asarray(got, dtype=None)
            except Exception:  # noqa: BLE001 - anything the reader returns must be reportable
                return False, f"{name}: could not read {describe(got)} as an array"
            hint = f"\n{hints[name]}" if name in hints else ""
            if got_arr.shape != want.shape:
                return False, (f"{name}: expected shape {want.shape}, got shape {got_arr.shape}{hint}")
            if want.dtype == np.float32 and got_arr.dtype != np.float32:
                return False, (f"{name}: expected dtype float32, got {got_arr.dtype}; use only the "
                               "arrays you were given and NumPy operations on them")
            if got_arr.dtype.kind not in "fiu" or not np.allclose(
                    got_arr.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol):
                return False, f"{name}: expected {describe(want)}\ngot {describe(got_arr)}{hint}"
        return True, ""

    return compare


def _node_backward(node_class, x, y, dout):
    node = node_class()
    node.forward(x, y)
    return node.backward(dout)


_MUL_HINT = ("a multiplication node sends back dout times the *other* input: dx = dout * y and "
             "dy = dout * x.")
_ADD_HINT = "an addition node passes dout back unchanged to both inputs: dx = dout, dy = dout."


def _node_cases(node, hint, seed, shape, named, arrays_text):
    """Cases of a two-input node's backward: the named scalar cases, then arrays of ``shape`` in
    float64 (``arrays_text``) and in float32, with the gradients the library's ``node`` passes back
    as expected."""
    x, y, d = np.random.default_rng(seed).standard_normal((3, *shape))
    x32, y32, d32 = (a.astype(np.float32) for a in (x, y, d))
    cases = [*named, (arrays_text, x, y, d),
             ("float32 arrays stay float32", x32, y32, d32)]
    return [Case(text, a, b, dout, expected=_tuple_result(_node_backward(node, a, b, dout), ("dx", "dy"),
                                                          hints={"dx": hint, "dy": hint}))
            for text, a, b, dout in cases]


def mul_cases():
    """Cases of :func:`check_mul_backward`: Saitoh's 10 x 5 (upstream 1.3), the apple, arrays, float32."""
    return _node_cases(MulNode, _MUL_HINT, 606, (4, 5),
                       [("Saitoh's 10 x 5 with dout 1.3 -> (6.5, 13)", 10.0, 5.0, 1.3),
                        ("the apples: 100 x 2 with dout 1.1 -> (2.2, 110)", 100.0, 2.0, 1.1)],
                       "arrays of shape (4, 5), element by element")


def add_cases():
    """Cases of :func:`check_add_backward`: Saitoh's 10 + 5 (upstream 1.3), arrays, float32."""
    return _node_cases(AddNode, _ADD_HINT, 607, (3, 4),
                       [("Saitoh's 10 + 5 with dout 1.3 -> (1.3, 1.3)", 10.0, 5.0, 1.3),
                        ("the prices before tax: 200 + 450 with dout 1.1 -> (1.1, 1.1)", 200.0, 450.0, 1.1)],
                       "arrays of shape (3, 4)")


def _sigmoid_reference(out, dout):
    """nnlib's Sigmoid.backward for the forward output ``out``: run forward on x = log(out / (1 - out))."""
    out, dout = np.asarray(out), np.asarray(dout)
    layer = Sigmoid(out.dtype)
    layer.forward(np.log(out / (1 - out)))
    return layer.backward(dout)


_SIGMOID_HINT = ("the sigmoid's local gradient is out * (1 - out), written with the forward *output* "
                 "out = sigmoid(x); multiply it by dout.")


def sigmoid_cases():
    """Cases of :func:`check_sigmoid_backward`: out = 0.5 gives 1/4 (the peak), batches, float32."""
    rng = np.random.default_rng(608)
    x = rng.standard_normal((5, 3))
    out = 1 / (1 + np.exp(-x))
    dout = rng.standard_normal((5, 3))
    out32, dout32 = out.astype(np.float32), dout.astype(np.float32)
    half = np.array([0.5])
    return [
        Case("out = 0.5 (x = 0) and dout = 1 -> 0.25, the largest slope", half, np.array([1.0]),
             expected=_sigmoid_reference(half, np.array([1.0])), rtol=1e-7, atol=1e-12, hint=_SIGMOID_HINT),
        Case("Saitoh's sigmoid graph: x = 0.7, out = 0.6682 -> 0.2217", np.array([1 / (1 + np.exp(-0.7))]),
             np.array([1.0]), expected=_sigmoid_reference(np.array([1 / (1 + np.exp(-0.7))]), np.array([1.0])),
             rtol=1e-7, atol=1e-12, hint=_SIGMOID_HINT),
        Case("a batch of shape (5, 3) with a random dout", out, dout,
             expected=_sigmoid_reference(out, dout), rtol=1e-7, atol=1e-12, hint=_SIGMOID_HINT),
        Case("float32 in, float32 out", out32, dout32, expected=_sigmoid_reference(out32, dout32),
             check_dtype=True, rtol=1e-5, atol=1e-7, hint=_SIGMOID_HINT),
    ]


def reference_affine_backward(x, W, b, dout):
    """(dx, dW, db) from nnlib's Affine layer for out = x @ W.T + b."""
    layer = Affine.from_arrays(W, b)
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.W.grad, layer.b.grad


_AFFINE_HINTS = {
    "dx": "dx has x's shape (N, n_in): dx = dout @ W (dout is (N, n_out), W is (n_out, n_in)).",
    "dW": "dW has W's shape (n_out, n_in): dW = dout.T @ x, which also adds up the batch.",
    "db": "db has b's shape (n_out,): the bias is added to every row, so db = dout.sum(axis=0).",
}


def affine_cases():
    """Cases of :func:`check_affine_backward`: Saitoh's batch bias example, other sizes, float32."""
    rng = np.random.default_rng(609)
    # Saitoh 5.6.2: dY = [[1, 2, 3], [4, 5, 6]] gives db = [5, 7, 9]
    x_s = np.array([[0.0, 0.0], [1.0, 1.0]])
    W_s = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b_s = np.array([1.0, 2.0, 3.0])
    d_s = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x1, W1, b1 = rng.standard_normal((1, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    d1 = rng.standard_normal((1, 3))
    x2, W2, b2 = rng.standard_normal((6, 5)), rng.standard_normal((2, 5)), rng.standard_normal(2)
    d2 = rng.standard_normal((6, 2))
    x3 = rng.random((10, 784), dtype=np.float32)
    W3 = (0.05 * rng.standard_normal((50, 784))).astype(np.float32)
    b3 = np.zeros(50, dtype=np.float32)
    d3 = rng.standard_normal((10, 50)).astype(np.float32)
    exact = {"rtol": 1e-7, "atol": 1e-10}
    cases = [
        ("Saitoh's batch of 2 with dout [[1, 2, 3], [4, 5, 6]] -> db = [5, 7, 9]", x_s, W_s, b_s, d_s, exact),
        ("a batch of one row: x (1, 4), W (3, 4)", x1, W1, b1, d1, exact),
        ("more inputs than outputs: x (6, 5), W (2, 5)", x2, W2, b2, d2, exact),
        ("MNIST's first layer in float32: x (10, 784), W (50, 784)", x3, W3, b3, d3, {"rtol": 1e-4, "atol": 1e-5}),
    ]
    return [Case(text, x, W, b, d,
                 expected=_tuple_result(reference_affine_backward(x, W, b, d), ("dx", "dW", "db"),
                                        hints=_AFFINE_HINTS, **tol))
            for text, x, W, b, d, tol in cases]


def check_mul_backward(fn):
    """Check ``fn(x, y, dout) -> (dx, dy)`` for a multiplication node; print the report."""
    check_function(fn, mul_cases(), name=getattr(fn, "__name__", "mul_backward"))


def check_add_backward(fn):
    """Check ``fn(x, y, dout) -> (dx, dy)`` for an addition node; print the report."""
    check_function(fn, add_cases(), name=getattr(fn, "__name__", "add_backward"))


def check_sigmoid_backward(fn):
    """Check ``fn(out, dout) -> dx`` for the sigmoid layer; print the report."""
    check_function(fn, sigmoid_cases(), name=getattr(fn, "__name__", "sigmoid_backward"))


def check_affine_backward(fn):
    """Check ``fn(x, W, b, dout) -> (dx, dW, db)`` for the Affine layer; print the report."""
    check_function(fn, affine_cases(), name=getattr(fn, "__name__", "affine_backward"))
