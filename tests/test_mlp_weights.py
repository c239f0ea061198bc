"""The MLP results shipped in data/ (made by scripts/train_mlp.py): well-formed histories, and saved
weights that reproduce the recorded test accuracy exactly.

The count is evaluated in float64 from the saved float32 weights, so it does not depend on the BLAS
kernel; ``near_ties`` checks that no test image lies within rounding distance of a tie between two
digits (there, and only there, another order of additions could change an answer).
"""
import json
from pathlib import Path

import numpy as np
import pytest

from nnlib.data import load_mnist
from nnlib.mlp import count_correct, load_mlp, near_ties, scores

DATA = Path(__file__).resolve().parent.parent / "data"
HISTORIES = sorted((DATA / "histories").glob("mlp_*.json"))
WITH_WEIGHTS = [p for p in HISTORIES if "weights_file" in json.loads(p.read_text())]
PER_EPOCH = ("epoch_loss", "train_acc", "val_acc", "test_acc", "test_correct", "epoch_seconds")


def load(path):
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def test_set():
    return load_mnist("nielsen")[2]


def test_the_expected_histories_are_there():
    names = {p.name for p in HISTORIES}
    for experiment in ("quadratic30", "quadratic100"):
        seeds = [n for n in names if n.startswith(f"mlp_{experiment}_seed")]
        assert len(seeds) >= 5, f"{experiment}: only {len(seeds)} seeds"
    for experiment in ("eta-small", "eta-large", "ce-sigmoid", "ce-softmax"):
        assert f"mlp_{experiment}_seed1.json" in names
    grid = [n for n in names if n.startswith("mlp_grid_")]
    assert len(grid) >= 6
    assert len(WITH_WEIGHTS) >= 3


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_history_is_well_formed(path):
    h = load(path)
    s = h["settings"]
    assert s["sizes"][0] == 784 and s["sizes"][-1] == 10 and s["batch_size"] == 10
    assert s["weight_decay"] == pytest.approx(s["lambda"] / 50_000)
    assert isinstance(h["seed"], int)
    n = len(h["test_acc"])
    done = s["epochs"] if h["diverged_at_epoch"] is None else h["diverged_at_epoch"] - 1
    assert n == done >= 1
    for key in PER_EPOCH:
        assert len(h[key]) == n, key
    for key in ("train_acc", "val_acc", "test_acc"):
        assert all(0.0 <= a <= 1.0 for a in h[key]), key
    assert [c / 10_000 for c in h["test_correct"]] == h["test_acc"]
    assert all(np.isfinite(h["epoch_loss"])) and all(t > 0 for t in h["epoch_seconds"])
    assert h["wall_time_seconds"] >= sum(h["epoch_seconds"])
    for key in ("nnlib_version", "numpy_version", "python_version", "command", "finished"):
        assert h[key], key


@pytest.mark.shipped_weights
@pytest.mark.parametrize("path", WITH_WEIGHTS, ids=lambda p: p.stem)
def test_weights_reproduce_the_recorded_accuracy(path, test_set):
    h = load(path)
    x_test, t_test = test_set
    model = load_mlp(DATA / h["weights_file"])
    assert [layer.W.data.shape for layer in model[::2]] == [
        (b, a) for a, b in zip(h["settings"]["sizes"][:-1], h["settings"]["sizes"][1:])]
    ties = near_ties(scores(model, x_test))
    assert ties == h["final_test_near_ties"]
    correct = count_correct(model, x_test, t_test)
    assert correct == h["final_test_correct_float64"]
    # ... and the float32 count the training run recorded after its last epoch agrees, up to the
    # images within rounding distance of a tie (float32 rounds at about 1e-7 of the scores)
    assert abs(correct - h["test_correct"][-1]) <= near_ties(scores(model, x_test), 1e-3)


def test_weights_are_small_float32():
    for path in (DATA / "weights").glob("mlp_*.npz"):
        with np.load(path) as f:
            assert all(f[k].dtype == np.float32 for k in f.files)
        assert path.stat().st_size < 400_000
