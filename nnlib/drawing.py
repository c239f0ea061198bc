"""A drawing turned into an MNIST digit, the way the MNIST images were made.

The drawing pad of chapters 7 and 12 records pen strokes; this module turns them into the
(28, 28) grey image a network trained on MNIST expects. It is the Python twin of the same steps in
``nnlib/pad/digitpad.js``, which the web page runs; the tests check that both give the same array.

A *stroke* is a list of points ``(x, y)`` in pad units: the pad is the square [0, 1] x [0, 1],
x to the right and y downwards. A drawing is a list of strokes.

1. :func:`rasterize`: the strokes are drawn with a round pen of radius ``radius`` (pad units) on a
   ``grid`` x ``grid`` image. A pixel's ink is 1 where its centre lies more than half a pixel inside
   the pen's reach, 0 more than half a pixel outside, and falls linearly in between (a soft edge).
2. :func:`mnist_style` (the MNIST recipe, for any grey image): the bounding box of the ink is scaled
   so that its longer side is 20 pixels, keeping the aspect ratio, by averaging areas (so grey
   levels appear at the edges, as in MNIST); the 20-pixel patch is then put into a 28 x 28 image so
   that its centre of mass lies at the image's centre, (14, 14), as near as whole pixels allow.

Rounding is ``floor(v + 0.5)`` throughout (not Python's round-half-to-even), as in the JavaScript.
"""
import math

import numpy as np

__all__ = ["GRID", "RADIUS", "rasterize", "mnist_style", "drawing_to_mnist"]

GRID = 112          # pixels per side of the rasterised pad (4 x 28)
RADIUS = 0.04       # the pen's radius, in pad units (the pad's side is 1)
BOX = 20            # MNIST: the digit's bounding box is scaled into 20 x 20 ...
SIZE = 28           # ... and placed in a 28 x 28 image by its centre of mass


def _round(v):
    return math.floor(v + 0.5)


def _checked_strokes(strokes):
    if isinstance(strokes, np.ndarray):
        strokes = [strokes]
    checked = []
    for k, stroke in enumerate(strokes):
        points = np.asarray(stroke, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(f"stroke {k} must be a non-empty list of (x, y) points, e.g. "
                             f"[(0.5, 0.2), (0.5, 0.8)]; got an array of shape {points.shape}")
        if not np.all(np.isfinite(points)):
            raise ValueError(f"stroke {k} holds a point that is not a finite number")
        checked.append(points)
    return checked


def rasterize(strokes, grid=GRID, radius=RADIUS):
    """The strokes drawn with a round pen: a (grid, grid) float64 image of ink in [0, 1].

    ``strokes``: a list of strokes, each a list of (x, y) points in pad units (see the module).
    A stroke of one point is a dot. Points outside the pad are allowed; their ink is cut off.
    """
    if not (isinstance(grid, (int, np.integer)) and grid >= 8):
        raise ValueError(f"grid must be a whole number of pixels, at least 8; got {grid!r}")
    if not radius > 0:
        raise ValueError(f"radius must be positive (pad units, e.g. 0.04); got {radius!r}")
    reach = radius * grid + 0.5                       # in pixels, to the end of the soft edge
    distance = np.full((grid, grid), np.inf)
    centres = np.arange(grid) + 0.5
    for points in _checked_strokes(strokes):
        p = points * grid
        segments = zip(p[:-1], p[1:]) if len(p) > 1 else [(p[0], p[0])]
        for (ax, ay), (bx, by) in segments:
            # only the pixels near the segment (its bounding box grown by the pen's reach)
            c0, c1 = max(0, math.floor(min(ax, bx) - reach)), min(grid, math.ceil(max(ax, bx) + reach) + 1)
            r0, r1 = max(0, math.floor(min(ay, by) - reach)), min(grid, math.ceil(max(ay, by) + reach) + 1)
            if c0 >= c1 or r0 >= r1:
                continue
            px, py = centres[None, c0:c1], centres[r0:r1, None]
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            if length2 > 0:
                t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
            else:
                t = np.zeros((r1 - r0, c1 - c0))
            ex, ey = px - (ax + t * dx), py - (ay + t * dy)
            d = np.sqrt(ex * ex + ey * ey)
            np.minimum(distance[r0:r1, c0:c1], d, out=distance[r0:r1, c0:c1])
    return np.clip(reach - distance, 0.0, 1.0)


def _area_weights(n_in, n_out):
    """(n_out, n_in) matrix: row i averages the inputs covered by output pixel i (exact overlaps)."""
    weights = np.zeros((n_out, n_in))
    step = n_in / n_out
    for i in range(n_out):
        lo, hi = i * step, (i + 1) * step
        for k in range(math.floor(lo), min(n_in, math.ceil(hi))):
            overlap = min(hi, k + 1) - max(lo, k)
            if overlap > 0:
                weights[i, k] = overlap / step
    return weights


def mnist_style(image):
    """A grey image (ink = 1, paper = 0) made into an MNIST digit: a (28, 28) float32 array.

    The ink's bounding box is scaled to 20 pixels on its longer side (aspect ratio kept, areas
    averaged), then placed in 28 x 28 with its centre of mass at the centre (whole-pixel shift,
    kept inside the image). Raises ``ValueError`` for an image without ink.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D grey image (rows, columns); got shape {image.shape}")
    if not np.all(np.isfinite(image)) or image.min() < 0 or image.max() > 1:
        raise ValueError("image must hold grey levels between 0 (paper) and 1 (ink)")
    rows, cols = np.flatnonzero(image.max(axis=1) > 0), np.flatnonzero(image.max(axis=0) > 0)
    if len(rows) == 0:
        raise ValueError("the drawing is empty: draw a digit on the pad first")
    crop = image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, _round(h * scale)), max(1, _round(w * scale))
    patch = _area_weights(h, nh) @ crop @ _area_weights(w, nw).T
    mass = patch.sum()
    cy = float((patch.sum(axis=1) * (np.arange(nh) + 0.5)).sum() / mass)
    cx = float((patch.sum(axis=0) * (np.arange(nw) + 0.5)).sum() / mass)
    top = min(max(_round(SIZE / 2 - cy), 0), SIZE - nh)
    left = min(max(_round(SIZE / 2 - cx), 0), SIZE - nw)
    out = np.zeros((SIZE, SIZE))
    out[top:top + nh, left:left + nw] = patch
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def drawing_to_mnist(strokes, grid=GRID, radius=RADIUS):
    """Pen strokes (pad units, see the module) as an MNIST digit: ``mnist_style(rasterize(...))``."""
    return mnist_style(rasterize(strokes, grid=grid, radius=radius))
