"""Optimizers: each ``step()`` reads the parameters' ``.grad`` and updates their ``.data`` in place.

    optimizer = SGD(model.parameters(), lr=0.1)
    ...  # forward, loss, backward fill every p.grad
    optimizer.step()

``lr`` is a public attribute and may be changed between steps. ``weight_decay=lambda`` adds the
gradient lambda * W of the L2 penalty (lambda / 2) * sum W**2 to every weight (every parameter with two
or more dimensions); biases and BatchNorm's gamma and beta are not decayed, as in both books.
With Nielsen's regularised cost C0 + (lambda_N / 2n) sum w**2, use ``weight_decay = lambda_N / n``.
(PyTorch's ``weight_decay=`` decays every parameter it is given, biases included; the "PyTorch
equivalent" of each optimizer below holds as written for ``weight_decay=0``, and with weight decay
when PyTorch gets two parameter groups, the biases with ``weight_decay=0``.)

The state (velocities, squared-gradient sums) is kept per parameter in the parameter's dtype.
"""
import math

import numpy as np

from .layers import Parameter


class Optimizer:
    """Holds the parameter list, the learning rate and the weight decay; subclasses define step()."""

    def __init__(self, params, lr, weight_decay=0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list; pass model.parameters()")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise ValueError(f"{type(self).__name__} expects Parameter objects (model.parameters()), "
                                 f"got {type(p).__name__}")
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate lr must be a positive number, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)

    def gradient(self, p):
        """dL/dp, plus weight_decay * p for weights (the gradient of the L2 penalty)."""
        if self.weight_decay and p.data.ndim > 1:
            return p.grad + self.weight_decay * p.data
        return p.grad

    def _zeros(self):
        """One zero array per parameter, for the optimizer's running state."""
        return [np.zeros_like(p.data) for p in self.params]

    def step(self):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Stochastic gradient descent: W <- W - lr * g (Saitoh eq. 6.1, Nielsen's update rule).

    PyTorch equivalent: ``torch.optim.SGD(params, lr)``.
    """

    def step(self):
        for p in self.params:
            p.data -= self.lr * self.gradient(p)


class Momentum(Optimizer):
    """Momentum: v <- momentum * v - lr * g;  W <- W + v (Saitoh eqs. 6.3 and 6.4).

    PyTorch equivalent: ``torch.optim.SGD(params, lr, momentum=momentum)``, which keeps v / (-lr)
    instead of v (the same steps while lr stays constant).
    """

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = float(momentum)
        self.v = self._zeros()

    def step(self):
        for p, v in zip(self.params, self.v):
            v *= self.momentum
            v -= self.lr * self.gradient(p)
            p.data += v


class Nesterov(Optimizer):
    """Nesterov's accelerated gradient, in the form that only needs the gradient at W:
    v <- momentum * v - lr * g;  W <- W + momentum * v - lr * g  (a step of v, then a look-ahead).

    PyTorch equivalent: ``torch.optim.SGD(params, lr, momentum=momentum, nesterov=True)``.
    """

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = float(momentum)
        self.v = self._zeros()

    def step(self):
        for p, v in zip(self.params, self.v):
            g = self.gradient(p)
            v *= self.momentum
            v -= self.lr * g
            p.data += self.momentum * v - self.lr * g


class AdaGrad(Optimizer):
    """AdaGrad: h <- h + g * g;  W <- W - lr * g / (sqrt(h) + eps) (Saitoh eqs. 6.5 and 6.6).

    Each weight gets its own learning rate, which shrinks as its squared gradients add up.
    PyTorch equivalent: ``torch.optim.Adagrad(params, lr, eps=eps)``.
    """

    def __init__(self, params, lr=0.01, eps=1e-7, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.eps = float(eps)
        self.h = self._zeros()

    def step(self):
        for p, h in zip(self.params, self.h):
            g = self.gradient(p)
            h += g * g
            p.data -= self.lr * g / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: h <- rho * h + (1 - rho) * g * g;  W <- W - lr * g / (sqrt(h) + eps).

    AdaGrad with an exponential moving average, so old gradients are forgotten and the steps do not
    shrink to zero. PyTorch equivalent: ``torch.optim.RMSprop(params, lr, alpha=rho, eps=eps)``.
    """

    def __init__(self, params, lr=0.01, rho=0.99, eps=1e-7, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.rho = float(rho)
        self.eps = float(eps)
        self.h = self._zeros()

    def step(self):
        for p, h in zip(self.params, self.h):
            g = self.gradient(p)
            h *= self.rho
            h += (1.0 - self.rho) * g * g
            p.data -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015): moving averages of g (like momentum) and of g * g (like RMSprop),
    corrected for their start at zero:

        m <- beta1 * m + (1 - beta1) * g            m_hat = m / (1 - beta1**t)
        v <- beta2 * v + (1 - beta2) * g * g        v_hat = v / (1 - beta2**t)
        W <- W - lr * m_hat / (sqrt(v_hat) + eps)

    with t the number of steps taken so far (1 at the first step). :class:`nnlib.fast.Adam` does the
    same in place. PyTorch equivalent: ``torch.optim.Adam(params, lr, betas=(beta1, beta2), eps=eps)``.
    """

    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m = self._zeros()
        self.v = self._zeros()
        self.t = 0

    def step(self):
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            g = self.gradient(p)
            m[...] = self.beta1 * m + (1.0 - self.beta1) * g
            v[...] = self.beta2 * v + (1.0 - self.beta2) * g * g
            m_hat = m / (1.0 - self.beta1 ** self.t)
            v_hat = v / (1.0 - self.beta2 ** self.t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
