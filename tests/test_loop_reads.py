"""Values an iteration reads as an earlier iteration left them, first assigned in the loop."""

import numpy as np
import pytest
from finite_diff import central_difference

from srcdiff import gradient, source, value_and_grad


def check(fn, *args, wrt=0):
    expected = central_difference(fn, args, wrt)
    np.testing.assert_allclose(gradient(fn, wrt=wrt)(*args), expected, rtol=1e-6, atol=1e-8)


def test_a_value_from_the_first_iteration_read_in_later_ones(module_from):
    mod = module_from("""
        def f(x):
            s = 0.0
            for i in range(4):
                if i == 0:
                    y = x
                else:
                    y = y * x
                s = s + y
            return s
    """)
    check(mod.f, 1.5)


def raises_like(fn, *args):
    """The derivative raises what the function raises, with the same message."""
    with pytest.raises(UnboundLocalError) as expected:
        fn(*args)
    with pytest.raises(UnboundLocalError) as got:
        gradient(fn)(*args)
    assert str(got.value) == str(expected.value)
    with pytest.raises(UnboundLocalError):
        value_and_grad(fn)(*args)


def test_a_value_assigned_in_one_iteration_and_read_in_the_next(module_from):
    mod = module_from("""
        import numpy as np

        def f(x):
            s = 0.0
            for i in range(4):
                if i > 0:
                    s = s + np.sum(prev * prev)
                prev = x * i
            return s
    """)
    x = np.array([0.5, -1.5])
    check(mod.f, x)
    value, _ = value_and_grad(mod.f)(x)
    assert value == mod.f(x)
    assert "prev_assigned" in source(mod.f, args=(x,))


def test_a_read_before_any_assignment_raises_as_python_does(module_from):
    mod = module_from("""
        def every_time(x):
            s = 0.0
            for i in range(3):
                s = s + prev * prev
                prev = x * i
            return s

        def after_an_empty_loop(x, n):
            for i in range(n):
                y = x * i
            return y

        def on_one_branch(x):
            if x > 0.0:
                y = x * x
            return y * x

        def in_a_while_loop(x):
            s = 0.0
            while s < 3.0:
                s = s + last
                last = x
            return s
    """)
    raises_like(mod.every_time, 1.5)
    raises_like(mod.after_an_empty_loop, 1.5, 0)
    check(mod.after_an_empty_loop, 1.5, 3)
    raises_like(mod.on_one_branch, -1.0)
    check(mod.on_one_branch, 1.2)
    raises_like(mod.in_a_while_loop, 1.0)


def test_a_nested_function_reads_its_own_earlier_iterations(module_from):
    mod = module_from("""
        def f(x):
            def g(v):
                total = 0.0
                for k in range(3):
                    if k > 0:
                        total = total + last * v
                    last = v * k
                return total
            return g(x) + g(2.0 * x)
    """)
    check(mod.f, 0.7)
