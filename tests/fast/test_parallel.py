"""nnlib.fast.parallel: the helpers that put a second core to work."""
import threading

import numpy as np
import pytest

from nnlib.fast import parallel


def test_by_rows_splits_big_arrays_in_two_halves_of_views():
    rng = np.random.default_rng(0)
    # channels-last images, as a convolution hands them on: not C-contiguous as (N, C, H, W)
    x = rng.standard_normal((64, 16, 16, 16)).astype(np.float32).transpose(0, 3, 1, 2)
    assert x.size >= parallel.BIG and not x.flags.c_contiguous
    out = np.empty_like(x)
    seen = []

    def work(x_rows, out_rows):
        seen.append((len(x_rows), threading.current_thread().name))
        np.multiply(x_rows, 2, out=out_rows)          # writes through the view

    parallel.by_rows(work, (x, out), workers=2)
    np.testing.assert_array_equal(out, 2 * x)
    assert sorted(n for n, _ in seen) == [32, 32]
    assert any(name.startswith("nnlib-helper") for _, name in seen)   # really two threads

    seen.clear()
    parallel.by_rows(work, (x, out), workers=1)
    assert [n for n, _ in seen] == [64]


def test_by_rows_keeps_small_arrays_and_0d_arrays_on_one_thread():
    calls = []
    small = np.ones((4, 5), np.float32)
    parallel.by_rows(lambda a: calls.append(a.shape), (small,), workers=2)
    scalar = np.array(3.0, np.float32)
    parallel.by_rows(lambda a: calls.append(a.shape), (scalar,), workers=2)
    assert calls == [(4, 5), (1,)]


def test_together_returns_results_in_order():
    def where():
        return threading.current_thread().name

    first, second = parallel.together([where, where], workers=2)
    assert first == threading.current_thread().name and second.startswith("nnlib-helper")
    assert parallel.together([where, where], workers=1) == [first, first]
    assert parallel.together([lambda: 1, lambda: 2], workers=2) == [1, 2]
    with pytest.raises(ValueError, match="at most two"):
        parallel.together([where] * 3, workers=2)


def test_together_passes_on_an_exception_of_either_task():
    def fail():
        raise ArithmeticError("boom")

    for tasks in ([fail, lambda: 1], [lambda: 1, fail]):
        with pytest.raises(ArithmeticError, match="boom"):
            parallel.together(tasks, workers=2)
