"""nnlib.mlp: Nielsen's networks, and reading back saved weights."""
import numpy as np
import pytest

from nnlib.layers import Affine, Sigmoid
from nnlib.mlp import count_correct, load_mlp, near_ties, nielsen_mlp, scores
from nnlib.models import save_weights


def test_nielsen_mlp_layers_and_init():
    net = nielsen_mlp([784, 30, 10], np.random.default_rng(0))
    assert [type(layer) for layer in net] == [Affine, Sigmoid, Affine, Sigmoid]
    W = net[0].W.data
    assert W.shape == (30, 784) and W.dtype == np.float32
    assert abs(W.std() - 1.0) < 0.02 and abs(net[0].b.data.std() - 1.0) < 0.4
    scores_only = nielsen_mlp([784, 100, 10], np.random.default_rng(0), output="scores")
    assert [type(layer) for layer in scores_only] == [Affine, Sigmoid, Affine]


def test_nielsen_mlp_bad_input():
    with pytest.raises(ValueError, match="layer widths"):
        nielsen_mlp([784], np.random.default_rng(0))
    with pytest.raises(ValueError, match="output must be one of"):
        nielsen_mlp([784, 10], np.random.default_rng(0), output="softmax")


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    net = nielsen_mlp([20, 7, 5, 3], rng)
    path = tmp_path / "net.npz"
    save_weights(net, path)
    loaded = load_mlp(path)
    assert [type(layer) for layer in loaded] == [Affine, Sigmoid, Affine, Sigmoid, Affine]
    assert loaded[0].W.data.dtype == np.float64
    x = rng.random((50, 20)).astype(np.float32)
    z = scores(loaded, x)
    # the same answers as the float32 network with its output sigmoid
    assert np.array_equal(z.argmax(axis=1), net.forward(x).argmax(axis=1))
    t = net.forward(x).argmax(axis=1)
    assert count_correct(loaded, x, t) == 50


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, **{"0.W": np.zeros((3, 4)), "1.W": np.zeros((2, 3)), "1.b": np.zeros(2)})
    with pytest.raises(ValueError, match="fully connected sigmoid network"):
        load_mlp(path)


def test_near_ties():
    s = np.array([[0.0, 1.0, 1.0 + 1e-6], [0.0, 0.5, 2.0], [3.0, 3.0, -1.0]])
    assert near_ties(s) == 2
    assert near_ties(s, tolerance=1e-9) == 1


def test_relu_mlp_layers_and_options():
    from nnlib import fast
    from nnlib.layers import BatchNorm, Dropout, ReLU
    from nnlib.mlp import relu_mlp

    net = relu_mlp([784, 100, 100, 10], np.random.default_rng(0), batchnorm=True, dropout=0.15)
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Affine", "BatchNorm", "ReLU", "Dropout"] * 2 + ["Affine"]
    assert isinstance(net[0], fast.Affine) and net[0].input_grad is False and net[-1].input_grad
    assert abs(net[0].W.data.std() - np.sqrt(2 / 784)) < 0.002          # He by default
    assert not np.any(net[0].b.data)
    plain = relu_mlp([784, 30, 10], np.random.default_rng(0), fast_layers=False, init=0.01)
    assert [type(layer) for layer in plain][1] is ReLU and not any(
        isinstance(layer, (BatchNorm, Dropout)) for layer in plain)
    # the fast and the teaching layers give the same network from the same seed
    fast_net = relu_mlp([784, 30, 10], np.random.default_rng(0), init=0.01)
    x = np.random.default_rng(1).random((4, 784), dtype=np.float32)
    assert np.allclose(plain.forward(x), fast_net.forward(x), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="probability"):
        relu_mlp([784, 10, 10], np.random.default_rng(0), dropout=1.0)
    with pytest.raises(ValueError, match="sizes"):
        relu_mlp([784], np.random.default_rng(0))
