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


def stack_machine(x, n):
    """Pops in straight-line code and in a loop: the reverse sweep puts each item back."""
    stack = [x, np.sin(x)]
    for i in range(n):
        stack.append(stack[-1] * x + 1.0)
        top = stack.pop()
        stack.append(top * top)
    last = stack.pop()
    return last * stack.pop() + len(stack)


def popped_arrays(a):
    rows = [a[0], a[1] * a[0]]
    rows.append(np.exp(a[2]))
    b = rows.pop()
    return np.sum(b * rows.pop() + rows[0])


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


def sum_that_broadcasts(x, v):
    return np.sum(sum([x, v * v]) ** 2)


def sum_onto_a_larger_start(x, v):
    return np.sum(sum([x, np.sin(v)], np.ones((2, 3))) ** 2)


def sum_of_rows_onto_a_larger_start(m):
    return np.sum(sum(m * m, np.ones((2, 3))) ** 2)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_append_in_a_loop(n):
    grad = gradient(appended)(0.3, n)
    assert grad == pytest.approx(central_difference(appended, (0.3, n), 0), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_pop(n):
    grad = gradient(stack_machine)(0.3, n)
    assert grad == pytest.approx(central_difference(stack_machine, (0.3, n), 0), rel=1e-6)


def test_pop_of_arrays():
    a = np.array([[0.5, -1.0], [2.0, 0.3], [0.1, 0.2]])
    grad = gradient(popped_arrays)(a)
    assert grad == pytest.approx(central_difference(popped_arrays, (a,), 0), rel=1e-6)


def test_walking_back_over_a_pop_puts_the_item_back():
    text = srcdiff.source(stack_machine, args=(0.3, 3))
    assert "stack_bar.append(top_bar)" in text and "stack.append(t5)" in text


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


@pytest.mark.parametrize("f, args", [
    (sum_that_broadcasts, (np.array([0.3]), np.array([0.5, -1.0, 2.0]))),
    (sum_that_broadcasts, (0.3, np.array([0.5, -1.0, 2.0]))),
    (sum_onto_a_larger_start, (np.array([0.3]), np.array([0.5, -1.0, 2.0]))),
    (sum_of_rows_onto_a_larger_start, (np.array([[0.5, -1.0, 2.0], [0.2, 0.4, -0.3]]),)),
], ids=["array-item", "float-item", "larger-start", "rows"])
def test_sum_of_items_that_broadcast(f, args):
    """Each item's adjoint is g summed back to the item's shape (sum([x, v]) broadcasts x,
    and a start of a larger shape broadcasts every item)."""
    grads = gradient(f, wrt=tuple(range(len(args))))(*args)
    for k, grad in enumerate(grads):
        assert np.shape(grad) == np.shape(args[k])
        np.testing.assert_allclose(grad, central_difference(f, args, k), rtol=1e-6, atol=1e-9)


def test_appending_to_the_callers_list_is_refused(module_from):
    mod = module_from("def f(x, out):\n    out.append(x)\n    return x * 2.0\n")
    with pytest.raises(SrcdiffError, match="which the caller passed in") as info:
        gradient(mod.f)(1.0, [])
    assert info.value.lineno == 2
