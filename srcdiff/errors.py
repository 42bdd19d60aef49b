"""The one exception users see, always pointing at their own source."""

from __future__ import annotations

import functools
import inspect
import re


class SrcdiffError(Exception):
    """A construct srcdiff cannot differentiate, or a call it cannot serve.

    ``filename``, ``lineno`` and ``col_offset`` locate the offending source (1-based line,
    0-based column, as in ``ast``); they are ``None`` for errors that have no source
    location, such as a bad ``wrt`` value.
    """

    def __init__(self, message, *, filename=None, lineno=None, col_offset=None,
                 source_line=None, hint=None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col_offset = col_offset
        self.source_line = source_line
        self.hint = hint
        super().__init__(self._render())

    def _render(self):
        parts = []
        if self.filename is not None and self.lineno is not None:
            parts.append(f"{self.filename}:{self.lineno}:{(self.col_offset or 0) + 1}: "
                         f"{self.message}")
        else:
            parts.append(self.message)
        if self.source_line is not None:
            line = self.source_line.rstrip("\n")
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            parts.append("    " + stripped)
            caret = max((self.col_offset or 0) - indent, 0)
            parts.append("    " + " " * caret + "^")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def __str__(self):
        return self._render()


class Located:
    """Turns AST nodes of one source file into located errors."""

    def __init__(self, filename, lines):
        self.filename = filename
        self.lines = lines

    def line(self, lineno):
        if lineno is not None and 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1]
        return None

    def error(self, node, message, hint=None):
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        return SrcdiffError(message, filename=self.filename, lineno=lineno, col_offset=col,
                            source_line=self.line(lineno), hint=hint)

    def segment(self, node):
        """The source text of ``node``, folded onto one line."""
        lineno, end = node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno
        col, end_col = node.col_offset, getattr(node, "end_col_offset", None)
        if lineno == end:
            text = self.lines[lineno - 1][col:end_col]
        else:
            chunk = [self.lines[lineno - 1][col:]]
            chunk += self.lines[lineno:end - 1]
            chunk.append(self.lines[end - 1][:end_col])
            text = " ".join(part.strip() for part in chunk)
        return " ".join(text.split()) if "\n" in text else text.rstrip()


_INTERNAL = re.compile(r"AVal\(|Var\(|Const\(|Rule\(|gufunc|signature|0x[0-9a-f]{4,}|<[a-z]")


def user_facing(exc):
    """The text of an exception raised by a library on srcdiff's stand-in values, if it says
    something about the user's code; None where it would show srcdiff's internals (sample
    values, NumPy's gufunc signatures, object addresses)."""
    text = str(exc).strip()
    if not text or _INTERNAL.search(text) or "\n" in text:
        return None
    return text


def describe_object(value):
    """What a value is, in words: never a repr that shows an address."""
    if isinstance(value, (bool, int, float, complex, type(None))):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else "a string"
    if isinstance(value, functools.partial):
        return f"a functools.partial of {describe_object(value.func)}"
    if isinstance(value, type):
        return f"the class {value.__qualname__}"
    if inspect.ismethod(value):
        return f"the method {value.__qualname__}"
    if inspect.isbuiltin(value):
        return f"the built-in function {value.__name__}"
    if inspect.isfunction(value):
        return f"the function {value.__qualname__}"
    return f"an object of type {type(value).__qualname__}"
