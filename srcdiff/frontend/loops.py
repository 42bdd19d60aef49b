"""Lowering loops and list comprehensions.

``for`` over ``range(...)`` stays as written. Any other ``for`` loops over positions,
``for k in range(len(xs)): x = xs[k]``, so that the reverse sweep can walk the same
positions backwards; ``enumerate`` and ``zip`` (nested in each other too) become reads of
their sequences at the same position, and the loop variables may be unpacked as deeply as
the items are (``for i, (a, b) in enumerate(zip(xs, ys))``, ``for a, b in pairs``). A list
comprehension is such a loop appending to a new list, with loop variables of its own.
"""

from __future__ import annotations

import operator

import gast

from ..ir import code, trees
from ..ir import nodes as ir
from ..primitives import containers, indexing
from . import syntax
from .expressions import number_value
from .inlining import Renaming
from .scope import Live

ITERATORS = (range, enumerate, zip, reversed)


class LoopLowering:
    """``for`` and ``while`` loops and list comprehensions (a mixin of the lowerer)."""

    def for_(self, stmt):
        origin = self.origin
        index, count, bind_items = self.iteration(stmt)
        assigned = syntax.assigned_in(stmt.body) | set(syntax.target_names(stmt.target))
        entry = self.bindings.snapshot()
        own = index
        if index in syntax.assigned_in(stmt.body):
            # The body reassigns the loop variable: the loop runs over a variable of its
            # own, so that the reversed loop's header cannot clobber the reassigned value.
            own = self.named(index)
            self.locals.add(own)
        with self.bindings.loop(assigned):
            outer, self.body = self.body, []
            self.bind(own, self.bindings.status(own))
            if own != index:
                self.emit(index, ir.Var(own))
            bind_items()
            self.statements(stmt.body)
            body, self.body = self.body, outer
        orelse = self.block(stmt.orelse)
        if _breaks(stmt.body):
            self.bindings.restore(entry)
        self.body.append(ir.For(own, count, body, orelse, origin))

    def while_(self, stmt):
        origin = self.origin
        entry = self.bindings.snapshot()
        with self.bindings.loop(syntax.assigned_in(stmt.body)):
            outer, self.body = self.body, []
            test = self.operand(stmt.test)
            test_body, self.body = self.body, outer
            body = self.block(stmt.body)
        orelse = self.block(stmt.orelse)
        if _breaks(stmt.body):
            self.bindings.restore(entry)
        self.body.append(ir.While(test_body, test, body, orelse, origin))

    def iteration(self, stmt):
        """The loop's own target and iterable, and a function that binds the user's loop
        variables at the top of each iteration."""
        node, target = stmt.iter, stmt.target
        kind = self._iterator(node)
        if kind is reversed:
            if not isinstance(target, gast.Name):
                raise self.error(target, "range(...) gives integers, which cannot be unpacked",
                                 "loop with one name: for i in reversed(range(n))")
            return target.id, self.reversed_range(node, syntax.assigned_in(stmt.body)), (
                lambda: None)
        if kind is range:
            if not isinstance(target, gast.Name):
                raise self.error(target, "range(...) gives integers, which cannot be unpacked",
                                 "loop with one name: for i in range(n)")
            return target.id, self.iterable(stmt), lambda: None
        _check_target(self, target)
        position_is_index = (kind is enumerate and len(node.args) == 1 and not node.keywords
                             and _pair(target) and isinstance(target.elts[0], gast.Name))
        index = target.elts[0].id if position_is_index else self.named("k")
        sources = {}
        self._evaluate_sources(node, syntax.assigned_in(stmt.body), sources)
        lengths = [self.operand_of(ir.Call(self._builtin_rule(len, 1), (seq,), (), "len"))
                   for node_id, seq in sources.items() if not isinstance(node_id, tuple)]
        count = lengths[0]
        for other in lengths[1:]:
            count = self.operand_of(ir.Call(self._builtin_rule(min, 2), (count, other), (),
                                            "min"))
        count = ir.Call(self._builtin_rule(range, 1), (count,), (), "range")
        position = ir.Var(index)

        def bind_items():
            self.bind_item(target, node, position, sources, skip=index)
        return index, count, bind_items

    def reversed_range(self, node, assigned):
        """``reversed(range(a, b))`` (with step 1 or -1, or a range cut short, ``range(a,
        b)[:t]``, as a derivative's reversed loops print it) is the range that walks the
        same integers backwards: ``range(b - 1, a - 1, -1)``. The bounds are computed
        before the loop, as Python computes them."""
        inner = node.args[0] if len(node.args) == 1 and not node.keywords else None
        cut = None
        if isinstance(inner, gast.Subscript) and isinstance(inner.slice, gast.Slice) and (
                inner.slice.lower is None and inner.slice.step is None
                and inner.slice.upper is not None):
            inner, cut = inner.value, inner.slice.upper
        if self._iterator(inner) is not range or inner.keywords or not 1 <= len(inner.args) <= 3:
            raise self.error(node, "reversed(...) is supported over range(...) only",
                             "loop over range(n - 1, -1, -1), or over a list in reverse "
                             "order made with [::-1]")
        args = list(inner.args)
        step = number_value(args[2]) if len(args) == 3 else 1
        if step not in (1, -1):
            raise self.error(inner, "reversed(range(...)) is supported with a step of 1 or -1",
                             "write the reversed range out: range(last, stop, -step)")
        start = self.operand(args[0]) if len(args) > 1 else ir.Const(0, "0")
        stop = self.operand(args[1] if len(args) > 1 else args[0])
        if cut is not None:
            ends = self._value_of(self._arith(operator.add if step == 1 else operator.sub,
                                              start, self.operand(cut)))
            stop = self.operand_of(ir.Call(self._builtin_rule(min if step == 1 else max, 2),
                                           (stop, ends), (), "min" if step == 1 else "max"))
        first = self._value_of(self._arith(operator.sub if step == 1 else operator.add,
                                           stop, ir.Const(1, "1")))
        last = self._value_of(self._arith(operator.sub if step == 1 else operator.add,
                                          start, ir.Const(1, "1")))
        return ir.Call(self._builtin_rule(range, 3), (first, last, ir.Const(-step, str(-step))),
                       (), "range")

    def _value_of(self, value):
        return value if isinstance(value, ir.Const) else self.operand_of(value)

    def _arith(self, fn, a, b):
        if isinstance(a, ir.Const) and isinstance(b, ir.Const):
            value = fn(a.value, b.value)
            return ir.Const(value, repr(value))
        return ir.Call(self._builtin_rule(fn, 2), (a, b), ())

    def _iterator(self, node):
        """``range``, ``enumerate`` or ``zip`` where ``node`` calls that builtin."""
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and node.func.id not in self.locals and node.func.id not in self.nested):
            return None
        found = self.scope.lookup(node.func.id)
        value = found.value if isinstance(found, Live) else None
        return next((builtin for builtin in ITERATORS if value is builtin), None)

    def _evaluate_sources(self, node, assigned, sources):
        """Evaluate, once and before the loop as Python does, the sequences that
        ``enumerate`` and ``zip`` walk together (and ``enumerate``'s start)."""
        kind = self._iterator(node)
        if kind is enumerate:
            self._refuse_unpacked_arguments(node)
            starts = list(node.args[1:]) + [k.value for k in node.keywords if k.arg == "start"]
            if not node.args or len(starts) + 1 != len(node.args) + len(node.keywords) or (
                    len(starts) > 1):
                raise self.error(node, "enumerate takes a sequence and an optional start",
                                 "write enumerate(xs) or enumerate(xs, start)")
            self._evaluate_sources(node.args[0], assigned, sources)
            if starts:
                sources[("start", id(node))] = self.operand(starts[0])
        elif kind is zip:
            self._refuse_unpacked_arguments(node)
            if node.keywords or not node.args:
                raise self.error(node, "only zip(xs, ys, ...) of sequences is supported",
                                 "check that the lengths match before the loop")
            for arg in node.args:
                self._evaluate_sources(arg, assigned, sources)
        else:
            sources[id(node)] = self.stable(self.operand(node), assigned)

    def bind_item(self, target, node, position, sources, skip=None):
        """Assign ``target`` the item of ``node`` (a sequence, or enumerate or zip of
        them) at ``position``, reading only the sequences themselves."""
        kind = self._iterator(node) if id(node) not in sources else None
        if kind is enumerate and _pair(target):
            first = target.elts[0]
            if not (isinstance(first, gast.Name) and first.id == skip):
                self.assign_item(first, self.position(node, position, sources))
            self.bind_item(target.elts[1], node.args[0], position, sources)
        elif kind is zip and isinstance(target, (gast.Tuple, gast.List)):
            if len(target.elts) != len(node.args):
                raise self.error(target, f"zip of {len(node.args)} sequences gives "
                                 f"{len(node.args)} items, not {len(target.elts)}",
                                 f"loop with {len(node.args)} names")
            for elt, arg in zip(target.elts, node.args):
                self.bind_item(elt, arg, position, sources)
        else:
            self.assign_item(target, self.item(node, position, sources))

    def item(self, node, position, sources):
        """The item at ``position`` (a tuple for enumerate and zip)."""
        kind = self._iterator(node) if id(node) not in sources else None
        if kind is enumerate:
            items = [self.position(node, position, sources),
                     self.item(node.args[0], position, sources)]
        elif kind is zip:
            items = [self.item(arg, position, sources) for arg in node.args]
        else:
            return ir.Call(indexing.rule(1), (sources[id(node)], position), (), None,
                           indexing.placeholder(0))
        items = [self.operand_of(i) if isinstance(i, ir.Call) else i for i in items]
        return ir.Call(containers.pack_rule(tuple, len(items)), tuple(items), (), None)

    def position(self, node, position, sources):
        start = sources.get(("start", id(node)))
        if start is None:
            return position
        return self.call_rule(operator.add, [position, start], node)

    def assign_item(self, target, value):
        if isinstance(target, gast.Name):
            self.emit(target.id, value)
        else:
            self.assign_value(target, self.operand_of(value) if isinstance(value, ir.Call)
                              else value)

    def stable(self, operand, assigned):
        """A sequence the loop body reassigns is iterated as it was when the loop began."""
        if isinstance(operand, ir.Var) and operand.name in assigned:
            name = self.fresh()
            self.emit(name, operand)
            return ir.Var(name)
        return operand

    def iterable(self, stmt):
        """``range(...)`` stays in the ``for`` statement (and its reverse) when the loop does
        not reassign its bounds; other iterables are evaluated into a variable first."""
        node = stmt.iter
        if isinstance(node, gast.Call) and not node.keywords:
            reads = {n.id for a in node.args for n in trees.walk(a) if isinstance(n, gast.Name)}
            if not reads & syntax.assigned_in(stmt.body):
                value = self.value(node)
                if isinstance(value, ir.Call):
                    return value
        return self.operand(node)

    def comprehension(self, node, result=None):
        """``[e for x in xs if c]`` is a loop that appends, with its own loop variables."""
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise self.error(node, "only comprehensions with one 'for' are supported",
                             "write the loops out")
        generator = node.generators[0]
        _check_target(self, generator.target)
        renames = {}
        for name in syntax.target_names(generator.target):
            renames.setdefault(name, self.named(name))
        self.locals |= set(renames.values())
        rename = Renaming(renames)
        element = rename.visit(code.clone(node.elt))
        conditions = [rename.visit(code.clone(c)) for c in generator.ifs]
        result = result or self.fresh()
        self.locals.add(result)
        self.emit(result, ir.Call(containers.pack_rule(list, 0), (), (), None))
        target = gast.Name(id=result, ctx=gast.Load(), annotation=None, type_comment=None)
        call = gast.Call(func=gast.Attribute(value=target, attr="append", ctx=gast.Load()),
                         args=[element], keywords=[])
        body = [gast.Expr(value=call)]
        for condition in reversed(conditions):
            body = [gast.If(test=condition, body=body, orelse=[])]
        loop = gast.For(target=rename.visit(code.clone(generator.target)),
                        iter=code.clone(generator.iter), body=body, orelse=[],
                        type_comment=None)
        for new in trees.walk(loop):
            if not hasattr(new, "lineno"):
                gast.copy_location(new, node)
        origin = self.origin
        self.for_(loop)
        self.origin = origin
        return ir.Var(result)


def _pair(target):
    return isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2


def _check_target(lowering, target):
    """Loop variables are names, unpacked as deeply as needed (no ``*rest``)."""
    for node in trees.walk(target):
        if isinstance(node, gast.Starred):
            raise lowering.error(node, "starred loop variables are not supported",
                                 "name each item")
        if not isinstance(node, (gast.Name, gast.Tuple, gast.List, gast.Store, gast.Load)):
            raise lowering.error(node, "only names can be loop variables here",
                                 "loop with a name and assign inside the loop body")


def _breaks(statements):
    """Whether a loop body breaks out of this loop (not out of a loop nested in it)."""
    for stmt in statements:
        if isinstance(stmt, gast.Break):
            return True
        if isinstance(stmt, gast.If) and (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False

