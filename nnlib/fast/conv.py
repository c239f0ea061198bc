"""Fast Convolution and Pooling: the same numbers as :mod:`nnlib.conv`, several times faster.

Almost all of the time of a NumPy convolution goes into moving data around, not into the matrix
product, so these layers move less of it:

* they keep their arrays *channels last* in memory (the C numbers of one pixel side by side) and
  hand them on that way, still shaped (N, C, H, W). An array of shape (N, C, H, W) can be stored
  with the C values of one pixel next to each other (the memory order of an (N, H, W, C) array);
  NumPy's ``a.transpose(0, 3, 1, 2)`` of an (N, H, W, C) array is such an NCHW array, with no
  copying. (PyTorch calls this the ``channels_last`` memory format.) ReLU, Pooling and Flatten
  keep that layout or read it without copying; any NCHW array is accepted as input, one stored
  the ordinary way is simply read in a different order, so mixing these layers with the teaching
  ones is correct, only slower;
* the convolution processes the images in blocks that fit in the processor's cache, keeps its
  scratch memory between calls, and computes dL/dx for stride 1 as a convolution of dL/dy;
* pooling compares whole strided slices in two passes instead of calling ``argmax``;
* both split the batch between two threads (see :mod:`nnlib.fast.parallel`).

``tests/fast/test_equal_to_teaching.py`` checks them against :mod:`nnlib.conv` in float64.
"""
from types import SimpleNamespace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import conv
from ..conv import _padded, _window_slice, conv_output_size
from .parallel import in_parts, parts_for, workers_for

__all__ = ["Convolution", "Pooling"]


class Convolution(conv.Convolution):
    """:class:`nnlib.conv.Convolution` computed channels last, block by block, on two threads.

    Why channels last is faster: the patch under one output pixel is FH runs of FW*C numbers that
    sit next to each other in memory, so the column matrix -- one row per output pixel, one column
    per filter element ``(i, j, c)``, Saitoh's layout with the filter elements in a different
    order -- is filled by long copies, and the matrix product ``cols @ W2`` (``W2`` holds the
    filters as columns) writes its (pixels, FN) result directly in the output's memory order.

    The images are processed in blocks of a few, so that the column matrix of a block (about
    ``block_bytes``) stays in the processor's cache between being written and being multiplied;
    the backward pass rebuilds the columns of each block instead of storing them all. With
    ``workers = 2`` the two halves of a batch run on two threads (``None``, the default, decides
    at each call, see :func:`nnlib.fast.parallel.workers_for`). For stride 1 the gradient with
    respect to the input is computed as a convolution too (see :meth:`backward`).
    """

    #: Size in bytes of the column matrix of one block of images (see the class docstring).
    block_bytes = 4 * 2**20
    #: How many threads share the work of one call: 1, 2, or None to decide at each call.
    workers = None

    def _setup(self, W, b, stride, pad, input_grad, copy=False):
        super()._setup(W, b, stride, pad, input_grad, copy)
        self._buffers = {}
        self._cache = self._x = None

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

        in_parts(work, g.N, workers_for(self))
        self._cache = g
        self._x = x
        return out.transpose(0, 3, 1, 2)

    def backward(self, dout):
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
        g = self._cache
        input_grad = self.input_grad
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

        sums = in_parts(work, g.N, workers_for(self))
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


class Pooling(conv.Pooling):
    """:class:`nnlib.conv.Pooling` on the channels-last view of its input, without ``argmax``.

    A window maximum is the maximum over window columns of the maximum over window rows, so max
    pooling runs in two passes, each a short loop over the window offsets that compares whole
    strided slices of the batch -- never a loop over pixels, and never the slow ``argmax`` along
    a short axis. Each pass remembers, for every output, which offset won, and the backward pass
    sends the gradient back along those choices. Ties go where the teaching layer sends them, to
    the first maximum in row-major order: the first pass takes the first row, the second pass
    prefers the column whose maximum came from the earlier row, then the first column. (Rows
    first because the first pass, on the whole input, then copies long runs of W*C numbers.)
    The output (and dx) are channels last, still shaped (N, C, ...). Big batches run on two
    threads.
    """

    #: How many threads share the work of one call: 1, 2, or None to decide at each call.
    workers = None

    def forward(self, x, training=False):
        """(N, C, H, W) -> (N, C, OH, OW), returned channels last (see :class:`Convolution`)."""
        N, C, H, W = x.shape
        s, p = self.stride, self.pad
        OH = conv_output_size(H, self.pool_h, s, p)
        OW = conv_output_size(W, self.pool_w, s, p)
        xl = x.transpose(0, 2, 3, 1)                # (N, H, W, C): a view, no copy
        out = np.empty((N, OH, OW, C), dtype=x.dtype)
        if self.mode == "avg":
            xp = _padded(xl, p, axes=(1, 2))
            out[...] = 0
            for i in range(self.pool_h):
                for j in range(self.pool_w):
                    out += xp[:, _window_slice(i, s, OH), _window_slice(j, s, OW)]
            out /= x.dtype.type(self.pool_h * self.pool_w)
            self._cache = (x.shape, OH, OW)
            return out.transpose(0, 3, 1, 2)
        row_arg = np.empty((N, OH, W + 2 * p, C), dtype=np.int8)
        col_arg = np.empty((N, OH, OW, C), dtype=np.int8)

        def work(lo, hi, part):                       # images lo:hi
            xp = _padded(xl[lo:hi], p, fill=-np.inf, axes=(1, 2))
            # Pass 1: for each output row and each input column, the maximum over the window rows.
            rows = [xp[:, _window_slice(i, s, OH)] for i in range(self.pool_h)]
            row_max = np.empty(row_arg[lo:hi].shape, dtype=x.dtype)
            self._running_max(rows, row_max, row_arg[lo:hi])
            # Pass 2: the maximum of those over the window columns; a tie goes to the earlier row.
            cols = [row_max[:, :, _window_slice(j, s, OW)] for j in range(self.pool_w)]
            won_rows = [row_arg[lo:hi, :, _window_slice(j, s, OW)] for j in range(self.pool_w)]
            self._running_max_by_row(cols, won_rows, out[lo:hi], col_arg[lo:hi])

        in_parts(work, N, parts_for(x, workers_for(self)))
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

    @staticmethod
    def _running_max_by_row(candidates, rows, best, arg):
        """Like :meth:`_running_max`, but a tie goes to the candidate whose value came from the
        earlier window row (``rows[k]``: that row for candidate k), and only then to the first."""
        if len(candidates) == 1:
            best[...] = candidates[0]
            arg[...] = 0
            return
        take = np.greater(candidates[1], candidates[0])
        take |= (candidates[1] == candidates[0]) & (rows[1] < rows[0])
        np.maximum(candidates[0], candidates[1], out=best)
        np.copyto(arg, take)
        if len(candidates) == 2:
            return
        best_row = np.where(take, rows[1], rows[0])
        for k in range(2, len(candidates)):
            candidate, row = candidates[k], rows[k]
            np.greater(candidate, best, out=take)
            take |= (candidate == best) & (row < best_row)
            np.copyto(best, candidate, where=take)
            np.copyto(best_row, row, where=take)
            np.copyto(arg, np.int8(k), where=take)

    def backward(self, dout):
        """dL/d(out) (N, C, OH, OW) -> dL/dx (N, C, H, W), returned channels last."""
        (N, C, H, W), OH, OW = self._cache[:3]
        s, p = self.stride, self.pad
        Hp, Wp = H + 2 * p, W + 2 * p
        dy = dout.transpose(0, 2, 3, 1)               # (N, OH, OW, C)
        if self.mode == "avg":
            dxp = np.zeros((N, Hp, Wp, C), dtype=dout.dtype)
            share = dy / dout.dtype.type(self.pool_h * self.pool_w)
            for i in range(self.pool_h):
                for j in range(self.pool_w):
                    dxp[:, _window_slice(i, s, OH), _window_slice(j, s, OW)] += share
            return dxp[:, p:p + H, p:p + W].copy().transpose(0, 3, 1, 2)
        row_arg, col_arg = self._cache[3:]
        # When the windows tile the image exactly, every element is written once: no need to zero.
        tiles_w = s == self.pool_w and OW * s == Wp
        tiles_h = s == self.pool_h and OH * s == Hp
        dxp = (np.empty if tiles_h else np.zeros)((N, Hp, Wp, C), dtype=dout.dtype)

        def work(lo, hi, part):                       # images lo:hi
            # Undo pass 2: send each output's gradient to the winning column of its window ...
            drow = (np.empty if tiles_w else np.zeros)((hi - lo, OH, Wp, C), dtype=dout.dtype)
            for j in range(self.pool_w):
                self._send(dy[lo:hi], col_arg[lo:hi] == j,
                           drow[:, :, _window_slice(j, s, OW)], self.pool_w)
            # ... and undo pass 1: from there to the winning row.
            for i in range(self.pool_h):
                self._send(drow, row_arg[lo:hi] == i,
                           dxp[lo:hi, _window_slice(i, s, OH)], self.pool_h)

        in_parts(work, N, parts_for(dout, workers_for(self)))
        dx = dxp[:, p:p + H, p:p + W].copy() if p else dxp
        return dx.transpose(0, 3, 1, 2)

    def _send(self, grad, won, target, window):
        """target += grad where won, else nothing (a plain assignment when windows do not overlap,
        because then every target element receives from exactly one window)."""
        if self.stride >= window:
            np.multiply(grad, won, out=target)
        else:
            target += grad * won
