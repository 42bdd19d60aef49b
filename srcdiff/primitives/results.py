"""Result abstract values for rules whose kind does not describe them: the ``shape`` hooks.

A hook receives the operands' abstract values by parameter and the bound operands, and returns
the result's abstract value. Constant arguments (``axis=0``, ``(2, 3)``, ``"ij,jk->ik"``) are
read from the bound operands; a dimension the compiler cannot know stays ``None`` and a result
whose rank it cannot know has shape ``None``. The builders here are combined in the rule
tables: ``result(reduced("a"), inexact("a"))`` reads "the shape of ``a`` reduced over
``axis``, in ``a``'s floating dtype".
"""

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
    shape_of,
)
from ..ir.avals import shape_tuple as avals_shape_tuple


class NotConstant(Exception):
    """A needed argument's value is only known when the derivative runs."""


_LITERALS = (int, float, bool, str, tuple, type(None))
MISSING = object()


def constant(bound, name, default=MISSING):
    """The value of a constant argument (a literal, or a module-level literal)."""
    operand = bound.get(name)
    if operand is None:
        if default is MISSING:
            raise NotConstant(name)
        return default
    if isinstance(operand, ir.Const):
        return operand.value
    if isinstance(operand, ir.Global) and operand.known and (
            isinstance(operand.value, _LITERALS) or _is_dtype(operand.value)):
        return operand.value
    raise NotConstant(name)


def literal(bound, name):
    """The value of an argument written as a literal in the call (``axis=0``), else raise.

    Selectors choose templates only on literals, and on library constants such as ``np.inf``:
    a module-level name of the user's is read live at every call, so code specialized on its
    value could go stale."""
    operand = bound.get(name)
    if isinstance(operand, ir.Const):
        return operand.value
    if (isinstance(operand, ir.Global) and operand.known and "." in operand.text
            and isinstance(operand.value, (int, float, type(None)))):
        return operand.value
    raise NotConstant(name)


def literals(bound, *names):
    """The literal values of ``names``, or None if any of them is not a literal."""
    try:
        return tuple(literal(bound, n) for n in names)
    except NotConstant:
        return None


def _is_dtype(value):
    try:
        return isinstance(value, type) and np.dtype(value) is not None
    except TypeError:
        return False


# dtypes


def _dtype_part(aval):
    if aval.kind == PY:
        return aval.dtype(0)
    if aval.kind in (NP, ARRAY):
        return aval.dtype
    return None


def promoted(avals, *names):
    """NumPy's promotion of the operands' dtypes, Python scalars weakly typed, arguments
    left as None (``weights=None``) ignored; None if a dtype is unknown."""
    parts = [_dtype_part(avals[n]) for n in names
             if n in avals and avals[n].pytype is not type(None)]
    if not parts or any(p is None for p in parts):
        return None
    return np.result_type(*parts)


def same(*names):
    """The promoted dtype of ``names`` (reshapes, sums, products)."""
    return lambda avals, bound: promoted(avals, *names)


def inexact(*names):
    """The promoted dtype of ``names``, made floating (means, norms, linear algebra)."""
    def dtype(avals, bound):
        base = promoted(avals, *names)
        return None if base is None else np.result_type(base, 0.0)
    return dtype


def fixed(dtype):
    return lambda avals, bound: np.dtype(dtype)


def requested(param, default):
    """A ``dtype=`` argument, else ``default(avals, bound)``."""
    def dtype(avals, bound):
        try:
            value = constant(bound, param, None)
        except NotConstant:
            return None
        if value is None:
            return default(avals, bound)
        return np.dtype(value)
    return dtype


# shapes


shape = shape_of


def product(dims):
    """The product of dimensions: an int if all are known, else None."""
    if dims is None or not all(isinstance(d, int) for d in dims):
        return None
    return math.prod(dims)


def normalized(axis, ndim):
    """Axes as a sorted tuple of non-negative ints (``axis`` an int or a tuple)."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    if any(not isinstance(a, int) or isinstance(a, bool) or not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axis {axis} is out of bounds for {ndim} dimensions")
    result = tuple(sorted(a % ndim for a in axes))
    if len(set(result)) != len(result):
        raise ValueError(f"repeated axis in {axis}")
    return result


def normalized_order(axes, ndim):
    """Axes (an int or a tuple) as non-negative ints, in the order given."""
    axes = axes if isinstance(axes, tuple) else (axes,)
    if any(not isinstance(a, int) or not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axes {axes} are out of bounds for {ndim} dimensions")
    return tuple(a % ndim for a in axes)


def reduced_shape(dims, axis, keepdims):
    if axis is None:
        return None if dims is None and keepdims else (
            tuple(1 for _ in dims) if keepdims else ())
    if dims is None:
        return None
    axes = normalized(axis, len(dims))
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(dims))
    return tuple(d for i, d in enumerate(dims) if i not in axes)


def broadcast(*shapes):
    """NumPy broadcasting of shapes with unknown (None) or symbolic dimensions."""
    return broadcast_shapes(*shapes)


# hooks


def make(dims, dtype, kind=None):
    """An abstract value: a NumPy scalar for shape (), an array otherwise."""
    if kind is not None:
        return AVal(kind, dtype)
    if dims == () and dtype is not None:
        return AVal(NP, np.dtype(dtype))
    return AVal(ARRAY, None if dtype is None else np.dtype(dtype), dims)


def result(shape_fn, dtype_fn, operands=None):
    """A ``shape`` hook: ``shape_fn(avals, bound)`` gives the dimensions (raising NotConstant
    when they depend on a value that is not known), ``dtype_fn(avals, bound)`` the dtype.
    The result is unknown when any of ``operands`` (default: all) is, and when the operands
    do not fit the function (an axis out of range): NumPy then says so when the code runs."""
    def hook(avals, bound):
        names = avals if operands is None else [n for n in operands if n in avals]
        if any(avals[n].kind == UNKNOWN for n in names):
            return UNKNOWN_AVAL
        try:
            dims = shape_fn(avals, bound)
        except NotConstant:
            dims = None
        except (ValueError, TypeError, IndexError, KeyError, ZeroDivisionError):
            return UNKNOWN_AVAL
        return make(dims, dtype_fn(avals, bound))
    hook.__name__ = getattr(shape_fn, "__name__", "hook")
    return hook


def python(kind):
    """A hook for a result that is a Python int (``np.ndim``) or bool (``np.allclose``)."""
    return lambda avals, bound: AVal(PY, kind)


def one_of(*names):
    """``max(x, y)``: one of the operands, which one only known when the code runs (so a
    Python float and a NumPy scalar give a NumPy scalar: either may come out)."""
    def hook(avals, bound):
        operands = [avals[name] for name in names]
        if any(op.kind == UNKNOWN for op in operands):
            return AVal(PY, float)
        result = operands[0]
        for op in operands[1:]:
            result = join(result, op)
        if result.kind != UNKNOWN:
            return result
        if all(op.kind in (PY, NP) and op.dtype is not None for op in operands):
            # ``min(np.float64, int)``: a NumPy scalar or a Python int comes out.
            return AVal(NP, np.result_type(*(np.dtype(op.dtype) for op in operands)))
        raise TypeError("operands of different kinds")
    return hook


def length(name):
    """``len(x)``: a Python int, known where ``x``'s first dimension or length is."""
    def hook(avals, bound):
        x = avals[name]
        if x.kind == ARRAY and x.shape:
            first = x.shape[0]
            return AVal(PY, int, value=first if isinstance(first, int) else None)
        if x.kind == OTHER and x.items is not None:
            return AVal(PY, int, value=len(x.items))
        return AVal(PY, int)
    return hook


def size_of(name):
    """``np.size(a)`` or ``np.size(a, axis)``: a Python int, known where the sizes are."""
    def hook(avals, bound):
        dims = shape(avals[name])
        try:
            axis = constant(bound, "axis", None)
        except NotConstant:
            return AVal(PY, int)
        if dims is None or not all(isinstance(d, int) for d in dims):
            return AVal(PY, int)
        if axis is None:
            return AVal(PY, int, value=product(dims))
        try:
            return AVal(PY, int, value=dims[normalized(axis, len(dims))[0]])
        except ValueError:
            return AVal(PY, int)
    return hook


def rank_of(name):
    """``np.ndim(a)``: a Python int, known where the rank is."""
    def hook(avals, bound):
        dims = shape(avals[name])
        return AVal(PY, int, value=None if dims is None else len(dims))
    return hook


def shape_tuple(name):
    """``np.shape(a)``: a tuple of ints that carry the dimensions the specialization knows,
    so that ``np.zeros(np.shape(a))`` knows its result's shape."""
    def hook(avals, bound):
        return avals_shape_tuple(shape(avals[name]))
    return hook


def like(name):
    """The shape of ``name``."""
    return lambda avals, bound: shape(avals[name])


def reduced(name, axis="axis", keepdims="keepdims"):
    """The shape of ``name`` reduced over a constant ``axis`` (None: all), ``keepdims``."""
    def dims(avals, bound):
        return reduced_shape(shape(avals[name]), constant(bound, axis, None),
                             bool(constant(bound, keepdims, False)))
    return dims


def requested_shape(bound, name, avals=None):
    """A shape argument: a constant int or tuple, or a tuple made by ``np.shape(x)``."""
    operand = bound[name]
    if isinstance(operand, ir.Var) and avals is not None:
        aval = avals[name]
        if aval.kind == OTHER and aval.pytype is tuple and aval.items is not None and all(
                is_int(item) for item in aval.items):
            return tuple(item.value for item in aval.items)
        if is_int(aval):
            return (aval.value,)
        raise NotConstant(name)
    value = constant(bound, name)
    if isinstance(value, int):
        return (value,)
    if isinstance(value, tuple) and all(isinstance(d, int) for d in value):
        return value
    raise NotConstant(name)


def is_int(aval):
    """An integer whose value (``None`` if unknown) can be a dimension."""
    return aval.kind in (PY, NP) and aval.dtype is not None and np.dtype(aval.dtype).kind in "iu"


def given_shape(name):
    return lambda avals, bound: requested_shape(bound, name, avals)


def ravelled(name):
    def dims(avals, bound):
        source = shape(avals[name])
        if source is None:
            return (None,)
        return (product(source),) if len(source) != 1 else source
    return dims


def total(avals, name):
    dims = shape(avals[name])
    return product(dims) if dims is not None else None


def dims_of(avals, name):
    """The dimensions of ``name``, raising NotConstant when even the rank is unknown."""
    dims = shape(avals[name])
    if dims is None:
        raise NotConstant(name)
    return dims

