"""The side-by-side page: a function's source, its three-address form and its derivative in
three columns, each line linked to the lines it came from or produced.

The links are joins of two line tables on the IR statements they name: the lowered form's
(:func:`srcdiff.backend.printer.lowered`) and the derivative's (``Emitted.lines``). A source
line is linked to every line made for it; a three-address line to its source line and to the
derivative lines made for its statement; a derivative line to its source line and to its
statement's three-address lines. The page computes the links once, here, and writes them
into the HTML, so its script only adds and removes a class, and the page reads as three plain
columns without it. One page is self-contained (inline style and script, no network);
:class:`Shown` puts the same view in a notebook, scoped to an id of its own.
"""

from __future__ import annotations

import html
import json
import shutil
import uuid

from ..backend import printer
from ..backend.emit import LineInfo
from ..errors import SrcdiffError
from ..ir import code
from ..ir.records import Record
from .page_assets import SCRIPT, STYLE

SOURCE, LOWERED, DERIVATIVE = "source", "lowered", "derivative"
_PREFIX = {SOURCE: "s", LOWERED: "l", DERIVATIVE: "d"}

ROLE_GROUPS = {code.FORWARD: "forward", code.ADJOINT: "adjoint", code.TANGENT: "tangent",
               code.TAPE_PUSH: "tape", code.TAPE_POP: "tape", code.INIT: "tape",
               code.RECOMPUTE: "recompute", code.RESULT: "result", code.GUARD: "guard",
               code.COMMENT: "comment"}
"""The colour group of each role of a generated line: pushes, pops and initialisers are
all the tape's bookkeeping to a reader."""

LEGEND = (
    ("forward", "forward sweep: the function's own values"),
    ("tangent", "tangents: x_dot, the derivative of x along the input tangents"),
    ("adjoint", "adjoints: x_bar = \N{PARTIAL DIFFERENTIAL}result/\N{PARTIAL DIFFERENTIAL}x, "
                "last statement first"),
    ("tape", "tape: values saved for the reverse sweep, and restored there"),
    ("recompute", "recomputed in the reverse sweep instead of saved"),
    ("result", "the result"),
    ("guard", "checks of the arguments"),
    ("comment", "the source line the code below it differentiates"),
)

HELP = ("Hover a line to highlight where it comes from and what was made from it: a source "
        "line lights up its three-address statements and every derivative line made for "
        "it; a three-address or derivative line lights up its source line and its "
        "counterpart in the other column. Click a line to keep its highlight; click it "
        "again to let it go.")

PAGE_ID = "srcdiff-page"


class CodeLine(Record):
    """One line of a column: ``key`` names it in the links (None: it links nothing);
    ``role``, ``statement`` and ``source_line`` come from its column's line table."""

    fields = ("key", "number", "text", "role", "statement", "source_line")
    hidden = ("statement",)

    def __init__(self, key, number, text, role=None, statement=None, source_line=None):
        self.key = key
        self.number = number
        self.text = text
        self.role = role
        self.statement = statement
        self.source_line = source_line


class Called(Record):
    """The derivative of a function the shown one calls, printed beside it (unlinked: its
    lines come from another function's source)."""

    fields = ("name", "lines")

    def __init__(self, name, lines):
        self.name = name
        self.lines = lines


class FunctionView:
    """One function's three columns and the links between their lines: ``links`` maps each
    line's key to the keys of the lines hovering it highlights."""

    def __init__(self, name, filename, mode, columns, called=(), imports=()):
        self.name = name
        self.filename = filename
        self.mode = mode
        self.columns = columns
        self.called = list(called)
        self.imports = list(imports)
        self.links = _links(columns[SOURCE], columns[LOWERED], columns[DERIVATIVE])
        self._by_key = {line.key: line for lines in columns.values() for line in lines
                        if line.key is not None}

    def linked(self, key):
        """The lines that hovering the line ``key`` highlights, by column."""
        found = {SOURCE: [], LOWERED: [], DERIVATIVE: []}
        for target in self.links.get(key, ()):
            found[_column_of(target)].append(self._by_key[target])
        return found

    def find(self, column, text):
        """The key of the first line of ``column`` whose text, stripped, is ``text``."""
        for line in self.columns[column]:
            if line.text.strip() == text:
                return line.key
        raise KeyError(f"no line {text!r} in the {column} column")

    @property
    def roles(self):
        """The colour groups of the derivative's lines, in the legend's order."""
        lines = self.columns[DERIVATIVE] + [line for c in self.called for line in c.lines]
        present = {ROLE_GROUPS.get(line.role) for line in lines}
        return [group for group, _ in LEGEND if group in present]


def function_view(fn_ir, emitted, mode):
    """The view of a lowered function and its derivative as the pipeline emitted it. The
    ``def`` lines of the lowered form and of the derivative name the function itself as
    their statement, and so are linked to each other and to the source's ``def`` line."""
    node = fn_ir.node
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
    text = fn_ir.source.lines
    source = [CodeLine(f"s{n}", n, text[n - 1] if n <= len(text) else "")
              for n in range(first, node.end_lineno + 1)]
    listing = printer.lowered(fn_ir)
    signature = LineInfo(None, fn_ir)
    columns = {SOURCE: source,
               LOWERED: _table_lines(LOWERED, listing.text, {**listing.lines, 1: signature}),
               DERIVATIVE: _table_lines(DERIVATIVE, emitted.text,
                                        {**emitted.lines, emitted.def_line: signature})}
    called = [Called(c.name, _table_lines(None, c.text, c.lines)) for c in emitted.callees]
    return FunctionView(fn_ir.name, fn_ir.source.filename, mode, columns, called,
                        emitted.all_imports)


def _table_lines(column, text, table):
    """A column's lines from its line table; only lines made for a statement are keyed."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        info = table.get(number)
        if info is None:
            lines.append(CodeLine(None, number, line))
            continue
        key = f"{_PREFIX[column]}{number}" if column and info.statement is not None else None
        lines.append(CodeLine(key, number, line, info.role, info.statement, info.source_line))
    return lines


def _links(source, lowered, derivative):
    shown = {line.number for line in source}
    made_for_line = {}
    lowered_of, derived_of = {}, {}
    for lines, by_statement in ((lowered, lowered_of), (derivative, derived_of)):
        for line in lines:
            if line.key is None:
                continue
            made_for_line.setdefault(line.source_line, []).append(line.key)
            by_statement.setdefault(id(line.statement), []).append(line.key)
    links = {line.key: made_for_line.get(line.number, []) for line in source}
    for lines, counterpart in ((lowered, derived_of), (derivative, lowered_of)):
        for line in lines:
            if line.key is not None:
                own = [f"s{line.source_line}"] if line.source_line in shown else []
                links[line.key] = own + counterpart.get(id(line.statement), [])
    return links


def _column_of(key):
    return next(column for column, prefix in _PREFIX.items() if key.startswith(prefix))


# HTML

def html_page(views, title, errors=()):
    """A whole self-contained HTML document showing ``views`` (and, for functions that
    could not be differentiated, their ``errors``)."""
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        f"<title>{_escape(title)}</title>\n<style>\n{_style('#' + PAGE_ID)}</style>\n",
        "</head>\n<body>\n",
        _view(views, PAGE_ID, heading=title, errors=errors),
        f"<script>\n{_script(PAGE_ID)}</script>\n</body>\n</html>\n"])


def html_fragment(views, view_id):
    """The view as one block for a page that has its own (a notebook's output), its style
    and script scoped to ``view_id``."""
    return "".join([f"<style>\n{_style('#' + view_id)}</style>\n", _view(views, view_id),
                    f"<script>\n{_script(view_id)}</script>\n"])


def _style(root):
    return STYLE.replace("ROOT", root)


def _script(view_id):
    return SCRIPT.replace("ROOT_ID", json.dumps(view_id).replace("</", "<\\/"))


def _view(views, view_id, heading=None, errors=()):
    parts = [f"<div class=\"sd-view\" id=\"{_escape(view_id)}\">\n"]
    if heading is not None:
        parts.append(f"<h1>{_escape(heading)}</h1>\n")
    parts.append(f"<p class=\"sd-help\">{_escape(HELP)}</p>\n")
    parts.append(_legend(views))
    parts += [_section(view) for view in views]
    parts += [f"<section class=\"sd-fn\">\n<pre class=\"sd-error\">{_escape(str(error))}</pre>"
              "\n</section>\n" for error in errors]
    parts.append("</div>\n")
    return "".join(parts)


def _legend(views):
    present = {group for view in views for group in view.roles}
    items = [f"<li><span class=\"sd-swatch sd-r-{group}\"></span>{_escape(label)}</li>\n"
             for group, label in LEGEND if group in present]
    items.append("<li><span class=\"sd-swatch sd-hl\"></span>a source or three-address "
                 "line linked to the hovered or clicked one</li>\n")
    return "<ul class=\"sd-legend\">\n" + "".join(items) + "</ul>\n"


def _section(view):
    first = view.columns[SOURCE][0].number if view.columns[SOURCE] else 1
    mode = "forward" if view.mode == "forward" else "reverse"
    parts = [f"<section class=\"sd-fn\" data-function=\"{_escape(view.name)}\">\n",
             f"<h2><code>{_escape(view.name)}</code><span class=\"sd-where\">"
             f"{_escape(view.filename)}:{first}</span></h2>\n<div class=\"sd-cols\">\n",
             _column("source", view.columns[SOURCE], view),
             _column("three-address form", view.columns[LOWERED], view),
             _column(f"derivative ({mode} mode)", view.columns[DERIVATIVE], view, True)]
    return "".join(parts) + "</div>\n</section>\n"


def _column(title, lines, view, derivative=False):
    parts = [f"<div class=\"sd-col\">\n<h3>{_escape(title)}</h3>\n"]
    if derivative and view.imports:
        parts.append(_block("", [CodeLine(None, None, text) for text in view.imports]))
    parts.append(_block("", lines, view))
    for called in view.called if derivative else ():
        parts.append(_block(f"<h4>called: {_escape(called.name)}</h4>\n", called.lines))
    return "".join(parts) + "</div>\n"


def _block(heading, lines, view=None):
    return ("<div class=\"sd-code\">\n" + heading + "".join(_line(line, view) for line in lines)
            + "</div>\n")


def _line(line, view=None):
    classes = ["sd-line"]
    group = ROLE_GROUPS.get(line.role)
    if group is not None:
        classes.append(f"sd-r-{group}")
    attributes = [f"class=\"{' '.join(classes)}\""]
    if line.key is not None:
        attributes.append(f"data-k=\"{line.key}\"")
        targets = view.links.get(line.key, []) if view is not None else []
        attributes.append(f"data-to=\"{' '.join(targets)}\"")
    if line.role is not None:
        where = f", from line {line.source_line}" if line.source_line is not None else ""
        attributes.append(f"title=\"{_escape(line.role + where)}\"")
    number = "" if line.number is None else str(line.number)
    return (f"<div {' '.join(attributes)}><span class=\"sd-no\">{number}</span>"
            f"{_escape(line.text)}</div>\n")


def _escape(text):
    return html.escape(text, quote=True)


class Shown:
    """What :func:`srcdiff.show` returns: in a notebook, the side-by-side view (each display
    with an id of its own, so that several on one page keep their styles and highlights
    apart) and, where Graphviz is installed, the computation graph below it (``picture``
    makes it, when the view is first displayed); in a console, the derivative's source."""

    def __init__(self, views, text, picture=None):
        self.views = list(views)
        self.text = text
        self.picture = picture

    def _repr_html_(self):
        fragment = html_fragment(self.views, f"srcdiff-{uuid.uuid4().hex[:12]}")
        if self.picture is None or shutil.which("dot") is None:
            return fragment
        try:
            svg = self.picture().svg()
        except SrcdiffError as error:
            return fragment + f'<pre class="sd-error">{html.escape(str(error))}</pre>'
        return fragment + f'<div class="srcdiff-graph">{svg}</div>'

    def __repr__(self):
        return self.text

    __str__ = __repr__
