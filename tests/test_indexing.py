"""Reading elements and slices of arrays: the adjoint adds into the indexed part."""

import ast

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff import SrcdiffError, gradient

X = np.array([[0.3, -0.2, 0.5, 0.9], [1.1, 0.4, -0.7, 0.2], [0.6, -1.3, 0.8, 0.05]])


def integer(x):
    return x[1, 2] * x[0, 0] + x[-1, -1] ** 2


def slices(x):
    return np.sum(x[::2, 1:3] ** 2) + np.sum(x[1] * x[2])


def ellipsis_and_newaxis(x):
    return np.sum(x[..., 0][:, None] * x[None, 1, :])


def mask(x):
    return np.sum(np.sin(x[x > 0.1]))


def repeated(x):
    return np.sum(x[[0, 0, 2], 1] ** 2) + np.sum(x[0, [1, 1, 1]])


def integer_array(x, rows):
    return np.sum(np.tanh(x[rows]))


def rows_in_a_loop(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x[i] * x[i, 0])
    return total


def over_rows(x):
    total = 0.0
    for row in x:
        total = total + np.sum(np.cos(row)) * row[1]
    return total


@pytest.mark.parametrize("f", [integer, slices, ellipsis_and_newaxis, mask, repeated,
                               rows_in_a_loop, over_rows])
def test_against_finite_differences(f):
    grad = gradient(f)(X)
    assert grad.shape == X.shape and grad.dtype == X.dtype
    np.testing.assert_allclose(grad, central_difference(f, (X,), 0), rtol=1e-6, atol=1e-8)


def test_integer_array_with_repeats():
    rows = np.array([0, 2, 2, 1, 2])
    grad = gradient(integer_array)(X, rows)
    np.testing.assert_allclose(grad, central_difference(integer_array, (X, rows), 0),
                               rtol=1e-6, atol=1e-8)
    assert "np.add.at" in srcdiff.source(integer_array, args=(X, rows))


def repeated_columns(x):
    return np.sum(x[:, [0, 2, 0]] ** 2) + np.sum(x[np.array([1, 1]), 2:] ** 3)


def test_a_scatter_through_a_slice_is_printed_as_python():
    """``np.add.at`` takes its index as a value: a slice in it is printed ``slice(...)``
    (``(:, [0, 2, 0])`` was printed, which is not Python, so the printed gradient could not
    be read back to differentiate it again)."""
    text = srcdiff.source(repeated_columns, args=(X,))
    assert "np.add.at(x_bar, (slice(None), [0, 2, 0]), " in text
    assert ", slice(2, None)), " in text
    ast.parse(text)
    np.testing.assert_allclose(gradient(repeated_columns)(X),
                               central_difference(repeated_columns, (X,), 0), rtol=1e-6,
                               atol=1e-8)


def test_generated_code_scatters_in_place():
    text = srcdiff.source(integer, args=(X,))
    assert "x_bar[1, 2] += " in text
    assert "x_bar = np.zeros((3, 4), dtype=np.float64)" in text


def test_indexing_a_float_is_refused(module_from):
    mod = module_from("def f(x):\n    return x[0]\n")
    with pytest.raises(SrcdiffError, match="indexing float") as info:
        gradient(mod.f)(1.0)
    assert info.value.lineno == 2
