"""Forward mode: tangents written out beside the primal code (seed 001's dual numbers), and
JAX's jvp, vjp and Jacobians on top of the two modes."""

import math

import numpy as np
import pytest

import srcdiff
from srcdiff.backend.compile import Stats

STEP = 1e-6


def directional(f, args, tangents):
    """Central differences of ``f`` along ``tangents`` (None: held fixed)."""
    def at(step):
        moved = [a if t is None else a + step * np.asarray(t) if isinstance(a, np.ndarray)
                 else a + step * t for a, t in zip(args, tangents)]
        return np.asarray(f(*moved), dtype=np.float64)
    return (at(STEP) - at(-STEP)) / (2 * STEP)


def assert_jvp(f, args, tangents, rtol=1e-6):
    value, tangent = srcdiff.jvp(f, args, tangents)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, directional(f, args, tangents), rtol=rtol, atol=1e-8)
    assert type(tangent) is type(value)
    if isinstance(value, np.ndarray):
        assert tangent.shape == value.shape and tangent.dtype == value.dtype
    return value, tangent


# seed 001: dual numbers


def sqrt_sin(x):
    return math.sqrt(3 * math.sin(x))


def log_sqrt(x):
    return math.log(math.sqrt(x))


def test_seed_001_dual_numbers():
    value, tangent = srcdiff.jvp(sqrt_sin, (2.0,), (1.0,))
    assert value == pytest.approx(math.sqrt(3 * math.sin(2.0)))
    assert tangent == pytest.approx(3 * math.cos(2.0) / (2 * math.sqrt(3 * math.sin(2.0))))
    assert srcdiff.jvp(log_sqrt, (2.0,), (1.0,))[1] == pytest.approx(0.25)


def test_the_forward_code_pairs_each_value_with_its_tangent():
    text = srcdiff.source(log_sqrt, mode="forward")
    assert "def log_sqrt_jvp(x, x_dot):" in text
    assert "# return math.log(math.sqrt(x))   (line" in text
    assert "t1_dot = 0.5 * x_dot / t1" in text
    assert "return log_sqrt, log_sqrt_dot" in text


def e(a, b):
    c = a + b
    d = b + 1
    return c * d


def test_seed_002_partials_one_pass_per_input():
    assert srcdiff.jvp(e, (2.0, 1.0), (1.0, 0.0)) == (6.0, 2.0)
    assert srcdiff.jvp(e, (2.0, 1.0), (0.0, 1.0)) == (6.0, 5.0)
    assert srcdiff.jvp(e, (2.0, 1.0), (None, 1.0)) == (6.0, 5.0)
    e_jvp = srcdiff.value_and_tangent(e, wrt=("a", "b"))
    assert e_jvp(2.0, 1.0, 1.0, 1.0) == (6.0, 7.0)
    assert srcdiff.source(e_jvp).splitlines()[1] == "def e_jvp(a, b, a_dot, b_dot):"


# the language


def branchy(x, y):
    if x > 0.0:
        z = x * y
    else:
        z = 2.0
    return z * z + y


def looped(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * i) * s + x
    k = 0
    while k < 3:
        s = s * 0.5 + x
        k += 1
    return s


def rows(a, w):
    total = 0.0
    for row in a:
        total = total + np.sum(np.tanh(row * w))
    return total


def reassigned(x):
    x = x / (x + 1.0)
    x = np.exp(x) * x
    x = x * x
    return x


@pytest.mark.parametrize("f, args, tangents", [
    (branchy, (1.5, -0.5), (0.3, 1.0)),
    (branchy, (-1.5, -0.5), (0.3, 1.0)),
    (looped, (0.7, 4), (1.0, None)),
    (rows, (np.arange(6.0).reshape(2, 3) / 7, np.array([0.5, -1.0, 2.0])),
     (np.ones((2, 3)), np.array([1.0, 0.0, -1.0]))),
    (reassigned, (0.6,), (1.0,)),
], ids=["then", "else", "loops", "rows", "reassigned"])
def test_control_flow(f, args, tangents):
    assert_jvp(f, args, tangents)


def test_a_loop_over_an_array_reads_its_tangent_beside_it():
    text = srcdiff.source(rows, mode="forward", wrt=(0, 1),
                          args=(np.ones((2, 3)), np.ones(3)))
    assert "row_dot = a_dot[k]" in text


def stored(x, v):
    y = np.zeros(4)
    y[0] = x
    y[1:3] = v * x
    y[3] += x * x
    z = y[1:]
    z[0] = x * 2.0
    return np.sum(z * z) + z[1]


def fresh_then_written(x):
    y = x + 0.0
    y[0] = 5.0
    return np.sum(y * x)


def test_writes_into_arrays():
    assert_jvp(stored, (0.3, np.array([1.0, -2.0])), (1.0, np.array([0.5, 0.25])))


def test_the_tangent_of_a_new_array_is_a_new_array():
    x, direction = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0])
    assert_jvp(fresh_then_written, (x,), (direction,))
    assert direction.tolist() == [1.0, 1.0, 1.0]


def containers(x, w):
    pair = (x * 2.0, w)
    parts = []
    for k in range(3):
        parts.append(pair[0] * k + pair[1][k])
    table = {"a": parts[0], "b": parts[2]}
    first, second = pair
    return table["a"] * table["b"] + first * np.sum(second)


def test_tuples_lists_and_dicts_carry_tangents_of_their_structure():
    assert_jvp(containers, (0.4, np.array([1.0, -1.0, 0.5])), (1.0, np.array([0.1, 0.2, 0.3])))


def test_calls_use_the_forward_derivative_of_the_callee(module_from):
    mod = module_from("""
        import numpy as np

        def helper(u, k):
            return np.tanh(u) * k

        def f(x, y):
            total = 0.0
            for i in range(3):
                total = total + helper(x * i, y) + helper(y, 2.0)
            return total
    """)
    assert_jvp(mod.f, (0.3, 1.7), (1.0, -0.5))
    assert "helper_jvp(" in srcdiff.source(mod.f, wrt=(0, 1), mode="forward")


def complex_inside(x):
    z = np.exp(1j * x) * (x + 2.0)
    return abs(z) + np.real(z * z) - np.angle(z) + np.imag(np.conj(z))


def test_complex_intermediates():
    assert_jvp(complex_inside, (0.7,), (1.0,))


def test_float32_tangents_keep_their_dtype():
    x = np.linspace(0.1, 1.0, 4, dtype=np.float32)
    value, tangent = srcdiff.jvp(lambda_free_tanh, (x,), (np.ones(4),))
    assert value.dtype == tangent.dtype == np.float32


def lambda_free_tanh(x):
    return np.tanh(x) * 2.0


# the API


def vector(x, w):
    return np.tanh(x @ w) * np.sum(w)


X = np.arange(6.0).reshape(2, 3) / 10
W = np.array([0.1, -0.2, 0.3])


def test_jacobians_agree_in_both_modes():
    forward = srcdiff.jacfwd(vector, wrt=(0, 1))(X, W)
    backward = srcdiff.jacrev(vector, wrt=(0, 1))(X, W)
    assert forward[0].shape == (2, 2, 3) and forward[1].shape == (2, 3)
    for a, b in zip(forward, backward):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    column = directional(vector, (X, W), (None, np.array([0.0, 1.0, 0.0])))
    np.testing.assert_allclose(forward[1][:, 1], column, rtol=1e-6)
    auto = srcdiff.jacobian(vector, wrt=1)(X, W)
    np.testing.assert_allclose(auto, forward[1], rtol=1e-12)


def test_jacobian_auto_picks_the_mode_with_fewer_passes():
    before = Stats.transforms
    srcdiff.jacobian(vector, wrt=1, mode="auto")(np.ones((5, 3)), W)  # 3 inputs, 5 outputs
    text = srcdiff.source(vector, wrt=1, args=(np.ones((5, 3)), W), mode="forward")
    assert "def vector_jvp" in text and Stats.transforms > before


def test_vjp_returns_one_gradient_per_primal():
    value, vjp_fn = srcdiff.vjp(vector, X, W)
    np.testing.assert_allclose(value, vector(X, W))
    gx, gw = vjp_fn(np.array([1.0, -2.0]))
    jx, jw = srcdiff.jacrev(vector, wrt=(0, 1))(X, W)
    np.testing.assert_allclose(gw, np.array([1.0, -2.0]) @ jw, rtol=1e-12)
    np.testing.assert_allclose(gx, np.einsum("i,ijk->jk", np.array([1.0, -2.0]), jx),
                               rtol=1e-12)
    _, scaled_vjp = srcdiff.vjp(scaled, 2.0, 3)
    assert scaled_vjp(1.0) == (3.0, None)


def scaled(x, n):
    return x * n


def test_tangents_must_look_like_their_primals():
    with pytest.raises(srcdiff.SrcdiffError, match="tangent of w must have the structure"):
        srcdiff.jvp(vector, (X, W), (None, np.ones(4)))
    with pytest.raises(srcdiff.SrcdiffError, match="2 primals but 1 tangents"):
        srcdiff.jvp(vector, (X, W), (None,))
    with pytest.raises(srcdiff.SrcdiffError, match="takes 2 positional arguments"):
        srcdiff.jvp(vector, (X,), (None,))


def test_a_jvp_is_compiled_once_per_kind_of_arguments():
    srcdiff.jvp(e, (1.0, 2.0), (1.0, 0.0))
    before = Stats.transforms
    for k in range(20):
        assert srcdiff.jvp(e, (float(k), 2.0), (1.0, 0.0))[1] == 3.0
    assert Stats.transforms == before


def test_a_rule_without_a_forward_derivative_is_refused_where_it_is_used(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def cube(v):
            return v * v * v

        srcdiff.defvjp(cube, lambda g, ans, v: 3.0 * g * v * v)

        def f(x):
            return cube(x) + 1.0
    """)
    with pytest.raises(srcdiff.SrcdiffError) as caught:
        srcdiff.jvp(mod.f, (2.0,), (1.0,))
    text = str(caught.value)
    assert "cube has a reverse rule (defvjp) but no forward rule" in text
    assert "return cube(x) + 1.0" in text and "srcdiff.defjvp" in text


def carried_then_written(v, u):
    for i in range(2):
        v = v + u * u
        v[i] = 0.5
    return np.sum(np.sin(v))


def test_a_tangent_carried_by_a_loop_is_copied_before_a_write():
    """The tangent of ``v = v + u * u`` (``v_dot`` itself) was written into by ``v[i] =
    0.5`` in place: the caller's tangent changed. The loop's phi counted the new array's
    memory as the old one's (found by the fuzzer)."""
    direction = np.array([1.0, 2.0, 3.0])
    assert_jvp(carried_then_written, (np.array([0.1, 0.2, 0.3]), np.ones(3)),
               (direction, None))
    assert direction.tolist() == [1.0, 2.0, 3.0]


def test_a_result_whose_kind_a_callee_leaves_open_gets_a_tangent_of_its_type(module_from):
    """A callee's result joins a float and a NumPy float into a NumPy float: the zero
    tangent of a result that depended only on it was a NumPy float for a float value."""
    mod = module_from("""
        import math

        import numpy as np

        def either_kind(x, flag):
            if flag:
                return np.sin(x) * 2.0
            return math.sin(x) * 2.0

        def f(x, y):
            s = either_kind(y, x > 0.0)
            return s * s
    """)
    value, tangent = srcdiff.jvp(mod.f, (-1.0, 3.0), (1.0, None))
    assert type(value) is float and type(tangent) is float and tangent == 0.0
    value, tangent = srcdiff.jvp(mod.f, (1.0, 3.0), (1.0, None))
    assert type(value) is np.float64 and type(tangent) is np.float64


def renamed_then_reassigned(u):
    c3 = u * 2.0
    c5 = c3
    c3 = np.cosh(c3)
    return np.sum(np.sin(c5)) + np.sum(c3)


def test_a_copied_tangent_is_kept_where_its_variable_is_assigned_again():
    """``c5_dot = c3_dot`` was dropped (its reads of c5_dot made reads of c3_dot) because
    each of the two values of ``c3`` was assigned once; but they are one variable, whose
    tangent the second assignment changes before ``c5`` is read (found by the fuzzer)."""
    value, tangent = assert_jvp(renamed_then_reassigned, (np.array([0.3, -0.7]),),
                                (np.array([1.0, 2.0]),))
    assert "c5_dot = c3_dot" in srcdiff.source(renamed_then_reassigned, mode="forward",
                                               args=(np.ones(2),))


def zero_dimensional(x, k):
    s = np.sum(x * x, axis=k)
    return s + s * s


def test_a_zero_dimensional_result_and_its_tangent_are_of_one_kind():
    """NumPy turns a 0-d array into a NumPy scalar and back: the tangent of a NumPy-scalar
    value came back as a 0-d array (found by the fuzzer)."""
    value, tangent = srcdiff.jvp(zero_dimensional, (np.array([1.0, 2.0]), 0),
                                 (np.array([1.0, 0.0]), None))
    assert type(tangent) is type(value) is np.float64
    assert tangent == pytest.approx(2.0 + 2 * 5.0 * 2.0)


def _copied_in_a_loop_then_written(u):
    y = np.sin(u)
    for _ in range(1):
        y = np.copy(u[:])
    y[u > 0.0] = 2.0
    return np.sum(y * u)


def test_the_tangent_of_a_copy_made_in_a_loop_and_written_after_it_is_a_copy():
    """The value after the loop holds an array the copy made on some run of the loop's
    body; a write into it must not reach the tangent the copy came from (here the
    caller's ``u_dot``). Found by the fuzzer (indexing, seed 1600448)."""
    u = np.array([0.5, -1.0, 2.0])
    tangent = np.array([0.25, 1.0, -0.5])
    given = tangent.copy()
    value, slope = srcdiff.jvp(_copied_in_a_loop_then_written, (u,), (tangent,))
    np.testing.assert_array_equal(tangent, given)
    step = 1e-6
    expected = (_copied_in_a_loop_then_written(u + step * given)
                - _copied_in_a_loop_then_written(u - step * given)) / (2 * step)
    assert slope == pytest.approx(expected, rel=1e-6)
    assert value == _copied_in_a_loop_then_written(u)
    printed = srcdiff.source(_copied_in_a_loop_then_written, mode="forward", args=(u,))
    assert "y_dot = t1_dot.copy()" in printed
