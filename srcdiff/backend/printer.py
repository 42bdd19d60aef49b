"""The one printer from the three-address form to Python.

An IR call becomes the Python expression a user would write for it: an operator, a
subscript, a method or attribute, a display, or a call spelled as in their source. Who
prints decides what the operands are: the reverse transform passes symbolic references to
variables (named later, when it is known which values share a name); ``--show lowered``
passes the lowered names themselves.
"""

from __future__ import annotations

import operator

import gast

from ..frontend import expressions
from ..ir import nodes as ir
from ..ir.code import OBJ
from ..ir.records import Record
from ..ir.trees import parse_expression
from ..primitives.indexing import ADD_AT, fill, index_value
from .arrays import NUMPY
from .emit import INDENT, LineInfo, render

# The lowering's operator tables, read the other way: an operator's function to its node.
BINARY = {fn: node for node, fn in expressions.BINARY.items()}
UNARY = {fn: node for node, fn in expressions.UNARY.items()}
COMPARE = {fn: node for node, fn in expressions.COMPARE.items()}


def expression(call, operand):
    """The expression of ``call``; ``operand(op)`` gives the node of each IR operand."""
    own = call.rule.expression(call, operand)
    if own is not None:
        return own
    fn = call.rule.fn
    args = [operand(a) for a in call.args]
    keywords = [gast.keyword(arg=k, value=operand(v)) for k, v in call.keywords]
    if call.form == "attribute":
        return gast.Attribute(value=args[0], attr=call.spelling, ctx=gast.Load())
    if call.form == "method":
        method = gast.Attribute(value=args[0], attr=call.spelling, ctx=gast.Load())
        return gast.Call(func=method, args=args[1:], keywords=keywords)
    if call.spelling is None and fn in BINARY:
        return gast.BinOp(left=args[0], op=BINARY[fn](), right=args[1])
    if call.spelling is None and fn in UNARY:
        return gast.UnaryOp(op=UNARY[fn](), operand=args[0])
    if call.spelling is None and fn in COMPARE:
        return gast.Compare(left=args[0], ops=[COMPARE[fn]()], comparators=[args[1]])
    func = parse_expression(call.spelling)
    fn = call.rule.referenced
    if fn is not None:
        func.srcdiff_ref = (OBJ, fn)
    return gast.Call(func=func, args=args, keywords=keywords)


def stored(call, operand):
    """``y[index] = v`` (or ``op=``) for a store's call: its target and index are the first
    operands, its value the second."""
    index = fill(call.index, [operand(a) for a in call.args[2:]])
    op = call.rule.op
    if op == ADD_AT:
        return gast.Expr(value=NUMPY.scatter_add(operand(call.args[0]), index_value(index),
                                                 operand(call.args[1])).value)
    target = gast.Subscript(value=operand(call.args[0]), slice=index, ctx=gast.Store())
    if op:
        return gast.AugAssign(target=target, op=BINARY[_OPERATORS[op]](),
                              value=operand(call.args[1]))
    return gast.Assign(targets=[target], value=operand(call.args[1]), type_comment=None)


_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
              "**": operator.pow, "@": operator.matmul, "//": operator.floordiv,
              "%": operator.mod}


def lowered_source(fn):
    """The three-address form of a lowered function, one primitive per line, with its
    branches and loops (a ``while`` loop's test is computed before it and at the end of
    its body, as the derivative does)."""
    return lowered(fn).text


class Listing(Record):
    """Printed code and its line table, as :class:`~srcdiff.backend.emit.Emitted` has one:
    ``lines`` maps each line of ``text`` (numbered from 1) to a
    :class:`~srcdiff.backend.emit.LineInfo` naming the IR statement printed there. Its
    statements are the lowered function's own, the ones a derivative's line table names,
    so the two tables can be joined statement by statement."""

    fields = ("text", "lines")
    hidden = ("lines",)

    def __init__(self, text, lines):
        self.text = text
        self.lines = lines


def lowered(fn):
    """:func:`lowered_source`'s text with its line table. A line of the lowered form is
    the function's own computation, not a sweep of a derivative: its role is None."""
    listing = _ListingBuilder()
    listing.add(f"def {fn.name}({', '.join(fn.param_names)}):", None)
    _lowered_block(fn.body, 1, listing)
    return Listing("\n".join(listing.text) + "\n", listing.table)


class _ListingBuilder:
    def __init__(self):
        self.text = []
        self.table = {}

    def add(self, text, statement):
        self.text.append(text)
        if statement is not None:
            self.table[len(self.text)] = LineInfo(None, statement)

    def __len__(self):
        return len(self.text)


def _lowered_block(block, depth, lines):
    indent = INDENT * depth
    start = len(lines)
    for stmt in block:
        if isinstance(stmt, ir.Assign):
            lines.add(indent + render(_lowered_assignment(stmt)), stmt)
        elif isinstance(stmt, ir.Return):
            lines.add(f"{indent}return {_lowered_value(stmt.value)}", stmt)
        elif isinstance(stmt, ir.Break):
            lines.add(f"{indent}break", stmt)
        elif isinstance(stmt, ir.If):
            lines.add(f"{indent}if {_lowered_value(stmt.test)}:", stmt)
            _lowered_block(stmt.body, depth + 1, lines)
            if stmt.orelse:
                lines.add(f"{indent}else:", stmt)
                _lowered_block(stmt.orelse, depth + 1, lines)
        elif isinstance(stmt, ir.For):
            lines.add(f"{indent}for {stmt.target} in {_lowered_value(stmt.iterable)}:", stmt)
            _lowered_block(stmt.body, depth + 1, lines)
        elif isinstance(stmt, ir.While):
            _lowered_block(stmt.test_body, depth, lines)
            lines.add(f"{indent}while {_lowered_value(stmt.test)}:", stmt)
            _lowered_block(stmt.body + stmt.test_body, depth + 1, lines)
    if len(lines) == start:
        lines.add(f"{indent}pass", None)


def _lowered_assignment(stmt):
    value = stmt.value
    rule = getattr(value, "rule", None)
    if rule is not None and rule.writes_part:
        return stored(value, _lowered_operand)
    if rule is not None and rule.statement_only:
        return gast.Expr(value=expression(value, _lowered_operand))
    return gast.Assign(targets=[_name(stmt.target, gast.Store())],
                       value=_lowered_expression(value), type_comment=None)


def _lowered_value(value):
    return render(_lowered_expression(value))


def _lowered_expression(value):
    if isinstance(value, ir.Call):
        return expression(value, _lowered_operand)
    return _lowered_operand(value)


def _lowered_operand(op):
    if isinstance(op, ir.Var):
        return _name(op.name, gast.Load())
    return parse_expression(op.text)


def _name(identifier, ctx):
    return gast.Name(id=identifier, ctx=ctx, annotation=None, type_comment=None)
