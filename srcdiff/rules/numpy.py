"""NumPy functions. Elementwise rules give adjoints of the result's shape; the reverse stage
reduces them back to each operand's shape when broadcasting was involved."""

import numpy as np

from .registry import MATMUL, NONDIFF, REDUCE, declare


def _np(fn, signature, *templates, **options):
    declare(fn, signature, *templates, name=f"numpy.{fn.__name__}", **options)


_np(np.sin, "x", "g * np.cos(x)")
_np(np.cos, "x", "-g * np.sin(x)")
_np(np.tan, "x", "g * (1.0 + ans * ans)")
_np(np.exp, "x", "g * ans")
_np(np.expm1, "x", "g * (ans + 1.0)")
_np(np.log, "x", "g / x", domain={"x": "positive"})
_np(np.log1p, "x", "g / (1.0 + x)", domain={"x": "positive"})
_np(np.sqrt, "x", "g * 0.5 / ans", domain={"x": "positive"})
_np(np.square, "x", "g * 2.0 * x")
_np(np.tanh, "x", "g * (1.0 - ans * ans)")
_np(np.sinh, "x", "g * np.cosh(x)")
_np(np.cosh, "x", "g * np.sinh(x)")
_np(np.arctan, "x", "g / (1.0 + x * x)")
_np(np.arcsin, "x", "g / np.sqrt(1.0 - x * x)", domain={"x": "unit"})
_np(np.arccos, "x", "-g / np.sqrt(1.0 - x * x)", domain={"x": "unit"})
_np(np.arctan2, "y, x", "g * x / (x * x + y * y)", "-g * y / (x * x + y * y)")
_np(np.hypot, "x, y", "g * x / ans", "g * y / ans")
_np(np.log2, "x", "g / (x * math.log(2.0))", domain={"x": "positive"})
_np(np.log10, "x", "g / (x * math.log(10.0))", domain={"x": "positive"})
_np(np.exp2, "x", "g * ans * math.log(2.0)")
_np(np.arcsinh, "x", "g / np.sqrt(x * x + 1.0)")
_np(np.arccosh, "x", "g / np.sqrt(x * x - 1.0)", domain={"x": "above1"})
_np(np.arctanh, "x", "g / (1.0 - x * x)", domain={"x": "unit"})
_np(np.cbrt, "x", "g / (3.0 * ans * ans)", domain={"x": "positive"})
_np(np.reciprocal, "x", "-g * ans * ans", domain={"x": "nonzero"})
_np(np.negative, "x", "-g")
_np(np.power, "x, y", "g * y * x ** (y - 1)", "g * ans * np.log(x)", domain={"x": "positive"})
_np(np.absolute, "x", "g * np.sign(x)", notes="abs'(0) = 0")
_np(np.maximum, "x, y", "g * (x >= y)", "g * (x < y)", notes="a tie goes to the first argument")
_np(np.minimum, "x, y", "g * (x <= y)", "g * (x > y)", notes="a tie goes to the first argument")
_np(np.where, "condition, x, y", None, "np.where(condition, g, 0.0)",
    "np.where(condition, 0.0, g)")
_np(np.sum, "a", "np.full_like(a, g)", kind=REDUCE, cases={(0,): ("g",)})
_np(np.mean, "a", "np.full_like(a, g / a.size)", kind=REDUCE, cases={(0,): ("g",)})
_np(np.dot, "a, b", "dot_lhs_vjp(g, a, b)", "dot_rhs_vjp(g, a, b)", kind=MATMUL,
    cases={(2, 2): ("g @ b.T", "a.T @ g"),
           (2, 1): ("np.outer(g, b)", "a.T @ g"),
           (1, 2): ("b @ g", "np.outer(a, g)"),
           (1, 1): ("g * b", "g * a")})
_np(np.matmul, "a, b", "matmul_lhs_vjp(g, a, b)", "matmul_rhs_vjp(g, a, b)", kind=MATMUL,
    cases={(2, 2): ("g @ b.T", "a.T @ g"),
           (2, 1): ("np.outer(g, b)", "a.T @ g"),
           (1, 2): ("b @ g", "np.outer(a, g)"),
           (1, 1): ("g * b", "g * a")})
for _fn in (np.sign, np.floor, np.ceil, np.round, np.isnan, np.isfinite):
    _np(_fn, "x", kind=NONDIFF)
