"""Tuples, lists and dicts: literals, reading elements, unpacking (nested too), loops over
them, ``lst.append`` in loops and ``lst.pop()``, list comprehensions, ``len`` and ``sum``,
``np.stack`` and ``np.array`` of lists; container arguments come from ``generators``."""

from fuzzing.grammar import E, Rule, views_of
from fuzzing.kinds import FLOAT, Arr, Dct, Float, Int, Lst, Tup, is_float_like

KEYS = ["w", "b", "scale", "bias"]


def _item_kind(w):
    shapes = [w.scope[a].kind.shape for a in w.arrays()]
    if shapes and w.c.chance(0.4):
        return Arr(w.c.pick(shapes))
    return FLOAT


def element(w, kind, depth):
    """``t[0]``, ``d["w"]``, ``lst[-1]``: an element of a container variable."""
    options = []
    for name, var in w.scope.vars.items():
        k = var.kind
        if isinstance(k, Tup):
            options += [f"{name}[{j}]" for j, item in enumerate(k.items) if item == kind]
        elif isinstance(k, Dct):
            options += [f'{name}["{key}"]' for key, item in k.items if item == kind]
        elif isinstance(k, Lst) and k.item == kind and k.min_len > 0:
            options += [f"{name}[{j}]" for j in range(k.min_len)] + [f"{name}[-1]"]
    if not options:
        return None
    text = w.c.pick(options)
    return E(text, kind, views=frozenset([text.split("[")[0]]), atom=True)


def summed(w, kind, depth):
    """``sum(lst)``, ``sum([f(v) for v in lst])``, ``sum((a, b))``, ``len(lst) * x``."""
    lists = w.names(lambda k: isinstance(k, Lst) and k.item == kind
                    and (k.min_len > 0 or isinstance(kind, Float)))
    form = w.c.weighted([(3 if lists else 0, "list"), (2, "comprehension"), (1, "tuple"),
                         (1 if lists and kind == FLOAT else 0, "len")])
    if form == "list":
        return E(f"sum({w.c.pick(lists)})", kind, fresh=True, atom=True)
    if form == "len":
        return E(f"len({w.c.pick(lists)}) * {w.operand(w.expr(FLOAT, depth))}", kind)
    if form == "tuple":
        items = [w.expr(kind, depth).text for _ in range(w.c.integer(2, 3))]
        return E(f"sum(({', '.join(items)}))", kind, fresh=True, atom=True)
    text = comprehension(w, kind, depth)
    if text is None:
        return None
    return E(f"sum({text[0]})", kind, fresh=True, atom=True) if text[1] else None


def comprehension(w, item, depth):
    """A list comprehension with items of kind ``item``; returns its text and whether it is
    surely non-empty (its length, where known)."""
    var = w.new_name("e")
    sources = [n for n in w.scope.vars if isinstance(w.scope[n].kind, Lst)]
    arrays = w.arrays()
    form = w.c.weighted([(3 if sources else 0, "list"), (2, "range"), (2 if arrays else 0, "rows")])
    if form == "list":
        source = w.c.pick(sources)
        kind = w.scope[source].kind
        length, element = kind.length, kind.item
        header = f"for {var} in {source}"
    elif form == "rows":
        source = w.c.pick(arrays)
        shape = w.scope[source].kind.shape
        length, element = shape[0], (FLOAT if len(shape) == 1 else Arr(shape[1:]))
        header = f"for {var} in {source}"
    else:
        length = w.c.integer(1, 4)
        element = Int(0, length - 1)
        header = f"for {var} in range({length})"
    w.define(var, element)
    value = w.expr(item, depth)
    if isinstance(element, Int):
        value = E(f"{w.operand(value)} * {var}", item) if w.c.chance(0.5) else value
    condition = ""
    if w.c.chance(0.15) and is_float_like(element):
        condition, length = f" if {var} > 0.0", None
    del w.scope.vars[var]
    return f"[{value.text} {header}{condition}]", length


def build(w):
    """``t = (a, b)``, ``lst = [a, b]``, ``d = {"w": a, ...}``, ``acc = []``, or a list from a
    comprehension."""
    form = w.c.weighted([(2, "tuple"), (2, "list"), (2, "dict"), (2, "empty"),
                         (2, "comprehension")])
    if form == "comprehension":
        item = _item_kind(w)
        text, length = comprehension(w, item, 1)
        w.bind_new("lst", E(text, Lst(item, length, length or 0), fresh=True))
        return True
    if form == "empty":
        name = w.new_name("acc")
        w.define(name, Lst(_item_kind(w), 0, 0), fresh=True)
        w.line(f"{name} = []")
        return True
    count = w.c.integer(1, 3)
    if form == "list":
        item = _item_kind(w)
        items = [w.expr(item, 1) for _ in range(count)]
        w.bind_new("lst", E(f"[{', '.join(i.text for i in items)}]", Lst(item, count, count),
                            views=views_of(*items), atom=True))
        return True
    kinds = [_item_kind(w) for _ in range(count)]
    items = [w.expr(k, 1) for k in kinds]
    if form == "tuple":
        text = "(" + ", ".join(i.text for i in items) + ("," if count == 1 else "") + ")"
        w.bind_new("t", E(text, Tup(tuple(kinds)), views=views_of(*items), atom=True))
        return True
    keys = KEYS[:count]
    text = "{" + ", ".join(f'"{k}": {i.text}' for k, i in zip(keys, items)) + "}"
    w.bind_new("d", E(text, Dct(tuple(zip(keys, kinds))), views=views_of(*items), atom=True))
    return True


def append(w):
    lists = [n for n in w.names(lambda k: isinstance(k, Lst))
             if n not in w.iterated and w.scope[n].fresh]
    if not lists:
        return False
    name = w.c.pick(lists)
    kind = w.scope[name].kind
    value = w.unshared(w.expr(kind.item, 1))
    for viewed in value.views:
        if viewed in w.scope and not w.aliasing:
            w.scope[viewed].fresh = False
    w.line(f"{name}.append({value.text})")
    length = None if kind.length is None or w.in_loop else kind.length + 1
    w.define(name, Lst(kind.item, length, kind.min_len + (0 if w.in_loop else 1)), fresh=True)
    return True


def pop(w):
    """``v = lst.pop()`` from a list known to hold an item: the list shrinks in place."""
    lists = [n for n in w.names(lambda k: isinstance(k, Lst) and k.min_len > 0)
             if n not in w.iterated and w.scope[n].fresh and not w.in_loop]
    if not lists:
        return False
    name = w.c.pick(lists)
    kind = w.scope[name].kind
    w.bind_new("v", E(f"{name}.pop()", kind.item, views=frozenset([name]), atom=True))
    length = None if kind.length is None else kind.length - 1
    w.define(name, Lst(kind.item, length, kind.min_len - 1), fresh=True)
    return True


def append_loop(w):
    """``acc = []``, then ``acc.append(...)`` in a loop over ``range``."""
    if w.nest >= w.max_nest:
        return False
    from fuzzing.sizes import range_header
    name = w.new_name("acc")
    item = _item_kind(w)
    w.line(f"{name} = []")
    w.define(name, Lst(item, 0, 0), fresh=True)
    header, index_kind, _ = range_header(w)
    index = w.new_name("i")

    def body():
        w.block(0, 1)
        value = w.unshared(w.expr(item, 1))
        w.line(f"{name}.append({value.text})")
        if w.c.chance(0.3):
            # The item just appended comes back out and goes in again, changed: a pop
            # inside a loop, which the reverse sweep undoes with an append.
            last = w.new_name("v")
            w.bind(last, E(f"{name}.pop()", item, views=frozenset([name]), atom=True))
            w.line(f"{last} = {name}.pop()")
            again = w.unshared(w.expr(item, 1))
            w.line(f"{name}.append({again.text})")

    w.loop(f"for {index} in {header}:", [(index, index_kind, frozenset())],
           body=body)
    return True


def unpack(w):
    """``p, q = t``, ``(p, q), r = nested``, ``a, b = lst`` for containers of known length."""
    options = [n for n, v in w.scope.vars.items()
               if (isinstance(v.kind, Tup) and 1 < len(v.kind.items) <= 3)
               or (isinstance(v.kind, Lst) and v.kind.length in (2, 3))]
    if not options:
        return False
    source = w.c.pick(options)
    kind = w.scope[source].kind
    items = kind.items if isinstance(kind, Tup) else (kind.item,) * kind.length
    names = [w.new_name("p") for _ in items]
    spelled = []
    for name, item in zip(names, items):
        if isinstance(item, Tup) and len(item.items) == 2 and w.c.chance(0.7):
            inner = [w.new_name("p"), w.new_name("p")]
            for n, k in zip(inner, item.items):
                w.bind(n, E(n, k, views=frozenset([source])))
            spelled.append(f"({inner[0]}, {inner[1]})")
        else:
            w.bind(name, E(name, item, views=frozenset([source])))
            spelled.append(name)
    w.line(f"{', '.join(spelled)} = {source}")
    return True


def loop_over(w):
    """``for v in lst:`` over a list, or a tuple whose items share a kind."""
    if w.nest >= w.max_nest:
        return False
    options = [n for n, v in w.scope.vars.items()
               if (isinstance(v.kind, Lst)) or (isinstance(v.kind, Tup) and v.kind.items
                                                and len(set(v.kind.items)) == 1)]
    if not options:
        return False
    source = w.c.pick(options)
    kind = w.scope[source].kind
    item = kind.item if isinstance(kind, Lst) else kind.items[0]
    name = w.new_name("v")
    if w.c.chance(0.3) and not (isinstance(kind, Lst) and kind.length is None):
        index = w.new_name("k")
        count = kind.length if isinstance(kind, Lst) else len(kind.items)
        w.loop(f"for {index}, {name} in enumerate({source}):",
               [(index, Int(0, max(count - 1, 0)), frozenset()),
                (name, item, frozenset([source]))], iterates=frozenset([source]))
    else:
        w.loop(f"for {name} in {source}:", [(name, item, frozenset([source]))],
               iterates=frozenset([source]))
    return True


def stacked(w, kind, depth):
    """``np.stack(lst)``, ``np.array(lst)``, ``np.concatenate(lst)`` of a list of known
    length, and ``np.array([a, b])``."""
    shape = kind.shape
    lists = [n for n, v in w.scope.vars.items() if isinstance(v.kind, Lst)
             and v.kind.length == shape[0] and v.kind.item == (
                 FLOAT if len(shape) == 1 else Arr(shape[1:]))]
    if lists:
        name = w.c.pick(lists)
        op = "np.array" if len(shape) == 1 else w.c.pick(["np.stack", "np.array"])
        return E(f"{op}({name})", kind, fresh=True, atom=True)
    return None


RULES = [
    Rule("containers", "float", 5, element),
    Rule("containers", "array", 4, element),
    Rule("containers", "float", 3, summed),
    Rule("containers", "array", 2, summed),
    Rule("containers", "array", 2, stacked),
    Rule("containers", "stmt", 5, build),
    Rule("containers", "stmt", 4, append),
    Rule("containers", "stmt", 2, append_loop),
    Rule("containers", "stmt", 2, pop),
    Rule("containers", "stmt", 3, unpack),
    Rule("containers", "stmt", 2, loop_over),
]
