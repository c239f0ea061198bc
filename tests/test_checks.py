"""The exercise-checker machinery: every way a reader's function can go wrong is reported, not raised."""
import numpy as np
import pytest

from nnlib.checks import Case, check_function, run_checks


def square(x):
    return x * x


CASES = [
    Case("3 -> 9", 3, expected=9),
    Case("array", np.array([1.0, -2.0]), expected=np.array([1.0, 4.0])),
    Case("float", 0.5, expected=0.25),
]


def test_correct_function_passes_every_case():
    report = run_checks(square, CASES)
    assert report.passed
    assert report.n_passed == 3
    text = str(report)
    assert text.startswith("Checking square: 3 cases")
    assert text.count("✓") == 3
    assert text.endswith("All 3 checks passed.")


def test_wrong_values_are_reported_with_expected_and_got():
    report = run_checks(lambda x: x + x, CASES, name="square")
    assert not report.passed
    text = str(report)
    assert "✗ 3 -> 9" in text
    assert "expected 9" in text and "got      6" in text
    assert "0 of 3 checks passed" in text or "of 3 checks passed" in text


def test_shape_mismatch_is_named():
    report = run_checks(lambda x: np.asarray(x).reshape(-1, 1) ** 2, CASES[1:2], name="square")
    assert not report.passed
    assert "expected shape (2,), got shape (2, 1)" in str(report)


def test_exception_in_the_readers_code_is_a_failed_case_not_a_traceback():
    def broken(x):
        return x.undefined_attribute

    report = run_checks(broken, CASES)
    assert not report.passed
    assert "raised AttributeError" in str(report)
    assert "Traceback" not in str(report)


def test_not_implemented_is_reported_as_not_written():
    def todo(x):
        raise NotImplementedError

    report = run_checks(todo, CASES)
    assert not report.passed and report.not_written
    assert "not written yet" in str(report)


def test_forgotten_return_is_pointed_out():
    def no_return(x):
        x * x

    report = run_checks(no_return, CASES)
    assert "did you forget `return`?" in str(report)


def test_non_callable_is_reported():
    report = run_checks(42, CASES, name="square")
    assert not report.passed
    assert "expected a function" in str(report)


def test_inputs_are_copied_so_in_place_changes_do_not_leak():
    original = np.array([1.0, 2.0])
    cases = [Case("first", original, expected=np.array([0.0, 0.0])),
             Case("second", original, expected=np.array([0.0, 0.0]))]

    def zero_in_place(x):
        x[:] = 0
        return x

    assert run_checks(zero_in_place, cases).passed
    np.testing.assert_array_equal(original, [1.0, 2.0])


def test_callable_expectation_and_hint():
    cases = [Case("positive", -4.0, expected=lambda r: (r > 0, f"got {r}, wanted > 0"),
                  hint="take the absolute value")]
    text = str(run_checks(lambda x: x, cases, name="f"))
    assert "got -4.0, wanted > 0" in text
    assert "hint: take the absolute value" in text
    assert run_checks(abs, cases).passed


def test_float_tolerance_is_applied():
    cases = [Case("near", 1.0, expected=np.array([0.1, 0.2]), rtol=1e-3)]
    assert run_checks(lambda x: np.array([0.10001, 0.20001]), cases).passed
    assert not run_checks(lambda x: np.array([0.11, 0.2]), cases).passed


def test_nan_never_passes():
    cases = [Case("nan", 1.0, expected=np.array([np.nan]))]
    assert not run_checks(lambda x: np.array([np.nan]), cases).passed


def test_check_function_prints_and_returns_nothing(capsys):
    assert check_function(square, CASES) is None
    out = capsys.readouterr().out
    assert "All 3 checks passed." in out


@pytest.mark.parametrize("bad", [None, "text", [1, 2, 3]])
def test_strange_return_values_fail_cleanly(bad):
    report = run_checks(lambda x: bad, CASES, name="square")
    assert not report.passed
    assert "Traceback" not in str(report)


def test_check_dtype_catches_an_upcast_and_booleans():
    x32 = np.array([1.0, -2.0], dtype=np.float32)
    cases = [Case("float32 stays float32", x32, expected=x32 * x32, check_dtype=True)]
    assert run_checks(square, cases).passed
    upcast = str(run_checks(lambda x: x.astype(np.float64) ** 2, cases, name="square"))
    assert "expected dtype float32, got dtype float64" in upcast
    booleans = [Case("numbers, not bools", x32, expected=(x32 > 0).astype(np.float32), check_dtype=True)]
    assert "got dtype bool" in str(run_checks(lambda x: x > 0, booleans, name="positive"))
    # without check_dtype the same values in another dtype pass
    assert run_checks(lambda x: x.astype(np.float64) ** 2,
                      [Case("any dtype", x32, expected=x32 * x32)]).passed
