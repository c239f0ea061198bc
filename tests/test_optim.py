"""nnlib.optim: the first three steps of every optimizer against its equations, worked out by hand
here for one weight (no call to the optimizer's own code), plus weight decay, dtype and errors."""
import math

import numpy as np
import pytest

from nnlib.layers import Parameter
from nnlib.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

W0 = 1.0
GRADS = (0.5, -1.0, 2.0)     # the gradient handed to steps 1, 2, 3


def run_three_steps(make_optimizer):
    """Weights after each of three steps of a one-weight parameter given the gradients GRADS."""
    p = Parameter(np.array([W0]), "w")
    opt = make_optimizer([p])
    weights = []
    for g in GRADS:
        p.grad = np.array([g])
        opt.step()
        weights.append(float(p.data[0]))
    return weights


def test_sgd_three_steps():
    # W <- W - lr * g with lr = 0.1: 1 - 0.05 = 0.95; 0.95 + 0.1 = 1.05; 1.05 - 0.2 = 0.85
    assert run_three_steps(lambda ps: SGD(ps, lr=0.1)) == pytest.approx([0.95, 1.05, 0.85], abs=1e-15)


def test_momentum_three_steps():
    # v <- 0.9 v - 0.1 g; W <- W + v
    # v1 = -0.05,  W1 = 0.95
    # v2 = 0.9 * -0.05 + 0.1 = 0.055,  W2 = 1.005
    # v3 = 0.9 * 0.055 - 0.2 = -0.1505,  W3 = 0.8545
    assert run_three_steps(lambda ps: Momentum(ps, lr=0.1, momentum=0.9)) == pytest.approx(
        [0.95, 1.005, 0.8545], abs=1e-15)


def test_nesterov_three_steps():
    # v <- 0.9 v - 0.1 g; W <- W + 0.9 v - 0.1 g
    # v1 = -0.05;   W1 = 1 + 0.9 * -0.05 - 0.05 = 0.905
    # v2 = 0.055;   W2 = 0.905 + 0.0495 + 0.1 = 1.0545
    # v3 = -0.1505; W3 = 1.0545 - 0.13545 - 0.2 = 0.71905
    assert run_three_steps(lambda ps: Nesterov(ps, lr=0.1, momentum=0.9)) == pytest.approx(
        [0.905, 1.0545, 0.71905], abs=1e-15)


def test_adagrad_three_steps():
    # h <- h + g^2; W <- W - lr g / (sqrt(h) + eps), lr = 0.1, eps = 1e-7
    lr, eps = 0.1, 1e-7
    h1 = 0.25
    w1 = 1.0 - lr * 0.5 / (math.sqrt(h1) + eps)
    h2 = h1 + 1.0
    w2 = w1 + lr * 1.0 / (math.sqrt(h2) + eps)
    h3 = h2 + 4.0
    w3 = w2 - lr * 2.0 / (math.sqrt(h3) + eps)
    assert w1 == pytest.approx(0.9, abs=1e-6)                 # the first step is lr * sign(g)
    assert run_three_steps(lambda ps: AdaGrad(ps, lr=lr, eps=eps)) == pytest.approx([w1, w2, w3], abs=1e-14)


def test_rmsprop_three_steps():
    # h <- 0.99 h + 0.01 g^2; W <- W - lr g / (sqrt(h) + eps)
    lr, rho, eps = 0.01, 0.99, 1e-7
    h1 = 0.01 * 0.25
    w1 = 1.0 - lr * 0.5 / (math.sqrt(h1) + eps)               # sqrt(h1) = 0.05, so the step is 0.1
    h2 = rho * h1 + 0.01 * 1.0
    w2 = w1 + lr * 1.0 / (math.sqrt(h2) + eps)
    h3 = rho * h2 + 0.01 * 4.0
    w3 = w2 - lr * 2.0 / (math.sqrt(h3) + eps)
    assert w1 == pytest.approx(0.9, abs=1e-5)
    assert run_three_steps(lambda ps: RMSprop(ps, lr=lr, rho=rho, eps=eps)) == pytest.approx(
        [w1, w2, w3], abs=1e-14)


def test_adam_three_steps():
    # m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  bias-corrected, then W <- W - lr m^ / (sqrt(v^) + eps)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m = v = 0.0
    w = 1.0
    expected = []
    m = b1 * m + (1 - b1) * 0.5
    v = b2 * v + (1 - b2) * 0.25
    w -= lr * (m / (1 - b1)) / (math.sqrt(v / (1 - b2)) + eps)
    expected.append(w)
    m = b1 * m + (1 - b1) * -1.0
    v = b2 * v + (1 - b2) * 1.0
    w -= lr * (m / (1 - b1 ** 2)) / (math.sqrt(v / (1 - b2 ** 2)) + eps)
    expected.append(w)
    m = b1 * m + (1 - b1) * 2.0
    v = b2 * v + (1 - b2) * 4.0
    w -= lr * (m / (1 - b1 ** 3)) / (math.sqrt(v / (1 - b2 ** 3)) + eps)
    expected.append(w)
    assert expected[0] == pytest.approx(0.9, abs=1e-6)         # Adam's first step is lr * sign(g)
    assert run_three_steps(lambda ps: Adam(ps, lr=lr)) == pytest.approx(expected, abs=1e-14)


def test_adam_on_two_threads_matches_one_thread():
    """A big weight matrix is updated in two halves of its rows on two threads: same numbers, also
    for a parameter stored transposed (not C-contiguous) and for weight decay's fresh gradient."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((100, 4320)).astype(np.float32)
    grads = [rng.standard_normal((100, 4320)).astype(np.float32) for _ in range(3)]
    finals = []
    for workers, transposed in ((1, False), (2, False), (2, True)):
        data = np.ascontiguousarray(start.T).T if transposed else start.copy()   # same values
        assert data.flags.c_contiguous != transposed
        W, b = Parameter(data, "W"), Parameter(np.zeros(100, np.float32), "b")
        opt = Adam([W, b], lr=0.01, weight_decay=1e-3)
        opt.workers = workers
        for g in grads:
            W.grad, b.grad = g, g[:, 0].copy()
            opt.step()
        assert W.data is data and W.data.dtype == np.float32    # updated in place
        finals.append((W.data.copy(), b.data.copy()))
    for W_final, b_final in finals[1:]:
        np.testing.assert_array_equal(W_final, finals[0][0])
        np.testing.assert_array_equal(b_final, finals[0][1])
    assert not np.array_equal(finals[0][0], start)


ALL = [lambda ps, **kw: SGD(ps, lr=0.1, **kw), lambda ps, **kw: Momentum(ps, lr=0.1, **kw),
       lambda ps, **kw: Nesterov(ps, lr=0.1, **kw), lambda ps, **kw: AdaGrad(ps, lr=0.1, **kw),
       lambda ps, **kw: RMSprop(ps, lr=0.1, **kw), lambda ps, **kw: Adam(ps, lr=0.1, **kw)]


def test_weight_decay_adds_lambda_w_to_weights_only():
    W = Parameter(np.array([[1.0, -2.0], [3.0, 0.5]]), "W")
    b = Parameter(np.array([1.0, -2.0]), "b")
    W.grad = np.array([[0.1, 0.2], [0.3, 0.4]])
    b.grad = np.array([0.1, 0.2])
    SGD([W, b], lr=0.5, weight_decay=0.1).step()
    # W <- W - 0.5 * (g + 0.1 W); the bias is not decayed
    np.testing.assert_allclose(W.data, [[1 - 0.5 * 0.2, -2 - 0.5 * 0.0], [3 - 0.5 * 0.6, 0.5 - 0.5 * 0.45]])
    np.testing.assert_allclose(b.data, [1 - 0.05, -2 - 0.1])
    np.testing.assert_array_equal(W.grad, [[0.1, 0.2], [0.3, 0.4]])    # .grad itself is left alone


@pytest.mark.parametrize("make", ALL)
def test_weight_decay_alone_shrinks_weights(make):
    W = Parameter(np.full((2, 2), 3.0), "W")
    W.grad = np.zeros((2, 2))
    opt = make([W], weight_decay=0.5)
    for _ in range(5):
        opt.step()
    assert np.all(np.abs(W.data) < 3.0)


@pytest.mark.parametrize("make", ALL)
def test_every_optimizer_descends_saitos_bowl(make):
    # f(x, y) = x^2 / 20 + y^2 from (-7, 2), the example of Saitoh 6.1.3
    p = Parameter(np.array([-7.0, 2.0]), "xy")
    def f(v):
        return v[0] ** 2 / 20 + v[1] ** 2
    opt = make([p])
    start = f(p.data)
    for _ in range(100):
        p.grad = np.array([p.data[0] / 10, 2 * p.data[1]])
        opt.step()
    assert f(p.data) < 0.5 * start


@pytest.mark.parametrize("make", ALL)
def test_float32_parameters_stay_float32(make):
    p = Parameter(np.ones((3, 2), dtype=np.float32), "W")
    opt = make([p], weight_decay=0.01)
    opt.lr = np.float64(0.05)          # e.g. a value taken from np.logspace by a slider
    for _ in range(3):
        p.grad = np.full((3, 2), 0.5, dtype=np.float32)
        opt.step()
    assert p.data.dtype == np.float32
    assert all(s.dtype == np.float32 for name in ("v", "h", "m") for s in getattr(opt, name, []))


def test_constructor_errors():
    p = Parameter(np.zeros(2), "w")
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Parameter"):
        SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="positive"):
        Adam([p], lr=0.0)
    with pytest.raises(ValueError, match="positive"):
        SGD([p], lr=float("nan"))
    with pytest.raises(ValueError, match="weight_decay"):
        SGD([p], lr=0.1, weight_decay=-1.0)
    assert SGD([p], lr=0.1).lr == 0.1 and "SGD" in repr(SGD([p], lr=0.1))
