"""Stage 5: make the derivative read like one written by hand, and do no needless work.

* ``simplify`` folds the algebra that template substitution leaves behind: ``2 - 1``,
  ``x ** 1``, multiplication by the unit seed, ``a + -b``, and puts a constant factor first
  (``3.0 * t2_bar``). ``1.0 * x`` is kept when ``x`` may be an array the caller owns, so a
  gradient never aliases an input (inside a sum it goes: the sum is a new array).
"""

from __future__ import annotations

import gast

from ..ir import code


def simplify(node, is_scalar):
    return _Simplifier(is_scalar).visit(node)


class _Simplifier:
    def __init__(self, is_scalar):
        self.is_scalar = is_scalar

    def visit(self, node):
        for field_name, value in gast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, field_name, [self.visit(v) if isinstance(v, gast.AST) else v
                                           for v in value])
            elif isinstance(value, gast.AST):
                setattr(node, field_name, self.visit(value))
        if isinstance(node, gast.BinOp):
            return self.binop(node)
        if isinstance(node, gast.UnaryOp):
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


def common_subexpressions(fn):
    """Compute each repeated pure expression once: ``math.exp(x) + math.exp(x) ** 2`` lowers
    to two calls; the second temporary becomes the first. Only temporaries that srcdiff made
    (assigned once) are merged, within one block, while their operands are unchanged."""
    temps = _single_assignment_temps(fn)
    renames = {}
    fn.body[:] = _block_cse(fn.body, temps, renames)
    if renames:
        _rename_uses(fn.body, renames)
    return fn


def _single_assignment_temps(fn):
    from ..ir import nodes as ir
    counts = {}
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.Assign):
            counts[stmt.target] = counts.get(stmt.target, 0) + 1
    user = {n.id for n in gast.walk(fn.node) if isinstance(n, gast.Name)}
    return {name for name, count in counts.items() if count == 1 and name not in user}


def _block_cse(block, temps, renames):
    from ..ir import nodes as ir
    seen = {}
    versions = {}
    kept = []
    shapes = set()
    for stmt in block:
        if isinstance(stmt, ir.Assign) and stmt.augmented:
            # A write in place may change what any array read sees; shapes stay.
            seen = {key: temp for key, temp in seen.items() if temp in shapes}
            versions[stmt.target] = versions.get(stmt.target, 0) + 1
        elif isinstance(stmt, ir.Assign):
            key = _expression_key(stmt, versions, renames)
            if key is not None and stmt.target in temps and key in seen:
                renames[stmt.target] = seen[key]
                continue
            if key is not None and stmt.target in temps:
                seen[key] = stmt.target
                if _reads_shape(stmt, shapes, renames):
                    shapes.add(stmt.target)
            versions[stmt.target] = versions.get(stmt.target, 0) + 1
        elif hasattr(stmt, "blocks"):
            for sub in stmt.blocks():
                sub[:] = _block_cse(sub, temps, renames)
            seen.clear()
            for inner in ir.walk([stmt]):
                target = getattr(inner, "target", None)
                if isinstance(target, str):
                    versions[target] = versions.get(target, 0) + 1
        kept.append(stmt)
    return kept


def _reads_shape(stmt, shapes, renames):
    """``x.shape``, ``len(x)``, or an element of such a tuple: unchanged by writes."""
    from ..analysis.memory import SHAPE_ONLY
    from ..ir import nodes as ir
    from ..primitives.indexing import INDEX
    if not isinstance(stmt.value, ir.Call):
        return False
    rule = stmt.value.rule
    if rule.name in SHAPE_ONLY:
        return True
    first = stmt.value.args[0] if stmt.value.args else None
    return rule.kind == INDEX and isinstance(first, ir.Var) and (
        renames.get(first.name, first.name) in shapes)


def _expression_key(stmt, versions, renames):
    """Equal keys compute equal values. Reads of an element (``x[i]``) compare by their
    index; other calls by their rule, so that two list displays stay two lists."""
    from ..ir import nodes as ir
    from ..primitives.calls import USER
    from ..primitives.indexing import INDEX
    value = stmt.value
    if not isinstance(value, ir.Call) or value.rule.kind == USER:
        return None
    parts = []
    for op in list(value.args) + [v for _, v in value.keywords]:
        if isinstance(op, ir.Var):
            name = renames.get(op.name, op.name)
            parts.append(("var", name, versions.get(name, 0)))
        elif isinstance(op, ir.Const):
            parts.append(("const", type(op.value).__name__, repr(op.value)))
        else:
            parts.append(("global", op.text))
    index = gast.dump(value.index) if value.index is not None else None
    rule = ("index", len(value.args)) if value.rule.kind == INDEX else id(value.rule)
    return (rule, value.spelling, value.form, tuple(k for k, _ in value.keywords),
            index, tuple(parts))


def _rename_uses(block, renames):
    from ..ir import nodes as ir

    def rename(op):
        if isinstance(op, ir.Var) and op.name in renames:
            return ir.Var(renames[op.name])
        return op

    for stmt in ir.walk(block):
        if isinstance(stmt, ir.Assign):
            if isinstance(stmt.value, ir.Call):
                call = stmt.value
                call.args = tuple(rename(a) for a in call.args)
                call.keywords = tuple((k, rename(v)) for k, v in call.keywords)
            else:
                stmt.value = rename(stmt.value)
        elif isinstance(stmt, (ir.If, ir.While, ir.Return)):
            attr = "value" if isinstance(stmt, ir.Return) else "test"
            setattr(stmt, attr, rename(getattr(stmt, attr)))
        elif isinstance(stmt, ir.For) and isinstance(stmt.iterable, ir.Call):
            stmt.iterable.args = tuple(rename(a) for a in stmt.iterable.args)
        elif isinstance(stmt, ir.For):
            stmt.iterable = rename(stmt.iterable)
