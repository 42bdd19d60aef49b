"""Output statements as the standard library's syntax tree, converted in one pass.

Statements are built with gast; printing (``ast.unparse``) and compiling need the standard
library's tree. ``gast.gast_to_ast`` converts any tree through a generic visitor; output
statements use a small part of the language, which this converts about twice as fast, and
with a ``swap`` hook that replaces nodes as it goes (references by constants, for
compiling) instead of copying the tree first.
"""

from __future__ import annotations

import ast

import gast

_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")
_CONTEXTS = {gast.Load: ast.Load(), gast.Store: ast.Store(), gast.Del: ast.Del()}
_CLASSES = {}


def convert(node, swap=None):
    """The standard library's tree for a gast tree of output code. ``swap(node)`` may give
    a gast node to convert in the place of ``node``."""
    if swap is not None:
        replaced = swap(node)
        if replaced is not None:
            return convert(replaced)
    kind = type(node)
    if kind is gast.Name:
        new = ast.Name(node.id, _CONTEXTS[type(node.ctx)])
    elif kind in _CONTEXTS:
        return _CONTEXTS[kind]
    else:
        target, fields = _CLASSES.get(kind) or _learn(kind)
        new = target()
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                value = [convert(v, swap) if isinstance(v, gast.AST) else v for v in value]
            elif isinstance(value, gast.AST):
                value = convert(value, swap)
            setattr(new, name, value)
    for attribute in _LOCATION:
        value = getattr(node, attribute, None)
        if value is not None:
            setattr(new, attribute, value)
    return new


def _learn(kind):
    if kind is gast.ExceptHandler or kind is gast.arguments:
        raise TypeError(f"output code has no {kind.__name__}")
    target = getattr(ast, kind.__name__)
    entry = _CLASSES[kind] = (target, target._fields)
    return entry
