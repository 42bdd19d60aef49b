"""Stage 7: compile derivatives once, cache them, and dispatch calls at almost no cost.

A derivative is specialized on its arguments' abstract values (Python float, or an array's
shape and dtype). The function a user holds starts as a trampoline; its first call compiles
a specialization and installs that code *into the held function itself*, preceded by a
one-line type guard. Later calls with the same kinds of arguments run the generated code
directly, with no wrapper call. Other kinds of arguments fail the guard and go through
:meth:`Family.dispatch`, which finds or compiles their specialization.

Compiled code refers to modules and helpers through constants patched into the code object
(see :func:`srcdiff.backend.emit.to_python_ast`), and reads the user's globals live. The generated
text is registered with ``linecache`` so tracebacks and ``inspect.getsource`` show it.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import os
import types
import warnings
import weakref

import gast
import numpy as np

from ..analysis import activity
from ..analysis import specialize as infer
from ..backend import emit, failures
from ..errors import SrcdiffError
from ..frontend import callees
from ..ir import avals, code
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, OTHER, PY
from ..ir.code import OBJ
from ..primitives import calls
from ..transforms import reverse

MAX_SHAPE_SPECIALIZATIONS = 8


class Stats:
    """Counters that tests use to check caching (how often the pipeline ran)."""

    transforms = 0
    compiles = 0


def derive(fn_ir, scope, param_avals, wrt, *, with_value=False, prologue=(), name=None,
           vjp=False, linker=None):
    """Run the pipeline from lowered IR to printed source for one specialization.

    ``vjp`` makes a vector-Jacobian product (the result's adjoint is a parameter, as for a
    callee); ``linker`` provides the VJPs of the user functions it calls."""
    linker = linker or Linker(compiled=False)
    try:
        emitted = _derive(fn_ir, scope, param_avals, wrt, with_value, prologue, name, vjp,
                          linker)
        emitted.callees = list(linker.emitted)
        return emitted
    except SrcdiffError:
        raise
    except Exception as exc:
        if os.environ.get("SRCDIFF_DEBUG"):
            raise
        located = fn_ir.source.located
        error = located.error(fn_ir.node, f"internal error while differentiating {fn_ir.name}: "
                              f"{type(exc).__name__}: {exc}",
                              "this is a bug in srcdiff; please report it with this function "
                              "(set SRCDIFF_DEBUG=1 to see the compiler's traceback)")
        error.internal = exc
        raise error from None


def _derive(fn_ir, scope, param_avals, wrt, with_value, prologue, name, vjp, linker,
            unused_outputs=()):
    Stats.transforms += 1
    located = fn_ir.source.located
    if not vjp:
        _check_wrt_types(fn_ir, param_avals, wrt, located)
    program = infer.specialize(fn_ir, param_avals, located)
    if not vjp:
        _check_result(program, located)
    act = activity.analyze(program, wrt, unused_outputs)
    out = reverse.transform(program, act, wrt, with_value=with_value, name=name, vjp=vjp,
                            linker=linker)
    out.prologue = list(prologue)
    header = [_header(fn_ir, wrt, param_avals, with_value, vjp)]
    return emit.emit(out, fn_ir, scope, header)


class Linker:
    """Generates (and, for running code, compiles) the VJPs of called user functions."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.emitted = []
        self.made = {}

    def vjp(self, callee, arg_avals, active, located, node, unused_outputs=()):
        """The VJP of ``callee`` with respect to ``active``, for a caller that gives no
        adjoint to the results at ``unused_outputs`` (of a tuple, list or dict result)."""
        key = (callees.specialized_key(callee), tuple(arg_avals.items()), tuple(active),
               tuple(unused_outputs))
        cache = _VJPS if self.compiled else self.made
        if key in cache:
            return cache[key]
        calls.RECURSION.enter(callee, located, node)
        try:
            callee_ir, scope = callees.lowered(callee)
            wrt = reverse.Wrt(list(active), multiple=len(active) > 1)
            emitted = _derive(callee_ir, scope, arg_avals, wrt, False, (),
                              f"{callee.name}_vjp", True, self, unused_outputs)
        finally:
            calls.RECURSION.leave()
        self.emitted.append(emitted)
        if self.compiled:
            compiled = Compiled(emitted, f"<srcdiff {emitted.name} #{next(_counter)}>")
            made = types.FunctionType(compiled.code, callee.fn.__globals__, emitted.name)
        else:
            made = _Named(emitted.name)
        cache[key] = made
        return made


class _Named:
    """Stands for a generated function in printed code (nothing runs it)."""

    def __init__(self, name):
        self.__name__ = name


_VJPS = {}


def _header(fn_ir, wrt, param_avals, with_value, vjp=False):
    what = "value and gradient" if with_value else "gradient"
    if vjp:
        what = "vector-Jacobian product"
    respect = ", ".join(wrt)
    if wrt.multiple:
        respect = f"({respect})"
    kinds = ", ".join(f"{p}: {param_avals[p].describe()}" for p in fn_ir.param_names)
    return f"{what} of {fn_ir.name} with respect to {respect}; {kinds}"


def _check_wrt_types(fn_ir, param_avals, wrt, located):
    for name in wrt:
        aval = param_avals[name]
        if not aval.differentiable:
            node = next(a for a in _param_nodes(fn_ir.node) if a.id == name)
            raise located.error(node, f"cannot differentiate with respect to {name}: it is "
                                f"{_article(aval.describe())}",
                                "pass a float (or a float array) for the parameters in wrt")


def _article(kind):
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _param_nodes(node):
    args = node.args
    return list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)


def _check_result(program, located):
    """A gradient needs a scalar result on every path: each returned value is checked, not
    only their join (a scalar on one path and an array on another join to "unknown")."""
    result_stmt = program.fn.result
    if program.result is None:
        returned = [(program.aval(result_stmt, result_stmt.value), result_stmt.origin.node)]
    else:
        returned = [(program.avals.get(v, avals.UNKNOWN_AVAL), _node_of(v, result_stmt))
                    for v in program.ssa.concrete(program.result)]
    for aval, node in returned:
        if aval.kind == ARRAY and aval.ndim:
            raise located.error(node, f"{program.fn.name} returns an array "
                                f"({aval.describe()}); gradient needs a scalar result",
                                "reduce it to a scalar, e.g. with np.sum (vector results come "
                                "with vjp/jacobian)")
        if aval.kind == OTHER:
            raise located.error(node, f"{program.fn.name} returns "
                                f"{_article(aval.describe())}; gradient needs a single scalar "
                                "result", "return one scalar (vector results come with "
                                "vjp/jacobian)")


def _node_of(value, result_stmt):
    """The source statement that gives the result this value."""
    if isinstance(value, ir.Assign) and value.origin is not None:
        return value.origin.node
    return result_stmt.origin.node


# compiling


_counter = itertools.count(1)


class Compiled:
    def __init__(self, emitted, filename):
        self.emitted = emitted
        self.filename = filename
        self.placeholders = {}
        self.code = self._compile()

    def placeholder(self, obj):
        key = f"\x00srcdiff:{len(self.placeholders)}"
        self.placeholders[key] = obj
        return key

    def _compile(self):
        Stats.compiles += 1
        emitted = self.emitted
        body = [emit.to_python_ast(stmt, stmt.lineno, emitted.references, self.placeholder)
                for stmt in emitted.statements]
        line = emitted.def_line
        adjoints = emitted.marks.get(reverse.ADJOINTS)
        if adjoints is not None:
            body = self._explaining_failures(body, line, failures.AdjointSite(
                emitted.source_name, self.filename, adjoints, emitted.source_file))
        function = ast.FunctionDef(
            name=emitted.name, args=_arguments(emitted.arguments), body=body,
            decorator_list=[], returns=None, type_comment=None, type_params=[],
            lineno=line, col_offset=0, end_lineno=line, end_col_offset=0)
        module = ast.Module(body=[function], type_ignores=[])
        with warnings.catch_warnings():
            # Calls through patched constants look like calls of a string to the compiler.
            warnings.simplefilter("ignore", SyntaxWarning)
            module_code = compile(module, self.filename, "exec")
        function_code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
        linecache.cache[self.filename] = (len(emitted.text), None,
                                          emitted.text.splitlines(True), self.filename)
        return self._patch(function_code)

    def _explaining_failures(self, body, line, site):
        """``try: body`` with a handler that raises ``site.explain(error)`` for arithmetic
        errors (see :mod:`srcdiff.backend.failures`); the handler sits on the ``def`` line."""
        def located(node):
            for sub in ast.walk(node):
                if "lineno" in sub._attributes:
                    sub.lineno = sub.end_lineno = line
                    sub.col_offset = sub.end_col_offset = 0
            return node
        caught = ast.Constant(self.placeholder(failures.CAUGHT))
        explain = ast.Attribute(value=ast.Constant(self.placeholder(site)), attr="explain",
                                ctx=ast.Load())
        raised = ast.Raise(exc=ast.Call(func=explain, args=[ast.Name("error", ast.Load())],
                                        keywords=[]), cause=ast.Constant(None))
        handler = located(ast.ExceptHandler(type=caught, name="error", body=[raised]))
        return [ast.Try(body=body, handlers=[handler], orelse=[], finalbody=[], lineno=line,
                        col_offset=0, end_lineno=line, end_col_offset=0)]

    def _patch(self, code_object):
        consts = tuple(
            self.placeholders.get(c, c) if isinstance(c, str) else
            (self._patch(c) if isinstance(c, types.CodeType) else c)
            for c in code_object.co_consts)
        return code_object.replace(co_consts=consts)


def _arguments(params):
    """The parameter list without defaults: defaults live on the function object."""
    def plain(kind):
        return [ast.arg(arg=p.name, annotation=None, type_comment=None, lineno=1, col_offset=0)
                for p in params if p.kind == kind]
    keyword = plain("keyword_only")
    return ast.arguments(posonlyargs=plain("positional_only"), args=plain("positional"),
                         vararg=None, kwonlyargs=keyword, kw_defaults=[None] * len(keyword),
                         kwarg=None, defaults=[])


# dispatching


class Family:
    """All specializations of one derivative: (function code, wrt, options).

    Module-level and closure names that the function (or a function it calls) reads are
    *watched*: a derivative may be specialized on their values (``np.zeros(N)`` has a known
    shape, ``x[K]`` a known index), so when one is rebound the function is lowered again and
    its derivatives compiled afresh. The installed code's guard checks them on every call."""

    def __init__(self, fn, fn_ir, scope, wrt, with_value, relower=None):
        self.fn = fn
        self.fn_ir = fn_ir
        self.scope = scope
        self.wrt = wrt
        self.with_value = with_value
        self.relower = relower
        self.signature = inspect.signature(fn)
        self.specializations = {}
        self.shapes_seen = 0
        self.fast_key = None
        self.fast_code = None
        self.watched = None

    def _stale(self):
        return self.watched is not None and any(
            callees.constant_key(scope.current(name)) != callees.constant_key(value)
            for scope, name, value in self.watched)

    def _refresh(self):
        self.fn_ir, self.scope = self.relower()
        self.specializations.clear()
        self.shapes_seen = 0
        self.fast_key = self.fast_code = None
        self.watched = None
        _VJPS.clear()
        infer.forget()

    def _watch(self):
        if self.watched is None and self.relower is not None:
            try:
                self.watched = callees.watched_constants(self.fn_ir, self.scope)
            except SrcdiffError:
                self.watched = [(self.scope, n, v) for n, v in self.fn_ir.constants.items()]

    def key_of(self, values):
        general = self.shapes_seen >= MAX_SHAPE_SPECIALIZATIONS
        return tuple(_value_key(v, general) for v in values)

    def bind(self, args, kwargs):
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.fn.__name__}: {exc}") from None
        bound.apply_defaults()
        return [bound.arguments[p] for p in self.fn_ir.param_names]

    def dispatch(self, holder, args, kwargs):
        if self._stale():
            self._refresh()
        values = self.bind(args, kwargs)
        key = self.key_of(values)
        function = self.specializations.get(key)
        if function is None:
            function = self.specialize(key, values, holder)
        elif key == self.fast_key and holder.__code__ is not self.fast_code:
            holder.__code__ = self.fast_code
        return function(*args, **kwargs)

    def specialize(self, key, values, holder):
        general = _generalized(key)
        param_avals = {p: _aval_for(v, general) for p, v in zip(self.fn_ir.param_names, values)}
        if any(a.kind == ARRAY for a in param_avals.values()):
            self.shapes_seen += 1
        first = self.fast_key is None and holder is not None and not any(
            a.container for a in param_avals.values())
        self._watch()
        prologue = [self._guard(param_avals, holder)] if first else []
        emitted = derive(self.fn_ir, self.scope, param_avals, self.wrt,
                         with_value=self.with_value, prologue=prologue,
                         name=holder.__name__ if holder is not None else None,
                         linker=Linker(compiled=True))
        filename = f"<srcdiff {emitted.name} #{next(_counter)}>"
        compiled = Compiled(emitted, filename)
        if first:
            holder.__code__ = compiled.code
            function = holder
            self.fast_key, self.fast_code = key, compiled.code
        else:
            function = types.FunctionType(compiled.code, self.fn.__globals__, emitted.name,
                                          self.fn.__defaults__)
            function.__kwdefaults__ = self.fn.__kwdefaults__
        self.specializations[key] = function
        return function

    def _guard(self, param_avals, holder):
        tests = []
        for p in self.fn_ir.params:
            tests.extend(_guard_tests(p.name, param_avals[p.name]))
        for scope, name, value in self.watched or ():
            tests.append(_constant_test(self._current(scope, name), value))
        positional = [p for p in self.fn_ir.params if p.kind != "keyword_only"]
        keyword = [p for p in self.fn_ir.params if p.kind == "keyword_only"]
        call = gast.Call(func=code.ref(OBJ, holder.__srcdiff_dispatch__),
                         args=[_name(p.name) for p in positional],
                         keywords=[gast.keyword(arg=p.name, value=_name(p.name)) for p in keyword])
        test = tests[0] if len(tests) == 1 else gast.BoolOp(op=gast.Or(), values=tests)
        if not tests:
            test = code.const(False)
        return gast.If(test=test, body=[gast.Return(value=call)], orelse=[])


    def _current(self, scope, name):
        """An expression reading ``name`` now, from the compiled code of this family's
        function (whose globals are the function's own)."""
        cell = scope.cell(name)
        if cell is not None:
            return code.ref(OBJ, code.CellContents(cell, name))
        if scope is self.scope:
            return _name(name)
        def read(namespace=scope.globals):
            return namespace.get(name)
        return gast.Call(func=code.ref(OBJ, read), args=[], keywords=[])


def _constant_test(current, value):
    """An expression that is true when a watched name no longer holds ``value``."""
    if value is None or isinstance(value, bool):
        return gast.Compare(left=current, ops=[gast.IsNot()], comparators=[code.const(value)])
    if type(value) in (int, str) or type(value) is float and value == value:
        check = gast.Call(func=code.ref(OBJ, type), args=[current], keywords=[])
        differs = gast.Compare(left=code.clone(current), ops=[gast.NotEq()],
                               comparators=[code.const(value)])
        return gast.BoolOp(op=gast.Or(), values=[
            gast.Compare(left=check, ops=[gast.IsNot()], comparators=[code.ref(OBJ, type(value))]),
            differs])
    key = gast.Call(func=code.ref(OBJ, callees.constant_key), args=[current], keywords=[])
    return gast.Compare(left=key, ops=[gast.NotEq()],
                        comparators=[code.ref(OBJ, callees.constant_key(value))])


def _name(identifier):
    return gast.Name(id=identifier, ctx=gast.Load(), annotation=None, type_comment=None)


def _type_is_not(name, cls):
    call = gast.Call(func=code.ref(OBJ, type), args=[_name(name)], keywords=[])
    return gast.Compare(left=call, ops=[gast.IsNot()], comparators=[code.ref(OBJ, cls)])


def _guard_tests(name, aval):
    if aval.kind == PY:
        return [_type_is_not(name, aval.dtype)]
    if aval.kind == NP:
        return [_type_is_not(name, aval.dtype.type)]
    if aval.kind == OTHER and aval.container:
        return [code.const(True)]
    if aval.kind == OTHER:
        return [_type_is_not(name, aval.pytype)]
    if aval.kind == ARRAY:
        tests = [_type_is_not(name, np.ndarray)]
        attribute = gast.Attribute(value=_name(name), attr="dtype", ctx=gast.Load())
        tests.append(gast.Compare(left=attribute, ops=[gast.NotEq()],
                                  comparators=[code.ref(OBJ, aval.dtype.type)]))
        if aval.known_shape is not None:
            shape = gast.Attribute(value=_name(name), attr="shape", ctx=gast.Load())
            tests.append(gast.Compare(left=shape, ops=[gast.NotEq()],
                                      comparators=[code.const(aval.known_shape)]))
        else:
            ndim = gast.Attribute(value=_name(name), attr="ndim", ctx=gast.Load())
            tests.append(gast.Compare(left=ndim, ops=[gast.NotEq()],
                                      comparators=[code.const(aval.ndim)]))
        return tests
    return []


def _value_key(value, general):
    kind = type(value)
    if kind in (tuple, list):
        return (kind, tuple(_value_key(v, general) for v in value))
    if kind is dict:
        return (kind, tuple((k, _value_key(v, general)) for k, v in value.items()))
    if kind is np.ndarray:
        if general:
            return ("general", value.ndim, value.dtype)
        return (kind, value.shape, value.dtype)
    if isinstance(value, np.generic):
        return (kind,)
    return kind


def _generalized(key):
    """Whether a specialization key forgets array sizes (anywhere, containers included)."""
    if isinstance(key, tuple):
        return key[:1] == ("general",) or any(_generalized(k) for k in key)
    return False


def _aval_for(value, general):
    aval = avals.of_value(value)
    return avals.generalize(aval) if general else aval


def make_holder(family, name):
    """The function object users hold; its ``__code__`` is replaced by the first compile.

    It is a plain function with the user's globals, so that the generated code installed in
    it later reads the user's module-level values live; until then it forwards every call
    to the family's dispatcher.
    """
    holder = None

    def dispatch(*args, **kwargs):
        try:
            return family.dispatch(holder, args, kwargs)
        except SrcdiffError as error:
            raise error.with_traceback(None) from None

    params = family.fn_ir.params
    func = code.ref(OBJ, dispatch)
    func.id = "dispatch"
    call = gast.Call(func=func,
                     args=[_name(p.name) for p in params if p.kind != "keyword_only"],
                     keywords=[gast.keyword(arg=p.name, value=_name(p.name))
                               for p in params if p.kind == "keyword_only"])
    statement = gast.Return(value=call)
    statement.lineno = 2
    text = f"def {name}({emit_signature(family.fn_ir)}):\n    {emit.render(statement)}\n"
    emitted = emit.Emitted(name, text, [], [statement], {id(call.func): dispatch},
                           params, 1)
    compiled = Compiled(emitted, f"<srcdiff {name} #{next(_counter)}>")
    holder = types.FunctionType(compiled.code, family.fn.__globals__, name,
                                family.fn.__defaults__)
    holder.__kwdefaults__ = family.fn.__kwdefaults__
    holder.__srcdiff_dispatch__ = dispatch
    holder.__srcdiff_trampoline__ = compiled.code
    _HOLDERS.add(holder)
    return holder


_HOLDERS = weakref.WeakSet()


def forget_derivatives():
    """A rule changed: compiled derivatives may be stale, so every held function goes back
    to its trampoline and the next call compiles afresh."""
    for holder in list(_HOLDERS):
        holder.__code__ = holder.__srcdiff_trampoline__
    _VJPS.clear()
    infer.forget()
    for listener in _FORGET:
        listener()


_FORGET = []


def emit_signature(fn_ir):
    """Parameter names only; defaults are carried by the function object."""
    parts = []
    params = fn_ir.params
    posonly = [p.name for p in params if p.kind == "positional_only"]
    plain = [p.name for p in params if p.kind == "positional"]
    keyword = [p.name for p in params if p.kind == "keyword_only"]
    parts.extend(posonly)
    if posonly:
        parts.append("/")
    parts.extend(plain)
    if keyword:
        parts.append("*")
        parts.extend(keyword)
    return ", ".join(parts)

