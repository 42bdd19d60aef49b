"""Tuples, lists and dicts as values and as arguments: gradients keep their structure."""

import numpy as np
import pytest
from finite_diff import central_difference

import srcdiff
from srcdiff import gradient

RNG = np.random.default_rng(7)
PARAMS = [RNG.normal(size=(3, 2)), RNG.normal(size=3), RNG.normal(size=(2, 3))]
X = RNG.normal(size=2)


def mlp(params, x):
    w1, b1, w2 = params
    h = np.tanh(w1 @ x + b1)
    return np.sum((w2 @ h) ** 2)


def mlp_dict(params, x):
    h = np.tanh(params["w1"] @ x + params["b1"])
    return np.sum((params["w2"] @ h) ** 2)


def loop_over_list(weights, x):
    total = 0.0
    for w in weights:
        total = total + np.sin(w * x)
    return total


def nested(pair, x):
    (a, b), c = pair
    return a * b * x + c


def test_list_of_arrays_gives_a_list_of_gradients():
    grads = gradient(mlp)(PARAMS, X)
    assert isinstance(grads, list) and [g.shape for g in grads] == [p.shape for p in PARAMS]
    for k in range(3):
        def alone(p, k=k):
            params = list(PARAMS)
            params[k] = p
            return mlp(params, X)
        np.testing.assert_allclose(grads[k], central_difference(alone, (PARAMS[k],), 0),
                                   rtol=1e-6, atol=1e-9)


def test_dict_of_arrays_gives_a_dict_of_gradients():
    params = {"w1": PARAMS[0], "b1": PARAMS[1], "w2": PARAMS[2]}
    grads = gradient(mlp_dict)(params, X)
    assert set(grads) == {"w1", "b1", "w2"}
    np.testing.assert_allclose(grads["b1"], gradient(mlp)(PARAMS, X)[1])


def test_loop_over_a_tuple_of_floats():
    weights = (0.3, -0.8, 1.2)
    grads = gradient(loop_over_list)(weights, 0.5)
    assert isinstance(grads, tuple) and len(grads) == 3
    for k, w in enumerate(weights):
        assert grads[k] == pytest.approx(np.cos(w * 0.5) * 0.5)


def test_nested_unpacking():
    grads = gradient(nested)(((2.0, 3.0), 4.0), 0.5)
    assert grads == ((1.5, 1.0), 1.0)


def test_printed_code_reads_the_elements():
    text = srcdiff.source(mlp, args=(PARAMS, X))
    assert "w1 = params[0]" in text and "params_bar" in text


def dict_literal(x, y):
    d = {"a": x * y, "b": np.sin(x)}
    return d["a"] * d["b"] + d["b"]


def test_dict_literal():
    gx, gy = gradient(dict_literal, wrt=(0, 1))(0.7, 1.3)
    assert gx == pytest.approx(central_difference(dict_literal, (0.7, 1.3), 0), rel=1e-6)
    assert gy == pytest.approx(central_difference(dict_literal, (0.7, 1.3), 1), rel=1e-6)


def log_determinant(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet * 2.0 + sign


def test_numpy_functions_that_return_pairs():
    a = np.array([[2.0, 0.3, 0.1], [0.2, 1.5, -0.4], [0.0, 0.6, 3.0]])
    np.testing.assert_allclose(gradient(log_determinant)(a),
                               central_difference(log_determinant, (a,), 0), rtol=1e-6)
