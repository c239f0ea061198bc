"""Data augmentation by small shifts: more training images from the ones we have.

A digit moved by a pixel is still the same digit, so shifted copies are free extra training data
(Nielsen, chapter 6: expanding the 50,000 training images to 250,000 by one-pixel shifts took his
network from 99.23 % to 99.37 %; Saitoh, section 8.1.2, lists shifts among the simplest and most
effective augmentations). Two ways to use it:

* :func:`expand_with_shifts` builds Nielsen's expanded set once: every image plus its four
  one-pixel shifts (up, down, left, right), five times the data;
* :func:`random_shifts` moves every image by a random offset; calling it afresh every epoch shows
  the network a slightly different training set each time, for the cost of the original set.

Images may be given as rows of pixels (N, H*W), as (N, H, W) or as (N, C, H, W); the result has
the same shape and dtype. Pixels shifted in from outside the image are 0 (MNIST's background).
"""
import numpy as np

__all__ = ["shift_images", "expand_with_shifts", "random_shifts"]


def _as_images(x, image_shape):
    """View x as (N, C, H, W); return the view and a function restoring x's own shape."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"expected a numpy array of images, got {type(x).__name__}")
    if x.ndim == 2:
        H, W = image_shape
        if x.shape[1] != H * W:
            raise ValueError(f"rows of {x.shape[1]} pixels do not form {H}x{W} images; pass "
                             f"image_shape=(H, W) or images shaped (N, H, W) or (N, C, H, W)")
        return x.reshape(len(x), 1, H, W), lambda y: y.reshape(x.shape)
    if x.ndim == 3:
        return x[:, None], lambda y: y[:, 0]
    if x.ndim == 4:
        return x, lambda y: y
    raise ValueError(f"expected images shaped (N, H*W), (N, H, W) or (N, C, H, W), got shape {x.shape}")


def _shifted(images, dy, dx):
    """images (N, C, H, W) moved dy pixels down and dx pixels right, zeros shifted in."""
    H, W = images.shape[2:]
    if abs(dy) >= H or abs(dx) >= W:
        raise ValueError(f"a shift of ({dy}, {dx}) moves {H}x{W} images out of view")
    out = np.zeros_like(images)
    # Destination rows/columns and the source rows/columns they come from.
    out[:, :, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        images[:, :, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def shift_images(x, dy, dx, image_shape=(28, 28)):
    """Move every image ``dy`` pixels down and ``dx`` pixels right (negative: up / left).

    >>> shift_images(np.eye(3)[None], 0, 1, image_shape=(3, 3))[0]
    array([[0., 1., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    images, restore = _as_images(x, image_shape)
    return restore(_shifted(images, int(dy), int(dx)))


def expand_with_shifts(x, t, image_shape=(28, 28)):
    """Nielsen's expanded training set: the images, then the same images moved one pixel
    down, up, right and left. Returns ``(x5, t5)`` with five times as many rows, in that order
    (``fit`` shuffles them anyway). Labels are repeated to match.
    """
    if len(x) != len(t):
        raise ValueError(f"got {len(x)} images but {len(t)} labels")
    images, _ = _as_images(x, image_shape)
    parts = [images] + [_shifted(images, dy, dx) for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    expanded = np.concatenate(parts).reshape((5 * len(x),) + x.shape[1:])
    return expanded, np.concatenate([np.asarray(t)] * 5)


def random_shifts(x, rng, max_shift=1, image_shape=(28, 28)):
    """Every image moved by its own random offset (dy, dx), each drawn uniformly from
    ``-max_shift .. max_shift`` (so with the default 1, one image in nine stays where it is).

    ``rng`` (a ``numpy.random.Generator``) makes it reproducible. The loop runs over the
    (2*max_shift + 1)**2 possible offsets, each moving all the images that drew it at once.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    if not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f"max_shift must be a non-negative integer, got {max_shift!r}")
    images, restore = _as_images(x, image_shape)
    offsets = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    out = np.empty_like(images)
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            chosen = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
            if len(chosen):
                out[chosen] = _shifted(images[chosen], dy, dx)
    return restore(out)
