"""Helpers for the derivatives of forward mode's helpers. Forward-mode code carries a
tangent ``t`` through ``cholesky_jvp(t, L)``, ``eigvalsh_jvp(t, a)``, ``svdvals_jvp(t, x)``,
``matrix_power_jvp(t, a, n)`` and ``norm_jvp(t, ans, x)``; a derivative of that code moves
the operand they are taken at too, along a second direction ``s``, and needs their
derivatives there. For the decompositions and norms these are second derivatives, symmetric
in ``t`` and ``s``, whose adjoints are the Hessian-vector products the reverse-mode helpers
already give (``eigvalsh_hvp``, ``svdvals_hvp``, ``matrix_power_hvp``, ``norm_hvp``).
``cholesky_jvp`` takes the factor itself; its derivatives are those of ``cholesky_tangent``
(:mod:`.linalg_orders`)."""

import numpy as np

from .arithmetic import cast_like
from .derivatives import norm_hvp
from .linalg_derivatives import _read, _t, matrix_power_tangent
from .reductions import norm_axes

__all__ = ["eigvalsh_jvp2", "svdvals_jvp2", "matrix_power_jvp2", "norm_jvp2"]


def eigvalsh_jvp2(a, t, s, UPLO="L"):
    """The second derivative of ``np.linalg.eigvalsh(a, UPLO)`` in the directions ``t`` and
    ``s`` (the triangles read): ``2 sum over j != i of X[i, j] Y[i, j] / (w[i] - w[j])``
    with ``X = V^T T V`` and ``Y = V^T S V`` (distinct eigenvalues ``w``; where two are
    equal the derivative does not exist, and their term is taken as 0, as in
    ``eigvalsh_hvp``)."""
    a = np.asarray(a)
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    x = _t(v) @ _read(t, UPLO) @ v
    y = _t(v) @ _read(s, UPLO) @ v
    gap = w[..., :, None] - w[..., None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = 2.0 * x * y / gap
    terms = np.where(np.eye(w.shape[-1], dtype=bool) | (gap == 0), 0.0, terms)
    return cast_like(np.sum(terms, axis=-1), a)


def svdvals_jvp2(x, t, s):
    """The second derivative of ``np.linalg.svdvals(x)`` in the directions ``t`` and ``s``
    (``x = U diag(sigma) V^T``, thin; distinct nonzero singular values): with
    ``D = U^T T V`` and ``C = U^T S V``, the pairs ``j != i`` give
    ``(D[j, i] (C[j, i] sigma_i + C[i, j] sigma_j) + D[i, j] (C[i, j] sigma_i + C[j, i]
    sigma_j)) / (sigma_i^2 - sigma_j^2)``, and the parts of ``t`` and ``s`` outside the
    singular vectors' span add ``(T v_i)^T (I - U U^T) (S v_i) / sigma_i`` (more rows than
    singular values) and ``(T^T u_i)^T (I - V V^T) (S^T u_i) / sigma_i`` (more columns)."""
    x = np.asarray(x)
    u, sigma, vt = np.linalg.svd(x, full_matrices=False)
    v = _t(vt)
    d, c = _t(u) @ t @ v, _t(u) @ s @ v
    si, sj = sigma[..., :, None], sigma[..., None, :]
    gap = si * si - sj * sj
    pairs = _t(d) * (_t(c) * si + c * sj) + d * (c * si + _t(c) * sj)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = pairs / gap
    n = sigma.shape[-1]
    total = np.sum(np.where(np.eye(n, dtype=bool) | (gap == 0), 0.0, terms), axis=-1)
    rows, cols = x.shape[-2:]
    if rows > n:
        rest = s @ v - u @ c
        total = total + np.sum((t @ v) * rest, axis=-2) / sigma
    if cols > n:
        rest = _t(s) @ u - v @ _t(c)
        total = total + np.sum((_t(t) @ u) * rest, axis=-2) / sigma
    return cast_like(total, x)


def matrix_power_jvp2(a, t, s, n):
    """The second derivative of ``np.linalg.matrix_power(a, n)`` in the directions ``t`` and
    ``s``: the power and its derivatives carried through the products together; for a
    negative ``n`` the same of the inverse, whose second derivative is
    ``inv s inv t inv + inv t inv s inv``."""
    a = np.asarray(a)
    shape = np.broadcast_shapes(a.shape, np.shape(t), np.shape(s))
    dtype = np.result_type(a, t, s)
    if n == 0:
        return np.zeros(shape, dtype=dtype)
    if n < 0:
        inv = np.linalg.inv(a)
        inv_t, inv_s = -inv @ t @ inv, -inv @ s @ inv
        inv_ts = inv @ s @ inv @ t @ inv + inv @ t @ inv @ s @ inv
        return (matrix_power_jvp2(inv, inv_t, inv_s, -n)
                + matrix_power_tangent(inv, inv_ts, -n))
    value = np.broadcast_to(np.eye(a.shape[-1], dtype=dtype), shape)
    along_t = along_s = both = np.zeros(shape, dtype=dtype)
    for _ in range(n):
        both = both @ a + along_t @ s + along_s @ t
        along_t = along_t @ a + value @ t
        along_s = along_s @ a + value @ s
        value = value @ a
    return both


def norm_jvp2(x, t, s, ans, ord=None, axis=None, keepdims=False, vector=False):
    """The second derivative of ``np.linalg.norm(x, ord, axis, keepdims)`` (``ans``;
    ``vector=True``: ``np.linalg.vector_norm``) in the directions ``t`` and ``s``: ``t``
    summed over the reduced axes against the Hessian times ``s`` that ``norm_hvp`` gives (so
    its conventions hold: none for orders whose gradient is piecewise constant, 0 for the
    2-norm at x = 0, distinct singular values)."""
    x = np.asarray(x)
    axes, _ = norm_axes(x, ord, axis, vector)
    curvature = norm_hvp(np.ones_like(ans), ans, x, s, ord, axis, keepdims, vector)
    return np.sum(curvature * t, axis=axes, keepdims=keepdims)
