"""nnlib.train: mini-batches, fit, predict, accuracy, reproducibility, dtype, divergence."""
import numpy as np
import pytest

from nnlib.layers import Affine, BatchNorm, Dropout, ReLU, Sequential, Sigmoid
from nnlib.losses import MeanSquaredError, SoftmaxWithLoss
from nnlib.optim import SGD, Adam
from nnlib.train import DivergenceError, History, accuracy, fit, minibatches, predict


def blobs(seed=0, n=300, dtype=np.float32):
    """Three Gaussian clouds in 4-D, one per class."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, n)
    centres = np.array([[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]], dtype=float)
    x = centres[t] + 0.5 * rng.standard_normal((n, 4))
    return x.astype(dtype), t


def mlp(rng, dtype=np.float32, extra=()):
    return Sequential(Affine(4, 16, rng, init="he", dtype=dtype), *extra, ReLU(dtype),
                      Affine(16, 3, rng, dtype=dtype))


def test_minibatches_cover_every_index_once_and_are_seeded():
    batches = list(minibatches(23, 5, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(23))
    again = list(minibatches(23, 5, np.random.default_rng(0)))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
    assert not np.array_equal(np.concatenate(batches), np.arange(23))        # shuffled
    with pytest.raises(ValueError, match="batch_size"):
        list(minibatches(10, 0, np.random.default_rng(0)))


def test_fit_learns_and_fills_the_history():
    x, t = blobs()
    xv, tv = blobs(seed=1, n=100)
    rng = np.random.default_rng(0)
    model = mlp(rng)
    history = fit(model, SoftmaxWithLoss(), Adam(model.parameters(), lr=0.01), x, t,
                  epochs=5, batch_size=32, rng=rng, validation=(xv, tv), progress=False)
    assert isinstance(history, History)
    assert len(history.loss) == 5 * 10 and all(isinstance(v, float) for v in history.loss)
    assert len(history.train_acc) == len(history.val_acc) == len(history.seconds) == 5
    assert history.val_acc[-1] > 0.95 and history.train_acc[-1] > 0.95
    assert np.mean(history.loss[-10:]) < np.mean(history.loss[:10])
    assert accuracy(model, xv, tv) == history.val_acc[-1]
    assert accuracy(model, xv, np.eye(3)[tv]) == history.val_acc[-1]        # one-hot labels too


def test_same_seed_gives_bit_identical_weights():
    x, t = blobs()

    def train(seed):
        rng = np.random.default_rng(seed)
        model = mlp(rng, extra=(Dropout(0.2, rng),))
        fit(model, SoftmaxWithLoss(), SGD(model.parameters(), lr=0.1), x, t,
            epochs=2, batch_size=16, rng=rng, train_accuracy=False)
        return [p.data for p in model.parameters()]

    first, second, other = train(3), train(3), train(4)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_a_whole_fit(dtype):
    x, t = blobs(dtype=dtype)
    rng = np.random.default_rng(0)
    model = Sequential(Affine(4, 8, rng, dtype=dtype), BatchNorm(8, dtype=dtype), Sigmoid(dtype),
                       Affine(8, 3, rng, dtype=dtype), Sigmoid(dtype))
    fit(model, MeanSquaredError(), Adam(model.parameters(), lr=0.01), x, t,
        epochs=2, batch_size=50, rng=rng)
    for p in model.parameters():
        assert p.data.dtype == dtype and p.grad.dtype == dtype
    assert model[1].running_var.dtype == dtype
    assert predict(model, x).dtype == dtype


def test_float64_data_into_a_float32_network_is_refused():
    x, t = blobs(dtype=np.float64)
    rng = np.random.default_rng(0)
    model = mlp(rng)
    with pytest.raises(ValueError, match="float32.*float64"):
        fit(model, SoftmaxWithLoss(), SGD(model.parameters(), lr=0.1), x, t, epochs=1, batch_size=10, rng=rng)


def test_divergence_is_reported_with_iteration_and_learning_rate():
    x, t = blobs()
    rng = np.random.default_rng(0)
    model = Sequential(Affine(4, 16, rng, dtype=np.float32), ReLU(), Affine(16, 3, rng))
    with np.errstate(all="ignore"):     # the overflow on the way to inf is the point of the test
        with pytest.raises(DivergenceError) as info:
            fit(model, MeanSquaredError(), SGD(model.parameters(), lr=1e6), x, t,
                epochs=3, batch_size=10, rng=rng)
    error = info.value
    assert isinstance(error, ArithmeticError)
    assert error.lr == 1e6 and error.iteration >= 2 and not np.isfinite(error.loss)
    message = str(error)
    assert f"diverged at iteration {error.iteration}" in message
    assert "learning rate 1e+06" in message and "try a smaller one" in message
    assert len(error.history.loss) == error.iteration - 1       # what happened before it


def test_one_step_equals_nielsens_backpropagation_by_hand():
    # One mini-batch holding the whole set: fit's single step must equal BP1-BP4 written out here.
    rng = np.random.default_rng(5)
    x = rng.random((6, 4))
    t = rng.integers(0, 3, 6)
    model = Sequential(Affine(4, 5, rng, init=1.0, bias_std=1.0, dtype=np.float64), Sigmoid(np.float64),
                       Affine(5, 3, rng, init=1.0, bias_std=1.0, dtype=np.float64), Sigmoid(np.float64))
    W1, b1, W2, b2 = (p.data.copy() for p in model.parameters())
    def sigma(z):
        return 1 / (1 + np.exp(-z))
    y = np.eye(3)[t]
    z1 = x @ W1.T + b1
    a1 = sigma(z1)
    z2 = a1 @ W2.T + b2
    a2 = sigma(z2)
    delta2 = (a2 - y) * a2 * (1 - a2)                 # BP1, quadratic cost
    delta1 = (delta2 @ W2) * a1 * (1 - a1)            # BP2
    eta, n = 3.0, 6
    expected = [W1 - eta / n * delta1.T @ x, b1 - eta / n * delta1.sum(0),     # BP3, BP4
                W2 - eta / n * delta2.T @ a1, b2 - eta / n * delta2.sum(0)]
    history = fit(model, MeanSquaredError(), SGD(model.parameters(), lr=eta), x, t,
                  epochs=1, batch_size=6, rng=rng, train_accuracy=False)
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.data, e, rtol=1e-12)
    # the logged loss is the one of that forward pass, before the update
    assert history.loss == pytest.approx([0.5 * np.sum((a2 - y) ** 2) / n], rel=1e-12)


def test_evaluation_uses_eval_mode_and_leaves_the_model_alone():
    x, t = blobs()
    rng = np.random.default_rng(0)
    dropout_rng = np.random.default_rng(1)
    model = mlp(rng, extra=(BatchNorm(16), Dropout(0.5, dropout_rng)))
    fit(model, SoftmaxWithLoss(), SGD(model.parameters(), lr=0.1), x, t, epochs=1, batch_size=30, rng=rng)
    state = dropout_rng.bit_generator.state
    running = model[1].running_mean.copy()
    first = predict(model, x, batch_size=7)
    assert np.array_equal(first, predict(model, x))               # deterministic, batch-size free
    assert accuracy(model, x, t) == accuracy(model, x, t)
    assert dropout_rng.bit_generator.state == state                 # no dropout mask was drawn
    np.testing.assert_array_equal(model[1].running_mean, running)   # running statistics untouched
    assert first.shape == (300, 3)


def test_on_epoch_callback_and_early_stop():
    x, t = blobs()
    rng = np.random.default_rng(0)
    model = mlp(rng)
    seen = []

    def stop_after_two(epoch, history):
        seen.append((epoch, len(history.train_acc)))
        return epoch == 1

    history = fit(model, SoftmaxWithLoss(), SGD(model.parameters(), lr=0.1), x, t,
                  epochs=10, batch_size=50, rng=rng, on_epoch=stop_after_two)
    assert seen == [(0, 1), (1, 2)] and len(history.seconds) == 2


def test_progress_bar_when_asked_and_quiet_otherwise(capsys):
    x, t = blobs()
    rng = np.random.default_rng(0)
    model = mlp(rng)
    opt = SGD(model.parameters(), lr=0.1)
    fit(model, SoftmaxWithLoss(), opt, x, t, epochs=1, batch_size=50, rng=rng)   # stderr is no terminal
    assert capsys.readouterr().err == ""
    fit(model, SoftmaxWithLoss(), opt, x, t, epochs=1, batch_size=50, rng=rng, progress=True)
    assert "0/6" in capsys.readouterr().err        # 300 samples in batches of 50


def test_fit_input_errors():
    x, t = blobs()
    rng = np.random.default_rng(0)
    model = mlp(rng)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="300 inputs but 299 targets"):
        fit(model, SoftmaxWithLoss(), opt, x, t[:-1], epochs=1, batch_size=10, rng=rng)
    with pytest.raises(ValueError, match="Generator"):
        fit(model, SoftmaxWithLoss(), opt, x, t, epochs=1, batch_size=10, rng=0)
    with pytest.raises(ValueError, match="label -1"):
        fit(model, SoftmaxWithLoss(), opt, x, np.where(t == 0, -1, t), epochs=1, batch_size=10, rng=rng)
    with pytest.raises(ValueError, match="0..2"):
        fit(model, SoftmaxWithLoss(), opt, x, t + 1, epochs=1, batch_size=10, rng=rng)
    with pytest.raises(ValueError, match="inputs but"):
        accuracy(model, x, t[:5])
