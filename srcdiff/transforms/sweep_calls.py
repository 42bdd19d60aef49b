"""Walking back over calls of user functions (their VJPs), unpacking, and element reads
and writes of containers and arrays."""

from __future__ import annotations

import gast

from .. import runtime
from ..ir import code
from ..ir import nodes as ir
from ..ir.code import ADJ, OBJ
from ..primitives import indexing
from .adjoint_state import SCATTERED, Lazy, base_name
from .adjoints import np_call


class CallAdjoints:
    """A part of the reverse transform (see :mod:`srcdiff.transforms.reverse`)."""

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
            key = _constant_key(user.value) if user.value.rule.reads_part else None
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
        """``x_bar[index] += g``, into an array this sweep owns (made here if need be); for
        an element of a container, ``one_hot``."""
        call = stmt.value
        if self.program.aval(stmt, call.args[0]).container:
            return self.element_adjoint(stmt, g)
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


def _constant_key(call):
    """``t[0]`` or ``d["w"]``: the constant key, as a gast constant; else None."""
    if not all(isinstance(a, ir.Const) for a in call.args[1:]):
        return None
    key = indexing.fill(call.index, [code.const(a.value) for a in call.args[1:]])
    return key if isinstance(key, gast.Constant) else None
