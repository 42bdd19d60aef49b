"""Lowering the user functions that differentiated code calls, and what their derivatives
depend on: the lowered code, and the module-level and closure constants it read.

A callee is lowered once, when a caller's specialization first reaches it; its derivative
is cached under :func:`specialized_key`, which holds the constants' values, so that two
closures from one factory, or one text in two modules, never share a derivative.
"""

from __future__ import annotations

import numpy as np

from ..ir import nodes as ir
from ..primitives.calls import Callee
from . import lower, parse
from .scope import RuntimeScope

MATERIALIZE = None
"""``(derivative, argument kinds) -> function``: the plain function that a derivative srcdiff
made runs for arguments of these kinds (set by :mod:`srcdiff.driver.higher`, which makes
it from the derivative's printed code)."""

_RESOLVED = {}


def is_derivative(fn):
    return getattr(fn, "__srcdiff__", None) is not None


def resolved(callee, args):
    """The callee to lower for arguments of kinds ``args``: itself, or for a derivative
    srcdiff made (``G = gradient(f)`` called inside a function being differentiated), the
    plain function that its printed code is for those kinds."""
    if callee.fn is None or not is_derivative(callee.fn):
        return callee
    key = (id(callee.fn), tuple(args.items()))
    found = _RESOLVED.get(key)
    if found is None or found[0] is not callee.fn or not found[2].current():
        made = MATERIALIZE(callee.fn, tuple(args.values()))
        found = _RESOLVED[key] = (callee.fn, Callee(callee.name, fn=made.function), made)
    return found[1]


def lowered(callee):
    """``(fn_ir, scope)`` of a callee, lowered on first use."""
    if callee.lowered is None:
        if callee.fn is not None:
            source, node = parse.function_source(callee.fn)
            scope = RuntimeScope(callee.fn)
        else:
            source, node, scope = callee.source, callee.node, callee.scope
        callee.lowered = (lower.lower(source, node, scope, callee=True), scope)
    return callee.lowered


def specialized_key(callee):
    """``callee.key`` with the values of the module-level and closure constants that its
    lowered code (and the code of the functions it calls) was specialized on."""
    if callee.specialized is None:
        fn_ir, scope = lowered(callee)
        callee.specialized = (callee.key, tuple(
            (name, constant_key(value)) for _, name, value in watched_constants(fn_ir, scope)))
    return callee.specialized


def watched_constants(fn_ir, scope):
    """``(scope, name, value)`` for the module-level and closure names read by ``fn_ir`` and
    by the user functions it calls, with the values they had when they were lowered."""
    found, seen = [], set()

    def visit(fn_ir, scope):
        found.extend((scope, name, value) for name, value in fn_ir.constants.items())
        for stmt in ir.walk(fn_ir.body):
            if isinstance(stmt, ir.Assign) and not stmt.is_copy and (
                    stmt.value.rule.callee is not None):
                callee = stmt.value.rule.callee
                if callee.fn is not None and not is_derivative(callee.fn) and (
                        callee.key not in seen):
                    seen.add(callee.key)
                    visit(*lowered(callee))
    visit(fn_ir, scope)
    return found


def constant_key(value):
    """What a derivative may depend on in a module-level value: a literal's type and value,
    an array's dtype and rank (its contents are read live), another object's identity."""
    if value is None or isinstance(value, (bool, int, str)):
        return (type(value), value)
    if isinstance(value, (float, complex)):
        return (type(value), repr(value))
    if isinstance(value, tuple):
        return (tuple, tuple(constant_key(v) for v in value))
    if isinstance(value, np.ndarray):
        return (np.ndarray, value.dtype.str, value.ndim)
    return ("object", id(value))
