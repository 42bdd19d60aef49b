"""Derivatives of every order of ``np.linalg.eigvalsh``, ``np.linalg.svdvals`` and the matrix
norms built on singular values (``'nuc'``, 2 and -2), closed under differentiation as
``matrix_power``'s are.

A mixed derivative of order k at ``a`` along ``t1 .. tk`` is a coefficient of a truncated
multivariate Taylor expansion: with ``e1 .. ek`` nilpotent (``ei ** 2 = 0``) and commuting,
the eigenvalues of ``a + e1 t1 + ... + ek tk`` have the coefficient of ``e1 ... ek`` equal to
that derivative. Such a matrix is packed in the block matrix that ``power_block`` makes,
nested k times (``power_block(power_block(a, t1), power_block(t2, 0 * t2))``): the top left
block of each level holds the part without that level's ``e``, the top right block the part
with it, and the bottom row is not read. ``eigvalsh_derivative(b, order)`` is that top
coefficient for a packed ``b`` of any content, so its derivative along ``b_dot`` is the same
helper of ``power_block(b, b_dot)`` one order up; ``eigvalsh_derivative_vjp(v, b, order)`` is
the gradient of ``v`` times it with respect to ``b``, and its derivatives are again the two
helpers of blocks one order up.

The eigenvalues of the expansion come from perturbation theory in the eigenbasis of the
point: with ``a = V diag(w) V^T`` and ``E = V^T (matrix - a) V`` (every coefficient of
positive order), the eigenvector of ``w[i]``, scaled to have 1 at ``i``, is ``u = I[:, i] +
c`` with ``c[j] = (E u)[j] / (l - w[j])`` for ``j != i`` and the eigenvalue
``l = w[i] + (E u)[i]``; each pass of that fixed point fixes one more order, so k
passes give the expansion exactly (distinct eigenvalues; where two are equal the
derivative does not exist, and their term is taken as 0, as ``eigvalsh_hvp`` does). The
gradient of ``v . l`` with respect to the coefficient of ``e_S`` is the coefficient of the
complementary product in ``sum_i v[i] u_i u_i^T`` (``u_i`` the unit eigenvectors of the
expansion), since the expansion's derivative is the derivative's expansion.

The singular values of ``x`` (m by n) are the largest min(m, n) eigenvalues of the
symmetric ``[[0, x], [x^T, 0]]``, whose derivative in ``x`` is twice the top right block of
that in the symmetric matrix: the same expansion gives them (distinct, nonzero singular
values). A norm of order ``'nuc'``, 2 or -2 weighs them with ``svd_weights``, constant
where they are distinct.
"""

import numpy as np

from .arithmetic import cast_like
from .linalg_derivatives import _placed, _read, _t
from .reductions import svd_weights

__all__ = ["eigvalsh_derivative", "eigvalsh_derivative_vjp", "svdvals_derivative",
           "svdvals_derivative_vjp"]


def _coefficients(b, order):
    """The 2**order matrices packed in ``b``, by the set of directions (a bit mask, the
    outermost level the highest bit) whose product they multiply."""
    if order == 0:
        return [b]
    rows, columns = b.shape[-2] // 2, b.shape[-1] // 2
    top = b[..., :rows, :]
    return (_coefficients(top[..., :columns], order - 1)
            + _coefficients(top[..., columns:], order - 1))


def _packed(coefficients):
    """The inverse of :func:`_coefficients`, with zeros in the rows that are not read."""
    if len(coefficients) == 1:
        return coefficients[0]
    half = len(coefficients) // 2
    top = np.concatenate([_packed(coefficients[:half]), _packed(coefficients[half:])], axis=-1)
    return np.concatenate([top, np.zeros_like(top)], axis=-2)


def _subsets(mask):
    part = mask
    while True:
        yield part
        if part == 0:
            return
        part = (part - 1) & mask


def _times(x, y, multiply=np.multiply):
    """The product of two expansions (lists of coefficients by bit mask)."""
    return [sum(multiply(x[part], y[mask ^ part]) for part in _subsets(mask))
            for mask in range(len(x))]


def _divided(n, d):
    """``n / d`` for expansions, elementwise: 0 where ``d``'s constant term is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(d[0] == 0, 0.0, 1.0 / np.where(d[0] == 0, 1.0, d[0]))
    q = []
    for mask in range(len(n)):
        rest = n[mask] - sum((d[mask ^ part] * q[part] for part in _subsets(mask)
                              if part != mask), np.zeros_like(n[mask]))
        q.append(rest * inverse)
    return q


def _eigen(coefficients, order, chosen):
    """The expansions of the eigenvalues ``chosen`` (indices into the ascending ones of the
    point) of the symmetric matrices ``coefficients``, and of their eigenvectors scaled to
    have 1 at their own index, in the eigenbasis ``v`` of the point (returned too)."""
    w, v = np.linalg.eigh(coefficients[0])
    size = 2 ** order
    moved = [np.zeros_like(v)] + [_t(v) @ c @ v for c in coefficients[1:]]
    identity = np.eye(w.shape[-1], dtype=w.dtype)[:, chosen]
    base = w[..., chosen]
    gap = base[..., None, :] - w[..., :, None]
    vectors = [np.broadcast_to(identity, v.shape[:-1] + (len(chosen),))] + [
        np.zeros(v.shape[:-1] + (len(chosen),), dtype=v.dtype)] * (size - 1)
    values = [base] + [np.zeros_like(base)] * (size - 1)
    columns = np.arange(len(chosen))
    for _ in range(order):
        pulled = _times(moved, vectors, np.matmul)
        values = [base] + [p[..., chosen, columns] for p in pulled[1:]]
        gaps = [gap] + [np.broadcast_to(value[..., None, :], gap.shape) for value in values[1:]]
        vectors = [vectors[0]] + _divided(pulled, gaps)[1:]
    return values, vectors, v


def _gradient(vectors, v, weights):
    """The expansion of ``sum_i weights[i] u_i u_i^T`` (``u_i`` the eigenvectors, made unit)
    back in the original basis."""
    lengths = _times(vectors, vectors)
    lengths = [np.sum(x, axis=-2) for x in lengths]
    one = [np.ones_like(lengths[0])] + [np.zeros_like(x) for x in lengths[1:]]
    scales = _divided(one, lengths)
    scaled = [x * weights[..., None, :] for x in _times(vectors, [s[..., None, :]
                                                                   for s in scales])]
    inner = _times(scaled, [_t(x) for x in vectors], np.matmul)
    return [v @ x @ _t(v) for x in inner]


def eigvalsh_derivative(b, order, UPLO="L"):
    """The derivative of order ``order`` of ``np.linalg.eigvalsh`` (each matrix read from
    its triangle ``UPLO``), its point and directions packed in ``b`` by ``power_block``
    (see the module's docstring): ``eigvalsh_derivative(a, 0)`` is ``eigvalsh(a)``,
    ``eigvalsh_derivative(power_block(a, t), 1)`` its derivative along ``t``."""
    b = np.asarray(b)
    parts = [_read(x, UPLO) for x in _coefficients(b, order)]
    values, _, _ = _eigen(parts, order, np.arange(parts[0].shape[-1]))
    return cast_like(values[-1], b)


def eigvalsh_derivative_vjp(v, b, order, UPLO="L"):
    """The adjoint of ``eigvalsh_derivative(b, order, UPLO)`` with respect to ``b`` for the
    adjoint ``v`` of its result, packed as ``b`` is (zeros in the blocks not read)."""
    b = np.asarray(b)
    parts = [_read(x, UPLO) for x in _coefficients(b, order)]
    _, vectors, basis = _eigen(parts, order, np.arange(parts[0].shape[-1]))
    weights = np.broadcast_to(np.asarray(v), vectors[0].shape[:-2] + vectors[0].shape[-1:])
    grads = _gradient(vectors, basis, weights)
    return cast_like(_packed([_placed(x, UPLO) for x in grads[::-1]]), b)


def _embedded(x):
    """``[[0, x], [x^T, 0]]``, whose largest eigenvalues are ``x``'s singular values."""
    zeros_top = np.zeros(x.shape[:-1] + (x.shape[-2],), dtype=x.dtype)
    zeros_bottom = np.zeros(x.shape[:-2] + (x.shape[-1], x.shape[-1]), dtype=x.dtype)
    return np.concatenate([np.concatenate([zeros_top, x], axis=-1),
                           np.concatenate([_t(x), zeros_bottom], axis=-1)], axis=-2)


def _singular(b, order):
    parts = [_embedded(x) for x in _coefficients(b, order)]
    size = parts[0].shape[-1]
    count = min(b.shape[-2:]) >> order
    return _eigen(parts, order, np.arange(size - 1, size - 1 - count, -1))


def svdvals_derivative(b, order, norm=None):
    """The derivative of order ``order`` of ``np.linalg.svdvals`` (with ``norm`` 'nuc', 2 or
    -2, of the matrix norm of that order), its point and directions packed in ``b`` by
    ``power_block``, as for :func:`eigvalsh_derivative` (distinct, nonzero singular
    values)."""
    b = np.asarray(b)
    values, _, _ = _singular(b, order)
    if norm is None:
        return cast_like(values[-1], b)
    return cast_like(np.sum(svd_weights(values[0], norm) * values[-1], axis=-1), b)


def svdvals_derivative_vjp(v, b, order, norm=None):
    """The adjoint of ``svdvals_derivative(b, order, norm)`` with respect to ``b`` for the
    adjoint ``v`` of its result, packed as ``b`` is. At order 0 (a norm's gradient, which
    first derivatives call) it is ``U diag(v) V^T`` from the SVD itself."""
    b = np.asarray(b)
    v = np.asarray(v)
    if order == 0:
        u, s, vt = np.linalg.svd(b, full_matrices=False)
        weights = v if norm is None else v[..., None] * svd_weights(s, norm)
        return cast_like((u * weights[..., None, :]) @ vt, b)
    values, vectors, basis = _singular(b, order)
    if norm is not None:
        v = v[..., None] * svd_weights(values[0], norm)
    weights = np.broadcast_to(v, values[0].shape)
    rows = b.shape[-2] >> order
    grads = _gradient(vectors, basis, weights)
    return cast_like(_packed([2.0 * x[..., :rows, rows:] for x in grads[::-1]]), b)
