"""Derivative rules for your own functions: ``defvjp``, ``vjp_of``, ``defjvp`` and
``nondifferentiable``.

A VJP (vector-Jacobian product) is a function ``vjp(g, ans, *args)``: ``g`` is the adjoint of
the function's result, ``ans`` the result, ``args`` the arguments of the call, and it returns
one argument's adjoint contribution::

    def softplus(x):
        return np.log1p(np.exp(x))

    srcdiff.defvjp(softplus, lambda g, ans, x: g / (1.0 + np.exp(-x)))

    @srcdiff.vjp_of(huber, "delta")          # the decorator form, one argument at a time
    def huber_vjp_delta(g, ans, x, delta):
        ...

    @srcdiff.nondifferentiable               # a function whose derivative is zero
    def bucket(x): ...

Generated code calls the VJP by name: ``x_bar = softplus_vjp_x(g, ans, x)`` for a lambda,
``x_bar = huber_vjp_delta(...)`` for a named function. A contribution has the argument's
shape; for an elementwise function it may have the result's shape instead, and srcdiff sums
it over the axes along which the argument was broadcast.

srcdiff finds the result's type and shape by calling the function once on small arrays of
the arguments' kinds (at compile time); ``shape=`` overrides that for functions too costly or
too particular to call on stand-in values.
"""

from __future__ import annotations

import inspect
import types
import warnings

import numpy as np

from ..errors import describe_object
from ..ir import avals
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, OTHER, PY, UNKNOWN, UNKNOWN_AVAL, AVal
from ..ir.records import Record
from . import registry
from .registry import GENERAL, NONDIFF, Refusal, RuleError, Template

__all__ = ["defjvp", "defvjp", "vjp_of", "nondifferentiable"]

MISSING = object()
RESERVED = {"g", "ans", "np", "math", "xp"}


class _UserFunction(Record):
    fields = ("fn", "name", "params", "signature", "vjps", "jvps", "shape", "notes")
    compared = fields

    def __init__(self, fn, name, params, signature, vjps=None, jvps=None, shape=None,
                 notes=""):
        self.fn = fn
        self.name = name
        self.params = params
        self.signature = signature
        self.vjps = {} if vjps is None else vjps
        self.jvps = {} if jvps is None else jvps
        self.shape = shape
        self.notes = notes


_FUNCTIONS: dict = {}


def defvjp(fn, *vjps, signature=None, shape=None, notes=""):
    """Give ``fn`` a reverse rule: one VJP per parameter, in order, each called as
    ``vjp(g, ans, *args)`` and returning that argument's contribution. ``None`` marks an
    argument without an adjoint (an integer, a flag); parameters after the last VJP given
    have none yet, and differentiating through them raises an error that says so.

    ``signature`` ("x, y=2.0") names the parameters where ``inspect`` cannot (a NumPy ufunc)
    or should not; ``shape(*avals)`` returns the result's :class:`srcdiff.ir.avals.AVal` from the
    arguments' ones instead of calling ``fn`` on stand-in values. Returns ``fn``.
    """
    user = _user_function(fn, signature, shape, notes)
    _given(user, user.vjps, vjps, "VJP")
    return fn


def _given(user, table, rules, what):
    """Record one rule per parameter, in order (``what``: "VJP" or "JVP"), and declare."""
    if len(rules) > len(user.params):
        raise RuleError(f"srcdiff.def{what.lower()}: {user.name} has {len(user.params)} "
                        f"parameters ({', '.join(user.params)}) but {len(rules)} {what}s "
                        "were given")
    for param, rule in zip(user.params, rules):
        table[param] = _checked(rule, user, param, what)
    _declare(user)


def defjvp(fn, *jvps, signature=None, shape=None, notes=""):
    """Give ``fn`` a forward rule: one JVP per parameter, in order, each called as
    ``jvp(t, ans, *args)`` with ``t`` the tangent of that argument, and returning its part
    of the result's tangent (the derivative along ``t``)::

        srcdiff.defjvp(softplus, lambda t, ans, x: t / (1.0 + np.exp(-x)))

    ``None`` marks an argument no tangent flows from; forward mode refuses a call whose
    other arguments have tangents but no JVP. A function may have both rules (``defvjp``
    for reverse mode); ``signature`` and ``shape`` are as for :func:`defvjp`. Returns ``fn``.
    """
    user = _user_function(fn, signature, shape, notes)
    _given(user, user.jvps, jvps, "JVP")
    return fn


def vjp_of(fn, argument=0, *, signature=None, shape=None):
    """A decorator that registers the function below it as the VJP of ``fn`` for one
    argument (an index or a parameter name; the first by default)::

        @srcdiff.vjp_of(softplus)
        def softplus_vjp(g, ans, x):
            return g / (1.0 + np.exp(-x))

    Other arguments keep the VJPs they have. Returns the VJP unchanged.
    """
    user = _user_function(fn, signature, shape, "")
    if isinstance(argument, int) and not isinstance(argument, bool):
        if not -len(user.params) <= argument < len(user.params):
            raise RuleError(f"srcdiff.vjp_of: {user.name} has no argument {argument}")
        param = user.params[argument]
    elif argument in user.params:
        param = argument
    else:
        raise RuleError(f"srcdiff.vjp_of: {user.name} has no parameter {argument!r} "
                        f"(its parameters: {', '.join(user.params)})")

    def register(vjp):
        user.vjps[param] = _checked(vjp, user, param, "VJP")
        _declare(user)
        return vjp
    return register


def nondifferentiable(fn=None, *, signature=None, shape=None):
    """Mark ``fn`` as having no derivative: its result is constant for srcdiff (a rounding, a
    lookup, a count). Works as a decorator. Returns ``fn``."""
    if fn is None:
        return lambda f: nondifferentiable(f, signature=signature, shape=shape)
    user = _user_function(fn, signature, shape, "")
    registry.declare(fn, user.signature, kind=NONDIFF, name=user.name, user=True,
                     shape=_hook(user), notes="declared non-differentiable")
    return fn


# registration


def _user_function(fn, signature, shape, notes):
    if not callable(fn):
        raise RuleError(f"srcdiff.defvjp: {describe_object(fn)} is not a function")
    key = _key(fn)
    user = _FUNCTIONS.get(key)
    if user is None or signature is not None:
        text = signature if signature is not None else _signature(fn)
        params = registry.signature_of(text).params
        user = _UserFunction(fn, _name(fn), params, text,
                             vjps={} if user is None else user.vjps,
                             jvps={} if user is None else user.jvps)
        _FUNCTIONS[key] = user
    if shape is not None:
        user.shape = shape
    if notes:
        user.notes = notes
    return user


def _key(fn):
    try:
        hash(fn)
        return fn
    except TypeError:
        return ("id", id(fn))


def _name(fn):
    module = getattr(fn, "__module__", None) or ""
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
    return f"{module}.{qualname}" if module and module != "__main__" else qualname


def _signature(fn):
    """The parameters of ``fn`` as a rule signature, with its literal defaults."""
    if isinstance(fn, np.ufunc):
        return ", ".join(f"x{i + 1}" for i in range(fn.nin)) + ", /"
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise RuleError(f"srcdiff.defvjp: cannot read the parameters of {_name(fn)}; pass "
                        "signature='x, y' with their names") from None
    kind_of = inspect.Parameter
    params = list(sig.parameters.values())
    last_positional_only = max((i for i, p in enumerate(params)
                                if p.kind == kind_of.POSITIONAL_ONLY), default=None)
    parts = []
    for index, p in enumerate(params):
        if p.kind in (kind_of.VAR_POSITIONAL, kind_of.VAR_KEYWORD):
            raise RuleError(f"srcdiff.defvjp: {_name(fn)} takes *{p.name}; pass signature= "
                            "with the parameters it is called with")
        if p.kind == kind_of.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        text = p.name
        if p.default is not kind_of.empty:
            if not _is_literal(p.default):
                raise RuleError(f"srcdiff.defvjp: the default of {p.name} in {_name(fn)} is "
                                f"{describe_object(p.default)}, which generated code cannot "
                                "spell; pass "
                                "signature= without it, or make it a literal")
            text += f"={p.default!r}"
        parts.append(text)
        if index == last_positional_only:
            parts.append("/")
    return ", ".join(parts)


def _is_literal(value):
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return value is None or type(value) in (bool, int, float, complex, str)


def _checked(rule, user, param, what):
    if rule is None:
        return None
    if not callable(rule):
        raise RuleError(f"srcdiff.def{what.lower()}: the {what} for {param} of {user.name} is "
                        f"{describe_object(rule)}, not a function (or None)")
    return rule


def _helper_name(vjp, user, param, kind="vjp"):
    """The name generated code calls a VJP (or JVP) by: its own, or
    ``<function>_vjp_<param>``."""
    own = getattr(vjp, "__name__", "")
    taken = RESERVED | set(user.params) | {f"{p}_dot" for p in user.params}
    if own.isidentifier() and own not in taken and own != "<lambda>":
        return own, vjp
    base = getattr(user.fn, "__name__", "f")
    name = f"{base if base.isidentifier() else 'f'}_{kind}_{param}"
    if isinstance(vjp, types.FunctionType):
        renamed = types.FunctionType(vjp.__code__, vjp.__globals__, name, vjp.__defaults__,
                                     vjp.__closure__)
        renamed.__kwdefaults__ = vjp.__kwdefaults__
        renamed.__qualname__ = name
        return name, renamed
    return name, _Named(vjp, name)


class _Named:
    """A callable under the name generated code prints for it."""

    def __init__(self, fn, name):
        self.fn = fn
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args):
        return self.fn(*args)


def _missing(user, param):
    name = f"{getattr(user.fn, '__name__', 'f')}_vjp_{param}"

    def missing(*args):
        raise NotImplementedError(
            f"srcdiff: {user.name} has no VJP for its argument {param!r}; register one with "
            f"srcdiff.defvjp or @srcdiff.vjp_of({getattr(user.fn, '__name__', 'f')}, "
            f"{param!r})")
    missing.__name__ = missing.__qualname__ = name
    return name, missing


def _declare(user):
    """The user's function as a primitive: its VJPs (reverse mode) and JVPs (forward mode)
    called by name from generated code. A function given one kind of rule alone is refused
    by the other mode where it is differentiated, at the call that needs it."""
    helpers = {}

    def helper(rule, param, kind):
        name, obj = _helper_name(rule, user, param, kind)
        while name in helpers and helpers[name] is not obj:
            name += "_"
        helpers[name] = obj
        return name

    templates = []
    arguments = ", ".join(["g", "ans", *user.params])
    for param in user.params:
        vjp = user.vjps.get(param, MISSING)
        if vjp is None:
            templates.append(None)
        elif vjp is MISSING and not user.vjps:
            templates.append(Refusal(f"{user.name} has a forward rule (defjvp) but no reverse "
                                     "rule", f"give it one with srcdiff.defvjp({user.name}, "
                                     "...)"))
        elif vjp is MISSING:
            name, obj = _missing(user, param)
            helpers[name] = obj
            templates.append(f"{name}({arguments})")
        else:
            templates.append(f"{helper(vjp, param, 'vjp')}({arguments})")
    tangents = None
    if user.jvps:
        tangents = []
        for param in user.params:
            jvp = user.jvps.get(param, MISSING)
            if jvp is MISSING:
                tangents.append(Refusal(f"{user.name} has no forward rule (JVP) for its "
                                        f"argument {param}", "give one with srcdiff.defjvp"))
            else:
                tangents.append(None if jvp is None else
                                f"{helper(jvp, param, 'jvp')}({param}_dot, ans, "
                                f"{', '.join(user.params)})")
    forms = {"summed": tuple(t if t is None or isinstance(t, Refusal) else
                             f"unbroadcast({t}, {p})" for t, p in zip(templates, user.params))}
    rule = registry.declare(user.fn, user.signature, *templates, kind=GENERAL, name=user.name,
                            user=True, helpers=helpers, shape=_hook(user), selector=_select,
                            forms=forms, jvp=None if tangents is None else tuple(tangents),
                            notes=user.notes or "user-defined (srcdiff.defvjp, defjvp)")
    rule.jvp_selector = _select_tangents


def _select(rule, operand_avals, bound):
    """The VJP's contribution as it is, unless the argument may have been broadcast against
    the result: then it is summed back over the broadcast axes (a no-op when the VJP already
    returned the argument's shape)."""
    result = rule.shape(operand_avals, bound)
    summed = rule.form("summed")
    chosen = []
    for param, plain, wrapped in zip(rule.params, rule.templates, summed):
        chosen.append(wrapped if _maybe_broadcast(operand_avals[param], result) else plain)
    return tuple(chosen)


def _select_tangents(rule, operand_avals, bound):
    """Each JVP's part as it is, unless the argument may have been broadcast against the
    result: then it is spread over the result's shape (``spread_like(part, ans)``, a no-op
    where the JVP already gave that shape)."""
    result = rule.shape(operand_avals, bound)
    return tuple(
        t if t is None or isinstance(t, Refusal) or not _maybe_broadcast(operand_avals[p], result)
        else Template(f"spread_like({t.text}, ans)", t.allowed)
        for p, t in zip(rule.params, rule.jvp))


def _maybe_broadcast(operand, result):
    """Whether the argument may have been broadcast to the result's shape (not when the
    result is a scalar, or has fewer axes, or provably the argument's own shape)."""
    if result.kind in (PY, NP) or operand.kind not in (PY, NP, ARRAY):
        return False
    source, target = avals.shape_of(operand), avals.shape_of(result)
    if source is None or target is None:
        return True
    if len(source) > len(target):
        return False
    return not (source == target and None not in source)


# result types, by calling the function on stand-in values


def _hook(user):
    def hook(operand_avals, bound):
        if user.shape is not None:
            return user.shape(*[operand_avals[p] for p in user.params if p in operand_avals])
        return evaluated(user.fn, user.signature, operand_avals, bound)
    return hook


PROBES = (2, 3)


def evaluated(fn, signature, operand_avals, bound):
    """The result's abstract value from calling ``fn`` on stand-ins of the arguments: arrays
    of 0.5 (1 for integers) of the arguments' dtypes and shapes. Sizes that are not known
    are tried at two sizes; result sizes that follow them are not known either."""
    params = registry.signature_of(signature).params
    if any(a.kind == UNKNOWN for a in operand_avals.values()):
        return UNKNOWN_AVAL
    if any(a.kind == ARRAY and a.shape is None for a in operand_avals.values()):
        return UNKNOWN_AVAL
    results = []
    positional = registry.signature_of(signature).positional
    for size in PROBES:
        try:
            results.append(_call(fn, params, positional, operand_avals, bound, size))
        except Exception:
            return UNKNOWN_AVAL
        if _all_known(operand_avals):
            break
    first = avals.of_value(results[0])
    if first.kind != ARRAY or len(results) == 1:
        return first
    shapes = [np.shape(r) for r in results]
    if len({len(s) for s in shapes}) != 1:
        return AVal(ARRAY, first.dtype, None)
    return AVal(ARRAY, first.dtype, tuple(a if a == b else None for a, b in zip(*shapes)))


def _all_known(operand_avals):
    return all(a.known_shape is not None or a.kind in (PY, NP, OTHER)
               for a in operand_avals.values())


def _call(fn, params, positional, operand_avals, bound, size):
    args = {}
    for p in params:
        operand = bound.get(p)
        if isinstance(operand, ir.Const) or (isinstance(operand, ir.Global) and operand.known):
            args[p] = operand.value
            continue
        aval = operand_avals[p]
        if aval.kind == PY:
            args[p] = aval.dtype(1 if aval.dtype in (int, bool) else 0.5)
        elif aval.kind in (NP, ARRAY):
            dtype = aval.dtype if aval.dtype is not None else np.dtype(float)
            shape = tuple(d if isinstance(d, int) else size for d in (aval.shape or ()))
            value = np.full(shape, 1 if dtype.kind in "iub" else 0.5, dtype=dtype)
            args[p] = value[()] if aval.kind == NP else value
        else:
            raise TypeError(f"no stand-in for {aval.describe()}")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*[args[p] for p in params[:positional]],
                  **{p: args[p] for p in params[positional:]})
