"""Walking back over branches and loops: each path of a branch and each loop body gets an
adjoint state of its own, and where the paths join, an adjoint one path left undefined is
made zero on it; a loop's carried adjoints are variables, its trip count recorded."""

from __future__ import annotations

import gast

from ..ir import code
from ..ir import nodes as ir
from ..ir.code import ADJ, DEF, OBJ
from ..ir.ssa import UNDEFINED, Phi
from .adjoint_state import Lazy, expression_of


class ControlFlow:
    """A part of the reverse transform (see :mod:`srcdiff.transforms.reverse`)."""

    def checkpoint(self, stmt):
        """An inactive ``if`` or loop is undone as a whole: the variables it changes that
        the reverse sweep reads were saved before it and are restored here."""
        return [code.Pop(w) for w in reversed(self.plan.checkpoints.get(stmt, []))]

    def reverse_if(self, stmt, state):
        if id(stmt) not in self.plan.active_blocks:
            return self.checkpoint(stmt)
        before = state.copy()
        body_state, else_state = state.copy(), state.copy()
        body = self.reverse(stmt.body, body_state)
        orelse = self.reverse(stmt.orelse, else_state)
        outside = self._outside(stmt)
        state.clear()
        keys = set(body_state) | set(else_state) | set(before)
        for web in sorted(keys, key=self.position):
            a, b = body_state.get(web), else_state.get(web)
            if a is None and b is None:
                continue
            if web not in outside and web not in before:
                continue
            if _same(a, b):
                state[web] = a
                continue
            self.adjoints.materialize(web, body_state, body)
            self.adjoints.materialize(web, else_state, orelse)
            state[web] = code.ref(ADJ, web)
        state.owned = body_state.owned & else_state.owned
        if not _has_code(body) and not _has_code(orelse):
            return []
        lines = [code.Comment(f"{stmt.origin.text}   (line {stmt.origin.lineno})")]
        return lines + [code.If(self.operand(stmt, stmt.test), body, orelse)]

    def _outside(self, stmt):
        """Variables whose adjoints matter outside ``stmt``: defined or read outside it."""
        inside = set(ir.walk([stmt]))
        outside = set()
        for other in ir.walk(self.fn.body):
            if other in inside:
                continue
            for value in self.ssa.uses.get(other, {}).values():
                outside.add(self.web(value))
            if isinstance(other, (ir.Assign, ir.For)):
                outside.add(self.web(other))
        outside.update(self.web(p) for p in self.ssa.params)
        return outside

    def reverse_loop(self, stmt, state):
        if id(stmt) not in self.plan.active_blocks:
            return self.checkpoint(stmt)
        outside = self._outside(stmt) | self._loop_carried(stmt)
        touched = self._touched(stmt)
        lines = []
        carried = [w for w in touched if w in outside]
        for web in sorted(carried, key=self.position):
            if web in state or self._receives(stmt, web):
                self.adjoints.materialize(web, state, lines)
        in_place = self._own_before(stmt, carried, state, lines)
        body_state = state.restricted(outside)
        owned_on_entry = set(body_state.owned)
        body = self.reverse(stmt.body, body_state)
        if isinstance(stmt, ir.For):
            # Walking back over the loop header: it gave the target a new value, so the
            # target's adjoint does not reach the value before.
            body_state.pop(self.web(stmt), None)
        if body:
            body = [code.Assign((DEF, self.web(d)), self.primal(d), role=code.RECOMPUTE,
                                origin=d)
                    for d in self.plan.recomputed.get(stmt, [])] + body
            body = [code.Pop(self.name(s), role=code.TAPE_POP, origin=s) for s in stmt.body
                    if s in self.plan.pushed_after] + body
        for web in sorted(carried, key=self.position):
            if web in state and body_state.get(web) != state.get(web):
                if body_state.get(web) is None or not code.ref_of(body_state[web]):
                    self.adjoints.materialize(web, body_state, body)
        for web in sorted(set(carried) & in_place & owned_on_entry, key=self.position):
            current = body_state.get(web)
            if web not in body_state.owned and code.ref_of(current) is not None:
                # The body changes this adjoint in place, as its own array: so it must be
                # its own array again when the next (earlier) iteration begins.
                body.append(code.Assign((ADJ, web), code.copy_of(code.clone(current))))
                body_state[web] = code.ref(ADJ, web)
                body_state.owned.add(web)
        for web in carried:
            if body_state.get(web) is not None:
                state[web] = code.ref(ADJ, web)
        state.owned = state.owned & body_state.owned
        if not body:
            return lines
        if isinstance(stmt, ir.While):
            iterable = gast.Call(func=code.ref(OBJ, range), args=[self._trips(stmt)],
                                 keywords=[])
            target = None
        else:
            iterable = self.iterable(stmt)
            if stmt.trips:
                iterable = gast.Subscript(value=iterable, slice=gast.Slice(
                    lower=None, upper=self._trips(stmt), step=None), ctx=gast.Load())
            iterable = gast.Call(func=code.ref(OBJ, reversed), args=[iterable], keywords=[])
            target = self.web(stmt)
        comment = code.Comment(f"{stmt.origin.text}   (line {stmt.origin.lineno})")
        return lines + [comment, code.For(target, iterable, body)]

    def _own_before(self, loop, carried, state, lines):
        """An adjoint the loop body changes in place (``y_bar[t] = 0.0``, ``x_bar[i] +=
        g``) is made this sweep's own array once, before the loop, rather than copied on
        every iteration."""
        targets = set()
        for inner in ir.walk(loop.body):
            if not (isinstance(inner, ir.Assign) and not inner.is_copy
                    and self.activity.active(inner)):
                continue
            rule = inner.value.rule
            if rule.writes_part:
                targets.add(self.web(inner))
            elif rule.reads_part and not self.program.aval(inner, inner.value.args[0]).container:
                source = self.program.definition(inner, inner.value.args[0])
                if source is not None and source is not UNDEFINED:
                    targets.add(self.web(source))
        owned = state.owned
        for web in sorted(set(carried) & targets, key=self.position):
            current = state.get(web)
            if web in owned or not code.ref_of(current) or isinstance(current, Lazy):
                continue
            lines.append(code.Assign((ADJ, web), code.copy_of(code.clone(current))))
            state[web] = code.ref(ADJ, web)
            owned.add(web)
        return targets

    def _trips(self, stmt):
        counter = next(s for s in ir.walk(self.fn.body)
                       if isinstance(s, ir.Assign) and s.target == stmt.trips)
        return code.ref(DEF, self.web(counter))

    def _touched(self, stmt):
        """Variables whose adjoints the reversed loop may change: those it assigns (an
        inactive assignment ends the adjoint of the value it overwrites), its target, and
        the active values it reads."""
        touched = {self.web(stmt)} if isinstance(stmt, ir.For) else set()
        for inner in ir.walk(stmt.body):
            if isinstance(inner, (ir.Assign, ir.For)):
                touched.add(self.web(inner))
            if isinstance(inner, ir.Assign) and self.activity.active(inner):
                for value in self.ssa.uses.get(inner, {}).values():
                    if value is not UNDEFINED and self.activity.active(value):
                        touched.add(self.web(value))
        return touched

    def _loop_carried(self, stmt):
        """Variables whose values flow from one iteration of the loop into the next: those
        whose value at the loop's head is read (a variable the body always assigns before
        reading it is not)."""
        if not hasattr(self, "_read_phis"):
            self._read_phis = set()
            stack = [v for uses in self.ssa.uses.values() for v in uses.values()
                     if isinstance(v, Phi)]
            while stack:
                phi = stack.pop()
                if phi not in self._read_phis:
                    self._read_phis.add(phi)
                    stack.extend(v for v in phi.inputs if isinstance(v, Phi))
        return {self.web(phi) for phi in self._read_phis if phi.node is stmt and phi.head}

    def _receives(self, stmt, web):
        """Whether the loop adds to this adjoint (rather than only consuming it)."""
        for inner in ir.walk(stmt.body):
            if isinstance(inner, ir.Assign) and self.activity.active(inner):
                for value in self.ssa.uses.get(inner, {}).values():
                    if value is not UNDEFINED and self.web(value) is web:
                        return True
        return False


def _has_code(lines):
    return any(not isinstance(line, code.Comment) for line in lines)


def _same(a, b):
    if a is None or b is None:
        return a is b
    if isinstance(a, Lazy) != isinstance(b, Lazy):
        return False
    a, b = expression_of(a), expression_of(b)
    return gast.dump(a) == gast.dump(b) and code.ref_of(a) == code.ref_of(b)
