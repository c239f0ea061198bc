"""nnlib.layers, nnlib.init and nnlib.gradcheck: gradient checks in float64, hand-written forward
oracles, the dtype and shape errors, and the "backward never modifies its inputs" promise."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import fast, init
from nnlib.conv import Pooling
from nnlib.fast import parallel
from nnlib.gradcheck import check_layer, numerical_diff, numerical_gradient, relative_error
from nnlib.layers import Affine, BatchNorm, Dropout, Flatten, Layer, Parameter, ReLU, Sequential, Sigmoid, Tanh

F64 = np.float64
TOL = 1e-7


def rng_(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(x, margin=1e-3):
    """Move entries off ReLU's kink, where a central difference straddling 0 would be wrong."""
    return np.where(np.abs(x) < margin, margin + np.abs(x), x)


class FixedMaskDropout(Dropout):
    """Dropout whose mask is the same at every forward call: the generator is re-seeded each time."""

    def __init__(self, p, seed):
        super().__init__(p, rng_(seed), dtype=F64)
        self.seed = seed

    def forward(self, x, training=False):
        self.rng = rng_(self.seed)
        return super().forward(x, training)


def assert_small(errors):
    assert errors and max(errors.values()) < TOL, errors


# --- gradient checks (float64) -----------------------------------------------------------------

batch_sizes = st.integers(1, 5)
widths = st.integers(1, 7)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(batch_sizes, widths, widths, st.integers(0, 10**6))
def test_affine_gradients(n, n_in, n_out, seed):
    rng = rng_(seed)
    layer = Affine(n_in, n_out, rng, init=1.0, bias_std=1.0, dtype=F64)
    assert_small(check_layer(layer, rng.standard_normal((n, n_in)), rng))


@settings(max_examples=12, deadline=None, derandomize=True)
@given(st.sampled_from([Sigmoid, Tanh, ReLU]), batch_sizes, widths, st.integers(0, 10**6))
def test_activation_gradients(cls, n, width, seed):
    rng = rng_(seed)
    # not deep in saturation, where the gradient is so small that rounding noise dominates it
    x = away_from_zero(np.clip(1.5 * rng.standard_normal((n, width)), -3, 3))
    assert_small(check_layer(cls(dtype=F64), x, rng))


def test_activation_gradients_on_4d_input():
    rng = rng_(1)
    x = away_from_zero(rng.standard_normal((2, 3, 4, 5)))
    for cls in (Sigmoid, Tanh, ReLU):
        assert_small(check_layer(cls(dtype=F64), x, rng))


def test_dropout_gradients_with_a_fixed_mask():
    rng = rng_(2)
    layer = FixedMaskDropout(0.4, seed=7)
    x = rng.standard_normal((6, 9))
    assert_small(check_layer(layer, x, rng, training=True))
    assert 0 < np.count_nonzero(layer.mask == 0) < layer.mask.size    # some units dropped, not all
    assert_small(check_layer(layer, x, rng, training=False))


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.integers(3, 6), st.integers(1, 5), st.integers(0, 10**6))
def test_batchnorm_gradients_training_2d(n, c, seed):
    # (A batch of 2 normalises every column to about -1 and +1 whatever x is: dL/dx is then nearly
    # zero and its central difference mostly rounding noise, so batches start at 3 here.)
    rng = rng_(seed)
    layer = BatchNorm(c, dtype=F64)
    layer.gamma.data = rng.standard_normal(c)
    layer.beta.data = rng.standard_normal(c)
    assert_small(check_layer(layer, 2 * rng.standard_normal((n, c)) + 1, rng, training=True))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 2, 3, 3), (3, 1, 2, 1)])
def test_batchnorm_gradients_training_4d(shape):
    rng = rng_(3)
    layer = BatchNorm(shape[1], dtype=F64)
    layer.gamma.data = rng.standard_normal(shape[1])
    layer.beta.data = rng.standard_normal(shape[1])
    assert_small(check_layer(layer, rng.standard_normal(shape), rng, training=True))


def test_batchnorm_gradients_evaluation_mode():
    rng = rng_(4)
    layer = BatchNorm(4, dtype=F64)
    layer.forward(rng.standard_normal((8, 4)) * 3 + 2, training=True)   # some running statistics
    layer.gamma.data = rng.standard_normal(4)
    assert_small(check_layer(layer, rng.standard_normal((5, 4)), rng, training=False))


def test_batch_of_one_and_flatten():
    rng = rng_(5)
    assert_small(check_layer(Affine(7, 3, rng, dtype=F64), rng.standard_normal((1, 7)), rng))
    assert_small(check_layer(Flatten(F64), rng.standard_normal((2, 3, 4, 5)), rng))


def test_sequential_gradients_through_every_kind_of_layer():
    rng = rng_(6)
    model = Sequential(Flatten(F64), Affine(12, 7, rng, dtype=F64), BatchNorm(7, dtype=F64), Tanh(F64),
                       FixedMaskDropout(0.3, seed=1), Affine(7, 5, rng, init="he", dtype=F64), ReLU(F64),
                       Affine(5, 3, rng, dtype=F64), Sigmoid(F64))
    errors = check_layer(model, rng.standard_normal((4, 3, 4)), rng, training=True)
    assert len(errors) == 1 + 2 + 2 + 2 + 2          # x, then W/b, gamma/beta, W/b, W/b
    assert_small(errors)


# --- forward passes against hand-written oracles ------------------------------------------------

def test_affine_forward_against_loops():
    rng = rng_(7)
    layer = Affine(4, 3, rng, bias_std=1.0, dtype=F64)
    x = rng.standard_normal((2, 4))
    W, b = layer.W.data, layer.b.data
    expected = [[sum(x[n, i] * W[j, i] for i in range(4)) + b[j] for j in range(3)] for n in range(2)]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)


def test_affine_backward_saito_bias_example():
    # Saitoh 5.6.2: the bias gradient is the sum of dout over the batch: [[1,2,3],[4,5,6]] -> [5,7,9]
    layer = Affine.from_arrays(np.zeros((3, 2)), np.array([1.0, 2.0, 3.0]))
    out = layer.forward(np.array([[0.0, 0.0], [10.0, 10.0]]))
    np.testing.assert_array_equal(out, [[1, 2, 3], [1, 2, 3]])
    layer.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(layer.b.grad, [5, 7, 9])
    np.testing.assert_array_equal(layer.W.grad, [[40, 40], [50, 50], [60, 60]])


def test_activation_forwards_against_formulas():
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
    np.testing.assert_allclose(Sigmoid(F64).forward(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(Tanh(F64).forward(x), (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1), rtol=1e-14)
    relu = ReLU(F64)
    np.testing.assert_array_equal(relu.forward(x), [[0, 0, 0], [0.5, 1, 3]])
    # Saitoh 5.5.1's example: the mask passes the gradient only where x > 0
    relu.forward(np.array([[1.0, -0.5], [-2.0, 3.0]]))
    np.testing.assert_array_equal(relu.backward(np.ones((2, 2))), [[1, 0], [0, 1]])


@pytest.mark.parametrize("workers", [1, 2])
def test_fast_relu_on_a_big_channels_last_batch(workers):
    """Big batches are split over two threads; the result and its memory layout do not change."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 24, 24, 30)).astype(np.float32).transpose(0, 3, 1, 2)   # 691,200
    dout = rng.standard_normal((40, 24, 24, 30)).astype(np.float32).transpose(0, 3, 1, 2)
    relu = fast.ReLU()
    relu.workers = workers
    out, dx = relu.forward(x), relu.backward(dout)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0))
    np.testing.assert_array_equal(dx, np.where(x > 0, dout, 0))
    assert out.strides == x.strides and dx.strides == dout.strides    # still channels last
    relu.forward(np.array(-2.0, np.float32))                            # a 0-d array still works
    assert relu.backward(np.array(5.0, np.float32)) == 0


@pytest.mark.parametrize("input_grad", [True, False])
def test_fast_affine_backward_on_two_threads_matches_one(input_grad):
    """A big layer (SimpleConvNet's 4320 -> 100) computes dW and dx on two threads at once."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((100, 4320)).astype(np.float32)
    dout = rng.standard_normal((100, 100)).astype(np.float32)
    results = []
    for workers in (1, 2):
        layer = fast.Affine(4320, 100, np.random.default_rng(5), input_grad=input_grad)
        layer.workers = workers
        layer.forward(x)
        dx = layer.backward(dout)
        results.append((dx, layer.W.grad, layer.b.grad))
    assert 100 * x.size >= parallel.BIG_PRODUCT            # big enough for the second thread
    (dx1, dW1, db1), (dx2, dW2, db2) = results
    np.testing.assert_array_equal(dW1, dW2)
    np.testing.assert_array_equal(db1, db2)
    np.testing.assert_allclose(dW2, dout.T @ x, rtol=1e-5, atol=1e-4)
    if input_grad:
        np.testing.assert_array_equal(dx1, dx2)
        assert dx2.shape == x.shape
    else:
        assert dx1 is None and dx2 is None


def test_sigmoid_layer_survives_extreme_inputs():
    x = np.array([[-1000.0, 1000.0]], dtype=np.float32)
    with np.errstate(all="raise"):
        out = Sigmoid().forward(x)
    np.testing.assert_array_equal(out, [[0.0, 1.0]])


def test_batchnorm_forward_against_per_feature_statistics():
    rng = rng_(8)
    x = rng.standard_normal((6, 3)) * [1.0, 5.0, 0.1] + [0.0, -2.0, 7.0]
    layer = BatchNorm(3, eps=1e-5, dtype=F64)
    layer.gamma.data = np.array([1.0, 2.0, 0.5])
    layer.beta.data = np.array([0.0, 1.0, -1.0])
    out = layer.forward(x, training=True)
    for j in range(3):
        column = x[:, j]
        mean = sum(column) / 6
        var = sum((v - mean) ** 2 for v in column) / 6
        expected = layer.gamma.data[j] * (column - mean) / np.sqrt(var + 1e-5) + layer.beta.data[j]
        np.testing.assert_allclose(out[:, j], expected, rtol=1e-12)
        # running averages after one step from (0, 1): 0.9 * old + 0.1 * batch value
        assert layer.running_mean[j] == pytest.approx(0.1 * mean)
        assert layer.running_var[j] == pytest.approx(0.9 + 0.1 * var)


def test_batchnorm_4d_normalises_each_channel_over_batch_and_space():
    rng = rng_(9)
    x = rng.standard_normal((2, 3, 4, 5)) * 3 + 1
    out = BatchNorm(3, dtype=F64).forward(x, training=True)
    for c in range(3):
        values = x[:, c].ravel()
        expected = (x[:, c] - values.mean()) / np.sqrt(values.var() + 1e-5)
        np.testing.assert_allclose(out[:, c], expected, rtol=1e-12)


def test_batchnorm_evaluation_uses_running_statistics():
    layer = BatchNorm(2, momentum=0.5, dtype=F64)
    layer.forward(np.array([[0.0, 10.0], [2.0, 30.0]]), training=True)   # mean (1, 20), var (1, 100)
    np.testing.assert_allclose(layer.running_mean, [0.5, 10.0])
    np.testing.assert_allclose(layer.running_var, [1.0, 50.5])
    out = layer.forward(np.array([[0.5, 10.0]]), training=False)
    np.testing.assert_allclose(out, [[0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(layer.running_mean, [0.5, 10.0])     # evaluation leaves them alone


def test_dropout_training_and_evaluation():
    layer = Dropout(0.25, rng_(10))
    x = np.ones((200, 50), dtype=np.float32)
    out = layer.forward(x, training=True)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)     # survivors scaled up
    assert out.dtype == np.float32
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), out)
    assert layer.forward(x, training=False) is x                     # identity in evaluation
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0, rng_(0))


def test_flatten_forward_and_backward_shapes():
    layer = Flatten(F64)
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(layer.forward(x), x.reshape(2, 12))
    assert layer.backward(np.ones((2, 12))).shape == (2, 3, 4)


# --- dtype, shapes, errors ----------------------------------------------------------------------

def every_layer(dtype=np.float32):
    rng = rng_(11)
    return [Affine(4, 3, rng, dtype=dtype), Sigmoid(dtype), Tanh(dtype), ReLU(dtype),
            Dropout(0.5, rng, dtype), BatchNorm(4, dtype=dtype), Flatten(dtype),
            Sequential(Affine(4, 5, rng, dtype=dtype), ReLU(dtype), Affine(5, 2, rng, dtype=dtype))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_forward_and_backward(dtype):
    x = rng_(12).standard_normal((5, 4)).astype(dtype)
    for layer in every_layer(dtype):
        out = layer.forward(x, training=True)
        dx = layer.backward(np.ones_like(out))
        assert out.dtype == dtype and dx.dtype == dtype, layer
        for p in layer.parameters():
            assert p.data.dtype == dtype and p.grad.dtype == dtype, (layer, p)


def test_wrong_dtype_names_both_dtypes():
    x64 = np.zeros((2, 4))
    for layer in every_layer():
        if layer.parameters():
            with pytest.raises(ValueError, match="float32.*float64"):
                layer.forward(x64)
    with pytest.raises(ValueError, match="float32"):
        Sigmoid().forward([[0.0, 1.0]])            # a list is not silently converted
    with pytest.raises(ValueError, match="uint8"):
        Affine(4, 3, rng_(0)).forward(np.zeros((2, 4), dtype=np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_without_parameters_compute_in_their_inputs_dtype(dtype):
    x = rng_(12).standard_normal((2, 3, 4, 4)).astype(dtype)
    for layer in [Sigmoid(), Tanh(), ReLU(), Dropout(0.5, rng_(0)), Flatten(), Pooling(2),
                  fast.ReLU(), fast.Sigmoid(), fast.Pooling(2)]:
        out = layer.forward(x, training=True)
        dx = layer.backward(np.ones_like(out))
        assert out.dtype == dtype and dx.dtype == dtype, layer
    np.testing.assert_array_equal(ReLU().forward(np.zeros((2, 3))), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected a float32 array, got dtype int64; convert it with "
                                         r"\.astype\(np\.float32\)"):
        ReLU().forward(np.zeros((2, 3), dtype=np.int64))
    relu = ReLU()
    relu.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="float64"):       # dout must match the forward output
        relu.backward(np.zeros((2, 3), np.float32))


def test_checks_run_before_the_body_whoever_calls():
    """The checks live in check_input/check_dout, and Layer runs them before forward and backward,
    also for a subclass that overrides forward; the bodies print as written."""
    import inspect

    class Doubling(Layer):
        def forward(self, x, training=False):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    layer = Doubling()
    with pytest.raises(ValueError, match="Doubling.forward expected a float32 array, got a list"):
        layer([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Doubling.backward called before forward"):
        layer.backward(np.ones(2))
    layer.forward(np.ones(2))
    with pytest.raises(ValueError, match=r"Doubling.backward expected shape \(2,\), got shape \(3,\)"):
        layer.backward(np.ones(3))
    assert inspect.getsource(Affine.forward).splitlines()[1:] == [
        "        self.x = x", "        return x @ self.W.data.T + self.b.data"]


def test_wrong_shapes_name_expected_and_received_shape():
    layer = Affine(784, 30, rng_(0))
    with pytest.raises(ValueError, match=r"expected shape \(N, 784\), got shape \(10, 783\)"):
        layer.forward(np.zeros((10, 783), dtype=np.float32))
    with pytest.raises(ValueError, match="Flatten"):
        layer.forward(np.zeros((10, 1, 28, 28), dtype=np.float32))
    layer.forward(np.zeros((10, 784), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected shape \(10, 30\), got shape \(10, 29\)"):
        layer.backward(np.zeros((10, 29), dtype=np.float32))
    sig = Sigmoid()
    sig.forward(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected shape \(2, 3\), got shape \(3, 2\)"):
        sig.backward(np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(N, 4\) or \(N, 4, H, W\), got shape \(2, 5\)"):
        BatchNorm(4).forward(np.zeros((2, 5), dtype=np.float32))


def test_backward_before_forward_is_a_clear_error():
    for layer in every_layer():
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.zeros((2, 3), dtype=np.float32))


def test_backward_never_modifies_its_arguments():
    rng = rng_(13)
    for layer in every_layer(F64):
        x = rng.standard_normal((5, 4))
        x_copy = x.copy()
        out = layer.forward(x, training=True)
        dout = rng.standard_normal(out.shape)
        dout_copy = dout.copy()
        layer.backward(dout)
        np.testing.assert_array_equal(dout, dout_copy, err_msg=repr(layer))
        np.testing.assert_array_equal(x, x_copy, err_msg=repr(layer))


def test_from_arrays_copies_like_convolution():
    W, b = np.ones((2, 3)), np.zeros(2)
    layer = Affine.from_arrays(W, b)
    assert not np.shares_memory(layer.W.data, W) and not np.shares_memory(layer.b.data, b)


def test_parameter_gradients_are_assigned_not_accumulated():
    rng = rng_(14)
    layer = Affine(3, 2, rng, dtype=F64)
    x = rng.standard_normal((4, 3))
    layer.forward(x)
    layer.backward(np.ones((4, 2)))
    first = layer.W.grad.copy()
    layer.forward(x)
    layer.backward(np.ones((4, 2)))
    np.testing.assert_array_equal(layer.W.grad, first)


# --- Sequential ------------------------------------------------------------------------------------

def test_sequential_container_behaviour():
    rng = rng_(15)
    a, s, b = Affine(4, 3, rng), Sigmoid(), Affine(3, 2, rng)
    model = Sequential(a, s, b)
    assert list(model) == [a, s, b] and len(model) == 3 and model[1] is s
    assert model.parameters() == [a.W, a.b, b.W, b.b]
    assert "Affine(4, 3" in repr(model)
    with pytest.raises(ValueError):
        Sequential()
    with pytest.raises(ValueError):
        Sequential(a, "not a layer")


def test_a_first_layer_built_without_input_grad_skips_it():
    rng = rng_(16)
    first = Affine(4, 3, rng, dtype=F64)
    model = Sequential(first, Tanh(F64), Affine(3, 2, rng, dtype=F64))
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    model.forward(x, training=True)
    assert model.backward(dout).shape == x.shape
    grads = [p.grad.copy() for p in model.parameters()]
    skipping = Sequential(Affine.from_arrays(first.W.data, first.b.data, input_grad=False), *model[1:])
    skipping.forward(x, training=True)
    assert skipping.backward(dout) is None
    for p, g in zip(skipping.parameters(), grads):
        np.testing.assert_array_equal(p.grad, g)


def test_layer_base_class_and_parameter():
    p = Parameter(np.ones((2, 3), dtype=np.float32), "W")
    assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
    assert "W" in repr(p)
    assert Layer().parameters() == []
    with pytest.raises(NotImplementedError):
        Layer()(np.zeros(1))


# --- init -------------------------------------------------------------------------------------------

def test_init_standard_deviations_and_dtypes():
    rng = rng_(17)
    assert init.fan_in((30, 784)) == 784 and init.fan_in((16, 3, 5, 5)) == 75
    w = init.normal((400, 500), 0.01, rng)
    assert w.dtype == np.float32 and w.std() == pytest.approx(0.01, rel=0.01)
    assert init.xavier((400, 500), rng).std() == pytest.approx(1 / np.sqrt(500), rel=0.01)
    assert init.he((400, 500), rng, np.float64).std() == pytest.approx(np.sqrt(2 / 500), rel=0.01)
    assert init.he((8, 4, 3, 3), rng).shape == (8, 4, 3, 3)
    # a numpy float64 standard deviation does not turn float32 weights into float64
    assert init.normal((3, 3), np.sqrt(np.float64(2.0)), rng).dtype == np.float32
    assert init.weights((5, 4), 1.0, rng).std() > 0.3


def test_init_is_reproducible_and_validates():
    a = Affine(10, 5, rng_(3), init="he")
    b = Affine(10, 5, rng_(3), init="he")
    np.testing.assert_array_equal(a.W.data, b.W.data)
    assert not a.b.data.any() and not np.signbit(a.b.data).any()   # zero biases (+0.0) by default
    # the generator's stream does not depend on the chosen standard deviations
    r1, r2 = rng_(5), rng_(5)
    Affine(10, 5, r1, init=0.01)
    Affine(10, 5, r2, init=1.0, bias_std=1.0)
    assert r1.random() == r2.random()
    assert Affine(10, 5, rng_(3), bias_std=1.0).b.data.std() > 0
    with pytest.raises(ValueError, match="xavier"):
        Affine(3, 2, rng_(0), init="glorot")
    with pytest.raises(ValueError, match="Generator"):
        init.normal((2, 2), 1.0, np.random.RandomState(0))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.fan_in((5,))


# --- gradcheck itself --------------------------------------------------------------------------------

def test_numerical_gradient_saito_examples():
    g = numerical_gradient(lambda x: np.sum(x ** 2), np.array([3.0, 4.0]))
    np.testing.assert_allclose(g, [6.0, 8.0], atol=1e-6)
    assert numerical_diff(lambda x: 0.01 * x ** 2 + 0.1 * x, 5.0) == pytest.approx(0.2, abs=1e-9)
    assert numerical_diff(lambda x: 0.01 * x ** 2 + 0.1 * x, 10.0) == pytest.approx(0.3, abs=1e-9)
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda x: 0.0, np.zeros(2, dtype=np.float32))


def test_check_layer_catches_a_wrong_backward_and_a_mutating_one():
    class WrongSigmoid(Sigmoid):
        def backward(self, dout):
            return dout * self.out          # forgot the (1 - out) factor

    class MutatingTanh(Tanh):
        def backward(self, dout):
            dout *= 1 - self.out ** 2       # modifies the caller's array
            return dout

    rng = rng_(18)
    x = rng.standard_normal((3, 4))
    assert check_layer(WrongSigmoid(F64), x, rng)["x"] > 0.1
    with pytest.raises(AssertionError, match="modified"):
        check_layer(MutatingTanh(F64), x, rng)
    with pytest.raises(ValueError, match="float64"):
        check_layer(Sigmoid(), x.astype(np.float32), rng)


def test_relative_error_definition():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 2.2)
    assert relative_error(np.array([0.0]), np.array([1e-12]), floor=1e-3) == pytest.approx(1e-9)
