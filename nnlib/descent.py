"""Gradient descent on a function of an array: x <- x - lr * grad f(x), repeated (Saitoh 4.4.1, Nielsen 1.5).

The teaching version for chapter 5: a plain loop, no stopping rule and no momentum. The gradient is
numerical (central differences, :func:`nnlib.gradcheck.numerical_gradient`) unless a function that
computes it is given. Training a network uses the optimizers of :mod:`nnlib.optim` instead, which
take the gradients that backpropagation stores in each parameter.
"""
import numpy as np

from .gradcheck import numerical_gradient


def gradient_descent(f, init_x, lr=0.01, step_num=100, grad=None, return_path=False):
    """Take ``step_num`` steps x <- x - lr * grad(x) from ``init_x``; return the last x.

    f: a scalar function of a float64 array; init_x: the start, any shape (copied, never changed).
    grad: a function giving the gradient of f at x (default: the numerical gradient of f).
    return_path=True returns (x, path), path of shape (step_num + 1,) + x.shape, from init_x on.
    Nothing stops a path that runs away: a learning rate that is too large shows as one.
    """
    x = _start(init_x, lr, step_num)           # a float64 copy, after checking the arguments
    if grad is None:
        def grad(point):
            return numerical_gradient(f, point)
    path = [x.copy()]
    for _ in range(step_num):
        x -= lr * grad(x)
        path.append(x.copy())
    return (x, np.array(path)) if return_path else x


def _start(init_x, lr, step_num):
    """Check the arguments of :func:`gradient_descent`; return init_x as a new float64 array."""
    x = np.array(init_x, dtype=np.float64)
    if x.size == 0:
        raise ValueError("gradient_descent needs a start point with at least one entry, got an empty array")
    if isinstance(step_num, bool) or not isinstance(step_num, (int, np.integer)) or step_num < 0:
        raise ValueError(f"step_num must be a whole number >= 0, got {step_num!r}")
    if not np.isfinite(lr) or lr < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
    return x
