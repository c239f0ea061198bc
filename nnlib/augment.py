"""Data augmentation by small shifts: more training images from the ones we have.

A digit moved by a pixel is still the same digit, so shifted copies are free extra training data
(Nielsen, chapter 6: expanding the 50,000 training images to 250,000 by one-pixel shifts took his
network from 99.23 % to 99.37 %; Saitoh, section 8.1.2, lists shifts among the simplest and most
effective augmentations). Two ways to use it:

* :func:`expand_with_shifts` builds Nielsen's expanded set once: every image plus its four
  one-pixel shifts (up, down, left, right), five times the data;
* :func:`random_shifts` moves every image by a random offset; calling it afresh every epoch shows
  the network a slightly different training set each time, for the cost of the original set.

:func:`random_affine` goes one step further: every image is turned by a small random angle, scaled
by a random factor close to 1 and moved by a random (fractional) offset, with pixels read off the
original by bilinear interpolation. A slightly tilted or larger 7 is still a 7; Simard, Steinkraus
and Platt (2003) found such distortions worth more to a convolutional network than shifts alone.

Images may be given as rows of pixels (N, H*W), as (N, H, W) or as (N, C, H, W); the result has
the same shape and dtype. Pixels shifted in from outside the image are 0 (MNIST's background).
"""
import numpy as np

__all__ = ["shift_images", "expand_with_shifts", "random_shifts", "random_affine", "affine_images"]


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



def random_affine(x, rng, max_angle=10.0, max_scale=0.1, max_shift=1.0, image_shape=(28, 28)):
    """Every image turned, scaled and moved by its own random amounts, drawn uniformly:
    an angle in ``-max_angle .. max_angle`` degrees, a scale in ``1 - max_scale .. 1 + max_scale``
    and an offset in ``-max_shift .. max_shift`` pixels along y and along x (see
    :func:`affine_images`). All-zero limits give the images back unchanged. ``rng`` (a
    ``numpy.random.Generator``) makes it reproducible.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    for name, value, top in (("max_angle", max_angle, 180), ("max_scale", max_scale, 1),
                             ("max_shift", max_shift, None)):
        if not np.isfinite(value) or value < 0 or (top is not None and value >= top):
            limit = f" and below {top}" if top is not None else ""
            raise ValueError(f"{name} must be a finite number >= 0{limit}, got {value!r}")
    images, restore = _as_images(x, image_shape)
    N = len(images)
    angles = rng.uniform(-max_angle, max_angle, N)
    scales = rng.uniform(1 - max_scale, 1 + max_scale, N)
    offsets = rng.uniform(-max_shift, max_shift, (N, 2))
    return restore(affine_images(images, angles, scales, offsets))


def affine_images(images, angles, scales, offsets, chunk=4096):
    """Images (N, C, H, W), image i turned by ``angles[i]`` degrees (clockwise on screen),
    scaled by ``scales[i]`` about its centre c and moved by ``offsets[i]`` = (down, right) pixels.

    Output pixel p reads the input at ``A^-1 (p - c - d) + c`` (A the rotation times the scale,
    d the offset), interpolated bilinearly between the four pixels around that point; points
    outside the image read 0 (MNIST's background). ``chunk`` images are done at a time.
    """
    N, C, H, W = images.shape
    if not (len(angles) == len(scales) == len(offsets) == N) or np.shape(offsets)[1:] != (2,):
        raise ValueError(f"need one angle, one scale and one (dy, dx) offset per image for {N} images")
    if np.any(np.asarray(scales) <= 0):
        raise ValueError("scales must be positive")
    f32 = np.float32                                         # plenty for pixel positions
    # The inverse map, per image: source = M (p - c - d) + c, M = rotation(-angle) / scale.
    # With y pointing down the screen, reading at (y cos a - x sin a, y sin a + x cos a) turns
    # the picture clockwise by a.
    radians = np.deg2rad(np.asarray(angles, dtype=np.float64))
    cos = (np.cos(radians) / scales).astype(f32)
    sin = (np.sin(radians) / scales).astype(f32)
    offsets = np.asarray(offsets, dtype=f32)
    cy, cx = f32((H - 1) / 2), f32((W - 1) / 2)
    py, px = np.meshgrid(np.arange(H, dtype=f32) - cy, np.arange(W, dtype=f32) - cx, indexing="ij")
    py, px = py.ravel(), px.ravel()                          # (H*W,) each, relative to the centre
    out = np.empty(images.shape, dtype=np.result_type(images.dtype, f32))
    for start in range(0, N, chunk):
        s = slice(start, start + chunk)
        n = len(images[s])
        qy = py - offsets[s, :1]                             # (n, H*W): p - d, relative to c
        qx = px - offsets[s, 1:]
        sy = cos[s, None] * qy - sin[s, None] * qx + cy      # where each output pixel reads
        sx = sin[s, None] * qy + cos[s, None] * qx + cx
        y0, x0 = np.floor(sy), np.floor(sx)
        fy, fx = sy - y0, sx - x0
        y0, x0 = y0.astype(np.int32), x0.astype(np.int32)
        # The images padded by one zero pixel all round, one flat row per channel. A corner that
        # falls outside is clipped onto that zero border, so it adds nothing.
        padded = np.pad(images[s], ((0, 0), (0, 0), (1, 1), (1, 1))).reshape(n * C, -1)
        rows = (np.arange(n * C, dtype=np.int64) * padded.shape[1]).reshape(n, C, 1)
        acc = np.zeros((n, C, H * W), dtype=out.dtype)
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                yy = np.clip(y0 + (dy + 1), 0, H + 1)        # + 1: the padding
                xx = np.clip(x0 + (dx + 1), 0, W + 1)
                acc += (wy * wx)[:, None] * padded.ravel()[rows + (yy * (W + 2) + xx)[:, None]]
        out[s] = acc.reshape(n, C, H, W)
    return out.astype(images.dtype, copy=False)
