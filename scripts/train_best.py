"""Train the book's best MNIST model: an ensemble of DeepConvNets (chapter 13).

    python scripts/train_best.py                    # the shipped ensemble (make train-best)
    python scripts/train_best.py --members 1 --epochs 1 --train-images 5000 --no-test --out /tmp/try

The recipe (the defaults), chosen on the validation set by the pilot runs whose histories are in
``data/weights/best_pilots/`` (the note in ``best.json`` sums them up):

* six members, each Saitoh's DeepConvNet (section 8.1; :class:`nnlib.models.DeepConvNet`) without
  the dropout that Saitoh's code applies to the ten output scores (the dropout after the hidden
  layer stays). Dropout is off in evaluation anyway, so every member's weights load into a plain
  ``DeepConvNet`` and give the same answers;
* each member trains 20 epochs on Nielsen's 50,000 training images with Adam (mini-batches of 100),
  its learning rate following a cosine from 0.001 down to 0 over the run
  (:func:`nnlib.schedules.cosine_decay`, set before every step);
* every epoch sees every image turned by up to 10 degrees, scaled by up to 10 % and moved by up to
  1 pixel in x and y, all drawn afresh (:func:`nnlib.augment.random_affine`); with
  ``--max-angle 0 --max-scale 0`` the images are only moved by whole pixels
  (:func:`nnlib.augment.random_shifts`), the earlier recipe;
* each member has its own seed (initial weights, dropout masks, order and distortions);
* the ensemble's answer is the class with the largest *average of the members' softmax
  probabilities*.

Nielsen's record of 99.67 % (chapter 6) is an ensemble of five networks.

Two members train at a time, each in its own process on one thread (``--processes``; the default
is 2, or 1 on a one-core machine). On two cores that gets through about 1.8 times as many
training steps per minute as one member using both cores, because one small network cannot keep
two threads busy. A member's results do not depend on which process trains it: it has its own seed,
and one thread computes it the same way every time. With ``--processes 1`` the members train one
after the other in this process, on nnlib's two threads.

The 10,000 validation images (Nielsen's split) give each member's accuracy after its last epoch
and, at the end, the accuracy of the ensemble of the first k members. The 10,000 test images are
used once, at the very end, for the numbers we report (the ensemble's and, from the same pass,
each member's).

Output, in ``--out`` (default ``data/weights/``), each file written atomically:

* ``best_1.npz`` ... ``best_6.npz``: the float32 weights of the members (:func:`nnlib.models.load_weights`
  into ``DeepConvNet(rng)``);
* ``best.json``: the history, rewritten after every epoch -- per member its validation accuracy and
  per epoch the mean training loss, the learning rate at the end, wall seconds, the member's CPU
  seconds (user + sys) and the load average of the machine; the ensemble's validation accuracies;
  the total wall and CPU time (all processes); and at the end the test accuracy with the number of
  correct answers (which ``tests/test_models.py`` recounts from the shipped weights).

If a run is stopped (Ctrl-C, or out of time), ``--finish`` closes it: the members whose weights
were saved form the ensemble, which is then evaluated on the test set once.

Threads: the script asks OpenBLAS for one thread (``OPENBLAS_NUM_THREADS=1``) unless the variable is
already set, so that 2 cores are not oversubscribed.
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
from nnlib.augment import random_affine, random_shifts  # noqa: E402
from nnlib.data import load_mnist  # noqa: E402
from nnlib.fast import Adam  # noqa: E402
from nnlib.fast.parallel import default_workers  # noqa: E402
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


def augmented(x, rng, augment):
    """This epoch's training images: moved by whole pixels, or turned, scaled and moved."""
    if augment["max_angle"] or augment["max_scale"]:
        return random_affine(x, rng, **augment)
    return random_shifts(x, rng, max_shift=int(augment["max_shift"])) if augment["max_shift"] else x


def train_member(k, *, seed, epochs, lr, augment, batch_size, data, report):
    """Train member k; tell ``report(kind, k, payload)`` about its progress:
    ``("steps", k, n)`` every few steps, ``("epoch", k, entry)`` after every epoch (entry: its
    history so far). Returns the trained network."""
    (x_train, t_train), (x_val, t_val) = data
    rng = np.random.default_rng([seed, k])
    model = member_network(rng)
    loss, optimizer = SoftmaxWithLoss(), Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    total = epochs * steps_per_epoch
    entry = {"member": k, "seed": [seed, k], "epoch_loss": [], "val_acc": None, "lr_end": [],
             "epoch_wall_seconds": [], "epoch_cpu_seconds": [], "loadavg": []}
    step = unreported = 0
    for epoch in range(epochs):
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        x_epoch = augmented(x_train, rng, augment)
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
            unreported += 1
            if unreported == 20:
                report("steps", k, unreported)
                unreported = 0
        entry["epoch_loss"].append(float(np.mean(losses)))
        if epoch == epochs - 1:   # validation accuracy after the member's last epoch only (saves time)
            correct = int(np.count_nonzero(predict(model, x_val).argmax(axis=1) == t_val))
            entry["val_acc"] = correct / len(x_val)
        entry["lr_end"].append(optimizer.lr)
        entry["epoch_wall_seconds"].append(time.perf_counter() - wall0)
        entry["epoch_cpu_seconds"].append(cpu_seconds() - cpu0)
        entry["loadavg"].append([round(v, 2) for v in os.getloadavg()])
        report("steps", k, unreported)
        unreported = 0
        report("epoch", k, dict(entry))
    return model


# --- Members trained side by side -------------------------------------------------------------
# On two cores, two members trained at once, each on one thread, get through about 1.8 times as
# many steps per minute as one member using both cores (measured: 50 s per epoch each against 45 s
# per epoch alone): a single small network cannot keep two threads busy all the time. Each worker
# process loads the data itself and reports through a queue; the main process keeps the history.

_EVENTS = None     # in a worker process: the queue to the main process
_PARENT = None     # ... and the main process's id


def _start_worker(events, threads):
    global _EVENTS, _PARENT
    _EVENTS, _PARENT = events, os.getppid()
    os.environ["NNLIB_WORKERS"] = str(threads)        # nnlib's own threads per call, read at call time
    keep_freed_memory()


def _report(kind, member, payload):
    if _PARENT is not None and os.getppid() != _PARENT:    # the main process was stopped
        raise SystemExit(f"member {member}: the main process has gone; stopping")
    _EVENTS.put((kind, member, payload))


def _member_job(k, settings):
    """In a worker process: train member k, save its weights, return the file's name."""
    (x_train, t_train), (x_val, t_val), _ = load_mnist("nielsen")
    x_train, x_val = (x.reshape(-1, 1, 28, 28) for x in (x_train, x_val))
    if settings["train_images"] is not None:
        x_train, t_train = x_train[:settings["train_images"]], t_train[:settings["train_images"]]
    model = train_member(k, seed=settings["seed"], epochs=settings["epochs"], lr=settings["lr"],
                         augment=settings["augment"], batch_size=settings["batch_size"],
                         data=((x_train, t_train), (x_val, t_val)),
                         report=_report)
    name = f"{STEM}_{k}.npz"
    save_weights(model, Path(settings["out"]) / name)
    return name


def train_all(members, processes, settings, on_event):
    """Train members 1..``members`` in ``processes`` worker processes (one thread each when there
    are two or more, else in this process on nnlib's default threads); ``on_event`` sees every
    report, and ``("saved", k, file name)`` once member k's weights are on disk. Returns the
    weight files' names in member order."""
    global _EVENTS
    if processes == 1:
        _EVENTS = _Direct(on_event)
        names = []
        for k in range(1, members + 1):
            names.append(_member_job(k, settings))
            on_event("saved", k, names[-1])
        return names
    import multiprocessing
    import queue
    from concurrent.futures import ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")     # fresh interpreters: no threads inherited
    events = context.Queue()
    names = {}
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                             initargs=(events, 1)) as pool:
        futures = {pool.submit(_member_job, k, settings): k for k in range(1, members + 1)}
        pending = set(futures)
        while pending:
            try:
                on_event(*events.get(timeout=1.0))
            except queue.Empty:
                pass
            done, pending = wait(pending, timeout=0)
            for future in done:
                k = futures[future]
                names[k] = future.result()           # a member's error stops the run here
                while True:                          # its last reports first
                    try:
                        on_event(*events.get(timeout=0.2))
                    except queue.Empty:
                        break
                on_event("saved", k, names[k])
    return [names[k] for k in range(1, members + 1)]


class _Direct:
    """A stand-in for the queue when the members train in this process."""

    def __init__(self, handler):
        self.put = lambda event: handler(*event)


def augmentation_text(augment):
    """The augmentation in words, for the history."""
    if augment["max_angle"] or augment["max_scale"]:
        return (f"every image turned by up to {augment['max_angle']:g} degrees, scaled by up to "
                f"{100 * augment['max_scale']:g}% and moved by up to {augment['max_shift']:g} pixels in x and y "
                f"(uniform, bilinear interpolation), redrawn every epoch")
    if augment["max_shift"]:
        return f"random shift of up to {augment['max_shift']:g} pixels in x and y, redrawn every epoch"
    return "none"


def finish_interrupted(out):
    """The ensemble of the members an interrupted run finished, evaluated on the test set once."""
    path = out / f"{STEM}.json"
    record = json.loads(path.read_text())
    if record.get("status") != "training":
        raise SystemExit(f"{path} is not an interrupted run (status {record.get('status')!r})")
    finished = [m for m in record["members"] if m.get("weights_file")]   # weights saved
    if not finished:
        raise SystemExit("the interrupted run finished no member; nothing to evaluate")
    partial = [m for m in record["members"] if not m.get("weights_file")]
    done = len(finished)
    record["members"] = finished
    record["recipe"]["members_planned"] = record["recipe"]["members"]
    record["recipe"]["members"] = done
    record["weights_files"] = [m["weights_file"] for m in finished]
    record["training_wall_time_seconds"] = record["wall_time_seconds"]
    record["training_cpu_time_seconds"] = record["cpu_time_seconds"] - sum(
        sum(m["epoch_cpu_seconds"]) for m in partial)
    record["stopped_early"] = (f"the run was stopped before members "
                               f"{', '.join(str(m['member']) for m in partial) or '(none)'} finished, "
                               f"for lack of time; the ensemble is the {done} members it finished. "
                               f"Wall time: up to the last save; CPU time: without the recorded epochs "
                               f"of the unfinished members")
    _, _, (x_test, t_test) = load_mnist("nielsen")
    x_test = x_test.reshape(-1, 1, 28, 28)
    models = []
    for name in record["weights_files"]:
        models.append(load_member(out / name))
    x_val, t_val = load_mnist("nielsen")[1]
    record["ensemble_val_acc"] = ensemble_accuracies(models, x_val.reshape(-1, 1, 28, 28), t_val)
    test_probs = [probabilities(model, x_test) for model in models]
    record.update(test_results(test_probs, t_test))
    record["status"] = "finished"
    record["finished"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    write_json_atomic(path, record)
    print(f"test: ensemble of {done}: {record['test_correct']}/{len(t_test)}; saved {path}", flush=True)


def load_member(path):
    model = member_network(np.random.default_rng(0))
    return load_weights(model, path)


def ensemble_accuracies(models, x, t):
    """Accuracy on (x, t) of the ensemble of the first k members, for k = 1, 2, ..."""
    probs, accuracies = [], []
    for model in models:
        probs.append(probabilities(model, x))
        accuracies.append(int(np.count_nonzero(np.mean(probs, axis=0).argmax(axis=1) == t)) / len(t))
    return accuracies


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
    parser.add_argument("--members", type=int, default=6, help="networks in the ensemble (6)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per network (20)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's starting learning rate (0.001)")
    parser.add_argument("--max-shift", type=float, default=1, help="largest random shift in pixels (1)")
    parser.add_argument("--max-angle", type=float, default=10,
                        help="largest random turn in degrees (10); with it or --max-scale the images are "
                             "turned, scaled and moved by fractional pixels (nnlib.augment.random_affine)")
    parser.add_argument("--max-scale", type=float, default=0.1,
                        help="largest random change of size, as a fraction (0.1)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="member k uses the seed [seed, k]")
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1),
                        help="members trained at once, each on one thread (default: 2, or 1 on one "
                             "core); with 1, one member at a time on nnlib's two threads")
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
    if args.members < 1 or args.epochs < 1 or args.processes < 1:
        parser.error("--members, --epochs and --processes must be at least 1")
    augment = dict(max_angle=args.max_angle, max_scale=args.max_scale, max_shift=args.max_shift)
    if not (augment["max_angle"] or augment["max_scale"]) and args.max_shift != int(args.max_shift):
        parser.error("whole-pixel shifts need an integer --max-shift (or give --max-angle/--max-scale)")
    keep_freed_memory()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    (x_train, t_train), (x_val, t_val), (x_test, t_test) = load_mnist("nielsen")
    x_train, x_val, x_test = (x.reshape(-1, 1, 28, 28) for x in (x_train, x_val, x_test))
    n_train = len(x_train) if args.train_images is None else min(args.train_images, len(x_train))
    processes = min(args.processes, args.members)
    threads = 1 if processes > 1 else default_workers()

    record = {
        "model": "ensemble of DeepConvNet",
        "command": "python scripts/train_best.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "recipe": {
            "members": args.members, "epochs_per_member": args.epochs, "batch_size": args.batch_size,
            "optimizer": "Adam", "lr": args.lr, "lr_schedule": "cosine from lr to 0 over each member's run, "
                                                               "set before every step",
            "augmentation": augmentation_text(augment),
            "network": "DeepConvNet (Saitoh 8.1) without the dropout on the output scores",
            "combination": "average of the members' softmax probabilities",
            "seed": args.seed,
        },
        "note": args.note,
        "split": {"train": n_train, "validation": len(x_val), "test": len(x_test),
                  "note": "Nielsen's split; validation gives every number chosen on; the test set is "
                          "evaluated once, after the last member"},
        "members": [],
        "ensemble_val_acc": [],
        "status": "training",
        "threads": {"OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
                    "processes": processes, "nnlib_workers_per_process": threads},
        "nnlib_version": nnlib.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    children0 = os.times().children_user + os.times().children_system
    entries = {}        # member -> its history so far

    def cpu_total():
        """CPU seconds of the run: this process's, and its worker processes' once they have ended
        (until then, the CPU time of the epochs they reported)."""
        t = os.times()
        ended = t.children_user + t.children_system - children0
        workers = ended if ended > 0 or processes == 1 else sum(
            sum(m["epoch_cpu_seconds"]) for m in entries.values())
        return cpu_seconds() - cpu0 + workers

    def save():
        record["members"] = [entries[k] for k in sorted(entries)]
        record["wall_time_seconds"] = time.perf_counter() - wall0
        record["cpu_time_seconds"] = cpu_total()
        write_json_atomic(out / f"{STEM}.json", record)

    print(f"{args.members} x DeepConvNet, {args.epochs} epochs each on {n_train} images, "
          f"{augmentation_text(augment)}, cosine from lr {args.lr:g}; {processes} member(s) at a time "
          f"on {threads} thread(s) each", flush=True)
    bar = None
    if args.progress:
        from tqdm import tqdm
        bar = tqdm(total=args.members * args.epochs * math.ceil(n_train / args.batch_size), unit="it",
                   mininterval=1.0 if sys.stderr.isatty() else 30.0, desc="training")

    def on_event(kind, k, payload):
        if kind == "steps":
            if bar is not None:
                bar.update(payload)
            return
        if kind == "epoch":
            entries[k] = payload
            val = f", validation {round(payload['val_acc'] * len(x_val))}/{len(x_val)}" \
                if payload["val_acc"] is not None else ""
            line = (f"member {k} epoch {len(payload['epoch_loss'])}/{args.epochs}: loss "
                    f"{payload['epoch_loss'][-1]:.4f}{val}, {payload['epoch_wall_seconds'][-1]:.0f} s wall, "
                    f"{payload['epoch_cpu_seconds'][-1]:.0f} s CPU, load {payload['loadavg'][-1][0]:.1f}")
        else:   # "saved": the member's weights are on disk
            entries[k]["weights_file"] = payload
            line = f"member {k} done, {payload} saved ({(time.perf_counter() - wall0) / 60:.1f} min so far)"
        if bar is not None:
            bar.write(line)
        else:
            print(line, flush=True)
        save()

    settings = dict(seed=args.seed, epochs=args.epochs, lr=args.lr, augment=augment,
                    batch_size=args.batch_size, train_images=args.train_images, out=str(out))
    names = train_all(args.members, processes, settings, on_event)
    if bar is not None:
        bar.close()
    record["weights_files"] = names
    record["training_wall_time_seconds"] = time.perf_counter() - wall0
    record["training_cpu_time_seconds"] = cpu_total()

    models = [load_member(out / name) for name in names]
    record["ensemble_val_acc"] = ensemble_accuracies(models, x_val, t_val)
    print("validation, ensemble of the first k members: "
          + ", ".join(f"{a:.2%}" for a in record["ensemble_val_acc"]), flush=True)
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
