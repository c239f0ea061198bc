"""scripts/train_best.py, tried small: members trained side by side give the same networks as
members trained one after the other, the history has what chapter 13 and the weights test read,
and an interrupted run can be closed with --finish.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--members", "2", "--epochs", "2", "--train-images", "300", "--no-progress",
         "--max-angle", "8", "--max-scale", "0.08"]


def train(out, *extra, check=True):
    # one thread per member in both modes, so the arithmetic is the same
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", NNLIB_WORKERS="1")
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "train_best.py"), *SMALL,
                           "--out", str(out), *extra], capture_output=True, text=True, env=env,
                          check=check, timeout=600)


@pytest.mark.slow
def test_side_by_side_equals_one_after_the_other(tmp_path):
    train(tmp_path / "two", "--processes", "2", "--note", "a test")
    train(tmp_path / "one", "--processes", "1", "--no-test")
    for k in (1, 2):
        with np.load(tmp_path / "two" / f"best_{k}.npz") as a, np.load(tmp_path / "one" / f"best_{k}.npz") as b:
            assert a.files == b.files
            for name in a.files:
                np.testing.assert_array_equal(a[name], b[name])

    record = json.loads((tmp_path / "two" / "best.json").read_text())
    assert record["status"] == "finished" and record["note"] == "a test"
    assert record["threads"] == {"OPENBLAS_NUM_THREADS": "1", "processes": 2, "nnlib_workers_per_process": 1}
    assert record["weights_files"] == ["best_1.npz", "best_2.npz"]
    assert [m["member"] for m in record["members"]] == [1, 2]
    for m in record["members"]:
        assert len(m["epoch_loss"]) == len(m["epoch_cpu_seconds"]) == len(m["loadavg"]) == 2
        assert 0 <= m["val_acc"] <= 1 and m["weights_file"] == f"best_{m['member']}.npz"
        assert m["lr_end"][-1] < m["lr_end"][0] < 1e-3     # the cosine falls
    assert len(record["ensemble_val_acc"]) == 2
    assert record["ensemble_val_acc"][0] == record["members"][0]["val_acc"]
    assert record["test_evaluations"] == 1 and len(record["member_test_correct"]) == 2
    assert record["test_correct"] + record["test_errors"] == record["test_images"] == 10_000
    # the workers' CPU time is counted (both members trained in other processes)
    epochs_cpu = sum(sum(m["epoch_cpu_seconds"]) for m in record["members"])
    assert record["training_cpu_time_seconds"] >= epochs_cpu
    assert "turned by up to 8 degrees" in record["recipe"]["augmentation"]

    one = json.loads((tmp_path / "one" / "best.json").read_text())
    assert "test_correct" not in one and one["status"] == "finished"


@pytest.mark.slow
def test_finish_closes_an_interrupted_run(tmp_path):
    train(tmp_path, "--processes", "1", "--no-test")
    path = tmp_path / "best.json"
    record = json.loads(path.read_text())
    # as if the run had been stopped during member 2: its last epoch and its file are missing
    record["status"] = "training"
    del record["members"][1]["weights_file"]
    record["members"][1]["epoch_loss"].pop()
    del record["ensemble_val_acc"], record["weights_files"]
    path.write_text(json.dumps(record))
    done = train(tmp_path, "--finish")
    closed = json.loads(path.read_text())
    assert closed["status"] == "finished" and closed["weights_files"] == ["best_1.npz"]
    assert closed["recipe"]["members"] == 1 and closed["recipe"]["members_planned"] == 2
    assert "before members 2 finished" in closed["stopped_early"]
    assert closed["test_evaluations"] == 1 and len(closed["member_test_correct"]) == 1
    assert "test: ensemble of 1" in done.stdout
    again = train(tmp_path, "--finish", check=False)          # a finished run is not closed twice
    assert again.returncode != 0 and "not an interrupted run" in again.stderr


def test_bad_arguments_are_refused(tmp_path):
    for extra, message in ((["--processes", "0"], "at least 1"),
                           (["--max-shift", "1.5", "--max-angle", "0", "--max-scale", "0"], "integer")):
        result = train(tmp_path, *extra, check=False)
        assert result.returncode == 2 and message in result.stderr


def test_the_shipped_recipe_is_the_best_pilot_on_validation():
    # The recipe was chosen on the validation set by single-member pilots (seed [0, 1]); none of
    # them was evaluated on the test set, and the shipped run uses the best 20-epoch pilot's settings.
    weights = ROOT / "data" / "weights"
    pilots = {path.stem: json.loads(path.read_text()) for path in (weights / "best_pilots").glob("*.json")}
    assert len(pilots) == 6
    for name, pilot in pilots.items():
        assert "test_correct" not in pilot and pilot["status"] == "finished", name
        assert len(pilot["members"]) == 1 and pilot["members"][0]["seed"] == [0, 1], name
    long = {name: p for name, p in pilots.items() if p["recipe"]["epochs_per_member"] == 20}
    best = max(long, key=lambda name: long[name]["members"][0]["val_acc"])
    shipped = json.loads((weights / "best.json").read_text())
    assert shipped["recipe"]["augmentation"] == long[best]["recipe"]["augmentation"]
    assert shipped["recipe"]["epochs_per_member"] == 20
    # the shipped member 1 is the pilot's network trained again (same seed, same arithmetic)
    assert shipped["members"][0]["val_acc"] == long[best]["members"][0]["val_acc"]
    assert shipped["members"][0]["epoch_loss"] == long[best]["members"][0]["epoch_loss"]
