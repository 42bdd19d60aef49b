"""Helpers for the adjoints of functions that move elements: each puts ``g`` back where
the elements came from, summing where they were copied."""

import numpy as np

__all__ = [
    "untile", "unrepeat", "unpad", "untake", "untake_along_axis", "unsort", "undiagonal",
    "untrace", "eye_like", "diff_vjp", "pad_to_full",
]


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


def eye_like(a, offset=0):
    """Ones along the diagonal ``offset`` of a matrix of ``a``'s shape and dtype: the adjoint
    of ``np.trace`` of a matrix is ``g`` times it (``np.eye(*a.shape, dtype=a.dtype)``, which
    srcdiff cannot read back to differentiate again)."""
    a = np.asarray(a)
    return np.eye(a.shape[0], a.shape[1], k=offset, dtype=a.dtype)


def diff_vjp(g, a, n=1, axis=-1):
    """The adjoint of ``np.diff(a, n, axis)``: minus the difference of ``g`` padded by one zero
    at each end, ``n`` times. Where ``a`` has no more than ``n`` elements along the axis the
    difference is empty and the adjoint is zero."""
    a = np.asarray(a)
    if a.shape[axis] <= n:
        return np.zeros(a.shape, dtype=np.result_type(g, a))
    for _ in range(n):
        g = np.asarray(g)
        ends = list(g.shape)
        ends[axis] = 1
        zero = np.zeros(ends, dtype=g.dtype)
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
