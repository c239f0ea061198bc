"""Initial weights: a normal distribution with a chosen standard deviation, Xavier, He.

Weight shapes follow PyTorch: (n_out, n_in) for a fully connected layer and
(C_out, C_in, kernel_h, kernel_w) for a convolution, so the *fan-in* (how many inputs feed one unit)
is the product of every dimension but the first.

Every function takes the ``numpy.random.Generator`` to draw from: there is no global random state.
"""
import math

import numpy as np


def fan_in(shape):
    """Number of inputs feeding one output unit: prod(shape[1:]) (784 for a (30, 784) weight)."""
    if len(shape) < 2:
        raise ValueError(f"a weight needs at least 2 dimensions (n_out, n_in, ...), got shape {tuple(shape)}")
    return math.prod(shape[1:])


def normal(shape, std, rng, dtype=np.float32):
    """Samples of N(0, std**2) with the given shape and dtype.

    ``std=1.0`` is Nielsen's chapter-1 initialisation, ``std=0.01`` Saitoh's ``weight_init_std``.
    PyTorch equivalent: ``torch.nn.init.normal_(w, 0.0, std)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    std = float(std)   # a numpy float64 std would silently turn a float32 array into float64
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    samples = rng.standard_normal(shape, dtype=dtype)
    if std == 0.0:
        # zeros (not the -0.0 that samples * 0 would give for negative samples); the samples are
        # still drawn, so every later draw from rng is the same whatever the std
        return np.zeros_like(samples)
    return samples * std


def xavier_std(n_in):
    """Xavier (Glorot) standard deviation 1 / sqrt(n_in), in the simplified form Saitoh uses (6.2.2).

    Glorot and Bengio's paper averages fan-in and fan-out; Caffe and Saitoh keep the fan-in only.
    Suited to sigmoid and tanh, which are close to linear around 0.
    """
    return 1.0 / math.sqrt(n_in)


def he_std(n_in):
    """He (Kaiming) standard deviation sqrt(2 / n_in): twice Xavier's variance, since ReLU zeroes half."""
    return math.sqrt(2.0 / n_in)


def xavier(shape, rng, dtype=np.float32):
    """Normal weights with std 1/sqrt(fan_in). PyTorch: ``nn.init.kaiming_normal_(w, nonlinearity="linear")``.

    Not PyTorch's ``nn.init.xavier_normal_``, whose std is sqrt(2 / (fan_in + fan_out)) (Glorot and
    Bengio's average of both fans); the name follows Saitoh and Caffe, see :func:`xavier_std`.
    """
    return normal(shape, xavier_std(fan_in(shape)), rng, dtype)


def he(shape, rng, dtype=np.float32):
    """Normal weights with std sqrt(2/fan_in). PyTorch: ``nn.init.kaiming_normal_(w, nonlinearity="relu")``."""
    return normal(shape, he_std(fan_in(shape)), rng, dtype)


def weights(shape, init, rng, dtype=np.float32):
    """Weights for ``init`` = ``"xavier"``, ``"he"`` or a number (the std of a normal distribution)."""
    if isinstance(init, str):
        if init == "xavier":
            return xavier(shape, rng, dtype)
        if init == "he":
            return he(shape, rng, dtype)
        raise ValueError(f"init must be 'xavier', 'he' or a standard deviation, got {init!r}")
    return normal(shape, init, rng, dtype)
