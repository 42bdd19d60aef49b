"""NumPy's elementwise functions (ufuncs and the like). Adjoints have the result's shape;
the reverse stage reduces them back to each operand's shape where broadcasting happened.

Reductions, shapes, products and array creation live in ``reductions.py``, ``shapes.py``,
``linalg.py`` and ``creation.py``.
"""

import numpy as np

from . import results as R
from .registry import NONDIFF, declare

FIRST = "a tie goes to the first argument"


def _np(fn, signature, *templates, **options):
    declare(fn, signature, *templates, name=f"numpy.{fn.__name__}", **options)


_np(np.sin, "x", "g * np.cos(x)")
_np(np.cos, "x", "-g * np.sin(x)")
_np(np.tan, "x", "g * (1.0 + ans * ans)")
_np(np.exp, "x", "g * ans")
_np(np.expm1, "x", "g * (ans + 1.0)")
_np(np.exp2, "x", "g * ans * math.log(2.0)")
_np(np.log, "x", "g / x", domain={"x": "positive"})
_np(np.log1p, "x", "g / (1.0 + x)", domain={"x": "positive"})
_np(np.log2, "x", "g / (x * math.log(2.0))", domain={"x": "positive"})
_np(np.log10, "x", "g / (x * math.log(10.0))", domain={"x": "positive"})
_np(np.logaddexp, "x, y", "g * np.exp(x - ans)", "g * np.exp(y - ans)")
_np(np.logaddexp2, "x, y", "g * np.exp2(x - ans)", "g * np.exp2(y - ans)")
_np(np.sqrt, "x", "g * 0.5 / ans", domain={"x": "positive"})
_np(np.cbrt, "x", "g / (3.0 * ans * ans)", domain={"x": "positive"})
_np(np.square, "x", "g * 2.0 * x")
_np(np.reciprocal, "x", "-g * ans * ans", domain={"x": "nonzero"})
_np(np.power, "x, y", "g * y * x ** (y - 1)", "g * ans * np.log(x)", domain={"x": "positive"},
    notes="the exponent's adjoint needs x > 0")
_np(np.float_power, "x, y", "cast_like(g * y * np.float_power(x, y - 1), x)",
    "cast_like(g * ans * np.log(x), y)", domain={"x": "positive"},
    notes="computed in float64; each adjoint is cast back to its argument's dtype")
_np(np.sinh, "x", "g * np.cosh(x)")
_np(np.cosh, "x", "g * np.sinh(x)")
_np(np.tanh, "x", "g * (1.0 - ans * ans)")
_np(np.arcsin, "x", "g / np.sqrt(1.0 - x * x)", domain={"x": "unit"})
_np(np.arccos, "x", "-g / np.sqrt(1.0 - x * x)", domain={"x": "unit"})
_np(np.arctan, "x", "g / (1.0 + x * x)")
_np(np.arcsinh, "x", "g / np.sqrt(x * x + 1.0)")
_np(np.arccosh, "x", "g / np.sqrt(x * x - 1.0)", domain={"x": "above1"})
_np(np.arctanh, "x", "g / (1.0 - x * x)", domain={"x": "unit"})
_np(np.arctan2, "y, x", "g * x / (x * x + y * y)", "-g * y / (x * x + y * y)")
_np(np.hypot, "x, y", "g * x / ans", "g * y / ans")
_np(np.sinc, "x", "g * (np.cos(np.pi * x) - ans) / x",
    notes="sinc(x) = sin(pi x) / (pi x); the form divides by x (its limit at 0 is 0)")
_np(np.deg2rad, "x", "g * (math.pi / 180.0)")
_np(np.radians, "x", "g * (math.pi / 180.0)")
_np(np.rad2deg, "x", "g * (180.0 / math.pi)")
_np(np.degrees, "x", "g * (180.0 / math.pi)")
_np(np.add, "x, y", "g", "g")
_np(np.subtract, "x, y", "g", "-g")
_np(np.multiply, "x, y", "g * y", "g * x")
_np(np.divide, "x, y", "g / y", "-g * ans / y", domain={"y": "nonzero"})
_np(np.negative, "x", "-g")
_np(np.positive, "x", "g")
_np(np.conjugate, "x", "g", notes="real arguments (the identity); np.conj is the same function")
_np(np.absolute, "x", "g * np.sign(x)", notes="abs'(0) = 0")
_np(np.fabs, "x", "g * np.sign(x)", notes="fabs'(0) = 0")
_np(np.copysign, "x, y", "g * np.sign(x) * np.sign(ans)", None,
    notes="the sign donor y gets no adjoint")
_np(np.maximum, "x, y", "g * (x >= y)", "g * (x < y)", notes=FIRST)
_np(np.minimum, "x, y", "g * (x <= y)", "g * (x > y)", notes=FIRST)
_np(np.fmax, "x, y", "g * (ans == x)", "g * (ans != x)", notes=FIRST + "; a NaN gets none")
_np(np.fmin, "x, y", "g * (ans == x)", "g * (ans != x)", notes=FIRST + "; a NaN gets none")
_np(np.fmod, "x, y", "g", "-g * np.trunc(x / y)", domain={"y": "nonzero"},
    notes="piecewise; jumps where x / y is whole")
_np(np.remainder, "x, y", "g", "-g * np.floor(x / y)", domain={"y": "positive"},
    notes="np.mod is the same function; piecewise, jumps where x / y is whole")
_np(np.ldexp, "x, i", "np.ldexp(g, i)", None, domain={"i": "int"})
_np(np.nan_to_num, "x", "g * np.isfinite(x)", notes="NaNs and infinities get no adjoint")
_np(np.heaviside, "x, h", None, "g * (x == 0)", notes="x gets no adjoint (a step)")
_np(np.where, "condition, x, y", None, "np.where(condition, g, 0.0)",
    "np.where(condition, 0.0, g)")


def _select_clip(rule, avals, bound):
    low, high = (R.literals(bound, p) for p in ("a_min", "a_max"))
    label = ("" if low == (None,) else "low") + ("" if high == (None,) else "high")
    return rule.templates if label == "lowhigh" else rule.form(label or "none")


_np(np.clip, "a, a_min, a_max", "g * ((a >= a_min) & (a <= a_max))",
    "g * ((a < a_min) & (a_min <= a_max))", "g * (np.maximum(a, a_min) > a_max)",
    selector=_select_clip,
    forms={"none": ("g", None, None),
           "low": ("g * (a >= a_min)", "g * (a < a_min)", None),
           "high": ("g * (a <= a_max)", None, "g * (a > a_max)")},
    notes="np.minimum(np.maximum(a, a_min), a_max), as NumPy defines it (a_max wins when the "
          "bounds cross); at a bound, a keeps the adjoint; a None bound has none")

for _fn in (np.sign, np.floor, np.ceil, np.rint, np.trunc, np.fix, np.signbit, np.spacing, np.isnan,
            np.isfinite, np.isinf, np.isposinf, np.isneginf, np.logical_not):
    _np(_fn, "x", kind=NONDIFF)
for _fn in (np.round, np.around):
    _np(_fn, "a, decimals=0", kind=NONDIFF)
for _fn in (np.floor_divide, np.greater, np.greater_equal, np.less, np.less_equal, np.equal,
            np.not_equal, np.logical_and, np.logical_or, np.logical_xor):
    _np(_fn, "x, y", kind=NONDIFF)
_np(np.isclose, "a, b", kind=NONDIFF)
