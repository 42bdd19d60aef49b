"""Calls: module-level helpers (positional, keyword and default arguments, tuple results)
that call each other two and three deep; closures made by a factory at module level
(``h2 = make(2.0); h5 = make(5.0)``, both called); functions with rules of the user's own
(``defvjp``, ``vjp_of``, ``defjvp``, ``nondifferentiable``); nested ``def``s and lambdas inside the
function that read its variables; all of them usable inside loops.

srcdiff assumes a user function's result may view its array arguments, so a call's result
counts as a view of the arrays passed to it (see ``grammar``'s memory rules)."""

from dataclasses import dataclass

from fuzzing.grammar import E, Fn, Rule, Var, Writer
from fuzzing.kinds import FLOAT, Arr, Float, Tup

ELEMENTWISE_BODIES = [
    "{c} * {v}", "np.sin({v}) * {c} + {v}", "{v} * {v} * {c}", "np.tanh({c} * {v})",
    "{v} / (1.0 + {c} * {c})", "{c} * {v} - np.cos({v})", "np.exp(-{c} * {v} * {v})",
]


@dataclass
class Helper:
    name: str
    params: list  # (name, kind, default text or None)
    result: object


def _elementwise(c, first, others):
    """A body elementwise in ``first`` (a float or an array) that also reads ``others``
    (float names)."""
    text = c.pick(ELEMENTWISE_BODIES).format(v=first, c=c.pick(others) if others else "0.7")
    if others and c.chance(0.5):
        text = f"{text} + {c.pick(others)} * {c.pick(['np.sin', 'np.cos', ''])}({first})"
    return text


def write_helpers(choices, profile, rules, module, shapes, count):
    """``count`` helpers, each calling the previous one most of the time."""
    for number in range(count):
        name = f"helper{number + 1}"
        params = []
        kinds = [FLOAT] + [Arr(s) for s in shapes]
        for position in range(choices.integer(1, 2)):
            params.append((f"a{position}", choices.pick(kinds), None))
        if choices.chance(0.6):
            params.append(("b", FLOAT, choices.pick(["0.5", "2.0", "-1.0"])))
        arrays = [k for _, k, _ in params if isinstance(k, Arr)]
        result = choices.weighted([(4, FLOAT), (2 if arrays else 0, arrays[0] if arrays else None),
                                   (2, Tup((FLOAT, choices.pick([FLOAT] + arrays))))])
        writer = Writer(choices, profile, rules, module, max_nest=1,
                        budget=choices.integer(0, 2), max_depth=2, result=result)
        for p, kind, _ in params:
            writer.define(p, kind)
        for const, kind in module.constants:
            writer.constant(const, kind)
        writer.params = [p for p, _, _ in params]
        writer.top_level = False
        writer.helper = True
        while writer.budget > 0:
            writer.statement()
        writer.line(f"return {_result(writer, result)}")
        signature = [p if default is None else f"{p}={default}" for p, _, default in params]
        module.blocks.append(f"def {name}({', '.join(signature)}):\n" + "\n".join(writer.lines))
        module.helpers.append(Helper(name, params, result))


def _result(w, kind):
    if isinstance(kind, Tup):
        return ", ".join(_result(w, item) for item in kind.items)
    e = None
    if w.module.helpers and w.c.chance(0.7):
        e = helper_call(w, kind, 1, latest=True)
    return (e or w.expr(kind)).text


def write_factories(choices, module):
    """``def make(c)`` returning a nested ``def`` or a lambda, and two closures from it."""
    body = _elementwise(choices, "v", ["c"])
    if choices.chance(0.5):
        text = f"def make(c):\n    def h(v):\n        return {body}\n    return h"
    else:
        text = f"def make(c):\n    return lambda v: {body}"
    first, second = choices.pick(["2.0", "0.5"]), choices.pick(["5.0", "-1.5"])
    module.blocks.append(text)
    module.blocks.append(f"h2 = make({first})\nh5 = make({second})")
    module.closures += ["h2", "h5"]


USER_RULES = """def softplus(v):
    return np.log1p(np.exp(v))


srcdiff.defvjp(softplus, lambda g, ans, v: g / (1.0 + np.exp(-v)))
srcdiff.defjvp(softplus, lambda t, ans, v: t / (1.0 + np.exp(-v)))


def huber(v, delta):
    return np.where(np.abs(v) <= delta, 0.5 * v * v, delta * (np.abs(v) - 0.5 * delta))


@srcdiff.vjp_of(huber)
def huber_vjp(g, ans, v, delta):
    return g * np.clip(v, -delta, delta)


srcdiff.defjvp(huber, lambda t, ans, v, delta: t * np.clip(v, -delta, delta))


@srcdiff.nondifferentiable
def staircase(v):
    return np.floor(v * 2.0) / 2.0"""


def write_user_rules(module):
    """Functions with rules of the user's own (``defvjp``, ``vjp_of``, ``defjvp``,
    ``nondifferentiable``)."""
    module.blocks.append(USER_RULES)
    module.user_rules += ["softplus", "huber", "staircase"]


def user_rule_call(w, kind, depth):
    if not w.module.user_rules:
        return None
    value = w.expr(kind, depth)
    form = w.c.pick(["softplus({})", "huber({}, 0.5)", "staircase({0}) * {0}"])
    return E(form.format(w.operand(value) if "*" in form else value.text), kind, fresh=True,
             atom="*" not in form)


def helper_call(w, kind, depth, latest=False):
    """A call of a module helper whose result (or an element of it) has ``kind``."""
    helpers = w.module.helpers[-1:] if latest else w.module.helpers
    options = []
    for helper in helpers:
        if helper.result == kind:
            options.append((helper, None))
        elif isinstance(helper.result, Tup):
            options += [(helper, j) for j, item in enumerate(helper.result.items) if item == kind]
    if not options:
        return None
    helper, element = w.c.pick(options)
    text, views = call_text(w, helper, depth)
    if element is not None:
        return E(f"{text}[{element}]", kind, views=views, atom=True)
    return E(text, kind, views=views, atom=True)


def call_text(w, helper, depth):
    parts, views = [], frozenset()
    keywords = False
    for name, kind, default in helper.params:
        if default is not None and w.c.chance(0.4):
            keywords = True
            continue
        value = w.expr(kind, depth)
        views |= value.views
        if keywords or (default is not None and w.c.chance(0.5)) or (
                w.c.chance(0.15)):
            keywords = True
            parts.append(f"{name}={value.text}")
        else:
            parts.append(value.text)
    return f"{helper.name}({', '.join(parts)})", views


def helper_rule(w, kind, depth):
    return helper_call(w, kind, depth)


def unpack_call(w):
    """``p, q = helper(...)`` for a helper with a tuple result."""
    helpers = [h for h in w.module.helpers if isinstance(h.result, Tup)]
    if not helpers:
        return False
    helper = w.c.pick(helpers)
    text, views = call_text(w, helper, 1)
    names = [w.new_name("p") for _ in helper.result.items]
    for name, item in zip(names, helper.result.items):
        w.bind(name, E(name, item, views=views if isinstance(item, Arr) else frozenset()))
    w.line(f"{', '.join(names)} = {text}")
    return True


def function_call(w, kind, depth):
    """A call of a nested function, lambda or factory-made closure, elementwise in its first
    argument; the two closures from one factory are called side by side."""
    names = [n for n, v in w.scope.vars.items() if isinstance(v.kind, Fn)
             and (isinstance(kind, Float) or not v.kind.scalar_only)]
    names += list(w.module.closures)
    if not names:
        return None
    name = w.c.pick(names)
    fn = w.scope[name].kind if name in w.scope else Fn(("v",))
    first = w.expr(kind, depth)
    args = [first.text] + [w.expr(FLOAT, depth).text for _ in fn.required[1:]]
    for optional in fn.optional:
        if w.c.chance(0.5):
            args.append(f"{optional}={w.expr(FLOAT, depth).text}")
    text = f"{name}({', '.join(args)})"
    if name in w.module.closures and w.c.chance(0.5):
        other = w.c.pick(w.module.closures)
        text = f"{text} + {other}({w.expr(kind, depth).text})"
        return E(text, kind, views=first.views)
    return E(text, kind, views=first.views, atom=True)


def immediate_lambda(w, kind, depth):
    enclosing = w.floats()
    value = w.expr(kind, depth)
    body = _elementwise(w.c, "u", enclosing)
    for name in enclosing:
        w.scope[name].pinned = True
    return E(f"(lambda u: {body})({value.text})", kind, views=value.views, atom=True)


def nested_def(w):
    """A nested ``def`` or named lambda reading the function's float variables, defined at
    the top of the body so that every later call sees it."""
    if not w.top_level or w.result != FLOAT or w.in_loop:
        return False
    enclosing = [n for n in w.floats() if isinstance(w.scope[n].kind, Float)]
    name = w.new_name("g")
    form = w.c.weighted([(3, "def"), (2, "lambda"), (1, "branching")])
    for var in enclosing:
        w.scope[var].pinned = True
    optional = ("k",) if form == "def" and w.c.chance(0.5) else ()
    reads = enclosing + list(optional)
    if form == "lambda":
        w.line(f"{name} = lambda v: {_elementwise(w.c, 'v', reads)}")
    elif form == "def":
        signature = "v" + (", k=1.5" if optional else "")
        w.line(f"def {name}({signature}):")
        w.line(f"    return {_elementwise(w.c, 'v', reads)}")
    else:
        w.line(f"def {name}(v):")
        w.line(f"    if v > {w.c.pick(['0.0', '0.5'])}:")
        w.line(f"        return {_elementwise(w.c, 'v', reads)}")
        w.line("    t = v * v")
        w.line(f"    return t * {w.c.pick(reads) if reads else '0.5'}")
    w.scope.vars[name] = Var(Fn(("v",), optional, scalar_only=form == "branching"))
    return True


RULES = [
    Rule("calls", "float", 2, user_rule_call),
    Rule("calls", "array", 2, user_rule_call),
    Rule("calls", "float", 5, helper_rule),
    Rule("calls", "array", 4, helper_rule),
    Rule("calls", "float", 3, function_call),
    Rule("calls", "array", 3, function_call),
    Rule("calls", "float", 1, immediate_lambda),
    Rule("calls", "stmt", 3, unpack_call),
    Rule("calls", "stmt", 3, nested_def),
]
