"""Stage 6: name every value and print the derivative as Python source with comments.

Neither ``ast.unparse`` nor astor prints comments, so the function is printed statement by
statement: each statement through :mod:`srcdiff.backend.unparse` (``ast.unparse``'s text),
comments and indentation by this module.
The same pass builds the AST that :mod:`srcdiff.backend.compile` compiles, with every
statement on the line it has in the printed text, so tracebacks point at the lines a user
reads.

Naming: a value keeps its source name; a reassigned variable whose old value the reverse
sweep still reads gets a numbered name (``y``, ``y_2``, ...). The adjoint of ``v`` is
``v_bar``. Modules and helpers are spelled as the user's module spells them where possible.
"""

from __future__ import annotations

import ast
import math
import types

import gast
import numpy as np

from .. import runtime
from ..ir import code, names, trees
from ..ir import nodes as ir
from ..ir.code import ADJ, DEF, OBJ, TAN
from ..ir.records import Record
from ..primitives.indexing import ADD_AT, index_value
from .arrays import NUMPY
from .unparse import unparse

INDENT = "    "
_CANONICAL = {math: ("math", "import math"), np: ("np", "import numpy as np")}


class Emitted(Record):
    """A printed function: its name, text and imports, what it references, and ``lines``,
    the line table: each line of ``text`` (numbered from 1) that a statement printed, to
    its :class:`LineInfo`."""

    fields = ("name", "text", "imports", "statements", "references", "arguments", "def_line",
              "callees", "marks", "source_file", "source_name", "lines", "namespace",
              "referring", "objects")
    hidden = ("statements", "references", "arguments", "callees", "marks", "lines",
              "namespace", "referring", "objects")
    compared = ("name", "text", "imports", "statements", "references", "arguments", "def_line",
                "callees", "marks", "source_file", "source_name", "lines")

    def __init__(self, name, text, imports, statements=None, references=None, arguments=None,
                 def_line=1, callees=None, marks=None, source_file=None, source_name=None,
                 lines=None, referring=None, objects=None):
        self.name = name
        self.text = text
        self.imports = imports
        self.statements = [] if statements is None else statements
        self.references = {} if references is None else references
        self.arguments = arguments
        self.def_line = def_line
        self.callees = [] if callees is None else callees
        self.marks = {} if marks is None else marks
        self.source_file = source_file
        self.source_name = source_name
        self.lines = {} if lines is None else lines
        self.referring = referring
        """The ids of the top-level ``statements`` that hold a node of ``references``
        (None: any may); the others compile as they are."""
        self.objects = {} if objects is None else objects
        """The objects that string constants of ``statements`` stand for (the guard's: see
        :class:`srcdiff.ir.code.Verbatim`)."""
        self.namespace = None
        """The module-level names of the function this derivative is of, which its printed
        text reads (None: the caller's)."""

    @property
    def full_text(self):
        """This function's source after the VJPs of the functions it calls."""
        return "\n\n".join([c.text for c in self.callees] + [self.text])

    @property
    def all_imports(self):
        found = []
        for part in self.callees + [self]:
            found += [i for i in part.imports if i not in found]
        return found


class LineInfo(Record):
    """Where a generated line comes from: its role (see ``srcdiff.ir.code.ROLES``), the IR
    statement it was made for, and that statement's source line (None for bookkeeping
    such as tape initialisers)."""

    fields = ("role", "statement")
    compared = ("role", "statement")
    hashable = True

    def __init__(self, role, statement=None):
        self.role = role
        self.statement = statement

    @property
    def source_line(self):
        origin = getattr(self.statement, "origin", None)
        return getattr(origin, "lineno", None)


def with_imports(imports, text):
    """Source text preceded by the imports it needs that its file does not provide."""
    return ("\n".join(imports) + "\n\n\n" if imports else "") + text


def emit(out, fn, scope, header=()):
    return _Printer(out, fn, scope).run(header)


class _Printer:
    def __init__(self, out, fn, scope):
        self.out = out
        self.fn = fn
        self.scope = scope
        self.user_names = _user_names(fn)
        self.used = self.user_names | {out.name}
        self.names = {}
        self.imports = []
        self.spellings = {}
        self.references = {}
        self.marks = {}
        self.table = {}
        self.provenance = LineInfo(None)
        self.referring = set()
        self.objects = {}
        self.converting_line = None

    def run(self, header):
        self.name_variables()
        self.text = [f"# {h}" for h in header]
        self.text.append(f"def {self.out.name}({self.signature()}):")
        def_line = len(self.text)
        self.provenance = LineInfo(code.GUARD)
        statements = self.block(list(self.out.prologue), 1) if self.out.prologue else []
        statements += self.block(list(self.out.body), 1)
        arguments = list(self.fn.params)
        if self.out.seed is not None:
            arguments.append(ir.Param(self.adjoint_name(self.out.seed)))
        arguments += [ir.Param(self.tangent_name(key)) for key in self.out.tangents]
        return Emitted(self.out.name, "\n".join(self.text) + "\n", self.imports, statements,
                       self.references, arguments, def_line, marks=self.marks,
                       source_file=self.fn.source.filename, source_name=self.fn.name,
                       lines=self.table, referring=self.referring, objects=self.objects)

    # printing

    def line(self, depth, text):
        self.text.append(INDENT * depth + text)
        self.table[len(self.text)] = self.provenance
        return len(self.text)

    def block(self, lines, depth):
        """Print output statements; return their trees (the standard library's, as they
        will be compiled), located on printed lines."""
        statements = []
        enclosing = self.provenance
        for line in lines:
            kind = type(line)
            if isinstance(line, code.Line) and line.role is not None:
                self.provenance = LineInfo(line.role, line.origin)
            if kind is code.Comment:
                self.line(depth, "# " + line.text)
            elif kind is code.Mark:
                self.marks[line.name] = len(self.text) + 1
            else:
                known = len(self.references)
                stmt = self.statement(line, depth)
                if stmt is not None:
                    statements.append(stmt)
                    if len(self.references) > known:
                        self.referring.add(id(stmt))
            self.provenance = enclosing
        if not statements:
            statements.append(_located(ast.Pass(), self.line(depth, "pass")))
        return statements

    def statement(self, line, depth):
        if type(line) is code.Assign:  # most lines
            return self.assignment(line, depth)
        if isinstance(line, gast.stmt):
            return self.simple(self.converted(line), depth)
        if isinstance(line, code.Verbatim):
            return self.verbatim(line, depth)
        if isinstance(line, code.If):
            test, body, orelse = self.expr(line.test), line.body, line.orelse
            if not _has_code(body) and _has_code(orelse):
                test, body, orelse = trees.at_line(ast.UnaryOp(op=ast.Not(), operand=test),
                                                   len(self.text) + 1), orelse, body
            node = ast.If(test=test, body=[], orelse=[])
            _located(node, self.line(depth, f"if {_unparsed(test)}:"))
            node.body = self.block(body, depth + 1)
            if _has_code(orelse):
                self.line(depth, "else:")
                node.orelse = self.block(orelse, depth + 1)
            return node
        if isinstance(line, code.For):
            if isinstance(line.target, list):
                names = [self.target_name(t) for t in line.target]
                target = ", ".join(names)
                stored = ast.Tuple(elts=[ast.Name(n, _STORE) for n in names], ctx=_STORE)
                for element in stored.elts:
                    trees.at_line(element, len(self.text) + 1)
            else:
                target = self.variable(line.target) if line.target is not None else "_"
                stored = ast.Name(target, _STORE)
            trees.at_line(stored, len(self.text) + 1)
            iterable = self.expr(line.iterable)
            node = ast.For(target=stored, iter=iterable, body=[], orelse=[], type_comment=None)
            _located(node, self.line(depth, f"for {target} in {_unparsed(iterable)}:"))
            node.body = self.block(line.body, depth + 1)
            return node
        if isinstance(line, code.While):
            test = self.expr(line.test)
            node = ast.While(test=test, body=[], orelse=[])
            _located(node, self.line(depth, f"while {_unparsed(test)}:"))
            node.body = self.block(line.body, depth + 1)
            return node
        if isinstance(line, code.AddAt):
            target = _load(self.target_name(line.target))
            if line.repeats:
                scatter = NUMPY.scatter_add(target, index_value(line.index), line.value)
                return self.simple(self.converted(scatter), depth)
            element = gast.Subscript(value=target, slice=line.index, ctx=gast.Store())
            return self.simple(self.converted(
                gast.AugAssign(target=element, op=gast.Add(), value=line.value)), depth)
        if isinstance(line, code.Store):
            target = _load(self.target_name(line.target))
            if line.op == ADD_AT:
                scatter = NUMPY.scatter_add(target, index_value(line.index), line.value)
                return self.simple(self.converted(scatter), depth)
            element = gast.Subscript(value=target, slice=line.index, ctx=gast.Store())
            value = line.value
            if line.op is None:
                stmt = gast.Assign(targets=[element], value=value, type_comment=None)
            else:
                op = gast.Add() if line.op == "+" else gast.Sub()
                stmt = gast.AugAssign(target=element, op=op, value=value)
            return self.simple(self.converted(stmt), depth)
        if isinstance(line, code.Expr):
            return self.simple(ast.Expr(value=self.expr(line.value)), depth)
        if isinstance(line, code.Break):
            return self.simple(ast.Break(), depth)
        if isinstance(line, code.Return):
            return self.simple(ast.Return(value=self.expr(line.value)), depth)
        if isinstance(line, (code.Push, code.Pop, code.TapeInit, code.Init)):
            return self.simple(self.converted(_tape_statement(line, self.tape_name)), depth)
        return self.assignment(line, depth)

    def assignment(self, line, depth):
        value = self.converted(line.value)  # the targets are made as they are compiled
        at = self.converting_line
        if isinstance(line.target[0], tuple):
            target = ast.Tuple(elts=[trees.at_line(ast.Name(self.target_name(t), _STORE), at)
                                     for t in line.target], ctx=_STORE)
        else:
            target = ast.Name(self.target_name(line.target), _STORE)
        stmt = trees.at_line(ast.Assign(targets=[trees.at_line(target, at)], value=value,
                                        type_comment=None), at)
        if _self_assignment(stmt):
            return None
        return self.simple(stmt, depth)

    def simple(self, stmt, depth):
        first = None
        for text in _unparsed(stmt).splitlines():
            number = self.line(depth, text)
            first = first or number
        return _located(stmt, first)

    def verbatim(self, line, depth):
        for text, placed in zip(line.shown.splitlines(), line.nodes):
            number = self.line(depth, text)
            for node in placed:
                trees.at_line(node, number)
        self.objects.update(line.objects)
        return line.tree

    # names

    def name_variables(self):
        self.names = dict(self.out.plan.names)
        self.names["value"] = "value"
        self.used |= set(self.names.values())

    def variable(self, key):
        if isinstance(key, tuple) and key and key[0] == "new":
            # The value an assignment gave, kept while the reverse sweep restores the old
            # one into the variable (both are read by the adjoint).
            return names.new_value(self.names[key[1]], self.user_names)
        return self.names[key]

    def tape_name(self, variable):
        return names.tape(variable, self.user_names)

    def target_name(self, target):
        kind, key = target
        if kind == DEF:
            return self.variable(key)
        return self.adjoint_name(key) if kind == ADJ else self.tangent_name(key)

    def tangent_name(self, key):
        return names.tangent(self.variable(key), self.user_names)

    def adjoint_name(self, key):
        if isinstance(key, tuple) and key and key[0] == "part":
            return names.part(self.adjoint_name(key[1]), key[2])
        # A VJP's seed for a result that is a constant (``return 2.0``) belongs to no
        # variable: it is named after the function, as a variable result would be.
        base = self.fn.name if key == "result" and key not in self.names else self.names[key]
        return names.adjoint(base, self.user_names)

    def spell(self, obj):
        if id(obj) in self.spellings:
            return self.spellings[id(obj)]
        spelling = self._spell(obj)
        self.spellings[id(obj)] = spelling
        return spelling

    def _spell(self, obj):
        if isinstance(obj, code.CellContents):
            return obj.name
        local = self.scope.spelling_of(obj) if self.scope is not None else None
        if local is not None and local not in self.locals():
            return local
        if obj in _CANONICAL:
            name, statement = _CANONICAL[obj]
            self.need(statement)
            return name
        if isinstance(obj, types.ModuleType):
            self.need(f"import {obj.__name__}")
            return obj.__name__
        if getattr(obj, "__module__", None) == runtime.__name__:
            self.need(f"from srcdiff.runtime import {obj.__name__}")
            return obj.__name__
        if obj is float:
            return "float"
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return f"{self.spell(np)}.{obj.__name__}"
        return getattr(obj, "__name__", repr(obj))

    def need(self, statement):
        if statement not in self.imports:
            self.imports.append(statement)

    def locals(self):
        return set(self.names.values())

    # statements

    def signature(self):
        node = self.fn.node
        parts = []
        args = node.args
        positional = list(args.posonlyargs) + list(args.args)
        first_default = len(positional) - len(args.defaults)
        extra = self.out.seed is not None or bool(self.out.tangents)
        for i, arg in enumerate(positional):
            text = arg.id
            if i >= first_default and not extra:
                text += "=" + self.fn.source.located.segment(args.defaults[i - first_default])
            parts.append(text)
            if args.posonlyargs and i == len(args.posonlyargs) - 1:
                parts.append("/")
        if self.out.seed is not None:
            parts.append(self.adjoint_name(self.out.seed))
        parts += [self.tangent_name(key) for key in self.out.tangents]
        if args.kwonlyargs:
            parts.append("*")
            for arg, default in zip(args.kwonlyargs, args.kw_defaults):
                text = arg.id
                if default is not None:
                    text += "=" + self.fn.source.located.segment(default)
                parts.append(text)
        return ", ".join(parts)

    def expr(self, node):
        return self.converted(node)

    def converted(self, node):
        """The standard library's tree of a gast tree of output code, its symbolic names
        spelled; the objects that names and module attributes refer to are recorded in
        ``references``, by the nodes that :mod:`srcdiff.backend.compile` swaps for them."""
        self.converting_line = len(self.text) + 1  # the line it will be printed on
        return trees.to_stdlib(node, self._resolved, self.converting_line)

    def _resolved(self, node):
        reference = node.__dict__.get("srcdiff_ref")
        line = self.converting_line
        if reference is not None and type(node) is gast.Name:
            kind, key = reference
            spelled = _NAMERS.get(kind)
            if spelled is not None:
                return trees.at_line(ast.Name(spelled(self, key), _CONTEXTS[type(node.ctx)]), line)
            new = trees.at_line(ast.Name(self.spell(key), _CONTEXTS[type(node.ctx)]), line)
        elif reference is not None and reference[0] == OBJ:
            new, key = trees.converted_fields(node, self._resolved, line), reference[1]
        elif type(node) is gast.Attribute and _module_ref(node.value):
            new = trees.converted_fields(node, self._resolved, line)
            key = getattr(code.ref_of(node.value)[1], node.attr)
        else:
            return None
        self.references[id(new)] = key
        return new


_NAMERS = {DEF: _Printer.variable, "old": _Printer.variable, ADJ: _Printer.adjoint_name,
           TAN: _Printer.tangent_name}
"""How a symbolic name of each kind is spelled (an object's spelling also imports it)."""


def _tape_statement(line, tape_name):
    """The statement of a tape's line: its initialiser, a push or a pop."""
    name = line.variable
    tape = tape_name(name)
    if isinstance(line, code.TapeInit):
        return gast.Assign(targets=[_store(tape)], value=gast.List(elts=[], ctx=gast.Load()),
                           type_comment=None)
    if isinstance(line, code.Init):
        return gast.Assign(targets=[_store(name)], value=code.const(None), type_comment=None)
    method = "append" if isinstance(line, code.Push) else "pop"
    saved = _load(name)
    if line.index is not None:
        saved = gast.Subscript(value=saved, slice=line.index, ctx=gast.Load())
    if isinstance(line, code.Push) and line.copy:
        saved = code.copy_of(saved)
    call = gast.Call(func=gast.Attribute(value=_load(tape), attr=method, ctx=gast.Load()),
                     args=[saved] if method == "append" else [], keywords=[])
    if isinstance(line, code.Push):
        return gast.Expr(value=call)
    target = _store(name)
    if line.index is not None:
        target = gast.Subscript(value=_load(name), slice=line.index, ctx=gast.Store())
    return gast.Assign(targets=[target], value=call, type_comment=None)


def _has_code(lines):
    return any(not isinstance(line, code.Comment) for line in lines)


def _store(name):
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def _load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def _located(stmt, lineno):
    return trees.at_line(stmt, lineno)


def _self_assignment(stmt):
    """``a_bar = a_bar``: an adjoint passed through unchanged to an older version of a name."""
    return (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == stmt.value.id)


def render(node):
    """Python source for a gast node (the stdlib unparser, after conversion)."""
    return _unparsed(trees.to_stdlib(node))


def _unparsed(converted):
    if isinstance(converted, ast.stmt) and not hasattr(converted, "lineno"):
        converted.lineno = 0  # the unparser looks for type comments by line
    if isinstance(converted, ast.Return) and isinstance(converted.value, ast.Tuple) and (
            len(converted.value.elts) > 1):
        return "return " + ", ".join(unparse(e) for e in converted.value.elts)
    return unparse(converted).strip()


def _module_ref(node):
    reference = code.ref_of(node)
    return reference is not None and reference[0] == OBJ and isinstance(
        reference[1], types.ModuleType)


def tangent_parameter_names(fn, wrt):
    """The names a JVP of ``fn`` gives the tangents of the ``wrt`` parameters."""
    user = _user_names(fn)
    return [names.tangent(p, user) for p in wrt]


def _user_names(fn):
    return names.spelled_in(fn.node) | set(
        fn.param_names)


def prepared_for_compiling(stmt, references, placeholder):
    """A printed statement made ready to compile, in place: each node in ``references``
    replaced by a constant on the line of the node it replaces (the printer placed every
    node on its statement's printed line).

    ``placeholder(obj)`` gives a unique string constant that :mod:`srcdiff.backend.compile`
    swaps for ``obj`` in the compiled code object, so generated code never looks names up
    in, or adds names to, the user's module, and loads each helper as fast as a constant.
    """
    def constant(obj, located):
        lineno = located.lineno
        if isinstance(obj, code.CellContents):
            return _at(ast.Attribute(value=_at(ast.Constant(placeholder(obj.cell)), lineno),
                                     attr="cell_contents", ctx=_LOAD), lineno)
        return _at(ast.Constant(placeholder(obj)), lineno)

    def place(node):
        fields = node.__dict__
        for name in trees.child_fields(type(node)):
            value = fields.get(name)
            if type(value) is list:
                for k, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        obj = references.get(id(item), _KEPT)
                        if obj is _KEPT:
                            place(item)
                        else:
                            value[k] = constant(obj, item)
            elif isinstance(value, ast.AST):
                obj = references.get(id(value), _KEPT)
                if obj is _KEPT:
                    place(value)
                else:
                    fields[name] = constant(obj, value)
    place(stmt)
    return stmt


def _at(node, lineno):
    node.lineno = node.end_lineno = lineno
    node.col_offset = node.end_col_offset = 0
    return node


_KEPT = object()
_LOAD, _STORE = ast.Load(), ast.Store()
_CONTEXTS = {gast.Load: _LOAD, gast.Store: _STORE, gast.Del: ast.Del()}
