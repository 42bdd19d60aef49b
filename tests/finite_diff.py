"""Reference derivatives by central finite differences, and points to take them at."""

import numpy as np

STEP = 1e-6

DOMAINS = {
    "real": (-2.0, 2.0),
    "positive": (0.5, 2.0),
    "unit": (-0.8, 0.8),
    "nonzero": (0.5, 2.0),
    "above1": (1.2, 3.0),
    "int": (1, 5),
    "invertible": (-1.0, 1.0),
    "spd": (-1.0, 1.0),
}


def sample(domain, shape, rng):
    """A value from ``domain``: a Python float (int for "int") when shape is None, else an array.

    "nonzero" draws magnitudes in (0.5, 2) with a random sign. "invertible" draws square
    matrices (stacks of them) that are well conditioned: 3 I plus entries in (-1, 1); "spd"
    symmetric positive definite ones, B B^T + n I. As scalars both are in (0.5, 2).
    """
    low, high = DOMAINS[domain]
    size = () if shape is None else shape
    if domain in ("invertible", "spd"):
        if shape is None or len(shape) < 2:
            value = rng.uniform(0.5, 2.0, size=size)
            return float(value) if shape is None else value
        n = shape[-1]
        b = rng.uniform(low, high, size=shape)
        if domain == "invertible":
            return b + 3.0 * np.eye(n)
        return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)
    if domain == "int":
        value = rng.integers(low, high, size=size)
        return int(value) if shape is None else value
    value = rng.uniform(low, high, size=size)
    if domain == "nonzero":
        value = value * rng.choice([-1.0, 1.0], size=size)
    return float(value) if shape is None else value


def central_difference(f, args, index):
    """The derivative of the scalar ``f(*args)`` with respect to ``args[index]``, in float64.

    The step is STEP relative to each element's magnitude (absolute below 1). The result is
    a Python float for a Python float argument and a float64 array of its shape otherwise.
    """
    x = args[index]
    if not isinstance(x, np.ndarray):
        up, down = x + _step(x), x - _step(x)
        return _slope(f, args, index, up, down)
    x = x.astype(np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += _step(x[i])
        down[i] -= _step(x[i])
        grad[i] = _slope(f, args, index, up, down, i)
    return grad


def _step(value):
    return STEP * max(1.0, abs(float(value)))


def _slope(f, args, index, up, down, i=()):
    rise = float(f(*_replaced(args, index, up))) - float(f(*_replaced(args, index, down)))
    run = float(np.asarray(up)[i]) - float(np.asarray(down)[i])
    return rise / run


def _replaced(args, index, value):
    return args[:index] + (value,) + args[index + 1:]
