"""Stage 4: reverse mode. The forward sweep, then adjoint statements in reverse order.

Each active statement ``z = op(a, b)`` becomes, walking backwards, contributions
``a_bar (+)= template_a(g=z_bar, ans=z, a, b)``. The first contribution to an adjoint is
assigned and later ones are added, so straight-line code never initializes with zeros;
where control flow joins paths on which an adjoint was and was not assigned, the other path
sets it to zero. Branches are replayed from their recorded conditions and loops run
backwards over the same iterations (see :mod:`srcdiff.transforms.tape` for what is saved).
"""

from __future__ import annotations

import gast

from .. import runtime
from ..analysis.memory import writes, written_roots
from ..ir import code, trees
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, PY, UNKNOWN_AVAL, join
from ..ir.code import ADJ, DEF, OBJ
from ..ir.names import is_temporary, spelled_in
from ..ir.ssa import Param
from . import tidy
from .adjoint_state import Adjoints, AdjointState, Lazy, expression_of
from .sweep_calls import CallAdjoints
from .sweep_control import ControlFlow
from .sweep_forward import ForwardSweep
from .sweep_results import VALUE, Results
from .sweep_templates import TemplateAdjoints
from .sweep_writes import WriteAdjoints
from .tape import overwrites_nothing, plan, unknown_rank


class Wrt(list):
    """The differentiated parameter names, remembering whether a tuple was asked for."""

    def __init__(self, names, multiple):
        super().__init__(names)
        self.multiple = multiple


def transform(program, activity, wrt, *, with_value=False, name=None, vjp=False, linker=None,
              exact_types=False):
    made = _Reverse(program, activity, wrt, with_value, vjp, linker)
    made.exact_types = exact_types
    return made.run(name)


class _Reverse(ForwardSweep, ControlFlow, CallAdjoints, WriteAdjoints, TemplateAdjoints, Results):
    def __init__(self, program, activity, wrt, with_value, vjp=False, linker=None):
        self.vjp = vjp
        self.linker = linker
        self.program = program
        self._private = None
        self.ssa = program.ssa
        self.fn = program.fn
        self.activity = activity
        self.wrt = wrt
        self.with_value = with_value
        self.plan = plan(program, activity, wrt, with_value)
        self.web_avals = self._web_avals()
        self.user_names = spelled_in(program.fn.node)
        stable = overwrites_nothing(program.fn)
        self.adjoints = Adjoints(self.aval_of, self.name, self.scalar, self.plan.unbound,
                                 self._temporary_web if stable else None)

    def run(self, name):
        fn = self.fn
        suffix = "_value_and_grad" if self.with_value else "_grad"
        out = code.Output(name or fn.name + suffix,
                          [self.web(Param(p.name)) for p in fn.params])
        out.plan = self.plan
        out.ssa = self.ssa
        body = [code.Init(name) for name in sorted(self.plan.unbound)]
        body += [code.TapeInit(name) for name in self._tapes()]
        code.stamp(body, code.INIT, None)
        body += self.forward(fn.body[:-1])
        returned = fn.body[-1]
        if self.with_value and self._result_restored():
            body.append(code.Assign((DEF, VALUE), self.operand(returned, returned.value),
                                    role=code.FORWARD, origin=returned))
        body.append(code.Mark(code.ADJOINTS))
        seeds = len(body)
        state = AdjointState()
        result = self.program.result
        if self.vjp:
            out.seed = self.web(result) if result is not None else "result"
            if result is not None:
                state[self.web(result)] = code.ref(ADJ, self.web(result))
        elif result is not None and self.activity.active(result):
            if unknown_rank(self.program.avals.get(result)):
                body.append(code.Expr(gast.Call(
                    func=code.ref(OBJ, runtime.check_scalar),
                    args=[code.ref(DEF, self.web(result)), code.const(fn.name)], keywords=[])))
            state[self.web(result)] = code.const(1.0)
            if self.web_avals[self.web(result)].kind not in (PY, NP):
                body.append(code.Assign((ADJ, self.web(result)), code.const(1.0)))
                state[self.web(result)] = code.ref(ADJ, self.web(result))
        code.stamp(body[seeds:], code.ADJOINT, returned)
        body += self.reverse(fn.body[:-1], state)
        tidy.fuse_rebinds(body)
        if any(aval.container for aval in self.web_avals.values()):
            tidy.literal_containers(body, self.aval_of)
        self.body_lines = body
        body.append(code.Return(self.result(state, returned), role=code.RESULT,
                                origin=returned))
        def temporary(target):
            return is_temporary(self._variable_of(target)[1], self.user_names)
        tidy.adjoint_copies(body, self._variable_of, temporary)
        tidy.folded_factors(body, self._variable_of, temporary, self.scalar)
        if any(aval.kind == ARRAY for aval in self.web_avals.values()):
            tidy.unit_copies(body, self._float_array)
        tidy.unneeded_tapes(body, self._variable_of)
        out.body = tidy.unneeded_inits(body, self._variable_of)
        tidy.unraising_adjoints(out.body, self.aval_of)
        return out

    def _temporary_web(self, web):
        return is_temporary(self.plan.names.get(web, web), self.user_names)

    def _variable_of(self, target):
        """The variable a target names, (kind, name) as the code will print it; a
        variable the tapes name is a name already."""
        key = target[1]
        if type(key) is tuple:
            return target
        return target[0], self.plan.names.get(key, key)

    # names and kinds

    def web(self, value):
        return self.ssa.web(value)

    def _web_avals(self):
        merged = {}
        for value, aval in self.program.avals.items():
            key = self.web(value)
            merged[key] = aval if key not in merged else join(merged[key], aval)
        return merged

    def aval_of(self, key):
        return self.web_avals.get(key, UNKNOWN_AVAL)

    def position(self, web):
        """A deterministic order of variables: where each is first defined."""
        if not hasattr(self, "_positions"):
            self._positions = {}
            for value in list(self.ssa.params) + list(ir.walk(self.fn.body)):
                if isinstance(value, (Param, ir.Assign, ir.For)):
                    self._positions.setdefault(self.web(value), len(self._positions))
        return self._positions.get(web, len(self._positions))

    def name(self, value):
        """The generated code's variable holding ``value``."""
        return self.plan.names[self.web(value)]

    def _tapes(self):
        seen = []
        for stmt in ir.walk(self.fn.body):
            names = [self.name(stmt)] if stmt in self.plan.pushed else []
            for name in names + self.plan.checkpoints.get(stmt, []):
                if name not in seen:
                    seen.append(name)
        return seen

    def _result_restored(self):
        """Whether the reverse sweep may give the result's variable another value: it pops
        it from a tape, recomputes it in a reversed loop, or a reversed loop rebinds it as
        its target."""
        result = self.program.result
        if result is None:
            return False
        name = self.name(result)
        rebound = [stmt for listed in self.plan.recomputed.values() for stmt in listed]
        rebound += [stmt for stmt in ir.walk(self.fn.body) if isinstance(stmt, ir.For)]
        return name in self._tapes() or any(self.name(stmt) == name for stmt in rebound)

    # reverse sweep

    def reverse(self, block, state):
        out = []
        origin = None
        for stmt in reversed(block):
            if isinstance(stmt, ir.Assign):
                lines = self.reverse_assign(stmt, state)
            elif isinstance(stmt, ir.If):
                lines = self.reverse_if(stmt, state)
            elif isinstance(stmt, ir.LOOPS):
                lines = self.reverse_loop(stmt, state)
            else:
                continue
            for line in lines:
                if isinstance(line, code.Pop):
                    line.role = code.TAPE_POP
            code.stamp(lines, code.ADJOINT, stmt)
            if lines and stmt.origin is not None and stmt.origin != origin and not isinstance(
                    stmt, ir.COMPOUND):
                origin = stmt.origin
                out.append(code.Comment(f"{origin.text}   (line {origin.lineno})",
                                        role=code.COMMENT, origin=stmt))
            elif isinstance(stmt, ir.COMPOUND):
                origin = None
            out.extend(lines)
        return out

    def reverse_assign(self, stmt, state):
        if stmt.is_copy:
            return self.reverse_call(stmt, state)
        return stmt.value.rule.reverse_statement(self, stmt, state)

    def reverse_call(self, stmt, state):
        """Walk back over ``z = op(a, b)`` (or a copy): the operands' adjoints get the
        contributions that the primitive's adjoint derives from ``z_bar``."""
        web = self.web(stmt)
        pushed = stmt in self.plan.pushed and stmt not in self.plan.pushed_after
        g = state.get(web)
        if not self.activity.active(stmt) or g is None:
            state.pop(web, None)
            return [code.Pop(self.name(stmt))] if pushed else []
        lines = []
        lazy = None
        if isinstance(g, Lazy) and self._takes_lazy(stmt):
            lazy = self._lazy_contributions(stmt, g)
        if isinstance(g, Lazy) and lazy is None:
            self.adjoints.materialize(web, state, lines)
            g = state[web]
        lazy = lazy if lazy is not None else self._sum_to_lazy(stmt, g)
        if lazy is not None:
            contributions = lazy
        elif stmt.is_copy:
            contributions = self.contributions(stmt, g)
        else:
            contributions = stmt.value.rule.adjoint(self, stmt, g, state, lines)
        own = contributions.pop(web, [])
        old = [e for exprs in contributions.values() for e in exprs] + own
        early = None  # an old value is given back only where it was pushed
        if pushed:
            early = next((k for k, line in enumerate(lines) if _reads_old(line)), None)
        if pushed and (early is not None or any(code.refs(expression_of(e), "old")
                                                for e in old)):
            # The adjoints read the value this assignment overwrote (``y = step(y, x)``
            # hands the old ``y`` to ``step_vjp``): give it back before the first such read.
            # Where they read the new value too (``y = y / t``: ``t`` gets ``-g * y / t``
            # of the new ``y``), that one is kept under a name of its own first.
            at = len(lines) if early is None else early
            if self._reads_new(stmt, old, lines):
                kept = ("new", web)
                lines.insert(at, code.Assign((DEF, kept), code.ref(DEF, web)))
                at += 1
                for node in [expression_of(e) for e in old] + [n for line in lines[at:]
                                                       for n in _expressions(line)]:
                    self._rename_new(node, stmt, kept)
            lines.insert(at, code.Pop(self.name(stmt)))
            pushed = False
            for exprs in list(contributions.values()) + [own]:
                for e in exprs:
                    _rename_refs(expression_of(e), "old", DEF)
            for line in lines:
                for node in _expressions(line):
                    _rename_refs(node, "old", DEF)
        lines += self.adjoints.accumulate(contributions, state, last=web, staying=own)
        state.pop(web, None)
        if own:
            lines += self.adjoints.accumulate({web: own}, state)
        if pushed:
            lines.append(code.Pop(self.name(stmt)))
        return lines

    def _reads_new(self, stmt, exprs, lines):
        """Whether adjoint expressions read the value ``stmt`` assigns (``ans``)."""
        nodes = [expression_of(e) for e in exprs]
        nodes += [n for line in lines for n in _expressions(line)]
        return any(self._is_new(sub, stmt) for node in nodes for sub in trees.walk(node))

    def _is_new(self, node, stmt):
        r = code.ref_of(node)
        return (isinstance(node, gast.Name) and r is not None and r[0] == DEF
                and not isinstance(r[1], tuple) and self.name(r[1]) == self.name(stmt))

    def _rename_new(self, node, stmt, kept):
        for sub in trees.walk(node):
            if self._is_new(sub, stmt):
                sub.srcdiff_ref = (DEF, kept)

    def argument(self, stmt, op):
        """An operand as the adjoint reads it: an old value of the target's own variable is
        marked, so that it can be restored before it is read."""
        node = self.operand(stmt, op)
        if isinstance(op, ir.Var) and self.name(self.ssa.read(stmt, op)) == self.name(stmt):
            node.srcdiff_ref = ("old", self.web(self.ssa.read(stmt, op)))
        return node

    def scalar(self, node):
        """Whether ``1.0 * x`` may become ``x`` for this name node: it holds a scalar, or
        a float array that this function made and nothing changes in place (the adjoint
        then merely shares it, and ownership copies it before any write)."""
        r = code.ref_of(node)
        if r is None or r[0] == OBJ:
            return r is not None
        aval = self.aval_of(r[1])
        if aval.kind in (PY, NP):
            return True
        return r[0] == DEF and aval.dtype is not None and aval.dtype.kind in "fc" and (
            r[1] in self._private_arrays())

    def _float_array(self, key):
        if isinstance(key, tuple):
            return False
        aval = self.aval_of(key)
        return aval.kind == ARRAY and aval.dtype is not None and aval.dtype.kind in "fc"

    def _private_arrays(self):
        """The variables whose every value is an array this function allocated, which no
        write changes and which is not its result."""
        if self._private is None:
            program = self.program
            memory = program.memory
            written = frozenset().union(*(written_roots(program, memory, stmt)
                                          for stmt in writes(program, memory)))
            verdicts = {}
            for value, roots in memory.items():
                private = bool(roots) and all(
                    isinstance(r, ir.Assign) and r not in written for r in roots)
                web = self.web(value)
                verdicts[web] = verdicts.get(web, True) and private
            if program.result is not None:
                verdicts[self.web(program.result)] = False
            self._private = {web for web, private in verdicts.items() if private}
        return self._private

def _expressions(line):
    """The expressions of a simple output statement."""
    return [value for value in vars(line).values() if isinstance(value, gast.AST)]


def _reads_old(line):
    return any(code.refs(node, "old") for node in _expressions(line))


def _rename_refs(node, old, new):
    for sub in trees.walk(node):
        r = code.ref_of(sub)
        if r is not None and r[0] == old:
            sub.srcdiff_ref = (new, r[1])
