"""Derivatives at the points where textbook formulas divide by zero, take log(0) or index an
empty array, though the derivative itself exists: each test here failed once (NaN, an
exception, or a silent zero). The registry-wide search for more of them is
``tests/test_rule_edges.py``."""

import math
import warnings

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff


def quietly(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


POWERS = """
    import math

    import numpy as np

    def np_power(x, y):
        return np.sum(np.power(x, y))

    def operator(x, y):
        return x ** y

    def math_pow(x, y):
        return math.pow(x, y)

    def polynomial(c, x):
        s = 0.0
        for k in range(len(c)):
            s = s + c[k] * x ** k
        return s

    def zeroth(x):
        return x ** 0

    def first(x):
        return x ** 1

    def second(x):
        return x ** 2

    def root(x):
        return x ** 0.5
    """


@pytest.mark.parametrize("name", ["np_power", "operator", "math_pow"])
def test_power_of_zero_has_zero_exponent_derivative(module_from, name):
    """d/dy 0 ** y = 0 for y > 0; the template ans * log(x) made 0 * -inf = NaN (and
    math.log(0.0) raised)."""
    f = getattr(module_from(POWERS), name)
    x_bar, y_bar = srcdiff.gradient(f, wrt=(0, 1))(0.0, 2.0)
    assert (x_bar, y_bar) == (0.0, 0.0) and type(y_bar) is float


def test_power_of_zero_arrays(module_from):
    f = module_from(POWERS).np_power
    x, y = np.array([0.0, 0.0, 2.0]), np.array([2.0, 3.0, 1.5])
    x_bar, y_bar = srcdiff.gradient(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(y_bar, [0.0, 0.0, 2.0 ** 1.5 * math.log(2.0)])
    np.testing.assert_allclose(x_bar, [0.0, 0.0, 1.5 * 2.0 ** 0.5])


def test_polynomial_at_zero(module_from):
    """c[k] * x ** k with k = 0 at x = 0: 0 * 0.0 ** -1 raised ZeroDivisionError."""
    f = module_from(POWERS).polynomial
    c = np.array([1.0, 2.0, 3.0, 4.0])
    assert srcdiff.gradient(f, wrt=1)(c, 0.0) == 2.0
    assert srcdiff.gradient(f, wrt=1)(c, 1.0) == pytest.approx(2.0 + 6.0 + 12.0)
    np.testing.assert_allclose(srcdiff.gradient(f, wrt=0)(c, 0.0), [1.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("name, expected, text", [
    ("zeroth", 0.0, "return 0.0"), ("first", 1.0, "return 1.0"),
    ("second", 0.0, "x_bar = 2.0 * x")])
def test_literal_exponents_read_plainly(module_from, name, expected, text):
    f = getattr(module_from(POWERS), name)
    assert srcdiff.gradient(f)(0.0) == expected
    assert text in srcdiff.source(f, args=(0.0,))
    assert "dpow" not in srcdiff.source(f, args=(0.0,))


def test_square_root_exponent_at_zero_does_not_raise(module_from):
    """0.0 ** 0.5 is 0; its slope is unbounded, and 0.0 ** -0.5 would raise in Python."""
    assert srcdiff.gradient(module_from(POWERS).root)(0.0) == math.inf


MOMENTS = """
    import numpy as np

    def std(a):
        return np.sum(np.std(a, axis=1) * np.arange(1.0, 4.0))

    def var(a):
        return np.sum(np.var(a, axis=1) * np.arange(1.0, 4.0))

    def std_all(a):
        return np.std(a)
    """


@pytest.mark.parametrize("name", ["std", "var"])
def test_moments_over_axis_of_length_one(module_from, name):
    """The std of one element is the constant 0: its derivative is 0, not 0 / 0."""
    f = getattr(module_from(MOMENTS), name)
    a = np.array([[1.0], [2.0], [-3.0]])
    grad = quietly(srcdiff.gradient(f), a)
    np.testing.assert_array_equal(grad, np.zeros((3, 1)))


def test_std_of_constant_slice_is_a_subgradient(module_from):
    """At zero spread over two or more elements std has no derivative (it is a norm at 0);
    the adjoint is 0, a subgradient, never NaN; elsewhere it is the derivative."""
    mod = module_from(MOMENTS)
    a = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0], [0.0, 0.0, 0.0]])
    grad = quietly(srcdiff.gradient(mod.std), a)
    np.testing.assert_array_equal(grad[[0, 2]], 0.0)
    np.testing.assert_allclose(grad[1], central_difference(mod.std, (a,), 0)[1], rtol=1e-6)
    np.testing.assert_array_equal(quietly(srcdiff.gradient(mod.std_all), np.ones(4)), 0.0)


EMPTY = """
    import numpy as np

    def diff(a):
        return np.sum(np.diff(a) ** 2)

    def mean_axis(a):
        return np.sum(np.mean(a, axis=0))

    def mean_all(a):
        return np.mean(a)

    def median(a):
        return np.median(a)
    """


@pytest.mark.parametrize("name, shape", [
    ("diff", (1,)), ("diff", (0,)), ("mean_axis", (0, 3)), ("mean_all", (0,)),
    ("mean_all", (2, 0)), ("median", (0,))])
def test_empty_results_and_slices(module_from, name, shape):
    """np.diff of one element is empty (the adjoint indexed into it: IndexError); a mean of
    nothing is NaN (its adjoint divided a Python float by 0). The derivative of anything
    with respect to an empty array is the empty array; of an ignored element, 0."""
    f = getattr(module_from(EMPTY), name)
    a = np.ones(shape)
    grad = quietly(srcdiff.gradient(f), a)
    assert isinstance(grad, np.ndarray) and grad.shape == shape and grad.dtype == a.dtype
    np.testing.assert_array_equal(grad, 0.0)


def test_mean_of_unknown_shape_reads_plainly_where_it_is_known(module_from):
    f = module_from(EMPTY).mean_axis
    assert "x_bar" not in srcdiff.source(f, args=(np.ones((2, 3)),))
    text = srcdiff.source(f, args=(np.ones((0, 3)),))
    assert "a_bar = np.full_like(a, np.expand_dims(t1_bar, 0) / a.shape[0])" in text


def test_einsum_sublists_are_refused(module_from):
    """np.einsum(x, [0, 1], [1, 0]) bound x to the subscripts, which has no adjoint: the
    gradient was silently zero."""
    mod = module_from("""
        import numpy as np

        def f(x):
            return np.sum(np.einsum(x, [0, 1], [1, 0]) * np.arange(6.0).reshape(3, 2))
        """)
    with pytest.raises(srcdiff.SrcdiffError, match="sublist form") as caught:
        srcdiff.gradient(mod.f)(np.ones((2, 3)))
    assert caught.value.lineno == 5 and "np.einsum('ij->ji', x)" in caught.value.hint


SINGULAR = """
    import numpy as np

    def det(a):
        return np.linalg.det(a)

    def sinc(x):
        return np.sum(np.sinc(x))

    def log(x):
        return np.log(x)

    def clip(a, lo, hi):
        return np.clip(a, lo, hi)
    """


@pytest.mark.parametrize("a", [np.zeros((3, 3)), np.array([[1.0, 2.0], [2.0, 4.0]]),
                               np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])])
def test_det_of_singular_matrix(module_from, a):
    """d det(a) / da is the transposed adjugate, which exists where a is singular: the
    adjoint computed inv(a) and raised LinAlgError."""
    f = module_from(SINGULAR).det
    np.testing.assert_allclose(srcdiff.gradient(f)(a), central_difference(f, (a,), 0),
                               atol=1e-6)


def test_sinc_at_zero(module_from):
    f = module_from(SINGULAR).sinc
    x = np.array([0.0, 0.5, -1.0])
    np.testing.assert_allclose(srcdiff.gradient(f)(x), central_difference(f, (x,), 0),
                               atol=1e-7)


def test_numpy_functions_of_python_floats_divide_as_numpy_does(module_from):
    """np.log(0.0) is -inf, and its slope inf: the adjoint 1.0 / x raised ZeroDivisionError
    on Python floats, where the function did not raise."""
    f = module_from(SINGULAR).log
    assert quietly(srcdiff.gradient(f), 0.0) == math.inf
    assert "np.divide(1.0, x)" in srcdiff.source(f, args=(0.0,))
    assert "x_bar = 1.0 / x" in srcdiff.source(f, args=(np.float64(0.5),))


def test_clip_between_equal_bounds(module_from):
    """np.clip(a, 0, 0) is 0 for every a near 0: its derivative in a is 0, not g."""
    f = module_from(SINGULAR).clip
    grads = srcdiff.gradient(f, wrt=(0, 1, 2))(0.0, 0.0, 0.0)
    assert grads[0] == 0.0 and grads[1] == 0.0
