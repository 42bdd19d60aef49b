"""Graph pictures: the computation graph of a function's three-address form in Graphviz's
DOT language, with values on the nodes and local partial derivatives on the edges (see
:mod:`srcdiff.views.dataflow` for what is drawn).

Highlighting an input marks every path from it to the result; with values, a caption
lists the paths with the product of the partials along each and adds them up: the sum
over paths, which is the gradient (seed 002: ∂e/∂b = 1·2 + 1·3 = 5), beside the gradient
that srcdiff's own derivative computes.

The DOT text is written here; ``.svg`` and ``.png`` files and the picture a notebook
shows are made by Graphviz's ``dot`` program where it is installed, which srcdiff does not
require.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import numpy as np

from ..driver import dispatch, higher
from ..driver.options import Options
from ..driver.wrt import normalize_wrt
from ..errors import SrcdiffError
from . import dataflow, trace
from .values import describe, is_scalar, number

FORMATS = (".dot", ".svg", ".png")
MAX_LISTED_PATHS = 8
_MARK = "#d62728"
_INSTALL = "install Graphviz (apt-get install graphviz, brew install graphviz) or write a " \
           ".dot file"


class Graph:
    """A computation graph: ``dot`` (the DOT text), ``write(path)`` (``.dot``, ``.svg``,
    ``.png``), ``svg()``; ``edges`` lists ``(source, target, formula, number)`` by
    variable name; ``paths`` and ``path_sum`` give the highlighted input's paths (each a
    list of names with the product of its partials) and their sum."""

    def __init__(self, dot, flow, paths=(), path_sum=None):
        self.dot = dot
        self.flow = flow
        self.paths = list(paths)
        self.path_sum = path_sum

    @property
    def edges(self):
        nodes = self.flow.nodes
        return [(nodes[e.source].name, nodes[e.target].name, e.formula, e.number)
                for e in self.flow.edges]

    def __str__(self):
        return self.dot

    def __repr__(self):
        return (f"<srcdiff.Graph of {self.flow.fn_ir.name}: {len(self.flow.nodes)} nodes, "
                f"{len(self.flow.edges)} edges>")

    def write(self, path):
        """Write the picture: DOT text to a ``.dot`` file, Graphviz's drawing to ``.svg``
        or ``.png``."""
        path = pathlib.Path(path)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise SrcdiffError(f"cannot write a graph to {str(path)!r}: the name must end in "
                               ".dot, .svg or .png", hint=".dot is Graphviz's text; .svg and "
                               ".png are drawn by Graphviz's dot program")
        if suffix == ".dot":
            data = self.dot.encode("utf-8")
        else:
            data = render(self.dot, suffix[1:])
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise SrcdiffError(f"cannot write {str(path)!r}: {exc.strerror}",
                               hint="check that the directory exists and is writable"
                               ) from None

    def svg(self):
        return render(self.dot, "svg").decode("utf-8")

    def _repr_svg_(self):
        """Jupyter shows the picture where Graphviz is installed (else its text form)."""
        if shutil.which("dot") is None:
            return None
        return self.svg()


def render(dot, fmt):
    """Graphviz's drawing of ``dot`` in format ``fmt``, as bytes."""
    program = shutil.which("dot")
    if program is None:
        raise SrcdiffError(f"drawing a .{fmt} file needs Graphviz's dot program, which is not "
                           "installed", hint=_INSTALL)
    done = subprocess.run([program, f"-T{fmt}"], input=dot.encode("utf-8"),
                          capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SrcdiffError(f"Graphviz's dot failed: {message[-1] if message else 'no output'}",
                           hint="write a .dot file and look at it")
    return done.stdout


def graph(fn, args=None, wrt=None, highlight=None):
    """The picture of ``fn``'s computation graph at ``args`` (static without them)."""
    if higher.is_derivative(fn):
        if args is None:
            raise SrcdiffError(f"the graph of a derivative of {fn.__name__} depends on the "
                               "kinds of its arguments", hint="pass example arguments: "
                               "graph(g, x, ...)")
        fn = higher.materialized(fn, tuple(args))
    fn_ir, scope = dispatch.lowered(fn)
    values = None
    if args is not None:
        names = normalize_wrt(fn_ir.param_names, wrt, fn.__name__)
        values = dispatch.Family(fn, fn_ir, scope, Options(names)).bind(tuple(args), {})
    namespace = dict(fn.__globals__)
    namespace.update(_closure(fn))
    return graph_lowered(fn_ir, scope, namespace, values, wrt, highlight)


def _closure(fn):
    found = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            found[name] = cell.cell_contents
        except ValueError:
            continue
    return found


def graph_lowered(fn_ir, scope, namespace, values, wrt=None, highlight=None):
    """The picture of a lowered function's graph, executed at ``values`` (one per
    parameter) or static (``values`` None); ``namespace`` holds its module-level names."""
    if highlight is not None and highlight not in fn_ir.param_names:
        raise SrcdiffError(f"--highlight {highlight}: {fn_ir.name} has no parameter named "
                           f"{highlight!r}", hint=f"its parameters are: "
                           f"{', '.join(fn_ir.param_names)}")
    if values is None:
        flow = dataflow.static(fn_ir)
    else:
        flow = dataflow.executed(fn_ir, dict(namespace), values)
    title = f"computation graph of {fn_ir.name}"
    if values is not None:
        shown = ", ".join(f"{p} = {_value(v)}" for p, v in zip(fn_ir.param_names, values))
        title += f" at {shown}"
    marked, caption, paths, total = set(), [], [], None
    if highlight is not None:
        marked = _on_paths(flow, flow.inputs[highlight])
        paths, total = _path_sum(flow, flow.inputs[highlight], values is not None)
        gradient = None
        if values is not None and total is not None:
            gradient = _gradient(fn_ir, scope, namespace, values, highlight)
        caption = _caption(fn_ir.name, highlight, paths, total, gradient, values is not None,
                           flow)
    return Graph(_dot(flow, title, marked, caption), flow, paths, total)


def _value(value):
    """Numbers to six digits, arrays by their shape (a picture has no room for more)."""
    if isinstance(value, np.ndarray) and value.ndim:
        return f"{value.dtype}[{', '.join(str(n) for n in value.shape)}]"
    if is_scalar(value) and not isinstance(value, complex):
        return number(value, 6)
    return describe(value)


def _gradient(fn_ir, scope, namespace, values, name):
    """The gradient srcdiff's derivative computes, to set beside the sum over paths."""
    try:
        wrt = normalize_wrt(fn_ir.param_names, name, fn_ir.name)
        return trace.trace_lowered(fn_ir, scope, namespace, values, wrt).derivative
    except SrcdiffError:
        return None


def _on_paths(flow, start):
    """The edges on some path from ``start`` to the result."""
    if flow.output is None:
        return set()
    reached = flow.reaching(start)
    reaching = flow.reaching(flow.output, backwards=True)
    return {id(e) for e in flow.edges if e.source in reached and e.target in reaching
            and e.active}


def _path_sum(flow, start, executed):
    """Up to MAX_LISTED_PATHS + 1 paths from ``start`` to the result (each a list of edges)
    and, in an executed graph whose edges on them all have numbers, the sum over all paths
    of the product of the partials (counted without listing them: nodes are made in the
    order they ran, so every edge goes forward)."""
    if flow.output is None or not executed:
        return [], None
    into = {}
    for edge in flow.edges:
        if edge.active:
            into.setdefault(edge.target, []).append(edge)
    paths, stack = [], [(flow.output, [])]
    while stack and len(paths) <= MAX_LISTED_PATHS:
        node, suffix = stack.pop()
        if node == start:
            paths.append(suffix)
            continue
        stack += [(edge.source, [edge] + suffix) for edge in reversed(into.get(node, ()))]
    order = sorted(flow.nodes, key=lambda k: int(k[1:]))
    total = {start: 1.0}
    for node in order:
        for edge in into.get(node, ()):
            if edge.source in total:
                if edge.number is None:
                    return paths, None
                total[node] = total.get(node, 0.0) + total[edge.source] * edge.number
    return paths, total.get(flow.output, 0.0)


def _caption(function, name, paths, total, gradient, executed, flow):
    nodes = flow.nodes
    symbol = f"∂{function}/∂{name}"
    if not executed:
        return [f"the paths from {name} to the result are marked; give values to add up "
                "the products of their partials"]
    if not paths:
        return [f"{symbol} = 0: no path leads from {name} to the result"]
    if total is None:
        return [f"the paths from {name} to the result are marked; some partials on them are "
                "Jacobians of arrays or have no number, so they are not added up here"]
    lines = [f"{symbol} is the sum over the paths from {name} to {function} of the product of "
             "the partials along each path:"]
    listed = paths[:MAX_LISTED_PATHS]
    for path in listed:
        names = " → ".join([nodes[path[0].source].name] + [nodes[e.target].name for e in path])
        factors = " · ".join(number(e.number, 6) for e in path)
        product = 1.0
        for edge in path:
            product *= edge.number
        lines.append(f"  {names}: {factors} = {number(product, 6)}")
    if len(paths) > MAX_LISTED_PATHS:
        lines.append("  ... and more paths")
        terms = "the sum over all paths"
    else:
        terms = " + ".join("·".join(number(e.number, 6) for e in path) for path in paths)
    lines.append(f"{symbol} = {terms} = {number(total, 6)}")
    if gradient is not None and is_scalar(gradient):
        lines.append(f"(the gradient srcdiff's derivative computes: {number(gradient, 6)})")
    return lines


def _dot(flow, title, marked, caption):
    label = "".join(_escaped(line) + "\\l" for line in [title, *caption])
    lines = [f"digraph {_quoted(flow.fn_ir.name)} {{",
             f'  graph [rankdir=LR, fontname=Helvetica, labelloc=b, labeljust=l, '
             f'label="{label}"];',
             "  node [shape=box, style=rounded, fontname=Helvetica];",
             "  edge [fontname=Helvetica, fontsize=10];"]
    marked_nodes = {e.source for e in flow.edges if id(e) in marked} | {
        e.target for e in flow.edges if id(e) in marked}
    clusters = {}
    for node in flow.nodes.values():
        clusters.setdefault(flow.loops.get(node.id), []).append(node)
    for header, nodes in clusters.items():
        indent = "  " if header is None else "    "
        if header is not None:
            lines.append(f"  subgraph cluster_{len(lines)} {{")
            lines.append(f"    label={_quoted(header)}; style=dashed;")
        for node in nodes:
            lines.append(f"{indent}{node.id} [{_node_attributes(flow, node, marked_nodes)}];")
        if header is not None:
            lines.append("  }")
    for edge in flow.edges:
        lines.append(f"  {edge.source} -> {edge.target} [{_edge_attributes(flow, edge, marked)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_attributes(flow, node, marked):
    parts = [node.name]
    if node.kind == dataflow.INPUT:
        parts.append("input")
    else:
        parts.append(node.operation)
    for name, value in node.context:
        parts.append(f"({name} = {_value(value)})")
    if flow.executed:
        parts.append(f"= {_value(node.value)}")
    attributes = [f"label={_quoted(chr(10).join(parts))}"]
    if node.kind == dataflow.INPUT:
        attributes.append("shape=ellipse")
    if node.id == flow.output:
        attributes.append("peripheries=2")
    if node.id in marked:
        attributes.append(f'color="{_MARK}", penwidth=2')
    return ", ".join(attributes)


def _edge_attributes(flow, edge, marked):
    attributes = []
    label = _edge_label(flow, edge)
    if label:
        attributes.append(f"label={_quoted(label)}")
    if not edge.active:
        attributes.append("style=dashed")
    if id(edge) in marked:
        attributes.append(f'color="{_MARK}", fontcolor="{_MARK}", penwidth=2')
    return ", ".join(attributes)


def _edge_label(flow, edge):
    if not edge.active:
        return ""
    if edge.shape is not None:
        return edge.shape
    symbol = f"∂{flow.nodes[edge.target].name}/∂{flow.nodes[edge.source].name}"
    value = None if edge.number is None else number(edge.number, 6)
    formula = edge.formula
    if formula is not None and _is_number(formula):
        formula = number(float(formula), 6)
    parts = [symbol] + [p for p in (formula, value) if p is not None]
    if formula is not None and formula == value:
        parts = [symbol, value]
    return " = ".join(parts) if len(parts) > 1 else ""


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _escaped(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _quoted(text):
    return f'"{_escaped(text)}"'
