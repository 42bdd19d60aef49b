"""Which values may share memory, and the checks that keep in-place writes exact.

srcdiff's analyses treat every value as immutable: ``y[i] = v``, ``y += v`` and
``lst.append(v)`` each make a *new value* of ``y``. NumPy arrays and lists are mutable,
though, and one array can be seen through several names: ``z = y``, a view such as
``y[0:2]``, ``y.T`` or ``y.reshape(...)``, a list holding ``y``. Treating a write as a new
value is exact as long as no other name for the same memory is read after the write (it
would see the new contents while the analysis assumes the old). This module finds such reads
and refuses them with a located error, and refuses writes into memory the caller can see.
The reverse sweep, which does read old values after writes, is kept exact by restoring
them (see :mod:`srcdiff.transforms.tape`).

Memory is tracked by *roots*: the definitions that allocated it (a parameter, ``np.zeros``,
any arithmetic). Each value sees the memory of a set of roots: a fresh array its own, a view
or alias its operand's, a list its own and its elements'. Where NumPy may return either a
view or a copy (``np.ravel``, ``np.reshape``), srcdiff assumes a view (rules say so with
``views=True``, checked against NumPy for every rule by the tests); calls of the user's own
functions return views of the array arguments their own analysis says their results may
share memory with.
"""

from __future__ import annotations

import gast
import numpy as np

from ..ir import avals, trees
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, OTHER, PY, UNKNOWN
from ..ir.names import spelled_in
from ..ir.ssa import UNDEFINED, Param, Phi
from ..primitives.indexing import slot


def holds_memory(aval):
    """Whether a value of this kind can share mutable memory with another value."""
    if aval is None or aval.kind in (PY, NP):
        return False
    if aval.kind == OTHER:
        return aval.pytype in (list, dict) or aval.pytype is tuple and bool(
            aval.items or aval.element)
    return aval.kind in (ARRAY, UNKNOWN)


def _is_container(aval):
    return aval is not None and aval.kind == OTHER


def written_roots(program, memory, stmt):
    """The memory a write changes: the arrays ``y[i] = v`` or ``y += v`` may write into, or
    the list itself for ``lst.append(v)`` (not the arrays the list holds)."""
    roots = memory.get(program.ssa.before[stmt], frozenset())
    lists = stmt.value.rule.grows_list
    return frozenset(r for r in roots if _holds_container(program, r) in (None, lists))


def _holds_container(program, root):
    """Whether a root allocated a list, tuple or dict (None where that is not known)."""
    if isinstance(root, tuple):
        return root[2]
    aval = program.avals.get(_allocation(root))
    return None if aval is None else _is_container(aval)


class Older:
    """The memory an allocation made on an earlier run of its loop's body: a value carried
    into the next iteration (``for row in a: a = a + f(row); a[0] = ...``, where the loop
    reads the array ``a`` held when it began) is not the array the allocation makes anew in
    this iteration, and a write into the new one leaves it alone."""

    __slots__ = ("root",)

    def __init__(self, root):
        self.root = root

    def __eq__(self, other):
        return isinstance(other, Older) and other.root is self.root

    def __hash__(self):
        return hash(("older", id(self.root)))


def _allocation(root):
    return root.root if isinstance(root, Older) else root


def allocations(found):
    """The allocations behind roots, whichever run of a loop's body made them: where any
    array an allocation made may be written, so may the one it makes now."""
    return frozenset(_allocation(root) for root in found)


def roots(program, values):
    """For every value (``values``: see :func:`_values`), the roots of the memory it may see
    (an empty set for scalars)."""
    ssa = program.ssa
    bodies = {id(loop): set(ir.walk(loop.body)) for loop in ir.walk(program.fn.body)
              if isinstance(loop, ir.LOOPS)}
    program.loop_bodies = bodies
    result = {p: frozenset([p]) if holds_memory(program.avals.get(p)) else frozenset()
              for p in ssa.params}
    made = values[len(ssa.params):]
    changed = True
    while changed:
        changed = False
        for value in made:
            new = _roots_of(program, value, result)
            if new != result.get(value):
                result[value] = new
                changed = True
    return result


def _values(program):
    """The parameters, then every value an assignment or a loop makes, then the phis."""
    ssa = program.ssa
    return list(ssa.params) + [s for s in ir.walk(program.fn.body)
                               if isinstance(s, (ir.Assign, ir.For))] + ssa.phis


def _roots_of(program, value, known):
    ssa = program.ssa

    def of(stmt, operand):
        if isinstance(operand, ir.Var):
            source = ssa.read(stmt, operand)
            return known.get(source, frozenset()) if source is not UNDEFINED else frozenset()
        return _roots_of_operand(program, stmt, operand)

    if isinstance(value, Phi):
        found = frozenset().union(*(known.get(v, frozenset()) for v in value.inputs
                                    if v is not UNDEFINED))
        if value.head:
            inside = program.loop_bodies[id(value.node)]
            found = frozenset(Older(r) if not isinstance(r, Older) and r in inside else r
                              for r in found)
        return found
    if isinstance(value, ir.For):
        return frozenset()
    if not holds_memory(program.avals.get(value)) and not _writes(value):
        return frozenset()
    if value.is_copy:
        return of(value, value.value)
    call = value.value
    if value.augmented and call.rule.writes is None:
        return of(value, call.args[0])
    return call.rule.result_memory(call, _Sharing(program, value, of))


class _Sharing:
    """What a primitive's ``result_memory`` may ask about a statement's operands."""

    def __init__(self, program, stmt, of):
        self.program = program
        self.stmt = stmt
        self.own = frozenset([stmt])
        self.shared_result = program.shared_results.get(stmt)
        self._of = of

    def of(self, operand):
        return self._of(self.stmt, operand)

    def aval(self, operand):
        return self.program.aval(self.stmt, operand)

    def holds_container(self, root):
        return _holds_container(self.program, root)


def returned_sharing(program):
    """What the memory of a function's result may be: the names of its parameters and the
    module-level roots it may share memory with (not arrays it made itself)."""
    returned = program.fn.result
    if program.result is not None:
        found = program.memory.get(program.result, frozenset())
    else:
        found = _roots_of_operand(program, returned, returned.value)
    return frozenset(r.name if isinstance(r, Param) else r for r in found
                     if isinstance(r, (Param, tuple)))


def _roots_of_operand(program, stmt, operand):
    """A module-level or closure value is a root of its own: ``("global", name,
    holds a container)``."""
    aval = program.aval(stmt, operand)
    if isinstance(operand, ir.Global) and holds_memory(aval):
        return frozenset([("global", operand.text, _is_container(aval))])
    return frozenset()


def _writes(stmt):
    return isinstance(stmt, ir.Assign) and stmt.augmented


def writes(program, memory):
    """The statements that change memory in place, as the source program runs them:
    stores, appends, and augmented assignments to arrays (``y += v``)."""
    ssa = program.ssa
    found = []
    for stmt in ir.walk(program.fn.body):
        if not _writes(stmt):
            continue
        old = ssa.before[stmt]
        if memory.get(old) or stmt.value.rule.writes is not None:
            found.append(stmt)
    return found


def check(program, located):
    """Refuse writes into memory the caller (or the module) can see, and reads of a name
    whose memory a write through another name has changed."""
    values = _values(program)
    if not any(holds_memory(program.avals.get(v)) for v in values):
        program.memory = {}  # scalars alone: every value's roots are empty, nothing is written
        return
    memory = roots(program, values)
    program.memory = memory
    found = writes(program, memory)
    for stmt in found:
        _check_owner(program, memory, stmt, located)
        _check_overlap(program, memory, stmt, located)
    if found:
        _Stale(program, memory, found, located).run()


def _spelled_target(stmt):
    """The variable a write goes through, if the source names it (not a temporary)."""
    node = stmt.origin.node
    if node is not None and any(isinstance(n, gast.Name) and n.id == stmt.target
                                for n in trees.walk(node)):
        return stmt.target
    return None


def _check_owner(program, memory, stmt, located):
    text = stmt.origin.text
    for root in sorted(written_roots(program, memory, stmt), key=_root_order):
        if isinstance(root, Param):
            written = _spelled_target(stmt)
            through = "" if written in (root.name, None) else f" (through {written})"
            written = written or "y"
            if stmt.value.rule.writes_part:
                hint = f"work on a copy: {written} = {root.name}.copy()"
            else:
                hint = (f"work on a copy: {written} = {written} + ... for an array, "
                        f"list({written}) for a list")
            raise located.error(stmt.origin.node, f"'{text}' would change {root.name}"
                                f"{through}, which the caller passed in, in place", hint)
        if isinstance(root, tuple):
            raise located.error(stmt.origin.node, f"'{text}' would change {root[1]}, which "
                                "comes from outside the function (a module-level or closure "
                                "variable), in place",
                                f"copy it first: {stmt.target} = {root[1]}.copy()")


def _check_overlap(program, memory, stmt, located):
    """``a[2] = a[:, 3]`` writes a view of the array into that same array. NumPy copies it
    element by element, without a copy first where the regions overlap, so what lands in
    ``a`` depends on the order it copies in (here ``a[2, 2]`` gets the new ``a[2, 3]``).
    The adjoint would take the stored values to be the old ones: refused."""
    call = stmt.value
    if not (call.rule.writes_part and call.rule.symbol == "=" and isinstance(call.args[1],
                                                                              ir.Var)):
        return
    ssa = program.ssa
    array = ssa.read(stmt, call.args[0])
    source = ssa.read(stmt, call.args[1])
    target = memory.get(array, frozenset())
    value = memory.get(source, frozenset())
    if target & value and not _same_or_apart(program, stmt, source, array):
        text = stmt.origin.text
        raise located.error(stmt.origin.node, f"'{text}' writes into an array a value that "
                            "shares memory with it; what NumPy stores then depends on the "
                            "order it copies elements in", "write a copy of the value "
                            "(.copy()), or compute it into a new array first")


def _same_or_apart(program, store, source, array):
    """Whether ``y[i] = y[j]``: the value is read from the array the store writes into,
    both with integer indices at the same number of positions, so that the two regions are
    the same one or share no element (NumPy copies either exactly)."""
    if not (isinstance(source, ir.Assign) and not source.is_copy
            and source.value.rule.reads_part
            and program.ssa.read(source, source.value.args[0]) is array):
        return False
    written = _integer_positions(program, store, store.value, store.value.args[2:])
    read = _integer_positions(program, source, source.value, source.value.args[1:])
    if written is not None and written == read:
        return True
    return _other_rows(program, store, source, array)


def _other_rows(program, store, source, array):
    """Whether ``y[2] = y[3, :4]``: both indices start with an integer known when the code
    is compiled, and those differ, so the regions lie in different rows."""
    rows = [_first_integer(program, store, store.value.index, store.value.args[2:]),
            _first_integer(program, source, source.value.index, source.value.args[1:])]
    if None in rows:
        return False
    if min(rows) < 0:
        shape = program.avals.get(array)
        count = None if shape is None or not shape.known_shape else shape.known_shape[0]
        if count is None:
            return False
        rows = [row % count for row in rows]
    return rows[0] != rows[1]


def _first_integer(program, stmt, index, parts):
    first = index.elts[0] if isinstance(index, gast.Tuple) and index.elts else index
    if isinstance(first, gast.Constant):
        return first.value if type(first.value) is int else None
    position = slot(first)
    if position is None:
        return None
    value = avals.known_int(program.aval(stmt, parts[position]))
    return value if isinstance(value, int) else None


def _integer_positions(program, stmt, call, parts):
    """How many positions an index of integers alone names (``[i]``: 1, ``[i, j]``: 2), or
    None for an index with a slice, a mask, an array of indices or a new axis."""
    index = call.index
    if any(isinstance(n, gast.Slice) or (
            isinstance(n, gast.Constant) and (n.value is None or n.value is Ellipsis))
            for n in trees.walk(index)):
        return None
    if not all(_is_integer(program.aval(stmt, p)) for p in parts):
        return None
    return len(index.elts) if isinstance(index, gast.Tuple) else 1


def _is_integer(aval):
    if aval.kind == PY:
        return aval.dtype is int
    return aval.kind == NP and aval.dtype is not None and np.dtype(aval.dtype).kind in "iu"


def _root_order(root):
    return (0, root.name) if isinstance(root, Param) else (1, str(root))


class _Stale:
    """A forward pass over the program: after a write, every other value that sees the
    written memory is *stale*; reading a stale value is refused. A definition is fresh again
    each time it runs (a view made anew in the next iteration sees the current contents)."""

    def __init__(self, program, memory, found, located):
        self.program = program
        self.ssa = program.ssa
        self.located = located
        self.writes = set(found)
        values = [v for v, r in memory.items() if r]
        self.sharers = {}
        for stmt in found:
            written = written_roots(program, memory, stmt)
            self.sharers[stmt] = {v for v in values if v is not stmt and memory[v] & written}
        self.made_stale = {}
        self.breaks = []
        self.phis = {}
        for phi in self.ssa.phis:
            self.phis.setdefault((id(phi.node), phi.head), []).append(phi)

    def run(self):
        self.block(self.program.fn.body, set())

    def block(self, stmts, stale):
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                self.check(stmt, stale)
                if stmt in self.writes:
                    for value in self.sharers[stmt]:
                        stale.add(value)
                        self.made_stale[value] = stmt
                stale.discard(stmt)
            elif isinstance(stmt, ir.Return):
                self.check(stmt, stale)
            elif isinstance(stmt, ir.If):
                self.check(stmt, stale)
                outs = [self.block(stmt.body, set(stale)), self.block(stmt.orelse, set(stale))]
                live = [o for o in outs if o is not None]
                if not live:
                    return None
                stale = set().union(*live)
                self.merge(stmt, live, stale)
            elif isinstance(stmt, ir.LOOPS):
                stale = self.loop(stmt, stale)
            elif isinstance(stmt, ir.Break):
                self.breaks[-1].append(set(stale))
                return None
        return stale

    def merge(self, node, states, stale):
        for phi in self.phis.get((id(node), False), []):
            if any(v in state for v, state in zip(phi.inputs, states)):
                stale.add(phi)
            else:
                stale.discard(phi)

    def loop(self, stmt, entry):
        """Iterate to a fixed point: stale sets only grow, from the entry state and the
        states at the end of the body flowing back to the head."""
        if isinstance(stmt, ir.For):
            self.check(stmt, entry)
        end = set()
        while True:
            head = set(entry) | end
            for phi in self.phis.get((id(stmt), True), []):
                was = phi.inputs[0] in entry or (len(phi.inputs) > 1 and phi.inputs[1] in end)
                (head.add if was else head.discard)(phi)
            if isinstance(stmt, ir.For):
                head.discard(stmt)
                tested = head
            else:
                tested = self.block(stmt.test_body, set(head))
                self.check(stmt, tested)
            self.breaks.append([])
            reached = self.block(stmt.body, set(tested))
            breaks = self.breaks.pop()
            grown = end | (reached or set())
            if grown == end:
                break
            end = grown
        self.block(stmt.orelse, set(tested))
        exit_states = [tested] + breaks
        stale = set().union(*exit_states)
        self.merge(stmt, exit_states, stale)
        return stale

    def check(self, stmt, stale):
        if not stale:
            return
        if isinstance(stmt, ir.Assign) and not stmt.is_copy and (
                stmt.value.rule.shape_only):
            return
        for operand in stmt.operands():
            if not isinstance(operand, ir.Var):
                continue
            value = self.ssa.read(stmt, operand)
            if value in stale:
                self.refuse(stmt, operand, value)

    def refuse(self, stmt, operand, value):
        write = self.made_stale.get(value)
        if write is None:
            # A value a loop carries (a head phi) is stale through what it may stand for.
            candidates = [value, *self.ssa.concrete(value)]
            ordered = sorted(self.writes, key=lambda w: (w.origin.lineno, w.origin.col_offset))
            write = next((w for w in ordered if any(c in self.sharers[w] for c in candidates)),
                         ordered[0])
        name = operand.name
        user = spelled_in(self.program.fn.node)
        if name in user:
            what = name
        else:
            made = _origin_of(value)
            what = f"the value of '{made.text}' (line {made.lineno})" if made else "a value"
        raise self.located.error(
            stmt.origin.node, f"{what} shares memory with the array that "
            f"'{write.origin.text}' (line {write.origin.lineno}) changed in place; srcdiff "
            "cannot follow a change made through another name",
            "take a copy where the view or alias is made (.copy()), or read and write the "
            "array through one name")


def _origin_of(value):
    if isinstance(value, Phi):
        value = next((v for v in value.inputs if isinstance(v, (ir.Assign, ir.For))), None)
    return getattr(value, "origin", None)
