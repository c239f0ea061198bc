"""Chapter 6's checkers: right backward passes pass, the usual mistakes fail with the intended hint."""
import numpy as np
import pytest

from nnlib.checks import run_checks
from nnlib.checks.ch06 import (
    add_cases,
    affine_cases,
    check_affine_backward,
    check_mul_backward,
    check_sigmoid_backward,
    mul_cases,
    reference_affine_backward,
    sigmoid_cases,
)


def mul_backward(x, y, dout):
    return dout * y, dout * x


def add_backward(x, y, dout):
    return dout, dout


def sigmoid_backward(out, dout):
    return dout * out * (1 - out)


def affine_backward(x, W, b, dout):
    return dout @ W, dout.T @ x, dout.sum(axis=0)


def report(fn, cases):
    return run_checks(fn, cases, name=fn.__name__)


@pytest.mark.parametrize("fn, cases", [(mul_backward, mul_cases), (add_backward, add_cases),
                                       (sigmoid_backward, sigmoid_cases), (affine_backward, affine_cases)])
def test_right_answers_pass_every_case(fn, cases):
    result = report(fn, cases())
    assert result.passed, str(result)


def test_reference_gives_saitohs_numbers():
    ok, message = mul_cases()[0].expected((6.5, 13.0))
    assert ok, message
    assert not mul_cases()[0].expected((13.0, 6.5))[0]
    _, _, db = reference_affine_backward(np.zeros((2, 2)), np.ones((3, 2)), np.zeros(3),
                                         np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(db, [5.0, 7.0, 9.0])


def test_mul_without_the_swap_fails_with_the_hint():
    def mul_backward(x, y, dout):
        return dout * x, dout * y

    result = report(mul_backward, mul_cases())
    assert not result.passed
    assert "times the *other* input" in str(result)


def test_add_that_multiplies_fails():
    def add_backward(x, y, dout):
        return dout * x, dout * y

    assert not report(add_backward, add_cases()).passed


def test_sigmoid_with_the_input_instead_of_the_output_fails():
    def sigmoid_backward(out, dout):
        s = 1 / (1 + np.exp(-out))            # treats out as if it were x
        return dout * s * (1 - s)

    result = report(sigmoid_backward, sigmoid_cases())
    assert result.n_passed == 0
    assert "forward *output*" in str(result)


def test_sigmoid_that_turns_float32_into_float64_fails_only_that_case():
    def sigmoid_backward(out, dout):
        return np.float64(1.0) * dout * out * (1 - out.astype(np.float64))

    result = report(sigmoid_backward, sigmoid_cases())
    assert [r.ok for r in result.results] == [True, True, True, False]


def test_affine_mistakes_name_the_wrong_gradient():
    def transposed_dW(x, W, b, dout):
        return dout @ W, x.T @ dout, dout.sum(axis=0)

    def no_bias_sum(x, W, b, dout):
        return dout @ W, dout.T @ x, dout

    def float64_dx(x, W, b, dout):
        return (dout @ W).astype(np.float64), dout.T @ x, dout.sum(axis=0)

    text = str(report(transposed_dW, affine_cases()))
    assert "dW: expected shape (3, 2), got shape (2, 3)" in text and "dW = dout.T @ x" in text
    text = str(report(no_bias_sum, affine_cases()))
    assert "db: expected shape (3,), got shape (2, 3)" in text and "dout.sum(axis=0)" in text
    result = report(float64_dx, affine_cases())
    assert [r.ok for r in result.results] == [True, True, True, False]
    assert "dx: expected dtype float32" in str(result)


def test_wrong_kinds_of_result_are_reported_not_raised():
    def returns_one(x, W, b, dout):
        return dout @ W

    def returns_none(x, W, b, dout):
        pass

    assert "expected a tuple of 3 (dx, dW, db)" in str(report(returns_one, affine_cases()))
    assert "did you forget `return`" in str(report(returns_none, affine_cases()))


@pytest.mark.parametrize("checker", [check_mul_backward, check_sigmoid_backward, check_affine_backward])
def test_stub_is_reported_as_not_written(checker, capsys):
    def stub(*args):
        raise NotImplementedError

    assert checker(stub) is None
    out = capsys.readouterr().out
    assert "is not written yet" in out and "Traceback" not in out
