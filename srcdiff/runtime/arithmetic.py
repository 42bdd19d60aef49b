"""Helpers for elementwise adjoints: broadcasting back, dtypes, and derivatives whose
textbook formulas fail at points where the derivative itself exists (``x ** 0`` at
x = 0, ``0 ** y``, ``np.sinc`` at 0)."""

import cmath
import math

import numpy as np

from ..errors import SrcdiffError

__all__ = [
    "unbroadcast", "spread_like", "last_assigned", "check_scalar", "cast_like", "dpow_dx",
    "dpow_dy", "dsinc_dx",
]


def spread_like(tangent, ans):
    """A part of a result's tangent spread over the result's shape, as the argument it came
    from was broadcast (forward mode's mirror of :func:`unbroadcast`)."""
    if np.shape(tangent) == np.shape(ans):
        return tangent
    return np.broadcast_to(tangent, np.shape(ans)).copy()


def unbroadcast(g, x):
    """Sum the adjoint ``g`` over the axes along which ``x`` was broadcast."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g if shape else g[()]


def last_assigned(g, index):
    """``g[index]`` for the values of ``y[index] = v`` that NumPy kept: where an integer
    index names a position more than once, only the value written last is in ``y``, so the
    others get a zero adjoint. The order is found by making the same assignment of counters
    (NumPy does not promise an order for repeated positions; it keeps the last in practice,
    and this follows whatever it does)."""
    part = g[index]
    order = np.arange(np.size(part)).reshape(np.shape(part))
    written = np.full(np.shape(g), -1)
    written[index] = order
    return np.where(written[index] == order, part, 0.0).astype(part.dtype, copy=False)


def check_scalar(value, name):
    """Refuse a non-scalar result when its rank was not known at compile time."""
    if np.ndim(value) != 0:
        raise SrcdiffError(f"{name} returned an array of shape {np.shape(value)}; gradient "
                           "needs a scalar result", hint="reduce it to a scalar, e.g. with "
                           "np.sum")
    return value


def cast_like(value, x):
    """``value`` in the dtype of ``x`` (a float for a Python float): an adjoint keeps its
    operand's precision even where a primitive computed in another one."""
    dtype = np.result_type(x)
    if isinstance(x, (float, int)) and not isinstance(x, bool) and np.ndim(value) == 0:
        return float(np.real(value))
    if isinstance(x, complex) and np.ndim(value) == 0:
        return complex(value)
    if dtype.kind not in "fc":
        return value
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype == dtype:
        return value
    if dtype.kind == "f" and np.iscomplexobj(value):
        value = np.real(value)  # a real operand's share of a complex adjoint
    return np.asarray(value, dtype=dtype)[()] if np.ndim(value) == 0 else np.asarray(
        value, dtype=dtype)


def _python_numbers(*values):
    return all(isinstance(v, (int, float, complex)) and not isinstance(v, bool)
               for v in values)


def dpow_dx(x, y):
    """The derivative of ``x ** y`` in ``x``: ``y * x ** (y - 1)``, and 0 where ``y`` is 0,
    for ``x ** 0`` is the constant 1, even at x = 0 where the formula gives 0 * inf (the
    k = 0 term of a polynomial ``c[k] * x ** k``). Where the slope is unbounded (x = 0 and
    0 < y < 1) it is inf: Python's ``0.0 ** -0.5`` would raise, where ``0.0 ** 0.5`` does not."""
    if _python_numbers(x, y):
        if y == 0:
            return 0j if isinstance(x, complex) else 0.0
        try:
            return y * x ** (y - 1)
        except ZeroDivisionError:
            return math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = y * np.power(x, y - 1)
    return np.where(np.equal(y, 0), 0.0, slope)[()]


def dpow_dy(x, ans):
    """The derivative of ``ans = x ** y`` in ``y``: ``ans * log(x)``, and 0 where x is 0
    (``0 ** y`` is 0 for every y > 0). Where x < 0 a real power exists only at whole
    exponents, so the derivative does not: NaN, where ``math.log`` would raise."""
    if _python_numbers(x, ans):
        if x == 0:
            return 0j if isinstance(ans, complex) else 0.0
        if isinstance(x, complex) or isinstance(ans, complex):
            return ans * cmath.log(x)
        return ans * math.log(x) if x > 0 else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = ans * np.log(x)
    return np.where(np.equal(x, 0), 0.0, slope)[()]


def dsinc_dx(x, ans):
    """The derivative of ``ans = np.sinc(x)``: ``(cos(pi x) - ans) / x``, and its limit 0 at
    x = 0, where the formula is 0 / 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (np.cos(np.pi * x) - ans) / x
    return np.where(np.equal(x, 0), 0.0, slope)[()]
