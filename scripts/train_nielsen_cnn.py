"""Train Nielsen's convolutional networks C1, C2 and C3 (his chapter 6) and save their histories.

    python scripts/train_nielsen_cnn.py                   # the shipped run (make train-nielsen-cnn)
    python scripts/train_nielsen_cnn.py C1 --epochs 1 --out /tmp/try    # a quick try

Nielsen's settings (``network3.py``), kept as they are: the 50,000 / 10,000 / 10,000 split,
mini-batches of 10, plain SGD, softmax output with the log-likelihood cost (``SoftmaxWithLoss``),
network3's initialisation (:class:`nnlib.models.NielsenConvNet`, ``init="network3"``):

* C1: conv-pool 20 maps of 5x5 -> fully connected 100 -> softmax 10, sigmoid, eta 0.1
* C2: C1 with a second conv-pool layer of 40 maps, sigmoid, eta 0.1
* C3: C2 with ReLU everywhere, eta 0.03, L2 with network3's lmbda 0.1

The one change is the budget. Nielsen trains each network for 60 epochs (and runs each three times,
reporting the best); on 2 shared CPU cores we train each once, for ``--epochs`` (default 15)
epochs. His rule picks the reported number: the test accuracy at the epoch of the best validation
accuracy, so we measure the test accuracy after every epoch (as ``network3`` does) and report the
one at the best validation epoch.

network3's L2 term is ``0.5 * lmbda * sum(w**2) / num_training_batches`` added to the mean cost
of a mini-batch, so its gradient is ``lmbda / 5000 * w`` per step: ``weight_decay = lmbda / 5000``
in :class:`nnlib.optim.SGD` (weights only, no biases, as in network3).

Output (``--out``, default ``data/``), each file written atomically:

* ``histories/nielsen_cnn_<C>.json``: settings, per epoch the mean training loss, validation and
  test accuracy and seconds; the mean loss of every 500 iterations; the best validation epoch,
  the test accuracy there (with the number of correct answers) and Nielsen's number beside it;
  wall time and library versions.
* ``weights/nielsen_cnn_<C>.npz``: the float32 weights at the best validation epoch
  (:func:`nnlib.models.load_weights`); ``tests/test_nielsen_cnn_histories.py`` checks that they
  give the recorded test accuracy.

Every random choice (initial weights, shuffling) comes from ``--seed``. The layers are those of
:mod:`nnlib.fast` (tested equal to the teaching ones), in float32. As in ``train_cnn.py``, OpenBLAS
gets one thread unless ``OPENBLAS_NUM_THREADS`` is set, because nnlib's convolutions use two
threads of their own.
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

ROOT = Path(__file__).resolve().parent.parent

import nnlib  # noqa: E402
from nnlib.data import load_mnist  # noqa: E402
from nnlib.files import atomic_write  # noqa: E402
from nnlib.losses import SoftmaxWithLoss  # noqa: E402
from nnlib.models import NielsenConvNet, save_weights  # noqa: E402
from nnlib.optim import SGD  # noqa: E402
from nnlib.train import accuracy, fit  # noqa: E402

#: Nielsen's experiments: the network, his learning rate and lmbda, and his test accuracy (60 epochs).
EXPERIMENTS = {
    "C1": {"conv_maps": [20], "activation": "sigmoid", "eta": 0.1, "lmbda": 0.0, "nielsen": 0.9878},
    "C2": {"conv_maps": [20, 40], "activation": "sigmoid", "eta": 0.1, "lmbda": 0.0, "nielsen": 0.9906},
    "C3": {"conv_maps": [20, 40], "activation": "relu", "eta": 0.03, "lmbda": 0.1, "nielsen": 0.9923},
}
NIELSEN_EPOCHS = 60
LOSS_BLOCK = 500          # the history keeps the mean loss of every LOSS_BLOCK iterations


def run(name, data, *, epochs, seed, batch_size, out_dir, progress, argv):
    spec = EXPERIMENTS[name]
    (x_train, t_train), (x_val, t_val), (x_test, t_test) = data
    batches_per_epoch = -(-len(x_train) // batch_size)
    rng = np.random.default_rng(seed)
    model = NielsenConvNet(rng, conv_maps=tuple(spec["conv_maps"]), hidden=(100,),
                           activation=spec["activation"])
    loss = SoftmaxWithLoss()
    optimizer = SGD(model.parameters(), lr=spec["eta"],
                    weight_decay=spec["lmbda"] / batches_per_epoch)
    print(f"{name}: conv maps {spec['conv_maps']}, {spec['activation']}, eta {spec['eta']}, "
          f"lmbda {spec['lmbda']}, {epochs} epochs of {batches_per_epoch} mini-batches of "
          f"{batch_size}, seed {seed}", flush=True)
    epoch_loss, val_acc, test_acc, seconds, block_loss = [], [], [], [], []
    best = None        # (validation accuracy, epoch, arrays)
    start = time.perf_counter()
    for epoch in range(epochs):
        one = fit(model, loss, optimizer, x_train, t_train, epochs=1, batch_size=batch_size,
                  rng=rng, validation=(x_val, t_val), train_accuracy=False, progress=progress)
        losses = np.asarray(one.loss)
        block_loss += [round(float(b.mean()), 5)
                       for b in np.array_split(losses, max(1, len(losses) // LOSS_BLOCK))]
        epoch_loss.append(round(float(losses.mean()), 5))
        val_acc.append(one.val_acc[-1])
        test_acc.append(accuracy(model, x_test, t_test))
        seconds.append(round(one.seconds[-1], 1))
        if best is None or val_acc[-1] > best[0]:
            best = (val_acc[-1], epoch, [p.data.copy() for p in model.parameters()])
        print(f"{name} epoch {epoch + 1}/{epochs}: loss {epoch_loss[-1]:.4f}, validation "
              f"{val_acc[-1]:.4f}, test {test_acc[-1]:.4f}, {seconds[-1]:.0f} s", flush=True)
    wall = time.perf_counter() - start

    # The weights of the best validation epoch go to the file, and give its test accuracy.
    for p, saved in zip(model.parameters(), best[2]):
        p.data[...] = saved
    best_epoch = best[1]
    correct = int(round(accuracy(model, x_test, t_test) * len(x_test)))
    if correct != round(test_acc[best_epoch] * len(x_test)):
        raise RuntimeError("restoring the best weights did not reproduce their test accuracy")
    out_dir = Path(out_dir)
    weights_path = out_dir / "weights" / f"nielsen_cnn_{name}.npz"
    save_weights(model, weights_path)
    record = {
        "experiment": name,
        "description": f"Nielsen's {name} (chapter 6, network3.py)",
        "command": "python scripts/train_nielsen_cnn.py " + " ".join(argv),
        "network": {"class": "NielsenConvNet", "conv_maps": spec["conv_maps"], "hidden": [100],
                    "activation": spec["activation"], "init": "network3", "dtype": "float32",
                    "layers": "nnlib.fast (tested equal to the teaching layers)"},
        "settings": {"optimizer": "SGD", "eta": spec["eta"], "lmbda": spec["lmbda"],
                     "weight_decay": spec["lmbda"] / batches_per_epoch, "batch_size": batch_size,
                     "epochs": epochs, "seed": seed, "loss": "SoftmaxWithLoss (log-likelihood)",
                     "data": "MNIST, Nielsen's split: 50,000 training, 10,000 validation, "
                             "10,000 test images"},
        "rule": "the reported test accuracy is the one at the epoch of the best validation "
                "accuracy (Nielsen's rule); the test set chose nothing",
        "epoch_loss": epoch_loss,
        "val_acc": val_acc,
        "test_acc": test_acc,
        "epoch_seconds": seconds,
        "loss_block": LOSS_BLOCK,
        "block_loss": block_loss,
        "best_epoch": best_epoch + 1,
        "best_val_acc": best[0],
        "test_accuracy": correct / len(x_test),
        "test_correct": correct,
        "test_images": len(x_test),
        "weights_file": f"nielsen_cnn_{name}.npz",
        "nielsen": {"test_accuracy": spec["nielsen"], "epochs": NIELSEN_EPOCHS,
                    "runs": "best of 3 runs"},
        "wall_seconds": round(wall, 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "versions": {"nnlib": nnlib.__version__, "numpy": np.__version__,
                     "python": platform.python_version(),
                     "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")},
    }
    path = out_dir / "histories" / f"nielsen_cnn_{name}.json"
    with atomic_write(path, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"{name}: test accuracy {correct / len(x_test):.4f} at epoch {best_epoch + 1} "
          f"(Nielsen, {NIELSEN_EPOCHS} epochs: {spec['nielsen']:.4f}); wrote {path}, "
          f"{weights_path}; {wall / 60:.1f} min", flush=True)
    return record


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", nargs="*", default=list(EXPERIMENTS),
                        help="which of C1 C2 C3 (default: all three)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "data"),
                        help="folder that gets histories/ and weights/ (default: data/)")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    args = parser.parse_args(argv)
    unknown = [e for e in args.experiments if e not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment(s) {unknown}; choose from {sorted(EXPERIMENTS)}")
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    data = tuple((x.reshape(-1, 1, 28, 28), t) for x, t in load_mnist("nielsen"))
    for name in args.experiments:
        run(name, data, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size,
            out_dir=args.out, progress=not args.no_progress, argv=argv)


if __name__ == "__main__":
    main()
