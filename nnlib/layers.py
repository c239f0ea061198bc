"""Layers: each one keeps its forward pass and its backward pass side by side.

The protocol every layer follows (and that `conv` and `models` build on):

* ``forward(x, training=False)`` computes the output and remembers what ``backward`` needs;
* ``backward(dout)`` takes dL/d(output), fills ``p.grad`` for each of the layer's parameters and
  returns dL/d(input); it never modifies ``dout`` or anything the caller handed in;
* ``parameters()`` lists the layer's :class:`Parameter` objects (empty for layers without weights).
"""
import numpy as np


class Parameter:
    """A trainable array ``data`` and the gradient ``grad`` of the loss with respect to it.

    PyTorch equivalent: ``torch.nn.Parameter`` (whose gradient lives in ``.grad``).
    """

    def __init__(self, data, name=""):
        self.data = data
        self.grad = np.zeros_like(data)
        self.name = name

    def __repr__(self):
        return f"Parameter({self.name!r}, shape={self.data.shape}, dtype={self.data.dtype})"


class Layer:
    """Base class: a layer without parameters that passes nothing through until overridden."""

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def parameters(self):
        return []

    def __call__(self, x, training=False):
        return self.forward(x, training=training)
