"""Derivatives of derivatives: the generated code is differentiated like the user's own.

Hessians (forward mode over reverse mode) are checked against central differences of the
gradient and for symmetry; third derivatives of scalar functions against their formulas."""

import importlib
import math

import numpy as np
import pytest

import srcdiff

STEP = 1e-5


def gradient_differences(f, args, index):
    """The Jacobian of ``f``'s gradient with respect to argument ``index``, by central
    differences of srcdiff's gradient."""
    grad = srcdiff.gradient(f, wrt=index)
    x = np.asarray(args[index], dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.shape)
        step.flat[k] = STEP

        def at(moved, step=step):
            changed = list(args)
            changed[index] = (x + moved * step) if x.shape else float(x) + moved * STEP
            return np.asarray(grad(*changed), dtype=float)
        columns.append((at(1) - at(-1)) / (2 * STEP))
    return np.stack(columns, axis=-1).reshape(x.shape + x.shape)


def smooth(x, y):
    return math.sin(x * y) + x ** 3 / y


def tanh_layers(w, x):
    h = x
    for _ in range(3):
        h = np.tanh(w @ h)
    return np.sum(h * h)


def recurrence(x, n):
    s = 0.0
    for i in range(n):
        s = s * x + math.sin(s + x)
    return s


def branches(x):
    if x[0] > 0.0:
        y = x * x
    else:
        y = np.exp(x)
    return np.sum(y) * x[1]


def reversed_loop(x, n):
    total = 0.0
    for i in reversed(range(n)):
        total = total * 0.5 + x * x * i
    return total


W = np.array([[0.3, -0.2, 0.1], [0.2, 0.4, -0.3], [-0.1, 0.2, 0.5]])
X = np.array([0.5, -0.4, 0.8])


@pytest.mark.parametrize("f, args, index", [
    (smooth, (0.7, 1.3), 0),
    (tanh_layers, (W, X), 0),
    (tanh_layers, (W, X), 1),
    (recurrence, (0.7, 4), 0),
    (branches, (np.array([0.4, -1.1, 0.3]),), 0),
    (branches, (np.array([-0.4, -1.1, 0.3]),), 0),
    (reversed_loop, (0.6, 5), 0),
], ids=["smooth", "layers-w", "layers-x", "recurrence", "then", "else", "reversed"])
def test_hessians_match_differences_of_gradients_and_are_symmetric(f, args, index):
    hessian = np.asarray(srcdiff.hessian(f, wrt=index)(*args), dtype=float)
    expected = gradient_differences(f, args, index)
    np.testing.assert_allclose(hessian, expected, rtol=1e-5, atol=1e-6)
    size = max(1, np.size(args[index]))
    square = hessian.reshape(size, size)
    np.testing.assert_allclose(square, square.T, rtol=1e-10, atol=1e-12)


def test_hessian_blocks_for_several_parameters():
    blocks = srcdiff.hessian(smooth, wrt=(0, 1))(0.7, 1.3)
    x, y = 0.7, 1.3
    assert blocks[0][1] == pytest.approx(blocks[1][0])
    assert blocks[0][0] == pytest.approx(-y * y * math.sin(x * y) + 6 * x / y)
    assert blocks[1][1] == pytest.approx(-x * x * math.sin(x * y) + 2 * x ** 3 / y ** 3)
    assert blocks[0][1] == pytest.approx(math.cos(x * y) - x * y * math.sin(x * y)
                                         - 3 * x * x / (y * y))


def test_hvp_is_one_forward_pass_over_the_gradient():
    v = np.array([1.0, -2.0, 0.5])
    product = srcdiff.hvp(tanh_layers, wrt=1)(W, X, v)
    np.testing.assert_allclose(product, srcdiff.hessian(tanh_layers, wrt=1)(W, X) @ v,
                               rtol=1e-10)
    pair = srcdiff.hvp(smooth, wrt=(0, 1))(0.7, 1.3, (1.0, 0.0))
    blocks = srcdiff.hessian(smooth, wrt=(0, 1))(0.7, 1.3)
    assert pair == pytest.approx((blocks[0][0], blocks[1][0]))


def product_sin(x):
    return math.sin(x) * x


def test_third_derivatives_of_a_scalar_function():
    first = srcdiff.gradient(product_sin)
    second = srcdiff.gradient(first)
    third = srcdiff.gradient(second)
    x = 0.7
    assert second(x) == pytest.approx(2 * math.cos(x) - x * math.sin(x))
    assert third(x) == pytest.approx(-3 * math.sin(x) - x * math.cos(x))
    text = srcdiff.source(second, args=(x,))
    assert "def product_sin_grad_grad(x):" in text
    assert "(line" in text  # comments quote the lines of the derivative's own code


def test_forward_over_forward_and_reverse_over_forward():
    tangent = srcdiff.value_and_tangent(product_sin)  # (x, x_dot) -> (f, f' x_dot)
    x = 0.7
    expected = 2 * math.cos(x) - x * math.sin(x)
    value, tangent_of_tangent = srcdiff.jvp(tangent, (x, 1.0), (1.0, 0.0))
    assert value == pytest.approx((math.sin(x) * x, math.cos(x) * x + math.sin(x)))
    assert tangent_of_tangent[1] == pytest.approx(expected)
    derivative = srcdiff.value_and_tangent(srcdiff.gradient(product_sin))
    assert derivative(x, 1.0) == pytest.approx((math.cos(x) * x + math.sin(x), expected))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_reverse_over_reverse_through_a_tape(n):
    """The gradient pops its tapes; walking back over each pop puts the item back."""
    second = srcdiff.gradient(srcdiff.gradient(recurrence))(0.7, n)
    assert second == pytest.approx(srcdiff.hessian(recurrence)(0.7, n), rel=1e-12, abs=1e-14)
    first = srcdiff.gradient(recurrence)
    assert second == pytest.approx(
        (first(0.7 + 1e-6, n) - first(0.7 - 1e-6, n)) / 2e-6, rel=1e-6, abs=1e-8)


def test_third_order_through_tapes():
    third = srcdiff.gradient(srcdiff.gradient(srcdiff.gradient(recurrence)))(0.7, 3)
    second = srcdiff.hessian(recurrence)
    assert third == pytest.approx((second(0.7 + 1e-5, 3) - second(0.7 - 1e-5, 3)) / 2e-5,
                                  rel=1e-5)


OTHER_MODULE = '''
import numpy as np

SCALE = 3.0


def scaled_sine(x):
    return np.sin(x) * SCALE
'''


def test_a_callee_in_another_module_reads_its_own_module_level_names(tmp_path, monkeypatch):
    """The inner gradient calls the callee's VJP, whose printed code reads SCALE from the
    callee's module: materialized over that module, not the caller's."""
    (tmp_path / "srcdiff_other_module.py").write_text(OTHER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    other = importlib.import_module("srcdiff_other_module")

    def f(x):
        return other.scaled_sine(x) * x

    def expected(x, scale):
        return scale * (2.0 * math.cos(x) - x * math.sin(x))

    x = 0.5
    assert srcdiff.gradient(srcdiff.gradient(f))(x) == pytest.approx(expected(x, 3.0))
    assert srcdiff.hessian(f)(x) == pytest.approx(expected(x, 3.0))
    monkeypatch.setattr(other, "SCALE", 4.0)
    assert srcdiff.gradient(srcdiff.gradient(f))(x) == pytest.approx(expected(x, 4.0))


def test_a_callee_read_through_a_closure(tmp_path, monkeypatch):
    """``m.scaled_sine`` with ``m`` a closure's variable, and a closure's constant: the
    materialized gradient reaches both, each closure its own."""
    (tmp_path / "srcdiff_closure_module.py").write_text(OTHER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("srcdiff_closure_module")

    def make(power):
        m = module

        def f(x):
            return m.scaled_sine(x) * x ** power
        return f

    f = make(1.0)
    second = srcdiff.gradient(srcdiff.gradient(f))
    assert second(0.5) == pytest.approx(3.0 * (2.0 * math.cos(0.5) - 0.5 * math.sin(0.5)))
    g = make(2.0)
    expected = srcdiff.hessian(g)(0.5)
    first = srcdiff.gradient(g)
    assert srcdiff.gradient(first)(0.5) == pytest.approx(expected)
    assert expected == pytest.approx((first(0.5 + 1e-6) - first(0.5 - 1e-6)) / 2e-6, rel=1e-6)


def _sine_product(x):
    return math.sin(x) * x


SINE_PRODUCT_SLOPE = srcdiff.gradient(_sine_product)


def _uses_a_gradient(x):
    return SINE_PRODUCT_SLOPE(x) * 2.0 + x


def test_a_function_that_calls_a_derivative_srcdiff_made():
    """``G = gradient(f)`` called inside a function being differentiated: the call is to
    G's printed code for those kinds of arguments, differentiated like any callee."""
    x = 0.7
    second = 2.0 * math.cos(x) - x * math.sin(x)
    third = -3.0 * math.sin(x) - x * math.cos(x)
    assert srcdiff.gradient(_uses_a_gradient)(x) == pytest.approx(2.0 * second + 1.0)
    value, tangent = srcdiff.value_and_tangent(_uses_a_gradient)(x, 1.0)
    assert value == pytest.approx(_uses_a_gradient(x))
    assert tangent == pytest.approx(2.0 * second + 1.0)
    assert srcdiff.hessian(_uses_a_gradient)(x) == pytest.approx(2.0 * third)


def _coupled(x):
    return np.sum(np.sin(x) * x[0]) + x[1] ** 3


def _sine_cubed(t):
    return math.sin(t) * t ** 3


def _third_derivative_of_sine_cubed(t):
    return (-math.cos(t) * t ** 3 - 9.0 * math.sin(t) * t ** 2 + 18.0 * math.cos(t) * t
            + 6.0 * math.sin(t))


def _differences(function, x, step=1e-5):
    return np.stack([(function(x + step * e) - function(x - step * e)) / (2 * step)
                     for e in np.eye(x.size)], axis=-1)


def test_jacobians_of_a_hessian():
    """A Hessian srcdiff assembled is differentiable in turn: third derivatives by forward
    mode over its assembly, whichever Jacobian is asked for."""
    x = np.array([0.3, 0.7, -0.4])
    hessian = srcdiff.hessian(_coupled)
    expected = _differences(hessian, x)
    for made in (srcdiff.jacfwd(hessian), srcdiff.jacrev(hessian), srcdiff.jacobian(hessian)):
        third = made(x)
        assert third.shape == (3, 3, 3)
        np.testing.assert_allclose(third, expected, rtol=1e-7, atol=1e-8)
    value, tangent = srcdiff.jvp(hessian, (x,), (np.ones(3),))
    np.testing.assert_allclose(value, hessian(x))
    np.testing.assert_allclose(tangent, expected.sum(axis=-1), rtol=1e-7, atol=1e-8)
    _, vjp_fn = srcdiff.vjp(hessian, x)
    np.testing.assert_allclose(vjp_fn(np.ones((3, 3)))[0], expected.sum(axis=(0, 1)),
                               rtol=1e-7, atol=1e-8)


def test_any_nesting_of_jacobians_hessians_and_gradients():
    t = 0.7
    third = _third_derivative_of_sine_cubed(t)
    assert srcdiff.hessian(srcdiff.jacfwd(_sine_cubed))(t) == pytest.approx(third)
    second = srcdiff.gradient(srcdiff.jacfwd(_sine_cubed))
    assert type(second(t)) is float
    assert srcdiff.gradient(second)(t) == pytest.approx(third)
    assert srcdiff.jacfwd(srcdiff.jacrev(srcdiff.gradient(_sine_cubed)))(t) == pytest.approx(
        third)
    value, tangent = srcdiff.value_and_tangent(srcdiff.jacfwd(_sine_cubed))(t, 1.0)
    assert tangent == pytest.approx(second(t))


def test_what_a_jacobian_srcdiff_made_refuses():
    jacobian = srcdiff.jacfwd(_coupled)
    x = np.array([0.3, 0.7, -0.4])
    with pytest.raises(srcdiff.SrcdiffError, match="hessian needs a scalar result"):
        srcdiff.hessian(jacobian)(x)
    with pytest.raises(srcdiff.SrcdiffError, match="hvp needs a scalar result"):
        srcdiff.hvp(jacobian)(x, np.ones(3))


def test_hvp_of_a_derivative_srcdiff_assembled():
    """hvp of jacfwd(g) for a scalar g: the third derivative times v, by forward mode."""
    t = 0.7
    first = srcdiff.jacfwd(_sine_cubed)
    assert srcdiff.hvp(first)(t, 2.0) == pytest.approx(
        2.0 * _third_derivative_of_sine_cubed(t))
