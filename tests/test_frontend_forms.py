"""Forms of Python the README lists as supported, checked against finite differences:
nested list literals, unpacked loop variables, keyword-only parameters, dict reads with
keys from a loop, the builtin sum, ``is None`` on defaults, and print()."""

import numpy as np
import pytest
from finite_diff import central_difference

from srcdiff import SrcdiffError, gradient, source, value_and_grad

RNG = np.random.default_rng(7)


def check(fn, *args, wrt=0, **kwargs):
    """The gradient matches central differences, for each parameter in ``wrt``."""
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    got = gradient(fn, wrt=wrt)(*args, **kwargs)
    got = got if isinstance(wrt, tuple) else (got,)

    def call(*values):
        return fn(*values, **kwargs)
    for index, value in zip(indices, got):
        expected = central_difference(call, args, index)
        assert np.shape(value) == np.shape(args[index])
        np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-8)


def test_nested_list_literals_of_floats_and_arrays(module_from):
    mod = module_from("""
        import numpy as np

        def of_floats(a, b, c, d):
            m = np.array([[a, b], [c, d]])
            return np.sum(np.sin(m @ m))

        def of_arrays(a, b):
            m = np.array([[a, b], [b, a * b]])
            return np.sum(m[0] * m[1])

        def in_a_loop(x):
            s = 0.0
            for i in range(3):
                m = np.array([[x, x * i], [1.0, x]])
                s = s + np.sum(m @ m)
            return s
    """)
    check(mod.of_floats, 0.3, 0.7, -0.4, 1.1, wrt=(0, 1, 2, 3))
    check(mod.of_arrays, RNG.normal(size=3), RNG.normal(size=3), wrt=(0, 1))
    check(mod.in_a_loop, 0.8)


def test_unpacked_loop_variables(module_from):
    mod = module_from("""
        def enumerate_zip(x, y):
            s = 0.0
            for i, (a, b) in enumerate(zip(x, y)):
                s = s + a * b * (i + 1)
            return s

        def pairs(x):
            s = 0.0
            for a, b in [(x, 2.0), (3.0, x * x)]:
                s = s + a * b
            return s

        def comprehension(x, y):
            return sum([u * v for u, v in zip(x, y)])

        def nested(x, y):
            s = 0.0
            for k, (a, (b, c)) in enumerate(zip(x, zip(y, x)), 1):
                s = s + k * a * b * c
            return s

        def whole_items(x, y):
            s = 0.0
            for item in zip(x, y):
                s = s + item[0] * item[1]
            for pair in enumerate(x):
                s = s + pair[0] * pair[1]
            return s
    """)
    x, y = RNG.normal(size=4), RNG.normal(size=4)
    check(mod.enumerate_zip, x, y, wrt=(0, 1))
    check(mod.pairs, 1.3)
    check(mod.comprehension, x, y, wrt=(0, 1))
    check(mod.nested, x, y, wrt=(0, 1))
    check(mod.whole_items, x, y, wrt=(0, 1))
    assert "for i in reversed(range(" in source(mod.enumerate_zip, args=(x, y))


def test_keyword_only_parameters_of_helpers_and_of_the_function(module_from):
    mod = module_from("""
        import numpy as np

        def scaled(x, *, scale=2.0):
            return x * scale

        def shifted(x, /, shift, *, power):
            return (x + shift) ** power

        def f(x):
            def inner(v, *, k=3.0):
                return v * k
            return scaled(x, scale=3.0) + scaled(x) + shifted(x, 1.0, power=3) + inner(x, k=x)

        def g(x, *, w):
            return np.sum(np.tanh(w * x))
    """)
    check(mod.f, 0.7)
    w = RNG.normal(size=3)
    check(mod.g, RNG.normal(size=3), w=w)
    assert gradient(mod.g, wrt="w")(np.ones(3), w=w) == pytest.approx(
        central_difference(lambda v: mod.g(np.ones(3), w=v), (w,), 0))


def test_a_helper_called_with_a_wrong_keyword_is_refused_as_python_would(module_from):
    mod = module_from("""
        def scaled(x, *, scale=2.0):
            return x * scale

        def f(x):
            return scaled(x, 3.0)
    """)
    with pytest.raises(SrcdiffError, match=r"scaled\(\) takes 1 positional arguments but 2") \
            as info:
        gradient(mod.f)(1.0)
    assert info.value.lineno == 6 and "scale=2.0" in info.value.hint


def test_dict_reads_with_keys_from_a_loop(module_from):
    mod = module_from("""
        import numpy as np

        def over_a_tuple(d):
            s = 0.0
            for k in ("w", "b"):
                s = s + np.sum(d[k] ** 2)
            return s

        def over_a_list(d, scale):
            keys = ["w", "b"]
            s = 0.0
            for k in keys:
                s = s + scale * np.sum(np.sin(d[k]))
            return s
    """)
    params = {"w": RNG.normal(size=(2, 2)), "b": RNG.normal(size=3)}
    grads = gradient(mod.over_a_tuple)(params)
    for key in params:
        np.testing.assert_allclose(grads[key], 2 * params[key])
    grads = gradient(mod.over_a_list)(params, 1.5)
    for key in params:
        np.testing.assert_allclose(grads[key], 1.5 * np.cos(params[key]))


def test_looping_over_a_dict_itself_is_refused(module_from):
    mod = module_from("""
        def f(d):
            s = 0.0
            for k in d:
                s = s + d[k]
            return s
    """)
    with pytest.raises(SrcdiffError, match="looping over a dict") as info:
        gradient(mod.f)({"a": 1.0})
    assert info.value.lineno == 4 and info.value.hint


def test_builtin_sum_over_arrays_lists_and_with_a_start(module_from):
    mod = module_from("""
        import numpy as np

        def elements(x):
            return sum(x * x)

        def rows(x):
            return np.sum(sum(x) ** 2)

        def with_start(x, s):
            return sum(np.sin(x), s) * s

        def of_a_list(a, b):
            return sum([a, a * b, 2.0], 1.0) + np.sum(sum([np.ones(2) * a, np.ones(2) * b]))

        def in_a_loop(x):
            total = 0.0
            for i in range(3):
                total = total + sum(x[i] * x[i])
            return total
    """)
    check(mod.elements, RNG.normal(size=4))
    check(mod.rows, RNG.normal(size=(3, 2)))
    check(mod.with_start, RNG.normal(size=3), 0.4, wrt=(0, 1))
    check(mod.of_a_list, 0.3, 1.7, wrt=(0, 1))
    check(mod.in_a_loop, RNG.normal(size=(3, 2)))
    x32 = RNG.normal(size=3).astype(np.float32)
    assert gradient(mod.elements)(x32).dtype == np.float32


def test_is_none_on_a_default_picks_the_branch(module_from):
    mod = module_from("""
        import numpy as np

        def f(x, b=None, c=None):
            if b is None:
                b = np.ones_like(x)
            if c is not None and not (c is None):
                x = x * c
            return np.sum(b * x * x)
    """)
    x = RNG.normal(size=3)
    check(mod.f, x)
    check(mod.f, x, 2.0 * np.ones(3), wrt=(0, 1))
    check(mod.f, x, None, 1.5)
    assert "is None" not in source(mod.f, args=(x,)).split("def f_grad")[1]
    assert "c" not in source(mod.f, args=(x,)).split("def f_grad")[1].split(")")[1]


def test_print_runs_where_the_function_runs_it(module_from, capsys):
    mod = module_from("""
        import numpy as np

        def f(x):
            print("start", np.round(x, 3), sep=": ")
            s = 0.0
            for i in range(2):
                s = s + np.sum(x * i)
                print(i, s)
            return s
    """)
    x = np.array([0.5, 1.5])
    expected_value = mod.f(x)
    printed = capsys.readouterr().out
    value, grad = value_and_grad(mod.f)(x)
    assert capsys.readouterr().out == printed
    assert value == expected_value
    np.testing.assert_allclose(grad, [1.0, 1.0])
    gradient(mod.f)(x)
    assert capsys.readouterr().out == printed


def test_print_in_a_function_differentiated_through_is_refused(module_from):
    mod = module_from("""
        def h(x):
            print(x)
            return x * x

        def f(x):
            return h(x) + 1.0
    """)
    with pytest.raises(SrcdiffError, match="print twice") as info:
        gradient(mod.f)(1.0)
    assert info.value.lineno == 3 and info.value.hint
