"""Stage 3: activity analysis.

A definition is *varied* when it depends on a ``wrt`` parameter through differentiable
operations, and *useful* when the result depends on it the same way. Only definitions that
are both (active) get an adjoint. Integers, booleans and comparisons are never active.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ir
from .infer import param


@dataclass
class Activity:
    varied: set
    useful: set

    def active(self, definition):
        return definition in self.varied and definition in self.useful


def analyze(program, wrt):
    fn = program.fn
    varied = {param(name) for name in wrt if program.avals[param(name)].differentiable}
    for index, stmt in enumerate(fn.body):
        if isinstance(stmt, ir.Return) or not program.avals[index].differentiable:
            continue
        if any(program.definition(index, op) in varied for op in differentiable_operands(stmt)):
            varied.add(index)
    useful = set()
    if program.result is not None:
        useful.add(program.result)
    for index in range(len(fn.body) - 1, -1, -1):
        stmt = fn.body[index]
        if isinstance(stmt, ir.Return) or index not in useful:
            continue
        for op in differentiable_operands(stmt):
            definition = program.definition(index, op)
            if definition is not None:
                useful.add(definition)
    return Activity(varied, useful)


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
