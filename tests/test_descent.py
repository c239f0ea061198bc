"""nnlib.descent.gradient_descent: Saitoh's three learning rates, the closed form on a bowl, paths, errors."""
import numpy as np
import pytest

from nnlib.descent import gradient_descent


def bowl(x):
    """Saitoh's function_2: x0**2 + x1**2."""
    return x[0] ** 2 + x[1] ** 2


def test_saitohs_learning_rate_01_reaches_his_numbers():
    x = gradient_descent(bowl, np.array([-3.0, 4.0]), lr=0.1, step_num=100)
    # The seed digest gives -6.1110793e-10, one decimal short of NumPy's eight: NumPy prints
    # our value as -6.11110793e-10, the digest's digits with a 1 more (see chapter 5).
    np.testing.assert_allclose(x, [-6.11110793e-10, 8.14814391e-10], rtol=1e-8)
    np.testing.assert_allclose(x, [-6.11e-10, 8.15e-10], rtol=1e-3)


def test_saitohs_learning_rate_10_diverges_to_his_numbers():
    x = gradient_descent(bowl, np.array([-3.0, 4.0]), lr=10.0, step_num=100)
    np.testing.assert_allclose(x, [-2.58983747e+13, -1.29524862e+12], rtol=1e-8)


def test_saitohs_learning_rate_1e_10_barely_moves():
    x = gradient_descent(bowl, np.array([-3.0, 4.0]), lr=1e-10, step_num=100)
    np.testing.assert_allclose(x, [-2.99999994, 3.99999992], rtol=1e-9)


@pytest.mark.parametrize("lr", [0.05, 0.3, 0.7, 1.2])
def test_exact_gradient_matches_the_closed_form(lr):
    # grad of x0^2 + x1^2 is 2x, so every step multiplies x by (1 - 2 lr)
    start = np.array([[-3.0, 4.0], [0.5, -1.0]])
    x, path = gradient_descent(lambda v: np.sum(v ** 2), start, lr=lr, step_num=12,
                               grad=lambda v: 2 * v, return_path=True)
    assert path.shape == (13, 2, 2)
    for k in range(13):
        np.testing.assert_allclose(path[k], start * (1 - 2 * lr) ** k, rtol=1e-12)
    np.testing.assert_array_equal(x, path[-1])


def test_numerical_and_exact_gradients_agree_on_a_matrix():
    rng = np.random.default_rng(0)
    target = rng.standard_normal((3, 4))

    def f(w):
        return np.sum((w - target) ** 2) + 0.5 * np.sum(w ** 4)

    start = rng.standard_normal((3, 4))
    numeric = gradient_descent(f, start, lr=0.05, step_num=20)
    exact = gradient_descent(f, start, lr=0.05, step_num=20, grad=lambda w: 2 * (w - target) + 2 * w ** 3)
    np.testing.assert_allclose(numeric, exact, atol=1e-7)
    assert f(exact) < f(start)


def test_start_point_is_not_changed_and_ints_are_accepted():
    start = np.array([-3.0, 4.0])
    gradient_descent(bowl, start, lr=0.1, step_num=5)
    np.testing.assert_array_equal(start, [-3.0, 4.0])
    x = gradient_descent(bowl, [-3, 4], lr=0.1, step_num=1)     # Saitoh's integers would truncate x + h
    np.testing.assert_allclose(x, [-2.4, 3.2], rtol=1e-9)


def test_zero_steps_returns_the_start():
    x, path = gradient_descent(bowl, np.array([1.0, 2.0]), lr=0.1, step_num=0, return_path=True)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert path.shape == (1, 2)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -0.1}, "lr must be"),
    ({"lr": float("nan")}, "lr must be"),
    ({"step_num": 2.5}, "step_num must be"),
    ({"step_num": -1}, "step_num must be"),
    ({"step_num": True}, "step_num must be"),
])
def test_bad_arguments_say_what_to_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradient_descent(bowl, np.array([1.0, 2.0]), **kwargs)


def test_empty_start_is_refused():
    with pytest.raises(ValueError, match="at least one entry"):
        gradient_descent(np.sum, np.array([]))
