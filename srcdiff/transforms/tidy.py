"""Post-passes over the generated statements, so that they read like a derivation by hand.

* ``fuse_rebinds``: ``a_bar = e`` right before ``a_bar = f(a_bar)`` becomes
  ``a_bar = f(e)``.
* ``literal_containers``: the adjoint of a tuple, list or dict whose elements were read
  is written out, ``(a_bar, b_bar)``, instead of ``add_tree(one_hot(t, 1, b_bar), ...)``.
"""

from __future__ import annotations

import gast

from .. import runtime
from ..backend.arrays import NUMPY
from ..ir import code
from ..ir.avals import ARRAY
from ..ir.code import ADJ, DEF, OBJ
from .adjoints import zero_like


def fuse_rebinds(lines):
    """``a_bar = e`` right before ``a_bar = f(a_bar)`` reads better as ``a_bar = f(e)``
    (a scalar adjoint that an array adjoint is then filled with, say)."""
    for line in lines:
        for block in ("body", "orelse"):
            fuse_rebinds(getattr(line, block, []))
    index = 0
    while index + 1 < len(lines):
        first, second = lines[index], lines[index + 1]
        if (isinstance(first, code.Assign) and isinstance(second, code.Assign)
                and first.target == second.target and first.target[0] == ADJ
                and not isinstance(first.target[0], tuple)):
            uses = [n for n in gast.walk(second.value) if code.ref_of(n) == first.target]
            if len(uses) == 1:
                second.value = _replaced(second.value, uses[0], first.value)
                del lines[index]
                continue
        index += 1


def _replaced(tree, old, new):
    if tree is old:
        return new
    for field_name, value in gast.iter_fields(tree):
        if isinstance(value, list):
            setattr(tree, field_name, [_replaced(v, old, new) if isinstance(v, gast.AST)
                                       else v for v in value])
        elif isinstance(value, gast.AST):
            setattr(tree, field_name, _replaced(value, old, new))
    return tree


def literal_containers(lines, aval_of):
    """``add_tree(one_hot(t, 1, b_bar), one_hot(t, 0, a_bar))``, the adjoint of a tuple
    whose elements were read, reads better written out: ``(a_bar, b_bar)``."""
    for line in lines:
        for block in ("body", "orelse"):
            literal_containers(getattr(line, block, []), aval_of)
        if isinstance(line, code.Assign):
            written = written_out(line.value, aval_of)
            if written is not None:
                line.value = _container_node(*written, aval_of)


def written_out(node, aval_of):
    """``(container, {key: [adjoint expressions]})`` for one_hot/add_tree trees over one
    container of fixed length, or None."""
    if not isinstance(node, gast.Call) or node.keywords:
        return None
    target = code.ref_of(node.func)
    if target == (OBJ, runtime.one_hot) and len(node.args) == 3:
        container, key, g = node.args
        ref = code.ref_of(container)
        aval = aval_of(ref[1]) if ref is not None and ref[0] == DEF else None
        if aval is None or aval.items is None or not isinstance(key, gast.Constant):
            return None
        keys = [k for k, _ in aval.items] if aval.pytype is dict else range(len(aval.items))
        if key.value not in keys:
            return None
        return container, {key.value: [g]}
    if target == (OBJ, runtime.add_tree) and len(node.args) == 2:
        parts = [written_out(a, aval_of) for a in node.args]
        if None in parts or code.ref_of(parts[0][0]) != code.ref_of(parts[1][0]):
            return None
        merged = {k: list(v) for k, v in parts[0][1].items()}
        for k, v in parts[1][1].items():
            merged.setdefault(k, []).extend(v)
        return parts[0][0], merged
    return None


def _container_node(container, parts, aval_of):
    aval = aval_of(code.ref_of(container)[1])
    if aval.pytype is dict:
        keys, items = [k for k, _ in aval.items], [v for _, v in aval.items]
    else:
        keys, items = list(range(len(aval.items))), list(aval.items)
    values = []
    for key, item in zip(keys, items):
        exprs = parts.get(key)
        if not exprs:
            element = gast.Subscript(value=code.clone(container), slice=code.const(key),
                                     ctx=gast.Load())
            values.append(zero_like(item, element) if item.known_shape is None
                          or item.kind != ARRAY else _zeros(item))
            continue
        value = exprs[0]
        for extra in exprs[1:]:
            value = gast.BinOp(left=value, op=gast.Add(), right=extra)
        values.append(value)
    if aval.pytype is dict:
        return gast.Dict(keys=[code.const(k) for k in keys], values=values)
    node = gast.Tuple if aval.pytype is tuple else gast.List
    return node(elts=values, ctx=gast.Load())


def _zeros(aval):
    return NUMPY.zeros(aval.known_shape, aval.dtype)
