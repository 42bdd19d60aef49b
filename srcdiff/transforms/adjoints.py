"""Adjoint expressions from rule templates: substitution, broadcasting, tidy algebra.

A template such as ``g * np.cos(x)`` becomes an expression over symbolic references
(:mod:`srcdiff.ir.code`): ``g`` is the adjoint flowing in, ``ans`` the primitive's result, and
parameter names the operands. ``xp`` is ``math`` when every operand is a Python scalar and
``np`` otherwise; other free names are helpers from :mod:`srcdiff.runtime`.
"""

from __future__ import annotations

import math

import gast
import numpy as np

from .. import runtime
from ..backend.arrays import NUMPY
from ..ir import code, trees
from ..ir import nodes as ir
from ..ir.avals import ARRAY, NP, PY
from ..ir.code import ADJ, DEF, OBJ, TAN
from ..primitives.protocol import UNBROADCAST, reduction

_NAMESPACE = {"math": math, "np": np}


def python_calls_to_math(expr, aval_of):
    """``np.log(x)`` on a Python float would make a float64 NumPy scalar and promote a float32
    adjoint; ``math.log(x)`` gives a Python float, which NumPy treats as weakly typed."""
    for node in trees.walk(expr):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)):
            continue
        base = code.ref_of(node.func.value)
        if base != (OBJ, np) or not hasattr(math, node.func.attr) or len(node.args) != 1:
            continue
        leaves = code.refs(node.args[0])
        if not leaves or not all(kind == DEF and aval_of(key).kind == PY
                                 and aval_of(key).dtype is not complex for kind, key in leaves):
            continue
        node.func.value = code.ref(OBJ, math)
    return expr


def merge_repeats(exprs):
    """``g * r + g * r`` (from ``r * r``) reads better as ``2.0 * g * r``; doubling is exact."""
    if len(exprs) == 2 and trees.same(exprs[0], exprs[1]):
        first = exprs[0]
        if isinstance(first, gast.BinOp) and isinstance(first.op, gast.Mult):
            doubled = gast.BinOp(left=code.const(2.0), op=gast.Mult(), right=first.left)
            return [gast.BinOp(left=doubled, op=gast.Mult(), right=first.right)]
        return [gast.BinOp(left=code.const(2.0), op=gast.Mult(), right=first)]
    return exprs


def instantiate(template, g, names, all_python):
    """A copy of ``template`` with each of its plain names replaced: ``g`` by the adjoint,
    a parameter (or ``ans``) by its operand in ``names``, anything else by the object it
    names (``xp``, a module, a runtime helper). Symbolic references are shared."""
    def copied(node):
        if type(node) is gast.Name and code.ref_of(node) is None:
            return _replacement(node.id, g, names, all_python)
        new = type(node).__new__(type(node))
        fields = new.__dict__
        for field_name, value in node.__dict__.items():
            if type(value) is list:
                value = [copied(v) if isinstance(v, gast.AST) else v for v in value]
            elif isinstance(value, gast.AST):
                value = copied(value)
            fields[field_name] = value
        return new
    return copied(template)


def _replacement(name, g, names, all_python):
    if name == "g":
        return code.clone(g)
    if name in names:
        return code.clone(names[name])
    if name == "xp":
        return code.ref(OBJ, math if all_python else np)
    if name in _NAMESPACE:
        return code.ref(OBJ, _NAMESPACE[name])
    return code.ref(OBJ, getattr(runtime, name))


def reduce_to(expr, operand, result, operand_expr):
    """Sum an elementwise contribution back to the operand's shape if it was broadcast;
    ``operand_expr()`` gives the operand, where only run time can tell the shape."""
    how = reduction(operand, result)
    if how is None:
        return expr
    if how == UNBROADCAST:
        return gast.Call(func=code.ref(OBJ, runtime.unbroadcast),
                         args=[expr, code.clone(operand_expr())], keywords=[])
    _, axes, keepdims = how
    if axes is None:
        return np_call("sum", [expr])
    if keepdims:
        return np_call("sum", [expr], axis=_axis(axes), keepdims=True)
    return np_call("sum", [expr], axis=_axis(axes))


def _axis(axes):
    axes = tuple(axes)
    if len(axes) == 1:
        return code.const(axes[0])
    return gast.Tuple(elts=[code.const(a) for a in axes], ctx=gast.Load())


np_call = NUMPY.call


def zero_literal(aval):
    """The zero of a value of this kind written out (``(0.0, np.zeros(3))``), or None where
    it depends on the value itself (an array of unknown shape, a list that grows)."""
    if aval.kind == PY and aval.dtype in (float, complex, int, bool):
        return code.const(aval.dtype(0))
    if aval.kind == NP and aval.dtype is not None:
        return gast.Call(func=code.ref(OBJ, aval.dtype.type), args=[code.const(0.0)],
                         keywords=[])
    shape = aval.known_shape
    if aval.kind == ARRAY and shape is not None and aval.dtype is not None and all(
            isinstance(d, int) for d in shape):
        return NUMPY.zeros(shape, aval.dtype)
    if not aval.container or aval.items is None:
        return None
    zeros = [zero_literal(item) for item in aval.elements]
    if any(z is None for z in zeros):
        return None
    if aval.pytype is dict:
        return gast.Dict(keys=[code.const(k) for k, _ in aval.items], values=zeros)
    if aval.pytype is list:
        return gast.List(elts=zeros, ctx=gast.Load())
    if aval.pytype is tuple:
        return gast.Tuple(elts=zeros, ctx=gast.Load())
    return None


def zero_like(aval, operand):
    """The zero of ``operand``'s kind: written out for numbers and containers of fixed
    structure, else made from the value (an array keeps ``np.zeros_like`` even where its
    shape is known, as printed derivatives have always said)."""
    if aval.kind in (PY, NP) or aval.container:
        literal = zero_literal(aval)
        if literal is not None:
            return literal
    if aval.container:
        return gast.Call(func=code.ref(OBJ, runtime.zeros_like_tree), args=[operand],
                         keywords=[])
    return NUMPY.zeros_like(operand)


def numpy_division(expr, aval_of):
    """A NumPy function's adjoint divides as NumPy does. On Python floats ``g / x`` raises
    ZeroDivisionError at x = 0, where ``np.log(x)`` itself returned -inf; ``np.divide(g, x)``
    gives inf (with NumPy's warning) as the function did. Only divisions by Python numbers
    change: a NumPy scalar divisor (``ans``) already divides as NumPy does."""
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Div) and not code.is_const(
            expr.right) and _python_type(expr.right, aval_of, {}) is not None:
        return np_call("divide", [numpy_division(expr.left, aval_of),
                                  numpy_division(expr.right, aval_of)])
    return trees.rewrite_children(expr, lambda child: numpy_division(child, aval_of))


def real_part(expr):
    """A real variable's share of a contribution computed in complex arithmetic: under JAX's
    convention (``z_bar = dL/dx - i dL/dy``) the real part is exactly dL/dx. ``.real`` works
    alike on Python numbers, NumPy scalars and arrays."""
    return gast.Attribute(value=expr, attr="real", ctx=gast.Load())


_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)


def python_expr(node, aval_of, python_adjoints):
    """A conservative check that an adjoint (or tangent) expression evaluates to a Python
    float (not an int, a bool, a complex or a NumPy scalar); ``python_adjoints`` says which
    adjoint or tangent variables certainly hold one."""
    return _python_type(node, aval_of, python_adjoints) is float


def _python_type(node, aval_of, python_adjoints):
    """``float`` or ``int`` where the expression certainly is one, else None."""
    r = code.ref_of(node)
    if r is not None:
        kind, key = r
        if kind == ADJ or kind == TAN:
            return float if python_adjoints.get(key) else None
        if kind == OBJ:
            return None
        aval = aval_of(key)
        return aval.dtype if aval.kind == PY and aval.dtype in (float, int) else None
    if isinstance(node, gast.Constant):
        return type(node.value) if type(node.value) in (float, int) else None
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return _python_type(node.operand, aval_of, python_adjoints)
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITHMETIC):
        sides = {_python_type(n, aval_of, python_adjoints) for n in (node.left, node.right)}
        if None in sides:
            return None
        return float if float in sides or isinstance(node.op, gast.Div) else (
            int if not isinstance(node.op, gast.Pow) else None)
    if isinstance(node, gast.IfExp):
        sides = {_python_type(n, aval_of, python_adjoints) for n in (node.body, node.orelse)}
        return sides.pop() if len(sides) == 1 else None
    if isinstance(node, gast.Call) and not node.keywords:
        func = code.ref_of(node.func)
        if func is None and isinstance(node.func, gast.Attribute):
            base = code.ref_of(node.func.value)
            func = (OBJ, getattr(math, node.func.attr, None)) if base == (OBJ, math) else None
        if func is not None and (func[1] is float or _returns_float(func[1])) and all(
                _python_type(a, aval_of, python_adjoints) for a in node.args):
            return float
    return None


def _returns_float(fn):
    """``math`` functions that return a float for numbers (not ``floor``, ``ceil``, ...)."""
    return getattr(fn, "__module__", None) == "math" and getattr(fn, "__name__", "") not in (
        "floor", "ceil", "trunc", "isnan", "isinf", "isfinite", "factorial", "gcd", "comb",
        "perm", "isqrt", "lcm")


def whole_reduction(program, stmt):
    """For ``np.sum(a)`` or ``np.mean(a)`` over a whole array of known shape, or over
    constant axes with ``keepdims=True``, the number of elements each result element
    gathers; else None. The adjoint of ``a`` is then ``g`` (over that count, for the mean)
    broadcast back, which elementwise adjoints can use as it is."""
    if stmt.is_copy or stmt.value.rule.spread is None:
        return None
    rule = stmt.value.rule
    bound = stmt.value.bound()
    values = {}
    for param in rule.params[1:]:
        operand = bound.get(param)
        if not isinstance(operand, ir.Const):
            return None
        values[param] = operand.value
    aval = program.aval(stmt, bound[rule.params[0]])
    shape = aval.known_shape
    if aval.kind != ARRAY or shape is None:
        return None
    axis, keepdims = values.get("axis"), values.get("keepdims", False)
    if axis is None and keepdims is False:
        reduced = range(len(shape))
    elif keepdims is True and axis is not None:
        axes = axis if isinstance(axis, tuple) else (axis,)
        if not all(type(a) is int and -len(shape) <= a < len(shape) for a in axes):
            return None
        reduced = sorted({a % len(shape) for a in axes})
    else:
        return None
    if rule.spread.divides and not all(isinstance(shape[d], int) for d in reduced):
        return None
    size = 1
    for d in reduced:
        size = size * shape[d] if isinstance(shape[d], int) else size
    if size == 0 and rule.spread.divides:
        return None  # the mean of nothing: the template divides an empty array instead
    return size
