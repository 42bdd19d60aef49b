"""Arguments and gradients as trees (floats and arrays inside tuples, lists and dicts):
their leaves, float64 copies, moved coordinates, exact comparison, and Python source."""

import math

import numpy as np


def leaves(tree, path=()):
    """(path, leaf) for every float or float array in ``tree``; ints are not leaves."""
    if isinstance(tree, np.ndarray):
        return [(path, tree)] if tree.dtype.kind in "fc" else []
    if isinstance(tree, (float, np.floating)):
        return [(path, tree)]
    if isinstance(tree, (list, tuple)):
        return [item for i, t in enumerate(tree) for item in leaves(t, path + (i,))]
    if isinstance(tree, dict):
        return [item for k, t in tree.items() for item in leaves(t, path + (k,))]
    return []


def to_float64(tree):
    """``tree`` with float32 arrays cast to float64; ``tree`` itself if it has none."""
    if not any(isinstance(leaf, np.ndarray) and leaf.dtype == np.float32
               for _, leaf in leaves(tree)):
        return tree
    return _map(tree, lambda leaf: leaf.astype(np.float64)
                if isinstance(leaf, np.ndarray) and leaf.dtype == np.float32 else leaf)


def _map(tree, fn):
    if isinstance(tree, (list, tuple)):
        return type(tree)(_map(t, fn) for t in tree)
    if isinstance(tree, dict):
        return {k: _map(t, fn) for k, t in tree.items()}
    return fn(tree)


def replaced(args, index, path, coordinate, delta):
    """A copy of the argument tuple with one coordinate of one leaf moved by ``delta``."""
    def move(tree, rest):
        if not rest:
            if isinstance(tree, np.ndarray):
                moved = tree.copy()
                moved[coordinate] += delta
                return moved
            return float(tree) + delta
        step = rest[0]
        if isinstance(tree, dict):
            result = dict(tree)
            result[step] = move(tree[step], rest[1:])
            return result
        items = list(tree)
        items[step] = move(tree[step], rest[1:])
        return type(tree)(items)

    return args[:index] + (move(args[index], path),) + args[index + 1:]


def rebuild(tree, values, path=()):
    """``tree`` with the leaves at the paths in ``values`` replaced."""
    if path in values:
        return values[path]
    if isinstance(tree, (list, tuple)):
        return type(tree)(rebuild(t, values, path + (i,)) for i, t in enumerate(tree))
    if isinstance(tree, dict):
        return {k: rebuild(t, values, path + (k,)) for k, t in tree.items()}
    return tree


def same_value(a, b):
    """Exactly equal, types and dtypes included (nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def literal(value):
    """Python source that rebuilds ``value`` exactly (for failure messages and repros)."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r}, dtype=np.{value.dtype})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype}({value.item()!r})"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


def nudged(tree, rng):
    """``tree`` with every float moved by a relative 1e-7 or so, in a random direction (off
    exact ties such as an argument equal to a clip bound)."""
    def nudge(leaf):
        if isinstance(leaf, float):
            return leaf + (abs(leaf) + 1e-3) * 1e-7 * float(rng.uniform(0.5, 1.5))
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f":
            return leaf + ((np.abs(leaf) + 1e-3) * 1e-7
                           * rng.uniform(0.5, 1.5, leaf.shape)).astype(leaf.dtype)
        return leaf
    return _map(tree, nudge)
