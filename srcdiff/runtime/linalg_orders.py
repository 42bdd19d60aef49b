"""Helpers for the derivatives of every order of ``np.linalg.det`` and ``np.linalg.cholesky``.

The adjugate is a polynomial in the entries, so its derivatives of every order exist at
singular matrices too. They are computed in the bases of the SVD ``a = U diag(s) V^H``,
where ``det(a + E) = c det(diag(s) + U^H E V)`` (``c = det(U) det(V^H)``) and the mixed
derivatives of ``det(diag(s) + X)`` are sums over distinct columns, each term weighted by
the product of the singular values of the other columns: no division, so nothing fails
where a singular value is 0.

The derivatives of the Cholesky factor's tangent ``L Phi(L^-1 S L^-T)`` and of its adjoint
``onto_lower(L^-T Phi(L^T g) L^-1)`` are made of those two helpers themselves, inverses and
products, and three linear maps: ``lower_halved`` (Phi), ``from_lower`` (the symmetric
matrix a triangle stands for) and ``onto_lower`` (its adjoint). That family is closed under
differentiation, so derivatives of every order follow from the rules of its members.
"""

import functools
import itertools

import numpy as np

__all__ = ["adjugate_jvp", "adjugate_jvp2", "adjugate_jvp3", "lower_halved", "from_lower",
           "onto_lower"]


def _t(x):
    return np.swapaxes(x, -1, -2)


def _other_products(s, count):
    """``P[..., c_0, ..., c_k]`` (``count = k + 1`` indices): the product of the entries of
    ``s`` at the positions other than the ``c``'s where those are distinct, 0 where two are
    equal."""
    n = s.shape[-1]
    grids = np.meshgrid(*[np.arange(n)] * count, indexing="ij", sparse=True)
    products = np.ones(s.shape[:-1] + (n,) * count, dtype=s.dtype)
    for i in range(n):
        chosen = functools.reduce(np.logical_or, [grid == i for grid in grids])
        products = products * np.where(chosen, 1.0, s[(...,) + (i,) + (None,) * count])
    distinct = np.ones((n,) * count, dtype=bool)
    for j, k in itertools.combinations(range(count), 2):
        distinct &= grids[j] != grids[k]
    return np.where(distinct, products, 0.0)


def _sign(permutation):
    sign, seen = 1, set()
    for start in range(len(permutation)):
        length, k = 0, start
        while k not in seen:
            seen.add(k)
            k = permutation[k]
            length += 1
        if length and length % 2 == 0:
            sign = -sign
    return sign


def _adjugate_derivative(a, *directions):
    """The mixed derivative of ``adjugate(a)`` along ``directions`` (k of them). It is
    ``c V W^T U^H``, ``W[p, q]`` being the coefficient of ``X_0[p, q]`` in the derivative of
    order k + 1 of ``det(diag(s) + X)`` along ``X_0`` and ``X_j = U^H t_j V``: a sum over
    distinct columns ``c_0 = q, c_1, ..., c_k`` and permutations ``tau`` of them (with
    ``c_tau(0) = p``) of ``sign(tau) P(c) prod_j X_j[c_tau(j), c_j]``, ``P`` from
    :func:`_other_products`."""
    a = np.asarray(a)
    u, s, vh = np.linalg.svd(a)
    uh, v = np.conj(_t(u)), np.conj(_t(vh))
    scale = np.linalg.det(u) * np.linalg.det(vh)
    xs = [uh @ np.asarray(t) @ v for t in directions]
    count = len(directions) + 1
    products = _other_products(s, count)
    labels = "abcdefghij"[:count]
    w = 0.0
    for tau in itertools.permutations(range(count)):
        terms = [f"...{labels}"] + [f"...{labels[tau[j]]}{labels[j]}" for j in range(1, count)]
        out = labels[0] if tau[0] == 0 else labels[tau[0]] + labels[0]
        term = np.einsum(",".join(terms) + f"->...{out}", products, *xs)
        if tau[0] == 0:
            term = term[..., :, None] * np.eye(s.shape[-1])
        w = w + _sign(tau) * term
    return scale[..., None, None] * (v @ _t(w) @ uh)


def adjugate_jvp(a, t):
    """The derivative of ``adjugate(a)`` along ``t``, exact for singular matrices too."""
    return _adjugate_derivative(a, t)


def adjugate_jvp2(a, t, s):
    """The second derivative of ``adjugate(a)`` along ``t`` and ``s`` (symmetric in them)."""
    return _adjugate_derivative(a, t, s)


def adjugate_jvp3(a, t, s, r):
    """The third derivative of ``adjugate(a)`` along ``t``, ``s`` and ``r``."""
    return _adjugate_derivative(a, t, s, r)


def lower_halved(x):
    """The lower triangle of ``x`` with its diagonal halved (``Phi`` in the Cholesky
    factor's derivative)."""
    x = np.asarray(x)
    return np.tril(x) - 0.5 * np.triu(np.tril(x))


def from_lower(t):
    """The symmetric matrix whose lower triangle is ``t``'s (what ``np.linalg.cholesky``
    reads of its argument)."""
    t = np.asarray(t)
    return np.tril(t) + _t(np.tril(t, -1))


def onto_lower(s):
    """The adjoint of :func:`from_lower`: ``s + s^T`` on the strict lower triangle, ``s``'s
    diagonal on the diagonal, zeros above."""
    s = np.asarray(s)
    return np.tril(s + _t(s)) - np.triu(np.tril(s))
