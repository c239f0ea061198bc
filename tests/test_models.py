"""Tests of nnlib.models (the book's CNNs, saving and loading weights) and nnlib.augment,
and a check that the shipped weights in data/weights/ still give the accuracy they recorded."""
import json
import os
from pathlib import Path

import numpy as np
import pytest

from nnlib import fast
from nnlib.augment import affine_images, expand_with_shifts, random_affine, random_shifts, shift_images
from nnlib.conv import Convolution, Pooling
from nnlib.gradcheck import check_layer
from nnlib.layers import Affine, Dropout, Flatten, ReLU, Sequential, Tanh
from nnlib.losses import SoftmaxWithLoss
from nnlib.models import DeepConvNet, NielsenConvNet, SimpleConvNet, load_weights, save_weights
from nnlib.optim import Adam

WEIGHTS = Path(__file__).resolve().parent.parent / "data" / "weights"


def n_params(model):
    return sum(p.data.size for p in model.parameters())


# ----------------------------------------------------------------------------------------------
# Architectures
# ----------------------------------------------------------------------------------------------

def test_simple_convnet_is_saitos():
    model = SimpleConvNet(np.random.default_rng(0))
    kinds = [type(layer) for layer in model]
    assert kinds == [fast.Convolution, fast.ReLU, fast.Pooling, Flatten, fast.Affine, fast.ReLU,
                     fast.Affine]
    teaching = SimpleConvNet(np.random.default_rng(0), fast=False)
    assert [type(layer) for layer in teaching] == [Convolution, ReLU, Pooling, Flatten, Affine, ReLU,
                                                   Affine]
    for p, q in zip(model.parameters(), teaching.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)        # the same draws from the same rng
    assert not model[0].input_grad and all(layer.input_grad for layer in model[1:])
    assert model[0].W.data.shape == (30, 1, 5, 5)
    assert model[4].W.data.shape == (100, 4320)            # 30 x 12 x 12 inputs
    assert model[6].W.data.shape == (10, 100)
    assert n_params(model) == 30 * 25 + 30 + 4320 * 100 + 100 + 100 * 10 + 10
    assert model[0].W.data.std() == pytest.approx(0.01, rel=0.1)    # weight_init_std = 0.01
    out = model.forward(np.zeros((3, 1, 28, 28), np.float32))
    assert out.shape == (3, 10) and out.dtype == np.float32


def test_deep_convnet_is_saitos():
    model = DeepConvNet(np.random.default_rng(0))
    convs = [layer for layer in model if isinstance(layer, Convolution)]
    assert [c.W.data.shape[0] for c in convs] == [16, 16, 32, 32, 64, 64]
    assert [c.pad for c in convs] == [1, 1, 1, 2, 1, 1]
    assert all(c.W.data.shape[2:] == (3, 3) and c.stride == 1 for c in convs)
    assert sum(isinstance(layer, Pooling) for layer in model) == 3
    tail = [type(layer) for layer in model][-6:]
    assert tail == [Flatten, fast.Affine, fast.ReLU, Dropout, fast.Affine, Dropout]
    assert model[-5].W.data.shape == (50, 1024) and model[-2].W.data.shape == (10, 50)
    assert [d.p for d in model if isinstance(d, Dropout)] == [0.5, 0.5]
    assert n_params(model) == 123_552
    # He initialisation: std sqrt(2 / fan_in), e.g. fan_in 16*3*3 for the second convolution.
    assert convs[1].W.data.std() == pytest.approx(np.sqrt(2 / 144), rel=0.1)
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)


@pytest.mark.parametrize("kwargs, sizes", [
    (dict(conv_maps=(20,), activation="sigmoid"), (20 * 12 * 12, 100)),       # Nielsen's C1
    (dict(conv_maps=(20, 40), activation="sigmoid"), (40 * 4 * 4, 100)),      # C2
    (dict(conv_maps=(20, 40), activation="relu", hidden=(100, 100)), (640, 100)),   # C6
    (dict(hidden=(1000, 1000), dropout=0.5), (640, 1000)),                    # C7
])
def test_nielsen_family(kwargs, sizes):
    model = NielsenConvNet(np.random.default_rng(0), **kwargs)
    first_fc = next(layer for layer in model if isinstance(layer, Affine))
    assert first_fc.W.data.shape == (sizes[1], sizes[0])
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)
    n_dropout = sum(isinstance(layer, Dropout) for layer in model)
    assert n_dropout == (len(kwargs.get("hidden", (100,))) + 1 if kwargs.get("dropout") else 0)
    np.testing.assert_array_equal(model[-1].W.data, 0)   # network3's softmax layer starts at zero
    assert NielsenConvNet(np.random.default_rng(0), conv_maps=(20,)).parameters()[0].data.shape \
        == (20, 1, 5, 5)


def test_nielsen_rejects_bad_options():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="activation"):
        NielsenConvNet(rng, activation="softplus")
    with pytest.raises(ValueError, match="too many conv-pool"):
        NielsenConvNet(rng, conv_maps=(4, 4, 4))
    with pytest.raises(ValueError, match="init"):
        NielsenConvNet(rng, init="lecun")


def test_models_are_reproducible_and_take_a_dtype():
    a, b = DeepConvNet(np.random.default_rng(3)), DeepConvNet(np.random.default_rng(3))
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    double = SimpleConvNet(np.random.default_rng(3), dtype=np.float64)
    assert {p.data.dtype for p in double.parameters()} == {np.dtype(np.float64)}
    assert double.forward(np.zeros((1, 1, 28, 28))).dtype == np.float64


def test_a_small_convnet_backpropagates_correctly():
    """Gradient check through Convolution, Pooling, Flatten and Affine together (float64)."""
    rng = np.random.default_rng(4)
    model = Sequential(Convolution(2, 3, 3, rng, pad=1, bias_std=0.5, dtype=np.float64),
                       Tanh(np.float64), Pooling(2, dtype=np.float64),
                       Convolution(3, 4, 2, rng, stride=2, dtype=np.float64), Tanh(np.float64),
                       Flatten(np.float64), Affine(4 * 2 * 2, 5, rng, dtype=np.float64))
    errors = check_layer(model, rng.standard_normal((2, 2, 8, 8)), rng)
    assert max(errors.values()) < 1e-7, errors


def test_training_steps_reduce_the_loss():
    rng = np.random.default_rng(5)
    model = SimpleConvNet(rng, filter_num=4, hidden_size=16, weight_init_std=0.1)
    x = rng.random((20, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, 20)
    loss, optimizer = SoftmaxWithLoss(), Adam(model.parameters(), lr=1e-2)
    first = loss.forward(model.forward(x, training=True), t)
    for _ in range(30):
        loss.forward(model.forward(x, training=True), t)
        assert model.backward(loss.backward()) is None      # the first layer skips dL/dx
        optimizer.step()
    assert loss.forward(model.forward(x), t) < 0.5 * first


# ----------------------------------------------------------------------------------------------
# Saving and loading
# ----------------------------------------------------------------------------------------------

def test_save_and_load_round_trip(tmp_path):
    model = DeepConvNet(np.random.default_rng(6))
    path = tmp_path / "deep.npz"
    save_weights(model, path)
    assert sorted(os.listdir(tmp_path)) == ["deep.npz"]          # no temporary file left behind
    other = DeepConvNet(np.random.default_rng(7))
    x = np.random.default_rng(8).random((2, 1, 28, 28), dtype=np.float32)
    assert not np.array_equal(other.forward(x), model.forward(x))
    assert load_weights(other, path) is other
    np.testing.assert_array_equal(other.forward(x), model.forward(x))
    with np.load(path) as stored:
        assert "0.W" in stored.files and stored["0.W"].dtype == np.float32


def test_load_weights_explains_mismatches(tmp_path):
    path = tmp_path / "simple.npz"
    save_weights(SimpleConvNet(np.random.default_rng(0)), path)
    with pytest.raises(ValueError, match="does not fit this DeepConvNet.*missing from the file"):
        load_weights(DeepConvNet(np.random.default_rng(0)), path)
    with pytest.raises(ValueError, match=r"0.W has shape \(30, 1, 5, 5\) in the file but \(20, 1, 5, 5\)"):
        load_weights(SimpleConvNet(np.random.default_rng(0), filter_num=20), path)
    # Loading into a float64 copy of the model converts the values.
    double = load_weights(SimpleConvNet(np.random.default_rng(1), dtype=np.float64), path)
    assert double[0].W.data.dtype == np.float64


def test_load_weights_from_a_dict_checks_shapes_and_dtypes():
    model = SimpleConvNet(np.random.default_rng(0), filter_num=4, hidden_size=8)
    arrays = {f"{i}.{p.name}": p.data * 2 for i, layer in enumerate(model) for p in layer.parameters()}
    teaching = load_weights(SimpleConvNet(np.random.default_rng(1), filter_num=4, hidden_size=8,
                                          fast=False), arrays)
    for p, q in zip(teaching.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, 2 * q.data)
    narrowing = dict(arrays, **{"0.W": arrays["0.W"].astype(np.float64)})
    with pytest.raises(ValueError, match="0.W has dtype float64 in the file but the model holds float32"):
        load_weights(model, narrowing)
    with pytest.raises(ValueError, match="4.b has dtype int64"):
        load_weights(model, dict(arrays, **{"4.b": np.zeros(8, np.int64)}))


# ----------------------------------------------------------------------------------------------
# Augmentation
# ----------------------------------------------------------------------------------------------

def test_shift_images():
    img = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3)
    np.testing.assert_array_equal(shift_images(img, 1, 0, image_shape=(3, 3))[0],
                                  [[0, 0, 0], [1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(shift_images(img, 0, -1)[0], [[2, 3, 0], [5, 6, 0], [8, 9, 0]])
    rows = img.reshape(1, 9)
    np.testing.assert_array_equal(shift_images(rows, -1, 1, image_shape=(3, 3)),
                                  [[0, 4, 5, 0, 7, 8, 0, 0, 0]])
    with pytest.raises(ValueError, match="do not form"):
        shift_images(np.zeros((2, 10)), 1, 0)


def test_expand_with_shifts_is_nielsens_fivefold_set():
    rng = np.random.default_rng(9)
    x = rng.random((4, 784), dtype=np.float32)
    t = np.arange(4)
    x5, t5 = expand_with_shifts(x, t)
    assert x5.shape == (20, 784) and x5.dtype == np.float32
    np.testing.assert_array_equal(t5, np.tile(t, 5))
    np.testing.assert_array_equal(x5[:4], x)
    np.testing.assert_array_equal(x5[4:8], shift_images(x, 1, 0))
    np.testing.assert_array_equal(x5[16:], shift_images(x, 0, -1))


def test_random_shifts_are_seeded_one_pixel_moves():
    rng = np.random.default_rng(10)
    x = rng.random((200, 1, 28, 28), dtype=np.float32)
    a = random_shifts(x, np.random.default_rng(1))
    b = random_shifts(x, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == x.shape and a.dtype == x.dtype
    moves = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    seen = set()
    for image, moved in zip(x, a):
        match = [m for m in moves if np.array_equal(shift_images(image[None], *m), moved[None])]
        assert len(match) == 1
        seen.add(match[0])
    assert seen == set(moves)
    with pytest.raises(ValueError, match="rng"):
        random_shifts(x, 0)


def test_affine_images_turns_scales_and_moves():
    rng = np.random.default_rng(11)
    x = rng.random((3, 1, 28, 28), dtype=np.float32)
    ones = np.ones(3)
    # No change gives the images back; whole-pixel offsets are shift_images; a quarter turn
    # lands exactly on the pixel grid (clockwise on screen: the left edge goes to the top).
    np.testing.assert_array_equal(affine_images(x, 0 * ones, ones, np.zeros((3, 2))), x)
    np.testing.assert_array_equal(affine_images(x, 0 * ones, ones, [[2, -1]] * 3), shift_images(x, 2, -1))
    np.testing.assert_allclose(affine_images(x, 90 * ones, ones, np.zeros((3, 2))),
                               np.rot90(x, -1, axes=(2, 3)), atol=1e-6)
    # Half a pixel to the right: every pixel is the mean of two neighbours (0 shifted in).
    half = affine_images(x, 0 * ones, ones, [[0, 0.5]] * 3)
    left = np.concatenate([np.zeros_like(x[..., :1]), x[..., :-1]], axis=3)
    np.testing.assert_allclose(half, (x + left) / 2, atol=1e-6)
    # Twice the size: the centre pixel's 2x2 neighbourhood of a smooth ramp stays on the ramp.
    ramp = np.broadcast_to(np.arange(28, dtype=np.float32), (1, 1, 28, 28))
    big = affine_images(ramp, [0], [2], [[0, 0]])
    np.testing.assert_allclose(big[0, 0, 5, 8:20], 13.5 + (np.arange(8, 20) - 13.5) / 2, atol=1e-5)
    with pytest.raises(ValueError, match="one angle"):
        affine_images(x, ones[:2], ones, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="positive"):
        affine_images(x, ones, -ones, np.zeros((3, 2)))


def test_random_affine_is_seeded_small_and_keeps_the_digit():
    from nnlib.data import load_mnist
    (x, _), _, _ = load_mnist("nielsen")
    x = x[:500].reshape(-1, 1, 28, 28)
    a = random_affine(x, np.random.default_rng(2))
    np.testing.assert_array_equal(a, random_affine(x, np.random.default_rng(2)))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert not np.array_equal(a, random_affine(x, np.random.default_rng(3)))
    np.testing.assert_array_equal(random_affine(x, np.random.default_rng(2), 0, 0, 0), x)
    # Small turns and scalings keep the ink roughly (area ~ scale^2) and in its place.
    ink = a.sum(axis=(1, 2, 3)) / x.sum(axis=(1, 2, 3))
    assert 0.75 < ink.min() and ink.max() < 1.3
    assert 0.5 < np.mean(np.sum(a * x, axis=(1, 2, 3)) / np.sum(x * x, axis=(1, 2, 3))) < 1
    assert a.min() >= 0 and a.max() <= 1 + 1e-6
    with pytest.raises(ValueError, match="max_scale"):
        random_affine(x, np.random.default_rng(0), max_scale=1.0)
    with pytest.raises(ValueError, match="rng"):
        random_affine(x, 0)


# ----------------------------------------------------------------------------------------------
# The shipped weights reproduce their recorded test accuracy
# ----------------------------------------------------------------------------------------------

# A reader's CPU runs its own BLAS kernel, which rounds float32 sums differently, so the logits
# differ from ours in their last digits. The recorded count holds on every kernel only if no test
# image is that close to a tie between its two highest scores: the test measures the float32
# rounding error on the closest images (against float64) and asks for a margin 20 times larger.
# (The smallest margins are 1.9e-3 and 1.2e-3; rounding errors were at most 2e-5 on four kernels.)
# `make portable` re-runs this test under several kernels and thread counts.
SAFETY = 20


@pytest.mark.shipped_weights
@pytest.mark.parametrize("stem, build", [("simple_convnet", SimpleConvNet), ("deep_convnet", DeepConvNet)])
@pytest.mark.slow
def test_shipped_weights_reproduce_the_recorded_accuracy(stem, build):
    weights, record = WEIGHTS / f"{stem}.npz", WEIGHTS / f"{stem}.json"
    if not (weights.exists() and record.exists()):
        pytest.skip(f"{weights.name} or {record.name} is absent: run `python scripts/train_cnn.py "
                    f"{stem.split('_')[0]}` to make them")
    from nnlib.data import load_mnist
    history = json.loads(record.read_text())
    model = load_weights(build(np.random.default_rng(0)), weights)
    _, _, (x_test, t_test) = load_mnist()
    x_test = x_test.reshape(-1, 1, 28, 28)
    scores = np.concatenate([model.forward(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)])
    correct = int(np.sum(scores.argmax(axis=1) == t_test))
    assert correct == history["test_correct"]
    assert history["test_accuracy"] == correct / len(t_test)
    target = {"simple_convnet": 0.9896, "deep_convnet": 0.9938}[stem]      # Saitoh's figures
    assert history["test_accuracy"] >= target

    top_two = np.sort(scores, axis=1)[:, -2:].astype(np.float64)
    margin = top_two[:, 1] - top_two[:, 0]
    closest = np.argsort(margin)[:20]
    model64 = load_weights(build(np.random.default_rng(0), np.float64), weights)
    exact = model64.forward(x_test[closest].astype(np.float64))
    rounding = np.abs(scores[closest] - exact).max()
    assert np.array_equal(exact.argmax(axis=1), scores[closest].argmax(axis=1))
    assert margin.min() > SAFETY * rounding, (
        f"a test image's two highest scores are {margin.min():.2e} apart, within {SAFETY}x the float32 "
        f"rounding error ({rounding:.2e}): its answer may differ on another CPU's BLAS kernel")


@pytest.mark.shipped_weights
@pytest.mark.slow
def test_shipped_best_ensemble_reaches_its_recorded_accuracy():
    # Chapter 13's best model (scripts/train_best.py): the ensemble of best_1.npz ... best_k.npz,
    # answering with the largest average softmax probability. stable_predictions recomputes the 50
    # closest calls in float64 and checks that every other call has a margin 20 times larger than
    # the float32 rounding error, so the recount is the same on every BLAS kernel.
    from nnlib.data import load_mnist
    from nnlib.ensemble import stable_predictions

    record_path = WEIGHTS / "best.json"
    if not record_path.exists():
        pytest.skip("best.json is absent: run `make train-best` to make the ensemble")
    record = json.loads(record_path.read_text())
    assert record["status"] == "finished", "best.json records an unfinished run"
    files = [WEIGHTS / name for name in record["weights_files"]]
    assert all(f.exists() for f in files), f"missing weights: {[f.name for f in files if not f.exists()]}"
    assert len(files) == record["recipe"]["members"]
    _, (x_val, t_val), (x_test, t_test) = load_mnist()
    result = stable_predictions(lambda rng, dtype: DeepConvNet(rng, dtype), files,
                                x_test.reshape(-1, 1, 28, 28), closest=50, safety=SAFETY)
    correct = int(np.sum(result.labels == t_test))
    assert correct == record["test_correct"]
    assert record["test_accuracy"] == correct / len(t_test)
    assert record["test_evaluations"] == 1
    # the validation accuracy of the whole ensemble, recorded after the last member
    val = stable_predictions(lambda rng, dtype: DeepConvNet(rng, dtype), files,
                             x_val.reshape(-1, 1, 28, 28), closest=50, safety=SAFETY)
    assert int(np.sum(val.labels == t_val)) == round(record["ensemble_val_acc"][-1] * len(t_val))
