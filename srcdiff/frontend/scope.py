"""What the free names of a function refer to: live objects, or a file read statically.

At run time a function's globals, closure and builtins answer. The CLI must not execute the
file it reads, so there the file's top level is read instead: imports of the modules that
srcdiff knows (math, numpy, ...) are imported for real, literal constants are read, and
anything else is remembered with the statement that bound it, so that a use of it can be
refused at the right place.
"""

from __future__ import annotations

import builtins
import importlib

import gast

from ..ir import trees
from ..ir.records import Record

STATIC_MODULES = ("math", "cmath", "numpy", "operator", "builtins", "srcdiff")


class Unresolved(Record):
    """A name the static reader could not resolve, and why."""

    fields = ("reason", "node")
    compared = ("reason", "node")
    hashable = True

    def __init__(self, reason, node=None):
        self.reason = reason
        self.node = node


class UserFunction(Record):
    fields = ("name", "node")
    compared = ("name", "node")
    hashable = True

    def __init__(self, name, node=None):
        self.name = name
        self.node = node


class Live(Record):
    """A live Python object: a module, a callable or a module-level value."""

    fields = ("value",)
    compared = ("value",)
    hashable = True

    def __init__(self, value):
        self.value = value


class Opaque(Record):
    """A module-level name bound to something the static reader does not evaluate."""

    fields = ("node",)
    compared = ("node",)
    hashable = True

    def __init__(self, node=None):
        self.node = node


_MISSING = object()


class RuntimeScope:
    def __init__(self, fn):
        self.fn = fn
        self.globals = fn.__globals__
        code = fn.__code__
        self.cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
        self.closure = {}
        for name, cell in self.cells.items():
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:
                self.closure[name] = _MISSING

    def lookup(self, name):
        if name in self.closure:
            value = self.closure[name]
        elif name in self.globals:
            value = self.globals[name]
        else:
            value = getattr(builtins, name, _MISSING)
        return None if value is _MISSING else Live(value)

    def cell(self, name):
        """The closure cell behind ``name``, when the function reads it from an outer scope."""
        return self.cells.get(name)

    def current(self, name):
        """What ``name`` holds now (closure cells and module globals can be rebound)."""
        cell = self.cells.get(name)
        if cell is not None:
            try:
                return cell.cell_contents
            except ValueError:
                return _MISSING
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, _MISSING)

    def spelling_of(self, obj):
        """A global name bound to ``obj`` in this scope, if any: the first in the module's
        order. The names are indexed once per size of the module's namespace (a printed
        name is all that hangs on it: compiled code holds the objects themselves)."""
        index = self.__dict__.get("_spellings")
        if index is None or index[0] != len(self.globals):
            closure = self.closure
            names = {id(value): name for name, value in reversed(self.globals.items())
                     if name not in closure}  # the first name of each object stays
            index = self._spellings = (len(self.globals), names)
        name = index[1].get(id(obj))
        return name if name is not None and self.globals.get(name) is obj else None


class StaticScope:
    def __init__(self, source):
        self.source = source
        self.names = {}
        for node in source.tree.body:
            self._bind(node)

    def _bind(self, node):
        if isinstance(node, gast.Import):
            for alias in node.names:
                if alias.asname:
                    self.names[alias.asname] = self._import(alias.name, node)
                else:
                    root = alias.name.split(".")[0]
                    self.names[root] = self._import(root, node)
        elif isinstance(node, gast.ImportFrom):
            module = self._import(node.module or "", node) if not node.level else Unresolved(
                "relative imports are not followed", node)
            for alias in node.names:
                local = alias.asname or alias.name
                if isinstance(module, Unresolved):
                    self.names[local] = module
                else:
                    self.names[local] = self._attr_of(module.value, alias.name, node)
        elif isinstance(node, gast.FunctionDef):
            self.names[node.name] = UserFunction(node.name, node)
        elif isinstance(node, (gast.Assign, gast.AnnAssign)):
            targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            value = _literal(node.value)
            for target in targets:
                for name in _target_names(target):
                    known = value is not _MISSING and isinstance(target, gast.Name)
                    self.names[name] = Live(value) if known else Opaque(node)
        elif isinstance(node, gast.ClassDef):
            self.names[node.name] = Unresolved("classes are not differentiated", node)
        else:
            for name in _bound_names(node):
                self.names[name] = Opaque(node)

    def _import(self, name, node):
        if name.split(".")[0] not in STATIC_MODULES:
            return Unresolved(f"module {name!r} is not imported when reading a file statically",
                              node)
        try:
            return Live(importlib.import_module(name))
        except ImportError:
            return Unresolved(f"module {name!r} cannot be imported", node)

    def _attr_of(self, module, attr, node):
        try:
            return Live(getattr(module, attr))
        except AttributeError:
            try:
                return Live(importlib.import_module(f"{module.__name__}.{attr}"))
            except ImportError:
                return Unresolved(f"{module.__name__} has no name {attr!r}", node)

    def cell(self, name):
        return None

    def lookup(self, name):
        if name in self.names:
            return self.names[name]
        value = getattr(builtins, name, _MISSING)
        return None if value is _MISSING else Live(value)

    def spelling_of(self, obj):
        for name, value in self.names.items():
            if isinstance(value, Live) and value.value is obj:
                return name
        return None


def _literal(node):
    try:
        return _eval_literal(node)
    except ValueError:
        return _MISSING


def _eval_literal(node):
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        value = _eval_literal(node.operand)
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return -value if isinstance(node.op, gast.USub) else value
    if isinstance(node, gast.Tuple):
        return tuple(_eval_literal(e) for e in node.elts)
    raise ValueError


def _target_names(target):
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for e in target.elts for n in _target_names(e)]
    return []


def _bound_names(node):
    return [n.id for n in trees.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
