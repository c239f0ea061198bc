"""The shipped histories of scripts/train_regularization.py (chapter 11): well-formed, made with the
script's settings, supporting the chapter's claims, and reproduced from scratch in part."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from nnlib.checks.ch11 import GAP_ANSWER, GAP_CHOICES
from nnlib.data import load_mnist

ROOT = Path(__file__).resolve().parents[1]
HISTORIES = ROOT / "data" / "histories"
sys.path.insert(0, str(ROOT / "scripts"))
import train_regularization as script  # noqa: E402


def load(name):
    path = HISTORIES / f"regularization_{name}.json"
    assert path.exists(), f"{path} is missing: run `make train-regularization`"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def bn():
    return load("bn")


@pytest.fixture(scope="module")
def overfit():
    return load("overfit")


@pytest.fixture(scope="module")
def search():
    return load("search")


@pytest.fixture(scope="module")
def mnist():
    return load_mnist("saito")


@pytest.mark.parametrize("name, settings", [("bn", script.BN), ("overfit", script.OVERFIT),
                                            ("search", script.SEARCH)])
def test_settings_are_the_scripts(name, settings):
    record = load(name)
    assert record["settings"] == json.loads(json.dumps(settings))
    assert record["command"].startswith("python scripts/train_regularization.py")
    assert record["wall_seconds"] > 0 and all(record["versions"].values())


# --- batch normalisation ---------------------------------------------------------------------------

def test_bn_one_run_per_scale_setting_and_seed(bn):
    s = bn["settings"]
    keys = sorted((r["scale"], r["batchnorm"], r["seed"]) for r in bn["runs"])
    assert keys == sorted((sc, b, seed) for sc in s["scales"] for b in (True, False) for seed in s["seeds"])
    for r in bn["runs"]:
        counts = r["train_correct"]
        assert 1 <= len(counts) <= s["epochs"] + 1
        assert all(0 <= c <= s["n_train"] for c in counts)
        if len(counts) < s["epochs"] + 1:      # only the plain network at large scales may diverge
            assert not r["batchnorm"] and r["scale"] > 0.5, (r["scale"], r["batchnorm"])


def test_bn_all_runs_of_a_seed_start_alike(bn):
    # zero biases: scaling every weight of a ReLU network (with or without BatchNorm in evaluation
    # mode at the start) does not change which output is largest
    for seed in bn["settings"]["seeds"]:
        assert len({r["train_correct"][0] for r in bn["runs"] if r["seed"] == seed}) == 1


def bn_final(bn, scale, with_bn):
    return np.mean([r["train_correct"][-1] if len(r["train_correct"]) == bn["settings"]["epochs"] + 1 else 0
                    for r in bn["runs"] if r["scale"] == scale and r["batchnorm"] == with_bn])


def test_bn_learns_where_the_plain_network_is_stuck(bn):
    n = bn["settings"]["n_train"]
    small = [sc for sc in bn["settings"]["scales"] if 1.5e-3 < sc < 0.03]
    assert len(small) >= 4
    for sc in small:
        assert bn_final(bn, sc, False) < 0.2 * n          # stuck at the start
        assert bn_final(bn, sc, True) > 0.85 * n          # BatchNorm learns
    assert sum(bn_final(bn, sc, True) > bn_final(bn, sc, False) for sc in bn["settings"]["scales"]) >= 12


# --- overfitting ------------------------------------------------------------------------------------

def test_overfit_runs_are_complete(overfit):
    s = overfit["settings"]
    assert overfit["eval_epochs"] == script.eval_epochs(s["epochs"], s["eval_every"])
    assert overfit["eval_epochs"][0] == 0 and overfit["eval_epochs"][-1] == 201
    keys = sorted((r["lambda"], r["dropout"], r["seed"]) for r in overfit["runs"])
    expected = {(lam, p, s["grid_seed"]) for lam in s["lambdas"] for p in s["dropouts"]}
    expected |= {(lam, p, seed) for lam, p in s["figures"] for seed in s["seeds"]}
    assert keys == sorted(expected)
    figures = [tuple(f) for f in s["figures"]]
    for r in overfit["runs"]:
        assert len(r["train_correct"]) == len(r["test_correct"]) == len(overfit["eval_epochs"])
        assert all(0 <= c <= s["n_train"] for c in r["train_correct"])
        assert all(0 <= c <= overfit["n_test"] for c in r["test_correct"])
        assert ("val_correct" in r) == ((r["lambda"], r["dropout"]) in figures)


def figure_runs(overfit, lam, p):
    runs = [r for r in overfit["runs"] if (r["lambda"], r["dropout"]) == (lam, p)]
    train = np.array([r["train_correct"][-1] for r in runs]) / overfit["settings"]["n_train"]
    test = np.array([r["test_correct"][-1] for r in runs]) / overfit["n_test"]
    return train, test


def test_overfitting_and_its_cures(overfit):
    train, test = figure_runs(overfit, 0.0, 0.0)
    assert np.all(train == 1.0) and np.all(test < 0.85)          # Saitoh fig. 6-20
    gap = train - test
    decay_train, decay_test = figure_runs(overfit, 0.1, 0.0)
    assert np.all(decay_train < 1.0) and (decay_train - decay_test).max() < gap.min()   # fig. 6-21
    drop_train, drop_test = figure_runs(overfit, 0.0, 0.15)
    assert (drop_train - drop_test).mean() < gap.mean()            # fig. 6-23


def test_the_prediction_checker_matches_the_data(overfit):
    train, test = figure_runs(overfit, 0.0, 0.0)
    gap = 100 * np.mean(train - test)
    assert min(GAP_CHOICES, key=lambda c: abs(float(c) - gap)) == GAP_ANSWER


def test_the_strongest_regularisation_has_the_smallest_gap(overfit):
    s = overfit["settings"]
    grid = {(r["lambda"], r["dropout"]): r["train_correct"][-1] / s["n_train"]
            - r["test_correct"][-1] / overfit["n_test"]
            for r in overfit["runs"] if r["seed"] == s["grid_seed"]}
    strongest_lam, strongest_p = s["lambdas"][-1], s["dropouts"][-1]
    for lam in s["lambdas"]:              # along every row, the largest dropout ratio: no larger gap
        assert grid[lam, strongest_p] <= grid[lam, 0.0]
    for p in s["dropouts"]:               # along every column, the largest lambda: no larger gap
        assert grid[strongest_lam, p] <= grid[0.0, p]
    assert grid[strongest_lam, 0.0] < grid[0.0, 0.0] / 2 and grid[0.0, strongest_p] < grid[0.0, 0.0] / 2


def test_ensembles_beat_their_best_member(overfit):
    assert len(overfit["ensembles"]) == len(overfit["settings"]["figures"])
    for e in overfit["ensembles"]:
        assert len(e["members_test_correct"]) == len(overfit["settings"]["seeds"])
        assert e["ensemble_test_correct"] > max(e["members_test_correct"])


# --- random search --------------------------------------------------------------------------------

def test_search_trials(search):
    s = search["settings"]
    assert (search["n_train"], search["n_val"]) == (400, 100)
    assert len(search["runs"]) == s["trials"] == 100
    pairs = [(r["lr"], r["weight_decay"]) for r in search["runs"]]
    assert pairs == script.sample_trials(s["trials"], s["seed"])
    for r in search["runs"]:
        assert 1e-6 <= r["lr"] <= 1e-2 and 1e-8 <= r["weight_decay"] <= 1e-4
        assert len(r["train_correct"]) == len(r["val_correct"]) == s["epochs"]
    best = max(search["runs"], key=lambda r: r["val_correct"][-1])
    assert best["lr"] > 1e-3 and best["val_correct"][-1] >= 70


# --- reproduced from scratch ------------------------------------------------------------------------
# Another BLAS kernel adds float32 numbers in another order, so a count may move by an image or two.

def test_a_search_trial_is_reproduced(search, mnist):
    (x, t), _ = mnist
    best = max(search["runs"], key=lambda r: r["val_correct"][-1])
    again = script.run_trial(best["trial"], best["lr"], best["weight_decay"], script.search_split(x, t))
    assert np.abs(np.array(again["val_correct"]) - best["val_correct"]).max() <= 2
    assert np.abs(np.array(again["train_correct"]) - best["train_correct"]).max() <= 4


def test_the_first_20_epochs_of_a_dropout_run_are_reproduced(overfit, mnist):
    (x, t), (x_test, t_test) = mnist
    lo, hi = overfit["settings"]["validation"]
    data = ((x[:300], t[:300]), (x_test, t_test), (x[lo:hi], t[lo:hi]))
    saved = next(r for r in overfit["runs"] if (r["lambda"], r["dropout"], r["seed"]) == (0.0, 0.15, 1))
    again = script.run_overfit(0.0, 0.15, 1, data, epochs=20, validation=True)
    k = len(again["test_correct"])                       # evaluations at epochs 0, 5, 10, 15, 20
    assert k == 5
    for key, tolerance in [("train_correct", 2), ("test_correct", 10), ("val_correct", 10)]:
        assert np.abs(np.array(again[key]) - saved[key][:k]).max() <= tolerance, key


def test_a_batchnorm_run_is_reproduced(bn, mnist):
    (x, t), _ = mnist
    scale = bn["settings"]["scales"][8]
    saved = next(r for r in bn["runs"] if (r["scale"], r["batchnorm"], r["seed"]) == (scale, True, 0))
    again = script.run_bn(scale, True, 0, (x[:1000], t[:1000]))
    assert np.abs(np.array(again["train_correct"]) - saved["train_correct"]).max() <= 5


def test_script_writes_the_same_format(tmp_path):
    script.main(["--quick", "--no-progress", "--out-dir", str(tmp_path)])
    for name in ("bn", "overfit", "search"):
        record = json.loads((tmp_path / f"regularization_{name}.json").read_text())
        assert set(record) == set(load(name)), name
        assert set(record["runs"][0]) <= set().union(*(set(r) for r in load(name)["runs"]))
