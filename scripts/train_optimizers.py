"""Compare the optimizers of chapter 9 on MNIST, and two learning-rate schedules, over several seeds.

    python scripts/train_optimizers.py                      # both comparisons, 5 seeds (make train-optimizers)
    python scripts/train_optimizers.py --seeds 1 --iterations 200 --out /tmp/try    # a quick try

The experiment is Saitoh's figure 6-9 (``ch06/optimizer_compare_mnist.py``): a fully connected
network of five layers, 784-100-100-100-100-10, with ReLU after each hidden layer and He initial
weights, trained with the softmax cross-entropy loss on mini-batches of 128 images drawn at random
from the 60,000 non-test MNIST images, for 2000 iterations. His text states no learning rates; we
use the defaults of his optimizer classes where he has them (SGD, Momentum and AdaGrad 0.01, Adam
0.001, momentum 0.9) and 0.001 for RMSprop and Nesterov's 0.01 with momentum 0.9, which his figure
does not have.

Two files, each written atomically into ``--out`` (default ``data/histories/``):

* ``optimizers.json``: SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam at constant rates;
* ``optimizers_schedules.json``: Momentum (lr 0.1, momentum 0.9) with a constant rate, step decay
  (divided by 10 after 50 % and after 75 % of the iterations) and cosine decay to 0
  (:mod:`nnlib.schedules`).

For every run: the mean mini-batch loss of each block of 10 iterations, the loss on a fixed set of
10,000 training images every 100 iterations (and before the first), the test accuracy at the end,
and the seconds it took. With each file: the settings, the seeds, the wall time, nnlib's version.

Fairness: for a given seed every optimizer starts from the same initial weights and sees the same
sequence of mini-batches (the weights come from ``default_rng(seed)``, the batches from
``default_rng([seed, 1])``).
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
from nnlib import optim  # noqa: E402
from nnlib.data import load_mnist  # noqa: E402
from nnlib.files import atomic_write  # noqa: E402
from nnlib.layers import Affine, ReLU, Sequential  # noqa: E402
from nnlib.losses import SoftmaxWithLoss  # noqa: E402
from nnlib.schedules import SCHEDULES  # noqa: E402

HIDDEN = [100, 100, 100, 100]
BATCH_SIZE = 128
ITERATIONS = 2000
LOSS_BLOCK = 10          # iterations per stored mini-batch loss (their mean)
EVAL_EVERY = 100         # iterations between two losses on the fixed training images
EVAL_IMAGES = 10_000

# name -> (optimizer class name in nnlib.optim, keyword arguments)
OPTIMIZERS = {
    "SGD": ("SGD", {"lr": 0.01}),
    "Momentum": ("Momentum", {"lr": 0.01, "momentum": 0.9}),
    "Nesterov": ("Nesterov", {"lr": 0.01, "momentum": 0.9}),
    "AdaGrad": ("AdaGrad", {"lr": 0.01}),
    "RMSprop": ("RMSprop", {"lr": 0.001, "rho": 0.99}),
    "Adam": ("Adam", {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}),
}
SCHEDULE_OPTIMIZER = ("Momentum", {"lr": 0.1, "momentum": 0.9})
SCHEDULE_NAMES = ["constant", "step", "cosine"]


def write_json_atomic(path, data):
    """Write ``data`` as JSON to ``path`` atomically."""
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def build_network(rng):
    """784-100-100-100-100-10 with ReLU and He initial weights, float32."""
    sizes = [784, *HIDDEN, 10]
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Affine(n_in, n_out, rng, init="he", input_grad=k > 0))
        if k < len(sizes) - 2:
            layers.append(ReLU())
    return Sequential(*layers)


def mean_loss(model, loss, x, t, batch=2000):
    """The loss over all of x, computed in batches."""
    total = 0.0
    for i in range(0, len(x), batch):
        total += loss.forward(model.forward(x[i:i + batch]), t[i:i + batch]) * len(x[i:i + batch])
    return total / len(x)


def test_accuracy(model, x, t, batch=2000):
    right = sum(int(np.sum(model.forward(x[i:i + batch]).argmax(axis=1) == t[i:i + batch]))
                for i in range(0, len(x), batch))
    return right / len(x)


def run(optimizer_name, kwargs, schedule, seed, data, iterations, bar):
    """Train one network; return its history as a dict."""
    (x_train, t_train), (x_test, t_test) = data
    x_eval, t_eval = x_train[:EVAL_IMAGES], t_train[:EVAL_IMAGES]
    model = build_network(np.random.default_rng(seed))
    batches = np.random.default_rng([seed, 1])
    loss = SoftmaxWithLoss()
    optimizer = getattr(optim, optimizer_name)(model.parameters(), **kwargs)
    lr0, lr_of = kwargs["lr"], SCHEDULES[schedule]
    block, block_losses, eval_loss = [], [], [round(mean_loss(model, loss, x_eval, t_eval), 5)]
    start = time.perf_counter()
    for t in range(iterations):
        optimizer.lr = lr_of(lr0, t, iterations)
        batch = batches.choice(len(x_train), BATCH_SIZE)
        value = loss.forward(model.forward(x_train[batch], training=True), t_train[batch])
        if not np.isfinite(value):
            raise ArithmeticError(f"{optimizer_name} {kwargs} diverged at iteration {t} (seed {seed})")
        model.backward(loss.backward())
        optimizer.step()
        block.append(value)
        if len(block) == LOSS_BLOCK:
            block_losses.append(round(float(np.mean(block)), 5))
            block = []
        if (t + 1) % EVAL_EVERY == 0:
            eval_loss.append(round(mean_loss(model, loss, x_eval, t_eval), 5))
        bar.update(1)
    seconds = time.perf_counter() - start
    return {"seed": seed, "loss_blocks": block_losses,
            "train_loss": eval_loss, "test_accuracy": test_accuracy(model, x_test, t_test),
            "seconds": round(seconds, 2)}


def compare(title, runs, seeds, iterations, data, out_path, extra):
    """Train every (label, optimizer, kwargs, schedule) in ``runs`` for every seed; save the file."""
    start = time.perf_counter()
    results = {label: [] for label, *_ in runs}
    with tqdm(total=len(runs) * len(seeds) * iterations, desc=title, unit="it",
              mininterval=1.0) as bar:
        for seed in seeds:
            for label, name, kwargs, schedule in runs:
                results[label].append(run(name, kwargs, schedule, seed, data, iterations, bar))
    wall = time.perf_counter() - start
    record = {
        "title": title,
        "command": "python scripts/train_optimizers.py " + " ".join(sys.argv[1:]),
        "network": "784-" + "-".join(map(str, HIDDEN)) + "-10, ReLU, He initial weights, float32",
        "loss": "SoftmaxWithLoss",
        "data": "60,000 non-test MNIST images (Saitoh's split), mini-batches drawn at random with "
                "replacement; test accuracy on the 10,000 test images after the last iteration",
        "batch_size": BATCH_SIZE,
        "iterations": iterations,
        "loss_block": LOSS_BLOCK,
        "eval_every": EVAL_EVERY,
        "eval_images": EVAL_IMAGES,
        "seeds": list(seeds),
        "runs": {label: {"optimizer": name, "settings": kwargs, "schedule": schedule}
                 for label, name, kwargs, schedule in runs},
        "results": results,
        "wall_time_seconds": round(wall, 1),
        "nnlib_version": nnlib.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **extra,
    }
    write_json_atomic(out_path, record)
    print(f"{title}: {wall:.0f} s, saved {out_path}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds 0, 1, ... (default 5)")
    parser.add_argument("--iterations", type=int, default=ITERATIONS, help="default: 2000 (Saitoh)")
    parser.add_argument("--only", choices=("optimizers", "schedules"), default=None,
                        help="run one of the two comparisons (default: both)")
    parser.add_argument("--out", default=str(ROOT / "data" / "histories"),
                        help="output folder (default: data/histories/)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.iterations < EVAL_EVERY:
        parser.error(f"need --seeds >= 1 and --iterations >= {EVAL_EVERY}")
    (x_train, t_train), (x_test, t_test) = load_mnist("saito")
    data = ((x_train, t_train), (x_test, t_test))
    seeds = range(args.seeds)
    out = Path(args.out)
    if args.only in (None, "optimizers"):
        runs = [(label, name, kwargs, "constant") for label, (name, kwargs) in OPTIMIZERS.items()]
        compare("optimizers", runs, seeds, args.iterations, data, out / "optimizers.json",
                {"note": "Saitoh's figure 6-9 with Nesterov and RMSprop added; learning rates are "
                         "the defaults of Saitoh's optimizer classes (0.001 for RMSprop, ours)"})
    if args.only in (None, "schedules"):
        name, kwargs = SCHEDULE_OPTIMIZER
        runs = [(s, name, kwargs, s) for s in SCHEDULE_NAMES]
        compare("schedules", runs, seeds, args.iterations, data, out / "optimizers_schedules.json",
                {"note": "Momentum with three learning-rate schedules from the same starting rate; "
                         "step: x0.1 after 50 % and 75 % of the iterations; cosine: "
                         "lr0 (1 + cos(pi t / T)) / 2"})


if __name__ == "__main__":
    main()
