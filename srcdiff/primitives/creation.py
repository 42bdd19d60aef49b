"""Array creation and inactive queries: new arrays whose values do not depend on the
differentiated arguments (zeros, eye, arange of integers) and facts about arrays (shape,
argmax, any). Where a created array's values can depend on an argument (``np.full``'s fill
value, ``np.linspace``'s endpoints, ``np.arange``'s start and step) that argument has an
adjoint. Result shapes come from constant arguments.
"""

import functools
import math

import numpy as np

from ..ir import nodes as ir
from ..ir.avals import NP, PY, AVal
from . import results as R
from .families import zero_derivative
from .registry import GENERAL, HOLOMORPHIC, AppliedText, declare, tangent_form

FLOAT = R.fixed(np.float64)
INDEX = R.fixed(np.intp)


def _name(fn):
    return f"numpy.{fn.__name__}"


def _inactive(fn, signature, dims, dtype, operands=None, **options):
    zero_derivative(fn, signature, name=_name(fn), shape=R.result(dims, dtype, operands),
                    **options)


for _fn in (np.zeros, np.ones, np.empty):
    _inactive(_fn, "shape, dtype=None", R.given_shape("shape"), R.requested("dtype", FLOAT), ())
for _fn in (np.zeros_like, np.ones_like, np.empty_like):
    _inactive(_fn, "a, dtype=None", R.like("a"), R.requested("dtype", R.same("a")))


def _size(avals, bound, name):
    """A size argument's value: a constant, or an int variable's value where it is known;
    None where it is not (the result's rank is known all the same)."""
    if isinstance(bound.get(name), ir.Var):
        aval = avals[name]
        return aval.value if R.is_int(aval) else None
    return R.constant(bound, name)


def _eye_dims(avals, bound):
    n = _size(avals, bound, "N")
    columns = bound.get("M")
    if columns is None or isinstance(columns, ir.Const) and columns.value is None:
        return (n, n)
    return (n, _size(avals, bound, "M"))


_inactive(np.eye, "N, M=None, k=0, dtype=None", _eye_dims, R.requested("dtype", FLOAT), ())
_inactive(np.identity, "n, dtype=None", lambda avals, bound: (_size(avals, bound, "n"),) * 2,
          R.requested("dtype", FLOAT), ())
declare(np.full, "shape, fill_value, dtype=None", None, "g", None, name="numpy.full",
        shape=R.result(R.given_shape("shape"), R.requested("dtype", R.same("fill_value")), ()),
        notes="the fill value's adjoint is the sum of g over the copies", complex=HOLOMORPHIC,
        jvp=(None, AppliedText("np.full(shape, fill_value_dot, dtype)"), None))
declare(np.full_like, "a, fill_value, dtype=None", None, "g", None, name="numpy.full_like",
        shape=R.result(R.like("a"), R.requested("dtype", R.same("a")), ("a",)),
        notes="the fill value's adjoint is the sum of g over the copies", complex=HOLOMORPHIC,
        jvp=(None, AppliedText("np.full_like(a, fill_value_dot, dtype)"), None))


def _arange_dims(avals, bound):
    try:
        start = R.constant(bound, "start")
        stop = R.constant(bound, "stop", None)
        step = R.constant(bound, "step", None)
    except R.NotConstant:
        return (None,)
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    return (max(0, math.ceil((stop - start) / step)),)


def _arange_dtype(avals, bound):
    return R.requested("dtype", R.same(*[p for p in ("start", "stop", "step")
                                          if p in avals and avals[p].kind != R.OTHER]))(
        avals, bound)


def _counts(bound):
    """Whether ``np.arange``'s one argument is its stop."""
    return R.literals(bound, "stop") == (None,)


def _select_arange(rule, avals, bound):
    return rule.form("count") if _counts(bound) else rule.templates


def _select_arange_tangents(rule, avals, bound):
    return tangent_form(rule, "count") if _counts(bound) else rule.jvp


declare(np.arange, "start, /, stop=None, step=None, *, dtype=None", "np.sum(g)", None,
        "np.sum(g * np.arange(np.size(g)))", None, kind=GENERAL, name="numpy.arange",
        shape=R.result(_arange_dims, _arange_dtype, ()), selector=_select_arange,
        forms={"count": (None, None, None, None)},
        notes="with one argument it is the stop, which has no adjoint (the values do not "
              "move with it); the start shifts every value and the step scales them",
        jvp=("np.full_like(ans, start_dot)", None, "step_dot * np.arange(np.size(ans))", None),
        jvp_forms={"count": (None, None, None, None)}, jvp_selector=_select_arange_tangents)


def _linspace_dims(avals, bound):
    try:
        num = R.constant(bound, "num", 50)
    except R.NotConstant:
        if "num" not in avals or not R.is_int(avals["num"]):
            raise
        num = avals["num"].value  # a count known only when the code runs: one axis
    return (num,) + R.broadcast(R.dims_of(avals, "start"), R.dims_of(avals, "stop"))


def _linspace_form(avals, bound):
    """``closed`` or ``open`` for scalar endpoints and a literal ``endpoint``, else None."""
    endpoint = R.literals(bound, "endpoint")
    if avals["start"].ndim != 0 or avals["stop"].ndim != 0 or endpoint is None:
        return None
    return "closed" if endpoint[0] else "open"


def _select_linspace(rule, avals, bound):
    label = _linspace_form(avals, bound)
    return rule.templates if label is None else rule.form(label)


def _select_linspace_tangents(rule, avals, bound):
    label = _linspace_form(avals, bound)
    return rule.jvp if label is None else tangent_form(rule, label)


declare(np.linspace, "start, stop, num=50, endpoint=True",
        "linspace_vjp(g, start, stop, num, endpoint)",
        "linspace_vjp(g, start, stop, num, endpoint, 'stop')", None, None, kind=GENERAL,
        name="numpy.linspace", shape=R.result(_linspace_dims, R.inexact("start", "stop")),
        selector=_select_linspace,
        forms={"closed": ("np.sum(g * np.linspace(1.0, 0.0, num))",
                          "np.sum(g * np.linspace(0.0, 1.0, num))", None, None),
               "open": ("np.sum(g * np.linspace(1.0, 0.0, num, endpoint=False))",
                        "np.sum(g * np.linspace(0.0, 1.0, num, endpoint=False))", None, None)},
        complex=HOLOMORPHIC,
        jvp=("np.linspace(start_dot, np.zeros_like(stop), num, endpoint)",
             "np.linspace(np.zeros_like(start), stop_dot, num, endpoint)", None, None),
        jvp_forms={"closed": ("start_dot * np.linspace(1.0, 0.0, num)",
                              "stop_dot * np.linspace(0.0, 1.0, num)", None, None),
                   "open": ("start_dot * np.linspace(1.0, 0.0, num, endpoint=False)",
                            "stop_dot * np.linspace(0.0, 1.0, num, endpoint=False)", None,
                            None)},
        jvp_selector=_select_linspace_tangents)

zero_derivative(np.shape, "a", name="numpy.shape", shape=R.shape_tuple("a"),
                shape_only=True,
                notes="the tuple carries the array's shape, so np.zeros(np.shape(a)) knows its own")
zero_derivative(np.ndim, "a", name="numpy.ndim", shape=R.rank_of("a"), shape_only=True)
zero_derivative(np.size, "a, axis=None", name="numpy.size", shape=R.size_of("a"),
                shape_only=True)
for _fn in (np.argmax, np.argmin):
    _inactive(_fn, "a, axis=None, *, keepdims=False", R.reduced("a"), INDEX)
for _fn in (np.all, np.any):
    _inactive(_fn, "a, axis=None, *, keepdims=False", R.reduced("a"), R.fixed(bool))
_counted = R.result(R.reduced("a"), INDEX)


def _nonzero_count(avals, bound):
    """NumPy before 2.3 counts a whole array (``axis=None``) into a Python int, later
    versions into ``np.intp``: the kind follows the NumPy that runs."""
    found = _counted(avals, bound)
    try:
        whole = R.constant(bound, "axis", None) is None and not R.constant(
            bound, "keepdims", False)
    except R.NotConstant:
        return found
    return AVal(PY, int) if whole and found.kind == NP and _counts_into_int() else found


@functools.cache
def _counts_into_int():
    return type(np.count_nonzero(np.zeros(1))) is int


zero_derivative(np.count_nonzero, "a, axis=None, *, keepdims=False",
                name=_name(np.count_nonzero), shape=_nonzero_count)


def _argsort_dims(avals, bound):
    if R.constant(bound, "axis", -1) is None:
        return R.ravelled("a")(avals, bound)
    return R.dims_of(avals, "a")


_inactive(np.argsort, "a, axis=-1", _argsort_dims, INDEX)
_inactive(np.searchsorted, "a, v, side='left'", R.like("v"), INDEX)
_inactive(np.digitize, "x, bins, right=False", R.like("x"), INDEX)
_inactive(np.flatnonzero, "a", lambda avals, bound: (None,), INDEX)
_inactive(np.argwhere, "a", lambda avals, bound: (None, len(R.dims_of(avals, "a"))), INDEX)
zero_derivative(np.allclose, "a, b", name="numpy.allclose", shape=R.python(bool))
zero_derivative(np.array_equal, "a1, a2", name="numpy.array_equal", shape=R.python(bool))
