"""The shipped histories of scripts/train_optimizers.py (chapter 9): well-formed, fair, and they support
the chapter's claims. Also a tiny run of the script itself, so that the file format cannot drift."""
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
HISTORIES = ROOT / "data" / "histories"
sys.path.insert(0, str(ROOT / "scripts"))
import train_optimizers  # noqa: E402

ADAPTIVE = ["AdaGrad", "RMSprop", "Adam"]


def load(name):
    with open(HISTORIES / name) as f:
        return json.load(f)


@pytest.fixture(scope="module", params=["optimizers.json", "optimizers_schedules.json"])
def record(request):
    return load(request.param)


def test_settings_are_recorded(record):
    assert record["batch_size"] == 128 and record["iterations"] == 2000
    assert len(record["seeds"]) >= 3
    assert record["nnlib_version"] and record["wall_time_seconds"] > 0
    assert record["network"].startswith("784-100-100-100-100-10")
    assert record["command"].startswith("python scripts/train_optimizers.py")
    assert set(record["runs"]) == set(record["results"])


def test_every_run_is_complete_and_finite(record):
    blocks = record["iterations"] // record["loss_block"]
    evals = record["iterations"] // record["eval_every"] + 1
    for label, runs in record["results"].items():
        assert [r["seed"] for r in runs] == record["seeds"], label
        for r in runs:
            assert len(r["loss_blocks"]) == blocks, label
            assert len(r["train_loss"]) == evals, label
            assert all(math.isfinite(v) and 0 <= v < 10 for v in r["loss_blocks"] + r["train_loss"])
            assert 0.5 < r["test_accuracy"] <= 1 and r["seconds"] > 0


def test_same_seed_means_same_initial_weights(record):
    # the loss before the first step depends only on the initial weights: equal across the runs
    for k, seed in enumerate(record["seeds"]):
        first = {runs[k]["train_loss"][0] for runs in record["results"].values()}
        assert len(first) == 1, f"seed {seed}: initial losses differ {first}"


def test_the_optimizer_settings_are_the_scripts():
    record = load("optimizers.json")
    assert list(record["runs"]) == list(train_optimizers.OPTIMIZERS)
    for label, (name, kwargs) in train_optimizers.OPTIMIZERS.items():
        assert record["runs"][label] == {"optimizer": name, "settings": kwargs, "schedule": "constant"}


def final(record, label):
    return np.array([r["train_loss"][-1] for r in record["results"][label]])


def test_adaptive_methods_beat_sgd_at_equal_iterations():
    """The chapter's claim: every seed of every adaptive method ends below SGD's best seed."""
    record = load("optimizers.json")
    sgd = final(record, "SGD")
    for name in ADAPTIVE + ["Momentum", "Nesterov"]:
        assert final(record, name).max() < sgd.min(), name
        acc = [r["test_accuracy"] for r in record["results"][name]]
        sgd_acc = [r["test_accuracy"] for r in record["results"]["SGD"]]
        assert np.mean(acc) > np.mean(sgd_acc), name


def test_schedules_settle_lower_than_a_constant_rate():
    record = load("optimizers_schedules.json")
    constant = final(record, "constant")
    for name in ("step", "cosine"):
        assert final(record, name).mean() < constant.mean(), name


def test_script_writes_the_same_format(tmp_path):
    train_optimizers.main(["--seeds", "1", "--iterations", "100", "--only", "schedules",
                           "--out", str(tmp_path)])
    record = json.loads((tmp_path / "optimizers_schedules.json").read_text())
    shipped = load("optimizers_schedules.json")
    assert set(record) == set(shipped)
    assert len(record["results"]["cosine"][0]["loss_blocks"]) == 10
