"""Chapter 9's checkers: right updates pass, the usual mistakes fail with the intended hint."""
import numpy as np

from nnlib.checks import run_checks
from nnlib.checks.ch09 import (
    adagrad_cases,
    check_adagrad_step,
    check_momentum_step,
    momentum_cases,
    reference_adagrad_step,
    reference_momentum_step,
)


def momentum_step(w, v, grad, lr, momentum):
    v = momentum * v - lr * grad
    return w + v, v


def adagrad_step(w, h, grad, lr, eps=1e-7):
    h = h + grad * grad
    return w - lr * grad / (np.sqrt(h) + eps), h


def failed(report):
    return [r for r in report.results if not r.ok]


def test_references_follow_the_equations():
    w, v = reference_momentum_step(np.array([-7.0, 2.0]), np.zeros(2), np.array([-0.7, 4.0]), 0.1, 0.9)
    np.testing.assert_allclose(v, [0.07, -0.4])
    np.testing.assert_allclose(w, [-6.93, 1.6])
    w, h = reference_adagrad_step(np.array([-7.0, 2.0]), np.zeros(2), np.array([-0.7, 4.0]), 1.5)
    np.testing.assert_allclose(h, [0.49, 16.0])
    np.testing.assert_allclose(w, [-5.5, 0.5], rtol=1e-6)


def test_correct_functions_pass(capsys):
    assert run_checks(momentum_step, momentum_cases()).passed
    assert run_checks(adagrad_step, adagrad_cases()).passed
    check_momentum_step(momentum_step)
    check_adagrad_step(adagrad_step)
    out = capsys.readouterr().out
    assert f"All {len(momentum_cases())} checks passed." in out
    assert f"All {len(adagrad_cases())} checks passed." in out


def test_in_place_updates_pass_too():
    def momentum_in_place(w, v, grad, lr, momentum):
        v *= momentum
        v -= lr * grad
        w += v
        return w, v

    assert run_checks(momentum_in_place, momentum_cases()).passed


def test_stub_is_not_written(capsys):
    def momentum_step(w, v, grad, lr, momentum):
        raise NotImplementedError

    check_momentum_step(momentum_step)
    out = capsys.readouterr().out
    assert "not written yet" in out and "Traceback" not in out


def test_old_velocity_in_the_weight_step_fails():
    def wrong(w, v, grad, lr, momentum):
        return w + v, momentum * v - lr * grad

    report = run_checks(wrong, momentum_cases())
    assert not report.passed
    assert "the first step" in failed(report)[0].case.description


def test_forgotten_momentum_fails_from_the_second_step():
    def plain_sgd(w, v, grad, lr, momentum):
        v = -lr * grad
        return w + v, v

    report = run_checks(plain_sgd, momentum_cases())
    assert report.results[0].ok and not report.results[1].ok


def test_float64_constant_in_float32_fails_the_dtype_case():
    def upcast(w, v, grad, lr, momentum):
        v = np.float64(momentum) * v.astype(np.float64) - lr * grad
        return w + v, v

    report = run_checks(upcast, momentum_cases())
    assert [r.case.description for r in failed(report)] == ["float32 arrays stay float32"]


def test_adagrad_without_sqrt_or_with_old_h_fails():
    def no_sqrt(w, h, grad, lr, eps=1e-7):
        h = h + grad * grad
        return w - lr * grad / (h + eps), h

    def old_h(w, h, grad, lr, eps=1e-7):
        return w - lr * grad / (np.sqrt(h) + eps), h + grad * grad

    assert not run_checks(no_sqrt, adagrad_cases()).passed
    assert not run_checks(old_h, adagrad_cases()).results[0].ok


def test_adagrad_without_eps_fails_only_the_zero_gradient_case():
    def no_eps(w, h, grad, lr, eps=1e-7):
        h = h + grad * grad
        return w - lr * grad / np.sqrt(h), h

    with np.errstate(all="ignore"):
        report = run_checks(no_eps, adagrad_cases())
    names = [r.case.description for r in failed(report)]
    assert len(names) == 1 and "zero gradient" in names[0]


def test_wrong_return_type_is_reported():
    def only_w(w, v, grad, lr, momentum):
        return w - lr * grad

    report = run_checks(only_w, momentum_cases())
    assert not report.passed
    assert "pair" in failed(report)[0].message
