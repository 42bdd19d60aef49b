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
import numpy as np

from .. import runtime
from ..backend import printer
from ..backend.arrays import NUMPY
from ..backend.simplify import simplify
from ..ir import code
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, PY, UNKNOWN_AVAL, broadcast_shapes, join
from ..ir.code import ADJ, DEF, OBJ
from ..ir.ssa import UNDEFINED, Param, Phi
from ..primitives import indexing
from ..primitives.calls import USER
from ..primitives.containers import APPEND, PACK
from ..primitives.effects import EFFECT
from ..primitives.indexing import INDEX, STORE
from ..primitives.registry import ELEMENTWISE, NONDIFF, Refusal, is_complex
from . import tidy
from .adjoint_state import SCATTERED, Adjoints, AdjointState, Lazy, View, base_name, expression_of
from .adjoints import (
    instantiate,
    np_call,
    numpy_division,
    python_calls_to_math,
    python_expr,
    real_part,
    reduce_to,
    reduction,
    whole_reduction,
    zero_like,
    zero_literal,
)
from .sites import END, SHAPE
from .tape import plan, unknown_rank

VALUE = "value"


class Wrt(list):
    """The differentiated parameter names, remembering whether a tuple was asked for."""

    def __init__(self, names, multiple):
        super().__init__(names)
        self.multiple = multiple


def transform(program, activity, wrt, *, with_value=False, name=None, vjp=False, linker=None):
    return _Reverse(program, activity, wrt, with_value, vjp, linker).run(name)


class _Reverse:
    def __init__(self, program, activity, wrt, with_value, vjp=False, linker=None):
        self.vjp = vjp
        self.linker = linker
        self.program = program
        self.ssa = program.ssa
        self.fn = program.fn
        self.activity = activity
        self.wrt = wrt
        self.with_value = with_value
        self.plan = plan(program, activity, wrt, with_value)
        self.web_avals = self._web_avals()
        self.adjoints = Adjoints(self.aval_of, self.name, self.scalar)

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
        tidy.literal_containers(body, self.aval_of)
        self.body_lines = body
        body.append(code.Return(self.result(state, returned), role=code.RESULT,
                                origin=returned))
        out.body = body
        return out

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

    # forward sweep

    def operand(self, stmt, op):
        if isinstance(op, ir.Var):
            return code.ref(DEF, self.web(self.ssa.read(stmt, op)))
        if isinstance(op, ir.Const):
            return code.const(op.value)
        if op.cell is not None:
            return code.ref(OBJ, code.CellContents(op.cell, op.text))
        return gast.parse(op.text, mode="eval").body

    def primal(self, stmt):
        if stmt.is_copy:
            return self.operand(stmt, stmt.value)
        return self.call(stmt, stmt.value)

    def iterable(self, stmt):
        if isinstance(stmt.iterable, ir.Call):
            return self.call(stmt, stmt.iterable)
        return self.operand(stmt, stmt.iterable)

    def call(self, stmt, call):
        return printer.expression(call, lambda op: self.operand(stmt, op))

    def forward(self, block):
        """The forward sweep of ``block``; each statement knows the IR statement it came
        from and its role (forward, or a tape push)."""
        out = []
        for stmt in block:
            made = self._forward_statement(stmt)
            for line in made:
                if isinstance(line, code.Push):
                    line.role = code.TAPE_PUSH
            out += code.stamp(made, code.FORWARD, stmt)
        return out

    def _forward_statement(self, stmt):
        out = []
        kept = self.plan.kept
        if stmt not in kept:
            return out
        out += [code.Push(w) for w in self.plan.checkpoints.get(stmt, [])]
        if isinstance(stmt, ir.Assign):
            if stmt in self.plan.pushed:
                out.append(self.push(stmt))
            if not stmt.is_copy and stmt.value.form == "store":
                call = stmt.value
                out.append(code.Store((DEF, self.web(stmt)), self.store_index(stmt),
                                      self.operand(stmt, call.args[1]),
                                      call.rule.symbol[:-1] or None))
                return out
            if not stmt.is_copy and stmt.value.form in ("append", EFFECT):
                out.append(code.Expr(self.primal(stmt)))
                return out
            out.append(code.Assign((DEF, self.web(stmt)), self.primal(stmt)))
        elif isinstance(stmt, ir.If):
            body, orelse = self.forward(stmt.body), self.forward(stmt.orelse)
            if body or orelse:
                out.append(code.If(self.operand(stmt, stmt.test), body, orelse))
        elif isinstance(stmt, ir.For):
            body = self.forward(stmt.body)
            if body or self._target_read_after(stmt):
                out.append(code.For(self.web(stmt), self.iterable(stmt), body))
        elif isinstance(stmt, ir.While):
            test = self.forward(stmt.test_body)
            out += test
            body = self.forward(stmt.body) + [code.clone_statement(s) for s in test]
            out.append(code.While(self.operand(stmt, stmt.test), body))
        elif isinstance(stmt, ir.Break):
            out.append(code.Break())
        return out

    def _target_read_after(self, stmt):
        """Whether a loop's final target is read after the loop: by the reverse sweep
        outside the loop (inside it, the reversed loop sets the target itself), by the
        forward sweep, or as the returned value."""
        places = self.plan.places
        start, end = places[stmt][0], places[stmt][2]
        if any(site in (None, END, SHAPE) or not start <= places[site][0] <= end
               for site in self.plan.sites.get(stmt, ())):
            return True
        readers = [s for s in self.plan.kept if not start <= places[s][0] <= end]
        if self.with_value:
            readers.append(self.fn.body[-1])
        return any(stmt in self.ssa.concrete(value)
                   for reader in readers for value in self.ssa.uses.get(reader, {}).values())

    def push(self, stmt):
        """Save what ``stmt`` overwrites: the variable, or the part of it that a store
        writes (a copy of it where the part is a view)."""
        if not (not stmt.is_copy and stmt.value.rule.kind == STORE):
            return code.Push(self.name(stmt))
        region, parts = self.region(stmt)
        copy = region.kind == ARRAY and indexing.may_view(parts, stmt.value.index)
        return code.Push(self.name(stmt), self.store_index(stmt), copy)

    def store_index(self, stmt, read=None):
        read = read or self.operand
        return indexing.fill(stmt.value.index, [read(stmt, a) for a in stmt.value.args[2:]])

    def region(self, stmt):
        """The abstract value of the part ``y[index]`` that a store writes, and those of the
        index's variable parts."""
        call = stmt.value
        parts = [self.program.aval(stmt, a) for a in call.args[2:]]
        region = indexing.result_aval(self.program.aval(stmt, call.args[0]), parts, call.index,
                                      self.fn.source.located, stmt.origin.node)
        return region, parts

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

    def reverse_append(self, stmt, state):
        """Walking back over ``lst.append(v)``: ``v`` gets ``lst_bar.pop()``, the last
        element's adjoint, and ``lst.pop()`` gives the list back its old length."""
        web = self.web(stmt)
        g = state.pop(web, None)
        lines = []
        old = self.program.definition(stmt, stmt.value.args[0])
        if self.activity.active(stmt) and g is not None:
            if isinstance(g, Lazy) or not code.ref_of(g):
                state[web] = g
                self.adjoints.materialize(web, state, lines)
                state.pop(web)
            popped = gast.Call(func=gast.Attribute(value=code.ref(ADJ, web), attr="pop",
                                                   ctx=gast.Load()), args=[], keywords=[])
            source = self.program.definition(stmt, stmt.value.args[1])
            if source is not None and self.activity.active(source):
                lines += self.adjoints.accumulate({self.web(source): [popped]}, state)
            else:
                lines.append(code.Expr(popped))
            if old is not None and old is not UNDEFINED:
                state[self.web(old)] = code.ref(ADJ, web)
        if stmt in self.plan.popped:
            lines.append(code.Expr(gast.Call(func=gast.Attribute(
                value=code.ref(DEF, web), attr="pop", ctx=gast.Load()), args=[], keywords=[])))
        return lines

    def reverse_store(self, stmt, state):
        """Walking back over ``y[index] = v``: ``v`` gets ``y_bar[index]`` (summed back to
        its shape), then that part of ``y_bar`` is zeroed, since the old values there did not
        reach the result; ``+=`` and ``-=`` pass ``y_bar`` through unchanged. Where an
        integer index repeats a position, only the value NumPy wrote last gets its adjoint."""
        call = stmt.value
        web = self.web(stmt)
        g = state.pop(web, None)
        lines = []
        old = self.program.definition(stmt, call.args[0])
        old_active = old not in (None, UNDEFINED) and self.activity.active(old)
        source = self.program.definition(stmt, call.args[1])
        value_active = source is not None and self.activity.active(source)
        if self.activity.active(stmt) and g is not None and (old_active or value_active):
            zeroing = call.rule.symbol == "=" and old_active
            owned = state.owned
            state[web] = g
            if isinstance(g, Lazy) or not code.ref_of(g):
                self.adjoints.materialize(web, state, lines)
            elif zeroing and (web not in owned or not self._adjoint_of(g, web)):
                lines.append(code.Assign((ADJ, web), code.copy_of(code.clone(g))))
                state[web] = code.ref(ADJ, web)
                owned.add(web)
            g = state.pop(web)
            index = self.store_index(stmt, self.argument)
            if value_active:
                contributions = {self.web(source): [self.stored_adjoint(stmt, g, index)]}
                lines += self.adjoints.accumulate(contributions, state, last=web)
            if zeroing:
                lines.append(code.Store(code.ref_of(g), code.clone(index), code.const(0.0)))
            if old_active and zeroing:
                state[self.web(old)] = code.ref(ADJ, self.web(old))
                owned.add(self.web(old))
            elif old_active:
                state[self.web(old)] = g
                if web in owned and self._adjoint_of(g, web):
                    owned.add(self.web(old))
        if stmt in self.plan.pushed:
            lines.append(code.Pop(self.name(stmt), self.store_index(stmt)))
        return lines

    def _adjoint_of(self, g, web):
        """Whether ``g`` is the adjoint variable of ``web`` (or of a value sharing its name:
        a store's old and new values are one array, with one adjoint)."""
        ref = code.ref_of(g)
        return (ref is not None and ref[0] == ADJ and not isinstance(ref[1], tuple)
                and self.name(ref[1]) == self.name(web))

    def stored_adjoint(self, stmt, g, index):
        """The stored value's adjoint: the written part of ``y_bar``, as an array of its own."""
        call = stmt.value
        region, parts = self.region(stmt)
        given = self.program.aval(stmt, call.args[1])
        value_aval = indexing.stored_aval(given, region)
        if indexing.repeats(parts, call.index):
            part = gast.Call(func=code.ref(OBJ, runtime.last_assigned),
                             args=[code.clone(g), code.clone(index)], keywords=[])
            view = False
        else:
            part = gast.Subscript(value=code.clone(g), slice=code.clone(index), ctx=gast.Load())
            how = reduction(value_aval, region)
            view = region.kind == ARRAY and indexing.may_view(parts, call.index) and (
                how is None or how[0] == "unbroadcast")
        expr = reduce_to(part, value_aval, region, self.argument(stmt, call.args[1]))
        if value_aval is not given:
            shape = code.const(given.known_shape) if given.known_shape is not None else np_call(
                "shape", [self.argument(stmt, call.args[1])])
            expr = np_call("reshape", [expr, shape])
        if call.rule.symbol == "-=":
            expr = gast.UnaryOp(op=gast.USub(), operand=expr)
            view = False
        expr = simplify(expr, self.scalar)
        return View(expr) if view else expr

    def reverse_assign(self, stmt, state):
        if not stmt.is_copy and stmt.value.rule.kind == APPEND:
            return self.reverse_append(stmt, state)
        if not stmt.is_copy and stmt.value.rule.kind == STORE:
            return self.reverse_store(stmt, state)
        web = self.web(stmt)
        pushed = stmt in self.plan.pushed
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
        elif not stmt.is_copy and stmt.value.rule.kind == USER:
            contributions = self.user_call(stmt, g, state, lines)
        elif not stmt.is_copy and stmt.value.rule.kind == PACK:
            contributions = self.unpack_adjoint(stmt, g)
        elif not stmt.is_copy and stmt.value.rule.kind == INDEX and self.program.aval(
                stmt, stmt.value.args[0]).container:
            contributions = self.element_adjoint(stmt, g)
        elif not stmt.is_copy and stmt.value.rule.kind == INDEX:
            contributions = self.index_adjoint(stmt, g, state, lines)
        else:
            contributions = self.contributions(stmt, g)
        own = contributions.pop(web, [])
        old = [e for exprs in contributions.values() for e in exprs] + own
        reads_old = any(code.refs(expression_of(e), "old") for e in old)
        early = next((k for k, line in enumerate(lines) if _reads_old(line)), None)
        if pushed and (reads_old or early is not None):
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
        lines += self.adjoints.accumulate(contributions, state, last=web)
        state.pop(web, None)
        if own:
            lines += self.adjoints.accumulate({web: own}, state)
        if pushed:
            lines.append(code.Pop(self.name(stmt)))
        return lines

    def _takes_lazy(self, stmt):
        """Whether the statement's adjoint can use a scalar-broadcast ``g`` as it is: copies,
        and elementwise rules whose active operands all have the result's shape."""
        if stmt.is_copy:
            return True
        rule = stmt.value.rule
        if rule.kind != ELEMENTWISE or not rule.pointwise:
            return False
        result = self.program.avals[stmt].known_shape
        for op in stmt.value.bound().values():
            source = self.program.definition(stmt, op)
            if source is not None and self.activity.active(source):
                if result is None or self.program.aval(stmt, op).known_shape != result:
                    return False
        return True

    def _sum_to_lazy(self, stmt, g):
        """``s = np.sum(a)`` (or ``np.mean``) over everything: ``a``'s adjoint is ``s_bar``
        (divided by the size) everywhere, kept lazy."""
        size = whole_reduction(self.program, stmt)
        if size is None or isinstance(g, Lazy):
            return None
        operand = stmt.value.bound()[stmt.value.rule.params[0]]
        source = self.program.definition(stmt, operand)
        if source is None or not self.activity.active(source):
            return None
        value = code.clone(g)
        if stmt.value.rule.name == "numpy.mean":
            value = simplify(gast.BinOp(left=value, op=gast.Div(), right=code.const(size)),
                             self.scalar)
        return {self.web(source): [Lazy(value)]}

    def contributions(self, stmt, g, reduce=True):
        if stmt.is_copy:
            source = self.program.definition(stmt, stmt.value)
            if source is None or not self.activity.active(source):
                return {}
            return {self.web(source): [code.clone(g)]}
        call = stmt.value
        rule = call.rule
        if rule.kind == NONDIFF:
            return {}
        bound = call.bound()
        operand_avals = {p: self.program.aval(stmt, op) for p, op in bound.items()}
        templates = rule.select(operand_avals, bound)
        complex_call = any(map(is_complex, [self.program.avals[stmt], *operand_avals.values()]))
        all_python = all(a.kind == PY for a in operand_avals.values()) and not complex_call
        names = {name: code.ref(OBJ, obj) for name, obj in rule.helpers.items()}
        for p, op in bound.items():
            names[p] = self.argument(stmt, op)
        names["ans"] = code.ref(DEF, self.web(stmt))
        result = {}
        for p, template in zip(rule.params, templates):
            operand = bound[p]
            source = self.program.definition(stmt, operand)
            if template is None or source is None or not self.activity.active(source):
                continue
            if isinstance(template, Refusal):
                raise self.fn.source.located.error(stmt.origin.node, template.message,
                                                   template.hint)
            expr = instantiate(template.expr, g, names, all_python)
            if not all_python:
                expr = python_calls_to_math(expr, self.aval_of)
            elif rule.numpy_semantics:
                expr = numpy_division(expr, self.aval_of)
            if complex_call and not is_complex(operand_avals[p]):
                expr = real_part(simplify(expr, self.scalar))
            if rule.kind == ELEMENTWISE and reduce:
                expr = reduce_to(expr, operand_avals[p], self.program.avals[stmt], names[p])
            result.setdefault(self.web(source), []).append(simplify(expr, self.scalar))
        return result

    def _lazy_contributions(self, stmt, g):
        """Elementwise templates on a scalar ``g``: a contribution that stays scalar stays
        lazy; one that has its operand's shape is an ordinary array. Anything else (a
        contribution of a smaller shape) returns None: ``g`` must be broadcast first."""
        result = self.contributions(stmt, g.expr, reduce=False)
        scalar = code.ref_of(g.expr)
        for web, exprs in result.items():
            shape = self.aval_of(web).known_shape
            lazy = []
            for e in exprs:
                got = self._expr_shape(e, scalar)
                if got == ():
                    lazy.append(Lazy(e))
                elif got is not None and got == shape:
                    lazy.append(e)
                else:
                    return None
            result[web] = lazy
        return result

    def _expr_shape(self, expr, scalar):
        """The broadcast shape of an elementwise expression's leaves (None if unknown)."""
        shapes = []
        if any(isinstance(n, gast.Name) and code.ref_of(n) is None for n in gast.walk(expr)):
            return None
        for ref in code.refs(expr):
            if ref[0] == OBJ or ref == scalar:
                continue
            shape = self.aval_of(ref[1]).known_shape
            if shape is None:
                return None
            shapes.append(shape)
        try:
            return broadcast_shapes(*shapes)
        except ValueError:
            return None

    def user_call(self, stmt, g, state, lines):
        """``a_bar, b_bar = h_vjp(a, b, z_bar)``, straight into adjoints not yet assigned,
        else into parts that are then added."""
        call = stmt.value
        rule = call.rule
        bound = call.bound()
        active = [p for p in rule.params if isinstance(bound[p], ir.Var)
                  and self.activity.active(self.program.definition(stmt, bound[p]))]
        if not active:
            return {}
        avals = {p: self.program.aval(stmt, bound[p]) for p in rule.params}
        made = self.linker.vjp(rule.fn, avals, active, self.fn.source.located,
                               stmt.origin.node, self._unused_outputs(stmt))
        positional = rule.params[:rule.positional]
        args = [self.argument(stmt, bound[p]) for p in positional] + [code.clone(g)]
        keywords = [gast.keyword(arg=p, value=self.argument(stmt, bound[p]))
                    for p in rule.params[len(positional):]]
        value = gast.Call(func=code.ref(OBJ, made), args=args, keywords=keywords)
        webs = [self.web(self.program.definition(stmt, bound[p])) for p in active]
        if len(webs) == 1:
            return {webs[0]: [value]}
        targets, contributions = [], {}
        for web in webs:
            direct = (state.get(web) is None and webs.count(web) == 1
                      and base_name(web) != base_name(self.web(stmt)))
            if direct:
                targets.append((ADJ, web))
                state[web] = code.ref(ADJ, web)
            else:
                repeat = sum(1 for t in targets
                             if isinstance(t[1], tuple) and t[1][:2] == ("part", web))
                part = ("part", web, rule.name if not repeat else f"{rule.name}_{repeat + 1}")
                targets.append((ADJ, part))
                contributions.setdefault(web, []).append(code.ref(ADJ, part))
        lines.append(code.Assign(tuple(targets), value))
        return contributions

    def _unused_outputs(self, stmt):
        """The elements of a call's tuple, list or dict result that give the result nothing:
        where the value is only ever taken apart by constant keys (``p, q = h(x)``), those
        never read on the way to the result."""
        aval = self.program.avals.get(stmt)
        if aval is None or aval.items is None:
            return ()
        used = self._keys_used(stmt, set())
        if used is None:
            return ()
        keys = [k for k, _ in aval.items] if aval.pytype is dict else range(len(aval.items))
        return tuple(k for k in keys if k not in used)

    def _keys_used(self, value, seen):
        """The constant keys through which ``value`` (a container) reaches the result, or
        None where it goes anywhere else whole."""
        if value is self.program.result or value in seen or any(
                value in phi.inputs for phi in self.ssa.phis):
            return None
        seen.add(value)
        used = set()
        for user, reads in self.ssa.uses.items():
            if not any(read is value for read in reads.values()):
                continue
            if user.is_copy:
                inner = self._keys_used(user, seen)
                if inner is None:
                    return None
                used |= inner
                continue
            key = _constant_key(user.value) if user.value.rule.kind == INDEX else None
            if key is None or self.program.definition(user, user.value.args[0]) is not value:
                return None
            if self.activity.active(user):
                used.add(key.value)
        return used

    def unpack_adjoint(self, stmt, g):
        """``t = (a, b)``: ``a`` gets ``t_bar[0]``, ``b`` gets ``t_bar[1]``."""
        call = stmt.value
        keys = call.rule.keys or range(len(call.args))
        result = {}
        for key, operand in zip(keys, call.args):
            source = self.program.definition(stmt, operand)
            if source is None or not self.activity.active(source):
                continue
            item = gast.Subscript(value=code.clone(g), slice=code.const(key), ctx=gast.Load())
            result.setdefault(self.web(source), []).append(item)
        return result

    def element_adjoint(self, stmt, g):
        """``v = t[k]``: ``t_bar`` gets ``one_hot(t, k, v_bar)``."""
        call = stmt.value
        source = self.program.definition(stmt, call.args[0])
        if source is None or not self.activity.active(source):
            return {}
        parts = [self.argument(stmt, a) for a in call.args[1:]]
        key = indexing.fill(call.index, parts)
        value = gast.Call(func=code.ref(OBJ, runtime.one_hot),
                          args=[self.argument(stmt, call.args[0]), key, code.clone(g)],
                          keywords=[])
        return {self.web(source): [value]}

    def index_adjoint(self, stmt, g, state, lines):
        """``x_bar[index] += g``, into an array this sweep owns (made here if need be)."""
        call = stmt.value
        source = self.program.definition(stmt, call.args[0])
        if source is None or not self.activity.active(source):
            return {}
        web = self.web(source)
        parts = [self.argument(stmt, a) for a in call.args[1:]]
        part_avals = [self.program.aval(stmt, a) for a in call.args[1:]]
        repeats = indexing.repeats(part_avals, call.index)
        if self.name(source) == self.name(stmt):
            # ``u = u[[0, 2, 0]]``: ``g`` is the variable's own adjoint, which cannot also
            # gather its scatter in place; the scatter goes into an array of its own.
            part = ("part", web, SCATTERED)
            lines.append(code.Assign((ADJ, part), self.adjoints.zero(web)))
            lines.append(code.AddAt((ADJ, part), indexing.fill(call.index, parts),
                                    code.clone(g), repeats))
            return {web: [code.ref(ADJ, part)]}
        owned = state.owned
        if isinstance(state.get(web), Lazy):
            self.adjoints.materialize(web, state, lines)
        if state.get(web) is None:
            lines.append(code.Assign((ADJ, web), self.adjoints.zero(web)))
        elif not code.ref_of(state[web]) or web not in owned:
            current = state[web]
            value = (np_call("array", [current], copy=True) if not code.ref_of(current)
                     else code.copy_of(current))
            lines.append(code.Assign((ADJ, web), value))
        state[web] = code.ref(ADJ, web)
        owned.add(web)
        lines.append(code.AddAt((ADJ, web), indexing.fill(call.index, parts), code.clone(g),
                                repeats))
        return {}

    def _reads_new(self, stmt, exprs, lines):
        """Whether adjoint expressions read the value ``stmt`` assigns (``ans``)."""
        nodes = [expression_of(e) for e in exprs]
        nodes += [n for line in lines for n in _expressions(line)]
        return any(self._is_new(sub, stmt) for node in nodes for sub in gast.walk(node))

    def _is_new(self, node, stmt):
        r = code.ref_of(node)
        return (isinstance(node, gast.Name) and r is not None and r[0] == DEF
                and not isinstance(r[1], tuple) and self.name(r[1]) == self.name(stmt))

    def _rename_new(self, node, stmt, kept):
        for sub in gast.walk(node):
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
        """Whether a name node is known to hold a scalar (so ``1.0 * x`` may become ``x``)."""
        r = code.ref_of(node)
        if r is None or r[0] == OBJ:
            return r is not None
        return self.aval_of(r[1]).kind in (PY, NP)

    def checkpoint(self, stmt):
        """An inactive ``if`` or loop is undone as a whole: the variables it changes that
        the reverse sweep reads were saved before it and are restored here."""
        return [code.Pop(w) for w in reversed(self.plan.checkpoints.get(stmt, []))]

    def reverse_if(self, stmt, state):
        if id(stmt) not in self.plan.active_blocks:
            return self.checkpoint(stmt)
        before = state.copy()
        body_state, else_state = state.copy(), state.copy()
        body = self.reverse(stmt.body, body_state)
        orelse = self.reverse(stmt.orelse, else_state)
        outside = self._outside(stmt)
        state.clear()
        keys = set(body_state) | set(else_state) | set(before)
        for web in sorted(keys, key=self.position):
            a, b = body_state.get(web), else_state.get(web)
            if a is None and b is None:
                continue
            if web not in outside and web not in before:
                continue
            if _same(a, b):
                state[web] = a
                continue
            self.adjoints.materialize(web, body_state, body)
            self.adjoints.materialize(web, else_state, orelse)
            state[web] = code.ref(ADJ, web)
        state.owned = body_state.owned & else_state.owned
        if not _has_code(body) and not _has_code(orelse):
            return []
        lines = [code.Comment(f"{stmt.origin.text}   (line {stmt.origin.lineno})")]
        return lines + [code.If(self.operand(stmt, stmt.test), body, orelse)]

    def _outside(self, stmt):
        """Variables whose adjoints matter outside ``stmt``: defined or read outside it."""
        inside = set(ir.walk([stmt]))
        outside = set()
        for other in ir.walk(self.fn.body):
            if other in inside:
                continue
            for value in self.ssa.uses.get(other, {}).values():
                outside.add(self.web(value))
            if isinstance(other, (ir.Assign, ir.For)):
                outside.add(self.web(other))
        outside.update(self.web(p) for p in self.ssa.params)
        return outside

    def reverse_loop(self, stmt, state):
        if id(stmt) not in self.plan.active_blocks:
            return self.checkpoint(stmt)
        outside = self._outside(stmt) | self._loop_carried(stmt)
        touched = self._touched(stmt)
        lines = []
        carried = [w for w in touched if w in outside]
        for web in sorted(carried, key=self.position):
            if web in state or self._receives(stmt, web):
                self.adjoints.materialize(web, state, lines)
        in_place = self._own_before(stmt, carried, state, lines)
        body_state = state.restricted(outside)
        owned_on_entry = set(body_state.owned)
        body = self.reverse(stmt.body, body_state)
        if isinstance(stmt, ir.For):
            # Walking back over the loop header: it gave the target a new value, so the
            # target's adjoint does not reach the value before.
            body_state.pop(self.web(stmt), None)
        if body:
            body = [code.Assign((DEF, self.web(d)), self.primal(d), role=code.RECOMPUTE,
                                origin=d)
                    for d in self.plan.recomputed.get(stmt, [])] + body
        for web in sorted(carried, key=self.position):
            if web in state and body_state.get(web) != state.get(web):
                if body_state.get(web) is None or not code.ref_of(body_state[web]):
                    self.adjoints.materialize(web, body_state, body)
        for web in sorted(set(carried) & in_place & owned_on_entry, key=self.position):
            current = body_state.get(web)
            if web not in body_state.owned and code.ref_of(current) is not None:
                # The body changes this adjoint in place, as its own array: so it must be
                # its own array again when the next (earlier) iteration begins.
                body.append(code.Assign((ADJ, web), code.copy_of(code.clone(current))))
                body_state[web] = code.ref(ADJ, web)
                body_state.owned.add(web)
        for web in carried:
            if body_state.get(web) is not None:
                state[web] = code.ref(ADJ, web)
        state.owned = state.owned & body_state.owned
        if not body:
            return lines
        if isinstance(stmt, ir.While):
            iterable = gast.Call(func=code.ref(OBJ, range), args=[self._trips(stmt)],
                                 keywords=[])
            target = None
        else:
            iterable = self.iterable(stmt)
            if stmt.trips:
                iterable = gast.Subscript(value=iterable, slice=gast.Slice(
                    lower=None, upper=self._trips(stmt), step=None), ctx=gast.Load())
            iterable = gast.Call(func=code.ref(OBJ, reversed), args=[iterable], keywords=[])
            target = self.web(stmt)
        comment = code.Comment(f"{stmt.origin.text}   (line {stmt.origin.lineno})")
        return lines + [comment, code.For(target, iterable, body)]

    def _own_before(self, loop, carried, state, lines):
        """An adjoint the loop body changes in place (``y_bar[t] = 0.0``, ``x_bar[i] +=
        g``) is made this sweep's own array once, before the loop, rather than copied on
        every iteration."""
        targets = set()
        for inner in ir.walk(loop.body):
            if not (isinstance(inner, ir.Assign) and not inner.is_copy
                    and self.activity.active(inner)):
                continue
            kind = inner.value.rule.kind
            if kind == STORE:
                targets.add(self.web(inner))
            elif kind == INDEX and not self.program.aval(inner, inner.value.args[0]).container:
                source = self.program.definition(inner, inner.value.args[0])
                if source is not None and source is not UNDEFINED:
                    targets.add(self.web(source))
        owned = state.owned
        for web in sorted(set(carried) & targets, key=self.position):
            current = state.get(web)
            if web in owned or not code.ref_of(current) or isinstance(current, Lazy):
                continue
            lines.append(code.Assign((ADJ, web), code.copy_of(code.clone(current))))
            state[web] = code.ref(ADJ, web)
            owned.add(web)
        return targets

    def _trips(self, stmt):
        counter = next(s for s in ir.walk(self.fn.body)
                       if isinstance(s, ir.Assign) and s.target == stmt.trips)
        return code.ref(DEF, self.web(counter))

    def _touched(self, stmt):
        """Variables whose adjoints the reversed loop may change: those it assigns (an
        inactive assignment ends the adjoint of the value it overwrites), its target, and
        the active values it reads."""
        touched = {self.web(stmt)} if isinstance(stmt, ir.For) else set()
        for inner in ir.walk(stmt.body):
            if isinstance(inner, (ir.Assign, ir.For)):
                touched.add(self.web(inner))
            if isinstance(inner, ir.Assign) and self.activity.active(inner):
                for value in self.ssa.uses.get(inner, {}).values():
                    if value is not UNDEFINED and self.activity.active(value):
                        touched.add(self.web(value))
        return touched

    def _loop_carried(self, stmt):
        """Variables whose values flow from one iteration of the loop into the next: those
        whose value at the loop's head is read (a variable the body always assigns before
        reading it is not)."""
        if not hasattr(self, "_read_phis"):
            self._read_phis = set()
            stack = [v for uses in self.ssa.uses.values() for v in uses.values()
                     if isinstance(v, Phi)]
            while stack:
                phi = stack.pop()
                if phi not in self._read_phis:
                    self._read_phis.add(phi)
                    stack.extend(v for v in phi.inputs if isinstance(v, Phi))
        return {self.web(phi) for phi in self._read_phis if phi.node is stmt and phi.head}

    def _receives(self, stmt, web):
        """Whether the loop adds to this adjoint (rather than only consuming it)."""
        for inner in ir.walk(stmt.body):
            if isinstance(inner, ir.Assign) and self.activity.active(inner):
                for value in self.ssa.uses.get(inner, {}).values():
                    if value is not UNDEFINED and self.web(value) is web:
                        return True
        return False

    # the result

    def result(self, state, returned):
        grads = [self.gradient(name, state) for name in self.wrt]
        value = grads[0] if len(grads) == 1 and not self.wrt.multiple else gast.Tuple(
            elts=grads, ctx=gast.Load())
        if not self.with_value:
            return value
        if self._result_restored():
            primal = code.ref(DEF, VALUE)
        else:
            primal = self.operand(returned, returned.value)
        return gast.Tuple(elts=[primal, value], ctx=gast.Load())

    def gradient(self, name, state):
        web = self.web(Param(name))
        aval = self.program.avals[Param(name)]
        current = state.get(web)
        if current is None:
            # Written out where the kind allows: the variable may hold a rebound value now.
            return zero_literal(aval) or zero_like(aval, code.ref(DEF, web))
        if isinstance(current, Lazy) and aval.kind == ARRAY:
            return self.adjoints.filled(web, current.expr)
        if isinstance(current, Lazy):
            current = self.adjoints.filled(web, current.expr)
        if self.vjp:
            return current
        if aval.container:
            return self.cast_container(current, aval, code.ref(DEF, web))
        return self.cast(current, aval)

    def cast_container(self, value, aval, like):
        """A container's gradient with each element of its argument's element's type: the
        elements of a literal (``{'w': w_bar, 's': float(s_bar)}``) are cast one by one, any
        other container through ``cast_tree``."""
        literal = self._final_literal(value)
        if literal is not None:
            elements = literal.values if isinstance(literal, gast.Dict) else literal.elts
            keys = [k for k, _ in aval.items] if aval.pytype is dict else range(len(elements))
            for k, (key, element, leaf) in enumerate(zip(keys, elements, aval.elements)):
                part = None if like is None else gast.Subscript(
                    value=code.clone(like), slice=code.const(key), ctx=gast.Load())
                elements[k] = (self.cast_container(element, leaf, part) if leaf.container
                               else self.cast(element, leaf))
            return value
        if like is None or not _needs_cast(aval):
            return value
        return gast.Call(func=code.ref(OBJ, runtime.cast_tree), args=[value, like],
                         keywords=[])

    def _final_literal(self, value):
        """The tuple, list or dict display the adjoint ``value`` last received, when that is
        the last assignment to it."""
        if isinstance(value, (gast.Dict, gast.Tuple, gast.List)):
            return value
        target = code.ref_of(value)
        if target is None or target[0] != ADJ:
            return None
        for line in reversed(self.body_lines):
            if isinstance(line, code.Assign) and line.target == target:
                if isinstance(line.value, (gast.Dict, gast.Tuple, gast.List)):
                    return line.value
                return None
            if any(a.target == target for a in _assignments([line])):
                return None
        return None

    def cast(self, value, aval):
        """A gradient of exactly its argument's type, shape and dtype. Adjoints follow NumPy's
        arithmetic, which may hand back a Python int or float for a NumPy scalar, a NumPy
        scalar for a 0-d array, or float64 for float32 (a float64 constant promotes it): the
        cast puts each back. A Python float needs none where the adjoint is certainly a float
        already. In a function with complex values, a real argument's adjoint may have come
        through a complex array it was stored in (``y[0] = x``): its real part is the
        derivative."""
        if aval.container or aval.kind not in (PY, NP, ARRAY) or aval.dtype is None:
            return value
        if not is_complex(aval) and code.ref_of(value) and any(
                map(is_complex, self.program.avals.values())):
            value = real_part(value)
        if aval.kind == PY:
            if aval.dtype is float and python_expr(value, self.aval_of, self.python_adjoints()):
                return value
            if code.is_const(value):
                return code.const(aval.dtype(value.value))
            return gast.Call(func=code.ref(OBJ, aval.dtype), args=[value], keywords=[])
        dtype = NUMPY.dtype(aval.dtype)
        if aval.kind == NP:
            return gast.Call(func=dtype, args=[value], keywords=[])
        if aval.shape == ():
            return np_call("asarray", [value], dtype=dtype)
        if aval.dtype == np.float64:
            return value
        method = gast.Attribute(value=value, attr="astype", ctx=gast.Load())
        return gast.Call(func=method, args=[dtype],
                         keywords=[gast.keyword(arg="copy", value=code.const(False))])

    def python_adjoints(self):
        """The adjoints that are certainly Python floats (built from Python floats only).
        Loops carry adjoints from a later assignment back to an earlier one, so the
        assignments are read until nothing changes."""
        python = {}
        changed = True
        while changed:
            changed = False
            for line in _assignments(self.body_lines):
                if line.target and isinstance(line.target[0], tuple):
                    # ``a_bar, b_bar = h_vjp(...)``: whatever the VJP returns.
                    for kind, key in line.target:
                        if kind == ADJ:
                            changed = changed or python.get(key) is not False
                            python[key] = False
                elif line.target[0] == ADJ:
                    key = line.target[1]
                    now = python_expr(line.value, self.aval_of, python) and python.get(key, True)
                    changed = changed or python.get(key) != now
                    python[key] = now
        return python


def _constant_key(call):
    """``t[0]`` or ``d["w"]``: the constant key, as a gast constant; else None."""
    if not all(isinstance(a, ir.Const) for a in call.args[1:]):
        return None
    key = indexing.fill(call.index, [code.const(a.value) for a in call.args[1:]])
    return key if isinstance(key, gast.Constant) else None


def _has_code(lines):
    return any(not isinstance(line, code.Comment) for line in lines)


def _needs_cast(aval):
    """Whether a container holds an element whose gradient NumPy may give another type."""
    return any(_needs_cast(e) if e.container else not (
        e.kind == ARRAY and e.dtype == np.float64 and e.ndim != 0) for e in aval.elements)


def _assignments(lines):
    for line in lines:
        if isinstance(line, code.Assign):
            yield line
        for block in ("body", "orelse"):
            yield from _assignments(getattr(line, block, []))


def _expressions(line):
    """The expressions of a simple output statement."""
    return [value for value in vars(line).values() if isinstance(value, gast.AST)]


def _reads_old(line):
    return any(code.refs(node, "old") for node in _expressions(line))


def _rename_refs(node, old, new):
    for sub in gast.walk(node):
        r = code.ref_of(sub)
        if r is not None and r[0] == old:
            sub.srcdiff_ref = (new, r[1])


def _same(a, b):
    if a is None or b is None:
        return a is b
    if isinstance(a, Lazy) != isinstance(b, Lazy):
        return False
    a, b = expression_of(a), expression_of(b)
    return gast.dump(a) == gast.dump(b) and code.ref_of(a) == code.ref_of(b)
