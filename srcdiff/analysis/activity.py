"""Stage 3: activity analysis over SSA values.

A value is *varied* when it depends on a ``wrt`` parameter through differentiable
operations, and *useful* when the result depends on it the same way. Only values that are
both (active) get an adjoint. Integers, booleans and comparisons are never active.
"""

from __future__ import annotations

from ..ir import nodes as ir
from ..ir.records import Record
from ..ir.ssa import UNDEFINED, Param, Phi


class Activity(Record):
    fields = ("varied", "useful")
    compared = ("varied", "useful")

    def __init__(self, varied, useful):
        self.varied = varied
        self.useful = useful

    def active(self, value):
        return value in self.varied and value in self.useful


def analyze(program, wrt, unused_outputs=()):
    """``unused_outputs``: positions (or keys) of a tuple, list or dict result whose adjoint
    the caller knows to be zero. What reaches only those is not useful: the VJP neither
    computes it nor multiplies a zero by a derivative that may not exist there."""
    ssa = program.ssa
    inputs = {}
    for stmt in ir.walk(program.fn.body):
        if isinstance(stmt, ir.Assign):
            aval = program.avals.get(stmt)
            if aval is not None and aval.differentiable:
                inputs[stmt] = [ssa.read(stmt, op) for op in differentiable_operands(stmt)
                                if isinstance(op, ir.Var)]
    for phi in ssa.phis:
        aval = program.avals.get(phi)
        if aval is not None and aval.differentiable:
            inputs[phi] = [v for v in phi.inputs if v is not UNDEFINED]
    consumers = {}
    for value, sources in inputs.items():
        for source in sources:
            consumers.setdefault(source, []).append(value)
    varied = _closure([Param(n) for n in wrt if program.avals[Param(n)].differentiable],
                      consumers)
    shells, start = set(), []
    if program.result is not None:
        _seed_result(program, program.result, frozenset(unused_outputs), shells, start)
    useful = _closure(start, inputs) | shells
    return Activity(varied, useful)


def _seed_result(program, value, unused, shells, start):
    """Start usefulness at the result; where it is a container written out on every path
    (``return a, b``), at the elements the caller uses. The containers themselves (the
    ``shells``) are useful, but not through the elements left out."""
    if value in shells:
        return
    if not unused:
        start.append(value)
        return
    if isinstance(value, Phi):
        shells.add(value)
        for source in value.inputs:
            if source is not UNDEFINED:
                _seed_result(program, source, unused, shells, start)
        return
    if isinstance(value, ir.Assign) and value.is_copy and isinstance(value.value, ir.Var):
        shells.add(value)
        _seed_result(program, program.ssa.read(value, value.value), unused, shells, start)
        return
    if isinstance(value, ir.Assign) and not value.is_copy and value.value.rule.packs:
        shells.add(value)
        call = value.value
        keys = call.rule.keys or range(len(call.args))
        start.extend(program.ssa.read(value, operand) for key, operand in zip(keys, call.args)
                     if key not in unused and isinstance(operand, ir.Var))
        return
    start.append(value)


def _closure(start, edges):
    seen = set()
    stack = list(start)
    while stack:
        value = stack.pop()
        if value in seen or value is UNDEFINED:
            continue
        seen.add(value)
        stack.extend(edges.get(value, ()))
    return seen


def differentiable_operands(stmt):
    """Operands through which a derivative can flow (those with a VJP template)."""
    if stmt.is_copy:
        return [stmt.value]
    bound = stmt.value.bound()
    rule = stmt.value.rule
    return [bound[p] for p, template in zip(rule.params, rule.templates)
            if template is not None or _has_case(rule, p)]


def _has_case(rule, name):
    position = rule.params.index(name)
    return any(case.templates[position] is not None for case in rule.cases)
