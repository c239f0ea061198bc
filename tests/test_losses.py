"""nnlib.losses: gradient checks, naive formulas as oracles, labels vs one-hot, extremes, errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.losses import MeanSquaredError, SigmoidCrossEntropy, SoftmaxWithLoss

LOSSES = (SoftmaxWithLoss, MeanSquaredError, SigmoidCrossEntropy)


def naive_loss(cls, scores, onehot):
    """The textbook formula, sample by sample and output by output."""
    n, c = scores.shape
    total = 0.0
    for i in range(n):
        if cls is SoftmaxWithLoss:
            exps = [math.exp(v) for v in scores[i]]
            total -= sum(onehot[i, k] * math.log(exps[k] / sum(exps)) for k in range(c))
        elif cls is MeanSquaredError:
            total += 0.5 * sum((scores[i, k] - onehot[i, k]) ** 2 for k in range(c))
        else:
            for k in range(c):
                a = 1 / (1 + math.exp(-scores[i, k]))
                t = onehot[i, k]
                total -= t * math.log(a) + (1 - t) * math.log(1 - a)
    return total / n


def random_problem(seed, n, c):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c)) * 2, rng.integers(0, c, n)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.sampled_from(LOSSES), st.integers(1, 5), st.integers(2, 6), st.integers(0, 10**6))
def test_forward_matches_naive_formula_with_labels_and_one_hot(cls, n, c, seed):
    scores, labels = random_problem(seed, n, c)
    onehot = np.eye(c)[labels]
    expected = naive_loss(cls, scores, onehot)
    value = cls().forward(scores, labels)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-10)
    assert cls().forward(scores, onehot) == pytest.approx(expected, rel=1e-10)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.sampled_from(LOSSES), st.integers(1, 5), st.integers(2, 6), st.integers(0, 10**6))
def test_backward_matches_numerical_gradient(cls, n, c, seed):
    scores, labels = random_problem(seed, n, c)
    loss = cls()
    loss.forward(scores, labels)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda s: cls().forward(s, labels), scores.copy(), h=1e-5)
    assert relative_error(analytic, numeric) < 1e-7


def test_soft_targets_are_accepted():
    rng = np.random.default_rng(1)
    scores = rng.standard_normal((3, 4))
    targets = rng.dirichlet(np.ones(4), size=3)       # each row a probability distribution
    for cls in LOSSES:
        assert cls().forward(scores, targets) == pytest.approx(naive_loss(cls, scores, targets), rel=1e-10)
        loss = cls()
        loss.forward(scores, targets)
        numeric = numerical_gradient(lambda s, cls=cls: cls().forward(s, targets), scores.copy(), h=1e-5)
        assert relative_error(loss.backward(), numeric) < 1e-7


def test_softmax_with_loss_saito_backward_examples():
    # Saitoh 5.6.3: t = (0, 1, 0); y = (0.3, 0.2, 0.5) sends back (0.3, -0.8, 0.5), a large error,
    # and y = (0.01, 0.99, 0) almost nothing. Scores log(y) give exactly these softmax outputs.
    loss = SoftmaxWithLoss()
    loss.forward(np.log(np.array([[0.3, 0.2, 0.5]])), np.array([1]))
    np.testing.assert_allclose(loss.backward(), [[0.3, -0.8, 0.5]], atol=1e-12)
    loss.forward(np.log(np.array([[0.01, 0.99, 1e-300]])), np.array([1]))
    np.testing.assert_allclose(loss.backward(), [[0.01, -0.01, 0.0]], atol=1e-12)


def test_mean_squared_error_follows_the_books_scaling():
    # 0.5 * sum over outputs, mean over the batch: Saitoh's 0.0975 for one sample
    y = np.array([[0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]])
    loss = MeanSquaredError()
    assert loss.forward(y, np.array([2])) == pytest.approx(0.0975)
    assert loss.forward(np.vstack([y, y]), np.array([2, 2])) == pytest.approx(0.0975)
    np.testing.assert_allclose(loss.backward(), (np.vstack([y, y]) - np.eye(10)[[2, 2]]) / 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_scores_stay_finite_without_warnings(dtype):
    scores = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype=dtype)
    labels = np.array([0, 0])
    with np.errstate(all="raise"):
        softmax = SoftmaxWithLoss()
        assert softmax.forward(scores, labels) == pytest.approx(1000.0)     # (0 + 2000) / 2
        np.testing.assert_allclose(softmax.backward(), [[0, 0], [-0.5, 0.5]], atol=1e-30)
        sig = SigmoidCrossEntropy()
        assert sig.forward(scores, labels) == pytest.approx(2000.0 / 2)    # the second row costs 2000
        assert np.all(np.isfinite(sig.backward()))


@pytest.mark.parametrize("cls", LOSSES)
def test_float32_in_float32_gradient_out(cls):
    scores = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    loss = cls()
    assert isinstance(loss.forward(scores, np.array([0, 1, 2, 1])), float)
    assert loss.backward().dtype == np.float32
    loss.forward(scores, np.eye(3)[[0, 1, 2, 1]])          # float64 targets are not a reason to upcast
    assert loss.backward().dtype == np.float32


@pytest.mark.parametrize("cls", LOSSES)
def test_bad_input_is_a_clear_error(cls):
    scores = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"\(4,\) or targets of shape \(4, 3\), got shape \(4, 2\)"):
        cls().forward(scores, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        cls().forward(scores, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="0..2"):
        cls().forward(scores, np.array([0, 1, 3, 1]))
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        cls().forward(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="float scores"):
        cls().forward(np.zeros((4, 3), dtype=int), np.array([0, 1, 2, 1]))
    with pytest.raises(RuntimeError, match="before forward"):
        cls().backward()


def test_backward_does_not_modify_the_scores_or_targets():
    scores, labels = random_problem(3, 4, 5)
    targets = np.eye(5)[labels]
    for cls in LOSSES:
        s, t = scores.copy(), targets.copy()
        loss = cls()
        loss.forward(s, t)
        loss.backward()
        np.testing.assert_array_equal(s, scores)
        np.testing.assert_array_equal(t, targets)
