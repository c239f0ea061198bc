"""Checkers for the exercises of chapter 9 (optimizers).

``check_momentum_step(fn)`` tests a reader's ``momentum_step(w, v, grad, lr, momentum)``, which
returns the new weights and the new velocity ``(w, v)`` after one step of Momentum (Saitoh's eqs.
6.3 and 6.4). ``check_adagrad_step(fn)`` tests ``adagrad_step(w, h, grad, lr, eps=1e-7)``, which
returns ``(w, h)`` after one step of AdaGrad (eqs. 6.5 and 6.6). The expected values come from the
library's own optimizers, :class:`nnlib.optim.Momentum` and :class:`nnlib.optim.AdaGrad`, run for
one step on the same numbers.
"""
import numpy as np

from ..layers import Parameter
from ..optim import AdaGrad, Momentum
from . import Case, check_function

__all__ = ["check_momentum_step", "check_adagrad_step", "momentum_cases", "adagrad_cases",
           "reference_momentum_step", "reference_adagrad_step", "bowl_gradient"]


def bowl_gradient(w):
    """The gradient of Saitoh's bowl f(x, y) = x**2 / 20 + y**2 at w = (x, y)."""
    return np.array([w[0] / 10, 2 * w[1]], dtype=w.dtype)


def reference_momentum_step(w, v, grad, lr, momentum):
    """One step of nnlib.optim.Momentum from weights w and velocity v: returns (w, v) as new arrays."""
    p = Parameter(np.array(w, copy=True))
    p.grad = np.asarray(grad)
    opt = Momentum([p], lr=lr, momentum=momentum)
    opt.v[0][...] = v
    opt.step()
    return p.data, opt.v[0]


def reference_adagrad_step(w, h, grad, lr, eps=1e-7):
    """One step of nnlib.optim.AdaGrad from weights w and squared-gradient sum h: returns (w, h)."""
    p = Parameter(np.array(w, copy=True))
    p.grad = np.asarray(grad)
    opt = AdaGrad([p], lr=lr, eps=eps)
    opt.h[0][...] = h
    opt.step()
    return p.data, opt.h[0]


def _pair_expected(expected_w, expected_state, state_name, check_dtype):
    """An `expected` callable for a result (w, state): two arrays, each compared with tolerance."""
    def compare(result):
        if result is None:
            return False, "got None: did you forget `return w, " + state_name + "`?"
        if not isinstance(result, tuple) or len(result) != 2:
            return False, (f"expected a pair (w, {state_name}), got {type(result).__name__}"
                           + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
        for what, got, want in (("w", result[0], expected_w), (state_name, result[1], expected_state)):
            got = np.asarray(got)
            if got.shape != want.shape:
                return False, f"{what}: expected shape {want.shape}, got {got.shape}"
            if check_dtype and got.dtype != want.dtype:
                return False, f"{what}: expected dtype {want.dtype}, got {got.dtype}"
            if not np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-6, atol=1e-9):
                with np.printoptions(precision=6, threshold=8, edgeitems=2):
                    return False, f"{what}: expected {want}\n{' ' * len(what)}  got      {got}"
        return True, ""
    return compare


_MOMENTUM_HINT = "v_new = momentum * v - lr * grad, then w_new = w + v_new (the new velocity, not the old)."
_MOMENTUM_STATE_HINT = ("v carries the earlier steps: multiply the old v by momentum before subtracting "
                        "lr * grad.")
_ADAGRAD_HINT = ("h_new = h + grad * grad (element by element), then "
                 "w_new = w - lr * grad / (np.sqrt(h_new) + eps): use the new h, and sqrt of h, not h.")
_FLOAT32_HINT = ("float32 in, float32 out: do not build new arrays with np.array(...) or np.zeros(...) "
                 "without a dtype; arithmetic on w, v (or h) and grad keeps their dtype.")


def momentum_cases():
    """The cases of :func:`check_momentum_step` (fixed numbers and a seeded generator)."""
    rng = np.random.default_rng(909)
    start = np.array([-7.0, 2.0])
    cases = []
    v0 = np.zeros(2)
    g0 = bowl_gradient(start)
    w1, v1 = reference_momentum_step(start, v0, g0, 0.1, 0.9)
    cases.append(Case("the first step on the bowl from (-7, 2), v = 0, lr 0.1, momentum 0.9",
                      start, v0, g0, 0.1, 0.9,
                      expected=_pair_expected(w1, v1, "v", False), hint=_MOMENTUM_HINT))
    g1 = bowl_gradient(w1)
    w2, v2 = reference_momentum_step(w1, v1, g1, 0.1, 0.9)
    cases.append(Case("the second step, with the velocity of the first", w1, v1, g1, 0.1, 0.9,
                      expected=_pair_expected(w2, v2, "v", False), hint=_MOMENTUM_STATE_HINT))
    w, v, g = rng.standard_normal((3, 4, 5))
    we, ve = reference_momentum_step(w, v, g, 0.05, 0.5)
    cases.append(Case("a (4, 5) weight matrix, lr 0.05, momentum 0.5", w, v, g, 0.05, 0.5,
                      expected=_pair_expected(we, ve, "v", False), hint=_MOMENTUM_STATE_HINT))
    w, v, g = rng.standard_normal((3, 3, 7)).astype(np.float32)
    we, ve = reference_momentum_step(w, v, g, 0.01, 0.9)
    cases.append(Case("float32 arrays stay float32", w, v, g, 0.01, 0.9,
                      expected=_pair_expected(we, ve, "v", True), hint=_FLOAT32_HINT))
    return cases


def adagrad_cases():
    """The cases of :func:`check_adagrad_step`."""
    rng = np.random.default_rng(906)
    start = np.array([-7.0, 2.0])
    cases = []
    h0 = np.zeros(2)
    g0 = bowl_gradient(start)
    w1, h1 = reference_adagrad_step(start, h0, g0, 1.5)
    cases.append(Case("the first step on the bowl from (-7, 2), h = 0, lr 1.5", start, h0, g0, 1.5,
                      expected=_pair_expected(w1, h1, "h", False), hint=_ADAGRAD_HINT))
    g1 = bowl_gradient(w1)
    w2, h2 = reference_adagrad_step(w1, h1, g1, 1.5)
    cases.append(Case("the second step, with the h of the first", w1, h1, g1, 1.5,
                      expected=_pair_expected(w2, h2, "h", False), hint=_ADAGRAD_HINT))
    w, g = rng.standard_normal((2, 4, 5))
    h = rng.random((4, 5))
    we, he = reference_adagrad_step(w, h, g, 0.01)
    cases.append(Case("a (4, 5) weight matrix, lr 0.01", w, h, g, 0.01,
                      expected=_pair_expected(we, he, "h", False), hint=_ADAGRAD_HINT))
    w0, g = np.ones(3), np.zeros(3)
    we, he = reference_adagrad_step(w0, np.zeros(3), g, 0.01)
    cases.append(Case("a zero gradient at the start (h = 0): no step, and no division by zero",
                      w0, np.zeros(3), g, 0.01,
                      expected=_pair_expected(we, he, "h", False),
                      hint="add eps to sqrt(h) before dividing, as in the equation."))
    w, g = rng.standard_normal((2, 3, 7)).astype(np.float32)
    h = rng.random((3, 7)).astype(np.float32)
    we, he = reference_adagrad_step(w, h, g, 0.01)
    cases.append(Case("float32 arrays stay float32", w, h, g, 0.01,
                      expected=_pair_expected(we, he, "h", True), hint=_FLOAT32_HINT))
    return cases


def check_momentum_step(fn):
    """Check a reader's ``momentum_step(w, v, grad, lr, momentum) -> (w, v)``; print the report."""
    with np.errstate(all="ignore"):
        check_function(fn, momentum_cases(), name=getattr(fn, "__name__", "momentum_step"))


def check_adagrad_step(fn):
    """Check a reader's ``adagrad_step(w, h, grad, lr, eps=1e-7) -> (w, h)``; print the report."""
    with np.errstate(all="ignore"):
        check_function(fn, adagrad_cases(), name=getattr(fn, "__name__", "adagrad_step"))
