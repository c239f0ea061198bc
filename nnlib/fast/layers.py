"""Fast Affine, ReLU and Sigmoid: the teaching layers of :mod:`nnlib.layers` with in-place
arithmetic and two threads for big batches (see :mod:`nnlib.fast.parallel`)."""
import numpy as np

from .. import layers
from . import parallel


class Affine(layers.Affine):
    """:class:`nnlib.layers.Affine` with the bias added in place and, for a big layer, dW and dx
    computed on two threads at once (they do not depend on each other)."""

    #: Threads for the backward pass of a big layer: 1, 2, or None to decide at each call.
    workers = None

    def forward(self, x, training=False):
        self.x = x
        out = x @ self.W.data.T
        out += self.b.data
        return out

    def backward(self, dout):
        self.b.grad = dout.sum(axis=0)
        if not self.input_grad:
            self.W.grad = dout.T @ self.x
            return None
        big = dout.shape[1] * self.x.size >= parallel.BIG_PRODUCT
        self.W.grad, dx = parallel.together([lambda: dout.T @ self.x, lambda: dout @ self.W.data],
                                            parallel.workers_for(self) if big else 1)
        return dx


class ReLU(layers.ReLU):
    """:class:`nnlib.layers.ReLU` with the two halves of a big batch (a convolution's output) on two
    threads: these passes only move memory, and each core brings its own bandwidth. The output
    keeps the input's memory layout (a channels-last batch stays channels last)."""

    #: How many threads share the work on a big batch: 1, 2, or None to decide at each call.
    workers = None

    def forward(self, x, training=False):
        out = np.empty_like(x)                        # same shape, dtype and memory layout as x
        workers = parallel.workers_for(self) if x.size >= parallel.BIG else 1
        parallel.by_rows(lambda x, out: np.maximum(x, 0, out=out), (x, out), workers)
        self.out = out
        return out

    def backward(self, dout):
        dx = np.empty_like(dout)
        workers = parallel.workers_for(self) if dout.size >= parallel.BIG else 1
        parallel.by_rows(lambda dout, out, dx: np.multiply(dout, out > 0, out=dx),
                         (dout, self.out, dx), workers)
        return dx


class Sigmoid(layers.Sigmoid):
    """:class:`nnlib.layers.Sigmoid` computed in place, with its constants 0.5 and 1 kept as 0-d
    arrays of the input's dtype: NumPy converts a Python float again on every operation, which
    costs more than the arithmetic itself on a batch of 10."""

    half, one = np.array(0.5, np.float32), np.array(1.0, np.float32)

    def forward(self, x, training=False):
        if x.dtype is not self.half.dtype:
            self.half, self.one = np.array(0.5, x.dtype), np.array(1.0, x.dtype)
        out = np.multiply(x, self.half)   # a new array: x itself is left alone
        np.tanh(out, out=out)
        out *= self.half
        out += self.half
        self.out = out
        return out

    def backward(self, dout):
        dx = self.one - self.out
        dx *= self.out
        dx *= dout
        return dx
