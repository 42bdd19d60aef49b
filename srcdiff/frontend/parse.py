"""Stage 1: find a function's source and parse it with gast, in file coordinates.

The whole file (or notebook cell) is parsed rather than the function's dedented text, so
that every node keeps the line and column a user sees in their editor; errors quote them.
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import linecache
import os
import tokenize

import gast

from ..errors import Located, SrcdiffError, describe_object
from ..ir import trees
from ..ir.records import Record
from . import stale


class SourceFile(Record):
    """A file's text and its syntax tree. ``module`` is the standard library's tree, parsed
    once per text and shared, and only where it is needed (a top-level function is read
    from its own lines, see :func:`function_source`); ``tree``, the whole file in gast, is
    made only where it is needed (the command line), and a differentiated function is
    converted to gast alone."""

    fields = ("filename", "text")
    compared = ("filename", "text")

    def __init__(self, filename, text, module=None, lines=None):
        self.filename = filename
        self.text = text
        if module is not None:
            self.__dict__["module"] = module
        if lines is not None:
            self.__dict__["lines"] = lines

    @functools.cached_property
    def module(self):
        return _parsed(self.text, self.filename)

    @functools.cached_property
    def tree(self):
        return trees.to_gast(self.module)

    @functools.cached_property
    def lines(self):
        """The file's lines as Python numbers them, without their ends: a form feed or a
        U+2028 in a comment or a string ends no line, as ``str.splitlines`` has it do."""
        lines = self.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines[-1] == "":
            lines.pop()
        return lines

    @functools.cached_property
    def located(self):
        return Located(self.filename, self.lines)

    def functions_at(self, line):
        """The ``def`` and lambda nodes of the standard library's tree that start on
        ``line`` (a decorated ``def`` starts at its first decorator), found by descending
        only into statements and expressions whose lines hold it."""
        found = []
        stack = [self.module]
        while stack:
            node = stack.pop()
            for child in ast.iter_child_nodes(node):
                if not hasattr(child, "end_lineno"):
                    stack.append(child)
                    continue
                first = min([child.lineno] + [d.lineno for d in getattr(
                    child, "decorator_list", ())])
                if not first <= line <= child.end_lineno:
                    continue
                if isinstance(child, _FUNCTION_NODES) and line in (first, child.lineno):
                    found.append(child)
                stack.append(child)
        return found


def parse_text(text, filename, lines=None):
    """The file ``text`` parsed (``lines``: its lines as ``linecache`` holds them, where
    they are at hand)."""
    if "\0" in text:
        before = text[:text.index("\0")]
        lineno = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1)
        raise SrcdiffError("this is not Python source: it contains a null byte",
                           filename=filename, lineno=lineno, col_offset=column,
                           hint="give srcdiff a .py file")
    source = SourceFile(filename, text, lines=None if lines is None else _LinecacheLines(lines))
    try:
        source.__dict__["module"] = _parsed(text, filename)
    except SyntaxError as exc:
        raise SrcdiffError(f"invalid syntax: {exc.msg}", filename=filename, lineno=exc.lineno,
                           col_offset=(exc.offset or 1) - 1,
                           source_line=source.located.line(exc.lineno),
                           hint="the file must be valid Python") from None
    return source


class _LinecacheLines:
    """A file's lines without their ends, read from ``linecache``'s lines (which keep them)
    one at a time as they are asked for: an error or a comment quotes a line or two, and
    splitting the whole text again cost more than the rest of reading a function."""

    __slots__ = ("_lines",)

    def __init__(self, lines):
        self._lines = lines

    def __len__(self):
        return len(self._lines)

    def __getitem__(self, index):
        if type(index) is slice:
            return [line.rstrip("\n") for line in self._lines[index]]
        return self._lines[index].rstrip("\n")


@functools.lru_cache(maxsize=64)
def _parsed(text, filename):
    """The standard library's tree of a text, parsed once: a module's functions are
    differentiated one by one, and each must not parse the whole file again. Nothing
    changes these trees; gast nodes are made from them afresh for each use."""
    return ast.parse(text, filename=filename)


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
    try:  # the first two lines, as Python's own loader reads them
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
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


_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def function_source(fn):
    """The parsed file holding ``fn`` and ``fn``'s own FunctionDef or Lambda node (gast)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise SrcdiffError(f"{describe_object(fn)} is not a Python function; srcdiff "
                           "differentiates functions written in Python",
                           hint="pass a function defined with def or lambda")
    filename = code.co_filename
    linecache.checkcache(filename)
    lines = source_lines(filename, getattr(fn, "__globals__", None))
    if not lines:
        raise SrcdiffError(
            f"cannot read the source of {code.co_name} (defined in {filename})",
            hint="define the function in a file or a notebook cell; source typed at the "
                 "interactive prompt or passed to exec() is not kept by Python")
    quick = _top_level_alone(lines, filename, code)
    if quick is not None:
        return quick
    source = parse_text("".join(lines), filename, lines)
    node = _find_function(source, code)
    if node is None:
        raise SrcdiffError(
            f"cannot find the definition of {code.co_name} at {filename}:{code.co_firstlineno}",
            hint="the file may have changed since it was imported; reload it")
    stale.check(source, node, code)
    return source, trees.to_gast(node)


def source_lines(filename, module_globals=None):
    """``linecache.getlines(filename, module_globals)``: a file's lines as Python reads
    them, cached for tracebacks too. A file linecache does not hold yet is read here
    whole, decoded and split at once, as linecache would cache it, where linecache reads
    it line by line through a text stream (0.2M instructions for 300 lines, against 0.05M).
    Anything else (a file not found where its name says, a notebook cell, a module in a
    zip file, bytes that do not decode) is linecache's."""
    if filename not in linecache.cache and not filename.startswith("<"):
        try:
            stat = os.stat(filename)
            with open(filename, "rb") as handle:
                data = handle.read()
            text = _decoded(data, filename)
        except (OSError, SrcdiffError):
            return linecache.getlines(filename, module_globals)
        if "\r" in text:  # universal newlines
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if any(separator in text for separator in _OTHER_LINE_BREAKS):
            pieces = text.split("\n")
            lines = [piece + "\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
        else:
            lines = text.splitlines(keepends=True)
        if lines:
            if not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            linecache.cache[filename] = (stat.st_size, stat.st_mtime, lines, filename)
            return lines
    return linecache.getlines(filename, module_globals)


_OTHER_LINE_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters that ``str.splitlines`` breaks lines at, and a file's lines do not."""


def _top_level_alone(lines, filename, code):
    """A top-level ``def`` read without parsing its whole file: its block (to the next line
    that starts a top-level statement) and the module's top-level imports, which are all
    that can change how Python compiled it, parsed together (in one call, which costs less
    than the text it reads) at their own lines. The result is
    used only where the block compiles to exactly the code that runs; anything else (a
    block cut short by a column-0 line inside a string, a function nested in a class, a
    stale file) goes the long way, parsing the whole file."""
    start = code.co_firstlineno - 1
    if not 0 <= start < len(lines) or not lines[start].startswith(("def ", "async def ", "@")):
        return None
    header = next((k for k in range(start, len(lines))
                   if lines[k].startswith(("def ", "async def "))), None)
    if header is None:
        return None
    end = next((k for k in range(header + 1, len(lines)) if _starts_statement(lines[k])),
               len(lines))
    text, import_lines = _file_text(filename, lines)
    imports = import_lines[:bisect.bisect_left(import_lines, start)]
    parts, at = [], 0  # the imports at their own lines and the block after them, at once
    for k in imports:
        statement = _statement_at(lines, k)
        parts += ["\n" * (k - at), statement]
        at = k + statement.count("\n")
    parts += lines[start:end]
    try:
        body = ast.parse("".join(parts), filename=filename).body
    except SyntaxError:
        return None
    node = body[-1] if body else None
    if not isinstance(node, _FUNCTION_NODES[:2]) or node.name != code.co_name or (
            node.lineno - 1 < at) or len(body) > 1 and body[-2].lineno - 1 >= at:
        return None
    # The block was parsed right after the imports, not after as many empty lines as come
    # before it (each costs the parser some 300 instructions): its gast tree is made at its
    # own lines.
    module = ast.Module(body=body, type_ignores=[])
    if not stale.same_code(module, node, filename, code, start - at):
        return None
    source = SourceFile(filename, text, lines=_LinecacheLines(lines))
    return source, trees.to_gast(node, start - at)


_LINES_SEEN = {}


def _file_text(filename, lines):
    """The file's text and the lines where top-level imports start: found once per version
    of the file that ``linecache`` holds (the same list until the file changes), as a
    module's functions are differentiated one after the other."""
    seen = _LINES_SEEN.get(filename)
    if seen is None or seen[0] is not lines:
        text = "".join(lines)
        starts = [0] if text.startswith(("import ", "from ")) else []
        for prefix in ("\nimport ", "\nfrom "):
            at = text.find(prefix)
            while at >= 0:
                starts.append(at + 1)
                at = text.find(prefix, at + 1)
        imports, counted, line = [], 0, 0
        for start in sorted(starts):
            line += text.count("\n", counted, start)
            counted = start
            imports.append(line)
        seen = _LINES_SEEN[filename] = (lines, text, imports)
    return seen[1:]


def _starts_statement(line):
    return bool(line) and not line[0].isspace() and not line.startswith(("#", ")", "]", "}"))


def _statement_at(lines, k):
    """The import statement starting at line ``k`` (parenthesized across lines, or not)."""
    end = k + 1
    while end < len(lines) and not _starts_statement(lines[end]):
        end += 1
    return "".join(lines[k:end])


def _find_function(source, code):
    candidates = [node for node in source.functions_at(code.co_firstlineno)
                  if code.co_name == ("<lambda>" if isinstance(node, ast.Lambda)
                                      else node.name)]
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
