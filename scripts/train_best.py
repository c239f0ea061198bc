"""Train the book's best MNIST model: an ensemble of DeepConvNets (chapter 13).

    python scripts/train_best.py                    # the shipped ensemble (make train-best)
    python scripts/train_best.py --members 1 --epochs 1 --train-images 5000 --no-test --out /tmp/try

The recipe, fixed before the run (the history records what was tried and why):

* five members, each Saitoh's DeepConvNet (section 8.1; :class:`nnlib.models.DeepConvNet`) without
  the dropout that Saitoh's code applies to the ten output scores (the dropout after the hidden
  layer stays). Dropout is off in evaluation anyway, so every member's weights load into a plain
  ``DeepConvNet`` and give the same answers;
* each member trains 5 epochs on Nielsen's 50,000 training images with Adam (mini-batches of 100),
  its learning rate following a cosine from 0.001 down to 0 over the run
  (:func:`nnlib.schedules.cosine_decay`, set before every step);
* every epoch sees the images moved by random offsets of up to 1 pixel in x and y
  (:func:`nnlib.augment.random_shifts`), redrawn each epoch;
* each member has its own seed (initial weights, dropout masks, order and shifts);
* the ensemble's answer is the class with the largest *average of the members' softmax
  probabilities*.

Nielsen's record of 99.67 % (chapter 6) is also an ensemble of five networks.

The 10,000 validation images (Nielsen's split) give each member's accuracy after its last epoch
and the ensemble's accuracy after each member. The 10,000 test images are used once, after
the last member, for the numbers we report (the ensemble's and, from the same pass, each member's).

Output, in ``--out`` (default ``data/weights/``), each file written atomically:

* ``best_1.npz`` ... ``best_5.npz``: the float32 weights of the members (:func:`nnlib.models.load_weights`
  into ``DeepConvNet(rng)``);
* ``best.json``: the history, rewritten after every epoch -- per member its validation accuracy and
  per epoch the mean training loss, the learning rate at the end, wall seconds, the process's CPU
  seconds (user + sys, all threads) and the load average of the machine; the ensemble's validation accuracy after each
  member; the total wall and CPU time; and at the end the test accuracy with the number of correct
  answers (which ``tests/test_models.py`` recounts from the shipped weights).

Threads: nnlib's convolutions use two threads of their own; the script asks OpenBLAS for one
thread (``OPENBLAS_NUM_THREADS=1``) unless the variable is already set, so 2 cores are not
oversubscribed.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # must happen before NumPy is imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
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
from nnlib.functions import softmax  # noqa: E402
from nnlib.layers import Dropout  # noqa: E402
from nnlib.losses import SoftmaxWithLoss  # noqa: E402
from nnlib.models import DeepConvNet, load_weights, save_weights  # noqa: E402
from nnlib.schedules import cosine_decay  # noqa: E402
from nnlib.train import minibatches, predict  # noqa: E402

STEM = "best"


def write_json_atomic(path, data):
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def cpu_seconds():
    """User + system CPU time of this process so far (all its threads)."""
    t = os.times()
    return t.user + t.system


def member_network(rng):
    """DeepConvNet without the dropout on its output scores (the last layer of Saitoh's version)."""
    model = DeepConvNet(rng)
    assert isinstance(model.layers[-1], Dropout)
    model.layers.pop()
    return model


def probabilities(model, x):
    """Softmax probabilities of ``model`` for the images x, in float64."""
    return softmax(predict(model, x).astype(np.float64))


def train_member(k, *, seed, epochs, lr, max_shift, batch_size, data, record, save, progress):
    (x_train, t_train), (x_val, t_val) = data
    rng = np.random.default_rng([seed, k])
    model = member_network(rng)
    loss, optimizer = SoftmaxWithLoss(), Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    total = epochs * steps_per_epoch
    entry = {"member": k, "seed": [seed, k], "epoch_loss": [], "val_acc": None, "lr_end": [],
             "epoch_wall_seconds": [], "epoch_cpu_seconds": [], "loadavg": []}
    record["members"].append(entry)
    step = 0
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=total, unit="it", mininterval=1.0 if sys.stderr.isatty() else 30.0,
                   desc=f"member {k}/{record['recipe']['members']}")
    for epoch in range(epochs):
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        x_epoch = random_shifts(x_train, rng, max_shift=max_shift) if max_shift else x_train
        losses = []
        for batch in minibatches(len(x_epoch), batch_size, rng):
            optimizer.lr = cosine_decay(lr, step, total)
            scores = model.forward(x_epoch[batch], training=True)
            value = loss.forward(scores, t_train[batch])
            if not math.isfinite(value):
                raise ArithmeticError(f"member {k} diverged at step {step}: loss {value}")
            model.backward(loss.backward())
            optimizer.step()
            losses.append(value)
            step += 1
            if bar is not None:
                bar.update(1)
        entry["epoch_loss"].append(float(np.mean(losses)))
        line_val = ""
        if epoch == epochs - 1:   # validation accuracy after the member's last epoch only (saves time)
            correct = int(np.count_nonzero(predict(model, x_val).argmax(axis=1) == t_val))
            entry["val_acc"] = correct / len(x_val)
            line_val = f", validation {correct}/{len(x_val)}"
        entry["lr_end"].append(optimizer.lr)
        entry["epoch_wall_seconds"].append(time.perf_counter() - wall0)
        entry["epoch_cpu_seconds"].append(cpu_seconds() - cpu0)
        entry["loadavg"].append([round(v, 2) for v in os.getloadavg()])
        line = (f"member {k} epoch {epoch + 1}/{epochs}: loss {entry['epoch_loss'][-1]:.4f}"
                f"{line_val}, {entry['epoch_wall_seconds'][-1]:.0f} s wall, "
                f"{entry['epoch_cpu_seconds'][-1]:.0f} s CPU, load {entry['loadavg'][-1][0]:.1f}")
        if bar is not None:
            bar.write(line)
        else:
            print(line, flush=True)
        save()
    if bar is not None:
        bar.close()
    return model


def finish_interrupted(out):
    """The ensemble of the members an interrupted run finished, evaluated on the test set once."""
    path = out / f"{STEM}.json"
    record = json.loads(path.read_text())
    if record.get("status") != "training":
        raise SystemExit(f"{path} is not an interrupted run (status {record.get('status')!r})")
    done = len(record["ensemble_val_acc"])        # members whose weights were saved
    if done == 0:
        raise SystemExit("the interrupted run finished no member; nothing to evaluate")
    partial = record["members"][done:]           # epochs of the member that was interrupted
    record["members"] = record["members"][:done]
    record["recipe"]["members_planned"] = record["recipe"]["members"]
    record["recipe"]["members"] = done
    record["weights_files"] = [f"{STEM}_{k}.npz" for k in range(1, done + 1)]
    record["training_wall_time_seconds"] = record["wall_time_seconds"] - sum(
        sum(m["epoch_wall_seconds"]) for m in partial)
    record["training_cpu_time_seconds"] = record["cpu_time_seconds"] - sum(
        sum(m["epoch_cpu_seconds"]) for m in partial)
    record["stopped_early"] = (f"the run was stopped during member {done + 1}, for lack of time; "
                               f"the ensemble is the {done} members it finished. The training wall "
                               f"and CPU times are those of the last save minus the recorded epochs "
                               f"of the interrupted member")
    _, _, (x_test, t_test) = load_mnist("nielsen")
    x_test = x_test.reshape(-1, 1, 28, 28)
    models = []
    for name in record["weights_files"]:
        model = member_network(np.random.default_rng(0))
        load_weights(model, out / name)
        models.append(model)
    test_probs = [probabilities(model, x_test) for model in models]
    record.update(test_results(test_probs, t_test))
    record["status"] = "finished"
    record["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    write_json_atomic(path, record)
    print(f"test: ensemble of {done}: {record['test_correct']}/{len(t_test)}; saved {path}", flush=True)


def test_results(test_probs, t_test):
    """The numbers of the one evaluation on the test set, for the history."""
    member_correct = [int(np.count_nonzero(p.argmax(axis=1) == t_test)) for p in test_probs]
    correct = int(np.count_nonzero(np.mean(test_probs, axis=0).argmax(axis=1) == t_test))
    return dict(test_correct=correct, test_images=len(t_test), test_accuracy=correct / len(t_test),
                test_errors=len(t_test) - correct, member_test_correct=member_correct,
                test_evaluations=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5, help="networks in the ensemble (5)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per network (5)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's starting learning rate (0.001)")
    parser.add_argument("--max-shift", type=int, default=1, help="largest random shift in pixels (1)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="member k uses the seed [seed, k]")
    parser.add_argument("--train-images", type=int, default=None, metavar="N",
                        help="train on the first N training images only (for quick tries)")
    parser.add_argument("--no-test", dest="test", action="store_false",
                        help="do not evaluate on the test set (for pilots)")
    parser.add_argument("--note", default="", help="a remark stored in the history")
    parser.add_argument("--out", default=str(ROOT / "data" / "weights"),
                        help="output folder (default: data/weights/)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bar (by default a tqdm bar goes to stderr)")
    parser.add_argument("--finish", action="store_true",
                        help="do not train: close an interrupted run in --out, i.e. take the members "
                             "it finished as the ensemble and evaluate it on the test set once")
    args = parser.parse_args(argv)
    if args.finish:
        finish_interrupted(Path(args.out))
        return
    if args.members < 1 or args.epochs < 1:
        parser.error("--members and --epochs must be at least 1")
    keep_freed_memory()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    (x_train, t_train), (x_val, t_val), (x_test, t_test) = load_mnist("nielsen")
    x_train, x_val, x_test = (x.reshape(-1, 1, 28, 28) for x in (x_train, x_val, x_test))
    if args.train_images is not None:
        x_train, t_train = x_train[:args.train_images], t_train[:args.train_images]

    record = {
        "model": "ensemble of DeepConvNet",
        "command": "python scripts/train_best.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "recipe": {
            "members": args.members, "epochs_per_member": args.epochs, "batch_size": args.batch_size,
            "optimizer": "Adam", "lr": args.lr, "lr_schedule": "cosine from lr to 0 over each member's run, "
                                                               "set before every step",
            "augmentation": f"random shift of up to {args.max_shift} pixels in x and y, redrawn every epoch",
            "network": "DeepConvNet (Saitoh 8.1) without the dropout on the output scores",
            "combination": "average of the members' softmax probabilities",
            "seed": args.seed,
        },
        "note": args.note,
        "split": {"train": len(x_train), "validation": len(x_val), "test": len(x_test),
                  "note": "Nielsen's split; validation gives every number chosen on; the test set is "
                          "evaluated once, after the last member"},
        "members": [],
        "ensemble_val_acc": [],
        "status": "training",
        "nnlib_version": nnlib.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    wall0, cpu0 = time.perf_counter(), cpu_seconds()

    def save():
        record["wall_time_seconds"] = time.perf_counter() - wall0
        record["cpu_time_seconds"] = cpu_seconds() - cpu0
        write_json_atomic(out / f"{STEM}.json", record)

    print(f"{args.members} x DeepConvNet, {args.epochs} epochs each on {len(x_train)} images, "
          f"shifts up to {args.max_shift} px, cosine from lr {args.lr:g}", flush=True)
    models, val_probs = [], []
    for k in range(1, args.members + 1):
        model = train_member(k, seed=args.seed, epochs=args.epochs, lr=args.lr,
                             max_shift=args.max_shift, batch_size=args.batch_size,
                             data=((x_train, t_train), (x_val, t_val)), record=record, save=save,
                             progress=args.progress)
        record["threads"] = {"OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
                             "nnlib_conv_workers": workers_for(model[0])}
        save_weights(model, out / f"{STEM}_{k}.npz")
        models.append(model)
        val_probs.append(probabilities(model, x_val))
        correct = int(np.count_nonzero(np.mean(val_probs, axis=0).argmax(axis=1) == t_val))
        record["ensemble_val_acc"].append(correct / len(x_val))
        print(f"ensemble of {k}: validation {correct}/{len(x_val)}, "
              f"{(time.perf_counter() - wall0) / 60:.1f} min so far", flush=True)
        save()
    record["weights_files"] = [f"{STEM}_{k}.npz" for k in range(1, args.members + 1)]
    record["training_wall_time_seconds"] = time.perf_counter() - wall0
    record["training_cpu_time_seconds"] = cpu_seconds() - cpu0

    if args.test:   # the test set, once
        test_probs = [probabilities(model, x_test) for model in models]
        record.update(test_results(test_probs, t_test))
        print(f"test: ensemble {record['test_correct']}/{len(x_test)} ({record['test_errors']} errors); "
              f"members {record['member_test_correct']}", flush=True)
    record["status"] = "finished"
    record["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    save()
    print(f"wall {record['wall_time_seconds'] / 60:.1f} min, CPU {record['cpu_time_seconds'] / 60:.1f} min; "
          f"saved {out / (STEM + '.json')}", flush=True)


if __name__ == "__main__":
    main()
