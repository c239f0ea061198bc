"""Chapter 3's exercise checkers: right answers pass, the typical wrong answers fail with a useful message."""
import warnings

import numpy as np
import pytest

from nnlib.checks import run_checks
from nnlib.checks.ch03 import (
    check_relu_derivative,
    check_softmax,
    relu_derivative_cases,
    softmax_cases,
)

# --- softmax -------------------------------------------------------------------------------------

def stable_softmax(a):
    shifted = a - a.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def naive_softmax(a):            # the textbook formula, no max subtracted
    e = np.exp(a)
    return e / e.sum(axis=-1, keepdims=True)


def whole_array_softmax(a):      # Saitoh's vector version applied unchanged to a batch
    e = np.exp(a - np.max(a))
    return e / np.sum(e)


def global_max_softmax(a):       # sums per row, but subtracts the maximum of the whole batch
    e = np.exp(a - np.max(a))
    return e / e.sum(axis=-1, keepdims=True)


def column_softmax(a):           # normalises down the columns (axis 0) instead of along the rows
    e = np.exp(a - a.max(axis=0))
    return e / e.sum(axis=0)


def float64_softmax(a):          # correct numbers, but silently widened to float64
    a = np.asarray(a, dtype=np.float64)
    return stable_softmax(a)


def softmax_report(fn):
    with np.errstate(all="ignore"):
        return run_checks(fn, softmax_cases(), name="softmax")


def failed(report):
    return [r.case.description for r in report.results if not r.ok]


def test_a_stable_row_wise_softmax_passes_every_case(capsys):
    report = softmax_report(stable_softmax)
    assert report.passed, str(report)
    check_softmax(stable_softmax)
    out = capsys.readouterr().out
    assert out.startswith("Checking stable_softmax: 8 cases")
    assert out.rstrip().endswith("All 8 checks passed.")


def test_the_cases_hold_saitos_numbers():
    cases = {c.description: c for c in softmax_cases()}
    saito = cases["Saitoh's scores [0.3, 2.9, 4.0] -> [0.0182, 0.2452, 0.7366]"].expected
    np.testing.assert_allclose(saito, [0.01821127, 0.24519181, 0.73659691], rtol=1e-6)
    huge = cases["huge scores [1010, 1000, 990] (no overflow)"].expected
    np.testing.assert_allclose(huge, [9.99954600e-01, 4.53978686e-05, 2.06106005e-09], rtol=1e-6)


def test_the_naive_formula_fails_on_huge_and_tiny_scores_with_the_overflow_hint():
    report = softmax_report(naive_softmax)
    assert not report.passed
    bad = failed(report)
    assert "huge scores [1010, 1000, 990] (no overflow)" in bad
    assert "very negative scores [-1000, -1010, -1020] (no 0 / 0)" in bad
    assert "Saitoh's scores [0.3, 2.9, 4.0] -> [0.0182, 0.2452, 0.7366]" not in bad
    text = str(report)
    assert "nan" in text
    assert "exp(1010) overflows to inf and inf / inf is nan" in text
    assert "0 / 0 is nan" in text


def test_check_softmax_prints_no_numpy_warning_for_the_naive_formula(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a RuntimeWarning would fail this test
        check_softmax(naive_softmax)
    assert "checks passed; fix the ones marked ✗" in capsys.readouterr().out


def test_normalising_the_whole_batch_fails_the_batch_cases_with_the_rows_hint():
    report = softmax_report(whole_array_softmax)
    bad = failed(report)
    assert "a batch of 2 rows: every row sums to 1" in bad
    assert "huge scores [1010, 1000, 990] (no overflow)" not in bad   # right for a single vector
    assert "take the maximum and the sum of each row" in str(report)


def test_the_maximum_of_the_whole_batch_fails_when_rows_differ():
    report = softmax_report(global_max_softmax)
    assert failed(report) == ["a batch whose rows have very different scores"]
    assert "subtract each row's own maximum" in str(report)


def test_normalising_columns_instead_of_rows_fails():
    bad = failed(softmax_report(column_softmax))
    assert "a batch of 2 rows: every row sums to 1" in bad
    assert "a batch of one row keeps the shape (1, 3)" in bad


def test_widening_float32_to_float64_is_reported_by_dtype():
    report = softmax_report(float64_softmax)
    assert failed(report) == ["float32 scores in, float32 probabilities out"]
    assert "expected dtype float32, got dtype float64" in str(report)


def test_the_stub_and_a_missing_return_are_reported():
    def softmax(a):
        raise NotImplementedError

    assert "softmax is not written yet" in str(softmax_report(softmax))

    def forgot_return(a):
        stable_softmax(a)

    report = softmax_report(forgot_return)
    assert report.n_passed == 0
    assert "did you forget `return`?" in str(report)


# --- the derivative of ReLU ----------------------------------------------------------------------

def relu_derivative(x):
    return (x > 0).astype(x.dtype)


def test_the_correct_relu_derivative_passes(capsys):
    report = run_checks(relu_derivative, relu_derivative_cases())
    assert report.passed, str(report)
    check_relu_derivative(relu_derivative)
    assert capsys.readouterr().out.rstrip().endswith("All 4 checks passed.")


def test_returning_booleans_fails_the_dtype_case():
    report = run_checks(lambda x: x > 0, relu_derivative_cases(), name="relu_derivative")
    assert failed(report) == ["float32 in, float32 numbers (not booleans) out"]
    text = str(report)
    assert "got dtype bool" in text
    assert "(x > 0).astype(x.dtype)" in text


def test_slope_one_at_zero_fails_the_zero_case():
    report = run_checks(lambda x: (x >= 0).astype(x.dtype), relu_derivative_cases(),
                        name="relu_derivative")
    assert failed(report) == ["at x = 0 the derivative is taken as 0"]
    assert "test x > 0, not x >= 0" in str(report)


def test_returning_relu_itself_fails():
    report = run_checks(lambda x: np.maximum(x, 0), relu_derivative_cases(), name="relu_derivative")
    assert not report.passed
    assert "[-2, -0.5, 0.5, 3] -> [0, 0, 1, 1]" in failed(report)


@pytest.mark.parametrize("wrong", [lambda x: np.where(x > 0, 1.0, 0.0)])
def test_a_float64_result_for_float32_input_fails(wrong):
    report = run_checks(wrong, relu_derivative_cases(), name="relu_derivative")
    assert failed(report) == ["float32 in, float32 numbers (not booleans) out"]
    assert "got dtype float64" in str(report)
