"""Calls into the user's own functions.

A call ``z = h(a, b)`` stays a call in the forward sweep. Walking back over it, the reverse
sweep calls ``h``'s vector-Jacobian product, ``a_bar, b_bar = h_vjp(a, b, z_bar)``, a
function srcdiff generates for ``h`` (specialized on the arguments' kinds, recursively for
what ``h`` calls) and prints beside the caller's derivative. ``h_vjp`` recomputes ``h``'s
forward sweep, so a call costs about two forward evaluations and no tape space.
"""

from __future__ import annotations

import inspect

import gast

from ..errors import SrcdiffError
from ..ir.records import Record
from .protocol import Rule
from .registry import REGISTRY

USER = "user"
ACTIVE = object()


class Callee(Record):
    """A user function called from differentiated code: live (``fn``) or read from a file
    (``node``, with the file's ``source`` and static ``scope``)."""

    fields = ("name", "fn", "node", "source", "scope", "lowered", "specialized")
    hidden = ("lowered", "specialized")

    def __init__(self, name, fn=None, node=None, source=None, scope=None, lowered=None,
                 specialized=None):
        self.name = name
        self.fn = fn
        self.node = node
        self.source = source
        self.scope = scope
        self.lowered = lowered
        self.specialized = specialized

    @property
    def key(self):
        """What identifies the function a derivative is made for: its code, and the globals
        and closure cells that code reads (two closures from one factory, or the same text
        in two modules, are different functions). Constants the derivative was specialized
        on are added by :func:`srcdiff.frontend.callees.specialized_key`."""
        if self.fn is None:
            return _Same(self.node)
        cells = tuple(_Same(c) for c in self.fn.__closure__ or ())
        return (_Same(self.fn.__code__), _Same(self.fn.__globals__), cells)


def _example(a, b):
    """A function of the user's, for the registry's example of a call."""
    return a * b


class _Same:
    """A dictionary key that is one particular object (compared by identity, and kept
    alive so that its id cannot be reused by another)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


def callee_rule(callee, located, call_node):
    """A rule for calling ``callee``: its parameters (keyword-only ones after the positional
    ones) and their literal defaults."""
    if callee.fn is not None:
        signature = _live_signature(callee.fn)
    else:
        signature = _static_signature(callee.node)
    if signature is None:
        raise located.error(call_node, f"{callee.name} takes *args or **kwargs, which calls "
                            "into your own functions do not support", "name each parameter")
    params, defaults, positional, positional_only = signature
    bad = [p for p, v in defaults.items() if not _literal(v)]
    if bad:
        raise located.error(call_node, f"the default value of {callee.name}'s parameter "
                            f"{bad[0]} is not a number, string, bool or None",
                            "pass that argument explicitly")
    return CallRule(fn=callee, name=callee.name, params=tuple(params), defaults=defaults,
                    templates=(ACTIVE,) * len(params), kind=USER, positional=positional,
                    positional_only=positional_only)


class CallRule(Rule):
    """A call of a user function (``fn`` is its :class:`Callee`): its result is what the
    callee's own specialization says; its adjoint calls the callee's VJP, which reads every
    argument."""

    pure = False
    adjoint_text = ("`a_bar, b_bar = h_vjp(a, b, z_bar)`: the VJP srcdiff generates for `h`, "
                    "printed beside the caller's derivative")

    @property
    def callee(self):
        return self.fn

    @property
    def referenced(self):
        return self.fn.fn

    def abstract_eval(self, call, args, site):
        return site.callee_result(self.fn, args)

    def result_memory(self, call, sharing):
        shared = sharing.shared_result
        if shared is None:
            return sharing.own.union(*(sharing.of(a) for a in call.args))
        bound = call.bound()
        return sharing.own.union(*(sharing.of(bound[p]) for p in shared if p in bound),
                                 {r for r in shared if isinstance(r, tuple)})

    def vjp_reads(self, call, args, result, active, site):
        return set(self.params)

    def adjoint(self, sweep, stmt, g, state, lines):
        return sweep.user_call(stmt, g, state, lines)

    def tangent_statement(self, sweep, stmt):
        return sweep.tangent_user_call(stmt)


def binding_error(rule, nargs, keywords):
    """What Python would say about calling ``rule``'s function this way, and its
    parameters as a hint."""
    name, params = rule.name, rule.params
    positional = params[:rule.positional]
    listed = list(positional[:rule.positional_only])
    if rule.positional_only:
        listed.append("/")
    listed += positional[rule.positional_only:]
    if rule.positional < len(params):
        listed.append("*")
        listed += params[rule.positional:]
    hint = f"{name} takes ({', '.join(_with_default(rule, p) for p in listed)})"
    if nargs > len(positional):
        return (f"{name}() takes {len(positional)} positional arguments but {nargs} were "
                "given"), hint
    given = list(positional[:nargs])
    for key in keywords:
        if key in positional[:rule.positional_only]:
            return f"{name}() got the positional-only argument '{key}' by keyword", hint
        if key not in params:
            return f"{name}() got an unexpected keyword argument '{key}'", hint
        if key in given:
            return f"{name}() got multiple values for argument '{key}'", hint
        given.append(key)
    missing = [p for p in params if p not in given and p not in rule.defaults]
    return f"{name}() is missing the argument '{missing[0]}'", hint


def _with_default(rule, param):
    if param in rule.defaults:
        return f"{param}={rule.defaults[param]!r}"
    return param


def _literal(value):
    return value is None or isinstance(value, (bool, int, float, complex, str))


_KINDS = {inspect.Parameter.POSITIONAL_ONLY: 0, inspect.Parameter.POSITIONAL_OR_KEYWORD: 1,
          inspect.Parameter.KEYWORD_ONLY: 2}


def _live_signature(fn):
    """Parameters, defaults, how many may be passed by position and how many only so; None
    for *args or **kwargs."""
    params, defaults, kinds = [], {}, []
    for p in inspect.signature(fn).parameters.values():
        if p.kind not in _KINDS:
            return None
        params.append(p.name)
        kinds.append(_KINDS[p.kind])
        if p.default is not inspect.Parameter.empty:
            defaults[p.name] = p.default
    return params, defaults, kinds.count(0) + kinds.count(1), kinds.count(0)


def _static_signature(node):
    args = node.args
    if args.vararg or args.kwarg:
        return None
    positional = [a.id for a in list(args.posonlyargs) + list(args.args)]
    keyword_only = [a.id for a in args.kwonlyargs]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a.id, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    defaults = {name: _static_default(default) for name, default in pairs}
    return positional + keyword_only, defaults, len(positional), len(args.posonlyargs)


def _static_default(node):
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and isinstance(
            node.operand, gast.Constant) and type(node.operand.value) in (int, float):
        return -node.operand.value
    return object()


class Recursion:
    """The chain of callees being specialized, to refuse recursion clearly."""

    def __init__(self):
        self.stack = []

    def enter(self, callee, located, node):
        if any(c.key == callee.key for c in self.stack):
            raise SrcdiffError(
                f"{callee.name} calls itself (through {' -> '.join(c.name for c in self.stack)})"
                "; recursive functions are not supported",
                filename=located.filename, lineno=node.lineno, col_offset=node.col_offset,
                source_line=located.line(node.lineno), hint="write the recursion as a loop")
        self.stack.append(callee)

    def leave(self):
        self.stack.pop()


RECURSION = Recursion()
REGISTRY.add_structural("h(a, b), calling your own h",
                        callee_rule(Callee("h", fn=_example), None, None))
