"""nnlib: the small NumPy neural-network library of the book *Neural Networks from Scratch*.

Modules (each one responsibility, numpy only):

- ``functions``: activation functions, softmax and losses as plain functions
- ``init``: weight initialisers (normal with a given std, Xavier, He)
- ``layers``: ``Parameter``, ``Layer`` and the layers (Affine, Sigmoid, ReLU, BatchNorm, ...)
- ``losses``: losses kept outside the model (SoftmaxWithLoss, MeanSquaredError, ...)
- ``optim``: optimizers over a list of parameters (SGD, Momentum, ..., Adam)
- ``gradcheck``: numerical gradients and layer checks
- ``graph``: scalar computational graphs for the backpropagation chapter
- ``train``: mini-batches, ``fit``, ``predict``, ``accuracy``
- ``conv``: im2col, Convolution and Pooling layers
- ``fast``: the same layers (and Adam), several times faster, tested equal to the ones above
- ``models``: the book's networks (SimpleConvNet, DeepConvNet, Nielsen's convnets)
- ``augment``: data augmentation by small shifts
- ``data``: MNIST, verified and cached
- ``files``: writing files atomically (never half-written)

``nnlib.interactive`` (sliders for the chapters) is the presentation layer; it needs matplotlib and
ipywidgets and is imported only when asked for.
"""
from . import augment, conv, data, fast, files, functions, gradcheck, graph, init, layers, losses, models, optim, train

__all__ = ["augment", "conv", "data", "fast", "files", "functions", "gradcheck", "graph", "init", "layers",
           "losses", "models", "optim", "train"]
__version__ = "0.1.0"
