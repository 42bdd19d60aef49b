"""Helpers for the adjoints and tangents of reductions: putting reduced axes back, ties,
products without division, medians, cumulative sums and products, norms and weighted
averages."""

import math

import numpy as np

from .arithmetic import cast_like

__all__ = [
    "expand_reduced", "reduced_size", "unit", "deviations", "tie_weights", "product_of_others",
    "median_weights", "reverse_cumsum", "cumprod_vjp", "cumprod_jvp", "norm_vjp", "norm_jvp",
    "average_vjp", "average_jvp",
]


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(int(a) % ndim for a in axes))


def expand_reduced(g, axis=None, keepdims=False):
    """The adjoint of a reduction with the reduced axes put back as length 1, so that it
    broadcasts against the reduced operand (a scalar already does)."""
    if keepdims or axis is None or np.ndim(g) == 0:
        return g
    return np.expand_dims(g, axis)


def reduced_size(a, axis=None):
    """How many elements of ``a`` each result of a reduction over ``axis`` gathers (0 for
    an empty axis, where ``np.size(a) // np.size(ans)`` would divide by zero)."""
    shape = np.shape(a)
    return math.prod(shape[k] for k in _axes(axis, len(shape)))


def unit(x, norm):
    """``x / norm``, and 0 where the norm is 0 (the 2-norm's subgradient there)."""
    x = np.asarray(x)
    return np.divide(x, norm, out=np.zeros(np.broadcast_shapes(x.shape, np.shape(norm)),
                                           dtype=np.result_type(x, norm)), where=norm != 0)


def deviations(a, axis=None):
    """``a`` minus its mean along ``axis`` (kept), centred a second time so that the
    deviations sum to zero to rounding. The standard deviation's adjoint is the deviations
    over the standard deviation; for a slice whose values are equal up to rounding both
    are rounding noise, and only deviations that sum to zero keep the adjoint from moving
    with a shift of every element (which leaves the standard deviation unchanged)."""
    deviation = a - np.mean(a, axis, keepdims=True)
    return deviation - np.mean(deviation, axis, keepdims=True)


def tie_weights(a, m, axis=None):
    """1/k on each of the k elements of ``a`` equal to ``m`` along ``axis`` (0 elsewhere):
    a maximum's or minimum's adjoint is split equally among tied elements."""
    a = np.asarray(a)
    mask = a == m
    dtype = a.dtype if a.dtype.kind in "fc" else np.dtype(float)
    return mask / np.sum(mask, axis=axis, keepdims=True, dtype=dtype)


def product_of_others(a, axis=None):
    """For each element, the product of the other elements along ``axis``: the derivative of
    ``np.prod``, exact where elements are zero (no division)."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, ends)
    kept = a.ndim - len(axes)
    # (The reduced length is spelled out: -1 is ambiguous when a kept axis has length 0.)
    flat = moved.reshape(moved.shape[:kept] + (math.prod(moved.shape[kept:]),))
    ones = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis((before * after).reshape(moved.shape), ends, axes)


def median_weights(a, axis=None):
    """The derivative of ``np.median(a, axis)``: 1 on the middle element along ``axis``, or
    1/2 on each of the two middle ones for an even count, 0 elsewhere."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, ends)
    work = moved.reshape(moved.shape[:a.ndim - len(axes)] + (math.prod(moved.shape[
        a.ndim - len(axes):]),))
    n = work.shape[-1]
    middle = np.zeros(n, dtype=a.dtype if a.dtype.kind in "fc" else np.dtype(float))
    if n == 0:
        return np.zeros(a.shape, dtype=middle.dtype)
    middle[(n - 1) // 2] += 0.5
    middle[n // 2] += 0.5
    weights = np.empty(work.shape, dtype=middle.dtype)
    np.put_along_axis(weights, np.argsort(work, axis=-1, kind="stable"),
                      np.broadcast_to(middle, work.shape), axis=-1)
    return np.moveaxis(weights.reshape(moved.shape), ends, axes)


def reverse_cumsum(g, a, axis=None, include_initial=False):
    """The adjoint of ``np.cumsum(a, axis)``: sums of ``g`` from each position to the end."""
    g = np.asarray(g)
    if axis is None:
        g = g.ravel()
        axis = 0
    if include_initial:
        g = np.take(g, np.arange(1, g.shape[axis]), axis=axis)
    result = np.flip(np.cumsum(np.flip(g, axis), axis), axis)
    return result.reshape(np.shape(a))


def cumprod_vjp(g, ans, a, axis=None, include_initial=False):
    """The adjoint of ``np.cumprod(a, axis)``; exact where elements are zero."""
    a, g = np.asarray(a), np.asarray(g)
    shape = a.shape
    if axis is None:
        a, axis = a.ravel(), 0
        g = g.ravel()
    if include_initial:
        g = np.take(g, np.arange(1, g.shape[axis]), axis=axis)
        ans = np.take(ans, np.arange(1, np.shape(ans)[axis]), axis=axis)
    if np.all(a != 0):
        result = np.flip(np.cumsum(np.flip(g * ans, axis), axis), axis) / a
        return cast_like(result.reshape(shape), a)
    a_m, g_m = np.moveaxis(a, axis, -1), np.moveaxis(g, axis, -1)
    n = a_m.shape[-1]
    suffix = np.zeros(np.broadcast_shapes(a_m.shape, g_m.shape), dtype=np.result_type(a, g))
    running = np.zeros_like(suffix[..., 0])
    for j in range(n - 1, -1, -1):
        running = g_m[..., j] + (a_m[..., j + 1] * running if j + 1 < n else 0.0)
        suffix[..., j] = running
    ones = np.ones_like(a_m[..., :1])
    before = np.cumprod(np.concatenate([ones, a_m[..., :-1]], axis=-1), axis=-1)
    return cast_like(np.moveaxis(before * suffix, -1, axis).reshape(shape), a)


def cumprod_jvp(x_dot, ans, x, axis=None, include_initial=False):
    """The tangent of ``np.cumprod(x, axis)`` (``np.cumulative_prod`` with
    ``include_initial``), exact where elements are zero: the running product's own
    recurrence, ``p_k = p_(k-1) * x_k``, differentiated, where there is a zero; the running
    sum of ``x_dot / x`` scaled by the products (as the adjoint does) where there is none."""
    x, x_dot = np.asarray(x), np.asarray(x_dot)
    if axis is None:
        x, x_dot, axis = x.ravel(), np.broadcast_to(x_dot, np.shape(x)).ravel(), 0
    axis = axis % x.ndim
    products = np.cumprod(x, axis)
    if np.all(x != 0):
        tangent = products * np.cumsum(x_dot / x, axis)
    else:
        x_m, dot_m = np.moveaxis(x, axis, -1), np.moveaxis(x_dot, axis, -1)
        before = np.moveaxis(products, axis, -1)
        moved = np.empty(np.broadcast_shapes(x_m.shape, dot_m.shape),
                         dtype=np.result_type(x, x_dot))
        running = np.zeros_like(moved[..., 0])
        for k in range(x_m.shape[-1]):
            previous = before[..., k - 1] if k else 1.0
            running = running * x_m[..., k] + previous * dot_m[..., k]
            moved[..., k] = running
        tangent = np.moveaxis(moved, -1, axis)
    if include_initial:
        zero = np.zeros_like(np.take(tangent, [0], axis=axis))
        tangent = np.concatenate([zero, tangent], axis=axis)
    return tangent


def norm_axes(x, ord=None, axis=None, vector=False):
    """The axes that ``np.linalg.norm(x, ord, axis)`` reduces (``vector=True``:
    ``np.linalg.vector_norm``, which flattens), as non-negative ints, and whether it takes a
    matrix norm over them."""
    return _norm_axes(np.asarray(x), ord, axis, vector)


def svd_weights(s, ord):
    """The weight of each singular value ``s`` in the gradient of the matrix norm of order
    ``ord`` ("nuc", 2 or -2): all 1, or the largest (smallest), ties split equally."""
    if ord == "nuc":
        return np.ones_like(s)
    pick = s == (s[..., :1] if ord == 2 else s[..., -1:])
    return pick / np.sum(pick, axis=-1, keepdims=True)


def _norm_axes(x, ord, axis, vector):
    """The axes a norm reduces, and whether it is a matrix norm there."""
    if vector:
        return tuple(range(x.ndim)) if axis is None else tuple(
            a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))), False
    if axis is None:
        if ord is None or x.ndim == 1:
            return tuple(range(x.ndim)), False
        return (0, 1), True
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % x.ndim for a in axes), len(axes) == 2


def _norm_weights(ans, x, ord, axes, matrix, keepdims):
    """What a norm's adjoint multiplies ``g`` (its axes put back) by, of ``x``'s shape."""
    if not keepdims and np.ndim(ans):
        ans = np.expand_dims(ans, axes)
    if matrix:
        return _matrix_norm_weights(ans, x, ord, axes)
    return _vector_norm_weights(ans, x, ord, axes)


def norm_jvp(x_dot, ans, x, ord=None, axis=None, keepdims=False, vector=False):
    """The tangent of ``np.linalg.norm(x, ord, axis, keepdims)`` (``vector=True``:
    ``np.linalg.vector_norm``): the transpose of :func:`norm_vjp`, so ties and the point
    x = 0 are treated alike."""
    x = np.asarray(x)
    axes, matrix = _norm_axes(x, ord, axis, vector)
    weights = _norm_weights(ans, x, ord, axes, matrix, keepdims)
    return np.sum(x_dot * weights, axis=axes, keepdims=keepdims)


def norm_vjp(g, ans, x, ord=None, axis=None, keepdims=False, vector=False):
    """The adjoint of ``np.linalg.norm(x, ord, axis, keepdims)`` for every vector and matrix
    order NumPy accepts (``vector=True``: ``np.linalg.vector_norm``, which flattens). Ties (in
    the max and min orders, and at equal singular values) are split equally; at x = 0 the
    2-norm's subgradient 0 is used."""
    x = np.asarray(x)
    axes, matrix = _norm_axes(x, ord, axis, vector)
    if not keepdims and np.ndim(g):
        g = np.expand_dims(g, axes)
    return cast_like(g * _norm_weights(ans, x, ord, axes, matrix, keepdims), x)


def _vector_norm_weights(ans, x, ord, axes):
    if ord is None or ord == 2:
        return unit(x, ans)
    if ord == 0:
        return np.zeros_like(x)
    if ord == 1:
        return np.sign(x)
    if ord in (np.inf, -np.inf):
        return np.sign(x) * tie_weights(np.abs(x), ans, axes)
    return np.sign(x) * (np.abs(x) / ans) ** (ord - 1)


def _matrix_norm_weights(ans, x, ord, axes):
    if ord in (None, "fro"):
        return unit(x, ans)
    rows, cols = axes
    if ord in (1, -1, np.inf, -np.inf):
        summed = cols if ord in (np.inf, -np.inf) else rows
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        return np.sign(x) * tie_weights(sums, ans, axes)
    y = np.moveaxis(x, (rows, cols), (-2, -1))
    u, s, vt = np.linalg.svd(y, full_matrices=False)
    grad = (u * svd_weights(s, ord)[..., None, :]) @ vt
    return np.moveaxis(grad, (-2, -1), (rows, cols))


def weights_along(a, weights, axis):
    """``np.average``'s weights as they broadcast against ``a``: 1-d weights of another
    shape lie along ``axis``."""
    w = np.asarray(weights)
    if w.shape == np.shape(a):
        return w
    shape = [1] * np.ndim(a)
    shape[axis % np.ndim(a)] = w.size
    return w.reshape(shape)


def average_vjp(g, ans, a, weights, axis=None, keepdims=False, wrt="a"):
    """The adjoint of ``np.average(a, axis, weights)`` with respect to ``a`` or ``weights``
    (1-d weights along a single axis broadcast as NumPy does)."""
    a = np.asarray(a)
    w = np.asarray(weights)
    w_full = weights_along(a, w, axis)
    g = expand_reduced(g, axis, keepdims)
    ans = expand_reduced(ans, axis, keepdims)
    total = np.sum(w_full, axis=axis, keepdims=True)
    if wrt == "a":
        return cast_like(g * w_full / total * np.ones_like(a), a)
    result = g * (a - ans) / total
    if w.shape != a.shape:
        result = np.sum(result, axis=tuple(i for i in range(a.ndim) if i != axis % a.ndim))
    return cast_like(np.reshape(result, w.shape), w)


def average_jvp(weights_dot, ans, a, weights, axis=None, keepdims=False):
    """The tangent of ``np.average(a, axis, weights)`` from its weights' tangent,
    ``sum(weights_dot * (a - ans)) / sum(weights)``: the transpose of
    ``average_vjp(..., wrt='weights')`` (1-d weights along a single axis included)."""
    a = np.asarray(a)
    w = weights_along(a, weights, axis)
    w_dot = weights_along(a, np.broadcast_to(weights_dot, np.shape(weights)), axis)
    deviation = a - expand_reduced(ans, axis, keepdims)
    total = np.sum(w, axis=axis, keepdims=keepdims)
    return np.sum(w_dot * deviation, axis=axis, keepdims=keepdims) / total
