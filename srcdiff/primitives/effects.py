"""Statements run for their effect, which the derivative's forward sweep always keeps.

The forward sweep normally keeps only what the adjoints read; a ``print(...)`` in the user's
function, or the check that a maybe-unbound name was bound (see :mod:`srcdiff.frontend.bindings`),
has no value anyone reads, yet dropping it would change what the function visibly does. Such
a call is lowered as an assignment to a temporary that nothing reads, marked with the
``effect`` form: the forward sweep runs it where the function does, as an expression
statement, and the reverse sweep passes over it (it has no derivative).
"""

from __future__ import annotations

import builtins

from .. import runtime
from ..ir import nodes as ir
from ..ir.avals import OTHER, AVal
from .protocol import NONDIFF, Rule
from .registry import REGISTRY

EFFECT = "effect"


def is_effect(stmt):
    return isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Call) and (
        stmt.value.form == EFFECT)


def _returns_none(avals, bound):
    """Its result is None; the call is never evaluated while compiling."""
    return AVal(OTHER, pytype=type(None))


class EffectRule(Rule):
    """A call run for what it does, with no value anyone reads and no derivative."""

    statement_only = True
    pure = False
    adjoint_text = "none: the forward sweep runs it where the function does"

    def tangent_statement(self, sweep, stmt):
        return sweep.primal_only(stmt)


def print_call(args, keywords):
    """``print(a, b, sep=...)``: keyword names as written; the operands already lowered."""
    params = tuple(f"e{k}" for k in range(len(args))) + tuple(name for name, _ in keywords)
    rule = EffectRule(fn=builtins.print, name="print", params=params, defaults={},
                      templates=(None,) * len(params), kind=NONDIFF, shape=_returns_none,
                      positional=len(args))
    return ir.Call(rule, tuple(args), tuple(keywords), "print", form=EFFECT)


def _check(fn, params, notes):
    """A runtime helper that checks something and raises, called for that alone: generated
    code calls it as a statement (so does a derivative of generated code). Nothing flows
    through it, in either mode."""
    rule = EffectRule(fn=fn, name=f"srcdiff.runtime.{fn.__name__}", params=params, defaults={},
                      templates=(None,) * len(params), kind=NONDIFF, shape=_returns_none,
                      notes=notes, family="helpers")
    rule.jvp = (None,) * len(params)
    return rule


_REQUIRE = _check(runtime.require_assigned, ("assigned", "name"),
                  "a check run for its effect: raises UnboundLocalError where a local is read "
                  "before any assignment")
CHECKS = (_REQUIRE, _check(runtime.check_scalar, ("value", "name"),
                           "a check run for its effect: refuses a result that is not a "
                           "scalar where its rank was not known when the derivative was made"))


REGISTRY.add_structural("print(a, b)", print_call([ir.Var("a"), ir.Var("b")], []).rule)


def require_assigned_call(flag, name):
    """The check before a read of ``name`` that may come before any assignment."""
    return ir.Call(_REQUIRE, (ir.Var(flag), ir.Const(name, repr(name))), (),
                   "require_assigned", form=EFFECT)


def effect_call(rule, args, keywords, spelling):
    """A call of one of the checks, as the code it appears in spells it (a derivative of
    generated code meets ``require_assigned(t3_assigned, 'y')``)."""
    return ir.Call(rule, tuple(args), tuple(keywords), spelling, form=EFFECT)
