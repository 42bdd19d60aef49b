"""Arrays and NumPy: elementwise functions with broadcasting, reductions with ``axis`` and
``keepdims``, ``@``/``dot``/``outer``/``einsum``, joining, reshaping and transposing,
``cumsum``/``diff``, array methods, and the scalars they reduce to.

Each rule asks for its operands by shape, so a rule that reduces over an axis asks for an
operand with one more axis, which the writer finds among the variables or builds."""

from fuzzing.grammar import E, Rule, atomic, call
from fuzzing.kinds import FLOAT, Arr, broadcasts_to, size

ELEMENTWISE = [
    "np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(np.sin({}))", "np.sqrt({0} * {0} + 1.0)",
    "np.log1p({0} * {0})", "np.log(2.0 + np.cos({}))", "np.abs({})", "np.square({})",
    "np.arctan({})", "np.arcsinh({})", "np.expm1(np.sin({}))", "np.sinh(np.sin({}))",
    "np.cosh(np.sin({}))", "np.arcsin(0.9 * np.tanh({}))", "np.arccos(0.9 * np.tanh({}))",
    "np.arctanh(0.5 * np.tanh({}))", "np.cbrt({0} * {0} + 1.0)", "np.reciprocal(2.0 + np.cos({}))",
    "np.sinc({})", "np.exp2(np.sin({}))", "np.log2(1.5 + np.sin({}))", "np.log10(2.0 + {0} * {0})",
    "np.deg2rad({})", "np.rad2deg({}) * 0.01", "np.negative({})", "np.sign({0}) * {0}",
    "np.floor({0}) + {0}", "np.rint({0}) * {0}", "np.fabs({})", "np.power({}, 2)",
    "np.float_power(np.abs({}) + 1.0, 1.5)", "np.clip({}, -0.5, 0.5)", "{}.clip(-1.0, 0.8)",
    "np.nan_to_num({})", "np.heaviside({0}, 0.5) * {0}", "-{}", "{} ** 2", "{} ** 3", "{} ** 0",
    "np.abs({0} + 1j * np.cos({0}))", "np.positive({})",
]
BINARY = [
    "{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / (2.0 + np.cos({b}))", "np.maximum({a}, {b})",
    "np.minimum({a}, {b})", "np.fmax({a}, {b})", "np.fmin({a}, {b})",
    "np.where({a} > {b}, {a}, {b})", "np.where({a} > 0.0, {a}, 0.1 * {b})", "np.hypot({a}, {b})",
    "np.arctan2({a}, 2.0 + {b} * {b})", "np.logaddexp({a}, {b})", "np.copysign({a}, {b})",
    "np.add({a}, {b})", "np.multiply({a}, {b})", "np.subtract({a}, {b})",
    "np.divide({a}, 2.0 + {b} * {b})", "{a} % 1.5", "np.remainder({a}, 1.2)", "np.fmod({a}, 0.8)",
    "np.power(1.0 + {a} * {a}, {b})", "(1.5 + np.sin({a})) ** {b}", "np.clip({a}, -0.5, {b})",
    "np.abs({a} + 1j * {b})",
]
REDUCTIONS = ["np.sum", "np.mean", "np.max", "np.min", "np.prod", "np.std", "np.var", "np.ptp",
              "np.amax", "np.median", "np.average", "np.nansum", "np.linalg.norm"]
METHODS = ["sum", "mean", "max", "min", "prod", "std", "var"]


def _array(w, shape, depth):
    return w.expr(Arr(shape) if shape else FLOAT, depth)


def _dim(w, avoid=()):
    """A size for a new axis, preferring sizes already in play (so variables fit)."""
    dims = [d for a in w.arrays() for d in w.scope[a].kind.shape if d > 0 and d not in avoid]
    return w.c.pick(dims) if dims and w.c.chance(0.7) else w.c.integer(1, 4)


def _broadcast_partner(w, shape):
    """A shape that broadcasts against ``shape`` to give ``shape``."""
    options = [shape, (), shape[1:], tuple(1 if w.c.chance(0.5) else d for d in shape)]
    return w.c.pick([s for s in options if broadcasts_to(s, shape)])


def elementwise(w, kind, depth):
    operand = w.operand(w.expr(kind, depth))
    text = w.c.pick(ELEMENTWISE).format(operand)
    return E(text, kind, fresh=True, atom=atomic(text))


def binary(w, kind, depth):
    full = w.operand(w.expr(kind, depth))
    other = w.operand(_array(w, _broadcast_partner(w, kind.shape), depth))
    template = w.c.pick(BINARY)
    a, b = (full, other) if w.c.chance(0.5) or "{b}" not in template else (other, full)
    text = template.format(a=a, b=b)
    return E(text, kind, fresh=True, atom=atomic(text))


def reduce_axis(w, kind, depth):
    """``np.sum(t, axis=a)``, ``t.mean(axis=-1)``, ``np.max(t, axis=0, keepdims=True)``."""
    shape = kind.shape
    keep = [a for a, d in enumerate(shape) if d == 1]
    keepdims = bool(keep) and w.c.chance(0.4)
    if keepdims:
        axis = w.c.pick(keep)
        d = w.c.integer(1, 3) if w.c.chance(0.8) else 1
        source = shape[:axis] + (d,) + shape[axis + 1:]
    else:
        if len(shape) >= 2:
            return None
        axis = w.c.integer(0, len(shape))
        d = 1 if w.c.chance(0.15) else _dim(w)
        source = shape[:axis] + (d,) + shape[axis:]
    operand = _array(w, source, depth)
    spelled = axis - len(source) if w.c.chance(0.3) else axis
    keyword = ", keepdims=True" if keepdims else ""
    if w.c.chance(0.3):
        method = w.c.pick(METHODS)
        return E(f"{w.operand(operand)}.{method}(axis={spelled}{keyword})", kind, fresh=True,
                 atom=True)
    op = w.c.pick(REDUCTIONS)
    if op == "np.median" and keepdims:
        op = "np.mean"
    return E(f"{op}({operand.text}, axis={spelled}{keyword})", kind, fresh=True, atom=True)


def matmul(w, kind, depth):
    shape = kind.shape
    if len(shape) > 2:
        return None
    k = _dim(w)
    if len(shape) == 2:
        m, n = shape
        form = w.c.weighted([(4, "@"), (1, "dot"), (1, "matmul"), (1, "einsum"), (2, "outer"),
                             (1, "einsum-outer"), (1, "tensordot")])
        if form in ("outer", "einsum-outer"):
            u, v = _array(w, (m,), depth), _array(w, (n,), depth)
            text = (call("np.outer", u, v) if form == "outer"
                    else call("np.einsum", '"i,j->ij"', u, v))
            return E(text, kind, fresh=True, atom=True)
        a, b = _array(w, (m, k), depth), _array(w, (k, n), depth)
    else:
        (m,) = shape
        form = w.c.weighted([(4, "@"), (1, "dot"), (1, "einsum"), (1, "method"), (1, "left"),
                             (1, "matvec")])
        if form in ("left", "matvec") and w.c.chance(0.5):
            a, b = _array(w, (k,), depth), _array(w, (k, m), depth)
            text = f"{w.operand(a)} @ {w.operand(b)}" if form == "left" else call(
                "np.vecmat", a, b)
            return E(text, kind, fresh=True, atom=form != "left")
        a, b = _array(w, (m, k), depth), _array(w, (k,), depth)
        if form == "matvec":
            return E(call("np.matvec", a, b), kind, fresh=True, atom=True)
    if form == "@" or form == "left":
        return E(f"{w.operand(a)} @ {w.operand(b)}", kind, fresh=True)
    if form == "method":
        return E(f"{w.operand(a)}.dot({b.text})", kind, fresh=True, atom=True)
    if form == "einsum":
        spec = '"ij,jk->ik"' if len(shape) == 2 else '"ij,j->i"'
        return E(call("np.einsum", spec, a, b), kind, fresh=True, atom=True)
    if form == "tensordot":
        return E(call("np.tensordot", a, b, axes=1), kind, fresh=True, atom=True)
    return E(call("np." + form, a, b), kind, fresh=True, atom=True)


def joined(w, kind, depth):
    shape = kind.shape
    form = w.c.weighted([(3, "concatenate"), (2, "stack"), (1, "hvstack"), (1, "array"),
                         (1, "append")])
    if form == "stack":
        axis = w.c.pick([a for a in range(len(shape)) if shape[a] in (2, 3)] or [None])
        if axis is None:
            return None
        part = shape[:axis] + shape[axis + 1:]
        items = [_array(w, part, depth) for _ in range(shape[axis])]
        extra = f", axis={axis}" if axis else ""
        return E(f"np.stack([{', '.join(i.text for i in items)}]{extra})", kind, fresh=True,
                 atom=True)
    if form == "array":
        if len(shape) != 1 or not 1 <= shape[0] <= 4:
            return None
        items = [w.expr(FLOAT, depth) for _ in range(shape[0])]
        return E(f"np.array([{', '.join(i.text for i in items)}])", kind, fresh=True, atom=True)
    axis = w.c.integer(0, len(shape) - 1)
    if shape[axis] < 2:
        return None
    first = w.c.integer(1, shape[axis] - 1)
    a = _array(w, shape[:axis] + (first,) + shape[axis + 1:], depth)
    b = _array(w, shape[:axis] + (shape[axis] - first,) + shape[axis + 1:], depth)
    if form == "append" and len(shape) == 1:
        return E(call("np.append", a, b), kind, fresh=True, atom=True)
    if form == "hvstack" and len(shape) <= 2:
        name = "np.hstack" if axis == len(shape) - 1 else "np.vstack"
        if name == "np.vstack" and len(shape) == 1:
            return None
        return E(f"{name}([{a.text}, {b.text}])", kind, fresh=True, atom=True)
    extra = f", axis={axis}" if axis else ""
    brackets = "[{}, {}]" if w.c.chance(0.7) else "({}, {})"
    return E(f"np.concatenate({brackets.format(a.text, b.text)}{extra})", kind, fresh=True,
             atom=True)


def reshaped(w, kind, depth):
    """Transposes and reshapes: views of their operand."""
    shape = kind.shape
    options = [(3, "T"), (2, "reshape"), (1, "flat"), (1, "squeeze"), (1, "expand"),
               (1, "flip"), (1, "broadcast")]
    form = w.c.weighted(options)
    if form == "T":
        operand = _array(w, shape[::-1], depth)
        spelled = w.c.pick(["{}.T", "np.transpose({})", "{}.transpose()", "np.swapaxes({}, 0, 1)"
                            if len(shape) == 2 else "{}.T", "np.rot90({})" if len(shape) == 2
                            else "{}.T"])
        text = spelled.format(w.operand(operand) if spelled.startswith("{") else operand.text)
        return E(text, kind, views=operand.views, atom=True)
    if form in ("reshape", "flat"):
        if form == "flat" and len(shape) != 1:
            return None
        total = size(shape)
        sources = [w.scope[a].kind.shape for a in w.arrays()
                   if size(w.scope[a].kind.shape) == total]
        source = w.c.pick(sources) if sources else (shape[::-1] if len(shape) > 1 else
                                                    (1,) + shape)
        operand = _array(w, source, depth)
        if form == "flat":
            spelled = w.c.pick(["{}.ravel()", "np.ravel({})", "{}.flatten()", "{}.reshape(-1)"])
            text = spelled.format(w.operand(operand) if spelled.startswith("{") else operand.text)
            fresh = "flatten" in text
        else:
            target = str(shape) if len(shape) > 1 else f"({shape[0]},)"
            text = w.c.pick([f"{w.operand(operand)}.reshape{target}" if len(shape) > 1 else
                             f"{w.operand(operand)}.reshape({shape[0]})",
                             f"np.reshape({operand.text}, {target})"])
            fresh = False
        return E(text, kind, views=frozenset() if fresh else operand.views, fresh=fresh,
                 atom=True)
    if form == "squeeze":
        axis = w.c.integer(0, len(shape))
        operand = _array(w, shape[:axis] + (1,) + shape[axis:], depth)
        text = w.c.pick([call("np.squeeze", operand, axis=axis), f"np.squeeze({operand.text})"
                         if 1 not in shape else call("np.squeeze", operand, axis=axis)])
        return E(text, kind, views=operand.views, atom=True)
    if form == "expand":
        if len(shape) != 2 or 1 not in shape:
            return None
        axis = w.c.pick([a for a, d in enumerate(shape) if d == 1])
        operand = _array(w, shape[1 - axis:2 - axis], depth)
        spelled = w.c.pick([call("np.expand_dims", operand, axis),
                            f"{w.operand(operand)}[:, None]" if axis == 1 else
                            f"{w.operand(operand)}[None, :]",
                            call("np.atleast_2d", operand) if axis == 0 else
                            f"{w.operand(operand)}[:, None]"])
        return E(spelled, kind, views=operand.views, atom=True)
    if form == "flip":
        operand = _array(w, shape, depth)
        axis = w.c.integer(0, len(shape) - 1)
        text = w.c.pick([call("np.flip", operand, axis=axis), call("np.roll", operand, 1),
                         call("np.sort", operand), call("np.roll", operand, -1, axis=axis)])
        view = "flip" in text
        return E(text, kind, views=operand.views if view else frozenset(), fresh=not view,
                 atom=True)
    partner = _broadcast_partner(w, shape)
    if partner == shape:
        return None
    operand = _array(w, partner, depth)
    if not partner:
        return None
    return E(call("np.broadcast_to", operand, shape), kind, views=operand.views, atom=True,
             readonly=True)


def along_axis(w, kind, depth):
    """``np.cumsum``, ``np.cumprod``, ``np.diff`` (one more element along the axis), and
    ``np.tile``/``np.repeat``/``np.pad``/``np.convolve``/``np.diag`` with their shapes."""
    shape = kind.shape
    axis = w.c.integer(0, len(shape) - 1)
    form = w.c.weighted([(3, "cumsum"), (1, "cumprod"), (3, "diff"), (1, "tile"), (1, "pad"),
                         (1, "convolve"), (1, "diag"), (1, "triangle"), (1, "cross")])
    if form in ("cumsum", "cumprod"):
        operand = _array(w, shape, depth)
        if len(shape) == 1 and w.c.chance(0.5):
            text = (f"{w.operand(operand)}.cumsum()" if form == "cumsum"
                    else call("np.cumprod", operand))
        else:
            text = call(f"np.{form}", operand, axis=axis)
        return E(text, kind, fresh=True, atom=True)
    if form == "diff":
        source = shape[:axis] + (shape[axis] + 1,) + shape[axis + 1:]
        operand = _array(w, source, depth)
        if axis == len(shape) - 1 and w.c.chance(0.5):
            return E(call("np.diff", operand), kind, fresh=True, atom=True)
        return E(call("np.diff", operand, axis=axis), kind, fresh=True, atom=True)
    if len(shape) != 1 and form in ("tile", "convolve", "cross"):
        return None
    n = shape[0]
    if form == "tile" and n % 2 == 0:
        operand = _array(w, (n // 2,), depth)
        return E(w.c.pick([call("np.tile", operand, 2), call("np.repeat", operand, 2)]), kind,
                 fresh=True, atom=True)
    if form == "pad" and all(d > 2 for d in shape):
        operand = _array(w, tuple(d - 2 for d in shape), depth)
        return E(call("np.pad", operand, 1), kind, fresh=True, atom=True)
    if form == "convolve" and n >= 2:
        first = w.c.integer(1, n)
        a, b = _array(w, (first,), depth), _array(w, (n + 1 - first,), depth)
        return E(call("np.convolve", a, b), kind, fresh=True, atom=True)
    if form == "cross" and n == 3:
        return E(call("np.cross", _array(w, (3,), depth), _array(w, (3,), depth)), kind,
                 fresh=True, atom=True)
    if form == "diag" and len(shape) == 2 and shape[0] == shape[1]:
        return E(call("np.diag", _array(w, shape[:1], depth)), kind, fresh=True, atom=True)
    if form == "diag" and len(shape) == 1:
        m = shape[0] + w.c.integer(0, 1)
        operand = _array(w, (shape[0], m) if w.c.chance(0.5) else (m, shape[0]), depth)
        return E(w.c.pick([call("np.diagonal", operand), f"{w.operand(operand)}.diagonal()"]),
                 kind, views=operand.views, atom=True)
    if form == "triangle" and len(shape) == 2:
        operand = _array(w, shape, depth)
        return E(call(w.c.pick(["np.triu", "np.tril"]), operand), kind, fresh=True, atom=True)
    return None


def copies(w, kind, depth):
    operand = w.expr(kind, depth)
    form = w.c.pick(["{}.copy()", "np.copy({})", "np.array({})", "{}.astype(np.float64)",
                     "np.asarray({})"])
    text = form.format(w.operand(operand) if form.startswith("{") else operand.text)
    view = "asarray" in form
    return E(text, kind, fresh=not view, views=operand.views if view else frozenset(), atom=True)


def linear_algebra(w, kind, depth):
    shape = kind.shape
    if len(shape) != 2 or shape[0] != shape[1]:
        if len(shape) == 1 and w.c.chance(0.5):
            n = shape[0]
            a = _array(w, (n, n), depth)
            b = _array(w, (n,), depth)
            return E(f"np.linalg.solve(3.0 * np.eye({n}) + 0.5 * np.tanh({a.text}), {b.text})",
                     kind, fresh=True, atom=True)
        return None
    n = shape[0]
    a = _array(w, shape, depth)
    form = w.c.pick(["np.linalg.inv(3.0 * np.eye({n}) + 0.5 * np.tanh({a}))",
                     "np.linalg.matrix_power({a}, 2)", "np.linalg.cholesky({a} @ {a}.T + "
                     "{n} * np.eye({n}))"])
    return E(form.format(n=n, a=w.operand(a)), kind, fresh=True, atom=True)


def split(w, kind, depth):
    """A piece of ``np.split``/``np.array_split`` along the first axis (a view)."""
    shape = kind.shape
    pieces = w.c.integer(2, 3)
    if w.c.chance(0.5):
        operand = _array(w, (shape[0] * pieces,) + shape[1:], depth)
        text = f"np.split({operand.text}, {pieces})[{w.c.integer(0, pieces - 1)}]"
    else:
        total = max(0, shape[0] * pieces - w.c.integer(0, pieces - 1))
        sizes = [total // pieces + (1 if i < total % pieces else 0) for i in range(pieces)]
        if shape[0] not in sizes:
            return None
        operand = _array(w, (total,) + shape[1:], depth)
        text = f"np.array_split({operand.text}, {pieces})[{sizes.index(shape[0])}]"
    return E(text, kind, views=operand.views, atom=True)


def unpack_results(w):
    """``sign, logdet = np.linalg.slogdet(...)`` and ``p, q = np.split(x, 2)``."""
    arrays = w.arrays()
    if not arrays:
        return False
    name = w.c.pick(arrays)
    shape = w.scope[name].kind.shape
    if len(shape) == 2 and shape[0] == shape[1]:
        first, second = w.new_name("sign"), w.new_name("logdet")
        w.line(f"{first}, {second} = np.linalg.slogdet(np.eye({shape[0]}) * 2.0 + 0.3 * "
               f"np.sin({name}))")
        w.define(first, FLOAT)
        w.define(second, FLOAT)
        return True
    if shape[0] % 2:
        return False
    first, second = w.new_name("p"), w.new_name("q")
    piece = Arr((shape[0] // 2,) + shape[1:])
    e = w.bind(first, E(name, piece, views=frozenset([name])))
    w.bind(second, E(name, piece, views=frozenset([name])))
    source = name if e.text == name else f"np.copy({name})"
    w.line(f"{first}, {second} = np.split({source}, 2)")
    return True


# -- scalars from arrays ----------------------------------------------------------------------

def _some_shape(w):
    shapes = [w.scope[a].kind.shape for a in w.arrays()]
    if shapes and w.c.chance(0.8):
        return w.c.pick(shapes)
    return w.c.pick([(3,), (2, 3), (4,), (3, 1)])


def full_reduction(w, kind, depth):
    """``np.sum(e)``, ``e.mean()``...; reducing costs no depth, so the operand is a full
    array expression."""
    shape = _some_shape(w)
    operand = _array(w, shape, depth + 1)
    if w.c.chance(0.3):
        return E(f"{w.operand(operand)}.{w.c.pick(METHODS)}()", FLOAT, atom=True)
    op = w.c.pick(REDUCTIONS + ["np.sum", "np.sum", "np.mean"])
    if len(shape) == 1 and w.c.chance(0.2):
        return E(f"{op}({operand.text}, axis={w.c.pick([0, -1])})", FLOAT, atom=True)
    return E(f"{op}({operand.text})", FLOAT, atom=True)


def inner_product(w, kind, depth):
    shape = _some_shape(w)
    if w.c.chance(0.3):
        shape = (shape[0], shape[0])
        a = _array(w, shape, depth)
        form = w.c.pick(["np.trace({a})", '{a}.trace()', 'np.einsum("ii->", {a})',
                         "np.linalg.det(np.eye({n}) * 2.0 + 0.3 * np.tanh({a}))",
                         "np.linalg.slogdet(np.eye({n}) * 2.0 + 0.3 * np.sin({a}))[1]"])
        return E(form.format(a=w.operand(a), n=shape[0]), FLOAT, atom=True)
    n = shape[0]
    u, v = _array(w, (n,), depth + 1), _array(w, (n,), depth)
    form = w.c.pick(["{u} @ {v}", "np.dot({u}, {v})", "np.inner({u}, {v})", "np.vdot({u}, {v})",
                     'np.einsum("i,i->", {u}, {v})', "{u}.dot({v})"])
    return E(form.format(u=w.operand(u), v=w.operand(v)), FLOAT, atom=not form.startswith("{u} @"))


RULES = [
    Rule("arrays", "array", 10, elementwise),
    Rule("arrays", "array", 10, binary),
    Rule("arrays", "array", 5, reduce_axis),
    Rule("arrays", "array", 4, matmul),
    Rule("arrays", "array", 3, joined),
    Rule("arrays", "array", 4, reshaped),
    Rule("arrays", "array", 3, along_axis),
    Rule("arrays", "array", 2, copies),
    Rule("arrays", "array", 2, linear_algebra),
    Rule("arrays", "array", 1, split),
    Rule("arrays", "stmt", 1, unpack_results),
    Rule("arrays", "float", 6, full_reduction),
    Rule("arrays", "float", 2, inner_product),
    Rule("scalar", "array", 2, elementwise),
    Rule("scalar", "array", 2, binary),
]
