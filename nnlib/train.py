"""Training: shuffled mini-batches, the fit loop, prediction and accuracy.

    history = fit(model, MeanSquaredError(), SGD(model.parameters(), lr=3.0), x_train, t_train,
                  epochs=30, batch_size=10, rng=np.random.default_rng(1), validation=(x_test, t_test))

One iteration = one mini-batch: forward in training mode, loss, backward, optimizer step. The loss of
that forward pass is what gets logged (no second forward pass just for the log). Accuracies are
measured once per epoch in evaluation mode (no dropout, BatchNorm's running statistics).
"""
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np


class DivergenceError(ArithmeticError):
    """The loss became NaN or infinite. ``iteration``, ``epoch``, ``lr``, ``loss`` and the ``history``
    up to that point are kept as attributes, so that a caller (a slider, say) can show what happened."""

    def __init__(self, iteration, epoch, lr, loss, history):
        super().__init__(f"diverged at iteration {iteration} (epoch {epoch + 1}) with learning rate {lr:g}: "
                         f"the loss became {loss}; try a smaller one")
        self.iteration, self.epoch, self.lr, self.loss, self.history = iteration, epoch, lr, loss, history


@dataclass
class History:
    """What ``fit`` records: ``loss`` per iteration; ``train_acc``, ``val_acc`` (fractions in [0, 1])
    and ``seconds`` (training time of the epoch, evaluation excluded) per epoch."""

    loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


def minibatches(n, batch_size, rng):
    """Yield the index arrays of one epoch: a random permutation of range(n) cut into batches.

    Every sample is used exactly once; the last batch is smaller if batch_size does not divide n.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def predict(model, x, batch_size=1000):
    """The model's outputs for x in evaluation mode, computed batch_size rows at a time. Shape (N, C)."""
    outputs = [model.forward(x[i:i + batch_size], training=False) for i in range(0, len(x), batch_size)]
    return np.concatenate(outputs)


def accuracy(model, x, t, batch_size=1000):
    """Fraction of samples whose largest output is the label (t: labels (N,) or one-hot (N, C))."""
    t = np.asarray(t)
    labels = t.argmax(axis=1) if t.ndim == 2 else t
    if len(labels) != len(x):
        raise ValueError(f"accuracy got {len(x)} inputs but {len(labels)} labels")
    if len(x) == 0:
        raise ValueError("accuracy needs at least one sample, got none")
    correct = 0
    for i in range(0, len(x), batch_size):
        scores = model.forward(x[i:i + batch_size], training=False)
        correct += int(np.count_nonzero(scores.argmax(axis=1) == labels[i:i + batch_size]))
    return correct / len(x)


def _progress_bar(progress, total):
    """A tqdm bar, or None. progress=None: only when stderr is a terminal; True: always; False: never."""
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm (pip install tqdm)") from None
        return None
    return tqdm(total=total, unit="it", mininterval=0.5, leave=False)


def fit(model, loss, optimizer, x, t, *, epochs, batch_size, rng, validation=None,
        train_accuracy=True, progress=None, on_epoch=None):
    """Train ``model`` with mini-batch gradient descent and return a :class:`History`.

    ``x`` (N, ...) and ``t`` (labels (N,) or targets (N, C)) are the training set; ``rng`` (a
    ``numpy.random.Generator``) shuffles it every epoch. ``validation=(x_val, t_val)`` adds a
    validation accuracy per epoch; ``train_accuracy=False`` skips the training-set accuracy (it costs
    a forward pass over the whole set). ``progress``: None (default) shows a tqdm bar only when
    stderr is a terminal (so notebooks and logs stay quiet), True always, False never.
    ``on_epoch(epoch, history)`` is called after every epoch (epoch counts from 0); if it returns
    True, training stops early.
    Raises :class:`DivergenceError` as soon as the loss is NaN or infinite.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    if not isinstance(x, np.ndarray):
        raise ValueError(f"fit expected the inputs x as a numpy array, got a {type(x).__name__}")
    t = np.asarray(t)
    if len(x) != len(t):
        raise ValueError(f"fit got {len(x)} inputs but {len(t)} targets")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if t.ndim == 1 and t.dtype.kind == "i" and len(t) and t.min() < 0:
        raise ValueError(f"labels must be 0..C-1, got a label {t.min()}")
    history = History()
    n = len(x)
    bar = _progress_bar(progress, total=epochs * math.ceil(n / batch_size))
    iteration = 0
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            for batch in minibatches(n, batch_size, rng):
                iteration += 1
                scores = model.forward(x[batch], training=True)
                value = loss.forward(scores, t[batch])
                if not math.isfinite(value):
                    raise DivergenceError(iteration, epoch, optimizer.lr, value, history)
                model.backward(loss.backward())
                optimizer.step()
                history.loss.append(value)
                if bar is not None:
                    bar.update(1)
            history.seconds.append(time.perf_counter() - start)
            if train_accuracy:
                history.train_acc.append(accuracy(model, x, t))
            if validation is not None:
                history.val_acc.append(accuracy(model, *validation))
            if bar is not None:
                shown = {"loss": f"{np.mean(history.loss[-100:]):.4f}"}
                if history.val_acc:
                    shown["val_acc"] = f"{history.val_acc[-1]:.4f}"
                bar.set_postfix(shown, refresh=False)
            if on_epoch is not None and on_epoch(epoch, history):
                break
    finally:
        if bar is not None:
            bar.close()
    return history
