"""nnlib: the small NumPy neural-network library of the book *Neural Networks from Scratch*.

Modules (each one responsibility, numpy only):

- ``functions``: activation functions, softmax and losses as plain functions
- ``init``: weight initialisers (normal with a given std, Xavier, He)
- ``layers``: ``Parameter``, ``Layer`` and the layers (Affine, Sigmoid, ReLU, BatchNorm, ...)
- ``losses``: losses kept outside the model (SoftmaxWithLoss, MeanSquaredError, ...)
- ``optim``: optimizers over a list of parameters (SGD, Momentum, ..., Adam)
- ``gradcheck``: numerical gradients and layer checks
- ``descent``: gradient descent on a function of an array (chapter 5)
- ``graph``: scalar computational graphs for the backpropagation chapter (``draw_graph`` draws one
  with its values and gradients; it imports matplotlib only when called)
- ``train``: mini-batches, ``fit``, ``predict``, ``accuracy``
- ``conv``: im2col, Convolution and Pooling layers
- ``fast``: the same layers (and Adam), several times faster, tested equal to the ones above
- ``models``: the book's networks (SimpleConvNet, DeepConvNet, Nielsen's convnets)
- ``augment``: data augmentation by small shifts
- ``data``: MNIST, verified and cached
- ``files``: writing files atomically (never half-written)
- ``universality``: step, bump and tower networks with weights set by hand (chapter 8)

``nnlib.figures`` (sliders for the chapters) and ``nnlib.checks`` (the exercises' checkers) are the
book's tooling; the figures need matplotlib and ipywidgets and are imported only when asked for.
"""
from . import (
               augment,
               conv,
               data,
               descent,
               fast,
               files,
               functions,
               gradcheck,
               graph,
               init,
               layers,
               losses,
               models,
               optim,
               train,
               universality,
)

__all__ = ["augment", "conv", "data", "descent", "fast", "files", "functions", "gradcheck", "graph", "init",
           "layers", "losses", "models", "optim", "train", "universality"]
__version__ = "0.1.0"
