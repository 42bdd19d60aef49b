import math

import numpy as np
import pytest

import srcdiff
from srcdiff import SrcdiffError, gradient, value_and_grad


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def test_seed_graph_gradient_is_the_sum_over_paths():
    assert gradient(e, wrt=(0, 1))(2.0, 1.0) == (2.0, 5.0)


def test_default_wrt_is_the_first_parameter():
    assert gradient(e)(2.0, 1.0) == 2.0


@pytest.mark.parametrize("wrt, expected", [
    (0, 2.0), (1, 5.0), ("a", 2.0), ("b", 5.0), (-1, 5.0),
    ((1, 0), (5.0, 2.0)), (["b"], (5.0,)), (("a", 1), (2.0, 5.0)),
])
def test_wrt_forms(wrt, expected):
    assert gradient(e, wrt=wrt)(2.0, 1.0) == expected


def test_decorator_forms():
    @gradient
    def square(x):
        return x * x

    @gradient(wrt="y")
    def product(x, y):
        return x * y

    assert square(3.0) == 6.0
    assert product(3.0, 4.0) == 3.0
    assert square.__name__ == "square_grad"


def test_keyword_and_default_arguments_reach_the_derivative():
    def f(x, scale=2.0, *, shift=1.0):
        return scale * x * x + shift * x

    g = gradient(f)
    assert g(1.0) == 5.0
    assert g(1.0, 3.0) == 7.0
    assert g(x=1.0, scale=3.0, shift=0.0) == 6.0
    assert gradient(f, wrt="shift")(2.0, shift=5.0) == 2.0


def test_value_and_grad():
    value, grads = value_and_grad(e, wrt=(0, 1))(2.0, 1.0)
    assert value == 6.0 and grads == (2.0, 5.0)
    value, grad = value_and_grad(e)(2.0, 1.0)
    assert (value, grad) == (6.0, 2.0)


def test_float_gives_float_and_array_gives_array_of_same_shape_and_dtype():
    def f(x, w):
        return np.sum(np.tanh(w * x))

    w = np.array([[1.0, 2.0], [0.5, -1.0]])
    gx, gw = gradient(f, wrt=(0, 1))(0.3, w)
    assert type(gx) is float
    assert isinstance(gw, np.ndarray) and gw.shape == w.shape and gw.dtype == w.dtype
    t = np.tanh(w * 0.3)
    np.testing.assert_allclose(gw, (1 - t * t) * 0.3)
    assert gx == pytest.approx(float(np.sum((1 - t * t) * w)))


def test_gradient_does_not_alias_an_input_array():
    def f(w, x):
        return np.dot(w, x)

    w, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gw = gradient(f)(w, x)
    np.testing.assert_array_equal(gw, x)
    assert gw is not x
    gw[0] = 100.0
    assert x[0] == 3.0


def test_unused_parameter_gets_a_zero_of_its_kind():
    def f(x, w):
        return x * 2.0

    gx, gw = gradient(f, wrt=(0, 1))(1.0, np.ones(3))
    assert gx == 2.0
    np.testing.assert_array_equal(gw, np.zeros(3))
    assert gradient(f, wrt=1)(1.0, 2.0) == 0.0


def test_module_constants_are_read_live(module_from):
    mod = module_from("""
        SCALE = 2.0

        def f(x):
            return SCALE * x
    """)
    g = gradient(mod.f)
    assert g(1.0) == 2.0
    mod.SCALE = 3.0
    assert g(1.0) == 3.0


def test_closure_values_are_read_live():
    k = 2.0

    def f(x):
        return k * x * x

    g = gradient(f)
    assert g(1.0) == 4.0
    k = 5.0
    assert g(1.0) == 10.0


def test_lambda():
    assert gradient(lambda x: x * x * x)(2.0) == 12.0


def test_reassignment_and_unpacking_and_augmented_assignment():
    def f(x, y):
        a, b = x * y, y + 1.0
        a, b = b, a
        a += b
        a **= 2
        a -= x
        a /= 2.0
        return a

    g = gradient(f, wrt=(0, 1))
    x, y = 1.5, 2.0
    a = (y + 1.0) + x * y
    assert g(x, y) == pytest.approx((a * y - 0.5, a * (1.0 + x)))


def test_numpy_scalars_and_python_floats_mix():
    def f(x):
        return np.sin(x) * math.cos(x)

    x = 0.7
    expected = math.cos(x) ** 2 - math.sin(x) ** 2
    assert gradient(f)(x) == pytest.approx(expected)
    assert type(gradient(f)(x)) is float
    assert gradient(f)(np.float64(x)) == pytest.approx(expected)


def test_matrix_products_specialize_on_shape():
    def loss(w1, w2, x, y):
        a1 = w1 @ x
        z1 = np.tanh(a1)
        yhat = w2 @ z1
        return 0.5 * np.sum((yhat - y) ** 2)

    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    x, y = rng.normal(size=3), rng.normal(size=2)
    g1, g2 = gradient(loss, wrt=(0, 1))(w1, w2, x, y)
    z1 = np.tanh(w1 @ x)
    delta2 = w2 @ z1 - y
    delta1 = (w2.T @ delta2) * (1 - z1 ** 2)
    np.testing.assert_allclose(g2, np.outer(delta2, z1))
    np.testing.assert_allclose(g1, np.outer(delta1, x))
    text = srcdiff.source(loss, wrt=(0, 1), args=(w1, w2, x, y))
    assert "w2_bar = np.outer(yhat_bar, z1)" in text
    assert "z1_bar = w2.T @ yhat_bar" in text


def test_broadcasting_reduces_adjoints_to_operand_shapes():
    def f(a, b):
        return np.sum(np.sin(a * b))

    a, b = np.linspace(0.1, 0.5, 3).reshape(3, 1), np.linspace(-1, 1, 4).reshape(1, 4)
    ga, gb = gradient(f, wrt=(0, 1))(a, b)
    c = np.cos(a * b)
    np.testing.assert_allclose(ga, np.sum(c * b, axis=1, keepdims=True))
    np.testing.assert_allclose(gb, np.sum(c * a, axis=0, keepdims=True))
    gs = gradient(f)(0.5, b)
    assert type(gs) is float
    assert gs == pytest.approx(float(np.sum(np.cos(0.5 * b) * b)))


def test_new_argument_kinds_get_their_own_specialization():
    def f(x, y):
        return np.sum(x * y)

    g = gradient(f)
    assert g(2.0, 3.0) == 3.0
    np.testing.assert_array_equal(g(np.ones(3), np.arange(3.0)), np.arange(3.0))
    np.testing.assert_array_equal(g(np.ones((2, 3)), np.arange(3.0)),
                                  np.tile(np.arange(3.0), (2, 1)))
    assert g(2.0, 3.0) == 3.0


class TestWrtErrors:
    def test_unknown_name(self):
        with pytest.raises(SrcdiffError, match="no parameter named 'c'"):
            gradient(e, wrt="c")

    def test_index_out_of_range(self):
        with pytest.raises(SrcdiffError, match="out of range"):
            gradient(e, wrt=2)

    @pytest.mark.parametrize("wrt", [1.0, True, None.__class__, (0, 0), ()])
    def test_bad_values(self, wrt):
        with pytest.raises(SrcdiffError):
            gradient(e, wrt=wrt)

    def test_integer_argument_in_wrt(self):
        with pytest.raises(SrcdiffError, match="cannot differentiate with respect to a: it is "
                                               "an int") as info:
            gradient(e)(2, 1.0)
        assert info.value.filename == __file__
        assert info.value.lineno == e.__code__.co_firstlineno

    def test_integer_array_in_wrt(self):
        def f(x):
            return np.sum(x * 1.5)

        with pytest.raises(SrcdiffError, match="int64"):
            gradient(f)(np.arange(3))

    def test_integer_argument_outside_wrt_is_fine(self):
        def f(x, n):
            return x * n

        assert gradient(f)(2.0, 3) == 3.0


def test_non_scalar_result_is_refused_with_its_location():
    def f(x):
        return np.sin(x)

    with pytest.raises(SrcdiffError, match="returns an array") as info:
        gradient(f)(np.ones(3))
    assert info.value.lineno == f.__code__.co_firstlineno + 1
    assert "return np.sin(x)" in str(info.value)


def test_source_that_cannot_be_read():
    namespace = {}
    exec("def f(x):\n    return x * x\n", namespace)
    with pytest.raises(SrcdiffError, match="cannot read the source of f") as info:
        gradient(namespace["f"])(1.0)
    assert "interactive" in str(info.value)


def test_notebook_cells_work():
    import linecache

    cell = "<ipython-input-7-0123456789ab>"
    text = "import math\ndef f(x):\n    return math.exp(2.0 * x)\n"
    linecache.cache[cell] = (len(text), None, text.splitlines(True), cell)
    namespace = {}
    exec(compile(text, cell, "exec"), namespace)
    assert gradient(namespace["f"])(0.0) == 2.0


def test_a_derivative_can_be_differentiated():
    de_da = gradient(e, wrt=0)  # b + 1
    assert gradient(de_da, wrt=1)(2.0, 1.0) == 1.0
    assert gradient(de_da, wrt=0)(2.0, 1.0) == 0.0


def test_not_a_function():
    with pytest.raises(SrcdiffError, match="not a Python function"):
        gradient(math.sin)


def _product(x, y):
    return x * y


def test_a_tuple_of_one_gradient_prints_as_a_tuple():
    """The printer wrote ``return x_bar`` for a tuple of one gradient, code that does not
    run as the compiled derivative does."""
    text = srcdiff.source(_product, wrt=(0,))
    assert text.rstrip().endswith("return (x_bar,)")
    namespace = {}
    exec(compile(text, "<printed>", "exec"), namespace)
    assert namespace["_product_grad"](2.0, 3.0) == srcdiff.gradient(_product, wrt=(0,))(
        2.0, 3.0) == (3.0,)


def test_parameters_from_the_code_object_are_the_signature_s():
    """Parameters are read from a plain function's code object, as ``inspect.signature``
    reads them; a function that names another signature (``functools.wraps``,
    ``__signature__``) is read through ``inspect``."""
    import functools
    import inspect

    from srcdiff.driver import dispatch

    def plain(a, b=1.0):
        return a

    def mixed(a, /, b, *, c, d=2.0):
        z = a * b
        return z

    def wrapper(*args, **kwargs):
        return plain(*args, **kwargs)
    wrapped = functools.wraps(plain)(wrapper)

    def signed(x, y):
        return x
    signed.__signature__ = inspect.Signature([inspect.Parameter(
        "x", inspect.Parameter.KEYWORD_ONLY)])

    kinds = {inspect.Parameter.POSITIONAL_ONLY: "positional_only",
             inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
             inspect.Parameter.KEYWORD_ONLY: "keyword_only"}
    for fn in (plain, mixed, lambda u, *, v: u, wrapped, signed):
        expected = [(p.name, kinds[p.kind]) for p in inspect.signature(fn).parameters.values()]
        assert [(p.name, p.kind) for p in dispatch.parameters(fn)] == expected
    assert dispatch._code_parameters(wrapped) is None
    assert dispatch._code_parameters(signed) is None
    assert [p.kind for p in dispatch._code_parameters(mixed)] == [
        "positional_only", "positional", "keyword_only", "keyword_only"]
