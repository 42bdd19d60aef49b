"""What the reverse sweep reads, what must be saved for it, and what the forward sweep keeps.

The restore discipline: walking backwards over ``z = op(...)``, the reverse sweep gives
``z`` back the value it had before, so at every point of the reverse sweep each variable
holds the value it held at the matching point of the forward sweep. Adjoints then read
operands by their plain names. Only values the reverse sweep actually reads are saved:
before an assignment overwrites a value that the reverse sweep will read, the forward sweep
pushes it (``z_tape.append(z)``) and the reverse sweep pops it back (``z = z_tape.pop()``).
In straight-line code a new name (``z_2``) does the same job without a tape.

Memory: one tape entry per execution of an assignment that overwrites a value the reverse
sweep reads: the loop-carried values that adjoints use, branch decisions taken inside
loops, and inner loops' trip counts. Nothing is recorded for values the adjoints never read.
"""

from __future__ import annotations

from ..analysis.memory import written_roots
from ..ir import nodes as ir
from ..ir.names import numbered, spelled_in
from ..ir.records import Record
from ..ir.ssa import SSA, UNDEFINED, Param, Phi
from ..primitives.effects import is_effect
from ..primitives.protocol import Site
from .adjoints import whole_reduction, zero_literal
from .recompute import Recompute, drop_recomputed
from .sites import END, SHAPE


class Plan(Record):
    fields = ("reads", "sites", "places", "pushed", "checkpoints", "names", "unbound", "kept",
              "active_blocks", "recomputed", "popped", "pushed_after")
    compared = ("reads", "sites", "places", "pushed", "checkpoints", "names", "unbound", "kept",
                "active_blocks", "recomputed", "popped", "pushed_after")

    def __init__(self, reads=None, sites=None, places=None, pushed=None, checkpoints=None,
                 names=None, unbound=None, kept=None, active_blocks=None, recomputed=None,
                 popped=None, pushed_after=None):
        self.reads = set() if reads is None else reads
        self.sites = {} if sites is None else sites
        self.places = {} if places is None else places
        self.pushed = set() if pushed is None else pushed
        self.checkpoints = {} if checkpoints is None else checkpoints
        self.names = {} if names is None else names
        self.unbound = set() if unbound is None else unbound
        self.kept = set() if kept is None else kept
        self.active_blocks = set() if active_blocks is None else active_blocks
        self.recomputed = {} if recomputed is None else recomputed
        self.popped = set() if popped is None else popped
        self.pushed_after = set() if pushed_after is None else pushed_after
        """Pushed assignments that a loop's body makes once per iteration, of a variable
        nothing reads before them: the forward sweep pushes the value they give (not the one
        they overwrite, which may be no value yet), and the reversed iteration pops it back
        first thing."""




def plan(program, activity, wrt, with_value):
    ssa = program.ssa
    result = Plan()
    sites = result.sites
    result.places = _places(program.fn.body)

    def read(values, site):
        added = False
        for value in values:
            for concrete in [value, *ssa.concrete(value)]:
                if concrete is UNDEFINED:
                    continue
                added = added or site not in sites.get(concrete, ())
                result.reads.add(concrete)
                sites.setdefault(concrete, set()).add(site)
        return added

    for stmt in ir.walk(program.fn.body):
        if isinstance(stmt, ir.Assign) and activity.active(stmt):
            read(_template_reads(program, activity, stmt), stmt)
    if overwrites_nothing(program.fn):
        _read_at_the_end(program, activity, wrt, with_value, result, read)
        _keep(program, result, with_value)
        result.names = _names(program, result)
        return result
    return _planned(program, activity, wrt, with_value, result, read)


def _planned(program, activity, wrt, with_value, result, read):
    """The plan of code that may overwrite values (see :func:`plan`, which has found what
    the adjoints read): what the reverse sweep reads besides, and what is saved for it."""
    ssa = program.ssa
    stores = [s for s in ir.walk(program.fn.body) if _is_store(s)]
    _shared_reads(program, result, stores, read)
    restoring = _restoring_writes(program, result)
    live = _adjoint_webs(program, activity)
    _mark_active_blocks(program.fn.body, activity, result.active_blocks,
                        restoring | _overwriting(program, live))
    for stmt in ir.walk(program.fn.body):
        if id(stmt) not in result.active_blocks:
            continue
        if not isinstance(stmt, ir.While):
            read([ssa.read(stmt, op) for op in stmt.operands() if isinstance(op, ir.Var)],
                 stmt)
        if isinstance(stmt, ir.LOOPS) and stmt.trips:
            read(_trips_values(ssa, stmt), stmt)
    _read_at_the_end(program, activity, wrt, with_value, result, read)
    zeroed = []
    for web in _joined_webs(program, activity, result.active_blocks):
        # Where paths join, an adjoint that one path leaves undefined is made zero: from
        # the value itself when its shape is only known then.
        values = web_values(ssa, web)
        if any(_zero_reads_value(program.avals.get(v)) for v in values):
            read(values, SHAPE)
            zeroed.append(web)
    while True:
        _shared_reads(program, result, stores, read)
        _keep(program, result, with_value)
        result.names = _names(program, result)
        result.pushed, result.checkpoints, result.unbound = set(), {}, set()
        result.pushed_after = set()
        result.recomputed = {}
        physical = SSA(program.fn, lambda d: result.names[program.ssa.web(d)],
                       lambda stmt, op: _physical_read(program.ssa, result.names, stmt, op),
                       lambda stmt: stmt in result.kept)
        _saves(program.fn.body, physical, result, Recompute(program, result))
        for listed in result.recomputed.values():
            listed.sort(key=lambda stmt: result.places[stmt][0])
        drop_recomputed(program, result)
        restored = [s for s in stores if s in result.pushed]
        result.popped = {s for s in _walked(program.fn.body, result.active_blocks)
                         if _is_append(s) and s in result.kept and _list_read(ssa, result, s)}
        # Walking back over ``lst.append(v)`` pops the list the append made: a read of it,
        # so that an earlier ``lst = []`` that replaced it gives it back.
        # Putting back what a store overwrote reads its index (``y[:, i - 1] = saved``).
        if not any([read([s] + [ssa.read(s, op) for op in s.value.args[2:]
                                if isinstance(op, ir.Var)], s) for s in restored]
                   + [read([s] + _put_back(ssa, s), s)
                      for s in sorted(result.popped, key=id)]):
            break
    for web in zeroed:
        # On a path that never assigned the variable, its zero adjoint is made from None
        # (and is None: nothing reads it there).
        if any(UNDEFINED in ssa.concrete(v) for v in web_values(ssa, web)):
            result.unbound.add(result.names[web])
    result.unbound -= set(program.fn.param_names)
    return result


def _read_at_the_end(program, activity, wrt, with_value, result, read):
    """What the reverse sweep reads after its last adjoint: the parameters it returns the
    gradients of, and the result (returned, or checked to be a scalar when the code runs);
    and the values of an array read so far whose shape is known only when the code runs,
    from any of which a zero adjoint of its variable may be made."""
    ssa = program.ssa
    read([Param(name) for name in wrt], END)
    if program.result is not None and (with_value or activity.active(program.result) and (
            unknown_rank(program.avals.get(program.result)))):
        read([program.result], END)
    for value in list(result.reads):
        aval = program.avals.get(value)
        if aval is not None and aval.kind == "array" and aval.known_shape is None:
            # A variable with no active value has no adjoint.
            values = web_values(ssa, ssa.web(value))
            if any(activity.active(v) for v in values):
                read(values, SHAPE)


def _joined_webs(program, activity, active_blocks):
    """The variables whose adjoints the reverse sweep may join from paths that did not all
    define them: those assigned on some paths only (with a phi, active or not: a value
    assigned in a branch inside a loop has an adjoint the loop carries), and those read
    inside a branch or loop body but assigned outside it (one branch, or no trip, reads
    them)."""
    ssa = program.ssa
    webs = {w for w in {ssa.web(v) for v in ssa.webs if isinstance(v, Phi)}
            if any(activity.active(value) for value in web_values(ssa, w))}
    for block in ir.walk(program.fn.body):
        if not isinstance(block, ir.COMPOUND) or id(block) not in active_blocks:
            continue
        inside = set(ir.walk([block]))
        for stmt in inside:
            if not (isinstance(stmt, ir.Assign) and activity.active(stmt)):
                continue
            for value in ssa.uses.get(stmt, {}).values():
                if value is not UNDEFINED and value not in inside and activity.active(value):
                    webs.add(ssa.web(value))
    return webs


def unknown_rank(aval):
    """Whether a value's rank is only known when the code runs (a result of this kind is
    checked to be a scalar then)."""
    return aval is None or aval.kind == "unknown" or aval.kind == "array" and aval.ndim is None


def _list_read(ssa, result, append):
    """Whether the reverse sweep reads the list an append grows (other than to pop it): only
    then must walking back over the append undo it."""
    return any(not _is_append(site) for value in web_values(ssa, ssa.web(append))
               for site in result.sites.get(value, ()))


def _put_back(ssa, undone):
    """What undoing a list's change reads besides the list (a pop's item, appended back)."""
    bound = undone.value.bound()
    return [ssa.read(undone, bound[p]) for p in undone.value.rule.undo_reads
            if isinstance(bound.get(p), ir.Var)]


def _is_append(stmt):
    return isinstance(stmt, ir.Assign) and not stmt.is_copy and stmt.value.rule.grows_list


def _walked(block, active_blocks):
    """The statements the reverse sweep walks back over: those not inside an inactive branch
    or loop (which is restored as a whole instead)."""
    for stmt in block:
        yield stmt
        if isinstance(stmt, ir.COMPOUND) and id(stmt) in active_blocks:
            for sub in stmt.blocks():
                yield from _walked(sub, active_blocks)


def _is_store(stmt):
    return isinstance(stmt, ir.Assign) and not stmt.is_copy and stmt.value.rule.writes_part


def _shared_reads(program, result, stores, read):
    """A value the reverse sweep reads sees memory that a later store may change in place
    (a view of the stored array, or an older value of it): the store's old value must then
    be restored too. A store's own restore (``y[i] = y_tape.pop()``) reads the array as the
    store left it, so the stores after it must be undone first (the caller adds those)."""
    memory = program.memory
    ssa = program.ssa
    for stmt in stores:
        old = ssa.before[stmt]
        written = written_roots(program, memory, stmt)
        for value in list(result.reads):
            if value is old or not memory.get(value, frozenset()) & written:
                continue
            if _may_follow(stmt, value, result.places):
                for site in list(result.sites[value]):
                    if site != END:
                        read([old], site)


def _may_follow(stmt, value, places):
    """Whether ``stmt`` may run after ``value`` is defined (always, inside a common loop)."""
    if isinstance(value, Param):
        return True
    node = value.node if isinstance(value, Phi) else value
    if node not in places:
        return True
    position, around = places[stmt][:2]
    defined, defined_around = places[node][:2]
    if any(isinstance(s, ir.LOOPS) and s in defined_around for s in around):
        return True
    return position > defined


def _restoring_writes(program, result):
    """In-place writes whose memory the reverse sweep reads: a branch or loop holding one
    is replayed backwards (not saved whole), so that the write is undone where it ran."""
    memory = program.memory
    read_roots = frozenset().union(*(memory.get(v, frozenset()) for v in result.reads))
    found = set()
    for stmt in ir.walk(program.fn.body):
        if isinstance(stmt, ir.Assign) and not stmt.is_copy and (
                stmt.value.rule.writes is not None):
            if written_roots(program, memory, stmt) & read_roots:
                found.add(stmt)
    return found


def overwrites_nothing(fn):
    """Whether ``fn`` is straight-line code that assigns each variable once and no parameter:
    then no assignment overwrites a value, nothing is pushed, recomputed or left unbound, and
    no branch or loop, store or append asks for more reads, so the plan is what the adjoints
    and the end of the reverse sweep read (found without the SSA over generated names, the
    search for values to save and the passes over branches, loops and writes)."""
    targets = set(fn.param_names)
    for stmt in fn.body:
        if isinstance(stmt, ir.Return):
            continue
        if not isinstance(stmt, ir.Assign) or stmt.target in targets:
            return False
        targets.add(stmt.target)
    return True


def _physical_read(ssa, names, stmt, op):
    value = ssa.read(stmt, op)
    return op.name if value is UNDEFINED else names[ssa.web(value)]


def _names(program, result):
    """A name per web: the source name, numbered (``y_2``) where an older web of that name
    is overwritten while the reverse sweep still reads it. A write in place (``y[i] = v``,
    ``lst.append(v)``) makes a value of its object's web (see :mod:`srcdiff.ir.ssa`), so
    it keeps the object's name. (Correctness does not rest on this choice: pushes are
    decided on what each named variable physically holds.)"""
    ssa = program.ssa
    fn = program.fn
    used = set(spelled_in(fn.node))
    used |= set(fn.param_names) | {fn.name, "value"}
    used |= {s.target for s in ir.walk(fn.body) if isinstance(s, (ir.Assign, ir.For))}
    names = {ssa.web(p): p.name for p in ssa.params}
    for stmt in ir.walk(fn.body):
        if not isinstance(stmt, (ir.Assign, ir.For)):
            continue
        web = ssa.web(stmt)
        if web in names:
            continue
        olds = [ssa.web(v) for v in ssa.concrete(ssa.before[stmt]) if v is not UNDEFINED]
        olds = [w for w in olds if w is not web and w in names]
        if any(v in result.reads for w in olds for v in web_values(ssa, w)):
            names[web] = numbered(stmt.target, used, first=2)
        else:
            names[web] = names[olds[0]] if olds else stmt.target
    return names


def _dropped(value, result):
    """A definition the forward sweep leaves out: its variable may never have been bound."""
    return isinstance(value, (ir.Assign, ir.For)) and value not in result.kept


def _places(body):
    """Each statement's position in program order and the compound statements around it."""
    places = {}

    def visit(block, around):
        for stmt in block:
            places[stmt] = (len(places), around)
            if isinstance(stmt, ir.COMPOUND):
                for sub in stmt.blocks():
                    visit(sub, around + (stmt,))
                places[stmt] = (places[stmt][0], around, len(places) - 1)
    visit(body, ())
    return places


def _needs_restoring(stmt, value, result):
    """Whether the reverse sweep reads ``value`` after walking back over ``stmt``, which
    overwrites it. A read that follows the outermost loop around ``stmt`` sees only the
    loop's final value, before the loop is undone; it needs nothing restored."""
    position, around = result.places[stmt][:2]
    loops = [s for s in around if isinstance(s, ir.LOOPS)]
    for site in result.sites.get(value, ()):
        if site == END or site == SHAPE and _is_store(stmt):
            continue
        if site in (None, SHAPE) or not loops:
            return True
        outer = loops[0]
        site_position, site_around = result.places[site][:2]
        if outer in site_around or site is outer or site_position <= result.places[outer][2]:
            return True
    return False


def _saves(block, ssa, result, recompute, loop=None):
    """Which assignments push (or are recomputed), and which inactive branches and loops are
    saved whole. ``ssa`` is over the generated code's names: what each variable physically
    holds. ``loop``: the ``for`` loop whose body ``block`` is."""
    reads = result.reads
    for stmt in block:
        if stmt not in result.kept:
            continue
        if isinstance(stmt, ir.Assign):
            if not stmt.restore:
                continue
            olds = ssa.concrete(ssa.before[stmt])
            if any(v in reads and _needs_restoring(stmt, v, result) for v in olds):
                around = recompute.loop_of(stmt)
                if around is not None:
                    result.recomputed.setdefault(around, []).append(stmt)
                    continue
                result.pushed.add(stmt)
                if _pushed_after(stmt, olds, loop, ssa, result):
                    result.pushed_after.add(stmt)
                elif any(v is UNDEFINED or _dropped(v, result) for v in olds):
                    result.unbound.add(ssa.rename(stmt))
        elif isinstance(stmt, ir.COMPOUND) and id(stmt) in result.active_blocks:
            for sub in stmt.blocks():
                body_of = stmt if isinstance(stmt, ir.For) and sub is stmt.body else None
                _saves(sub, ssa, result, recompute, body_of)
        elif isinstance(stmt, ir.COMPOUND):
            changed = []
            for inner in ir.walk([stmt]):
                if isinstance(inner, (ir.Assign, ir.For)) and inner in result.kept:
                    name = ssa.rename(inner)
                    if name not in changed and any(v in reads for v in
                                                   web_values(ssa, ssa.web(inner))):
                        changed.append(name)
                        bound = ssa.entry[stmt].get(name, UNDEFINED)
                        if any(v is UNDEFINED or _dropped(v, result)
                               for v in ssa.concrete(bound)):
                            result.unbound.add(name)
            if changed:
                result.checkpoints[stmt] = changed


def _pushed_after(stmt, olds, loop, ssa, result):
    """Whether ``stmt``, at the top level of ``loop``'s body, may push the value it gives
    instead of the one it overwrites: that old value is only its own from the iteration
    before (or none yet), nothing in the body reads it before ``stmt`` overwrites it, and
    no ``break`` skips ``stmt`` in an iteration. One entry per iteration either way, and
    the reversed iteration needs this iteration's value from its start to its end."""
    if loop is None or any(v is not UNDEFINED and v is not stmt for v in olds):
        return False
    inside = list(ir.walk(loop.body))
    if any(isinstance(s, ir.Break) for s in inside):
        return False
    position = result.places[stmt][0]
    return not any(result.places[s][0] < position and any(
        stmt in ssa.concrete(value) for value in ssa.uses.get(s, {}).values())
        for s in inside)


def _template_reads(program, activity, stmt):
    """The values the adjoints of ``stmt`` read, as its primitive declares them."""
    ssa = program.ssa
    if stmt.is_copy or whole_reduction(program, stmt) is not None:
        return set()
    call = stmt.value
    bound = call.bound()
    variables = {p: op for p, op in bound.items() if isinstance(op, ir.Var)}
    args = {p: program.aval(stmt, op) for p, op in bound.items()}
    active = {p for p, op in variables.items() if activity.active(ssa.read(stmt, op))}
    site = Site(program.fn.source.located, stmt.origin.node)
    names = call.rule.vjp_reads(call, args, program.avals[stmt], active, site)
    reads = {ssa.read(stmt, variables[p]) for p in names if p in variables}
    if "ans" in names:
        reads.add(stmt)
    return reads


def _zero_reads_value(aval):
    """Whether a zero adjoint of this kind is made from the value itself (an array whose
    shape, or a container holding one, is only known when the code runs; a list that
    grows)."""
    return aval is not None and (aval.kind == "array" or aval.container) and (
        zero_literal(aval) is None)


def _trips_values(ssa, loop):
    return {v for v, web in ssa.webs.items()
            if isinstance(v, ir.Assign) and v.target == loop.trips}


def _adjoint_webs(program, activity):
    """Variables that hold an active value somewhere: they may carry an adjoint."""
    ssa = program.ssa
    return {ssa.web(value) for value in ssa.webs if activity.active(value)}


def _overwriting(program, live):
    """Assignments (loop headers too) that give a new value to a variable that may carry an
    adjoint: walking back over them ends that adjoint, so the branch or loop holding them
    must be walked back even when they are inactive themselves (``w = 1.0`` in a branch
    ends the adjoint of the parameter ``w`` when the branch is taken)."""
    ssa = program.ssa
    return {stmt for stmt in ir.walk(program.fn.body)
            if isinstance(stmt, (ir.Assign, ir.For)) and ssa.web(stmt) in live}


def _mark_active_blocks(block, activity, marked, restoring):
    found = False
    for stmt in block:
        if isinstance(stmt, ir.Assign):
            found = found or activity.active(stmt) or stmt in restoring
        elif isinstance(stmt, ir.COMPOUND):
            inner = isinstance(stmt, ir.For) and stmt in restoring
            for sub in stmt.blocks():
                inner = _mark_active_blocks(sub, activity, marked, restoring) or inner
            if inner:
                marked.add(id(stmt))
                found = True
    return found


def _keep(program, result, with_value):
    """Forward statements worth running: those whose values are read later, and the
    control flow around them (with its breaks, which decide what runs)."""
    ssa = program.ssa
    kept = result.kept
    needed = set(result.reads)
    needed.update(s for s in ir.walk(program.fn.body) if is_effect(s))
    if with_value and program.result is not None:
        needed.add(program.result)
    done = set()
    while True:
        before = len(kept)
        for value in list(needed):
            if id(value) in done:
                continue
            done.add(id(value))
            for concrete in ssa.concrete(value):
                if isinstance(concrete, (ir.Assign, ir.For)) and concrete not in kept:
                    kept.add(concrete)
                    needed.update(ssa.uses.get(concrete, {}).values())
        _keep_control(program.fn.body, kept, needed, ssa, result)
        if len(kept) == before and all(id(v) in done for v in needed):
            return


def _keep_control(block, kept, needed, ssa, result):
    any_kept = False
    for stmt in block:
        if isinstance(stmt, ir.Assign) or isinstance(stmt, ir.Return):
            any_kept = any_kept or stmt in kept
            continue
        if isinstance(stmt, ir.Break):
            continue
        inner = any([_keep_control(sub, kept, needed, ssa, result) for sub in stmt.blocks()])
        if inner or stmt in kept or id(stmt) in result.active_blocks:
            if stmt not in kept:
                kept.add(stmt)
            needed.update(ssa.uses.get(stmt, {}).values())
            if isinstance(stmt, ir.LOOPS):
                _keep_breaks(stmt.body, kept, needed, ssa)
            any_kept = True
    return any_kept


def _keep_breaks(block, kept, needed, ssa):
    """A kept loop keeps every path to its breaks: they decide how many times it runs."""
    found = False
    for stmt in block:
        if isinstance(stmt, ir.Break):
            kept.add(stmt)
            found = True
        elif isinstance(stmt, ir.If):
            inner = _keep_breaks(stmt.body, kept, needed, ssa)
            inner = _keep_breaks(stmt.orelse, kept, needed, ssa) or inner
            if inner:
                kept.add(stmt)
                needed.update(ssa.uses.get(stmt, {}).values())
                found = True
    return found


def web_values(ssa, web):
    return [v for v in ssa.values_in(web) if v is not UNDEFINED]
