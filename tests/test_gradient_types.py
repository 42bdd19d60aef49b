"""A gradient has exactly its argument's type, shape and dtype: each case here once came back
as a bool, an int, or a NumPy scalar for a 0-d array. The registry-wide check is
``tests/test_rule_types.py``."""

import numpy as np
import pytest

import srcdiff

SOURCE = """
    import numpy as np

    def relu(x):
        return np.sum(np.maximum(x, 0.0))

    def tie(x, y):
        return np.sum(np.maximum(x, y))

    def largest(a, b, c):
        return max(a, b, c)

    def scaled(x, n):
        return n * x

    def hinges(x):
        return max(x, 0.0) + max(x, 1.0)

    def shifted(x):
        return x + 1.0

    def square(x):
        return np.sum(x * x)
    """


def kind(value):
    return type(value), np.shape(value), getattr(value, "dtype", None)


@pytest.fixture
def mod(module_from):
    return module_from(SOURCE)


@pytest.mark.parametrize("x", [1.0, np.float64(1.0), np.float32(1.0), np.array(1.0),
                               np.array(1.0, dtype=np.float32), np.array([1.0, -1.0])])
def test_relu(mod, x):
    """``g * (x >= y)`` with g = 1.0 folded to ``x >= y``: a bool."""
    grad = srcdiff.gradient(mod.relu)(x)
    assert kind(grad) == kind(x)
    np.testing.assert_array_equal(grad, np.asarray(x) > 0)


def test_ties_in_maximum(mod):
    x, y = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    x_bar, y_bar = srcdiff.gradient(mod.tie, wrt=(0, 1))(x, y)
    assert kind(x_bar) == kind(x) and kind(y_bar) == kind(y)
    np.testing.assert_array_equal(x_bar + y_bar, [1.0, 1.0])


def test_builtin_max_of_three(mod):
    grads = srcdiff.gradient(mod.largest, wrt=(0, 1, 2))(1.0, 1.0, 0.5)
    assert [type(g) for g in grads] == [float, float, float]
    assert grads == (1.0, 0.0, 0.0)


def test_float_argument_gets_a_float(mod):
    """``(x >= 1.0) + (x >= 0.0)``, a sum of bools, was an int for a float argument."""
    grad = srcdiff.gradient(mod.hinges)(2.0)
    assert type(grad) is float and grad == 2.0
    grad = srcdiff.gradient(mod.scaled)(2.0, 3)
    assert type(grad) is float and grad == 3.0


@pytest.mark.parametrize("x", [np.float64(2.0), np.float32(2.0), np.array(2.0),
                               np.array(2.0, dtype=np.float32)])
def test_numpy_scalars_and_zero_dimensional_arrays(mod, x):
    """A constant adjoint (1.0) came back as a Python float; x * x of a 0-d array as a NumPy
    scalar."""
    assert kind(srcdiff.gradient(mod.shifted)(x)) == kind(x)
    grad = srcdiff.gradient(mod.square)(x)
    assert kind(grad) == kind(x) and grad == 4.0


def sum_of_squares(p):
    s = 0.0
    for v in p:
        s = s + v * v
    return s


def test_numpy_scalars_in_a_list_get_numpy_scalars():
    """``cast_tree`` took a NumPy float64 for a Python float (it is one, by subclass) and
    gave the element a float."""
    grads = srcdiff.gradient(sum_of_squares)([np.float64(1.0), np.float32(2.0), 3.0])
    assert [type(g) for g in grads] == [np.float64, np.float32, float]
    assert grads == [2.0, 4.0, 6.0]


def test_a_float_rebound_to_a_numpy_float_on_one_path_gets_a_float(module_from):
    """``x **= 3`` then, on one path, ``x += u[-1]`` (a NumPy float): one adjoint variable,
    ``x_2_bar``, holds the adjoints of both values of ``x``, and on the path that assigns
    only the NumPy one it is a NumPy float. The cast to ``float`` had been left out, the
    adjoint judged by the float value's own assignment (``0.0``, on the other path)."""
    mod = module_from("""
        import numpy as np

        def rebound(u, x):
            x **= 3
            if u[0] > 0.0:
                x = min(u[1], u[2])
            else:
                x += u[-1]
            return x * x
        """)
    g = srcdiff.gradient(mod.rebound, wrt=1)
    for first in (-1.0, 1.0):
        got = g(np.array([first, 0.5, 0.25, 0.75]), 1.5)
        assert type(got) is float
    assert g(np.array([-1.0, 0.5, 0.25, 0.75]), 1.5) == pytest.approx(2 * 4.125 * 3 * 1.5 ** 2)
