"""Common subexpressions of the lowered code, computed once.

``math.exp(x) + math.exp(x) ** 2`` lowers to two calls of ``math.exp``; the second
temporary becomes the first, so that neither the forward sweep nor the adjoints compute the
value twice.
"""

from __future__ import annotations

import gast

from ..ir import nodes as ir
from ..ir.names import spelled_in


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
    counts = {}
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.Assign):
            counts[stmt.target] = counts.get(stmt.target, 0) + 1
    user = spelled_in(fn.node)
    return {name for name, count in counts.items() if count == 1 and name not in user}


def _block_cse(block, temps, renames):
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
    if not isinstance(stmt.value, ir.Call):
        return False
    rule = stmt.value.rule
    if rule.shape_only:
        return True
    first = stmt.value.args[0] if stmt.value.args else None
    return rule.reads_part and isinstance(first, ir.Var) and (
        renames.get(first.name, first.name) in shapes)


def _expression_key(stmt, versions, renames):
    """Equal keys compute equal values. Reads of an element (``x[i]``) compare by their
    index; other calls by their rule, so that two list displays stay two lists."""
    value = stmt.value
    if not isinstance(value, ir.Call) or not value.rule.pure:
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
    return (value.rule.identity, value.spelling, value.form, tuple(k for k, _ in value.keywords),
            index, tuple(parts))


def _rename_uses(block, renames):

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
