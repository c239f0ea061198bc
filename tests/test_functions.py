"""nnlib.functions: values from the books, naive formulas as oracles, stability at +-1000."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib import functions as F
from nnlib.gradcheck import numerical_diff

FLOATS = (np.float32, np.float64)
moderate = arrays(np.float64, st.integers(1, 12), elements=st.floats(-30, 30))


def naive_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def naive_softmax_row(a):
    e = [math.exp(v) for v in a]
    return [v / sum(e) for v in e]


# --- activations -------------------------------------------------------------------------------

def test_step_function_saito_example():
    np.testing.assert_array_equal(F.step_function(np.array([-1.0, 1.0, 2.0])), [0.0, 1.0, 1.0])
    assert F.step_function(np.array([0.0]))[0] == 0.0      # 0 is not > 0
    np.testing.assert_array_equal(F.step_grad(np.array([-1.0, 2.0])), [0.0, 0.0])


def test_sigmoid_saito_values():
    np.testing.assert_allclose(F.sigmoid(np.array([-1.0, 1.0, 2.0])), [0.26894142, 0.73105858, 0.88079708],
                               atol=1e-8)
    assert F.sigmoid(1.0) == pytest.approx(0.7310585786)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(moderate)
def test_sigmoid_matches_naive_formula(x):
    np.testing.assert_allclose(F.sigmoid(x), naive_sigmoid(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_keeps_dtype_and_does_not_modify_input(dtype):
    x = np.array([-3.0, 0.0, 3.0], dtype=dtype)
    before = x.copy()
    y = F.sigmoid(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("dtype", FLOATS)
def test_activations_finite_at_extremes_without_any_floating_point_warning(dtype):
    x = np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=dtype)
    with np.errstate(all="raise"):
        s = F.sigmoid(x)
        g = F.sigmoid_grad(x)
        t = F.tanh(x)
    np.testing.assert_array_equal(s[[0, 2, 4]], np.array([0.0, 0.5, 1.0], dtype=dtype))
    assert np.all(np.isfinite(g)) and g[2] == 0.25
    np.testing.assert_array_equal(t[[0, 4]], [-1.0, 1.0])


@pytest.mark.parametrize("f, df", [(F.sigmoid, F.sigmoid_grad), (F.tanh, F.tanh_grad),
                                   (F.relu, F.relu_grad)])
def test_derivatives_match_central_differences(f, df):
    for x0 in (-2.5, -0.7, 0.3, 1.9):      # away from ReLU's kink at 0
        numeric = numerical_diff(lambda v: float(f(np.array(v))), x0, h=1e-5)
        assert float(df(np.array(x0))) == pytest.approx(numeric, abs=1e-9)


def test_sigmoid_grad_peaks_at_one_quarter():
    x = np.linspace(-6, 6, 1201)
    g = F.sigmoid_grad(x)
    assert g.max() == pytest.approx(0.25) and x[g.argmax()] == pytest.approx(0.0)


def test_tanh_is_origin_symmetric_and_relu_clips():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(F.tanh(x), (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)))
    np.testing.assert_array_equal(F.relu(x), [0.0, 0.0, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(F.relu_grad(x), [0.0, 0.0, 0.0, 1.0, 1.0])
    assert F.tanh_grad(np.array(0.0)) == 1.0


# --- softmax --------------------------------------------------------------------------------------

def test_softmax_saito_values():
    np.testing.assert_allclose(F.softmax(np.array([0.3, 2.9, 4.0])), [0.01821127, 0.24519181, 0.73659691],
                               atol=1e-8)
    # the naive formula gives nan here; subtracting the maximum fixes it (Saitoh 3.5.2)
    np.testing.assert_allclose(F.softmax(np.array([1010.0, 1000.0, 990.0])),
                               [9.99954600e-01, 4.53978686e-05, 2.06106005e-09], rtol=1e-6)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=st.floats(-20, 20)))
def test_softmax_matches_naive_formula_row_by_row(a):
    y = F.softmax(a)
    for row, out in zip(a, y):
        np.testing.assert_allclose(out, naive_softmax_row(row), rtol=1e-10)
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(F.log_softmax(a), np.log(y), atol=1e-10)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_and_log_softmax_at_extremes(dtype):
    a = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], dtype=dtype)
    with np.errstate(all="raise"):
        y = F.softmax(a)
        log_y = F.log_softmax(a)
    assert y.dtype == dtype and log_y.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(log_y))
    np.testing.assert_allclose(y[0], [1.0, 0.0, 0.0], atol=1e-30)
    np.testing.assert_allclose(y[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(log_y[0], [0.0, -2000.0, -1000.0], rtol=1e-6)


def test_softmax_along_another_axis():
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(F.softmax(a, axis=0), F.softmax(a.T).T)


# --- losses -----------------------------------------------------------------------------------------

Y_GOOD = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]      # Saitoh 4.2.1, "2" is likeliest
Y_BAD = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]       # "7" is likeliest
T_TWO = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]


def test_mean_squared_error_saito_values():
    assert F.mean_squared_error(np.array(Y_GOOD), np.array(T_TWO)) == pytest.approx(0.0975, abs=1e-12)
    assert F.mean_squared_error(np.array(Y_BAD), np.array(T_TWO)) == pytest.approx(0.5975, abs=1e-12)
    # a batch of both, with integer labels: the mean of the two
    batch = np.array([Y_GOOD, Y_BAD])
    assert F.mean_squared_error(batch, np.array([2, 2])) == pytest.approx((0.0975 + 0.5975) / 2)


def test_cross_entropy_error_saito_values():
    assert F.cross_entropy_error(np.array(Y_GOOD), np.array(T_TWO)) == pytest.approx(0.51082545709933802)
    assert F.cross_entropy_error(np.array(Y_BAD), np.array(T_TWO)) == pytest.approx(2.3025840929945458)
    batch = np.array([Y_GOOD, Y_BAD])
    assert F.cross_entropy_error(batch, np.array([2, 2])) == pytest.approx(
        (0.51082545709933802 + 2.3025840929945458) / 2)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 5)), elements=st.floats(-10, 10)),
       st.data())
def test_softmax_cross_entropy_matches_naive_formula(a, data):
    labels = np.array(data.draw(st.lists(st.integers(0, a.shape[1] - 1), min_size=a.shape[0],
                                         max_size=a.shape[0])))
    naive = -np.mean([math.log(naive_softmax_row(row)[k]) for row, k in zip(a, labels)])
    assert F.softmax_cross_entropy(a, labels) == pytest.approx(naive, rel=1e-10)
    assert F.softmax_cross_entropy(a, F.one_hot(labels, a.shape[1], np.float64)) == pytest.approx(naive, rel=1e-10)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=st.floats(-15, 15)),
       st.data())
def test_sigmoid_cross_entropy_matches_naive_formula(z, data):
    t = np.array(data.draw(st.lists(st.floats(0, 1), min_size=z.size, max_size=z.size))).reshape(z.shape)
    a = naive_sigmoid(z)
    naive = -np.sum(t * np.log(a) + (1 - t) * np.log(1 - a)) / z.shape[0]
    assert F.sigmoid_cross_entropy(z, t) == pytest.approx(naive, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropies_finite_at_extremes(dtype):
    a = np.array([[1000.0, -1000.0]], dtype=dtype)
    with np.errstate(all="raise"):
        assert F.softmax_cross_entropy(a, np.array([1])) == pytest.approx(2000.0)
        assert F.softmax_cross_entropy(a, np.array([0])) == pytest.approx(0.0, abs=1e-30)
        # sigmoid outputs 1 and 0; target 0 for both: the first costs 1000, the second nothing
        assert F.sigmoid_cross_entropy(a, np.zeros((1, 2), dtype)) == pytest.approx(1000.0)


def test_one_hot_and_its_errors():
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    assert F.one_hot(np.array([1]), 2).dtype == np.float32
    with pytest.raises(ValueError, match="0..2"):
        F.one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match="integer labels"):
        F.one_hot(np.array([0.5]), 3)


def test_loss_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        F.mean_squared_error(np.zeros((2, 3)), np.zeros((2, 4)))
