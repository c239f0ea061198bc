"""The shipped MNIST histories of chapter 10 (scripts/train_init.py): well-formed, and they support
the chapter's claims (std 0.01 does not learn, He learns faster than Xavier, seed by seed)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "data" / "histories" / "init_mnist.json"
WINDOWS = [(401, 500), (901, 1000), (1901, 2000)]   # the windows the chapter prints


@pytest.fixture(scope="module")
def record():
    assert HISTORY.exists(), f"{HISTORY} is missing: run `make train-init`"
    return json.loads(HISTORY.read_text())


def curves(record, init):
    return np.array([r["loss"] for r in record["runs"] if r["init"] == init])


def test_settings_are_saitohs(record):
    s = record["settings"]
    assert (s["optimizer"], s["lr"], s["batch_size"], s["iterations"]) == ("SGD", 0.01, 128, 2000)
    assert record["inits"] == ["0.01", "xavier", "he"]
    assert len(record["seeds"]) >= 3 and len(set(record["seeds"])) == len(record["seeds"])
    assert record["network"].startswith("784-100-100-100-100-100-10")
    for key in ("nnlib", "numpy", "python"):
        assert record["versions"][key]
    assert record["wall_seconds"] > 0 and record["command"].startswith("python scripts/train_init.py")


def test_one_complete_run_per_init_and_seed(record):
    pairs = sorted((r["init"], r["seed"]) for r in record["runs"])
    assert pairs == sorted((i, s) for i in record["inits"] for s in record["seeds"])
    for run in record["runs"]:
        loss = run["loss"]
        assert len(loss) == record["settings"]["iterations"]
        assert all(math.isfinite(v) and v >= 0 for v in loss)
        assert 0.0 <= run["test_acc"] <= 1.0 and run["seconds"] > 0


def test_every_run_starts_near_ln10(record):
    for run in record["runs"]:
        assert abs(np.mean(run["loss"][:10]) - math.log(10)) < 0.1, (run["init"], run["seed"])


def test_std_001_does_not_learn(record):
    small = curves(record, "0.01")
    assert np.all(np.abs(small[:, -100:].mean(axis=1) - math.log(10)) < 0.01)
    acc = [r["test_acc"] for r in record["runs"] if r["init"] == "0.01"]
    assert max(acc) < 0.2


def test_he_learns_faster_than_xavier_for_every_seed(record):
    he, xavier = curves(record, "he"), curves(record, "xavier")
    for a, b in WINDOWS:
        assert np.all(he[:, a - 1:b].mean(axis=1) < xavier[:, a - 1:b].mean(axis=1)), (a, b)
    he_acc = np.mean([r["test_acc"] for r in record["runs"] if r["init"] == "he"])
    xavier_acc = np.mean([r["test_acc"] for r in record["runs"] if r["init"] == "xavier"])
    assert he_acc > xavier_acc > 0.8
