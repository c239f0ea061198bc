"""The convolutional networks of the book, built from nnlib's layers, and saving/loading weights.

Every model is a :class:`~nnlib.layers.Sequential`, so ``fit``, ``predict`` and ``accuracy`` from
:mod:`nnlib.train` work on it unchanged, and ``model[0]`` is its first layer. Constructors take the
``numpy.random.Generator`` that draws the initial weights (and the dropout masks) and a ``dtype``:

    model = SimpleConvNet(np.random.default_rng(0))      # Saitoh chapter 7
    model = DeepConvNet(np.random.default_rng(0))        # Saitoh chapter 8
    model = NielsenConvNet(np.random.default_rng(0), conv_maps=(20, 40), activation="relu")

Inputs are images of shape (N, 1, 28, 28): ``x.reshape(-1, 1, 28, 28)`` turns MNIST rows into them.
The models output raw scores (N, 10); the softmax lives in the loss, ``SoftmaxWithLoss``.

Two keywords every constructor takes:

* ``fast=True`` (default) builds the convolution, pooling, fully connected, ReLU and sigmoid
  layers from :mod:`nnlib.fast`, which compute the same numbers several times faster;
  ``fast=False`` builds them from the teaching layers of :mod:`nnlib.layers` and :mod:`nnlib.conv`,
  the ones the book prints.
* ``input_grad=False`` (default) builds the first layer so that ``backward`` skips the gradient
  with respect to the images, which nobody needs for training; ``model.backward`` then returns
  None. Pass ``input_grad=True`` for a gradient check of the whole model or a saliency map.
"""
from types import SimpleNamespace

import numpy as np

from . import conv, fast, layers
from .conv import conv_output_size
from .files import atomic_write
from .layers import Dropout, Flatten, Sequential, Tanh

__all__ = ["SimpleConvNet", "DeepConvNet", "NielsenConvNet", "save_weights", "load_weights"]


def _layer_classes(fast_layers):
    """The layer classes a model is built from: those of :mod:`nnlib.fast` or the teaching ones."""
    source = fast if fast_layers else SimpleNamespace(
        Convolution=conv.Convolution, Pooling=conv.Pooling, Affine=layers.Affine,
        ReLU=layers.ReLU, Sigmoid=layers.Sigmoid)
    return SimpleNamespace(Convolution=source.Convolution, Pooling=source.Pooling,
                           Affine=source.Affine, ReLU=source.ReLU, Sigmoid=source.Sigmoid,
                           Tanh=Tanh)


class SimpleConvNet(Sequential):
    """Saitoh's SimpleConvNet (section 7.5): Conv - ReLU - Pool - Affine - ReLU - Affine.

    With the defaults: Convolution with 30 filters of 5x5 (1x28x28 -> 30x24x24), ReLU, 2x2 max
    pooling with stride 2 (-> 30x12x12 = 4320 values), Affine 4320 -> 100, ReLU, Affine 100 -> 10.
    Every weight starts as N(0, weight_init_std**2) (Saitoh's 0.01), every bias at 0: 0.43 million
    parameters, almost all of them in the first Affine layer.

    PyTorch equivalent: ``nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))``.
    """

    def __init__(self, rng, dtype=np.float32, *, input_dim=(1, 28, 28), filter_num=30,
                 filter_size=5, pad=0, stride=1, hidden_size=100, output_size=10,
                 weight_init_std=0.01, fast=True, input_grad=False):
        L = _layer_classes(fast)
        C, H, W = input_dim
        conv_h = conv_output_size(H, filter_size, stride, pad)
        conv_w = conv_output_size(W, filter_size, stride, pad)
        pooled = filter_num * (conv_h // 2) * (conv_w // 2)
        super().__init__(
            L.Convolution(C, filter_num, filter_size, rng, stride=stride, pad=pad,
                          init=weight_init_std, dtype=dtype, input_grad=input_grad),
            L.ReLU(dtype),
            L.Pooling(2, 2, stride=2, dtype=dtype),
            Flatten(dtype),
            L.Affine(pooled, hidden_size, rng, init=weight_init_std, dtype=dtype),
            L.ReLU(dtype),
            L.Affine(hidden_size, output_size, rng, init=weight_init_std, dtype=dtype),
        )


class DeepConvNet(Sequential):
    """Saitoh's deep, VGG-like network (section 8.1, ``ch08/deep_convnet.py``).

    Three blocks of two 3x3 convolutions (each followed by ReLU) and a 2x2 max pooling, then a
    small fully connected head::

        1x28x28 -> conv 16, pad 1 -> conv 16, pad 1 -> pool -> 16x14x14
                -> conv 32, pad 1 -> conv 32, pad 2 -> pool -> 32x8x8
                -> conv 64, pad 1 -> conv 64, pad 1 -> pool -> 64x4x4 = 1024
                -> Affine 50 -> ReLU -> Dropout 0.5 -> Affine 10 -> Dropout 0.5

    (The padding of 2 in the fourth convolution turns 14x14 into 16x16, so that the second pooling
    gives 8x8.) All weights use He initialisation, std sqrt(2 / fan_in); biases start at 0.
    About 124,000 parameters. The last Dropout acts on the scores themselves, as in Saitoh's
    code; like every Dropout it is switched off in evaluation mode.

    ``rng`` draws the initial weights and, during training, the dropout masks.
    PyTorch equivalent: the same stack of ``nn.Conv2d(..., 3, padding=p)``, ``nn.ReLU``,
    ``nn.MaxPool2d(2)``, ``nn.Linear`` and ``nn.Dropout(0.5)``.
    """

    #: (output channels, padding) of the six convolutions.
    conv_params = ((16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1))

    def __init__(self, rng, dtype=np.float32, *, hidden_size=50, output_size=10, dropout=0.5,
                 fast=True, input_grad=False):
        L = _layer_classes(fast)
        stack, channels, size = [], 1, 28
        for k, (maps, pad) in enumerate(self.conv_params):
            stack += [L.Convolution(channels, maps, 3, rng, pad=pad, init="he", dtype=dtype,
                                    input_grad=input_grad or k > 0),
                      L.ReLU(dtype)]
            channels, size = maps, conv_output_size(size, 3, 1, pad)
            if k % 2 == 1:                           # after every second convolution
                stack.append(L.Pooling(2, 2, stride=2, dtype=dtype))
                size //= 2
        stack += [
            Flatten(dtype),
            L.Affine(channels * size * size, hidden_size, rng, init="he", dtype=dtype),
            L.ReLU(dtype),
            Dropout(dropout, rng, dtype=dtype),
            L.Affine(hidden_size, output_size, rng, init="he", dtype=dtype),
            Dropout(dropout, rng, dtype=dtype),
        ]
        super().__init__(*stack)


_ACTIVATIONS = ("sigmoid", "tanh", "relu")


class NielsenConvNet(Sequential):
    """The family of networks of Nielsen's chapter 6 (``network3.py``), as one constructor.

    ``conv_maps``: feature maps of each conv-pool layer, 5x5 filters, stride 1, no padding, then
    2x2 max pooling: ``(20,)`` gives 20x12x12, ``(20, 40)`` gives 40x4x4. ``hidden``: sizes of
    the fully connected layers that follow. ``activation``: ``"sigmoid"``, ``"tanh"`` or
    ``"relu"``, used in every conv and hidden layer. ``dropout``: probability of dropping each
    input of the fully connected layers and of the output layer (Nielsen's ``p_dropout``; 0 = none).
    The output layer has 10 units; its softmax lives in the loss, ``SoftmaxWithLoss``.

    Nielsen's experiments (section 6.2; SGD with mini-batches of 10) and their test accuracies:

    * C1, 98.78 %: ``NielsenConvNet(rng, conv_maps=(20,), activation="sigmoid")``
    * C2, 99.06 %: ``NielsenConvNet(rng, conv_maps=(20, 40), activation="sigmoid")``
    * C3, 99.23 %: ``NielsenConvNet(rng, conv_maps=(20, 40), activation="relu")``
    * C6, 99.43 %: ``NielsenConvNet(rng, hidden=(100, 100))`` (on the expanded data)
    * C7, 99.60 %: ``NielsenConvNet(rng, hidden=(1000, 1000), dropout=0.5)`` (expanded data)

    ``init="network3"`` (default) draws weights as ``network3.py`` does: N(0, 1/n_out) with
    ``n_out = maps*25/4`` for a conv-pool layer and the layer's output count for a fully connected
    one (Nielsen notes this was meant to be 1/n_in), biases N(0, 1), and zeros for the output
    layer. ``init="he"`` or ``"xavier"`` use those instead, with zero biases.

    ``network3`` pools before adding the bias and applying the activation; we apply them first
    and then pool, which gives the same result because the activations are increasing functions.
    PyTorch equivalent: ``nn.Conv2d``, the activation, ``nn.MaxPool2d(2)`` per conv-pool layer,
    then ``nn.Dropout`` + ``nn.Linear`` (+ activation) per fully connected layer.
    """

    def __init__(self, rng, dtype=np.float32, *, conv_maps=(20, 40), hidden=(100,),
                 activation="relu", dropout=0.0, init="network3", output_size=10, fast=True,
                 input_grad=False):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        if init not in ("network3", "he", "xavier"):
            raise ValueError(f"init must be 'network3', 'he' or 'xavier', got {init!r}")
        if not conv_maps:
            raise ValueError("conv_maps needs at least one conv-pool layer, e.g. (20,) or (20, 40)")
        L = _layer_classes(fast)
        act = {"sigmoid": L.Sigmoid, "tanh": L.Tanh, "relu": L.ReLU}[activation]
        stack, channels, size = [], 1, 28
        for maps in conv_maps:
            if size < 6:
                raise ValueError(f"conv_maps={conv_maps!r}: too many conv-pool layers for 28x28 "
                                 f"images (the maps are {size}x{size} before layer {len(stack) // 3 + 1})")
            size = conv_output_size(size, 5) // 2
            first = {} if stack else {"input_grad": input_grad}
            if init == "network3":
                layer = L.Convolution(channels, maps, 5, rng, init=np.sqrt(1.0 / (maps * 25 / 4)),
                                      bias_std=1.0, dtype=dtype, **first)
            else:
                layer = L.Convolution(channels, maps, 5, rng, init=init, dtype=dtype, **first)
            stack += [layer, act(dtype), L.Pooling(2, 2, stride=2, dtype=dtype)]
            channels = maps
        stack.append(Flatten(dtype))
        n_in = channels * size * size
        for n_out in hidden:
            if dropout:
                stack.append(Dropout(dropout, rng, dtype=dtype))
            if init == "network3":
                fc = L.Affine(n_in, n_out, rng, init=np.sqrt(1.0 / n_out), bias_std=1.0, dtype=dtype)
            else:
                fc = L.Affine(n_in, n_out, rng, init=init, dtype=dtype)
            stack += [fc, act(dtype)]
            n_in = n_out
        if dropout:
            stack.append(Dropout(dropout, rng, dtype=dtype))
        stack.append(L.Affine(n_in, output_size, rng, init=0.0 if init == "network3" else init,
                              dtype=dtype))
        super().__init__(*stack)


# ----------------------------------------------------------------------------------------------
# Saving and loading weights
# ----------------------------------------------------------------------------------------------

def _named_arrays(model, prefix=""):
    """{name: array} for every parameter (and BatchNorm running statistic) of ``model``.

    Names are ``"<layer index>.<parameter name>"``, e.g. ``"0.W"`` for the filters of the first
    layer; layers of a nested Sequential get ``"<outer>.<inner>.<name>"``.
    """
    if isinstance(model, Sequential):
        arrays = {}
        for index, layer in enumerate(model.layers):
            arrays.update(_named_arrays(layer, f"{prefix}{index}."))
        return arrays
    arrays = {f"{prefix}{p.name or 'param'}": p.data for p in model.parameters()}
    for stat in ("running_mean", "running_var"):
        if isinstance(getattr(model, stat, None), np.ndarray):
            arrays[f"{prefix}{stat}"] = getattr(model, stat)
    return arrays


def save_weights(model, path):
    """Write every parameter of ``model`` to the ``.npz`` file ``path``, atomically.

    The file is written under a temporary name in the same folder and then renamed, so an
    interrupted save never leaves a half-written file behind. Arrays keep the model's dtype.
    """
    arrays = _named_arrays(model)
    if len(arrays) == 0:
        raise ValueError(f"{type(model).__name__} has no parameters to save")
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def load_weights(model, source):
    """Copy saved arrays into ``model`` (in place) and return it.

    ``source`` is a file written by :func:`save_weights`, or a dict of arrays with the same names
    (``"0.W"``, ``"0.b"``, ...; e.g. converted from another library). Checks first that it holds
    exactly the model's parameters with the same shapes, as floating-point arrays no more precise
    than the model's dtype, and raises a ``ValueError`` naming every mismatch otherwise (typically:
    the file belongs to another architecture). float32 weights can be loaded into a float64 model
    for a gradient check; float64 ones into a float32 model would be rounded silently, so they are
    refused (convert them with ``.astype(np.float32)`` first if that is what you want).
    """
    targets = _named_arrays(model)
    if isinstance(source, dict):
        stored, path = {name: np.asarray(array) for name, array in source.items()}, "the dict"
    else:
        with np.load(source, allow_pickle=False) as stored:
            stored = {name: stored[name] for name in stored.files}
        path = source
    problems = []
    missing = sorted(set(targets) - set(stored))
    extra = sorted(set(stored) - set(targets))
    if missing:
        problems.append(f"missing from the file: {', '.join(missing)}")
    if extra:
        problems.append(f"in the file but not in the model: {', '.join(extra)}")
    for name in sorted(set(targets) & set(stored)):
        if stored[name].shape != targets[name].shape:
            problems.append(f"{name} has shape {stored[name].shape} in the file but "
                            f"{targets[name].shape} in the model")
        elif not (stored[name].dtype.kind == "f" and stored[name].dtype.itemsize <= targets[name].dtype.itemsize):
            problems.append(f"{name} has dtype {stored[name].dtype} in the file but the model holds "
                            f"{targets[name].dtype}")
    if problems:
        raise ValueError(f"{path} does not fit this {type(model).__name__}: " + "; ".join(problems)
                         + ". Build the model with the same architecture as the one that was saved.")
    for name, target in targets.items():
        target[...] = stored[name].astype(target.dtype, copy=False)
    return model
