"""The ``math`` module. Results are Python floats; adjoints reuse ``ans`` where it helps."""

import math

from .arith import POWER_NOTES, power_forms, select_power
from .families import elementwise, zero_derivative
from .registry import SCALAR


def _scalar(fn, signature, *templates, **options):
    elementwise(fn, signature, *templates, kind=SCALAR, name=f"math.{fn.__name__}", **options)


_scalar(math.sin, "x", "g * math.cos(x)")
_scalar(math.cos, "x", "-g * math.sin(x)")
_scalar(math.tan, "x", "g * (1.0 + ans * ans)")
_scalar(math.exp, "x", "g * ans")
_scalar(math.expm1, "x", "g * (ans + 1.0)")
_scalar(math.log, "x", "g / x", domain={"x": "positive"})
_scalar(math.log, "x, base", "g / (x * math.log(base))", "-g * ans / (base * math.log(base))",
        domain={"x": "positive", "base": "above1"})
_scalar(math.log1p, "x", "g / (1.0 + x)", domain={"x": "positive"})
_scalar(math.log2, "x", "g / (x * math.log(2.0))", domain={"x": "positive"})
_scalar(math.log10, "x", "g / (x * math.log(10.0))", domain={"x": "positive"})
_scalar(math.sqrt, "x", "g * 0.5 / ans", domain={"x": "positive"})
_scalar(math.tanh, "x", "g * (1.0 - ans * ans)")
_scalar(math.sinh, "x", "g * math.cosh(x)")
_scalar(math.cosh, "x", "g * math.sinh(x)")
_scalar(math.asinh, "x", "g / math.sqrt(x * x + 1.0)")
_scalar(math.acosh, "x", "g / math.sqrt(x * x - 1.0)", domain={"x": "above1"})
_scalar(math.atanh, "x", "g / (1.0 - x * x)", domain={"x": "unit"})
_scalar(math.atan, "x", "g / (1.0 + x * x)")
_scalar(math.asin, "x", "g / math.sqrt(1.0 - x * x)", domain={"x": "unit"})
_scalar(math.acos, "x", "-g / math.sqrt(1.0 - x * x)", domain={"x": "unit"})
_scalar(math.atan2, "y, x", "g * unit(x, x * x + y * y)", "-g * unit(y, x * x + y * y)",
        notes="no derivative at the origin (atan2 jumps there): 0 is used, as for hypot")
_scalar(math.hypot, "x, y", "g * unit(x, ans)", "g * unit(y, ans)")
_scalar(math.pow, "x, y", "g * dpow_dx(x, y)", "g * dpow_dy(x, ans)", domain={"x": "positive"},
        selector=select_power, forms=power_forms("g * y * math.pow(x, y - 1.0)",
                                                 "g * ans * math.log(x)"), notes=POWER_NOTES)
_scalar(math.fabs, "x", "g * np.sign(x)", notes="fabs'(0) = 0")
_scalar(math.erf, "x", "g * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)")
_scalar(math.erfc, "x", "-g * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)")
_scalar(math.degrees, "x", "g * (180.0 / math.pi)")
_scalar(math.radians, "x", "g * (math.pi / 180.0)")
for _fn in (math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite):
    zero_derivative(_fn, "x", name=f"math.{_fn.__name__}")
