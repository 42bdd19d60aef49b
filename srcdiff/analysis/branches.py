"""Branches that the arguments' kinds decide: ``if b is None:`` where ``b`` defaults to None.

A derivative is specialized on the kinds of its arguments, and None is a kind of its own:
for ``b=None`` the test ``b is None`` is true on every call that derivative serves (its
type guard sends other calls elsewhere), and for a float ``b`` it is false. The branch not
taken is dropped before specialization, so that its code (``x * b`` with ``b`` None) is
neither specialized nor differentiated: the derivative takes the branch the function takes.
"""

from __future__ import annotations

import operator

from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, OTHER, PY
from ..ir.ssa import SSA, Param, Phi

_IDENTITY = (operator.is_, operator.is_not)


def decided(fn, param_avals):
    """``fn`` with each branch whose test the arguments' kinds decide replaced by the
    branch taken: a copy, since ``fn`` serves every specialization."""
    if not any(_calls(stmt, _IDENTITY) for stmt in ir.walk(fn.body)):
        return fn
    copied = None
    while True:
        current = copied or fn
        ssa = SSA(current)
        found = _decided_branch(current.body, ssa, param_avals)
        if found is None:
            return current
        if copied is None:
            copied = fn.with_body(ir.copy_block(fn.body))
            continue
        branch, taken = found
        _splice(copied.body, branch, branch.body if taken else branch.orelse)


def _decided_branch(body, ssa, param_avals):
    for stmt in ir.walk(body):
        if isinstance(stmt, ir.If) and isinstance(stmt.test, ir.Var):
            truth = _truth(ssa.read(stmt, stmt.test), ssa, param_avals)
            if truth is not None:
                return stmt, truth
    return None


def _truth(value, ssa, param_avals):
    """The truth of a test's value where the kinds decide it, else None."""
    if not isinstance(value, ir.Assign):
        return None
    if value.is_copy:
        if isinstance(value.value, ir.Var):
            return _truth(ssa.read(value, value.value), ssa, param_avals)
        return None
    call = value.value
    if _calls(value, (operator.not_,)):
        inner = _truth(ssa.read(value, call.args[0]), ssa, param_avals) if isinstance(
            call.args[0], ir.Var) else None
        return None if inner is None else not inner
    if not _calls(value, _IDENTITY):
        return None
    left, right = (_is_none(value, op, ssa, param_avals) for op in call.args)
    if left is None or right is None or not (left or right):
        return None
    same = left == right
    return same if call.rule.fn is operator.is_ else not same


def _is_none(stmt, operand, ssa, param_avals):
    """Whether ``operand`` holds None (True), something else (False), or may hold either."""
    if isinstance(operand, ir.Const):
        return operand.value is None
    if isinstance(operand, ir.Global):
        return operand.value is None if operand.known else None
    return _value_is_none(ssa.read(stmt, operand), ssa, param_avals, set())


def _value_is_none(value, ssa, param_avals, seen):
    if isinstance(value, Param):
        aval = param_avals[value.name]
        if aval.kind == OTHER and aval.pytype is type(None):
            return True
        return False if aval.kind in (PY, NP, ARRAY) or aval.container else None
    if isinstance(value, Phi):
        if id(value) in seen:
            return None
        seen.add(id(value))
        found = {_value_is_none(v, ssa, param_avals, seen) for v in value.inputs}
        return found.pop() if len(found) == 1 else None
    if isinstance(value, ir.Assign) and value.is_copy:
        if isinstance(value.value, ir.Var):
            return _value_is_none(ssa.read(value, value.value), ssa, param_avals, seen)
        return _is_none(value, value.value, ssa, param_avals)
    if isinstance(value, ir.Assign) and value.value.rule.packs:
        return False
    return None


def _calls(stmt, functions):
    return isinstance(stmt, ir.Assign) and not stmt.is_copy and any(
        stmt.value.rule.fn is f for f in functions)


def _splice(block, branch, taken):
    for position, stmt in enumerate(block):
        if stmt is branch:
            block[position:position + 1] = taken
            return True
        if any(_splice(sub, branch, taken) for sub in getattr(stmt, "blocks", list)()):
            return True
    return False


def without_loops(fn, loops):
    """``fn`` without the loops in ``loops``, each replaced by its ``else`` block: loops
    over sequences that the kinds say are empty (``for v in acc`` after ``acc = []``), whose
    bodies never run, so that they are neither specialized nor differentiated."""
    copied = fn.with_body(ir.copy_block(fn.body))
    twins = dict(zip(map(id, ir.walk(fn.body)), ir.walk(copied.body)))
    for loop in loops:
        twin = twins[id(loop)]
        _splice(copied.body, twin, twin.orelse)
    return copied
