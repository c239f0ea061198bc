"""Layers: each one keeps its forward pass and its backward pass side by side.

The protocol every layer follows (and that `conv` and `models` build on):

* ``forward(x, training=False)`` computes the output and remembers what ``backward`` needs;
* ``backward(dout)`` takes dL/d(output), fills ``p.grad`` for each of the layer's parameters and
  returns dL/d(input); it never modifies ``dout`` or anything the caller handed in;
* ``parameters()`` lists the layer's :class:`Parameter` objects (empty for layers without weights).

The bodies of ``forward`` and ``backward`` are the layer's mathematics and nothing else. The checks
of what comes in live in two methods beside them, ``check_input(x)`` and ``check_dout(dout)``, and
:class:`Layer` runs them before every call of a body (see :meth:`Layer.__init_subclass__`): a
wrong shape or dtype is refused with a message that says what was expected, whoever calls.

Dtypes: a layer with parameters (Affine, BatchNorm, and the convolution) holds them in its
``dtype`` (default float32) and refuses arrays of another dtype with a ``ValueError`` rather than
silently computing in float64; gradient checks build those layers with ``dtype=np.float64``. A
layer without parameters (Sigmoid, Tanh, ReLU, Dropout, Flatten, Pooling) computes in the dtype of
its input, whatever the ``dtype`` it was given (kept for compatibility; it names the dtype that
error messages suggest).

A layer built with ``input_grad=False`` (Affine and Convolution) fills its parameter gradients but
does not compute dL/d(input): its ``backward`` returns None. The book's models build their first
layer that way, because nobody needs the gradient with respect to the images, and it is one
matrix product per step.

Faster versions of some of these layers, with the same interface and tested equal to them, live
in :mod:`nnlib.fast`; the book prints the ones here.
"""
import functools

import numpy as np

from . import init as initializers
from .functions import sigmoid


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
    """Base class: a layer without parameters that passes nothing through until overridden.

    Subclasses write ``forward`` and ``backward`` as the mathematics alone; the input checks go into
    ``check_input`` and ``check_dout``, which run first (see :meth:`__init_subclass__`).
    """

    #: Shape and dtype of the last forward output: what ``backward`` must receive (None before).
    out_spec = None
    #: False: ``backward`` fills the parameter gradients only and returns None.
    input_grad = True
    #: False for a container (Sequential) whose layers check what they receive themselves.
    checks_inputs = True

    def __init_subclass__(cls, **kwargs):
        """Wrap the ``forward`` and ``backward`` a subclass defines, so that its checks run first.

        The wrapped ``forward`` calls ``check_input(x)``, then the body, and records the output's
        shape and dtype in ``out_spec``; the wrapped ``backward`` calls ``check_dout(dout)``, then
        the body. ``inspect.getsource`` of either shows the body as written (``functools.wraps``).
        """
        super().__init_subclass__(**kwargs)
        if not cls.checks_inputs:
            return
        if "forward" in cls.__dict__:
            cls.forward = _checked_forward(cls.__dict__["forward"])
        if "backward" in cls.__dict__:
            cls.backward = _checked_backward(cls.__dict__["backward"])

    def check_input(self, x):
        """Raise unless ``x`` is an input this layer accepts (default: a floating-point ndarray)."""
        if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
            raise array_error(self, "forward", x, getattr(self, "dtype", np.float32))

    def check_dout(self, dout):
        """Raise unless ``dout`` has the shape and dtype of the last forward output."""
        spec = self.out_spec
        if spec is None:
            raise array_error(self, "backward", dout, np.float32)
        if not (isinstance(dout, np.ndarray) and dout.dtype == spec[1] and dout.shape == spec[0]):
            raise array_error(self, "backward", dout, spec[1], spec[0])

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def parameters(self):
        return []

    def __call__(self, x, training=False):
        return self.forward(x, training=training)


def _checked_forward(body):
    if getattr(body, "checked", False):
        return body

    @functools.wraps(body)
    def forward(self, x, training=False):
        self.check_input(x)
        out = body(self, x, training)
        self.out_spec = (out.shape, out.dtype)
        return out
    forward.checked = True
    return forward


def _checked_backward(body):
    if getattr(body, "checked", False):
        return body

    @functools.wraps(body)
    def backward(self, dout):
        self.check_dout(dout)
        return body(self, dout)
    backward.checked = True
    return backward


def array_error(layer, what, a, dtype, shape=None, hint=""):
    """The exception that explains why ``a`` was refused by ``layer.what`` (built only on failure).

    ``shape`` is the expected shape (a tuple, or a string such as "(N, 784)"), or None when no
    forward pass has run yet (which is then what is reported for a backward call).
    """
    name = f"{type(layer).__name__}.{what}"
    if what == "backward" and shape is None:
        return RuntimeError(f"{name} called before forward")
    dtype = np.dtype(dtype)
    if not isinstance(a, np.ndarray):
        return ValueError(f"{name} expected a {dtype} array, got a {type(a).__name__}; "
                          f"convert it with np.asarray(x, dtype=np.{dtype})")
    if a.dtype != dtype:
        fix = f"convert it with .astype(np.{dtype})"
        if a.dtype.kind == "f":
            fix += f" or build the layers with dtype=np.{a.dtype}"
        return ValueError(f"{name} expected a {dtype} array, got dtype {a.dtype}; {fix}")
    return ValueError(f"{name} expected shape {shape}, got shape {a.shape}{hint}")


def check_array(layer, what, a, dtype, shape=None):
    """Raise unless ``a`` is an ndarray of ``dtype`` (and of ``shape``, if one is given)."""
    if not (isinstance(a, np.ndarray) and a.dtype == dtype and (shape is None or a.shape == shape)):
        raise array_error(layer, what, a, dtype, shape)


class Affine(Layer):
    """Fully connected layer: out = x @ W.T + b.

    Shapes: x (N, n_in) -> out (N, n_out); W (n_out, n_in) as in Nielsen and PyTorch (Saitoh stores
    the transpose, (n_in, n_out)); b (n_out,).
    Backward: dW = dout.T @ x, db = sum of dout over the batch, dx = dout @ W.
    ``init``: ``"xavier"`` (std 1/sqrt(n_in)), ``"he"`` (std sqrt(2/n_in)) or a number, the std of
    normal weights (1.0 is Nielsen's), see :mod:`nnlib.init`; ``bias_std``: std of normal biases
    (Nielsen uses 1.0; the default 0 gives zeros, as Saitoh). ``input_grad=False``: backward fills
    dW and db only and returns None (for a network's first layer).
    PyTorch equivalent: ``torch.nn.Linear(n_in, n_out)`` (same weight layout; its own initial
    weights are uniform, so copy them across to compare).
    """

    def __init__(self, n_in, n_out, rng, *, init="xavier", bias_std=0.0, dtype=np.float32,
                 input_grad=True):
        self.dtype = np.dtype(dtype)
        W = initializers.weights((n_out, n_in), init, rng, self.dtype)
        b = initializers.normal((n_out,), bias_std, rng, self.dtype)
        self.W = Parameter(W, "W")
        self.b = Parameter(b, "b")
        self.input_grad = bool(input_grad)
        self.x = None

    @classmethod
    def from_arrays(cls, W, b, *, input_grad=True):
        """An Affine layer holding copies of W (n_out, n_in) and b (n_out,); dtype is W's."""
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[0],) or W.dtype != b.dtype or W.dtype.kind != "f":
            raise ValueError(f"expected a float W of shape (n_out, n_in) and b of shape (n_out,) of the same "
                             f"dtype, got W {W.shape} {W.dtype} and b {b.shape} {b.dtype}")
        layer = cls.__new__(cls)
        layer.dtype = W.dtype
        layer.W = Parameter(W.copy(), "W")
        layer.b = Parameter(b.copy(), "b")
        layer.input_grad = bool(input_grad)
        layer.x = None
        return layer

    def check_input(self, x):
        n_in = self.W.data.shape[1]
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype and x.ndim == 2 and x.shape[1] == n_in):
            raise array_error(self, "forward", x, self.dtype, f"(N, {n_in})",
                              "; put a Flatten() layer before it" if getattr(x, "ndim", 0) > 2 else "")

    def forward(self, x, training=False):
        self.x = x
        return x @ self.W.data.T + self.b.data

    def backward(self, dout):
        self.W.grad = dout.T @ self.x
        self.b.grad = dout.sum(axis=0)
        if not self.input_grad:
            return None
        return dout @ self.W.data

    def parameters(self):
        return [self.W, self.b]

    def __repr__(self):
        n_out, n_in = self.W.data.shape
        return f"Affine({n_in}, {n_out}, dtype={self.dtype})"


class _Activation(Layer):
    """Shared plumbing of the element-wise activations: the dtype named in error messages and the
    stored output. They compute in their input's dtype."""

    def __init__(self, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        self.out = None

    def __repr__(self):
        return f"{type(self).__name__}()"


class Sigmoid(_Activation):
    """out = 1 / (1 + exp(-x)), element-wise; backward: dx = dout * out * (1 - out) (Saitoh eq. 5.12).

    The forward pass is ``functions.sigmoid``, 0.5 + 0.5 * tanh(x / 2), which cannot overflow.
    Shapes: any, out has x's shape. PyTorch equivalent: ``torch.nn.Sigmoid()``.
    """

    def forward(self, x, training=False):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return (1.0 - self.out) * self.out * dout


class Tanh(_Activation):
    """out = tanh(x), element-wise; backward: dx = dout * (1 - out**2).

    Shapes: any, out has x's shape. PyTorch equivalent: ``torch.nn.Tanh()``.
    """

    def forward(self, x, training=False):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return (1.0 - self.out * self.out) * dout


class ReLU(_Activation):
    """out = max(0, x), element-wise; backward: dx = dout where x > 0, else 0 (Saitoh eq. 5.8).

    Shapes: any, out has x's shape (and its memory layout). The backward pass reads the mask from
    the stored output (out > 0 exactly where x > 0). PyTorch equivalent: ``torch.nn.ReLU()``.
    """

    def forward(self, x, training=False):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, dout):
        return dout * (self.out > 0)


class Dropout(Layer):
    """Inverted dropout: in training, each unit is zeroed with probability ``p`` and the survivors are
    scaled by 1 / (1 - p); in evaluation the layer passes x through unchanged.

    Scaling at training time (as Chainer and PyTorch do) is equivalent to Saitoh's and Nielsen's
    "multiply by (1 - p) at test time" and leaves evaluation free. Shapes: any, out has x's shape.
    ``rng`` draws the masks. PyTorch equivalent: ``torch.nn.Dropout(p)``.
    """

    def __init__(self, p, rng, dtype=np.float32):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout probability p must be in [0, 1), got {p}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.p = float(p)
        self.rng = rng
        self.dtype = np.dtype(dtype)
        self.mask = None

    def forward(self, x, training=False):
        if not training:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        self.mask = keep.astype(x.dtype) / (1.0 - self.p)
        return x * self.mask

    def backward(self, dout):
        if self.mask is None:   # evaluation mode: the layer was the identity
            return dout.copy()
        return dout * self.mask

    def __repr__(self):
        return f"Dropout(p={self.p})"


class BatchNorm(Layer):
    """Batch normalisation (Saitoh 6.3): normalise each feature over the batch, then scale and shift.

    x of shape (N, C) is normalised per column; x of shape (N, C, H, W) per channel, over N, H and W.
    Training: x_hat = (x - mean) / sqrt(var + eps) with the batch's mean and (biased) variance, and
    out = gamma * x_hat + beta; the running averages are updated as
    running = momentum * running + (1 - momentum) * batch value.
    Evaluation: the running mean and variance are used instead of the batch's.
    Parameters: gamma (C,) starts at 1, beta (C,) at 0.
    PyTorch equivalent: ``torch.nn.BatchNorm1d(C, eps=eps, momentum=1 - momentum)`` (``BatchNorm2d``
    for 4-D input); PyTorch keeps an unbiased running variance, which differs by a factor N/(N-1).
    """

    def __init__(self, num_features, *, momentum=0.9, eps=1e-5, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        self.gamma = Parameter(np.ones(num_features, dtype=self.dtype), "gamma")
        self.beta = Parameter(np.zeros(num_features, dtype=self.dtype), "beta")
        self.running_mean = np.zeros(num_features, dtype=self.dtype)
        self.running_var = np.ones(num_features, dtype=self.dtype)
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.x_hat = None

    def _axes_and_shape(self, x):
        """Axes to average over and the shape that broadcasts a (C,) vector against x."""
        C = self.gamma.data.shape[0]
        if x.ndim == 2 and x.shape[1] == C:
            return (0,), (1, C)
        if x.ndim == 4 and x.shape[1] == C:
            return (0, 2, 3), (1, C, 1, 1)
        raise ValueError(f"BatchNorm({C}) expected shape (N, {C}) or (N, {C}, H, W), got shape {x.shape}")

    def check_input(self, x):
        check_array(self, "forward", x, self.dtype)
        self._axes_and_shape(x)

    def forward(self, x, training=False):
        axes, shape = self._axes_and_shape(x)
        if training:
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(shape)
            var = (centred * centred).mean(axis=axes)
            self.running_mean = self.momentum * self.running_mean + (1.0 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1.0 - self.momentum) * var
        else:
            centred = x - self.running_mean.reshape(shape)
            var = self.running_var
        self.std = np.sqrt(var + self.eps).reshape(shape)
        self.x_hat = centred / self.std
        self.axes, self.shape, self.training = axes, shape, training
        return self.gamma.data.reshape(shape) * self.x_hat + self.beta.data.reshape(shape)

    def backward(self, dout):
        axes, shape = self.axes, self.shape
        self.beta.grad = dout.sum(axis=axes)
        self.gamma.grad = (dout * self.x_hat).sum(axis=axes)
        dx_hat = dout * self.gamma.data.reshape(shape)
        if not self.training:   # the mean and std were constants
            return dx_hat / self.std
        # x_hat depends on x directly and through the batch mean and variance; those two paths
        # subtract the mean of dx_hat and the mean of dx_hat * x_hat (Ioffe and Szegedy, 2015).
        dx = dx_hat - dx_hat.mean(axis=axes, keepdims=True)
        dx -= self.x_hat * (dx_hat * self.x_hat).mean(axis=axes, keepdims=True)
        dx /= self.std
        return dx

    def parameters(self):
        return [self.gamma, self.beta]

    def __repr__(self):
        return f"BatchNorm({self.gamma.data.shape[0]})"


class Flatten(Layer):
    """Flatten every dimension but the first: (N, d1, d2, ...) -> (N, d1 * d2 * ...).

    Backward reshapes the gradient back. PyTorch equivalent: ``torch.nn.Flatten()``.
    """

    def __init__(self, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        self.in_shape = None

    def check_input(self, x):
        super().check_input(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten expected a batch of shape (N, ...), got shape {x.shape}")

    def forward(self, x, training=False):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.in_shape)

    def __repr__(self):
        return "Flatten()"


class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse order.

    ``Sequential(Affine(784, 30, rng), Sigmoid(), Affine(30, 10, rng), Sigmoid())``.
    Iterate over it, index it (``model[0]``) or take ``len(model)``. Each layer checks what it
    receives, so the container itself checks nothing. ``backward`` returns None when its first
    layer was built with ``input_grad=False``. PyTorch equivalent: ``torch.nn.Sequential``.
    """

    def __init__(self, *layers):
        if not layers:
            raise ValueError("Sequential needs at least one layer, got none")
        for layer in layers:
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise ValueError(f"Sequential expects layers with forward and backward, got {layer!r}")
        self.layers = list(layers)

    checks_inputs = False       # the first layer checks x, the last one dout

    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __repr__(self):
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"Sequential(\n{inner}\n)"
