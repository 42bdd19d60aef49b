"""Nested functions and lambdas: inlined where they are called, closures read live."""

import math

import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff import SrcdiffError, gradient


def closures(x, k):
    def bump(t, s=2.0):
        if t > 0.0:
            return math.exp(-s * t * t) * k
        y = t * t
        return y * k

    square = lambda v: v * v * k  # noqa: E731 (a named lambda is what this tests)
    total = 0.0
    for i in range(3):
        total = total + bump(x * i) + square(x)
    return total + (lambda u: u * x)(x)


def late_binding(x):
    scale = 2.0

    def scaled(v):
        return v * scale

    first = scaled(x)
    scale = 3.0
    return first + scaled(x)


@pytest.mark.parametrize("x", [0.4, -0.4])
def test_nested_functions_and_lambdas(x):
    got = gradient(closures, wrt=(0, 1))(x, 1.5)
    for index in range(2):
        assert got[index] == pytest.approx(central_difference(closures, (x, 1.5), index),
                                           rel=1e-6)


def test_closures_read_enclosing_values_at_the_call():
    assert gradient(late_binding)(1.0) == 5.0


def test_inlined_locals_get_their_own_names():
    text = srcdiff.source(closures, args=(0.4, 1.5))
    assert "bump_t = " in text and "bump_y_bar" in text


def test_recursive_nested_function_is_refused(module_from):
    mod = module_from("def f(x):\n    def g(y):\n        return g(y)\n    return g(x)\n")
    with pytest.raises(SrcdiffError, match="g calls itself"):
        gradient(mod.f)(1.0)


def test_nonlocal_writes_are_refused(module_from):
    mod = module_from("def f(x):\n    total = 0.0\n    def add(v):\n        nonlocal total\n"
                      "        total = total + v\n        return v\n    y = add(x)\n"
                      "    return total\n")
    with pytest.raises(SrcdiffError, match="'nonlocal' statements") as info:
        gradient(mod.f)(1.0)
    assert info.value.lineno == 4
