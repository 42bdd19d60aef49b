"""Python's arithmetic operators. ``xp`` is ``math`` for Python scalars and ``np`` otherwise;
``@`` is declared with the other matrix products in ``linalg.py``."""

import operator as op

from .registry import NONDIFF, declare

declare(op.add, "x, y", "g", "g", symbol="+", name="x + y")
declare(op.sub, "x, y", "g", "-g", symbol="-", name="x - y")
declare(op.mul, "x, y", "g * y", "g * x", symbol="*", name="x * y")
declare(op.truediv, "x, y", "g / y", "-g * ans / y", symbol="/", name="x / y",
        domain={"y": "nonzero"})
declare(op.pow, "x, y", "g * y * x ** (y - 1)", "g * ans * xp.log(x)", symbol="**",
        name="x ** y", domain={"x": "positive"},
        notes="the exponent's adjoint needs x > 0")
declare(op.neg, "x", "-g", symbol="-", name="-x")
declare(op.pos, "x", "g", symbol="+", name="+x")
declare(op.mod, "x, y", "g", "-g * xp.floor(x / y)", symbol="%", name="x % y",
        domain={"y": "positive"}, notes="piecewise; not differentiable where x / y is whole")

for fn, symbol in [(op.floordiv, "//"), (op.lt, "<"), (op.le, "<="), (op.gt, ">"),
                   (op.ge, ">="), (op.eq, "=="), (op.ne, "!=")]:
    declare(fn, "x, y", kind=NONDIFF, symbol=symbol, name=f"x {symbol} y")
declare(op.not_, "x", kind=NONDIFF, symbol="not", name="not x")


def _identity_test(avals, bound):
    """``x is y`` is a bool, whatever x and y are (None, say); nothing to evaluate."""
    from ..avals import PY, AVal
    return AVal(PY, bool)


declare(op.is_, "x, y", kind=NONDIFF, symbol="is", name="x is y", shape=_identity_test)
declare(op.is_not, "x, y", kind=NONDIFF, symbol="is not", name="x is not y",
        shape=_identity_test)
