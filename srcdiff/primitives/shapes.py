"""Shape manipulation: reshapes, transposes, flips, tiles, pads, gathers, sorts.

Every one of these moves elements without changing them, so each adjoint moves ``g`` back:
the inverse reshape or permutation, or a sum where elements were copied (tile, repeat,
broadcast_to, take with repeated indices). Adjoints may be views of ``g``.
"""

import numpy as np

from ..ir import nodes as ir
from . import results as R
from .families import bilinear, elementwise, linear
from .registry import ELEMENTWISE, GENERAL, HOLOMORPHIC, declare, signature_of, tangent_form

RESHAPED = "np.reshape(g, {x}.shape)"
RESHAPED_ANY = "np.reshape(g, np.shape({x}))"


def _name(fn):
    return f"numpy.{fn.__name__}"


def _select_array(rule, avals, bound):
    """``x.shape`` reads better than ``np.shape(x)``, which a Python scalar needs."""
    label = "array" if avals[rule.params[0]].kind == R.ARRAY else "any"
    return rule.form(label) if label in rule.forms else rule.templates


def _reshaping(fn, signature, dims, name=None, **options):
    """A rule whose adjoint reshapes ``g`` back to the operand's shape."""
    params = signature_of(signature).params
    x, rest = params[0], (None,) * (len(params) - 1)
    linear(fn, signature, RESHAPED_ANY.format(x=x), *rest, kind=GENERAL,
           name=name or _name(fn),
            shape=R.result(dims, R.same(x)), selector=_select_array, complex=HOLOMORPHIC,
           forms={"array": (RESHAPED.format(x=x),) + rest,
                  "any": (RESHAPED_ANY.format(x=x),) + rest}, **options)


def _moving(fn, signature, template, dims, selector=None, forms=None, notes="", name=None,
            views=False, family=linear, **options):
    """A rule whose adjoint applies the inverse movement to ``g`` (same dtype); a linear
    map of its first operand unless ``family`` says otherwise (a sort, with its own
    ``jvp`` among the ``options``)."""
    params = signature_of(signature).params
    family(fn, signature, template, *(None,) * (len(params) - 1), kind=GENERAL,
           name=name or _name(fn),
           shape=R.result(dims, R.same(params[0])), selector=selector,
           forms={k: (v,) + (None,) * (len(params) - 1) for k, v in (forms or {}).items()},
           notes=notes, views=views, complex=HOLOMORPHIC, **options)


# shapes of results


def _reshape_dims(avals, bound):
    new = R.requested_shape(bound, "shape", avals)
    if -1 not in new:
        return new
    total = R.total(avals, "a")
    known = R.product([d for d in new if d != -1])
    if total is None or not known:
        return tuple(None if d == -1 else d for d in new)
    return tuple(total // known if d == -1 else d for d in new)


def _transpose_dims(avals, bound):
    dims = R.dims_of(avals, "a")
    axes = R.constant(bound, "axes", None)
    if axes is None:
        return dims[::-1]
    return tuple(dims[k] for k in R.normalized_order(axes, len(dims)))


def _matrix_transpose_dims(avals, bound):
    dims = R.dims_of(avals, "x")
    return dims[:-2] + (dims[-1], dims[-2])


def _swapaxes_dims(avals, bound):
    dims = list(R.dims_of(avals, "a"))
    i, j = (R.normalized(R.constant(bound, p), len(dims))[0] for p in ("axis1", "axis2"))
    dims[i], dims[j] = dims[j], dims[i]
    return tuple(dims)


def _moveaxis_dims(avals, bound):
    dims = R.dims_of(avals, "a")
    source = R.normalized_order(R.constant(bound, "source"), len(dims))
    destination = R.normalized_order(R.constant(bound, "destination"), len(dims))
    order = [k for k in range(len(dims)) if k not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return tuple(dims[k] for k in order)


def _expand_dims_dims(avals, bound):
    dims = R.dims_of(avals, "a")
    axis = R.constant(bound, "axis")
    count = len(axis) if isinstance(axis, tuple) else 1
    axes = R.normalized(axis, len(dims) + count)
    rest = iter(dims)
    return tuple(1 if k in axes else next(rest) for k in range(len(dims) + count))


def _squeeze_dims(avals, bound):
    dims = R.dims_of(avals, "a")
    axis = R.constant(bound, "axis", None)
    if axis is None:
        if any(not isinstance(d, int) for d in dims):
            raise R.NotConstant("axis")
        return tuple(d for d in dims if d != 1)
    axes = R.normalized(axis, len(dims))
    return tuple(d for k, d in enumerate(dims) if k not in axes)


def _tile_dims(avals, bound):
    dims = R.dims_of(avals, "A")
    reps = R.constant(bound, "reps")
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    ndim = max(len(dims), len(reps))
    dims = (1,) * (ndim - len(dims)) + tuple(dims)
    reps = (1,) * (ndim - len(reps)) + reps
    return tuple(d * r if isinstance(d, int) else (d if r == 1 else None)
                 for d, r in zip(dims, reps))


def _repeat_dims(avals, bound):
    axis = R.constant(bound, "axis", None)
    try:
        repeats = R.constant(bound, "repeats")
    except R.NotConstant:
        repeats = None
    if not isinstance(repeats, int):
        repeats = None
    if axis is None:
        total = R.total(avals, "a")
        return (total * repeats if total is not None and repeats is not None else None,)
    dims = list(R.dims_of(avals, "a"))
    k = R.normalized(axis, len(dims))[0]
    dims[k] = dims[k] * repeats if isinstance(dims[k], int) and repeats is not None else None
    return tuple(dims)


def _rot90_dims(avals, bound):
    dims = list(R.dims_of(avals, "m"))
    k = R.constant(bound, "k", 1)
    i, j = R.normalized_order(R.constant(bound, "axes", (0, 1)), len(dims))
    if k % 2:
        dims[i], dims[j] = dims[j], dims[i]
    return tuple(dims)


def _atleast(n):
    def dims(avals, bound):
        source = R.dims_of(avals, "a")
        if len(source) >= n:
            return source
        if n == 1:
            return (1,)
        if n == 2:
            return (1,) * (2 - len(source)) + tuple(source)
        return {0: (1, 1, 1), 1: (1,) + tuple(source) + (1,), 2: tuple(source) + (1,)}[
            len(source)]
    return dims


def diagonal_length(rows, cols, offset):
    if not isinstance(rows, int) or not isinstance(cols, int):
        return None
    return max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))


def _diag_dims(avals, bound):
    dims = R.dims_of(avals, "v")
    k = R.constant(bound, "k", 0)
    if len(dims) == 1:
        n = dims[0] + abs(k) if isinstance(dims[0], int) else None
        return (n, n)
    return (diagonal_length(dims[0], dims[1], k),)


def diagonal_axes(bound, ndim):
    """The two axes of a diagonal or trace: ``axis1`` and ``axis2`` if the function has them
    (default 0 and 1), else the last two (``np.linalg.diagonal`` and ``trace``)."""
    if "axis1" not in bound:
        return ndim - 2, ndim - 1
    return tuple(R.normalized(R.constant(bound, p), ndim)[0] for p in ("axis1", "axis2"))


def diagonal_dims(x):
    def dims(avals, bound):
        source = R.dims_of(avals, x)
        i, j = diagonal_axes(bound, len(source))
        n = diagonal_length(source[i], source[j], R.constant(bound, "offset", 0))
        return tuple(d for k, d in enumerate(source) if k not in (i, j)) + (n,)
    return dims


def _tri_dims(avals, bound):
    dims = R.dims_of(avals, "m")
    return (dims[0], dims[0]) if len(dims) == 1 else dims


def _pad_dims(avals, bound):
    dims = R.dims_of(avals, "array")
    widths = np.broadcast_to(np.asarray(R.constant(bound, "pad_width"), dtype=int),
                             (len(dims), 2))
    return tuple(d + int(w.sum()) if isinstance(d, int) else None for d, w in zip(dims, widths))


def _index_dims(avals, name):
    aval = avals[name]
    if aval.kind in (R.PY, R.NP):
        return ()
    if aval.kind == R.ARRAY:
        return R.dims_of(avals, name)
    raise R.NotConstant(name)


def _take_dims(avals, bound):
    indices = _const_index_dims(avals, bound, "indices")
    axis = R.constant(bound, "axis", None)
    if axis is None:
        return indices
    dims = R.dims_of(avals, "a")
    k = R.normalized(axis, len(dims))[0]
    return dims[:k] + indices + dims[k + 1:]


def _const_index_dims(avals, bound, name):
    operand = bound[name]
    if isinstance(operand, ir.Const):
        return np.shape(operand.value)
    return _index_dims(avals, name)


def _take_along_dims(avals, bound):
    dims = R.dims_of(avals, "arr")
    indices = _index_dims(avals, "indices")
    axis = R.constant(bound, "axis", -1)
    if axis is None:
        return indices
    k = R.normalized(axis, len(dims))[0]
    return tuple(i if n == k else R.broadcast((d,), (i,))[0]
                 for n, (d, i) in enumerate(zip(dims, indices)))


def _append_dims(avals, bound):
    axis = R.constant(bound, "axis", None)
    if axis is None:
        a, b = R.total(avals, "arr"), R.total(avals, "values")
        return (a + b if a is not None and b is not None else None,)
    arr, values = R.dims_of(avals, "arr"), R.dims_of(avals, "values")
    k = R.normalized(axis, len(arr))[0]
    joined = arr[k] + values[k] if isinstance(arr[k], int) and isinstance(values[k], int) else None
    return arr[:k] + (joined,) + arr[k + 1:]


def _diff_dims(avals, bound):
    dims = list(R.dims_of(avals, "a"))
    n = R.constant(bound, "n", 1)
    k = R.normalized(R.constant(bound, "axis", -1), len(dims))[0]
    dims[k] = max(dims[k] - n, 0) if isinstance(dims[k], int) else None
    return tuple(dims)


def _sort_dims(avals, bound):
    if R.constant(bound, "axis", -1) is None:
        return R.ravelled("a")(avals, bound)
    return R.dims_of(avals, "a")


def _sliding_dims(default_mode):
    """The length of ``np.convolve(a, v, mode)`` or ``np.correlate``'s, whose mode is
    ``default_mode`` when not given."""
    def dims(avals, bound):
        m, n = R.total(avals, "a"), R.total(avals, "v")
        mode = R.constant(bound, "mode", default_mode)
        if m is None or n is None:
            return (None,)
        return ({"full": m + n - 1, "same": max(m, n),
                 "valid": max(m, n) - min(m, n) + 1}[mode],)
    return dims


# rules

_reshaping(np.reshape, "a, /, shape", _reshape_dims, views=True)
_reshaping(np.ravel, "a", R.ravelled("a"), views=True)
_reshaping(np.ndarray.flatten, "a", R.ravelled("a"), name="numpy.ndarray.flatten",
           notes="x.flatten() is always a copy (np.ravel may return a view)")
for _fn, _n in ((np.atleast_1d, 1), (np.atleast_2d, 2), (np.atleast_3d, 3)):
    _reshaping(_fn, "a", _atleast(_n), views=True)


def _select_transpose(rule, avals, bound):
    axes = R.literals(bound, "axes")
    ndim = avals["a"].ndim
    if axes is not None and axes[0] is None:
        return rule.form("reversed")
    if axes is None or ndim is None:
        return rule.templates
    order = R.normalized_order(axes[0], ndim)
    return rule.form("permuted", inverse=repr(tuple(int(k) for k in np.argsort(order))))


_moving(np.transpose, "a, axes=None", "np.transpose(g, np.argsort(np.mod(axes, np.ndim(g))))",
        _transpose_dims, selector=_select_transpose,
        forms={"reversed": "np.transpose(g)", "permuted": "np.transpose(g, {inverse})"},
        views=True)
_moving(np.matrix_transpose, "x, /", "np.matrix_transpose(g)", _matrix_transpose_dims,
        views=True)
_moving(np.linalg.matrix_transpose, "x, /", "np.matrix_transpose(g)", _matrix_transpose_dims,
        name="numpy.linalg.matrix_transpose", views=True)
_moving(np.swapaxes, "a, axis1, axis2", "np.swapaxes(g, axis1, axis2)", _swapaxes_dims,
        views=True)
_moving(np.moveaxis, "a, source, destination", "np.moveaxis(g, destination, source)",
        _moveaxis_dims, views=True)
_moving(np.expand_dims, "a, axis", "np.squeeze(g, axis)", _expand_dims_dims, views=True)


def _select_squeeze(rule, avals, bound):
    axis = R.literals(bound, "axis")
    if axis is not None and axis[0] is not None:
        return rule.form("axis")
    return _select_array(rule, avals, bound)


_moving(np.squeeze, "a, axis=None", RESHAPED_ANY.format(x="a"), _squeeze_dims,
        selector=_select_squeeze, forms={"axis": "np.expand_dims(g, axis)",
                                         "array": RESHAPED.format(x="a"),
                                         "any": RESHAPED_ANY.format(x="a")}, views=True)
elementwise(np.broadcast_to, "array, shape", "g", None, name="numpy.broadcast_to",
            shape=R.result(R.given_shape("shape"), R.same("array")),
            notes="the core sums g over the broadcast axes, as for any elementwise rule",
            views=True, complex=HOLOMORPHIC)
_moving(np.tile, "A, reps", "untile(g, A, reps)", _tile_dims)
_moving(np.repeat, "a, repeats, axis=None", "unrepeat(g, a, repeats, axis)", _repeat_dims)


def _select_axis_none(rule, avals, bound):
    axis = R.literals(bound, "axis")
    return rule.form("all") if axis is not None and axis[0] is None else rule.templates


_moving(np.flip, "m, axis=None", "np.flip(g, axis)", R.like("m"), selector=_select_axis_none,
        forms={"all": "np.flip(g)"}, views=True)
_moving(np.fliplr, "m", "np.fliplr(g)", R.like("m"), views=True)
_moving(np.flipud, "m", "np.flipud(g)", R.like("m"), views=True)


def _select_rot90(rule, avals, bound):
    axes = R.literals(bound, "axes")
    return rule.form("plane") if axes == ((0, 1),) else rule.templates


_moving(np.rot90, "m, k=1, axes=(0, 1)", "np.rot90(g, -k, axes)", _rot90_dims,
        selector=_select_rot90, forms={"plane": "np.rot90(g, -k)"}, views=True)


def _select_roll(rule, avals, bound):
    values = R.literals(bound, "shift", "axis")
    if values is None:
        return rule.templates
    shift, axis = values
    label = ("int" if isinstance(shift, int) else "tuple") + ("_all" if axis is None else "")
    return rule.form(label)


_moving(np.roll, "a, shift, axis=None", "np.roll(g, np.negative(shift), axis)", R.like("a"),
        selector=_select_roll,
        forms={"int": "np.roll(g, -shift, axis)", "int_all": "np.roll(g, -shift)",
               "tuple": "np.roll(g, np.negative(shift), axis)",
               "tuple_all": "np.roll(g, np.negative(shift))"})


def _select_k(rule, avals, bound):
    params = rule.params
    values = R.literals(bound, params[1])
    ndim = avals[params[0]].ndim
    if ndim is None or values is None:
        return rule.templates
    key = ("vector" if ndim == 1 else "matrix") + ("" if values[0] == 0 else "_k")
    return rule.form(key) if key in rule.forms else rule.templates


linear(np.diag, "v, k=0", "np.diag(g, k) if np.ndim(v) == 1 else undiagonal(g, v, k)", None,
       kind=GENERAL, name="numpy.diag", shape=R.result(_diag_dims, R.same("v")),
       selector=_select_k,
       forms={"vector": ("np.diag(g)", None), "vector_k": ("np.diag(g, k)", None),
              "matrix": ("undiagonal(g, v)", None), "matrix_k": ("undiagonal(g, v, k)", None)},
       views=lambda avals: avals["v"].ndim != 1, complex=HOLOMORPHIC)
_moving(np.diagonal, "a, offset=0, axis1=0, axis2=1", "undiagonal(g, a, offset, axis1, axis2)",
        diagonal_dims("a"), views=True)
_moving(np.linalg.diagonal, "x, /, *, offset=0", "undiagonal(g, x, offset, -2, -1)",
        diagonal_dims("x"), name="numpy.linalg.diagonal", views=True)
for _fn in (np.triu, np.tril):
    _moving(_fn, "m, k=0", f"np.{_fn.__name__}(g, k)", _tri_dims, selector=_select_k,
            forms={"matrix": f"np.{_fn.__name__}(g)", "matrix_k": f"np.{_fn.__name__}(g, k)",
                   "vector": f"np.sum(np.{_fn.__name__}(g), axis=0)",
                   "vector_k": f"np.sum(np.{_fn.__name__}(g, k), axis=0)"})
_moving(np.pad, "array, pad_width", "unpad(g, pad_width)", _pad_dims,
        notes="constant mode only")
linear(np.take, "a, indices, axis=None", "untake(g, a, indices, axis)", None, None,
       kind=GENERAL, name="numpy.take", shape=R.result(_take_dims, R.same("a"), ("a",)),
       notes="repeated indices accumulate", complex=HOLOMORPHIC)
linear(np.take_along_axis, "arr, indices, axis=-1", "untake_along_axis(g, arr, indices, axis)",
       None, None, kind=GENERAL, name="numpy.take_along_axis",
       shape=R.result(_take_along_dims, R.same("arr"), ("arr",)),
       notes="repeated indices accumulate", complex=HOLOMORPHIC)
_moving(np.sort, "a, axis=-1", "unsort(g, a, axis)", _sort_dims, family=declare,
        notes="tied elements may trade places; the sort is continuous there",
        jvp=("np.take_along_axis(a_dot, np.argsort(a, axis, kind='stable'), axis)", None))


def _flat(bound):
    axis = R.literals(bound, "axis")
    return axis is not None and axis[0] is None


def _select_append(rule, avals, bound):
    return rule.form("flat") if _flat(bound) else rule.templates


def _select_append_tangents(rule, avals, bound):
    return tangent_form(rule, "flat") if _flat(bound) else rule.jvp


declare(np.append, "arr, values, axis=None",
        "np.split(g, [np.shape(arr)[axis]], axis)[0]",
        "np.split(g, [np.shape(arr)[axis]], axis)[1]", None,
        kind=GENERAL, name="numpy.append",
        shape=R.result(_append_dims, R.same("arr", "values")), selector=_select_append,
        forms={"flat": ("np.reshape(g[:np.size(arr)], np.shape(arr))",
                        "np.reshape(g[np.size(arr):], np.shape(values))", None)},
        complex=HOLOMORPHIC,
        jvp=("np.append(arr_dot, np.zeros_like(values), axis)",
             "np.append(np.zeros_like(arr), values_dot, axis)", None),
        jvp_forms={"flat": ("np.append(arr_dot, np.zeros_like(values))",
                            "np.append(np.zeros_like(arr), values_dot)", None)},
        jvp_selector=_select_append_tangents)
_moving(np.diff, "a, n=1, axis=-1", "diff_vjp(g, a, n, axis)", _diff_dims)
elementwise(np.copy, "a", "g", name="numpy.copy", complex=HOLOMORPHIC)
elementwise(np.asarray, "a", "g", name="numpy.asarray", views=True, complex=HOLOMORPHIC)
elementwise(np.ascontiguousarray, "a", "g", name="numpy.ascontiguousarray", views=True,
            complex=HOLOMORPHIC)
linear(np.astype, "x, dtype, /", "cast_like(g, x)", None, kind=GENERAL, name="numpy.astype",
       shape=R.result(R.like("x"), R.requested("dtype", R.same("x"))),
       complex=("cast_like(g, x)", None),
       notes="the adjoint is cast back to x's dtype (a real part where a complex value was "
             "cast from a real one; a cast of complex to real keeps the real part, whose "
             "adjoint is g)")
linear(np.asarray, "a, dtype", "cast_like(g, a)", None, kind=ELEMENTWISE, name="numpy.asarray",
       views=True, complex=HOLOMORPHIC, notes="with a dtype: a cast, as np.astype")
linear(np.astype, "x, dtype, /, *, copy", "cast_like(g, x)", None, None, kind=GENERAL,
       name="numpy.astype", shape=R.result(R.like("x"), R.requested("dtype", R.same("x"))),
       views=True, complex=HOLOMORPHIC,
       notes="x.astype(dtype, copy=False), which generated code writes: as without copy")
for _type in (np.float64, np.float32, np.complex128, np.complex64):
    linear(_type, "x", "cast_like(g, x)", kind=ELEMENTWISE, name=f"numpy.{_type.__name__}",
           views=True,
           complex=HOLOMORPHIC, notes="a cast; the adjoint is cast back to x's type (a real x "
           "gets the real part of a complex adjoint)")


def _select_convolve(rule, avals, bound):
    mode = R.literals(bound, "mode")
    return rule.form("full") if mode == ("full",) else rule.templates


bilinear(np.convolve, "a, v, mode='full'",
         "np.correlate(pad_to_full(g, a, v, mode), v, 'valid')",
         "np.correlate(pad_to_full(g, a, v, mode), a, 'valid')", None,
         kind=GENERAL, name="numpy.convolve",
         shape=R.result(_sliding_dims("full"), R.same("a", "v")),
         selector=_select_convolve,
         forms={"full": ("np.correlate(g, v, 'valid')", "np.correlate(g, a, 'valid')", None)})


def _select_correlate(rule, avals, bound):
    """np.correlate is np.convolve with v reversed in the "valid" and "full" modes (its
    "same" mode centres the result differently)."""
    mode = R.literals(bound, "mode")
    if mode is None or mode[0] not in ("valid", "full"):
        return rule.refuse("np.correlate's adjoint is supported in the 'valid' and 'full' "
                           "modes", "use mode='valid' or mode='full'")
    return rule.templates


bilinear(np.correlate, "a, v, mode='valid'",
         "np.correlate(pad_to_full(g, a, v, mode), v[::-1], 'valid')",
         "np.correlate(pad_to_full(g, a, v, mode), a, 'valid')[::-1]", None, kind=GENERAL,
         name="numpy.correlate", shape=R.result(_sliding_dims("valid"), R.same("a", "v")),
         selector=_select_correlate,
         notes="np.convolve's adjoint calls it; np.convolve(a, v[::-1], mode) in the modes "
               "'valid' and 'full'")
