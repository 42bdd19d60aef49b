"""Compiling derivatives once and dispatching calls to them at almost no cost.

A derivative is specialized on its arguments' abstract values (Python float, or an array's
shape and dtype). The function a user holds starts as a trampoline; its first call compiles
a specialization and installs that code *into the held function itself*, preceded by a
one-line type guard. Later calls with the same kinds of arguments run the generated code
directly, with no wrapper call. Other kinds of arguments fail the guard and go through
:meth:`Family.dispatch`, which finds or compiles their specialization.
"""

from __future__ import annotations

import functools
import inspect
import types
import weakref

from ..backend import emit
from ..backend.arrays import NUMPY
from ..backend.compile import Compiled, filename_for
from ..backend.guard import GuardWriter
from ..errors import SrcdiffError
from ..frontend import callees, lower, parse
from ..frontend.scope import RuntimeScope
from ..ir import avals, names
from ..ir.avals import ARRAY, NP, OTHER, PY
from ..primitives import REGISTRY
from . import caches, trampolines
from .options import FORWARD
from .pipeline import derive

MAX_SHAPE_SPECIALIZATIONS = 8


class Family:
    """All specializations of one derivative: (function code, wrt, options).

    Module-level and closure names that the function (or a function it calls) reads are
    *watched*: a derivative may be specialized on their values (``np.zeros(N)`` has a known
    shape, ``x[K]`` a known index), so when one is rebound the function is lowered again and
    its derivatives compiled afresh. The installed code's guard checks them on every call."""

    def __init__(self, fn, fn_ir, scope, request, relower=None):
        self.fn = fn
        self.fn_ir = fn_ir
        self.scope = scope
        self.request = request
        self.extra = request.extra_arguments
        self.relower = relower
        self.specializations = {}
        self.kinds = {}  # specialization key -> parameter kinds, in the order compiled
        self.shapes_seen = 0
        self.fast_key = None
        self.fast_code = None
        self.watched = None

    @functools.cached_property
    def signature(self):
        """The function's signature, for binding keyword arguments and defaults."""
        return signature_of(self.fn)

    def _stale(self):
        return self.watched is not None and any(
            callees.constant_key(scope.current(name)) != callees.constant_key(value)
            for scope, name, value in self.watched)

    def _refresh(self):
        self.fn_ir, self.scope = self.relower()
        self.specializations.clear()
        self.kinds.clear()
        self.shapes_seen = 0
        self.fast_key = self.fast_code = None
        self.watched = None
        caches.forget_compiled()

    def _watch(self):
        if self.watched is None and self.relower is not None:
            try:
                self.watched = callees.watched_constants(self.fn_ir, self.scope)
            except SrcdiffError:
                self.watched = [(self.scope, n, v) for n, v in self.fn_ir.constants.items()]

    def key_of(self, values):
        general = self.shapes_seen >= MAX_SHAPE_SPECIALIZATIONS
        return tuple(_value_key(v, general) for v in values)

    def primal_arguments(self, args):
        """The function's own arguments, before the tangents or the result's adjoint that a
        JVP or a VJP takes after them (each argument given, by position)."""
        if not self.extra:
            return args
        positional = sum(1 for p in self.fn_ir.params if p.kind != "keyword_only")
        if len(args) != positional + self.extra:
            what = "tangents" if self.request.mode == FORWARD else "the result's adjoint"
            raise TypeError(f"{self.fn.__name__}: pass each of its {positional} positional "
                            f"arguments, then {what} ({self.extra}), by position; "
                            f"got {len(args)} arguments")
        return args[:positional]

    def bind(self, args, kwargs):
        names = self.fn_ir.param_names
        if not kwargs and len(args) == len(names) and self._all_positional():
            return list(args)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.fn.__name__}: {exc}") from None
        bound.apply_defaults()
        return [bound.arguments[p] for p in self.fn_ir.param_names]

    def _all_positional(self):
        """Whether every parameter may be passed by position: then arguments given one per
        parameter bind in order, as ``Signature.bind`` would bind them."""
        found = self.__dict__.get("_positional")
        if found is None:
            found = self._positional = all(p.kind != "keyword_only" for p in self.fn_ir.params)
        return found

    def dispatch(self, holder, args, kwargs):
        return self.function_for(holder, args, kwargs)(*args, **kwargs)

    def function_for(self, holder, args, kwargs):
        """The compiled specialization for these arguments (compiled now if it is new)."""
        if self._stale():
            self._refresh()
        values = self.bind(self.primal_arguments(args), kwargs)
        key = self.key_of(values)
        function = self.specializations.get(key)
        if function is None:
            function = self.specialize(key, values, holder)
        elif key == self.fast_key and holder.__code__ is not self.fast_code:
            holder.__code__ = self.fast_code
        return function

    def specialize(self, key, values, holder):
        general = _generalized(key)
        param_avals = {p: _aval_for(v, general) for p, v in zip(self.fn_ir.param_names, values)}
        if any(a.kind == ARRAY for a in param_avals.values()):
            self.shapes_seen += 1
        first = self.fast_key is None and holder is not None and not any(
            a.container for a in param_avals.values()) and not self.request.vjp
        self._watch()
        prologue = [self._guard(param_avals, holder)] if first else []
        options = self.request.but(prologue=tuple(prologue),
                                   name=holder.__name__ if holder is not None else None)
        emitted = derive(self.fn_ir, self.scope, param_avals, options, compiled=True)
        compiled = Compiled(emitted, filename_for(emitted.name))
        if first:
            holder.__code__ = compiled.code
            function = holder
            self.fast_key, self.fast_code = key, compiled.code
        else:
            function = types.FunctionType(compiled.code, self.fn.__globals__, emitted.name,
                                          None if self.extra else self.fn.__defaults__)
            function.__kwdefaults__ = self.fn.__kwdefaults__
        self.specializations[key] = function
        self.kinds[key] = param_avals
        return function

    def _guard(self, param_avals, holder):
        writer = GuardWriter()
        tests = []
        for p in self.fn_ir.params:
            tests.extend(_guard_tests(writer, p.name, param_avals[p.name]))
        for scope, name, value in self.watched or ():
            current = functools.partial(self._current, writer, scope, name)
            tests.append(_constant_test(writer, name, current, value))
        positional = [p.name for p in self.fn_ir.params if p.kind != "keyword_only"]
        keyword = [p.name for p in self.fn_ir.params if p.kind == "keyword_only"]
        return writer.statement(tests, holder.__srcdiff_dispatch__,
                                positional + extra_parameters(self.fn_ir, self.request),
                                keyword)

    def _current(self, writer, scope, name):
        """An expression reading ``name`` now, from the compiled code of this family's
        function (whose globals are the function's own)."""
        cell = scope.cell(name)
        if cell is not None:
            return writer.cell_contents(cell, name)
        if scope is self.scope:
            return writer.name(name)
        def read(namespace=scope.globals):
            return namespace.get(name)
        return writer.call(writer.obj(read), [])


def _constant_test(writer, name, current, value):
    """An expression that is true when the watched ``name`` no longer holds ``value``;
    ``current()`` reads it. Values other than numbers, strings and None are compared by
    their :func:`~srcdiff.frontend.callees.constant_key`, printed as ``{name}_key``."""
    if value is None or isinstance(value, bool):
        return writer.compare(current(), "is not", writer.literal(value))
    if type(value) in (int, str) or type(value) is float and value == value:
        return writer.either([writer.type_is_not(current(), type(value)),
                              writer.compare(current(), "!=", writer.obj(value, repr(value)))],
                             nested=True)
    key = callees.constant_key(value)
    return writer.compare(writer.call(writer.obj(callees.constant_key), [current()]), "!=",
                          writer.obj(key, f"{name}_key"))


def _guard_tests(writer, name, aval):
    if aval.kind == PY:
        return [writer.type_is_not(writer.name(name), aval.dtype)]
    if aval.kind == NP:
        return [writer.type_is_not(writer.name(name), aval.dtype.type,
                                   NUMPY.spelled(aval.dtype.type))]
    if aval.kind == OTHER and aval.container:
        return [writer.literal(True)]
    if aval.kind == OTHER:
        return [writer.type_is_not(writer.name(name), aval.pytype)]
    if aval.kind == ARRAY:
        return NUMPY.guard_tests(writer, name, aval)
    return []


def _value_key(value, general):
    kind = type(value)
    if kind in (tuple, list):
        return (kind, tuple(_value_key(v, general) for v in value))
    if kind is dict:
        return (kind, tuple((k, _value_key(v, general)) for k, v in value.items()))
    array_key = NUMPY.value_key(value, general)
    return kind if array_key is None else array_key


def arguments_key(values):
    """What a derivative is specialized on, for these arguments."""
    return tuple(_value_key(v, False) for v in values)


def aval_of(value):
    return avals.of_value(value)


def params_only(fn):
    """A stand-in for ``fn``'s lowered form that knows its parameters alone (a trampoline
    needs no more)."""
    return _ParamsOnly(parameters(fn))


def _generalized(key):
    """Whether a specialization key forgets array sizes (anywhere, containers included)."""
    if isinstance(key, tuple):
        return key[:1] == ("general",) or any(_generalized(k) for k in key)
    return False


def _aval_for(value, general):
    aval = avals.of_value(value)
    return avals.generalize(aval) if general else aval


class LazyFamily:
    """A family that reads and lowers the source at the first call, not at decoration.

    Module-level names the function uses may be bound after the ``def`` runs; at the first
    call they are there, as Python itself would see them.
    """

    def __init__(self, fn, request):
        self.fn = fn
        self.request = request
        self.family = None
        self.version = REGISTRY.version
        params = parameters(fn)
        self.fn_ir = _ParamsOnly(params)

    def dispatch(self, holder, args, kwargs):
        if self.family is None or self.version != REGISTRY.version:
            self.family = family_of(self.fn, self.request)
            self.version = REGISTRY.version
        return self.family.dispatch(holder, args, kwargs)


class _ParamsOnly:
    def __init__(self, params):
        self.params = params


def family_of(fn, request):
    """The family of derivatives of ``fn`` for this request (an :class:`Options` without
    prologue or name), made once per function."""
    code = fn.__code__
    cells = tuple(id(c) for c in fn.__closure__ or ())
    key = (id(fn.__globals__), cells, tuple(request.wrt), request)
    per_code = caches.families.setdefault(code, {})
    family = per_code.get(key)
    if family is None:
        fn_ir, scope = lowered(fn)
        family = Family(fn, fn_ir, scope, request, relower=lambda: lowered(fn))
        per_code[key] = family
    return family


def lowered(fn):
    source, node = parse.function_source(fn)
    return lower.lower(source, node, RuntimeScope(fn)), RuntimeScope(fn)


class _Param:
    def __init__(self, name, kind):
        self.name = name
        self.kind = kind


_SIGNATURES = weakref.WeakKeyDictionary()


def signature_of(fn):
    """``inspect.signature(fn)``, worked out once per function (API calls, the family and
    its dispatcher all read it)."""
    signature = _SIGNATURES.get(fn)
    if signature is None:
        signature = _SIGNATURES[fn] = inspect.signature(fn)
    return signature


def parameters(fn):
    """The parameters of ``fn``, by name and kind; refused where one collects arguments
    (``*args``, ``**kwargs``)."""
    found = _code_parameters(fn)
    if found is not None:
        return found
    kinds = {inspect.Parameter.POSITIONAL_ONLY: "positional_only",
             inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
             inspect.Parameter.KEYWORD_ONLY: "keyword_only"}
    params = []
    for p in signature_of(fn).parameters.values():
        if p.kind not in kinds:
            lowered(fn)  # refuses the parameter where the source shows it
            raise SrcdiffError(f"{fn.__name__}: *args and **kwargs parameters are not supported",
                               hint="name each parameter")
        params.append(_Param(p.name, kinds[p.kind]))
    return params


def _code_parameters(fn):
    """The parameters as ``fn``'s code object lists them, where ``inspect.signature`` would
    read them from there too (a plain function that names no other signature), at a
    fraction of its cost; None otherwise."""
    if (type(fn) is not types.FunctionType or "__wrapped__" in fn.__dict__
            or "__signature__" in fn.__dict__):
        return None
    code = fn.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    names, plain, first = code.co_varnames, code.co_argcount, code.co_posonlyargcount
    return ([_Param(name, "positional_only") for name in names[:first]]
            + [_Param(name, "positional") for name in names[first:plain]]
            + [_Param(name, "keyword_only")
               for name in names[plain:plain + code.co_kwonlyargcount]])


def compiled_kinds(holder):
    """The parameter kinds of each specialization compiled so far for the function
    ``holder`` (made by :func:`make_holder`), in the order compiled; empty before its first
    call, and for derivatives of derivatives."""
    family = getattr(holder, "__srcdiff_family__", None)
    family = getattr(family, "family", family)
    return list(getattr(family, "kinds", {}).values())


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

    extra = family.request.extra_arguments
    trampoline = _trampoline(family.fn_ir, name, dispatch,
                             extra_parameters(family.fn_ir, family.request))
    holder = types.FunctionType(trampoline, family.fn.__globals__, name,
                                None if extra else family.fn.__defaults__)
    holder.__kwdefaults__ = family.fn.__kwdefaults__
    holder.__srcdiff_dispatch__ = dispatch
    holder.__srcdiff_family__ = family
    holder.__srcdiff_trampoline__ = trampoline
    caches.holders.add(holder)
    return holder


def extra_parameters(fn_ir, request):
    """The names of the arguments a derivative takes after the function's own: the tangents
    of a JVP (as the printed code names them), or the result's adjoint of a VJP."""
    if request.mode == FORWARD and isinstance(fn_ir, _ParamsOnly):
        taken = {p.name for p in fn_ir.params}  # a trampoline's, before the source is read
        return [names.tangent(p, taken) for p in request.wrt]
    if request.mode == FORWARD:
        return emit.tangent_parameter_names(fn_ir, request.wrt)
    if request.vjp:
        return [names.numbered("cotangent", {p.name for p in fn_ir.params})]
    return []


def _trampoline(fn_ir, name, dispatch, extra=()):
    params = fn_ir.params
    return trampolines.trampoline(
        name, [p.name for p in params if p.kind == "positional_only"],
        [p.name for p in params if p.kind == "positional"] + list(extra),
        [p.name for p in params if p.kind == "keyword_only"], dispatch)
