"""Helpers that generated code calls, imported by generated code under the stable name
``srcdiff.runtime``. They appear only where the operands' shapes are not known when the
derivative is compiled; code specialized on known shapes uses plain NumPy instead."""

import numpy as np

__all__ = ["unbroadcast", "matmul_lhs_vjp", "matmul_rhs_vjp", "dot_lhs_vjp", "dot_rhs_vjp",
           "check_scalar"]


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


def matmul_lhs_vjp(g, a, b):
    """Adjoint of ``a`` in ``a @ b`` for any ranks (NumPy's matmul rules, batches included)."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if b.ndim == 1:
        result = np.multiply.outer(g, b) if a.ndim > 1 else g * b
    elif a.ndim == 1:
        result = b @ g
    else:
        result = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(result, a)


def matmul_rhs_vjp(g, a, b):
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 1:
        result = np.multiply.outer(a, g) if b.ndim > 1 else g * a
    elif b.ndim == 1:
        result = np.swapaxes(a, -1, -2) @ g[..., None]
        result = result[..., 0]
    else:
        result = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(result, b)


def dot_lhs_vjp(g, a, b):
    """Adjoint of ``a`` in ``np.dot(a, b)`` for scalars, vectors and matrices."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    _check_dot(a, b)
    return matmul_lhs_vjp(g, a, b)


def dot_rhs_vjp(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    _check_dot(a, b)
    return matmul_rhs_vjp(g, a, b)


def _check_dot(a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise NotImplementedError("srcdiff: np.dot of arrays with more than two dimensions "
                                  "has no derivative rule yet; use np.matmul or einsum")


def check_scalar(value, name):
    """Refuse a non-scalar result when its shape was not known at compile time."""
    if np.ndim(value) != 0:
        raise TypeError(f"srcdiff: {name} returned a value of shape {np.shape(value)}; "
                        "gradient needs a scalar result")
    return value
