"""Functions whose parameters' kinds the srcdiff command infers from their uses."""

import math

import numpy as np


def cost(m, c, xs, ys, n):
    residual = ys - (m * xs + c)
    return np.sum(residual ** 2) / (2 * n)


def grid_sum(a, w):
    s = 0.0
    for i in range(3):
        for j in range(2):
            s = s + w * a[i, j] ** 2
    return s


def quadratic(x, A):
    return 0.5 * x @ (A @ x)


def rows(X, scale):
    total = 0.0
    for row in X:
        total = total + scale * row.sum()
    return math.exp(scale) * total


def shaped(M):
    n, m = M.shape
    return np.sum(M * M) / (n * m)


def helper_norm(v):
    return np.dot(v, v)


def calls_helper(u, t):
    return helper_norm(u) * math.sin(t)


def logdet(S):
    return np.linalg.slogdet(S)[1]


def net(params, x):
    W, b = params
    return np.sum(np.tanh(W @ x + b))


def affine(p, x):
    return np.sum((p["w"] * x + p["b"]) ** 2)


def scalar(x, y):
    return math.sin(x) * y
