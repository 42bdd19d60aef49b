"""Integers: sizes, bounds and indices, from literals, int arguments, ``len``, ``.shape``,
``.size`` and local tuples of sizes (``dims = (5, 2); np.zeros(dims)``).

The grammar knows every integer's possible values (``kinds.Int``), so an index is only
generated where it is in range, and a size only where it has exactly the value needed.
"""

import itertools

from fuzzing.grammar import E, Rule, call
from fuzzing.kinds import FLOAT, Arr, Int, Lst, Tup, exact, size


def _weight(w):
    """How strongly to prefer sizes computed from variables over literals."""
    return 1 + 3 * w.profile.get("sizes", 0)


def int_vars(w):
    return [n for n in w.names(lambda k: isinstance(k, Int))]


def size_expr(w, value):
    """An int expression whose value is exactly ``value``."""
    s = _weight(w)
    options = [(4, E(str(value), exact(value), atom=value >= 0))]
    for name in int_vars(w):
        kind = w.scope[name].kind
        if not kind.exact:
            continue
        if kind.low == value:
            options.append((3 * s, E(name, kind, atom=True)))
        elif kind.low == value - 1:
            options.append((s, E(f"{name} + 1", exact(value))))
        elif kind.low == value + 1:
            options.append((s, E(f"{name} - 1", exact(value))))
        elif kind.low * 2 == value:
            options.append((s, E(f"2 * {name}", exact(value))))
    for name in w.arrays():
        shape = w.scope[name].kind.shape
        for axis, dim in enumerate(shape):
            if dim == value:
                options.append((s, E(f"{name}.shape[{axis}]", exact(value), atom=True)))
                if axis == 0:
                    options.append((s, E(f"len({name})", exact(value), atom=True)))
        if size(shape) == value:
            options.append((s, E(f"{name}.size", exact(value), atom=True)))
        if len(shape) == value:
            options.append((1, E(f"{name}.ndim", exact(value), atom=True)))
    for name in w.names(lambda k: isinstance(k, Lst) and k.length == value):
        options.append((s, E(f"len({name})", exact(value), atom=True)))
    for name in w.names(lambda k: isinstance(k, Tup) and k.items and all(
            isinstance(i, Int) and i.exact for i in k.items)):
        for j, item in enumerate(w.scope[name].kind.items):
            if item.low == value:
                options.append((s, E(f"{name}[{j}]", exact(value), atom=True)))
    return w.c.weighted(options)


def shape_expr(w, shape):
    """The text of a shape argument for ``np.zeros`` and friends."""
    s = _weight(w)
    options = [(2, "tuple")]
    if len(shape) == 1:
        options.append((2, "bare"))
    same = [n for n in w.arrays(shape)]
    if same:
        options.append((s, "shape"))
    dims = w.names(lambda k: k == Tup(tuple(exact(d) for d in shape)))
    if dims:
        options.append((2 * s, "dims"))
    how = w.c.weighted(options)
    if how == "bare":
        return size_expr(w, shape[0]).text
    if how == "shape":
        return f"{w.c.pick(same)}.shape"
    if how == "dims":
        return w.c.pick(dims)
    parts = [size_expr(w, d).text for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def bound_expr(w):
    """A loop bound: an int expression with a known range of values."""
    s = _weight(w)
    options = [(3, "literal")]
    ints = int_vars(w)
    if ints:
        options += [(2 * s, "var"), (s, "var+1")]
    if w.arrays():
        options.append((2 * s, "len"))
    how = w.c.weighted(options)
    if how == "literal":
        value = w.c.weighted([(1, 0), (2, 1), (3, 2), (3, 3), (1, 4)])
        return E(str(value), exact(value), atom=True)
    if how in ("var", "var+1"):
        name = w.c.pick(ints)
        kind = w.scope[name].kind
        if how == "var":
            return E(name, kind, atom=True)
        return E(f"{name} + 1", Int(kind.low + 1, kind.high + 1))
    name = w.c.pick(w.arrays())
    shape = w.scope[name].kind.shape
    axis = w.c.integer(0, len(shape) - 1)
    text = f"len({name})" if axis == 0 and w.c.chance(0.5) else f"{name}.shape[{axis}]"
    if w.c.chance(0.1):
        return E(f"{name}.ndim", exact(len(shape)), atom=True)
    return E(text, exact(shape[axis]), atom=True)


def index_expr(w, dim):
    """An index into an axis of length ``dim`` (>= 1): a literal, or an int variable (a loop
    index, an argument) where its every value is in range."""
    options = [(3, E(str(k), exact(k), atom=k >= 0)) for k in {0, dim - 1, -1, dim // 2}]
    s = 1 + 2 * w.profile.get("indexing", 0) + (4 if w.in_loop else 0)
    for name in int_vars(w):
        kind = w.scope[name].kind
        for text, low, high in [(name, kind.low, kind.high),
                                (f"{name} - 1", kind.low - 1, kind.high - 1),
                                (f"{name} + 1", kind.low + 1, kind.high + 1),
                                (f"{name} % {dim}", 0, dim - 1)]:
            if -dim <= low and high < dim:
                options.append((s, E(text, Int(low, high), atom=text == name)))
    return w.c.weighted(options)


def range_values(start, stop, step):
    """Every value a loop index may take, for bounds with ranges of values."""
    values = set()
    for a, b, c in itertools.product(start, stop, step):
        values.update(range(a, b, c))
    return values


def range_header(w):
    """``range(...)`` in one of its forms; the kind of its index, and its first value where
    that is known."""
    form = w.c.weighted([(4, "stop"), (2, "start"), (1, "step"), (1, "down"),
                         (1, "reversed")])
    stop = bound_expr(w)
    stops = range(stop.kind.low, stop.kind.high + 1)
    first = 0
    if form == "stop":
        text, values = f"range({stop.text})", range_values([0], stops, [1])
    elif form == "start":
        first = w.c.integer(0, 2)
        text, values = f"range({first}, {stop.text})", range_values([first], stops, [1])
    elif form == "step":
        first, step = w.c.integer(0, 1), w.c.integer(2, 3)
        text = f"range({first}, {stop.text}, {step})"
        values = range_values([first], stops, [step])
    elif form == "reversed":
        first = w.c.integer(0, 1)
        text = f"reversed(range({first}, {stop.text}))" if first else (
            f"reversed(range({stop.text}))")
        values = range_values([first], stops, [1])
        first = stop.kind.low - 1 if stop.kind.exact and values else None
    else:
        text = f"range({stop.text} - 1, -1, -1)"
        values = range_values([s - 1 for s in stops], [-1], [-1])
        first = stop.kind.low - 1 if stop.kind.exact else None
    if not values:
        return text, Int(0, 0), first
    return text, Int(min(values), max(values)), first


# -- sizes-area rules -------------------------------------------------------------------------

def creation(w, kind, depth):
    shape = kind.shape
    value = w.expr(FLOAT, depth)
    form = w.c.weighted([(3, "ones"), (2, "full"), (1, "zeros"), (1, "like"),
                         (1 if len(shape) == 2 and shape[0] == shape[1] else 0, "eye"),
                         (1 if len(shape) == 1 else 0, "arange"),
                         (1 if len(shape) == 1 else 0, "linspace")])
    if form == "ones":
        text = f"np.ones({shape_expr(w, shape)}) * {w.operand(value)}"
        return E(text, kind, fresh=True)
    if form == "full":
        return E(call("np.full", shape_expr(w, shape), value), kind, fresh=True, atom=True)
    if form == "zeros":
        other = w.expr(kind, depth)
        return E(f"np.zeros({shape_expr(w, shape)}) + {w.operand(other)}", kind, fresh=True)
    if form == "like":
        other = w.expr(kind, depth)
        like = w.c.pick(["np.ones_like({}) * {}", "np.full_like({}, {})",
                         "np.zeros_like({}) + {}"])
        return E(like.format(other.text, w.operand(value)), kind, fresh=True)
    if form == "eye":
        return E(f"np.eye({size_expr(w, shape[0]).text}) * {w.operand(value)}", kind,
                 fresh=True)
    if form == "arange":
        return E(f"np.arange({size_expr(w, shape[0]).text}) * {w.operand(value)}", kind,
                 fresh=True)
    return E(f"np.linspace(0.0, 1.0, {size_expr(w, shape[0]).text}) * {w.operand(value)}",
             kind, fresh=True)


def reshaped(w, kind, depth):
    """``e.reshape(m, -1)`` and ``np.reshape(e, dims)`` with sizes from variables."""
    shape = kind.shape
    sources = [a for a in w.arrays() if size(w.scope[a].kind.shape) == size(shape)
               and w.scope[a].kind.shape != shape]
    if not sources or 0 in shape:
        return None
    name = w.c.pick(sources)
    source = E(name, w.scope[name].kind, views=frozenset([name]), atom=True)
    if len(shape) == 2 and w.c.chance(0.5):
        text = f"{name}.reshape({size_expr(w, shape[0]).text}, -1)"
    else:
        text = f"np.reshape({name}, {shape_expr(w, shape)})"
    return E(text, kind, views=source.views, atom=True)


def sized_float(w, kind, depth):
    """Scalars that use int arguments: ``np.mean(u[k:])``, ``np.sum(u[:m])``, ``n * x``."""
    ints = int_vars(w)
    vectors = w.names(lambda k: isinstance(k, Arr) and k.rank == 1 and k.shape[0] > 0)
    if not ints:
        return None
    name = w.c.pick(ints)
    low, high = w.scope[name].kind.low, w.scope[name].kind.high
    if vectors and w.c.chance(0.7):
        u = w.c.pick(vectors)
        n = w.scope[u].kind.shape[0]
        if 0 <= low and high < n and w.c.chance(0.5):
            op = w.c.pick(["np.mean", "np.sum", "np.max"])
            return E(f"{op}({u}[{name}:])", FLOAT, atom=True)
        return E(f"np.sum(np.sin({u}[:{name}]))", FLOAT, atom=True)
    value = w.expr(FLOAT, depth)
    return E(f"{w.c.pick(['float({})', '0.5 * {}'])}".format(name) + f" * {w.operand(value)}",
             FLOAT)


def dims_tuple(w):
    """``dims = (3, 2)``: a local tuple of sizes for later ``np.zeros(dims)``."""
    shapes = [w.scope[a].kind.shape for a in w.arrays()] or [(2, 3)]
    shape = w.c.pick(shapes)
    name = w.new_name("dims")
    parts = [size_expr(w, d).text for d in shape]
    w.define(name, Tup(tuple(exact(d) for d in shape)))
    w.line(f"{name} = ({', '.join(parts)}{',' if len(parts) == 1 else ''})")
    value = w.operand(w.expr(FLOAT, 1))
    spelled = w.c.pick([f"np.zeros({name}) + {value}", f"np.ones({name}) * {value}",
                        f"np.full({name}, {value})"])
    w.bind_new("y", E(spelled, Arr(shape), fresh=True))
    return True


RULES = [
    Rule("sizes", "array", 3, creation),
    Rule("sizes", "array", 2, reshaped),
    Rule("sizes", "float", 2, sized_float),
    Rule("sizes", "stmt", 2, lambda w: w.top_level and dims_tuple(w)),
    Rule("arrays", "array", 1, creation),
]
