"""Helpers that the derivatives of helpers call. A derivative of a derivative differentiates
generated code, which calls the helpers of this package; their rules need a few more: the
slope of ``dpow_dx`` (``scaled_power``), the transposes of the helpers that move elements
(``assigned_only``, ``sort_like``, ``cut_from_full``, ``unspread``), and the second
derivatives of products, cumulative products, norms and weighted averages, each exact where
the helper it differentiates is (zeros in a product need no division)."""

import math

import numpy as np

from .arithmetic import cast_like, spread_like
from .reductions import (
    _axes,
    expand_reduced,
    norm_axes,
    norm_vjp,
    svd_weights,
    weights_along,
)

__all__ = [
    "scaled_power", "assigned_only", "sort_like", "cut_from_full", "unspread",
    "product_of_others_jvp", "product_of_others_hvp", "cumprod_tangent", "cumprod_jvp2",
    "cumprod_hvp", "norm_tangent",
    "norm_hvp", "average_vjp_jvp", "average_vjp_vjp",
]


def _python_numbers(*values):
    return all(isinstance(v, (int, float, complex)) and not isinstance(v, bool)
               for v in values)


def scaled_power(c, x, k):
    """``c * x ** k``, and 0 where ``c`` is 0, even where ``x ** k`` is inf (x = 0, k < 0):
    the derivatives of ``dpow_dx(x, y)`` (``y * x ** (y - 1)``, 0 where y is 0) keep its
    special case, as ``scaled_power(y * (y - 1), x, y - 2)``, its slope in x, does. Where x
    is 0 and k negative the power is inf, as NumPy's is (Python's raises)."""
    if _python_numbers(c, x, k):
        if c == 0:
            return 0j if isinstance(c, complex) or isinstance(x, complex) else 0.0
        try:
            return c * x ** k
        except ZeroDivisionError:
            return c * math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.multiply(c, np.power(x, k))
    return np.where(np.equal(c, 0), 0.0, value)[()]


def assigned_only(h, v, index):
    """Zeros shaped like ``v`` with ``h`` written at ``index`` as ``y[index] = h`` writes it
    (where the index names a position more than once, the value written last stays): the
    adjoint of :func:`srcdiff.runtime.last_assigned`."""
    out = np.zeros(np.shape(v), dtype=np.result_type(h, v))
    out[index] = h
    return out


def sort_like(h, a, axis=-1):
    """``h`` in the order that sorts ``a`` along ``axis`` (stably; flattened for None), the
    adjoint of :func:`srcdiff.runtime.unsort`."""
    h = np.asarray(h)
    if axis is None:
        return np.ravel(h)[np.argsort(np.ravel(a), kind="stable")]
    return np.take_along_axis(h, np.argsort(a, axis=axis, kind="stable"), axis=axis)


def cut_from_full(h, a, v, mode):
    """The part of a ``"full"`` convolution's output that a ``"same"`` or ``"valid"`` one
    keeps: the adjoint of :func:`srcdiff.runtime.pad_to_full`."""
    h = np.asarray(h)
    if mode == "full":
        return h
    m, n = np.size(a), np.size(v)
    start = (min(m, n) - 1) // 2 if mode == "same" else min(m, n) - 1
    length = max(m, n) if mode == "same" else max(m, n) - min(m, n) + 1
    return h[start:start + length]


def unspread(items, g):
    """The sum of ``items`` (of its rows, for an array), broadcast to ``g``'s shape: the
    adjoint of :func:`srcdiff.runtime.spread`, which copies ``g`` to every item, summed back
    to the item's shape."""
    if isinstance(items, np.ndarray):
        return spread_like(np.sum(items, axis=0), g)
    total = g * 0
    for item in items:
        total = total + item
    return total


def _grouped(a, axis):
    """``a`` with the axes of ``axis`` moved last and flattened into one, and the function
    that puts a result of that layout back."""
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, ends)
    kept = a.ndim - len(axes)
    flat = moved.reshape(moved.shape[:kept] + (math.prod(moved.shape[kept:]),))

    def back(result):
        return np.moveaxis(np.reshape(result, moved.shape), ends, axes)
    return flat, back


def _scans(flat, directions):
    """Along the last axis, the products of the elements before each position and after it
    (exclusive), each with its derivatives along ``directions`` (one or two arrays), as
    dual numbers carried through the scan: no division, so zeros are exact. Each result is a
    dict from a tuple of direction indices (``()`` the product itself, ``(0,)`` its slope
    along the first direction, ``(0, 1)`` the mixed second derivative) to an array."""
    n = flat.shape[-1]
    keys = [()] + [(k,) for k in range(len(directions))] + (
        [(0, 1)] if len(directions) == 2 else [])
    dtype = np.result_type(flat, *directions)

    def scan(order):
        out = {key: np.zeros(flat.shape, dtype) for key in keys}
        running = {key: np.zeros(flat.shape[:-1], dtype) for key in keys}
        running[()] = np.ones(flat.shape[:-1], dtype)
        for j in order:
            for key in keys:
                out[key][..., j] = running[key]
            a = flat[..., j]
            moved = {key: running[key] * a for key in keys}
            for k, direction in enumerate(directions):
                moved[(k,)] = moved[(k,)] + running[()] * direction[..., j]
            if (0, 1) in moved:
                moved[(0, 1)] = (moved[(0, 1)] + running[(0,)] * directions[1][..., j]
                                 + running[(1,)] * directions[0][..., j])
            running = moved
        return out
    return scan(range(n)), scan(range(n - 1, -1, -1))


def product_of_others_jvp(a, t, axis=None):
    """The derivative of ``product_of_others(a, axis)`` in the direction ``t``: for each
    element, the sum over the other elements k of ``t[k]`` times the product of the rest,
    from the products before and after each position and their slopes (no division, so
    exact where elements are zero). Its Jacobian is symmetric, so this is its adjoint too."""
    a = np.asarray(a)
    flat, back = _grouped(a, axis)
    tangent, _ = _grouped(np.broadcast_to(t, a.shape), axis)
    before, after = _scans(flat, [tangent])
    return back(before[(0,)] * after[()] + before[()] * after[(0,)])


def product_of_others_hvp(a, t, s, axis=None):
    """The second derivative of ``product_of_others(a, axis)`` in the directions ``t`` and
    ``s`` (symmetric in them and in the adjoint), without division."""
    a = np.asarray(a)
    flat, back = _grouped(a, axis)
    tangent, _ = _grouped(np.broadcast_to(t, a.shape), axis)
    other, _ = _grouped(np.broadcast_to(s, a.shape), axis)
    before, after = _scans(flat, [tangent, other])
    return back(before[(0, 1)] * after[()] + before[(0,)] * after[(1,)]
                + before[(1,)] * after[(0,)] + before[()] * after[(0, 1)])


def _along_last(axis, *arrays):
    """The arrays with ``axis`` moved last (all of them flattened for None)."""
    if axis is None:
        return [np.ravel(x) for x in arrays], -1
    return [np.moveaxis(x, axis, -1) for x in arrays], axis


def cumprod_tangent(a, t, axis=None, include_initial=False):
    """The derivative of ``np.cumprod(a, axis)`` (``np.cumulative_prod`` with
    ``include_initial``) in the direction ``t``, exact where elements are zero: the product
    and its slope are carried along the axis together."""
    a = np.asarray(a)
    (a_m, t_m), where = _along_last(axis, a, np.broadcast_to(t, a.shape))
    dtype = np.result_type(a, t_m)
    out = np.zeros(a_m.shape, dtype=dtype)
    value = np.ones(a_m.shape[:-1], dtype=dtype)
    slope = np.zeros(a_m.shape[:-1], dtype=dtype)
    for j in range(a_m.shape[-1]):
        slope = slope * a_m[..., j] + value * t_m[..., j]
        value = value * a_m[..., j]
        out[..., j] = slope
    if include_initial:
        out = np.concatenate([np.zeros_like(out[..., :1]), out], axis=-1)
    return np.moveaxis(out, -1, where)


def cumprod_jvp2(a, t, s, axis=None, include_initial=False):
    """The second derivative of ``np.cumprod(a, axis)`` in the directions ``t`` and ``s``
    (``cumprod_tangent``'s derivative in ``a`` along ``s``), exact where elements are zero."""
    a = np.asarray(a)
    (a_m, t_m, s_m), where = _along_last(axis, a, np.broadcast_to(t, a.shape),
                                         np.broadcast_to(s, a.shape))
    dtype = np.result_type(a, t_m, s_m)
    out = np.zeros(a_m.shape, dtype=dtype)
    value = np.ones(a_m.shape[:-1], dtype=dtype)
    along_t = np.zeros(a_m.shape[:-1], dtype=dtype)
    along_s = np.zeros(a_m.shape[:-1], dtype=dtype)
    both = np.zeros(a_m.shape[:-1], dtype=dtype)
    for j in range(a_m.shape[-1]):
        both = both * a_m[..., j] + along_t * s_m[..., j] + along_s * t_m[..., j]
        along_t = along_t * a_m[..., j] + value * t_m[..., j]
        along_s = along_s * a_m[..., j] + value * s_m[..., j]
        value = value * a_m[..., j]
        out[..., j] = both
    if include_initial:
        out = np.concatenate([np.zeros_like(out[..., :1]), out], axis=-1)
    return np.moveaxis(out, -1, where)


def cumprod_hvp(v, a, t, axis=None, include_initial=False):
    """The derivative of ``cumprod_vjp(v, np.cumprod(a, axis), a, axis)`` in ``a`` along
    ``t``: the Hessian of ``sum(v * np.cumprod(a, axis))`` times ``t`` (symmetric, so also
    its adjoint), exact where elements are zero."""
    a = np.asarray(a)
    shape = a.shape
    v = np.asarray(v)
    if axis is None:
        v = np.ravel(v)
    if include_initial:
        v = np.take(v, np.arange(1, v.shape[-1 if axis is None else axis]),
                    axis=-1 if axis is None else axis)
    (a_m, t_m, v_m), where = _along_last(axis, a, np.broadcast_to(t, shape),
                                         np.broadcast_to(v, shape if axis is not None
                                                         else (a.size,)))
    n = a_m.shape[-1]
    dtype = np.result_type(a, t_m, v_m)
    before, before_dot = np.zeros(a_m.shape, dtype), np.zeros(a_m.shape, dtype)
    value = np.ones(a_m.shape[:-1], dtype)
    slope = np.zeros(a_m.shape[:-1], dtype)
    for j in range(n):
        before[..., j], before_dot[..., j] = value, slope
        slope = slope * a_m[..., j] + value * t_m[..., j]
        value = value * a_m[..., j]
    suffix, suffix_dot = np.zeros(a_m.shape, dtype), np.zeros(a_m.shape, dtype)
    running = np.zeros(a_m.shape[:-1], dtype)
    running_dot = np.zeros(a_m.shape[:-1], dtype)
    for j in range(n - 1, -1, -1):
        if j + 1 < n:
            running_dot = t_m[..., j + 1] * running + a_m[..., j + 1] * running_dot
            running = v_m[..., j] + a_m[..., j + 1] * running
        else:
            running = v_m[..., j] + running
        suffix[..., j], suffix_dot[..., j] = running, running_dot
    result = np.moveaxis(before_dot * suffix + before * suffix_dot, -1, where)
    return cast_like(np.reshape(result, shape), a)


def norm_tangent(x, t, ans, ord=None, axis=None, keepdims=False, vector=False):
    """The derivative of ``np.linalg.norm(x, ord, axis, keepdims)`` (``ans``) in the direction
    ``t``: the gradient :func:`srcdiff.runtime.norm_vjp` gives (ties split, the subgradient 0
    at x = 0), summed against ``t`` over the reduced axes."""
    x = np.asarray(x)
    axes, _ = norm_axes(x, ord, axis, vector)
    slope = norm_vjp(np.ones_like(ans), ans, x, ord, axis, keepdims, vector)
    return np.sum(slope * t, axis=axes, keepdims=keepdims)


def norm_hvp(g, ans, x, t, ord=None, axis=None, keepdims=False, vector=False):
    """The derivative of ``norm_vjp(g, ans, x, ...)`` in ``x`` along ``t`` (``ans`` being the
    norm of ``x``): the Hessian of ``sum(g * norm(x))`` times ``t``, symmetric, so also its
    adjoint. Orders whose gradient is piecewise constant (1, inf, 0, the matrix 1 and inf
    norms) have none; the 2-norm's at x = 0 is taken as 0; the spectral and nuclear norms
    assume distinct singular values."""
    x = np.asarray(x)
    axes, matrix = norm_axes(x, ord, axis, vector)
    if not keepdims:
        g = np.expand_dims(g, axes) if np.ndim(g) else g
        ans = np.expand_dims(ans, axes) if np.ndim(ans) else ans
    t = np.broadcast_to(t, x.shape)
    if matrix and ord not in (None, "fro"):
        result = _matrix_norm_hvp(g, x, t, ord, axes)
    elif ord in (None, 2, "fro"):
        unit_x = np.divide(x, ans, out=np.zeros(np.broadcast_shapes(x.shape, np.shape(ans)),
                                                 dtype=np.result_type(x, ans)),
                           where=np.asarray(ans) != 0)
        along = np.sum(unit_x * t, axis=axes, keepdims=True)
        inverse = np.divide(g, ans, out=np.zeros(np.broadcast_shapes(np.shape(g),
                                                                      np.shape(ans)),
                                                  dtype=np.result_type(g, ans)),
                            where=np.asarray(ans) != 0)
        result = inverse * (t - unit_x * along)
    elif ord in (0, 1, np.inf, -np.inf):
        result = np.zeros(x.shape, dtype=np.result_type(x, t, g))
    else:
        scaled = np.abs(x) / ans
        slope = np.sign(x) * scaled ** (ord - 1)
        along = np.sum(slope * t, axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            curvature = scaled ** (ord - 2)
        result = g * (ord - 1) / ans * (curvature * t - slope * along)
    return cast_like(result, x)


def _matrix_norm_hvp(g, x, t, ord, axes):
    if ord in (1, -1, np.inf, -np.inf):
        return np.zeros(x.shape, dtype=np.result_type(x, t, g))
    rows, cols = axes
    y = np.moveaxis(x, (rows, cols), (-2, -1))
    direction = np.moveaxis(t, (rows, cols), (-2, -1))
    _, s, _ = np.linalg.svd(y, full_matrices=False)
    weights = svd_weights(s, ord)
    gm = np.moveaxis(np.broadcast_to(g, np.broadcast_shapes(np.shape(g), x.shape)),
                     (rows, cols), (-2, -1))[..., 0, 0]
    from_svd = _svd_slope(weights * gm[..., None], y, direction)
    return np.moveaxis(from_svd, (-2, -1), (rows, cols))


def _svd_slope(w, x, t):
    """The derivative of ``U diag(w) V^T`` (``x = U diag(s) V^T``, thin) along ``t``, the
    weights ``w`` held: distinct nonzero singular values assumed (a pair of equal ones, where
    the derivative does not exist, gets no term)."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    v = np.swapaxes(vt, -1, -2)
    ut = np.swapaxes(u, -1, -2)
    c = ut @ t @ v
    ct = np.swapaxes(c, -1, -2)
    si, sj = s[..., :, None], s[..., None, :]
    wi, wj = w[..., :, None], w[..., None, :]
    gap = sj * sj - si * si
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed = (c * (sj * wj - si * wi) + ct * (si * wj - sj * wi)) / gap
    n = s.shape[-1]
    mixed = np.where(np.eye(n, dtype=bool) | (gap == 0), 0.0, mixed)
    result = u @ mixed @ vt
    m, k = x.shape[-2], x.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = w / s
    if m > n:
        rest = t - u @ (ut @ t)
        result = result + rest @ (v * scaled[..., None, :]) @ vt
    if k > n:
        rest = np.swapaxes(t, -1, -2) - v @ (vt @ np.swapaxes(t, -1, -2))
        result = result + u @ (np.swapaxes(rest @ (u * scaled[..., None, :]), -1, -2))
    return result


def _average_parts(a, weights, axis, keepdims):
    """The weights broadcast against ``a`` (1-d weights lie along ``axis``), their total
    along ``axis`` (kept), and the map that sums a contribution of ``a``'s shape back to
    the weights' shape."""
    a = np.asarray(a)
    w = np.asarray(weights)
    full = weights_along(a, w, axis)
    total = np.sum(full, axis=axis, keepdims=True)

    def to_weights(x):
        x = np.broadcast_to(x, a.shape)
        if w.shape != a.shape:
            x = np.sum(x, axis=tuple(i for i in range(a.ndim) if i != axis % a.ndim))
        return np.reshape(x, w.shape)

    def reduced(x):
        return np.sum(x, axis=axis, keepdims=keepdims)
    return a, w, full, total, to_weights, reduced


def average_vjp_jvp(g, ans, a, weights, axis=None, keepdims=False, wrt="a", d_ans=0.0, d_a=0.0,
                    d_weights=0.0):
    """The derivative of ``average_vjp(g, ans, a, weights, axis, keepdims, wrt)`` along the
    tangents given for ``ans``, ``a`` and ``weights`` (it is linear in ``g``)."""
    a, w, full, total, to_weights, _ = _average_parts(a, weights, axis, keepdims)
    spread = expand_reduced(g, axis, keepdims)
    mean = expand_reduced(ans, axis, keepdims)
    dw = np.zeros_like(full) + _as_full(d_weights, w, full)
    d_total = np.sum(dw, axis=axis, keepdims=True)
    if wrt == "a":
        result = spread * (dw - full * d_total / total) / total * np.ones_like(a)
        return cast_like(result, a)
    d_mean = expand_reduced(d_ans, axis, keepdims)
    result = spread * ((d_a - d_mean) - (a - mean) * d_total / total) / total
    return cast_like(to_weights(result), w)


def _as_full(tangent, w, full):
    tangent = np.asarray(tangent)
    return tangent.reshape(full.shape) if tangent.shape == w.shape else tangent


def average_vjp_vjp(h, g, ans, a, weights, axis=None, keepdims=False, wrt="a", of="g"):
    """The adjoint of ``average_vjp(g, ans, a, weights, axis, keepdims, wrt)`` with respect to
    the argument named ``of`` ("g", "ans", "a" or "weights"), for the adjoint ``h`` of its
    result."""
    a, w, full, total, to_weights, reduced = _average_parts(a, weights, axis, keepdims)
    spread = expand_reduced(g, axis, keepdims)
    mean = expand_reduced(ans, axis, keepdims)
    if wrt == "a":
        h = np.broadcast_to(h, a.shape)
        if of == "g":
            return cast_like(reduced(h * full / total), g)
        if of == "weights":
            part = h * spread / total - np.sum(h * spread * full, axis=axis,
                                               keepdims=True) / total ** 2
            return cast_like(to_weights(part), w)
        return cast_like(np.zeros(np.shape(a if of == "a" else ans)), a)
    hf = np.broadcast_to(_as_full(h, w, full), a.shape)
    if of == "g":
        return cast_like(reduced(hf * (a - mean) / total), g)
    if of == "ans":
        return cast_like(-reduced(hf * spread / total), ans)
    if of == "a":
        return cast_like(hf * spread / total * np.ones_like(a), a)
    part = -np.sum(hf * spread * (a - mean), axis=axis, keepdims=True) / total ** 2
    return cast_like(to_weights(part * np.ones_like(a)), w)

