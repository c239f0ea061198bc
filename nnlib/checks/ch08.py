"""Checker for the exercise of chapter 8 (universality): bump heights chosen by hand.

The reader picks the heights of ``N_BUMPS`` bumps of equal width on [0, 1] so that the network of
:func:`nnlib.universality.bump_network` follows Nielsen's function ``target`` (his chapter 4),

    f(x) = 0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x).

``check_heights(heights)`` builds that network with the reader's numbers, measures its largest
error on [0, 1] and compares it with the heights that are best for a staircase of this many bumps
(each halfway between the smallest and the largest value of f under its bump). It prints one report: the
error, where it is, which bump is furthest off and by how much, and a verdict. Bad input (the
wrong number of heights, text, NaN) gets a message that says what to give instead; nothing raises.
"""
from dataclasses import dataclass

import numpy as np

from ..universality import as_model, best_heights, bump_edges, bump_network, forward, max_error

__all__ = ["target", "N_BUMPS", "STEEPNESS", "CLOSE", "NEAR", "HeightsReport", "heights_report",
           "check_heights"]

#: How many bumps the reader sets, and how steep their steps are.
N_BUMPS = 10
STEEPNESS = 1000.0
#: A largest error within CLOSE of the best staircase is "as good as it gets"; within NEAR, "close".
CLOSE = 0.01
NEAR = 0.05


def target(x):
    """Nielsen's function of his chapter 4: 0.2 + 0.4 x^2 + 0.3 x sin(15 x) + 0.05 cos(50 x)."""
    x = np.asarray(x, dtype=np.float64)
    return 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)


@dataclass
class HeightsReport:
    """The outcome of one check: ``ok`` (close to the best), the numbers behind it, and ``text``."""

    ok: bool
    text: str
    error: float = float("nan")
    best_error: float = float("nan")
    x_at_error: float = float("nan")

    def __str__(self):
        return self.text


def _read_heights(heights):
    """(array, None) for N_BUMPS finite numbers, else (None, what is wrong and what to do)."""
    if heights is None:
        return None, (f"heights is not set yet: replace None with a list of {N_BUMPS} numbers,\n"
                      "    one height per bump from left to right, and run this cell again.")
    if isinstance(heights, (str, bytes)):
        return None, f"heights must be {N_BUMPS} numbers, got the text {heights!r}."
    try:
        array = np.asarray(heights, dtype=np.float64)
    except (TypeError, ValueError):
        return None, (f"heights must be {N_BUMPS} numbers, such as [0.2, 0.25, ...]; could not read "
                      f"{heights!r} as numbers.")
    if array.ndim != 1 or array.size != N_BUMPS:
        return None, (f"give exactly {N_BUMPS} heights, one per bump from left to right; got "
                      f"{array.size} number{'s' if array.size != 1 else ''} (shape {array.shape}).")
    if not np.all(np.isfinite(array)):
        return None, "every height must be a finite number; found NaN or infinity."
    return array, None


def heights_report(heights):
    """Measure ``heights`` and return a :class:`HeightsReport` (prints nothing)."""
    title = f"Checking your {N_BUMPS} bump heights"
    array, problem = _read_heights(heights)
    if problem is not None:
        return HeightsReport(False, f"{title}\n  ✗ {problem}")
    edges = bump_edges(N_BUMPS, steepness=STEEPNESS)
    model = as_model(bump_network(edges, array, STEEPNESS))
    error, x_at = max_error(lambda x: forward(model, x), target)
    best, best_error = best_heights(target, edges)
    best_network = as_model(bump_network(edges, best, STEEPNESS))
    best_error, _ = max_error(lambda x: forward(best_network, x), target)
    gap = error - best_error
    x = np.linspace(0.0, 1.0, 2001)
    per_bump = np.abs(forward(model, x) - target(x))
    which = np.minimum((x * N_BUMPS).astype(int), N_BUMPS - 1)
    own = [per_bump[which == i].max() for i in range(N_BUMPS)]
    width = 1.0 / N_BUMPS
    bump = min(int(x_at / width), N_BUMPS - 1)
    off = array[bump] - best[bump]
    lines = [title,
             f"  your largest error: {error:.3f}, at x = {x_at:.3f} (under bump {bump + 1}, "
             f"x from {bump * width:.1f} to {(bump + 1) * width:.1f})",
             f"  the halfway heights give: {best_error:.3f} (each halfway between the lowest and",
             "    the highest point of f under its bump)",
             "  largest error under each bump: " + " ".join(f"{e:.2f}" for e in own)]
    if gap <= CLOSE:
        ok = True
        lines.append(f"  ✓ as good as {N_BUMPS} bumps get (within {CLOSE} of the halfway heights).")
        lines.append("    To do better you need more bumps, not better heights.")
    elif gap <= NEAR:
        ok = True
        lines.append(f"  ✓ close: {gap:.3f} above the halfway heights.")
        lines.append(f"    Bump {bump + 1} is {abs(off):.3f} too {'high' if off > 0 else 'low'}; "
                     "nudge it and run again.")
    else:
        ok = False
        lines.append(f"  ✗ not close yet: {gap:.3f} above the halfway heights.")
        lines.append(f"    Bump {bump + 1} is {abs(off):.3f} too {'high' if off > 0 else 'low'}.")
        lines.append("    hint: put each height halfway between the lowest and the highest")
        lines.append("    point of the curve under its bump.")
    return HeightsReport(ok, "\n".join(lines), error, best_error, x_at)


def check_heights(heights):
    """Check the reader's bump heights for ``target`` and print the report (returns None)."""
    print(heights_report(heights))
