"""Chapter 13's checkers: right answers pass, the usual slips fail with the intended message."""
import numpy as np
import pytest

from nnlib.checks import run_checks
from nnlib.checks.ch13 import (
    check_ensemble_labels,
    check_gradient_prediction,
    check_stacked_params,
    ensemble_cases,
    stacked_params_cases,
)


def failed(report):
    return [r for r in report.results if not r.ok]


def stacked_params(n):
    return 9 * n, (2 * n + 1) ** 2


def ensemble_labels(probs):
    return np.asarray(probs).mean(axis=0).argmax(axis=1)


def test_right_stacked_params_pass(capsys):
    assert run_checks(stacked_params, stacked_params_cases()).passed
    check_stacked_params(stacked_params)
    assert f"All {len(stacked_params_cases())} checks passed." in capsys.readouterr().out


def test_saitoh_numbers_are_among_the_cases():
    descriptions = " ".join(c.description for c in stacked_params_cases())
    assert "(18, 25)" in descriptions and "(27, 49)" in descriptions


@pytest.mark.parametrize("wrong, slip", [
    (lambda n: (3 * n, (2 * n + 1) ** 2), "9 weights"),
    (lambda n: (9 * n, (3 * n) ** 2), "widens the view by 2"),
    (lambda n: ((2 * n + 1) ** 2, 9 * n), "wrong order"),
    (lambda n: (9 * n, 2 * n + 1), "square it"),
])
def test_stacked_params_slips_are_named(wrong, slip):
    report = run_checks(wrong, stacked_params_cases())
    assert not report.passed
    assert any(slip in r.message for r in failed(report)), str(report)


def test_stacked_params_not_a_pair_is_reported():
    report = run_checks(lambda n: 9 * n, stacked_params_cases())
    assert all("pair of whole numbers" in r.message for r in failed(report))
    assert len(failed(report)) == len(stacked_params_cases())


def test_right_ensemble_labels_pass(capsys):
    assert run_checks(ensemble_labels, ensemble_cases()).passed
    check_ensemble_labels(ensemble_labels)
    assert "checks passed" in capsys.readouterr().out


def test_majority_vote_is_named():
    def vote(probs):
        answers = probs.argmax(axis=2)
        return np.array([np.bincount(col, minlength=probs.shape[2]).argmax() for col in answers.T])
    report = run_checks(vote, ensemble_cases())
    assert not report.passed
    assert any("majority vote" in r.message for r in failed(report)), str(report)


def test_first_member_alone_is_named():
    report = run_checks(lambda probs: probs[0].argmax(axis=1), ensemble_cases())
    assert any("first member" in r.message for r in failed(report)), str(report)


def test_wrong_axis_gives_a_shape_message():
    report = run_checks(lambda probs: probs.mean(axis=1).argmax(axis=1), ensemble_cases())
    assert not report.passed
    assert all("shape" in r.message for r in failed(report))


def test_float_labels_are_refused():
    report = run_checks(lambda probs: probs.mean(axis=0).argmax(axis=1).astype(float), ensemble_cases())
    assert all("whole-number" in r.message for r in failed(report))


@pytest.mark.parametrize("answer, ok", [(4, True), (1, False), ("4", True), (5, False), ("top", False),
                                        (3.5, False)])
def test_gradient_prediction(answer, ok, capsys):
    check_gradient_prediction(answer)
    out = capsys.readouterr().out
    assert ("All 1 checks passed." in out) == ok, out
