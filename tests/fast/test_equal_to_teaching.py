"""Every class of nnlib.fast gives the numbers of the teaching class it replaces.

In float64, over the case grids of the teaching tests and every thread setting (1 or 2 threads,
and None: decided at call time from the environment), the fast layer's forward output, dL/dx and
each parameter gradient, and the fast Adam's parameters after three steps, equal the teaching
version's to a relative 1e-12: max |fast - teaching| <= 1e-12 * max |teaching|. The teaching
versions are checked against independent oracles (nested loops, scipy, numerical gradients) in
tests/test_conv.py, tests/test_layers.py and tests/test_optim.py.
"""
import numpy as np
import pytest
from test_conv import CONV_CASES, POOL_CASES, distinct_values, make_conv

from nnlib import conv, fast, layers, optim
from nnlib.layers import Parameter

REL = 1e-12
THREADS = [1, 2, None]


def assert_equal_to(fast_value, teaching_value, what):
    assert fast_value.shape == teaching_value.shape, what
    assert fast_value.dtype == teaching_value.dtype, what
    scale = np.max(np.abs(teaching_value), initial=0.0)
    error = np.max(np.abs(fast_value - teaching_value), initial=0.0)
    assert error <= REL * scale, f"{what}: max difference {error:.3g}, max value {scale:.3g}"


def compare_layers(teaching, quick, x, rng, training=False):
    """Forward, backward and parameter gradients of two layers on the same x and dL/d(out)."""
    out = teaching.forward(x, training)
    assert_equal_to(quick.forward(x, training), out, "forward")
    dout = rng.standard_normal(out.shape).astype(out.dtype)
    dx = teaching.backward(dout)
    dx_fast = quick.backward(dout)
    if dx is None:
        assert dx_fast is None
    else:
        assert_equal_to(dx_fast, dx, "dx")
    for p, q in zip(teaching.parameters(), quick.parameters(), strict=True):
        assert_equal_to(q.grad, p.grad, f"d{p.name}")


@pytest.fixture(params=THREADS, ids=lambda w: f"workers={w}")
def workers(request, monkeypatch):
    """A thread setting: 1 or 2 on the layer itself, or None with NNLIB_WORKERS=2 in the environment
    (set after the layers were built: the count is read at call time)."""
    if request.param is None:
        monkeypatch.setenv("NNLIB_WORKERS", "2")
    return request.param


BIG_CONV_CASES = [(7, 3, 9, 8, 4, 3, 1, 1), (7, 3, 9, 8, 3, 3, 1, 1), (40, 1, 28, 28, 30, 5, 1, 0)]


@pytest.mark.parametrize("input_grad", [True, False])
@pytest.mark.parametrize("block_bytes", [1, fast.Convolution.block_bytes])
@pytest.mark.parametrize("case", CONV_CASES + BIG_CONV_CASES)
def test_convolution(case, block_bytes, input_grad, workers):
    teaching, x = make_conv(case)
    teaching.input_grad = input_grad
    quick = fast.Convolution.from_arrays(teaching.W.data, teaching.b.data, teaching.stride,
                                         teaching.pad, input_grad=input_grad)
    quick.workers, quick.block_bytes = workers, block_bytes
    compare_layers(teaching, quick, x, np.random.default_rng(1))
    # the fast layer's channels-last output fed back in as input: any memory layout is accepted
    y = teaching.forward(x)
    compare_layers(teaching, quick, np.repeat(x, 2, axis=0)[::2], np.random.default_rng(2))
    assert_equal_to(quick.forward(x), y, "forward again")


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES + [(8, 8, 64, 64, 3, 3, 2, 1), (8, 8, 64, 64, 2, 2, 2, 0)])
def test_pooling(case, mode, workers):
    N, C, H, W, ph, pw, stride, pad = case
    rng = np.random.default_rng(3)
    quick = fast.Pooling(ph, pw, stride=stride, pad=pad, mode=mode)
    quick.workers = workers
    teaching = conv.Pooling(ph, pw, stride=stride, pad=pad, mode=mode)
    compare_layers(teaching, quick, distinct_values(rng, (N, C, H, W)), rng)
    # ties (the zeros after a ReLU, equal neighbours) go to the same element in both
    ties = np.maximum(np.round(rng.standard_normal((N, C, H, W))), 0)
    compare_layers(teaching, quick, ties, rng)


AFFINE_CASES = [(5, 4, 3), (1, 7, 2), (100, 4320, 100)]       # (N, n_in, n_out); the last is big


@pytest.mark.parametrize("input_grad", [True, False])
@pytest.mark.parametrize("case", AFFINE_CASES)
def test_affine(case, input_grad, workers):
    N, n_in, n_out = case
    rng = np.random.default_rng(4)
    teaching = layers.Affine(n_in, n_out, rng, bias_std=1.0, dtype=np.float64, input_grad=input_grad)
    quick = fast.Affine.from_arrays(teaching.W.data, teaching.b.data, input_grad=input_grad)
    quick.workers = workers
    compare_layers(teaching, quick, rng.standard_normal((N, n_in)), rng)


ELEMENTWISE_SHAPES = [(5, 4), (3,), (40, 30, 24, 24)]          # the last is big: two threads


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
def test_relu(shape, workers):
    rng = np.random.default_rng(5)
    quick = fast.ReLU()
    quick.workers = workers
    x = rng.standard_normal(shape)
    if len(shape) == 4:
        x = x.transpose(0, 3, 1, 2)                               # channels last, as from a convolution
    compare_layers(layers.ReLU(), quick, x, rng)


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
def test_sigmoid(shape):
    rng = np.random.default_rng(6)
    compare_layers(layers.Sigmoid(), fast.Sigmoid(), 10 * rng.standard_normal(shape), rng)


def test_sigmoid_float32():
    # float32 is what training uses; the fast layer keeps its constants as float32 arrays, so this
    # is the dtype where a wrong constant would hide from the float64 comparisons above
    rng = np.random.default_rng(7)
    x = (4 * rng.standard_normal((6, 5))).astype(np.float32)
    dout = rng.standard_normal(x.shape).astype(np.float32)
    teaching, quick = layers.Sigmoid(), fast.Sigmoid()
    out = teaching.forward(x)
    np.testing.assert_allclose(quick.forward(x), out, rtol=1e-6, atol=1e-7)
    assert quick.forward(x).dtype == np.float32
    np.testing.assert_allclose(quick.backward(dout), teaching.backward(dout), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_adam(weight_decay, workers):
    rng = np.random.default_rng(7)
    shapes = [(100, 4320), (100,), (30, 1, 5, 5), (3, 4)]          # the first is big: two threads
    starts = [rng.standard_normal(s) for s in shapes]
    starts.append(np.ascontiguousarray(rng.standard_normal((50, 60)).T).T)   # stored transposed
    grads = [[rng.standard_normal(s.shape) for s in starts] for _ in range(3)]
    finals = []
    for kind in (optim.Adam, fast.Adam):
        params = [Parameter(s.copy(), f"p{k}") for k, s in enumerate(starts)]
        opt = kind(params, lr=0.01, weight_decay=weight_decay)
        if kind is fast.Adam:
            opt.workers = workers
        for step in grads:
            for p, g in zip(params, step):
                p.grad = g
            opt.step()
        finals.append([p.data for p in params])
    for k, (teaching, quick) in enumerate(zip(*finals)):
        assert_equal_to(quick, teaching, f"parameter {k}")
        assert not np.array_equal(quick, starts[k])


def test_thread_count_is_read_at_call_time(monkeypatch):
    from nnlib.fast.parallel import workers_for
    layer = fast.ReLU()
    monkeypatch.setenv("NNLIB_WORKERS", "1")
    assert workers_for(layer) == 1
    monkeypatch.setenv("NNLIB_WORKERS", "2")
    assert workers_for(layer) == 2
    layer.workers = 1                                             # a layer's own setting wins
    assert workers_for(layer) == 1
