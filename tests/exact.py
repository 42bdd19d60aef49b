"""One check for hand-written regression tests: the gradient is exact, or srcdiff refuses.

``assert_exact(f, args, wrt)`` runs ``value_and_grad`` and checks everything a user relies
on: the value is the function's, each gradient has its argument's type, shape and dtype and
shares no memory with any argument, the arguments are left unchanged, and the gradient
agrees with central differences.
"""

import copy

import numpy as np
from finite_diff import central_difference

import srcdiff


def assert_exact(f, args, wrt=0, rtol=1e-5, atol=1e-7):
    args = tuple(args)
    before = copy.deepcopy(args)
    names = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    value, grads = srcdiff.value_and_grad(f, wrt=wrt)(*args)
    _assert_unchanged(args, before)
    expected_value = f(*copy.deepcopy(args))
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-12)
    grads = grads if isinstance(wrt, (tuple, list)) else (grads,)
    positions = [_position(f, n) for n in names]
    for grad, index in zip(grads, positions):
        arg = args[index]
        _assert_like(grad, arg, f"gradient with respect to argument {index}")
        for other in args:
            if isinstance(other, np.ndarray) and isinstance(grad, np.ndarray):
                assert not np.shares_memory(grad, other), "the gradient aliases an argument"
        expected = central_difference(f, args, index)
        np.testing.assert_allclose(np.asarray(grad, dtype=np.float64), expected, rtol=rtol,
                                   atol=atol, err_msg=f"gradient {index} of {f.__name__}")
    return grads if isinstance(wrt, (tuple, list)) else grads[0]


def _position(f, name):
    if isinstance(name, int):
        return name
    return list(f.__code__.co_varnames[:f.__code__.co_argcount]).index(name)


def _assert_like(grad, arg, what):
    assert type(grad) is type(arg), f"{what}: {type(grad).__name__}, not {type(arg).__name__}"
    if isinstance(arg, (np.ndarray, np.generic)):
        assert grad.shape == arg.shape, f"{what}: shape {grad.shape}, not {arg.shape}"
        assert grad.dtype == arg.dtype, f"{what}: dtype {grad.dtype}, not {arg.dtype}"


def _assert_unchanged(args, before):
    for now, then in zip(args, before):
        _assert_same(now, then)


def _assert_same(now, then):
    if isinstance(now, dict):
        assert now.keys() == then.keys(), "an argument was changed"
        for key in now:
            _assert_same(now[key], then[key])
    elif isinstance(now, (list, tuple)):
        assert len(now) == len(then), "an argument was changed"
        for a, b in zip(now, then):
            _assert_same(a, b)
    else:
        np.testing.assert_array_equal(now, then, err_msg="an argument was changed")
