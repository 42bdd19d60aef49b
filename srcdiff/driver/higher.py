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
import types
import weakref

from ..errors import SrcdiffError
from ..frontend import callees
from ..frontend.callees import is_derivative
from ..ir import code
from . import dispatch
from .pipeline import derive

_counter = itertools.count(1)
_MADE = weakref.WeakKeyDictionary()  # derivative -> {argument kinds: _Materialized}


class _Materialized:
    """A materialized derivative, with what its printed code read when it was made: the
    module-level names (``(module namespace, names, their values then)``) and the closure
    cells (``(cell, its value then)``)."""

    def __init__(self, function, watched, cells):
        self.function = function
        self.watched = watched
        self.cells = cells

    def current(self):
        return all(module.get(name, _UNBOUND) is snapshot.get(name, _UNBOUND)
                   for module, names, snapshot in self.watched for name in names) and all(
            _contents(cell) is value for cell, value in self.cells)


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # emptied
        return _UNBOUND


_UNBOUND = object()


def materialized(derivative, args):
    """The plain function that ``derivative`` (a function made by :func:`srcdiff.gradient`
    and its companions) runs for arguments like ``args``."""
    return _materialized(derivative, args).function


def _materialized(derivative, args):
    return _for_kinds(derivative, _kinds(derivative, args))


def _kinds(derivative, args):
    """The kinds of ``args`` as the derivative's code is specialized on them: those of the
    user function's parameters, defaults filled in, then those of the extra arguments."""
    fn, _, request = derivative.__srcdiff__
    primal = _primal(args, request)
    extra = tuple(dispatch.aval_of(v) for v in args[len(primal):])
    if is_derivative(fn):
        return _kinds(fn, primal) + extra
    fn_ir, scope = dispatch.lowered(fn)
    values = dispatch.Family(fn, fn_ir, scope, request).bind(primal, {})
    return tuple(dispatch.aval_of(v) for v in values) + extra


def _for_kinds(derivative, kinds):
    """The materialized code of ``derivative`` for arguments of ``kinds``: also what a
    function being differentiated calls where it calls the derivative itself."""
    fn, _, request = derivative.__srcdiff__
    primal = _primal(kinds, request)
    base = _for_kinds(fn, primal).function if is_derivative(fn) else fn
    made = _MADE.setdefault(derivative, {})
    found = made.get(primal)
    if found is not None and found.current():
        return found
    fn_ir, scope = dispatch.lowered(base)
    param_avals = dict(zip(fn_ir.param_names, primal))
    name = derivative.__name__ if derivative.__name__.isidentifier() else None
    emitted = derive(fn_ir, scope, param_avals, request.but(name=name))
    found = made[primal] = _materialize(emitted, base.__globals__)
    return found


callees.MATERIALIZE = _for_kinds


def _primal(args, request):
    extra = request.extra_arguments
    return tuple(args[:len(args) - extra]) if extra else tuple(args)


def namespace_of(emitted, module_globals):
    """The namespace in which ``emitted``'s printed text (and the VJPs it calls) has run,
    over ``module_globals``: the views run an instrumented copy of the text there, so that
    its names mean what they mean to the compiled derivative."""
    return _materialize(emitted, module_globals).function.__globals__


def _materialize(emitted, module_globals):
    """Run the printed source of ``emitted`` and of the VJPs it calls, each over the
    module-level names of the function it was made from (a callee in another module reads
    that module's names): one namespace per module, holding also what the printed names
    refer to, and every derivative made here, so that they can call each other."""
    groups = {}
    for part in emitted.callees + [emitted]:
        module = module_globals if part.namespace is None else part.namespace
        groups.setdefault(id(module), (module, []))[1].append(part)
    made, namespaces, watched, cells = {}, [], [], []
    for module, parts in groups.values():
        namespace, free, read = _run(parts, module, emitted.name)
        cells += [(cell, _contents(cell)) for cell in read]
        made.update((part.name, namespace[part.name]) for part in parts)
        namespaces.append(namespace)
        watched.append((module, free, {name: module[name] for name in free if name in module}))
    for namespace in namespaces:
        namespace.update(made)
    return _Materialized(made[emitted.name], watched, cells)


def _run(parts, module, name):
    """Execute ``parts``' printed text in a namespace over ``module``; the namespace, and
    the module-level names the text reads."""
    namespace = dict(module)
    spelled, attributes, cells = {}, [], []
    for part in parts:
        for stmt in part.statements:
            for node in ast.walk(stmt):
                key = part.references.get(id(node), _UNBOUND)
                if key is _UNBOUND:
                    continue
                if isinstance(node, ast.Name):
                    if isinstance(key, code.CellContents):
                        cells.append(key.cell)
                        key = key.cell.cell_contents
                    spelled[node.id] = key
                elif isinstance(node, ast.Attribute):
                    attributes.append((node, key))
    namespace.update(spelled)
    made = set()
    for node, key in attributes:
        _reach(namespace, node, key, made)
    shown = name if parts[-1].name == name else ", ".join(part.name for part in parts)
    filename = f"<srcdiff {shown} (materialized) #{next(_counter)}>"
    text = "\n\n".join(part.text for part in parts)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    try:
        exec(compile(text, filename, "exec"), namespace)  # noqa: S102 (srcdiff's own output)
    except SyntaxError as error:  # pragma: no cover - a printer bug
        raise SrcdiffError(f"the printed derivative {name} does not compile: "
                           f"{error.msg}", hint="this is a bug in srcdiff; please report it"
                           ) from None
    names = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)]
    stored = {node.id for node in names if not isinstance(node.ctx, ast.Load)}
    defined = {part.name for part in parts}
    return namespace, {node.id for node in names} - stored - set(spelled) - defined, cells


def _reach(namespace, node, value, made):
    """Make ``a.b.c``, printed for ``value`` (a function read through a closure's
    variable, say), reach it where ``a`` itself is no module-level name: ``a`` becomes a
    module of its own holding ``b.c`` (``made`` holds the names made so)."""
    path = []
    while isinstance(node, ast.Attribute):
        path.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id in namespace and node.id not in made:
        return
    if node.id not in made:
        namespace[node.id] = types.ModuleType(node.id)
        made.add(node.id)
    holder = namespace[node.id]
    for attr in reversed(path[1:]):
        holder = getattr(holder, attr, None) or _attach(holder, attr)
    setattr(holder, path[0], value)


def _attach(holder, attr):
    made = types.ModuleType(attr)
    setattr(holder, attr, made)
    return made


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
        if known is not None and known[0].current():
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

