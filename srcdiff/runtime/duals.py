"""Arrays of dual numbers, for the derivatives of ``np.cumprod`` of every order.

A dual number here is ``x0 + x1 e1 + x2 e2 + x12 e1 e2 + ...``: a real (or complex) part
and one part for each product of distinct generators ``e1, e2, ...`` with ``ek ** 2 = 0``,
which commute. An array of them keeps its parts along a last axis of length ``2 ** m``;
part ``k`` belongs to the generators of ``k``'s binary digits, so the first half of the
parts is the number without the last generator ``e_m`` and the second half its coefficient
(:func:`dual` joins the halves, :func:`dual_primal` and :func:`dual_tangent` take them
apart). An array of plain numbers is the case ``m = 0``: ``np.expand_dims(a, -1)``.

A computation made of sums and products alone, carried out on ``a + t e`` (``dual(a,
t)``), gives its value and, in the part of ``e``, its derivative along ``t``; with more
generators the mixed derivatives. :func:`dual_cumprod` is such a computation, and so is
:func:`dual_cumprod_vjp`, its gradient; each one's derivative is therefore the other one,
or itself, of numbers with one generator more, which is what their rules say, so
``np.cumprod`` has derivatives of every order. No part is ever divided by another: the
derivatives are exact where elements are zero.
"""

import math

import numpy as np

__all__ = ["dual", "dual_primal", "dual_tangent", "dual_cumprod", "dual_cumprod_vjp"]


def dual(x, t):
    """The dual numbers ``x + t e`` for a new generator ``e``: the parts of ``x`` and then
    those of ``t`` (broadcast against each other; ``t`` may be a number such as 0.0)."""
    x, t = np.broadcast_arrays(np.asarray(x), np.asarray(t))
    return np.concatenate([x, t], axis=-1)


def dual_primal(x):
    """The dual numbers ``x`` without their last generator (the first half of the parts)."""
    return np.asarray(x)[..., :_half(x)]


def dual_tangent(x):
    """The coefficient of the last generator of the dual numbers ``x`` (the second half of
    the parts): the derivative that :func:`dual` set up."""
    return np.asarray(x)[..., _half(x):]


def _half(x):
    parts = np.shape(x)[-1] if np.ndim(x) else 1
    if parts % 2:
        raise ValueError(f"dual numbers of {parts} parts have no last generator")
    return parts // 2


def _times(x, y):
    """The product of dual numbers with as many parts: ``(x0 + x1 e)(y0 + y1 e) = x0 y0 +
    (x0 y1 + x1 y0) e``, each product again of dual numbers with one generator fewer."""
    if x.shape[-1] == 1:
        return x * y
    half = x.shape[-1] // 2
    x0, x1, y0, y1 = x[..., :half], x[..., half:], y[..., :half], y[..., half:]
    return np.concatenate([_times(x0, y0), _times(x0, y1) + _times(x1, y0)], axis=-1)


def _one(shape, dtype):
    one = np.zeros(shape, dtype)
    one[..., 0] = 1
    return one


def _along_axis(x, axis):
    """``x`` with its axis ``axis`` (of the values, the parts left aside) moved just before
    the parts, or all its values flattened into that one for None."""
    if axis is None:
        return np.reshape(x, (-1, x.shape[-1]))
    return np.moveaxis(x, axis % (x.ndim - 1), -2)


def _put_back(result, x, axis):
    """A result laid out as :func:`_along_axis` lays ``x`` out, in ``x``'s layout."""
    if axis is None:
        return np.reshape(result, x.shape)
    return np.moveaxis(result, -2, axis % (x.ndim - 1))


def _cumulative_shape(x, axis, include_initial):
    """The shape of ``dual_cumprod(x, axis, include_initial)``."""
    if axis is None:
        return (math.prod(x.shape[:-1]) + bool(include_initial), x.shape[-1])
    shape = list(x.shape)
    shape[axis % (x.ndim - 1)] += bool(include_initial)
    return tuple(shape)


def dual_cumprod(x, axis=None, include_initial=False):
    """``np.cumprod`` of dual numbers along ``axis`` of the values (``np.cumulative_prod``
    with ``include_initial``, which starts at 1)."""
    x = np.asarray(x)
    moved = _along_axis(x, axis)
    n, parts = moved.shape[-2], moved.shape[-1]
    running = _one(moved.shape[:-2] + (parts,), moved.dtype)
    out = np.empty(moved.shape[:-2] + (n + bool(include_initial), parts), moved.dtype)
    if include_initial:
        out[..., 0, :] = running
    for j in range(n):
        running = _times(running, moved[..., j, :])
        out[..., j + bool(include_initial), :] = running
    return out if axis is None else np.moveaxis(out, -2, axis % (x.ndim - 1))


def dual_cumprod_vjp(v, x, axis=None, include_initial=False):
    """The gradient of ``sum(v * dual_cumprod(x, axis, include_initial))`` in ``x``, part
    by part. Within the algebra the gradient of the product of ``x[0..j]`` in ``x[i]`` is
    the product of the others, so ``sum_j w[j] * that = before[i] * after[i]``, with
    ``before`` the product of the elements before ``i`` and ``after[i] = w[i] + x[i + 1] *
    after[i + 1]``. A number's parts pair with the adjoint's in the reversed order (the
    coefficient of ``e1 e2`` in ``u * x`` is ``u0 x12 + u1 x2 + u2 x1 + u12 x0``), so ``w`` is
    ``v`` with its parts reversed, and so is the result."""
    x = np.asarray(x)
    moved = _along_axis(x, axis)
    n = moved.shape[-2]
    w = _along_axis(np.broadcast_to(v, _cumulative_shape(x, axis, include_initial)), axis)
    w = w[..., bool(include_initial):, ::-1]
    dtype = np.result_type(moved, w)
    before = np.empty(moved.shape, dtype)
    running = _one(moved.shape[:-2] + moved.shape[-1:], dtype)
    for i in range(n):
        before[..., i, :] = running
        running = _times(running, moved[..., i, :])
    gradient = np.empty(moved.shape, dtype)
    after = None
    for i in range(n - 1, -1, -1):
        after = w[..., i, :] if after is None else w[..., i, :] + _times(
            moved[..., i + 1, :], after)
        gradient[..., i, :] = _times(before[..., i, :], after)
    return _put_back(gradient[..., ::-1], x, axis)

