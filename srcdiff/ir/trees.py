"""Syntax trees converted between gast and the standard library's ``ast`` in one pass.

A differentiated function, rule templates, operands spelled in the source (``math.pi``) and
callee spellings are converted to gast each time a derivative first needs them; output
statements, built with gast, are converted back to be printed and compiled. gast's own
converters go through a generic visitor, which costs more than parsing; a direct conversion
does the same two to three times as fast; ``to_stdlib`` also takes a ``swap`` hook that
replaces nodes as it goes (the emitter spells symbolic names with it) instead of copying
the tree first, and places each node on the line it will be printed on.

The walks the passes share live here too: :func:`walk` (every node, as ``ast.walk`` gives
them) and :func:`nodes` (every node but contexts and operators, as a list: what the passes
that look for names and references need, at a third of the cost).
"""

from __future__ import annotations

import ast
import collections
import functools
import keyword

import gast

_LOCATION = ("lineno", "col_offset", "end_lineno", "end_col_offset")
LEAF_CLASSES = frozenset(kind for kind in vars(gast).values() if isinstance(kind, type) and (
    issubclass(kind, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop))))
"""gast's contexts and operators (``Load``, ``Add``): nodes that carry nothing."""
_STDLIB_LEAVES = {kind: getattr(ast, kind.__name__)() for kind in LEAF_CLASSES
                  if kind is not getattr(ast, kind.__name__, kind)}
"""The standard library's contexts and operators, one node of each, as its own parser
shares them."""
_TO_GAST_LEAVES = {getattr(ast, kind.__name__): kind for kind in LEAF_CLASSES
                   if hasattr(ast, kind.__name__)}
_TYPE_PARAMETERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
"""Nodes whose ``type_params`` gast gives as ``[]`` where Python (before 3.12) has none."""
_ANY_AST = (ast.AST, gast.AST)
_new = gast.AST.__new__
_GAST_CLASSES = {}
_STDLIB_CLASSES = {}


def parse_expression(text):
    """The gast tree of a Python expression (SyntaxError if it is not one)."""
    return to_gast(_parsed(text))


@functools.lru_cache(maxsize=4096)
def _parsed(text):
    if text.isascii() and text.isidentifier() and not keyword.iskeyword(text):
        # the commonest template (``g``), made as the parser makes it, without its start-up
        return ast.Name(text, ast.Load(), lineno=1, col_offset=0, end_lineno=1,
                        end_col_offset=len(text))
    return ast.parse(text, mode="eval").body


def to_gast(node, line_offset=0):
    """The gast tree of a standard library tree, as ``gast.ast_to_gast`` gives it: the
    same nodes with the same fields, except that a parameter (``arg``) and the name an
    ``except`` clause binds are gast ``Name`` nodes. ``line_offset`` moves every node that
    many lines down (a block parsed apart from the lines before it)."""
    kind = type(node)
    if kind is ast.Name:
        new = _new(gast.Name)
        new.__dict__.update(id=node.id, ctx=_new(_TO_GAST_LEAVES[type(node.ctx)]),
                            annotation=None, type_comment=None)
    elif kind in _TO_GAST_LEAVES:
        return _new(_TO_GAST_LEAVES[kind])
    elif kind is ast.arg:
        annotation = node.annotation
        new = gast.Name(id=node.arg, ctx=gast.Param(),
                        annotation=None if annotation is None else to_gast(annotation,
                                                                           line_offset),
                        type_comment=node.type_comment)
    elif kind is ast.ExceptHandler and node.name:
        new = gast.ExceptHandler(
            type=None if node.type is None else to_gast(node.type, line_offset),
            name=gast.Name(node.name, gast.Store(), None, None),
            body=[to_gast(stmt, line_offset) for stmt in node.body])
    else:
        target = _class_in(gast, kind, _GAST_CLASSES)
        new = _new(target)
        values = new.__dict__
        given = node.__dict__
        for name in target._fields:
            value = given.get(name, _ABSENT)
            if value is _ABSENT:  # a class default, or a field this Python does not have
                value = getattr(node, name, _ABSENT)
                if value is _ABSENT:
                    continue
            if type(value) is list:
                value = [to_gast(v, line_offset) if isinstance(v, ast.AST) else v
                         for v in value]
            elif isinstance(value, ast.AST):
                value = to_gast(value, line_offset)
            values[name] = value
        if kind in _TYPE_PARAMETERS and "type_params" not in values:
            values["type_params"] = []
    given = node.__dict__
    lineno = given.get("lineno")
    if lineno is not None:
        values = new.__dict__
        values["lineno"] = lineno + line_offset
        values["col_offset"] = given.get("col_offset")
        end = given.get("end_lineno")
        if end is not None:
            values["end_lineno"] = end + line_offset
            values["end_col_offset"] = given.get("end_col_offset")
    return new


def to_stdlib(node, swap=None, line=None):
    """The standard library's tree for a gast tree of output code. ``swap(node)``, asked
    about names, attributes and nodes that carry a symbolic reference, may give the standard
    library's node to use in the place of ``node`` and its subtree (it may build it with
    :func:`converted_fields`). Each node keeps the location of the node it converts, or,
    given a ``line``, is placed at its start (as printed code is compiled)."""
    kind = type(node)
    leaf = _STDLIB_LEAVES.get(kind)
    if leaf is not None:
        return leaf
    if swap is not None and (kind is gast.Name or kind is gast.Attribute
                             or "srcdiff_ref" in node.__dict__):
        replaced = swap(node)
        if replaced is not None:
            return replaced
    if kind is gast.Name:
        new = ast.Name(node.id, _STDLIB_LEAVES[type(node.ctx)])
        return _located_like(new, node) if line is None else at_line(new, line)
    return converted_fields(node, swap, line)


def converted_fields(node, swap=None, line=None):
    """``node`` converted as :func:`to_stdlib` does, without asking ``swap`` about it (its
    fields are converted with ``swap``)."""
    kind = type(node)
    if kind is gast.ExceptHandler or kind is gast.arguments:
        raise TypeError(f"output code has no {kind.__name__}")
    target = _class_in(ast, kind, _STDLIB_CLASSES)
    new = target.__new__(target)
    values = new.__dict__
    given = node.__dict__
    leaves = _STDLIB_LEAVES
    for name in target._fields:
        value = given.get(name)
        if type(value) is list:
            value = [to_stdlib(v, swap, line) if isinstance(v, gast.AST) else v for v in value]
        elif isinstance(value, gast.AST):
            value = leaves.get(type(value)) or to_stdlib(value, swap, line)
        values[name] = value
    return _located_like(new, node) if line is None else at_line(new, line)


def at_line(node, line):
    """``node`` (if it has a location) placed at the start of ``line``."""
    if "lineno" in node._attributes:
        values = node.__dict__
        values["lineno"] = values["end_lineno"] = line
        values["col_offset"] = values["end_col_offset"] = 0
    return node


def walk(node):
    """Every node of a tree (gast or the standard library's), in the order ``ast.walk``
    gives them: breadth first, children in field order. Without its per-call import and
    nested generators, it costs a third as much, and the tidy passes walk every line."""
    queue = collections.deque([node])
    popleft, append = queue.popleft, queue.append
    while queue:
        current = popleft()
        for name in current._fields:
            value = getattr(current, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, _ANY_AST):
                        append(item)
            elif isinstance(value, _ANY_AST):
                append(value)
        yield current


_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "kind", "type_comment"})
"""Fields that hold no subtree worth visiting: contexts and operators (leaf nodes), and
strings."""
_CHILD_FIELDS = {}


def nodes(tree):
    """Every node of a tree but its contexts and operators (``Load``, ``Add``), depth first:
    what the passes that look for names and references visit. A list built in one loop,
    without the generators and the leaf nodes of :func:`walk`, costs about a third as much,
    and the tidy passes look at every output line."""
    found = []
    stack = [tree]
    pop, add = stack.pop, found.append
    while stack:
        node = pop()
        add(node)
        _add_children(node, stack)
    return found


def children(node):
    """The child nodes of a node but its contexts and operators."""
    found = []
    _add_children(node, found)
    return found


def child_fields(kind):
    """The fields of a node class that may hold subtrees other than contexts and
    operators."""
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS[kind] = tuple(
            name for name in kind._fields if name not in _LEAF_FIELDS)
    return fields


def _add_children(node, found):
    fields = _CHILD_FIELDS.get(type(node))
    if fields is None:
        fields = child_fields(type(node))
    values = node.__dict__
    for name in fields:
        value = values.get(name)
        if type(value) is list:
            for item in value:
                if isinstance(item, _ANY_AST):
                    found.append(item)
        elif isinstance(value, _ANY_AST):
            found.append(value)


def names(tree):
    """The ``Name`` nodes of a gast tree (see :func:`nodes`)."""
    return [node for node in nodes(tree) if type(node) is gast.Name]


def same(a, b):
    """Whether two trees are the same expression: the same nodes with the same fields (as
    ``gast.dump`` shows them, locations aside) and the same symbolic references."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if not isinstance(a, _ANY_AST):
        return a is b or repr(a) == repr(b)
    return all(same(getattr(a, name, None), getattr(b, name, None)) for name in a._fields) and (
        a.__dict__.get("srcdiff_ref") == b.__dict__.get("srcdiff_ref"))


def rewrite_children(node, rewrite):
    """``node`` with each child subtree replaced, in place, by ``rewrite(child)``: the step
    that bottom-up and top-down rewrites of a tree repeat at every node."""
    for field, value in gast.iter_fields(node):
        if isinstance(value, list):
            setattr(node, field, [rewrite(v) if isinstance(v, gast.AST) else v for v in value])
        elif isinstance(value, gast.AST):
            setattr(node, field, rewrite(value))
    return node


def _class_in(module, kind, known):
    target = known.get(kind)
    if target is None:
        target = known[kind] = getattr(module, kind.__name__)
    return target


def _located_like(new, node):
    given = node.__dict__
    if "lineno" in given or "col_offset" in given:
        values = new.__dict__
        for attribute in _LOCATION:
            value = given.get(attribute)
            if value is not None:
                values[attribute] = value
    return new


_ABSENT = object()
