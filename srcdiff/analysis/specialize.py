"""Specialization: abstract values for every SSA value, given the arguments' values.

Result types come from evaluating the primitive itself on tiny samples of the operands'
kinds and dtypes, so NumPy's own promotion rules decide them; shapes follow broadcasting or
the rule's kind. Loops are iterated to a fixed point: a value whose kind or shape differs
between iterations is generalized (sizes forgotten, or kind unknown), never guessed.
"""

from __future__ import annotations

from ..errors import user_facing
from ..frontend import callees
from ..ir import avals
from ..ir import nodes as ir
from ..ir.avals import OTHER, PY, AVal, join
from ..ir.ssa import SSA, UNDEFINED, Phi
from ..primitives import calls
from ..primitives.protocol import NotApplicable, ShapeMismatch, Site
from ..primitives.sampling import quietly
from . import branches, memory

MAX_PASSES = 12


class Program:
    """A lowered function with its SSA values and their abstract values."""

    def __init__(self, fn, ssa):
        self.fn = fn
        self.ssa = ssa
        self.avals = {}
        self.result = None
        self.memory = {}
        self.shared_results = {}

    def aval(self, stmt, operand):
        if isinstance(operand, ir.Var):
            value = self.ssa.read(stmt, operand)
            return self.avals.get(value) or avals.UNKNOWN_AVAL
        if isinstance(operand, ir.Global):
            return global_aval(operand)
        return avals.of_literal(operand.value)

    def definition(self, stmt, operand):
        return self.ssa.read(stmt, operand) if isinstance(operand, ir.Var) else None


def global_aval(operand):
    if not operand.known:
        return avals.UNKNOWN_AVAL
    aval = avals.of_literal(operand.value)
    return avals.generalize(aval)


def specialize(fn, param_avals, located):
    fn = branches.decided(fn, param_avals)
    program = Program(fn, SSA(fn))
    for p in program.ssa.params:
        program.avals[p] = param_avals[p.name]
    # Without loops every operand is settled before it is read: one pass reaches the
    # fixed point that loops need several passes to find.
    loops = any(isinstance(stmt, ir.LOOPS) for stmt in ir.walk(fn.body))
    with quietly():
        for _ in range(MAX_PASSES if loops else 1):
            if not _pass(program, located):
                break
        else:
            if loops:
                for value in list(program.avals):
                    if isinstance(value, Phi):
                        program.avals[value] = avals.UNKNOWN_AVAL
    empty = [stmt for stmt in ir.walk(fn.body)
             if isinstance(stmt, ir.For) and _never_runs(program, stmt)]
    if empty:
        return specialize(branches.without_loops(fn, empty), param_avals, located)
    returned = fn.result
    program.result = program.definition(returned, returned.value)
    memory.check(program, located)
    return program


def _never_runs(program, stmt):
    """Whether a loop's trip count is known to be zero (``for v in acc`` where ``acc`` is
    known to be empty): its body is not specialized, and then dropped."""
    if not isinstance(stmt.iterable, ir.Call):
        return False
    counts = [avals.known_int(program.aval(stmt, a)) for a in stmt.iterable.args]
    if not all(isinstance(count, int) for count in counts):
        return False  # unknown, or a size named in an annotation (``array[n, d]``)
    try:
        return len(range(*counts)) == 0
    except ValueError:
        return False


def _pass(program, located):
    changed = False

    def update(value, aval):
        nonlocal changed
        old = program.avals.get(value)
        new = aval if old is None else join(old, aval)
        if new != old:
            program.avals[value] = new
            changed = True

    ssa = program.ssa
    phis_by_node = {}
    for phi in ssa.phis:
        phis_by_node.setdefault(id(phi.node), []).append(phi)

    def settle(node):
        for phi in phis_by_node.get(id(node), []):
            known = [program.avals.get(v) for v in phi.inputs if v is not UNDEFINED]
            known = [a for a in known if a is not None]
            if known:
                merged = known[0]
                for a in known[1:]:
                    merged = join(merged, a)
                update(phi, merged)

    def block(stmts):
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                if any(isinstance(op, ir.Var) and program.avals.get(ssa.read(stmt, op)) is None
                       for op in stmt.operands()):
                    continue
                if stmt.is_copy:
                    update(stmt, program.aval(stmt, stmt.value))
                else:
                    update(stmt, _result(program, stmt, located))
            elif isinstance(stmt, ir.If):
                block(stmt.body)
                block(stmt.orelse)
                settle(stmt)
            elif isinstance(stmt, ir.LOOPS):
                settle(stmt)
                if isinstance(stmt, ir.For):
                    update(stmt, _element(program, stmt, located))
                else:
                    block(stmt.test_body)
                if not (isinstance(stmt, ir.For) and _never_runs(program, stmt)):
                    block(stmt.body)
                settle(stmt)

    block(program.fn.body)
    return changed


def _element(program, stmt, located):
    if isinstance(stmt.iterable, ir.Call):
        return avals.PY_INT
    iterable = program.aval(stmt, stmt.iterable)
    if iterable.kind == OTHER and iterable.pytype is range:
        return avals.PY_INT
    raise located.error(stmt.origin.node, f"cannot loop over {iterable.describe()} yet",
                        "loop over range(...) and index inside the loop")


def _result(program, stmt, located):
    aval = _abstract_result(program, stmt, located)
    if aval.kind == PY and aval.dtype is int and aval.value is None:
        value = _integer_value(stmt.value, {p: program.aval(stmt, op)
                                            for p, op in stmt.value.bound().items()})
        if value is not None:
            return AVal(PY, int, value=value)
    return aval


def _integer_value(call, args):
    """The value of integer arithmetic on integers whose values are known (literals,
    dimensions the guard checks): ``n - 1`` for ``n = x.shape[0]`` is a known size too."""
    if not call.rule.folds_integers:
        return None
    values = []
    for param in call.rule.params:
        known = avals.known_int(args[param])
        if known is None:
            return None
        values.append(known)
    try:
        result = call.rule.fn(*values)
    except (ArithmeticError, ValueError, TypeError):
        return None
    return result if type(result) is int else None


def _abstract_result(program, stmt, located):
    call = stmt.value
    rule = call.rule
    args = {p: program.aval(stmt, op) for p, op in call.bound().items()}
    node = stmt.origin.node

    def callee_result(callee, callee_args):
        return _callee_result(program, stmt, callee, callee_args, located, node)

    try:
        return rule.abstract_eval(call, args, Site(located, node, callee_result))
    except NotApplicable as exc:
        raise _not_applicable(call, args, exc.reason, located, node) from None
    except ShapeMismatch:
        raise located.error(node, f"{_spelled(call)}: operand shapes "
                            f"{', '.join(a.describe() for a in args.values())} do not match",
                            "check the shapes of the arrays") from None


def _not_applicable(call, args, exc, located, node):
    """The primitive refused operands of these kinds: say which, and why when the reason
    is about the user's values rather than srcdiff's samples of them."""
    reason = user_facing(exc)
    return located.error(node, f"{_spelled(call)} cannot be applied to "
                         f"{', '.join(a.describe() for a in args.values())}"
                         + (f": {reason}" if reason else ""),
                         "check the kinds and shapes of the operands")


def _callee_result(caller, stmt, callee, args, located, node):
    """What a user function returns for arguments of these kinds (specializing it), and
    which of its parameters its result may share memory with."""
    callee = callees.resolved(callee, args)
    key = (callees.specialized_key(callee), tuple(args.items()))
    if key not in _CALLEE_RESULTS:
        calls.RECURSION.enter(callee, located, node)
        try:
            callee_ir, _ = callees.lowered(callee)
            program = specialize(callee_ir, args, callee_ir.source.located)
        finally:
            calls.RECURSION.leave()
        result = program.avals.get(program.result) if program.result is not None else None
        _CALLEE_RESULTS[key] = (result or program.aval(callee_ir.result, callee_ir.result.value),
                                memory.returned_sharing(program))
    aval, sharing = _CALLEE_RESULTS[key]
    caller.shared_results[stmt] = sharing
    if aval.kind == OTHER and aval.items is None and aval.element is None:
        raise located.error(node, f"{callee.name} returns {aval.describe()}, which srcdiff "
                            "cannot differentiate through", "return numbers, arrays, or "
                            "tuples, lists and dicts of them")
    return aval


_CALLEE_RESULTS = {}


def forget():
    _CALLEE_RESULTS.clear()


def _spelled(call):
    if call.spelling is None and call.rule.symbol is not None:
        return f"the operator {call.rule.symbol}"
    return call.spelling or call.rule.name
