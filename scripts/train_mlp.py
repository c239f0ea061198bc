"""Train Nielsen's fully connected networks on MNIST and save what chapter 7 loads.

    python scripts/train_mlp.py all                       # everything below (about 1.5 hours of CPU time)
    python scripts/train_mlp.py quadratic30 --seeds 1 2   # one experiment, two seeds
    python scripts/train_mlp.py grid --epochs 2 --out /tmp/try    # a quick try

The experiments (Nielsen's sections 1.6 and 3.x; the numbers in brackets are his):

* ``quadratic30``: [784, 30, 10], sigmoid everywhere, quadratic cost, N(0, 1) weights and biases,
  learning rate eta = 3.0, mini-batches of 10, 30 epochs (95.42 % peak, the best of his 3 runs);
* ``quadratic100``: the same with 100 hidden neurons (96.59 %);
* ``eta-small``: [784, 100, 10] with eta = 0.001 (11.39 % after the first epoch, 21.42 % after 30);
* ``eta-large``: [784, 30, 10] with eta = 100 (about 10 % throughout);
* ``ce-sigmoid``: [784, 100, 10], sigmoid outputs with the cross-entropy cost and L2 regularisation,
  eta = 0.1, lambda = 5.0, mini-batches of 10, 60 epochs (98.04 %);
* ``ce-softmax``: the same with a softmax output layer and the log-likelihood cost;
* ``ce-softmax-xavier``: ``ce-softmax`` with the weights drawn from N(0, 1/n_in) instead of N(0, 1)
  (Nielsen's improved initialisation of his section 3.3; the biases stay N(0, 1));
* ``grid``: the quadratic-cost network for every learning rate in ``GRID_LRS`` and hidden layer in
  ``GRID_HIDDEN`` (30 epochs, seed 1), for the chapter's slider. Three points of the grid are runs
  of the experiments above with the same settings and seed (``GRID_SAME_AS``), which are not
  repeated; ``--grid-hidden`` and ``--grid-lrs`` select a part of the grid (to run it in pieces).

Conventions, the same as Nielsen's: the quadratic cost of a mini-batch of m images is
(1/m) sum_x 0.5 ||y(x) - a||^2 and the cross-entropy (1/m) sum_x sum_j [...]; the update is
w <- w - eta * (gradient of that mean), i.e. nnlib's SGD with lr = eta. Nielsen's L2 term
(lambda / 2n) sum w^2 with n = 50,000 training images becomes ``weight_decay = lambda / n``, so every
step multiplies each weight by 1 - eta * lambda / n (biases are not decayed, as in his network2.py).

Data: Nielsen's split. The networks train on the 50,000 training images. After every epoch the
script records the mean training loss of the epoch, the accuracy on the 50,000 training images, on
the 10,000 validation images and on the 10,000 test images (Nielsen printed the test accuracy after
every epoch and quotes the best one; we record all of them so that the chapter can show both), and
the seconds the epoch took.

Output (default ``data/``), every file written atomically with :func:`nnlib.files.atomic_write`:

* ``histories/mlp_<experiment>_seed<k>.json`` (grid: ``mlp_grid_h<hidden>_lr<eta>.json``): the
  settings, the seed, per-epoch histories, wall time, nnlib/NumPy/Python versions;
* ``weights/mlp_<experiment>_seed<k>.npz``: the final float32 weights, only for the runs listed in
  ``KEEP_WEIGHTS`` (the chapter and the tests need those; the rest would only make data/ bigger).
  Their history also holds ``final_test_correct_float64``: the number of test images the saved
  weights classify correctly, evaluated in float64 (the tests check it).

Every random choice (initial weights, shuffling) comes from the seed. The script asks OpenBLAS for
one thread (``OPENBLAS_NUM_THREADS=1``) unless the variable is already set: these networks are small,
and two processes on two cores are faster than one with two threads.
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

import nnlib  # noqa: E402
from nnlib.data import load_mnist  # noqa: E402
from nnlib.files import atomic_write  # noqa: E402
from nnlib.losses import MeanSquaredError, SigmoidCrossEntropy, SoftmaxWithLoss  # noqa: E402
from nnlib.mlp import count_correct, load_mlp, near_ties, nielsen_mlp, scores  # noqa: E402
from nnlib.models import save_weights  # noqa: E402
from nnlib.optim import SGD  # noqa: E402
from nnlib.train import DivergenceError, accuracy, fit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
N_TRAIN = 50_000

# name: (hidden, cost, output, eta, lambda, epochs, description)
EXPERIMENTS = {
    "quadratic30": (30, "quadratic", "sigmoid", 3.0, 0.0, 30,
                    "[784, 30, 10], quadratic cost, eta 3.0 (Nielsen 95.42 %, best of 3 runs)"),
    "quadratic100": (100, "quadratic", "sigmoid", 3.0, 0.0, 30,
                     "[784, 100, 10], quadratic cost, eta 3.0 (Nielsen 96.59 %)"),
    "eta-small": (100, "quadratic", "sigmoid", 0.001, 0.0, 30,
                  "[784, 100, 10], quadratic cost, eta 0.001 (Nielsen 11.39 % -> 21.42 %)"),
    "eta-large": (30, "quadratic", "sigmoid", 100.0, 0.0, 30,
                  "[784, 30, 10], quadratic cost, eta 100 (Nielsen about 10 %)"),
    "ce-sigmoid": (100, "cross-entropy", "sigmoid", 0.1, 5.0, 60,
                   "[784, 100, 10], sigmoid outputs, cross-entropy + L2, eta 0.1, lambda 5.0 "
                   "(Nielsen 98.04 %)"),
    "ce-softmax": (100, "log-likelihood", "softmax", 0.1, 5.0, 60,
                   "[784, 100, 10], softmax outputs, log-likelihood + L2, eta 0.1, lambda 5.0"),
    "ce-softmax-xavier": (100, "log-likelihood", "softmax", 0.1, 5.0, 60,
                          "[784, 100, 10], softmax outputs, log-likelihood + L2, eta 0.1, lambda 5.0, "
                          "weights N(0, 1/n_in) (Nielsen's improved initialisation, his section 3.3)"),
}
# Initial weights: N(0, 1) everywhere except where listed ("xavier": N(0, 1/n_in), biases still N(0, 1)).
INIT = {"ce-softmax-xavier": "xavier"}
DEFAULT_SEEDS = {"quadratic30": list(range(1, 11)), "quadratic100": list(range(1, 11))}
GRID_LRS = [0.1, 0.5, 3.0, 20.0, 100.0]
GRID_HIDDEN = [10, 30, 100]
GRID_EPOCHS = 30
# grid points that are exactly an experiment above (seed 1): the chapter reads those histories
GRID_SAME_AS = {(30, 3.0): "quadratic30", (100, 3.0): "quadratic100", (30, 100.0): "eta-large"}
# The weights the chapter and the tests load: the first seed of the first two experiments (not the
# best one) and the two cross-entropy networks.
KEEP_WEIGHTS = {("quadratic30", 1), ("quadratic100", 1), ("ce-sigmoid", 1), ("ce-softmax", 1),
                ("ce-softmax-xavier", 1)}
ORDER = ["quadratic30", "quadratic100", "eta-small", "eta-large", "ce-sigmoid", "ce-softmax",
         "ce-softmax-xavier", "grid"]


def write_json_atomic(path, data):
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def make_loss(cost):
    return {"quadratic": MeanSquaredError, "cross-entropy": SigmoidCrossEntropy,
            "log-likelihood": SoftmaxWithLoss}[cost]()


def run(stem, *, hidden, cost, output, eta, lmbda, epochs, seed, data, out_dir, keep_weights,
        description, init=1.0, progress=True):
    """Train one network, write its history (and weights if asked); return the history dict."""
    (x_train, t_train), (x_val, t_val), (x_test, t_test) = data
    rng = np.random.default_rng(seed)
    model = nielsen_mlp([784, hidden, 10], rng, output="sigmoid" if cost == "quadratic" else "scores",
                        init=init)
    loss = make_loss(cost)
    optimizer = SGD(model.parameters(), lr=eta, weight_decay=lmbda / N_TRAIN)
    record = {
        "experiment": stem, "description": description, "seed": seed,
        "settings": {"sizes": [784, hidden, 10], "hidden_activation": "sigmoid", "output": output,
                     "cost": cost, "eta": eta, "lambda": lmbda, "weight_decay": lmbda / N_TRAIN,
                     "batch_size": 10, "epochs": epochs, "init": ("N(0, 1) weights and biases" if init == 1.0 else
                              "N(0, 1/n_in) weights, N(0, 1) biases"),
                     "dtype": "float32", "train_images": len(x_train)},
        "epoch_loss": [], "train_acc": [], "val_acc": [], "test_acc": [], "test_correct": [],
        "epoch_seconds": [], "diverged_at_epoch": None,
    }
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=f"{stem} seed {seed}", unit="epoch", disable=not progress,
               mininterval=2.0, file=sys.stderr)
    for epoch in bar:
        try:
            one = fit(model, loss, optimizer, x_train, t_train, epochs=1, batch_size=10, rng=rng,
                      validation=(x_val, t_val), train_accuracy=True, progress=False)
        except DivergenceError:
            record["diverged_at_epoch"] = epoch + 1
            print(f"{stem} seed {seed}: diverged in epoch {epoch + 1}", flush=True)
            break
        correct = int(round(accuracy(model, x_test, t_test) * len(x_test)))
        record["epoch_loss"].append(float(np.mean(one.loss)))
        record["train_acc"].append(one.train_acc[0])
        record["val_acc"].append(one.val_acc[0])
        record["test_acc"].append(correct / len(x_test))
        record["test_correct"].append(correct)
        record["epoch_seconds"].append(one.seconds[0])
        bar.set_postfix(val=f"{one.val_acc[0]:.4f}", test=f"{correct / len(x_test):.4f}", refresh=False)
    bar.close()
    wall = time.perf_counter() - start
    record["wall_time_seconds"] = wall
    if record["test_acc"]:
        best = int(np.argmax(record["test_acc"]))
        print(f"{stem} seed {seed}: final test {record['test_acc'][-1]:.4f}, best test "
              f"{record['test_acc'][best]:.4f} (epoch {best + 1}), final validation "
              f"{record['val_acc'][-1]:.4f}, {wall:.0f} s", flush=True)
    if keep_weights and record["diverged_at_epoch"] is None:
        weights = out_dir / "weights" / f"mlp_{stem}_seed{seed}.npz"
        save_weights(model, weights)
        reloaded = load_mlp(weights)            # float64 from the saved float32 numbers
        s = scores(reloaded, x_test)
        record["weights_file"] = f"weights/{weights.name}"
        record["final_test_correct_float64"] = count_correct(reloaded, x_test, t_test)
        record["final_test_near_ties"] = near_ties(s)
    record.update({
        "nnlib_version": nnlib.__version__, "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "threads": {"OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")},
        "command": "python scripts/train_mlp.py " + " ".join(sys.argv[1:]),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    })
    name = f"mlp_{stem}_seed{seed}.json" if not stem.startswith("grid") else f"mlp_{stem}.json"
    write_json_atomic(out_dir / "histories" / name, record)
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", nargs="+", choices=ORDER + ["all"],
                        help="which experiments to run ('all': every one, in the order listed)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds (default: 1-10 for quadratic30 and quadratic100, 1 for the rest)")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    parser.add_argument("--grid-hidden", type=int, nargs="+", default=GRID_HIDDEN,
                        help=f"grid: the hidden layer sizes (default {GRID_HIDDEN})")
    parser.add_argument("--grid-lrs", type=float, nargs="+", default=GRID_LRS,
                        help=f"grid: the learning rates (default {GRID_LRS})")
    parser.add_argument("--out", default=str(ROOT / "data"), help="output folder (default: data/)")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    args = parser.parse_args(argv)
    names = ORDER if "all" in args.experiments else [e for e in ORDER if e in args.experiments]
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    out_dir = Path(args.out)
    data = load_mnist("nielsen")
    total = time.perf_counter()
    for name in names:
        if name == "grid":
            for hidden in args.grid_hidden:
                for eta in args.grid_lrs:
                    if (hidden, eta) in GRID_SAME_AS:
                        continue
                    run(f"grid_h{hidden}_lr{eta:g}", hidden=hidden, cost="quadratic", output="sigmoid",
                        eta=eta, lmbda=0.0, epochs=args.epochs or GRID_EPOCHS, seed=1, data=data,
                        out_dir=out_dir, keep_weights=False, progress=args.progress,
                        description=f"[784, {hidden}, 10], quadratic cost, eta {eta:g} (slider grid)")
            continue
        hidden, cost, output, eta, lmbda, epochs, description = EXPERIMENTS[name]
        for seed in args.seeds or DEFAULT_SEEDS.get(name, [1]):
            run(name, hidden=hidden, cost=cost, output=output, eta=eta, lmbda=lmbda,
                epochs=args.epochs or epochs, seed=seed, data=data, out_dir=out_dir,
                keep_weights=(name, seed) in KEEP_WEIGHTS, description=description,
                init=INIT.get(name, 1.0), progress=args.progress)
    print(f"all done in {(time.perf_counter() - total) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
