"""Expressions parsed into gast in one pass.

Rule templates, operands spelled in the source (``math.pi``) and callee spellings are parsed
as expressions each time a derivative first needs them. ``gast.parse`` converts the
standard library's tree through a generic visitor, which costs more than parsing; for the
expressions these are, a direct conversion does the same about three times as fast.
"""

from __future__ import annotations

import ast
import functools

import gast

_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")
_CONTEXTS = {ast.Load: gast.Load, ast.Store: gast.Store, ast.Del: gast.Del}
_CLASSES = {}


def parse_expression(text):
    """The gast tree of a Python expression (SyntaxError if it is not one)."""
    return to_gast(_parsed(text))


@functools.lru_cache(maxsize=4096)
def _parsed(text):
    return ast.parse(text, mode="eval").body


def to_gast(node):
    kind = type(node)
    if kind is ast.Name:
        new = gast.Name(id=node.id, ctx=_CONTEXTS[type(node.ctx)](), annotation=None,
                        type_comment=None)
    elif kind in _CONTEXTS:
        return _CONTEXTS[kind]()
    elif kind in (ast.Lambda, ast.arguments, ast.arg, ast.NamedExpr) or not isinstance(
            node, ast.expr) and not isinstance(node, (ast.operator, ast.unaryop, ast.cmpop,
                                                      ast.boolop, ast.keyword,
                                                      ast.comprehension)):
        return gast.ast_to_gast(node)
    else:
        target, fields = _CLASSES.get(kind) or _learn(kind)
        new = target.__new__(target)
        values = new.__dict__
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                value = [to_gast(v) if isinstance(v, ast.AST) else v for v in value]
            elif isinstance(value, ast.AST):
                value = to_gast(value)
            values[name] = value
    for attribute in _LOCATION:
        value = getattr(node, attribute, None)
        if value is not None:
            setattr(new, attribute, value)
    return new


def _learn(kind):
    target = getattr(gast, kind.__name__)
    entry = _CLASSES[kind] = (target, target._fields)
    return entry
