"""Convolution and pooling on NCHW images, written so that a reader can follow every line.

Shapes use the letters of Saitoh's chapter 7: ``N`` images in a batch, ``C`` input channels,
``H x W`` input height and width, ``FN`` filters of size ``C x FH x FW``, output maps of size
``OH x OW``. Every layer follows the protocol of :mod:`nnlib.layers`.

The module has two halves.

* :func:`conv_output_size`, :func:`im2col` and :func:`col2im`. ``im2col`` keeps Saitoh's layout:
  one row per output pixel, one column per filter element, i.e. a matrix of shape
  ``(N*OH*OW, C*FH*FW)``. A convolution is then ``im2col(x) @ W.reshape(FN, -1).T``.
* The layers :class:`Convolution` and :class:`Pooling`, built on those two functions.

Neither half loops over pixels or images in Python: the only Python loops run over the ``FH*FW``
positions inside a filter (in ``col2im``).

The layers return their output as a transposed *view* (they compute an (N, OH, OW, FN) array and
show it as (N, FN, OH, OW)), so in memory it is *channels last*. That is no protocol the next
layer has to know about: every layer here accepts an NCHW array in any memory layout. The faster
layers of :mod:`nnlib.fast.conv` compute the same numbers and rely on that layout for their speed.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import init as initializers
from .layers import Layer, Parameter

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
    """Output length of a convolution or pooling along one axis (Saitoh's equation 7.1).

    ``OH = (H + 2*pad - FH) // stride + 1``. When ``stride`` does not divide
    ``H + 2*pad - FH`` exactly, the last rows that do not fill a whole window are dropped (the
    same rounding down as PyTorch's ``Conv2d``).

    >>> conv_output_size(28, 5)            # SimpleConvNet: 28x28 input, 5x5 filters
    24
    >>> conv_output_size(7, 3, stride=2)   # Saitoh's figure 7-7
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
# im2col and col2im (Saitoh's layout)
# ----------------------------------------------------------------------------------------------

def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """Unroll every filter-sized patch of ``x`` into one row of a matrix (Saitoh section 7.4.2).

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

class _ConvolutionPlumbing(Layer):
    """What :class:`Convolution` needs besides its mathematics: checks of its arguments and inputs,
    building it from arrays, ``parameters`` and ``repr``."""

    @classmethod
    def from_arrays(cls, W, b, stride=1, pad=0, *, input_grad=True):
        """Build the layer around copies of given arrays, Saitoh style: ``Convolution.from_arrays(W, b)``.

        ``W`` has shape (FN, C, FH, FW) and ``b`` shape (FN,); the layer's dtype is W's.
        """
        layer = cls.__new__(cls)
        layer._setup(W, b, stride, pad, input_grad, copy=True)
        return layer

    @staticmethod
    def _check_channels(in_channels, out_channels):
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def _setup(self, W, b, stride, pad, input_grad, copy=False):
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
        self.W = Parameter(W.copy() if copy else W, "W")
        self.b = Parameter(b.copy() if copy else b, "b")
        self.stride, self.pad = int(stride), int(pad)
        self.dtype = W.dtype
        self.input_grad = bool(input_grad)

    def check_input(self, x):
        _check_images(x, "Convolution", channels=self.W.data.shape[1], dtype=self.dtype)

    def check_dout(self, dout):
        if self.out_spec is None:
            raise RuntimeError("Convolution.backward called before forward")
        shape = self.out_spec[0]
        if not isinstance(dout, np.ndarray) or dout.shape != shape:
            raise ValueError(f"Convolution.backward expected dout of shape {shape} "
                             f"(the forward output), got {getattr(dout, 'shape', type(dout).__name__)}")
        if dout.dtype != self.dtype:
            raise ValueError(f"Convolution.backward expected {self.dtype.name} gradients, "
                             f"got {dout.dtype.name}")

    def parameters(self):
        return [self.W, self.b]

    def __repr__(self):
        FN, C, FH, FW = self.W.data.shape
        return (f"Convolution({C}, {FN}, kernel_size=({FH}, {FW}), stride={self.stride}, "
                f"pad={self.pad}, dtype={self.W.data.dtype.name})")


class Convolution(_ConvolutionPlumbing):
    """2-D convolution (strictly, cross-correlation) of NCHW images with ``FN`` learned filters.

    ``out[n, f, oh, ow] = b[f] + sum_{c,i,j} W[f, c, i, j] * xpad[n, c, oh*stride + i, ow*stride + j]``

    Shapes: input ``(N, C, H, W)`` -> output ``(N, FN, OH, OW)``, ``OH = conv_output_size(H, FH,
    stride, pad)``. Parameters: ``W`` of shape ``(FN, C, FH, FW)`` and ``b`` of shape ``(FN,)``.
    ``kernel_size`` is FH (square filters) or (FH, FW); ``rng`` draws the initial weights;
    ``init`` is ``"he"`` (default, std ``sqrt(2 / (C*FH*FW))``), ``"xavier"`` (std
    ``1 / sqrt(C*FH*FW)``) or a number, the std of normal weights (Saitoh's SimpleConvNet uses
    0.01); ``bias_std`` the std of normal initial biases (default 0: zeros); ``dtype`` float32 for
    training (default), float64 for gradient checks; ``input_grad=False`` makes backward skip
    dL/dx and return None (for a first layer).
    PyTorch equivalent: ``torch.nn.Conv2d(C, FN, (FH, FW), stride=stride, padding=pad)`` (same
    weight layout, so weights can be copied across).

    Forward: ``im2col`` gives one row per output pixel; times the filters as a (C*FH*FW, FN)
    matrix, it gives one output pixel per row. Backward: the same matrices read the other way.
    :class:`nnlib.fast.Convolution` computes the same numbers several times faster.
    """

    def __init__(self, in_channels, out_channels, kernel_size, rng, *, stride=1, pad=0,
                 init="he", bias_std=0.0, dtype=np.float32, input_grad=True):
        self._check_channels(in_channels, out_channels)
        FH, FW = _pair(kernel_size, "kernel_size")
        W = initializers.weights((out_channels, in_channels, FH, FW), init, rng, dtype)
        b = initializers.normal((out_channels,), bias_std, rng, dtype)
        self._setup(W, b, stride, pad, input_grad)

    def forward(self, x, training=False):
        FN, C, FH, FW = self.W.data.shape
        N, _, H, W = x.shape
        OH = conv_output_size(H, FH, self.stride, self.pad)
        OW = conv_output_size(W, FW, self.stride, self.pad)
        self.x_shape = x.shape
        self.col = im2col(x, FH, FW, self.stride, self.pad)      # (N*OH*OW, C*FH*FW)
        out = self.col @ self.W.data.reshape(FN, -1).T + self.b.data   # (N*OH*OW, FN)
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.data.shape
        dy = dout.transpose(0, 2, 3, 1).reshape(-1, FN)          # (N*OH*OW, FN), rows like col's
        self.b.grad = dy.sum(axis=0)
        self.W.grad = (dy.T @ self.col).reshape(FN, C, FH, FW)
        if not self.input_grad:
            return None
        dcol = dy @ self.W.data.reshape(FN, -1)                   # (N*OH*OW, C*FH*FW)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


# ----------------------------------------------------------------------------------------------
# The pooling layer
# ----------------------------------------------------------------------------------------------

class _PoolingPlumbing(Layer):
    """What :class:`Pooling` needs besides its mathematics: checks of its arguments and inputs,
    and ``repr``."""

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

    def __repr__(self):
        return (f"Pooling({self.pool_h}, {self.pool_w}, stride={self.stride}, pad={self.pad}, "
                f"mode={self.mode!r})")

    def check_input(self, x):
        _check_images(x, "Pooling")

    def check_dout(self, dout):
        if self.out_spec is None:
            raise RuntimeError("Pooling.backward called before forward")
        shape, dtype = self.out_spec
        if not isinstance(dout, np.ndarray) or dout.shape != shape or dout.dtype != dtype:
            raise ValueError(f"Pooling.backward expected a {dtype.name} array of shape "
                             f"{shape} (the forward output), got "
                             f"{getattr(dout, 'dtype', type(dout).__name__)} "
                             f"{getattr(dout, 'shape', '')}")


class Pooling(_PoolingPlumbing):
    """Max or average pooling over ``pool_h x pool_w`` windows, channel by channel.

    Shapes: (N, C, H, W) -> (N, C, OH, OW) with ``OH = conv_output_size(H, pool_h, stride, pad)``.
    No parameters; it computes in its input's dtype. PyTorch equivalent:
    ``torch.nn.MaxPool2d((pool_h, pool_w), stride, pad)``, or ``torch.nn.AvgPool2d(...)`` for
    ``mode="avg"`` (padding counts as zeros in the average, PyTorch's default
    ``count_include_pad=True``).

    ``stride`` defaults to the window size (non-overlapping windows, as in PyTorch; Saitoh always
    passes it explicitly). Padding is filled with -inf for max pooling, so it never wins.
    ``dtype`` is kept for compatibility (error messages name it).

    Forward: ``im2col`` of each channel on its own gives one window per row; the row's maximum (or
    mean) is the output. Max pooling remembers which element won (``argmax``: on a tie the first
    in row-major order, as in PyTorch and Saitoh) and the backward pass sends each gradient there;
    average pooling shares it equally. ``col2im`` adds the shares back into the image.
    :class:`nnlib.fast.Pooling` computes the same numbers faster.
    """

    def forward(self, x, training=False):
        N, C, H, W = x.shape
        OH = conv_output_size(H, self.pool_h, self.stride, self.pad)
        OW = conv_output_size(W, self.pool_w, self.stride, self.pad)
        xp = _padded(x, self.pad, fill=-np.inf if self.mode == "max" else 0.0)
        self.xp_shape = xp.shape
        # One row per window (n, oh, ow, c), one column per window element (i, j).
        col = im2col(xp, self.pool_h, self.pool_w, self.stride).reshape(-1, self.pool_h * self.pool_w)
        if self.mode == "max":
            self.arg = col.argmax(axis=1)
            out = col[np.arange(len(col)), self.arg]
        else:
            out = col.mean(axis=1)
        return out.reshape(N, OH, OW, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        N, C, Hp, Wp = self.xp_shape
        size = self.pool_h * self.pool_w
        dy = dout.transpose(0, 2, 3, 1).ravel()                  # rows (n, oh, ow, c), as col
        dcol = np.zeros((dy.size, size), dtype=dout.dtype)
        if self.mode == "max":
            dcol[np.arange(dy.size), self.arg] = dy
        else:
            dcol[:] = dy[:, None] / size
        dxp = col2im(dcol.reshape(-1, C * size), self.xp_shape, self.pool_h, self.pool_w, self.stride)
        p = self.pad
        return dxp[:, :, p:Hp - p, p:Wp - p]
