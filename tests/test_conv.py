"""Tests of nnlib.conv: output sizes, im2col/col2im, Convolution and Pooling.

References are independent of the code under test: a nested-loop convolution and pooling written
here, scipy.signal.correlate, and numerical gradients (nnlib.gradcheck, float64).
"""
import numpy as np
import pytest
from scipy import signal

from nnlib import fast
from nnlib.conv import Convolution, Pooling, col2im, conv_output_size, im2col
from nnlib.gradcheck import check_layer

# ----------------------------------------------------------------------------------------------
# Independent references
# ----------------------------------------------------------------------------------------------

def loop_convolution(x, W, b, stride, pad):
    """The definition, one output value at a time."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad), x.dtype)
    xp[:, :, pad:pad + H, pad:pad + Wd] = x
    OH = (H + 2 * pad - FH) // stride + 1
    OW = (Wd + 2 * pad - FW) // stride + 1
    out = np.zeros((N, FN, OH, OW), x.dtype)
    for n in range(N):
        for f in range(FN):
            for oh in range(OH):
                for ow in range(OW):
                    patch = xp[n, :, oh * stride:oh * stride + FH, ow * stride:ow * stride + FW]
                    out[n, f, oh, ow] = np.sum(patch * W[f]) + b[f]
    return out


def loop_pooling(x, ph, pw, stride, pad, mode):
    N, C, H, W = x.shape
    fill = -np.inf if mode == "max" else 0.0
    xp = np.full((N, C, H + 2 * pad, W + 2 * pad), fill, x.dtype)
    xp[:, :, pad:pad + H, pad:pad + W] = x
    OH = (H + 2 * pad - ph) // stride + 1
    OW = (W + 2 * pad - pw) // stride + 1
    out = np.zeros((N, C, OH, OW), x.dtype)
    for oh in range(OH):
        for ow in range(OW):
            window = xp[:, :, oh * stride:oh * stride + ph, ow * stride:ow * stride + pw]
            out[:, :, oh, ow] = window.max(axis=(2, 3)) if mode == "max" else window.mean(axis=(2, 3))
    return out


def distinct_values(rng, shape):
    """Random values at least 1e-3 apart, so that a 1e-5 nudge never changes which one is the max."""
    return rng.permutation(np.prod(shape)).reshape(shape) * 1e-3 + rng.uniform(0, 1e-4)


# Configurations: (N, C, H, W, FN, kernel, stride, pad), including batch 1 and non-square shapes.
CONV_CASES = [
    (2, 3, 7, 7, 4, 3, 1, 0),
    (2, 3, 7, 9, 4, 3, 1, 1),
    (1, 2, 8, 6, 3, 3, 2, 0),
    (3, 2, 9, 7, 5, 3, 2, 1),
    (1, 1, 6, 5, 2, (2, 3), 1, 1),
    (2, 4, 8, 8, 3, 5, 1, 2),
    (2, 2, 5, 6, 3, 2, 1, 2),       # padding > kernel - 1: the col2im path even at stride 1
    (2, 1, 6, 7, 4, 3, 1, 1),       # many more filters than channels: col2im at stride 1 too
    (2, 3, 6, 7, 3, 3, 1, 1),       # FN == C: dW from the columns of dy, as in DeepConvNet
    (3, 4, 5, 6, 2, (3, 2), 1, 0),  # FN < C, a non-square filter, no padding
]


# ----------------------------------------------------------------------------------------------
# conv_output_size, im2col, col2im
# ----------------------------------------------------------------------------------------------

def test_conv_output_size():
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(4, 3) == 2                     # Saitoh fig. 7-3
    assert conv_output_size(4, 3, pad=1) == 4              # fig. 7-6: padding keeps the size
    assert conv_output_size(7, 3, stride=2) == 3           # fig. 7-7
    assert conv_output_size(14, 3, pad=2) == 16            # DeepConvNet's fourth convolution
    assert conv_output_size(8, 3, stride=2) == 3           # rounds down, like PyTorch
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match="stride"):
        conv_output_size(28, 5, stride=0)
    with pytest.raises(ValueError, match="pad"):
        conv_output_size(28, 5, pad=-1)


def test_im2col_shapes_of_saito_7_4():
    rng = np.random.default_rng(0)
    assert im2col(rng.random((1, 3, 7, 7)), 5, 5, stride=1, pad=0).shape == (9, 75)
    assert im2col(rng.random((10, 3, 7, 7)), 5, 5, stride=1, pad=0).shape == (90, 75)


def test_im2col_rows_are_patches_in_saito_layout():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 5))
    col = im2col(x, 3, 2, stride=2, pad=1)
    OH, OW = conv_output_size(6, 3, 2, 1), conv_output_size(5, 2, 2, 1)
    assert col.shape == (2 * OH * OW, 3 * 3 * 2)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for n in range(2):
        for oh in range(OH):
            for ow in range(OW):
                patch = xp[n, :, 2 * oh:2 * oh + 3, 2 * ow:2 * ow + 2]
                np.testing.assert_array_equal(col[(n * OH + oh) * OW + ow], patch.ravel())


@pytest.mark.parametrize("case", CONV_CASES)
def test_im2col_times_filters_is_the_convolution(case):
    N, C, H, W, FN, k, stride, pad = case
    FH, FW = (k, k) if isinstance(k, int) else k
    rng = np.random.default_rng(2)
    x, Wt, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((FN, C, FH, FW)), rng.standard_normal(FN)
    OH, OW = conv_output_size(H, FH, stride, pad), conv_output_size(W, FW, stride, pad)
    out = (im2col(x, FH, FW, stride, pad) @ Wt.reshape(FN, -1).T + b).reshape(N, OH, OW, FN)
    np.testing.assert_allclose(out.transpose(0, 3, 1, 2), loop_convolution(x, Wt, b, stride, pad),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, FH, FW, stride, pad", [
    ((2, 3, 7, 7), 3, 3, 1, 0), ((2, 3, 7, 7), 3, 3, 1, 1), ((1, 2, 8, 6), 3, 3, 2, 0),
    ((3, 2, 9, 7), 3, 2, 2, 1), ((2, 1, 10, 10), 2, 2, 2, 0), ((1, 2, 6, 7), 4, 3, 3, 2),
    ((2, 2, 5, 5), 5, 5, 1, 2),
])
def test_col2im_is_the_adjoint_of_im2col(shape, FH, FW, stride, pad):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    col = im2col(x, FH, FW, stride, pad)
    y = rng.standard_normal(col.shape)
    back = col2im(y, shape, FH, FW, stride, pad)
    assert back.shape == shape
    np.testing.assert_allclose(np.vdot(col, y), np.vdot(x, back), rtol=1e-12)


def test_col2im_counts_overlaps():
    # Folding a matrix of ones counts how many patches cover each pixel.
    counts = col2im(np.ones((9, 9)), (1, 1, 5, 5), 3, 3)
    assert counts[0, 0, 0, 0] == 1 and counts[0, 0, 2, 2] == 9 and counts[0, 0, 0, 2] == 3
    with pytest.raises(ValueError, match="column matrix of shape"):
        col2im(np.ones((9, 8)), (1, 1, 5, 5), 3, 3)


# ----------------------------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------------------------

def make_conv(case, dtype=np.float64, seed=4):
    N, C, H, W, FN, k, stride, pad = case
    rng = np.random.default_rng(seed)
    conv = Convolution(C, FN, k, rng, stride=stride, pad=pad, bias_std=1.0, dtype=dtype)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    return conv, x


@pytest.mark.parametrize("case", CONV_CASES)
def test_convolution_forward_matches_nested_loops(case):
    conv, x = make_conv(case)
    expected = loop_convolution(x, conv.W.data, conv.b.data, conv.stride, conv.pad)
    np.testing.assert_allclose(conv.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CONV_CASES if c[6] == 1])
def test_convolution_forward_matches_scipy_correlate(case):
    conv, x = make_conv(case)
    W, b, p = conv.W.data, conv.b.data, conv.pad
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = conv.forward(x)
    for n in range(x.shape[0]):
        for f in range(W.shape[0]):
            # Correlating the (C, H, W) image with the (C, FH, FW) filter in "valid" mode sums over
            # channels in the single position along the channel axis.
            expected = signal.correlate(xp[n], W[f], mode="valid")[0] + b[f]
            np.testing.assert_allclose(out[n, f], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_convolution_gradients(case):
    conv, x = make_conv(case)
    errors = check_layer(conv, x, np.random.default_rng(5))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-7, errors


def test_convolution_without_input_grad_keeps_parameter_gradients():
    conv, x = make_conv(CONV_CASES[1])
    dout = np.random.default_rng(7).standard_normal(conv.forward(x).shape)
    conv.backward(dout)
    dW, db = conv.W.grad.copy(), conv.b.grad.copy()
    first = Convolution.from_arrays(conv.W.data, conv.b.data, conv.stride, conv.pad, input_grad=False)
    first.forward(x)
    assert first.backward(dout) is None
    np.testing.assert_array_equal(first.W.grad, dW)
    np.testing.assert_array_equal(first.b.grad, db)


def test_convolution_float32_and_initialisation():
    rng = np.random.default_rng(8)
    conv = Convolution(16, 32, 3, rng, pad=1)
    assert conv.W.data.dtype == np.float32 and conv.W.data.shape == (32, 16, 3, 3)
    assert conv.W.data.std() == pytest.approx(np.sqrt(2 / 144), rel=0.05)     # He: sqrt(2/fan_in)
    np.testing.assert_array_equal(conv.b.data, 0)
    x = rng.standard_normal((2, 16, 5, 5), dtype=np.float32)
    out = conv.forward(x)
    assert out.dtype == np.float32 and out.shape == (2, 32, 5, 5)
    assert conv.backward(np.ones_like(out)).dtype == np.float32
    assert conv.W.grad.dtype == np.float32 and conv.b.grad.dtype == np.float32
    small = Convolution(1, 30, 5, rng, init=0.01)
    assert small.W.data.std() == pytest.approx(0.01, rel=0.2)


def test_convolution_from_arrays():
    rng = np.random.default_rng(9)
    W, b = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    conv = Convolution.from_arrays(W, b, stride=2, pad=1)
    x = rng.standard_normal((1, 3, 5, 5))
    np.testing.assert_allclose(conv.forward(x), loop_convolution(x, W, b, 2, 1), atol=1e-12)
    assert not np.shares_memory(conv.W.data, W) and not np.shares_memory(conv.b.data, b)   # copies, as Affine
    with pytest.raises(ValueError, match="b must be"):
        Convolution.from_arrays(W, rng.standard_normal(3))


def test_convolution_rejects_bad_input():
    rng = np.random.default_rng(10)
    conv = Convolution(3, 4, 3, rng)
    with pytest.raises(ValueError, match="works in float32 but received float64"):
        conv.forward(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="3 input channel"):
        conv.forward(np.zeros((1, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1, 28, 28\)"):
        conv.forward(np.zeros((1, 784), np.float32))
    with pytest.raises(ValueError, match="does not fit"):
        conv.forward(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(RuntimeError, match="before forward"):
        Convolution(3, 4, 3, rng).backward(np.zeros((1, 4, 3, 3), np.float32))
    out = conv.forward(np.zeros((1, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match="expected dout of shape"):
        conv.backward(np.zeros((2, 4, 3, 3), np.float32))
    with pytest.raises(ValueError, match="float32 gradients"):
        conv.backward(np.zeros(out.shape))
    with pytest.raises(ValueError, match="rng must be"):
        Convolution(3, 4, 3, None)
    with pytest.raises(ValueError, match="kernel_size"):
        Convolution(3, 4, 0, rng)
    with pytest.raises(ValueError, match="stride"):
        Convolution(3, 4, 3, rng, stride=0)


# ----------------------------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------------------------

POOL_CASES = [  # (N, C, H, W, pool_h, pool_w, stride, pad)
    (2, 3, 8, 8, 2, 2, 2, 0),
    (1, 2, 7, 9, 2, 2, 2, 0),
    (2, 2, 9, 7, 3, 3, 2, 1),
    (1, 3, 6, 5, 3, 2, 1, 1),
    (2, 1, 7, 7, 3, 3, 3, 0),
    (1, 2, 6, 6, 2, 3, 1, 0),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_forward_matches_nested_loops(case, mode):
    N, C, H, W, ph, pw, stride, pad = case
    x = np.random.default_rng(11).standard_normal((N, C, H, W))
    pool = Pooling(ph, pw, stride=stride, pad=pad, mode=mode, dtype=np.float64)
    np.testing.assert_allclose(pool.forward(x), loop_pooling(x, ph, pw, stride, pad, mode),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_gradients(case, mode):
    N, C, H, W, ph, pw, stride, pad = case
    rng = np.random.default_rng(12)
    x = distinct_values(rng, (N, C, H, W))
    pool = Pooling(ph, pw, stride=stride, pad=pad, mode=mode, dtype=np.float64)
    errors = check_layer(pool, x, rng)
    assert errors["x"] < 1e-7, errors


def test_max_pooling_sends_each_gradient_to_one_winner():
    # All-equal windows (the zeros after a ReLU): the gradient must not be counted four times.
    x = np.zeros((1, 1, 4, 4), np.float32)
    pool = Pooling(2, 2, stride=2)
    out = pool.forward(x)
    dx = pool.backward(np.ones_like(out))
    assert dx.sum() == out.size
    assert np.count_nonzero(dx) == out.size
    np.testing.assert_array_equal(dx[0, 0, ::2, ::2], 1)     # ties go to the first, as in PyTorch


@pytest.mark.parametrize("kind", [Pooling, fast.Pooling])
def test_max_pooling_gives_a_tie_to_the_first_maximum_in_row_major_order(kind):
    # As PyTorch and Saitoh: [[0, 1], [1, 0]] sends the gradient to the 1 in the first row.
    pool = kind(2, dtype=np.float64)
    out = pool.forward(np.array([[[[0.0, 1.0], [1.0, 0.0]]]]))
    np.testing.assert_array_equal(pool.backward(np.ones_like(out))[0, 0], [[0, 1], [0, 0]])
    pool = kind(3, stride=1, dtype=np.float64)
    pool.forward(np.array([[[[0.0, 0.0, 2.0], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]]]))
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 1, 1)))[0, 0],
                                  [[0, 0, 1], [0, 0, 0], [0, 0, 0]])


def test_pooling_defaults_and_checks():
    pool = Pooling(2)
    assert (pool.pool_h, pool.pool_w, pool.stride) == (2, 2, 2)     # stride = window, as PyTorch
    out = pool.forward(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(out[0, 0], [[5, 7], [13, 15]])
    assert pool.forward(np.zeros((1, 1, 4, 4))).dtype == np.float64     # computes in x's dtype
    with pytest.raises(ValueError, match="floating-point images, got dtype int64"):
        pool.forward(np.zeros((1, 1, 4, 4), np.int64))
    with pytest.raises(ValueError, match="4-D"):
        pool.forward(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="mode"):
        Pooling(2, mode="median")
    with pytest.raises(ValueError, match="pad"):
        Pooling(2, pad=2)
    with pytest.raises(RuntimeError, match="before forward"):
        Pooling(2).backward(np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(ValueError, match="shape"):
        pool.backward(np.zeros((1, 1, 3, 3), np.float32))
