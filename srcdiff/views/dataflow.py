"""The computation graph of a function's three-address form: one node per value (each
input, each primitive's result), one edge per operand, labelled with the local partial
derivative ∂result/∂operand.

With arguments, the graph is the *executed* one: the three-address form runs once (as
Python, with a recorder beside it, see :mod:`srcdiff.views.instrument`), each executed
statement is a node with its value, a loop's iterations are nodes of their own, and only
the branch taken appears. Each edge's partial is the primitive's own tangent template
(its JVP rule in the registry), with the operand's tangent 1 and the others 0: printed
as the rule writes it in the operands' names (∂e/∂c = d) and evaluated at the operands'
values where they are scalars (arrays show the Jacobian's shape; it is not drawn). A call
of the user's own function gets its partials from srcdiff's forward mode.

Without arguments the graph is the *static* one: a node per statement of the
three-address form, edges from every assignment that may reach an operand (through loops
and branches), and the partials as formulas.
"""

from __future__ import annotations

import ast
import math

import gast
import numpy as np

from .. import runtime
from ..backend import emit, printer
from ..backend.simplify import simplify
from ..driver import jacobians
from ..errors import SrcdiffError
from ..ir import avals, code, names
from ..ir import nodes as ir
from ..ir.trees import parse_expression
from . import instrument
from .values import is_scalar

INPUT, OPERATION, LOOP = "input", "operation", "loop variable"
MAX_NODES = 2000
"""An executed graph stops there: a picture of more values teaches nothing (the static
graph of a long loop stays small)."""


class TooLarge(Exception):
    """The executed graph would have more than MAX_NODES nodes."""


class Node:
    """A value of the graph: ``name`` (its variable), ``operation`` (the three-address
    statement's right-hand side), ``value`` (None in a static graph), ``context`` (the loop
    variables of the iteration it was computed in)."""

    __slots__ = ("id", "name", "kind", "operation", "value", "context", "line", "statement")

    def __init__(self, id, name, kind, operation, value=None, context=(), line=None,
                 statement=None):
        self.id = id
        self.name = name
        self.kind = kind
        self.operation = operation
        self.value = value
        self.context = context
        self.line = line
        self.statement = statement


class Edge:
    """Operand ``source`` -> result ``target``: the partial as a formula (``formula``), its
    value (``number``, for scalars), or the Jacobian's shape (``shape``); ``active`` is
    False for an integer operand, which no derivative flows from."""

    __slots__ = ("source", "target", "formula", "number", "shape", "active")

    def __init__(self, source, target, formula=None, number=None, shape=None, active=True):
        self.source = source
        self.target = target
        self.formula = formula
        self.number = number
        self.shape = shape
        self.active = active


class Dataflow:
    """Nodes and edges, and the node of the function's result."""

    def __init__(self, fn_ir):
        self.fn_ir = fn_ir
        self.nodes = {}
        self.edges = []
        self.output = None
        self.inputs = {}
        self.executed = False
        self.seen = set()
        self.between = {}
        self.loops = {}
        """Static graphs: node id -> the header of the loop its statement is in."""

    def add(self, name, kind, operation, **more):
        if len(self.nodes) >= MAX_NODES:
            raise TooLarge()
        node = Node(f"n{len(self.nodes) + 1}", name, kind, operation, **more)
        self.nodes[node.id] = node
        return node

    def connect(self, edge, key=None):
        """Add an edge; one from the same operand into the same node adds its partial to
        that edge's (``x * x``). ``key`` names the operand: a static graph's walk over a
        loop meets the same operand again, which adds nothing."""
        if key is not None:
            if (edge.source, edge.target, key) in self.seen:
                return
            self.seen.add((edge.source, edge.target, key))
        known = self.between.get((edge.source, edge.target))
        if known is not None:
            _merge(known, edge)
            return
        self.between[edge.source, edge.target] = edge
        self.edges.append(edge)

    def reaching(self, start, backwards=False):
        """The nodes reached from ``start`` along the edges (against them: ``backwards``)."""
        step = {}
        for edge in self.edges:
            ends = (edge.target, edge.source) if backwards else (edge.source, edge.target)
            step.setdefault(ends[0], []).append(ends[1])
        reached, frontier = {start}, [start]
        while frontier:
            for node in step.get(frontier.pop(), ()):
                if node not in reached:
                    reached.add(node)
                    frontier.append(node)
        return reached

    def pruned(self):
        """Only the nodes the result depends on, and the inputs."""
        if self.output is None:
            return self
        keep = self.reaching(self.output, backwards=True) | set(self.inputs.values())
        self.nodes = {k: n for k, n in self.nodes.items() if k in keep}
        self.edges = [e for e in self.edges if e.source in keep and e.target in keep]
        return self


def _merge(known, edge):
    """An operand used twice (``x * x``): the partials add."""
    if known.formula is not None and edge.formula is not None:
        known.formula = f"{known.formula} + {edge.formula}"
    else:
        known.formula = None
    if known.number is not None and edge.number is not None:
        known.number = known.number + edge.number
    else:
        known.number = None


def executed(fn_ir, namespace, values):
    """The graph of the statements that run for ``values`` (one per parameter)."""
    listing = printer.lowered(fn_ir)
    text = listing.text
    table = {number: info.statement for number, info in listing.lines.items()}
    definition = ast.parse(text).body[0]
    graph = Dataflow(fn_ir)
    graph.executed = True
    recorder = _Recorder(graph, table, namespace)
    for name, value in zip(fn_ir.param_names, values):
        node = graph.add(name, INPUT, "input", value=value)
        graph.inputs[name] = recorder.current[name] = node.id
    try:
        instrument.run(definition, namespace, text, list(values), recorder)
    except instrument.Failed as failure:
        if isinstance(failure.error, TooLarge):
            raise SrcdiffError(f"the executed graph of {fn_ir.name} at these arguments has "
                               f"more than {MAX_NODES} nodes", hint="draw it for fewer loop "
                               "iterations, or draw the static graph (no arguments)") from None
        raise SrcdiffError(f"{fn_ir.name} raised {type(failure.error).__name__}: "
                           f"{failure.error} at these arguments", hint="draw the graph at "
                           "other values") from None
    return graph.pruned()


class _Recorder(instrument.Recorder):
    def __init__(self, graph, table, namespace):
        super().__init__()
        self.graph = graph
        self.table = table
        self.namespace = namespace
        self.current = {}

    def context(self):
        return tuple(pair for frame in self.frames for pair in frame.variables)

    def on_assignment(self, line, pairs):
        stmt = self.table.get(line)
        if not isinstance(stmt, ir.Assign):
            return
        value = dict(pairs).get(stmt.target)
        node = self.graph.add(stmt.target, OPERATION, _operation(stmt), value=value,
                              context=self.context(), line=line, statement=stmt)
        for edge in _partials(stmt, node, self.current, self.graph.nodes, self.namespace):
            self.graph.connect(edge)
        self.current[stmt.target] = node.id

    def on_iteration(self, line):
        stmt = self.table.get(line)
        if not isinstance(stmt, ir.For):
            return
        for name, value in self.frames[-1].variables:
            node = self.graph.add(name, LOOP, f"for {name} in {_operand_text(stmt.iterable)}",
                                  value=value, context=self.context()[:-1], line=line)
            for op in stmt.operands():
                if isinstance(op, ir.Var) and op.name in self.current:
                    self.graph.connect(Edge(self.current[op.name], node.id, active=_active(
                        self.graph.nodes[self.current[op.name]].value)))
            self.current[name] = node.id

    def on_return(self, line, value):
        stmt = self.table.get(line)
        if isinstance(stmt, ir.Return) and isinstance(stmt.value, ir.Var):
            self.graph.output = self.current.get(stmt.value.name)


def _operation(stmt):
    if isinstance(stmt.value, ir.Call):
        return emit.render(printer.expression(stmt.value, _operand_node))
    return f"copy of {_operand_text(stmt.value)}"


def _operand_text(op):
    if isinstance(op, ir.Call):
        return emit.render(printer.expression(op, _operand_node))
    return op.name if isinstance(op, ir.Var) else op.text


def _operand_node(op):
    if isinstance(op, ir.Var):
        return gast.Name(id=op.name, ctx=gast.Load(), annotation=None, type_comment=None)
    return parse_expression(op.text)


def _active(value):
    """Whether derivatives flow from a value: floats, complex numbers and their arrays."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fc"
    return True


def _partials(stmt, node, current, nodes, namespace):
    """The edges into ``node`` from the operands of ``stmt`` (executed: with values)."""
    if not isinstance(stmt.value, ir.Call):
        op = stmt.value
        if isinstance(op, ir.Var) and op.name in current:
            source = nodes[current[op.name]]
            return [_edge(source, node, "1.0", 1.0)]
        return []
    call = stmt.value
    bound = call.bound()
    known = {p: _value_of(op, current, nodes, namespace) for p, op in bound.items()}
    rule = call.rule
    edges = []
    for index, (param, op) in enumerate(bound.items()):
        if not isinstance(op, ir.Var) or op.name not in current:
            continue
        source = nodes[current[op.name]]
        if not _active(source.value):
            edges.append(Edge(source.id, node.id, active=False))
            continue
        if not (is_scalar(source.value) and is_scalar(node.value)):
            edges.append(Edge(source.id, node.id, shape=_jacobian_shape(node.value,
                                                                        source.value)))
            continue
        if rule.callee is not None:
            number = _callee_partial(rule.callee, call, index, known, namespace)
            edges.append(Edge(source.id, node.id, number=number))
            continue
        formula, number = _template_partial(rule, bound, known, param, stmt.target, node.value)
        edges.append(_edge(source, node, formula, number))
    return edges


def _edge(source, node, formula, number):
    return Edge(source.id, node.id, formula=formula, number=number)


def _value_of(op, current, nodes, namespace):
    if isinstance(op, ir.Var):
        return nodes[current[op.name]].value if op.name in current else None
    if isinstance(op, ir.Const):
        return op.value
    if op.known:
        return op.value
    try:
        return eval(op.text, dict(namespace))  # noqa: S307 - a module-level name's spelling
    except Exception:  # noqa: BLE001
        return None


def _jacobian_shape(result, operand):
    return f"Jacobian {_shape(result)} × {_shape(operand)}"


def _shape(value):
    shape = np.shape(value)
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _template_partial(rule, bound, known, param, result_name, result_value):
    """∂result/∂param from the rule's tangent template: its formula in the operands' names
    and, where every value it reads is known, its value."""
    try:
        operand_avals = {p: avals.of_value(v) for p, v in known.items()}
        templates = rule.tangents(operand_avals, bound)
    except Exception:  # noqa: BLE001 - a rule that cannot say: the edge has no label
        return None, None
    if templates is None:
        return None, None
    template = templates[rule.params.index(param)]
    if template is None:
        return "0.0", 0.0
    if not hasattr(template, "allowed"):
        return None, None
    formula = formula_of(template, rule, bound, param, result_name)
    number = None
    if result_value is not None or "ans" not in template.names:
        number = _evaluated(template, rule, known, param, result_value)
    return formula, number


def formula_of(template, rule, bound, param, result_name):
    """The template as the operands' names write it: ``c_dot * d`` with ``c_dot`` = 1 is
    ``d``."""
    tangents = {p + names.TANGENT: p for p in rule.params}
    operand = {p: _operand_node(op) for p, op in bound.items()}

    def substituted(node):
        if isinstance(node, gast.Name):
            if node.id in tangents:
                return code.const(1.0 if tangents[node.id] == param else 0.0)
            if node.id in operand:
                return code.clone(operand[node.id])
            if node.id == "ans" and result_name is not None:
                return gast.Name(id=result_name, ctx=gast.Load(), annotation=None,
                                 type_comment=None)
            if node.id == "xp":
                return gast.Name(id="np", ctx=gast.Load(), annotation=None, type_comment=None)
            return node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                setattr(node, field, [substituted(v) if isinstance(v, gast.AST) else v
                                      for v in value])
            elif isinstance(value, gast.AST):
                setattr(node, field, substituted(value))
        return node

    try:
        expr = simplify(substituted(code.clone(template.expr)), lambda node: True)
        return emit.render(expr)
    except Exception:  # noqa: BLE001 - a template the printer cannot show: no formula
        return None


def _evaluated(template, rule, known, param, result_value):
    python = all(isinstance(v, (int, float, complex)) for v in known.values())
    scope = {"np": np, "math": math, "xp": math if python else np, **vars(runtime),
             **rule.helpers, **known, "ans": result_value}
    scope.update((p + names.TANGENT, 1.0 if p == param else 0.0) for p in rule.params)
    try:
        with np.errstate(all="ignore"):
            value = eval(template.text, scope)  # noqa: S307 - a rule's own template
    except Exception:  # noqa: BLE001 - undefined here (a kink): the edge has no number
        return None
    return value if is_scalar(value) else None


def _callee_partial(callee, call, index, known, namespace):
    """∂result/∂argument of a call of the user's function, by srcdiff's forward mode."""
    fn = callee.fn if callee.fn is not None else namespace.get(callee.name)
    if fn is None or call.keywords:
        return None
    primals = [known[p] for p in list(known)[:len(call.args)]]
    tangents = [1.0 if k == index else None for k in range(len(primals))]
    try:
        _, tangent = jacobians.jvp(fn, tuple(primals), tuple(tangents))
    except Exception:  # noqa: BLE001 - not differentiable here: the edge has no number
        return None
    return tangent if is_scalar(tangent) else None


def static(fn_ir):
    """The graph of the three-address form itself: a node per statement, edges from every
    assignment that may reach an operand, the partials as formulas."""
    graph = Dataflow(fn_ir)
    defs = {}
    for name in fn_ir.param_names:
        node = graph.add(name, INPUT, "input")
        graph.inputs[name] = node.id
        defs[name] = {node.id}
    walker = _Static(graph)
    walker.block(fn_ir.body, defs)
    return graph.pruned()


class _Static:
    """Reaching definitions over the three-address form, one node per statement."""

    def __init__(self, graph):
        self.graph = graph
        self.made = {}
        self.headers = []

    def node(self, stmt, name, kind, operation):
        found = self.made.get(id(stmt))
        if found is None:
            found = self.made[id(stmt)] = self.graph.add(name, kind, operation, statement=stmt)
            if self.headers:
                self.graph.loops[found.id] = self.headers[-1]
        return found

    def block(self, block, defs):
        for stmt in block:
            defs = self.statement(stmt, defs)
        return defs

    def statement(self, stmt, defs):
        if isinstance(stmt, ir.Assign):
            node = self.node(stmt, stmt.target, OPERATION, _operation(stmt))
            self.operands(stmt, node, defs)
            return {**defs, stmt.target: {node.id}}
        if isinstance(stmt, ir.If):
            body = self.block(stmt.body, dict(defs))
            return _union(body, self.block(stmt.orelse, dict(defs)))
        if isinstance(stmt, ir.For):
            header = f"for {stmt.target} in {_operand_text(stmt.iterable)}"
            variable = self.node(stmt, stmt.target, LOOP, header)
            for op in stmt.operands():
                for source in defs.get(getattr(op, "name", None), ()):
                    self.graph.connect(Edge(source, variable.id), key="loop")
            return self.loop(header, stmt.body, {stmt.target: {variable.id}}, defs)
        if isinstance(stmt, ir.While):
            defs = self.block(stmt.test_body, defs)
            header = f"while {_operand_text(stmt.test)}"
            return self.loop(header, stmt.body + stmt.test_body, {}, defs)
        if isinstance(stmt, ir.Return) and isinstance(stmt.value, ir.Var):
            self.result(defs.get(stmt.value.name, set()))
        return defs

    def loop(self, header, body, bound, defs):
        """A loop's body runs zero or more times: walk it until what reaches its top stops
        growing (each pass may add edges from the previous iteration)."""
        self.headers.append(header)
        entry = dict(defs)
        for _ in range(len(body) + 2):
            exit_defs = self.block(body, {**entry, **bound})
            grown = _union(entry, exit_defs)
            if grown == entry:
                break
            entry = grown
        self.headers.pop()
        return entry

    def operands(self, stmt, node, defs):
        if not isinstance(stmt.value, ir.Call):
            for source in defs.get(getattr(stmt.value, "name", None), ()):
                self.graph.connect(Edge(source, node.id, formula="1.0"), key="copy")
            return
        call = stmt.value
        bound = call.bound()
        for param, op in bound.items():
            if not isinstance(op, ir.Var):
                continue
            formula = _static_formula(call.rule, bound, param, stmt.target)
            for source in defs.get(op.name, ()):
                self.graph.connect(Edge(source, node.id, formula=formula), key=param)

    def result(self, sources):
        if len(sources) == 1:
            self.graph.output = next(iter(sources))
            return
        node = self.graph.add("result", OPERATION, "return")
        for source in sources:
            self.graph.connect(Edge(source, node.id, formula="1.0"), key="result")
        self.graph.output = node.id


def _union(a, b):
    return {name: a.get(name, set()) | b.get(name, set()) for name in a.keys() | b.keys()}


def _static_formula(rule, bound, param, result_name):
    """The partial's formula for operands taken to be floats (no values to say otherwise)."""
    if rule.callee is not None:
        return None
    operand_avals = {p: avals.of_value(op.value) if isinstance(op, ir.Const) else
                     avals.PY_FLOAT for p, op in bound.items()}
    try:
        templates = rule.tangents(operand_avals, bound)
    except Exception:  # noqa: BLE001 - a rule that cannot say: the edge has no label
        return None
    if templates is None:
        return None
    template = templates[rule.params.index(param)]
    if template is None:
        return "0.0"
    if not hasattr(template, "allowed"):
        return None
    return formula_of(template, rule, bound, param, result_name)
