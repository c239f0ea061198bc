"""Numerical derivatives by central differences, and a check of a layer's backward against them.

Central difference (Saitoh 4.3): f'(x) ~ (f(x + h) - f(x - h)) / (2h), whose error shrinks like h**2,
against h for the one-sided difference. Run it in float64: in float32 the rounding error of f, divided
by 2h, swamps the derivative.
"""
import numpy as np


def numerical_diff(f, x, h=1e-4):
    """Derivative of a function of one number at x: (f(x + h) - f(x - h)) / (2h)."""
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x, h=1e-4):
    """Gradient of the scalar function ``f(x)`` with respect to every entry of the float64 array x.

    Each entry is moved by +h and -h in place (and put back), so ``f`` may also ignore its argument
    and read x through a layer that holds it: ``numerical_gradient(lambda _: loss(), W)``.
    Shape: the result has x's shape.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else f"a {type(x).__name__}"
        raise ValueError(f"numerical_gradient expected a float64 array, got {got}; "
                         "numerical derivatives need float64 (use x.astype(np.float64))")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        f_plus = float(f(x))
        x[i] = original - h
        f_minus = float(f(x))
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(analytic, numeric, floor=0.0):
    """max |analytic - numeric| divided by the largest magnitude in either array (or by ``floor`` if
    that is larger); 0.0 when everything is zero.

    Scaling by the array's largest entry, not entry by entry, keeps entries that are nearly 0 from
    making an exact gradient look wrong.
    """
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), floor)
    if scale == 0.0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


def check_layer(layer, x, rng, training=True, h=1e-5):
    """Compare ``layer.backward`` with numerical gradients; return {name: max relative error}.

    The layer and x must be float64. The scalar differentiated is L = sum(out * r) for a fixed random
    r of out's shape (drawn from ``rng``), so dL/dout = r is what backward receives. The names are
    ``"x"`` and the parameters' names (``"W"``, ``"b"``, ...); names used twice, as in a Sequential,
    get their position in ``parameters()`` appended (``"W0"``, ``"b1"``, ``"W2"``, ...).
    Each error is relative to the largest entry of that gradient, or to 1/1000 of the largest
    gradient of the whole check if that is larger (see :func:`relative_error`).
    ``training`` is passed to every forward: BatchNorm then uses batch statistics; a Dropout layer
    must draw the same mask at every forward for the check to make sense.
    Also raises AssertionError if backward modified its argument or x.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(f"check_layer expected a float64 input, got {getattr(x, 'dtype', type(x).__name__)}; "
                         "build the layer with dtype=np.float64 and pass x.astype(np.float64)")
    x = x.copy()
    out = layer.forward(x, training=training)
    r = rng.standard_normal(out.shape)

    def loss(_):
        return np.sum(layer.forward(x, training=training) * r)

    x_before, r_before = x.copy(), r.copy()
    layer.forward(x, training=training)
    dx = layer.backward(r)
    if not (np.array_equal(r, r_before) and np.array_equal(x, x_before)):
        raise AssertionError(f"{type(layer).__name__}.backward modified its input")
    params = layer.parameters()
    analytic = {"x": dx}
    names = [p.name or "param" for p in params]
    for i, (p, name) in enumerate(zip(params, names)):
        key = name if names.count(name) == 1 else f"{name}{i}"
        analytic[key] = p.grad.copy()

    numeric = {"x": numerical_gradient(loss, x, h)}
    for key, p in zip(list(analytic)[1:], params):
        numeric[key] = numerical_gradient(loss, p.data, h)
    # A gradient that is exactly zero (the bias of an Affine layer followed by BatchNorm) would be
    # compared with pure rounding noise; measure it against a thousandth of the largest gradient.
    floor = 1e-3 * max(np.abs(g).max(initial=0.0) for g in analytic.values())
    return {key: relative_error(analytic[key], numeric[key], floor) for key in analytic}
