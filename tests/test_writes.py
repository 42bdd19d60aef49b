"""Writing into arrays: ``y[i] = v``, ``y[:, 0] += v``, ``y[mask] = 0``, in straight-line code
and loops, checked against finite differences; and the writes srcdiff refuses."""

import re

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff import SrcdiffError, gradient

X = np.array([0.3, -0.2, 0.5, 0.9, -1.1, 0.4])
M = np.array([[0.3, -0.2, 0.5], [1.1, 0.4, -0.7], [0.6, -1.3, 0.8], [0.2, 0.9, -0.4]])
WEIGHTS = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [-0.2, 0.3, 0.7]])


def element(x):
    y = np.zeros(3)
    y[0] = x[0] * 2.0
    y[1] = np.sin(x[1])
    y[-1] = x[2] * x[3]
    return np.sum(y * y)


def slices(x):
    y = np.ones(6)
    y[1:4] = np.tanh(x[:3])
    y[::2] = y[::2] * x[3]
    return np.sum(y ** 2)


def column(x, m):
    y = m * 1.0
    y[:, 0] += x[:4]
    y[:, 2] -= x[0]
    return np.sum(np.sin(y))


def broadcast_scalar(x):
    y = x * 1.0
    y[2:5] = x[0] ** 2
    return np.sum(y * np.arange(6.0))


def mask(x):
    y = np.exp(x)
    y[x > 0.35] = 0.0
    return np.sum(y * x)


def mask_value(x):
    y = np.exp(x)
    y[x < 0.0] = x[x < 0.0] ** 2
    return np.sum(y)


def other_operators(x):
    y = x * 1.0
    y[1] *= x[2]
    y[2:4] /= x[4]
    y[0] **= 2
    return np.sum(y * x)


def overwritten_after_read(x):
    y = x * 1.0
    z = y * y
    y[1] = np.cos(x[0])
    y[2:4] = 0.5
    return np.sum(z * y)


def chained_writes(x):
    y = np.zeros(4)
    y[0:2] = x[0:2]
    early = y * y
    y[1:3] = x[2:4] * 3.0
    y[0] += x[5]
    return np.sum(early * y) + np.sum(y)


def nested_index(m):
    y = m * 1.0
    y[1, 2] = y[0, 0] * y[3, 1]
    y[2] = y[1] * 2.0
    return np.sum(y ** 3)


def repeated_assignment(x):
    y = np.zeros(3)
    y[[0, 2, 0]] = x[:3]
    return np.sum(y * np.array([1.0, 2.0, 3.0]))


def repeated_addition(x):
    y = x[:3] * 1.0
    y[[1, 1, 2]] += x[3:]
    return np.sum(y ** 2)


def rows_in_a_loop(x, m):
    h = np.zeros((4, 3))
    for t in range(4):
        h[t] = np.tanh(m[t] * x[t] + (h[t - 1] if t > 0 else 0.0))
    return np.sum(h ** 2)


def recurrence(m, w):
    h = np.zeros((5, 3))
    for t in range(1, 5):
        h[t] = np.tanh(w @ h[t - 1] + m[t - 1])
    return np.sum(h[1:] * np.arange(3.0))


def whole_array_read_in_loop(x):
    y = np.zeros(6)
    total = 0.0
    for i in range(6):
        total = total + np.sum(y * y) * x[i]
        y[i] = np.sin(x[i]) + total
    return total + np.sum(y)


def running_state(x):
    state = np.ones(3)
    for i in range(6):
        state[i % 3] = state[(i + 1) % 3] * x[i] + state[i % 3]
    return np.sum(state)


def conditional_writes(x):
    y = np.zeros(6)
    for i in range(6):
        if x[i] > 0.0:
            y[i] = x[i] ** 2
        else:
            y[i] = -x[i]
    return np.sum(y * x)


def while_loop(x):
    y = x * 1.0
    i = 0
    while i < 5:
        y[i + 1] = y[i + 1] + y[i] * 0.5
        i += 1
    return np.sum(y ** 2)


def inactive_mask_in_loop(x):
    keep = np.ones(6)
    scaled = x * keep
    for i in range(6):
        if i % 2 == 0:
            keep[i] = 0.0
    return np.sum(scaled * keep * x)


def view_read_after_restore(x):
    y = np.zeros((2, 3))
    y[0] = x[:3]
    row = y[0]
    s = np.sum(row * row)
    y[0] = x[3:] * 2.0
    return s + np.sum(y[0] * x[:3])


def written_then_reshaped(x):
    y = np.zeros(6)
    y[::2] = x[:3]
    y[1::2] = np.sin(x[3:])
    return np.sum(y.reshape(2, 3) @ np.arange(3.0))


def float32_writes(x):
    y = np.zeros(3, dtype=np.float32)
    y[0] = x[0] * x[1]
    y[1:] = x[2:4]
    return np.sum(y * y)


def overlapping_shift(x):
    y = np.sin(x)
    y[1:] = y[:-1] * 2.0
    y[:-1] += y[1:]
    return np.sum(y * x)


def swapped_elements(x):
    y = x ** 2
    y[0], y[3] = y[3], y[0] * x[1]
    return np.sum(y * np.arange(6.0))


def running_sum(x):
    y = x * 1.0
    for i in range(1, 6):
        y[i] += y[i - 1] * 0.5
    return np.sum(np.tanh(y))


def write_then_break(x):
    y = np.zeros(6)
    for i in range(6):
        y[i] = x[i] * x[i - 1]
        if np.sum(y) > 0.8:
            break
    return np.sum(y * x)


def extra_leading_dimensions(x):
    y = np.zeros((2, 3))
    y[0] = x[None, :3] * 2.0
    y[1] = x[3:].reshape(1, 1, 3)
    y[1] += x[:3]
    return np.sum(y * y)


def row_then_element(x):
    y = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            y[i][j] = x[i] * x[j] + j
    y[2][1:] += x[4:]
    return np.sum(y * y)


def columns_in_a_loop(m):
    out = np.zeros_like(m)
    for j in range(m.shape[1]):
        out[:, j] = np.tanh(m[:, j] * (j + 1.0))
    return np.sum(out * out)


def clipped_in_place(x):
    y = x * 2.1
    y[y > 1.0] = 1.0
    y[y < -1.0] = -1.0
    return np.sum(y ** 3)


def normalized_rows(m):
    y = m.copy()
    for i in range(y.shape[0]):
        y[i] /= np.linalg.norm(y[i])
    return np.sum(y[:, 0] * np.arange(4.0))


def added_at(x):
    y = np.zeros(4)
    np.add.at(y, np.array([0, 2, 0, 3]), x[:4] * x[4])
    return np.sum(y ** 3)


def added_at_columns(m):
    y = m * 1.0
    np.add.at(y, (slice(None), [0, 2, 0]), m[:, 1:2] ** 2)
    return np.sum(y ** 3)


def added_at_in_a_loop(x):
    y = x ** 2
    total = 0.0
    for i in range(3):
        total = total + np.sum(np.sin(y))
        np.add.at(y, [i, i + 1, i], x[:3] * x[i])
    return total + np.sum(y * y)


CASES = [
    (element, (X,)), (slices, (X,)), (column, (X, M)), (broadcast_scalar, (X,)), (mask, (X,)),
    (mask_value, (X,)), (other_operators, (X,)), (overwritten_after_read, (X,)),
    (chained_writes, (X,)), (nested_index, (M,)), (repeated_assignment, (X,)),
    (repeated_addition, (X,)), (rows_in_a_loop, (X, M)), (recurrence, (M, WEIGHTS)),
    (whole_array_read_in_loop, (X,)), (running_state, (X,)), (conditional_writes, (X,)),
    (while_loop, (X,)), (inactive_mask_in_loop, (X,)), (view_read_after_restore, (X,)),
    (written_then_reshaped, (X,)), (overlapping_shift, (X,)), (swapped_elements, (X,)),
    (running_sum, (X,)), (write_then_break, (X,)), (extra_leading_dimensions, (X,)),
    (row_then_element, (X,)), (columns_in_a_loop, (M,)), (clipped_in_place, (X,)),
    (normalized_rows, (M,)), (added_at, (X,)), (added_at_columns, (M,)),
    (added_at_in_a_loop, (X,)),
]


@pytest.mark.parametrize("fn, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_matches_finite_differences(fn, args):
    for index in range(len(args)):
        grad = gradient(fn, wrt=index)(*args)
        expected = central_difference(fn, args, index)
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fn, args", CASES, ids=[c[0].__name__ for c in CASES])
def test_value_and_arguments_are_unchanged(fn, args):
    copies = [np.copy(a) for a in args]
    value, _ = srcdiff.value_and_grad(fn)(*args)
    assert value == pytest.approx(fn(*args))
    for before, after in zip(copies, args):
        np.testing.assert_array_equal(before, after)


def test_float32_gradient_stays_float32():
    x = X.astype(np.float32)
    grad = gradient(float32_writes)(x)
    assert grad.dtype == np.float32
    x0, x1, x2, x3 = X[:4]
    expected = [2 * x0 * x1 * x1, 2 * x0 * x1 * x0, 2 * x2, 2 * x3, 0.0, 0.0]
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


def test_repeated_assignment_gives_the_kept_value_its_adjoint():
    # y[[0, 2, 0]] = x[:3] keeps x[2] in y[0] (NumPy writes the last) and x[1] in y[2].
    grad = gradient(repeated_assignment)(X)
    np.testing.assert_allclose(grad, [0.0, 3.0, 1.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("fn, x", [(added_at, X), (added_at_columns, M),
                                   (added_at_in_a_loop, X)])
def test_np_add_at_adds_as_often_as_a_position_is_named(fn, x):
    """``np.add.at(y, index, v)`` is a store that adds at a repeated position once per
    mention (``y[index] += v`` adds once): ``v``'s adjoint reads ``y_bar[index]``; its
    tangent is added the same way."""
    text = srcdiff.source(fn, args=(x,))
    assert "np.add.at(y, " in text and "last_assigned" not in text
    expected = central_difference(fn, (x,), 0)
    np.testing.assert_allclose(srcdiff.jacfwd(fn)(x), expected, rtol=1e-6, atol=1e-8)


def test_generated_code_reads_like_the_derivation():
    text = srcdiff.source(element, args=(X,))
    assert "y[0] = t2" in text or "y[0] = " in text
    assert "y_bar[0]" in text
    assert "# y[1] = np.sin(x[1])   (line" in text
    loop = srcdiff.source(whole_array_read_in_loop, args=(X,))
    assert "y_tape.append(y[i])" in loop
    assert "y[i] = y_tape.pop()" in loop


def test_a_sliced_part_is_saved_as_a_copy():
    text = srcdiff.source(view_read_after_restore, args=(X,))
    assert "y_tape.append(y[0].copy())" in text or "y_2" in text or "y[0].copy()" in text


REFUSED = [
    ("def f(x):\n    x[0] = 1.0\n    return np.sum(x)\n", "which the caller passed in", 2),
    ("def f(x):\n    y = x[1:]\n    y[0] = 1.0\n    return np.sum(y)\n",
     "would change x (through y), which the caller passed in", 3),
    ("def f(x):\n    y = x.reshape(2, 3)\n    y[0, 0] += 1.0\n    return np.sum(y)\n",
     "which the caller passed in", 3),
    ("def f(x):\n    G[0] = x[0]\n    return np.sum(G)\n", "assignment into an element of a "
     "module-level name", 2),
    ("def f(x):\n    y = G\n    y[0] = x[0]\n    return np.sum(y)\n",
     "would change G, which comes from outside the function", 3),
    ("def f(x):\n    y = x * 1.0\n    z = y\n    y[0] = 2.0\n    return np.sum(z * x)\n",
     "shares memory with the array that 'y[0] = 2.0'", 5),
    ("def f(x):\n    y = x * 1.0\n    r = y[0:2]\n    y[0] = 2.0\n    return np.sum(r)\n",
     "shares memory with the array that 'y[0] = 2.0'", 5),
    ("def f(x):\n    y = x * 1.0\n    r = y[0:2]\n    r[0] = 2.0\n    return np.sum(y)\n",
     "y shares memory with the array that 'r[0] = 2.0'", 5),
    ("def f(x):\n    y = x * 1.0\n    t = y.T\n    y += 1.0\n    return np.sum(t)\n",
     "t shares memory with the array that 'y += 1.0'", 5),
    ("def f(x):\n    np.add.at(x, [0, 0], 1.0)\n    return np.sum(x)\n",
     "would change x, which the caller passed in", 2),
    ("def f(x):\n    y = x * 1.0\n    np.add.at(y, [0, 0])\n    return np.sum(y)\n",
     "np.add.at is supported as np.add.at(y, index, v)", 3),
    ("def f(x):\n    y = [x * 1.0]\n    y[0] = x\n    return np.sum(y[0])\n",
     "assignment into an element of a list", 3),
    ("def f(x):\n    y = x * 1.0\n    y[0][0] = 1.0\n    return np.sum(y)\n",
     "cannot index float64[6] this way", 3),
    ("def f(x):\n    y = np.zeros(())\n    y[()] = x[0]\n    return float(y)\n",
     "(a NumPy scalar or 0-d array) is not supported", 3),
    ("def f(x):\n    y = np.ones((6, 2))\n    y[x > 0.0][0] = 2.0\n    return np.sum(y)\n",
     "writing through y[i][j] is supported when i is an integer", 3),
    ("def f(x):\n    y = np.ones((6, 2)) * x[0]\n    y[1:][0] = 2.0\n    return np.sum(y)\n",
     "y shares memory with the array that 'y[1:][0] = 2.0'", 4),
    ("def f(x):\n    y = x * 1.0\n    y[1:4] += x[None, :3]\n    return np.sum(y)\n",
     "cannot store float64[1, 3] into a part of shape (3,)", 3),
    ("def f(x):\n    y = np.ones((2, 3)) * x[:3]\n    y[0], y[1] = y[1], y[0]\n"
     "    return np.sum(y * x[:3])\n",
     "'y[0], y[1] = y[1], y[0]' writes into an array a value that shares memory", 3),
]


@pytest.mark.parametrize("source, message, line", REFUSED, ids=[r[1] for r in REFUSED])
def test_refused_writes_are_located(module_from, source, message, line):
    mod = module_from("import numpy as np\n\nG = np.zeros(6)\n\n" + source)
    with pytest.raises(SrcdiffError, match=re.escape(message)) as info:
        gradient(mod.f)(X.copy())
    assert info.value.lineno == line + 4


def test_loop_carried_view_read_after_a_write_is_refused(module_from):
    mod = module_from("""\
        import numpy as np

        def f(x):
            h = np.zeros((3, 2))
            previous = h[0]
            total = 0.0
            for t in range(3):
                h[t] = x[t] * 2.0
                total = total + np.sum(previous)
                previous = h[t]
            return np.sum(h) + total
        """)
    with pytest.raises(SrcdiffError, match="previous shares memory with the array") as info:
        gradient(mod.f)(X.copy())
    assert info.value.lineno == 9


def test_loop_carried_view_read_before_the_write_is_exact(module_from):
    mod = module_from("""\
        import numpy as np

        def f(x):
            h = np.ones((3, 2))
            previous = h[0]
            for t in range(3):
                h[t] = previous * x[t] + x[t + 1]
                previous = h[t]
            return np.sum(h * h)
        """)
    grad = gradient(mod.f)(X)
    np.testing.assert_allclose(grad, central_difference(mod.f, (X,), 0), rtol=1e-6, atol=1e-8)


def test_views_read_before_each_write_are_accepted(module_from):
    mod = module_from("""\
        import numpy as np

        def f(x):
            h = np.zeros((4, 2))
            h[0] = x[:2]
            for t in range(1, 4):
                previous = h[t - 1]
                h[t] = np.sin(previous) * x[t + 1]
            return np.sum(h * h)
        """)
    grad = gradient(mod.f)(X)
    np.testing.assert_allclose(grad, central_difference(mod.f, (X,), 0), rtol=1e-6, atol=1e-8)


def fresh_layer(w, x):
    return np.tanh(w @ x), np.sum(x)


def first_rows(y):
    return y[:2]


def writes_into_a_callee_result(w, x):
    h = x
    total = 0.0
    for i in range(3):
        h, s = fresh_layer(w, h)
        h[0] = h[0] * s
        total = total + s
    return np.sum(h) * total


def writes_into_a_callee_view(x):
    y = x * 2.0
    head = first_rows(y)
    head[0] = 5.0
    return np.sum(y * head[1])


def test_results_that_callees_compute_afresh_can_be_written_into():
    from exact import assert_exact
    assert_exact(writes_into_a_callee_result, (WEIGHTS[:2, :2], X[:2]), (0, 1))


def test_a_callee_returning_a_view_is_followed():
    with pytest.raises(SrcdiffError, match="shares memory with the array that"):
        gradient(writes_into_a_callee_view)(X)


def _first(x, y):
    return x


def _first_of_either(x, y):
    return x


srcdiff.primitives.declare(_first, "x, y", "g", None, views=("x",), user=True)
srcdiff.primitives.declare(_first_of_either, "x, y", "g", None, views=True, user=True)


def _written_after_a_view_of_the_other(first):
    def f(x):
        y = x * 2.0
        z = first(x * 3.0, y)
        y[0] = 5.0
        return np.sum(z * y)
    return f


def test_a_rule_may_name_the_operands_its_result_views():
    """``views=("x",)``: the result is a view of ``x`` only, so writing into ``y`` leaves it
    exact (the second derivative of a gradient that adds into two slices of one adjoint
    meets this in ``spread_like(t, like)``); with ``views=True`` it may view ``y``, and the
    read after the write is refused."""
    named = _written_after_a_view_of_the_other(_first)
    np.testing.assert_allclose(gradient(named)(X), central_difference(named, (X,), 0), rtol=1e-6)
    either = _written_after_a_view_of_the_other(_first_of_either)
    with pytest.raises(SrcdiffError, match="shares memory with the array that 'y\\[0\\] = 5.0'"):
        gradient(either)(X)
    with pytest.raises(srcdiff.primitives.RuleError, match="views names"):
        srcdiff.primitives.declare(_first, "x, y", "g", None, views=("z",), user=True)
