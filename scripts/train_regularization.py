"""Chapter 11's MNIST experiments: batch normalisation, overfitting and its cures, a random search.

    python scripts/train_regularization.py                  # everything (make train-regularization)
    python scripts/train_regularization.py --only search    # one part: bn, overfit or search
    python scripts/train_regularization.py --out-dir /tmp/try --quick    # a fast smoke run

Three experiments of Saitoh's chapter 6, with the settings of the scripts that come with his book
(his text states almost none of them). Every network is fully connected, 784 inputs, hidden layers of
100 ReLU units, 10 outputs, SoftmaxWithLoss, plain SGD; weights are He-initialised unless a scale is
given, biases start at 0. Layers are those of :mod:`nnlib.fast` (tested equal to the teaching layers)
and nnlib's BatchNorm and Dropout, in float32.

``bn`` (Saitoh figs. 6-18 and 6-19), ``regularization_bn.json``: 5 hidden layers, with and without
BatchNorm (Affine - BatchNorm - ReLU), initial weights N(0, scale^2) for 16 scales from 1 down to
1e-4 (evenly spaced on a log axis), the first 1,000 training images, SGD lr 0.01, batches of 100,
20 epochs; the training accuracy before training and after every epoch, for each seed.

``overfit`` (figs. 6-20, 6-21, 6-23 and the ensemble of section 6.4.3), ``regularization_overfit.json``:
6 hidden layers, the first 300 training images, SGD lr 0.01, batches of 100, 201 epochs, over a
grid of weight decay lambda x dropout ratio (dropout after every hidden ReLU), seed 0; the three
settings of the figures (nothing, lambda 0.1, dropout 0.15) with more seeds. Before training, after
every 5th epoch and after the last one (``eval_epochs`` in the file), the correct answers on the
300 training images, on the 10,000 test images and, for those three settings, on the 10,000
validation images (training images 50,000 to 59,999, Nielsen's validation set; for early
stopping). Per setting with several seeds, the accuracy of the ensemble that averages the members'
softmax outputs on the test set after the last epoch.

``search`` (section 6.5, fig. 6-24), ``regularization_search.json``: the first 500 training images,
shuffled, 20 % (100) held out for validation, 400 for training; 6 hidden layers; 100 trials with the
learning rate 10^U(-6, -2) and the weight decay 10^U(-8, -4); 50 epochs of batches of 100; training
and validation accuracy after every epoch.

Mini-batches: each epoch is a new random permutation of the training images cut into batches (Saitoh's
scripts draw every batch at random with replacement). Everything is written atomically
(:func:`nnlib.files.atomic_write`) to ``--out-dir`` (default ``data/histories``), with the settings,
the command, the wall time and the versions.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # must happen before NumPy is imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

import nnlib  # noqa: E402
from nnlib.data import load_mnist  # noqa: E402
from nnlib.files import atomic_write  # noqa: E402
from nnlib.functions import softmax  # noqa: E402
from nnlib.losses import SoftmaxWithLoss  # noqa: E402
from nnlib.mlp import relu_mlp  # noqa: E402
from nnlib.optim import SGD  # noqa: E402
from nnlib.train import minibatches, predict  # noqa: E402

# --- the settings of the three experiments -------------------------------------------------------
BN = {"hidden": 5, "n_train": 1000, "lr": 0.01, "batch_size": 100, "epochs": 20,
      "scales": [float(s) for s in np.logspace(0, -4, 16)], "seeds": [0, 1]}
OVERFIT = {"hidden": 6, "n_train": 300, "lr": 0.01, "batch_size": 100, "epochs": 201,
           "eval_every": 5, "lambdas": [0.0, 0.003, 0.01, 0.03, 0.1, 0.3],
           "dropouts": [0.0, 0.05, 0.1, 0.15, 0.25, 0.4],
           "grid_seed": 0, "figures": [[0.0, 0.0], [0.1, 0.0], [0.0, 0.15]], "seeds": [0, 1, 2, 3, 4],
           "validation": [50000, 60000]}
SEARCH = {"hidden": 6, "n_data": 500, "validation_rate": 0.2, "epochs": 50, "batch_size": 100,
          "trials": 100, "lr_exponents": [-6, -2], "wd_exponents": [-8, -4], "seed": 2016}
QUICK = {"bn": {"scales": [1.0, 0.01], "seeds": [0], "epochs": 2},
         "overfit": {"lambdas": [0.0, 0.1], "dropouts": [0.0, 0.15], "seeds": [0, 1], "epochs": 6},
         "search": {"trials": 3, "epochs": 2}}


def build(rng, hidden, *, init="he", batchnorm=False, dropout=0.0):
    """784 - 100 x hidden - 10: Affine [- BatchNorm] - ReLU [- Dropout] per hidden layer (nnlib.mlp.relu_mlp)."""
    return relu_mlp([784] + [100] * hidden + [10], rng, init=init, batchnorm=batchnorm, dropout=dropout)


def correct(model, x, t):
    """How many of the images x the model classifies as t (evaluation mode)."""
    return int(np.count_nonzero(predict(model, x).argmax(axis=1) == t))


def train_epoch(model, optimizer, x, t, batch_size, rng):
    """One epoch of SGD; returns False if the loss stopped being finite."""
    loss = SoftmaxWithLoss()
    for batch in minibatches(len(x), batch_size, rng):
        value = loss.forward(model.forward(x[batch], training=True), t[batch])
        if not np.isfinite(value):
            return False
        model.backward(loss.backward())
        optimizer.step()
    return True


# --- batch normalisation ------------------------------------------------------------------------
def run_bn(scale, batchnorm, seed, data, *, epochs=BN["epochs"]):
    """Training accuracy (correct of n_train) before training and after every epoch."""
    x, t = data
    rng = np.random.default_rng(seed)
    model = build(rng, BN["hidden"], init=scale, batchnorm=batchnorm)
    optimizer = SGD(model.parameters(), lr=BN["lr"])
    counts = [correct(model, x, t)]
    for _ in range(epochs):
        with np.errstate(all="ignore"):
            if not train_epoch(model, optimizer, x, t, BN["batch_size"], rng):
                break
            counts.append(correct(model, x, t))
    return {"scale": scale, "batchnorm": batchnorm, "seed": seed, "train_correct": counts}


# --- overfitting ----------------------------------------------------------------------------------
def eval_epochs(epochs, every):
    """The epochs after which the accuracies are measured: 0 (before training), every ``every``-th, the last."""
    return sorted(set(range(0, epochs + 1, every)) | {epochs})


def run_overfit(lam, dropout, seed, data, *, epochs=OVERFIT["epochs"], validation=False, keep_scores=False):
    """Correct answers on the training, test (and validation) images at the epochs of eval_epochs."""
    (x, t), (x_test, t_test), (x_val, t_val) = data
    rng = np.random.default_rng(seed)
    model = build(rng, OVERFIT["hidden"], dropout=dropout)
    optimizer = SGD(model.parameters(), lr=OVERFIT["lr"], weight_decay=lam)
    result = {"lambda": lam, "dropout": dropout, "seed": seed, "train_correct": [], "test_correct": []}
    if validation:
        result["val_correct"] = []
    measure = eval_epochs(epochs, OVERFIT["eval_every"])
    for epoch in range(epochs + 1):
        if epoch > 0 and not train_epoch(model, optimizer, x, t, OVERFIT["batch_size"], rng):
            raise ArithmeticError(f"lambda {lam}, dropout {dropout}, seed {seed} diverged")
        if epoch in measure:
            result["train_correct"].append(correct(model, x, t))
            result["test_correct"].append(correct(model, x_test, t_test))
            if validation:
                result["val_correct"].append(correct(model, x_val, t_val))
    if keep_scores:
        return result, predict(model, x_test)
    return result


# --- random search --------------------------------------------------------------------------------
def search_split(x, t, seed=SEARCH["seed"]):
    """The first n_data training images, shuffled by ``seed``, as (train, validation): 400 and 100."""
    x, t = x[:SEARCH["n_data"]], t[:SEARCH["n_data"]]
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = int(len(x) * SEARCH["validation_rate"])
    val, train = order[:n_val], order[n_val:]
    return (x[train], t[train]), (x[val], t[val])


def sample_trials(trials, seed=SEARCH["seed"]):
    """(lr, weight decay) of every trial, log-uniform in the ranges of SEARCH."""
    rng = np.random.default_rng([seed, 1])
    lr = 10.0 ** rng.uniform(*SEARCH["lr_exponents"], size=trials)
    wd = 10.0 ** rng.uniform(*SEARCH["wd_exponents"], size=trials)
    return [(float(a), float(b)) for a, b in zip(lr, wd)]


def run_trial(k, lr, wd, split, *, epochs=SEARCH["epochs"]):
    (x, t), (x_val, t_val) = split
    rng = np.random.default_rng([SEARCH["seed"], 2, k])
    model = build(rng, SEARCH["hidden"])
    optimizer = SGD(model.parameters(), lr=lr, weight_decay=wd)
    result = {"trial": k, "lr": lr, "weight_decay": wd, "train_correct": [], "val_correct": []}
    for _ in range(epochs):
        if not train_epoch(model, optimizer, x, t, SEARCH["batch_size"], rng):
            raise ArithmeticError(f"trial {k} (lr {lr}, weight decay {wd}) diverged")
        result["train_correct"].append(correct(model, x, t))
        result["val_correct"].append(correct(model, x_val, t_val))
    return result


# --- main -----------------------------------------------------------------------------------------
def write(path, record, start, argv):
    record.update({
        "command": "python scripts/train_regularization.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "network": "784 - hidden layers of 100 ReLU units - 10, SoftmaxWithLoss, SGD, float32 "
                   "(nnlib.fast Affine and ReLU, nnlib.layers BatchNorm and Dropout)",
        "wall_seconds": round(time.perf_counter() - start, 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "versions": {"nnlib": nnlib.__version__, "numpy": np.__version__, "python": platform.python_version()},
    })
    with atomic_write(path, "w") as f:
        json.dump(record, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({record['wall_seconds']:.0f} s)", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["bn", "overfit", "search"], action="append",
                        help="run only this part (may be repeated); default: all three")
    parser.add_argument("--out-dir", default=str(ROOT / "data" / "histories"))
    parser.add_argument("--quick", action="store_true", help="tiny settings, for a smoke test")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    parts = args.only or ["bn", "overfit", "search"]
    out = Path(args.out_dir)
    quiet = args.no_progress
    (x_all, t_all), (x_test, t_test) = load_mnist("saito")

    if "bn" in parts:
        s = dict(BN, **(QUICK["bn"] if args.quick else {}))
        start, runs = time.perf_counter(), []
        data = (x_all[:s["n_train"]], t_all[:s["n_train"]])
        jobs = [(sc, bn, seed) for seed in s["seeds"] for sc in s["scales"] for bn in (True, False)]
        for sc, bn, seed in tqdm(jobs, desc="batchnorm", disable=quiet):
            runs.append(run_bn(sc, bn, seed, data, epochs=s["epochs"]))
        write(out / "regularization_bn.json",
              {"experiment": "Saitoh figs. 6-18 and 6-19: with and without BatchNorm across initial weight scales",
               "settings": s, "runs": runs}, start, argv)

    if "overfit" in parts:
        s = dict(OVERFIT, **(QUICK["overfit"] if args.quick else {}))
        start, runs, ensembles = time.perf_counter(), [], []
        lo, hi = s["validation"]
        data = ((x_all[:s["n_train"]], t_all[:s["n_train"]]), (x_test, t_test), (x_all[lo:hi], t_all[lo:hi]))
        figures = [tuple(f) for f in s["figures"]]
        jobs = [(lam, p, s["grid_seed"]) for lam in s["lambdas"] for p in s["dropouts"]]
        jobs += [(lam, p, seed) for lam, p in figures for seed in s["seeds"] if seed != s["grid_seed"]]
        scores = {}
        for lam, p, seed in tqdm(jobs, desc="overfitting", disable=quiet):
            result, out_scores = run_overfit(lam, p, seed, data, epochs=s["epochs"],
                                             validation=(lam, p) in figures, keep_scores=True)
            runs.append(result)
            if (lam, p) in figures:
                scores.setdefault((lam, p), []).append(softmax(out_scores.astype(np.float64)))
        for (lam, p), members in scores.items():
            mean = np.mean(members, axis=0)
            ensembles.append({"lambda": lam, "dropout": p, "seeds": s["seeds"],
                              "members_test_correct": [int(np.count_nonzero(m.argmax(axis=1) == t_test))
                                                       for m in members],
                              "ensemble_test_correct": int(np.count_nonzero(mean.argmax(axis=1) == t_test))})
        write(out / "regularization_overfit.json",
              {"experiment": "Saitoh figs. 6-20, 6-21 and 6-23: 300 training images, weight decay and dropout",
               "settings": s, "eval_epochs": eval_epochs(s["epochs"], s["eval_every"]),
               "n_test": len(t_test), "n_val": hi - lo, "runs": runs,
               "ensembles": ensembles}, start, argv)

    if "search" in parts:
        s = dict(SEARCH, **(QUICK["search"] if args.quick else {}))
        start = time.perf_counter()
        split = search_split(x_all, t_all, s["seed"])
        trials = sample_trials(s["trials"], s["seed"])
        runs = [run_trial(k, lr, wd, split, epochs=s["epochs"])
                for k, (lr, wd) in enumerate(tqdm(trials, desc="random search", disable=quiet))]
        write(out / "regularization_search.json",
              {"experiment": "Saitoh section 6.5 (fig. 6-24): random search of learning rate and weight decay",
               "settings": s, "n_train": len(split[0][1]), "n_val": len(split[1][1]), "runs": runs},
              start, argv)


if __name__ == "__main__":
    main()
