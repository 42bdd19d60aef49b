"""Lists that grow: append in loops, comprehensions, and sum over them."""

import math

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff import SrcdiffError, gradient


def appended(x, n):
    ys = []
    for i in range(n):
        ys.append(math.sin(x * i))
    return sum(ys) * x


def comprehension(x):
    squares = [v * v for v in x if v > 0.0]
    return sum(squares)


def read_back(x):
    acc = []
    y = x
    for i in range(4):
        y = np.tanh(y * 1.3)
        acc.append(y)
    return np.sum(acc[1] * acc[3]) + np.sum(sum(acc))


def sum_of_tuple(a, b):
    return sum((a * b, a, np.sin(b)))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_append_in_a_loop(n):
    grad = gradient(appended)(0.3, n)
    assert grad == pytest.approx(central_difference(appended, (0.3, n), 0), rel=1e-6, abs=1e-9)


def test_the_reverse_sweep_pops_what_the_forward_sweep_appended():
    text = srcdiff.source(appended, args=(0.3, 4))
    assert "ys.append(t2)" in text and "t2_bar = ys_bar.pop()" in text and "ys.pop()" in text


@pytest.mark.parametrize("f", [comprehension, read_back])
def test_lists_of_array_elements(f):
    x = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(gradient(f)(x), central_difference(f, (x,), 0), rtol=1e-6,
                               atol=1e-9)


def test_sum_over_a_tuple():
    ga, gb = gradient(sum_of_tuple, wrt=(0, 1))(0.4, 0.7)
    assert ga == pytest.approx(0.7 + 1.0) and gb == pytest.approx(0.4 + math.cos(0.7))


def test_appending_to_the_callers_list_is_refused(module_from):
    mod = module_from("def f(x, out):\n    out.append(x)\n    return x * 2.0\n")
    with pytest.raises(SrcdiffError, match="which the caller passed in") as info:
        gradient(mod.f)(1.0, [])
    assert info.value.lineno == 2
