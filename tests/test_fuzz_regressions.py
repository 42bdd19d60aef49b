"""Programs the fuzzer found wrong or wrongly refused, shrunk to their smallest form.

Each one failed before its fix: a silently wrong gradient, a gradient of the wrong type, or
a refusal of something the README says is supported."""

import math

import numpy as np
import pytest
from exact import assert_exact

import srcdiff

U3 = np.array([0.3, 0.6, 0.2])
W = np.array([1.0, 2.0, 3.0])


def gathered_into_itself(u):
    for i in range(2):
        u = u[[0, 2, 0]]
    return np.sum(u * u)


def appended_after_unpacking(x):
    lst = [x * 1.0, x * 2.0]
    p, q = lst
    lst.append(x * 3.0)
    return np.sum(p) + np.sum(sum(lst))


def list_of_an_outside_array(x):
    return x * np.sum(sum([W for e in W]))


def method_of_a_module_array(u):
    return np.sum(u * W.reshape(3, 1))


def new_axis_of_a_module_array(u):
    return np.sum((W[:, None] * np.ones((3, 2))) @ u)


def dict_of_array_and_float(cfg):
    return np.sum(cfg["w"] * cfg["s"]) + cfg["s"]


def nested_tuple(pair):
    (a, b), c = pair
    return a * b + c * np.sum(np.ones(2))


def nested_swap(x, y):
    (x, y), s = (y * 2.0, x * 3.0), x
    return x * y + s


@pytest.mark.parametrize("f, args", [
    (gathered_into_itself, (U3,)),
    (appended_after_unpacking, (U3[:2],)),
    (list_of_an_outside_array, (0.5,)),
    (method_of_a_module_array, (U3[:2],)),
    (new_axis_of_a_module_array, (U3[:2],)),
    (nested_swap, (0.4, 0.7)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_exact(f, args):
    assert_exact(f, args)


def test_elements_of_container_gradients_have_their_arguments_types():
    cfg = {"w": np.array([0.5, -1.0]), "s": 1.5}
    grad = srcdiff.gradient(dict_of_array_and_float)(cfg)
    assert type(grad["s"]) is float and grad["s"] == pytest.approx(0.5 - 1.0 + 1.0)
    grad = srcdiff.gradient(nested_tuple)(((0.5, 1.5), 2.0))
    assert grad == ((1.5, 0.5), 2.0)
    assert all(type(v) is float for v in (*grad[0], grad[1]))


def loops_over_an_empty_list(u):
    acc = []
    squares = [u * u for e in acc]
    return sum(squares) + u


def returns_from_a_loops_else(a, n):
    s = np.sum(a * a)
    if s < 10.0:
        for i in range(n):
            s = s * 2.0
        else:
            if s > 0.4:
                return s * 3.0
        s = s * 5.0
    return np.sum(a) + s


def spread_of_equal_values(x):
    return np.std(np.full((2, 3), x)) + np.sum(np.std(x + np.zeros((3, 4)), axis=1)) + x


def radius_at_the_origin(x):
    zero = x * 0.0
    r = np.hypot(zero, zero)
    return r * r + math.hypot(zero, zero) ** 2 + x


@pytest.mark.parametrize("f, args", [
    (loops_over_an_empty_list, (0.5,)),
    (returns_from_a_loops_else, (U3[:2], 1)),
    (returns_from_a_loops_else, (U3[:2], 0)),
    (returns_from_a_loops_else, (U3[:2] * 0.1, 1)),
    (spread_of_equal_values, (-1.4739958993339504,)),
    (radius_at_the_origin, (0.7,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_exact_more(f, args):
    assert_exact(f, args)


def swap_after_sized_by_len(u):
    u = np.sin(u) + (np.linspace(0.0, 1.0, len(u)) * u[3])
    u[3], u[-1] = u[-1], u[3]
    return np.sum(u * u)


def sized_by_size(u, x):
    y = np.full((2, u.size), x) * np.linspace(0.0, 1.0, u.size)
    dims = (y.shape[0], np.ndim(u))
    return np.sum(np.ones(dims) * np.sum(y))


def scalar_or_zero_d(u, v):
    w = v if u[2] < 0.5 else u[3]
    return np.sum(u * u[[0, 3, 3, 3]] * w)


def user_rule_step(v):
    return np.floor(v * 2.0) / 2.0


srcdiff.nondifferentiable(user_rule_step)


def clipped_square(v, delta):
    return np.where(np.abs(v) <= delta, 0.5 * v * v, delta * (np.abs(v) - 0.5 * delta))


@srcdiff.vjp_of(clipped_square)
def clipped_square_vjp(g, ans, v, delta):
    return g * np.clip(v, -delta, delta)


def result_of_unknown_rank_dropped_from_the_forward_sweep(y, x):
    s = clipped_square(y, 0.5) * x
    x = user_rule_step(s) * s
    return x




@pytest.mark.parametrize("f, args, wrt", [
    (swap_after_sized_by_len, (np.array([-0.07, -1.0, 0.83, -0.86]),), 0),
    (sized_by_size, (U3, 0.5), 1),
    (scalar_or_zero_d, (np.array([0.4, -1.0, 0.2, 0.7]), np.array(0.5)), (0, 1)),
    (scalar_or_zero_d, (np.array([0.4, -1.0, 0.9, 0.7]), np.array(0.5)), (0, 1)),
    (result_of_unknown_rank_dropped_from_the_forward_sweep, (0.4, 1.2), (0, 1)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_known_values_and_kinds(f, args, wrt):
    assert_exact(f, args, wrt)


def list_made_afresh_in_each_iteration(params, x):
    for k, v in enumerate(params):
        acc = []
        for i in range(3):
            x = math.asin(0.9 * math.sin(sum(acc) * v + x))
            acc.append(v * x)
    return x * x


def inactive_list_made_afresh(params, x):
    for k, v in enumerate(params):
        acc = []
        for i in range(3):
            x = math.asin(0.9 * math.sin(sum(acc) + x))
            acc.append(v * 0.5)
    return x * x


def test_a_list_made_afresh_in_each_iteration():
    """The reverse sweep undoes each append to read the list as it was; walking back over
    ``acc = []`` gives back the list of the previous iteration."""
    assert_exact(list_made_afresh_in_each_iteration, ((-1.1, 1.4, 0.46), 0.3), 1)
    assert_exact(list_made_afresh_in_each_iteration, (np.array([-1.1, 1.4, 0.46]), 0.3), 0)
    assert_exact(inactive_list_made_afresh, ((-1.1, 1.4, 0.46), 0.3), 1)


def recomputed_result(x, y, u):
    x /= 2.0 + math.cos(0.3)
    for z in u:
        y = math.pow(1.5 + math.sin(math.log(2.0 + math.cos(x))), math.pi - x)
    return y


def float_adjoint_through_a_loop(y, z, u):
    for x in u:
        for i in range(2, -1, -1):
            if i == 2:
                p = math.log10(2.0 + y * y)
            else:
                z = z + p * ((1.0 + x * x) ** 0.3)
    return math.sin(z)


def test_value_and_grad_of_a_result_only_the_reverse_sweep_recomputes():
    assert_exact(recomputed_result, (-0.93, -0.68, np.array([0.12, -0.5, -0.36])))


def test_a_float_gradient_through_a_loop_is_a_float():
    """The adjoint of ``y`` is a float until the loop adds NumPy scalars to it in a later
    iteration: its type is found over the whole loop, not in one reading of it."""
    args = (1.16, 0.0, np.array([-0.95, 0.0, 0.06, -0.52]))
    value, grad = srcdiff.value_and_grad(float_adjoint_through_a_loop)(*args)
    assert type(grad) is float
    assert_exact(float_adjoint_through_a_loop, args)


def written_after_flatten(u, a):
    y = a[-1].flatten()
    y[0] -= math.sinh(math.sin(u[0]))
    return np.sum(np.sin(y)) + np.sum(a)


def test_flatten_is_a_copy():
    """``x.flatten()`` always copies (``np.ravel`` may not): writing into it is fine."""
    args = (np.array([1.19]), np.array([[-1.0], [1.05], [0.25]]))
    assert_exact(written_after_flatten, args, (0, 1))


PEAKS = np.array([0.0, 1.38])


def plus_a_mixed_maximum(y):
    y = y + max(PEAKS[-1], 0.75) + min(0.25, PEAKS[0], 0.5)
    return y * y


def test_max_of_a_numpy_scalar_and_a_float_may_be_either():
    """max(np.float64, float) is whichever is larger: the derivative cannot assume a Python
    float comes out, so a float argument's gradient is cast back to a float."""
    grad = srcdiff.gradient(plus_a_mixed_maximum)(0.0)
    assert type(grad) is float and grad == pytest.approx(2 * 1.38)
    assert_exact(plus_a_mixed_maximum, (0.3,))


def tuple_from_inside_a_loop(a, b):
    for _ in range(2):
        return a * 3.0, b
    return a, b


def takes_the_tuple(x):
    p, q = tuple_from_inside_a_loop(x, 2.0)
    return p


def tail_from_inside_a_loop(u, k):
    for i in range(3):
        v = u[k:] * 2.0
        if i > 0:
            return v
    return u


def takes_the_tail(u, k):
    p = tail_from_inside_a_loop(u, k)
    return np.sum(p * p)


def tail_and_all_from_inside_a_loop(u, k):
    for i in range(3):
        v = u[k:] * 2.0
        if i > 0:
            return v, u
    return u, u


def takes_the_tail_and_all(u, k):
    p, q = tail_and_all_from_inside_a_loop(u, k)
    return np.sum(p * p) + np.sum(q)


@pytest.mark.parametrize("f, args", [
    (takes_the_tuple, (0.5,)),
    (takes_the_tail, (U3, 1)),
    (takes_the_tail_and_all, (U3, 1)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_returns_from_inside_loops(f, args):
    """A return inside a loop zeroes the result's adjoint on the other paths: a tuple's zero
    is written out, and a zero shaped like a value known only when the code runs is made
    from that value, which the forward sweep keeps."""
    assert_exact(f, args, 0)


def grown_list(a, n):
    out = [a]
    for i in range(n):
        out.append(out[-1] * a)
        if i > 2:
            return out
    return out


def takes_the_grown_list(x, n):
    lst = grown_list(x, n)
    return np.sum(sum(lst) * lst[-1])


@pytest.mark.parametrize("args", [(0.5, 2), (0.5, 6), (U3, 6)], ids=str)
def test_helper_returning_a_list_that_grows(args):
    """A list whose length is only known when the code runs is returned from a helper (it
    was refused), from inside the loop that grows it as well as after it."""
    assert_exact(takes_the_grown_list, args, 0)


def angle_and_double(a, b):
    return np.arctan2(a, b), a * 2.0


def uses_the_double_only(y):
    angle, double = angle_and_double(y, y * 0.0)
    return double * y


def test_result_elements_the_caller_never_uses_get_no_derivative():
    """At the origin arctan2 has no derivative; the caller uses only the other element, so
    the helper's VJP must not multiply a zero adjoint by 0/0 (which gave nan)."""
    assert_exact(uses_the_double_only, (0.0,))
    assert srcdiff.gradient(uses_the_double_only)(0.0) == 0.0
    assert "a * a" not in srcdiff.source(srcdiff.gradient(uses_the_double_only))


def loops_over_a_list_that_stays_empty(x, params):
    acc = []
    for v in acc:
        s = np.linalg.slogdet(np.eye(3) * 2.0 + np.sin(v[:, None] * np.ones((3, 3))))[1]
        x = x * s
    return sum([np.sum(np.sin(v)) for v in acc]) + x * params[0]


def test_a_loop_over_a_list_known_to_be_empty_is_dropped():
    """The body of a loop over a list that is empty on every call never runs: it is neither
    specialized (its element has no kind; indexing it was refused) nor differentiated."""
    assert_exact(loops_over_a_list_that_stays_empty, (0.7, np.array([0.5, 2.0])), (0, 1))


def transposed_sum_of_sized_arrays(x, n):
    y = (np.ones((n - 1, n + 1)) * x) @ (np.linspace(0.0, 1.0, n + 1) * x)
    u = (np.zeros(y.shape) + y).T
    return np.sum(np.full((u.shape[0],), np.minimum(y, u).var())) + np.sum(u)


def test_transpose_of_an_array_whose_rank_is_known_when_it_runs():
    """``x.T`` reverses the axes: its adjoint is ``np.transpose(g)`` whatever the rank (the
    general form took axes=None modulo the rank)."""
    assert_exact(transposed_sum_of_sized_arrays, (-1.46, 2), 0)
    assert_exact(transposed_sum_of_sized_arrays, (0.3, 4), 0)


def constant_helper(a0, a1):
    return 2.0


def calls_a_constant_helper(x):
    return np.sum(x * constant_helper(x * 3.0, x) + constant_helper(0.5, np.sin(x)))


def test_helper_whose_result_is_a_constant():
    """Its VJP takes the result's adjoint like any other (the parameter had no name)."""
    assert_exact(calls_a_constant_helper, (0.4,))
    assert_exact(calls_a_constant_helper, (U3,))


def strided_rows_added_to_no_rows(x, n):
    y = np.full((n, 2), x * x)
    y[:0] += y[1::2]
    return np.sum(np.sin(y))


def first_three_rows(x, n):
    y = np.full((n, 2), x)
    z = y[:3] * np.ones((3, 1))[:n]
    return np.sum(z * z)


@pytest.mark.parametrize("f, n", [
    (strided_rows_added_to_no_rows, 1), (strided_rows_added_to_no_rows, 2),
    (first_three_rows, 2), (first_three_rows, 5),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_slices_of_a_dimension_known_when_the_code_runs(f, n):
    """A slice's length is known only where it is the same for every size: ``y[1::2]`` has
    3 rows for 6 and for 7 rows, but not for 1; ``y[:3]`` has 3 rows only from 3 rows on."""
    assert_exact(f, (0.4, n), 0)


def clipped_to_itself(u, x):
    y = np.where(np.abs(np.full(u.shape, x)) < 0.0, u * 2.0, np.copy(u))
    return np.sum(np.clip(y, -0.5, u) / (2.0 + np.cos(y[1] - x)))


def test_clip_where_the_value_and_both_bounds_meet():
    """``np.clip(y, -0.5, u)`` with ``y == u == -0.5``: the result follows ``u`` (it is
    ``a_max``); the adjoint went to no operand at all."""
    assert_exact(clipped_to_itself, (np.array([-0.5, -0.71]), -0.5), (0, 1))
    g = srcdiff.gradient(lambda a, lo, hi: np.clip(a, lo, hi), wrt=(0, 1, 2))
    for point in [(0.3, 0.3, 0.3), (0.1, 0.3, 0.3), (0.5, 0.3, 0.3), (0.5, 0.3, 0.2)]:
        assert sum(g(*point)) == 1.0


def angle_of_nothing(x, u):
    zero = x * 0.0
    return x + zero * math.atan2(zero, zero) + np.sum(u * np.arctan2(u * 0.0, u * 0.0))


def test_atan2_at_the_origin():
    """atan2 has no derivative at the origin; where its adjoint is zero (or its operands
    do not move) 0 * (0 / 0) gave NaN, and a located error for Python floats."""
    assert_exact(angle_of_nothing, (0.7, U3), (0, 1))


def list_made_in_a_late_branch(u):
    x = u[2] * 1.0
    if x <= 0.4:
        x = x * 2.0
        if x < 0.1:
            return x - 0.5
    c = 0
    while c < 2:
        c += 1
        if x > 5.0:
            return sum([x ** k for k in range(3)])
    return math.sin(x) + np.sum(np.sin(u))


@pytest.mark.parametrize("last", [1.3, 0.01, 0.3, 6.0])
def test_zero_adjoint_of_a_list_some_paths_never_make(last):
    """Where paths join, the adjoint of a list that one path never made is made zero from
    the list itself: on that path the variable holds None (it was unbound)."""
    assert_exact(list_made_in_a_late_branch, (np.array([-1.2, 1.0, last]),))


def stored_into_a_part_of_unknown_length(n, u, a):
    u = np.sin(u) + np.where(np.full(u.shape, u[-1]) > 0.5, u, u[0])
    u[n % 1] = a[-4:].min()
    a = a * np.where(u[0] > 0.0, u[0], 0.1 * a)
    a[n - 1] *= u[n % 1]
    u[n:] = (u + np.zeros((0,))).T
    return u[n - 1]


def test_store_into_a_part_whose_length_is_known_when_it_runs():
    """``u[n:] = v``: the part's adjoint is summed back to ``v``'s shape by reading ``v``,
    which the forward sweep must therefore keep (it was dropped: NameError)."""
    a = np.array([[1.24, -1.17, 1.40], [-1.0, 0.5, 1.48], [-0.14, -0.46, 1.44],
                  [0.31, -0.04, -1.21]])
    args = (1, np.array([0.52]), a)
    assert_exact(stored_into_a_part_of_unknown_length, args, (1, 2))
    u_bar, a_bar = srcdiff.gradient(stored_into_a_part_of_unknown_length, wrt=(1, 2))(*args)
    assert u_bar == 0.0 and a_bar[3, 2] == 1.0 and np.sum(a_bar) == 1.0


def divided_in_place_in_a_loop(y, x):
    for i in range(2, 3):
        if math.erf(y) < sum([(0.5, -1.0, 2.0)[k] * x ** k for k in range(3)]) <= 1.0:
            y = bool(abs((y + 1j * y) * (0.5 - 1j * x)) > x ** 3) * math.atan2(1.0, 3.0 + y * y)
            x = np.maximum(math.trunc(float(y)) - y, math.log(1.25, 2.0 + x * x))
        else:
            y /= 2.0 + math.cos(math.atanh(0.5 * math.tanh(y)))
    return y


def powered_in_a_loop(y, t):
    for i in range(2):
        y = y ** t
    return y


def test_adjoint_reading_the_old_and_the_new_value_of_a_variable():
    """``y = y ** t`` in a loop: ``t``'s adjoint reads the old ``y`` and the new one
    (``dpow_dy(y, ans)``); the new one is kept under a name of its own before the old one
    is restored (it was read after the restore)."""
    assert_exact(powered_in_a_loop, (1.3, 0.7), (0, 1))
    assert "y_new = y" in srcdiff.source(powered_in_a_loop, wrt=(0, 1), args=(1.3, 0.7))
    assert_exact(divided_in_place_in_a_loop, (1.4192481910139492, -1.0), (0, 1))


def numpy_helper(a, b):
    return np.sin(a) * b


def float_through_a_numpy_helper(x, y):
    if x > 0.5:
        z = numpy_helper(y, x)
        y = math.log1p(z * z)
    return y * y


def test_float_gradient_that_a_helpers_vjp_computes():
    """The VJP of a helper computing with NumPy returns NumPy scalars; the adjoints it
    assigns (several at once) are cast back for float arguments."""
    grads = srcdiff.gradient(float_through_a_numpy_helper, wrt=(0, 1))(1.3, -0.7)
    assert all(type(g) is float for g in grads)
    assert_exact(float_through_a_numpy_helper, (1.3, -0.7), (0, 1))
    assert_exact(float_through_a_numpy_helper, (0.3, -0.7), (0, 1))


def written_diagonal_matrix(u, a):
    a = np.diag(a[0])
    a[:2] -= np.where(a[[0, 1]] < 0.0, a[:2], 0.5)
    return np.sum(np.sin(a)) + np.sum(u * a[0, :2])


def test_diag_of_a_vector_is_a_new_array():
    """``np.diag(v)`` of a vector builds a new matrix (of a matrix it returns a view of the
    diagonal): writing into it changes nothing the caller passed (that was refused)."""
    assert_exact(written_diagonal_matrix, (U3[:2], np.array([[1.3, -0.5], [0.2, 0.7]])),
                 (0, 1))


def swapped_in_a_grid(n, x):
    y = np.linspace(0.0, 1.0, 2 * n) * x
    y[3], y[n % 4] = y[n % 4], y[3]
    return np.sum(y * y * np.linspace(1.0, 2.0, 2 * n))


def test_linspace_with_a_count_known_when_it_runs_is_a_vector():
    """``np.linspace(a, b, k)`` with ``k`` an int known only at run time is a vector of
    unknown length (its rank was unknown, so ``y[3]`` might have been a row, a view, and
    the swap was refused)."""
    assert_exact(swapped_in_a_grid, (4, 0.3), 1)
    assert_exact(swapped_in_a_grid, (3, -0.8), 1)


def sign_copied_from_itself(u):
    return np.sum(np.copysign(u, u) * 1.5) + np.copysign(u[0], u[0])


def test_copysign_of_a_value_onto_itself():
    """``np.copysign(u, u)`` is ``u``: at 0 the adjoint of ``|x|`` is taken as 1, not 0."""
    assert_exact(sign_copied_from_itself, (np.array([0.0, 0.4, -0.3]),))


def shifted_columns_after_a_power(a, u):
    y = np.ones_like(a) * u[0]
    y = y[[2, 0, 0]]
    z = np.power(1.0 + a * a, y)
    for i in range(3):
        y[:, i - 1] += W[i]
    return np.sum(z * z)


def test_restoring_a_store_reads_its_index():
    """Walking back over ``y[:, i - 1] += c`` puts back the column it overwrote (the power's
    adjoint reads ``y`` as it was): at ``i - 1`` of that iteration, not of the last one."""
    a = np.array([[-1.1, -1.3, -1.1], [-0.9, 0.2, 0.0], [0.7, 1.2, -0.3]])
    assert_exact(shifted_columns_after_a_power, (a, np.array([1.45, -0.69, 0.58])), (0, 1))


def swapped_after_joining(x):
    u = np.concatenate((np.full((1,), x), np.transpose(W)))
    for i in range(1, len(u)):
        u[i % 3], u[i] = u[i], u[i % 3]
    return np.sum(u * u * np.arange(4.0)) + np.sum(np.stack([W, W * x])[1])


def test_joining_arrays_whose_sizes_are_known_when_it_runs():
    """Joining a module-level array (whose sizes are not part of the specialization) gives
    an array of known rank: ``u[i]`` is then a number, not possibly a row that the swap
    would change (that was refused)."""
    assert_exact(swapped_after_joining, (0.3,))


def least_of_mixed_kinds(x, acc):
    return min(np.arctan2(x, math.e), 2.0, sum(acc)) * x + min(np.sin(x) * 2.0, 3)


def grid_of_a_grown_list(u, n):
    vals = [u[1] * k for k in range(n)]
    v = sum((u, u, np.array(vals)[:3]))
    return np.sum(v * v) + v[-1]


def sign_test_on_either_kind(n, x, u):
    for i in range(n):
        if i == 0:
            p = x * u[0]
        else:
            x = x + p * (int(x > 0.0) * p)
    y = np.zeros((n,)) + np.sinc(x)
    y[n:] += 1.0
    return np.sum(y)


@pytest.mark.parametrize("f, args, wrt", [
    (least_of_mixed_kinds, (0.4, [1, 2]), 0),
    (grid_of_a_grown_list, (U3, 4), 0),
    (sign_test_on_either_kind, (2, 0.3, U3), (1, 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_kinds_of_mixed_values(f, args, wrt):
    """``min`` of a NumPy scalar and an int; ``np.array`` of a list that grows (a vector of
    unknown length); a comparison that is a bool on one path and an np.bool_ on another.
    Each gave a kind srcdiff refused to go on with."""
    assert_exact(f, args, wrt)


def nested_tuple_reused(params, u):
    (p3, p4), p2 = params
    u = p3 ** 2 - np.arcsinh(u)
    (p7, p8), p6 = params
    p7 -= np.ptp(np.logaddexp(np.full((2, 3), p3), u[:, None] * np.ones((2, 3))))
    return p7 * p7 + np.sum(u)


def rebound_and_unused(u, y):
    for x in u:
        u = u / (2.0 + np.cos(x)) * np.sum(np.full((4, 3), y), axis=-1)
    return y * y


def test_gradient_types_in_nested_and_unused_arguments():
    """A float inside a tuple inside a tuple is cast back to float; a float32 array that the
    result does not depend on gets float32 zeros even where the function rebinds it to a
    float64 array."""
    grads = srcdiff.gradient(nested_tuple_reused, wrt=0)(((-0.77, -0.83), -1.08), U3[:2])
    assert type(grads[0][0]) is float and type(grads[0][1]) is float
    u = np.array([0.06, 0.7, 1.0, 0.14], dtype=np.float32)
    grad = srcdiff.gradient(rebound_and_unused, wrt=0)(u, -0.36)
    assert grad.dtype == np.float32 and not np.any(grad)


def rows_then_the_row_variable_rescaled(x, u, n):
    for x in u:
        u = np.abs(np.linalg.norm(np.full((2, 4), x).mean(axis=-2)) + 1j * (np.linspace(
            0.0, 1.0, n - 1) * x))
        for r in u:
            x = math.fabs(x if not np.arctan2(r, x) > 0.4 else u[0])
        x *= np.linalg.norm(u.reshape(2, 1).dot(np.full((1,), x)))
    return x + np.sum(u * u)


def test_loop_item_reassigned_in_the_body_is_not_recomputed():
    """``for x in u: ...; x = ...``: the reversed iteration must not recompute ``x = u[k]``
    at its top, where the adjoint of ``x *= ...`` reads the ``x`` the inner loop left."""
    args = (-0.81, np.array([-1.003345747289694, 0.9527704044124148]), 3)
    assert_exact(rows_then_the_row_variable_rescaled, args, 1)
    grad = srcdiff.gradient(rows_then_the_row_variable_rescaled, wrt=1)(*args)
    _, expected = srcdiff.value_and_grad(rows_then_the_row_variable_rescaled, wrt=1)(*args)
    np.testing.assert_allclose(grad, expected)


def written_through_a_view_then_read_next_iteration(u):
    for i in range(2):
        u = np.where(u > -0.3, u, u[0]) * 0.01
        c = np.ravel(u)
        c[-1] *= np.arctan2(u[0], 1.0)
    return np.sum(np.sin(u))


def test_stale_value_carried_by_a_loop_is_refused_with_its_write():
    """The next iteration reads ``u`` after a write through the view ``c`` changed it: a
    located refusal naming that write (finding the write crashed: an internal error)."""
    with pytest.raises(srcdiff.SrcdiffError, match=r"changed in place") as error:
        srcdiff.gradient(written_through_a_view_then_read_next_iteration)(U3)
    assert "c[-1] *= " in str(error.value) and "internal error" not in str(error.value)


def cubed_items_in_a_while_loop(u):
    trips = 0
    while trips < 2:
        trips += 1
        for x in u:
            u = np.stack([1.0, x ** 3])
    return np.sum(u * u)


def cubed_items_under_a_branch(u, flag):
    for c in range(3):
        if flag > 0:
            for x in u:
                u = np.stack([1.0, x ** 3])
    return np.sum(u * u)


@pytest.mark.parametrize("f, args", [
    (cubed_items_in_a_while_loop, (np.array([-1.12, 0.956]),)),
    (cubed_items_under_a_branch, (np.array([-1.12, 0.956]), 1)),
])
def test_loop_item_of_an_iterable_an_outer_loop_rebinds(f, args):
    """``x = u[k]`` is recomputed in the reversed inner loop only where ``u`` is the same
    in every trip of the loops around it: a ``while`` loop, or a ``for`` loop outside a
    branch, rebinds it, and the reverse sweep read the last trip's ``u``."""
    assert_exact(f, args, 0)


def read_in_one_branch_of_a_loop(x, n):
    s = 0.0
    for k in range(n):
        u = np.ones(k + 1) * x
        if k == 2:
            s = s + np.sum(np.stack([u, u]) * 3.0)
    return s


def test_zero_adjoint_of_a_value_whose_size_changes_each_iteration():
    """The branch that does not read ``u`` zeroes ``u_bar`` from ``u``, whose size changes
    with ``k``: the reverse sweep must hold that iteration's ``u`` (it held the last one,
    and the adjoints raised a ValueError)."""
    for n in (4, 5, 6, 7, 8, 9, 10, 11, 12):  # the sizes are specialized at first, then not
        assert_exact(read_in_one_branch_of_a_loop, (0.5, n), 0)


def unpacked_with_a_closure_reading_a_target(y, x):
    scaled = lambda v: v * v * x  # noqa: E731
    x, s = 2.0, scaled(y)
    return s


def unpacked_with_a_nested_def_reading_a_target(y, x):
    def scaled(v):
        return v * x

    def twice(v):
        return scaled(v) * 2.0

    x, s = y * 3.0, twice(y)
    return s + x


@pytest.mark.parametrize("f", [unpacked_with_a_closure_reading_a_target,
                               unpacked_with_a_nested_def_reading_a_target])
def test_unpacking_evaluates_every_value_before_assigning(f):
    """``x, s = 2.0, g(y)`` where ``g`` reads ``x`` through its closure: Python evaluates
    the right side first, so ``g`` sees the old ``x`` (srcdiff assigned ``x`` first: the
    value and the gradient were wrong)."""
    value, _ = srcdiff.value_and_grad(f, wrt=(0, 1))(0.5, 3.0)
    assert value == f(0.5, 3.0)
    assert_exact(f, (0.5, 3.0), (0, 1))


def product_over_rows_of_no_columns(u):
    a = u[:, None] * np.ones((3, 0))
    return np.sum(np.prod(a, axis=-2)) + np.sum(a.prod(axis=0)) + np.sum(u * u)


def test_product_over_an_axis_of_an_empty_array():
    """``np.prod`` of a (3, 0) array over its rows: the adjoint's helper flattened the
    reduced axes with ``reshape(..., -1)``, which is ambiguous with a kept axis of length 0
    (an internal ValueError)."""
    assert_exact(product_over_rows_of_no_columns, (np.array([-1.0, 1.0, 2.0]),), 0)


def element_read_in_both_branches_of_a_shared_adjoint(x, w, c):
    if c > 0:
        s = x[0]
    else:
        s = x[1]
    x = x + w
    return s * 3.0 + np.sum(x * x)


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_a_branch_does_not_own_what_the_other_branch_copied(c):
    """``x + w`` hands one adjoint to both ``x`` and ``w``; the first branch copies
    ``x_bar`` before adding into it, so it owns the copy. The second branch shared that
    ownership (one set for both branches) and added into ``x_bar`` in place: ``w_bar``,
    the same array, changed too (found reading the code, not by the fuzzer)."""
    args = (np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0]), c)
    assert_exact(element_read_in_both_branches_of_a_shared_adjoint, args, (0, 1))


def nested_unpacking_that_reads_a_target(u, x):
    (a, b), x = (u * x, u * 2.0), x + 1.0
    a += b
    return np.sum(a * b) * x


def test_nested_unpacking_keeps_its_values_apart():
    """``(a, b), x = (e1, e2), e3`` where a value reads ``x``: every value is computed
    before any target is assigned, each on its own (it was staged as one tuple, whose
    elements ``a`` and ``b`` then looked like they might share memory, so ``a += b`` was
    refused)."""
    assert_exact(nested_unpacking_that_reads_a_target, (np.array([0.5, -1.0]), 0.3), (0, 1))


def row_from_its_own_column(a):
    a = a * 1.5
    a[2] = a[:, 3]
    return np.sum(np.sin(a))


def test_a_store_of_a_view_of_its_own_target_is_refused():
    """``a[2] = a[:, 3]``: NumPy copies the column into the row element by element with no
    copy first, so ``a[2, 2]`` gets the new ``a[2, 3]``; the adjoint took the stored values
    to be the old column (a silently wrong gradient). Refused, naming the store."""
    with pytest.raises(srcdiff.SrcdiffError, match="writes into an array a value that shares"):
        srcdiff.gradient(row_from_its_own_column)(np.arange(16.0).reshape(4, 4))


def cosine_ratio(a0, a1):
    if np.sum(np.full((3,), a1).clip(-1.0, 0.8), axis=0) < math.log(1.0 + a1 * a1, 2.0 + a1 * a1):
        pass
    return (2.0 + math.sin(a1 / 2.0)) ** -1.5, math.cos(a1 * a0)


def early_return_of_a_masked_read_in_a_loop(params, a, y, x, n):
    a = np.where(np.dot(a, a) > a[-4:], np.dot(a, a), a[-4:])
    if math.asinh(-0.7) < (1.0 - y) <= 1.0:
        if not cosine_ratio(x, y)[1] > 0.4:
            a = a * 1.0
        else:
            if n > 1:
                return np.diff(np.abs(np.full((4, 5), y)), axis=1).prod()
        for i3 in range(len(a) - 1, -1, -1):
            if (x / (2.0 + math.cos(a[-1, -1]))) >= 1.0:
                return np.sum(np.sin(a[a > -0.3]))
            y = math.atan2(np.sum(a[i3:]), 3.0 + params[1] * params[1])
    return x + np.sum(np.sin(a)) + params[0][0] + params[0][1] + params[1] * params[1]


def test_zero_adjoint_of_a_value_no_trip_assigned():
    """The reversed loop starts from a zero adjoint of ``a[a > -0.3]`` (its size known only
    when the code runs, so made from the value), which no trip computed: the generated code
    read an unbound variable (UnboundLocalError). Its zero is None there."""
    a = np.array([[0.42, 0.11, 0.48, -0.5], [-1.37, -0.82, -0.93, 0.25],
                  [-0.33, -0.71, 0.42, -1.0], [-1.46, -0.93, -0.1, -0.58]])
    args = (((0.88, 1.36), -0.94), a, 0.70, 0.32, 0)
    assert_exact(early_return_of_a_masked_read_in_a_loop, args, 1)


def row_copied_from_another_row(u, n):
    ws = np.zeros((3, 2)) + u[:2]
    ws[n % 3] = ws[n + 1]
    return np.sum(ws * ws)


def test_a_row_stored_from_a_row_of_the_same_array_is_exact():
    """``y[i] = y[j]`` with integer indices names the same row or another one, never a
    partial overlap: NumPy copies it exactly, and srcdiff differentiates it (the check that
    refuses ``a[2] = a[:, 3]`` must not refuse this)."""
    assert_exact(row_copied_from_another_row, (np.array([0.5, -1.5, 2.0]), 1), 0)


def rank_changed_by_an_inner_loop(u, m, n):
    total = 0.0
    for i in range(u.shape[0]):
        y = np.concatenate([np.full((1, 1), u[0]), np.zeros((u.shape[0], n - 1)) + 1.0])
        total = total + u[0] * y[2, 0]
        for k in range(m + 1):
            u = np.linspace(0.0, 1.0, len(u)) * abs(y[2, 0]) + u
    return total


def test_the_shape_of_an_array_whose_rank_a_loop_forgets_is_a_tuple_of_ints():
    """Around a loop that rebinds ``u`` to an array of unknown rank, ``u.shape`` is a tuple
    of unknown length on one path and of one int on the other: their join is a tuple of
    ints (it was an unknown kind, and ``u.shape[0]`` was refused as indexing it)."""
    assert_exact(rank_changed_by_an_inner_loop, (np.array([0.46, 0.41]), 1, 2), 0)


def loop_item_then_stored_into(a, u):
    for i in range(2):
        for u in a:
            pass
        u = np.sin(u) + 1.0
        u[i - 1] *= u[1]
    return np.sum(u * u)


def test_a_loop_item_recomputed_only_where_no_later_trip_reads_the_value_before_it():
    """``for u in a`` inside a loop whose later trip, walked back earlier, restores a store
    into the previous ``u``: the reverse sweep must give ``u`` back its value from before
    the inner loop, not recompute the loop item (it restored the store into a row of ``a``,
    changing the caller's array and the next call's value)."""
    a = np.array([[0.1, -0.5], [-1.1, -0.6]])
    assert_exact(loop_item_then_stored_into, (a, np.array([0.3, 0.2])), (0, 1))


def aliased_in_a_branch(n, u, v):
    v = v + u
    s1 = v[-1]
    if n == 2:
        u = u + v
    return s1 + np.sum(u * u)


def test_an_adjoint_aliased_in_a_branch_is_not_written_in_place():
    """Walking back over ``u = u + v``, ``v_bar = u_bar`` took ``u_bar``'s array as its
    own though the old ``u`` kept it too (one variable); ``v_bar[-1] += 1.0`` after the
    join then changed ``u_bar``. Found by forward mode against reverse mode (the fuzzer,
    language 600660); wrong since before forward mode."""
    u, v = np.array([-0.28, -1.33, 0.23, -0.5]), np.array([1.35, -1.26, -0.64, 0.047])
    grad = srcdiff.gradient(aliased_in_a_branch, wrt=1)(2, u, v)
    forward = [srcdiff.jvp(aliased_in_a_branch, (2, u, v), (None, e, None))[1]
               for e in np.eye(4)]
    np.testing.assert_allclose(grad, forward, rtol=1e-12)


def unbroadcast_shares_the_adjoint(u, n):
    y2 = np.ones((n,)) * math.erfc(u[1])
    for x in y2:
        u = u * np.logaddexp(x, u)
        u[1] *= y2[0]
    s3 = u[0] * 2.0
    u = u + y2
    return s3 + np.sum(u * u)


def test_an_adjoint_that_unbroadcast_hands_on_is_not_owned_twice():
    """Walking back over ``u = u + y2``, ``y2_bar = unbroadcast(u_2_bar, y2)`` is
    ``u_2_bar``'s very array where the shapes agree, yet ``u_bar`` took that array as its
    own; ``u_bar[0] += 2.0`` then changed ``y2_bar`` too. Found by forward mode against
    reverse mode (the fuzzer, sizes 1200583); wrong since before forward mode."""
    u = np.array([0.4140638889734789, -1.311806216393131])
    grad = srcdiff.gradient(unbroadcast_shares_the_adjoint)(u, 2)
    forward = [srcdiff.jvp(unbroadcast_shares_the_adjoint, (u, 2), (e, None))[1]
               for e in np.eye(2)]
    np.testing.assert_allclose(grad, forward, rtol=1e-12)


def eye_of_a_size_argument_in_a_loop(u, n, a):
    for _ in u:
        a = np.eye(n) * (math.floor(a[0, 0]) + a[0, 0])
    return np.sum(np.sin(a))


def test_an_eye_of_a_size_argument_is_two_dimensional():
    """``np.eye(n)`` for an int argument ``n`` of unknown value is a matrix of unknown size,
    not an array of unknown rank: around the loop ``a[0, 0]`` stays a number, and
    ``math.floor`` of it an int (they had become of unknown kind, and the indexing was
    refused). Found by the fuzzer (sizes, seed 2001966)."""
    for n, a in ((1, np.array([[-1.14]])), (2, np.array([[0.3, 0.2], [0.1, 0.4]]))):
        assert_exact(eye_of_a_size_argument_in_a_loop, (U3, n, a), "a")


SIZE = 3


def row_stored_from_part_of_another_row(a, b):
    y = a * b
    y[SIZE - 1] = y[SIZE, :4]
    y[-1, 1:] = y[0, :3]
    return np.sum(y * y)


def test_a_row_stored_from_a_slice_of_another_row_is_exact():
    """``y[2] = y[3, :4]`` and ``y[-1, 1:] = y[0, :3]``: both indices start with different
    known rows, so the regions share no element whatever the rest of the index says (they
    were refused as writes of a value that shares memory with the array). Found by the
    fuzzer (language, seed 2000565)."""
    a = np.arange(16.0).reshape(4, 4) / 7.0 - 1.0
    assert_exact(row_stored_from_part_of_another_row, (a, 0.5), ("a", "b"))


def row_stored_from_a_slice_of_itself(a):
    y = a * 2.0
    y[1, 1:] = y[1, :3]
    return np.sum(y * y)


def test_a_slice_stored_into_an_overlapping_slice_of_the_same_row_is_still_refused():
    with pytest.raises(srcdiff.SrcdiffError, match="shares memory with it"):
        srcdiff.gradient(row_stored_from_a_slice_of_itself)(np.ones((3, 4)))


def integer_grown_into_a_float_list(x, y):
    acc = []
    for i in range(1):
        acc.append(sum(acc))  # sum([]) is the integer 0
    acc.append(math.sin(y))
    first = acc[0]
    return first * first + x


def integers_packed_then_joined(x):
    pairs = [(0, 1)]
    for k in range(2):
        pairs.append((x * k, x))
    a, b = pairs[0]
    return a * b + pairs[2][0]


@pytest.mark.parametrize("f, args, expected", [
    (integer_grown_into_a_float_list, (1.0, 0.5), (1.0, 1.0)),
    (integers_packed_then_joined, (0.7,), (0.7, 1.0)),
])
def test_an_integer_put_into_a_list_has_a_zero_tangent(f, args, expected):
    """The list's kinds are joined after the loop, so a read takes the integer for a float
    and computes with its tangent, which was None (fuzz seeds containers 3101455, 3102160)."""
    tangents = tuple(1.0 for _ in args)
    value, tangent = srcdiff.value_and_tangent(f, wrt=tuple(range(len(args))))(*args, *tangents)
    assert (value, tangent) == pytest.approx(expected)
    assert type(tangent) is float


def reshaped_to_a_variable_shape_then_listed(u, a):
    y2 = np.reshape(u, a.shape)
    u = u + sum([row for row in y2])
    return np.sum(u * u)


def reshaped_to_a_variable_shape_then_written(u, a):
    y = u * 1.0
    v = np.reshape(y, a.shape)
    y[0] = 5.0
    return np.sum(v * u)


def test_a_view_shares_no_memory_with_the_shape_it_was_given():
    """``np.reshape(u, a.shape)`` may be a view of ``u``, not of the tuple ``a.shape``: the
    appends that build a list of its rows wrote into that tuple, as the analysis saw it, and
    the reshape read after them was refused as stale (fuzz seed language 3200260)."""
    u, a = np.array([1.0, 2.0, 3.0]), np.ones((1, 3))
    assert_exact(reshaped_to_a_variable_shape_then_listed, (u, a))
    got = srcdiff.gradient(reshaped_to_a_variable_shape_then_listed)(u, a)
    np.testing.assert_allclose(got, 2.0 * (u + u) * 2.0)
    with pytest.raises(srcdiff.SrcdiffError, match="shares memory"):
        srcdiff.gradient(reshaped_to_a_variable_shape_then_written)(u, a)
