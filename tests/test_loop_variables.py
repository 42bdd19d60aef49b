"""Variables in loops and branches that used to give silently wrong gradients: a loop
variable reassigned in the body, a value first assigned in a branch and read in later
iterations, loop targets and branches that overwrite a parameter, arrays rebound and then
written into inside a loop."""

import numpy as np
import pytest
from exact import assert_exact

import srcdiff

X3 = np.array([0.5, -0.3, 0.8])


def tripled_index(x):
    s = 0.0
    for j in range(5):
        j = 3 * j
        s = s + x * j
    return s


def doubled_position(xs):
    s = 0.0
    for j, v in enumerate(xs):
        j = 2 * j
        s = s + v * j
    return s


def set_once(x):
    s = 0.0
    for i in range(4):
        if i == 0:
            t = x * x
        s = s + t
    return s


def carried_from_a_branch(x, n):
    s = 0.0
    t = x
    for i in range(n):
        if i % 2 == 0:
            t = t * x + 1.0
        s = s + t * t
    return s


def shadows_through_a_sequence(x, w):
    s = w * x[0]
    for w in x:
        s = s + w * s
    return s * w


def shadow_ends_the_parameter(w, x):
    for w in x:
        pass
    return w * 2.0


def range_target_shadows(w, n):
    for w in range(n):
        pass
    return w * 2.0


def branch_overwrites(w, c):
    if c > 0:
        w = 1.0
    return w * 2.0


def rebound_then_written(x):
    y = np.zeros(3)
    for i in range(3):
        y = y + x
        y[1] += x[0] * y[0]
    return np.sum(y * y)


def rebound_in_a_branch_then_written(x, n):
    y = x * 1.0
    for i in range(n):
        if i % 2 == 1:
            y = np.sin(y)
        y[i % 3] = y[i % 3] * x[1]
    return np.sum(y)


@pytest.mark.parametrize("f, args, wrt", [
    (tripled_index, (1.5,), 0),
    (doubled_position, (X3,), 0),
    (set_once, (1.5,), 0),
    (carried_from_a_branch, (0.7, 5), 0),
    (shadows_through_a_sequence, (X3, 0.5), (0, 1)),
    (shadows_through_a_sequence, (X3, 0.5), 1),
    (shadow_ends_the_parameter, (0.5, X3), 0),
    (shadow_ends_the_parameter, (0.5, np.zeros(0)), 0),
    (range_target_shadows, (0.5, 2), 0),
    (range_target_shadows, (0.5, 0), 0),
    (branch_overwrites, (0.5, 1.0), 0),
    (branch_overwrites, (0.5, -1.0), 0),
    (rebound_then_written, (X3,), 0),
    (rebound_in_a_branch_then_written, (X3, 4), 0),
], ids=lambda v: getattr(v, "__name__", ""))
def test_exact(f, args, wrt):
    assert_exact(f, args, wrt)


def test_a_skipped_branch_leaves_no_empty_if_in_the_forward_sweep():
    text = srcdiff.source(branch_overwrites, args=(0.5, 1.0))
    assert "pass" not in text


def accumulate_rows(xs):
    s = 0.0
    for v in xs:
        s = s + v * s + v
    return v * s


def test_first_assignments_save_nothing():
    """A value assigned for the first time overwrites nothing the reverse sweep reads: no
    ``s = None`` and no tape for it, only for the loop's own overwrites."""
    text = srcdiff.source(srcdiff.value_and_grad(accumulate_rows), args=(X3,))
    assert "None" not in text
    assert text.count("_tape.append(") == 1
    assert_exact(accumulate_rows, (X3,))
