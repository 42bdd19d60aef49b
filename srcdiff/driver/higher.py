"""Derivatives of derivatives: the generated code, differentiated like the user's own.

A derivative that srcdiff prints is ordinary Python in the subset srcdiff differentiates, so
``gradient(gradient(f))`` needs no machinery of its own. For the kinds of arguments of a
call, the inner derivative's source is generated afresh (without the guard that dispatches
its compiled form) and *materialized*: executed, with the VJPs of the functions it calls, in
a namespace of its own that holds what its names refer to (``np``, ``math``, the runtime
helpers, the user's module-level names). The result is a plain function whose source is
registered with ``linecache``; the outer derivative reads, lowers and differentiates it
like any function of the user's, and errors point into its printed text.

A materialized function reads the user's module-level names as they were when it was made;
it is made again when one of them is rebound.
"""

from __future__ import annotations

import ast
import itertools
import linecache
import weakref

from ..errors import SrcdiffError
from . import dispatch
from .pipeline import derive

_counter = itertools.count(1)
_MADE = weakref.WeakKeyDictionary()  # derivative -> {argument kinds: _Materialized}


def is_derivative(fn):
    return getattr(fn, "__srcdiff__", None) is not None


class _Materialized:
    def __init__(self, function, globals_read, snapshot, module_globals):
        self.function = function
        self.globals_read = globals_read
        self.snapshot = snapshot
        self.module_globals = module_globals

    def current(self, module_globals):
        return all(module_globals.get(name, _UNBOUND) is self.snapshot.get(name, _UNBOUND)
                   for name in self.globals_read)


_UNBOUND = object()


def materialized(derivative, args):
    """The plain function that ``derivative`` (a function made by :func:`srcdiff.gradient`
    and its companions) runs for arguments like ``args``."""
    return _materialized(derivative, args).function


def _materialized(derivative, args):
    fn, _, request = derivative.__srcdiff__
    primal = _primal(args, request)
    base = materialized(fn, primal) if is_derivative(fn) else fn
    key = dispatch.arguments_key(primal)
    made = _MADE.setdefault(derivative, {})
    found = made.get(key)
    if found is not None and found.current(base.__globals__):
        return found
    fn_ir, scope = dispatch.lowered(base)
    values = dispatch.Family(base, fn_ir, scope, request).bind(primal, {})
    param_avals = {p: dispatch.aval_of(v) for p, v in zip(fn_ir.param_names, values)}
    name = derivative.__name__ if derivative.__name__.isidentifier() else None
    emitted = derive(fn_ir, scope, param_avals, request.but(name=name))
    found = made[key] = _materialize(emitted, base.__globals__)
    return found


def _primal(args, request):
    extra = request.extra_arguments
    return tuple(args[:len(args) - extra]) if extra else tuple(args)


def _materialize(emitted, module_globals):
    """Run the printed source of ``emitted`` (and of the VJPs it calls) in a namespace of
    its own: what its names refer to, over the user's module-level names."""
    namespace = dict(module_globals)
    spelled = {}
    for part in emitted.callees + [emitted]:
        for stmt in part.statements:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and id(node) in part.references:
                    spelled[node.id] = part.references[id(node)]
    namespace.update(spelled)
    filename = f"<srcdiff {emitted.name} (materialized) #{next(_counter)}>"
    text = emitted.full_text
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    try:
        exec(compile(text, filename, "exec"), namespace)  # noqa: S102 (srcdiff's own output)
    except SyntaxError as error:  # pragma: no cover - a printer bug
        raise SrcdiffError(f"the printed derivative {emitted.name} does not compile: "
                           f"{error.msg}", hint="this is a bug in srcdiff; please report it"
                           ) from None
    names = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)]
    stored = {node.id for node in names if not isinstance(node.ctx, ast.Load)}
    free = {node.id for node in names} - stored - set(spelled)
    return _Materialized(namespace[emitted.name], free,
                         {name: module_globals[name] for name in free if name in module_globals},
                         module_globals)


class NestedFamily:
    """The family of a derivative of a derivative: for each kind of arguments, the inner
    derivative is materialized and differentiated as an ordinary function."""

    def __init__(self, fn, request):
        self.fn = fn
        self.request = request
        self.fn_ir = dispatch.params_only(fn)
        self.compiled = {}  # argument kinds -> (materialized inner derivative, compiled code)

    def dispatch(self, holder, args, kwargs):
        if kwargs:
            raise TypeError(f"{self.fn.__name__}: pass the arguments of a derivative of a "
                            "derivative by position")
        primal = _primal(args, self.request)
        key = dispatch.arguments_key(primal)
        known = self.compiled.get(key)
        if known is not None and known[0].current(known[0].module_globals):
            return known[1](*args)
        inner = _materialized(self.fn, primal)
        family = dispatch.family_of(inner.function, self.request)
        function = family.function_for(None, args, kwargs)
        self.compiled[key] = (inner, function)
        return function(*args)


def family_for(fn, request):
    """The lazily made family of ``fn``'s derivatives for ``request``: of the user's function,
    or, for a derivative srcdiff made, of the code it runs."""
    if is_derivative(fn):
        return NestedFamily(fn, request)
    return dispatch.LazyFamily(fn, request)

