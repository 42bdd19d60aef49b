"""Scalars and control flow: arithmetic, ``math`` and builtins, complex intermediates, edge
points (``x ** 0``), conditions, ``if``/``elif``/``else``, ``for`` over ``range`` in every
form, ``while``, ``break``/``continue``/``else``, early ``return``, and the loop patterns
that are hard for a reverse sweep (loop variables reassigned, variables first assigned in a
branch and read in later iterations, loop targets that shadow a parameter)."""

from fuzzing.grammar import E, Rule, atomic
from fuzzing.kinds import FLOAT, Arr, Float, Int
from fuzzing.sizes import range_header

UNARY = [
    "math.sin({})", "math.cos({})", "math.tanh({})", "math.atan({})", "math.exp(math.sin({}))",
    "math.sqrt(1.0 + {0} * {0})", "math.log(2.0 + math.cos({}))", "math.log1p({0} * {0})",
    "math.log2(1.5 + math.sin({}))", "math.log10(2.0 + {0} * {0})",
    "math.log(1.5 + {0} * {0}, 3.0)", "math.expm1(math.sin({}))", "math.sinh(math.sin({}))",
    "math.cosh(math.sin({}))", "math.asinh({})", "math.acosh(1.5 + {0} * {0})",
    "math.atanh(0.5 * math.tanh({}))", "math.asin(0.9 * math.sin({}))",
    "math.acos(0.9 * math.cos({}))", "math.erf({})", "math.erfc({})", "math.degrees({}) * 0.01",
    "math.radians({})", "math.fabs({})", "math.hypot({}, 1.5)", "math.tan(0.5 * math.sin({}))",
    "math.floor({0}) + {0}", "math.ceil({0}) * {0}", "math.trunc(float({0})) - {0}",
    "np.sin({})",
    "np.tanh({})", "np.exp(np.cos({}))", "np.square({})", "np.arctan({})",
    "np.cbrt(1.0 + {0} * {0})", "np.sinc({})", "-{}", "+{}",
]
BINARY = [
    "{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / (2.0 + math.cos({b}))", "{a} / {b}",
    "math.atan2({a}, 3.0 + {b} * {b})", "math.hypot({a}, {b})",
    "math.pow(1.5 + math.sin({a}), {b})",
    "math.log(1.0 + {a} * {a}, 2.0 + {b} * {b})", "np.maximum({a}, {b})", "np.logaddexp({a}, {b})",
    "np.arctan2({a}, {b})",
]
POWERS = [
    "{a} ** 2", "{a} ** 3", "{a} ** 0", "{a} ** 1", "abs({a}) ** 2.5", "(1.0 + {a} * {a}) ** {b}",
    "pow({a}, 2)", "pow(1.5 + math.cos({a}), {b})", "(2.0 + math.sin({a})) ** -1.5",
    "{a} ** {k}",
]
BUILTINS = [
    "abs({a})", "max({a}, {b})", "min({a}, {b})", "max({a}, {b}, {c})", "min({a}, {b}, {c})",
    "float({a})", "round({a} * 1.0) * {b}", "int({a} > 0.0) * {b}", "bool({a} > {b}) * {c}",
]
MODULO = ["{a} % 1.5", "{a} % (2.0 + {b} * {b})", "np.fmod({a}, 0.7)"]
COMPLEX = [
    "abs({a} + 1j * {b})", "np.abs({a} - 1j * {b})", "abs(({a} + 1j * {b}) * (0.5 - 1j * {c}))",
    "np.abs(np.exp(1j * {a}) * {b})", "abs(({a} + 0.5j) ** 2)", "abs({a} * 1j + {b})",
]
LIMITS = ["-0.5", "0.0", "0.4", "1.0", "-1.0"]


def _operands(w, depth, count=3):
    return [w.operand(w.expr(FLOAT, depth)) for _ in range(count)]


def _template(templates):
    def rule(w, kind, depth):
        a, b, c = _operands(w, depth)
        template = w.c.pick(templates)
        k = w.c.integer(0, 4)
        text = template.format(a, a=a, b=b, c=c, k=k)
        return E(text, FLOAT, atom=atomic(text))
    return rule


def from_integer(w, kind, depth):
    ints = w.names(lambda k: isinstance(k, Int))
    if not ints:
        return None
    name = w.c.pick(ints)
    other = w.operand(w.expr(FLOAT, depth))
    return E(w.c.pick([f"0.1 * {name}", f"float({name}) * {other}", f"{other} * {name}"]),
             FLOAT)


def polynomial(w, kind, depth):
    """``sum([c[k] * x ** k for k in range(3)])``: the k = 0 term is the edge point x ** 0,
    which arguments at 0.0 reach."""
    index = w.new_name("k")
    coefficients = [n for n in w.names(lambda k: isinstance(k, Arr) and k.rank == 1)
                    if w.scope[n].readonly]
    name = w.c.pick(coefficients) if coefficients and w.c.chance(0.6) else None
    count = w.scope[name].kind.shape[0] if name else 3
    name = name or w.c.pick(["(0.5, -1.0, 2.0)", "(1.0, 0.5, 0.25)"])
    x = w.operand(w.expr(FLOAT, depth))
    return E(f"sum([{name}[{index}] * {x} ** {index} for {index} in range({count})])", FLOAT,
             atom=True)


def ternary(w, kind, depth):
    a, b = w.expr(FLOAT, depth), w.expr(FLOAT, depth)
    return E(f"{w.operand(a)} if {w.condition()} else {w.operand(b)}", FLOAT)


# -- conditions -------------------------------------------------------------------------------

def comparison(w):
    a = w.operand(w.expr(FLOAT, 1))
    form = w.c.weighted([(4, "limit"), (2, "pair"), (1, "chain"), (1, "chain2"), (2, "and"),
                         (1, "or"), (1, "not")])
    limit = w.c.pick(LIMITS)
    if form == "limit":
        return f"{a} {w.c.pick(['>', '<', '>=', '<='])} {limit}"
    b = w.operand(w.expr(FLOAT, 1))
    if form == "pair":
        return f"{a} < {b}"
    if form == "chain":
        return f"-0.5 < {a} < {b}"
    if form == "chain2":
        return f"{a} < {b} <= {w.c.pick(LIMITS[2:])}"
    if form == "and":
        return f"{a} > {limit} and {b} < 1.0"
    if form == "or":
        return f"{a} > 0.5 or {b} < {limit}"
    return f"not {a} > {limit}"


def integer_condition(w):
    ints = w.names(lambda k: isinstance(k, Int))
    if not ints:
        return None
    name = w.c.pick(ints)
    kind = w.scope[name].kind
    return w.c.pick([f"{name} % 2 == 0", f"{name} > 1", f"{name} == {kind.low}",
                     f"{name} > {kind.low} and {w.operand(w.expr(FLOAT, 1))} < 1.0"])


# -- statements -------------------------------------------------------------------------------

def augmented(w):
    names = w.targets(lambda k: isinstance(k, Float))
    if w.helper:
        # A helper's float parameter may be handed a 0-d array (np.where's result, a user
        # rule's), which ``*=`` would change in place: srcdiff rightly refuses that.
        names = [n for n in names if n not in w.params]
    if not names:
        return False
    name = w.c.pick(names)
    value = w.operand(w.expr(FLOAT, 1))
    op = w.c.weighted([(3, "+="), (2, "-="), (2, "*="), (1, "/="), (1, "**=")])
    if op == "/=":
        value = f"(2.0 + math.cos({value}))"
    if op == "**=":
        value = w.c.pick(["2", "3"])
    w.line(f"{name} {op} {value}")
    return True


def tuple_assignment(w):
    names = w.targets(lambda k: isinstance(k, Float))
    form = w.c.weighted([(2, "pair"), (2, "swap"), (1, "nested")])
    if form == "swap" and len(names) >= 2:
        a, b = w.c.pick(names), w.c.pick(names)
        if a != b:
            w.line(f"{a}, {b} = {b}, {a}")
            return True
        return False
    targets = [w.c.pick(names) if names and w.c.chance(0.5) else w.new_name("s")
               for _ in range(3 if form == "nested" else 2)]
    if len(set(targets)) != len(targets):
        return False
    values = [w.expr(FLOAT, 1) for _ in targets]
    for name, value in zip(targets, values):
        w.bind(name, value)
    if form == "nested":
        w.line(f"({targets[0]}, {targets[1]}), {targets[2]} = ({values[0].text}, "
               f"{values[1].text}), {values[2].text}")
    else:
        w.line(f"{targets[0]}, {targets[1]} = {values[0].text}, {values[1].text}")
    return True


def if_statement(w):
    if w.nest >= w.max_nest:
        return False
    arms = w.c.weighted([(3, 1), (1, 2)])
    w.branches([w.condition() for _ in range(arms)], with_else=w.c.chance(0.5))
    return True


def for_range(w):
    if w.nest >= w.max_nest:
        return False
    header, index_kind, _ = range_header(w)
    index = w.new_name("i")

    def body():
        if w.c.chance(0.15):
            reassign_index(w, index)
        w.block()

    w.loop(f"for {index} in {header}:", [(index, index_kind, frozenset())],
           body=body, orelse=w.c.chance(0.15))
    return True


def reassign_index(w, index):
    """``i = hi + lo - i`` and friends: the loop variable changes inside the body, staying in
    a known range so that it still indexes where it may."""
    kind = w.scope[index].kind
    options = [(f"{kind.high + kind.low} - {index}", kind),
               (f"min({index} + 1, {kind.high})", Int(min(kind.low + 1, kind.high), kind.high))]
    if kind.low >= 0:
        options.append((f"{index} // 2", Int(kind.low // 2, kind.high // 2)))
    text, new_kind = w.c.pick(options)
    w.line(f"{index} = {text}")
    w.define(index, new_kind)


def while_loop(w):
    if w.nest >= w.max_nest:
        return False
    counter = w.new_name("c")
    bound = w.c.pick(["1", "2", "3", "4"])
    w.line(f"{counter} = 0")
    w.define(counter, Int(0, int(bound)))
    condition = f"{counter} < {bound} and ({w.condition()})"

    def body():
        w.line(f"{counter} += 1")
        w.block()

    w.loop(f"while {condition}:", body=body, orelse=w.c.chance(0.15))
    return True


def jump(w):
    if not w.in_loop:
        return False
    word = w.c.pick(["break", "continue"])
    condition = integer_condition(w) if w.c.chance(0.4) else None
    w.line(f"if {condition or w.condition()}:")
    with w.indented():
        if w.c.chance(0.3):
            augmented(w)
        w.line(word)
    return True


def early_return(w):
    if w.top_level:
        return False
    w.line(f"if {w.condition()}:")
    with w.indented():
        w.line(f"return {w.expr(w.result).text}")
    return True


def carried_first_assignment(w):
    """A variable first assigned in a branch of a loop and read in later iterations:
    ``if i == 0: p = ...`` / ``else: s = s + p * ...``."""
    if w.nest >= w.max_nest:
        return False
    floats = w.targets(lambda k: isinstance(k, Float))
    if not floats:
        return False
    total = w.c.pick(floats)
    header, index_kind, first = range_header(w)
    if first is None:
        return False
    index, carried = w.new_name("i"), w.new_name("p")

    def body():
        w.line(f"if {index} == {first}:")
        with w.indented():
            w.line(f"{carried} = {w.expr(FLOAT, 1).text}")
        w.line("else:")
        with w.indented():
            w.define(carried, FLOAT)
            value = w.operand(w.expr(FLOAT, 1))
            w.line(f"{total} = {total} + {carried} * {value}")
            if w.c.chance(0.5):
                w.line(f"{carried} = {carried} * {w.c.pick(['0.5', '1.5'])}")
            del w.scope.vars[carried]

    w.loop(f"for {index} in {header}:", [(index, index_kind, frozenset())],
           body=body)
    return True


def shadowing_loop(w):
    """A loop target that shadows a parameter of the same kind: ``for x in u:`` with x a
    float parameter, ``for v in a:`` with v a row-shaped parameter."""
    if w.nest >= w.max_nest:
        return False
    options = []
    for name in w.params:
        kind = w.scope[name].kind if name in w.scope else None
        if isinstance(kind, Float) and not w.scope[name].pinned:
            options += [(name, a) for a in w.arrays() if w.scope[a].kind.rank == 1]
        elif isinstance(kind, Arr) and kind.rank == 1 and not (
                w.scope[name].fresh or w.scope[name].owned):
            # a fresh array would become a view of the iterable, which loops must not do
            options += [(name, a) for a in w.arrays() if w.scope[a].kind.shape[1:] == kind.shape
                        and w.scope[a].kind.rank == 2]
    if not options:
        return False
    target, source = w.c.pick(options)
    kind = w.scope[target].kind
    w.loop(f"for {target} in {source}:", [(target, kind, frozenset([source]))])
    return True


def rows_loop(w):
    """``for r in a``, ``for k, r in enumerate(a)``, ``for p, q in zip(u, v)``."""
    if w.nest >= w.max_nest or not w.arrays():
        return False
    source = w.c.pick(w.arrays())
    kind = w.scope[source].kind
    row = FLOAT if kind.rank == 1 else Arr(kind.shape[1:])
    name = w.new_name("r")
    form = w.c.pick(["rows", "enumerate", "zip"])
    views = frozenset([source])
    if form == "rows":
        w.loop(f"for {name} in {source}:", [(name, row, views)])
    elif form == "enumerate":
        index = w.new_name("k")
        w.loop(f"for {index}, {name} in enumerate({source}):",
               [(index, Int(0, max(kind.shape[0] - 1, 0)), frozenset()), (name, row, views)])
    else:
        others = [a for a in w.arrays() if w.scope[a].kind.rank == 1]
        if not others:
            return False
        other = w.c.pick(others)
        second = w.new_name("q")
        w.loop(f"for {name}, {second} in zip({source}, {other}):",
               [(name, row, views), (second, FLOAT, frozenset([other]))])
    return True


RULES = [
    Rule("scalar", "float", 10, _template(UNARY)),
    Rule("scalar", "float", 10, _template(BINARY)),
    Rule("scalar", "float", 4, _template(POWERS)),
    Rule("scalar", "float", 3, _template(BUILTINS)),
    Rule("scalar", "float", 1, _template(MODULO)),
    Rule("scalar", "float", 1, _template(COMPLEX)),
    Rule("scalar", "float", 1, from_integer),
    Rule("scalar", "float", 1, polynomial),
    Rule("control", "float", 1, ternary),
    Rule("scalar", "stmt", 6, augmented),
    Rule("scalar", "stmt", 2, tuple_assignment),
    Rule("control", "stmt", 5, if_statement),
    Rule("control", "stmt", 5, for_range),
    Rule("control", "stmt", 2, while_loop),
    Rule("control", "stmt", 3, jump),
    Rule("control", "stmt", 2, early_return),
    Rule("control", "stmt", 1, carried_first_assignment),
    Rule("control", "stmt", 1, shadowing_loop),
    Rule("control", "stmt", 2, rows_loop),
    Rule("control", "cond", 6, lambda w: comparison(w)),
    Rule("control", "cond", 2, integer_condition),
    Rule("scalar", "cond", 2, lambda w: comparison(w)),
]
