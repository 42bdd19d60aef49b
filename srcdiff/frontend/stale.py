"""Whether the source srcdiff reads is the code that runs.

srcdiff reads a function's source from its file, but Python runs the code object it
compiled at import. If the file changed since, the two differ, and a derivative of the new
text would silently be the derivative of some other function. So the text is compiled as
Python compiled it, and the function's code object there must match the running one:
same instructions, constants, names and parameters. Edits that change no code (comments,
blank lines inside the function) pass; any other edit is refused until the module is
reloaded.
"""

from __future__ import annotations
import __future__

import ast
import functools
import operator
import types

from ..errors import SrcdiffError


def same_code(module, node, filename, code, line_offset=0):
    """Whether ``node``, a top-level function of ``module`` (which holds the module's imports
    too), compiles to exactly ``code``; ``module`` is parsed ``line_offset`` lines above
    where its file has it."""
    flags = code.co_flags & _FUTURE_FLAGS
    compiled = _compiled_alone(module, node, filename, flags)
    return compiled is not None and any(
        _same(code, c) for c in _candidates(compiled, code, code.co_firstlineno - line_offset))


def check(source, node, code):
    """Refuse with a located error when ``node`` (a node of ``source.module``) is not
    ``code``'s text.

    Where the text does not compile, or compiles without the function (code after a
    module-level ``raise`` is dropped as unreachable, yet a loader may have run the file
    without it), there is nothing to compare, and the text is taken as it is."""
    flags = code.co_flags & _FUTURE_FLAGS
    if node in source.module.body:
        compiled = _compiled_alone(source.module, node, source.filename, flags)
    else:
        compiled = _compiled(source.text, source.filename, flags)
    candidates = list(_candidates(compiled, code)) if compiled is not None else []
    if not candidates or any(_same(code, c) for c in candidates):
        return
    name = code.co_name if code.co_name != "<lambda>" else "the lambda"
    raise SrcdiffError(
        f"the source of {name} in {source.filename} changed since it was imported; srcdiff "
        "differentiates the code that runs", filename=source.filename, lineno=node.lineno,
        col_offset=node.col_offset, source_line=source.located.line(node.lineno),
        hint="reload the module (importlib.reload) or restart, then differentiate again")


_FUTURE_FLAGS = functools.reduce(operator.or_, (
    getattr(__future__, name).compiler_flag for name in __future__.all_feature_names))


@functools.lru_cache(maxsize=16)
def _compiled(text, filename, future_flags):
    """The text compiled as the function's own code was (with its ``__future__`` features,
    which a caller of ``compile`` may have passed on without a ``from __future__`` line)."""
    try:
        return compile(text, filename, "exec",
                       flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | future_flags, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def _compiled_alone(module, node, filename, future_flags):
    """A top-level function compiled with its module's other top-level statements but
    without the other functions and classes, which cannot change its code: that is much
    less to compile. (The statements stay: a name an import binds is compiled otherwise
    than another global, ``math.sin(x)`` with no method lookup.)"""
    body = [stmt for stmt in module.body if stmt is node or not isinstance(
        stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    try:
        return compile(ast.Module(body=body, type_ignores=[]), filename, "exec",
                       flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | future_flags, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def _candidates(module, code, first_line=None):
    """Code objects in the compiled module with ``code``'s name and first line (or
    ``first_line``)."""
    first_line = code.co_firstlineno if first_line is None else first_line
    stack = [module]
    while stack:
        current = stack.pop()
        if current.co_name == code.co_name and current.co_firstlineno == first_line:
            yield current
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))


_FIELDS = ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_argcount",
           "co_posonlyargcount", "co_kwonlyargcount")


def _same(a, b):
    if any(getattr(a, f) != getattr(b, f) for f in _FIELDS):
        return False
    return len(a.co_consts) == len(b.co_consts) and all(
        _same_constant(x, y) for x, y in zip(a.co_consts, b.co_consts))


def _same_constant(x, y):
    if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
        return _same(x, y)
    if type(x) is not type(y):
        return False
    if isinstance(x, frozenset):
        x, y = sorted(x, key=repr), sorted(y, key=repr)
    if isinstance(x, (tuple, list)):
        return len(x) == len(y) and all(_same_constant(a, b) for a, b in zip(x, y))
    if isinstance(x, (float, complex)):
        return repr(x) == repr(y)
    return x == y
