"""Specialization: abstract values for every definition, given the arguments' values.

Straight-line code is in SSA form implicitly: each assignment is a definition, identified by
its index in the body; parameters are definitions ``("param", name)``. Result types come from
evaluating the primitive itself on tiny samples of the operands' kinds and dtypes, so NumPy's
own promotion rules decide them; shapes follow broadcasting or the rule's kind.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from . import avals, ir
from .avals import ARRAY, NP, PY, UNKNOWN, AVal
from .rules.registry import ELEMENTWISE, MATMUL, NONDIFF, REDUCE, SCALAR


@dataclass
class Program:
    """A lowered function with its definitions resolved and their abstract values."""

    fn: ir.Function
    avals: dict = field(default_factory=dict)
    uses: dict = field(default_factory=dict)
    result: object = None

    def aval(self, index, operand):
        if isinstance(operand, ir.Var):
            return self.avals[self.uses[index][operand.name]]
        if isinstance(operand, ir.Global):
            return global_aval(operand)
        return avals.of_value(operand.value)

    def definition(self, index, operand):
        return self.uses[index].get(operand.name) if isinstance(operand, ir.Var) else None


def param(name):
    return ("param", name)


def global_aval(operand):
    if not operand.known:
        return avals.UNKNOWN_AVAL
    aval = avals.of_value(operand.value)
    return aval if aval.kind == PY else avals.generalize(aval)


def specialize(fn, param_avals, located):
    program = Program(fn)
    current = {}
    aliased = set()
    for p in fn.params:
        program.avals[param(p.name)] = param_avals[p.name]
        current[p.name] = param(p.name)
    for index, stmt in enumerate(fn.body):
        program.uses[index] = {op.name: current[op.name] for op in _operands(stmt)
                               if isinstance(op, ir.Var)}
        if isinstance(stmt, ir.Return):
            program.result = program.definition(index, stmt.value)
            continue
        if stmt.augmented:
            _check_in_place(program, index, stmt, current, aliased, located)
        if stmt.is_copy:
            program.avals[index] = program.aval(index, stmt.value)
            source = program.definition(index, stmt.value)
            if source is not None:
                aliased.update((source, index))
        else:
            program.avals[index] = _result(program, index, stmt, located)
        current[stmt.target] = index
    return program


def _check_in_place(program, index, stmt, current, aliased, located):
    """``y += v`` updates an array in place; srcdiff lowers it to ``y = y + v``, which is the
    same only when nobody else can see the old array."""
    previous = current[stmt.target]
    if program.avals[previous].is_scalar:
        return
    if isinstance(previous, tuple):
        raise located.error(stmt.origin.node, f"'{stmt.origin.text}' would change the caller's "
                            f"array {stmt.target} in place",
                            f"write {stmt.target} = {stmt.target} ... to make a new array")
    if previous in aliased:
        raise located.error(stmt.origin.node, f"'{stmt.origin.text}' would also change every "
                            f"other name for the same array",
                            f"write {stmt.target} = {stmt.target} ... to make a new array")


def _operands(stmt):
    return [stmt.value] if isinstance(stmt, ir.Return) else stmt.operands()


def _result(program, index, stmt, located):
    call = stmt.value
    rule = call.rule
    bound = call.bound()
    args = {p: program.aval(index, op) for p, op in bound.items()}
    if rule.shape is not None:
        return rule.shape(args, bound)
    if any(a.kind == UNKNOWN for a in args.values()):
        return AVal(PY, float) if rule.kind == SCALAR else avals.UNKNOWN_AVAL
    try:
        value = _evaluate(rule, bound, args)
    except Exception as exc:  # the primitive rejected its operands' kinds
        raise located.error(stmt.origin.node, f"{_spelled(call)} cannot be applied to "
                            f"{', '.join(a.describe() for a in args.values())}: {exc}") from None
    shape = _shape(rule, args)
    if shape is _FAILED:
        raise located.error(stmt.origin.node, f"{_spelled(call)}: operand shapes "
                            f"{', '.join(a.describe() for a in args.values())} do not match")
    return avals.from_result(value, shape)


def _spelled(call):
    return call.spelling or call.rule.name


def _evaluate(rule, bound, args):
    samples = {}
    for name, operand in bound.items():
        if isinstance(operand, ir.Const):
            samples[name] = operand.value
        elif isinstance(operand, ir.Global) and avals.of_value(operand.value).kind == PY:
            samples[name] = operand.value
        else:
            samples[name] = avals.sample(args[name], rule.domain.get(name, "real"))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return rule.fn(*[samples[p] for p in rule.params])


_FAILED = object()


def _shape(rule, args):
    shapes = [avals.shape_of(a) for a in args.values() if a.kind in (PY, NP, ARRAY)]
    if rule.kind in (ELEMENTWISE, NONDIFF):
        try:
            return avals.broadcast_shapes(*shapes)
        except ValueError:
            return _FAILED
    if rule.kind == SCALAR or rule.kind == REDUCE:
        return ()
    if rule.kind == MATMUL:
        return _matmul_shape(*[avals.shape_of(a) for a in args.values()])
    return None


def _matmul_shape(a, b):
    if a is None or b is None:
        return None
    if len(a) == 0 or len(b) == 0:
        return avals.broadcast_shapes(a, b)
    inner_a, inner_b = a[-1], (b[-2] if len(b) > 1 else b[0])
    if isinstance(inner_a, int) and isinstance(inner_b, int) and inner_a != inner_b:
        return _FAILED
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return b[:-2] + b[-1:]
    if len(b) == 1:
        return a[:-1]
    return avals.broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1])

