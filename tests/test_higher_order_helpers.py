"""Derivatives of derivatives whose inner derivative calls srcdiff's runtime helpers.

A gradient's code calls ``dpow_dx``, ``unbroadcast``, ``tie_weights``, ``one_hot`` and the
other helpers of ``srcdiff.runtime``; differentiating it again needs their rules
(``srcdiff/primitives/helpers.py``). Each function here makes its gradient call some of
them (the docstring-free names say which construct does); its Hessian, by forward mode over
reverse mode (``srcdiff.hessian``) and by reverse mode over reverse mode
(``jacrev(gradient(f))``), must equal central differences of ``srcdiff.gradient(f)``, and be
symmetric.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import srcdiff
from srcdiff import SrcdiffError
from srcdiff.runtime import check_scalar

STEP = 1e-5
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}

X = np.array([0.7, -1.3, 2.1, 0.4])
POSITIVE = np.array([0.7, 1.3, 2.1, 0.4])
M = np.array([[0.3, -1.2, 0.8], [1.1, 0.5, -0.7]])
A = np.array([[3.0, 0.2, -0.4], [0.1, 2.5, 0.3], [-0.2, 0.6, 4.0]])
STACK = np.array([[[3.0, 0.2, -0.4], [0.1, 2.5, 0.3], [-0.2, 0.6, 4.0]],
                  [[2.0, 0.1, 0.0], [0.3, 3.0, -0.2], [0.1, 0.2, 2.5]]])


def power(v):
    return np.sum(v[:2] ** v[2:])


def sinc(v):
    return np.sum(np.sinc(v) * v)


def hypot(v):
    return np.sum(np.hypot(v[:2], v[2:]) * v[:2])


def masked(v):
    positive = v[v > 0]
    return np.sum(positive * positive[:, None] * v[0])


def broadcast(m):
    return np.sum((m + m[0]) * np.sin(m))


def mean_over_axis(m):
    return np.sum(np.mean(m, axis=0) ** 2)


def sum_over_axis(m):
    return np.sum(np.sum(m * m, axis=1) ** 2)


def axis_in_a_variable(m):
    ax = 1
    return np.sum(np.sum(m ** 2, axis=ax) ** 2 * np.mean(m, axis=ax))


def maximum(v):
    return np.max(v) * np.sum(v ** 2)


def list_in_a_loop(v):
    parts = [v[0] * v[1], np.sin(v[2]), v[3] ** 2]
    s = 0.0
    for i in range(3):
        s = s + parts[i] * parts[(i + 1) % 3]
    return s


def tuple_unpacked(v):
    pair = (v[:2] * v[2], v[2:] ** 2)
    a, b = pair
    return np.sum(a * b) + pair[0][1] * pair[1][0]


def stored_twice(v):
    y = np.zeros(4)
    y[np.array([0, 2, 0])] = v[:3] * v[3]
    return np.sum(y ** 2)


def gathered(v):
    return np.sum(v[[0, 2, 0]] ** 3 * v[1])


def gathered_columns(m):
    return np.sum(m[:, [0, 2, 0]] ** 3)


def gathered_rows(m):
    rows = np.array([0, 1, 0])
    return np.sum(m[rows, 1:] ** 3)


def scattered(v):
    y = np.zeros(4)
    np.add.at(y, np.array([0, 2, 0]), v[:3] * v[3])
    return np.sum(y ** 3)


def product(v):
    return np.prod(v) + np.sum(v ** 3)


def cumulative_sum(v):
    return np.sum(np.cumsum(v) ** 2)


def cumulative_with_initial(v):
    return np.sum(np.cumulative_sum(v, include_initial=True) ** 2)


def cumulative_product(v):
    return np.sum(np.cumprod(v) * v)


def deviation(v):
    return np.std(v) * np.sum(v)


def ordered(v):
    return np.sum(np.sort(v) * np.arange(4.0) * v)


def middle(v):
    return np.median(v) * np.sum(v ** 2)


def norm(v):
    return np.linalg.norm(v) ** 3


def nuclear_norm(m):
    return np.linalg.norm(m, "nuc") * np.sum(m)


def spectral_norm(m):
    return np.linalg.norm(m, 2) ** 2


def weighted_average(v):
    return np.average(v, weights=v ** 2 + 1.0) * np.sum(v)


def joined(v):
    return np.sum(np.concatenate([v, v ** 2]) ** 2)


def halves(v):
    a, b = np.split(v, 2)
    return np.sum(a * b ** 2)


def stacked(v):
    return np.sum(np.stack([v, v ** 2], axis=1) ** 2)


def side_by_side(v):
    return np.sum(np.hstack([v, v ** 2]) ** 3)


def rows(v):
    return np.sum(np.vstack([v, v ** 2]) ** 3)


def from_a_list(v):
    return np.sum(np.array([v[0] * v[1], v[2], v[3] ** 2]) ** 2)


def builtin_sum(v):
    parts = [v[0] * v[1], v[2] ** 2, v[3]]
    return sum(parts) ** 2


def tiled(v):
    return np.sum(np.tile(v, 2) ** 2 * np.arange(8.0))


def repeated(v):
    return np.sum(np.repeat(v, 2) ** 3)


def padded(v):
    return np.sum(np.pad(v, 1) ** 2 * np.arange(6.0))


def taken(v):
    return np.sum(np.take(v, [0, 2, 2]) ** 3)


def taken_along(m):
    return np.sum(np.take_along_axis(m, np.array([[0, 2], [1, 1]]), 1) ** 3)


def diagonal(a):
    return np.sum(np.diagonal(a) ** 3)


def trace(a):
    return np.trace(a) ** 3


def traces_off_the_diagonal(m):
    return np.trace(m, 1) ** 3 + np.linalg.trace(m * m) ** 2


def differences(v):
    return np.sum(np.diff(v, 2) ** 3)


def convolved(v):
    return np.sum(np.convolve(v, v, "same") ** 2)


def vector_times_stack(v):
    return np.sum(np.matmul(v[:3], STACK) ** 2)


def dot_with_a_stack(m):
    return np.sum(np.dot(m, STACK) ** 2)


def tensordot(m):
    return np.sum(np.tensordot(m, m * m, axes=([0], [0])) ** 2)


def kronecker(m):
    return np.sum(np.kron(m, m ** 2) ** 2)


def einsum_diagonal(a):
    return np.sum(np.einsum("ii->i", a * a) ** 2)


def solve(v):
    return np.sum(np.linalg.solve(A + np.outer(v[:3], v[:3]), v[:3]) ** 2)


def solve_a_stack(v):
    return np.sum(np.linalg.solve(STACK + v[0], v[1:]) ** 2)


def cholesky(a):
    return np.sum(np.linalg.cholesky(a @ a.T + 3.0 * np.eye(3)) ** 3)


def eigenvalues(a):
    return np.sum(np.linalg.eigvalsh(a + a.T) ** 3)


def singular_values(m):
    return np.sum(np.linalg.svdvals(m) ** 3)


def matrix_power(a):
    return np.sum(np.linalg.matrix_power(a, 3))


def inverse_power(a):
    return np.sum(np.linalg.matrix_power(a, -2))


def determinant(a):
    return np.linalg.det(a) ** 2


def polynomial(v):
    return np.sum(np.polyval(v, v))


def samples(v):
    return np.sum(np.linspace(v[:2], v[2:], 5) ** 3)


# function, argument, the helpers its gradient calls, and marks for the Hessian
CASES = [
    (power, POSITIVE, ("dpow_dx", "dpow_dy"), ()),
    (sinc, X, ("dsinc_dx",), ()),
    (hypot, X, ("unit",), ()),
    (masked, X, ("unbroadcast",), ()),
    (broadcast, M, (), ()),
    (mean_over_axis, M, (), ()),
    (sum_over_axis, M, (), ()),
    (axis_in_a_variable, M, ("expand_reduced", "reduced_size"), ()),
    (maximum, X, ("tie_weights",), ()),
    (list_in_a_loop, X, ("one_hot", "add_tree"), ()),
    (tuple_unpacked, X, ("one_hot", "add_tree"), ()),
    (stored_twice, X, ("last_assigned",), ()),
    (gathered, X, ("np.add.at",), ()),
    (gathered_columns, M, ("np.add.at",), ()),
    (gathered_rows, M, ("np.add.at",), ()),
    (scattered, X, (), ()),
    (product, X, ("product_of_others",), ()),
    (cumulative_sum, X, (), ()),
    (cumulative_with_initial, X, ("reverse_cumsum",), ()),
    (cumulative_product, X, ("cumprod_vjp",), ()),
    (deviation, X, ("unit", "deviations"), ()),
    (ordered, X, ("unsort",), ()),
    (middle, X, ("median_weights",), ()),
    (norm, X, ("unit",), ()),
    (nuclear_norm, M, ("svdvals_derivative_vjp",), ()),
    (spectral_norm, M, ("svdvals_derivative_vjp",), ()),
    (weighted_average, X, ("average_vjp",), ()),
    (joined, X, ("split_like",), ()),
    (halves, X, (), ()),
    (stacked, X, ("unstack_like",), ()),
    (side_by_side, X, ("split_hstack",), ()),
    (rows, X, ("split_vstack",), ()),
    (from_a_list, X, ("unarray",), ()),
    (builtin_sum, X, ("spread",), ()),
    (tiled, X, ("untile",), ()),
    (repeated, X, ("unrepeat",), ()),
    (padded, X, ("unpad",), ()),
    (taken, X, ("untake",), ()),
    (taken_along, M, ("untake_along_axis",), ()),
    (diagonal, A, ("undiagonal",), ()),
    (trace, A, ("eye_like",), ()),
    (traces_off_the_diagonal, M, ("eye_like",), ()),
    (differences, X, ("diff_vjp",), ()),
    (convolved, X, ("pad_to_full",), ()),
    (vector_times_stack, X, ("matmul_lhs_vjp",), ()),
    (dot_with_a_stack, M, ("dot_lhs_vjp",), ()),
    (tensordot, M, ("tensordot_lhs_vjp", "tensordot_rhs_vjp"), ()),
    (kronecker, M, ("kron_vjp",), ()),
    (einsum_diagonal, A, ("einsum_like",), ()),
    (solve, X, (), ()),
    (solve_a_stack, X, ("solve_lhs_vjp", "solve_rhs_vjp"), ()),
    (cholesky, A, ("cholesky_vjp",), ()),
    (eigenvalues, A, ("eigvalsh_vjp",), ()),
    (singular_values, M, ("svdvals_vjp",), ()),
    (matrix_power, A, ("matrix_power_vjp",), ()),
    (inverse_power, A, ("matrix_power_vjp",), ()),
    (determinant, A, ("adjugate",), ()),
    (polynomial, X, ("polyval_derivative", "polyval_coefficients_vjp"), ()),
    (samples, X, ("linspace_vjp",), ()),
]


def _params(marked):
    return [pytest.param(fn, x, helpers, id=fn.__name__, marks=marks if marked else ())
            for fn, x, helpers, marks in CASES]


def differences_of_gradient(f, x):
    gradient = srcdiff.gradient(f)
    result = np.zeros(x.shape + x.shape)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = STEP
        result[i] = (np.asarray(gradient(x + step)) - np.asarray(gradient(x - step))) / (
            2 * STEP)
    return result


def _check_hessian(hessian, f, x):
    hessian = np.asarray(hessian)
    assert hessian.shape == x.shape + x.shape
    np.testing.assert_allclose(hessian, differences_of_gradient(f, x), **TOLERANCE)
    n = x.size
    square = hessian.reshape(n, n)
    np.testing.assert_allclose(square, square.T, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("f, x, helpers", _params(marked=False))
def test_the_gradient_calls_the_helpers(f, x, helpers):
    text = srcdiff.source(f, args=(x,))
    for name in helpers:
        assert f"{name}(" in text, f"{f.__name__}'s gradient does not call {name}\n{text}"


@pytest.mark.parametrize("f, x, helpers", _params(marked=True))
def test_hessian(f, x, helpers):
    _check_hessian(srcdiff.hessian(f)(x), f, x)


@pytest.mark.parametrize("f, x, helpers", _params(marked=False))
def test_reverse_over_reverse(f, x, helpers):
    _check_hessian(srcdiff.jacrev(srcdiff.gradient(f))(x), f, x)


def test_hessian_vector_product():
    v = np.array([0.3, -1.0, 0.5, 2.0])
    expected = differences_of_gradient(product, X).reshape(4, 4) @ v
    np.testing.assert_allclose(srcdiff.hvp(product)(X, v), expected, **TOLERANCE)


# scalar code: derivatives of any order


def straight_line(x):
    y = x ** 3.5 + math.sin(x) * x ** x
    return y * 2.0 + np.sinc(x)


def power_of_two(x, y):
    return x ** y


def sinc_alone(x):
    return np.sinc(x)


@pytest.mark.parametrize("x", [0.4, 1.3, 2.2])
def test_gradient_of_gradient_of_straight_line_code(x):
    first = srcdiff.gradient(straight_line)
    second = srcdiff.gradient(first)
    third = srcdiff.gradient(second)
    assert second(x) == pytest.approx((first(x + STEP) - first(x - STEP)) / (2 * STEP),
                                      rel=1e-6)
    assert third(x) == pytest.approx((second(x + STEP) - second(x - STEP)) / (2 * STEP),
                                     rel=1e-5)
    assert type(second(x)) is float


@pytest.mark.parametrize("y, expected", [(2.0, 2.0), (1.0, 0.0), (3.0, 0.0), (0.0, 0.0),
                                         (2.5, 0.0)])
def test_second_derivative_of_a_power_at_zero(y, expected):
    """x ** y at x = 0: y (y - 1) x ** (y - 2) is 2 for y = 2, and 0 for y = 0 and 1 (where
    x ** y is constant or linear in x) and for y = 2.5 and 3."""
    assert srcdiff.gradient(srcdiff.gradient(power_of_two))(0.0, y) == expected
    assert srcdiff.hessian(power_of_two)(0.0, y) == expected


def test_mixed_second_derivatives_of_a_power():
    """At x = 0 (where differences would step to negative bases) the Hessian of x ** 2 in
    (x, y) is [[2, 0], [0, 0]]: x (1 + 2 log x) and x ** 2 log(x) ** 2 tend to 0."""
    at_zero = srcdiff.hessian(power_of_two, wrt=(0, 1))(0.0, 2.0)
    np.testing.assert_array_equal(np.array(at_zero, dtype=float), [[2.0, 0.0], [0.0, 0.0]])
    for x, y in ((1.5, 0.0), (2.0, 0.5), (0.5, 3.0)):
        hessian = srcdiff.hessian(power_of_two, wrt=(0, 1))(x, y)
        gradient = srcdiff.gradient(power_of_two, wrt=(0, 1))
        for i in range(2):
            up = list((x, y))
            down = list((x, y))
            up[i] += STEP
            down[i] -= STEP
            slope = (np.array(gradient(*up)) - np.array(gradient(*down))) / (2 * STEP)
            np.testing.assert_allclose(np.array(hessian[i], dtype=float), slope, atol=1e-5)


def test_sinc_at_zero():
    """sinc''(0) is -pi**2 / 3 and sinc'''(0) is 0, though dsinc_dx is 0/0 there."""
    second = srcdiff.gradient(srcdiff.gradient(sinc_alone))
    assert second(0.0) == pytest.approx(-math.pi ** 2 / 3)
    assert srcdiff.hessian(sinc_alone)(0.0) == pytest.approx(-math.pi ** 2 / 3)
    assert srcdiff.gradient(second)(0.0) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("v", [np.array([0.0, 2.0, 3.0, 0.5]), np.array([0.0, 2.0, 0.0, 0.5])])
def test_product_with_zeros(v):
    """np.prod's Hessian where elements are zero: the products of all but two elements,
    computed without division."""
    expected = np.array([[0.0 if i == j else np.prod(np.delete(v, [i, j]))
                          for j in range(4)] for i in range(4)])

    def prod(x):
        return np.prod(x)
    np.testing.assert_allclose(srcdiff.hessian(prod)(v), expected)
    np.testing.assert_allclose(srcdiff.jacrev(srcdiff.gradient(prod))(v), expected)


def test_cumulative_product_with_zeros():
    v = np.array([1.5, 0.0, -2.0, 0.5])
    _check_hessian(srcdiff.jacrev(srcdiff.gradient(cumulative_product))(v),
                   cumulative_product, v)


def test_determinant_of_a_singular_matrix():
    """det's gradient is the adjugate, whose derivative exists at singular matrices."""
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])

    def det(a):
        return np.linalg.det(a)
    _check_hessian(srcdiff.jacrev(srcdiff.gradient(det))(singular), det, singular)


def test_derivative_of_the_derivative_of_a_lambda():
    cube = lambda x: x ** 3  # noqa: E731 (a lambda is what this is about)
    assert srcdiff.gradient(srcdiff.gradient(cube))(2.0) == 12.0


def maybe_assigned(x, flag):
    if flag > 0:
        y = x * x
    return y * x


def checked(x):
    y = np.sum(x ** 3)
    check_scalar(y, "checked")
    return y


def test_the_checks_run_in_derivatives_of_derivatives():
    """A gradient checks that a local read after a branch was bound (require_assigned);
    its own derivative runs the check too."""
    assert srcdiff.gradient(srcdiff.gradient(maybe_assigned))(1.5, 1) == pytest.approx(9.0)
    assert srcdiff.hessian(maybe_assigned)(1.5, 1) == pytest.approx(9.0)
    with pytest.raises(UnboundLocalError):
        srcdiff.gradient(srcdiff.gradient(maybe_assigned))(1.5, 0)
    np.testing.assert_allclose(srcdiff.hessian(checked)(np.array([1.0, 2.0])),
                               [[6.0, 0.0], [0.0, 12.0]])


def check_in_an_expression(x):
    return check_scalar(x, "f") * 2.0


def test_a_check_is_a_statement():
    with pytest.raises(SrcdiffError, match="a check run for its effect"):
        srcdiff.gradient(check_in_an_expression)(1.0)


def cubic(x):
    return np.sum(x ** 3 * 2.0)


def scalar_cubic(x):
    return x ** 3 * 2.0


def phase(x):
    return np.sum(np.real(np.exp(1j * x) * (2.0 - 1j)) * x)


@pytest.mark.parametrize("x", [np.float32(0.5), np.array(0.5), np.float64(0.5), 0.5])
def test_the_casts_that_end_a_gradient_of_a_scalar(x):
    """A gradient casts its result to its argument's type (``np.float32(x_bar)``,
    ``np.asarray(x_bar, dtype=np.float64)``, ``float(x_bar)``); those casts have rules."""
    assert srcdiff.gradient(srcdiff.gradient(scalar_cubic))(x) == pytest.approx(6.0)
    assert srcdiff.hessian(scalar_cubic)(x) == pytest.approx(6.0)


def test_the_cast_that_ends_a_gradient_of_float32():
    x = np.array([0.5, -1.5], dtype=np.float32)
    assert ".astype(np.float32, copy=False)" in srcdiff.source(cubic, args=(x,))
    for hessian in (srcdiff.hessian(cubic)(x), srcdiff.jacrev(srcdiff.gradient(cubic))(x)):
        np.testing.assert_allclose(hessian, np.diag(12.0 * x))


def test_the_real_part_of_a_complex_adjoint():
    """A real argument's share of an adjoint computed in complex arithmetic is its real
    part, ``.real`` in the gradient."""
    x = np.array([0.3, -1.2])
    assert ".real" in srcdiff.source(phase, args=(x,))
    expected = np.diag(2 * (-2 * np.sin(x) + np.cos(x)) - (2 * np.cos(x) + np.sin(x)) * x)
    np.testing.assert_allclose(srcdiff.hessian(phase)(x), expected)
    np.testing.assert_allclose(srcdiff.jacrev(srcdiff.gradient(phase))(x), expected)


def calls_functions_named_like_helpers(t):
    return matrix_power(A + t * A.T) + cholesky(A * t)


def test_a_function_named_like_a_helper_keeps_its_vjp_apart():
    """The VJP of a function of the user's called ``matrix_power`` is printed as
    ``matrix_power_vjp_``: ``matrix_power_vjp`` is the runtime helper its own code calls
    (the two under one name made the printed derivative call itself)."""
    text = srcdiff.source(calls_functions_named_like_helpers, args=(0.3,))
    assert "def matrix_power_vjp_(" in text and "def cholesky_vjp_(" in text
    assert "= matrix_power_vjp(" in text and "= cholesky_vjp(" in text
    first = srcdiff.gradient(calls_functions_named_like_helpers)
    second = srcdiff.gradient(first)
    assert second(0.3) == pytest.approx((first(0.3 + STEP) - first(0.3 - STEP)) / (2 * STEP),
                                        rel=1e-6)
