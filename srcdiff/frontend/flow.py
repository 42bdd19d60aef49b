"""Control-flow normalization: one exit, no ``continue``, loop ``else`` made explicit.

After this pass a function has a single ``return`` at the end of its body; early returns
assign the result and skip the rest, ``continue`` is gone (the rest of the loop body moves
into the branch that does not continue), ``break`` is always the last statement of its
branch, and a loop's ``else`` clause is an ``if`` on a flag. The reverse sweep can then
mirror the primal's structure statement by statement.
"""

from __future__ import annotations

import operator

from ..ir import nodes as ir
from ..primitives import REGISTRY

_ADD = REGISTRY.lookup(operator.add)[0]


class _Normalizer:
    def __init__(self, fn, result, named, located):
        self.fn = fn
        self.result = result
        self.named = named
        self.located = located
        self.returned = None

    def run(self):
        fn = self.fn
        returns = [s for s in ir.walk(fn.body) if isinstance(s, ir.Return)]
        if not returns:
            raise self.located.error(fn.node, f"{fn.name} does not return a value",
                                     "a differentiated function must return a scalar")
        final = returns[0] if len(returns) == 1 and fn.body and fn.body[-1] is returns[0] \
            else None
        body, falls_through = self.seal(fn.body, in_loop=False)
        if final is not None:
            body[-1] = final
            return self._done(body)
        if falls_through:
            raise self.located.error(fn.node, f"not every path through {fn.name} returns a "
                                     "value", "end every path with a return")
        origin = returns[-1].origin
        if self.returned is not None:
            body.insert(0, ir.Assign(self.returned, ir.Const(False, "False"), origin))
        body = _drop_exits(body)
        body.append(ir.Return(ir.Var(self.result), origin))
        return self._done(body)

    def _done(self, body):
        self.fn.body = _stable_tests(body, self.named)
        return self.fn

    def seal(self, block, in_loop):
        """The block without jumps in its middle; and whether it can fall through."""
        out = []
        for index, stmt in enumerate(block):
            rest = block[index + 1:]
            if isinstance(stmt, ir.Return):
                out.extend(self.exit(stmt, in_loop))
                return out, False
            if isinstance(stmt, (ir.Break, _Exit)):
                out.append(stmt)
                return out, False
            if isinstance(stmt, ir.Continue):
                return out, False
            if isinstance(stmt, ir.If):
                if _jumps(stmt):
                    copy = ir.copy_block(rest)
                    body, body_falls = self.seal(stmt.body + rest, in_loop)
                    orelse, else_falls = self.seal(stmt.orelse + copy, in_loop)
                    out.append(ir.If(stmt.test, body, orelse, stmt.origin))
                    return out, body_falls or else_falls
                stmt.body = self.seal(stmt.body, in_loop)[0]
                stmt.orelse = self.seal(stmt.orelse, in_loop)[0]
                out.append(stmt)
                continue
            if isinstance(stmt, ir.LOOPS):
                returns = any(_has_return(s) for s in stmt.body)
                lines, after = self.loop(stmt, in_loop)
                out.extend(lines)
                if returns:
                    leave = ir.Break(stmt.origin) if in_loop else _Exit()
                    after = [ir.If(ir.Var(self.returned), [leave], [], stmt.origin)] + after
                if after:
                    # The loop's else clause (and the check that the body returned) runs
                    # before the rest, which is sealed with it: a return there skips the rest.
                    tail, falls = self.seal(after + rest, in_loop)
                    return out + tail, falls
                continue
            out.append(stmt)
        return out, True

    def exit(self, stmt, in_loop):
        lines = []
        if not (isinstance(stmt.value, ir.Var) and stmt.value.name == self.result):
            lines.append(ir.Assign(self.result, stmt.value, stmt.origin))
        if not in_loop:
            return lines + [_Exit()]
        if self.returned is None:
            self.returned = self.named("returned")
        lines.append(ir.Assign(self.returned, ir.Const(True, "True"), stmt.origin))
        return lines + [ir.Break(stmt.origin)]

    def count(self, stmt):
        """Count the loop's iterations: the reverse sweep runs that many."""
        trips = stmt.trips = self.named("trips")
        origin = stmt.origin
        increment = ir.Call(_ADD, (ir.Var(trips), ir.Const(1, "1")))
        stmt.body.insert(0, ir.Assign(trips, increment, origin, restore=False))
        return [ir.Assign(trips, ir.Const(0, "0"), origin), stmt]

    def loop(self, stmt, in_loop):
        """The loop's statements, and the statements that follow it before the rest of the
        block: its else clause (on a flag where the body can break), not yet sealed."""
        if isinstance(stmt, ir.While):
            stmt.test_body = self.seal(stmt.test_body, in_loop)[0]
        stmt.body = self.seal(stmt.body, in_loop=True)[0]
        breaks = [s for s in _own(stmt.body) if isinstance(s, ir.Break)]
        lines = [stmt]
        if stmt.trips is None and (isinstance(stmt, ir.While) or breaks):
            lines = self.count(stmt)
        orelse, stmt.orelse = stmt.orelse, []
        if not orelse:
            return lines, []
        if not breaks:
            return lines, orelse
        broke = self.named("broke")
        _flag_breaks(stmt.body, broke)
        origin = stmt.origin
        return ([ir.Assign(broke, ir.Const(False, "False"), origin), *lines],
                [ir.If(ir.Var(broke), [], orelse, origin)])


class _Exit:
    """Marks the end of a path that has returned (removed once the body is sealed)."""

    def __init__(self, origin=None):
        self.origin = origin

    def operands(self):
        return []


def normalize(fn, result, named, located):
    return _Normalizer(fn, result, named, located).run()


def _jumps(stmt):
    if isinstance(stmt, (ir.Break, ir.Continue, ir.Return, _Exit)):
        return True
    if isinstance(stmt, ir.If):
        return any(_jumps(s) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ir.LOOPS):
        return _has_return(stmt)
    return False


def _has_return(stmt):
    return any(isinstance(s, ir.Return) for s in ir.walk([stmt]))


def _own(block):
    """Statements of a loop body that belong to this loop (not to loops nested in it)."""
    for stmt in block:
        yield stmt
        if isinstance(stmt, ir.If):
            yield from _own(stmt.body)
            yield from _own(stmt.orelse)


def _flag_breaks(block, flag):
    """Set ``flag`` before every ``break`` of this loop."""
    for stmt in list(block):
        if isinstance(stmt, ir.Break):
            block.insert(block.index(stmt), ir.Assign(flag, ir.Const(True, "True"),
                                                      stmt.origin))
        elif isinstance(stmt, ir.If):
            _flag_breaks(stmt.body, flag)
            _flag_breaks(stmt.orelse, flag)


def _stable_tests(block, named):
    """The reverse sweep replays an ``if`` from its test's value, read after the branch ran;
    a branch that reassigns the test's variable gets a copy of the test taken before it."""
    out = []
    for stmt in block:
        if isinstance(stmt, ir.If):
            stmt.body = _stable_tests(stmt.body, named)
            stmt.orelse = _stable_tests(stmt.orelse, named)
            test = stmt.test
            if isinstance(test, ir.Var) and any(
                    isinstance(s, ir.Assign) and s.target == test.name
                    for s in ir.walk(stmt.body + stmt.orelse)):
                copy = named("test")
                out.append(ir.Assign(copy, test, stmt.origin))
                stmt.test = ir.Var(copy)
        elif isinstance(stmt, ir.LOOPS):
            stmt.body = _stable_tests(stmt.body, named)
            if isinstance(stmt, ir.While):
                stmt.test_body = _stable_tests(stmt.test_body, named)
        out.append(stmt)
    return out


def _drop_exits(block):
    out = []
    for stmt in block:
        if isinstance(stmt, _Exit):
            continue
        if isinstance(stmt, ir.If):
            stmt.body = _drop_exits(stmt.body)
            stmt.orelse = _drop_exits(stmt.orelse)
        elif isinstance(stmt, ir.LOOPS):
            stmt.body = _drop_exits(stmt.body)
        out.append(stmt)
    return out
