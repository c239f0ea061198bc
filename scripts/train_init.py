"""Train Saitoh's 5 x 100 ReLU network on MNIST from three initialisations and save the loss curves.

    python scripts/train_init.py                      # the shipped run: 3 inits x 5 seeds, 2000 iterations
    python scripts/train_init.py --iterations 200 --out /tmp/try.json     # a quick try

The experiment of Saitoh's figure 6-15 (section 6.2.4): a fully connected network with five hidden
layers of 100 ReLU units and 10 outputs (784-100-100-100-100-100-10), SoftmaxWithLoss, plain SGD
with learning rate 0.01, mini-batches of 128 images drawn at random from the 60,000 training images
(Saitoh's split), 2000 iterations. The weights start as N(0, std^2) with std = 0.01, with
nnlib's "xavier" (std 1/sqrt(fan_in), Saitoh's simplified Xavier, not PyTorch's xavier_normal_)
or with "he" (std sqrt(2/fan_in)); biases start at 0. Saitoh shows one run; we run every
initialisation with each of ``--seeds`` (default 0 1 2 3 4), and a seed draws the initial weights and
the mini-batches, so that the three initialisations of one seed see the same batches.

Output (``--out``, default ``data/histories/init_mnist.json``), written atomically: the settings,
and per run the training loss of every iteration (rounded to 5 significant digits), the test
accuracy after the last iteration, the seconds it took; the wall time, nnlib's and NumPy's versions.
The layers are those of :mod:`nnlib.fast` (tested equal to the teaching layers), in float32.
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
from nnlib.fast import Affine, ReLU  # noqa: E402
from nnlib.files import atomic_write  # noqa: E402
from nnlib.layers import Sequential  # noqa: E402
from nnlib.losses import SoftmaxWithLoss  # noqa: E402
from nnlib.optim import SGD  # noqa: E402
from nnlib.train import accuracy  # noqa: E402

INITS = ("0.01", "xavier", "he")
HIDDEN = (100, 100, 100, 100, 100)


def parse_init(text):
    """'xavier', 'he' or a standard deviation such as '0.01' -> what nnlib.init.weights takes."""
    if text in ("xavier", "he"):
        return text
    try:
        std = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an init is 'xavier', 'he' or a standard deviation, got {text!r}") from None
    if not std > 0:
        raise argparse.ArgumentTypeError(f"a standard deviation must be > 0, got {text!r}")
    return std


def build(init, rng, hidden=HIDDEN):
    """784 - hidden... - 10 with ReLU after every hidden layer, weights from ``init``, biases 0."""
    sizes = (784, *hidden)
    stack = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        stack += [Affine(n_in, n_out, rng, init=init, input_grad=k > 0), ReLU()]
    stack.append(Affine(sizes[-1], 10, rng, init=init))
    return Sequential(*stack)


def run(init, seed, data, *, iterations, batch_size, lr, progress):
    (x_train, t_train), (x_test, t_test) = data
    rng = np.random.default_rng(seed)
    model = build(parse_init(init), rng)
    loss, optimizer = SoftmaxWithLoss(), SGD(model.parameters(), lr=lr)
    losses = []
    start = time.perf_counter()
    for _ in tqdm(range(iterations), desc=f"init {init:>6}, seed {seed}", disable=not progress,
                  mininterval=0.5, leave=False):
        batch = rng.choice(len(x_train), batch_size, replace=False)
        value = loss.forward(model.forward(x_train[batch], training=True), t_train[batch])
        model.backward(loss.backward())
        optimizer.step()
        losses.append(float(f"{value:.5g}"))
    seconds = time.perf_counter() - start
    test_acc = accuracy(model, x_test, t_test)
    return {"init": init, "seed": seed, "loss": losses, "test_acc": test_acc, "seconds": round(seconds, 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inits", nargs="+", default=list(INITS), type=str,
                        help="initialisations: 'xavier', 'he' or a std (default: 0.01 xavier he)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--out", default=str(ROOT / "data" / "histories" / "init_mnist.json"))
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    args = parser.parse_args(argv)
    for init in args.inits:
        parse_init(init)          # refuse a bad init before any training
    if args.iterations < 1 or args.batch_size < 1 or not args.lr > 0:
        parser.error("--iterations and --batch-size must be >= 1 and --lr > 0")

    data = load_mnist("saito")
    start = time.perf_counter()
    runs = []
    for seed in args.seeds:
        for init in args.inits:
            result = run(init, seed, data, iterations=args.iterations, batch_size=args.batch_size,
                         lr=args.lr, progress=not args.no_progress)
            print(f"init {init:>6}, seed {seed}: last-100 mean loss {np.mean(result['loss'][-100:]):.4f}, "
                  f"test accuracy {result['test_acc']:.4f}, {result['seconds']:.1f} s", flush=True)
            runs.append(result)
    wall = time.perf_counter() - start
    record = {
        "experiment": "Saitoh fig. 6-15: std 0.01 vs Xavier vs He on a 5 x 100 ReLU network",
        "command": "python scripts/train_init.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "network": "784-" + "-".join(str(h) for h in HIDDEN) + "-10, ReLU, biases 0, float32 (nnlib.fast layers)",
        "init_note": "'xavier' is nnlib's: std 1/sqrt(fan_in) (Saitoh's simplified Xavier); 'he' is std sqrt(2/fan_in)",
        "settings": {"optimizer": "SGD", "lr": args.lr, "batch_size": args.batch_size,
                     "iterations": args.iterations, "loss": "SoftmaxWithLoss",
                     "data": "MNIST, Saitoh's split: 60,000 training images, 10,000 test images",
                     "batches": "drawn at random without replacement within a batch, by the seed's generator"},
        "inits": args.inits,
        "seeds": args.seeds,
        "runs": runs,
        "wall_seconds": round(wall, 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "versions": {"nnlib": nnlib.__version__, "numpy": np.__version__, "python": platform.python_version()},
    }
    with atomic_write(args.out, "w") as f:
        json.dump(record, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({len(runs)} runs, {wall:.0f} s)")


if __name__ == "__main__":
    main()
