"""Recomputing cheap loop values in the reverse sweep instead of saving them on a tape.

A value that a ``for`` loop overwrites and the reverse sweep reads (``x = xs[k]``,
``t = i - 1``) would cost one tape entry per iteration. When it is cheap, and computed
from the loop's target and values that do not change, each reversed iteration computes it
again instead. See :class:`Recompute` for when that is exact.
"""

from __future__ import annotations

from ..analysis.memory import writes, written_roots
from ..ir import nodes as ir
from ..ir.ssa import UNDEFINED, Param, Phi
from .sites import END, SHAPE


def drop_recomputed(program, result):
    """A recomputed value that the forward sweep itself never uses, and that the reverse
    sweep reads only inside its loop, is computed in the reverse sweep alone."""
    ssa = program.ssa
    recomputed = {stmt: loop for loop, listed in result.recomputed.items() for stmt in listed}
    changed = True
    while changed:
        changed = False
        used = set()
        for stmt in result.kept:
            if stmt in recomputed:
                continue
            for value in ssa.uses.get(stmt, {}).values():
                used.update([value, *ssa.concrete(value)])
        for stmt, loop in recomputed.items():
            if stmt not in result.kept or stmt in used or stmt.origin is None:
                continue
            end = result.places[loop][2]
            start = result.places[loop][0]
            sites = result.sites.get(stmt, ())
            if all(site not in (None, END, SHAPE) and start <= result.places[site][0] <= end
                   for site in sites):
                if not any(stmt in (v, *ssa.concrete(v)) for other in recomputed
                           if other in result.kept and other is not stmt
                           for v in ssa.uses.get(other, {}).values()):
                    result.kept.discard(stmt)
                    changed = True


class Recompute:
    """Cheap values a loop overwrites are recomputed rather than saved: ``x = xs[k]``,
    ``t = i - 1``. At the top of each reversed iteration the reverse sweep runs the
    assignment again (``for k in reversed(...): x = xs[k]``), which gives the value the
    forward iteration computed, with no tape. That is exact when the assignment runs once
    per iteration, at the top level of a ``for`` body, as the body's only assignment to its
    variable; reads only loop targets, parameters
    that are never reassigned, constants and other such recomputed values; and when no read
    in the reverse sweep needs the value from the previous iteration or from before the
    loop."""

    def __init__(self, program, result):
        self.program = program
        self.result = result
        self.parents = {}
        self.container = {}
        self._parents(program.fn.body, None)
        counts = {}
        for stmt in ir.walk(program.fn.body):
            if isinstance(stmt, (ir.Assign, ir.For)):
                counts[stmt.target] = counts.get(stmt.target, 0) + 1
        self.fixed_params = set(program.fn.param_names) - set(counts)
        self.assigned_once = {name for name, n in counts.items() if n == 1}
        found = writes(program, program.memory)
        self.written = frozenset().union(*(written_roots(program, program.memory, w)
                                           for w in found))
        self.chosen = set()

    def _parents(self, block, loop, container=None):
        for stmt in block:
            self.parents[stmt] = loop
            self.container[stmt] = container
            if isinstance(stmt, ir.For):
                self._parents(stmt.body, stmt, stmt)
                self._parents(stmt.orelse, loop, container)
            elif isinstance(stmt, ir.COMPOUND):
                for sub in stmt.blocks():
                    self._parents(sub, False, stmt)

    def loop_of(self, stmt):
        """The loop whose reversed iterations recompute ``stmt``, or None (push it)."""
        loop = self.parents.get(stmt)
        if not loop or not self._recomputable(stmt, loop):
            return None
        return loop

    def _recomputable(self, stmt, loop):
        if stmt in self.chosen:
            return True
        if not self._cheap(stmt) or not self._reads_only_this_iteration(stmt, loop):
            return False
        if any(other is not stmt and isinstance(other, (ir.Assign, ir.For))
               and other.target == stmt.target for other in ir.walk(loop.body)):
            # ``for x in xs: ...; x = g(x)``: at the top of a reversed iteration the
            # variable must hold what the iteration left in it, not what it began with.
            return False
        needed = []
        if not self._operands_fixed(stmt, loop, needed):
            return False
        self.chosen.add(stmt)
        listed = self.result.recomputed.setdefault(loop, [])
        for value in needed:
            if value not in listed:
                listed.append(value)
        return True

    def _cheap(self, stmt):
        if stmt.is_copy:
            return True
        rule = stmt.value.rule
        return rule.reads_part or rule.cheap(
            [self.program.aval(stmt, op) for op in stmt.operands()])

    def _operands_fixed(self, stmt, loop, needed):
        """Whether the operands are loop targets, parameters never reassigned, or earlier
        assignments of this iteration that can be recomputed too (added to ``needed``)."""
        ssa = self.program.ssa
        for op in stmt.operands():
            if not isinstance(op, ir.Var):
                continue
            value = ssa.read(stmt, op)
            if isinstance(value, Param) and value.name in self.fixed_params:
                continue
            if isinstance(value, ir.For) and value in self._enclosing(stmt):
                continue
            if self._constant_outside(value, loop):
                continue
            if isinstance(value, ir.Assign) and self.parents.get(value) is loop and (
                    value in self.result.kept and self._recomputable(value, loop)):
                needed.append(value)
                continue
            return False
        return True

    def _constant_outside(self, value, loop):
        """A value made before the loop by the only assignment to its name, in memory that
        nothing writes into: it still holds when the reverse sweep reaches the loop."""
        if not isinstance(value, ir.Assign) or value.target not in self.assigned_once:
            return False
        if value not in self.result.kept or self._loops_around(loop) & set(
                self._loops_around(value)):
            return False
        return not (self.program.memory.get(value, frozenset()) & self.written)

    def _loops_around(self, stmt):
        """Every loop, ``for`` or ``while``, whose body holds ``stmt`` at any depth (a loop
        counts as around itself): a value made in one of them is made again each trip."""
        loops = {stmt} if isinstance(stmt, ir.LOOPS) else set()
        node = self.container.get(stmt)
        while node is not None:
            if isinstance(node, ir.LOOPS):
                loops.add(node)
            node = self.container.get(node)
        return loops

    def _enclosing(self, stmt):
        loops = []
        node = self.parents.get(stmt)
        while node:
            loops.append(node)
            node = self.parents.get(node)
        return loops

    def _reads_only_this_iteration(self, stmt, loop):
        """The value before ``stmt`` (a head phi of the loop: the previous iteration's, or
        the value on entry) is read by the reverse sweep only after the loop."""
        ssa = self.program.ssa
        places = self.result.places
        end = places[loop][2]
        outer = {s for s in places[loop][1] if isinstance(s, ir.LOOPS)}
        old = ssa.before[stmt]
        if not isinstance(old, Phi) or old.node is not loop or not old.head:
            return old is UNDEFINED
        for value in [old, *ssa.concrete(old)]:
            if value is stmt:
                continue
            for site in self.result.sites.get(value, ()):
                if site in (None, SHAPE):
                    return False
                if site != END and (places[site][0] <= end or outer & set(places[site][1])):
                    # Before the loop, inside it, or after it in a loop around both: in a
                    # later trip of that loop the read comes before this loop runs again,
                    # so the reverse sweep reads the value after undoing this loop.
                    return False
        return True
