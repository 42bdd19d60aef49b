"""The three-address intermediate form: one primitive per statement.

Operands are variables, literals or module-level names (which are never differentiated).
Statements keep the source statement they were lowered from, so adjoints can quote it.
Control flow will nest blocks of these statements; straight-line code is a flat list.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Const:
    value: object
    text: str


@dataclass(frozen=True)
class Global:
    """A name from outside the function (a module constant such as ``N`` or ``math.pi``)."""

    text: str
    value: object = None
    known: bool = False
    cell: object = None


Operand = Var | Const | Global


@dataclass(frozen=True)
class Origin:
    """The source statement a lowered statement came from."""

    lineno: int
    col_offset: int
    text: str
    node: object = field(default=None, compare=False, hash=False, repr=False)


@dataclass
class Call:
    """``target = rule(args)``; ``spelling`` is how the source named the callee. ``form`` is
    ``"method"`` for ``x.spelling(...)`` and ``"attribute"`` for ``x.spelling``, whose
    receiver is the first argument."""

    rule: object
    args: tuple
    keywords: tuple = ()
    spelling: str | None = None
    index: object = None
    form: str | None = None

    def bound(self):
        """Operands by rule parameter name, with the rule's defaults filled in."""
        result = dict(zip(self.rule.params, self.args))
        result.update(self.keywords)
        for param, default in self.rule.defaults.items():
            result.setdefault(param, Const(default, repr(default)))
        return result


@dataclass(eq=False)
class Assign:
    """``target = value``. ``restore=False`` marks a bookkeeping update (a trip counter's
    increment) whose old value the reverse sweep never needs."""

    target: str
    value: Call | Operand
    origin: Origin
    augmented: bool = False
    restore: bool = True

    @property
    def is_copy(self):
        return not isinstance(self.value, Call)

    def operands(self):
        if isinstance(self.value, Call):
            return list(self.value.args) + [op for _, op in self.value.keywords]
        return [self.value]


@dataclass(eq=False)
class Return:
    value: Operand
    origin: Origin

    def operands(self):
        return [self.value]


@dataclass(eq=False)
class If:
    test: Operand
    body: list
    orelse: list
    origin: Origin

    def operands(self):
        return [self.test]

    def blocks(self):
        return [self.body, self.orelse]


@dataclass(eq=False)
class For:
    """``for target in iterable``; ``iterable`` is an operand (a range or a sequence).
    ``orelse`` runs when the loop ends without ``break``; ``trips`` names the counter of
    started iterations where the reverse sweep needs one."""

    target: str
    iterable: Operand | Call
    body: list
    orelse: list
    origin: Origin
    trips: str | None = None

    def operands(self):
        if isinstance(self.iterable, Call):
            return list(self.iterable.args)
        return [self.iterable]

    def blocks(self):
        return [self.body, self.orelse]


@dataclass(eq=False)
class While:
    """``while test``: ``test_body`` recomputes ``test`` before every check."""

    test_body: list
    test: Operand
    body: list
    orelse: list
    origin: Origin
    trips: str | None = None

    def operands(self):
        return [self.test]

    def blocks(self):
        return [self.test_body, self.body, self.orelse]


@dataclass(eq=False)
class Break:
    origin: Origin

    def operands(self):
        return []


@dataclass(eq=False)
class Continue:
    origin: Origin

    def operands(self):
        return []


LOOPS = (For, While)
COMPOUND = (If, For, While)


def copy_block(block):
    """Fresh statement objects (analyses key on statements, so code that appears twice after
    restructuring must be two sets of statements); operands and calls are shared."""
    return [_copy(stmt) for stmt in block]


def _copy(stmt):
    if isinstance(stmt, Assign):
        return Assign(stmt.target, stmt.value, stmt.origin, stmt.augmented, stmt.restore)
    if isinstance(stmt, If):
        return If(stmt.test, copy_block(stmt.body), copy_block(stmt.orelse), stmt.origin)
    if isinstance(stmt, For):
        return For(stmt.target, stmt.iterable, copy_block(stmt.body), copy_block(stmt.orelse),
                   stmt.origin, stmt.trips)
    if isinstance(stmt, While):
        return While(copy_block(stmt.test_body), stmt.test, copy_block(stmt.body),
                     copy_block(stmt.orelse), stmt.origin, stmt.trips)
    if isinstance(stmt, Return):
        return Return(stmt.value, stmt.origin)
    return type(stmt)(stmt.origin)


def walk(block):
    """Every statement in a block, nested ones included, in program order."""
    for stmt in block:
        yield stmt
        for inner in getattr(stmt, "blocks", lambda: [])():
            yield from walk(inner)


@dataclass
class Param:
    name: str
    default: object = None
    has_default: bool = False
    kind: str = "positional"
    annotation: object = None


@dataclass
class Function:
    name: str
    params: list
    body: list
    origin: Origin
    source: object = field(repr=False, default=None)
    node: object = field(repr=False, default=None)
    constants: dict = field(repr=False, default_factory=dict)

    @property
    def param_names(self):
        return [p.name for p in self.params]

    @property
    def result(self):
        return self.body[-1]

    @property
    def statements(self):
        return list(walk(self.body))
