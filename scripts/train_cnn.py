"""Train the book's convolutional networks and save what the chapters load.

    python scripts/train_cnn.py simple              # SimpleConvNet (Saitoh chapter 7)
    python scripts/train_cnn.py deep                # DeepConvNet (Saitoh chapter 8)
    python scripts/train_cnn.py deep --epochs 2 --out /tmp/try    # a quick try

The recipe is Saitoh's (``ch07/train_convnet.py``, ``ch08/train_deepnet.py``): Adam with learning
rate 0.001, mini-batches of 100, 20 epochs, SoftmaxWithLoss. One addition, fixed before any run:
every epoch sees the training images moved by a random offset of at most one pixel in each
direction (:func:`nnlib.augment.random_shifts`, ``--no-augment`` switches it off).
For DeepConvNet the default schedule is 25 epochs with the learning rate divided by 10 after
epoch 15: with Saitoh's 20 epochs at a constant rate our first run stopped at 99.12 % (its
history note says more). ``--epochs`` and ``--lr-drop-after`` change the schedule.

Data: Nielsen's split of MNIST. The network trains on the 50,000 training images; the 10,000
validation images give the accuracy curve of each epoch; the 10,000 test images are used exactly
once, after the last epoch, for the accuracy we report (nothing is chosen by looking at them).
(Saitoh trains on all 60,000 non-test images; ``--split saito`` does that, without a validation set.)

Output, in ``--out`` (default ``data/weights/``), each file written atomically:

* ``<name>.npz``: the float32 weights, for :func:`nnlib.models.load_weights`;
* ``<name>.json``: the history -- per-epoch mean training loss, training accuracy (on the first
  10,000 training images, unshifted), validation accuracy and seconds; the loss of every
  iteration; the seed, epochs, split, augmentation, wall time, library versions and the final test
  accuracy (with the number of correct answers, which the tests check against the saved weights).

Every random choice (initial weights, dropout, shuffling, shifts) comes from ``--seed``.
nnlib's convolutions use two threads of their own; the script asks OpenBLAS for one thread each
(``OPENBLAS_NUM_THREADS=1``) unless the variable is already set, so that 2 cores are not
oversubscribed.
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

from memory import keep_freed_memory  # noqa: E402  (scripts/memory.py)

import nnlib  # noqa: E402
from nnlib.augment import random_shifts  # noqa: E402
from nnlib.data import load_mnist  # noqa: E402
from nnlib.fast import Adam  # noqa: E402
from nnlib.fast.parallel import workers_for  # noqa: E402
from nnlib.files import atomic_write  # noqa: E402
from nnlib.losses import SoftmaxWithLoss  # noqa: E402
from nnlib.models import DeepConvNet, SimpleConvNet, save_weights  # noqa: E402
from nnlib.train import History, accuracy, fit  # noqa: E402

MODELS = {
    "simple": ("simple_convnet", SimpleConvNet, "Saitoh's SimpleConvNet (chapter 7)"),
    "deep": ("deep_convnet", DeepConvNet, "Saitoh's DeepConvNet (chapter 8)"),
}
# The schedules of the shipped weights: (epochs, learning rate divided by 10 after this epoch).
DEFAULT_SCHEDULE = {"simple": (20, None), "deep": (25, 15)}
TRAIN_ACC_IMAGES = 10_000   # the training accuracy of each epoch is measured on this many images


def write_json_atomic(path, data):
    """Write ``data`` as JSON to ``path`` atomically."""
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")

def load_data(split):
    """(x_train, t_train), validation pair or None, (x_test, t_test); images as (N, 1, 28, 28)."""
    def images(pair):
        return pair[0].reshape(-1, 1, 28, 28), pair[1]
    if split == "nielsen":
        train, val, test = load_mnist("nielsen")
        return images(train), images(val), images(test)
    train, test = load_mnist("saito")
    return images(train), None, images(test)


def train(name, *, epochs, seed, split, augment, lr, batch_size, out_dir, progress,
          train_images=None, lr_drop_after=None, note=""):
    stem, build, description = MODELS[name]
    (x_train, t_train), validation, (x_test, t_test) = load_data(split)
    if train_images is not None:
        x_train, t_train = x_train[:train_images], t_train[:train_images]
    rng = np.random.default_rng(seed)
    model = build(rng)
    loss, optimizer = SoftmaxWithLoss(), Adam(model.parameters(), lr=lr)
    history = History()
    epoch_loss = []
    train_acc_images = min(TRAIN_ACC_IMAGES, len(x_train))
    print(f"{description}: {len(x_train)} training images, {epochs} epochs, seed {seed}, "
          f"augmentation: {'random shifts of up to 1 pixel' if augment else 'none'}", flush=True)
    start = time.perf_counter()
    for epoch in range(epochs):
        if lr_drop_after is not None and epoch == lr_drop_after:
            optimizer.lr = lr / 10
            print(f"learning rate now {optimizer.lr:g}", flush=True)
        x_epoch = random_shifts(x_train, rng, max_shift=1) if augment else x_train
        one = fit(model, loss, optimizer, x_epoch, t_train, epochs=1, batch_size=batch_size,
                  rng=rng, validation=validation, train_accuracy=False, progress=progress)
        history.loss += one.loss
        history.seconds += one.seconds
        history.val_acc += one.val_acc
        history.train_acc.append(accuracy(model, x_train[:train_acc_images],
                                          t_train[:train_acc_images]))
        epoch_loss.append(float(np.mean(one.loss)))
        val = f", validation accuracy {history.val_acc[-1]:.4f}" if validation else ""
        print(f"epoch {epoch + 1:2d}/{epochs}: loss {epoch_loss[-1]:.4f}, training accuracy "
              f"{history.train_acc[-1]:.4f}{val}, {history.seconds[-1]:.1f} s", flush=True)
    wall = time.perf_counter() - start

    # The test set, once.
    scores_correct = int(round(accuracy(model, x_test, t_test) * len(x_test)))
    test_accuracy = scores_correct / len(x_test)
    print(f"test accuracy {test_accuracy:.4f} ({scores_correct}/{len(x_test)}), "
          f"wall time {wall / 60:.1f} min", flush=True)

    out_dir = Path(out_dir)
    weights_path = out_dir / f"{stem}.npz"
    save_weights(model, weights_path)
    record = {
        "model": type(model).__name__,
        "description": description,
        "command": "python scripts/train_cnn.py " + " ".join(sys.argv[1:]),
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": {"name": "Adam", "lr": lr, "beta1": optimizer.beta1, "beta2": optimizer.beta2,
                      "lr_schedule": "constant" if lr_drop_after is None else
                      f"lr / 10 from epoch {lr_drop_after + 1} on"},
        "note": note,
        "loss": "SoftmaxWithLoss",
        "augmentation": "random shift of up to 1 pixel in x and y, redrawn every epoch"
                        if augment else "none",
        "split": {
            "name": split,
            "train": len(x_train),
            "validation": 0 if validation is None else len(validation[0]),
            "test": len(x_test),
            "note": (f"trained on {len(x_train):,} of Nielsen's 50,000 training images; the 10,000 "
                     "validation images give val_acc; the test set was evaluated once, after the "
                     "last epoch"
                     if split == "nielsen" else
                     f"trained on {len(x_train):,} of the 60,000 non-test images (Saitoh's split); "
                     "the test set was evaluated once, after the last epoch"),
        },
        "epoch_loss": epoch_loss,
        "train_acc": history.train_acc,
        "train_acc_images": train_acc_images,
        "val_acc": history.val_acc,
        "epoch_seconds": history.seconds,
        "iteration_loss": [round(v, 5) for v in history.loss],
        "wall_time_seconds": wall,
        "test_accuracy": test_accuracy,
        "test_correct": scores_correct,
        "test_images": len(x_test),
        "weights_file": weights_path.name,
        "nnlib_version": nnlib.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "threads": {"OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
                    "nnlib_conv_workers": workers_for(model[0])},
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    write_json_atomic(out_dir / f"{stem}.json", record)
    print(f"saved {weights_path} and {out_dir / (stem + '.json')}", flush=True)
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: 20 for simple (Saitoh), 25 for deep")
    parser.add_argument("--seed", type=int, default=0, help="default: 0")
    parser.add_argument("--split", choices=("nielsen", "saito"), default="nielsen",
                        help="nielsen: 50k train + 10k validation (default); saito: 60k train")
    parser.add_argument("--no-augment", dest="augment", action="store_false",
                        help="train on the images as they are")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (0.001)")
    parser.add_argument("--lr-drop-after", type=int, default=None, metavar="E",
                        help="divide the learning rate by 10 after epoch E (default: never for "
                             "simple, 15 for deep; 0 = never)")
    parser.add_argument("--note", default="", help="a remark stored in the history")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--out", default=str(ROOT / "data" / "weights"),
                        help="output folder (default: data/weights/)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bar (by default it shows when stderr is a terminal)")
    parser.add_argument("--train-images", type=int, default=None, metavar="N",
                        help="train on the first N training images only (for quick tries)")
    args = parser.parse_args(argv)
    epochs, drop = DEFAULT_SCHEDULE[args.model]
    args.epochs = epochs if args.epochs is None else args.epochs
    args.lr_drop_after = drop if args.lr_drop_after is None else (args.lr_drop_after or None)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    keep_freed_memory()   # reuse freed arrays instead of page-faulting in new ones (see scripts/memory.py)
    train(args.model, epochs=args.epochs, seed=args.seed, split=args.split, augment=args.augment,
          lr=args.lr, batch_size=args.batch_size, out_dir=args.out,
          progress=None if args.progress else False, train_images=args.train_images,
          lr_drop_after=args.lr_drop_after, note=args.note)


if __name__ == "__main__":
    main()
