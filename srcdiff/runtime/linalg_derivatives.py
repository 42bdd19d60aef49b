"""Helpers for the derivatives of the linear-algebra helpers (see :mod:`.derivatives`): the
tangents of ``solve``, ``cholesky``, ``eigvalsh``, ``svdvals`` and ``matrix_power``, and the
derivatives of their adjoints, which are the Hessians of ``sum(g * f(a))`` (symmetric, so
one helper gives both the tangent and the adjoint; those of ``cholesky`` and of the adjugate
are in :mod:`.linalg_orders`); the block matrices whose powers hold the derivatives of
``matrix_power`` of every order."""

import numpy as np

from .arithmetic import cast_like, unbroadcast
from .derivatives import _svd_slope
from .linalg import _lower_part, matrix_power_vjp

__all__ = [
    "solve_rhs_vjp_jvp", "solve_lhs_vjp_jvp", "solve_lhs_vjp_vjp", "cholesky_tangent",
    "eigvalsh_tangent", "eigvalsh_hvp", "svdvals_tangent", "svdvals_hvp", "matrix_power_tangent",
    "matrix_power_hvp", "power_block", "top_right", "diagonal_blocks",
]


def _t(x):
    return np.swapaxes(x, -1, -2)


def _columns(b, *arrays):
    """The arrays as stacks of matrices: a vector right-hand side (``b`` 1-d) solves for one
    column, so its arrays get a last axis of length 1."""
    vector = np.ndim(b) == 1
    return vector, [np.asarray(x)[..., None] if vector else np.asarray(x) for x in arrays]


def solve_rhs_vjp_jvp(g, a, b, t):
    """The derivative of ``solve_rhs_vjp(g, a, b)`` in ``a`` along ``t``:
    ``-solve(a.T, t.T @ solve(a.T, g))``, summed back to ``b``'s shape."""
    vector, (g,) = _columns(b, g)
    x = np.linalg.solve(_t(a), g)
    slope = -np.linalg.solve(_t(a), _t(t) @ x)
    return unbroadcast(slope[..., 0] if vector else slope, b)


def solve_lhs_vjp_jvp(g, ans, a, b, t):
    """The derivative of ``solve_lhs_vjp(g, ans, a, b)`` in ``a`` along ``t``: with
    ``x = solve(a.T, g)``, ``solve(a.T, t.T @ x) @ ans.T``, summed back to ``a``'s shape."""
    _, (g, ans) = _columns(b, g, ans)
    x = np.linalg.solve(_t(a), g)
    return unbroadcast(np.linalg.solve(_t(a), _t(t) @ x) @ _t(ans), a)


def solve_lhs_vjp_vjp(h, g, ans, a, b, of="g"):
    """The adjoint of ``solve_lhs_vjp(g, ans, a, b)`` (``-solve(a.T, g) @ ans.T``, summed
    back to ``a``'s shape) with respect to ``of`` ("g", "ans" or "a") for the adjoint ``h``
    of its result."""
    vector, (g, ans) = _columns(b, g, ans)
    h = np.asarray(h)
    if of == "g":
        result = -np.linalg.solve(a, h @ ans)
        return result[..., 0] if vector else result
    x = np.linalg.solve(_t(a), g)
    if of == "ans":
        result = -_t(h) @ x
        return result[..., 0] if vector else result
    return unbroadcast(x @ _t(np.linalg.solve(a, h @ ans)), a)


def _from_lower(t):
    """The symmetric matrix whose lower triangle is ``t``'s (what NumPy's symmetric
    routines read)."""
    lower = np.tril(t)
    return lower + _t(np.tril(t, -1))


def _read(t, uplo):
    return _from_lower(t) if uplo == "L" else _t(_from_lower(_t(t)))


def _placed(sym, uplo):
    """A symmetric matrix's adjoint on the triangle ``uplo`` that was read."""
    lower = _lower_part(sym)
    return lower if uplo == "L" else _t(lower)


def cholesky_tangent(L, t):
    """The derivative of ``np.linalg.cholesky`` at ``L @ L.T`` along ``t`` (its lower
    triangle, as NumPy reads it): ``L Phi(L^-1 T L^-T)``, Phi the lower triangle with the
    diagonal halved."""
    L = np.asarray(L)
    inv = np.linalg.inv(L)
    inner = inv @ _from_lower(t) @ _t(inv)
    n = L.shape[-1]
    return cast_like(L @ (np.tril(inner) - 0.5 * inner * np.eye(n, dtype=inner.dtype)), L)


def eigvalsh_tangent(a, t, UPLO="L"):
    """The derivative of ``np.linalg.eigvalsh(a, UPLO)`` along ``t`` (the triangle read):
    ``diag(V^T T V)`` (distinct eigenvalues)."""
    a = np.asarray(a)
    _, v = np.linalg.eigh(a, UPLO=UPLO)
    return cast_like(np.einsum("...ji,...jk,...ki->...i", v, _read(t, UPLO), v), a)


def eigvalsh_hvp(g, a, t, UPLO="L"):
    """The derivative of ``eigvalsh_vjp(g, a, UPLO)`` in ``a`` along ``t``: the Hessian of
    ``sum(g * eigvalsh(a))`` times ``t``, ``V [X o G] V^T`` with ``X = V^T T V`` and
    ``G[i, j] = (g[j] - g[i]) / (w[j] - w[i])`` (distinct eigenvalues ``w``; where two are
    equal the derivative does not exist, and their term is taken as 0)."""
    a = np.asarray(a)
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    g = np.asarray(g)
    x = _t(v) @ _read(t, UPLO) @ v
    n = w.shape[-1]
    gap = w[..., None, :] - w[..., :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (g[..., None, :] - g[..., :, None]) / gap
    ratio = np.where(np.eye(n, dtype=bool) | (gap == 0), 0.0, ratio)
    return cast_like(_placed(v @ (x * ratio) @ _t(v), UPLO), a)


def svdvals_tangent(x, t):
    """The derivative of ``np.linalg.svdvals(x)`` along ``t``: ``diag(U^T T V)`` (distinct
    singular values)."""
    x = np.asarray(x)
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    return cast_like(np.einsum("...ji,...jk,...ik->...i", u, t, vt), x)


def svdvals_hvp(g, x, t):
    """The derivative of ``svdvals_vjp(g, x)`` (``U diag(g) V^T``) in ``x`` along ``t``: the
    Hessian of ``sum(g * svdvals(x))`` times ``t`` (distinct nonzero singular values)."""
    x = np.asarray(x)
    return cast_like(_svd_slope(np.asarray(g), x, np.broadcast_to(t, x.shape)), x)


def _powers(a, n):
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return powers


def matrix_power_tangent(a, t, n):
    """The derivative of ``np.linalg.matrix_power(a, n)`` along ``t``."""
    a = np.asarray(a)
    if n == 0:
        return np.zeros(np.broadcast_shapes(a.shape, np.shape(t)), dtype=np.result_type(a, t))
    if n < 0:
        inv = np.linalg.inv(a)
        return matrix_power_tangent(inv, -inv @ t @ inv, -n)
    powers = _powers(a, n)
    return sum(powers[k] @ t @ powers[n - 1 - k] for k in range(n))


def matrix_power_hvp(g, a, t, n):
    """The derivative of ``matrix_power_vjp(g, a, n)`` in ``a`` along ``t``: the Hessian of
    ``sum(g * matrix_power(a, n))`` times ``t``."""
    a = np.asarray(a)
    if n == 0:
        return np.zeros(a.shape, dtype=np.result_type(a, g, t))
    if n < 0:
        inv = np.linalg.inv(a)
        inv_t, inv_dot = _t(inv), -inv @ t @ inv
        inner = matrix_power_vjp(g, inv, -n)
        inner_dot = matrix_power_hvp(g, inv, inv_dot, -n)
        return cast_like(-(_t(inv_dot) @ inner @ inv_t + inv_t @ inner_dot @ inv_t
                           + inv_t @ inner @ _t(inv_dot)), a)
    powers = _powers(_t(a), n)
    slopes = [np.zeros_like(powers[0] @ t)]
    for k in range(1, n):
        slopes.append(sum(powers[j] @ _t(t) @ powers[k - 1 - j] for j in range(k)))
    total = sum(slopes[k] @ g @ powers[n - 1 - k] + powers[k] @ g @ slopes[n - 1 - k]
                for k in range(n))
    return cast_like(total, a)


def power_block(a, t):
    """The block matrix ``[[a, t], [0, a]]`` (of each matrix of a stack). A matrix power of
    it holds the derivative of the power of ``a`` along ``t`` in its top right block, so
    derivatives of ``matrix_power`` of every order are ``matrix_power_tangent`` of such
    blocks (the Hessian's derivative is that of a block of blocks). Nested, such blocks
    also pack the point and directions of the derivatives in :mod:`.spectral` (of
    rectangular matrices too, for ``svdvals``)."""
    a, t = np.broadcast_arrays(np.asarray(a), np.asarray(t))
    top = np.concatenate([a, t], axis=-1)
    bottom = np.concatenate([np.zeros_like(a), a], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def top_right(x):
    """The top right block of a block matrix made by :func:`power_block`."""
    rows, columns = _halves(x)
    return np.asarray(x)[..., :rows, columns:]


def diagonal_blocks(x):
    """The sum of the two diagonal blocks of a block matrix: the adjoint of ``a`` in
    :func:`power_block`."""
    rows, columns = _halves(x)
    x = np.asarray(x)
    return x[..., :rows, :columns] + x[..., rows:, columns:]


def _halves(x):
    """The sides of the blocks of a 2 by 2 block matrix (rectangular ones pack the
    derivatives of ``svdvals``)."""
    rows, columns = np.shape(x)[-2:]
    if rows % 2 or columns % 2:
        raise ValueError(f"a matrix of {rows} by {columns} is not made of 2 by 2 blocks")
    return rows // 2, columns // 2


