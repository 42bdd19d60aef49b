"""Benchmark workloads: each is plain Python/NumPy source plus a hand-written gradient.

The workload functions look up `math` and `np` as module globals, so a peer can run the very
same code on its own array library by rebinding those names (see `rebind`).
"""

import math
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def e(a, b):
    return (a + b) * (b + 1)


def e_grad(a, b):
    return b + 1, a + 2 * b + 1


def sqrt_sin(x):
    return math.sqrt(3 * math.sin(x))


def sqrt_sin_grad(x):
    return 3 * math.cos(x) / (2 * math.sqrt(3 * math.sin(x)))


def exp_sin(x):
    return math.exp(math.exp(x) + math.exp(x) ** 2) + math.sin(math.exp(x) + math.exp(x) ** 2)


def exp_sin_grad(x):
    u = math.exp(x)
    v = u + u * u
    return (math.exp(v) + math.cos(v)) * (u + 2 * u * u)


def mlp_loss(w1, w2, x, y):
    a1 = w1 @ x
    z1 = np.tanh(a1)
    yhat = w2 @ z1
    return 0.5 * np.sum((yhat - y) ** 2)


def mlp_loss_grad(w1, w2, x, y):
    z1 = np.tanh(w1 @ x)
    delta = w2 @ z1 - y
    dz1 = (w2.T @ delta) * (1 - z1 * z1)
    return np.outer(dz1, x), np.outer(delta, z1)


def linreg_cost(m, c, xs, ys, n):
    return np.sum((ys - (m * xs + c)) ** 2) / (2 * n)


def linreg_cost_grad(m, c, xs, ys, n):
    r = ys - (m * xs + c)
    return -np.dot(r, xs) / n, -np.sum(r) / n


def rnn_loss(wx, wh, xs, target):
    h = np.zeros(wh.shape[0])
    for x in xs:
        h = np.tanh(wx @ x + wh @ h)
    return 0.5 * np.sum((h - target) ** 2)


def rnn_loss_grad(wx, wh, xs, target):
    states = [np.zeros(wh.shape[0])]
    for x in xs:
        states.append(np.tanh(wx @ x + wh @ states[-1]))
    h_bar = states[-1] - target
    wx_bar, wh_bar = np.zeros_like(wx), np.zeros_like(wh)
    for t in range(len(xs) - 1, -1, -1):
        delta = h_bar * (1 - states[t + 1] ** 2)
        wx_bar += np.outer(delta, xs[t])
        wh_bar += np.outer(delta, states[t])
        h_bar = wh.T @ delta
    return wx_bar, wh_bar


def recurrence(x, a):
    y = np.zeros(x.shape[0])
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = a * y[i - 1] + np.sin(x[i])
    return np.sum(y * y)


def recurrence_grad(x, a):
    n = x.shape[0]
    y = np.zeros(n)
    y[0] = x[0]
    for i in range(1, n):
        y[i] = a * y[i - 1] + math.sin(x[i])
    y_bar = 2.0 * y
    x_bar = np.zeros(n)
    a_bar = 0.0
    for i in range(n - 1, 0, -1):
        a_bar += y_bar[i] * y[i - 1]
        y_bar[i - 1] += a * y_bar[i]
        x_bar[i] = y_bar[i] * math.cos(x[i])
    x_bar[0] = y_bar[0]
    return x_bar, a_bar


def _e_args():
    return 1.5, -0.75


def _sqrt_sin_args():
    return (0.7,)


def _exp_sin_args():
    return (0.3,)


def _mlp_args():
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((64, 32)) / np.sqrt(32)
    w2 = rng.standard_normal((10, 64)) / np.sqrt(64)
    return w1, w2, rng.standard_normal(32), rng.standard_normal(10)


def _linreg_args():
    rng = np.random.default_rng(1)
    xs = rng.uniform(-2.0, 2.0, 1000)
    ys = 3.0 * xs - 0.5 + 0.1 * rng.standard_normal(1000)
    return 2.5, 0.25, xs, ys, float(xs.shape[0])


def _rnn_args():
    rng = np.random.default_rng(2)
    wx = rng.standard_normal((16, 8)) / np.sqrt(8)
    wh = 0.9 * rng.standard_normal((16, 16)) / np.sqrt(16)
    return wx, wh, rng.standard_normal((20, 8)), rng.standard_normal(16)


def _recurrence_args():
    rng = np.random.default_rng(3)
    return rng.uniform(-1.0, 1.0, 200), 0.9


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    func: Callable
    hand_grad: Callable
    wrt: tuple[int, ...]
    make_args: Callable[[], tuple]

    @property
    def scalar_wrt(self):
        return len(self.wrt) == 1


WORKLOADS = [
    Workload(
        "e",
        "(a+b)*(b+1) on Python floats, d/d(a, b)",
        e,
        e_grad,
        (0, 1),
        _e_args,
    ),
    Workload(
        "sqrt_sin",
        "sqrt(3*sin(x)) with math, scalar",
        sqrt_sin,
        sqrt_sin_grad,
        (0,),
        _sqrt_sin_args,
    ),
    Workload(
        "exp_sin",
        "exp(exp(x)+exp(x)**2) + sin(exp(x)+exp(x)**2) with math, scalar",
        exp_sin,
        exp_sin_grad,
        (0,),
        _exp_sin_args,
    ),
    Workload(
        "mlp",
        "tanh MLP loss, w1 (64,32), w2 (10,64), x (32,), y (10,), d/d(w1, w2)",
        mlp_loss,
        mlp_loss_grad,
        (0, 1),
        _mlp_args,
    ),
    Workload(
        "linreg",
        "linear regression cost on 1000 points, d/d(m, c)",
        linreg_cost,
        linreg_cost_grad,
        (0, 1),
        _linreg_args,
    ),
    Workload(
        "rnn",
        "tanh RNN, 20 steps, wx (16,8), wh (16,16), loss on the last state, d/d(wx, wh)",
        rnn_loss,
        rnn_loss_grad,
        (0, 1),
        _rnn_args,
    ),
    Workload(
        "recurrence",
        "y[i] = a*y[i-1] + sin(x[i]) written into an array, 200 steps, d/d(x, a)",
        recurrence,
        recurrence_grad,
        (0, 1),
        _recurrence_args,
    ),
]

BY_NAME = {w.name: w for w in WORKLOADS}


def rebind(func, **names):
    """Return a copy of `func` whose global names in `names` point at other objects."""
    scope = {**func.__globals__, **names}
    return types.FunctionType(
        func.__code__, scope, func.__name__, func.__defaults__, func.__closure__
    )
