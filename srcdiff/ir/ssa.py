"""SSA values over the structured IR: which definition each variable read sees.

A *definition* is a parameter, an assignment, or a ``for`` statement (which defines its
target on every iteration). Where control flow merges (after an ``if``, at a loop's head and
exit), a :class:`Phi` stands for "one of these". Definitions joined through phis form a
*web*: one variable in the generated code. Different webs of the same source name are
different variables that happen to share it (``y = y * x`` after ``y = ...``); the emitter
renames one of them when both must be alive at once.
"""

from __future__ import annotations

import collections

from . import nodes as ir
from .records import Record


class Param(Record):
    """A parameter's value on entry. Parameters of one name are one object, so that they
    compare and hash by identity, in C: the analyses key dictionaries by values, and
    parameters are asked for by name everywhere."""

    fields = ("name",)
    _interned = {}

    def __new__(cls, name):
        known = cls._interned.get(name)
        if known is None:
            made = super().__new__(cls)
            made.name = name
            known = cls._interned.setdefault(name, made)  # atomic: one object per name
        return known

    def __init__(self, name):
        pass

    def __reduce__(self):
        return Param, (self.name,)


class _Undefined:
    name = None

    def __repr__(self):
        return "UNDEFINED"


UNDEFINED = _Undefined()


class Phi(Record):
    """``head`` phis stand at a loop's head (inputs: the value on entry, then the value at
    the end of the body); the others where paths merge (inputs in the order of the paths)."""

    fields = ("name", "node", "inputs", "head")

    def __init__(self, name, node, inputs=None, head=False):
        self.name = name
        self.node = node
        self.inputs = [] if inputs is None else inputs
        self.head = head

    def __repr__(self):
        return f"Phi({self.name})"


def _changed_in_place(ssa, stmt):
    """The value that ``stmt`` changes in place (``y[i] = v``, ``lst.append(v)`` make a new
    value of the same object), which must therefore live in the same variable."""
    if not isinstance(stmt, ir.Assign) or stmt.is_copy or stmt.value.rule.writes is None:
        return None
    value = ssa.uses[stmt].get(stmt.value.args[0].name, UNDEFINED)
    return None if value is UNDEFINED else value


def target_of(value):
    if isinstance(value, ir.Assign):
        return value.target
    if isinstance(value, Param):
        return value.name
    if isinstance(value, Phi):
        return value.name
    if isinstance(value, ir.For):
        return value.target
    return None


class SSA:
    """SSA over ``fn``. ``rename(stmt)`` and ``renamed(stmt, operand)`` give the variable
    each definition writes and each read reads; by default the source names. Run again
    with the generated code's names, and ``runs`` telling which assignments the forward
    sweep keeps, it tells what each variable physically holds."""

    def __init__(self, fn, rename=None, renamed=None, runs=None):
        self.fn = fn
        self.rename = rename or target_of
        self.renamed = renamed or (lambda stmt, op: op.name)
        self.runs = runs or (lambda stmt: True)
        self.uses = {}
        self.before = {}
        self.entry = {}
        self.phis = []
        self.breaks = []
        self.params = [Param(p.name) for p in fn.params]
        env = {self.rename(p): p for p in self.params}
        self.exit = self.block(fn.body, env)
        self.webs = self._webs()

    def read(self, stmt, operand):
        """The value that ``operand`` (a Var) reads at ``stmt``."""
        return self.uses[stmt][operand.name]

    def _record(self, stmt, env, operands):
        self.uses[stmt] = {op.name: env.get(self.renamed(stmt, op), UNDEFINED)
                           for op in operands if isinstance(op, ir.Var)}

    def block(self, stmts, env):
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                self._record(stmt, env, stmt.operands())
                self.before[stmt] = env.get(self.rename(stmt), UNDEFINED)
                if self.runs(stmt):
                    env[self.rename(stmt)] = stmt
            elif isinstance(stmt, ir.Return):
                self._record(stmt, env, [stmt.value])
            elif isinstance(stmt, ir.If):
                self.entry[stmt] = dict(env)
                self._record(stmt, env, [stmt.test])
                outs = [self.block(stmt.body, dict(env)), self.block(stmt.orelse, dict(env))]
                env = self.merge(stmt, [o for o in outs if o is not None])
                if env is None:
                    return None
            elif isinstance(stmt, ir.LOOPS):
                self.entry[stmt] = dict(env)
                env = self.loop(stmt, env)
            elif isinstance(stmt, ir.Break):
                self.breaks[-1].append(dict(env))
                return None
        return env

    def merge(self, node, envs):
        if not envs:
            return None
        if len(envs) == 1:
            return envs[0]
        merged = {}
        for name in set().union(*envs):
            values = [e.get(name, UNDEFINED) for e in envs]
            if all(v is values[0] for v in values):
                merged[name] = values[0]
            else:
                phi = Phi(name, node, values)
                self.phis.append(phi)
                merged[name] = phi
        return merged

    def loop(self, stmt, env):
        assigned = {self.rename(s) for s in ir.walk(stmt.body)
                    if isinstance(s, ir.Assign) and self.runs(s)}
        if isinstance(stmt, ir.While):
            assigned |= {self.rename(s) for s in ir.walk(stmt.test_body)
                         if isinstance(s, ir.Assign) and self.runs(s)}
        else:
            self._record(stmt, env, stmt.operands())
            self.before[stmt] = env.get(self.rename(stmt), UNDEFINED)
            assigned.add(self.rename(stmt))
        head = {}
        for name in sorted(assigned):
            phi = Phi(name, stmt, [env.get(name, UNDEFINED)], head=True)
            self.phis.append(phi)
            head[name] = phi
        env = {**env, **head}
        if isinstance(stmt, ir.While):
            env = self.block(stmt.test_body, env)
            self._record(stmt, env, [stmt.test])
            body_env = dict(env)
        else:
            body_env = {**env, self.rename(stmt): stmt}
        self.breaks.append([])
        end = self.block(stmt.body, body_env)
        breaks = self.breaks.pop()
        if end is not None:
            for name, phi in head.items():
                phi.inputs.append(end.get(name, UNDEFINED))
        return self.merge(stmt, [env] + breaks)

    def _webs(self):
        parent = {}

        def find(v):
            while parent.setdefault(v, v) is not v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        for phi in self.phis:
            for value in phi.inputs:
                if value is not UNDEFINED:
                    parent[find(value)] = find(phi)
        for stmt in self.definitions():
            changed = _changed_in_place(self, stmt)
            if changed is not None:
                parent[find(changed)] = find(stmt)
        for value in self.definitions():
            find(value)
        for phi in self.phis:
            find(phi)
        return {value: find(value) for value in parent}

    def definitions(self):
        yield from self.params
        for stmt in ir.walk(self.fn.body):
            if isinstance(stmt, (ir.Assign, ir.For)):
                yield stmt

    def web(self, value):
        return self.webs.get(value, value)

    def values_in(self, web):
        """The values (definitions and phis) that ``web`` joins, in the order of ``webs``."""
        members = self.__dict__.get("_members")
        if members is None:
            members = self._members = collections.defaultdict(list)
            for value, joined in self.webs.items():
                members[id(joined)].append(value)
        return members.get(id(web), [])

    def concrete(self, value):
        """The definitions (not phis) that ``value`` may stand for."""
        seen, out, stack = set(), [], [value]
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            if isinstance(v, Phi):
                stack.extend(v.inputs)
            else:
                out.append(v)
        return out
