"""Printing the primal code from the IR: each operand as a symbolic reference to its
variable, each call as the Python a user would write for it. Both transforms print the
function's own computation with it (reverse mode as its forward sweep, forward mode with a
tangent after each statement)."""

from __future__ import annotations

from ..backend import printer
from ..ir import code
from ..ir import nodes as ir
from ..ir.code import DEF, OBJ
from ..ir.trees import parse_expression
from ..primitives import indexing


class PrimalPrinter:
    """The primal expressions of IR statements, for a transform with ``ssa``, ``program``,
    ``fn`` and ``web(value)``."""

    def operand(self, stmt, op):
        if isinstance(op, ir.Var):
            return code.ref(DEF, self.web(self.ssa.read(stmt, op)))
        if isinstance(op, ir.Const):
            return code.const(op.value)
        if op.cell is not None:
            return code.ref(OBJ, code.CellContents(op.cell, op.text))
        return parse_expression(op.text)

    def primal(self, stmt):
        if stmt.is_copy:
            return self.operand(stmt, stmt.value)
        return self.call(stmt, stmt.value)

    def iterable(self, stmt):
        if isinstance(stmt.iterable, ir.Call):
            return self.call(stmt, stmt.iterable)
        return self.operand(stmt, stmt.iterable)

    def call(self, stmt, call):
        return printer.expression(call, lambda op: self.operand(stmt, op))

    def store_index(self, stmt, read=None):
        read = read or self.operand
        return indexing.fill(stmt.value.index, [read(stmt, a) for a in stmt.value.args[2:]])

    def region(self, stmt):
        """The abstract value of the part ``y[index]`` that a store writes, and those of the
        index's variable parts."""
        call = stmt.value
        parts = [self.program.aval(stmt, a) for a in call.args[2:]]
        region = indexing.result_aval(self.program.aval(stmt, call.args[0]), parts, call.index,
                                      self.fn.source.located, stmt.origin.node)
        return region, parts
