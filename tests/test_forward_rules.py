"""Forward mode through the primitives whose JVPs are not made by a family constructor
(joins, extrema, products, moments, sorts, norms, ``np.linalg``, einsum, creation): each
user function's tangent, from ``srcdiff.jvp``, against central differences and against
reverse mode (⟨u, J v⟩ from ``srcdiff.vjp``), at ties, zeros and the call forms that pick
different tangent templates."""

import re

import numpy as np
import pytest

import srcdiff

STEP = 1e-6
RNG = np.random.default_rng(11)


def _moved(value, tangent, step):
    if tangent is None:
        return value
    if isinstance(value, np.ndarray):
        return value + step * np.asarray(tangent)
    return value + step * tangent


def directional(f, args, tangents):
    """Central differences of ``f`` along ``tangents`` (None: held fixed)."""
    def at(step):
        result = f(*[_moved(a, t, step) for a, t in zip(args, tangents)])
        return np.asarray(result, dtype=np.result_type(result, np.float64))
    return (at(STEP) - at(-STEP)) / (2 * STEP)


def _inner(a, b):
    return np.sum(np.real(np.conj(np.asarray(a)) * np.asarray(b)))


def check(f, args, tangents=None, rtol=1e-6, atol=1e-8, finite=True):
    """The forward tangent of ``f`` along ``tangents`` (random ones by default) equals
    central differences (unless ``finite=False``: at a kink, where they see an average)
    and the transpose of reverse mode: ⟨u, J v⟩ = ⟨Jᵀ u, v⟩ for a random ``u``."""
    if tangents is None:
        tangents = [_random_like(a) for a in args]
    value, tangent = srcdiff.jvp(f, tuple(args), tuple(tangents))
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    assert np.shape(tangent) == np.shape(value)
    if finite:
        np.testing.assert_allclose(tangent, directional(f, args, tangents), rtol=rtol,
                                   atol=atol)
    u = _random_like(value)
    _, vjp_fn = srcdiff.vjp(f, *args)
    grads = vjp_fn(u)
    reverse = sum(_inner(g, t) for g, t in zip(grads, tangents) if t is not None)
    assert _inner(u, tangent) == pytest.approx(reverse, rel=1e-9, abs=1e-12)
    return tangent


def _random_like(value):
    if isinstance(value, np.ndarray):
        if np.iscomplexobj(value):
            return RNG.standard_normal(value.shape) + 1j * RNG.standard_normal(value.shape)
        return RNG.standard_normal(value.shape)
    if isinstance(value, complex):
        return complex(RNG.standard_normal(), RNG.standard_normal())
    return float(RNG.standard_normal())


def _spd(n, batch=()):
    b = RNG.standard_normal(batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


# linear algebra


def solved(a, b):
    return np.linalg.solve(a, b) * 2.0


@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)),
                                              ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)),
                                              ((3, 3), (2, 3, 2))])
def test_solve_in_every_layout(a_shape, b_shape):
    a = RNG.standard_normal(a_shape) + 3 * np.eye(3)
    tangent = check(solved, [a, RNG.standard_normal(b_shape)])
    assert tangent.shape == np.linalg.solve(a, RNG.standard_normal(b_shape)).shape


def test_solve_prints_the_textbook_tangent():
    text = srcdiff.source(solved, mode="forward", wrt=("a", "b"),
                          args=(np.eye(3), np.ones(3)))
    assert "np.linalg.solve(a, a_dot @ t1)" in text
    assert "np.linalg.solve(a, b_dot)" in text


def determinants(a):
    sign, logdet = np.linalg.slogdet(a)
    return np.linalg.det(a) + 3.0 * logdet + np.sum(np.linalg.inv(a)) + sign


def test_det_slogdet_and_inv():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    check(determinants, [a])
    check(determinants, [RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)])


def det_only(a):
    return np.linalg.det(a)


def test_det_of_a_singular_matrix_has_a_tangent():
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])
    tangent = check(det_only, [singular])
    assert abs(tangent) > 1e-3


def decompositions(a):
    lower = np.linalg.cholesky(a)
    return (np.sum(lower * np.arange(9.0).reshape(3, 3)) + np.sum(np.linalg.eigvalsh(a) ** 2)
            + np.sum(np.linalg.eigvalsh(a, UPLO="U") * np.arange(3.0))
            + np.sum(np.linalg.svdvals(a) ** 3))


def test_decompositions_read_the_triangle_numpy_reads():
    a = _spd(3)
    check(decompositions, [a])
    skewed = a + np.triu(RNG.standard_normal((3, 3)), 1)  # only the upper triangle differs
    check(decompositions, [skewed])


def powers(a):
    return np.linalg.matrix_power(a, 3) + np.linalg.matrix_power(a, -2) + (
        np.linalg.matrix_power(a, 0))


def test_matrix_power_positive_negative_and_zero():
    check(powers, [RNG.standard_normal((3, 3)) + 3 * np.eye(3)])
    check(powers, [RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)])


def gram(x, y):
    return np.einsum("ij,kj->ik", x, x) + np.einsum("ij,ij->i", x, y) + np.einsum("ii", x @ y.T)


def test_einsum_with_an_operand_used_twice():
    text = srcdiff.source(gram, mode="forward", args=(np.ones((2, 3)), np.ones((2, 3))))
    assert "np.einsum('ij,kj->ik', x_dot, x) + np.einsum('ij,kj->ik', x, x_dot)" in text
    check(gram, [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))])


def polynomial(p, x):
    return np.polyval(p, x)


def test_polyval_in_coefficients_and_points():
    check(polynomial, [RNG.standard_normal(4), RNG.standard_normal((2, 3))])
    check(polynomial, [RNG.standard_normal(3), 0.7])


# joins and splits


def joined(x, y):
    ints = np.arange(2)
    pieces = [x, 2.0 * y, ints]
    grown = []
    for k in range(3):
        grown.append(x * k)
    flat = np.concatenate(pieces)
    return (np.sum(flat * np.arange(8.0)) + np.sum(np.stack(grown, axis=1) ** 2)
            + np.sum(np.hstack((x, y))) + np.sum(np.vstack([x, y]) ** 2)
            + np.sum(np.array([x[0], y[1], 2]) ** 3))


def test_joins_of_active_inactive_and_integer_items():
    check(joined, [RNG.standard_normal(3), RNG.standard_normal(3)])
    check(joined, [RNG.standard_normal(3), RNG.standard_normal(3)], [None, _random_like(
        np.zeros(3))])


def test_a_join_of_float_items_is_the_join_of_their_tangents():
    """Where an item may be an integer (whose tangent is None), zeros go in its place."""
    text = srcdiff.source(joined, mode="forward", args=(np.ones(3), np.ones(3)))
    assert re.search(r"_dot = np\.hstack\(t\d+_dot\)\n", text)
    assert re.search(r"_dot = np\.vstack\(t\d+_dot\)\n", text)
    assert "flat_dot = np.concatenate(filled_tangents(pieces_dot, pieces), 0)" in text
    assert "np.stack(filled_tangents(grown_dot, grown), 1)" in text


def splits(x):
    first, second = np.split(x, 2)
    parts = np.array_split(x, 3, axis=0)
    return np.sum(first * second) + np.sum(parts[2] ** 2) + np.sum(np.append(x, first * 3.0))


def test_split_array_split_and_append():
    check(splits, [RNG.standard_normal(4)])


def appended(a, b):
    return np.append(a, b, axis=1)


def test_append_along_an_axis():
    check(appended, [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2))])
    check(appended, [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2))],
          [None, RNG.standard_normal((2, 2))])


def summed(x, y):
    return sum([x, 2.0 * y, 3]) + sum((x, y), 1.5)


def test_builtin_sum_of_a_list_with_an_integer():
    check(summed, [RNG.standard_normal(3), RNG.standard_normal(3)])
    check(summed, [0.3, 0.4])


def summed_onto(x, start):
    return sum([x, x], start)


def test_builtin_sum_onto_a_larger_start():
    tangent = check(summed_onto, [RNG.standard_normal(3), RNG.standard_normal((2, 3))])
    assert tangent.shape == (2, 3)


# reductions


def extrema(x):
    return (np.max(x) + 2.0 * np.min(x, axis=0) @ np.ones(3) + np.sum(np.amax(x, axis=1))
            + np.ptp(x) + np.sum(np.amin(x, axis=1, keepdims=True)))


def test_extrema_split_ties_as_the_adjoint_does():
    tied = np.array([[1.0, 5.0, 5.0], [5.0, -2.0, 0.0]])
    v = RNG.standard_normal((2, 3))
    tangent = check(extrema, [tied], [v], finite=False)
    expected = ((v[0, 1] + v[0, 2] + v[1, 0]) / 3 + 2.0 * (v[0, 0] + v[1, 1] + v[1, 2])
                + (v[0, 1] + v[0, 2]) / 2 + v[1, 0] + (v[0, 1] + v[0, 2] + v[1, 0]) / 3
                - v[1, 1] + v[0, 0] + v[1, 1])
    assert tangent == pytest.approx(expected)
    check(extrema, [RNG.standard_normal((2, 3))])


def nan_extrema(x):
    return np.nanmax(x) + np.nansum(x, axis=0) @ np.arange(3.0) + np.nanmin(x)


def test_nan_reductions_give_nans_no_tangent():
    x = np.array([[1.0, np.nan, 2.0], [-1.0, 0.5, np.nan]])
    v = RNG.standard_normal((2, 3))
    tangent = check(nan_extrema, [x], [v], finite=False)
    # the max 2.0, the column sums weighted by 0, 1, 2, the min -1.0
    assert tangent == pytest.approx(v[0, 2] + (v[1, 1] + 2.0 * v[0, 2]) + v[1, 0])


def products(x):
    return np.prod(x) + np.sum(np.prod(x, axis=1)) + np.sum(np.cumprod(x, axis=0) ** 2) + (
        np.sum(np.cumprod(x)))


@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_products_are_exact_at_zeros(zeros):
    x = RNG.standard_normal((3, 3))
    x.flat[[4, 7][:zeros]] = 0.0
    check(products, [x])


def cumulative(x):
    return np.cumulative_prod(x, axis=1, include_initial=True)


def test_cumulative_prod_with_its_initial_one():
    x = RNG.standard_normal((2, 3))
    x[1, 1] = 0.0
    tangent = check(cumulative, [x])
    assert np.all(tangent[:, 0] == 0.0)


def moments(x):
    return (np.std(x, ddof=1) + np.sum(np.var(x, axis=0, ddof=1)) + np.sum(np.std(x, axis=1))
            + np.sum(np.var(x, axis=1, keepdims=True)))


def test_std_and_var_with_ddof_and_axes():
    check(moments, [RNG.standard_normal((3, 4))])


def middle(x):
    return np.median(x) + np.sum(np.median(x, axis=0)) * 2.0


def test_median_odd_and_even_counts():
    check(middle, [RNG.standard_normal((3, 4))])
    check(middle, [RNG.standard_normal((4, 3))])


def averaged(x, w):
    return np.sum(np.average(x, axis=1, weights=w)) + np.average(x)


def test_average_in_values_and_weights():
    check(averaged, [RNG.standard_normal((2, 3)), RNG.uniform(0.5, 1.5, 3)])


def sorted_sum(x):
    return np.sort(x)[0, 0] * 3.0 + np.sum(np.sort(x, axis=0)[-1] * np.arange(3.0)) + np.sort(
        x, axis=None)[2]


def test_sort_follows_the_elements():
    x = RNG.standard_normal((2, 3))
    v = RNG.standard_normal((2, 3))
    tangent = check(sorted_sum, [x], [v])
    order = np.argsort(x[0])
    assert tangent == pytest.approx(3.0 * v[0, order[0]] + sum(
        k * v[np.argmax(x[:, k]), k] for k in range(3)) + v.flat[np.argsort(x, axis=None)[2]])


# norms


@pytest.mark.parametrize("order", [None, 1, 2, 3, 0.5, np.inf, -np.inf])
def test_vector_norms(order):
    def norms(x):
        return np.linalg.norm(x, ord=order) + np.sum(np.linalg.norm(x.reshape(2, 3), ord=order,
                                                                    axis=1))
    check(norms, [RNG.standard_normal(6)])


@pytest.mark.parametrize("order", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norms(order):
    def norms(x):
        return np.linalg.norm(x, ord=order) + np.sum(np.linalg.matrix_norm(
            x.reshape(2, 3, 2), ord="fro" if order is None else order, keepdims=True))
    check(norms, [RNG.standard_normal((3, 4))])


def infinity_norm(x):
    return np.linalg.norm(x, ord=np.inf) + np.linalg.vector_norm(x, ord=1)


def test_the_infinity_norm_splits_a_tie():
    x = np.array([3.0, -3.0, 1.0])
    v = RNG.standard_normal(3)
    tangent = check(infinity_norm, [x], [v], finite=False)
    assert tangent == pytest.approx((v[0] - v[1]) / 2 + v[0] - v[1] + v[2])


def two_norm(x):
    return np.linalg.norm(x)


def test_the_two_norm_at_zero_takes_the_subgradient_zero():
    assert srcdiff.jvp(two_norm, (np.zeros(3),), (np.ones(3),))[1] == 0.0


# creation


def created(x, y):
    line = np.linspace(x, y, 5)
    open_line = np.linspace(x, 2.0 * y, 4, endpoint=False)
    steps = np.arange(x, 10.0, y)
    return (np.sum(line * np.arange(5.0)) + np.sum(open_line ** 2) + np.sum(steps ** 2)
            + np.sum(np.full((2, 3), x) * np.arange(6.0).reshape(2, 3))
            + np.sum(np.full_like(np.ones(3), y) ** 2) + np.sum(np.arange(x)))


def test_creation_with_active_endpoints_steps_and_fill_values():
    check(created, [0.3, 1.7])


def vector_line(start, stop):
    return np.linspace(start, stop, 4)


def test_linspace_with_array_endpoints():
    check(vector_line, [RNG.standard_normal(2), 1.5])
    check(vector_line, [0.5, RNG.standard_normal((2, 1))])


# complex operands


def complex_algebra(z, a):
    return np.sum(np.linalg.solve(a, z)) * np.prod(z) + np.linalg.det(a) + np.sum(
        np.cumprod(z))


def test_holomorphic_rules_take_complex_tangents():
    z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3) + 1j * RNG.standard_normal((3, 3))
    tangents = [_random_like(z), _random_like(a)]
    value, tangent = srcdiff.jvp(complex_algebra, (z, a), tuple(tangents))
    np.testing.assert_allclose(tangent, directional(complex_algebra, [z, a], tangents),
                               rtol=1e-6)


def complex_norm(z):
    return np.linalg.norm(z)


def test_rules_without_complex_support_refuse_complex_operands():
    z = np.array([1.0 + 1j, 2.0])
    with pytest.raises(srcdiff.SrcdiffError, match="not supported for complex"):
        srcdiff.jvp(complex_norm, (z,), (np.ones(2, dtype=complex),))


def sublists(x):
    return np.sum(np.einsum(x, [0, 1], [1]))


def test_einsum_sublists_are_refused_as_in_reverse_mode():
    for derivative in (srcdiff.gradient(sublists),
                       lambda x: srcdiff.jvp(sublists, (x,), (np.ones((2, 3)),))):
        with pytest.raises(srcdiff.SrcdiffError, match="sublist form"):
            derivative(np.ones((2, 3)))
