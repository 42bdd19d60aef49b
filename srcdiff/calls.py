"""Calls into the user's own functions.

A call ``z = h(a, b)`` stays a call in the forward sweep. Walking back over it, the reverse
sweep calls ``h``'s vector-Jacobian product, ``a_bar, b_bar = h_vjp(a, b, z_bar)``, a
function srcdiff generates for ``h`` (specialized on the arguments' kinds, recursively for
what ``h`` calls) and prints beside the caller's derivative. ``h_vjp`` recomputes ``h``'s
forward sweep, so a call costs about two forward evaluations and no tape space.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import gast

from .errors import SrcdiffError
from .rules.registry import Rule

USER = "user"
ACTIVE = object()


@dataclass(eq=False)
class Callee:
    """A user function called from differentiated code: live (``fn``) or read from a file
    (``node``, with the file's ``source`` and static ``scope``)."""

    name: str
    fn: object = None
    node: object = None
    source: object = None
    scope: object = None
    lowered: object = field(default=None, repr=False)

    @property
    def key(self):
        return self.fn.__code__ if self.fn is not None else self.node

    def lower(self):
        if self.lowered is None:
            from . import lower, parse
            from .scope import RuntimeScope
            if self.fn is not None:
                source, node = parse.function_source(self.fn)
                scope = RuntimeScope(self.fn)
            else:
                source, node, scope = self.source, self.node, self.scope
            self.lowered = (lower.lower(source, node, scope), scope)
        return self.lowered


def callee_rule(callee, located, call_node):
    """A rule for calling ``callee``: its parameters and literal defaults."""
    if callee.fn is not None:
        params, defaults = _live_signature(callee.fn)
    else:
        params, defaults = _static_signature(callee.node)
    if params is None:
        raise located.error(call_node, f"{callee.name} takes *args, **kwargs or keyword-only "
                            "parameters, which calls into user functions do not support yet",
                            "give it plain parameters")
    bad = [p for p, v in defaults.items() if not _literal(v)]
    if bad:
        raise located.error(call_node, f"the default value of {callee.name}'s parameter "
                            f"{bad[0]} is not a number, string, bool or None",
                            "pass that argument explicitly")
    return Rule(fn=callee, name=callee.name, params=tuple(params), defaults=defaults,
                templates=(ACTIVE,) * len(params), kind=USER)


def _literal(value):
    return value is None or isinstance(value, (bool, int, float, complex, str))


def _live_signature(fn):
    params, defaults = [], {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            return None, {}
        params.append(p.name)
        if p.default is not inspect.Parameter.empty:
            defaults[p.name] = p.default
    return params, defaults


def _static_signature(node):
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        return None, {}
    params = [a.id for a in args.args]
    defaults = {}
    for name, default in zip(params[len(params) - len(args.defaults):], args.defaults):
        defaults[name] = default.value if isinstance(default, gast.Constant) else object()
    return params, defaults


class Recursion:
    """The chain of callees being specialized, to refuse recursion clearly."""

    def __init__(self):
        self.stack = []

    def enter(self, callee, located, node):
        if any(c.key is callee.key for c in self.stack):
            raise SrcdiffError(
                f"{callee.name} calls itself (through {' -> '.join(c.name for c in self.stack)})"
                "; recursive functions are not supported",
                filename=located.filename, lineno=node.lineno, col_offset=node.col_offset,
                source_line=located.line(node.lineno), hint="write the recursion as a loop")
        self.stack.append(callee)

    def leave(self):
        self.stack.pop()


RECURSION = Recursion()
