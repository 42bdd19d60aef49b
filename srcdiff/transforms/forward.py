"""Forward mode: the function's own code, with the tangent of each value right after it.

This is seed 001's dual numbers written out: where the function computes ``c = a + b``, its
forward derivative also computes ``c_dot = a_dot + b_dot``, one primitive per line, under a
comment quoting the source line. The tangent of a value is the directional derivative of
that value along the tangents given for the ``wrt`` parameters; the generated function
takes those after the function's own parameters and returns ``(value, value_dot)``.

There is no tape: each tangent is computed when its value is, from values that are still
there. Branches and loops stay as they are (a loop over an array with a tangent walks both,
``for u, u_dot in zip(a, a_dot)``). A variable carries a tangent when any of its values
depends on ``wrt`` and reaches the result (is *active*); its other assignments give it a
zero tangent, so that wherever paths join, the tangent is defined. Each primitive says how
its tangent is made (:meth:`srcdiff.primitives.protocol.Rule.tangent_statement`): from its
JVP templates, as an index, a store or a display of tangents, or through the forward
derivative of a called user function.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import runtime
from ..ir import code
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, PY, UNKNOWN_AVAL
from ..ir.code import DEF, OBJ, TAN
from ..ir.records import Record
from ..ir.ssa import UNDEFINED, Param, Phi
from . import tidy
from .adjoints import zero_like
from .primal import PrimalPrinter
from .sweep_results import Results
from .tangents import TangentRules


class ForwardPlan(Record):
    """How the forward derivative names its variables: a name per web (the source's)."""

    fields = ("names",)

    def __init__(self, names):
        self.names = names


def transform(program, activity, wrt, *, name=None, linker=None):
    return _Forward(program, activity, wrt, linker).run(name)


class _Forward(PrimalPrinter, TangentRules, Results):
    derivative_kind = TAN

    def __init__(self, program, activity, wrt, linker=None):
        self.program = program
        self.ssa = program.ssa
        self.fn = program.fn
        self.activity = activity
        self.wrt = wrt
        self.linker = linker
        self.with_value = False
        self.vjp = False
        self.plan = ForwardPlan(_names(program))
        self.carried = {self.ssa.web(v) for v in self.ssa.webs if activity.active(v)}
        self.carried |= {self.ssa.web(p) for p in self.ssa.params if activity.active(p)}
        self.web_avals = {}
        for value, aval in program.avals.items():
            self.web_avals.setdefault(self.web(value), aval)

    def run(self, name):
        fn = self.fn
        out = code.Output(name or fn.name + "_jvp", [self.web(Param(p.name)) for p in fn.params],
                          tangents=[self.web(Param(n)) for n in self.wrt])
        out.plan = self.plan
        out.ssa = self.ssa
        body = []
        for param in self.ssa.params:
            web = self.web(param)
            if web in self.carried and param.name not in self.wrt:
                body.append(code.Assign((TAN, web), self.zero(param, code.ref(DEF, web)),
                                        role=code.TANGENT))
        code.stamp(body, code.INIT, None)
        body += self.block(fn.body[:-1])
        returned = fn.body[-1]
        value = self.operand(returned, returned.value)
        tangent = self.tangent_of(returned, returned.value)
        result = self.program.result
        if tangent is None:
            # A result that does not depend on wrt (a constant, even): its zero tangent.
            tangent = zero_like(self.program.aval(returned, returned.value), value)
        if result is not None:
            self.body_lines = body
            tangent = self.result_cast(tangent, value, result)
        body.append(code.Return(gast.Tuple(elts=[value, tangent], ctx=gast.Load()),
                                role=code.RESULT, origin=returned))
        tidy.forward_copies(body, set(out.tangents), self._variable_of)
        out.body = body
        return out

    def result_cast(self, tangent, value, result):
        """The result's tangent in the value's type. A NumPy scalar's abstract value may
        come from joining paths that gave a float on one and a NumPy scalar on another,
        here or in a function called (whose result's kind is the join), and then it cannot
        say which the value is: the tangent takes the type the value has when the code
        runs. So it does where paths here join values of different kinds, and for an array
        that may have no dimensions (NumPy's arithmetic turns a 0-d array into a NumPy
        scalar and back)."""
        aval = self.program.avals[result]
        zero_dimensional = aval.kind == ARRAY and aval.shape in ((), None)  # or NumPy scalar
        if self._mixed(result, {}) or aval.container or aval.kind not in (PY, ARRAY) or (
                zero_dimensional):
            return gast.Call(func=code.ref(OBJ, runtime.cast_tree),
                             args=[tangent, code.clone(value)], keywords=[])
        return self.cast(tangent, aval)

    def _read(self, value):
        found = self.__dict__.get("_values_read")
        if found is None:
            found = {v for reads in self.ssa.uses.values() for v in reads.values()}
            found |= {v for phi in self.ssa.phis for v in phi.inputs}
            found.add(self.program.result)
            self._values_read = found
        return value in found

    def _mixed(self, value, known):
        """Whether ``value`` depends on a join of values of different kinds, or on a
        primitive given a float and a NumPy float (``min`` returns either)."""
        if value is UNDEFINED or not isinstance(value, (Phi, ir.Assign)):
            return False
        if value in known:
            return known[value]
        known[value] = False  # a loop's join, while it is being looked at
        if isinstance(value, Phi):
            kinds = {(a.kind, a.dtype) for a in (self.program.avals.get(v) for v in value.inputs
                                                  if v is not UNDEFINED) if a is not None}
            mixed = len(kinds) > 1 or any(self._mixed(v, known) for v in value.inputs)
        else:
            read = [self.ssa.read(value, op) for op in value.operands() if isinstance(op, ir.Var)]
            scalars = {a.kind for a in (self.program.avals.get(v) for v in read)
                       if a is not None and a.kind in (PY, NP) and a.dtype is not None
                       and np.dtype(a.dtype).kind in "fc"}
            mixed = len(scalars) > 1 or any(self._mixed(v, known) for v in read)
        known[value] = mixed
        return mixed

    def web(self, value):
        return self.ssa.web(value)

    def _variable_of(self, target):
        """The variable a target names: (kind, name), as the code will print it."""
        kind, key = target
        if isinstance(key, tuple) and key[:1] == ("new",):
            return kind, "new", self.plan.names.get(key[1], key[1])
        return kind, self.plan.names.get(key, key)

    def aval_of(self, key):
        return self.web_avals.get(key, UNKNOWN_AVAL)

    def carries(self, value):
        """Whether ``value``'s variable has a tangent variable."""
        return self.web(value) in self.carried

    # statements

    def block(self, block, origin=None):
        """The statements of ``block`` with their tangents, each source line's under a
        comment quoting it (once: not again for the branch or loop it heads, nor for the
        first statements of its body that come from it too)."""
        out = []
        for stmt in block:
            self.origin = origin
            lines = code.stamp(self.statement(stmt), code.FORWARD, stmt)
            if lines and stmt.origin is not None and stmt.origin != origin:
                out.append(code.Comment(f"{stmt.origin.text}   (line {stmt.origin.lineno})",
                                        role=code.COMMENT, origin=stmt))
            origin = stmt.origin or origin
            out += lines
        return out

    def statement(self, stmt):
        if isinstance(stmt, ir.Assign):
            if stmt.is_copy and not self._read(stmt):
                return []  # the result's name given to the value returned (``g = y``)
            if stmt.is_copy:
                return self.tangent_copy(stmt)
            return stmt.value.rule.tangent_statement(self, stmt)
        if isinstance(stmt, ir.If):
            return [code.If(self.operand(stmt, stmt.test), self.block(stmt.body, stmt.origin),
                            self.block(stmt.orelse, stmt.origin))]
        if isinstance(stmt, ir.For):
            return [self.loop(stmt)]
        if isinstance(stmt, ir.While):
            test = self.block(stmt.test_body, self.origin)
            body = self.block(stmt.body, stmt.origin) + [
                code.clone_statement(s) for s in test if not isinstance(s, code.Comment)]
            return test + [code.While(self.operand(stmt, stmt.test), body)]
        if isinstance(stmt, ir.Break):
            return [code.Break()]
        return []

    def loop(self, stmt):
        """``for u in a``: where ``u`` carries a tangent, the loop walks ``a_dot`` beside
        ``a`` (or gives ``u`` a zero tangent on each trip, where ``a`` has none)."""
        web = self.web(stmt)
        body = self.block(stmt.body, stmt.origin)
        iterable = self.iterable(stmt)
        if web not in self.carried:
            return code.For(web, iterable, body)
        walked = None
        if isinstance(stmt.iterable, ir.Var):
            walked = self.tangent_of(stmt, stmt.iterable)
        if walked is None:
            zero = code.Assign((TAN, web), self.zero(stmt, code.ref(DEF, web)),
                               role=code.TANGENT, origin=stmt)
            return code.For(web, iterable, [zero] + body)
        pairs = gast.Call(func=code.ref(OBJ, zip), args=[iterable, walked], keywords=[])
        return code.For([(DEF, web), (TAN, web)], pairs, body)


def _names(program):
    """A name per web: the source's. Forward mode reads no value after its variable is
    given another (the tangent of ``x = f(x)`` is computed before it where it reads the
    old ``x``), so variables of one name may share it."""
    ssa = program.ssa
    names = {ssa.web(p): p.name for p in ssa.params}
    for stmt in ir.walk(program.fn.body):
        if isinstance(stmt, (ir.Assign, ir.For)):
            names.setdefault(ssa.web(stmt), stmt.target)
    return names
