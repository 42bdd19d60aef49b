"""Cheap values a loop overwrites are recomputed in the reverse sweep, not saved on a tape;
and where the reverse sweep needs an older value, they are still saved."""

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff import gradient

XS = np.array([[0.3, -0.2], [0.5, 0.9], [-1.1, 0.4], [0.7, 0.1]])
W = np.array([[0.5, -0.3], [0.1, 0.4]])


def rows(w, xs):
    h = np.zeros(2)
    for x in xs:
        h = np.tanh(w @ x + h)
    return np.sum(h ** 2)


def previous_row(w, xs):
    s = 0.0
    x = np.zeros(2)
    for k in range(len(xs)):
        s = s + np.sum(w @ x * x)
        x = xs[k]
        s = s + np.sum(np.sin(w @ x))
    return s


def value_before_the_loop(w, xs):
    x = w[0] * 2.0
    s = np.sum(x * x)
    for k in range(3):
        x = xs[k] * w[1]
        x = xs[k + 1]
        s = s + np.sum(w @ x * x)
    return s + np.sum(x)


def nested(w, xs):
    s = 0.0
    for i in range(4):
        for j in range(2):
            t = xs[i, j] * 0.5 + i
            s = s + np.sin(w[j, j] * t) + np.sum(w[j] * t)
    return s


def with_break(w, xs):
    s = 0.0
    for k in range(4):
        x = xs[k]
        if np.sum(x) > 1.2:
            break
        s = s + np.sum(np.tanh(w @ x) * x)
    return s


def from_the_enclosing_loop(w, xs):
    s = 0.0
    for i in range(3):
        row = xs[i] * w[0]
        for j in range(2):
            v = row[j]
            s = s + np.sin(v * w[1, j])
    return s


def from_a_local_list(w, xs):
    pieces = [xs[0] * w[0], xs[1] * w[1]]
    s = 0.0
    for piece in pieces:
        s = s + np.sum(np.sin(piece) * w[0])
    return s


CASES = [rows, previous_row, value_before_the_loop, nested, with_break,
         from_the_enclosing_loop, from_a_local_list]


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_against_finite_differences(f):
    grad = gradient(f, wrt=(0, 1))(W, XS)
    for index in range(2):
        np.testing.assert_allclose(grad[index], central_difference(f, (W, XS), index),
                                   rtol=1e-6, atol=1e-8)


def test_rows_are_read_again_not_saved():
    text = srcdiff.source(rows, args=(W, XS))
    assert "x_tape" not in text
    reversed_loop = text.split("for k in reversed(")[1]
    assert reversed_loop.splitlines()[1].strip() == "x = xs[k]"


def test_an_older_value_read_in_the_loop_is_saved():
    text = srcdiff.source(previous_row, args=(W, XS))
    assert "x_tape.append(x)" in text


def test_values_only_the_adjoints_need_leave_the_forward_sweep():
    text = srcdiff.source(nested, args=(W, XS))
    forward = text.split("_bar =")[0]
    assert "xs[i, j]" not in forward and "for i in range(4)" not in forward
    assert "_tape" not in text


def test_elements_of_a_local_list_are_read_again():
    text = srcdiff.source(from_a_local_list, args=(W, XS))
    assert "piece = pieces[k]" in text.split("reversed(")[1]
    assert "piece_tape" not in text
