"""Convolution and pooling on NCHW images, written so that a reader can follow every line.

Shapes use the letters of Saito's chapter 7: ``N`` images in a batch, ``C`` input channels,
``H x W`` input height and width, ``FN`` filters of size ``C x FH x FW``, output maps of size
``OH x OW``. Every layer follows the protocol of :mod:`nnlib.layers`.

The module has two halves.

* The *textbook* half: :func:`conv_output_size`, :func:`im2col` and :func:`col2im`. ``im2col``
  keeps Saito's layout: one row per output pixel, one column per filter element, i.e. a matrix
  of shape ``(N*OH*OW, C*FH*FW)``. A convolution is then ``im2col(x) @ W.reshape(FN, -1).T``.
* The *layers*: :class:`Convolution` and :class:`Pooling`. They compute exactly the same thing,
  but keep their arrays *channels last* in memory (the C numbers of one pixel side by side) and
  hand them on that way, still shaped (N, C, H, W) (see :class:`Convolution` for why); this makes
  them several times faster than the textbook layout on a CPU, because almost all of the time of a
  NumPy convolution goes into moving data around, not into the matrix product.

Neither half loops over pixels or images in Python: the only Python loops run over the ``FH*FW``
positions inside a filter (a handful of large array operations), and, in ``Convolution``, over
blocks of images that fit in the processor's cache.
"""
from types import SimpleNamespace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import init as initializers
from .layers import Layer, Parameter
from .parallel import default_workers, in_parts, parts_for

__all__ = ["conv_output_size", "im2col", "col2im", "Convolution", "Pooling"]


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------

def _pair(value, what):
    """Turn ``3`` into ``(3, 3)`` and check that ``(3, 5)`` holds two positive integers."""
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in value):
        raise ValueError(f"{what} must be a positive integer or a pair of them, got {value!r}")
    return int(value[0]), int(value[1])


def _check_images(x, layer, channels=None, dtype=None):
    """Check that ``x`` is a 4-D NCHW float array (with ``channels`` channels, of ``dtype``)."""
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        shape = getattr(x, "shape", type(x).__name__)
        raise ValueError(
            f"{layer} expects a 4-D array of images shaped (N, C, H, W), got shape {shape}; "
            "MNIST rows of 784 pixels become images with x.reshape(-1, 1, 28, 28)")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{layer} was built for {channels} input channel(s) but the input has shape "
            f"{x.shape}, i.e. {x.shape[1]} channel(s); check the order (N, C, H, W) and the "
            "channel count of the previous layer")
    if dtype is not None and x.dtype != dtype:
        raise ValueError(
            f"{layer} works in {np.dtype(dtype).name} but received {x.dtype.name} input; "
            f"convert the input with x.astype(np.{np.dtype(dtype).name}) or build the layer "
            f"with dtype=np.{x.dtype.name} (NumPy would otherwise silently change precision)")
    if dtype is None and not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{layer} expects floating-point images, got dtype {x.dtype.name}; "
                         "convert with x.astype(np.float32)")


def _padded(x, pad, fill=0.0, axes=(2, 3)):
    """A copy of ``x`` with ``pad`` rows/columns of ``fill`` all around along the two image
    ``axes`` (x itself if ``pad`` is 0): (2, 3) for NCHW arrays, (1, 2) for channels-last ones.

    (The same as ``np.pad(x, widths, constant_values=fill)``, written out because it is simple
    and several times faster.)
    """
    if pad == 0:
        return x
    shape = list(x.shape)
    interior = [slice(None)] * x.ndim
    for axis in axes:
        interior[axis] = slice(pad, pad + shape[axis])
        shape[axis] += 2 * pad
    out = np.full(shape, fill, dtype=x.dtype)
    out[tuple(interior)] = x
    return out


def _window_slice(offset, stride, count):
    """The slice that picks ``count`` positions ``offset, offset + stride, ...`` along an axis."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """Output length of a convolution or pooling along one axis (Saito's equation 7.1).

    ``OH = (H + 2*pad - FH) // stride + 1``. When ``stride`` does not divide
    ``H + 2*pad - FH`` exactly, the last rows that do not fill a whole window are dropped (the
    same rounding down as PyTorch's ``Conv2d``).

    >>> conv_output_size(28, 5)            # SimpleConvNet: 28x28 input, 5x5 filters
    24
    >>> conv_output_size(7, 3, stride=2)   # Saito's figure 7-7
    3
    """
    for name, value in (("input_size", input_size), ("filter_size", filter_size),
                        ("stride", stride)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be a non-negative integer, got {pad!r}")
    span = input_size + 2 * pad - filter_size
    if span < 0:
        raise ValueError(
            f"a filter of size {filter_size} does not fit into an input of size {input_size} "
            f"with padding {pad}; use a smaller filter or more padding")
    return int(span // stride + 1)


# ----------------------------------------------------------------------------------------------
# im2col and col2im (Saito's layout)
# ----------------------------------------------------------------------------------------------

def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """Unroll every filter-sized patch of ``x`` into one row of a matrix (Saito section 7.4.2).

    Parameters
    ----------
    x : array of shape (N, C, H, W)
    filter_h, filter_w : size of the patches (the filter)
    stride, pad : as in the convolution

    Returns
    -------
    col : array of shape (N*OH*OW, C*FH*FW)
        Row ``(n*OH + oh)*OW + ow`` holds the patch under output pixel ``(oh, ow)`` of image
        ``n``; its ``C*FH*FW`` entries are ordered channel first, then filter row, then filter
        column -- the order of ``W.reshape(FN, -1)`` for filters ``W`` of shape
        ``(FN, C, FH, FW)``. So ``im2col(x, FH, FW) @ W.reshape(FN, -1).T`` computes the
        convolution, with one output pixel per row and one filter per column.

    >>> im2col(np.zeros((1, 3, 7, 7)), 5, 5).shape
    (9, 75)
    >>> im2col(np.zeros((10, 3, 7, 7)), 5, 5).shape
    (90, 75)
    """
    _check_images(x, "im2col")
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    xp = _padded(x, pad)
    # A read-only *view* of all patches, shape (N, C, H+2p-FH+1, W+2p-FW+1, FH, FW): no copying.
    windows = sliding_window_view(xp, (filter_h, filter_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :OH, :OW]      # keep every stride-th
    # Reorder to (N, OH, OW, C, FH, FW) and flatten: this is the one real copy.
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """Fold a column matrix back into images: the adjoint (transpose) of :func:`im2col`.

    Every entry of ``col`` is added to the input pixel it was copied from, so pixels covered by
    several patches receive the sum of their entries. This is exactly what the backward pass of
    a convolution needs: ``<im2col(x), col> == <x, col2im(col)>`` for all ``x`` and ``col``.

    Parameters
    ----------
    col : array of shape (N*OH*OW, C*FH*FW), laid out as :func:`im2col` returns it
    input_shape : (N, C, H, W), the shape of the images ``col`` was made from

    Returns
    -------
    array of shape (N, C, H, W)

    The loop runs over the ``FH*FW`` positions inside the filter: for each one, all the
    pixels it touched form a strided slice of the (padded) image, and one vectorised
    ``+=`` adds them all. (Within one filter position, no two output pixels touch the same
    input pixel, which is why a plain ``+=`` is correct here and ``np.add.at`` is not needed.)
    """
    if len(input_shape) != 4:
        raise ValueError(f"input_shape must be (N, C, H, W), got {input_shape!r}")
    N, C, H, W = (int(v) for v in input_shape)
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    expected = (N * OH * OW, C * filter_h * filter_w)
    if not isinstance(col, np.ndarray) or col.shape != expected:
        raise ValueError(
            f"col2im expected a column matrix of shape {expected} for images {tuple(input_shape)} "
            f"and a {filter_h}x{filter_w} filter (stride {stride}, pad {pad}), got "
            f"{getattr(col, 'shape', type(col).__name__)}")
    patches = col.reshape(N, OH, OW, C, filter_h, filter_w)
    image = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for i in range(filter_h):
        rows = _window_slice(i, stride, OH)
        for j in range(filter_w):
            cols = _window_slice(j, stride, OW)
            # patches[..., i, j] is (N, OH, OW, C); move C next to N to match the image.
            image[:, :, rows, cols] += patches[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return image[:, :, pad:pad + H, pad:pad + W].copy()


# ----------------------------------------------------------------------------------------------
# The convolution layer
# ----------------------------------------------------------------------------------------------

class Convolution(Layer):
    """2-D convolution (strictly, cross-correlation) of NCHW images with ``FN`` learned filters.

    ``out[n, f, oh, ow] = b[f] + sum_{c,i,j} W[f, c, i, j] * xpad[n, c, oh*stride + i, ow*stride + j]``

    Shapes: input ``(N, C, H, W)`` -> output ``(N, FN, OH, OW)``, ``OH = conv_output_size(H, FH,
    stride, pad)``. Parameters: ``W`` of shape ``(FN, C, FH, FW)`` and ``b`` of shape ``(FN,)``.
    PyTorch equivalent: ``torch.nn.Conv2d(C, FN, (FH, FW), stride=stride, padding=pad)`` (same
    weight layout, so weights can be copied across).

    Parameters
    ----------
    in_channels, out_channels : C and FN
    kernel_size : FH (square filters) or (FH, FW)
    rng : numpy.random.Generator used to draw the initial weights
    stride, pad : step of the filter and zero padding added on every side
    init : ``"he"`` (default, std ``sqrt(2 / (C*FH*FW))``, suited to a following ReLU),
        ``"xavier"`` or a number, the std of normal weights (Saito's SimpleConvNet uses 0.01);
        see :mod:`nnlib.init`
    bias_std : std of normal initial biases (default 0: zeros, as Saito; Nielsen uses 1)
    dtype : float32 for training (default), float64 for gradient checks

    ``backward(dout, input_grad=False)`` fills the gradients of ``W`` and ``b`` but skips
    dL/dx and returns None (used for the first layer of a network, see :mod:`nnlib.layers`).

    How it computes (channels last)
    -------------------------------
    The layer computes exactly what ``im2col(x) @ W.reshape(FN, -1).T`` computes, but it keeps
    the numbers in a different order in memory: *channels last*. An array of shape (N, C, H, W)
    can be stored with the C values of one pixel next to each other (the memory order of an
    (N, H, W, C) array); NumPy's ``a.transpose(0, 3, 1, 2)`` of an (N, H, W, C) array is such an
    NCHW array, with no copying. This layer returns its output that way, and the layers after
    it (ReLU, Pooling, the next Convolution) keep it, so the data never has to be transposed
    between layers. (PyTorch calls this the ``channels_last`` memory format.) Any NCHW array is
    accepted as input; one stored the ordinary way is simply read in a different order.

    Why it is faster: with channels last, the patch under one output pixel is FH runs of FW*C
    numbers that sit next to each other in memory, so the column matrix -- one row per output
    pixel, one column per filter element ``(i, j, c)``, Saito's layout with the filter elements
    in a different order -- is filled by long copies, and the matrix product ``cols @ W2``
    (``W2`` holds the filters as columns) writes its (pixels, FN) result directly in the
    output's memory order.

    The images are processed in blocks of a few, so that the column matrix of a block (about
    ``block_bytes``) stays in the processor's cache between being written and being multiplied;
    the backward pass rebuilds the columns of each block instead of storing them all. With
    ``workers = 2`` the two halves of a batch run on two threads (see :func:`nnlib.parallel.default_workers`).
    For stride 1 the gradient with respect to the input is computed as a convolution too (see
    :meth:`backward`).
    """

    can_skip_input_grad = True

    #: Size in bytes of the column matrix of one block of images (see the class docstring).
    block_bytes = 4 * 2**20
    #: How many threads share the work of one call (1 or 2; see :func:`nnlib.parallel.default_workers`).
    workers = default_workers()

    def __init__(self, in_channels, out_channels, kernel_size, rng, *, stride=1, pad=0,
                 init="he", bias_std=0.0, dtype=np.float32):
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        FH, FW = _pair(kernel_size, "kernel_size")
        W = initializers.weights((out_channels, in_channels, FH, FW), init, rng, dtype)
        b = initializers.normal((out_channels,), bias_std, rng, dtype)
        self._setup(W, b, stride, pad)

    @classmethod
    def from_arrays(cls, W, b, stride=1, pad=0):
        """Build the layer around given arrays, Saito style: ``Convolution.from_arrays(W, b)``.

        ``W`` has shape (FN, C, FH, FW) and ``b`` shape (FN,); both are used as they are (no copy).
        """
        layer = cls.__new__(cls)
        layer._setup(W, b, stride, pad)
        return layer

    def _setup(self, W, b, stride, pad):
        if not isinstance(W, np.ndarray) or W.ndim != 4:
            raise ValueError(f"W must be a 4-D array (FN, C, FH, FW), got shape "
                             f"{getattr(W, 'shape', type(W).__name__)}")
        if not np.issubdtype(W.dtype, np.floating):
            raise ValueError(f"W must hold floats, got dtype {W.dtype.name}")
        if not isinstance(b, np.ndarray) or b.shape != (W.shape[0],) or b.dtype != W.dtype:
            raise ValueError(f"b must be a {W.dtype.name} array of shape ({W.shape[0]},) to match W "
                             f"{W.shape}, got {getattr(b, 'dtype', '?')} {getattr(b, 'shape', '?')}")
        if not isinstance(stride, (int, np.integer)) or stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride!r}")
        if not isinstance(pad, (int, np.integer)) or pad < 0:
            raise ValueError(f"pad must be a non-negative integer, got {pad!r}")
        self.W = Parameter(W, "W")
        self.b = Parameter(b, "b")
        self.stride, self.pad = int(stride), int(pad)
        self.dtype = W.dtype
        self._buffers = {}
        self._cache = self._x = None

    def parameters(self):
        return [self.W, self.b]

    def __repr__(self):
        FN, C, FH, FW = self.W.data.shape
        return (f"Convolution({C}, {FN}, kernel_size=({FH}, {FW}), stride={self.stride}, "
                f"pad={self.pad}, dtype={self.W.data.dtype.name})")

    # -- bookkeeping: sizes, scratch memory kept between calls, splitting the batch --------------

    def _geometry(self, x_shape):
        """All the sizes one forward/backward pass needs."""
        N, C, H, W = x_shape
        FN, _, FH, FW = self.W.data.shape
        s, p = self.stride, self.pad
        OH, OW = conv_output_size(H, FH, s, p), conv_output_size(W, FW, s, p)
        K = FH * FW * C                               # columns of the column matrix
        # dL/dx as a convolution of dL/dy (see backward): only for stride 1 and padding that
        # leaves dy's own padding FH-1-p non-negative, and only when its columns (FH*FW*FN per
        # input pixel) are not much bigger than the input's; with many more filters than
        # channels (SimpleConvNet: 30 filters, 1 channel), col2im moves less data.
        transposed = s == 1 and p <= min(FH, FW) - 1 and FN <= self.transposed_ratio * C
        # dW from the columns of dy built for that convolution: as many multiply-adds as
        # cols.T @ dy, and one column matrix fewer to build. With more filters than channels its
        # matrix product is shaped worse (measured 20-30 % slower at FN = 2C), so then dW still
        # uses x's columns.
        dW_from_dy = transposed and FN <= C
        per_image = max(K * OH * OW, FH * FW * FN * H * W if transposed else 0)
        block = max(1, min(N, self.block_bytes // (per_image * self.dtype.itemsize)))
        return SimpleNamespace(N=N, C=C, H=H, W=W, FN=FN, FH=FH, FW=FW, OH=OH, OW=OW, K=K,
                               transposed=transposed, dW_from_dy=dW_from_dy, block=int(block))

    #: Use the transposed convolution for dL/dx while FN <= transposed_ratio * C (measured: at
    #: FN = 2C, as in DeepConvNet's 16 -> 32 and 32 -> 64 layers, it is still the faster way).
    transposed_ratio = 2

    def _buffer(self, name, shape, zero=False):
        """An array of ``shape`` kept between calls (allocating tens of MB every time is slow);
        ``zero``: filled with zeros when it is (re)made."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = np.zeros(shape, self.dtype) if zero else np.empty(shape, self.dtype)
            self._buffers[name] = buf
        return buf

    def _scratch(self, name, shape):
        """A contiguous scratch array of ``shape``, carved from storage kept between calls."""
        size = int(np.prod(shape))
        buf = self._buffers.get(name)
        if buf is None or buf.size < size:
            buf = np.empty(size, self.dtype)
            self._buffers[name] = buf
        return buf[:size].reshape(shape)

    def _blocks(self, lo, hi, g):
        """Split the images lo:hi into blocks of at most ``g.block`` images."""
        return [(start, min(hi, start + g.block)) for start in range(lo, hi, g.block)]

    # -- im2col and col2im in this layer's layout ------------------------------------------------

    def _padded_buffer(self, name, shape, pad_h, pad_w):
        """A zero-bordered channels-last buffer (N, h + 2*pad_h, w + 2*pad_w, C) for images of
        ``shape`` (N, h, w, C); returns the buffer and an (N, h, w, C) view of where the images
        go. (Only the interior is ever written, so the border stays zero from call to call.)"""
        N, h, w, C = shape
        buf = self._buffer(name, (N, h + 2 * pad_h, w + 2 * pad_w, C), zero=True)
        return buf, buf[:, pad_h:pad_h + h, pad_w:pad_w + w]

    def _columns(self, name, padded, FH, FW, stride, out_h, out_w, lo, hi):
        """The column matrix (n*out_h*out_w, FH*FW*C) of images lo:hi of a padded channels-last
        buffer (N, Hp, Wp, C): row ``(n, oh, ow)``, column ``(i, j, c)`` holds
        ``padded[n, oh*stride + i, ow*stride + j, c]``.

        ``sliding_window_view`` shows every FH x FW window without copying; keeping every
        stride-th one and putting the axes in the order wanted gives the patches, and one copy
        fills a scratch buffer with them. Copies are fast when they read long runs of
        neighbouring numbers, so the buffer is laid out in one of two ways:

        * ``(n, out_h, out_w, FH, FW, C)``, read in runs of FW*C numbers (one row of a patch),
          when there are many channels;
        * ``(FH, FW, C, n, out_h, out_w)``, read in runs of out_w numbers (one row of output
          pixels), when FW*C is shorter than that -- e.g. the first layer, C = 1. The result is
          then the transpose of that buffer, a view; the matrix products accept either.
        """
        C = padded.shape[3]
        windows = sliding_window_view(padded[lo:hi], (FH, FW), axis=(1, 2))  # (n, ., ., C, FH, FW)
        windows = windows[:, ::stride, ::stride][:, :out_h, :out_w]          # (n, oh, ow, C, FH, FW)
        if FW * C >= out_w:
            cols = self._scratch(name, windows.shape[:3] + (FH, FW, C))
            np.copyto(cols, windows.transpose(0, 1, 2, 4, 5, 3))
            return cols.reshape(-1, FH * FW * C)
        cols = self._scratch(name, (FH, FW, C) + windows.shape[:3])
        np.copyto(cols, windows.transpose(4, 5, 3, 0, 1, 2))
        return cols.reshape(FH * FW * C, -1).T

    # -- forward and backward -------------------------------------------------------------------

    def forward(self, x, training=False):
        """(N, C, H, W) -> (N, FN, OH, OW), returned channels last (see the class docstring)."""
        _check_images(x, "Convolution", channels=self.W.data.shape[1], dtype=self.dtype)
        g = self._geometry(x.shape)
        p = self.pad
        xpad, interior = self._padded_buffer("xpad", (g.N, g.H, g.W, g.C), p, p)
        # The filters as the columns of a (FH*FW*C, FN) matrix, rows in the order (i, j, c).
        W2 = self.W.data.transpose(2, 3, 1, 0).reshape(g.K, g.FN)
        out = np.empty((g.N, g.OH, g.OW, g.FN), dtype=self.dtype)     # channels last

        def work(lo, hi, part):
            interior[lo:hi] = x[lo:hi].transpose(0, 2, 3, 1)
            for start, stop in self._blocks(lo, hi, g):
                cols = self._columns(f"cols{part}", xpad, g.FH, g.FW, self.stride, g.OH, g.OW,
                                     start, stop)
                y = out[start:stop].reshape(-1, g.FN)                 # a view: written in place
                np.matmul(cols, W2, out=y)
                y += self.b.data

        in_parts(work, g.N, self.workers)
        self._cache = g
        self._x = x
        return out.transpose(0, 3, 1, 2)

    def backward(self, dout, input_grad=True):
        """dL/d(out) (N, FN, OH, OW) -> dL/dx (N, C, H, W); fills ``W.grad`` and ``b.grad``.

        ``db`` sums dy over images and pixels; ``dW = cols.T @ dy`` (the columns are rebuilt
        block by block, not stored). For ``dx`` the textbook way is ``col2im(dy @ W2.T)``, used
        here for stride > 1. For stride 1 there is a neater way: each input pixel collects
        ``W[f, c, i, j] * dy[f, h+p-i, w+p-j]`` from every output it touched, which is itself a
        convolution -- of dy, padded by FH-1-p, with the filters flipped (``W[:, :, ::-1, ::-1]``)
        and the roles of C and FN swapped. So dx comes from the same column gathering and one
        matrix product, with no scattered additions. When there are no more filters than
        channels, those columns of dy also give dW, and the columns of x are not rebuilt.
        """
        if self._cache is None:
            raise RuntimeError("Convolution.backward called before forward")
        g = self._cache
        if not isinstance(dout, np.ndarray) or dout.shape != (g.N, g.FN, g.OH, g.OW):
            raise ValueError(f"Convolution.backward expected dout of shape {(g.N, g.FN, g.OH, g.OW)} "
                             f"(the forward output), got {getattr(dout, 'shape', type(dout).__name__)}")
        if dout.dtype != self.dtype:
            raise ValueError(f"Convolution.backward expected {self.dtype.name} gradients, "
                             f"got {dout.dtype.name}")
        xpad = self._buffers["xpad"]
        dy = dout.transpose(0, 2, 3, 1)                  # (N, OH, OW, FN): channels last again
        transposed = input_grad and g.transposed
        dW_from_dy = transposed and g.dW_from_dy       # see _geometry and below
        if transposed:
            # Flipped filters with C and FN swapped, as a (FH*FW*FN, C) matrix, rows (i, j, f).
            flipped = self.W.data[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(-1, g.C)
            dypad, dy_interior = self._padded_buffer("dypad", dy.shape, g.FH - 1 - self.pad,
                                                     g.FW - 1 - self.pad)
            dx = np.empty((g.N, g.H, g.W, g.C), dtype=self.dtype)
            x_last = self._x.transpose(0, 2, 3, 1)                  # (N, H, W, C)
        elif input_grad:
            W2_T = self.W.data.transpose(0, 2, 3, 1).reshape(g.FN, g.K)   # (FN, K), (i, j, c)
            dxpad = self._buffer("dxpad", xpad.shape)

        def work(lo, hi, part):
            if dW_from_dy:    # dW with rows (c), columns (i', j', f), i' = FH-1-i: see below
                dW = np.zeros((g.C, g.FH * g.FW * g.FN), dtype=self.dtype)
            else:             # dW with rows (i, j, c), like W2 in forward
                dW = np.zeros((g.K, g.FN), dtype=self.dtype)
            if transposed:
                dy_interior[lo:hi] = dy[lo:hi]
            elif input_grad:
                dxpad[lo:hi] = 0
            db = np.zeros(g.FN, dtype=self.dtype)
            for start, stop in self._blocks(lo, hi, g):
                dy2 = np.ascontiguousarray(dy[start:stop]).reshape(-1, g.FN)   # (pixels, FN)
                # db: the sum of dy2's rows. Adding rows of OW*FN numbers and then the OW
                # groups of FN gives the same sum, but NumPy adds a few long rows much faster
                # than tens of thousands of rows of only FN numbers.
                db += dy2.reshape(-1, g.OW * g.FN).sum(axis=0).reshape(g.OW, g.FN).sum(axis=0)
                if transposed:
                    # dcols: row (n, h, w) of an input pixel, column (i', j', f) holds
                    # dypad[n, h + i', w + j', f] = dy[n, h + p - i, w + p - j, f] with
                    # i = FH-1-i', j = FW-1-j': the outputs that input pixel touched, and how.
                    dcols = self._columns(f"cols{part}", dypad, g.FH, g.FW, 1, g.H, g.W,
                                          start, stop)
                    np.matmul(dcols, flipped, out=dx[start:stop].reshape(-1, g.C))
                    if dW_from_dy:
                        # The same columns give dW[f, c, i, j] = sum over input pixels of
                        # x[n, h, w, c] * dy[n, h + p - i, w + p - j, f]: dW (flipped) is
                        # x2.T @ dcols, with x2 the (pixels, C) matrix of the input itself.
                        x2 = np.ascontiguousarray(x_last[start:stop]).reshape(-1, g.C)
                        dW += x2.T @ dcols
                        continue
                cols = self._columns(f"cols{part}", xpad, g.FH, g.FW, self.stride, g.OH, g.OW,
                                     start, stop)
                dW += cols.T @ dy2
                if input_grad and not transposed:
                    # col2im: each entry of dcols goes back to the pixel its column came from.
                    # One slice-add per filter position (i, j); within one position no two
                    # output pixels touch the same input pixel, so a plain += is right.
                    dcols = self._scratch(f"dcols{part}", (stop - start, g.OH, g.OW, g.FH, g.FW, g.C))
                    np.matmul(dy2, W2_T, out=dcols.reshape(-1, g.K))
                    for i in range(g.FH):
                        rows = _window_slice(i, self.stride, g.OH)
                        for j in range(g.FW):
                            cols_j = _window_slice(j, self.stride, g.OW)
                            dxpad[start:stop, rows, cols_j] += dcols[:, :, :, i, j]
            return dW, db

        sums = in_parts(work, g.N, self.workers)
        dW = sum(dW for dW, _ in sums)
        if dW_from_dy:      # rows (c), columns (i', j', f) -> (FN, C, FH, FW), unflipped
            dW = dW.reshape(g.C, g.FH, g.FW, g.FN)[:, ::-1, ::-1].transpose(3, 0, 1, 2)
        else:               # rows (i, j, c), columns (f) -> (FN, C, FH, FW)
            dW = dW.reshape(g.FH, g.FW, g.C, g.FN).transpose(3, 2, 0, 1)
        self.W.grad = np.ascontiguousarray(dW)
        self.b.grad = sum(db for _, db in sums)
        if not input_grad:
            return None
        if not transposed:
            p = self.pad
            dx = dxpad[:, p:p + g.H, p:p + g.W].copy()
        return dx.transpose(0, 3, 1, 2)


# ----------------------------------------------------------------------------------------------
# The pooling layer
# ----------------------------------------------------------------------------------------------

class Pooling(Layer):
    """Max or average pooling over ``pool_h x pool_w`` windows, channel by channel.

    Shapes: (N, C, H, W) -> (N, C, OH, OW) with ``OH = conv_output_size(H, pool_h, stride, pad)``.
    No parameters. PyTorch equivalent: ``torch.nn.MaxPool2d((pool_h, pool_w), stride, pad)``,
    or ``torch.nn.AvgPool2d(...)`` for ``mode="avg"`` (padding counts as zeros in the average,
    PyTorch's default ``count_include_pad=True``).

    ``stride`` defaults to the window size (non-overlapping windows, as in PyTorch; Saito always
    passes it explicitly). Padding is filled with -inf for max pooling, so it never wins.
    ``dtype``: the dtype of the arrays it accepts (float32 by default, float64 for gradient checks).

    How it computes: a window maximum is the maximum over window rows of the maximum over window
    columns, so max pooling runs in two passes, each a short loop over the window offsets that
    compares whole strided slices of the batch -- never a loop over pixels, and never the slow
    ``argmax`` along a short axis. Each pass remembers, for every output, which offset won
    (ties go to the first), and the backward pass sends the gradient back along those choices.
    Like :class:`Convolution`, it works on the channels-last view of its input and returns its
    output (and dx) channels last, still shaped (N, C, ...).
    """

    def __init__(self, pool_h, pool_w=None, *, stride=None, pad=0, mode="max", dtype=np.float32):
        pool_w = pool_h if pool_w is None else pool_w
        self.pool_h, self.pool_w = _pair((pool_h, pool_w), "pool size")
        self.stride = self.pool_h if stride is None else stride
        if not isinstance(self.stride, (int, np.integer)) or self.stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride!r}")
        if not isinstance(pad, (int, np.integer)) or pad < 0 or \
                2 * pad > min(self.pool_h, self.pool_w):
            raise ValueError(f"pad must be an integer between 0 and half the window "
                             f"({min(self.pool_h, self.pool_w) // 2}), got {pad!r}")
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
        self.stride, self.pad, self.mode = int(self.stride), int(pad), mode
        self.dtype = np.dtype(dtype)
        self._cache = None

    def __repr__(self):
        return (f"Pooling({self.pool_h}, {self.pool_w}, stride={self.stride}, pad={self.pad}, "
                f"mode={self.mode!r})")

    #: How many threads share the work of one call (1 or 2; see :func:`nnlib.parallel.default_workers`).
    workers = default_workers()

    def forward(self, x, training=False):
        """(N, C, H, W) -> (N, C, OH, OW), returned channels last (see :class:`Convolution`)."""
        _check_images(x, "Pooling", dtype=self.dtype)
        N, C, H, W = x.shape
        s, p = self.stride, self.pad
        OH = conv_output_size(H, self.pool_h, s, p)
        OW = conv_output_size(W, self.pool_w, s, p)
        xl = x.transpose(0, 2, 3, 1)                # (N, H, W, C): a view, no copy
        out = np.empty((N, OH, OW, C), dtype=self.dtype)
        if self.mode == "avg":
            xp = _padded(xl, p, axes=(1, 2))
            out[...] = 0
            for i in range(self.pool_h):
                for j in range(self.pool_w):
                    out += xp[:, _window_slice(i, s, OH), _window_slice(j, s, OW)]
            out /= self.dtype.type(self.pool_h * self.pool_w)
            self._cache = (x.shape, OH, OW)
            return out.transpose(0, 3, 1, 2)
        row_arg = np.empty((N, OH, W + 2 * p, C), dtype=np.int8)
        col_arg = np.empty((N, OH, OW, C), dtype=np.int8)

        def work(lo, hi, part):                       # images lo:hi
            xp = _padded(xl[lo:hi], p, fill=-np.inf, axes=(1, 2))
            # Pass 1: for each output row and each input column, the maximum over the window rows.
            rows = [xp[:, _window_slice(i, s, OH)] for i in range(self.pool_h)]
            row_max = np.empty(row_arg[lo:hi].shape, dtype=self.dtype)
            self._running_max(rows, row_max, row_arg[lo:hi])
            # Pass 2: the maximum of those over the window columns.
            cols = [row_max[:, :, _window_slice(j, s, OW)] for j in range(self.pool_w)]
            self._running_max(cols, out[lo:hi], col_arg[lo:hi])

        in_parts(work, N, parts_for(x, self.workers))
        self._cache = (x.shape, OH, OW, row_arg, col_arg)
        return out.transpose(0, 3, 1, 2)

    @staticmethod
    def _running_max(candidates, best, arg):
        """best = element-wise maximum of equal-shaped arrays, arg = index of the (first) winner.

        The index only ever grows from one candidate to the next, so "take k where candidate k
        is strictly larger" is ``arg = maximum(arg, k * larger)`` -- cheap integer arithmetic.
        """
        if len(candidates) == 1:
            best[...] = candidates[0]
            arg[...] = 0
            return
        first, second = candidates[:2]
        np.greater(second, first, out=arg.view(np.bool_))    # 1 where the second is larger
        np.maximum(first, second, out=best)
        for k, candidate in enumerate(candidates[2:], start=2):
            larger = candidate > best
            np.maximum(best, candidate, out=best)
            np.maximum(arg, larger.view(np.int8) * np.int8(k), out=arg)

    def backward(self, dout):
        """dL/d(out) (N, C, OH, OW) -> dL/dx (N, C, H, W), returned channels last."""
        if self._cache is None:
            raise RuntimeError("Pooling.backward called before forward")
        (N, C, H, W), OH, OW = self._cache[:3]
        if not isinstance(dout, np.ndarray) or dout.shape != (N, C, OH, OW) \
                or dout.dtype != self.dtype:
            raise ValueError(f"Pooling.backward expected a {self.dtype.name} array of shape "
                             f"{(N, C, OH, OW)} (the forward output), got "
                             f"{getattr(dout, 'dtype', type(dout).__name__)} "
                             f"{getattr(dout, 'shape', '')}")
        s, p = self.stride, self.pad
        Hp, Wp = H + 2 * p, W + 2 * p
        dy = dout.transpose(0, 2, 3, 1)               # (N, OH, OW, C)
        if self.mode == "avg":
            dxp = np.zeros((N, Hp, Wp, C), dtype=self.dtype)
            share = dy / self.dtype.type(self.pool_h * self.pool_w)
            for i in range(self.pool_h):
                for j in range(self.pool_w):
                    dxp[:, _window_slice(i, s, OH), _window_slice(j, s, OW)] += share
            return dxp[:, p:p + H, p:p + W].copy().transpose(0, 3, 1, 2)
        row_arg, col_arg = self._cache[3:]
        # When the windows tile the image exactly, every element is written once: no need to zero.
        tiles_w = s == self.pool_w and OW * s == Wp
        tiles_h = s == self.pool_h and OH * s == Hp
        dxp = (np.empty if tiles_h else np.zeros)((N, Hp, Wp, C), dtype=self.dtype)

        def work(lo, hi, part):                       # images lo:hi
            # Undo pass 2: send each output's gradient to the winning column of its window ...
            drow = (np.empty if tiles_w else np.zeros)((hi - lo, OH, Wp, C), dtype=self.dtype)
            for j in range(self.pool_w):
                self._send(dy[lo:hi], col_arg[lo:hi] == j,
                           drow[:, :, _window_slice(j, s, OW)], self.pool_w)
            # ... and undo pass 1: from there to the winning row.
            for i in range(self.pool_h):
                self._send(drow, row_arg[lo:hi] == i,
                           dxp[lo:hi, _window_slice(i, s, OH)], self.pool_h)

        in_parts(work, N, parts_for(dout, self.workers))
        dx = dxp[:, p:p + H, p:p + W].copy() if p else dxp
        return dx.transpose(0, 3, 1, 2)

    def _send(self, grad, won, target, window):
        """target += grad where won, else nothing (a plain assignment when windows do not overlap,
        because then every target element receives from exactly one window)."""
        if self.stride >= window:
            np.multiply(grad, won, out=target)
        else:
            target += grad * won
