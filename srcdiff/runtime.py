"""Helpers that generated code calls, imported by generated code under the stable name
``srcdiff.runtime``. They appear where plain NumPy would be long-winded (splitting an
adjoint into the pieces of a concatenation, the structure of a list's adjoint) or where
operands' shapes are not known when the derivative is compiled; code specialized on known
shapes uses plain NumPy."""

import numpy as np

__all__ = [
    "split_like", "unstack_like", "split_hstack", "split_vstack", "unarray", "spread",
    "zeros_like_tree", "one_hot", "add_tree",
    "unbroadcast", "matmul_lhs_vjp", "matmul_rhs_vjp", "dot_lhs_vjp", "dot_rhs_vjp",
    "check_scalar", "expand_reduced", "unit", "tie_weights", "product_of_others", "median_weights",
    "reverse_cumsum",
    "cumprod_vjp", "norm_vjp", "untile", "unrepeat", "unpad", "untake", "untake_along_axis",
    "unsort", "undiagonal", "untrace", "diff_vjp", "pad_to_full", "tensordot_lhs_vjp",
    "tensordot_rhs_vjp", "inner_lhs_vjp", "inner_rhs_vjp", "einsum_vjp", "solve_lhs_vjp",
    "solve_rhs_vjp", "cholesky_vjp", "eigvalsh_vjp", "svdvals_vjp", "matrix_power_vjp",
    "kron_vjp", "cast_like", "average_vjp", "polyval_coefficients_vjp", "polyval_derivative",
    "linspace_vjp", "last_assigned", "require_assigned",
]


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


def matmul_lhs_vjp(g, a, b):
    """Adjoint of ``a`` in ``a @ b`` for any ranks (NumPy's matmul rules, batches included)."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if b.ndim == 1:
        result = np.multiply.outer(g, b) if a.ndim > 1 else g * b
    elif a.ndim == 1:
        result = (b @ g[..., None])[..., 0]
    else:
        result = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(result, a)


def matmul_rhs_vjp(g, a, b):
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 1:
        result = a[:, None] * g[..., None, :] if b.ndim > 1 else g * a
    elif b.ndim == 1:
        result = np.swapaxes(a, -1, -2) @ g[..., None]
        result = result[..., 0]
    else:
        result = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(result, b)


def dot_lhs_vjp(g, a, b):
    """Adjoint of ``a`` in ``np.dot(a, b)``: scalars, vectors, matrices, and N-d arrays
    (a sum over the last axis of ``a`` and the second-to-last of ``b``)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return tensordot_lhs_vjp(g, a, b, _dot_axes(b))
    return matmul_lhs_vjp(g, a, b)


def dot_rhs_vjp(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        return tensordot_rhs_vjp(g, a, b, _dot_axes(b))
    return matmul_rhs_vjp(g, a, b)


def _dot_axes(b):
    return ((-1,), (-2 if np.ndim(b) > 1 else -1,))


def check_scalar(value, name):
    """Refuse a non-scalar result when its shape was not known at compile time."""
    if np.ndim(value) != 0:
        raise TypeError(f"srcdiff: {name} returned a value of shape {np.shape(value)}; "
                        "gradient needs a scalar result")
    return value


def cast_like(value, x):
    """``value`` in the dtype of ``x`` (a float for a Python float): an adjoint keeps its
    operand's precision even where a primitive computed in another one."""
    dtype = np.result_type(x)
    if isinstance(x, (float, int)) and not isinstance(x, bool) and np.ndim(value) == 0:
        return float(value)
    if dtype.kind not in "fc":
        return value
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype == dtype:
        return value
    return np.asarray(value, dtype=dtype)[()] if np.ndim(value) == 0 else np.asarray(
        value, dtype=dtype)


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(int(a) % ndim for a in axes))


# reductions


def expand_reduced(g, axis=None, keepdims=False):
    """The adjoint of a reduction with the reduced axes put back as length 1, so that it
    broadcasts against the reduced operand (a scalar already does)."""
    if keepdims or axis is None or np.ndim(g) == 0:
        return g
    return np.expand_dims(g, axis)


def unit(x, norm):
    """``x / norm``, and 0 where the norm is 0 (the 2-norm's subgradient there)."""
    x = np.asarray(x)
    return np.divide(x, norm, out=np.zeros(np.broadcast_shapes(x.shape, np.shape(norm)),
                                           dtype=np.result_type(x, norm)), where=norm != 0)


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
    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
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
    work = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    n = work.shape[-1]
    middle = np.zeros(n, dtype=a.dtype if a.dtype.kind in "fc" else np.dtype(float))
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


def norm_vjp(g, ans, x, ord=None, axis=None, keepdims=False, vector=False):
    """The adjoint of ``np.linalg.norm(x, ord, axis, keepdims)`` for every vector and matrix
    order NumPy accepts (``vector=True``: ``np.linalg.vector_norm``, which flattens). Ties (in
    the max and min orders, and at equal singular values) are split equally; at x = 0 the
    2-norm's subgradient 0 is used."""
    x = np.asarray(x)
    if vector:
        axes = tuple(range(x.ndim)) if axis is None else tuple(
            a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
        matrix = False
    elif axis is None:
        if ord is None or x.ndim == 1:
            axes = tuple(range(x.ndim))
            matrix = False
        else:
            axes, matrix = (0, 1), True
    else:
        axes = axis if isinstance(axis, tuple) else (axis,)
        matrix = len(axes) == 2
        axes = tuple(a % x.ndim for a in axes)
    if not keepdims:
        g = np.expand_dims(g, axes) if np.ndim(g) else g
        ans = np.expand_dims(ans, axes) if np.ndim(ans) else ans
    if matrix:
        result = _matrix_norm_vjp(g, ans, x, ord, axes)
    else:
        result = _vector_norm_vjp(g, ans, x, ord, axes)
    return cast_like(result, x)


def _vector_norm_vjp(g, ans, x, ord, axes):
    if ord is None or ord == 2:
        return g * unit(x, ans)
    if ord == 0:
        return np.zeros_like(x)
    if ord == 1:
        return g * np.sign(x)
    if ord in (np.inf, -np.inf):
        return g * np.sign(x) * tie_weights(np.abs(x), ans, axes)
    return g * np.sign(x) * (np.abs(x) / ans) ** (ord - 1)


def _matrix_norm_vjp(g, ans, x, ord, axes):
    if ord in (None, "fro"):
        return g * unit(x, ans)
    rows, cols = axes
    if ord in (1, -1, np.inf, -np.inf):
        summed = cols if ord in (np.inf, -np.inf) else rows
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        return g * np.sign(x) * tie_weights(sums, ans, axes)
    y = np.moveaxis(x, (rows, cols), (-2, -1))
    u, s, vt = np.linalg.svd(y, full_matrices=False)
    if ord == "nuc":
        grad = u @ vt
    else:
        pick = s == (s[..., :1] if ord == 2 else s[..., -1:])
        weights = pick / np.sum(pick, axis=-1, keepdims=True)
        grad = (u * weights[..., None, :]) @ vt
    gm = np.moveaxis(np.broadcast_to(g, np.broadcast_shapes(np.shape(g), x.shape)),
                     (rows, cols), (-2, -1))
    return np.moveaxis(gm * grad, (-2, -1), (rows, cols))


def average_vjp(g, ans, a, weights, axis=None, keepdims=False, wrt="a"):
    """The adjoint of ``np.average(a, axis, weights)`` with respect to ``a`` or ``weights``
    (1-d weights along a single axis broadcast as NumPy does)."""
    a = np.asarray(a)
    w = np.asarray(weights)
    w_full = w
    if w.shape != a.shape:
        shape = [1] * a.ndim
        shape[axis % a.ndim] = w.size
        w_full = w.reshape(shape)
    g = expand_reduced(g, axis, keepdims)
    ans = expand_reduced(ans, axis, keepdims)
    total = np.sum(w_full, axis=axis, keepdims=True)
    if wrt == "a":
        return cast_like(g * w_full / total * np.ones_like(a), a)
    result = g * (a - ans) / total
    if w.shape != a.shape:
        result = np.sum(result, axis=tuple(i for i in range(a.ndim) if i != axis % a.ndim))
    return cast_like(np.reshape(result * np.ones_like(w_full), w.shape), w)


# shapes


def untile(g, a, reps):
    """The adjoint of ``np.tile(a, reps)``: the sum of ``g``'s tiles."""
    shape = np.shape(a)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    ndim = max(len(shape), len(reps))
    full = (1,) * (ndim - len(shape)) + tuple(shape)
    reps = (1,) * (ndim - len(reps)) + reps
    split = np.reshape(g, [n for pair in zip(reps, full) for n in pair])
    return np.reshape(np.sum(split, axis=tuple(range(0, 2 * ndim, 2))), shape)


def unrepeat(g, a, repeats, axis=None):
    """The adjoint of ``np.repeat(a, repeats, axis)``: each element's copies summed."""
    shape = np.shape(a)
    g = np.asarray(g)
    if axis is None:
        g, axis, n = g.ravel(), 0, int(np.prod(shape))
    else:
        axis = axis % len(shape)
        n = shape[axis]
    g = np.moveaxis(g, axis, 0)
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        r = int(np.ravel(repeats)[0])
        summed = np.sum(g.reshape((n, r) + g.shape[1:]), axis=1)
    else:
        ends = np.cumsum(repeats)
        running = np.concatenate([np.zeros_like(g[:1]), np.cumsum(g, axis=0)])
        summed = running[ends] - running[ends - np.asarray(repeats)]
    if len(shape) == 0 or axis is None:
        return np.reshape(summed, shape)
    return np.reshape(np.moveaxis(summed, 0, axis), shape)


def unpad(g, pad_width):
    """The adjoint of ``np.pad(x, pad_width)`` (constant mode): the unpadded middle."""
    g = np.asarray(g)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (g.ndim, 2))
    return g[tuple(slice(before, n - after) for (before, after), n in zip(widths, g.shape))]


def untake(g, a, indices, axis=None):
    """The adjoint of ``np.take(a, indices, axis)``: ``g`` added back at the indices, so
    repeated indices accumulate."""
    shape = np.shape(a)
    out = np.zeros(shape, dtype=np.result_type(g, a))
    indices = np.asarray(indices)
    if axis is None:
        flat = out.reshape(-1)
        np.add.at(flat, indices, g)
        return flat.reshape(shape)
    axis = axis % len(shape)
    np.add.at(out, (slice(None),) * axis + (indices,), g)
    return out


def untake_along_axis(g, arr, indices, axis=-1):
    """The adjoint of ``np.take_along_axis(arr, indices, axis)``, accumulating repeats."""
    shape = np.shape(arr)
    out = np.zeros(shape, dtype=np.result_type(g, arr))
    indices = np.asarray(indices)
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return out
    axis = axis % len(shape)
    index = []
    for d, n in enumerate(shape):
        if d == axis:
            index.append(indices)
        else:
            dims = [1] * len(shape)
            dims[d] = n
            index.append(np.arange(n).reshape(dims))
    np.add.at(out, tuple(index), np.broadcast_to(g, np.broadcast_shapes(*[np.shape(i)
                                                                           for i in index])))
    return out


def unsort(g, a, axis=-1):
    """The adjoint of ``np.sort(a, axis)``: ``g`` put back where each element came from."""
    a = np.asarray(a)
    if axis is None:
        order = np.argsort(a.ravel(), kind="stable")
        out = np.empty_like(np.asarray(g))
        out[order] = g
        return out.reshape(a.shape)
    order = np.argsort(a, axis=axis, kind="stable")
    out = np.empty(np.shape(g), dtype=np.result_type(g))
    np.put_along_axis(out, order, g, axis=axis)
    return out


def undiagonal(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``np.diagonal(a, offset, axis1, axis2)``: ``g`` on that diagonal of an
    array of zeros shaped like ``a``."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, a))
    moved = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n = np.diagonal(moved, offset, -2, -1).shape[-1]
    i = np.arange(n)
    moved[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def untrace(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of ``np.trace(a, offset, axis1, axis2)``: ``g`` along the diagonal."""
    return undiagonal(np.expand_dims(g, -1), a, offset, axis1, axis2)


def diff_vjp(g, n=1, axis=-1):
    """The adjoint of ``np.diff(a, n, axis)``: minus the difference of ``g`` padded by one zero
    at each end, ``n`` times."""
    for _ in range(n):
        g = np.asarray(g)
        zero = np.zeros_like(np.take(g, [0], axis=axis))
        g = -np.diff(np.concatenate([zero, g, zero], axis=axis), axis=axis)
    return g


def pad_to_full(g, a, v, mode):
    """The adjoint of a ``"same"`` or ``"valid"`` convolution's output, placed in the
    ``"full"`` output it was cut from."""
    g = np.asarray(g)
    m, n = np.size(a), np.size(v)
    if mode == "full":
        return g
    start = (min(m, n) - 1) // 2 if mode == "same" else min(m, n) - 1
    full = np.zeros(m + n - 1, dtype=g.dtype)
    full[start:start + g.size] = g
    return full


# linear algebra


def _tensordot_axes(axes, a_ndim, b_ndim):
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(a_ndim - n, a_ndim)), list(range(n))
    a_axes, b_axes = axes
    a_axes = [a_axes] if np.ndim(a_axes) == 0 else list(a_axes)
    b_axes = [b_axes] if np.ndim(b_axes) == 0 else list(b_axes)
    return [x % a_ndim for x in a_axes], [x % b_ndim for x in b_axes]


def tensordot_lhs_vjp(g, a, b, axes=2):
    """The adjoint of ``a`` in ``np.tensordot(a, b, axes)``."""
    a, b = np.asarray(a), np.asarray(b)
    a_axes, b_axes = _tensordot_axes(axes, a.ndim, b.ndim)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    g_b = list(range(len(a_free), len(a_free) + len(b_free)))
    result = np.tensordot(g, b, axes=(g_b, b_free))
    order = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
    return cast_like(np.transpose(result, np.argsort(order)), a)


def tensordot_rhs_vjp(g, a, b, axes=2):
    """The adjoint of ``b`` in ``np.tensordot(a, b, axes)``."""
    a, b = np.asarray(a), np.asarray(b)
    a_axes, b_axes = _tensordot_axes(axes, a.ndim, b.ndim)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    result = np.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
    return cast_like(np.transpose(result, np.argsort(order)), b)


def inner_lhs_vjp(g, a, b):
    """The adjoint of ``a`` in ``np.inner(a, b)`` (a sum over both last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    return tensordot_lhs_vjp(g, a, b, ((-1,), (-1,)))


def inner_rhs_vjp(g, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    return tensordot_rhs_vjp(g, a, b, ((-1,), (-1,)))


def kron_vjp(g, a, b, wrt="a"):
    """The adjoint of ``a`` (or ``b``) in ``np.kron(a, b)``."""
    a, b = np.asarray(a), np.asarray(b)
    ndim = max(a.ndim, b.ndim)
    sa = (1,) * (ndim - a.ndim) + a.shape
    sb = (1,) * (ndim - b.ndim) + b.shape
    blocks = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    outer, inner = range(0, 2 * ndim, 2), range(1, 2 * ndim, 2)
    if wrt == "a":
        result = np.tensordot(blocks, b.reshape(sb), axes=(list(inner), list(range(ndim))))
        return cast_like(result.reshape(a.shape), a)
    result = np.tensordot(blocks, a.reshape(sa), axes=(list(outer), list(range(ndim))))
    return cast_like(result.reshape(b.shape), b)


def einsum_labels(subscripts, ndims):
    """Input and output labels with any ellipsis spelled out in capital letters."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    ellipsis_dims = max((n - len(t.replace("...", "")) for t, n in zip(terms, ndims)
                         if "..." in t), default=0)
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in text][:ellipsis_dims]
    expanded = []
    for term, n in zip(terms, ndims):
        if "..." in term:
            k = n - len(term.replace("...", ""))
            term = term.replace("...", "".join(spare[ellipsis_dims - k:]))
        expanded.append(term)
    if arrow:
        output = output.replace("...", "".join(spare))
    else:
        counts = {c: "".join(expanded).count(c) for c in "".join(expanded)}
        output = "".join(spare) + "".join(sorted(c for c, k in counts.items()
                                                 if k == 1 and c not in spare))
    return expanded, output


def einsum_vjp(g, subscripts, operands, index):
    """The adjoint of ``operands[index]`` in ``np.einsum(subscripts, *operands)``: for any
    subscripts, with ellipses, repeated labels (diagonals) and broadcasting."""
    operands = [np.asarray(x) for x in operands]
    terms, output = einsum_labels(subscripts, [x.ndim for x in operands])
    target = operands[index]
    term = terms[index]
    others = [t for i, t in enumerate(terms) if i != index]
    arrays = [x for i, x in enumerate(operands) if i != index]
    unique = "".join(dict.fromkeys(term))
    available = set(output).union(*others) if others else set(output)
    inputs = [output] + others
    values = [g] + arrays
    if not set(unique) <= available:
        inputs.append(term)
        values.append(np.ones_like(target))
    sizes = {}
    for t, x in zip(inputs[1:], values[1:]):
        for c, n in zip(t, np.shape(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    result = np.einsum(",".join(inputs) + "->" + unique, *values)
    if unique != term:
        out = np.zeros(target.shape, dtype=result.dtype)
        np.einsum(term + "->" + unique, out)[...] = result
        result = out
    return cast_like(unbroadcast(result, target), target)


def solve_rhs_vjp(g, a, b):
    """The adjoint of ``b`` in ``np.linalg.solve(a, b)`` (stacks and broadcasting included)."""
    a = np.asarray(a)
    at = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        result = np.linalg.solve(at, np.asarray(g)[..., None])[..., 0]
    else:
        result = np.linalg.solve(at, g)
    return unbroadcast(result, b)


def solve_lhs_vjp(g, ans, a, b):
    """The adjoint of ``a`` in ``x = np.linalg.solve(a, b)``: ``-solve(a.T, g) @ x.T``."""
    a = np.asarray(a)
    at = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        b_bar = np.linalg.solve(at, np.asarray(g)[..., None])
        result = -b_bar * np.asarray(ans)[..., None, :]
    else:
        result = -np.linalg.solve(at, g) @ np.swapaxes(ans, -1, -2)
    return unbroadcast(result, a)


def _lower_part(sym):
    """NumPy's symmetric routines read only the lower triangle: the adjoint of a symmetric
    matrix's entries, moved onto the lower triangle that was read."""
    n = sym.shape[-1]
    return np.tril(2.0 * sym) - sym * np.eye(n, dtype=sym.dtype)


def cholesky_vjp(g, L):
    """The adjoint of ``np.linalg.cholesky(a)`` (``L = ans``): Murray's formula
    ``L^-T Phi(L^T g) L^-1`` symmetrized, on the lower triangle that NumPy reads."""
    L = np.asarray(L)
    n = L.shape[-1]
    p = np.tril(np.swapaxes(L, -1, -2) @ g)
    p = p - 0.5 * p * np.eye(n, dtype=L.dtype)
    inv = np.linalg.inv(L)
    s = np.swapaxes(inv, -1, -2) @ p @ inv
    return cast_like(_lower_part(0.5 * (s + np.swapaxes(s, -1, -2))), L)


def eigvalsh_vjp(g, a, UPLO="L"):
    """The adjoint of ``np.linalg.eigvalsh(a, UPLO)``: ``V diag(g) V^T`` on the triangle read
    (eigenvalues assumed distinct)."""
    a = np.asarray(a)
    _, v = np.linalg.eigh(a, UPLO=UPLO)
    sym = (v * np.asarray(g)[..., None, :]) @ np.swapaxes(v, -1, -2)
    lower = _lower_part(sym)
    result = lower if UPLO == "L" else np.swapaxes(lower, -1, -2)
    return cast_like(result, a)


def svdvals_vjp(g, x):
    """The adjoint of ``np.linalg.svdvals(x)``: ``U diag(g) V^T`` (singular values assumed
    distinct and nonzero)."""
    x = np.asarray(x)
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    return cast_like((u * np.asarray(g)[..., None, :]) @ vt, x)


def matrix_power_vjp(g, a, n):
    """The adjoint of ``np.linalg.matrix_power(a, n)``."""
    a = np.asarray(a)
    if n == 0:
        return np.zeros_like(a)
    if n < 0:
        inv = np.linalg.inv(a)
        inv_bar = matrix_power_vjp(g, inv, -n)
        inv_t = np.swapaxes(inv, -1, -2)
        return cast_like(-inv_t @ inv_bar @ inv_t, a)
    at = np.swapaxes(a, -1, -2)
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ at)
    total = sum(powers[k] @ g @ powers[n - 1 - k] for k in range(n))
    return cast_like(total, a)


def polyval_derivative(p, x):
    """The derivative of the polynomial ``p`` at ``x``, in ``x``'s dtype."""
    return cast_like(np.polyval(np.polyder(p), x), x)


def polyval_coefficients_vjp(g, p, x):
    """The adjoint of the coefficients ``p`` in ``np.polyval(p, x)``."""
    p = np.asarray(p)
    powers = np.arange(p.shape[0] - 1, -1, -1)
    x = np.asarray(x)
    terms = np.power.outer(x, powers)
    return cast_like(np.tensordot(np.broadcast_to(g, x.shape), terms, axes=x.ndim), p)


def linspace_vjp(g, start, stop, num, endpoint=True, wrt="start"):
    """The adjoint of ``start`` or ``stop`` in ``np.linspace(start, stop, num, endpoint)``
    for array endpoints (the samples run along the first axis)."""
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    weights = 1.0 - t if wrt == "start" else t
    summed = np.tensordot(weights, g, axes=(0, 0))
    return cast_like(unbroadcast(summed, start if wrt == "start" else stop),
                     start if wrt == "start" else stop)



def zeros_like_tree(x):
    """Zeros with the structure of ``x`` (a number, an array, or tuples, lists and dicts of
    them): the adjoint of a container that received nothing."""
    if isinstance(x, (tuple, list)):
        return _same_kind(x, [zeros_like_tree(v) for v in x])
    if isinstance(x, dict):
        return {k: zeros_like_tree(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    return type(x)(0) if isinstance(x, (float, int, complex)) else x * 0


def _same_kind(like, items):
    """A tuple for a tuple (named tuples included), a list for a list."""
    return tuple(items) if isinstance(like, tuple) else list(items)


def one_hot(x, key, g):
    """The adjoint of ``x[key]`` as a contribution to ``x``'s: zeros but ``g`` at ``key``."""
    zeros = zeros_like_tree(x)
    if isinstance(zeros, tuple):
        zeros = list(zeros)
        zeros[key] = g
        return tuple(zeros)
    zeros[key] = g
    return zeros


def add_tree(a, b):
    """Adjoints of containers add element by element."""
    if isinstance(a, (tuple, list)):
        return _same_kind(a, [add_tree(x, y) for x, y in zip(a, b, strict=True)])
    if isinstance(a, dict):
        return {k: add_tree(a[k], b[k]) for k in a}
    return a + b


def spread(g, items):
    """The adjoint of ``sum(items)``: ``g`` for every item (every row of an array)."""
    if isinstance(items, np.ndarray):
        return np.full_like(items, g)
    return [g for _ in items] if isinstance(items, list) else tuple(g for _ in items)


def _like(pieces, items):
    return tuple(pieces) if isinstance(items, tuple) else list(pieces)


def split_like(g, arrays, axis=0):
    """The adjoint of ``np.concatenate(arrays, axis)``: ``g`` cut into the arrays' pieces."""
    sizes = [np.shape(a)[axis] for a in arrays]
    return _like(np.split(g, np.cumsum(sizes)[:-1], axis=axis), arrays)


def unstack_like(g, arrays, axis=0):
    """The adjoint of ``np.stack(arrays, axis)``: ``g``'s slices along ``axis``."""
    return _like(np.moveaxis(g, axis, 0), arrays)


def split_hstack(g, arrays):
    axis = 0 if np.ndim(arrays[0]) <= 1 else 1
    sizes = [np.shape(np.atleast_1d(a))[axis] for a in arrays]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return _like([np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)], arrays)


def split_vstack(g, arrays):
    sizes = [np.atleast_2d(a).shape[0] for a in arrays]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=0)
    return _like([np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)], arrays)


def unarray(g, items):
    """The adjoint of ``np.array(items)`` for a list or tuple of numbers or arrays."""
    if isinstance(items, (list, tuple)):
        return _like([unarray(g[i], item) for i, item in enumerate(items)], items)
    return g if np.ndim(items) else type(items)(g) if isinstance(items, float) else g


def require_assigned(assigned, name):
    """Raise what Python raises on reading the local ``name`` before any assignment bound
    it (derivative code checks the reads that may come first)."""
    if not assigned:
        raise UnboundLocalError(_UNBOUND_MESSAGE.replace("unbound_name", name))


def _unbound_message():
    """This Python's own wording of the error, which changes between versions."""
    def read_first():
        unbound_name  # noqa: B018, F821
        unbound_name = None  # noqa: F841
    try:
        read_first()
    except UnboundLocalError as error:
        return str(error)
    return "local variable 'unbound_name' referenced before assignment"


_UNBOUND_MESSAGE = _unbound_message()
