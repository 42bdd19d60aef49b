"""Shapes, gathers and array creation in whole programs; NumPy syntax that waits on the core."""

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff

RNG = np.random.default_rng(11)


def fd_check(fn, args, wrt=0, rtol=1e-6, atol=1e-8):
    grad = srcdiff.gradient(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(grad, central_difference(fn, tuple(args), wrt), rtol=rtol,
                               atol=atol)
    return grad


def test_repeated_indices_accumulate(module_from):
    mod = module_from("""
        import numpy as np

        def f(x):
            return np.sum(np.take(x, (0, 0, 2)) * np.take(x, (2, 2, 2)))
        """)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(srcdiff.gradient(mod.f)(x), [2 * 3.0, 0.0, 2 * 1.0 + 2 * 3.0, 0.0])


def test_a_chain_of_moves(module_from):
    mod = module_from("""
        import numpy as np

        def f(x):
            y = np.reshape(x, (3, 2))
            z = np.transpose(np.expand_dims(y, 0), (2, 0, 1))
            w = np.tile(z, (1, 2, 1)) * np.flip(np.moveaxis(z, 1, 0), 2)
            return np.sum(np.roll(np.pad(w, 1), 1, axis=2) ** 2)
        """)
    x = RNG.normal(size=(2, 3))
    fd_check(mod.f, (x,))
    text = srcdiff.source(mod.f, args=(x,))
    assert "np.transpose(z_bar, (1, 2, 0))" in text and "np.squeeze(" in text


def test_shape_queries_carry_shapes(module_from):
    mod = module_from("""
        import numpy as np

        def f(x):
            z = np.zeros(np.shape(x)) + np.ones_like(x) * np.ndim(x) + np.size(x)
            return np.sum(x * z)
        """)
    x = RNG.normal(size=(2, 3))
    np.testing.assert_allclose(srcdiff.gradient(mod.f)(x), np.full((2, 3), 8.0))
    assert "unbroadcast" not in srcdiff.source(mod.f, args=(x,))


def test_created_arrays_that_depend_on_arguments(module_from):
    mod = module_from("""
        import numpy as np

        def ramp(start, stop):
            return np.sum(np.linspace(start, stop, 5) ** 2)

        def steps(start, step):
            return np.sum(np.arange(start, 5.0, step) ** 2)

        WEIGHTS = np.reshape(np.arange(6.0), (2, 3))

        def filled(v):
            return np.sum(np.full((2, 3), v) * WEIGHTS)
        """)
    fd_check(mod.ramp, (0.5, 2.0), wrt=0)
    fd_check(mod.ramp, (0.5, 2.0), wrt=1)
    fd_check(mod.steps, (0.3, 1.3), wrt=0)
    fd_check(mod.steps, (0.3, 1.3), wrt=1)
    assert srcdiff.gradient(mod.filled)(2.0) == pytest.approx(15.0)
    assert "np.linspace(1.0, 0.0, 5)" in srcdiff.source(mod.ramp, args=(0.5, 2.0))


def test_float32_through_moves(module_from):
    mod = module_from("""
        import numpy as np

        def f(x):
            return np.sum(np.sort(np.repeat(np.diff(x), 2)) ** 2) + np.sum(np.append(x, x) ** 3)
        """)
    x = np.array([0.5, -1.0, 2.0, 0.25], dtype=np.float32)
    grad = srcdiff.gradient(mod.f)(x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, central_difference(mod.f, (x.astype(float),), 0),
                               rtol=1e-3)


SUPPORTED = [
    ("return np.sum(np.array([np.sum(x), np.prod(x)]))", "np.array of a list of active values"),
    ("return np.sum(np.stack((x, x), axis=0))", "tuple operands of variables (np.stack)"),
    ("return np.sum(np.concatenate([x, x * 2.0]))", "list operands (np.concatenate([a, b]))"),
    ("return x.sum(axis=0)[0]", "method calls and indexing (x.sum(axis=0), x[0])"),
    ("return np.sum(x.T @ x)", "attributes of arrays (x.T)"),
    ("return np.sum(np.zeros(x.shape) + x)", "attributes of arrays (x.shape)"),
    ("return np.sum(np.ones(2, dtype=np.float32) @ x)", "dtype arguments (dtype=np.float32)"),
]


@pytest.mark.parametrize("body", [body for body, _ in SUPPORTED],
                         ids=[feature for _, feature in SUPPORTED])
def test_methods_attributes_and_dtype_arguments(module_from, body):
    mod = module_from(f"""
        import numpy as np

        def f(x):
            {body}
        """)
    x = RNG.normal(size=(2, 2))
    grad = srcdiff.gradient(mod.f)(x)
    np.testing.assert_allclose(grad, central_difference(mod.f, (x,), 0), rtol=1e-6)
