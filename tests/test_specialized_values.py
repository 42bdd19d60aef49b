"""Generated code depends on no value its guard does not check.

Sizes and bounds may come from int arguments, locals, tuples of those or ``.shape``; the
derivative is specialized on what the guard checks (argument kinds and shapes, watched
module-level constants, literals) and stays generic in everything else."""

import numpy as np
import pytest
from exact import assert_exact

import srcdiff


def ones_times(v, m):
    return np.sum(np.ones((m, 3)) * v)


def tail_mean(u, k):
    return np.mean(u[k:])


def filled(a, s):
    return np.sum(np.full((a.shape[0], 3), s) * a[:, None])


def local_dims(v):
    dims = (5, 2)
    return np.sum(np.zeros(dims) + v)


def window(x, w, i, k):
    return np.sum(x[i:i + k] @ w)


def halves(z, m):
    return np.sum(z[:m] * z[m:2 * m])


def strided(x, s):
    return np.sum(x[::s] ** 2)


def reshaped(x, k):
    return np.sum(x.reshape(-1, k) @ np.arange(float(k)))


def rows_of_zeros(x, w):
    steps, n = x.shape
    h = np.zeros((steps, n))
    h[0] = np.tanh(x[0])
    for t in range(1, steps):
        h[t] = np.tanh(w * h[t - 1] + x[t])
    return np.sum(h)


def copied_rows(x):
    h = np.zeros((3, 2))
    for t in range(3):
        h[t] = x[t]
    return np.sum(h * h)


def series(x, n):
    s = 0.0
    for i in range(n):
        s = s + x ** (i + 1) / (i + 1)
    return s


def squares(x):
    s = 0.0
    for v in x:
        s = s + v * v
    return s + 1.0


def shifted_count(x):
    n = x.shape[0] - 1
    return np.sum(x[:n] * np.ones(n))


X6 = np.linspace(-0.8, 1.1, 6)


@pytest.mark.parametrize("f, calls, wrt", [
    (ones_times, [(1.5, 2), (1.5, 4), (0.5, 0)], 0),
    (tail_mean, [(X6, 1), (X6, 3), (X6, -2)], 0),
    (filled, [(X6[:4], 2.0), (X6[:2], 2.0)], (0, 1)),
    (window, [(X6, np.array([0.5, -1.0]), 1, 2), (X6, np.array([0.5, -1.0]), 3, 2)], (0, 1)),
    (halves, [(X6, 2), (X6, 3), (X6, 1)], 0),
    (strided, [(X6, 2), (X6, 3), (X6, -1)], 0),
    (reshaped, [(X6, 2), (X6, 3)], 0),
    (series, [(0.5, 3), (0.5, 1), (0.0, 4)], 0),
    (shifted_count, [(X6,), (X6[:3],)], 0),
], ids=lambda v: getattr(v, "__name__", ""))
def test_sizes_from_values_are_not_baked_in(f, calls, wrt):
    for args in calls:
        assert_exact(f, args, wrt)


def test_sizes_from_local_tuples():
    assert_exact(local_dims, (1.0,))


def test_rows_written_into_arrays_sized_from_shape():
    x = np.linspace(0.0, 1.0, 6).reshape(3, 2)
    assert_exact(rows_of_zeros, (x, 0.5), (0, 1))
    assert_exact(copied_rows, (x,))


def test_loop_over_an_empty_array():
    assert_exact(squares, (np.zeros(0),))
    assert_exact(squares, (X6,))


PLANE = np.ones(3)


def against_plane(x):
    return np.sum(PLANE * x) + np.mean(PLANE)


def test_module_array_rebound_to_another_shape():
    global PLANE
    grad = srcdiff.gradient(against_plane)
    try:
        assert grad(2.0) == pytest.approx(3.0)
        PLANE = np.ones(5)
        assert grad(2.0) == pytest.approx(5.0)
        assert_exact(against_plane, (2.0,))
    finally:
        PLANE = np.ones(3)


def test_shape_tuples_carry_known_dimensions():
    """``np.zeros(x.shape)`` and ``np.zeros((n, 3))`` have the sizes the guard checks."""
    from srcdiff.ir import avals
    shape = avals.shape_tuple((4, None))
    assert [avals.known_int(item) for item in shape.items] == [4, None]
    assert avals.known_int(avals.of_literal(3)) == 3
    assert avals.known_int(avals.of_value(3)) is None
