"""nnlib.schedules: the three learning-rate schedules and their checks."""
import math

import pytest

from nnlib.schedules import SCHEDULES, constant, cosine_decay, step_decay


def test_constant_is_constant():
    assert [constant(0.1, t, 10) for t in range(10)] == [0.1] * 10


def test_step_decay_drops_tenfold_at_half_and_three_quarters():
    rates = [step_decay(1.0, t, 100) for t in range(100)]
    assert rates[0] == rates[49] == 1.0
    assert math.isclose(rates[50], 0.1) and math.isclose(rates[74], 0.1)
    assert math.isclose(rates[75], 0.01) and math.isclose(rates[99], 0.01)


def test_cosine_starts_at_lr0_halves_midway_and_ends_near_zero():
    assert cosine_decay(0.2, 0, 1000) == pytest.approx(0.2)
    assert cosine_decay(0.2, 500, 1000) == pytest.approx(0.1)
    assert 0 < cosine_decay(0.2, 999, 1000) < 1e-5
    rates = [cosine_decay(0.2, t, 1000) for t in range(1000)]
    assert all(a > b for a, b in zip(rates, rates[1:]))


def test_schedules_by_name():
    assert set(SCHEDULES) == {"constant", "step", "cosine"}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("args", [(0.0, 0, 10), (-1.0, 0, 10), (float("nan"), 0, 10),
                                  (0.1, 10, 10), (0.1, -1, 10), (0.1, 0, 0)])
def test_bad_arguments_are_refused(name, args):
    with pytest.raises(ValueError):
        SCHEDULES[name](*args)
