"""Helpers for the adjoints (and tangents) of tuples, lists and dicts, and of joining arrays
from them or splitting arrays into them."""

import numpy as np

from .arithmetic import unbroadcast

__all__ = [
    "zeros_like_tree", "one_hot", "add_tree", "spread", "split_like", "unstack_like",
    "split_hstack", "split_vstack", "unarray", "require_assigned", "cast_tree",
    "filled_tangents", "sum_tangents",
]


def zeros_like_tree(x):
    """Zeros with the structure of ``x`` (a number, an array, or tuples, lists and dicts of
    them): the adjoint of a container that received nothing. A variable that holds no value
    yet (None, where the code is on a path that assigns it later) has no adjoint either."""
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return _same_kind(x, [zeros_like_tree(v) for v in x])
    if isinstance(x, dict):
        return {k: zeros_like_tree(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    return type(x)(0) if isinstance(x, (float, int, complex)) else x * 0


def _same_kind(like, items):
    """A tuple for a tuple (named tuples included), a list for a list."""
    return tuple(items) if isinstance(like, tuple) else list(items)


def one_hot(x, key, g):
    """The adjoint of ``x[key]`` as a contribution to ``x``'s: zeros but ``g`` at ``key``."""
    zeros = zeros_like_tree(x)
    if isinstance(zeros, tuple):
        zeros = list(zeros)
        zeros[key] = g
        return tuple(zeros)
    zeros[key] = g
    return zeros


def add_tree(a, b):
    """Adjoints of containers add element by element. None, the adjoint of a variable that
    held no value yet (a tape's first entry for it), is no contribution."""
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, (tuple, list)):
        return _same_kind(a, [add_tree(x, y) for x, y in zip(a, b, strict=True)])
    if isinstance(a, dict):
        return {k: add_tree(a[k], b[k]) for k in a}
    return a + b


def spread(g, items):
    """The adjoint of ``sum(items)``: ``g`` for every item (every row of an array), summed
    back to the item's shape where the sum broadcast it (``sum([x, v])`` with a number ``x``
    and an array ``v``, or a ``start`` larger than the items)."""
    if isinstance(items, np.ndarray):
        return np.full_like(items, unbroadcast(g, np.empty(items.shape[1:])))
    return _like([unbroadcast(g, item) for item in items], items)


def _like(pieces, items):
    return tuple(pieces) if isinstance(items, tuple) else list(pieces)


def sum_tangents(tangents, items, ans):
    """The tangent of ``ans = sum(items, start)`` from the items': their sum (zeros for
    items that have none), spread to the result's shape where ``start`` or an empty list
    leaves it larger. The transpose of :func:`spread`."""
    total = sum(filled_tangents(tangents, items) if isinstance(items, (list, tuple))
                else tangents)
    if np.shape(total) == np.shape(ans):
        return total
    return np.broadcast_to(total, np.shape(ans)).copy()


def split_like(g, arrays, axis=0):
    """The adjoint of ``np.concatenate(arrays, axis)``: ``g`` cut into the arrays' pieces."""
    sizes = [np.shape(a)[axis] for a in arrays]
    return _like(np.split(g, np.cumsum(sizes)[:-1], axis=axis), arrays)


def unstack_like(g, arrays, axis=0):
    """The adjoint of ``np.stack(arrays, axis)``: ``g``'s slices along ``axis``."""
    return _like(np.moveaxis(g, axis, 0), arrays)


def split_hstack(g, arrays):
    axis = 0 if np.ndim(arrays[0]) <= 1 else 1
    sizes = [np.shape(np.atleast_1d(a))[axis] for a in arrays]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return _like([np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)], arrays)


def split_vstack(g, arrays):
    sizes = [np.atleast_2d(a).shape[0] for a in arrays]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=0)
    return _like([np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)], arrays)


def unarray(g, items):
    """The adjoint of ``np.array(items)`` for a list or tuple of numbers or arrays."""
    if isinstance(items, (list, tuple)):
        return _like([unarray(g[i], item) for i, item in enumerate(items)], items)
    if isinstance(items, float):
        return float(np.real(g))  # a real number's share of a complex array's adjoint
    return g


def require_assigned(assigned, name):
    """Raise what Python raises on reading the local ``name`` before any assignment bound
    it (derivative code checks the reads that may come first)."""
    if not assigned:
        raise UnboundLocalError(_UNBOUND_MESSAGE.replace("unbound_name", name))


def _unbound_message():
    """This Python's own wording of the error, which changes between versions."""
    def read_first():
        unbound_name  # noqa: B018, F821
        unbound_name = None  # noqa: F841
    try:
        read_first()
    except UnboundLocalError as error:
        return str(error)
    return "local variable 'unbound_name' referenced before assignment"


_UNBOUND_MESSAGE = _unbound_message()


def cast_tree(g, like):
    """A container's gradient with each element in the type of the matching element of the
    argument ``like`` (a float for a float, the dtype of a NumPy scalar or array)."""
    if isinstance(like, dict):
        return {key: cast_tree(g[key], value) for key, value in like.items()}
    if isinstance(like, (list, tuple)):
        return type(like)(cast_tree(part, item) for part, item in zip(g, like))
    if isinstance(like, np.generic):  # before float: np.float64 is a float too
        return like.dtype.type(g)
    if isinstance(like, float):
        return float(np.real(g))
    if isinstance(like, np.ndarray):
        return np.asarray(g, dtype=like.dtype)
    return g


def filled_tangents(tangents, items):
    """The tangents of a list's or tuple's items (nested ones too), with zeros of the
    item's shape where an item has none: forward mode gives an integer item the tangent
    None, and a join of the tangents needs an array there."""
    if isinstance(items, (list, tuple)):
        return _like([filled_tangents(t, item) for t, item in zip(tangents, items)], items)
    if tangents is None:
        return np.zeros(np.shape(items))
    return tangents
