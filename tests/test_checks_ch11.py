"""Chapter 11's checkers: right answers pass, the usual slips fail with the intended message."""
import numpy as np
import pytest

from nnlib.checks import run_checks
from nnlib.checks.ch11 import (
    GAP_ANSWER,
    GAP_CHOICES,
    batchnorm_cases,
    check_batchnorm_forward,
    check_dropout_forward,
    check_early_stopping,
    check_gap_prediction,
    dropout_cases,
    early_stopping,
    early_stopping_cases,
)


def failed(report):
    return [r for r in report.results if not r.ok]


def batchnorm_forward(x, gamma, beta, eps):
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_right_batchnorm_passes(capsys):
    assert run_checks(batchnorm_forward, batchnorm_cases()).passed
    check_batchnorm_forward(batchnorm_forward)
    assert f"All {len(batchnorm_cases())} checks passed." in capsys.readouterr().out


def test_the_cases_agree_with_a_hand_computed_column():
    # column [1, 3, 5, 7]: mean 4, variance 5, so x_hat = (x - 4) / sqrt(5 + eps)
    x = batchnorm_cases()[0].args[0]
    out = batchnorm_forward(x, np.ones(2), np.zeros(2), 1e-7)
    assert np.allclose(out[:, 0], (np.array([1, 3, 5, 7]) - 4) / np.sqrt(5 + 1e-7))


@pytest.mark.parametrize("wrong, slip", [
    (lambda x, g, b, e: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + e) + b, "ddof=1"),
    (lambda x, g, b, e: g * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + e) + b, "axis=0"),
    (lambda x, g, b, e: (x - x.mean(0)) / np.sqrt(x.var(0) + e), "without gamma and beta"),
    (lambda x, g, b, e: g * (x - x.mean(0)) / (x.var(0) + e) + b, "variance instead"),
    (lambda x, g, b, e: g * (x - x.mean(0)) / np.sqrt(x.var(0)) + b, "eps left out"),
])
def test_batchnorm_slips_are_named(wrong, slip):
    with np.errstate(all="ignore"):
        report = run_checks(wrong, batchnorm_cases())
    assert not report.passed
    assert any(slip in r.message for r in failed(report)), str(report)


def dropout_forward(x, u, p):
    return x * (u >= p) / (1 - p)


def test_right_dropout_passes(capsys):
    assert run_checks(dropout_forward, dropout_cases()).passed
    check_dropout_forward(dropout_forward)
    assert "All 3 checks passed." in capsys.readouterr().out


def test_dropout_matches_the_library_layer():
    # the library's Dropout keeps units whose uniform draw is >= p and divides them by 1 - p
    from nnlib.layers import Dropout
    x = np.arange(1.0, 13.0).reshape(3, 4)
    layer = Dropout(0.3, np.random.default_rng(5), dtype=np.float64)
    out = layer.forward(x, training=True)
    u = np.random.default_rng(5).random(x.shape)
    assert np.allclose(out, dropout_forward(x, u, 0.3))


@pytest.mark.parametrize("wrong, slip", [
    (lambda x, u, p: x * (u >= p), "not rescaled"),
    (lambda x, u, p: x * (u >= p) * (1 - p), "Saitoh's rule"),
    (lambda x, u, p: x * (u < p) / (1 - p), "kept instead of dropped"),
])
def test_dropout_slips_are_named(wrong, slip):
    report = run_checks(wrong, dropout_cases())
    assert not report.passed
    assert any(slip in r.message for r in failed(report)), str(report)


def test_right_early_stopping_passes(capsys):
    assert run_checks(early_stopping, early_stopping_cases()).passed
    def mine(val_acc, patience):
        best = 0
        for epoch in range(len(val_acc)):
            if val_acc[epoch] > val_acc[best]:
                best = epoch
            elif epoch - best == patience:
                return epoch, best
        return len(val_acc) - 1, best
    check_early_stopping(mine)
    assert f"All {len(early_stopping_cases())} checks passed." in capsys.readouterr().out


def test_early_stopping_reference_by_hand():
    assert early_stopping([0.5, 0.6, 0.7, 0.72, 0.71, 0.72, 0.70, 0.69, 0.80], 3) == (6, 3)
    assert early_stopping([0.9, 0.8], 1) == (1, 0)
    assert early_stopping([0.1, 0.2], 5) == (1, 1)


def test_early_stopping_slips_are_named():
    whole = run_checks(lambda v, p: (len(v) - 1, int(np.argmax(v))), early_stopping_cases())
    assert any("whole curve" in r.message for r in failed(whole)), str(whole)
    late = run_checks(lambda v, p: early_stopping(v, p + 1), early_stopping_cases())
    assert any("too late" in r.message for r in failed(late)), str(late)

    def ties(v, p):
        best = 0
        for epoch, acc in enumerate(v):
            if acc >= v[best]:
                best = epoch
            if epoch - best >= p:
                return epoch, best
        return len(v) - 1, best
    tie = run_checks(ties, early_stopping_cases())
    assert any("tie" in r.message for r in failed(tie)), str(tie)


def test_stubs_and_bad_returns_are_reported(capsys):
    def stub(*args):
        raise NotImplementedError
    check_dropout_forward(stub)
    assert "not written yet" in capsys.readouterr().out
    report = run_checks(lambda v, p: 3, early_stopping_cases())
    assert "expected a pair" in failed(report)[0].message


def test_prediction(capsys):
    assert GAP_ANSWER in GAP_CHOICES
    check_gap_prediction(GAP_ANSWER + " %")
    assert "All 1 checks passed." in capsys.readouterr().out
    check_gap_prediction("5")
    out = capsys.readouterr().out
    assert "0 of 1 checks passed" in out and "by heart" in out
    check_gap_prediction("lots")
    assert "answer one of" in capsys.readouterr().out
