"""Compiling printed derivatives into code objects that run at full speed.

The compiled code refers to modules and helpers through constants patched into the code
object (see :func:`srcdiff.backend.emit.prepared_for_compiling`) and reads the user's globals live.
The generated text is registered with ``linecache``, so that tracebacks and
``inspect.getsource`` show it. Where the adjoints raise an arithmetic error, a handler around
the body tells it as the user's own (see :mod:`srcdiff.backend.failures`).
"""

from __future__ import annotations

import ast
import itertools
import linecache
import types
import warnings

from ..ir.code import ADJOINTS
from . import emit, failures


class Stats:
    """How often the pipeline transformed and compiled: tests check caching with them."""

    transforms = 0
    compiles = 0


_counter = itertools.count(1)


def filename_for(name):
    """A file name of its own for each compiled function, as ``linecache`` shows it."""
    return f"<srcdiff {name} #{next(_counter)}>"


class Compiled:
    def __init__(self, emitted, filename):
        self.emitted = emitted
        self.filename = filename
        self.placeholders = dict(emitted.objects)
        self.code = self._compile()

    def placeholder(self, obj):
        key = f"\x00srcdiff:{len(self.placeholders)}"
        self.placeholders[key] = obj
        return key

    def _compile(self):
        Stats.compiles += 1
        emitted = self.emitted
        referring = emitted.referring
        body = [emit.prepared_for_compiling(stmt, emitted.references, self.placeholder)
                if referring is None or id(stmt) in referring else stmt
                for stmt in emitted.statements]
        line = emitted.def_line
        adjoints = emitted.marks.get(ADJOINTS)
        if adjoints is not None:
            body = self._explaining_failures(body, line, failures.AdjointSite(
                emitted.source_name, self.filename, adjoints, emitted.source_file))
        function = ast.FunctionDef(
            name=emitted.name, args=_arguments(emitted.arguments), body=body,
            decorator_list=[], returns=None, type_comment=None, type_params=[],
            lineno=line, col_offset=0, end_lineno=line, end_col_offset=0)
        module = ast.Module(body=[function], type_ignores=[])
        code_object = compiled_function(module, self.filename, self.placeholders)
        remember_text(self.filename, emitted.text)
        return code_object

    def _explaining_failures(self, body, line, site):
        """``try: body`` with a handler that raises ``site.explain(error)`` for arithmetic
        errors (see :mod:`srcdiff.backend.failures`); the handler sits on the ``def`` line."""
        at = {"lineno": line, "col_offset": 0, "end_lineno": line, "end_col_offset": 0}
        load = ast.Load()
        caught = ast.Constant(self.placeholder(failures.CAUGHT), **at)
        explain = ast.Attribute(value=ast.Constant(self.placeholder(site), **at),
                                attr="explain", ctx=load, **at)
        raised = ast.Raise(exc=ast.Call(func=explain, args=[ast.Name("error", load, **at)],
                                        keywords=[], **at),
                           cause=ast.Constant(None, **at), **at)
        handler = ast.ExceptHandler(type=caught, name="error", body=[raised], **at)
        return [ast.Try(body=body, handlers=[handler], orelse=[], finalbody=[], **at)]

def compiled_function(source, filename, constants):
    """The code object of the one function that ``source`` (text or a module's tree) defines,
    with each string constant that ``constants`` names replaced by its object, in nested code
    too. A call of such a constant compiles, and the compiler's warning about calling a
    string is not shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        module_code = compile(source, filename, "exec")
    function_code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    return _patched(function_code, constants)


def _patched(code_object, constants):
    return code_object.replace(co_consts=tuple(
        constants.get(c, c) if type(c) is str else
        (_patched(c, constants) if isinstance(c, types.CodeType) else c)
        for c in code_object.co_consts))


def remember_text(filename, text):
    """Show ``text`` as the file ``filename`` in tracebacks and ``inspect.getsource``."""
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)


def _arguments(params):
    """The parameter list without defaults: defaults live on the function object."""
    def plain(kind):
        return [ast.arg(arg=p.name, annotation=None, type_comment=None, lineno=1, col_offset=0)
                for p in params if p.kind == kind]
    keyword = plain("keyword_only")
    return ast.arguments(posonlyargs=plain("positional_only"), args=plain("positional"),
                         vararg=None, kwonlyargs=keyword, kw_defaults=[None] * len(keyword),
                         kwarg=None, defaults=[])
