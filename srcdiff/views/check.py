"""Gradient checks: reverse mode, forward mode and central differences, side by side.

A derivative rule that is wrong (a user's ``defvjp`` with a slip, say) gives numbers that
look as plausible as right ones; only a comparison shows it. Reverse and forward mode share
the function's code but not its rules (a VJP template against a JVP template), and central
differences share nothing but the function's values, so where two agree and the third does
not, the odd one out is named, and with it where to look.

**The step.** Central differences ``(f(x + h) - f(x - h)) / 2h`` have a truncation error
of order ``h²`` and a rounding error of order ``ε·|f| / h``; the two balance near
``h = ε^(1/3)`` (ε the machine epsilon: h is about 6e-6 for float64, 5e-3 for float32),
scaled by ``max(1, |x|)`` so that the step is relative for large arguments. ε is that of
the coarsest precision among the arguments and the result: a float32 array anywhere rounds
what it touches to float32. The step
actually taken is ``(x + h) - (x - h)``, as rounded, so no representation error is added.

**The tolerance.** Two derivatives ``u`` and ``v`` are compared by ``|u - v| / max(1, |u|,
|v|)``: a relative error for derivatives larger than 1, an absolute one below (a derivative
that is 0 has no relative error to speak of, and central differences give it as ±1e-11). The
best central difference of float64 is good to about ε^(2/3) ≈ 4e-11 times the function's
scale, so the default tolerance, 1e-6 for float64 (1e-3 for float32, 3e-2 for float16),
leaves room for curvature and cancellation and still catches any wrong rule.

**Kinds of arguments.** Floats and arrays of floats are checked element by element (an
array's error is its worst element's, named), and so are the floats inside tuples, lists
and dicts. Integers, booleans and anything else are not differentiated: they are held at
their values and listed as such. A complex argument z = x + iy is checked under JAX's
convention, the one srcdiff's gradients follow: ``∂L/∂x − i ∂L/∂y``, each part by its own
central difference (forward mode: the tangents 1 and 1j).
"""

from __future__ import annotations

import math

import numpy as np

from ..driver import dispatch, higher, jacobians
from ..driver.options import Options
from ..driver.wrt import normalize_wrt
from ..errors import SrcdiffError
from ..transforms.reverse import Wrt

TOLERANCES = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3,
              np.dtype(np.float16): 3e-2}
METHODS = ("reverse mode", "forward mode", "central differences")


class GradientMismatch(SrcdiffError, AssertionError):
    """Raised by a check asked to raise: the derivatives disagree. It is an
    ``AssertionError`` too, so test runners report it as a failed check."""


class ArgumentCheck:
    """One argument's check: the worst ``element`` (its text, as ``x[1, 2]``) over its
    ``count`` elements, the three derivatives there (``forward`` is None where forward mode
    is not available), the largest relative ``error`` between them and the pair it was
    between, and the ``tolerance`` it was held to."""

    def __init__(self, name, element, count, reverse, forward, central, tolerance):
        self.name = name
        self.element = element
        self.count = count
        self.reverse = reverse
        self.forward = forward
        self.central = central
        self.tolerance = tolerance
        self.errors = _pair_errors(reverse, forward, central)
        self.error = max(self.errors.values())

    @property
    def ok(self):
        return self.error <= self.tolerance

    def __repr__(self):
        return (f"ArgumentCheck({self.element}: reverse={self.reverse!r}, "
                f"forward={self.forward!r}, central={self.central!r}, error={self.error:.1e})")

    def diagnosis(self):
        """Which of the three is the odd one out, and where to look for the cause."""
        near = {pair: error <= self.tolerance for pair, error in self.errors.items()}
        if self.forward is None:
            return ("reverse mode disagrees with central differences: suspect a derivative "
                    "rule (your defvjp?), or a point where the function is not smooth")
        if near[("forward mode", "central differences")]:
            return ("reverse mode disagrees with forward mode and central differences, which "
                    "agree: suspect a reverse-mode rule (your defvjp?)")
        if near[("reverse mode", "central differences")]:
            return ("forward mode disagrees with reverse mode and central differences, which "
                    "agree: suspect a forward-mode rule (your defjvp?)")
        if near[("reverse mode", "forward mode")]:
            return ("both modes agree with each other but not with central differences: the "
                    "function may not be differentiable here (a kink, a branch, a jump) or "
                    "too badly scaled for finite differences; try another point")
        return "all three disagree: suspect the function's rules and try another point"


class GradCheck:
    """The result of :func:`check_grad`: ``arguments`` (one :class:`ArgumentCheck` each),
    ``skipped`` (``(name, why)`` for the arguments not differentiated), ``forward_note``
    (why forward mode was not compared, or None), and ``ok``. ``str()`` is the report."""

    def __init__(self, function, point, arguments, skipped, forward_note):
        self.function = function
        self.point = point
        self.arguments = arguments
        self.skipped = skipped
        self.forward_note = forward_note

    @property
    def ok(self):
        return all(a.ok for a in self.arguments)

    @property
    def errors(self):
        """The largest relative error of each argument checked, by name."""
        return {a.name: a.error for a in self.arguments}

    def __repr__(self):
        verdict = "ok" if self.ok else "FAILED"
        return f"<GradCheck of {self.function} at {self.point}: {verdict}>"

    def __str__(self):
        return report(self)


def check_grad(fn, args, wrt=None, rtol=None):
    """Compare ``fn``'s gradient by reverse mode, forward mode and central differences at
    ``args``, for the parameters in ``wrt`` (as :func:`srcdiff.gradient` takes it; None:
    every argument that is a float, an array of floats or a container of them)."""
    params, values = _bound(fn, args)
    names = _checked_names(fn, params, values, wrt)
    skipped = [(p, _why_not(v)) for p, v in zip(params, values) if p not in names
               and wrt is None]
    scalar, precision = _scalar_value(fn, values)
    gradient = dispatch.make_holder(
        higher.family_for(fn, Options(Wrt(list(names), multiple=True))), fn.__name__ + "_grad")
    reverse = dict(zip(names, gradient(*values)))
    forward = _ForwardMode(fn, values)
    checks = []
    for name in names:
        k = params.index(name)
        checks.append(_argument_check(values, k, name, reverse[name], forward, scalar,
                                      precision, rtol))
    point = ", ".join(f"{p}={_describe(v)}" for p, v in zip(params, values))
    return GradCheck(fn.__name__, point, checks, skipped, forward.note)


def _bound(fn, args):
    params = [p for p in dispatch.parameters(fn) if p.kind != "keyword_only"]
    try:
        bound = dispatch.signature_of(fn).bind(*args)
    except TypeError as exc:
        raise SrcdiffError(f"check_grad: {fn.__name__}: {exc}",
                           hint="pass the function's arguments by position") from None
    bound.apply_defaults()
    return [p.name for p in params], [bound.arguments[p.name] for p in params]


def _checked_names(fn, params, values, wrt):
    if wrt is None:
        names = [p for p, v in zip(params, values) if not _why_not(v)]
        if not names:
            raise SrcdiffError(f"check_grad: none of {fn.__name__}'s arguments is a float, "
                               "an array of floats or a container of them",
                               hint="integers and other values are not differentiated")
        return names
    names = list(normalize_wrt(params, wrt, fn.__name__))
    for name in names:
        why = _why_not(values[params.index(name)])
        if why:
            raise SrcdiffError(f"check_grad: cannot differentiate with respect to {name}: it "
                               f"is {why}", hint="check floats, arrays of floats, or "
                               "containers of them")
    return names


def _why_not(value):
    """Why an argument is not differentiated, in words; empty for one that is."""
    if any(True for _ in _leaves(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "a bool, not differentiated"
    if isinstance(value, (int, np.integer)):
        return "an int, not differentiated (integers have no derivative)"
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype}, not differentiated"
    return "not a number, not differentiated"


def _leaves(value, keys=()):
    """``(keys, leaf)`` for each float, complex or inexact array inside ``value``: the
    indices and dict keys that reach it."""
    if isinstance(value, (tuple, list)):
        for k, item in enumerate(value):
            yield from _leaves(item, keys + (k,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, keys + (key,))
    elif isinstance(value, (float, complex)) and not isinstance(value, bool) or isinstance(
            value, (np.ndarray, np.generic)) and np.issubdtype(value.dtype, np.inexact):
        yield keys, value


def _reached(value, keys):
    for key in keys:
        value = value[key]
    return value


def _replaced(value, keys, new):
    """``value`` with the leaf that ``keys`` reach replaced by ``new``."""
    if not keys:
        return new
    head, rest = keys[0], keys[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    items = list(value)
    items[head] = _replaced(items[head], rest, new)
    return type(value)(items)


def _keys_text(keys):
    return "".join(f"[{key!r}]" for key in keys)


def _element_paths(leaf):
    if isinstance(leaf, np.ndarray):
        for index in np.ndindex(leaf.shape):
            yield index, f"[{', '.join(map(str, index))}]"
    else:
        yield None, ""


def _with_element(leaf, index, element):
    if index is None:
        return type(leaf)(element)
    changed = leaf.copy()
    changed[index] = element
    return changed


def _element(leaf, index):
    return leaf if index is None else leaf[index]


def _scalar_value(fn, values):
    """``fn``'s value as a real number (the reverse mode's gradient has already refused a
    result that is not a scalar), and the precision that finite differences of it can
    reach: the coarsest of the result's and the arguments' (a float32 array anywhere
    rounds what it touches to float32)."""
    def value(changed):
        result = fn(*changed)
        if isinstance(result, complex) or np.iscomplexobj(result):
            raise SrcdiffError(f"check_grad: {fn.__name__} returns a complex number; a "
                               "gradient needs a real result", hint="return abs(z) ** 2 "
                               "or np.real(z)")
        return float(result)
    precision = _real_dtype(fn(*values))
    for argument in values:
        for _, leaf in _leaves(argument):
            precision = _coarser(_real_dtype(leaf), precision)
    return value, precision


def _real_dtype(value):
    return np.dtype(np.result_type(value)).type(0).real.dtype


def _coarser(a, b):
    """The dtype of the two with the larger machine epsilon."""
    if not (a.kind == "f" and b.kind == "f"):
        return a if a.kind == "f" else np.dtype(np.float64)
    return a if np.finfo(a).eps >= np.finfo(b).eps else b


class _ForwardMode:
    """The forward mode's derivative along one element's direction, or a note saying why
    forward mode cannot be compared (a user rule without ``defjvp``)."""

    def __init__(self, fn, values):
        self.fn = fn
        self.values = values
        self.note = None

    def along(self, k, path, index, direction):
        if self.note is not None:
            return None
        zero = jacobians.zero_like(self.values[k])
        tangent = _replaced(zero, path, _with_element(_reached(zero, path), index, direction))
        tangents = [None] * len(self.values)
        tangents[k] = tangent
        try:
            _, found = jacobians.jvp(self.fn, tuple(self.values), tuple(tangents))
        except SrcdiffError as error:
            self.note = str(error).splitlines()[0]
            return None
        return float(found)


def _argument_check(values, k, name, gradient, forward, value, precision, rtol):
    worst, count = None, 0
    for path, leaf in _leaves(values[k]):
        tolerance = rtol if rtol is not None else TOLERANCES.get(precision, 1e-6)
        grad_leaf = _reached(gradient, path)
        for index, where in _element_paths(leaf):
            count += 1
            x = _element(leaf, index)
            central = _central(values, k, path, leaf, index, x, value, precision)
            reverse = _number(_element(grad_leaf, index))
            along = forward.along(k, path, index, type(x)(1))
            if along is not None and np.iscomplexobj(x):
                imaginary = forward.along(k, path, index, type(x)(1j))
                along = None if imaginary is None else complex(along, -imaginary)
            found = ArgumentCheck(name, f"{name}{_keys_text(path)}{where}", 0, reverse,
                                  along, central, tolerance)
            if worst is None or found.error > worst.error:
                worst = found
    worst.count = count
    return worst


def _central(values, k, path, leaf, index, x, value, precision):
    """The central difference along one element (real and imaginary parts for a complex
    element), with the step ε^(1/3)·max(1, |x|) for the ε of ``precision``."""
    step = np.finfo(precision).eps ** (1 / 3) * max(1.0, abs(x))

    def slope(unit):
        up, down = x + unit * step, x - unit * step
        width = abs(complex(up) - complex(down))

        def at(element):
            changed = list(values)
            changed[k] = _replaced(values[k], path, _with_element(leaf, index, element))
            return value(changed)
        return (at(up) - at(down)) / width
    if np.iscomplexobj(x):
        return complex(slope(1), -slope(1j))
    return slope(1)


def _number(value):
    return complex(value) if np.iscomplexobj(value) else float(value)


def _pair_errors(reverse, forward, central):
    found = {("reverse mode", "central differences"): _relative(reverse, central)}
    if forward is not None:
        found[("forward mode", "central differences")] = _relative(forward, central)
        found[("reverse mode", "forward mode")] = _relative(reverse, forward)
    return found


def _relative(u, v):
    if not (np.isfinite(u) and np.isfinite(v)):
        return 0.0 if u == v else math.inf
    return abs(u - v) / max(1.0, abs(u), abs(v))


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype}[{', '.join(map(str, value.shape))}]"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_describe(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, (bool, int, float, complex)) or value is None:
        return repr(value)
    return f"a {type(value).__name__}"


def _exact(value):
    return "-" if value is None else repr(value)


def _approx(value):
    if isinstance(value, complex):
        return f"({value.real:.12g}{value.imag:+.12g}j)"
    return f"{value:.12g}"


def report(check):
    """The readable report: a table of the three derivatives at each argument's worst
    element, the relative error, and a verdict naming the odd one out."""
    rows = [("argument", *METHODS, "rel. error")]
    for a in check.arguments:
        where = a.element if a.count == 1 else f"{a.element} (worst of {a.count})"
        rows.append((where, _exact(a.reverse), _exact(a.forward), _approx(a.central),
                     f"{a.error:.1e}" + ("" if a.ok else "  <- disagree")))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]) - 1)]
    lines = [f"gradient check of {check.function} at {check.point}", ""]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        lines.append("  " + "  ".join(cells + [row[-1]]))
    lines.append("")
    for name, why in check.skipped:
        lines.append(f"{name}: {why}")
    if check.forward_note:
        lines.append(f"forward mode not compared: {check.forward_note}")
    tolerances = sorted({a.tolerance for a in check.arguments})
    held = ", ".join(f"{t:g}" for t in tolerances)
    if check.ok:
        largest = max(a.error for a in check.arguments)
        compared = METHODS if not check.forward_note else (METHODS[0], METHODS[2])
        agree = ", ".join(compared[:-1]) + " and " + compared[-1]
        lines.append(f"OK: {agree} agree")
        lines.append(f"    largest relative error {largest:.1e}, tolerance {held}")
    else:
        for a in check.arguments:
            if not a.ok:
                lines.append(f"FAILED at {a.element}: relative error {a.error:.2g} > "
                             f"tolerance {a.tolerance:g}")
                lines.append(f"    {a.diagnosis()}")
    lines.append("")
    lines.append("relative error: |u - v| / max(1, |u|, |v|), the largest over the pairs "
                 "compared;")
    lines.append("central differences: step eps**(1/3) * max(1, |x|), eps the machine "
                 "epsilon")
    return "\n".join(lines) + "\n"
