"""Calls into the user's own functions: derivatives generated recursively."""

import math

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff import SrcdiffError, gradient


def square(v):
    return v * v


def scaled(a, b, k=2.0):
    return k * a * math.sin(b)


def layer(w, x):
    return np.tanh(w @ x)


def two_levels(x):
    return square(scaled(x, x, k=0.5)) + 1.0


def calls(x, y):
    z = square(x) + scaled(x, y)
    for i in range(3):
        z = z + scaled(z, x, k=0.5)
    if z > 1.0:
        z = square(z) * y
    return z + two_levels(y)


def network(w1, w2, x):
    h = layer(w1, x)
    return np.sum(layer(w2, h) ** 2)


def check(f, args, wrt):
    got = gradient(f, wrt=wrt)(*args)
    got = got if isinstance(wrt, tuple) else (got,)
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    for index, value in zip(indices, got):
        np.testing.assert_allclose(value, central_difference(f, args, index), rtol=1e-6,
                                   atol=1e-8)


@pytest.mark.parametrize("args", [(0.7, 0.3), (0.2, -0.4), (1.3, 0.9)])
def test_calls_in_loops_and_branches_with_keywords_and_defaults(args):
    check(calls, args, (0, 1))


def test_array_helpers():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.normal(size=3))
    check(network, args, (0, 1))


def test_helper_from_another_module(module_from):
    helpers = module_from("import math\n\ndef bump(t, s=3.0):\n    return math.exp(-s * t * t)\n",
                          name="srcdiff_test_helpers")
    mod = module_from("from srcdiff_test_helpers import bump\n\n"
                      "def f(x):\n    return bump(x) + bump(x, s=0.5) * x\n")
    assert helpers.bump(0.0) == 1.0
    check(mod.f, (0.4,), 0)


def test_callee_derivatives_are_printed_before_the_caller():
    text = srcdiff.source(calls, wrt=(0, 1))
    assert text.index("def scaled_vjp(a, b, k, scaled_bar):") < text.index("def calls_grad")
    assert "def square_vjp(v, square_bar):" in text
    assert "scaled_vjp(z, x, 0.5, z_bar)" in text


def test_recursion_is_refused(module_from):
    mod = module_from("""
        def fact(x, n):
            if n <= 1:
                return x
            return x * fact(x, n - 1)

        def f(x):
            return fact(x, 3)
        """)
    with pytest.raises(SrcdiffError, match="fact calls itself") as info:
        gradient(mod.f)(1.0)
    assert info.value.lineno == 5
    assert "loop" in info.value.hint


def test_mutual_recursion_is_refused(module_from):
    mod = module_from("""
        def ping(x):
            return pong(x) * 2.0

        def pong(x):
            return ping(x) + 1.0

        def f(x):
            return ping(x)
        """)
    with pytest.raises(SrcdiffError, match="calls itself"):
        gradient(mod.f)(1.0)


def polar(r, t):
    return r * math.cos(t), r * math.sin(t)


def through_a_tuple(x, y):
    a, b = polar(x, y)
    pair = (a, b * 2.0)
    u, v = pair
    return u * v + pair[0]


def test_tuple_results_and_tuple_values():
    check(through_a_tuple, (0.7, 0.4), (0, 1))
    text = srcdiff.source(through_a_tuple, wrt=(0, 1))
    assert "def polar_vjp(r, t, polar_bar):" in text


def test_cli_prints_callee_derivatives(tmp_path, capsys):
    from srcdiff import cli
    path = tmp_path / "calls.py"
    path.write_text("import math\n\n\ndef inner(a):\n    return math.sin(a) * a\n\n\n"
                    "def outer(x):\n    return inner(x) + inner(2.0 * x)\n")
    assert cli.main([str(path), "outer"]) == 0
    out = capsys.readouterr().out
    assert "def inner_vjp(a, inner_bar):" in out
    assert out.index("def inner_vjp") < out.index("def outer_grad")
    namespace = {"math": math}
    exec(out, namespace)
    x = 0.3
    expected = (math.cos(x) * x + math.sin(x)) + 2 * (math.cos(2 * x) * 2 * x + math.sin(2 * x))
    assert namespace["outer_grad"](x) == pytest.approx(expected)


def step(y, x):
    return math.sin(y) * x + 0.1 * y * y


def iterated(x, n=3):
    y = x
    for _ in range(n):
        y = step(y, x)
    return y


def iterated_arrays(w, x):
    h = x
    for _ in range(3):
        h = layer(w, h)
    return np.sum(h)


def test_calls_inside_loops_read_the_values_of_their_iteration():
    """The reversed loop gives ``y`` back its old value before ``step``'s VJP reads it."""
    from exact import assert_exact
    assert_exact(iterated, (0.7,))
    assert_exact(iterated, (0.7, 0))
    w = np.array([[0.5, -0.3], [0.2, 0.8]])
    assert_exact(iterated_arrays, (w, np.array([0.4, -0.9])), (0, 1))


def make_scaled_square(c):
    def scaled_square(x):
        return c * x * x
    return scaled_square


twice = make_scaled_square(2.0)
five_times = make_scaled_square(5.0)


def uses_twice(x):
    return twice(x) + 1.0


def uses_five_times(x):
    return five_times(x) + 1.0


def test_closures_from_one_factory_have_derivatives_of_their_own():
    assert gradient(uses_twice)(1.5) == pytest.approx(6.0)
    assert gradient(uses_five_times)(1.5) == pytest.approx(15.0)
    assert gradient(uses_twice)(1.5) == pytest.approx(6.0)


HELPER = """
import numpy as np

N = {n}
SCALE = {scale}


def helper(x):
    return SCALE * np.sum(np.zeros(N) + x)


def caller(x):
    return helper(x) * 1.0
"""


def test_the_same_helper_text_in_two_modules(module_from):
    """Equal code objects (same text and line, other files) are different functions."""
    first = module_from(HELPER.format(n=3, scale=1.0))
    second = module_from(HELPER.format(n=5, scale=2.0))
    assert gradient(first.caller)(0.5) == pytest.approx(3.0)
    assert gradient(second.caller)(0.5) == pytest.approx(10.0)


def test_rebinding_a_callee_constant_reaches_every_caller(module_from):
    module = module_from(HELPER.format(n=3, scale=1.0))
    before = gradient(module.caller)
    assert before(0.5) == pytest.approx(3.0)
    module.N = 4
    fresh = gradient(module.caller)
    assert fresh(0.5) == pytest.approx(4.0)
    assert before(0.5) == pytest.approx(4.0)


def test_the_vjp_of_a_lambda_is_printed_under_the_name_it_is_called_by(module_from):
    """A lambda's VJP was printed as ``def <lambda>_vjp(...)``, which does not compile."""
    mod = module_from("""
        import numpy as np

        def make(c):
            return lambda v: np.sin(v) * c + v

        h2 = make(2.0)

        def f(x):
            s = 0.0
            for k in range(3):
                s = s + h2(x * k)
            return s
        """)
    text = srcdiff.source(mod.f, args=(0.5,))
    assert "def h2_vjp(v, f_bar):" in text
    namespace = {"np": np, "c": 2.0}
    exec(compile(text, "<printed>", "exec"), namespace)
    assert namespace["f_grad"](0.5) == pytest.approx(gradient(mod.f)(0.5))
