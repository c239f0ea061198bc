"""Fast versions of nnlib's layers and of Adam: same interface, same numbers, several times faster.

The book prints the teaching versions in :mod:`nnlib.layers`, :mod:`nnlib.conv` and
:mod:`nnlib.optim`, whose bodies are their mathematics; they are the specification. The classes
here subclass them, keep their constructors, checks and attributes, and replace only ``forward``
and ``backward`` (``step`` for Adam) by code that moves less data:

- :class:`Convolution` keeps its arrays channels last, works on blocks of images that fit in the
  processor's cache, and reuses its scratch memory between calls;
- :class:`Pooling` finds window maxima in two passes of strided comparisons instead of ``argmax``;
- :class:`Affine`, :class:`ReLU` and :class:`Sigmoid` work in place, and split big batches over
  two threads (see :mod:`nnlib.fast.parallel`, the one place where thread counts are decided,
  at call time);
- :class:`Adam` updates its state in place, big parameters on two threads.

``tests/fast/test_equal_to_teaching.py`` checks in float64 that each fast class gives the teaching
class's outputs and gradients to a relative 1e-12, over the test case grids and thread settings.
The book's models (:mod:`nnlib.models`) and the training scripts use these by default
(``SimpleConvNet(rng, fast=True)``).
"""
from .conv import Convolution, Pooling
from .layers import Affine, ReLU, Sigmoid
from .optim import Adam

__all__ = ["Convolution", "Pooling", "Affine", "ReLU", "Sigmoid", "Adam"]
