"""Layers: each one keeps its forward pass and its backward pass side by side.

The protocol every layer follows (and that `conv` and `models` build on):

* ``forward(x, training=False)`` computes the output and remembers what ``backward`` needs;
* ``backward(dout)`` takes dL/d(output), fills ``p.grad`` for each of the layer's parameters and
  returns dL/d(input); it never modifies ``dout`` or anything the caller handed in;
* ``parameters()`` lists the layer's :class:`Parameter` objects (empty for layers without weights).

Every layer has a ``dtype`` (default float32) and refuses arrays of another dtype with a
``ValueError`` rather than silently computing in float64. Gradient checks build the same layers with
``dtype=np.float64``.

One optional extension: a layer whose class sets ``can_skip_input_grad = True`` (here :class:`Affine`
and :class:`Sequential`) also accepts ``backward(dout, input_grad=False)``, which fills the parameter
gradients but skips dL/d(input) and returns None. The training loop uses it for the first layer:
nobody needs the gradient with respect to the images, and it is one matrix product per step.
"""
import numpy as np

from . import init as initializers
from . import parallel


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

    can_skip_input_grad = False

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def parameters(self):
        return []

    def __call__(self, x, training=False):
        return self.forward(x, training=training)


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


def check_dout(layer, dout, dtype, out_shape):
    """Raise unless ``dout`` is an ndarray of ``dtype`` and of the forward output's shape
    ``out_shape`` (None if forward has not run yet, which is then the error)."""
    if not (isinstance(dout, np.ndarray) and dout.dtype == dtype and dout.shape == out_shape):
        raise array_error(layer, "backward", dout, dtype, out_shape)


class Affine(Layer):
    """Fully connected layer: out = x @ W.T + b.

    Shapes: x (N, n_in) -> out (N, n_out); W (n_out, n_in) as in Nielsen and PyTorch (Saito stores
    the transpose, (n_in, n_out)); b (n_out,).
    Backward: dW = dout.T @ x, db = sum of dout over the batch, dx = dout @ W.
    ``init``: ``"xavier"``, ``"he"`` or a number, the std of normal weights (1.0 is Nielsen's);
    ``bias_std``: std of normal biases (Nielsen uses 1.0; the default 0 gives zeros, as Saito).
    PyTorch equivalent: ``torch.nn.Linear(n_in, n_out)``.
    """

    can_skip_input_grad = True
    #: Threads for the backward pass of a big layer (1 or 2; see :mod:`nnlib.parallel`).
    workers = parallel.default_workers()

    def __init__(self, n_in, n_out, rng, *, init="xavier", bias_std=0.0, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        W = initializers.weights((n_out, n_in), init, rng, self.dtype)
        b = initializers.normal((n_out,), bias_std, rng, self.dtype)
        self.W = Parameter(W, "W")
        self.b = Parameter(b, "b")
        self.x = self.out_shape = None

    @classmethod
    def from_arrays(cls, W, b):
        """An Affine layer holding the given W (n_out, n_in) and b (n_out,); dtype is W's."""
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[0],) or W.dtype != b.dtype or W.dtype.kind != "f":
            raise ValueError(f"expected a float W of shape (n_out, n_in) and b of shape (n_out,) of the same "
                             f"dtype, got W {W.shape} {W.dtype} and b {b.shape} {b.dtype}")
        layer = cls.__new__(cls)
        layer.dtype = W.dtype
        layer.W = Parameter(W.copy(), "W")
        layer.b = Parameter(b.copy(), "b")
        layer.x = layer.out_shape = None
        return layer

    def forward(self, x, training=False):
        n_in = self.W.data.shape[1]
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype and x.ndim == 2 and x.shape[1] == n_in):
            raise array_error(self, "forward", x, self.dtype, f"(N, {n_in})",
                              "; put a Flatten() layer before it" if getattr(x, "ndim", 0) > 2 else "")
        self.x = x
        out = x @ self.W.data.T
        out += self.b.data
        self.out_shape = out.shape
        return out

    def backward(self, dout, input_grad=True):
        if not (isinstance(dout, np.ndarray) and dout.dtype == self.dtype and dout.shape == self.out_shape):
            raise array_error(self, "backward", dout, self.dtype, self.out_shape)
        self.b.grad = dout.sum(axis=0)
        if not input_grad:
            self.W.grad = dout.T @ self.x
            return None
        # dW and dx do not depend on each other: big products run on two threads at once.
        big = dout.shape[1] * self.x.size >= parallel.BIG_PRODUCT
        self.W.grad, dx = parallel.together([lambda: dout.T @ self.x, lambda: dout @ self.W.data],
                                            self.workers if big else 1)
        return dx

    def parameters(self):
        return [self.W, self.b]

    def __repr__(self):
        n_out, n_in = self.W.data.shape
        return f"Affine({n_in}, {n_out}, dtype={self.dtype})"


class _Activation(Layer):
    """Shared plumbing of the element-wise activations: dtype check and the stored output."""

    def __init__(self, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        self.out = None

    def _check_input(self, x):
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype):
            raise array_error(self, "forward", x, self.dtype)

    def _check_dout(self, dout):
        out = self.out
        if not (isinstance(dout, np.ndarray) and dout.dtype == self.dtype and out is not None
                and dout.shape == out.shape):
            raise array_error(self, "backward", dout, self.dtype, None if out is None else out.shape)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Sigmoid(_Activation):
    """out = 1 / (1 + exp(-x)), element-wise; backward: dx = dout * out * (1 - out) (Saito eq. 5.12).

    The forward pass computes the same function as ``functions.sigmoid``, 0.5 + 0.5 * tanh(x / 2),
    which cannot overflow. Shapes: any, out has x's shape. PyTorch equivalent: ``torch.nn.Sigmoid()``.
    """

    def __init__(self, dtype=np.float32):
        super().__init__(dtype)
        # 0.5 and 1 as 0-d arrays of the layer's dtype: numpy converts a Python float again on every
        # operation, which costs more than the arithmetic itself on a batch of 10.
        self.half = np.array(0.5, dtype=self.dtype)
        self.one = np.array(1.0, dtype=self.dtype)

    def forward(self, x, training=False):
        self._check_input(x)
        out = np.multiply(x, self.half)   # a new array: x itself is left alone
        np.tanh(out, out=out)
        out *= self.half
        out += self.half
        self.out = out
        return out

    def backward(self, dout):
        self._check_dout(dout)
        dx = self.one - self.out
        dx *= self.out
        dx *= dout
        return dx


class Tanh(_Activation):
    """out = tanh(x), element-wise; backward: dx = dout * (1 - out**2).

    Shapes: any, out has x's shape. PyTorch equivalent: ``torch.nn.Tanh()``.
    """

    def forward(self, x, training=False):
        self._check_input(x)
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        self._check_dout(dout)
        dx = self.out * self.out
        np.subtract(1.0, dx, out=dx)
        dx *= dout
        return dx


class ReLU(_Activation):
    """out = max(0, x), element-wise; backward: dx = dout where x > 0, else 0 (Saito eq. 5.8).

    Shapes: any, out has x's shape (and its memory layout: a channels-last image batch from a
    convolution stays channels last). PyTorch equivalent: ``torch.nn.ReLU()``.

    The backward pass reads the mask from the stored output (out > 0 exactly where x > 0). On
    big batches (a convolution's output) the two halves of the batch run on two threads, see
    :mod:`nnlib.parallel`: these passes only move memory, and each core brings its own bandwidth.
    """

    #: How many threads share the work on a big batch (1 or 2; see nnlib.parallel).
    workers = parallel.default_workers()

    def forward(self, x, training=False):
        self._check_input(x)
        out = np.empty_like(x)                        # same shape, dtype and memory layout as x
        parallel.by_rows(lambda x, out: np.maximum(x, 0, out=out), (x, out), self.workers)
        self.out = out
        return out

    def backward(self, dout):
        self._check_dout(dout)
        dx = np.empty_like(dout)
        parallel.by_rows(lambda dout, out, dx: np.multiply(dout, out > 0, out=dx),
                         (dout, self.out, dx), self.workers)
        return dx


class Dropout(Layer):
    """Inverted dropout: in training, each unit is zeroed with probability ``p`` and the survivors are
    scaled by 1 / (1 - p); in evaluation the layer passes x through unchanged.

    Scaling at training time (as Chainer and PyTorch do) is equivalent to Saito's and Nielsen's
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
        self.mask = self.out_shape = None

    def forward(self, x, training=False):
        check_array(self, "forward", x, self.dtype)
        self.out_shape = x.shape
        if not training:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=self.dtype) >= self.p
        self.mask = keep.astype(self.dtype) / (1.0 - self.p)
        return x * self.mask

    def backward(self, dout):
        check_dout(self, dout, self.dtype, self.out_shape)
        if self.mask is None:   # evaluation mode: the layer was the identity
            return dout.copy()
        return dout * self.mask

    def __repr__(self):
        return f"Dropout(p={self.p})"


class BatchNorm(Layer):
    """Batch normalisation (Saito 6.3): normalise each feature over the batch, then scale and shift.

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

    def forward(self, x, training=False):
        check_array(self, "forward", x, self.dtype)
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
        check_dout(self, dout, self.dtype, None if self.x_hat is None else self.x_hat.shape)
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
        self.in_shape = self.out_shape = None

    def forward(self, x, training=False):
        check_array(self, "forward", x, self.dtype)
        if x.ndim < 2:
            raise ValueError(f"Flatten expected a batch of shape (N, ...), got shape {x.shape}")
        self.in_shape = x.shape
        out = x.reshape(x.shape[0], -1)
        self.out_shape = out.shape
        return out

    def backward(self, dout):
        check_dout(self, dout, self.dtype, self.out_shape)
        return dout.reshape(self.in_shape)

    def __repr__(self):
        return "Flatten()"


class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse order.

    ``Sequential(Affine(784, 30, rng), Sigmoid(), Affine(30, 10, rng), Sigmoid())``.
    Iterate over it, index it (``model[0]``) or take ``len(model)``.
    ``backward(dout, input_grad=False)`` lets the first layer skip dL/dx if it can (see the module
    docstring). PyTorch equivalent: ``torch.nn.Sequential``.
    """

    can_skip_input_grad = True

    def __init__(self, *layers):
        if not layers:
            raise ValueError("Sequential needs at least one layer, got none")
        for layer in layers:
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise ValueError(f"Sequential expects layers with forward and backward, got {layer!r}")
        self.layers = list(layers)

    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout, input_grad=True):
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        first = self.layers[0]
        if not input_grad and getattr(first, "can_skip_input_grad", False):
            return first.backward(dout, input_grad=False)
        return first.backward(dout)

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
