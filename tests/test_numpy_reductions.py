"""Reductions: the silent-wrong traps of other tools, tie rules, zeros, and readable forms."""

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff


def fd_check(fn, args, wrt=0, rtol=1e-6, atol=1e-8):
    grad = srcdiff.gradient(fn, wrt=wrt)(*args)
    np.testing.assert_allclose(grad, central_difference(fn, tuple(args), wrt), rtol=rtol,
                               atol=atol)
    return grad


RNG = np.random.default_rng(4)
X = RNG.normal(size=(4, 3))
W = RNG.normal(size=(4, 3))


def test_keepdims_division(module_from):
    mod = module_from("""
        import numpy as np

        def f(x, w):
            return np.sum(w * x / np.sum(x * x, axis=1, keepdims=True))
        """)
    fd_check(mod.f, (X, W))


def test_softmax_with_max_subtraction(module_from):
    mod = module_from("""
        import numpy as np

        def loss(x, y):
            z = x - np.max(x, axis=1, keepdims=True)
            p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
            return -np.sum(y * np.log(p))
        """)
    y = np.eye(3)[[0, 2, 1, 1]]
    grad = fd_check(mod.loss, (X, y))
    p = np.exp(X) / np.sum(np.exp(X), axis=1, keepdims=True)
    np.testing.assert_allclose(grad, p - y, rtol=1e-10)
    tied = np.array([[1.0, 1.0, 0.0]])
    np.testing.assert_allclose(srcdiff.gradient(mod.loss)(tied, np.array([[1.0, 0, 0]])),
                               np.exp(tied) / np.exp(tied).sum() - [[1.0, 0, 0]], rtol=1e-12)


def test_column_against_row_broadcasting(module_from):
    mod = module_from("""
        import numpy as np

        def f(a, b, w):
            return np.sum(w * (a - b) ** 2)
        """)
    a, b, w = RNG.normal(size=(4, 1)), RNG.normal(size=(1, 3)), RNG.normal(size=(4, 3))
    assert fd_check(mod.f, (a, b, w), wrt=0).shape == (4, 1)
    assert fd_check(mod.f, (a, b, w), wrt=1).shape == (1, 3)


@pytest.mark.parametrize("name", ["max", "amax", "min", "amin", "nanmax", "nanmin"])
def test_ties_split_the_adjoint_equally(module_from, name):
    mod = module_from(f"""
        import numpy as np

        WEIGHTS = np.array([1.0, 10.0])

        def whole(x):
            return np.{name}(x)

        def rows(x):
            return np.sum(np.{name}(x, axis=1) * WEIGHTS)
        """)
    low = name.endswith("min")
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]])
    if low:
        x = -x
    expected = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(srcdiff.gradient(mod.whole)(x), expected)
    np.testing.assert_allclose(srcdiff.gradient(mod.rows)(x),
                               [[0.5, 0.0, 0.5], [10 / 3, 10 / 3, 10 / 3]])


def test_ties_in_the_infinity_norm_and_ptp(module_from):
    mod = module_from("""
        import numpy as np

        def inf_norm(x):
            return np.linalg.norm(x, ord=np.inf)

        def spread(x):
            return np.ptp(x)
        """)
    x = np.array([-2.0, 1.0, 2.0])
    np.testing.assert_allclose(srcdiff.gradient(mod.inf_norm)(x), [-0.5, 0.0, 0.5])
    np.testing.assert_allclose(srcdiff.gradient(mod.spread)(np.array([0.0, 3.0, 3.0, 0.0])),
                               [-0.5, 0.5, 0.5, -0.5])


def test_maximum_gives_a_tie_to_its_first_argument(module_from):
    mod = module_from("""
        import numpy as np

        def f(x, y):
            return np.sum(np.maximum(x, y))
        """)
    x = np.array([1.0, 2.0])
    assert list(srcdiff.gradient(mod.f, wrt=0)(x, x.copy())) == [1.0, 1.0]
    assert list(srcdiff.gradient(mod.f, wrt=1)(x, x.copy())) == [0.0, 0.0]


def test_products_with_zeros_are_exact(module_from):
    mod = module_from("""
        import numpy as np

        COLUMNS = np.array([1.0, 2.0, 3.0])
        STEPS = np.array([1.0, -1.0, 2.0, 0.5])

        def whole(x):
            return np.prod(x)

        def columns(x):
            return np.sum(np.prod(x, axis=0) * COLUMNS)

        def running(x):
            return np.sum(np.cumprod(x) * STEPS)
        """)
    np.testing.assert_allclose(srcdiff.gradient(mod.whole)(np.array([2.0, 0.0, 3.0])),
                               [0.0, 6.0, 0.0])
    np.testing.assert_allclose(srcdiff.gradient(mod.whole)(np.array([0.0, 0.0, 3.0])),
                               [0.0, 0.0, 0.0])
    x = np.array([[2.0, 0.0, 1.5], [0.0, 4.0, -1.0]])
    fd_check(mod.columns, (x,))
    fd_check(mod.running, (np.array([2.0, 0.0, 3.0, 1.5]),))
    fd_check(mod.running, (np.array([0.0, 0.0, 3.0, 1.5]),))


def test_module_level_axis_uses_the_general_form(module_from):
    mod = module_from("""
        import numpy as np

        AXIS = 1
        KEEP = True

        def f(x, w):
            m = np.mean(x, axis=AXIS, keepdims=KEEP)
            s = np.std(x, axis=AXIS)
            n = np.linalg.norm(x, axis=AXIS)
            return np.sum(w * (x - m)) + np.sum(s * n) + np.sum(np.max(x, axis=AXIS))
        """)
    fd_check(mod.f, (X, W))
    text = srcdiff.source(mod.f, args=(X, W))
    assert "expand_reduced(" in text and "norm_vjp(" in text


@pytest.mark.parametrize("call", ["np.linalg.norm(x, axis=1)", "np.linalg.norm(x, ord=ORD, axis=1)",
                                  "np.linalg.vector_norm(x, axis=-1)"])
def test_norm_at_zero_uses_the_zero_subgradient(module_from, call):
    mod = module_from(f"""
        import numpy as np

        ORD = None

        def f(x):
            return np.sum({call})
        """)
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(srcdiff.gradient(mod.f)(x), [[0.0, 0.0], [0.6, 0.8]])


@pytest.mark.parametrize("call, expected", [
    ("np.sum(x)", "return np.full((2, 3), 1.0, dtype=np.float64)"),
    ("np.sum(np.sum(x, axis=0) * w)", "x_bar = np.full_like(x, np.expand_dims(t1_bar, 0))"),
    ("np.sum(np.mean(x, axis=1) * w)", "np.expand_dims(t1_bar, 1) / x.shape[1]"),
    ("np.sum(np.mean(x, axis=(0, 1)))", "x_bar = np.full_like(x, 1.0 / x.size)"),
    ("np.sum(np.max(x, axis=1, keepdims=True))", "tie_weights(x, t1, 1)"),
    ("np.sum(np.var(x, axis=0, ddof=1) * w)",
     "(x - np.mean(x, 0, keepdims=True)) / (x.shape[0] - 1)"),
    ("np.sum(np.cumsum(x, axis=0))",
     "np.flip(np.cumsum(np.flip(t1_bar, 0), 0), 0)"),
    ("np.linalg.norm(x)", "x_bar = unit(x, f)"),
])
def test_plain_shapes_read_plainly(module_from, call, expected):
    mod = module_from(f"""
        import numpy as np

        def f(x, w):
            return {call}
        """)
    x = np.ones((2, 3)) + np.arange(6).reshape(2, 3)
    w = np.ones(3) if "axis=0" in call else np.ones(2)
    assert expected in srcdiff.source(mod.f, args=(x, w))


def test_float32_in_float32_out(module_from):
    mod = module_from("""
        import numpy as np

        def f(x):
            return (np.sum(np.std(x, axis=0)) + np.linalg.norm(x) + np.sum(np.prod(x, axis=1))
                    + np.sum(np.cumprod(x, axis=1)) + np.max(x))
        """)
    x = (np.arange(6.0).reshape(2, 3) + 1.0).astype(np.float32)
    grad = srcdiff.gradient(mod.f)(x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, central_difference(mod.f, (x.astype(float),), 0),
                               rtol=1e-3)


KEEPDIMS_CONSUMERS = [
    "return np.sum(np.sum(x, axis=0, keepdims=True) @ w.T)",
    "return np.sum(np.tanh(np.sum(x * x, axis=1, keepdims=True)) * w)",
    "s = np.mean(x, axis=(0, 1), keepdims=True)\n    return np.sum((x - s) ** 2 * w)",
    "s = np.sum(x, axis=-1, keepdims=True)\n    return np.sum(s * 2.0) + np.sum(s * s)",
    "s = np.sum(np.exp(x), axis=1, keepdims=True)\n    return np.sum(np.log(s)) + s[0, 0]",
]


@pytest.mark.parametrize("body", KEEPDIMS_CONSUMERS)
def test_keepdims_adjoint_broadcast_where_it_is_used(module_from, body):
    """The adjoint of np.sum(..., keepdims=True) stays the reduced array, broadcast by the
    elementwise adjoints that use it; anything else gets it filled out first."""
    mod = module_from("import numpy as np\n\n\ndef f(x, w):\n    " + body + "\n")
    fd_check(mod.f, (X, W))
    grad = srcdiff.gradient(mod.f)(X.astype(np.float32), W.astype(np.float32))
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, central_difference(mod.f, (X, W), 0), rtol=2e-3,
                               atol=2e-3)


def test_keepdims_adjoint_is_not_filled_out(module_from):
    mod = module_from("""
        import numpy as np

        def f(x, w):
            e = np.exp(x)
            return np.sum(w * e / np.sum(e, axis=1, keepdims=True))
        """)
    text = srcdiff.source(mod.f, args=(X, W))
    assert "full_like" not in text


@pytest.mark.parametrize("into_int", [True, False])
def test_a_whole_array_count_has_the_kind_numpy_gives_it(monkeypatch, into_int):
    """``np.count_nonzero(a)`` is a Python int before NumPy 2.3 (srcdiff's minimum is 2.2)
    and an ``np.intp`` after: the rule's abstract value follows the NumPy that runs, so
    that the code around a count is specialized on the type it will see. With ``axis``
    given, or ``keepdims``, every version gives a NumPy value."""
    from srcdiff.ir import avals
    from srcdiff.ir import nodes as ir
    from srcdiff.primitives import REGISTRY, creation

    monkeypatch.setattr(creation, "_counts_into_int", lambda: into_int)
    (rule,) = REGISTRY.lookup(np.count_nonzero)
    array = avals.AVal(avals.ARRAY, np.dtype(np.float64), (2, 3))
    whole = rule.shape({"a": array}, {"a": ir.Var("x")})
    along = rule.shape({"a": array}, {"a": ir.Var("x"), "axis": ir.Const(0, "0")})
    assert (whole.kind, whole.dtype) == ((avals.PY, int) if into_int else
                                         (avals.NP, np.dtype(np.intp)))
    assert along.kind == avals.ARRAY and along.shape == (3,)
