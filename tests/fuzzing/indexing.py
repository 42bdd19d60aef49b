"""Indexing, slicing and writing into arrays.

Reads: ``x[i]``, ``a[i, j]``, ``a[i][j]``, ``x[lo:hi]``, ``x[::s]``, ``a[:, j]``, ``x[i:i + k]``
with bounds from loop indices and int arguments, masks (``x[x > 0.0]``, ``np.where(m, ...)``)
and integer lists (``x[[0, 2, 0]]``). Writes, into arrays the function made: ``y[i] = v``,
``y[i] += v`` (all operators), slices, columns, masks, repeated indices, ``y[i][j] = v``,
swaps, and ``y = y + x`` followed by ``y[k] += ...``, the rebinding that loops make hard;
element reads of one array in both paths of a branch before it is rebound to a sum.

In the aliasing generator, views and aliases are written through too; a write marks every
other name sharing that memory stale, and a later read of a stale name may be refused."""

import re

from fuzzing.grammar import E, Rule
from fuzzing.kinds import FLOAT, Arr, Mask, broadcasts_to, size
from fuzzing.sizes import index_expr, int_vars

OPERATORS = [(5, "="), (3, "+="), (2, "-="), (2, "*="), (1, "/=")]


def _source(w, shape_ok):
    names = [n for n in w.arrays() if shape_ok(w.scope[n].kind.shape)]
    return w.c.pick(names) if names else None


def _read(w, name):
    return E(name, w.scope[name].kind, views=frozenset([name]), atom=True)


def _slice_for(w, dim, length):
    """Slice text selecting ``length`` of ``dim`` elements, constant or from variables."""
    options = []
    for start in range(0, dim - length + 1):
        stop = start + length
        options.append(f"{start}:{stop}")
        if start == 0:
            options.append(f":{stop}")
        if stop == dim:
            options.append(f"{start}:" if start else ":")
            options.append(f"-{length}:" if length else f"{dim}:")
    for name in int_vars(w):
        kind = w.scope[name].kind
        if kind.exact and kind.low == length <= dim:
            options.append(f":{name}")
        if kind.exact and 0 <= kind.low and dim - kind.low == length:
            options.append(f"{name}:")
    for step in (2, 3):
        if len(range(0, dim, step)) == length:
            options.append(f"::{step}")
        if len(range(1, dim, step)) == length:
            options.append(f"1::{step}")
    return w.c.pick(options) if options else None


def row_or_element(w, kind, depth):
    """``x[i]`` of a rank-higher array: a view for arrays, a copy for scalars."""
    want = () if kind == FLOAT else kind.shape
    name = _source(w, lambda s: s[1:] == want and s[0] > 0)
    if name is None:
        if kind == FLOAT:
            name = _source(w, lambda s: len(s) == 2 and 0 not in s)
            if name is None:
                return None
            shape = w.scope[name].kind.shape
            i, j = index_expr(w, shape[0]), index_expr(w, shape[1])
            spelled = f"{name}[{i.text}][{j.text}]" if w.c.chance(0.3) else (
                f"{name}[{i.text}, {j.text}]")
            return E(spelled, FLOAT, atom=True)
        return None
    index = index_expr(w, w.scope[name].kind.shape[0])
    views = frozenset([name]) if kind != FLOAT else frozenset()
    return E(f"{name}[{index.text}]", kind, views=views, atom=True)


def sliced(w, kind, depth):
    shape = kind.shape
    form = w.c.weighted([(4, "leading"), (2, "column"), (1, "fancy"), (1, "row-part")])
    if form == "leading":
        name = _source(w, lambda s: s[1:] == shape[1:] and s[0] >= shape[0])
        if name is None:
            return None
        part = _slice_for(w, w.scope[name].kind.shape[0], shape[0])
        if part is None:
            return None
        return E(f"{name}[{part}]", kind, views=frozenset([name]), atom=True)
    if form == "column" and len(shape) == 1:
        name = _source(w, lambda s: len(s) == 2 and s[0] == shape[0] and s[1] > 0)
        if name is None:
            return None
        j = index_expr(w, w.scope[name].kind.shape[1])
        return E(f"{name}[:, {j.text}]", kind, views=frozenset([name]), atom=True)
    if form == "row-part" and len(shape) == 1:
        name = _source(w, lambda s: len(s) == 2 and s[1] >= shape[0] and s[0] > 0)
        if name is None:
            return None
        rows, cols = w.scope[name].kind.shape
        part = _slice_for(w, cols, shape[0])
        if part is None:
            return None
        return E(f"{name}[{index_expr(w, rows).text}, {part}]", kind, views=frozenset([name]),
                 atom=True)
    name = _source(w, lambda s: s[1:] == shape[1:] and s[0] > 0)
    if name is None:
        return None
    dim = w.scope[name].kind.shape[0]
    picks = [w.c.integer(0, dim - 1) for _ in range(shape[0])]
    return E(f"{name}[{picks}]", kind, fresh=True, atom=True)


def masked(w, kind, depth):
    """``np.where(m, a, b)`` with a mask variable or an inline comparison."""
    masks = w.names(lambda k: k == Mask(kind.shape))
    condition = w.c.pick(masks) if masks and w.c.chance(0.6) else w.expr(Mask(kind.shape)).text
    a, b = w.expr(kind, depth), w.expr(FLOAT if w.c.chance(0.5) else kind, depth)
    return E(f"np.where({condition}, {a.text}, {b.text})", kind, fresh=True, atom=True)


def comparison_mask(w, kind, depth):
    value = w.operand(w.expr(Arr(kind.shape), depth))
    form = w.c.pick(["{} > {}", "{} < {}", "np.abs({}) < {}"])
    return E(form.format(value, w.c.pick(["0.0", "0.5", "-0.3"])), kind)


def reduced_part(w, kind, depth):
    """Scalars from parts whose shape varies: ``np.sum(np.sin(x[i:i + 2]))``, masks, empty
    slices and diffs (edge points where the derivative exists)."""
    name = _source(w, lambda s: len(s) >= 1 and s[0] > 0)
    if name is None:
        return None
    dim = w.scope[name].kind.shape[0]
    ints = [n for n in int_vars(w) if w.scope[n].kind.low >= 0]
    form = w.c.weighted([(3 if ints else 0, "window"), (2, "mask"), (1, "empty"),
                         (1, "mask-var")])
    op = "np.sum"
    inner = w.c.pick(["{}", "np.sin({})", "{0} * {0}"])
    if form == "window":
        i = w.c.pick(ints)
        part = w.c.pick([f"{i}:{i} + {w.c.integer(1, 2)}", f":{i}", f"{i}:", f"{i}::2"])
        return E(f"{op}({inner.format(f'{name}[{part}]')})", FLOAT, atom=True)
    if form == "mask":
        limit = w.c.pick(["0.0", "0.5", "-0.3"])
        return E(f"{op}({inner.format(f'{name}[{name} > {limit}]')})", FLOAT, atom=True)
    if form == "mask-var":
        masks = w.names(lambda k: isinstance(k, Mask) and k.shape == w.scope[name].kind.shape)
        if not masks:
            return None
        return E(f"{op}({inner.format(f'{name}[{w.c.pick(masks)}]')})", FLOAT, atom=True)
    part = w.c.pick([f"{name}[{dim}:]", f"{name}[1:1]", f"np.diff({name}[:1])",
                     f"{name}[{dim - 1}:{dim - 1}]"])
    return E(f"{op}({inner.format(part)}) + {name}[0]" if len(w.scope[name].kind.shape) == 1
             else f"{op}({inner.format(part)})", FLOAT)


def mask_variable(w):
    shapes = [w.scope[a].kind.shape for a in w.arrays()]
    if not shapes:
        return False
    shape = w.c.pick(shapes)
    name = w.new_name("m")
    w.line(f"{name} = {comparison_mask(w, Mask(shape), 1).text}")
    w.define(name, Mask(shape))
    return True


# -- writes -----------------------------------------------------------------------------------

def _part(w, shape):
    """An index into an array of ``shape`` and the shape of the part it selects (None: a
    shape that varies, which only scalars can be written into)."""
    rank = len(shape)
    form = w.c.weighted([(4, "index"), (3, "slice"), (2 if rank == 2 else 0, "pair"),
                         (2 if rank == 2 else 0, "chained"), (2 if rank == 2 else 0, "column"),
                         (1, "fancy"), (1, "mask"), (1 if int_vars(w) else 0, "window")])
    if form == "index":
        return index_expr(w, shape[0]).text, shape[1:]
    if form == "slice":
        length = w.c.integer(0, shape[0])
        part = _slice_for(w, shape[0], length)
        return (part, (length,) + shape[1:]) if part else (":", shape)
    if form == "pair":
        return f"{index_expr(w, shape[0]).text}, {index_expr(w, shape[1]).text}", ()
    if form == "chained":
        i = index_expr(w, shape[0]).text
        return f"{i}][{index_expr(w, shape[1]).text}", ()
    if form == "column":
        return f":, {index_expr(w, shape[1]).text}", (shape[0],)
    if form == "fancy":
        picks = [w.c.integer(0, shape[0] - 1) for _ in range(w.c.integer(2, 3))]
        if len(set(picks)) == len(picks):
            picks.append(picks[0])
        return f"{picks}", (len(picks),) + shape[1:]
    if form == "mask":
        masks = w.names(lambda k: k == Mask(shape))
        if masks and w.c.chance(0.5):
            return w.c.pick(masks), None
        return f"{w.operand(w.expr(Arr(shape), 0))} > {w.c.pick(['0.0', '0.5'])}", None
    i = w.c.pick([n for n in int_vars(w) if w.scope[n].kind.low >= 0] or ["0"])
    return f"{i}:{i} + 2", None


def workspace(w):
    """``h = np.zeros((3, 2))``, ``y = x * 1.0``, ``z = a.copy()``: an array to write into."""
    shapes = [w.scope[a].kind.shape for a in w.arrays()] + [(3, 2), (4,)]
    matrices = [s for s in shapes if len(s) == 2]
    shape = w.c.pick(matrices if matrices and w.c.chance(0.5) else shapes)
    sources = w.arrays(shape)
    if sources and w.c.chance(0.6):
        source = w.c.pick(sources)
        text = w.c.pick([f"{source} * 1.0", f"{source}.copy()", f"np.zeros_like({source})",
                         f"np.ones_like({source}) * {w.operand(w.expr(FLOAT, 0))}"])
    else:
        text = w.c.pick([f"np.zeros({shape})", f"np.ones({shape})"])
    w.bind_new(w.c.pick(["ws", "y"]), E(text, Arr(shape), fresh=True))
    return True


def write(w):
    names = w.writable()
    if not names:
        return False
    name = w.c.pick(names)
    shape = w.scope[name].kind.shape
    if 0 in shape:
        return False
    part, part_shape = _part(w, shape)
    op = w.c.weighted(OPERATORS)
    if (part.startswith("[") and op not in ("=", "+=")) or "][" in part:
        op = "="
    if part_shape is None or not part_shape or w.c.chance(0.3):
        value = w.expr(FLOAT, 1)
    else:
        partner = w.c.pick([part_shape, part_shape[1:]])
        value = w.expr(Arr(partner) if partner else FLOAT, 1)
        if not broadcasts_to(partner, part_shape):
            value = w.expr(FLOAT, 1)
    text = w.operand(value)
    if op == "/=":
        text = f"(2.0 + np.cos({value.text}))"
    w.line(f"{name}[{part}] {op} {text}")
    if w.aliasing and _reads_shared_memory(w, name, text):
        w.may_refuse = True  # srcdiff refuses a store of a value that may share the array
    _written(w, name)
    return True


def swap(w):
    names = w.writable(lambda k: k.rank == 1 and k.shape[0] >= 2)
    if not names:
        return False
    name = w.c.pick(names)
    n = w.scope[name].kind.shape[0]
    a, b = index_expr(w, n).text, index_expr(w, n).text
    w.line(f"{name}[{a}], {name}[{b}] = {name}[{b}], {name}[{a}]")
    _written(w, name)
    return True


def rebind_then_write(w):
    """``y = y + e`` (or ``y = np.sin(y)``), then a write into the new ``y``."""
    names = [n for n in w.arrays() if w.can_rebind(n, w.scope[n].kind)
             and 0 not in w.scope[n].kind.shape]
    if not names:
        return False
    name = w.c.pick(names)
    kind = w.scope[name].kind
    value = w.expr(kind, 1)
    spelled = w.c.pick([f"{name} + {w.operand(value)}", f"{name} * {w.operand(value)}",
                        f"np.sin({name}) + {w.operand(value)}"])
    w.bind(name, E(spelled, kind, fresh=True))
    w.line(f"{name} = {spelled}")
    if name in w.writable():
        write_into(w, name)
    return True


def reads_in_branches(w):
    """``if c: s = x[i] else: s = x[j]``, then maybe ``x = x + e``: reversed, each path of
    the branch adds into ``x_bar`` on its own, and after the sum ``x_bar`` is the very array
    ``e``'s adjoint is (a path must not take the other path's copy for its own)."""
    names = [n for n in w.arrays() if w.scope[n].kind.rank == 1
             and w.scope[n].kind.shape[0] > 0]
    if w.nest >= w.max_nest or not names:
        return False
    name = w.c.pick(names)
    n = w.scope[name].kind.shape[0]
    target = w.new_name("s")
    w.line(f"if {w.condition()}:")
    with w.indented():
        w.line(f"{target} = {name}[{index_expr(w, n).text}]")
    w.line("else:")
    with w.indented():
        w.line(f"{target} = {name}[{index_expr(w, n).text}] * 2.0")
    w.define(target, FLOAT)
    kind = w.scope[name].kind
    if w.can_rebind(name, kind) and w.c.chance(0.7):
        # Another array of the kind, where there is one: its adjoint is then the very
        # array ``x_bar`` is.
        others = [n for n in w.arrays() if n != name and w.scope[n].kind == kind]
        value = _read(w, w.c.pick(others)) if others and w.c.chance(0.7) else w.expr(kind, 1)
        spelled = f"{name} + {w.operand(value)}"
        w.bind(name, E(spelled, kind, fresh=True))
        w.line(f"{name} = {spelled}")
        w.line(f"{target} = {target} + np.sum({name} * {name})")
    return True


def write_into(w, name):
    shape = w.scope[name].kind.shape
    index = index_expr(w, shape[0]).text
    op = w.c.weighted(OPERATORS[:4])
    value = w.expr(Arr(shape[1:]) if len(shape) > 1 and w.c.chance(0.5) else FLOAT, 1)
    w.line(f"{name}[{index}] {op} {value.text}")
    if w.aliasing and _reads_shared_memory(w, name, value.text):
        w.may_refuse = True  # srcdiff refuses a store of a value that may share the array
    _written(w, name)


def _reads_shared_memory(w, name, text):
    """Whether ``text`` reads a name sharing ``name``'s memory (``y[2] = c[:, -1]`` where
    ``c = y.T``), which the store's own text does not show."""
    bases = w.scope[name].bases
    return any(var.bases & bases and re.search(rf"\b{re.escape(other)}\b", text)
               for other, var in w.scope.vars.items())


def _written(w, name):
    """Aliasing generator: after a write, other names sharing the memory are stale."""
    if not w.aliasing:
        return
    bases = w.scope[name].bases
    stale = frozenset(n for n, v in w.scope.vars.items() if n != name and v.bases & bases)
    if stale:
        w.stale_after.append((len(w.lines), stale))


def stale_reads(lines, stale_after):
    """Whether a name made stale by a write appears in a later line (a read that srcdiff
    may refuse), ignoring lines that rebind it first. Anywhere in a line but the target
    of a rebinding counts: a write into part of it (``a[2] = v``, ``a += v``) changes the
    stale array, and the index of a store into another array reads it
    (``y[c[1] > 0.0] = v``)."""
    for start, names in stale_after:
        live = set(names)
        for line in lines[start:]:
            for name in list(live):
                rebinding = re.match(rf"\s*{name} = ", line)
                if re.search(rf"\b{name}\b", line.split(" = ", 1)[-1] if rebinding else line):
                    return True
                if rebinding:
                    live.discard(name)
    return False


def alias(w):
    """``c = a[1:]``, ``c = a``, ``c = a.T`` ...: a name that shares memory (or, for
    ``a[[0, 1]]`` and ``a.copy()``, one that does not), in the aliasing generator."""
    names = w.writable()
    if not names:
        return False
    source = w.c.pick(names)
    shape = w.scope[source].kind.shape
    rest = shape[1:]
    forms = {"{}": shape, "{}[1:]": (shape[0] - 1,) + rest,
             "{}[::2]": (len(range(0, shape[0], 2)),) + rest, "{}.T": shape[::-1],
             "np.ravel({})": (size(shape),), "{}.reshape(-1)": (size(shape),), "{}[0]": rest,
             "{}[:, None]": (shape[0], 1) + rest, "{}.copy()": shape}
    if shape[0] >= 2:
        forms["{}[[0, 1]]"] = (2,) + rest
    form = w.c.pick(list(forms))
    result = forms[form]
    if not result or len(result) > 2 or 0 in result:
        return False
    copy = form in ("{}[[0, 1]]", "{}.copy()")
    e = E(form.format(source), Arr(result), fresh=copy,
          views=frozenset() if copy else frozenset([source]), atom=True)
    w.bind_new("c", e)
    return True


RULES = [
    Rule("indexing", "array", 4, row_or_element),
    Rule("indexing", "array", 5, sliced),
    Rule("indexing", "array", 2, masked),
    Rule("indexing", "mask", 1, comparison_mask),
    Rule("indexing", "float", 4, row_or_element),
    Rule("indexing", "float", 3, reduced_part),
    Rule("indexing", "stmt", 1, mask_variable),
    Rule("indexing", "stmt", 2, reads_in_branches),
    Rule("writes", "stmt", 8, write),
    Rule("writes", "stmt", 3, workspace),
    Rule("writes", "stmt", 2, swap),
    Rule("writes", "stmt", 3, rebind_then_write),
    Rule("aliasing", "stmt", 6, alias),
    Rule("arrays", "float", 1, row_or_element),
    Rule("arrays", "array", 1, sliced),
]
