"""The reverse sweep over in-place writes: stores into arrays and appends to lists.

A store ``y[index] = v`` and an append ``lst.append(v)`` make a new value of the same
object. Walking back, the written part of ``y_bar`` (or the last element of ``lst_bar``)
goes to ``v``, and the old value gets what is left; the write itself is undone where the
sweep reads the old contents (see :mod:`srcdiff.transforms.tape`).
"""

from __future__ import annotations

import gast

from .. import runtime
from ..backend.arrays import NUMPY
from ..backend.simplify import simplify
from ..ir import code
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, PY
from ..ir.code import ADJ, DEF, OBJ
from ..ir.ssa import UNDEFINED
from ..primitives import indexing
from ..primitives.protocol import UNBROADCAST, reduction
from .adjoint_state import Lazy, View
from .adjoints import (
    np_call,
    reduce_to,
    zero_literal,
)


class WriteAdjoints:
    """The reverse sweep's methods for the primitives that write in place (a mixin of
    :class:`srcdiff.transforms.reverse._Reverse`, whose state it uses)."""

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

    def reverse_shrink(self, stmt, state):
        """Walking back over ``lst.pop()``: the list's adjoint grows back by the item's
        adjoint, whole by now (a number's, handed back: ``lst_bar.append(v_bar)``), or by a
        zero that the read ``lst[-1]`` before the pop then adds to; ``lst.append(item)``
        gives the list its item back where the sweep reads it."""
        web = self.web(stmt)
        g = state.pop(web, None)
        lines = []
        old = self.program.definition(stmt, stmt.value.args[0])
        item = stmt.value.args[1]
        if self.activity.active(stmt) and g is not None:
            if isinstance(g, Lazy) or not code.ref_of(g):
                state[web] = g
                self.adjoints.materialize(web, state, lines)
                state.pop(web)
            aval = self.program.aval(stmt, item)
            zero = self._handed_back(stmt, item, aval, state)
            if zero is None:
                zero = zero_literal(aval)
            if zero is None:
                made = NUMPY.zeros_like if aval.kind == ARRAY else (
                    lambda value: gast.Call(func=code.ref(OBJ, runtime.zeros_like_tree),
                                            args=[value], keywords=[]))
                zero = made(self.argument(stmt, item))
            lines.append(code.Expr(_method(code.ref(ADJ, web), "append", zero)))
            if old is not None and old is not UNDEFINED:
                state[self.web(old)] = code.ref(ADJ, web)
        if stmt in self.plan.popped:
            lines.append(code.Expr(_method(code.ref(DEF, web), "append",
                                           self.argument(stmt, item))))
        return lines

    def _handed_back(self, stmt, item, aval, state):
        """The popped number's adjoint, taken from it (the read ``lst[-1]`` then passes
        nothing on); None for other kinds, whose adjoints may share memory."""
        if aval.kind not in (PY, NP) or not isinstance(item, ir.Var):
            return None
        return state.pop(self.web(self.ssa.read(stmt, item)), None)

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
        if indexing.repeats(parts, call.index) and call.rule.op != indexing.ADD_AT:
            part = gast.Call(func=code.ref(OBJ, runtime.last_assigned),
                             args=[code.clone(g), indexing.index_value(code.clone(index))],
                             keywords=[])
            view = False
        else:
            part = gast.Subscript(value=code.clone(g), slice=code.clone(index), ctx=gast.Load())
            how = reduction(value_aval, region)
            view = region.kind == ARRAY and indexing.may_view(parts, call.index) and (
                how is None or how == UNBROADCAST)
        expr = reduce_to(part, value_aval, region, lambda: self.argument(stmt, call.args[1]))
        if value_aval is not given:
            shape = code.const(given.known_shape) if given.known_shape is not None else np_call(
                "shape", [self.argument(stmt, call.args[1])])
            expr = np_call("reshape", [expr, shape])
        if call.rule.symbol == "-=":
            expr = gast.UnaryOp(op=gast.USub(), operand=expr)
            view = False
        expr = simplify(expr, self.scalar)
        return View(expr) if view else expr


def _method(owner, name, *args):
    return gast.Call(func=gast.Attribute(value=owner, attr=name, ctx=gast.Load()),
                     args=list(args), keywords=[])
