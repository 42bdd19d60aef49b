"""Lowering writes and containers: unpacking, ``y[index] = v``, ``lst.append(v)``, and
tuple, list and dict displays.

A write into an array is a *store*, a new value of the array that is the same object
changed in place (see :mod:`srcdiff.primitives.indexing`); ``lst.append(v)`` is likewise a new value
of the list, which the reverse sweep undoes with ``pop``.
"""

from __future__ import annotations

import gast

from ..ir import nodes as ir
from ..ir import trees
from ..primitives import containers, indexing


class WriteLowering:
    """Assignments that unpack or write into arrays and lists, and container displays (a
    mixin of the lowerer)."""

    def unpack(self, target, value):
        if any(isinstance(e, gast.Starred) for e in target.elts):
            raise self.error(target, "starred unpacking is not supported",
                             "unpack into one name per item")
        if not isinstance(value, (gast.Tuple, gast.List)):
            written = {n.id for n in trees.walk(target) if isinstance(n, gast.Name)}
            self.assign_value(target, self.staged(value, written))
            return
        if len(target.elts) != len(value.elts):
            raise self.error(value, f"cannot unpack {len(value.elts)} values into "
                                    f"{len(target.elts)} names",
                             "give as many names as values")
        written = {n.id for e in target.elts for n in trees.walk(e) if isinstance(n, gast.Name)}
        if written & self._names_read(value.elts):
            pairs = list(_matched(target, value))
            staged = [self.staged(v, written) for _, v in pairs]
            for (elt, _), operand in zip(pairs, staged):
                if isinstance(elt, gast.Name):
                    self.emit(elt.id, operand)
                elif isinstance(elt, gast.Subscript):
                    self.store(elt, operand)
                else:
                    self.assign_value(elt, operand)
            return
        for elt, val in zip(target.elts, value.elts):
            self.assign(elt, val)

    def _names_read(self, nodes):
        """The names that evaluating ``nodes`` may read: those in them, and those in the
        bodies of the nested functions they call (which read the enclosing variables as
        they are at the call)."""
        read, todo = set(), list(nodes)
        while todo:
            for node in trees.walk(todo.pop()):
                if isinstance(node, gast.Name) and node.id not in read:
                    read.add(node.id)
                    if node.id in self.nested:
                        todo.append(self.nested[node.id])
        return read

    def staged(self, node, written):
        """An operand that keeps its value while the names in ``written`` are reassigned."""
        operand = self.operand(node)
        if isinstance(operand, ir.Var) and operand.name in written:
            name = self.fresh()
            self.emit(name, operand)
            return ir.Var(name)
        return operand

    def assign_value(self, target, operand):
        """Assign an already lowered operand to a (nested) target."""
        if isinstance(target, gast.Name):
            self.emit(target.id, operand)
            return
        if isinstance(target, gast.Subscript):
            self.store(target, operand)
            return
        if not isinstance(target, (gast.Tuple, gast.List)):
            raise self.error(target, "only names and elements of arrays can be assigned here",
                             "assign to a name")
        if any(isinstance(e, gast.Starred) for e in target.elts):
            raise self.error(target, "starred unpacking is not supported",
                             "unpack into one name per item")
        for position, elt in enumerate(target.elts):
            item = ir.Call(indexing.rule(0), (operand,), (), None,
                           gast.Constant(value=position, kind=None))
            if isinstance(elt, gast.Name):
                self.emit(elt.id, item)
            else:
                self.assign_value(elt, self.operand_of(item))

    def _is_append(self, node):
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and node.func.attr == "append" and isinstance(node.func.value, gast.Name)
                and node.func.value.id in self.locals and len(node.args) == 1
                and not node.keywords)

    def append(self, node):
        """``lst.append(v)`` grows the list in place: a new value of ``lst`` that the
        reverse sweep undoes with ``lst.pop()``, never with a tape."""
        name = node.func.value.id
        if self.bindings.holds_argument(name):
            raise self.error(node, f"'{self.loc.segment(node)}' would change {name}, which "
                             "the caller passed in, in place", f"work on a copy: {name} = "
                             f"list({name})")
        self.read_local(node.func.value, name)
        value = self.operand(node.args[0])
        call = ir.Call(containers.append_rule(), (ir.Var(name), value), (), "append")
        self.body.append(ir.Assign(name, call, self.origin, augmented=True, restore=False))

    def _is_pop(self, node):
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and node.func.attr == "pop" and isinstance(node.func.value, gast.Name)
                and node.func.value.id in self.locals and not node.args and not node.keywords)

    def pop(self, node):
        """``lst.pop()`` reads the list's last item (``lst[-1]``), then shrinks the list in
        place: a new value of ``lst``. The item is the call's value."""
        name = node.func.value.id
        if self.bindings.holds_argument(name):
            raise self.error(node, f"'{self.loc.segment(node)}' would change {name}, which "
                             "the caller passed in, in place", f"work on a copy: {name} = "
                             f"list({name})")
        last = gast.Subscript(value=gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                              type_comment=None),
                              slice=gast.Constant(value=-1, kind=None), ctx=gast.Load())
        for located in (last, last.value, last.slice):
            gast.copy_location(located, node)
        item = self.operand(last)
        call = ir.Call(containers.shrink_rule(), (ir.Var(name), item), (), "pop")
        self.body.append(ir.Assign(name, call, self.origin, augmented=True, restore=False))
        return item

    def add_at(self, node):
        """``np.add.at(y, index, v)`` adds ``v`` into ``y`` in place, as often as ``index``
        names each position: a store, like ``y[index] += v`` (which adds once where a
        position repeats). Adjoints of reads with repeated positions are written this way."""
        if len(node.args) != 3 or node.keywords or not isinstance(node.args[0], gast.Name):
            raise self.error(node, f"{self.loc.segment(node.func)} is supported as "
                             "np.add.at(y, index, v), with y a local array",
                             "pass the array, the index and the values by position")
        array, index, value = node.args
        target = gast.Subscript(value=array, slice=self._subscript_index(index),
                                ctx=gast.Store())
        self.store(gast.copy_location(target, node), value, indexing.ADD_AT)

    def _subscript_index(self, index):
        """An index passed as a value, as it is written in a subscript: ``slice(a, b)`` in
        it is ``a:b``."""
        if isinstance(index, gast.Tuple):
            elts = [self._subscript_index(e) for e in index.elts]
            return gast.copy_location(gast.Tuple(elts=elts, ctx=gast.Load()), index)
        if not (isinstance(index, gast.Call) and 1 <= len(index.args) <= 3
                and not index.keywords and not any(isinstance(a, gast.Starred)
                                                   for a in index.args)
                and self.resolve(index.func).value is slice):
            return index
        bounds = [None if isinstance(a, gast.Constant) and a.value is None else a
                  for a in index.args]
        lower, upper, step = [None] + bounds + [None] if len(bounds) == 1 else bounds + [None] * (
            3 - len(bounds))
        return gast.copy_location(gast.Slice(lower=lower, upper=upper, step=step), index)

    def augmented_store(self, stmt, op):
        """``y[index] += v`` and ``-=`` are stores of their own (the adjoint needs no old
        values); other operators read the part, combine, and store it back, as Python does."""
        target = stmt.target
        kind = {gast.Add: "add", gast.Sub: "sub"}.get(type(stmt.op))
        if kind is not None:
            self.store(target, stmt.value, kind)
            return
        array = self.operand(target.value)
        index, parts = self.index(target.slice)
        if not isinstance(array, ir.Var):
            raise self.error(target, "assignment into an element of a module-level name is "
                             "not supported", "copy it into a local array first")
        part = self.fresh()
        self.emit(part, ir.Call(indexing.rule(len(parts)), (array, *parts), (), None, index))
        combined = self.operand_of(self.call_rule(op, [ir.Var(part), self.operand(stmt.value)],
                                                  stmt, spelling=None))
        call = ir.Call(indexing.store_rule(len(parts)), (array, combined, *parts), (), None,
                       index)
        self.body.append(ir.Assign(array.name, call, self.origin, augmented=True))

    def subscript(self, node):
        """``x[index]``: the index stays as written, its variable parts become operands."""
        x = self.operand(node.value)
        index, parts = self.index(node.slice)
        return ir.Call(indexing.rule(len(parts)), (x, *parts), (), None, index)

    def index(self, node):
        """An index expression with placeholders for its variable parts, and those parts."""
        parts = []

        def part(n):
            if n is None:
                return None
            if isinstance(n, gast.Slice):
                return gast.Slice(lower=part(n.lower), upper=part(n.upper), step=part(n.step))
            if isinstance(n, gast.Tuple):
                return gast.Tuple(elts=[part(e) for e in n.elts], ctx=gast.Load())
            if isinstance(n, gast.List) and all(
                    isinstance(e, gast.Constant) and type(e.value) in (int, bool)
                    for e in n.elts):
                return gast.List(elts=[gast.Constant(value=e.value, kind=None) for e in n.elts],
                                 ctx=gast.Load())
            operand = self.operand(n)
            if isinstance(operand, ir.Const) or (
                    isinstance(operand, ir.Global) and operand.known
                    and (operand.value is None or isinstance(operand.value, int))):
                return gast.Constant(value=operand.value, kind=None)
            parts.append(operand)
            return indexing.placeholder(len(parts) - 1)

        return part(node), parts

    def store(self, target, value, op=None):
        """``y[index] = value`` (or ``+=``, ``-=`` with ``op``): a new value of ``y``, the same
        array changed in place. As in Python, the value is computed before the target."""
        stored = self.operand(value) if isinstance(value, gast.AST) else value
        target, rows = self.composed(target)
        array = self.operand(target.value)
        if not isinstance(array, ir.Var):
            what = "a module-level name" if isinstance(array, ir.Global) else "a constant"
            raise self.error(target, f"assignment into an element of {what} is not supported",
                             "copy it into a local array first: y = np.array(...)")
        index, parts = self.index(target.slice)
        if rows:
            index.srcdiff_rows = rows
        call = ir.Call(indexing.store_rule(len(parts), op), (array, stored, *parts), (),
                       None, index)
        self.body.append(ir.Assign(array.name, call, self.origin, augmented=True))

    def composed(self, target):
        """``y[i][j] = v`` writes through the view ``y[i]``; for an integer ``i`` that is
        ``y[i, j] = v``, a store into ``y`` itself. The number of leading index parts that
        must be integers (checked once their kinds are known) comes back with the target."""
        inner = target.value
        if not isinstance(inner, gast.Subscript) or isinstance(inner.slice, (gast.Slice,
                                                                            gast.Tuple)):
            return target, 0
        if isinstance(inner.slice, gast.Constant) and not isinstance(inner.slice.value, int):
            return target, 0
        inner, rows = self.composed(inner)
        first = inner.slice.elts if isinstance(inner.slice, gast.Tuple) else [inner.slice]
        rest = target.slice.elts if isinstance(target.slice, gast.Tuple) else [target.slice]
        index = gast.Tuple(elts=list(first) + list(rest), ctx=gast.Load())
        gast.copy_location(index, target.slice)
        merged = gast.Subscript(value=inner.value, slice=index, ctx=gast.Store())
        return gast.copy_location(merged, target), rows + len(first)


    def display(self, node):
        """``(a, b)`` and ``[a, b]``: a new tuple or list of the operands."""
        if any(isinstance(e, gast.Starred) for e in node.elts):
            raise self.error(node, "starred expressions are not supported",
                             "write the elements out")
        pytype = tuple if isinstance(node, gast.Tuple) else list
        operands = tuple(self.operand(e) for e in node.elts)
        return ir.Call(containers.pack_rule(pytype, len(operands)), operands, (), None)

    def dict_display(self, node):
        if not all(isinstance(k, gast.Constant) and isinstance(k.value, str)
                   for k in node.keys):
            raise self.error(node, "only dicts with string keys written out are supported",
                             "write {'name': value, ...}")
        keys = tuple(k.value for k in node.keys)
        operands = tuple(self.operand(v) for v in node.values)
        return ir.Call(containers.pack_rule(dict, len(keys), keys), operands, (), None)


def _matched(target, value):
    """``(target, value)`` pairs of an unpacking, nested displays matched element by
    element (``(a, b), c = (e1, e2), e3`` gives three pairs), as Python evaluates them: every
    value is its own, so none is taken to share memory with another through a tuple."""
    if (isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List))
            and len(target.elts) == len(value.elts)
            and not any(isinstance(e, gast.Starred) for e in target.elts + value.elts)):
        for elt, val in zip(target.elts, value.elts):
            yield from _matched(elt, val)
    else:
        yield target, value

