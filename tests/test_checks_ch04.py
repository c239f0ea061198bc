"""Chapter 4's checker: the right forward pass passes, and the usual mistakes fail with the intended message."""
import numpy as np
import pytest

from nnlib.checks import run_checks
from nnlib.checks.ch04 import (
    check_forward,
    forward_cases,
    reference_forward,
    saitoh_params,
)
from nnlib.functions import sigmoid


def forward(x, params):
    a1 = sigmoid(x @ params["W1"].T + params["b1"])
    a2 = sigmoid(a1 @ params["W2"].T + params["b2"])
    return a2 @ params["W3"].T + params["b3"]


def report_for(fn):
    return run_checks(fn, forward_cases(), name="forward")


def failed_lines(report):
    return [r.case.description for r in report.results if not r.ok]


def test_reference_gives_saitohs_numbers():
    y = reference_forward(np.array([1.0, 0.5]), saitoh_params())
    assert y.shape == (2,)
    np.testing.assert_allclose(y, [0.31682708, 0.69627909], atol=5e-9)


def test_reference_keeps_float32():
    params = {k: v.astype(np.float32) for k, v in saitoh_params().items()}
    y = reference_forward(np.ones((3, 2), dtype=np.float32), params)
    assert y.dtype == np.float32 and y.shape == (3, 2)


def test_correct_forward_passes_every_case():
    report = report_for(forward)
    assert report.passed, str(report)
    assert str(report).endswith(f"All {len(forward_cases())} checks passed.")


def test_textbook_sigmoid_passes_too():
    def forward_exp(x, params):
        def h(z):
            return 1 / (1 + np.exp(-z))
        a1 = h(x @ params["W1"].T + params["b1"])
        a2 = h(a1 @ params["W2"].T + params["b2"])
        return a2 @ params["W3"].T + params["b3"]

    assert report_for(forward_exp).passed


def test_check_forward_prints_the_report(capsys):
    assert check_forward(forward) is None
    out = capsys.readouterr().out
    assert out.startswith("Checking forward: 4 cases")
    assert "All 4 checks passed." in out


def test_stub_is_reported_as_not_written(capsys):
    def forward(x, params):
        raise NotImplementedError

    check_forward(forward)
    out = capsys.readouterr().out
    assert "forward is not written yet" in out
    assert "Traceback" not in out


def test_sigmoid_on_the_output_layer_fails_on_values_with_the_identity_hint():
    def forward_sigmoid_out(x, params):
        return sigmoid(forward(x, params))

    report = report_for(forward_sigmoid_out)
    assert not report.passed
    text = str(report)
    assert "✗ Saitoh's input [1.0, 0.5]" in text
    assert "expected array [0.3168" in text and "got      array [0.5785" in text
    assert "no sigmoid (the identity function)" in text


def test_missing_transpose_raises_and_is_reported_not_raised():
    def forward_no_transpose(x, params):
        a1 = sigmoid(x @ params["W1"] + params["b1"])
        a2 = sigmoid(a1 @ params["W2"] + params["b2"])
        return a2 @ params["W3"] + params["b3"]

    report = report_for(forward_no_transpose)
    assert not report.passed
    assert len(failed_lines(report)) == 4
    text = str(report)
    assert "raised ValueError: matmul" in text
    assert "W of shape (n_out, n_in)" in text


def test_missing_transpose_in_the_square_last_layer_gives_wrong_values():
    # W3 of the toy network is 2 x 2, so forgetting .T there raises nothing: the numbers are wrong.
    def forward_last_untransposed(x, params):
        a1 = sigmoid(x @ params["W1"].T + params["b1"])
        a2 = sigmoid(a1 @ params["W2"].T + params["b2"])
        return a2 @ params["W3"] + params["b3"]

    report = report_for(forward_last_untransposed)
    assert not report.passed
    assert "Saitoh's input [1.0, 0.5] -> [0.3168, 0.6963], a vector of shape (2,)" in failed_lines(report)
    assert "raised" not in str(report).split("other layer sizes")[0]


def test_single_input_turned_into_a_batch_fails_on_the_shape():
    def forward_always_batch(x, params):
        return forward(np.atleast_2d(x), params)

    report = report_for(forward_always_batch)
    assert failed_lines(report) == ["Saitoh's input [1.0, 0.5] -> [0.3168, 0.6963], a vector of shape (2,)"]
    assert "expected shape (2,), got shape (1, 2)" in str(report)


def test_hard_wired_sizes_fail_the_other_sizes_case():
    def forward_toy_only(x, params):
        return forward(np.reshape(x, (-1, 2)), params).reshape(np.shape(x)[:-1] + (2,))

    report = report_for(forward_toy_only)
    assert failed_lines(report) == ["other layer sizes [3, 5, 4, 2], a batch of 6 -> (6, 2)",
                                    "MNIST sizes [784, 50, 100, 10], 5 float32 images -> float32 (5, 10)"]
    assert "take every size from the arrays in params" in str(report)


def test_float64_upcast_fails_with_the_dtype_message():
    def forward_float64(x, params):
        out = np.zeros(params["b3"].shape)          # float64 by default
        return forward(x, params) + out

    report = report_for(forward_float64)
    assert failed_lines(report) == ["MNIST sizes [784, 50, 100, 10], 5 float32 images -> float32 (5, 10)"]
    text = str(report)
    assert "expected dtype float32, got dtype float64" in text
    assert "hint: a float64 array or scalar" in text and "np.zeros(...)" in text


def test_forgotten_bias_fails():
    def forward_no_bias(x, params):
        a1 = sigmoid(x @ params["W1"].T)
        a2 = sigmoid(a1 @ params["W2"].T)
        return a2 @ params["W3"].T

    report = report_for(forward_no_bias)
    assert not report.passed
    assert len(failed_lines(report)) == 4


def test_missing_return_is_named():
    def forward_no_return(x, params):
        forward(x, params)

    text = str(report_for(forward_no_return))
    assert text.count("did you forget `return`?") == 4


def test_cases_are_the_same_every_time():
    first, second = forward_cases(), forward_cases()
    for a, b in zip(first, second):
        for u, v in zip(a.args, b.args):
            if isinstance(u, dict):
                assert all(np.array_equal(u[k], v[k]) for k in u)
            else:
                assert np.array_equal(u, v)


@pytest.mark.parametrize("key", ["W1", "b2", "W3"])
def test_a_reader_who_changes_params_in_place_cannot_spoil_later_cases(key):
    def forward_in_place(x, params):
        y = forward(x, params)
        params[key] *= 0           # a bug, but one that must not leak into the next case
        return y

    assert report_for(forward_in_place).passed
