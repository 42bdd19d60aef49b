"""Every rule at edge points: 0 and ±1, ties and constant slices, axes of length 1, empty
arrays.

``tests/test_rules.py`` checks each rule at random points away from kinks; this file goes
to the places where formulas divide by zero or take a logarithm of it. At each point where
the primitive is defined (calling it does not raise), srcdiff's gradient must not raise
either and must have its argument's type, shape and dtype. Where the derivative exists
there (both one-sided differences are finite and agree, element by element) the gradient
must equal it: never NaN, never a wrong zero. Elsewhere any value is allowed (a subgradient,
inf).

Each rule is called as in its representative cases of ``tests/test_rules.py``: Python floats
at every combination of 0, 1 and -1, and arrays of the case's shapes, of the same shapes
with every size 1, and with the first size 0, filled with 0, 1 and a 0/1/-1 pattern.
"""

from __future__ import annotations

import itertools
import math
import warnings
import zlib

import numpy as np
import pytest
from test_rules import CASES, EXCLUDED, Case, Generated, check_kind, rule_id

import srcdiff
from srcdiff.primitives.registry import ELEMENTWISE, NONDIFF

EDGE_VALUES = (0.0, 1.0, -1.0)
STEP = 1e-6
AGREE = 1e-4
TOLERANCE = {"rtol": 1e-4, "atol": 1e-6}

# Points where a function of the math module has no derivative because its slope is
# infinite or undefined (sqrt at 0, asin at 1). The adjoint divides
# Python floats there, and the derivative raises a located SrcdiffError saying so (see
# srcdiff.backend.failures) rather than the ZeroDivisionError of the division; NumPy's functions
# give inf (or NaN) instead, even for Python floats.
SINGULAR = {
    "math.sqrt/1": lambda x: x == 0,
    "math.asin/1": lambda x: abs(x) == 1,
    "math.acos/1": lambda x: abs(x) == 1,
    "math.acosh/1": lambda x: x == 1,
}


def _representatives():
    """Per rule: its first all-float case, and its smallest case with arrays (float64)."""
    chosen = {}
    for case in CASES:
        rule = case.rule
        if (case.problem is not None or case.dtype != "float64" or rule.kind == NONDIFF
                or rule_id(rule) in EXCLUDED or not case.names):
            continue
        arrays = any(shape is not None for _, shape in case.shapes)
        key = (rule_id(rule), arrays)
        if key not in chosen or _size(case) < _size(chosen[key]):
            chosen[key] = case
    return sorted(chosen.items())


def _size(case):
    return sum(int(np.prod(shape)) for _, shape in case.shapes if shape is not None)


def _resized(case, size_of):
    """The case with each array size mapped by ``size_of`` (the same size, the same new one,
    so that operands stay compatible)."""
    shapes = tuple((p, None if s is None else tuple(size_of(d) for d in s)) for p, s in
                   case.shapes)
    return Case(case.rule, shapes, case.consts, case.dtype)


def variants(case):
    """The case's own shapes, every size 1, and its first size 0 (elementwise rules treat
    every element alike: their own shapes are enough)."""
    shapes = [s for _, s in case.shapes if s]
    if not shapes or case.rule.kind == ELEMENTWISE or _constant_shapes(case):
        return [case]
    first = shapes[0][0]
    return [case, _resized(case, lambda d: 1), _resized(case, lambda d: 0 if d == first else d)]


AXES = {"axis", "keepdims", "include_initial", "axis1", "axis2", "offset"}


def _constant_shapes(case):
    """A runtime helper whose operands' shapes are given by constants (``untile(v, a,
    reps)`` with ``a`` of a fixed shape, ``unpad(v, pad_width)``): its adjoint ``v`` comes
    from the call it stands for, with the shape that goes with them, so a resized ``v``
    alone is no call that occurs."""
    return case.rule.name.startswith("srcdiff.runtime.") and any(
        name not in AXES for name, _ in case.consts)


def fillings(shape):
    if shape is None:
        return EDGE_VALUES
    pattern = (np.arange(int(np.prod(shape))) % 3 - 1.0).reshape(shape) * -1.0
    return (np.zeros(shape), np.ones(shape), pattern)


def points(generated):
    names = generated.names
    if all(generated.shape_of[p] is None for p in names):
        return list(itertools.product(EDGE_VALUES, repeat=len(names)))
    return [tuple(fillings(generated.shape_of[p])[k] for p in names) for k in range(3)]


def _quiet(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def _value(f, args):
    try:
        return float(_quiet(f, *args))
    except Exception:
        return math.nan


def _moved(args, index, step, element=None):
    x = args[index]
    if element is None:
        moved = x + step
    else:
        moved = x.copy()
        moved[element] += step
    return args[:index] + (moved,) + args[index + 1:]


def _slope(f, base, quotients):
    """The slope where the difference quotients at steps ±h and ±h/4 all agree (the
    derivative exists), else NaN: a kink's sides disagree, an infinite slope's quotients
    grow as the step shrinks, a jump's are huge and grow too."""
    values = np.array([(f(step) - base) / step for step in quotients])
    if not np.all(np.isfinite(values)):
        return math.nan
    mean = values.mean()
    return mean if np.ptp(values) <= AGREE * (1.0 + abs(mean)) else math.nan


STEPS = (STEP, -STEP, STEP / 4, -STEP / 4)


def partials(f, args, index):
    """The partial derivatives of f in args[index], NaN where they do not exist."""
    x = args[index]
    base = _value(f, args)
    if not isinstance(x, np.ndarray):
        return _slope(lambda h: _value(f, _moved(args, index, h)), base, STEPS)
    result = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        result[i] = _slope(lambda h, i=i: _value(f, _moved(args, index, h, i)), base, STEPS)
    return result


def differentiable(f, args, slopes):
    """Whether f is differentiable here as far as differences can tell: the partial
    derivatives exist, and they predict the slope along (1, 1, ...) and along a ±1 pattern
    (partial derivatives alone can exist where f has a kink across the axes, as np.median
    has where three values tie)."""
    if not all(np.all(np.isfinite(s)) for s in slopes):
        return False
    base = _value(f, args)
    for sign in (1.0, -1.0):
        direction = [sign * ((np.arange(np.size(a)) % 2) * 2 - 1.0).reshape(np.shape(a))
                     if sign < 0 else np.ones(np.shape(a)) for a in args]
        predicted = sum(float(np.sum(d * s)) for d, s in zip(direction, slopes))
        along = _slope(lambda h, direction=direction: _value(f, tuple(
            a + h * (d if np.ndim(a) else float(d)) for a, d in zip(args, direction))),
            base, STEPS)
        if not abs(along - predicted) <= 10 * AGREE * (1.0 + abs(predicted)):
            return False
    return True


def check_point(generated, grad_fn, point):
    try:
        value = _quiet(generated.fn, *point)
    except Exception:
        return  # the primitive is not defined here
    context = f"at {point!r}\n{generated.source}"
    singular = SINGULAR.get(rule_id(generated.case.rule))
    if singular is not None and singular(*point):
        with pytest.raises(srcdiff.SrcdiffError, match="has no finite derivative here"):
            grad_fn(*point)
        return
    try:
        grads = _quiet(grad_fn, *point)
    except Exception as error:
        derivative = srcdiff.source(generated.fn, wrt=generated.names, args=point)
        pytest.fail(f"the gradient raised {error!r} where the function returned {value!r}\n"
                    f"{context}\n{derivative}")
    for grad, arg in zip(grads, point):
        check_kind(grad, arg, context)
    if not np.isfinite(value):
        return
    _check_together(generated, grads, point, context)
    slopes = [partials(generated.fn, point, index) for index in range(len(point))]
    if not differentiable(generated.fn, point, slopes):
        return
    for index, (grad, slope) in enumerate(zip(grads, slopes)):
        if not np.allclose(grad, slope, **TOLERANCE):
            derivative = srcdiff.source(generated.fn, wrt=generated.names, args=point)
            np.testing.assert_allclose(grad, slope, **TOLERANCE, err_msg=(
                f"d/d{generated.names[index]} {context}\n{derivative}"))


def _check_together(generated, grads, point, context):
    """Where all operands moving together move the result smoothly, the adjoints add up to
    that slope, kink or not: at a tie (``np.clip(a, lo, hi)`` with ``a == lo == hi``) the
    adjoint must go somewhere, and operands computed from one value get its total."""
    if len(point) < 2:
        return
    base = _value(generated.fn, point)
    along = _slope(lambda h: _value(generated.fn, tuple(a + h for a in point)), base, STEPS)
    if not np.isfinite(along):
        return
    total = sum(float(np.sum(g)) for g in grads)
    assert abs(total - along) <= 10 * AGREE * (1.0 + abs(along)), (
        f"the adjoints add up to {total}, moving all operands together gives {along} "
        f"{context}")


@pytest.mark.parametrize("case", [
    pytest.param(case, id=f"{key}-{'arrays' if arrays else 'floats'}")
    for (key, arrays), case in _representatives()])
def test_edges(case):
    for variant in variants(case):
        rng = np.random.default_rng(zlib.crc32(variant.id.encode()))
        try:
            generated = _quiet(Generated, variant, rng)
        except Exception:
            continue  # the primitive does not take operands of these shapes
        grad_fn = srcdiff.gradient(generated.fn, wrt=tuple(generated.names))
        for point in points(generated):
            check_point(generated, grad_fn, point)
