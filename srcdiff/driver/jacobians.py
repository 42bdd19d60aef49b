"""JAX's conventions on top of the compiled derivatives: ``jvp``, ``vjp`` and Jacobians.

Each is a call of a derivative that srcdiff compiles once per function, per set of
parameters differentiated and per kind of arguments (the same families and guards as
``gradient``): a forward derivative ``f_jvp(*args, *tangents)`` returning the value and its
tangent, or a vector-Jacobian product ``f_vjp(*args, cotangent)`` returning one gradient per
parameter.

A Jacobian is built from them one column or one row at a time: forward mode gives the
tangent of the result along each basis vector of the arguments (one pass per argument
element), reverse mode the gradient of each result element (one forward and one reverse
pass per result element). ``mode="auto"`` picks forward mode where the arguments have fewer
elements than the result (seed 002's argument).
"""

from __future__ import annotations

import math
import numbers
import weakref

import numpy as np

from ..errors import SrcdiffError, describe_object
from ..ir import avals
from ..transforms.reverse import Wrt
from .dispatch import make_holder, parameters
from .higher import family_for
from .options import FORWARD, REVERSE, Options, composite_of, mark_composite
from .wrt import normalize_wrt

_HOLDERS = weakref.WeakKeyDictionary()  # function -> {(mode, parameter names): derivative}


def derivative_of(fn, names, mode):
    """The compiled forward derivative (``mode`` FORWARD) or VJP of ``fn`` with respect to
    the parameters ``names``."""
    made = _HOLDERS.setdefault(fn, {})
    key = (mode, tuple(names))
    holder = made.get(key)
    if holder is None:
        wrt = Wrt(list(names), multiple=True)
        if mode == FORWARD:
            request, suffix = Options(wrt, mode=FORWARD), "_jvp"
        else:
            request, suffix = Options(wrt, vjp=True, exact_types=True), "_vjp"
        holder = made[key] = make_holder(family_for(fn, request), fn.__name__ + suffix)
        holder.__srcdiff__ = (fn, list(names), request)
    return holder


_POSITIONAL = weakref.WeakKeyDictionary()


def _positional(fn, count, what):
    params = _POSITIONAL.get(fn)
    if params is None:
        params = _POSITIONAL[fn] = [p.name for p in parameters(_made_from(fn))
                                    if p.kind != "keyword_only"]
    if count != len(params):
        raise SrcdiffError(f"{what}: {fn.__name__} takes {len(params)} positional "
                           f"argument{'s' if len(params) != 1 else ''} "
                           f"({', '.join(params)}), {count} given",
                           hint="pass every argument, in order")
    return params


def jvp(fn, primals, tangents):
    composite = composite_of(fn)
    if composite is not None:
        return composite.jvp(primals, tangents)
    params = _positional(fn, len(primals), "jvp")
    if len(tangents) != len(primals):
        raise SrcdiffError(f"jvp: {len(primals)} primals but {len(tangents)} tangents",
                           hint="give one tangent per primal, None for one held fixed")
    names = [p for p, t in zip(params, tangents) if t is not None]
    given = [checked_like(x, t, f"the tangent of {p}")
             for p, x, t in zip(params, primals, tangents) if t is not None]
    if not names:
        value = fn(*primals)
        return value, zero_like(value)
    return derivative_of(fn, names, FORWARD)(*primals, *given)


def vjp(fn, primals):
    composite = composite_of(fn)
    if composite is not None:
        return composite.vjp(primals)
    params = _positional(fn, len(primals), "vjp")
    value = fn(*primals)
    names = [p for p, x in zip(params, primals) if avals.of_value(x).differentiable]
    made = derivative_of(fn, names, REVERSE) if names else None

    def vjp_fn(cotangent):
        cotangent = checked_like(value, cotangent, f"the cotangent of {fn.__name__}'s result")
        grads = iter(made(*primals, cotangent) if made is not None else ())
        return tuple(next(grads) if p in names else None for p in params)
    return value, vjp_fn


def jacobian_function(fn, wrt, mode):
    names = normalize_wrt(_parameter_names(fn), wrt, fn.__name__)
    nested = composite_of(fn) is not None

    def jacobian(*args):
        params = _positional(fn, len(args), "jacobian")
        values = dict(zip(params, args))
        chosen = mode
        if nested:
            chosen = FORWARD  # a Jacobian of a Jacobian: columns of directional derivatives
        elif mode == "auto":
            size = _size(fn(*args), fn)
            chosen = FORWARD if sum(np.size(values[n]) for n in names) < size else REVERSE
        if chosen == FORWARD:
            found = [_forward_columns(fn, args, params, name) for name in names]
        else:
            found = _reverse_rows(fn, args, params, names)
        return tuple(found) if names.multiple else found[0]

    def directional(args, directions):
        params = _positional(fn, len(args), "jacobian")
        found = [_forward_columns(fn, args, params, name, directions) for name in names]
        return tuple(found) if names.multiple else found[0]
    jacobian.__name__ = f"{fn.__name__}_jacobian"
    jacobian.__qualname__ = f"{fn.__qualname__}_jacobian"
    mark_composite(jacobian, Composite(jacobian, fn, directional))
    return jacobian


def _forward_columns(fn, args, params, name, directions=()):
    """``d result / d name``: the tangent along each basis vector of the argument (then
    differentiated along ``directions``, for a derivative of the Jacobian itself)."""
    argument = args[params.index(name)]
    if directions or composite_of(fn) is not None:
        columns = [directional(fn, args, [{name: e}, *directions])
                   for e in _basis(argument, name)]
    else:
        derivative = derivative_of(fn, [name], FORWARD)
        columns = [derivative(*args, direction)[1] for direction in _basis(argument, name)]
    shape = _result_shape(columns[0], fn)
    stacked = np.stack([np.asarray(c) for c in columns], axis=-1)
    return _shaped(stacked, shape + np.shape(argument))


def _reverse_rows(fn, args, params, names):
    """Each argument's ``d result / d argument``: the gradient of each result element."""
    value = fn(*args)
    shape = _result_shape(value, fn)
    derivative = derivative_of(fn, names, REVERSE)
    rows = [derivative(*args, direction) for direction in _basis(value, "the result")]
    found = []
    for k, name in enumerate(names):
        argument = args[params.index(name)]
        stacked = np.stack([np.asarray(row[k]) for row in rows])
        found.append(_shaped(stacked, shape + np.shape(argument)))
    return found


def _shaped(stacked, shape):
    """The stacked columns or rows in the Jacobian's shape; a NumPy scalar for a scalar
    function of a scalar."""
    shaped = stacked.reshape(shape)
    return shaped[()] if shape == () else shaped


def _basis(value, name):
    """The basis vectors of a float or an array of floats, in its own type and dtype."""
    if isinstance(value, np.ndarray):
        if not np.issubdtype(value.dtype, np.inexact):
            raise SrcdiffError(f"cannot differentiate with respect to {name}: it is an "
                               f"array of {value.dtype}", hint="pass an array of floats")
        for k in range(value.size):
            direction = np.zeros(value.shape, dtype=value.dtype)
            direction.flat[k] = 1
            yield direction
        return
    if isinstance(value, np.inexact):
        yield type(value)(1)
        return
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        yield 1.0
        return
    raise SrcdiffError(f"a Jacobian needs numbers or arrays of floats; {name} is "
                       f"{describe_object(value)}", hint="differentiate with respect to "
                       "floats and arrays of floats, returning one of them")


def _result_shape(value, fn):
    if isinstance(value, (np.ndarray, np.generic)) or isinstance(value, numbers.Number):
        return np.shape(value)
    raise SrcdiffError(f"a Jacobian needs a result that is a number or an array; "
                       f"{fn.__name__} returns {describe_object(value)}",
                       hint="return one array (np.concatenate or np.stack the parts)")


def _size(value, fn):
    return math.prod(_result_shape(value, fn))


def checked_like(primal, given, what):
    """``given`` as a tangent (or cotangent) of ``primal``: the same structure, each leaf of
    its primal's type, shape and dtype (a Python float for a float, an array for an array)."""
    kind = type(primal)
    if type(given) is kind and (kind is float or kind is np.ndarray and (
            given.shape == primal.shape and given.dtype == primal.dtype)):
        return given
    if isinstance(primal, (tuple, list)):
        if not isinstance(given, (tuple, list)) or len(given) != len(primal):
            raise _mismatch(what, primal, given)
        return type(primal)(checked_like(p, g, what) for p, g in zip(primal, given))
    if isinstance(primal, dict):
        if not isinstance(given, dict) or set(given) != set(primal):
            raise _mismatch(what, primal, given)
        return {k: checked_like(primal[k], given[k], what) for k in primal}
    if isinstance(primal, np.ndarray):
        array = np.asarray(given)
        if array.shape != primal.shape or not _numeric(array):
            raise _mismatch(what, primal, given)
        return array.astype(primal.dtype, copy=False) if (
            np.issubdtype(primal.dtype, np.inexact)) else array
    if isinstance(primal, np.generic):
        if np.shape(given) != () or not _numeric(np.asarray(given)):
            raise _mismatch(what, primal, given)
        return primal.dtype.type(given) if np.issubdtype(primal.dtype, np.inexact) else given
    if isinstance(primal, (float, complex)):
        if np.shape(given) != () or not _numeric(np.asarray(given)):
            raise _mismatch(what, primal, given)
        return type(primal)(given)
    return given


def _numeric(array):
    return np.issubdtype(array.dtype, np.number) and not np.issubdtype(array.dtype, np.bool_)


def _mismatch(what, primal, given):
    return SrcdiffError(f"{what} must have the structure, shape and kind of its value: "
                        f"{describe_object(primal)}, not {describe_object(given)}",
                        hint="pass an array of the same shape (or a float for a float)")


def zero_like(value):
    """The zero tangent of a value (a tuple, list or dict of them, alike)."""
    if isinstance(value, (tuple, list)):
        return type(value)(zero_like(v) for v in value)
    if isinstance(value, dict):
        return {k: zero_like(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return np.zeros_like(value)
    if isinstance(value, np.generic):
        return value.dtype.type(0)
    if isinstance(value, (float, complex, int)):
        return type(value)(0)
    return None


def _gradient_of(fn, names):
    """The reverse-mode derivative of ``fn`` for ``names`` (a tuple of gradients)."""
    made = _HOLDERS.setdefault(fn, {})
    key = ("gradient", tuple(names))
    holder = made.get(key)
    if holder is None:
        request = Options(Wrt(list(names), multiple=True))
        holder = made[key] = make_holder(family_for(fn, request), fn.__name__ + "_grad")
        holder.__srcdiff__ = (fn, list(names), request)
    return holder


def hessian_function(fn, wrt):
    names = normalize_wrt(_parameter_names(fn), wrt, fn.__name__)

    def hessian(*args, directions=()):
        params = _positional(fn, len(args), "hessian")
        nested = composite_of(fn) is not None
        if nested and _result_shape(fn(*args), fn) != ():
            raise SrcdiffError(f"hessian needs a scalar result; {fn.__name__} returns an "
                               f"array of shape {_result_shape(fn(*args), fn)}",
                               hint="use jacfwd of it for the derivatives of each element")
        gradient = None if nested else _gradient_of(fn, names)
        rows = []
        for name in names:
            argument = args[params.index(name)]
            columns = []
            for e in _basis(argument, name):
                if nested:
                    # A Hessian of a Jacobian-made function: second directional
                    # derivatives, by forward mode all the way.
                    columns.append(tuple(
                        _forward_columns(fn, args, params, other, [{name: e}, *directions])
                        for other in names))
                elif directions:
                    columns.append(directional(gradient, args, [{name: e}, *directions]))
                else:
                    columns.append(derivative_of(gradient, [name], FORWARD)(*args, e)[1])
            blocks = []
            for k, other in enumerate(names):
                shape = np.shape(args[params.index(other)])
                stacked = np.stack([np.asarray(c[k]) for c in columns], axis=-1)
                blocks.append(_shaped(stacked, shape + np.shape(argument)))
            rows.append(blocks)
        if not names.multiple:
            return rows[0][0]
        return tuple(tuple(rows[j][i] for j in range(len(names))) for i in range(len(names)))
    hessian.__name__ = f"{fn.__name__}_hessian"
    hessian.__qualname__ = f"{fn.__qualname__}_hessian"
    mark_composite(hessian, Composite(
        hessian, fn, lambda args, directions: hessian(*args, directions=directions)))
    return hessian


def hvp_function(fn, wrt):
    names = normalize_wrt(_parameter_names(fn), wrt, fn.__name__)
    if composite_of(fn) is not None:
        return _composite_hvp(fn, names)

    made = {}

    def hvp(*args):
        if not args:
            raise SrcdiffError("hvp: pass the arguments of the function, then v")
        *primals, v = args
        if "params" not in made:
            made["params"] = _positional(fn, len(primals), "hvp")
            made["forward"] = derivative_of(_gradient_of(fn, names), list(names), FORWARD)
        params = made["params"]
        if len(primals) != len(params):
            _positional(fn, len(primals), "hvp")
        vectors = v if names.multiple else (v,)
        if not isinstance(vectors, (tuple, list)) or len(vectors) != len(names):
            raise SrcdiffError(f"hvp: v must be a tuple of {len(names)} vectors, one per "
                               "parameter differentiated", hint="v = (v_x, v_y)")
        tangents = [checked_like(primals[params.index(n)], t, f"v for {n}")
                    for n, t in zip(names, vectors)]
        product = made["forward"](*primals, *tangents)[1]
        return tuple(product) if names.multiple else product[0]
    hvp.__name__ = f"{fn.__name__}_hvp"
    hvp.__qualname__ = f"{fn.__qualname__}_hvp"
    return hvp


class Composite:
    """What makes a Jacobian or a Hessian that srcdiff assembled (a Python function over
    calls of compiled derivatives, not code srcdiff reads) differentiable in turn: its
    directional derivatives. ``directional(args, directions)`` differentiates the
    function's result along each of ``directions`` in turn (dicts from parameter name to
    tangent): the same assembly over derivatives one order higher, all by forward mode.
    jvp, vjp, Jacobians and Hessians of such a function are built from it."""

    def __init__(self, function, inner, directional):
        self.function = function
        self.inner = inner
        self.directional = directional

    def params(self, count, what):
        return _positional(self.function, count, what)

    def jvp(self, primals, tangents):
        params = self.params(len(primals), "jvp")
        if len(tangents) != len(primals):
            raise SrcdiffError(f"jvp: {len(primals)} primals but {len(tangents)} tangents",
                               hint="give one tangent per primal, None for one held fixed")
        given = {p: checked_like(x, t, f"the tangent of {p}")
                 for p, x, t in zip(params, primals, tangents) if t is not None}
        value = self.function(*primals)
        if not given:
            return value, zero_like(value)
        return value, self.directional(primals, [given])

    def vjp(self, primals):
        """The gradient of ⟨cotangent, result⟩, one forward pass per argument element (a
        function srcdiff assembled has no reverse sweep of its own)."""
        params = self.params(len(primals), "vjp")
        value = self.function(*primals)

        def vjp_fn(cotangent):
            cotangent = checked_like(value, cotangent, "the cotangent of the result")
            grads = []
            for p, x in zip(params, primals):
                if not avals.of_value(x).differentiable:
                    grads.append(None)
                    continue
                parts = [_inner_product(cotangent, self.directional(primals, [{p: e}]))
                         for e in _basis(x, p)]
                grads.append(_shaped(np.asarray(parts), np.shape(x)))
            return tuple(grads)
        return value, vjp_fn


def composite_derivative(fn, wrt, with_value, mode):
    """``gradient``, ``value_and_grad`` or ``value_and_tangent`` of a Jacobian or Hessian
    srcdiff assembled: by forward mode over its assembly (a gradient is then itself such a
    function, and can be differentiated again)."""
    names = normalize_wrt(_parameter_names(fn), wrt, fn.__name__)
    if mode == FORWARD:
        def value_and_tangent(*args):
            params = _positional(fn, len(args) - len(names), "value_and_tangent")
            primals, given = args[:len(params)], dict(zip(names, args[len(params):]))
            return composite_of(fn).jvp(primals, [given.get(p) for p in params])
        value_and_tangent.__name__ = f"{fn.__name__}_jvp"
        return value_and_tangent
    columns = jacobian_function(fn, wrt, FORWARD)

    def gradient(*args):
        value = fn(*args)
        if _result_shape(value, fn) != ():
            raise SrcdiffError(f"gradient needs a scalar result; {fn.__name__} returns an "
                               f"array of shape {np.shape(value)}",
                               hint="use jacfwd or jacrev of it for an array result")
        params = _positional(fn, len(args), "gradient")
        found = columns(*args)
        found = tuple(_like(args[params.index(n)], g)
                      for n, g in zip(names, found if names.multiple else (found,)))
        grads = found if names.multiple else found[0]
        return (value, grads) if with_value else grads
    gradient.__name__ = f"{fn.__name__}_grad"
    if not with_value:
        mark_composite(gradient, Composite(gradient, fn, composite_of(columns).directional))
    return gradient


def _like(argument, gradient):
    """A gradient in its argument's type: a float for a float."""
    return float(gradient) if type(argument) is float else gradient


def directional(fn, args, directions):
    """``fn``'s result at ``args`` differentiated along each of ``directions`` in turn (the
    first innermost), each a dict from parameter name to tangent: by compiled forward
    derivatives, one nested in the next, or by the assembly of a Jacobian srcdiff made."""
    composite = composite_of(fn)
    if composite is not None:
        return composite.directional(args, directions)
    params = _positional(fn, len(args), "a derivative")
    first, rest = directions[0], directions[1:]
    names = [p for p in params if p in first]
    derivative = derivative_of(fn, names, FORWARD)
    extended = (*args, *(first[n] for n in names))
    if not rest:
        return derivative(*extended)[1]
    return directional(derivative, extended, rest)[1]


def _composite_hvp(fn, names):
    """``hvp`` of a Jacobian or Hessian srcdiff assembled (a scalar one): the second
    directional derivatives along each basis vector and ``v``, by forward mode."""
    def hvp(*args):
        if not args:
            raise SrcdiffError("hvp: pass the arguments of the function, then v")
        *primals, v = args
        params = _positional(fn, len(primals), "hvp")
        if _result_shape(fn(*primals), fn) != ():
            raise SrcdiffError(f"hvp needs a scalar result; {fn.__name__} returns an array "
                               f"of shape {_result_shape(fn(*primals), fn)}",
                               hint="use jacfwd of it for the derivatives of each element")
        vectors = v if names.multiple else (v,)
        if not isinstance(vectors, (tuple, list)) or len(vectors) != len(names):
            raise SrcdiffError(f"hvp: v must be a tuple of {len(names)} vectors, one per "
                               "parameter differentiated", hint="v = (v_x, v_y)")
        direction = {n: checked_like(primals[params.index(n)], t, f"v for {n}")
                     for n, t in zip(names, vectors)}
        found = [_forward_columns(fn, primals, params, n, [direction]) for n in names]
        return tuple(found) if names.multiple else found[0]
    hvp.__name__ = f"{fn.__name__}_hvp"
    return hvp


def _inner_product(a, b):
    if isinstance(a, (tuple, list)):
        return sum(_inner_product(x, y) for x, y in zip(a, b))
    return np.sum(np.asarray(a) * np.asarray(b))


def _parameter_names(fn):
    return [p.name for p in parameters(_made_from(fn))]


def _made_from(fn):
    """The function whose parameters ``fn`` takes: itself, or what a Jacobian or Hessian
    srcdiff assembled (taking ``*args``) was made from."""
    while composite_of(fn) is not None:
        fn = composite_of(fn).inner
    return fn
