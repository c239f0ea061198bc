"""The hand-built networks of chapter 8 do what the chapter says they do."""
import numpy as np
import pytest

from nnlib.functions import sigmoid
from nnlib.layers import Sequential
from nnlib.universality import (
    as_model,
    best_heights,
    bump_edges,
    bump_network,
    forward,
    max_error,
    random_steps,
    step_neuron,
    step_position,
    tower_network,
)


def test_step_position_is_minus_b_over_w():
    assert step_position(1000.0, -400.0) == pytest.approx(0.4)
    assert step_position(-5.0, 2.0) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="w = 0"):
        step_position(0.0, 1.0)


def test_step_neuron_is_a_step_where_asked():
    w, b = step_neuron(0.3, 1000.0)
    x = np.array([0.29, 0.3, 0.31])
    np.testing.assert_allclose(sigmoid(w * x + b), [0.0, 0.5, 1.0], atol=1e-4)
    with pytest.raises(ValueError, match="steepness must be a positive number"):
        step_neuron(0.3, -1.0)


def test_bump_edges_cover_the_interval_with_saturated_ends():
    edges = bump_edges(4, steepness=1000.0)
    np.testing.assert_allclose(edges[1:-1], [0.25, 0.5, 0.75])
    assert edges[0] == pytest.approx(-0.01) and edges[-1] == pytest.approx(1.01)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="whole number >= 1"):
            bump_edges(bad)


def test_one_bump_has_height_h_inside_and_zero_outside():
    W1, b1, W2, b2 = bump_network([0.4, 0.6], [0.7], steepness=1000.0)
    assert W1.shape == (2, 1) and b1.shape == (2,) and W2.shape == (1, 2) and b2.shape == (1,)
    np.testing.assert_allclose(W2, [[0.7, -0.7]])
    model = as_model(W1, b1, W2, b2)
    y = forward(model, np.array([0.0, 0.3, 0.45, 0.5, 0.55, 0.7, 1.0]))
    np.testing.assert_allclose(y, [0, 0, 0.7, 0.7, 0.7, 0, 0], atol=1e-6)


def test_as_model_is_affine_sigmoid_affine_in_float64():
    model = as_model(bump_network([0.0, 1.0], [1.0]))
    assert isinstance(model, Sequential)
    assert [type(layer).__name__ for layer in model] == ["Affine", "Sigmoid", "Affine"]
    assert model[0].W.data.dtype == np.float64


def test_hand_computed_network_matches_the_formula():
    edges, heights, w = [0.1, 0.5, 0.9], [0.3, -0.2], 50.0
    model = as_model(bump_network(edges, heights, w))
    x = np.linspace(0, 1, 11)
    expected = (0.3 * (sigmoid(w * (x - 0.1)) - sigmoid(w * (x - 0.5)))
                - 0.2 * (sigmoid(w * (x - 0.5)) - sigmoid(w * (x - 0.9))))
    np.testing.assert_allclose(forward(model, x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("edges, heights, message", [
    ([0.5, 0.4], [1.0], "increase"),
    ([0.0, 0.5, 1.0], [1.0], "give 2 heights"),
    ([0.0, np.nan], [1.0], "finite"),
    ([0.0], [], "at least 2"),
])
def test_bump_network_refuses_bad_input(edges, heights, message):
    with pytest.raises(ValueError, match=message):
        bump_network(edges, heights)


def test_more_bumps_give_a_smaller_error():
    f = np.cos
    errors = []
    for n in (2, 8, 32):
        edges = bump_edges(n)
        heights, bound = best_heights(f, edges)
        model = as_model(bump_network(edges, heights))
        error, _ = max_error(lambda x, model=model: forward(model, x), f)
        assert error <= bound + 1e-3
        errors.append(error)
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] <= 1 / 64       # |cos'| <= 1, so n bumps of width 1/n are off by at most 1/(2n)


def test_best_heights_are_halfway_and_the_bound_is_half_the_range():
    heights, error = best_heights(lambda x: x, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(heights, [0.25, 0.75])
    assert error == pytest.approx(0.25)


def test_max_error_finds_the_worst_point():
    error, where = max_error(lambda x: np.zeros_like(x), lambda x: (x - 0.3) ** 2)
    assert error == pytest.approx(0.49) and where == pytest.approx(1.0)
    with pytest.raises(ValueError, match="NaN"):
        max_error(lambda x: np.full_like(x, np.nan), lambda x: x)


def test_a_tower_stands_on_its_cell_only():
    edges = bump_edges(2)
    layers = tower_network(edges, edges, [[0.0, 0.0], [0.8, 0.0]])   # row 1 (upper y), column 0
    assert [W.shape for W, _ in layers] == [(6, 2), (4, 6), (1, 4)]
    model = as_model(layers)
    points = np.array([[0.25, 0.75], [0.75, 0.75], [0.25, 0.25], [0.75, 0.25], [0.1, 0.9]])
    np.testing.assert_allclose(forward(model, points), [0.8, 0, 0, 0, 0.8], atol=1e-6)


def test_towers_approximate_a_function_of_two_inputs_except_on_thin_cracks():
    def f(x, y):
        return np.sin(3 * x) * y

    n = 16
    edges = bump_edges(n)
    centres = (np.arange(n) + 0.5) / n
    heights = f(centres[np.newaxis, :], centres[:, np.newaxis])
    model = as_model(tower_network(edges, edges, heights))
    rng = np.random.default_rng(8)
    points = rng.random((2000, 2))
    gap = np.abs(forward(model, points) - f(points[:, 0], points[:, 1]))
    assert np.quantile(gap, 0.9) < 0.06 and gap.mean() < 0.04
    # On a grid line the two neighbouring towers are both half built (Nielsen's failure windows).
    on_line = forward(model, np.array([[0.5, centres[10]]]))[0]
    assert on_line == pytest.approx(0.5 * (heights[10, 7] + heights[10, 8]), abs=0.02)


def test_tower_network_checks_the_shape_of_heights():
    with pytest.raises(ValueError, match=r"heights of shape \(3, 2\)"):
        tower_network([0, 0.5, 1], [0, 0.3, 0.6, 1], np.zeros((2, 3)))


def test_random_steps_put_every_step_inside_the_interval():
    W, b = random_steps(50, np.random.default_rng(3), steepness=20.0, lo=0.2, hi=0.6)
    assert W.shape == (50, 1) and b.shape == (50,) and W.dtype == np.float64
    positions = -b / W[:, 0]
    assert positions.min() >= 0.2 and positions.max() <= 0.6
    assert 10 < np.abs(W).mean() < 25
    with pytest.raises(ValueError, match="Generator"):
        random_steps(3, 0)
