"""The forward sweep of a reverse-mode derivative: the primal code, printed from the IR
with the tape pushes the plan asks for, each statement stamped with its origin and role."""

from __future__ import annotations

from ..ir import code
from ..ir import nodes as ir
from ..ir.avals import ARRAY
from ..ir.code import DEF
from ..primitives import indexing
from .primal import PrimalPrinter
from .sites import END, SHAPE


class ForwardSweep(PrimalPrinter):
    """A part of the reverse transform (see :mod:`srcdiff.transforms.reverse`)."""

    def forward(self, block):
        """The forward sweep of ``block``; each statement knows the IR statement it came
        from and its role (forward, or a tape push)."""
        out = []
        for stmt in block:
            made = self._forward_statement(stmt)
            for line in made:
                if isinstance(line, code.Push):
                    line.role = code.TAPE_PUSH
            out += code.stamp(made, code.FORWARD, stmt)
        return out

    def _forward_statement(self, stmt):
        out = []
        kept = self.plan.kept
        if stmt not in kept:
            return out
        out += [code.Push(w) for w in self.plan.checkpoints.get(stmt, [])]
        if isinstance(stmt, ir.Assign):
            if stmt in self.plan.pushed_after:
                return [code.Assign((DEF, self.web(stmt)), self.primal(stmt)),
                        self.push(stmt)]
            if stmt in self.plan.pushed:
                out.append(self.push(stmt))
            if not stmt.is_copy and stmt.value.rule.writes_part:
                call = stmt.value
                out.append(code.Store((DEF, self.web(stmt)), self.store_index(stmt),
                                      self.operand(stmt, call.args[1]),
                                      call.rule.symbol[:-1] or None))
                return out
            if not stmt.is_copy and stmt.value.rule.statement_only:
                out.append(code.Expr(self.primal(stmt)))
                return out
            out.append(code.Assign((DEF, self.web(stmt)), self.primal(stmt)))
        elif isinstance(stmt, ir.If):
            body, orelse = self.forward(stmt.body), self.forward(stmt.orelse)
            if body or orelse:
                out.append(code.If(self.operand(stmt, stmt.test), body, orelse))
        elif isinstance(stmt, ir.For):
            body = self.forward(stmt.body)
            if body or self._target_read_after(stmt):
                out.append(code.For(self.web(stmt), self.iterable(stmt), body))
        elif isinstance(stmt, ir.While):
            test = self.forward(stmt.test_body)
            out += test
            body = self.forward(stmt.body) + [code.clone_statement(s) for s in test]
            out.append(code.While(self.operand(stmt, stmt.test), body))
        elif isinstance(stmt, ir.Break):
            out.append(code.Break())
        return out

    def _target_read_after(self, stmt):
        """Whether a loop's final target is read after the loop: by the reverse sweep
        outside the loop (inside it, the reversed loop sets the target itself), by the
        forward sweep, or as the returned value."""
        places = self.plan.places
        start, end = places[stmt][0], places[stmt][2]
        if any(site in (None, END, SHAPE) or not start <= places[site][0] <= end
               for site in self.plan.sites.get(stmt, ())):
            return True
        readers = [s for s in self.plan.kept if not start <= places[s][0] <= end]
        if self.with_value:
            readers.append(self.fn.body[-1])
        return any(stmt in self.ssa.concrete(value)
                   for reader in readers for value in self.ssa.uses.get(reader, {}).values())

    def push(self, stmt):
        """Save what ``stmt`` overwrites: the variable, or the part of it that a store
        writes (a copy of it where the part is a view)."""
        if stmt.is_copy or not stmt.value.rule.writes_part:
            return code.Push(self.name(stmt))
        region, parts = self.region(stmt)
        copy = region.kind == ARRAY and indexing.may_view(parts, stmt.value.index)
        return code.Push(self.name(stmt), self.store_index(stmt), copy)

