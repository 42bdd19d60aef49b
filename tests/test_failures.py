"""Errors while a derivative runs: the function's own pass unchanged, the adjoints' become
located SrcdiffErrors (a raw ZeroDivisionError from inside generated code is a bug)."""

import math

import numpy as np
import pytest

import srcdiff
from srcdiff import SrcdiffError
from srcdiff.backend import failures


def radius(x):
    y = x * x
    return math.sqrt(y) + 1.0


def reciprocal(x):
    return 1.0 / x


def arcsines(x):
    s = 0.0
    for i in range(2):
        s = s + math.asin(x * i)
    return s


def helper_with_a_kink(v):
    return math.sqrt(v * v)


def calls_a_helper(x):
    return helper_with_a_kink(x) * 2.0


def test_an_infinite_slope_is_a_located_error():
    with pytest.raises(SrcdiffError) as caught:
        srcdiff.gradient(radius)(0.0)
    error = caught.value
    assert error.lineno == radius.__code__.co_firstlineno + 2
    assert "radius has no finite derivative here" in str(error)
    assert "return math.sqrt(y) + 1.0" in str(error) and error.hint
    assert srcdiff.gradient(radius)(2.0) == 1.0


def test_in_a_loop_and_in_a_callee():
    with pytest.raises(SrcdiffError, match="the adjoint of 's = s \\+ math.asin"):
        srcdiff.gradient(arcsines)(1.0)
    with pytest.raises(SrcdiffError) as caught:
        srcdiff.gradient(calls_a_helper)(0.0)
    assert caught.value.lineno == helper_with_a_kink.__code__.co_firstlineno + 1


def test_the_functions_own_errors_pass_unchanged():
    with pytest.raises(ZeroDivisionError):
        reciprocal(0.0)
    with pytest.raises(ZeroDivisionError):
        srcdiff.gradient(reciprocal)(0.0)


def badly_shaped(v):
    return v * 2.0


srcdiff.defvjp(badly_shaped, lambda g, ans, v: np.ones(len(v) + 2))


def uses_a_badly_shaped_rule(u):
    w = badly_shaped(u)
    return np.sum(w) + np.sum(u * u)


def test_shapes_that_do_not_broadcast_are_not_an_infinite_slope():
    """A ValueError from NumPy in the adjoints (here from a user rule with a gradient of
    the wrong shape) is a bug, not a point without a derivative: the message says so."""
    with pytest.raises(SrcdiffError) as caught:
        srcdiff.gradient(uses_a_badly_shaped_rule)(np.array([1.0, 2.0, 3.0]))
    message = str(caught.value)
    assert "internal error" in message and "could not be broadcast" in message
    assert "infinite slope" not in message and "w = badly_shaped(u)" in message


def _explains_failures(derivative):
    return any(isinstance(c, failures.AdjointSite) for c in derivative.__code__.co_consts)


def products(a, b):
    t = (a + b) * (b - 1.5)
    return -t * a + 2.0


def halves(a, n):
    return a * n / 2.0


@pytest.mark.parametrize("fn, args, explained", [
    (products, (1.5, 2.5), False),  # sums and products of floats overflow to inf
    (radius, (1.5,), True),  # sqrt's adjoint divides
    (reciprocal, (2.0,), True),
    (halves, (1.5, 3), True),  # an int may be too large for a float
    (arcsines, (0.5,), True),  # a loop
])
def test_only_adjoints_that_may_raise_are_wrapped_in_a_handler(fn, args, explained):
    derivative = srcdiff.gradient(fn)
    derivative(*args)
    assert _explains_failures(derivative) == explained


def test_float_products_overflow_to_inf_in_the_adjoints_as_in_the_function():
    derivative = srcdiff.gradient(products, wrt=(0, 1))
    assert derivative(1e200, 1e200) == (-math.inf, -math.inf)
