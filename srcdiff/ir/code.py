"""The output program: gast expressions whose names are still symbolic, plus comments.

Names in generated expressions refer to a *variable* (a web of SSA values, see
:mod:`srcdiff.ir.ssa`), to the *adjoint* or the *tangent* of a variable, or to a Python
*object* (a module, a NumPy function, a runtime helper). They become text only in
:mod:`srcdiff.backend.emit`, once it is known which values the reverse sweep reads and
which variables may therefore share a name.
Statements mirror Python's (assignment, ``if``, ``for``, ``while``, ``break``), plus the
tape operations ``Push`` and ``Pop`` of the restore discipline (see :mod:`srcdiff.transforms.tape`).
"""

from __future__ import annotations

import gast

from . import trees
from .records import Record

DEF, ADJ, TAN, OBJ = "def", "adj", "tan", "obj"


def ref(kind, key):
    """A name node that stands for ``key``'s variable, adjoint, tangent or object (made
    without gast's generic constructor: the transforms make one for every operand)."""
    node = _new(gast.Name)
    node.__dict__.update(id=f"<{kind}>", ctx=_new(gast.Load), annotation=None,
                         type_comment=None, srcdiff_ref=(kind, key))
    return node


_new = gast.AST.__new__


def ref_of(node):
    return getattr(node, "srcdiff_ref", None)


def const(value):
    return gast.Constant(value=value, kind=None)


def is_const(node, *values):
    return (isinstance(node, gast.Constant) and not isinstance(node.value, bool)
            and isinstance(node.value, (int, float)) and (not values or node.value in values))


def clone(node):
    """Deep copy of a gast tree that shares (does not copy) the symbolic references, and
    the contexts and operators (``Load``, ``Add``), which carry nothing and are never
    changed. A node's fields, location and reference all live in its ``__dict__``."""
    kind = type(node)
    if kind is gast.Name and node.__dict__.get("annotation") is None or kind is gast.Constant:
        copied = _new(kind)  # the commonest nodes hold no subtree
        copied.__dict__.update(node.__dict__)
        return copied
    if kind is list:
        return [clone(n) for n in node]
    if not isinstance(node, gast.AST) or kind in _SHARED:
        return node
    copied = kind.__new__(kind)
    fields = copied.__dict__
    for name, value in node.__dict__.items():
        if type(value) is list:
            value = [clone(v) for v in value]
        elif isinstance(value, gast.AST) and type(value) not in _SHARED:
            value = clone(value)
        fields[name] = value
    return copied


_SHARED = trees.LEAF_CLASSES


def copy_of(node):
    """``node.copy()``: a new array with the same contents."""
    return gast.Call(func=gast.Attribute(value=node, attr="copy", ctx=gast.Load()), args=[],
                     keywords=[])


def ref_nodes(tree):
    """The nodes of a tree that carry a symbolic reference."""
    if type(tree) is gast.Name:  # most operands and many adjoints
        return [tree] if "srcdiff_ref" in tree.__dict__ else []
    return [n for n in trees.nodes(tree) if "srcdiff_ref" in n.__dict__]


def refs(node, kind=None):
    return [r for n in trees.nodes(node) if (r := n.__dict__.get("srcdiff_ref")) is not None
            and (kind is None or r[0] == kind)]


FORWARD, ADJOINT, TANGENT, TAPE_PUSH, TAPE_POP, RECOMPUTE, INIT, RESULT, COMMENT, GUARD = (
    "forward", "adjoint", "tangent", "tape push", "tape pop", "recompute", "init", "result",
    "comment", "guard")
ROLES = (FORWARD, ADJOINT, TANGENT, TAPE_PUSH, TAPE_POP, RECOMPUTE, INIT, RESULT, COMMENT,
         GUARD)


class Line(Record):
    """What every output statement knows about itself: its ``role`` (one of ``ROLES``) and
    its ``origin``, the IR statement it was made for (whose ``origin`` is the source line),
    or None for bookkeeping that belongs to no source line (tape initialisers). Statements
    compare equal by their fields, role and origin included."""

    own: tuple = ()

    def __init_subclass__(cls, **kwargs):
        cls.fields = cls.compared = ("role", "origin") + cls.own
        super().__init_subclass__(**kwargs)


def walk_lines(lines):
    """The statements of a block and of the blocks inside them (``body``, ``orelse``),
    each before those it holds."""
    found = []
    for line in lines:
        found.append(line)
        values = line.__dict__
        if "body" in values:
            found += walk_lines(values["body"])
            if "orelse" in values:
                found += walk_lines(values["orelse"])
    return found


def stamp(lines, role, origin):
    """Give the statements that have none (at any depth) this role (comments the role
    ``COMMENT``) and origin."""
    for line in lines:
        if not isinstance(line, Line):
            continue
        if line.role is None:
            line.role = COMMENT if isinstance(line, Comment) else role
        if line.origin is None:
            line.origin = origin
        values = line.__dict__
        if "body" in values:
            stamp(values["body"], role, origin)
            stamp(values.get("orelse", ()), role, origin)
    return lines


class CellContents(Record):
    """The current value of a closure cell: generated code reads ``cell.cell_contents``."""

    fields = ("cell", "name")

    def __init__(self, cell, name):
        self.cell = cell
        self.name = name


class Assign(Line):
    own = ('target', 'value')

    def __init__(self, target, value, *, role=None, origin=None):
        self.target = target
        self.value = value
        self.role = role
        self.origin = origin


class Comment(Line):
    own = ('text',)

    def __init__(self, text, *, role=None, origin=None):
        self.text = text
        self.role = role
        self.origin = origin


class Mark(Line):
    """A point in the output that prints nothing: the printer records the line of the
    statement after it (``"adjoints"``: where the forward sweep ends)."""

    own = ('name',)

    def __init__(self, name, *, role=None, origin=None):
        self.name = name
        self.role = role
        self.origin = origin


ADJOINTS = "adjoints"
"""The mark where the forward sweep ends and adjoints that may raise an arithmetic error
begin (none where none can: see ``tidy.unraising_adjoints``)."""


class Return(Line):
    own = ('value',)

    def __init__(self, value, *, role=None, origin=None):
        self.value = value
        self.role = role
        self.origin = origin


class If(Line):
    own = ('test', 'body', 'orelse')

    def __init__(self, test, body, orelse=None, *, role=None, origin=None):
        self.test = test
        self.body = body
        self.orelse = [] if orelse is None else orelse
        self.role = role
        self.origin = origin


class For(Line):
    """``for target in iterable``; ``target`` is a variable key, None for ``_``, or a list
    of ``(kind, key)`` targets that each item unpacks into (``for u, u_dot in zip(a,
    a_dot)``)."""

    own = ('target', 'iterable', 'body')

    def __init__(self, target, iterable, body, *, role=None, origin=None):
        self.target = target
        self.iterable = iterable
        self.body = body
        self.role = role
        self.origin = origin


class While(Line):
    own = ('test', 'body')

    def __init__(self, test, body, *, role=None, origin=None):
        self.test = test
        self.body = body
        self.role = role
        self.origin = origin


class Break(Line):
    own = ()

    def __init__(self, *, role=None, origin=None):
        self.role = role
        self.origin = origin


class Expr(Line):
    """An expression evaluated for its effect (``lst.append(v)``, ``lst.pop()``)."""

    own = ('value',)

    def __init__(self, value, *, role=None, origin=None):
        self.value = value
        self.role = role
        self.origin = origin


class AddAt(Line):
    """``x_bar[index] += value`` (or ``np.add.at`` where positions may repeat)."""

    own = ('target', 'index', 'value', 'repeats')

    def __init__(self, target, index, value, repeats=False, *, role=None, origin=None):
        self.target = target
        self.index = index
        self.value = value
        self.repeats = repeats
        self.role = role
        self.origin = origin


class Store(Line):
    """``target[index] = value`` (or ``op=`` with ``op`` "+" or "-"): a write in place."""

    own = ('target', 'index', 'value', 'op')

    def __init__(self, target, index, value, op=None, *, role=None, origin=None):
        self.target = target
        self.index = index
        self.value = value
        self.op = op
        self.role = role
        self.origin = origin


class Push(Line):
    """``v_tape.append(v)``: save a variable's value before it is overwritten. With an
    ``index``, save only the part a store overwrites: ``v_tape.append(v[index].copy())``
    (``copy`` where that part may be a view)."""

    own = ('variable', 'index', 'copy')

    def __init__(self, variable, index=None, copy=False, *, role=None, origin=None):
        self.variable = variable
        self.index = index
        self.copy = copy
        self.role = role
        self.origin = origin


class Pop(Line):
    """``v = v_tape.pop()``: give a variable back the value it had; with an ``index``,
    ``v[index] = v_tape.pop()`` gives back the part a store overwrote."""

    own = ('variable', 'index')

    def __init__(self, variable, index=None, *, role=None, origin=None):
        self.variable = variable
        self.index = index
        self.role = role
        self.origin = origin


class TapeInit(Line):
    own = ('variable',)

    def __init__(self, variable, *, role=None, origin=None):
        self.variable = variable
        self.role = role
        self.origin = origin


class Init(Line):
    """``v = None``: bind a variable that is pushed before its first assignment."""

    own = ('variable',)

    def __init__(self, variable, *, role=None, origin=None):
        self.variable = variable
        self.role = role
        self.origin = origin


class Verbatim(Line):
    """A statement made whole, as the standard library's ``tree`` that compiles, and the
    text ``shown`` in its place (its lines indented relative to the first). ``nodes`` holds
    the nodes of each of those lines, for the printer to place; each object the statement
    reads is a string constant of the tree that ``objects`` maps to the object (the
    dispatcher's type guard: see :mod:`srcdiff.backend.guard`)."""

    own = ('shown', 'tree', 'nodes', 'objects')

    def __init__(self, shown, tree, nodes, objects, *, role=None, origin=None):
        self.shown = shown
        self.tree = tree
        self.nodes = nodes
        self.objects = objects
        self.role = role
        self.origin = origin


class Output(Record):
    """A generated function before naming: params are primal definitions; ``seed`` is the
    variable whose adjoint is a parameter too (a VJP), ``tangents`` the variables whose
    tangents are (a JVP), after the primal ones."""

    fields = compared = ("name", "params", "body", "prologue", "seed", "tangents")

    def __init__(self, name, params, body=None, prologue=None, seed=None, tangents=()):
        self.name = name
        self.params = params
        self.body = [] if body is None else body
        self.prologue = [] if prologue is None else prologue
        self.seed = seed
        self.tangents = tangents


def clone_statement(stmt):
    """A copy of an output statement (for code printed twice, like a loop's test)."""
    if isinstance(stmt, Assign):
        return Assign(stmt.target, clone(stmt.value), role=stmt.role, origin=stmt.origin)
    return stmt
