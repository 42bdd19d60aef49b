"""Joining arrays from lists and tuples: np.concatenate, np.stack, np.hstack, np.vstack and
np.array of a list of values; and splitting them into lists: np.split, np.array_split."""

import numpy as np
import pytest
from finite_diff import central_difference

from srcdiff import gradient

RNG = np.random.default_rng(11)
A, B = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))
W = RNG.normal(size=(6, 3))


def concatenate(a, b):
    return np.sum(np.sin(np.concatenate([a, b * 2.0], axis=0)) * W)


def concatenate_columns(a, b):
    return np.sum(np.concatenate((a.T, b.T), axis=1) ** 2)


def stack(a, b):
    return np.sum(np.stack([a[0], b[1], a[1] * b[0]], axis=1) ** 3)


def hstack(a, b):
    return np.sum(np.hstack([a[0], b[2]]) * np.arange(6.0))


def vstack(a, b):
    return np.sum(np.tanh(np.vstack((a, b))))


def array_of_scalars(a, b):
    v = np.array([a[0, 0] * b[0, 0], np.sum(a), 2.0])
    return np.sum(v * v)


def array_of_rows(a, b):
    m = np.array([a[0], b[1]])
    return np.sum(m @ m.T)


def split_sections(a, b):
    top, bottom = np.split(b, 2)
    return np.sum(top * bottom) + np.sum(np.split(a, 3, axis=1)[2] ** 2)


def split_at_indices(a, b):
    pieces = np.split(b, (1, 3), axis=0)
    return np.sum(pieces[0] * a[0]) + np.sum(np.tanh(pieces[2]))


def array_split_uneven(a, b):
    first, second = np.array_split(a, 2, axis=1)
    return np.sum(first ** 2) + np.sum(second * b[0, :1])


def split_in_a_loop(a, b):
    total = 0.0
    for piece in np.split(b, 4):
        total = total + np.sum(piece * a[1])
    return total


@pytest.mark.parametrize("f", [concatenate, concatenate_columns, stack, hstack, vstack,
                               array_of_scalars, array_of_rows, split_sections,
                               split_at_indices, array_split_uneven, split_in_a_loop])
def test_against_finite_differences(f):
    ga, gb = gradient(f, wrt=(0, 1))(A, B)
    np.testing.assert_allclose(ga, central_difference(f, (A, B), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, central_difference(f, (A, B), 1), rtol=1e-6, atol=1e-8)
