"""Simplifying generated expressions, so that the derivative reads like one written by hand.

``simplify`` folds the algebra that template substitution leaves behind: ``2 - 1``,
``x ** 1``, multiplication by the unit seed, ``a + -b``, and puts a constant factor first
(``3.0 * t2_bar``). ``1.0 * x`` is kept when ``x`` may be an array the caller owns, so a
gradient never aliases an input (inside a sum it goes: the sum is a new array).
"""

from __future__ import annotations

import gast

from ..ir import code

_LEAVES = frozenset({gast.Name, gast.Constant, gast.Load, gast.Store})


def simplify(node, is_scalar):
    if type(node) in _LEAVES:
        return node
    return _Simplifier(is_scalar).visit(node)


class _Simplifier:
    def __init__(self, is_scalar):
        self.is_scalar = is_scalar

    def visit(self, node):
        kind = type(node)
        if kind in _LEAVES:
            return node
        fields = node.__dict__
        for field_name in kind._fields:
            value = fields.get(field_name)
            if type(value) is list:
                fields[field_name] = [self.visit(v) if isinstance(v, gast.AST) else v
                                      for v in value]
            elif isinstance(value, gast.AST):
                fields[field_name] = self.visit(value)
        if kind is gast.BinOp:
            return self.binop(node)
        if kind is gast.UnaryOp:
            return self.unary(node)
        return node

    def unary(self, node):
        if isinstance(node.op, gast.USub):
            if code.is_const(node.operand):
                return code.const(-node.operand.value)
            if isinstance(node.operand, gast.UnaryOp) and isinstance(node.operand.op, gast.USub):
                return node.operand.operand
        if isinstance(node.op, gast.UAdd):
            return node.operand
        return node

    def binop(self, node):
        left, right, op = node.left, node.right, node.op
        if code.is_const(left) and code.is_const(right):
            folded = _fold(op, left.value, right.value)
            if folded is not None:
                return code.const(folded)
        if isinstance(op, gast.Mult):
            return self.mult(node, left, right)
        if isinstance(op, gast.Div) and code.is_const(right, 1):
            return left
        if isinstance(op, gast.Pow) and code.is_const(right, 1):
            return left
        if isinstance(op, (gast.Add, gast.Sub)):
            node.left, node.right = left, right = _unit_dropped(left), _unit_dropped(right)
        if isinstance(op, gast.Add) and _negated(right):
            return gast.BinOp(left=left, op=gast.Sub(), right=_negated(right))
        if isinstance(op, gast.Sub) and _negated(right):
            return gast.BinOp(left=left, op=gast.Add(), right=_negated(right))
        return node

    def mult(self, node, left, right):
        if code.is_const(left) and _scaled(right):
            # 2.0 * (0.5 * g): the constants fold first (1.0 * g, then g).
            folded = _fold(gast.Mult(), left.value, right.left.value)
            if folded is not None:
                return self.mult(gast.BinOp(left=code.const(folded), op=gast.Mult(),
                                            right=right.right), code.const(folded),
                                 right.right)
        for unit, other in ((left, right), (right, left)):
            if code.is_const(unit, 1) and self.fresh_or_scalar(other):
                return other
            if code.is_const(unit, -1) and self.fresh_or_scalar(other):
                return self.unary(gast.UnaryOp(op=gast.USub(), operand=other))
        if isinstance(left, gast.UnaryOp) and isinstance(left.op, gast.USub) and code.is_const(
                left.operand, 1) and self.fresh_or_scalar(right):
            return self.unary(gast.UnaryOp(op=gast.USub(), operand=right))
        if code.is_const(right) and isinstance(left, gast.Name):
            return gast.BinOp(left=right, op=gast.Mult(), right=left)
        return node

    def fresh_or_scalar(self, node):
        """Dropping ``1.0 *`` is safe unless it would hand back an existing array object."""
        if isinstance(node, gast.Name):
            return self.is_scalar(node)
        return not isinstance(node, gast.Attribute)


def _scaled(node):
    """Whether ``node`` is ``c * x`` with ``c`` a constant."""
    return (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)
            and code.is_const(node.left))


def _unit_dropped(node):
    """``1.0 * y`` inside a sum is ``y``: the sum makes a new array anyway."""
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
        if code.is_const(node.left, 1):
            return node.right
        if code.is_const(node.right, 1):
            return node.left
    return node


_FOLD = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
         gast.Mult: lambda a, b: a * b, gast.Div: lambda a, b: a / b}


def _fold(op, a, b):
    """Fold constant arithmetic when the result prints as briefly as a person would write it."""
    fold = _FOLD.get(type(op))
    if fold is None or (isinstance(op, gast.Div) and b == 0):
        return None
    value = fold(a, b)
    return value if len(repr(value)) <= 8 else None


def _negated(node):
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return node.operand
    if (isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult)
            and isinstance(node.left, gast.UnaryOp) and isinstance(node.left.op, gast.USub)):
        return gast.BinOp(left=node.left.operand, op=gast.Mult(), right=node.right)
    return None
