"""The typed program writer that the area modules extend with rules.

A ``Writer`` writes one function body. It keeps a scope (each variable's kind, and whether
the function owns its memory so that writing into it is allowed), emits statements with
their indentation, and asks the rules of the enabled areas for expressions of a kind and for
statements. Every rule either returns something well typed for the current scope or None;
the writer then tries another, and falls back to a terminal that always works, so every
choice sequence gives a program that runs (up to domain errors, which the oracle discards).

Memory: an array variable is *fresh* when it holds memory the function made and no other
live name may view it; only fresh arrays are written into (outside the aliasing generator).
Binding a view of ``y`` to a name makes ``y`` stale for writes. Inside a loop the arrays
that were fresh at the loop's entry are *protected*: no views of them are bound and they are
not rebound to views, so they stay fresh on every iteration.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from fuzzing.kinds import (
    FLOAT,
    Arr,
    Dct,
    Float,
    Int,
    Lst,
    Mask,
    Tup,
    broadcasts_to,
    is_float_like,
    merge,
    size,
    unknown_length,
)

CORE = {"core": 10}  # areas every generator has, whatever its profile


@dataclass(frozen=True)
class E:
    """An expression: its text, its kind, and what memory its value may share."""
    text: str
    kind: object
    fresh: bool = False
    views: frozenset = frozenset()
    atom: bool = False
    readonly: bool = False  # a view NumPy will not write through (np.broadcast_to)


@dataclass(frozen=True)
class Fn:
    """A nested function or lambda: elementwise in its arguments (floats or arrays), with
    ``required`` positional parameters followed by ``optional`` ones that have defaults."""
    required: tuple
    optional: tuple = ()
    scalar_only: bool = False  # has an ``if`` on its argument: floats only


@dataclass
class Var:
    kind: object
    fresh: bool = False
    pinned: bool = False  # read by a nested function: its kind must not change
    owned: bool = False   # aliasing generator: memory the function made (views included)
    bases: frozenset = frozenset()  # aliasing generator: which allocations it may share
    readonly: bool = False  # a module-level constant


@dataclass
class Rule:
    area: str
    target: str  # "float", "array", "mask", "stmt"
    weight: int
    fn: object


@dataclass
class Loop:
    protected: frozenset
    iterates: frozenset = frozenset()  # containers it iterates over: not appended to


class Scope:
    def __init__(self, variables=None):
        self.vars = dict(variables or {})

    def copy(self):
        return Scope({name: replace(v) for name, v in self.vars.items()})

    def names(self, predicate):
        return [name for name, v in self.vars.items() if predicate(v.kind)]

    def __contains__(self, name):
        return name in self.vars

    def __getitem__(self, name):
        return self.vars[name]

    @staticmethod
    def merged(scopes):
        """The scope after paths that end in ``scopes`` meet: variables defined on every path,
        with a kind covering each, fresh only where fresh on all."""
        first, rest = scopes[0], scopes[1:]
        result = {}
        for name, var in first.vars.items():
            kind, fresh, owned, bases = var.kind, var.fresh, var.owned, var.bases
            for other in rest:
                if name not in other.vars or kind is None:
                    kind = None
                    break
                kind = merge(kind, other.vars[name].kind)
                fresh = fresh and other.vars[name].fresh
                owned = owned and other.vars[name].owned
                bases = bases | other.vars[name].bases
            if kind is not None:
                result[name] = Var(kind, fresh, var.pinned, owned, bases, var.readonly)
        return Scope(result)


@dataclass
class Module:
    """What the function may use from its module: constants, helpers, closures."""
    constants: list = field(default_factory=list)   # (name, kind)
    helpers: list = field(default_factory=list)     # calls.Helper
    closures: list = field(default_factory=list)    # names bound to factory-made closures
    user_rules: list = field(default_factory=list)  # functions with srcdiff.defvjp rules
    blocks: list = field(default_factory=list)      # module-level source, in order


class Writer:
    def __init__(self, choices, profile, rules, module, *, max_nest=2, budget=6,
                 max_depth=2, result=FLOAT, aliasing=False):
        self.c = choices
        self.profile = profile
        self.rules = rules
        self.module = module
        self.max_nest = max_nest
        self.budget = budget
        self.max_depth = max_depth
        self.result = result
        self.aliasing = aliasing
        self.lines = []
        self.indent = 1
        self.nest = 0
        self.loops = []
        self.scope = Scope()
        self.counter = 0
        self.may_refuse = False
        self.top_level = True  # statements go straight into the function body
        self.helper = False  # writing a helper's body (its arguments come from calls)
        self.params = []
        self.stale_after = []  # aliasing generator: (line number, names a write made stale)

    # -- names and scope -------------------------------------------------------------------

    def new_name(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def define(self, name, kind, fresh=False, owned=False):
        pinned = self.scope[name].pinned if name in self.scope else False
        self.scope.vars[name] = Var(kind, fresh, pinned, owned or fresh)

    def names(self, predicate):
        return self.scope.names(predicate)

    def floats(self):
        return self.names(is_float_like)

    def arrays(self, shape=None):
        return self.names(lambda k: isinstance(k, Arr) and k.rank > 0
                          and (shape is None or k.shape == shape))

    @property
    def protected(self):
        return self.loops[-1].protected if self.loops else frozenset()

    @property
    def iterated(self):
        return self.loops[-1].iterates if self.loops else frozenset()

    @property
    def in_loop(self):
        return bool(self.loops)

    def writable(self, predicate=lambda kind: True):
        """Arrays the function may write into."""
        flag = "owned" if self.aliasing else "fresh"
        return [name for name, v in self.scope.vars.items()
                if isinstance(v.kind, Arr) and v.kind.rank > 0 and getattr(v, flag)
                and predicate(v.kind)]

    def can_rebind(self, name, kind):
        """Whether ``name = <kind>`` keeps the program well typed: kinds change only in
        straight-line code at the top of the function, and never for a pinned variable."""
        if name not in self.scope:
            return True
        var = self.scope[name]
        if var.readonly:
            return False
        if var.kind == kind:
            return True
        return self.nest == 0 and not var.pinned and not self.loops

    def targets(self, predicate):
        """Variables that may be assigned a value of their own kind."""
        return [n for n in self.names(predicate) if self.can_rebind(n, self.scope[n].kind)]

    def constant(self, name, kind):
        self.scope.vars[name] = Var(kind, readonly=True)

    def bind(self, name, e):
        """``name = e``, keeping track of memory; returns the expression actually bound (a
        copy where a view would break a protected array)."""
        e = self.unshared(e, name)
        viewed = [self.scope[v] for v in e.views if v in self.scope]
        owned = self.aliasing and not e.readonly and (e.fresh or any(v.owned for v in viewed))
        bases = frozenset()
        if self.aliasing:
            self.counter += 1
            bases = frozenset([self.counter]) if e.fresh else frozenset().union(
                *[v.bases for v in viewed])
        else:
            for var in viewed:
                var.fresh = False
        pinned = self.scope[name].pinned if name in self.scope else False
        fresh = e.fresh and (isinstance(e.kind, Arr) and e.kind.rank > 0
                             or isinstance(e.kind, Lst))
        self.scope.vars[name] = Var(e.kind, fresh, pinned, owned or fresh, bases)
        return e

    def bind_new(self, prefix, e):
        """A new variable holding ``e``: emits ``name = e`` and returns the name."""
        name = self.new_name(prefix)
        e = self.bind(name, e)
        self.line(f"{name} = {e.text}")
        return name

    def unshared(self, e, name=None):
        if not isinstance(e.kind, Arr):
            return e
        if self.aliasing:
            # A variable the loop body may write into (owned at the loop's entry) is not
            # rebound to memory the function does not own: the next iteration would write
            # into the caller's array through it (``u = a[:, k]`` after ``u[0] = ...``).
            owned = e.fresh or all(self.scope[v].owned for v in e.views if v in self.scope)
            if name in self.protected and not owned:
                return E(f"np.copy({e.text})", e.kind, fresh=True, atom=True)
            return e
        if e.views & self.protected or (name in self.protected and not e.fresh):
            return E(f"np.copy({e.text})", e.kind, fresh=True, atom=True)
        return e

    # -- output ----------------------------------------------------------------------------

    def line(self, text):
        self.lines.append("    " * self.indent + text)

    @contextmanager
    def indented(self):
        self.indent += 1
        self.nest += 1
        top, self.top_level = self.top_level, False
        start = len(self.lines)
        try:
            yield
        finally:
            if len(self.lines) == start:
                self.line("pass")
            self.indent -= 1
            self.nest -= 1
            self.top_level = top

    # -- choosing rules --------------------------------------------------------------------

    def _choose(self, target):
        return [(rule.weight * self.profile.get(rule.area, CORE.get(rule.area, 0)), rule)
                for rule in self.rules if rule.target == target]

    def _apply(self, target, call, attempts=6):
        options = [(w, r) for w, r in self._choose(target) if w > 0]
        for _ in range(attempts if options else 0):
            result = call(self.c.weighted(options))
            if result:
                return result
        return None

    def expr(self, kind, depth=None):
        depth = self.max_depth if depth is None else depth
        if depth > 0:
            target = _target(kind)
            if target is not None:
                found = self._apply(target, lambda rule: rule.fn(self, kind, depth - 1))
                if found is not None:
                    return found
        return self.terminal(kind)

    def statement(self):
        self.budget -= 1
        if not self._apply("stmt", lambda rule: rule.fn(self)):
            self.assignment()

    def block(self, low=1, high=3):
        for _ in range(self.c.integer(low, high)):
            if self.budget <= 0:
                break
            self.statement()

    # -- terminals and plain statements -----------------------------------------------------

    def literal(self):
        value = self.c.pick(["0.5", "1.5", "2.0", "0.3", "-0.7", "1.0", "math.pi", "math.e"])
        return E(value, FLOAT, atom=not value.startswith("-"))

    def terminal(self, kind):
        """Something of ``kind`` with no further choices of rules: a variable or a literal."""
        if isinstance(kind, Float):
            names = self.floats()
            arrays = [n for n in self.arrays() if 0 not in self.scope[n].kind.shape]
            how = self.c.weighted([(6 if names else 0, "var"), (3 if arrays else 0, "element"),
                                   (2, "literal")])
            if how == "var":
                name = self.c.pick(names)
                if isinstance(self.scope[name].kind, Arr):
                    # A bare 0-d array bound to a float's name would be changed in place by
                    # a later ``name += ...``; its value as a NumPy scalar is a float.
                    return E(self.c.pick([f"float({name})", f"{name} * 1.0"]), FLOAT)
                return E(name, FLOAT, atom=True)
            if how == "element":
                name = self.c.pick(arrays)
                shape = self.scope[name].kind.shape
                index = ", ".join(str(self.c.pick([0, d - 1, -1])) for d in shape)
                return E(f"{name}[{index}]", FLOAT, atom=True)
            return self.literal()
        if isinstance(kind, Arr):
            if kind.shape == ():
                return self.terminal(FLOAT)
            names = self.arrays(kind.shape)
            if names and self.c.chance(0.85):
                name = self.c.pick(names)
                return E(name, kind, views=frozenset([name]), atom=True)
            adapted = self.adapted(kind.shape) if self.c.chance(0.8) else None
            if adapted is not None:
                return adapted
            value = self.terminal(FLOAT)
            return E(f"np.full({kind.shape}, {value.text})", kind, fresh=True, atom=True)
        if isinstance(kind, Mask):
            value = self.expr(Arr(kind.shape), 0)
            return E(f"{self.operand(value)} > {self.c.pick(['0.0', '0.5', '-0.3'])}", kind)
        if isinstance(kind, Int):
            return E(str(kind.low), kind, atom=kind.low >= 0)
        if isinstance(kind, Tup):
            items = [self.expr(item, 0) for item in kind.items]
            text = "(" + ", ".join(i.text for i in items) + ("," if len(items) == 1 else "")
            return E(text + ")", kind, views=_views(items), atom=True)
        if isinstance(kind, Lst):
            items = [self.expr(kind.item, 0) for _ in range(kind.length or 0)]
            return E("[" + ", ".join(i.text for i in items) + "]", kind, views=_views(items),
                     atom=True)
        items = [(key, self.expr(item, 0)) for key, item in kind.items]
        text = "{" + ", ".join(f'"{key}": {e.text}' for key, e in items) + "}"
        return E(text, kind, views=_views([e for _, e in items]), atom=True)

    def adapted(self, shape):
        """An array variable of another shape made into ``shape``: transposed, reshaped or
        broadcast; None where no variable fits."""
        options = []
        for name in self.arrays():
            other = self.scope[name].kind.shape
            views = frozenset([name])
            if other[::-1] == shape and len(shape) == 2:
                options.append(E(f"{name}.T", Arr(shape), views=views, atom=True))
            if size(other) == size(shape) and other != shape:
                spelled = ", ".join(str(d) for d in shape)
                options.append(E(f"{name}.reshape({spelled})", Arr(shape), views=views,
                                 atom=True))
            if broadcasts_to(other, shape) and other != shape:
                options.append(E(f"{name} + np.zeros({shape})", Arr(shape), fresh=True))
            if len(other) == 1 and len(shape) == 2 and other[0] == shape[0]:
                options.append(E(f"{name}[:, None] * np.ones({shape})", Arr(shape), fresh=True))
        return self.c.pick(options) if options else None

    def operand(self, e):
        return e.text if e.atom else f"({e.text})"

    def target_kind(self):
        """A kind for a new or rebound variable: mostly kinds already in play."""
        kinds = [v.kind for v in self.scope.vars.values() if isinstance(v.kind, (Float, Arr))]
        kinds = [FLOAT if is_float_like(k) else k for k in kinds] or [FLOAT]
        return self.c.pick([FLOAT] + kinds)

    def assignment(self, kind=None):
        """``name = expr`` for a new name, or a variable of the same kind."""
        kind = kind or self.target_kind()
        same = [n for n in self.names(lambda k: k == kind) if self.can_rebind(n, kind)]
        if same and self.c.chance(0.5):
            name = self.c.pick(same)
        else:
            name = self.new_name("s" if isinstance(kind, Float) else "y")
        e = self.bind(name, self.expr(kind))
        self.line(f"{name} = {e.text}")
        return True

    def result_expression(self):
        """A scalar that depends on a few live variables (mostly recent ones, sometimes a
        parameter directly), for the final return."""
        names = [n for n, v in self.scope.vars.items()
                 if not v.readonly and not isinstance(v.kind, (Int, Mask, Fn))]
        recent = names[-3:]
        chosen = []
        for _ in range(self.c.integer(1, 3)):
            pool = recent if self.c.chance(0.6) else names
            if pool:
                chosen.append(self.c.pick(pool))
        params = [p for p in self.params if p in names]
        if params and self.c.chance(0.4):
            chosen.append(self.c.pick(params))
        parts = [self.reduce(name, self.scope[name].kind) for name in dict.fromkeys(chosen)]
        parts = [p for p in parts if p] or [self.expr(FLOAT).text]
        return " + ".join(parts)

    def reduce(self, text, kind, depth=0):
        """A scalar expression that depends on every element of ``text``."""
        if isinstance(kind, Float) or (isinstance(kind, Arr) and kind.shape == ()):
            return self.c.pick([text, f"math.sin({text})", f"{text} * {text}"])
        if isinstance(kind, Arr):
            return self.c.pick([f"np.sum({text})", f"np.sum(np.sin({text}))",
                                f"np.sum({text} * {text})"])
        if depth > 1:
            return None
        if isinstance(kind, Tup):
            parts = [self.reduce(f"{text}[{i}]", k, depth + 1) for i, k in enumerate(kind.items)]
        elif isinstance(kind, Lst):
            if isinstance(kind.item, Float):
                return f"sum({text})"
            inner = self.reduce("v", kind.item, depth + 1)
            return f"sum([{inner} for v in {text}])" if inner else None
        elif isinstance(kind, Dct):
            parts = [self.reduce(f'{text}["{key}"]', k, depth + 1) for key, k in kind.items]
        else:
            return None
        parts = [p for p in parts if p]
        return " + ".join(parts) if parts else None

    def condition(self):
        found = self._apply("cond", lambda rule: rule.fn(self))
        if found:
            return found
        value = self.expr(FLOAT, 1)
        return f"{self.operand(value)} > {self.c.pick(['0.0', '0.5', '-0.5'])}"

    # -- compound statements ----------------------------------------------------------------

    def branches(self, conditions, with_else):
        """``if``/``elif``/``else`` with a generated block in each arm."""
        entry = self.scope
        ends = []
        for number, condition in enumerate(conditions):
            self.line(f"{'if' if number == 0 else 'elif'} {condition}:")
            self.scope = entry.copy()
            with self.indented():
                self.block()
            ends.append(self.scope)
        if with_else:
            self.line("else:")
            self.scope = entry.copy()
            with self.indented():
                self.block()
            ends.append(self.scope)
        else:
            ends.append(entry)
        self.scope = Scope.merged(ends)

    def loop(self, header, targets=(), body=None, orelse=False,
             iterates=frozenset()):
        """A loop: ``header``, then a body in which ``targets`` ((name, kind, views) triples)
        are bound. After the loop the scope is the one at entry: variables first bound in
        the body may not exist (zero trips), and lists may have grown."""
        for var in self.scope.vars.values():
            var.kind = unknown_length(var.kind)
        for _, _, views in targets:
            for viewed in views:
                if viewed in self.scope and not self.aliasing:
                    self.scope[viewed].fresh = False
        entry = self.scope
        flag = "owned" if self.aliasing else "fresh"
        protected = frozenset(n for n, v in entry.vars.items() if getattr(v, flag))
        self.line(header)
        self.scope = entry.copy()
        for name, kind, views in targets:
            self.bind(name, E(name, kind, views=views))
            if views and not self.aliasing:
                # ``for r in a``: r is a view of a row of a (bind would take a copy that
                # the loop header does not make), so it is not written into.
                var = self.scope.vars[name]
                self.scope.vars[name] = Var(var.kind, False, var.pinned, False, var.bases)
        self.loops.append(Loop(protected | self.protected, iterates | self.iterated))
        if self.aliasing and self.writable():
            self.may_refuse = True
        with self.indented():
            (body or self.block)()
        self.loops.pop()
        inside, self.scope = self.scope, entry
        for name, var in inside.vars.items():
            # A variable the body rebound to memory it does not own (``u = a[2, 1:]``)
            # may hold that after the loop: it is not written into then.
            if name in entry and not getattr(var, flag):
                entry[name].fresh = entry[name].owned = False
        for name, _, _ in targets:
            if name in entry:  # a target that shadows a variable may now view the iterable
                entry[name].fresh = entry[name].owned = False
        if orelse:
            self.line("else:")
            self.scope = entry.copy()
            with self.indented():
                self.block(1, 2)
            self.scope = Scope.merged([entry, self.scope])

    def body(self):
        """The function body: statements, then the return of a scalar."""
        while self.budget > 0:
            self.statement()
        self.line(f"return {self.result_expression()}")
        return self.lines


def atomic(text):
    """Whether ``text`` is one name, literal or call, needing no parentheses as an operand."""
    match = re.match(r"[\w.]+(\(|\[)", text)
    if not match:
        return re.fullmatch(r"[\w.]+", text) is not None and not text.startswith("-")
    depth = 0
    for position in range(match.end() - 1, len(text)):
        depth += text[position] in "([{"
        depth -= text[position] in ")]}"
        if depth == 0:
            return position == len(text) - 1 or atomic_tail(text[position + 1:])
    return False


def atomic_tail(rest):
    """``.T``, ``[0]``, ``.sum()`` after an atom keep it an atom."""
    pattern = r"(\.\w+|\.\w+\(.*\)|\[[^\[\]]*\])+"
    return bool(re.fullmatch(pattern, rest)) and " " not in rest.replace(", ", "")


def array_assignment(w):
    arrays = [w.scope[a].kind for a in w.arrays()]
    return bool(arrays) and w.assignment(w.c.pick(arrays))


CORE_RULES = [Rule("core", "stmt", 8, lambda w: w.assignment()),
              Rule("arrays", "stmt", 3, array_assignment)]


def _target(kind):
    if isinstance(kind, Float):
        return "float"
    if isinstance(kind, Arr):
        return "float" if kind.shape == () else "array"
    if isinstance(kind, Mask):
        return "mask"
    return None


def _views(items):
    views = frozenset()
    for item in items:
        views |= item.views
    return views


def call(name, *args, **kwargs):
    parts = [a.text if isinstance(a, E) else str(a) for a in args]
    parts += [f"{k}={v.text if isinstance(v, E) else v}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def views_of(*items):
    return _views(items)
