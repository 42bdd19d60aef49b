"""The output program: gast expressions whose names are still symbolic, plus comments.

Names in generated expressions refer to a *variable* (a web of SSA values, see
:mod:`srcdiff.ir.ssa`), to the *adjoint* of a variable, or to a Python *object* (a module, a
NumPy function, a runtime helper). They become text only in :mod:`srcdiff.backend.emit`, once it is
known which values the reverse sweep reads and which variables may therefore share a name.
Statements mirror Python's (assignment, ``if``, ``for``, ``while``, ``break``), plus the
tape operations ``Push`` and ``Pop`` of the restore discipline (see :mod:`srcdiff.transforms.tape`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

DEF, ADJ, OBJ = "def", "adj", "obj"


def ref(kind, key):
    node = gast.Name(id=f"<{kind}>", ctx=gast.Load(), annotation=None, type_comment=None)
    node.srcdiff_ref = (kind, key)
    return node


def ref_of(node):
    return getattr(node, "srcdiff_ref", None)


def const(value):
    return gast.Constant(value=value, kind=None)


def is_const(node, *values):
    return (isinstance(node, gast.Constant) and not isinstance(node.value, bool)
            and isinstance(node.value, (int, float)) and (not values or node.value in values))


def clone(node):
    """Deep copy of a gast tree that shares (does not copy) the symbolic references."""
    if isinstance(node, list):
        return [clone(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    copied = type(node)(**{name: clone(value) for name, value in gast.iter_fields(node)})
    for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset", "srcdiff_ref"):
        if hasattr(node, attribute):
            setattr(copied, attribute, getattr(node, attribute))
    return copied


def copy_of(node):
    """``node.copy()``: a new array with the same contents."""
    return gast.Call(func=gast.Attribute(value=node, attr="copy", ctx=gast.Load()), args=[],
                     keywords=[])


def refs(node, kind=None):
    return [r for n in gast.walk(node) if (r := ref_of(n)) is not None
            and (kind is None or r[0] == kind)]


FORWARD, ADJOINT, TAPE_PUSH, TAPE_POP, RECOMPUTE, INIT, RESULT, COMMENT, GUARD = (
    "forward", "adjoint", "tape push", "tape pop", "recompute", "init", "result", "comment",
    "guard")
ROLES = (FORWARD, ADJOINT, TAPE_PUSH, TAPE_POP, RECOMPUTE, INIT, RESULT, COMMENT, GUARD)


@dataclass
class Line:
    """What every output statement knows about itself: its ``role`` (one of ``ROLES``) and
    its ``origin``, the IR statement it was made for (whose ``origin`` is the source line),
    or None for bookkeeping that belongs to no source line (tape initialisers)."""

    role: str | None = field(default=None, kw_only=True)
    origin: object = field(default=None, kw_only=True)


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
        for block in ("body", "orelse"):
            stamp(getattr(line, block, ()), role, origin)
    return lines


@dataclass(frozen=True, eq=False)
class CellContents:
    """The current value of a closure cell: generated code reads ``cell.cell_contents``."""

    cell: object
    name: str


@dataclass
class Assign(Line):
    target: tuple
    value: object


@dataclass
class Comment(Line):
    text: str


@dataclass
class Mark(Line):
    """A point in the output that prints nothing: the printer records the line of the
    statement after it (``"adjoints"``: where the forward sweep ends)."""

    name: str


ADJOINTS = "adjoints"  # the mark where the forward sweep ends and the adjoints begin


@dataclass
class Return(Line):
    value: object


@dataclass
class If(Line):
    test: object
    body: list
    orelse: list = field(default_factory=list)


@dataclass
class For(Line):
    """``for target in iterable``; ``target`` is a variable key or None for ``_``."""

    target: object
    iterable: object
    body: list


@dataclass
class While(Line):
    test: object
    body: list


@dataclass
class Break(Line):
    pass


@dataclass
class Expr(Line):
    """An expression evaluated for its effect (``lst.append(v)``, ``lst.pop()``)."""

    value: object


@dataclass
class AddAt(Line):
    """``x_bar[index] += value`` (or ``np.add.at`` where positions may repeat)."""

    target: object
    index: object
    value: object
    repeats: bool = False


@dataclass
class Store(Line):
    """``target[index] = value`` (or ``op=`` with ``op`` "+" or "-"): a write in place."""

    target: object
    index: object
    value: object
    op: str | None = None


@dataclass
class Push(Line):
    """``v_tape.append(v)``: save a variable's value before it is overwritten. With an
    ``index``, save only the part a store overwrites: ``v_tape.append(v[index].copy())``
    (``copy`` where that part may be a view)."""

    variable: object
    index: object = None
    copy: bool = False


@dataclass
class Pop(Line):
    """``v = v_tape.pop()``: give a variable back the value it had; with an ``index``,
    ``v[index] = v_tape.pop()`` gives back the part a store overwrote."""

    variable: object
    index: object = None


@dataclass
class TapeInit(Line):
    variable: object


@dataclass
class Init(Line):
    """``v = None``: bind a variable that is pushed before its first assignment."""

    variable: object


@dataclass
class Output:
    """A generated function before naming: params are primal definitions."""

    name: str
    params: list
    body: list = field(default_factory=list)
    prologue: list = field(default_factory=list)
    seed: object = None


def clone_statement(stmt):
    """A copy of an output statement (for code printed twice, like a loop's test)."""
    if isinstance(stmt, Assign):
        return Assign(stmt.target, clone(stmt.value), role=stmt.role, origin=stmt.origin)
    return stmt
