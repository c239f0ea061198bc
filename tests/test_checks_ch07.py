"""Chapter 7's checkers: right answers pass, the usual mistakes fail with the intended message."""
import numpy as np

from nnlib.checks import run_checks
from nnlib.checks.ch07 import (
    check_confusion_matrix,
    check_l2_step,
    check_output_gradients,
    confusion_matrix_cases,
    l2_step_cases,
    output_gradient_cases,
    reference_confusion_matrix,
    reference_l2_step,
    reference_output_gradients,
)


def confusion_loop(labels, predicted, classes=10):
    counts = np.zeros((classes, classes), dtype=int)
    for i, j in zip(labels, predicted):
        counts[i, j] += 1
    return counts


def l2_step(W, grad, eta, lmbda, n):
    return (1 - eta * lmbda / n) * W - eta * grad


def output_gradients(z, y):
    a = 1 / (1 + np.exp(-z))
    return (a - y) * a * (1 - a), a - y


def test_reference_confusion_matrix_counts_pairs():
    m = reference_confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], classes=3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    assert m.sum() == 4


def test_confusion_matrix_right_answers_pass():
    assert run_checks(confusion_loop, confusion_matrix_cases()).passed


def test_confusion_matrix_fancy_index_mistake_fails():
    def fancy(labels, predicted, classes=10):
        counts = np.zeros((classes, classes), dtype=int)
        counts[labels, predicted] += 1      # adds 1 once per distinct pair
        return counts
    report = run_checks(fancy, confusion_matrix_cases())
    assert not report.passed
    assert "np.add.at" in str(report)


def test_confusion_matrix_transposed_and_float_fail():
    def transposed(labels, predicted, classes=10):
        return confusion_loop(predicted, labels, classes)

    def floats(labels, predicted, classes=10):
        return confusion_loop(labels, predicted, classes).astype(float)
    assert "row = the true digit" in str(run_checks(transposed, confusion_matrix_cases()))
    assert "integer dtype" in str(run_checks(floats, confusion_matrix_cases()))


def test_reference_l2_step_is_nielsens_rule():
    W = np.array([[1.0, -2.0]])
    out = reference_l2_step(W, np.array([[0.5, 0.5]]), 0.1, 5.0, 50_000)
    np.testing.assert_allclose(out, (1 - 0.1 * 5.0 / 50_000) * W - 0.1 * 0.5, rtol=1e-15)
    assert W.tolist() == [[1.0, -2.0]]     # the input is not changed


def test_l2_step_right_answer_passes_and_mistakes_fail():
    assert run_checks(l2_step, l2_step_cases()).passed

    def two_n(W, grad, eta, lmbda, n):
        return (1 - eta * lmbda / (2 * n)) * W - eta * grad

    def float64(W, grad, eta, lmbda, n):
        return np.float64(1 - eta * lmbda / n) * W.astype(np.float64) - eta * grad
    assert "Divide by n, not 2n" in str(run_checks(two_n, l2_step_cases()))
    assert "dtype" in str(run_checks(float64, l2_step_cases()))


def test_output_gradients():
    quad, ce = reference_output_gradients(0.0, 0.0)
    assert (float(quad), float(ce)) == (0.125, 0.5)
    assert run_checks(output_gradients, output_gradient_cases()).passed

    def swapped(z, y):
        q, c = output_gradients(z, y)
        return c, q

    def missing_derivative(z, y):
        a = 1 / (1 + np.exp(-z))
        return a - y, a - y
    assert not run_checks(swapped, output_gradient_cases()).passed
    report = str(run_checks(missing_derivative, output_gradient_cases()))
    assert "quadratic gradient" in report and "sigmoid'(z) = a (1 - a)" in report


def test_checkers_print_reports(capsys):
    check_confusion_matrix(confusion_loop)
    check_l2_step(l2_step)
    check_output_gradients(output_gradients)
    out = capsys.readouterr().out
    assert out.count("checks passed.") == 3


def test_not_written_yet(capsys):
    def todo(*args, **kwargs):
        raise NotImplementedError
    check_confusion_matrix(todo)
    assert "not written yet" in capsys.readouterr().out
