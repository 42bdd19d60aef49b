"""Stage 1: find a function's source and parse it with gast, in file coordinates.

The whole file (or notebook cell) is parsed rather than the function's dedented text, so
that every node keeps the line and column a user sees in their editor; errors quote them.
"""

from __future__ import annotations

import linecache
import tokenize
from dataclasses import dataclass, field

import gast

from . import stale
from .errors import Located, SrcdiffError, describe_object


@dataclass
class SourceFile:
    filename: str
    text: str
    tree: gast.Module = field(repr=False)

    @property
    def lines(self):
        return self.text.splitlines()

    @property
    def located(self):
        return Located(self.filename, self.lines)


def parse_text(text, filename):
    lines = text.splitlines()
    if "\0" in text:
        before = text[:text.index("\0")]
        lineno = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1)
        raise SrcdiffError("this is not Python source: it contains a null byte",
                           filename=filename, lineno=lineno, col_offset=column,
                           hint="give srcdiff a .py file")
    try:
        tree = gast.parse(text, filename=filename)
    except SyntaxError as exc:
        line = lines[exc.lineno - 1] if exc.lineno and exc.lineno <= len(lines) else None
        raise SrcdiffError(f"invalid syntax: {exc.msg}", filename=filename, lineno=exc.lineno,
                           col_offset=(exc.offset or 1) - 1, source_line=line,
                           hint="the file must be valid Python") from None
    return SourceFile(filename, text, tree)


def read_file(path):
    """Read a source file as Python does: UTF-8 unless a coding comment says otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SrcdiffError(f"cannot read {path}: {exc.strerror}",
                           hint="give the path of a Python source file") from None
    return parse_text(_decoded(data, str(path)), str(path))


def _decoded(data, filename):
    lines = iter(data.splitlines(keepends=True))
    try:
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    except SyntaxError as exc:
        raise SrcdiffError(f"cannot read the file: {exc.msg}", filename=filename, lineno=1,
                           col_offset=0, source_line=_line_of(data, 0),
                           hint="declare a known encoding, such as utf-8") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        start = before.rfind(b"\n") + 1
        column = len(before[start:].decode(encoding, errors="replace"))
        raise SrcdiffError(f"the file is not valid {encoding}: byte 0x{data[exc.start]:02x} "
                           "cannot be decoded", filename=filename,
                           lineno=before.count(b"\n") + 1, col_offset=column,
                           source_line=_line_of(data, exc.start, encoding),
                           hint="save the file as UTF-8, or declare its encoding on its first "
                                "line: # -*- coding: latin-1 -*-") from None
    return text[1:] if text.startswith("\ufeff") else text


def _line_of(data, offset, encoding="utf-8"):
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    return data[start:end if end >= 0 else len(data)].decode(encoding, errors="replace")


_FUNCTION_NODES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda)


def function_source(fn):
    """The parsed file holding ``fn`` and ``fn``'s own FunctionDef or Lambda node."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise SrcdiffError(f"{describe_object(fn)} is not a Python function; srcdiff "
                           "differentiates functions written in Python",
                           hint="pass a function defined with def or lambda")
    filename = code.co_filename
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, getattr(fn, "__globals__", None))
    if not lines:
        raise SrcdiffError(
            f"cannot read the source of {code.co_name} (defined in {filename})",
            hint="define the function in a file or a notebook cell; source typed at the "
                 "interactive prompt or passed to exec() is not kept by Python")
    source = parse_text("".join(lines), filename)
    node = _find_function(source.tree, code)
    if node is None:
        raise SrcdiffError(
            f"cannot find the definition of {code.co_name} at {filename}:{code.co_firstlineno}",
            hint="the file may have changed since it was imported; reload it")
    stale.check(source, node, code)
    return source, node


def _find_function(tree, code):
    candidates = []
    for node in gast.walk(tree):
        if not isinstance(node, _FUNCTION_NODES):
            continue
        if isinstance(node, gast.Lambda):
            if code.co_name == "<lambda>" and node.lineno == code.co_firstlineno:
                candidates.append(node)
            continue
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        if node.name == code.co_name and code.co_firstlineno in (first, node.lineno):
            candidates.append(node)
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1 and code.co_name == "<lambda>":
        raise SrcdiffError(
            "several lambdas start on this line; srcdiff cannot tell which one to differentiate",
            filename=code.co_filename, lineno=code.co_firstlineno, col_offset=0,
            source_line=linecache.getline(code.co_filename, code.co_firstlineno),
            hint="give the function a name with def")
    return candidates[0] if candidates else None


def top_level_functions(source):
    return [node for node in source.tree.body
            if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef))]
