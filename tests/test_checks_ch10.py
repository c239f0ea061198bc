"""Chapter 10's checkers: right answers pass, the usual slips fail with the intended message."""
import math

import pytest

from nnlib.checks import run_checks
from nnlib.checks.ch10 import (
    check_init_std,
    check_relu_factor,
    check_relu_prediction,
    init_std_cases,
    relu_factor_cases,
)


def init_std(kind, n_in):
    return 1 / math.sqrt(n_in) if kind == "xavier" else math.sqrt(2 / n_in)


def failed(report):
    return [r for r in report.results if not r.ok]


def test_right_init_std_passes_every_case(capsys):
    report = run_checks(init_std, init_std_cases())
    assert report.passed, str(report)
    check_init_std(init_std)
    assert f"All {len(init_std_cases())} checks passed." in capsys.readouterr().out


def test_numpy_scalars_pass_too():
    import numpy as np

    def init_std_np(kind, n_in):
        return np.sqrt((2.0 if kind == "he" else 1.0) / np.float64(n_in))

    assert run_checks(init_std_np, init_std_cases()).passed


@pytest.mark.parametrize("wrong, slip", [
    (lambda kind, n: (1 if kind == "xavier" else 2) / n, "a variance"),
    (lambda kind, n: 1 / math.sqrt(n), "Xavier's value"),
    (lambda kind, n: (1 if kind == "xavier" else 2) / math.sqrt(n), "2 / sqrt(n_in)"),
])
def test_usual_slips_are_named(wrong, slip):
    report = run_checks(wrong, init_std_cases())
    assert not report.passed
    assert any(slip in r.message for r in failed(report)), str(report)


def test_swapped_kinds_fail_on_both():
    report = run_checks(lambda kind, n: init_std("he" if kind == "xavier" else "xavier", n), init_std_cases())
    assert len(failed(report)) == len(init_std_cases())   # every case, including n_in = 1


def test_stub_and_errors_are_reported_without_traceback(capsys):
    def stub(kind, n_in):
        raise NotImplementedError

    check_init_std(stub)
    assert "not written yet" in capsys.readouterr().out
    report = run_checks(lambda kind, n: None, init_std_cases())
    assert not report.passed and "expected a number" in failed(report)[0].message


def relu_factor(std, n_in):
    return std * math.sqrt(n_in / 2)


def test_right_relu_factor_passes(capsys):
    assert run_checks(relu_factor, relu_factor_cases()).passed
    check_relu_factor(relu_factor)
    assert f"All {len(relu_factor_cases())} checks passed." in capsys.readouterr().out


def test_he_gives_factor_one_and_saitohs_ratio():
    # He's std makes the factor exactly 1; std 0.01 gives the layer-to-layer ratio of Saitoh's
    # footnote (0.00290 / 0.0396 = 0.073) to within the draw's scatter
    assert math.isclose(relu_factor(math.sqrt(2 / 100), 100), 1.0)
    assert abs(relu_factor(0.01, 100) - 0.00290 / 0.0396) < 0.005


@pytest.mark.parametrize("wrong, slip", [
    (lambda std, n: std * math.sqrt(n), "without ReLU"),
    (lambda std, n: n * std ** 2 / 2, "square root"),
    (lambda std, n: std * math.sqrt(n) / 2, "1/sqrt(2)"),
])
def test_relu_factor_slips_are_named(wrong, slip):
    report = run_checks(wrong, relu_factor_cases())
    assert not report.passed
    assert any(slip in r.message for r in failed(report)), str(report)


def test_prediction(capsys):
    check_relu_prediction("He")
    assert "All 1 checks passed." in capsys.readouterr().out
    check_relu_prediction("xavier")
    out = capsys.readouterr().out
    assert "0 of 1 checks passed" in out and "halves" in out
    check_relu_prediction("kaiming")
    assert "answer one of" in capsys.readouterr().out
