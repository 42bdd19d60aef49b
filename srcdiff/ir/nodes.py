"""The three-address intermediate form: one primitive per statement.

Operands are variables, literals or module-level names (which are never differentiated).
Statements keep the source statement they were lowered from, so adjoints can quote it.
Control flow will nest blocks of these statements; straight-line code is a flat list.
"""

from __future__ import annotations

from .records import Record


class Var(Record):
    fields = compared = ("name",)
    hashable = True

    def __init__(self, name):
        self.name = name


class Const(Record):
    fields = compared = ("value", "text")
    hashable = True

    def __init__(self, value, text):
        self.value = value
        self.text = text


class Global(Record):
    """A name from outside the function (a module constant such as ``N`` or ``math.pi``)."""

    fields = compared = ("text", "value", "known", "cell")
    hashable = True

    def __init__(self, text, value=None, known=False, cell=None):
        self.text = text
        self.value = value
        self.known = known
        self.cell = cell


Operand = Var | Const | Global


class Origin(Record):
    """The source statement a lowered statement came from."""

    fields = ("lineno", "col_offset", "text", "node")
    hidden = ("node",)
    compared = ("lineno", "col_offset", "text")
    hashable = True

    def __init__(self, lineno, col_offset, text, node=None):
        self.lineno = lineno
        self.col_offset = col_offset
        self.text = text
        self.node = node


class Call(Record):
    """``target = rule(args)``; ``spelling`` is how the source named the callee. ``form`` is
    ``"method"`` for ``x.spelling(...)`` and ``"attribute"`` for ``x.spelling``, whose
    receiver is the first argument."""

    fields = compared = ("rule", "args", "keywords", "spelling", "index", "form")

    def __init__(self, rule, args, keywords=(), spelling=None, index=None, form=None):
        self.rule = rule
        self.args = args
        self.keywords = keywords
        self.spelling = spelling
        self.index = index
        self.form = form

    def bound(self):
        """Operands by rule parameter name, with the rule's defaults filled in."""
        result = dict(zip(self.rule.params, self.args))
        result.update(self.keywords)
        for param, default in self.rule.defaults.items():
            result.setdefault(param, Const(default, repr(default)))
        return result


class Assign(Record):
    """``target = value``. ``restore=False`` marks a bookkeeping update (a trip counter's
    increment) whose old value the reverse sweep never needs."""

    fields = ("target", "value", "origin", "augmented", "restore")

    def __init__(self, target, value, origin, augmented=False, restore=True):
        self.target = target
        self.value = value
        self.origin = origin
        self.augmented = augmented
        self.restore = restore

    @property
    def is_copy(self):
        return not isinstance(self.value, Call)

    def operands(self):
        if isinstance(self.value, Call):
            return list(self.value.args) + [op for _, op in self.value.keywords]
        return [self.value]


class Return(Record):
    fields = ("value", "origin")

    def __init__(self, value, origin):
        self.value = value
        self.origin = origin

    def operands(self):
        return [self.value]


class If(Record):
    fields = ("test", "body", "orelse", "origin")

    def __init__(self, test, body, orelse, origin):
        self.test = test
        self.body = body
        self.orelse = orelse
        self.origin = origin

    def operands(self):
        return [self.test]

    def blocks(self):
        return [self.body, self.orelse]


class For(Record):
    """``for target in iterable``; ``iterable`` is an operand (a range or a sequence).
    ``orelse`` runs when the loop ends without ``break``; ``trips`` names the counter of
    started iterations where the reverse sweep needs one."""

    fields = ("target", "iterable", "body", "orelse", "origin", "trips")

    def __init__(self, target, iterable, body, orelse, origin, trips=None):
        self.target = target
        self.iterable = iterable
        self.body = body
        self.orelse = orelse
        self.origin = origin
        self.trips = trips

    def operands(self):
        if isinstance(self.iterable, Call):
            return list(self.iterable.args)
        return [self.iterable]

    def blocks(self):
        return [self.body, self.orelse]


class While(Record):
    """``while test``: ``test_body`` recomputes ``test`` before every check."""

    fields = ("test_body", "test", "body", "orelse", "origin", "trips")

    def __init__(self, test_body, test, body, orelse, origin, trips=None):
        self.test_body = test_body
        self.test = test
        self.body = body
        self.orelse = orelse
        self.origin = origin
        self.trips = trips

    def operands(self):
        return [self.test]

    def blocks(self):
        return [self.test_body, self.body, self.orelse]


class Break(Record):
    fields = ("origin",)

    def __init__(self, origin):
        self.origin = origin

    def operands(self):
        return []


class Continue(Record):
    fields = ("origin",)

    def __init__(self, origin):
        self.origin = origin

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
        blocks = getattr(stmt, "blocks", None)
        if blocks is not None:
            for inner in blocks():
                yield from walk(inner)


class Param(Record):
    fields = compared = ("name", "default", "has_default", "kind", "annotation")

    def __init__(self, name, default=None, has_default=False, kind="positional",
                 annotation=None):
        self.name = name
        self.default = default
        self.has_default = has_default
        self.kind = kind
        self.annotation = annotation


class Function(Record):
    fields = ("name", "params", "body", "origin", "source", "node", "constants")
    hidden = ("source", "node", "constants")

    def __init__(self, name, params, body, origin, source=None, node=None, constants=None):
        self.name = name
        self.params = params
        self.body = body
        self.origin = origin
        self.source = source
        self.node = node
        self.constants = {} if constants is None else constants

    def with_body(self, body):
        """The same function with another body (its statements' analyses start afresh)."""
        return Function(self.name, self.params, body, self.origin, self.source, self.node,
                        self.constants)

    @property
    def param_names(self):
        return [p.name for p in self.params]

    @property
    def result(self):
        return self.body[-1]

    @property
    def statements(self):
        return list(walk(self.body))
