"""Result abstract values for the rules of the runtime helpers (``helpers.py``): most give an
array shaped like one of their operands (an adjoint has its operand's shape), some a number,
a container shaped like an operand, or an operand's shape moved about."""

from __future__ import annotations

import math

import numpy as np

from ..ir import nodes as ir
from ..ir.avals import (
    ARRAY,
    NP,
    OTHER,
    PY,
    UNKNOWN,
    UNKNOWN_AVAL,
    AVal,
    broadcast_shapes,
    join,
    of_value,
)
from . import results as R


def _dtype(avals, names, inexact=False):
    dtype = R.promoted(avals, *names)
    if inexact and dtype is not None:
        dtype = np.result_type(dtype, 0.0)
    return dtype


def _unknown(avals, names):
    return any(avals[n].kind == UNKNOWN for n in names if n in avals)


def like(name, *dtypes, inexact=False):
    """An array (a NumPy scalar for a scalar) of ``name``'s shape, in the promoted dtype of
    ``dtypes`` (default: ``name``'s own), made floating with ``inexact``."""
    def hook(avals, bound):
        names = (name,) + dtypes
        if _unknown(avals, names):
            return UNKNOWN_AVAL
        aval = avals[name]
        dtype = _dtype(avals, dtypes or (name,), inexact)
        if aval.kind in (PY, NP):
            return R.make((), dtype)
        if aval.kind == ARRAY:
            return AVal(ARRAY, None if dtype is None else np.dtype(dtype), aval.shape)
        return AVal(ARRAY, dtype, None)
    return hook


def chosen(param, default, options, other=None):
    """The hook of ``options`` that the value of the constant argument ``param`` picks (or
    ``other``, for a value not listed); a value not known when compiling gives an array of
    unknown shape."""
    def hook(avals, bound):
        try:
            value = R.constant(bound, param, default)
        except R.NotConstant:
            return AVal(ARRAY, None, None)
        return options.get(value, other)(avals, bound)
    return hook


def unbroadcast_result(avals, bound):
    """``x``'s shape, ``v``'s dtype; ``v`` itself where the shapes are equal (a Python float
    stays one)."""
    v, x = avals["v"], avals["x"]
    if _unknown(avals, ("v", "x")):
        return UNKNOWN_AVAL
    if x.kind in (PY, NP):
        return v if v.kind in (PY, NP) else R.make((), v.dtype)
    if x.kind == ARRAY:
        if v.kind in (PY, NP) and x.shape == ():
            return v
        return AVal(ARRAY, v.dtype if v.kind != PY else np.result_type(v.dtype(0)), x.shape)
    return UNKNOWN_AVAL


def cast_result(avals, bound):
    """``cast_like(value, x)``: ``value`` in ``x``'s dtype (a Python float for a Python
    number, where ``value`` is a scalar)."""
    value, x = avals["value"], avals["x"]
    if _unknown(avals, ("value", "x")):
        return UNKNOWN_AVAL
    scalar = value.kind in (PY, NP) or (value.kind == ARRAY and value.shape == ())
    if x.kind == PY and x.dtype in (int, float, complex) and value.kind != OTHER:
        python = AVal(PY, complex if x.dtype is complex else float)
        if scalar:
            return python
        if value.kind == ARRAY and value.shape is None:
            return join(python, value)
    dtype = _dtype(avals, ("x",))
    if dtype is None or np.dtype(dtype).kind not in "fc":
        return value
    if value.kind == ARRAY:
        return AVal(ARRAY, np.dtype(dtype), value.shape)
    return AVal(NP, np.dtype(dtype))


def expanded(avals, bound):
    """``expand_reduced(v, axis, keepdims)``: ``v`` with the reduced axes put back."""
    v = avals["v"]
    try:
        axis = R.constant(bound, "axis", None)
        keep = R.constant(bound, "keepdims", False)
    except R.NotConstant:
        return AVal(ARRAY, v.dtype if v.kind != PY else None, None)
    if keep or axis is None or v.kind in (PY, NP):
        return v
    if v.kind != ARRAY or v.shape is None:
        return AVal(ARRAY, v.dtype if v.kind == ARRAY else None, None)
    axes = axis if isinstance(axis, tuple) else (axis,)
    ndim = len(v.shape) + len(axes)
    where = R.normalized(axes, ndim)
    rest = iter(v.shape)
    return AVal(ARRAY, v.dtype, tuple(1 if k in where else next(rest) for k in range(ndim)))


def count(avals, bound):
    """``reduced_size(a, axis)``: a Python int, known where the sizes are."""
    dims = R.shape(avals["a"])
    try:
        axis = R.constant(bound, "axis", None)
    except R.NotConstant:
        return AVal(PY, int)
    if dims is None:
        return AVal(PY, int)
    axes = range(len(dims)) if axis is None else R.normalized(axis, len(dims))
    sizes = [dims[k] for k in axes]
    known = all(isinstance(d, int) for d in sizes)
    return AVal(PY, int, value=math.prod(sizes) if known else None)


def weights(*names):
    """Weights of the broadcast shape of ``names``, floating (ties, medians)."""
    def hook(avals, bound):
        if _unknown(avals, names):
            return UNKNOWN_AVAL
        shapes = [R.shape(avals[n]) for n in names]
        dtype = _dtype(avals, names[:1])
        if dtype is None or np.dtype(dtype).kind not in "fc":
            dtype = np.dtype(float)
        return R.make(broadcast_shapes(*shapes), dtype)
    return hook


def indexed(avals, bound):
    """``last_assigned(v, index)``: the part ``v[index]``, where the index is a constant
    (sizes of ``v`` not known give sizes of the part not known)."""
    v = avals["v"]
    index = bound["index"]
    dtype = v.dtype if v.kind in (ARRAY, NP) else None
    known = isinstance(index, ir.Const) or (isinstance(index, ir.Global) and index.known)
    if not known or v.kind != ARRAY or v.shape is None:
        return AVal(ARRAY, dtype, None)
    parts = []
    for size in (5, 7):
        shape = tuple(d if isinstance(d, int) else size for d in v.shape)
        try:
            parts.append(of_value(np.zeros(shape, dtype)[index.value]))
        except (IndexError, TypeError, ValueError):
            return AVal(ARRAY, dtype, None)
    first, second = parts
    if first.kind != ARRAY:
        return first
    return AVal(ARRAY, first.dtype, tuple(a if a == b else None
                                          for a, b in zip(first.shape, second.shape)))


def cumulative(avals, bound):
    """``cumprod_tangent(a, t, axis, include_initial)``: ``np.cumprod``'s result's shape."""
    return _cumulative(R.shape(avals["a"]), _dtype(avals, ("a", "t")), bound)


def dual_cumulative(avals, bound):
    """``dual_cumprod(x, axis, include_initial)``: ``np.cumprod``'s result's shape for the
    values of ``x`` (all but its last axis, which holds the parts and stays)."""
    dims = R.shape(avals["x"])
    dtype = _dtype(avals, ("x",))
    if not dims:
        return AVal(ARRAY, dtype, None)
    values = _cumulative(dims[:-1], dtype, bound)
    return AVal(ARRAY, dtype, None if values.shape is None else values.shape + dims[-1:])


def _cumulative(dims, dtype, bound):
    try:
        axis = R.constant(bound, "axis", None)
        extra = 1 if R.constant(bound, "include_initial", False) else 0
    except R.NotConstant:
        return AVal(ARRAY, dtype, None)
    if dims is None:
        return AVal(ARRAY, dtype, None if axis is not None else (None,))
    if axis is None:
        total = R.product(dims)
        return AVal(ARRAY, dtype, (None if total is None else total + extra,))
    k = R.normalized(axis, len(dims))[0]
    grown = dims[k] + extra if isinstance(dims[k], int) else None
    return AVal(ARRAY, dtype, dims[:k] + (grown,) + dims[k + 1:])


def parts(*names, scale):
    """``dual(x, t)`` (``scale`` 2) and its halves (``scale`` 0.5): the broadcast shape of
    ``names`` with the number of parts, its last axis, scaled."""
    def hook(avals, bound):
        if _unknown(avals, names):
            return UNKNOWN_AVAL
        dtype = _dtype(avals, names)
        dims = broadcast_shapes(*[R.shape(avals[n]) for n in names])
        if not dims:
            return AVal(ARRAY, dtype, None)
        last = int(dims[-1] * scale) if isinstance(dims[-1], int) else None
        return AVal(ARRAY, dtype, tuple(dims[:-1]) + (last,))
    return hook


def unpadded(avals, bound):
    v = avals["v"]
    try:
        widths = R.constant(bound, "pad_width")
    except R.NotConstant:
        return AVal(ARRAY, v.dtype, None if v.shape is None else (None,) * len(v.shape))
    if v.kind != ARRAY or v.shape is None:
        return AVal(ARRAY, v.dtype if v.kind == ARRAY else None, None)
    pairs = np.broadcast_to(np.asarray(widths, dtype=int), (len(v.shape), 2))
    return AVal(ARRAY, v.dtype, tuple(max(d - int(p.sum()), 0) if isinstance(d, int) else None
                                      for d, p in zip(v.shape, pairs)))


def convolution(first, second, start):
    """``pad_to_full`` (the full length) or ``cut_from_full`` (the mode's length)."""
    def hook(avals, bound):
        m, n = R.total(avals, first), R.total(avals, second)
        dtype = _dtype(avals, (start,))
        try:
            mode = R.constant(bound, "mode")
        except R.NotConstant:
            return AVal(ARRAY, dtype, (None,))
        if mode == "full":
            return avals[start]
        if m is None or n is None:
            return AVal(ARRAY, dtype, (None,))
        sizes = {"same": max(m, n), "valid": max(m, n) - min(m, n) + 1}
        length = m + n - 1 if start == "v" else sizes[mode]
        return AVal(ARRAY, dtype, (length,))
    return hook


def sorted_like(avals, bound):
    """``sort_like(h, a, axis)``: ``h``'s shape, flattened for ``axis=None``."""
    h = avals["h"]
    try:
        axis = R.constant(bound, "axis", -1)
    except R.NotConstant:
        return AVal(ARRAY, h.dtype if h.kind == ARRAY else None, None)
    if axis is None:
        return AVal(ARRAY, h.dtype if h.kind == ARRAY else None, (R.total(avals, "h"),))
    return like("h")(avals, bound)


def tree(name):
    """A container (or value) of ``name``'s structure and kinds (``zeros_like_tree``)."""
    return lambda avals, bound: avals[name]


def cast_tree_result(avals, bound):
    """``cast_tree(v, like)``: ``v`` with the kinds of ``like``'s elements."""
    return _cast_tree(avals["v"], avals["like"])


def _cast_tree(v, like_):
    if like_.kind == OTHER and like_.container and like_.items is not None:
        parts = v.elements if v.kind == OTHER and v.items is not None and len(
            v.elements) == len(like_.elements) else (UNKNOWN_AVAL,) * len(like_.elements)
        items = tuple(_cast_tree(p, item) for p, item in zip(parts, like_.elements))
        if like_.pytype is dict:
            items = tuple((k, item) for (k, _), item in zip(like_.items, items))
        return AVal(OTHER, pytype=like_.pytype, items=items)
    if like_.kind == NP:
        return like_
    if like_.kind == PY and like_.dtype is float:
        return like_
    if like_.kind == ARRAY:
        shape = v.shape if v.kind == ARRAY and v.shape is not None else like_.shape
        return AVal(ARRAY, like_.dtype, shape)
    return v


def one_hot_result(avals, bound):
    """``one_hot(x, key, v)``: ``x``'s structure with ``v`` at ``key``."""
    x, v = avals["x"], avals["v"]
    if x.kind != OTHER or x.items is None:
        return x
    try:
        key = R.constant(bound, "key")
    except R.NotConstant:
        key = None
    if x.pytype is dict:
        items = tuple((k, v if k == key else (item if key is not None else join(item, v)))
                      for k, item in x.items)
    else:
        items = tuple(v if k == key or (key is not None and k == key % len(x.items)) else (
            item if key is not None else join(item, v)) for k, item in enumerate(x.items))
    return AVal(OTHER, pytype=x.pytype, items=items)


def joined(avals, bound):
    """``add_tree(a, b)``: either operand's kind."""
    return join(avals["a"], avals["b"])


def spread_result(avals, bound):
    """``spread(v, items)``: ``v`` summed back to every item's shape (an array like
    ``items``)."""
    items, v = avals["items"], avals["v"]

    def part(item):
        return unbroadcast_result({"v": v, "x": item}, bound)
    if items.kind == ARRAY:
        return items
    if items.kind == OTHER and items.items is not None:
        return AVal(OTHER, pytype=items.pytype, items=tuple(map(part, items.items)))
    if items.kind == OTHER and items.element is not None:
        return AVal(OTHER, pytype=items.pytype, element=part(items.element))
    return UNKNOWN_AVAL


def unspread_result(avals, bound):
    items, g = avals["items"], avals["like"]
    if items.kind == ARRAY and items.shape is not None:
        return R.make(items.shape[1:], items.dtype)
    if items.kind == OTHER and items.container and items.elements:
        result = g
        for item in items.elements:
            result = join(result, item)
        return result
    return g


def pieces(avals, bound):
    """A split adjoint: a container like ``arrays`` with arrays of ``v``'s dtype."""
    arrays, v = avals["arrays"], avals["v"]
    dtype = v.dtype if v.kind == ARRAY else None

    def piece(item):
        if item.kind == ARRAY:
            return AVal(ARRAY, dtype, item.shape)
        if item.kind in (PY, NP):
            return AVal(ARRAY, dtype, ())
        return AVal(ARRAY, dtype, None)
    if arrays.kind != OTHER or not arrays.container:
        return AVal(OTHER, pytype=list, element=AVal(ARRAY, dtype, None))
    if arrays.element is not None:
        return AVal(OTHER, pytype=arrays.pytype, element=piece(arrays.element))
    return AVal(OTHER, pytype=arrays.pytype, items=tuple(piece(i) for i in arrays.items))


def unarrayed(avals, bound):
    """``unarray(v, items)``: ``items``' structure; a float for a float."""
    return _unarrayed(avals["items"], avals["v"])


def _unarrayed(items, v):
    dtype = v.dtype if v.kind in (ARRAY, NP) else None
    if items.kind == OTHER and items.items is not None:
        return AVal(OTHER, pytype=items.pytype, items=tuple(_unarrayed(i, v)
                                                             for i in items.items))
    if items.kind == PY and items.dtype is float:
        return items
    if items.kind == ARRAY:
        return AVal(ARRAY, dtype, items.shape)
    return AVal(NP, dtype) if dtype is not None else UNKNOWN_AVAL


def labels(avals, bound):
    """``einsum_labels``: the operands' labels and the output's."""
    return AVal(OTHER, pytype=tuple, items=(AVal(OTHER, pytype=list, element=AVal(
        OTHER, pytype=str)), AVal(OTHER, pytype=str)))


def python_object(pytype):
    """An object of a Python type that holds no number (``slice(None)``)."""
    return lambda avals, bound: AVal(OTHER, pytype=pytype)


def cast_to(name):
    """``name``'s kind and shape, in its dtype made floating (what ``cast_like(value,
    name)`` gives for a value of its shape): a Python float for a Python number."""
    def hook(avals, bound):
        aval = avals[name]
        if aval.kind == UNKNOWN:
            return UNKNOWN_AVAL
        if aval.kind == PY:
            return AVal(PY, complex if aval.dtype is complex else float)
        dtype = _dtype(avals, (name,), inexact=True)
        return R.make(R.shape(aval), dtype)
    return hook


def eigenvalues(avals, bound):
    """``eigvalsh_tangent(a, t)``: one value per eigenvalue, ``a``'s batch shape."""
    dims = R.shape(avals["a"])
    dtype = _dtype(avals, ("a",), inexact=True)
    return AVal(ARRAY, dtype, None if dims is None else dims[:-1])


def singular_values(avals, bound):
    """``svdvals_tangent(x, t)``: one value per singular value."""
    dims = R.shape(avals["x"])
    dtype = _dtype(avals, ("x",), inexact=True)
    if dims is None:
        return AVal(ARRAY, dtype, None)
    m, n = dims[-2:]
    count = min(m, n) if isinstance(m, int) and isinstance(n, int) else None
    return AVal(ARRAY, dtype, dims[:-2] + (count,))


def blocks(*names, scale):
    """``power_block(a, t)`` (``scale`` 2) and its blocks (``scale`` 0.5): the broadcast
    shape of ``names`` with its matrices' sides scaled."""
    def hook(avals, bound):
        if _unknown(avals, names):
            return UNKNOWN_AVAL
        dtype = _dtype(avals, names)
        dims = broadcast_shapes(*[R.shape(avals[n]) for n in names])
        if dims is None or len(dims) < 2:
            return AVal(ARRAY, dtype, None)
        sides = tuple(int(d * scale) if isinstance(d, int) else None for d in dims[-2:])
        return AVal(ARRAY, dtype, tuple(dims[:-2]) + sides)
    return hook


def packed_spectrum(name, singular=False):
    """``eigvalsh_derivative(b, order)`` and ``svdvals_derivative(b, order, norm)``: one value
    per eigenvalue (singular value) of the matrices packed in ``b``, whose sides are
    ``b``'s divided by ``2 ** order``; a norm's one value per matrix."""
    def hook(avals, bound):
        if _unknown(avals, (name,)):
            return UNKNOWN_AVAL
        dims = R.shape(avals[name])
        dtype = _dtype(avals, (name,), inexact=True)
        try:
            order = R.constant(bound, "order")
            norm = R.constant(bound, "norm", None) if singular else None
        except R.NotConstant:
            return AVal(ARRAY, dtype, None)
        if dims is None or len(dims) < 2 or not isinstance(order, int):
            return AVal(ARRAY, dtype, None)
        if norm is not None:
            return R.make(dims[:-2], dtype)
        sides = [d >> order if isinstance(d, int) else None for d in dims[-2:]]
        count = (min(sides) if None not in sides else None) if singular else sides[-1]
        return AVal(ARRAY, dtype, dims[:-2] + (count,))
    return hook
