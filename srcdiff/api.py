"""The public API: ``gradient``, ``value_and_grad`` and ``source``."""

from __future__ import annotations

import functools
import inspect

import gast
import numpy as np

from .backend import emit
from .driver import dispatch, pipeline
from .driver.options import Options
from .errors import SrcdiffError, describe_object
from .frontend.scope import Live
from .ir import avals
from .transforms.reverse import Wrt


def _public(function):
    """Errors from the public API carry the user's location, not the compiler's frames."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except SrcdiffError as error:
            raise error.with_traceback(None) from None
    return wrapper


@_public
def gradient(f=None, *, wrt=None):
    """The gradient of ``f``'s scalar result with respect to the parameters in ``wrt``.

    Use it as ``@gradient``, ``@gradient(wrt=...)`` or ``gradient(f, wrt=...)``. ``wrt`` is
    a parameter index or name (that gradient alone), or a tuple or list of them (a tuple of
    gradients in that order); ``None`` means the first parameter. Each gradient has the type
    and shape of its argument.
    """
    if f is None:
        return functools.partial(gradient, wrt=wrt)
    return _derivative(f, wrt, with_value=False, suffix="_grad")


@_public
def value_and_grad(f=None, *, wrt=None):
    """Like :func:`gradient`, but the function returns ``(value, gradient)``."""
    if f is None:
        return functools.partial(value_and_grad, wrt=wrt)
    return _derivative(f, wrt, with_value=True, suffix="_value_and_grad")


@_public
def source(f, *, wrt=None, args=None):
    """The generated derivative source of ``f``, as the ``srcdiff`` command prints it.

    Without ``args`` the parameters are taken to be what their annotations say, and Python
    floats where they have none. With ``args`` (example arguments, a tuple), the source is
    the code specialized for arguments like them, as ``gradient`` runs it.
    """
    spec = getattr(f, "__srcdiff__", None)
    if spec is not None:
        f, wrt_given, with_value = spec
        wrt = wrt_given if wrt is None else wrt
    else:
        with_value = False
    fn = _function(f)
    fn_ir, scope = dispatch.lowered(fn)
    names = normalize_wrt(fn_ir.param_names, wrt, fn.__name__)
    if args is None:
        param_avals = assumed_avals(fn_ir, scope)
    else:
        values = dispatch.Family(fn, fn_ir, scope, names, with_value).bind(tuple(args), {})
        param_avals = {p: avals.of_value(v) for p, v in zip(fn_ir.param_names, values)}
    emitted = pipeline.derive(fn_ir, scope, param_avals, Options(names, with_value=with_value))
    return emit.with_imports(emitted.all_imports, emitted.full_text)


def _derivative(f, wrt, *, with_value, suffix):
    fn = _function(f)
    names = normalize_wrt(_parameter_names(fn), wrt, fn.__name__)
    family = dispatch.LazyFamily(fn, names, with_value)
    holder = dispatch.make_holder(family, fn.__name__ + suffix)
    holder.__module__ = fn.__module__
    holder.__doc__ = fn.__doc__
    holder.__qualname__ = fn.__qualname__ + suffix
    holder.__srcdiff__ = (fn, wrt, with_value)
    return holder


def _function(f):
    if getattr(f, "__srcdiff__", None) is not None:
        raise SrcdiffError("differentiating a derivative (higher order) is not supported yet",
                           hint="differentiate the original function")
    if isinstance(f, functools.partial) or not inspect.isfunction(f):
        raise SrcdiffError(f"{describe_object(f)} is not a Python function; srcdiff "
                           "differentiates functions defined with def or lambda",
                           hint="pass the function itself (for a partial, a def that calls "
                                "it with the fixed arguments)")
    return f


def _parameter_names(fn):
    return [p.name for p in dispatch.parameters(fn)]


def normalize_wrt(params, wrt, fname):
    """``wrt`` as parameter names, remembering whether a tuple of gradients was asked for."""
    if not params:
        raise SrcdiffError(f"{fname} has no parameters to differentiate with respect to",
                           hint="give it the parameters its result depends on")
    if wrt is None:
        return Wrt([params[0]], multiple=False)
    if isinstance(wrt, (tuple, list)):
        if not wrt:
            raise SrcdiffError("wrt is empty; name at least one parameter",
                               hint=f"its parameters are: {', '.join(params)}")
        names = [_one_wrt(params, w, fname) for w in wrt]
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise SrcdiffError(f"wrt names the parameter {twice} twice",
                               hint="name each parameter once")
        return Wrt(names, multiple=True)
    return Wrt([_one_wrt(params, wrt, fname)], multiple=False)


def _one_wrt(params, item, fname):
    if isinstance(item, bool) or not isinstance(item, (int, str)):
        raise SrcdiffError(f"wrt must be parameter indices or names, not "
                           f"{describe_object(item)}", hint=f"its parameters are: "
                           f"{', '.join(params)}")
    if isinstance(item, int):
        if not -len(params) <= item < len(params):
            raise SrcdiffError(f"wrt={item} is out of range: {fname} has {len(params)} "
                               f"parameter{'s' if len(params) != 1 else ''} "
                               f"({', '.join(params)})",
                               hint=f"use an index from {-len(params)} to {len(params) - 1}, "
                                    "or a parameter name")
        return params[item]
    if item not in params:
        raise SrcdiffError(f"{fname} has no parameter named {item!r}",
                           hint=f"its parameters are: {', '.join(params)}")
    return item


def assumed_avals(fn_ir, scope, overrides=None):
    """Parameter kinds for code printed without example arguments: ``overrides`` (specs by
    name, see :func:`srcdiff.ir.avals.parse_spec`), else annotations, else Python floats."""
    overrides = overrides or {}
    counts = _used_as_counts(fn_ir.node)
    result = {}
    for p in fn_ir.params:
        if p.name in overrides:
            result[p.name] = overrides[p.name]
        elif p.annotation is None and p.name in counts:
            result[p.name] = avals.PY_INT
        else:
            result[p.name] = annotation_aval(p.annotation, scope, fn_ir.source.located)
    return result


def _used_as_counts(node):
    """Parameters the function uses as loop bounds or indices: integers, not floats."""
    names = set()
    for sub in gast.walk(node):
        if isinstance(sub, gast.Call) and isinstance(sub.func, gast.Name) and (
                sub.func.id == "range"):
            names |= {a.id for a in sub.args if isinstance(a, gast.Name)}
        elif isinstance(sub, gast.Subscript):
            names |= {n.id for n in gast.walk(sub.slice) if isinstance(n, gast.Name)}
    return names


def annotation_aval(annotation, scope, located):
    if annotation is None:
        return avals.PY_FLOAT
    if isinstance(annotation, gast.Constant) and isinstance(annotation.value, str):
        try:
            return avals.parse_spec(annotation.value)
        except ValueError as exc:
            raise located.error(annotation, f"cannot read the annotation: {exc}",
                                "write e.g. 'float', 'array[n]' or 'float32[n, 3]'") from None
    target = None
    if isinstance(annotation, gast.Name):
        found = scope.lookup(annotation.id)
        target = found.value if isinstance(found, Live) else None
    elif isinstance(annotation, gast.Attribute) and isinstance(annotation.value, gast.Name):
        found = scope.lookup(annotation.value.id)
        if isinstance(found, Live):
            target = getattr(found.value, annotation.attr, None)
    if target in (float, int, bool, complex):
        return avals.AVal(avals.PY, target)
    if target is np.ndarray:
        return avals.array(None, np.float64)
    return avals.PY_FLOAT
