"""Derivatives of forward derivatives whose code calls forward mode's runtime helpers.

Forward-mode code carries tangents through ``cumprod_jvp``, ``norm_jvp``, ``average_jvp``,
``cholesky_jvp``, ``eigvalsh_jvp``, ``svdvals_jvp``, ``matrix_power_jvp``,
``filled_tangents`` and ``sum_tangents`` (their rules: ``srcdiff/primitives/
forward_helpers.py``). Each function here makes its forward derivative call one of them
(checked in the printed source); that derivative, ``tangent(x, x_dot) = (f(x), f'(x)
x_dot)``, is differentiated again by forward mode (``srcdiff.jvp``) and by reverse mode
(``srcdiff.vjp``), and both must equal central differences of ``tangent`` itself, in the
point and in the tangent alike.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff

STEP = 1e-6
TOLERANCE = {"rtol": 1e-5, "atol": 1e-7}

W2 = np.array([0.7, -1.3])
W3 = np.array([0.3, -1.2, 0.8])
W4 = np.array([0.5, 1.1, -0.6, 0.9])
W33 = np.array([[0.3, -1.2, 0.8], [1.1, 0.5, -0.7], [0.4, 0.9, -0.2]])
V4 = np.array([0.7, -1.3, 0.4, 2.1])
ZEROED = np.array([0.7, -1.3, 0.0, 2.1])
M23 = np.array([[1.2, -0.4, 0.7], [0.3, 0.9, -1.5]])
M33 = np.array([[2.0, 0.3, -0.5], [0.1, 1.4, 0.7], [-0.6, 0.2, 0.9]])
SPD = np.array([[4.0, 0.5, -0.3], [0.5, 2.5, 0.2], [-0.3, 0.2, 1.2]])


def cumulative_product(v):
    return np.sum(np.cumprod(v) * W4)


def cumulative_product_along_rows(m):
    return np.sum(np.cumulative_prod(m, axis=0, include_initial=True) ** 2)


def spectral_norm(m):
    return np.linalg.norm(m, 2) * np.sum(m)


def nuclear_norm(m):
    return np.linalg.norm(m, "nuc") ** 2


def matrix_norm(m):
    return np.linalg.matrix_norm(m, ord="nuc") * m[0, 1]


def norm_of_order(v, p):
    return np.linalg.norm(v, p) * v[0]


def norms_along(m, ax):
    return np.sum(np.linalg.norm(m, axis=ax) * W2)


def weighted_average(a, w):
    return np.sum(np.average(a, axis=0, weights=w * w) * W3)


def cholesky_of_gram(a):
    return np.sum(W33 * np.linalg.cholesky(a @ a.T + 3.0 * np.eye(3)))


def eigenvalues(a):
    return np.sum(np.linalg.eigvalsh(a) * W3)


def eigenvalues_upper(a):
    return np.sum(np.linalg.eigvalsh(a, UPLO="U") ** 2 * W3)


def singular_values(m):
    return np.sum(np.linalg.svdvals(m) * W2)


def matrix_cube(a):
    return np.sum(W33 * np.linalg.matrix_power(a, 3))


def inverse_square(a):
    return np.sum(W33 * np.linalg.matrix_power(a, -2))


def joined_with_integers(v):
    pieces = [v * v, np.arange(2), np.sin(v)]
    return np.sum(np.concatenate(pieces) ** 2 * np.arange(1.0, 9.0))


def array_with_an_integer(v):
    return np.sum(np.array([v[0] * v[1], 2, np.exp(v[2])]) ** 3)


def stacked_as_it_grows(v):
    grown = []
    for k in range(3):
        grown.append(v * (k + 1.0))
    return np.sum(np.stack(grown, axis=1) ** 3)


def summed_list(v):
    return np.sum(sum([v, v * v, 2]) ** 2 * W4)


def summed_with_broadcasting(x, v):
    return np.sum(sum([x * x, np.sin(v)]) ** 3)


CASES = {
    "cumprod": (cumulative_product, (V4,), 0, "cumprod_jvp"),
    "cumprod-with-a-zero": (cumulative_product, (ZEROED,), 0, "cumprod_jvp"),
    "cumulative_prod-include_initial": (cumulative_product_along_rows, (M23,), 0,
                                        "cumprod_jvp"),
    "norm-2": (spectral_norm, (M23,), 0, "norm_jvp"),
    "norm-nuc": (nuclear_norm, (M33,), 0, "norm_jvp"),
    "matrix_norm-nuc": (matrix_norm, (M23,), 0, "norm_jvp"),
    "norm-order-3": (norm_of_order, (V4, 3), 0, "norm_jvp"),
    "norm-order-2": (norm_of_order, (V4, 2), 0, "norm_jvp"),
    "norm-along-an-axis": (norms_along, (M23, 1), 0, "norm_jvp"),
    "average-weights": (weighted_average, (M23, W2), 1, "average_jvp"),
    "average-both": (weighted_average, (M23, W2), (0, 1), "average_jvp"),
    "cholesky": (cholesky_of_gram, (M33,), 0, "cholesky_jvp"),
    "eigvalsh": (eigenvalues, (SPD,), 0, "eigvalsh_jvp"),
    "eigvalsh-upper": (eigenvalues_upper, (SPD + M33,), 0, "eigvalsh_jvp"),
    "svdvals-wide": (singular_values, (M23,), 0, "svdvals_jvp"),
    "svdvals-tall": (singular_values, (M23.T,), 0, "svdvals_jvp"),
    "matrix_power-3": (matrix_cube, (M33,), 0, "matrix_power_jvp"),
    "matrix_power-negative": (inverse_square, (M33 + np.eye(3),), 0, "matrix_power_jvp"),
    "concatenate-with-integers": (joined_with_integers, (W4[:3],), 0, "filled_tangents"),
    "array-with-an-integer": (array_with_an_integer, (W3,), 0, "filled_tangents"),
    "stack-of-a-grown-list": (stacked_as_it_grows, (W3,), 0, "filled_tangents"),
    "sum-of-a-list": (summed_list, (V4,), 0, "sum_tangents"),
    "sum-that-broadcasts": (summed_with_broadcasting, (0.6, W3), (0, 1), "sum_tangents"),
}


def _wrt(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def _direction(value, rng):
    return float(rng.standard_normal()) if np.ndim(value) == 0 else rng.standard_normal(
        np.shape(value))


def _moved(args, directions, step):
    return tuple(a if d is None else a + step * d for a, d in zip(args, directions))


def _slope_differences(slope, args, directions):
    return (slope(*_moved(args, directions, STEP))
            - slope(*_moved(args, directions, -STEP))) / (2 * STEP)


def _gradient_differences(slope, args, index):
    """The gradient of ``slope`` with respect to argument ``index``, by central
    differences."""
    x = args[index]
    if np.ndim(x) == 0:
        directions = [None] * len(args)
        directions[index] = 1.0
        return _slope_differences(slope, args, directions)
    grad = np.zeros(np.shape(x))
    for k in np.ndindex(np.shape(x)):
        unit = np.zeros(np.shape(x))
        unit[k] = 1.0
        directions = [None] * len(args)
        directions[index] = unit
        grad[k] = _slope_differences(slope, args, directions)
    return grad


@pytest.mark.parametrize("label", list(CASES))
def test_the_forward_derivative_calls_the_helper(label):
    f, args, wrt, helper = CASES[label]
    text = srcdiff.source(f, args=args, wrt=wrt, mode="forward")
    assert f"{helper}(" in text


@pytest.mark.parametrize("label", list(CASES))
def test_forward_and_reverse_over_forward_match_differences(label):
    f, args, wrt, _ = CASES[label]
    rng = np.random.default_rng(sum(map(ord, label)))
    wrt = _wrt(wrt)
    tangent = srcdiff.value_and_tangent(f, wrt=wrt)
    dots = tuple(_direction(args[k], rng) for k in wrt)
    primals = args + dots

    def slope(*values):
        return tangent(*values)[1]

    # forward over forward: the point and the tangent moved at once
    directions = tuple(_direction(x, rng) if k in wrt or k >= len(args) else None
                       for k, x in enumerate(primals))
    (value, first), (_, second) = srcdiff.jvp(tangent, primals, directions)
    assert (value, first) == pytest.approx(tangent(*primals), rel=1e-12)
    np.testing.assert_allclose(second, _slope_differences(slope, primals, directions),
                               **TOLERANCE)

    # reverse over forward: the gradient of the tangent, in the point and in the tangent
    _, pullback = srcdiff.vjp(tangent, *primals)
    grads = pullback((0.0, 1.0))
    for k, grad in enumerate(grads):
        if k in wrt or k >= len(args):
            np.testing.assert_allclose(grad, _gradient_differences(slope, primals, k),
                                       **TOLERANCE)


def test_a_third_derivative_through_a_decomposition_matches_differences():
    """Forward mode over forward over forward through ``np.linalg.cholesky``: the
    derivatives of ``cholesky_jvp`` are made of the Cholesky helpers again, so the third
    derivative is the slope of the second."""
    tangent = srcdiff.value_and_tangent(cholesky_of_gram)
    second = srcdiff.value_and_tangent(tangent)
    third = srcdiff.value_and_tangent(second)
    direction = M33 * 0.5
    value, slope = third(M33, M33.T, W33, direction)
    np.testing.assert_allclose(np.ravel(value), np.ravel(second(M33, M33.T, W33)), rtol=1e-12)
    moved = [np.ravel(second(M33 + step * direction, M33.T, W33)) for step in (STEP, -STEP)]
    np.testing.assert_allclose(np.ravel(slope), (moved[0] - moved[1]) / (2 * STEP), **TOLERANCE)
