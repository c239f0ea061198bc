"""The shipped histories and weights of Nielsen's C1-C3 (chapter 12, scripts/train_nielsen_cnn.py):
well-formed, consistent with Nielsen's settings and his best-validation rule, and the weights give
the recorded test accuracy."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from nnlib.models import NielsenConvNet, load_weights

ROOT = Path(__file__).resolve().parent.parent
HISTORIES = ROOT / "data" / "histories"
WEIGHTS = ROOT / "data" / "weights"
NAMES = ["C1", "C2", "C3"]
NIELSEN = {"C1": 0.9878, "C2": 0.9906, "C3": 0.9923}     # his chapter 6, 60 epochs


def script():
    spec = importlib.util.spec_from_file_location("train_nielsen_cnn", ROOT / "scripts" / "train_nielsen_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=NAMES)
def record(request):
    path = HISTORIES / f"nielsen_cnn_{request.param}.json"
    assert path.exists(), f"{path} is missing: run `make train-nielsen-cnn`"
    return json.loads(path.read_text())


def test_settings_are_nielsens(record):
    name = record["experiment"]
    spec = script().EXPERIMENTS[name]
    s = record["settings"]
    assert (s["optimizer"], s["batch_size"], s["eta"], s["lmbda"]) == ("SGD", 10, spec["eta"], spec["lmbda"])
    assert s["weight_decay"] == pytest.approx(spec["lmbda"] / 5000)
    net = record["network"]
    assert (net["conv_maps"], net["hidden"], net["activation"], net["init"]) == \
        (spec["conv_maps"], [100], spec["activation"], "network3")
    assert record["nielsen"]["test_accuracy"] == NIELSEN[name] == spec["nielsen"]
    assert record["command"].startswith("python scripts/train_nielsen_cnn.py")
    assert record["wall_seconds"] > 0 and all(record["versions"][k] for k in ("nnlib", "numpy", "python"))


def test_one_entry_per_epoch_and_the_best_validation_rule(record):
    epochs = record["settings"]["epochs"]
    for key in ("epoch_loss", "val_acc", "test_acc", "epoch_seconds"):
        assert len(record[key]) == epochs, key
    for key in ("val_acc", "test_acc"):
        assert all(0.0 <= a <= 1.0 for a in record[key])
    assert all(np.isfinite(record["epoch_loss"])) and all(s > 0 for s in record["epoch_seconds"])
    assert len(record["block_loss"]) >= epochs
    best = int(np.argmax(record["val_acc"]))          # the first epoch with the best validation accuracy
    assert record["best_epoch"] == best + 1
    assert record["best_val_acc"] == record["val_acc"][best]
    assert record["test_accuracy"] == record["test_acc"][best]
    assert record["test_correct"] == round(record["test_accuracy"] * record["test_images"])
    assert record["test_images"] == 10_000


def test_training_learned(record):
    # the loss falls, and the networks are well past the fully connected nets of chapter 7
    assert record["epoch_loss"][-1] < record["epoch_loss"][0]
    assert record["test_accuracy"] > 0.98


@pytest.mark.shipped_weights
@pytest.mark.slow
def test_shipped_weights_reproduce_the_recorded_accuracy(record):
    from nnlib.data import load_mnist
    net = record["network"]
    model = NielsenConvNet(np.random.default_rng(0), conv_maps=tuple(net["conv_maps"]),
                           hidden=tuple(net["hidden"]), activation=net["activation"])
    load_weights(model, WEIGHTS / record["weights_file"])
    _, _, (x_test, t_test) = load_mnist()
    x_test = x_test.reshape(-1, 1, 28, 28)
    scores = np.concatenate([model.forward(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)])
    assert int(np.sum(scores.argmax(axis=1) == t_test)) == record["test_correct"]
