"""nnlib.fast.conv: what only the fast layers do (blocks, threads, channels-last memory layout,
scratch memory reused between calls). That they compute the teaching layers' numbers is
tests/fast/test_equal_to_teaching.py."""
import numpy as np
import pytest
from test_conv import CONV_CASES, distinct_values, loop_convolution, loop_pooling, make_conv

from nnlib import fast


def make_fast_conv(case, dtype=np.float64, seed=4):
    """The fast layer holding the weights of test_conv.make_conv's teaching layer, and its input."""
    teaching, x = make_conv(case, dtype, seed)
    return fast.Convolution.from_arrays(teaching.W.data, teaching.b.data, teaching.stride,
                                        teaching.pad), x


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("block_bytes", [1, 3000, 2**30])
@pytest.mark.parametrize("case", [(7, 3, 9, 8, 4, 3, 1, 1), (7, 3, 9, 8, 3, 3, 1, 1)])
def test_convolution_blocks_and_threads_give_the_same_result(workers, block_bytes, case):
    """Splitting the batch into blocks and over threads is an implementation detail."""
    reference, x = make_fast_conv(case)
    dout = np.random.default_rng(6).standard_normal(reference.forward(x).shape)
    dx_ref = reference.backward(dout)
    conv, _ = make_fast_conv(case)
    conv.workers, conv.block_bytes = workers, block_bytes
    np.testing.assert_allclose(conv.forward(x), reference.forward(x), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(conv.backward(dout), dx_ref, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(conv.W.grad, reference.W.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.b.grad, reference.b.grad, rtol=1e-12, atol=1e-12)




def channels_last(a):
    """The same NCHW array stored channels last (the C values of a pixel side by side)."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def is_channels_last(a):
    return a.transpose(0, 2, 3, 1).flags.c_contiguous


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[3], CONV_CASES[6], CONV_CASES[7],
                                  CONV_CASES[8]])
def test_convolution_gives_the_same_numbers_for_either_memory_layout(case):
    """The layer hands its output on channels last and accepts input in any layout: the numbers
    (forward, dx, dW, db) do not depend on how the arrays are laid out in memory."""
    conv, x = make_fast_conv(case)
    out = conv.forward(x)
    assert is_channels_last(out) and not (out.flags.c_contiguous and out.shape[1] > 1)
    dout = np.random.default_rng(8).standard_normal(out.shape)
    dx = conv.backward(dout)
    grads = conv.W.grad.copy(), conv.b.grad.copy()
    assert is_channels_last(dx) and conv.W.grad.flags.c_contiguous
    out2 = conv.forward(channels_last(x))
    dx2 = conv.backward(channels_last(dout))
    np.testing.assert_allclose(out2, out, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dx2, dx, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(conv.W.grad, grads[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.b.grad, grads[1], rtol=1e-12, atol=1e-12)
    # a strided view (every other image) is accepted too
    np.testing.assert_allclose(conv.forward(np.repeat(x, 2, axis=0)[::2]), out, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling_keeps_the_layout_and_the_numbers(mode):
    rng = np.random.default_rng(9)
    x = distinct_values(rng, (3, 4, 6, 8))
    pool = fast.Pooling(2, 2, stride=2, mode=mode, dtype=np.float64)
    out = pool.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = pool.backward(dout)
    assert is_channels_last(out) and is_channels_last(dx)
    np.testing.assert_array_equal(pool.forward(channels_last(x)), out)
    np.testing.assert_array_equal(pool.backward(channels_last(dout)), dx)
    np.testing.assert_array_equal(out, loop_pooling(x, 2, 2, 2, 0, mode))




def test_convolution_outputs_are_not_overwritten_by_later_calls():
    conv, x = make_fast_conv((4, 2, 6, 6, 3, 3, 1, 1))
    out1 = conv.forward(x)
    kept = out1.copy()
    dx1 = conv.backward(np.ones_like(out1))
    kept_dx = dx1.copy()
    conv.forward(x[:3] * 2)                           # another batch size, other values
    conv.backward(np.ones((3, 3, 6, 6)))
    out3 = conv.forward(x * -1)                       # same shape again: buffers are reused
    np.testing.assert_array_equal(out1, kept)
    np.testing.assert_array_equal(dx1, kept_dx)
    np.testing.assert_allclose(out3, loop_convolution(-x, conv.W.data, conv.b.data, 1, 1), atol=1e-12)






@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling_with_two_threads_gives_the_same_result(mode):
    x = np.random.default_rng(13).standard_normal((8, 8, 64, 64)).astype(np.float32)  # 2**18 values
    results = []
    for workers in (1, 2):
        pool = fast.Pooling(3, stride=2, pad=1, mode=mode)
        pool.workers = workers
        out = pool.forward(x)
        results.append((out, pool.backward(out)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
