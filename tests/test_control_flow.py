"""Branches, loops, early returns and their combinations, against finite differences."""

import math

import numpy as np
import pytest
from finite_diff import central_difference

from srcdiff import gradient


def check(f, *args, wrt=None, rtol=1e-6):
    wrt = tuple(range(len(args))) if wrt is None else wrt
    got = gradient(f, wrt=wrt)(*args)
    for index, value in zip(wrt, got):
        expected = central_difference(f, args, index)
        assert value == pytest.approx(expected, rel=rtol, abs=1e-7), (index, value, expected)
    return got


def branch(x, y):
    if x > 0.0:
        z = x * y
    else:
        z = y * y
    return z * x


def nested_elif(x, n):
    if n > 2:
        if x > 1.0:
            y = x ** 3
        elif x > 0.0:
            y = math.sin(x)
        else:
            y = -x
    else:
        y = x * 2.0
    return y * x


def conditional_expression(x, y):
    z = x * y if x > y else x + y
    return z * z


def and_or_not(x, y):
    if x > 0.0 and y > 0.0 or not x < -1.0:
        return x * y
    return x - y


def early_returns(x):
    if x > 2.0:
        return x * x
    y = math.sin(x)
    if y > 0.5:
        return y * 3.0
    return y + x


def many_sines(x):
    y = x
    for i in range(1, 7):
        y = math.sin(x + y)
    return y


def range_forms(x, n):
    y = x
    for i in range(n):
        y = y * 1.1 + x
    for i in range(2, n + 3):
        y = y + math.sin(y) * i
    for i in range(n + 4, 1, -2):
        y = y - x * i * 0.01
    for i in range(0):
        y = y * 100.0
    return y


def while_active(x):
    y = x
    steps = 0
    while y < 10.0:
        y = y * 1.5 + x
        steps += 1
    return y * steps


def break_continue(x):
    total = 0.0
    for i in range(10):
        if i % 3 == 0:
            continue
        total = total + math.sin(x * i)
        if total > 1.5:
            break
    return total * x


def loop_else(x):
    y = x
    for i in range(4):
        y = y * x
        if y > 100.0:
            break
    else:
        y = y + 1.0
    return y


def nested_loops(x, y):
    s = 0.0
    for i in range(3):
        t = x
        for j in range(i + 1):
            t = t * y + math.cos(t)
            if t > 5.0:
                break
        s = s + t
    return s


def branch_in_loop(x):
    y = x
    for i in range(8):
        if math.sin(y) > 0.0:
            y = y + math.cos(y)
        else:
            y = y * 0.5
    return y


def return_in_loop(x):
    y = x
    for i in range(10):
        y = y * 1.3
        if y > 3.0:
            return y * x
    return -y


def loop_carried_with_temporaries(x, w):
    h = 0.0
    for i in range(5):
        a = w * h + x
        h = math.tanh(a)
    return h


def overwritten_inactive(x):
    c = 1.0
    y = x * c
    for i in range(3):
        c = c + 1.0
    return y * c


def while_with_else(x):
    y = x
    n = 0
    while n < 5:
        n = n + 1
        y = y * x
        if y > 50.0:
            break
    else:
        y = -y
    return y


def arrays_in_loop(w, x):
    h = x * 0.0
    for i in range(4):
        h = np.tanh(w @ h + x)
    return np.sum(h * h)


CASES = [
    (branch, (1.5, 2.0)), (branch, (-1.5, 2.0)),
    (nested_elif, (1.5, 3)), (nested_elif, (0.5, 3)), (nested_elif, (-0.5, 3)),
    (nested_elif, (0.5, 1)),
    (conditional_expression, (2.0, 1.0)), (conditional_expression, (1.0, 2.0)),
    (and_or_not, (1.0, 2.0)), (and_or_not, (-2.0, 2.0)), (and_or_not, (-0.5, -2.0)),
    (early_returns, (3.0,)), (early_returns, (1.0,)), (early_returns, (-1.0,)),
    (many_sines, (0.7,)),
    (range_forms, (0.3, 3)), (range_forms, (0.3, 0)),
    (while_active, (0.7,)), (while_active, (20.0,)),
    (break_continue, (0.4,)), (break_continue, (0.05,)),
    (loop_else, (1.1,)), (loop_else, (5.0,)),
    (nested_loops, (0.5, 1.2)), (nested_loops, (2.5, 1.9)),
    (branch_in_loop, (0.3,)), (branch_in_loop, (2.0,)),
    (return_in_loop, (0.5,)), (return_in_loop, (0.01,)),
    (loop_carried_with_temporaries, (0.3, 0.8)),
    (overwritten_inactive, (0.7,)),
    (while_with_else, (1.2,)), (while_with_else, (3.0,)),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f"{f.__name__}{args}" for f, args in CASES])
def test_against_finite_differences(f, args):
    floats = tuple(i for i, a in enumerate(args) if isinstance(a, float))
    check(f, *args, wrt=floats)


def test_arrays_in_a_loop():
    rng = np.random.default_rng(3)
    w, x = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
    gw, gx = gradient(arrays_in_loop, wrt=(0, 1))(w, x)
    for index, grad in enumerate((gw, gx)):
        numeric = central_difference(arrays_in_loop, (w, x), index)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_long_scalar_loop_tape_is_linear():
    def logistic(r, x):
        for i in range(10000):
            x = r * x * (1.0 - x)
        return x

    g = gradient(logistic, wrt=(0, 1))
    r, x = 2.5, 0.3
    got = g(r, x)
    for index in range(2):
        expected = central_difference(logistic, (r, x), index)
        assert got[index] == pytest.approx(expected, rel=1e-4)


def over_sequences(w, xs, ys):
    loss = 0.0
    for x, y in zip(xs, ys):
        r = np.dot(w, x) - y
        loss = loss + r * r
    for i, v in enumerate(w):
        loss = loss + 0.1 * i * v * v
    for v in w:
        loss = loss + np.sin(v)
    return loss


def test_loops_over_zip_enumerate_and_arrays():
    rng = np.random.default_rng(5)
    args = (rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5))
    grads = gradient(over_sequences, wrt=(0, 1))(*args)
    for index, grad in enumerate(grads):
        np.testing.assert_allclose(grad, central_difference(over_sequences, args, index),
                                   rtol=1e-6, atol=1e-9)
