"""Python's arithmetic operators. ``xp`` is ``math`` for Python scalars and ``np`` otherwise;
``@`` is declared with the other matrix products in ``linalg.py``."""

import operator as op

from ..ir.avals import PY, AVal
from . import results as R
from .families import elementwise, zero_derivative
from .registry import HOLOMORPHIC

POWER_NOTES = ("x ** 0, x ** 1 and x ** 2 have the adjoints 0, g and 2.0 * g * x; a variable "
               "exponent goes through dpow_dx and dpow_dy, exact at x = 0 (x ** 0 is the "
               "constant 1; 0 ** y is 0 for y > 0)")


def power_forms(literal, log):
    """The forms of a power rule: ``literal`` is the base's adjoint for a literal exponent
    (exact wherever finite), ``log`` the exponent's for a literal positive base."""
    return {"zero": (None, None), "one": ("g", None), "square": ("2.0 * g * x", None),
            "literal": (literal, None), "positive_base": (None, log)}


def select_power(rule, avals, bound):
    """Plain arithmetic where a literal decides: the exponent 0, 1 or 2; another whole
    exponent, or one above 1 or below 0 (the textbook formula, exact wherever it is finite);
    a positive base. Otherwise the helpers, which are exact at x = 0 for every exponent.
    An exponent between 0 and 1 (``x ** 0.5``) has an unbounded slope at x = 0, where
    ``0.0 ** -0.5`` raises for Python floats: the helper gives inf there; NumPy's power
    gives inf itself."""
    y, x = R.literals(bound, "y"), R.literals(bound, "x")
    if y is not None and _number(y[0]):
        if y[0] in (0, 1, 2):
            return rule.form({0: "zero", 1: "one", 2: "square"}[y[0]])
        numpy = any(aval.kind in (R.NP, R.ARRAY) for aval in avals.values())
        if float(y[0]).is_integer() or not 0 < y[0] < 1 or numpy:
            return rule.form("literal")
    if x is not None and _number(x[0]) and x[0] > 0:
        return rule.form("positive_base")
    return rule.templates


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


elementwise(op.add, "x, y", "g", "g", symbol="+", name="x + y", complex=HOLOMORPHIC)
elementwise(op.sub, "x, y", "g", "-g", symbol="-", name="x - y", complex=HOLOMORPHIC)
elementwise(op.mul, "x, y", "g * y", "g * x", symbol="*", name="x * y", complex=HOLOMORPHIC)
elementwise(op.truediv, "x, y", "g / y", "-g * ans / y", symbol="/", name="x / y",
            domain={"y": "nonzero"}, complex=HOLOMORPHIC)
elementwise(op.pow, "x, y", "g * dpow_dx(x, y)", "g * dpow_dy(x, ans)", symbol="**",
            name="x ** y", domain={"x": "positive"}, selector=select_power,
            forms=power_forms("g * y * x ** (y - 1)", "g * ans * xp.log(x)"), notes=POWER_NOTES,
            complex=HOLOMORPHIC)
elementwise(op.neg, "x", "-g", symbol="-", name="-x", complex=HOLOMORPHIC)
elementwise(op.pos, "x", "g", symbol="+", name="+x", complex=HOLOMORPHIC)
elementwise(op.mod, "x, y", "g", "-g * xp.floor(x / y)", symbol="%", name="x % y",
            domain={"y": "positive"}, notes="piecewise; not differentiable where x / y is whole")

for fn, symbol in [(op.floordiv, "//"), (op.lt, "<"), (op.le, "<="), (op.gt, ">"),
                   (op.ge, ">="), (op.eq, "=="), (op.ne, "!=")]:
    zero_derivative(fn, "x, y", symbol=symbol, name=f"x {symbol} y")
zero_derivative(op.not_, "x", symbol="not", name="not x")


def _identity_test(avals, bound):
    """``x is y`` is a bool, whatever x and y are (None, say); nothing to evaluate."""
    return AVal(PY, bool)


zero_derivative(op.is_, "x, y", symbol="is", name="x is y", shape=_identity_test)
zero_derivative(op.is_not, "x, y", symbol="is not", name="x is not y",
                shape=_identity_test)
