"""Chapter 5's checkers: right answers pass, and the usual mistakes fail with the intended message."""
import numpy as np

from nnlib.checks import run_checks
from nnlib.checks.ch05 import (
    SAITOH_SIMPLE_NET_DW,
    SAITOH_SIMPLE_NET_LOSS,
    _run_numerical_gradient,
    _run_simple_net,
    check_gradient_descent,
    check_numerical_gradient,
    check_simple_net,
    gradient_descent_cases,
    numerical_gradient_cases,
    saitoh_simple_net,
    simple_net_cases,
)
from nnlib.descent import gradient_descent as library_descent
from nnlib.functions import cross_entropy_error, softmax
from nnlib.gradcheck import numerical_gradient as library_gradient


def failed(report):
    return [r.case.description for r in report.results if not r.ok]


# ---------------------------------------------------------------- numerical_gradient

def numerical_gradient(f, x, h=1e-4):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_report(fn):
    return run_checks(_run_numerical_gradient(fn), numerical_gradient_cases(), name="numerical_gradient")


def test_central_difference_passes(capsys):
    assert gradient_report(numerical_gradient).passed
    check_numerical_gradient(numerical_gradient)
    out = capsys.readouterr().out
    assert out.startswith("Checking numerical_gradient: 4 cases")
    assert "All 4 checks passed." in out


def test_the_library_version_passes():
    assert gradient_report(library_gradient).passed


def test_forward_difference_fails_with_the_central_hint():
    def forward_difference(f, x, h=1e-4):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            original = x[i]
            f_here = f(x)
            x[i] = original + h
            grad[i] = (f(x) - f_here) / h
            x[i] = original
        return grad

    report = gradient_report(forward_difference)
    assert "x0**2 + x1**2 at (3, 4) -> [6, 8] (Saitoh)" in failed(report)
    assert "use the central difference" in str(report)


def test_forgetting_to_restore_fails():
    def no_restore(f, x, h=1e-4):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            original = x[i]
            x[i] = original + h
            f_plus = f(x)
            x[i] = original - h
            grad[i] = (f_plus - f(x)) / (2 * h)
        return grad

    report = gradient_report(no_restore)
    assert "x0**2 + x1**2 at (0, 2) -> [0, 4] and x is left as it was" in failed(report)
    assert "x was changed by the call" in str(report)
    assert "put the entry back" in str(report)


def test_one_dimensional_loop_fails_on_the_matrix():
    def rows_only(f, x, h=1e-4):
        grad = np.zeros_like(x)
        for i in range(x.size):
            original = x[i].copy()
            x[i] = original + h
            f_plus = f(x)
            x[i] = original - h
            f_minus = f(x)
            x[i] = original
            grad[i] = (f_plus - f_minus) / (2 * h)
        return grad

    report = gradient_report(rows_only)
    assert "a function of a 2 x 3 matrix -> a 2 x 3 gradient" in failed(report)
    assert "np.ndindex" in str(report)
    assert failed(report)[:0] == [] and "x0**2 + x1**2 at (3, 4) -> [6, 8] (Saitoh)" not in failed(report)


def test_perturbing_a_copy_fails_only_the_closure_case():
    def on_a_copy(f, x, h=1e-4):
        return numerical_gradient(f, x.copy(), h)

    report = gradient_report(on_a_copy)
    assert failed(report) == ["f ignores its argument and reads the matrix it holds (like a network's loss)"]
    assert "change the entries of x itself" in str(report)


def test_tiny_h_gives_zeros_and_fails():
    def tiny_h(f, x):
        return numerical_gradient(f, x, h=1e-50)

    assert len(failed(gradient_report(tiny_h))) == 4


def test_not_written_and_no_return(capsys):
    def stub(f, x):
        raise NotImplementedError

    check_numerical_gradient(stub)
    assert "stub is not written yet" in capsys.readouterr().out

    def no_return(f, x):
        numerical_gradient(f, x)

    assert str(gradient_report(no_return)).count("did you forget `return`?") == 4


# ---------------------------------------------------------------- gradient_descent

def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x


def descent_report(fn, capsys):
    check_gradient_descent(fn)
    return capsys.readouterr().out


def test_saitohs_gradient_descent_passes(capsys):
    out = descent_report(gradient_descent, capsys)
    assert "All 4 checks passed." in out, out


def test_the_library_version_passes_too(capsys):
    out = descent_report(library_descent, capsys)
    assert "All 4 checks passed." in out, out


def test_gradient_ascent_fails(capsys):
    def ascent(f, init_x, lr=0.01, step_num=100):
        x = init_x
        for _ in range(step_num):
            x += lr * numerical_gradient(f, x)
        return x

    out = descent_report(ascent, capsys)
    assert "0 of 4 checks passed" in out
    assert "against the gradient, downhill" in out


def test_one_step_too_many_fails_on_saitohs_first_case(capsys):
    def off_by_one(f, init_x, lr=0.01, step_num=100):
        return gradient_descent(f, init_x, lr, step_num + 1)

    out = descent_report(off_by_one, capsys)
    assert "✗ Saitoh: x0**2 + x1**2 from (-3, 4), lr=0.1" in out
    assert "✗ a 2 x 2 start point" in out


def test_ignoring_the_learning_rate_fails(capsys):
    def fixed_lr(f, init_x, lr=0.01, step_num=100):
        return gradient_descent(f, init_x, 0.01, step_num)

    out = descent_report(fixed_lr, capsys)
    assert "0 of 4 checks passed" in out


def test_returning_the_start_fails(capsys):
    def returns_start(f, init_x, lr=0.01, step_num=100):
        x = init_x.copy()
        for _ in range(step_num):
            x = x - lr * numerical_gradient(f, x)
        return init_x

    out = descent_report(returns_start, capsys)
    assert "✗ one step of lr=0.5 on a bowl centred at c lands on c" in out


def test_other_argument_names_are_explained(capsys):
    def other_names(f, x0, eta=0.01, steps=100):
        return gradient_descent(f, x0, eta, steps)

    out = descent_report(other_names, capsys)
    assert "raised TypeError" in out and "gradient_descent(f, init_x, lr=..., step_num=...)" in out


def test_descent_cases_are_fixed():
    a, b = gradient_descent_cases(), gradient_descent_cases()
    for u, v in zip(a, b):
        assert np.array_equal(u.args[1], v.args[1]) and u.kwargs == v.kwargs


# ---------------------------------------------------------------- simpleNet

def simple_net_loss(W, x, t):
    y = softmax(x @ W.T)
    return cross_entropy_error(y, t)


def net_report(fn):
    return run_checks(_run_simple_net(fn), simple_net_cases(), name="simple_net_loss")


def test_saitohs_numbers():
    W, x, t = saitoh_simple_net()
    assert W.shape == (3, 2)
    np.testing.assert_allclose(x @ W.T, [1.05414809, 0.63071653, 1.1328074], atol=1e-8)
    # Saitoh's loss agrees with the exact cross-entropy to the 8 digits of his printed W; his
    # delta 1e-7 inside the log lowers it by 2.5e-7, which the checker's rtol of 1e-6 allows.
    exact = -np.log(softmax(x @ W.T)[2])
    assert abs(exact - SAITOH_SIMPLE_NET_LOSS) < 1e-8
    assert abs(simple_net_loss(W, x, t) - SAITOH_SIMPLE_NET_LOSS) < 3e-7
    dW_exact = library_gradient(lambda _: -np.log(softmax(x @ W.T)[2]), W)
    np.testing.assert_allclose(dW_exact, SAITOH_SIMPLE_NET_DW, atol=1e-8)
    dW = library_gradient(lambda _: simple_net_loss(W, x, t), W)
    np.testing.assert_allclose(dW, SAITOH_SIMPLE_NET_DW, atol=3e-7)


def test_simple_net_passes(capsys):
    assert net_report(simple_net_loss).passed
    check_simple_net(simple_net_loss)
    assert "All 4 checks passed." in capsys.readouterr().out


def test_without_delta_passes_too():
    def exact(W, x, t):
        y = softmax(np.atleast_2d(x @ W.T))
        return -np.sum(np.atleast_2d(t) * np.log(y)) / y.shape[0]

    assert net_report(exact).passed


def test_missing_softmax_fails():
    def no_softmax(W, x, t):
        return cross_entropy_error(x @ W.T, t)

    report = net_report(no_softmax)
    assert "Saitoh's W, x = [0.6, 0.9], t = [0, 0, 1] -> loss 0.92806853663411326" in failed(report)
    assert "cross-entropy of the softmax" in str(report)


def test_saitohs_layout_without_transpose_is_reported():
    def untransposed(W, x, t):
        return cross_entropy_error(softmax(x @ W), t)

    report = net_report(untransposed)
    assert len(failed(report)) == 4
    assert "raised ValueError" in str(report)


def test_sum_over_the_batch_fails_the_batch_case():
    def summed(W, x, t):
        y = softmax(np.atleast_2d(x @ W.T))
        return -np.sum(np.atleast_2d(t) * np.log(y + 1e-7))

    report = net_report(summed)
    assert failed(report) == ["a batch of 4 inputs and 4 one-hot targets -> the mean loss",
                              "other sizes: W (4, 5), a batch of 6"]
    assert "mean over the rows" in str(report)


def test_mean_squared_error_instead_fails():
    def mse(W, x, t):
        return 0.5 * np.sum((softmax(x @ W.T) - t) ** 2)

    assert len(failed(net_report(mse))) == 4


def test_hard_wired_sizes_fail_other_sizes():
    def three_by_two(W, x, t):
        return simple_net_loss(W[:3, :2], np.atleast_2d(x)[:, :2], np.atleast_2d(t)[:, :3])

    assert failed(net_report(three_by_two)) == ["other sizes: W (4, 5), a batch of 6"]
