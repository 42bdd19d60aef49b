"""NumPy's elementwise functions (ufuncs and the like). Adjoints have the result's shape;
the reverse stage reduces them back to each operand's shape where broadcasting happened.

Reductions, shapes, products and array creation live in ``reductions.py``, ``shapes.py``,
``linalg.py`` and ``creation.py``.
"""

import numpy as np

from . import results as R
from .arith import POWER_NOTES, power_forms, select_power
from .families import elementwise, zero_derivative
from .registry import HOLOMORPHIC

FIRST = "a tie goes to the first argument"


def select_scalar(rule, avals, bound):
    """A conditional expression (``g if x >= y else 0.0``) where every operand is a scalar;
    ``np.where`` otherwise. Either keeps the adjoint's type: ``g * (x >= y)`` would hand back
    a bool where ``g`` is the literal 1.0 and the product is folded away."""
    if all(aval.kind in (R.PY, R.NP) for aval in avals.values()):
        return rule.form("scalar")
    return rule.templates


def _np(fn, signature, *templates, **options):
    elementwise(fn, signature, *templates, name=f"numpy.{fn.__name__}", **options)


def _inactive(fn, signature):
    zero_derivative(fn, signature, name=f"numpy.{fn.__name__}")


_np(np.sin, "x", "g * np.cos(x)", complex=HOLOMORPHIC)
_np(np.cos, "x", "-g * np.sin(x)", complex=HOLOMORPHIC)
_np(np.tan, "x", "g * (1.0 + ans * ans)", complex=HOLOMORPHIC)
_np(np.exp, "x", "g * ans", complex=HOLOMORPHIC)
_np(np.expm1, "x", "g * (ans + 1.0)", complex=HOLOMORPHIC)
_np(np.exp2, "x", "g * ans * math.log(2.0)", complex=HOLOMORPHIC)
_np(np.log, "x", "g / x", domain={"x": "positive"}, complex=HOLOMORPHIC)
_np(np.log1p, "x", "g / (1.0 + x)", domain={"x": "positive"}, complex=HOLOMORPHIC)
_np(np.log2, "x", "g / (x * math.log(2.0))", domain={"x": "positive"}, complex=HOLOMORPHIC)
_np(np.log10, "x", "g / (x * math.log(10.0))", domain={"x": "positive"}, complex=HOLOMORPHIC)
_np(np.logaddexp, "x, y", "g * np.exp(x - ans)", "g * np.exp(y - ans)")
_np(np.logaddexp2, "x, y", "g * np.exp2(x - ans)", "g * np.exp2(y - ans)")
_np(np.sqrt, "x", "g * 0.5 / ans", domain={"x": "positive"}, complex=HOLOMORPHIC)
_np(np.cbrt, "x", "g / (3.0 * ans * ans)", domain={"x": "positive"})
_np(np.square, "x", "g * 2.0 * x", complex=HOLOMORPHIC)
_np(np.reciprocal, "x", "-g * ans * ans", domain={"x": "nonzero"}, complex=HOLOMORPHIC)
_np(np.power, "x, y", "g * dpow_dx(x, y)", "g * dpow_dy(x, ans)", domain={"x": "positive"},
    selector=select_power, forms=power_forms("g * y * x ** (y - 1)", "g * ans * np.log(x)"),
    notes=POWER_NOTES, complex=HOLOMORPHIC)
_np(np.float_power, "x, y", "cast_like(g * dpow_dx(x, y), x)", "cast_like(g * dpow_dy(x, ans), y)",
    domain={"x": "positive"}, selector=select_power,
    forms={label: tuple(None if t is None else f"cast_like({t}, {p})" for t, p in zip(ts, "xy"))
           for label, ts in power_forms("g * y * np.float_power(x, y - 1)",
                                        "g * ans * np.log(x)").items()},
    notes="computed in float64; each adjoint is cast back to its argument's dtype; "
          + POWER_NOTES, complex=HOLOMORPHIC)
_np(np.sinh, "x", "g * np.cosh(x)", complex=HOLOMORPHIC)
_np(np.cosh, "x", "g * np.sinh(x)", complex=HOLOMORPHIC)
_np(np.tanh, "x", "g * (1.0 - ans * ans)", complex=HOLOMORPHIC)
_np(np.arcsin, "x", "g / np.sqrt(1.0 - x * x)", domain={"x": "unit"}, complex=HOLOMORPHIC)
_np(np.arccos, "x", "-g / np.sqrt(1.0 - x * x)", domain={"x": "unit"}, complex=HOLOMORPHIC)
_np(np.arctan, "x", "g / (1.0 + x * x)", complex=HOLOMORPHIC)
_np(np.arcsinh, "x", "g / np.sqrt(x * x + 1.0)", complex=HOLOMORPHIC)
_np(np.arccosh, "x", "g / np.sqrt(x * x - 1.0)", domain={"x": "above1"})
_np(np.arctanh, "x", "g / (1.0 - x * x)", domain={"x": "unit"}, complex=HOLOMORPHIC)
_np(np.arctan2, "y, x", "g * unit(x, x * x + y * y)", "-g * unit(y, x * x + y * y)",
    notes="no derivative at the origin (atan2 jumps there): 0 is used, as for hypot")
_np(np.hypot, "x, y", "g * unit(x, ans)", "g * unit(y, ans)")
_np(np.sinc, "x", "g * dsinc_dx(x, ans)",
    notes="sinc(x) = sin(pi x) / (pi x); dsinc_dx is (cos(pi x) - ans) / x, and its limit 0 "
          "at x = 0")
_np(np.deg2rad, "x", "g * (math.pi / 180.0)")
_np(np.radians, "x", "g * (math.pi / 180.0)")
_np(np.rad2deg, "x", "g * (180.0 / math.pi)")
_np(np.degrees, "x", "g * (180.0 / math.pi)")
_np(np.add, "x, y", "g", "g", complex=HOLOMORPHIC)
_np(np.subtract, "x, y", "g", "-g", complex=HOLOMORPHIC)
_np(np.multiply, "x, y", "g * y", "g * x", complex=HOLOMORPHIC)
_np(np.divide, "x, y", "g / y", "-g * ans / y", domain={"y": "nonzero"}, complex=HOLOMORPHIC)
_np(np.negative, "x", "-g", complex=HOLOMORPHIC)
_np(np.positive, "x", "g", complex=HOLOMORPHIC)
_np(np.conjugate, "x", "g", complex=("np.conj(g)",), complex_jvp=("np.conj(x_dot)",),
    notes="np.conj is the same function; for complex x, the adjoint is conj(g)")
_np(np.real, "val", "g", complex=("g",), complex_jvp=("np.real(val_dot)",), views=True,
    notes="for complex val, the adjoint is g (real): L moves with Re(val) only")
_np(np.imag, "val", "0.0 * g", complex=("-1j * g",), complex_jvp=("np.imag(val_dot)",),
    notes="a real val's imaginary part is the constant 0; for complex val the adjoint is "
          "-1j * g under JAX's convention")
_np(np.angle, "z", "0.0 * g", complex=("-1j * g / z",),
    complex_jvp=("np.imag(np.conj(z) * z_dot) / np.real(np.conj(z) * z)",),
    notes="a real z's angle is a constant (0 or pi); for complex z, -1j * g / z (z != 0)")
_np(np.absolute, "x", "g * np.sign(x)", notes="abs'(0) = 0; for complex x, "
    "g * conj(x) / |x| (0 at x = 0)", complex=("g * np.conj(np.sign(x))",),
    complex_jvp=("np.real(np.conj(np.sign(x)) * x_dot)",))
_np(np.fabs, "x", "g * np.sign(x)", notes="fabs'(0) = 0")
_np(np.copysign, "x, y", "g * np.copysign(1.0, x) * np.copysign(1.0, y)", None,
    notes="the sign donor y gets no adjoint; at x = 0 the slope of |x| is taken as 1 (so "
          "np.copysign(u, u), which is u, has derivative 1 everywhere)")
_np(np.maximum, "x, y", "np.where(x >= y, g, 0.0)", "np.where(x >= y, 0.0, g)", notes=FIRST,
    selector=select_scalar, forms={"scalar": ("g if x >= y else 0.0", "0.0 if x >= y else g")})
_np(np.minimum, "x, y", "np.where(x <= y, g, 0.0)", "np.where(x <= y, 0.0, g)", notes=FIRST,
    selector=select_scalar, forms={"scalar": ("g if x <= y else 0.0", "0.0 if x <= y else g")})
for _fn in (np.fmax, np.fmin):
    _np(_fn, "x, y", "np.where(ans == x, g, 0.0)", "np.where(ans == x, 0.0, g)",
        notes=FIRST + "; a NaN gets none", selector=select_scalar,
        forms={"scalar": ("g if ans == x else 0.0", "0.0 if ans == x else g")})
_np(np.fmod, "x, y", "g", "-g * np.trunc(x / y)", domain={"y": "nonzero"},
    notes="piecewise; jumps where x / y is whole")
_np(np.remainder, "x, y", "g", "-g * np.floor(x / y)", domain={"y": "positive"},
    notes="np.mod is the same function; piecewise, jumps where x / y is whole")
_np(np.ldexp, "x, i", "np.ldexp(g, i)", None, domain={"i": "int"})
_np(np.nan_to_num, "x", "np.where(np.isfinite(x), g, 0.0)", selector=select_scalar,
    forms={"scalar": ("g if xp.isfinite(x) else 0.0",)},
    notes="NaNs and infinities get no adjoint")
_np(np.heaviside, "x, h", None, "np.where(x == 0, g, 0.0)", selector=select_scalar,
    forms={"scalar": (None, "g if x == 0 else 0.0")}, notes="x gets no adjoint (a step)")
_np(np.where, "condition, x, y", None, "np.where(condition, g, 0.0)",
    "np.where(condition, 0.0, g)", complex=HOLOMORPHIC)


def _select_clip(rule, avals, bound):
    low, high = (R.literals(bound, p) for p in ("a_min", "a_max"))
    label = ("" if low == (None,) else "low") + ("" if high == (None,) else "high")
    return rule.templates if label == "lowhigh" else rule.form(label or "none")


_np(np.clip, "a, a_min, a_max",
    "np.where((a >= a_min) & (a <= a_max) & (a_min < a_max), g, 0.0)",
    "np.where((a < a_min) & (a_min < a_max), g, 0.0)",
    "np.where((np.maximum(a, a_min) > a_max) | (a_min >= a_max), g, 0.0)", selector=_select_clip,
    forms={"none": ("g", None, None),
           "low": ("np.where(a >= a_min, g, 0.0)", "np.where(a >= a_min, 0.0, g)", None),
           "high": ("np.where(a <= a_max, g, 0.0)", None, "np.where(a <= a_max, 0.0, g)")},
    notes="np.minimum(np.maximum(a, a_min), a_max), as NumPy defines it (a_max wins when the "
          "bounds meet or cross, and gets the adjoint then: the result is a_max); at a bound, "
          "a keeps the adjoint; exactly one operand gets it everywhere, so operands that move "
          "together get the right total; a None bound has none")

for _fn in (np.sign, np.floor, np.ceil, np.rint, np.trunc, np.fix, np.signbit, np.spacing, np.isnan,
            np.isfinite, np.isinf, np.isposinf, np.isneginf, np.logical_not):
    _inactive(_fn, "x")
for _fn in (np.round, np.around):
    _inactive(_fn, "a, decimals=0")
for _fn in (np.floor_divide, np.greater, np.greater_equal, np.less, np.less_equal, np.equal,
            np.not_equal, np.logical_and, np.logical_or, np.logical_xor):
    _inactive(_fn, "x, y")
_inactive(np.isclose, "a, b")
