"""The tangent statements of forward mode, one method per way a primitive makes its tangent
(each primitive names its method in :meth:`srcdiff.primitives.protocol.Rule.tangent_statement`).

A template primitive ``z = op(a, b)`` sums the tangent parts its JVP templates give for its
active operands: ``g * np.cos(x)`` reverse is ``x_dot * np.cos(x)`` forward. The parts are
made as the adjoints of reverse mode are (:func:`srcdiff.transforms.adjoints.instantiate`),
with ``x_dot`` standing for the operand's tangent; a part smaller than the result (an
operand that broadcasts) is spread over the result with ``np.full_like``.

A statement's tangent usually comes right after it. Where the tangent reads the old value
of the variable the statement assigns (``x = x * y``), it comes first; where it also reads
the result (``x = x / y``), the new value is kept apart (``x_new``) until the tangent is made.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..analysis.memory import allocations, written_roots
from ..backend import printer
from ..backend.simplify import simplify
from ..ir import code
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, PY, broadcast_shapes, holds_numbers
from ..ir.code import DEF, OBJ, TAN
from ..primitives import indexing
from ..primitives.protocol import Refusal, is_complex
from .adjoints import (
    instantiate,
    merge_repeats,
    np_call,
    numpy_division,
    python_calls_to_math,
    zero_like,
)


class TangentRules:
    """The forward transform's tangent statements (a mixin of
    :class:`srcdiff.transforms.forward._Forward`, whose state it uses)."""

    def given_python_floats(self):
        return {self.web(p): True for p in self.ssa.params
                if p.name in self.wrt and self.program.avals[p].kind == PY
                and self.program.avals[p].dtype is float}

    def tangent_of(self, stmt, op):
        """The tangent of operand ``op`` read at ``stmt``, or None where it is zero (a
        constant, or a value that does not depend on ``wrt``)."""
        if not isinstance(op, ir.Var):
            return None
        source = self.program.definition(stmt, op)
        if source is None or not self.activity.active(source):
            return None
        return code.ref(TAN, self.web(source))

    def zero(self, value, like):
        """The zero tangent of ``value`` (a definition), made from ``like`` where its kind
        needs it (an array of unknown shape)."""
        return zero_like(self.program.avals.get(value) or self.aval_of(self.web(value)), like)

    def _tangent_line(self, stmt, expr, target=None):
        return code.Assign(target or (TAN, self.web(stmt)), expr, role=code.TANGENT)

    def _zero_line(self, stmt):
        return self._tangent_line(stmt, self.zero(stmt, code.ref(DEF, self.web(stmt))))

    def primal_line(self, stmt, target=None):
        if stmt.value.rule.statement_only:
            return code.Expr(self.primal(stmt))
        return code.Assign(target or (DEF, self.web(stmt)), self.primal(stmt))

    # the ways primitives make their tangents

    def primal_only(self, stmt):
        """A statement run for its effect (``print``): no tangent."""
        return [self.primal_line(stmt)]

    def tangent_copy(self, stmt):
        lines = [code.Assign((DEF, self.web(stmt)), self.primal(stmt))]
        if not self.carries(stmt):
            return lines
        tangent = self.tangent_of(stmt, stmt.value) if self.activity.active(stmt) else None
        if tangent is None:
            return lines + [self._zero_line(stmt)]
        source = self.program.definition(stmt, stmt.value)
        return lines + [self._tangent_line(stmt, self.unaliased(stmt, tangent, [source]))]

    def tangent_call(self, stmt):
        """``z = op(a, b)``: the sum of the tangent parts of the active operands."""
        if not self.carries(stmt):
            return [self.primal_line(stmt)]
        if not self.activity.active(stmt):
            return [self.primal_line(stmt), self._zero_line(stmt)]
        call = stmt.value
        rule = call.rule
        bound = call.bound()
        active = [p for p in rule.params if p in bound
                  and self.tangent_of(stmt, bound[p]) is not None]
        if not active:
            return [self.primal_line(stmt), self._zero_line(stmt)]
        avals = {p: self.program.aval(stmt, op) for p, op in bound.items()}
        templates = rule.tangents(avals, bound)
        if templates is None and rule.user:
            raise self.fn.source.located.error(
                stmt.origin.node, f"{rule.name} has a reverse rule (defvjp) but no forward "
                "rule", f"give it one with srcdiff.defjvp({rule.name}, ...)")
        if templates is None:
            raise self.fn.source.located.error(
                stmt.origin.node, f"forward mode has no derivative rule for {rule.name} yet",
                "differentiate this function in reverse mode (gradient, vjp, jacrev)")
        chosen = dict(zip(rule.params, templates))
        for p in active:
            if isinstance(chosen[p], Refusal):
                raise self.fn.source.located.error(stmt.origin.node, chosen[p].message,
                                                   chosen[p].hint)
        used = [p for p in active if chosen[p] is not None]
        if not used:  # no tangent flows through the active operands (a comparison)
            return [self.primal_line(stmt), self._zero_line(stmt)]
        web = self.web(stmt)
        name = self.plan.names[web]
        reads_result = any("ans" in chosen[p].names for p in used)
        overwritten = any(
            self.plan.names[self.web(self.program.definition(stmt, bound[q]))] == name
            for p in used for q in chosen[p].names & set(bound) if isinstance(bound[q], ir.Var))
        result = code.ref(DEF, web)
        if reads_result and overwritten:
            result = code.ref(DEF, ("new", web))
        tangent = self._template_tangent(stmt, used, chosen, avals, result)
        line = self._tangent_line(stmt, tangent)
        if reads_result and overwritten:
            return [self.primal_line(stmt, (DEF, ("new", web))), line,
                    code.Assign((DEF, web), code.ref(DEF, ("new", web)))]
        if overwritten:
            return [line, self.primal_line(stmt)]
        return [self.primal_line(stmt), line]

    def _template_tangent(self, stmt, used, chosen, avals, result):
        call = stmt.value
        rule = call.rule
        bound = call.bound()
        result_aval = self.program.avals[stmt]
        complex_call = any(map(is_complex, [result_aval, *avals.values()]))
        all_python = all(a.kind == PY for a in avals.values()) and not complex_call
        names = {name: code.ref(OBJ, obj) for name, obj in rule.helpers.items()}
        for p, op in bound.items():
            names[p] = self.operand(stmt, op)
            names[f"{p}_dot"] = self.tangent_of(stmt, op) or code.const(0.0)
        names["ans"] = result
        parts, full = [], False
        for p in used:
            if chosen[p].applied:
                operand = bound[p]
                parts.append(printer.expression(call, lambda op, operand=operand, p=p: (
                    names[f"{p}_dot"] if op is operand else self.operand(stmt, op))))
                full = True
                continue
            expr = instantiate(chosen[p].expr, None, names, all_python)
            if not all_python:
                expr = python_calls_to_math(expr, self.aval_of)
            elif rule.numpy_semantics:
                expr = numpy_division(expr, self.aval_of)
            parts.append(simplify(expr, self.scalar))
            full = full or not rule.broadcasts or self._fills(parts[-1], result_aval)
        parts = merge_repeats(parts) if not result_aval.container else parts
        total = parts[0]
        for part in parts[1:]:
            if result_aval.container:  # tangents of tuples, lists and dicts add by element
                total = gast.Call(func=code.ref(OBJ, runtime.add_tree), args=[total, part],
                                  keywords=[])
            else:
                total = gast.BinOp(left=total, op=gast.Add(), right=part)
        if result_aval.kind == ARRAY and not full:
            return np_call("full_like", [code.clone(result), total])
        sources = [self.program.definition(stmt, bound[p]) for p in used]
        return self.unaliased(stmt, total, [s for s in sources if s is not None])

    def _fills(self, part, result_aval):
        """Whether an elementwise part surely has the result's shape: the shapes of the
        variables it reads broadcast to it."""
        shape = result_aval.known_shape
        if shape is None:
            return False
        shapes = []
        for kind, key in code.refs(part):
            if kind in (DEF, TAN):
                known = self.aval_of(key[1] if isinstance(key, tuple) and key[:1] == ("new",)
                                     else key).known_shape
                if known is None:
                    return False
                shapes.append(known)
        try:
            return broadcast_shapes(*shapes) == shape
        except ValueError:
            return False

    def written(self):
        """The allocations whose arrays some statement writes in place."""
        found = self.__dict__.get("_written")
        if found is None:
            found = self._written = allocations(frozenset().union(*(
                written_roots(self.program, self.program.memory, s)
                for s in ir.walk(self.fn.body) if isinstance(s, ir.Assign) and not s.is_copy
                and s.value.rule.writes is not None)))
        return found

    def unaliased(self, stmt, tangent, sources):
        """``x_dot.copy()`` where the tangent of a new array would be another value's
        tangent array itself (the tangent of one of ``sources``, the operands' values) and
        either may be written in place: the tangents must share memory only where the
        values do. (A variable a loop carries is one web of several values: its value on
        entry to this statement, not the web, says what memory the tangent came with.)"""
        ref = code.ref_of(tangent)
        if ref is None or ref[0] != TAN or self.program.avals[stmt].kind != ARRAY:
            return tangent
        memory = self.program.memory
        mine = memory.get(stmt, frozenset())
        theirs = frozenset().union(*(memory.get(v, frozenset()) for v in sources
                                     if self.web(v) == ref[1]))
        if mine & theirs or not allocations(mine | theirs) & self.written():
            return tangent
        return gast.Call(func=gast.Attribute(value=tangent, attr="copy", ctx=gast.Load()),
                         args=[], keywords=[])

    def scalar(self, node):
        ref = code.ref_of(node)
        return ref is not None and ref[0] in (DEF, TAN) and self.aval_of(
            ref[1][1] if isinstance(ref[1], tuple) and ref[1][:1] == ("new",) else ref[1]
        ).is_scalar

    def tangent_index(self, stmt):
        """``y = x[index]``: ``y_dot = x_dot[index]``."""
        if not self.carries(stmt):
            return [self.primal_line(stmt)]
        call = stmt.value
        source = self.tangent_of(stmt, call.args[0]) if self.activity.active(stmt) else None
        if source is None:
            return [self.primal_line(stmt), self._zero_line(stmt)]
        index = self.store_index_of(stmt, call)
        part = gast.Subscript(value=source, slice=index, ctx=gast.Load())
        return [self.primal_line(stmt), self._tangent_line(stmt, part)]

    def store_index_of(self, stmt, call):
        return indexing.fill(call.index, [self.operand(stmt, a) for a in call.args[1:]])

    def tangent_store(self, stmt):
        """``y[index] = v``: ``y_dot[index] = v_dot`` (zero where ``v`` has no tangent; with
        ``+=`` and ``-=``, nothing then)."""
        call = stmt.value
        web = self.web(stmt)
        op = call.rule.op
        lines = [code.Store((DEF, web), self.store_index(stmt), self.operand(stmt, call.args[1]),
                            op)]
        if not self.carries(stmt):
            return lines
        value = self.tangent_of(stmt, call.args[1])
        if value is None and op is not None:
            return lines
        if value is None:
            value = code.const(0.0)
        lines.append(code.Store((TAN, web), self.store_index(stmt), value, op,
                                role=code.TANGENT))
        return lines

    def tangent_pack(self, stmt):
        """``t = (a, b)``: ``t_dot = (a_dot, b_dot)``; an element without a tangent has a
        zero one (see :meth:`element_tangent`)."""
        if not self.carries(stmt):
            return [self.primal_line(stmt)]
        call = stmt.value
        elements = [self.element_tangent(stmt, operand) for operand in call.args]
        packed = call.rule.expression(call, lambda op: elements[call.args.index(op)])
        return [self.primal_line(stmt), self._tangent_line(stmt, packed)]

    def tangent_append(self, stmt):
        """``lst.append(v)``: ``lst_dot.append(v_dot)``."""
        call = stmt.value
        lines = [self.primal_line(stmt)]
        if not self.carries(stmt):
            return lines
        tangent = self.element_tangent(stmt, call.args[1])
        method = gast.Attribute(value=code.ref(TAN, self.web(stmt)), attr="append",
                                ctx=gast.Load())
        lines.append(code.Expr(gast.Call(func=method, args=[tangent], keywords=[]),
                               role=code.TANGENT))
        return lines

    def element_tangent(self, stmt, operand):
        """The tangent of a value put into a container: its own; a zero where it has none
        and is a number, or holds numbers only (an integer's is ``0.0``: a list that grows
        in a loop joins its elements' kinds, so a read may take the integer for a float and
        compute with its tangent); None where it is no number (a string, None)."""
        tangent = self.tangent_of(stmt, operand)
        if tangent is not None:
            return tangent
        aval = self.program.aval(stmt, operand)
        if not aval.differentiable and not holds_numbers(aval):
            return code.const(None)
        if not aval.differentiable and aval.kind in (PY, NP):
            return code.const(0.0)
        return zero_like(aval, self.operand(stmt, operand))

    def tangent_shrink(self, stmt):
        """``lst.pop()``: ``lst_dot.pop()``."""
        lines = [self.primal_line(stmt)]
        if self.carries(stmt):
            method = gast.Attribute(value=code.ref(TAN, self.web(stmt)), attr="pop",
                                    ctx=gast.Load())
            lines.append(code.Expr(gast.Call(func=method, args=[], keywords=[]),
                                   role=code.TANGENT))
        return lines

    def tangent_user_call(self, stmt):
        """``z = h(a, b)``: ``z, z_dot = h_jvp(a, b, a_dot, b_dot)``, the forward derivative
        srcdiff generates for ``h`` with respect to the arguments that have tangents."""
        call = stmt.value
        rule = call.rule
        bound = call.bound()
        active = [p for p in rule.params if p in bound
                  and self.tangent_of(stmt, bound[p]) is not None]
        if not self.carries(stmt) or not self.activity.active(stmt) or not active:
            lines = [self.primal_line(stmt)]
            return lines + [self._zero_line(stmt)] if self.carries(stmt) else lines
        avals = {p: self.program.aval(stmt, bound[p]) for p in rule.params}
        made = self.linker.jvp(rule.fn, avals, active, self.fn.source.located,
                               stmt.origin.node)
        positional = rule.params[:rule.positional]
        args = [self.operand(stmt, bound[p]) for p in positional]
        args += [self.tangent_of(stmt, bound[p]) for p in active]
        keywords = [gast.keyword(arg=p, value=self.operand(stmt, bound[p]))
                    for p in rule.params[len(positional):]]
        value = gast.Call(func=code.ref(OBJ, made), args=args, keywords=keywords)
        web = self.web(stmt)
        return [code.Assign(((DEF, web), (TAN, web)), value)]

