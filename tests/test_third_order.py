"""Derivatives of order three and four through NumPy functions whose derivatives call
srcdiff's runtime helpers (norms, ``np.linalg``, ``np.cumprod``, ``np.einsum``).

Each function ``f`` is taken along a line, ``g(t) = f(x0 + t d)``, so that its third
derivative is a number: ``gradient(gradient(gradient(g)))`` (reverse mode three times) and
``hessian(gradient(g))`` (forward over reverse over reverse) must equal central differences
of its second derivative, and the fourth derivative those of the third. Where a helper's
rule has no derivative of that order (the fifth derivative of ``det``), the derivative is
refused with a located error, never a wrong number.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff import SrcdiffError

STEP = 1e-4
T = 0.1

X = np.array([0.7, -1.3, 2.1, 0.4])
M = np.array([[0.3, -1.2, 0.8], [1.1, 0.5, -0.7]])
A = np.array([[3.0, 0.2, -0.4], [0.1, 2.5, 0.3], [-0.2, 0.6, 4.0]])
B = np.array([1.0, 2.0, 3.0])
WITH_ZEROS = np.array([0.7, 0.0, 2.1, 0.0])
SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])


def _along(x):
    return np.linspace(0.3, -0.5, x.size).reshape(x.shape)


X_DIRECTION, M_DIRECTION, A_DIRECTION = _along(X), _along(M), _along(A)


def norm(t):
    return np.linalg.norm(X + t * X_DIRECTION) ** 3


def norm_of_order_three(t):
    v = X + t * X_DIRECTION
    return np.linalg.norm(v, 3) * np.sum(v)


def frobenius_norm(t):
    return np.linalg.norm(M + t * M_DIRECTION, "fro") ** 3


def solve(t):
    return np.sum(np.linalg.solve(A + t * A_DIRECTION, B) ** 2)


def solve_for_the_right_side(t):
    v = X + t * X_DIRECTION
    return np.sum(np.linalg.solve(A, v[:3] * v[3]) ** 2)


def two_slices(t):
    """The pattern behind ``solve_for_the_right_side``: the gradient adds into two slices of
    ``v_bar``, so the second derivative restores ``v_bar[:3]`` from its tape, and reads
    ``v_bar_bar = spread_like(..., v_bar)`` after that; ``spread_like`` returns a view of its
    first operand only, so ``v_bar_bar`` is not stale."""
    v = X + t * X_DIRECTION
    return np.sum((v[:3] * v[3]) ** 2)


def inverse(t):
    return np.sum(np.linalg.inv(A + t * A_DIRECTION) ** 2)


def matrix_power(t):
    return np.sum(np.linalg.matrix_power(A + t * A_DIRECTION, 3) ** 2)


def inverse_power(t):
    return np.sum(np.linalg.matrix_power(A + t * A_DIRECTION, -2))


def stacked_powers(t):
    a = np.stack([A, A.T]) + t * A_DIRECTION
    return np.sum(np.linalg.matrix_power(a, 2) ** 2)


def cumulative_product(t):
    v = X + t * X_DIRECTION
    return np.sum(np.cumprod(v) * v)


def cumulative_product_along_rows(t):
    m = M + t * M_DIRECTION
    return np.sum(np.cumulative_prod(m, axis=1, include_initial=True) ** 2) + np.sum(
        np.cumprod(m, axis=0) * m)


def cumulative_product_of_all(t):
    m = M + t * M_DIRECTION
    return np.sum(np.cumprod(m) ** 2 * np.ravel(m)[::-1])


def cumulative_product_through_zeros(t):
    """At ``T`` two elements are exactly zero: the derivatives, polynomials in the
    elements, are found without dividing by them."""
    v = WITH_ZEROS + (t - T) * X_DIRECTION
    return np.sum(np.cumprod(v) * v ** 2)


def nuclear_norm(t):
    m = M + t * M_DIRECTION
    return np.linalg.norm(m, "nuc") * np.sum(m)


def spectral_norm(t):
    return np.linalg.norm(M + t * M_DIRECTION, 2) ** 2


def cholesky(t):
    a = A + t * A_DIRECTION
    return np.sum(np.linalg.cholesky(a @ a.T + 3.0 * np.eye(3)) ** 3)


def eigenvalues(t):
    a = A + t * A_DIRECTION
    return np.sum(B * np.linalg.eigvalsh(a + a.T) ** 3)


def singular_values(t):
    return np.sum(np.linalg.svdvals(M + t * M_DIRECTION) ** 3)


def determinant(t):
    return np.linalg.det(A + t * A_DIRECTION) ** 2


def determinant_at_a_singular_matrix(t):
    """At t = T the matrix has rank 2: the adjugate's derivatives come from the SVD."""
    a = SINGULAR + (t - T) * A_DIRECTION
    return np.linalg.det(a) * np.sum(a * a)


def einsum_diagonal(t):
    a = A + t * A_DIRECTION
    return np.sum(np.einsum("ii->i", a * a) ** 2)


def einsum_product(t):
    a = A + t * A_DIRECTION
    return np.sum(np.einsum("ij,jk->ik", a, a) ** 2)


def einsum_of_three(t):
    a = A + t * A_DIRECTION
    return np.sum(np.einsum("...ij,jk,k->...i", np.stack([a, a.T]), a, B * a[0]) ** 2)


WORKING = [norm, norm_of_order_three, frobenius_norm, solve, solve_for_the_right_side,
           two_slices, inverse, matrix_power, inverse_power, stacked_powers, cholesky,
           determinant, determinant_at_a_singular_matrix, cumulative_product,
           cumulative_product_along_rows, cumulative_product_of_all,
           cumulative_product_through_zeros, einsum_diagonal, einsum_product, einsum_of_three,
           eigenvalues, singular_values, nuclear_norm, spectral_norm]
def _slope(f, t):
    return (f(t + STEP) - f(t - STEP)) / (2 * STEP)


def _check(derivative, lower, scale):
    assert derivative == pytest.approx(_slope(lower, T), rel=1e-5, abs=1e-7 * scale)


@pytest.mark.parametrize("g", WORKING, ids=lambda g: getattr(g, "__name__", ""))
def test_third_derivative(g):
    second = srcdiff.gradient(srcdiff.gradient(g))
    scale = abs(second(T)) + 1.0
    _check(srcdiff.gradient(second)(T), second, scale)
    _check(srcdiff.hessian(srcdiff.gradient(g))(T), srcdiff.hessian(g), scale)


@pytest.mark.parametrize("g", WORKING, ids=lambda g: getattr(g, "__name__", ""))
def test_fourth_derivative(g):
    third = srcdiff.gradient(srcdiff.gradient(srcdiff.gradient(g)))
    _check(srcdiff.gradient(third)(T), third, abs(third(T)) + 1.0)


def _times(derivative, g, n):
    for _ in range(n):
        g = derivative(g)
    return g


def test_a_fifth_derivative_through_det_is_refused_where_it_is_asked_for():
    """The adjugate's derivatives go up to the third (det's fourth); the fifth derivative of
    det is refused, pointing into the printed fourth derivative, on both paths."""
    gradient = srcdiff.gradient
    for fifth in (_times(gradient, determinant, 5),
                  srcdiff.hessian(_times(gradient, determinant, 3))):
        with pytest.raises(SrcdiffError, match="order five or more through np.linalg.det") as info:
            fifth(T)
        assert info.value.lineno is not None


def test_a_fifth_derivative_through_cholesky():
    """The Cholesky helpers' derivatives are made of the same helpers, so every order works:
    the fifth derivative is the slope of the fourth."""
    fourth = _times(srcdiff.gradient, cholesky, 4)
    _check(srcdiff.gradient(fourth)(T), fourth, abs(fourth(T)) + 1.0)
