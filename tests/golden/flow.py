"""Loops, branches and calls, as the srcdiff command reads them (never executed)."""

import math

import numpy as np


def many_sines(x):
    y = x
    for i in range(1, 7):
        y = np.sin(x + y)
    return y


def relu_or_square(x, y):
    if x > 0.0:
        z = x * y
    elif x > -1.0:
        z = y * y
    else:
        return 0.0
    return z * x


def halvings(x):
    y = x
    while y > 1.0:
        y = y * 0.5 + math.sin(y)
    return y


def soft(v, k=2.0):
    return math.log1p(math.exp(k * v)) / k


def smooth_sum(x, n):
    total = 0.0
    for i in range(n):
        total = total + soft(x * i)
    return total


def prefix_squares(x):
    y = np.zeros(5)
    y[0] = x[0] ** 2
    for i in range(1, 5):
        y[i] = y[i - 1] + x[i] ** 2
    return np.sum(np.sin(y))


def recurrence(h, w, xs):
    states = np.zeros((4, 3))
    for t in range(4):
        h = np.tanh(w @ h + xs[t])
        states[t] = h
    return np.sum(states ** 2)
