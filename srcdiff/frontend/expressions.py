"""Lowering operators, comparisons, conditional expressions and ``and``/``or``.

Comparisons chain (``a < b < c`` evaluates ``b`` once), and only the operands Python
evaluates are evaluated: the other side of ``a if c else b`` and the rest of ``x and y``
run inside a branch of their own.
"""

from __future__ import annotations

import operator

import gast

from ..ir import nodes as ir
from . import syntax

BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_}
COMPARE = {
    gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge,
    gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Is: operator.is_,
    gast.IsNot: operator.is_not,
}


class ExpressionLowering:
    """Operators and the expressions that branch (a mixin of the lowerer)."""

    def binary(self, node):
        op = BINARY.get(type(node.op))
        if op is None:
            raise self.error(node, f"the operator {syntax.symbol(node.op)} is not supported",
                             "compute it outside the function")
        return self.call_rule(op, [self.operand(node.left), self.operand(node.right)], node)

    def comparison(self, op_node, left, right, node):
        op = COMPARE.get(type(op_node))
        if op is None:
            raise self.error(node, f"the comparison '{syntax.symbol(op_node)}' is not "
                             "supported", "compare with <, <=, >, >=, ==, !=, is or is not")
        return self.call_rule(op, [left, right], node)

    def chained(self, node, left):
        """``a < b < c`` is ``a < b and b < c`` with ``b`` evaluated once."""
        right = self.operand(node.comparators[0])
        first = self.comparison(node.ops[0], left, right, node)
        if len(node.ops) == 1:
            return first
        rest = gast.Compare(left=node.comparators[0], ops=node.ops[1:],
                            comparators=node.comparators[1:])
        gast.copy_location(rest, node)
        result = self.fresh()
        self.emit(result, first)
        outer, self.body = self.body, []
        self.alternatives(lambda: self.emit(result, self.chained(rest, right)), lambda: None)
        inner, self.body = self.body, outer
        self.body.append(ir.If(ir.Var(result), inner, [], self.origin))
        return ir.Var(result)

    def conditional(self, node):
        """``a if c else b``: only the chosen side is evaluated, as in Python."""
        test = self.operand(node.test)
        result = self.fresh()
        outer = self.body

        def side(expression):
            self.body = []
            self.emit(result, self.value(expression))
            return self.body
        body, orelse = self.alternatives(lambda: side(node.body), lambda: side(node.orelse))
        self.body = outer
        self.body.append(ir.If(test, body, orelse, self.origin))
        return ir.Var(result)

    def boolean(self, node):
        """``x and y`` is ``y`` if ``x`` is true, else ``x`` (``or`` the other way round);
        later operands are evaluated only when needed."""
        result = self.fresh()
        self.emit(result, self.value(node.values[0]))
        for value in node.values[1:]:
            outer, self.body = self.body, []
            self.alternatives(lambda value=value: self.emit(result, self.value(value)),
                              lambda: None)
            inner, self.body = self.body, outer
            if isinstance(node.op, gast.And):
                self.body.append(ir.If(ir.Var(result), inner, [], self.origin))
            else:
                self.body.append(ir.If(ir.Var(result), [], inner, self.origin))
        return ir.Var(result)

    def unary(self, node):
        if (isinstance(node.op, (gast.USub, gast.UAdd)) and isinstance(node.operand, gast.Constant)
                and isinstance(node.operand.value, (int, float, complex))
                and not isinstance(node.operand.value, bool)):
            value = node.operand.value
            return ir.Const(-value if isinstance(node.op, gast.USub) else value,
                            self.loc.segment(node))
        op = UNARY.get(type(node.op))
        if op is None:
            raise self.error(node, f"the operator {syntax.symbol(node.op)} is not supported",
                             "compute it outside the function")
        return self.call_rule(op, [self.operand(node.operand)], node)

_FOLDABLE = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
             gast.Div: operator.truediv, gast.Pow: operator.pow}


def number_value(node):
    """The value of a number literal, negated or not, or of arithmetic on them."""
    return _number(node)


def constant_value(node):
    """The value of arithmetic on number literals (``2.0 * 10``), folded at lowering."""
    if isinstance(node, gast.BinOp) and type(node.op) in _FOLDABLE:
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            try:
                return _FOLDABLE[type(node.op)](left, right)
            except (ArithmeticError, ValueError):
                return None
    return None


def literal_tuple(node):
    """A tuple of literals (``(0, 1)``, ``(3, -1)``) as one constant, for shape arguments."""
    if not isinstance(node, gast.Tuple):
        return None
    values = []
    for elt in node.elts:
        if isinstance(elt, gast.Tuple):
            value = literal_tuple(elt)
        elif isinstance(elt, gast.Constant) and not isinstance(elt.value, str):
            value = elt.value
        else:
            value = _number(elt)
        if value is None and not (isinstance(elt, gast.Constant) and elt.value is None):
            return None
        values.append(value)
    return tuple(values)


def _number(node):
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return constant_value(node)
