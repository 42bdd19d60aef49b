"""User-defined rules: srcdiff.defvjp, the @srcdiff.vjp_of decorator, srcdiff.defjvp and
srcdiff.nondifferentiable.

Each rule is checked against finite differences, and the generated source must call the
user's VJP by a readable name.
"""

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff.primitives import RuleError


def check(fn, args, wrt=0, rtol=1e-6):
    grad = srcdiff.gradient(fn, wrt=wrt)(*args)
    expected = central_difference(fn, tuple(args), wrt)
    np.testing.assert_allclose(grad, expected, rtol=rtol, atol=1e-8)
    return grad


def test_defvjp_with_a_lambda(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def softplus(x):
            return np.log1p(np.exp(x))

        srcdiff.defvjp(softplus, lambda g, ans, x: g / (1.0 + np.exp(-x)))

        def loss(x):
            return np.sum(softplus(x) * x)
        """)
    x = np.linspace(-2.0, 2.0, 5)
    check(mod.loss, (x,))
    text = srcdiff.source(mod.loss, args=(x,))
    assert "softplus_vjp_x(" in text
    assert "<lambda>" not in text


def test_vjp_of_decorator_one_argument_at_a_time(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def huber(x, delta):
            small = np.abs(x) <= delta
            return np.where(small, 0.5 * x * x, delta * (np.abs(x) - 0.5 * delta))

        @srcdiff.vjp_of(huber)
        def huber_vjp(g, ans, x, delta):
            return g * np.clip(x, -delta, delta)

        @srcdiff.vjp_of(huber, "delta")
        def huber_vjp_delta(g, ans, x, delta):
            return g * np.where(np.abs(x) <= delta, 0.0, np.abs(x) - delta)

        def loss(x, delta):
            return np.sum(huber(x, delta))
        """)
    x = np.array([-2.0, -0.3, 0.1, 0.9, 1.7])
    check(mod.loss, (x, 0.7), wrt=0)
    check(mod.loss, (x, 0.7), wrt=1)
    text = srcdiff.source(mod.loss, wrt=(0, 1), args=(x, 0.7))
    assert "huber_vjp(" in text and "huber_vjp_delta(" in text
    assert "unbroadcast(huber_vjp_delta(" in text  # the scalar delta was broadcast


def test_elementwise_contributions_are_summed_over_broadcast_axes(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def scaled_tanh(x, s):
            return s * np.tanh(x)

        srcdiff.defvjp(scaled_tanh, lambda g, ans, x, s: g * s * (1.0 - np.tanh(x) ** 2),
                       lambda g, ans, x, s: g * np.tanh(x))

        def loss(x, s):
            return np.sum(scaled_tanh(x, s) ** 2)
        """)
    x = np.array([[0.3, -1.2, 0.5], [1.1, 0.2, -0.4]])
    for s in (np.array([0.5, 1.5, -2.0]), np.array([[2.0], [-1.0]]), 1.3):
        check(mod.loss, (x, s), wrt=1)
        check(mod.loss, (x, s), wrt=0)
    same = srcdiff.source(mod.loss, wrt=(0, 1), args=(x, x))
    assert "unbroadcast" not in same


def test_reduction_vjp_returns_the_argument_shape(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def logsumexp(x):
            m = np.max(x)
            return m + np.log(np.sum(np.exp(x - m)))

        srcdiff.defvjp(logsumexp, lambda g, ans, x: g * np.exp(x - ans))

        def loss(x):
            return logsumexp(x) * 2.0
        """)
    x = np.array([0.5, -1.0, 2.0, 0.25])
    check(mod.loss, (x,))
    text = srcdiff.source(mod.loss, args=(x,))
    assert "logsumexp_vjp_x(" in text and "unbroadcast" not in text


def test_none_marks_an_argument_without_adjoint(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def shifted(x, k):
            return np.roll(x, k) * 1.0

        srcdiff.defvjp(shifted, lambda g, ans, x, k: np.roll(g, -k), None)

        def loss(x, k):
            return np.sum(shifted(x, k) * np.arange(4.0))
        """)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    check(mod.loss, (x, 1))
    assert "shifted_vjp_x(" in srcdiff.source(mod.loss, args=(x, 1))


def test_a_missing_vjp_says_how_to_add_it(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def mix(x, y):
            return x * np.sin(y)

        srcdiff.defvjp(mix, lambda g, ans, x, y: g * np.sin(y))

        def loss(x, y):
            return mix(x, y)
        """)
    assert srcdiff.gradient(mod.loss)(2.0, 0.5) == pytest.approx(np.sin(0.5))
    with pytest.raises(NotImplementedError, match=r"no VJP for its argument 'y'.*vjp_of"):
        srcdiff.gradient(mod.loss, wrt=1)(2.0, 0.5)


def test_nondifferentiable_as_a_decorator(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        @srcdiff.nondifferentiable
        def bucket(x):
            return np.floor(4.0 * x) / 4.0

        def loss(x):
            return np.sum(x * bucket(x))
        """)
    x = np.array([0.3, 1.1, -0.6])
    np.testing.assert_allclose(srcdiff.gradient(mod.loss)(x), mod.bucket(x))


def test_float32_stays_float32(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def cube(x):
            return x * x * x

        srcdiff.defvjp(cube, lambda g, ans, x: 3.0 * g * x * x)

        def loss(x):
            return np.sum(cube(x))
        """)
    x = np.array([0.5, -1.5], dtype=np.float32)
    grad = srcdiff.gradient(mod.loss)(x)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, 3.0 * x * x)


def test_python_floats_and_keywords(module_from):
    mod = module_from("""
        import math
        import srcdiff

        def smooth_abs(x, eps=1e-3):
            return math.sqrt(x * x + eps)

        srcdiff.defvjp(smooth_abs, lambda g, ans, x, eps: g * x / ans,
                       lambda g, ans, x, eps: g * 0.5 / ans)

        def loss(x, e):
            return smooth_abs(x) + smooth_abs(x, eps=e) * 2.0
        """)
    grad = check(mod.loss, (0.7, 0.2), wrt=0)
    assert type(grad) is float
    check(mod.loss, (0.7, 0.2), wrt=1)


def test_shape_override(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff
        from srcdiff.ir.avals import AVal

        def total(x):
            return float(np.sum(x))

        srcdiff.defvjp(total, lambda g, ans, x: np.full_like(x, g),
                       shape=lambda x: AVal("py", float))

        def loss(x):
            return total(x) ** 2
        """)
    x = np.array([1.0, 2.0])
    check(mod.loss, (x,))


def test_reregistering_replaces_the_rule(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def double(x):
            return 2.0 * x

        srcdiff.defvjp(double, lambda g, ans, x: 0.0 * g)
        srcdiff.defvjp(double, lambda g, ans, x: 2.0 * g)

        def loss(x):
            return np.sum(double(x))
        """)
    np.testing.assert_allclose(srcdiff.gradient(mod.loss)(np.ones(3)), 2.0 * np.ones(3))


ONE = np.float32(1.0)


def test_malformed_registrations_are_refused():
    def f(x, y=ONE):
        return x

    def g(x):
        return x

    with pytest.raises(RuleError, match="default of y"):
        srcdiff.defvjp(f, lambda g, ans, x, y: g)
    srcdiff.defvjp(f, lambda g, ans, x: g, signature="x")
    with pytest.raises(RuleError, match="1 parameters"):
        srcdiff.defvjp(g, lambda *a: 0, lambda *a: 0)
    with pytest.raises(RuleError, match="no parameter 'z'"):
        srcdiff.vjp_of(g, "z")
    with pytest.raises(RuleError, match="not a function"):
        srcdiff.defvjp(g, 3.0)


def test_unknown_function_points_to_defvjp(module_from):
    mod = module_from("""
        import numpy as np

        def f(x):
            return np.sum(np.i0(x))
        """)
    with pytest.raises(srcdiff.SrcdiffError, match="register one with srcdiff.defvjp"):
        srcdiff.gradient(mod.f)(np.ones(4))


def test_positional_only_and_keyword_only_parameters(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def blend(x, /, y, *, t=0.5):
            return (1.0 - t) * x + t * y

        srcdiff.defvjp(blend, lambda g, ans, x, y, t: (1.0 - t) * g,
                       lambda g, ans, x, y, t: t * g,
                       lambda g, ans, x, y, t: np.sum(g * (y - x)))

        def loss(x, y, t):
            return np.sum(blend(x, y, t=t) ** 2)
        """)
    x, y = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    for wrt in range(3):
        check(mod.loss, (x, y, 0.3), wrt=wrt)
    assert "blend_vjp_t(" in srcdiff.source(mod.loss, wrt=2, args=(x, y, 0.3))


def test_registering_a_rule_again_recompiles_derivatives(module_from):
    mod = module_from("""
        def twice(x):
            return 2.0 * x

        def f(x):
            return twice(x) * 3.0
        """)
    srcdiff.defvjp(mod.twice, lambda g, ans, x: g * 2.0)
    g = srcdiff.gradient(mod.f)
    assert g(1.0) == 6.0
    srcdiff.defvjp(mod.twice, lambda g, ans, x: g * 20.0)
    assert g(1.0) == 60.0


def jvp_check(fn, args, tangents, rtol=1e-6):
    """Forward mode's tangent against central differences along the tangents."""
    step = 1e-6

    def at(h):
        return np.asarray(fn(*[a if t is None else a + h * np.asarray(t) if isinstance(
            a, np.ndarray) else a + h * t for a, t in zip(args, tangents)]))
    value, tangent = srcdiff.jvp(fn, args, tangents)
    np.testing.assert_allclose(tangent, (at(step) - at(-step)) / (2 * step), rtol=rtol,
                               atol=1e-8)
    return value, tangent


def test_defjvp_gives_forward_mode_a_rule(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def scaled_tanh(x, s):
            return s * np.tanh(x)

        srcdiff.defvjp(scaled_tanh, lambda g, ans, x, s: g * s * (1.0 - np.tanh(x) ** 2),
                       lambda g, ans, x, s: g * np.tanh(x))
        srcdiff.defjvp(scaled_tanh, lambda t, ans, x, s: t * s * (1.0 - np.tanh(x) ** 2),
                       lambda t, ans, x, s: t * np.tanh(x))

        def loss(x, s):
            return np.sum(scaled_tanh(x, s) ** 2)
        """)
    x = np.array([[0.3, -1.2, 0.5], [1.1, 0.2, -0.4]])
    for s in (np.array([0.5, 1.5, -2.0]), np.array([[2.0], [-1.0]]), 1.3):
        jvp_check(mod.loss, (x, s), (None, np.ones_like(s) if np.ndim(s) else 1.0))
        jvp_check(mod.loss, (x, s), (np.ones_like(x), None))
        check(mod.loss, (x, s), wrt=1)
    text = srcdiff.source(mod.loss, wrt=(0, 1), args=(x, 1.3), mode="forward")
    assert "scaled_tanh_jvp_x(x_dot, t1, x, s)" in text
    assert "spread_like" in text  # s is broadcast over x's shape
    assert "spread_like" not in srcdiff.source(mod.loss, wrt=0, args=(x, x), mode="forward")


def test_each_mode_refuses_a_function_that_has_only_the_other_rule(module_from):
    mod = module_from("""
        import numpy as np
        import srcdiff

        def square(v):
            return v * v

        def cube(v):
            return v * v * v

        srcdiff.defjvp(square, lambda t, ans, v: 2.0 * v * t)
        srcdiff.defvjp(cube, lambda g, ans, v: 3.0 * g * v * v)

        def f(x):
            return square(x) + 1.0

        def h(x):
            return cube(x) + 1.0
        """)
    assert srcdiff.jvp(mod.f, (3.0,), (1.0,)) == (10.0, 6.0)
    with pytest.raises(srcdiff.SrcdiffError, match=r"square has a forward rule \(defjvp\) "
                       r"but no reverse rule") as caught:
        srcdiff.gradient(mod.f)(3.0)
    assert "srcdiff.defvjp(" in str(caught.value) and "return square(x) + 1.0" in str(
        caught.value)
    assert srcdiff.gradient(mod.h)(2.0) == 12.0
    with pytest.raises(srcdiff.SrcdiffError, match=r"cube has a reverse rule \(defvjp\) but "
                       "no forward rule"):
        srcdiff.jvp(mod.h, (2.0,), (1.0,))


def test_malformed_jvps_are_refused():
    def f(x, y):
        return x * y
    with pytest.raises(RuleError, match="2 parameters .* but 3 JVPs"):
        srcdiff.defjvp(f, None, None, None)
    with pytest.raises(RuleError, match="the JVP for x of .* is 3, not a function"):
        srcdiff.defjvp(f, 3)
