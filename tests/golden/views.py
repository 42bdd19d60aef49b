"""Examples for the teaching views (--trace, --graph), as the srcdiff command reads them.

This file is never executed: the views make its functions from their defs alone.
"""

import math

import numpy as np

raise SystemExit("srcdiff must read this file without running it")


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def f(x):
    u2 = math.exp(x)
    u3 = u2 ** 2
    u4 = u2 + u3
    u5 = math.sin(u4)
    u6 = math.exp(u4)
    u7 = u6 + u5
    return u7


def many_sines(x):
    y = x
    for i in range(1, 7):
        y = np.sin(x + y)
    return y


def soft(v):
    return math.log1p(math.exp(v))


def scaled_sum(x, n):
    total = 0.0
    for i in range(n):
        total = total + soft(x * i)
    return total


def norm(w):
    return np.sum(np.tanh(w) ** 2)
