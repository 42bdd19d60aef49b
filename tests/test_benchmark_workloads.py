"""The benchmark workloads' hand-written gradients, which every peer is checked against, are
right: they agree with finite differences and with srcdiff. (No timing here.)"""

import pathlib
import sys

import numpy as np
import pytest

import srcdiff

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from benchmarks.workloads import WORKLOADS  # noqa: E402


def _finite_difference(f, args, index, step=1e-6):
    args = list(args)
    value = args[index]
    if isinstance(value, float):
        up, down = list(args), list(args)
        up[index], down[index] = value + step, value - step
        return (f(*up) - f(*down)) / (2 * step)
    grad = np.zeros_like(value)
    for position in np.ndindex(value.shape):
        up, down = value.copy(), value.copy()
        up[position] += step
        down[position] -= step
        grad[position] = (f(*args[:index], up, *args[index + 1:])
                          - f(*args[:index], down, *args[index + 1:])) / (2 * step)
    return grad


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_hand_written_gradient_is_right(workload):
    args = workload.make_args()
    hand = workload.hand_grad(*args)
    hand = hand if isinstance(hand, tuple) else (hand,)
    ours = srcdiff.gradient(workload.func, wrt=workload.wrt)(*args)
    for k, index in enumerate(workload.wrt):
        expected = _finite_difference(workload.func, args, index)
        np.testing.assert_allclose(hand[k], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours[k], hand[k], rtol=1e-9, atol=1e-10)
