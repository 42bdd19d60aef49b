"""Which local names are bound where, so that a read of an unbound name fails as in Python.

Python raises ``UnboundLocalError`` when code reads a local name that no assignment has
bound yet. The derivative code must never read such a name, and must raise that same error
at the same point where the user's function would. Lowering walks the function in program
order and classifies each read of a local name:

* *bound*: every path to the read assigns the name first;
* *unbound*: no path can have assigned it (refused with a located error: it always fails);
* *maybe*: an earlier branch or an earlier iteration of a loop may have assigned it
  (``if i > 0: s = s + prev`` before ``prev = x * i`` in a loop).

A maybe-read is checked at run time: the function keeps a flag per such name
(``prev_assigned``), set where an assignment may bind the name for the first time, and the
read is preceded by ``require_assigned(prev_assigned, 'prev')``, which raises Python's
error when the flag is down. The derivative's forward sweep keeps these statements (see
:mod:`srcdiff.primitives.effects`), whatever else it drops.
"""

from __future__ import annotations

from contextlib import contextmanager

from ..ir import nodes as ir
from ..primitives import effects

BOUND, MAYBE, UNBOUND = "bound", "maybe", "unbound"


class Bindings:
    """The names bound at the point lowering has reached."""

    def __init__(self, params):
        params = tuple(params)
        self.params = frozenset(params)
        self.rebound = set()
        self.definite = set(params)
        """Names every path to this point has assigned; None where no path reaches it."""
        self.possible = set(params)
        """Names some earlier statement assigns (program order only grows it)."""
        self.loops = []
        """For each loop around this point, the names its body assigns: a later iteration
        may see them."""

    def bind(self, name):
        if self.definite is not None:
            self.definite.add(name)
        self.possible.add(name)
        self.rebound.add(name)

    def holds_argument(self, name):
        """Whether ``name`` surely still holds what the caller passed in."""
        return name in self.params and name not in self.rebound and not any(
            name in loop for loop in self.loops)

    def status(self, name):
        if self.definite is None or name in self.definite:
            return BOUND
        if name in self.possible or any(name in loop for loop in self.loops):
            return MAYBE
        return UNBOUND

    def end_path(self):
        """After ``return``, ``break`` or ``continue``: the rest of the block never runs."""
        self.definite = None

    def snapshot(self):
        return None if self.definite is None else set(self.definite)

    def restore(self, state):
        self.definite = None if state is None else set(state)

    def join(self, *states):
        """Where paths meet: bound only what every path that gets there bound."""
        reaching = [s for s in states if s is not None]
        self.definite = set.intersection(*reaching) if reaching else None

    @contextmanager
    def loop(self, assigned):
        """A loop body: it may run zero times, so afterwards only what was bound before
        the loop stays bound; inside, names the body assigns may hold an earlier
        iteration's value."""
        entry = self.snapshot()
        self.loops.append(frozenset(assigned))
        try:
            yield
        finally:
            self.loops.pop()
            self.restore(entry)


class BindingLowering:
    """What the lowerer does at each binding and read of a local name (a mixin)."""

    def alternatives(self, *paths):
        """Lower each path (a function of no arguments) as one way control may go from
        here; afterwards a name counts as bound only if every path bound it."""
        entry = self.bindings.snapshot()
        ends, results = [], []
        for path in paths:
            self.bindings.restore(entry)
            results.append(path())
            ends.append(self.bindings.snapshot())
        self.bindings.join(*ends)
        return results

    def bind(self, name, status):
        """``name`` is now assigned; where that may be its first assignment, its flag is
        raised."""
        self.bindings.bind(name)
        flag = self.flags.get(name)
        if flag is not None and status != BOUND:
            self.body.append(ir.Assign(flag, ir.Const(True, "True"), self.origin,
                                       restore=False))

    def start_flags(self, names):
        """``names`` start unassigned: their flags are down until an assignment."""
        for name in sorted(names):
            self.flags[name] = flag = self.named(f"{self.spelling(name)}_assigned")
            self.body.append(ir.Assign(flag, ir.Const(False, "False"), self.origin,
                                       restore=False))

    def spelling(self, name):
        """How the source spells a local (inlined functions' locals are renamed)."""
        return self.spelled.get(name, name)

    def read_local(self, node, name):
        """A read of a local variable, checked where it may come before any assignment."""
        status = self.bindings.status(name)
        if status == UNBOUND:
            raise self.error(node, f"{self.spelling(name)} is used before it is assigned",
                             "assign it before this line")
        if status == MAYBE:
            self.unsure.add(name)
            flag = self.flags.get(name)
            if flag is not None:
                check = effects.require_assigned_call(flag, self.spelling(name))
                self.body.append(ir.Assign(self.fresh(), check, self.origin))
            self.bindings.bind(name)
        return ir.Var(name)
