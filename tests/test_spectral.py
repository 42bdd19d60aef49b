"""Derivatives of every order through ``np.linalg.eigvalsh``, ``np.linalg.svdvals`` and the
matrix norms built on singular values (``'nuc'``, 2, -2).

Their helpers of order three and up are one family (``srcdiff/runtime/spectral.py``):
``eigvalsh_derivative(b, order)``, the derivative of that order with its point and
directions packed in ``b`` by nested ``power_block`` calls, and its adjoint
``eigvalsh_derivative_vjp``, whose derivatives are the same two helpers one order up (and
likewise for ``svdvals``). Here the family is checked against the helpers of lower order it
continues, against central differences of itself at the order below, and its adjoint
against its tangent one order up (an identity the closure rests on, so it must hold to
rounding). Then whole functions are differentiated five times, in reverse mode, forward
mode and mixed, against central differences of their fourth derivative.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import srcdiff
from srcdiff import SrcdiffError, runtime
from srcdiff.runtime import power_block

RNG = np.random.default_rng(11)
STEP = 1e-5


def _packed(point, *directions):
    """``point`` and ``directions`` packed as the rules' templates pack them."""
    packed = point
    for depth, direction in enumerate(directions):
        lifted = direction
        for _ in range(depth):
            lifted = power_block(lifted, 0.0 * lifted)
        packed = power_block(packed, lifted)
    return packed


def _symmetric_enough(shape):
    """A matrix (stack) whose symmetric parts have eigenvalues well apart."""
    a = RNG.standard_normal(shape)
    return a + np.diag(np.arange(shape[-1]) * 1.5)


# the family continues the helpers of the first and second derivatives


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_eigvalsh_family_continues_its_lower_orders(shape, uplo):
    a, t, s = (RNG.standard_normal(shape) for _ in range(3))
    v = RNG.standard_normal(shape[:-1])
    derivative, vjp = runtime.eigvalsh_derivative, runtime.eigvalsh_derivative_vjp
    np.testing.assert_allclose(derivative(a, 0, uplo), np.linalg.eigvalsh(a, uplo))
    np.testing.assert_allclose(derivative(_packed(a, t), 1, uplo),
                               runtime.eigvalsh_tangent(a, t, uplo), atol=1e-12)
    np.testing.assert_allclose(derivative(_packed(a, t, s), 2, uplo),
                               runtime.eigvalsh_jvp2(a, t, s, uplo), atol=1e-12)
    np.testing.assert_allclose(vjp(v, a, 0, uplo), runtime.eigvalsh_vjp(v, a, uplo),
                               atol=1e-12)
    hvp = runtime.diagonal_blocks(vjp(v, _packed(a, t), 1, uplo))
    np.testing.assert_allclose(hvp, runtime.eigvalsh_hvp(v, a, t, uplo), atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (2, 3, 2)])
def test_svdvals_family_continues_its_lower_orders(shape):
    x, t, s = (RNG.standard_normal(shape) for _ in range(3))
    v = RNG.standard_normal(shape[:-2] + (min(shape[-2:]),))
    derivative, vjp = runtime.svdvals_derivative, runtime.svdvals_derivative_vjp
    np.testing.assert_allclose(derivative(x, 0), np.linalg.svdvals(x))
    np.testing.assert_allclose(derivative(_packed(x, t), 1), runtime.svdvals_tangent(x, t),
                               atol=1e-12)
    np.testing.assert_allclose(derivative(_packed(x, t, s), 2),
                               runtime.svdvals_jvp2(x, t, s), atol=1e-12)
    np.testing.assert_allclose(vjp(v, x, 0), runtime.svdvals_vjp(v, x), atol=1e-12)
    hvp = runtime.diagonal_blocks(vjp(v, _packed(x, t), 1))
    np.testing.assert_allclose(hvp, runtime.svdvals_hvp(v, x, t), atol=1e-12)


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_the_matrix_norms_are_weighted_singular_values(ord):
    x, t, s = (RNG.standard_normal((3, 4)) for _ in range(3))
    norm = np.linalg.norm(x, ord)
    assert runtime.svdvals_derivative(x, 0, ord) == pytest.approx(norm)
    assert runtime.svdvals_derivative(_packed(x, t), 1, ord) == pytest.approx(
        runtime.norm_jvp(t, norm, x, ord))
    assert runtime.svdvals_derivative(_packed(x, t, s), 2, ord) == pytest.approx(
        runtime.norm_jvp2(x, t, s, norm, ord))
    np.testing.assert_allclose(runtime.svdvals_derivative_vjp(0.7, x, 0, ord),
                               runtime.norm_vjp(0.7, norm, x, ord), atol=1e-12)
    np.testing.assert_allclose(
        runtime.diagonal_blocks(runtime.svdvals_derivative_vjp(0.7, _packed(x, t), 1, ord)),
        runtime.norm_hvp(0.7, norm, x, t, ord), atol=1e-12)


# orders beyond: central differences, symmetry, and the adjoint one order up

FAMILIES = {
    "eigvalsh-L": (runtime.eigvalsh_derivative, runtime.eigvalsh_derivative_vjp, ("L",),
                   (4, 4)),
    "eigvalsh-U-stack": (runtime.eigvalsh_derivative, runtime.eigvalsh_derivative_vjp,
                         ("U",), (2, 3, 3)),
    "svdvals-wide": (runtime.svdvals_derivative, runtime.svdvals_derivative_vjp, (None,),
                     (3, 5)),
    "svdvals-tall": (runtime.svdvals_derivative, runtime.svdvals_derivative_vjp, (None,),
                     (4, 2)),
    "nuclear": (runtime.svdvals_derivative, runtime.svdvals_derivative_vjp, ("nuc",), (3, 4)),
    "spectral": (runtime.svdvals_derivative, runtime.svdvals_derivative_vjp, (2,), (4, 3)),
    "smallest": (runtime.svdvals_derivative, runtime.svdvals_derivative_vjp, (-2,), (3, 3)),
}


def _family(name):
    derivative, vjp, extra, shape = FAMILIES[name]
    point = _symmetric_enough(shape) if derivative is runtime.eigvalsh_derivative else (
        RNG.standard_normal(shape))
    directions = [RNG.standard_normal(shape) for _ in range(5)]
    return derivative, vjp, extra, point, directions


@pytest.mark.parametrize("name", list(FAMILIES))
@pytest.mark.parametrize("order", [3, 4])
def test_each_order_is_the_slope_of_the_one_below(name, order):
    derivative, _, extra, a, ts = _family(name)
    lower = ts[:order - 1]

    def below(step):
        return derivative(_packed(a + step * ts[order - 1], *lower), order - 1, *extra)
    slope = (below(STEP) - below(-STEP)) / (2 * STEP)
    got = derivative(_packed(a, *ts[:order]), order, *extra)
    np.testing.assert_allclose(got, slope, rtol=1e-6, atol=1e-6 * (1 + np.max(np.abs(got))))
    reordered = derivative(_packed(a, *ts[:order][::-1]), order, *extra)
    np.testing.assert_allclose(reordered, got, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", list(FAMILIES))
@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_the_adjoint_is_the_tangent_one_order_up(name, order):
    """<vjp(v, b), c> = v . derivative(power_block(b, c), order + 1) for any c, its unread
    blocks too: the rules' templates rest on it. Central differences confirm it."""
    derivative, vjp, extra, a, ts = _family(name)
    b = _packed(a, *ts[:order])
    c = RNG.standard_normal(b.shape)
    v = RNG.standard_normal(np.shape(derivative(b, order, *extra)))
    adjoint = float(np.sum(vjp(v, b, order, *extra) * c))
    tangent = float(np.sum(v * derivative(power_block(b, c), order + 1, *extra)))
    assert adjoint == pytest.approx(tangent, rel=1e-10, abs=1e-10)
    slope = (derivative(b + STEP * c, order, *extra) - derivative(b - STEP * c, order, *extra)) / (
        2 * STEP)
    assert adjoint == pytest.approx(float(np.sum(v * slope)), rel=1e-6, abs=1e-6)


def test_adjoints_keep_the_packed_layout():
    a, t = _symmetric_enough((3, 3)), RNG.standard_normal((3, 3))
    b = _packed(a, t)
    adjoint = runtime.eigvalsh_derivative_vjp(np.ones(3), b, 1)
    assert adjoint.shape == (6, 6)
    np.testing.assert_array_equal(adjoint[3:], 0.0)
    np.testing.assert_array_equal(np.triu(adjoint[:3, :3], 1), 0.0)
    x = RNG.standard_normal((2, 3))
    assert runtime.svdvals_derivative_vjp(np.ones(2), _packed(x, x, x), 2).shape == (8, 12)
    assert runtime.svdvals_derivative(_packed(x, x), 1, "nuc").shape == ()


def test_equal_eigenvalues_give_numbers_not_errors():
    """Where two eigenvalues are equal the derivatives do not exist; the helpers take the
    pair's terms as 0 (as eigvalsh_hvp does) without raising or warning."""
    t, s, r = (RNG.standard_normal((3, 3)) for _ in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            third = runtime.eigvalsh_derivative(_packed(np.eye(3), t, s, r), 3)
            adjoint = runtime.eigvalsh_derivative_vjp(np.arange(3.0), _packed(np.eye(3), t), 1)
            square = runtime.svdvals_derivative_vjp(np.ones(3), _packed(np.zeros((3, 3)), t), 1)
    assert np.all(np.isfinite(third)) and np.all(np.isfinite(adjoint))
    assert np.all(np.isfinite(square))


# whole functions, differentiated five times

M = np.array([[0.3, -1.2, 0.8], [1.1, 0.5, -0.7]])
M_DIRECTION = np.linspace(0.3, -0.5, 6).reshape(2, 3)
A = np.array([[3.0, 0.2, -0.4], [0.1, 2.5, 0.3], [-0.2, 0.6, 4.0]])
A_DIRECTION = np.linspace(0.3, -0.5, 9).reshape(3, 3)
STACK = np.stack([A, A.T + np.diag([0.5, -0.5, 1.0])])
T = 0.1


def eigenvalues(t):
    a = A + t * A_DIRECTION
    return np.sum(np.array([1.0, -2.0, 0.5]) * np.linalg.eigvalsh(a @ a.T) ** 2)


def eigenvalues_of_a_stack_upper(t):
    a = STACK + t * A_DIRECTION
    return np.sum(np.sin(np.linalg.eigvalsh(a, UPLO="U")))


def singular_values(t):
    return np.sum(np.exp(np.linalg.svdvals(M + t * M_DIRECTION)))


def nuclear_norm_over_moved_axes(t):
    m = np.stack([M, M[::-1]], axis=1) + t * np.stack([M_DIRECTION, M], axis=1)
    return np.sum(np.linalg.norm(m, "nuc", axis=(0, 2), keepdims=True) ** 2)


def spectral_norm(t):
    return np.sqrt(np.linalg.norm(M + t * M_DIRECTION, 2))


def smallest_singular_value(t):
    return np.linalg.matrix_norm(A + t * A_DIRECTION, ord=-2) ** 3


FUNCTIONS = [eigenvalues, eigenvalues_of_a_stack_upper, singular_values,
             nuclear_norm_over_moved_axes, spectral_norm, smallest_singular_value]


def _slope(f):
    return (f(T + 1e-4) - f(T - 1e-4)) / 2e-4


def _check(derivative, lower):
    expected = _slope(lower)
    assert derivative == pytest.approx(expected, rel=1e-5, abs=1e-6 * (1 + abs(lower(T))))


def _times(operator, f, n):
    for _ in range(n):
        f = operator(f)
    return f


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_fifth_derivative_in_reverse_mode(f):
    fourth = _times(srcdiff.gradient, f, 4)
    _check(srcdiff.gradient(fourth)(T), fourth)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_third_derivative_in_forward_mode(f):
    second = _times(srcdiff.jacfwd, f, 2)
    _check(srcdiff.jacfwd(second)(T), second)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_fourth_derivative_forward_over_reverse(f):
    third = srcdiff.gradient(srcdiff.gradient(srcdiff.gradient(f)))
    _check(srcdiff.hessian(srcdiff.hessian(f))(T), third)
    _check(srcdiff.jacfwd(third)(T), third)


def test_the_code_reads_as_derivatives_of_packed_blocks():
    """The first derivative of a spectral norm calls the family at order 0; the fourth
    calls it at order 2, at blocks of blocks."""
    first = srcdiff.source(spectral_norm, args=(T,))
    assert "svdvals_derivative_vjp(t3_bar, t2, 0, 2)" in first and "norm_vjp(" not in first
    fourth = srcdiff.source(_times(srcdiff.gradient, spectral_norm, 3), args=(T,))
    assert re.search(r"svdvals_derivative_vjp\(\w+, power_block\(\w+, \w+\), 2, 2\)", fourth)


ORDER = "nuc"


def nuclear_norm_of_an_order_in_a_variable(t):
    return np.linalg.norm(M + t * M_DIRECTION, ORDER) ** 2


def test_a_norm_whose_order_is_not_a_literal_stops_at_the_second_derivative():
    """Its order known only at run time, the norm goes through norm_vjp, whose helpers have
    no third derivative: refused where it is asked for, never a wrong number."""
    f = nuclear_norm_of_an_order_in_a_variable
    second = srcdiff.gradient(srcdiff.gradient(f))
    assert "norm_vjp(" in srcdiff.source(f, args=(T,))
    _check(second(T), srcdiff.gradient(f))
    with pytest.raises(SrcdiffError, match="order three or more through a norm") as info:
        srcdiff.gradient(second)(T)
    assert info.value.lineno is not None
