"""Running printed code with a recorder beside it.

The views show what a function's printed code computes, line by line. Rather than
interpreting that code, they run it as Python runs it, after a copy of its syntax tree has
been given calls to a recorder: after each assignment (the names it assigned and their
values, on the line it was printed on), at the top of each loop iteration (the loop's
variables), after each loop, and at the ``return``. The recorded code is the printed code
plus those calls, so what it computes is what the printed code computes.
"""

from __future__ import annotations

import ast
import copy
import itertools
import linecache
import sys

from .values import snapshot

RECORDER = "__srcdiff_recorder__"
_counter = itertools.count(1)


class Frame:
    """One execution of a loop: the line of its header, which iteration it is in, and the
    loop variables' values in that iteration."""

    __slots__ = ("line", "execution", "iteration", "variables")

    def __init__(self, line, execution):
        self.line = line
        self.execution = execution
        self.iteration = 0
        self.variables = ()


class Recorder:
    """Receives the instrumented code's calls; subclasses say what to keep."""

    def __init__(self):
        self.frames = []
        self.executions = itertools.count(1)

    def loops(self):
        """Where in the loops execution is now: ``(line, execution, iteration, variables)``
        from the outermost loop in."""
        return tuple((f.line, f.execution, f.iteration, f.variables) for f in self.frames)

    # called by the instrumented code

    def assigned(self, line, names, values):
        self.on_assignment(line, list(zip(names, [snapshot(v) for v in values])))

    def enter(self, line, names, values):
        if not self.frames or self.frames[-1].line != line:
            self.frames.append(Frame(line, next(self.executions)))
        frame = self.frames[-1]
        frame.iteration += 1
        frame.variables = tuple(zip(names, [snapshot(v) for v in values]))
        self.on_iteration(line)

    def leave(self, line):
        if self.frames and self.frames[-1].line == line:
            self.frames.pop()

    def returned(self, line, value):
        self.on_return(line, snapshot(value))
        return value

    # for subclasses

    def on_assignment(self, line, pairs):
        pass

    def on_iteration(self, line):
        pass

    def on_return(self, line, value):
        pass


def run(function_def, namespace, text, args, recorder, keywords=None):
    """Call the function defined by ``function_def`` (a standard-library tree of ``text``,
    the printed code, whose lines it keeps), instrumented for ``recorder``, with ``args``
    (and ``keywords``).
    Raises :class:`Failed` where the code raises, with the printed line that raised."""
    tree = _Instrumenter().function(function_def)
    filename = f"<srcdiff trace {function_def.name} #{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module = ast.fix_missing_locations(ast.Module(body=[tree], type_ignores=[]))
    scope = dict(namespace)
    scope[RECORDER] = recorder
    exec(compile(module, filename, "exec"), scope)  # noqa: S102 (srcdiff's own output)
    try:
        return scope[function_def.name](*args, **(keywords or {}))
    except Exception as error:  # noqa: BLE001 - told with the printed line that raised
        raise Failed(error, _failing_line(error, filename)) from None


class Failed(Exception):
    """The recorded code raised ``error`` at printed line ``line`` (None: elsewhere)."""

    def __init__(self, error, line):
        super().__init__(error)
        self.error = error
        self.line = line


def _failing_line(error, filename):
    line = None
    traceback = error.__traceback__ or sys.exc_info()[2]
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == filename:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


class _Instrumenter:
    def function(self, node):
        copied = copy.deepcopy(node)
        copied.decorator_list = []
        copied.body = self.block(copied.body)
        return copied

    def block(self, statements):
        out = []
        for stmt in statements:
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                out += [stmt, self.call(stmt, "assigned", _names(targets))]
            elif isinstance(stmt, ast.Expr) and _receiver(stmt.value) is not None:
                out += [stmt, self.call(stmt, "assigned", [_receiver(stmt.value)])]
            elif isinstance(stmt, (ast.For, ast.While)):
                names = _names([stmt.target]) if isinstance(stmt, ast.For) else []
                stmt.body = [self.call(stmt, "enter", names)] + self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
                out += [stmt, self.call(stmt, "leave", None)]
            elif isinstance(stmt, ast.If):
                stmt.body = self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
                out.append(stmt)
            elif isinstance(stmt, ast.Return) and stmt.value is not None:
                stmt.value = self.method("returned", stmt, [stmt.value])
                out.append(stmt)
            else:
                out.append(stmt)
        return out

    def call(self, stmt, method, names):
        """``recorder.method(line, names, values)`` (or ``(line)`` where ``names`` is None),
        as a statement located on ``stmt``'s line."""
        args = []
        if names is not None:
            args = [ast.Tuple(elts=[ast.Constant(n) for n in names], ctx=ast.Load()),
                    ast.Tuple(elts=[ast.Name(n, ast.Load()) for n in names], ctx=ast.Load())]
        return _at(ast.Expr(value=self.method(method, stmt, args)), stmt.lineno)

    def method(self, method, stmt, args):
        func = ast.Attribute(value=ast.Name(RECORDER, ast.Load()), attr=method, ctx=ast.Load())
        return _at(ast.Call(func=func, args=[ast.Constant(stmt.lineno)] + args, keywords=[]),
                   stmt.lineno)


def _names(targets):
    """The names an assignment binds or changes: ``y`` for ``y[i] = v`` and ``y.x = v``."""
    found = []
    for target in targets:
        if isinstance(target, ast.Name):
            found.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            found += _names(target.elts)
        elif isinstance(target, ast.Starred):
            found += _names([target.value])
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            base = target.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                found.append(base.id)
    return list(dict.fromkeys(found))


def _receiver(expr):
    """``lst`` for a method call ``lst.append(v)`` that changes it; None otherwise."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and isinstance(
            expr.func.value, ast.Name) and expr.func.attr in _CHANGING:
        return expr.func.value.id
    return None


_CHANGING = frozenset({"append", "pop", "extend", "insert", "remove", "clear", "sort",
                       "reverse", "update", "fill", "setdefault"})


def _at(node, lineno):
    for sub in ast.walk(node):
        if "lineno" in sub._attributes:
            sub.lineno = sub.end_lineno = lineno
            sub.col_offset = sub.end_col_offset = 0
    return node
