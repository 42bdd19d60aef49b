"""Value traces: the generated derivative run once, statement by statement, with the values
each statement gave and the user's source line it came from.

Reverse mode shows the forward sweep, then the adjoints, in the order they run (the code is
the value-and-gradient form, so the function's value is computed as well); forward mode
shows each value followed by its tangent, the tangents of the ``wrt`` parameters seeded
with ones. Every executed loop iteration is recorded (``Trace.steps``); the table shows
loops of up to ``limit`` iterations in full and, of a longer one, its first ``limit - 1``
iterations and its last, with a note saying how many it leaves out.

The printed code is not interpreted: a copy of it with calls to a recorder after each
statement (:mod:`srcdiff.views.instrument`) runs in the namespace the derivative itself runs
in, so the values are the ones ``value_and_grad`` computes.
"""

from __future__ import annotations

import ast

import numpy as np

from ..backend import emit
from ..driver import dispatch, higher, pipeline
from ..driver.options import FORWARD, REVERSE, Options
from ..driver.wrt import normalize_wrt
from ..errors import SrcdiffError
from ..ir import avals
from ..ir.records import Record
from . import instrument
from .values import describe

LIMIT = 4
ITERATION, ASSIGNMENT, RETURN = "iteration", "assignment", "return"
_COLUMNS = ("line", "role", "statement", "value", "source")
_WIDEST_STATEMENT = 48
_WIDEST_VALUE = 64


class Step(Record):
    """One recorded event: ``kind`` is ``"assignment"`` (``name`` was given ``value``),
    ``"iteration"`` (a loop began an iteration, ``name`` its variable) or ``"return"``.
    ``line`` is the generated line, ``statement`` its text, ``role`` its role in the
    derivative (one of ``srcdiff.ir.code.ROLES``), ``source_line`` and ``source`` the
    user's line it was made for (None for bookkeeping), ``loops`` the enclosing loops'
    ``(line, execution, iteration, variables)``, outermost first."""

    fields = ("kind", "name", "value", "role", "line", "statement", "source_line", "source",
              "loops")
    hidden = ("loops", "statement", "source")

    def __init__(self, kind, name, value, role, line, statement, source_line, source, loops):
        self.kind = kind
        self.name = name
        self.value = value
        self.role = role
        self.line = line
        self.statement = statement
        self.source_line = source_line
        self.source = source
        self.loops = loops


class Trace:
    """A derivative's run at given arguments: ``steps`` (:class:`Step`, in execution order),
    ``result`` (what the derivative returned), ``value`` and ``derivative`` (the gradient
    in reverse mode, the tangent in forward mode), ``source`` (the code that ran).
    ``str(trace)`` is the table; ``trace.table(limit=None)`` shows every iteration."""

    def __init__(self, name, header, mode, arguments, steps, result, source, wrt, seeds=()):
        self.name = name
        self.header = header
        self.mode = mode
        self.arguments = arguments
        self.steps = steps
        self.result = result
        self.source = source
        self.wrt = wrt
        self.seeds = seeds

    @property
    def value(self):
        return self.result[0]

    @property
    def derivative(self):
        return self.result[1]

    def values(self, name):
        """Every value ``name`` was given, in order."""
        return [s.value for s in self.steps if s.name == name and s.kind != RETURN]

    def __getitem__(self, name):
        """The last value ``name`` was given."""
        found = self.values(name)
        if not found:
            raise KeyError(name)
        return found[-1]

    def __str__(self):
        return self.table()

    def __repr__(self):
        return f"<srcdiff.Trace of {self.name}: {len(self.steps)} steps>"

    def table(self, limit=LIMIT):
        return _Table(self, limit).text()

    def summary(self):
        function = self.name
        lines = [f"value: {_named(function, self.value)}"]
        if self.mode == FORWARD:
            seeds = ", ".join(f"{name} = {describe(_ones_like(self.arguments[p]))}"
                              for p, name in zip(self.wrt, self.seeds))
            lines.append(f"tangent of {function} along {seeds}: {describe(self.derivative)}")
            return lines
        parts = self.derivative if self.wrt.multiple else (self.derivative,)
        lines.append("gradient: " + ", ".join(
            f"∂{function}/∂{p} = {describe(g)}" for p, g in zip(self.wrt, parts)))
        return lines


def _named(name, value):
    return f"{name} = {describe(value)}"


def trace(fn, args, wrt=None, mode=None):
    """The trace of ``fn``'s derivative at ``args`` (see :class:`Trace`); for a function
    made by :func:`srcdiff.gradient` and its companions, of the derivative of the code it
    runs, as :func:`srcdiff.source` prints it."""
    if higher.is_derivative(fn):
        fn = higher.materialized(fn, tuple(args))
    fn_ir, scope = dispatch.lowered(fn)
    names = normalize_wrt(fn_ir.param_names, wrt, fn.__name__)
    family = dispatch.Family(fn, fn_ir, scope, Options(names))
    values = family.bind(tuple(args), {})
    return trace_lowered(fn_ir, scope, fn.__globals__, values, names, mode)


def trace_lowered(fn_ir, scope, module_globals, values, wrt, mode=None):
    """The trace of the derivative of a lowered function ``fn_ir``, whose module-level
    names are ``module_globals``, at ``values`` (one per parameter)."""
    mode = mode or REVERSE
    if mode not in (FORWARD, REVERSE):
        raise SrcdiffError(f"mode must be 'forward' or 'reverse', not {mode!r}",
                           hint="mode='forward' traces the JVP, 'reverse' the gradient")
    request = Options(wrt, with_value=True) if mode == REVERSE else Options(wrt, mode=FORWARD)
    param_avals = {p: avals.of_value(v) for p, v in zip(fn_ir.param_names, values)}
    emitted = pipeline.derive(fn_ir, scope, param_avals, request)
    namespace = higher.namespace_of(emitted, module_globals)
    definition = next(node for node in ast.parse(emitted.text).body
                      if isinstance(node, ast.FunctionDef))
    arguments = dict(zip(fn_ir.param_names, values))
    call = [arguments[p.name] for p in fn_ir.params if p.kind != "keyword_only"]
    keywords = {p.name: arguments[p.name] for p in fn_ir.params if p.kind == "keyword_only"}
    if mode == FORWARD:
        call += [_ones_like(arguments[p]) for p in wrt]
    recorder = _Recorder(emitted)
    try:
        result = instrument.run(definition, namespace, emitted.text, call, recorder, keywords)
    except instrument.Failed as failure:
        raise _failure(fn_ir, emitted, failure, arguments) from None
    header = emitted.text.splitlines()[0].lstrip("# ")
    shown = ", ".join(f"{p} = {describe(v)}" for p, v in arguments.items())
    title = f"trace of {emitted.name} at {shown}: {header}"
    return Trace(fn_ir.name, title, mode, arguments, recorder.steps, result,
                 emit.with_imports(emitted.all_imports, emitted.full_text), wrt,
                 emit.tangent_parameter_names(fn_ir, wrt))


def _ones_like(value):
    """The seed tangent of a parameter: ones of its structure, shape and dtype."""
    if isinstance(value, np.ndarray):
        return np.ones_like(value, dtype=np.result_type(value.dtype, np.float64))
    if isinstance(value, (list, tuple)):
        return type(value)(_ones_like(v) for v in value)
    if isinstance(value, dict):
        return {k: _ones_like(v) for k, v in value.items()}
    if isinstance(value, (complex, np.complexfloating)):
        return type(value)(1.0)
    if isinstance(value, np.floating):
        return type(value)(1.0)
    return 1.0


def _failure(fn_ir, emitted, failure, arguments):
    error = failure.error
    info = emitted.lines.get(failure.line)
    shown = ", ".join(f"{p} = {describe(v)}" for p, v in arguments.items())
    printed = emitted.text.splitlines()[failure.line - 1].strip() if failure.line else None
    message = f"the derivative of {fn_ir.name} raised {type(error).__name__}: {error}"
    if printed:
        message += f" (in the generated line '{printed}')"
    hint = f"the trace ran at {shown}; try other values"
    origin = getattr(getattr(info, "statement", None), "origin", None)
    if origin is not None and origin.node is not None:
        return fn_ir.source.located.error(origin.node, message, hint)
    return SrcdiffError(message, hint=hint)


class _Recorder(instrument.Recorder):
    def __init__(self, emitted):
        super().__init__()
        self.emitted = emitted
        self.text = emitted.text.splitlines()
        self.steps = []

    def step(self, kind, name, value, line):
        info = self.emitted.lines.get(line)
        role = info.role if info is not None else None
        origin = getattr(getattr(info, "statement", None), "origin", None)
        source = " ".join(origin.text.split()) if origin is not None else None
        self.steps.append(Step(kind, name, value, role, line, self.text[line - 1],
                               info.source_line if info is not None else None, source,
                               self.loops()))

    def on_assignment(self, line, pairs):
        for name, value in pairs:
            self.step(ASSIGNMENT, name, value, line)

    def on_iteration(self, line):
        variables = self.frames[-1].variables
        if not variables:
            self.step(ITERATION, None, None, line)
        for name, value in variables:
            self.step(ITERATION, name, value, line)

    def on_return(self, line, value):
        self.step(RETURN, None, value, line)


class _Table:
    """The trace as aligned columns, long loops cut to their first and last iterations."""

    def __init__(self, trace, limit):
        self.trace = trace
        self.limit = limit
        self.totals = {}
        for step in trace.steps:
            for _, execution, iteration, _ in step.loops:
                self.totals[execution] = max(self.totals.get(execution, 0), iteration)

    def text(self):
        rows, noted, last_source, previous = [], set(), None, None
        for step in self.trace.steps:
            cut = self.cut(step)
            if cut is not None:
                execution, iteration, total, depth = cut
                if execution not in noted:
                    noted.add(execution)
                    skipped = total - self.limit
                    which = f"{iteration} to {total - 1}" if skipped > 1 else f"{iteration}"
                    rows.append(("", "", "    " * depth + f"... {skipped} more iteration"
                                 f"{'s' if skipped > 1 else ''} ({which} of {total}) not "
                                 "shown", "", ""))
                continue
            source = ""
            if step.source_line is not None and (step.source_line, step.source) != last_source:
                source = f"{step.source_line}: {step.source}"
                last_source = (step.source_line, step.source)
            again = previous is not None and previous.kind == ASSIGNMENT == step.kind and (
                previous.line == step.line)
            rows.append(("", "", "", self.value(step), source) if again else (
                str(step.line), step.role or "", self.statement(step), self.value(step),
                source))
            previous = step
        lines = [self.trace.header, ""] + _aligned([_COLUMNS] + rows) + [""]
        lines += self.trace.summary()
        return "\n".join(lines) + "\n"

    def cut(self, step):
        """``(execution, first hidden iteration, iterations, depth)`` of the outermost loop
        whose iteration this step is in is left out; None where it is shown."""
        if self.limit is None:
            return None
        for depth, (_, execution, iteration, _) in enumerate(step.loops):
            total = self.totals[execution]
            if total > self.limit and self.limit - 1 < iteration < total:
                return execution, self.limit, total, depth + 1
        return None

    def statement(self, step):
        text = step.statement[4:] if step.statement.startswith("    ") else step.statement
        return _cut(text, _WIDEST_STATEMENT)

    def value(self, step):
        return _cut(self._value(step), _WIDEST_VALUE)

    def _value(self, step):
        if step.kind == RETURN:
            return describe(step.value)
        if step.kind == ITERATION:
            iteration = step.loops[-1][2] if step.loops else 1
            if step.name is None:
                return f"iteration {iteration}"
            return f"{step.name} = {describe(step.value)} (iteration {iteration})"
        return f"{step.name} = {describe(step.value)}"


def _cut(text, width):
    return text if len(text) <= width else text[:width - 3] + "..."


def _aligned(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [c.ljust(w) for c, w in zip(row[1:-1], widths[1:])]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
    return lines

