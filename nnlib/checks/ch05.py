"""Checkers for the exercises of chapter 5 (loss functions, numerical gradients, gradient descent).

* ``check_numerical_gradient(fn)`` tests a reader's ``numerical_gradient(f, x)``: the gradient of a
  scalar function ``f`` at the float64 array ``x`` (any shape) by central differences. Besides the
  values (Saitoh's [6, 8] at (3, 4), a matrix), it checks that ``x`` is put back as it was, and that
  the function works when ``f`` ignores its argument and reads the array through a closure, the way
  a network's loss reads its weights (Saitoh's ``lambda w: net.loss(x, t)``).
* ``check_gradient_descent(fn)`` tests ``gradient_descent(f, init_x, lr, step_num)``: Saitoh's runs
  from (-3, 4) with learning rates 0.1 and 1e-10, a matrix start point, and a step count.
* ``check_simple_net(fn)`` tests ``simple_net_loss(W, x, t)``, the loss of Saitoh's simpleNet
  (section 4.4.2): cross-entropy of softmax(x @ W.T), with W in this book's layout (one row per
  output, shape (3, 2), Saitoh's matrix transposed). It checks Saitoh's loss 0.9281 and, through the
  library's numerical gradient, his dW.

Every case is built inside the call from fixed numbers, so a reader's function that changes its
arguments cannot spoil a later case.
"""
import numpy as np

from ..functions import cross_entropy_error, softmax, softmax_cross_entropy
from ..gradcheck import numerical_gradient as reference_gradient
from . import Case, check_function, describe

__all__ = ["check_numerical_gradient", "numerical_gradient_cases", "check_gradient_descent",
           "gradient_descent_cases", "check_simple_net", "simple_net_cases", "saitoh_simple_net",
           "SAITOH_SIMPLE_NET_LOSS", "SAITOH_SIMPLE_NET_DW"]

# Saitoh's simpleNet (section 4.4.2), his W (2, 3) transposed into this book's layout (3, 2).
_SAITOH_W = np.array([[0.47355232, 0.9977393, 0.84668094],
                      [0.85557411, 0.03563661, 0.69422093]]).T
_SAITOH_X = np.array([0.6, 0.9])
_SAITOH_T = np.array([0.0, 0.0, 1.0])
#: The loss Saitoh prints for his simpleNet.
SAITOH_SIMPLE_NET_LOSS = 0.92806853663411326
#: His dW, transposed into this book's layout (3, 2).
SAITOH_SIMPLE_NET_DW = np.array([[0.21924763, 0.14356247, -0.36281009],
                                 [0.32887144, 0.2153437, -0.54421514]]).T


def saitoh_simple_net():
    """Fresh copies of Saitoh's simpleNet example: ``(W, x, t)`` with W of shape (3, 2)."""
    return _SAITOH_W.copy(), _SAITOH_X.copy(), _SAITOH_T.copy()


# ------------------------------------------------------------------------------------------------
# numerical_gradient(f, x)
# ------------------------------------------------------------------------------------------------

_CENTRAL_HINT = ("use the central difference (f(x + h) - f(x - h)) / (2h) with h about 1e-4; the "
                 "forward difference (f(x + h) - f(x)) / h is off by about h times the curvature.")
_SHAPE_HINT = ("loop over every entry of an array of any shape: `for i in np.ndindex(x.shape):` gives "
               "index tuples such as (0, 2) that work for x[i]; `range(x.size)` with x[i] picks whole rows "
               "of a matrix.")
_RESTORE_HINT = ("after computing f(x + h) and f(x - h) for an entry, put the entry back to its original "
                 "value, or the next entries are differentiated at a moved point.")
_IN_PLACE_HINT = ("change the entries of x itself (x[i] = original + h), not of a copy: a network's loss "
                  "ignores its argument and reads the weights it holds, so only a change of x in place "
                  "reaches it. Put every entry back afterwards.")


def _bowl(x):
    return float(np.sum(x ** 2))


def _cubic_target():
    return np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])


def _cubic(w):
    # gradient: 3 (w - c)**2 + 2 w, no truncation-free shortcut for the forward difference
    c = _cubic_target()
    return float(np.sum((w - c) ** 3) + np.sum(w ** 2))


def _cubic_gradient(w):
    return 3 * (w - _cubic_target()) ** 2 + 2 * w


class _GradientSpec:
    """What one case of the numerical-gradient check passes: a function and a start array."""

    def __init__(self, kind, x):
        self.kind = kind
        self.x = np.array(x, dtype=np.float64)


def _run_numerical_gradient(candidate):
    """Call ``candidate(f, x)`` as each spec says; return (result, x after the call)."""
    def call(spec):
        x = spec.x.copy()
        if spec.kind == "closure":
            # f ignores its argument and reads x from the closure, like a network's loss its weights
            def f(_):
                return _cubic(x)
        elif spec.kind == "bowl":
            f = _bowl
        else:
            f = _cubic
        return candidate(f, x), x
    call.__name__ = getattr(candidate, "__name__", "numerical_gradient")
    return call


def _gradient_expectation(expected, *, rtol=1e-6, atol=1e-6, start=None, check_restored=False):
    def judge(outcome):
        result, x_after = outcome
        if result is None:
            return False, "got None: did you forget `return`?"
        try:
            result = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            return False, f"expected an array, got {describe(outcome[0])}"
        if result.shape != expected.shape:
            return False, (f"expected shape {expected.shape}, got shape {result.shape}\n"
                           f"expected {describe(expected)}\ngot      {describe(result)}")
        if check_restored and not np.array_equal(x_after, start):
            return False, (f"x was changed by the call: it was {describe(start)},\n"
                           f"afterwards it is {describe(x_after)}")
        if not np.allclose(result, expected, rtol=rtol, atol=atol):
            return False, f"expected {describe(expected)}\ngot      {describe(result)}"
        return True, ""
    return judge


def numerical_gradient_cases():
    """The cases of :func:`check_numerical_gradient`; each argument is a spec the checker turns into
    a call ``fn(f, x)``."""
    matrix = np.array([[0.3, -0.8, 1.2], [-1.1, 0.4, 0.9]])
    return [
        Case("x0**2 + x1**2 at (3, 4) -> [6, 8] (Saitoh)", _GradientSpec("bowl", [3.0, 4.0]),
             expected=_gradient_expectation(np.array([6.0, 8.0]), rtol=1e-7, atol=1e-7), hint=_CENTRAL_HINT),
        Case("x0**2 + x1**2 at (0, 2) -> [0, 4] and x is left as it was", _GradientSpec("bowl", [0.0, 2.0]),
             expected=_gradient_expectation(np.array([0.0, 4.0]), rtol=1e-7, atol=1e-7,
                                            start=np.array([0.0, 2.0]), check_restored=True),
             hint=_RESTORE_HINT),
        Case("a function of a 2 x 3 matrix -> a 2 x 3 gradient", _GradientSpec("matrix", matrix),
             expected=_gradient_expectation(_cubic_gradient(matrix), start=matrix, check_restored=True),
             hint=_SHAPE_HINT),
        Case("f ignores its argument and reads the matrix it holds (like a network's loss)",
             _GradientSpec("closure", matrix),
             expected=_gradient_expectation(_cubic_gradient(matrix), start=matrix, check_restored=True),
             hint=_IN_PLACE_HINT),
    ]


def check_numerical_gradient(fn):
    """Check a reader's ``numerical_gradient(f, x)``; print the report."""
    with np.errstate(all="ignore"):
        check_function(_run_numerical_gradient(fn), numerical_gradient_cases(),
                       name=getattr(fn, "__name__", "numerical_gradient"))


# ------------------------------------------------------------------------------------------------
# gradient_descent(f, init_x, lr, step_num)
# ------------------------------------------------------------------------------------------------

_SIGN_HINT = ("each step is x -= lr * grad: against the gradient, downhill. Use the lr and step_num "
              "you are given, and take exactly step_num steps.")
_ANY_SHAPE_HINT = ("the start point may be an array of any shape; the numerical gradient of nnlib (or "
                   "yours) keeps that shape, so x -= lr * grad works unchanged.")
_KEYWORDS_HINT = "the function is called as gradient_descent(f, init_x, lr=..., step_num=...)."

_CENTRE = np.array([[1.0, -2.0], [0.5, 3.0]])


def _shifted_bowl(w):
    return float(np.sum((w - _CENTRE) ** 2))


def gradient_descent_cases():
    """The cases of :func:`check_gradient_descent`: calls ``fn(f, init_x, lr=..., step_num=...)``."""
    start = np.array([[0.0, 0.0], [2.0, 1.0]])
    after_10 = _CENTRE + (start - _CENTRE) * (1 - 2 * 0.2) ** 10
    return [
        Case("Saitoh: x0**2 + x1**2 from (-3, 4), lr=0.1, 100 steps -> about (-6.11e-10, 8.15e-10)",
             _bowl, np.array([-3.0, 4.0]), lr=0.1, step_num=100,
             expected=np.array([-6.11110793e-10, 8.14814391e-10]), rtol=1e-3, atol=1e-12, hint=_SIGN_HINT),
        Case("Saitoh: the same with lr=1e-10 barely moves -> (-2.99999994, 3.99999992)",
             _bowl, np.array([-3.0, 4.0]), lr=1e-10, step_num=100,
             expected=np.array([-2.99999994, 3.99999992]), rtol=1e-9, atol=0, hint=_SIGN_HINT),
        Case("one step of lr=0.5 on a bowl centred at c lands on c", _shifted_bowl, start.copy(),
             lr=0.5, step_num=1, expected=_CENTRE.copy(), rtol=1e-6, atol=1e-6, hint=_SIGN_HINT),
        Case("a 2 x 2 start point, lr=0.2, 10 steps", _shifted_bowl, start.copy(), lr=0.2, step_num=10,
             expected=after_10, rtol=1e-6, atol=1e-6, hint=_ANY_SHAPE_HINT),
    ]


def check_gradient_descent(fn):
    """Check a reader's ``gradient_descent(f, init_x, lr, step_num)``; print the report."""
    def call(f, init_x, lr, step_num):
        try:
            return fn(f, init_x, lr=lr, step_num=step_num)
        except TypeError as exc:
            raise TypeError(f"{exc} ({_KEYWORDS_HINT})") from None
    call.__name__ = getattr(fn, "__name__", "gradient_descent")
    with np.errstate(all="ignore"):
        check_function(call, gradient_descent_cases(), name=call.__name__)


# ------------------------------------------------------------------------------------------------
# simple_net_loss(W, x, t)
# ------------------------------------------------------------------------------------------------

_LOSS_HINT = ("the loss is the cross-entropy of the softmax: scores = x @ W.T, y = softmax(scores), "
              "loss = -sum(t * log(y)); softmax and cross_entropy_error are in nnlib.functions.")
_BATCH_HINT = ("for a batch (one input per row, one target per row) the loss is the mean over the rows, "
               "as cross_entropy_error(y, t) computes it; a plain sum grows with the batch.")
_SIZES_HINT = "take the sizes from W, x and t; W has one row per output, shape (n_out, n_in)."


class _SimpleNetSpec:
    def __init__(self, W, x, t, gradient=False):
        self.W, self.x, self.t, self.gradient = W, x, t, gradient


def _run_simple_net(candidate):
    """Call ``candidate(W, x, t)`` for a loss case, or the library's numerical gradient of it."""
    def call(spec):
        W, x, t = spec.W.copy(), spec.x.copy(), spec.t.copy()
        with np.errstate(all="ignore"):      # log(0) of a wrong loss is reported, not warned about
            if spec.gradient:
                return reference_gradient(lambda _: candidate(W, x, t), W)
            return candidate(W, x, t)
    call.__name__ = getattr(candidate, "__name__", "simple_net_loss")
    return call


def _as_number(expected, rtol, also=None):
    """A judge for one number: ``expected`` within ``rtol``, or ``also`` (Saitoh's loss with his delta)."""
    def judge(result):
        if result is None:
            return False, "got None: did you forget `return`?"
        try:
            value = float(np.asarray(result).item())
        except (TypeError, ValueError):
            return False, f"expected one number, got {describe(result)}"
        accepted = [expected] if also is None else [expected, also]
        if not np.isfinite(value) or all(abs(value - e) > rtol * abs(e) for e in accepted):
            return False, f"expected {expected:.8g}\ngot      {describe(result)}"
        return True, ""
    return judge


def _both_losses(W, x, t):
    """Accept the exact cross-entropy and Saitoh's, with delta = 1e-7 inside the log."""
    scores = x @ W.T
    return _as_number(softmax_cross_entropy(scores, t), 1e-7,
                      also=cross_entropy_error(softmax(scores, axis=1), t))


def simple_net_cases():
    """The cases of :func:`check_simple_net`; each spec becomes a call ``fn(W, x, t)``."""
    rng = np.random.default_rng(505)
    W, x, t = saitoh_simple_net()
    batch_x = rng.standard_normal((4, 2))
    batch_t = np.eye(3)[[2, 0, 1, 2]]
    W5 = rng.standard_normal((4, 5))
    x5 = rng.standard_normal((6, 5))
    t5 = np.eye(4)[[0, 3, 1, 1, 2, 0]]
    return [
        Case("Saitoh's W, x = [0.6, 0.9], t = [0, 0, 1] -> loss 0.92806853663411326",
             _SimpleNetSpec(W, x, t), expected=_as_number(SAITOH_SIMPLE_NET_LOSS, 1e-6), hint=_LOSS_HINT),
        Case("its numerical gradient is Saitoh's dW (transposed: shape (3, 2))",
             _SimpleNetSpec(W, x, t, gradient=True), expected=SAITOH_SIMPLE_NET_DW, rtol=1e-5, atol=1e-6,
             hint=_LOSS_HINT),
        Case("a batch of 4 inputs and 4 one-hot targets -> the mean loss",
             _SimpleNetSpec(W, batch_x, batch_t), expected=_both_losses(W, batch_x, batch_t), hint=_BATCH_HINT),
        Case("other sizes: W (4, 5), a batch of 6", _SimpleNetSpec(W5, x5, t5),
             expected=_both_losses(W5, x5, t5), hint=_SIZES_HINT),
    ]


def check_simple_net(fn):
    """Check a reader's ``simple_net_loss(W, x, t)`` (Saitoh's simpleNet); print the report."""
    with np.errstate(all="ignore"):
        check_function(_run_simple_net(fn), simple_net_cases(), name=getattr(fn, "__name__", "simple_net_loss"))
