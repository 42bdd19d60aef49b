"""Written kinds of arguments, containers included: ``[float64[3, 2], float64[3]]``.

The grammar, for ``--arg NAME=KIND`` and string annotations::

    kind  := base | '[' kinds ']' | '(' kinds ')' | '{' key ':' kind (',' key ':' kind)* '}'
    kinds := kind (',' kind)* [',']
    base  := float | int | bool | complex | array | DTYPE ['[' sizes ']']
    key   := a quoted string

A list or tuple has one kind per item, a dict one per key (string keys, as srcdiff's
containers have). A base kind is read by :func:`srcdiff.ir.avals.parse_spec`. Errors carry
the position in the text they are about, so that the command line can point at it.
"""

from __future__ import annotations

import re

from . import avals

_OPEN = {"[": ("]", list), "(": (")", tuple), "{": ("}", dict)}
_BASE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY = re.compile(r"""'[^'\\]*'|"[^"\\]*\"""")


class SpecError(ValueError):
    """A kind that cannot be read, and the position in the text where reading failed."""

    def __init__(self, message, position):
        super().__init__(message)
        self.position = position


def parse(text):
    """The abstract value a written kind stands for."""
    reader = _Reader(text)
    found = reader.kind()
    reader.skip()
    if reader.at < len(text):
        raise SpecError(f"unexpected {text[reader.at]!r} after the kind", reader.at)
    return found


class _Reader:
    def __init__(self, text):
        self.text = text
        self.at = 0

    def skip(self):
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def peek(self):
        self.skip()
        return self.text[self.at] if self.at < len(self.text) else ""

    def expect(self, char, what):
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end"
            raise SpecError(f"expected {char!r} {what}, found {found}", self.at)
        self.at += 1

    def kind(self):
        char = self.peek()
        if char in _OPEN:
            return self.container(char)
        match = _BASE.match(self.text, self.at)
        if match is None:
            found = repr(char) if char else "the end"
            raise SpecError(f"expected a kind (float, int, array, float64[n], [...], "
                            f"{{...}}), found {found}", self.at)
        start, self.at = self.at, match.end()
        if self.peek() == "[":
            close = self.text.find("]", self.at)
            if close < 0:
                raise SpecError("'[' of the sizes is not closed", self.at)
            self.at = close + 1
        written = self.text[start:self.at]
        try:
            return avals.parse_spec(written)
        except ValueError as exc:
            raise SpecError(str(exc), start) from None

    def container(self, opening):
        closing, pytype = _OPEN[opening]
        self.at += 1
        items = []
        while self.peek() != closing:
            if pytype is dict:
                key = self.key()
                self.expect(":", "after a key")
                items.append((key, self.kind()))
            else:
                items.append(self.kind())
            if self.peek() != ",":
                break
            self.at += 1
        what = {list: "to close the list", tuple: "to close the tuple",
                dict: "to close the dict"}[pytype]
        self.expect(closing, what + (" (or ',' before the next item)" if items else ""))
        if pytype is dict and len({k for k, _ in items}) != len(items):
            raise SpecError("a key is given twice", self.at - 1)
        return avals.AVal(avals.OTHER, pytype=pytype, items=tuple(items))

    def key(self):
        self.skip()
        match = _KEY.match(self.text, self.at)
        if match is None:
            raise SpecError("expected a quoted key such as \"w\"", self.at)
        self.at = match.end()
        return match.group()[1:-1]
