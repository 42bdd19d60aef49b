"""The seed examples, as the srcdiff command reads them (this file is never executed)."""

import math

import numpy as np

GAMMA = 0.04

raise SystemExit("srcdiff must read this file without running it")


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def f(x):
    return math.sqrt(3.0 * math.sin(x))


def exp_sin(x):
    u = math.exp(x)
    v = u + u ** 2
    return math.exp(v) + math.sin(v)


def cost(m, c, xs: "array[n]", ys: "array[n]"):
    r = ys - (m * xs + c)
    return np.sum(r * r) / (2.0 * 10)


def loss(w1, w2, x, y):
    a1 = w1 @ x
    z1 = np.tanh(a1)
    yhat = w2 @ z1
    return 0.5 * np.sum((yhat - y) ** 2)


def reassigned(x, y):
    y = y * x
    y = np.sin(y)
    y += GAMMA * y
    return y * y
