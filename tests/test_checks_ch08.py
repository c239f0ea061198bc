"""Chapter 8's checker: good heights pass, poor ones fail with the bump to fix, bad input is explained."""
import numpy as np
import pytest

from nnlib.checks.ch08 import N_BUMPS, STEEPNESS, check_heights, heights_report, target
from nnlib.universality import best_heights, bump_edges


def halfway():
    return best_heights(target, bump_edges(N_BUMPS, steepness=STEEPNESS))[0]


def test_target_is_nielsens_function():
    assert target(0.0) == pytest.approx(0.25)
    x = 0.5
    assert target(x) == pytest.approx(0.2 + 0.1 + 0.15 * np.sin(7.5) + 0.05 * np.cos(25))


def test_halfway_heights_are_as_good_as_it_gets():
    report = heights_report(halfway())
    assert report.ok
    assert report.error == pytest.approx(report.best_error)
    assert 0.2 < report.best_error < 0.25          # ten bumps cannot follow the ripple of cos(50x)
    assert "✓ as good as 10 bumps get" in report.text
    assert max(len(line) for line in report.text.splitlines()) <= 88


def test_heights_rounded_to_two_decimals_still_pass():
    assert heights_report(np.round(halfway(), 2)).ok


def test_a_list_of_python_floats_is_accepted():
    assert heights_report([float(h) for h in halfway()]).ok


def test_one_height_a_bit_off_is_close_and_named():
    heights = halfway()
    heights[8] += 0.03                               # bump 9 holds the largest error already
    report = heights_report(heights)
    assert report.ok
    assert "✓ close: 0.02" in report.text
    assert "above the halfway heights.\n    Bump 9 is 0.030 too high; nudge it" in report.text


def test_flat_heights_fail_and_name_the_worst_bump():
    report = heights_report([0.2] * N_BUMPS)
    assert not report.ok
    text = report.text
    assert "✗ not close yet" in text
    assert "Bump 10 is 0.610 too low" in text
    assert "hint: put each height halfway" in text
    assert text.count("largest error under each bump:") == 1


def test_the_error_is_measured_not_assumed():
    heights = halfway()
    heights[0] -= 0.5
    report = heights_report(heights)
    assert not report.ok
    assert report.x_at_error < 0.1
    assert report.error > 0.5 > report.best_error
    assert "Bump 1 is 0.500 too low" in report.text


@pytest.mark.parametrize("bad, message", [
    (None, "heights is not set yet: replace None"),
    ("0.2, 0.3", "got the text"),
    ([0.2] * 9, "give exactly 10 heights"),
    ([[0.2] * 10], "give exactly 10 heights"),
    ([0.2] * 9 + [float("nan")], "found NaN or infinity"),
    ([0.2] * 9 + ["a"], "could not read"),
])
def test_bad_input_is_explained_not_raised(bad, message):
    report = heights_report(bad)
    assert not report.ok
    assert message in report.text
    assert "Traceback" not in report.text


def test_check_heights_prints_the_report(capsys):
    assert check_heights(halfway()) is None
    out = capsys.readouterr().out
    assert out.startswith("Checking your 10 bump heights")
    assert "✓" in out


def test_the_readers_list_is_not_changed():
    heights = [0.2] * N_BUMPS
    heights_report(heights)
    assert heights == [0.2] * N_BUMPS
