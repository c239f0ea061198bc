"""Learning-rate schedules: the learning rate as a function of the iteration.

Each schedule is a function ``schedule(lr0, t, total)`` of the starting rate ``lr0``, the iteration
``t`` (0 for the first step) and the number of iterations ``total``. The training loop sets the
optimizer's public ``lr`` before each step::

    for t in range(total):
        optimizer.lr = cosine_decay(lr0, t, total)
        ...  # forward, backward
        optimizer.step()

PyTorch equivalents: ``torch.optim.lr_scheduler.MultiStepLR`` and ``CosineAnnealingLR`` (with
``eta_min=0``), stepped once per iteration.
"""
import math

__all__ = ["constant", "step_decay", "cosine_decay", "SCHEDULES"]


def _check(lr0, t, total):
    if not (lr0 > 0 and math.isfinite(lr0)):
        raise ValueError(f"the starting learning rate lr0 must be a positive number, got {lr0}")
    if total < 1 or not 0 <= t < total:
        raise ValueError(f"need 0 <= t < total with total >= 1, got t={t}, total={total}")


def constant(lr0, t, total):
    """The same rate at every step."""
    _check(lr0, t, total)
    return lr0


def step_decay(lr0, t, total, drops=(0.5, 0.75), factor=0.1):
    """lr0, multiplied by ``factor`` each time t passes a fraction in ``drops`` of the run."""
    _check(lr0, t, total)
    passed = sum(t >= d * total for d in drops)
    return lr0 * factor ** passed


def cosine_decay(lr0, t, total):
    """Half a cosine wave from lr0 down to 0: lr0 * (1 + cos(pi * t / total)) / 2."""
    _check(lr0, t, total)
    return lr0 * 0.5 * (1.0 + math.cos(math.pi * t / total))


#: The schedules by name, as the training script and the chapter refer to them.
SCHEDULES = {"constant": constant, "step": step_decay, "cosine": cosine_decay}
