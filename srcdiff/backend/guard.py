"""The type guard at the head of a compiled derivative, written directly.

The dispatcher puts ``if type(a) is not float or type(b) is not float: return dispatch(a,
b)`` first in the code it installs (see :mod:`srcdiff.driver.dispatch`). The guard reads
objects (``type``, ``float``, the dispatcher) that compiled code must load as constants,
never look up by name. Built as gast, it went through the printer's naming, spelling and
placing of references like any statement of the derivative, and that cost more than the rest
of printing and compiling a small derivative: 1.3M of the 10.7M instructions of the first
gradient of ``(a + b) * (b + 1)`` (parsing its text instead costs 0.3M). Its shape is fixed,
so it is written here as the text printed, where each object appears by its name, and the
standard library's tree compiled, where each object is a string constant that
:func:`srcdiff.backend.compile.compiled_function` replaces by the object.
"""

from __future__ import annotations

import ast

from ..ir import code

_LOAD = ast.Load()
_OPERATORS = {"is not": ast.IsNot(), "!=": ast.NotEq()}


class Piece:
    """An expression of the guard: its text as printed, and its tree as compiled."""

    __slots__ = ("shown", "tree")

    def __init__(self, shown, tree):
        self.shown = shown
        self.tree = tree


class GuardWriter:
    """Writes one guard: the objects it reads, and its expressions, each node of them made
    on the guard's first line (``nodes``), where the printer places them."""

    def __init__(self):
        self.objects = {}
        self.nodes = []

    def _made(self, node):
        self.nodes.append(node)
        return node

    def obj(self, value, shown=None):
        """``value``, printed by its name and compiled as a constant."""
        key = f"\x00srcdiff guard:{len(self.objects)}"
        self.objects[key] = value
        if shown is None:
            shown = getattr(value, "__name__", None) or repr(value)
        return Piece(shown, self._made(ast.Constant(key)))

    def cell_contents(self, cell, name):
        """What the closure cell of variable ``name`` holds now, printed as the variable."""
        read = self._made(ast.Attribute(self.obj(cell).tree, "cell_contents", _LOAD))
        return Piece(name, read)

    def literal(self, value):
        """A constant that the text spells as itself (None, a bool, a shape)."""
        return Piece(repr(value), self._made(ast.Constant(value)))

    def name(self, identifier):
        return Piece(identifier, self._made(ast.Name(identifier, _LOAD)))

    def attribute(self, value, attr):
        return Piece(f"{value.shown}.{attr}", self._made(ast.Attribute(value.tree, attr, _LOAD)))

    def call(self, func, args):
        return Piece(f"{func.shown}({', '.join(a.shown for a in args)})",
                     self._made(ast.Call(func.tree, [a.tree for a in args], [])))

    def compare(self, left, operator, right):
        """``left is not right`` or ``left != right``."""
        return Piece(f"{left.shown} {operator} {right.shown}",
                     self._made(ast.Compare(left.tree, [_OPERATORS[operator]], [right.tree])))

    def type_is_not(self, subject, cls, shown=None):
        """``type(subject) is not cls``."""
        return self.compare(self.call(self.obj(type), [subject]), "is not",
                            self.obj(cls, shown))

    def either(self, tests, nested=False):
        """``a or b or ...``: true where any test is (in parentheses where ``nested``)."""
        if len(tests) == 1:
            return tests[0]
        shown = " or ".join(t.shown for t in tests)
        return Piece(f"({shown})" if nested else shown,
                     self._made(ast.BoolOp(ast.Or(), [t.tree for t in tests])))

    def statement(self, tests, dispatcher, arguments, keywords):
        """``if test: return dispatcher(arguments, keyword=keyword, ...)``, as an output
        line; ``arguments`` and ``keywords`` are names."""
        test = self.either(tests) if tests else self.literal(False)
        first_line = self.nodes
        self.nodes = []
        func = self.obj(dispatcher)
        args = [self.name(a) for a in arguments]
        passed = [self.name(k) for k in keywords]
        call = ast.Call(func.tree, [a.tree for a in args],
                        [ast.keyword(k.shown, k.tree) for k in passed])
        shown = ", ".join([a.shown for a in args] + [f"{k.shown}={k.shown}" for k in passed])
        returned = ast.Return(call)
        self.nodes += [call, returned, *call.keywords]
        tree = ast.If(test.tree, [returned], [])
        return code.Verbatim(f"if {test.shown}:\n    return {func.shown}({shown})", tree,
                             [[tree, *first_line], self.nodes], dict(self.objects),
                             role=code.GUARD)
