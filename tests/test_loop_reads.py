"""Values an iteration reads as an earlier iteration left them, first assigned in the loop."""

import pytest
from finite_diff import central_difference

from srcdiff import gradient


def check(fn, *args, wrt=0):
    expected = central_difference(fn, args, wrt)
    assert gradient(fn, wrt=wrt)(*args) == pytest.approx(expected, rel=1e-6, abs=1e-8)


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
