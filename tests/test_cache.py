"""Compile once, reuse, and recompile only for new code or new kinds of arguments."""

import inspect
import traceback

import numpy as np
import pytest

from srcdiff import gradient, value_and_grad
from srcdiff.backend.compile import Stats


def counts():
    return Stats.transforms, Stats.compiles


def test_many_calls_one_transformation():
    def f(x, y):
        return x * y + x

    g = gradient(f, wrt=(0, 1))
    before = counts()
    for i in range(200):
        assert g(float(i), 2.0) == (3.0, float(i))
    transforms, compiles = counts()
    assert transforms - before[0] == 1
    assert compiles - before[1] == 1


def test_the_held_function_runs_the_generated_code_directly():
    def f(x):
        return x * x

    g = gradient(f)
    g(1.0)
    assert g.__code__.co_filename.startswith("<srcdiff f_grad")
    assert "x_bar" in inspect.getsource(g)


def test_holders_with_the_same_parameters_each_reach_their_own_derivative():
    def f(x, y):
        return x * y

    def h(x, y):
        return x + y

    gf, gh = gradient(f, wrt=(0, 1)), gradient(h, wrt=(0, 1))
    before = counts()
    assert inspect.getsource(gf).startswith("def f_grad(x, y):")
    assert inspect.getsource(gh).startswith("def h_grad(x, y):")
    assert gf.__code__.co_filename != gh.__code__.co_filename
    assert gh(2.0, 3.0) == (1.0, 1.0)
    assert gf(2.0, 3.0) == (3.0, 2.0)
    assert counts()[1] - before[1] == 2


def test_gradient_objects_share_one_transformation():
    def f(x):
        return x * x * x

    gradient(f)(1.0)
    before = counts()
    assert gradient(f)(2.0) == 12.0
    assert counts()[0] == before[0]


def test_redefinition_gives_a_new_derivative(module_from):
    mod = module_from("def f(x):\n    return x * x\n")
    first = gradient(mod.f)
    assert first(3.0) == 6.0
    text = "def f(x):\n    return x * x * x\n"
    with open(mod.__file__, "w") as handle:
        handle.write(text)
    exec(compile(text, mod.__file__, "exec"), vars(mod))
    second = gradient(mod.f)
    assert second(3.0) == 27.0
    assert first(3.0) == 6.0


def test_new_argument_kinds_compile_once_each():
    def f(x):
        return np.sum(x * x)

    g = gradient(f)
    before = counts()
    for _ in range(3):
        g(1.0)
        g(np.ones(3))
        g(np.ones((2, 2)))
        g(np.ones(3, dtype=np.float32))
    assert counts()[0] - before[0] == 4
    assert g(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_many_shapes_fall_back_to_one_derivative_per_rank():
    def f(x):
        return np.sum(np.sin(x))

    g = gradient(f)
    before = counts()
    for n in range(1, 30):
        np.testing.assert_allclose(g(np.linspace(0, 1, n)), np.cos(np.linspace(0, 1, n)))
    assert counts()[0] - before[0] <= 9


def test_value_and_grad_is_cached_separately():
    def f(x):
        return x * x

    assert value_and_grad(f)(3.0) == (9.0, 6.0)
    assert gradient(f)(3.0) == 6.0


def test_tracebacks_show_generated_lines():
    def f(x):
        return x / x

    g = gradient(f)
    g(1.0)
    with pytest.raises(ZeroDivisionError) as info:
        g(0.0)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].filename.startswith("<srcdiff f_grad")
    assert "/" in frames[-1].line


MODULE_CONSTANTS = """\
import numpy as np

N = 3
K = 1
SCALE = 2.0


def f(x):
    y = np.zeros(N)
    y[:2] = x[K] * SCALE
    return np.sum(y * x[:N])


def helper(x):
    return np.sum(np.ones(N) * x[:N])


def g(x):
    return helper(x) * SCALE


def make(n):
    def h(x):
        return np.sum(x[:n] ** 2)
    return h
"""


def _expected_f(x, n, k, scale):
    grad = np.zeros_like(x)
    grad[:min(n, 2)] += x[k] * scale
    grad[k] += scale * np.sum(x[:min(n, 2)])
    return grad


def test_rebinding_a_module_constant_recompiles(module_from):
    mod = module_from(MODULE_CONSTANTS)
    x = np.arange(1.0, 6.0)
    df, dg = gradient(mod.f), gradient(mod.g)
    np.testing.assert_allclose(df(x), _expected_f(x, 3, 1, 2.0))
    np.testing.assert_allclose(dg(x), [2.0, 2.0, 2.0, 0.0, 0.0])
    before = counts()
    df(x), dg(x)
    assert counts() == before
    mod.N, mod.K, mod.SCALE = 4, 2, 3.0
    np.testing.assert_allclose(df(x), _expected_f(x, 4, 2, 3.0))
    np.testing.assert_allclose(dg(x), [3.0, 3.0, 3.0, 3.0, 0.0])


def test_rebinding_a_closure_variable_recompiles(module_from):
    mod = module_from(MODULE_CONSTANTS)
    x = np.arange(1.0, 6.0)
    h = mod.make(2)
    dh = gradient(h)
    np.testing.assert_allclose(dh(x), [2.0, 4.0, 0.0, 0.0, 0.0])
    h.__closure__[0].cell_contents = 3
    np.testing.assert_allclose(dh(x), [2.0, 4.0, 6.0, 0.0, 0.0])
