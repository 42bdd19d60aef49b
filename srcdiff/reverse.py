"""Stage 4: reverse mode. The forward sweep, then adjoint statements in reverse order.

Each active statement ``z = op(a, b)`` becomes, walking backwards, contributions
``a_bar (+)= template_a(g=z_bar, ans=z, a, b)``. The first contribution to an adjoint is
assigned and later ones are added, so nothing is initialized with zeros. Contributions of
elementwise rules are reduced back to their operand's shape where broadcasting happened.
"""

from __future__ import annotations

import math
import operator

import gast
import numpy as np

from . import code, ir
from .avals import NP, PY
from .code import ADJ, DEF, OBJ
from .infer import param
from .optimize import simplify
from .rules.registry import ELEMENTWISE, NONDIFF

_NAMESPACE = {"math": math, "np": np}

_BINOPS = {
    operator.add: gast.Add, operator.sub: gast.Sub, operator.mul: gast.Mult,
    operator.truediv: gast.Div, operator.pow: gast.Pow, operator.matmul: gast.MatMult,
    operator.floordiv: gast.FloorDiv, operator.mod: gast.Mod,
}
_UNARY = {operator.neg: gast.USub, operator.pos: gast.UAdd, operator.not_: gast.Not}
_COMPARE = {
    operator.lt: gast.Lt, operator.le: gast.LtE, operator.gt: gast.Gt, operator.ge: gast.GtE,
    operator.eq: gast.Eq, operator.ne: gast.NotEq,
}


def transform(program, activity, wrt, *, with_value=False, name=None):
    return _Reverse(program, activity, wrt, with_value).run(name)


class _Reverse:
    def __init__(self, program, activity, wrt, with_value):
        self.program = program
        self.fn = program.fn
        self.activity = activity
        self.wrt = wrt
        self.with_value = with_value
        self.adjoint = {}
        self.body = []

    def run(self, name):
        fn = self.fn
        suffix = "_value_and_grad" if self.with_value else "_grad"
        out = code.Output(name or fn.name + suffix, [param(p.name) for p in fn.params])
        for index, stmt in enumerate(fn.body):
            if isinstance(stmt, ir.Assign):
                self.body.append(code.Assign((DEF, index), self.primal(index, stmt)))
        self.seed()
        origin = None
        for index in range(len(fn.body) - 1, -1, -1):
            stmt = fn.body[index]
            if isinstance(stmt, ir.Return) or index not in self.adjoint:
                continue
            if not self.activity.active(index):
                continue
            lines = self.adjoint_of(index, stmt)
            if lines and stmt.origin != origin:
                origin = stmt.origin
                self.body.append(code.Comment(f"{origin.text}   (line {origin.lineno})"))
            self.body.extend(lines)
        self.body.append(code.Return(self.result()))
        out.body = self.body
        return out

    # forward sweep

    def operand(self, index, op):
        if isinstance(op, ir.Var):
            return code.ref(DEF, self.program.definition(index, op))
        if isinstance(op, ir.Const):
            return code.const(op.value)
        if op.cell is not None:
            return code.ref(OBJ, code.CellContents(op.cell, op.text))
        return gast.parse(op.text, mode="eval").body

    def primal(self, index, stmt):
        if stmt.is_copy:
            return self.operand(index, stmt.value)
        call = stmt.value
        rule = call.rule
        args = [self.operand(index, a) for a in call.args]
        fn = rule.fn
        if call.spelling is None and fn in _BINOPS:
            return gast.BinOp(left=args[0], op=_BINOPS[fn](), right=args[1])
        if call.spelling is None and fn in _UNARY:
            return gast.UnaryOp(op=_UNARY[fn](), operand=args[0])
        if call.spelling is None and fn in _COMPARE:
            return gast.Compare(left=args[0], ops=[_COMPARE[fn]()], comparators=[args[1]])
        func = gast.parse(call.spelling, mode="eval").body
        func.srcdiff_ref = (OBJ, fn)
        keywords = [gast.keyword(arg=k, value=self.operand(index, v)) for k, v in call.keywords]
        return gast.Call(func=func, args=args, keywords=keywords)

    # reverse sweep

    def seed(self):
        result = self.program.result
        if result is None or not self.activity.active(result):
            return
        self.adjoint[result] = code.const(1.0)
        aval = self.program.avals[result]
        if aval.kind not in (PY, NP):
            self.body.append(code.Assign((ADJ, result), code.const(1.0)))
            self.adjoint[result] = code.ref(ADJ, result)

    def adjoint_of(self, index, stmt):
        g = self.adjoint[index]
        contributions = {}
        if stmt.is_copy:
            source = self.program.definition(index, stmt.value)
            if source is not None and self.activity.active(source):
                contributions[source] = [code.clone(g)]
        else:
            contributions = self.call_adjoint(index, stmt, g)
        return self.accumulate(index, stmt, contributions)

    def call_adjoint(self, index, stmt, g):
        call = stmt.value
        rule = call.rule
        if rule.kind == NONDIFF:
            return {}
        bound = call.bound()
        operand_avals = {p: self.program.aval(index, op) for p, op in bound.items()}
        templates = rule.select(operand_avals, bound)
        all_python = all(a.kind == PY for a in operand_avals.values())
        names = {name: code.ref(OBJ, obj) for name, obj in rule.helpers.items()}
        names.update((p, self.operand(index, op)) for p, op in bound.items())
        names["ans"] = code.ref(DEF, index)
        contributions = {}
        for p, template in zip(rule.params, templates):
            operand = bound[p]
            definition = self.program.definition(index, operand)
            if template is None or definition is None or not self.activity.active(definition):
                continue
            expr = instantiate(template.expr, g, names, all_python)
            if not all_python:
                expr = _python_calls_to_math(expr, self.program)
            if rule.kind == ELEMENTWISE:
                expr = reduce_to(expr, operand_avals[p], self.program.avals[index],
                                 names[p])
            contributions.setdefault(definition, []).append(simplify(expr, self.scalar))
        return contributions

    def scalar_definition(self, definition):
        """Constant adjoints of scalars (``t_bar = 1.0``) are folded into their uses."""
        aval = self.program.avals.get(definition)
        return aval is not None and aval.kind in (PY, NP) and not isinstance(definition, tuple)

    def scalar(self, node):
        """Whether a name node is known to hold a scalar (so ``1.0 * x`` may become ``x``)."""
        r = code.ref_of(node)
        if r is None or r[0] == OBJ:
            return r is not None
        aval = self.program.avals.get(r[1])
        return aval is not None and aval.kind in (PY, NP)

    def accumulate(self, index, stmt, contributions):
        lines = []
        target_name = stmt.target

        def shares_name(definition):
            return _name_of(self.fn, definition) == target_name

        for definition in sorted(contributions, key=shares_name):
            exprs = _merge_repeats(contributions[definition])
            if definition in self.adjoint:
                exprs = [code.ref(ADJ, definition)] + exprs
            if definition in self.adjoint and code.is_const(self.adjoint[definition]):
                exprs[0] = self.adjoint[definition]
            value = exprs[0]
            for extra in exprs[1:]:
                value = simplify(gast.BinOp(left=value, op=gast.Add(), right=extra), self.scalar)
            if code.is_const(value) and self.scalar_definition(definition):
                self.adjoint[definition] = value
                continue
            lines.append(code.Assign((ADJ, definition), value))
            self.adjoint[definition] = code.ref(ADJ, definition)
        return lines

    def result(self):
        grads = [self.gradient(name) for name in self.wrt]
        value = grads[0] if len(grads) == 1 and not self.wrt.multiple else gast.Tuple(
            elts=grads, ctx=gast.Load())
        if not self.with_value:
            return value
        result = self.program.result
        fn = self.fn
        ret = fn.result.value
        primal = code.ref(DEF, result) if result is not None else self.operand(len(fn.body) - 1,
                                                                                ret)
        return gast.Tuple(elts=[primal, value], ctx=gast.Load())

    def gradient(self, name):
        definition = param(name)
        aval = self.program.avals[definition]
        if definition not in self.adjoint:
            return zero_like(aval, code.ref(DEF, definition))
        adjoint = code.ref(ADJ, definition)
        if aval.kind == PY and aval.dtype is float and not self.python_adjoints().get(definition):
            return gast.Call(func=code.ref(OBJ, float), args=[adjoint], keywords=[])
        return adjoint

    def python_adjoints(self):
        """Which adjoints are certainly Python floats (every contribution built from them)."""
        python = {}
        for line in self.body:
            if isinstance(line, code.Assign) and line.target[0] == ADJ:
                python[line.target[1]] = _python_expr(line.value, self.program, python)
        return python


class Wrt(list):
    """The differentiated parameter names, remembering whether a tuple was asked for."""

    def __init__(self, names, multiple):
        super().__init__(names)
        self.multiple = multiple


def _python_calls_to_math(expr, program):
    """``np.log(x)`` on a Python float would make a float64 NumPy scalar and promote a float32
    adjoint; ``math.log(x)`` gives a Python float, which NumPy treats as weakly typed."""
    for node in gast.walk(expr):
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)):
            continue
        base = code.ref_of(node.func.value)
        if base != (OBJ, np) or not hasattr(math, node.func.attr) or len(node.args) != 1:
            continue
        leaves = code.refs(node.args[0])
        if not leaves or not all(kind == DEF and program.avals[key].kind == PY
                                 for kind, key in leaves):
            continue
        node.func.value = code.ref(OBJ, math)
    return expr


def _merge_repeats(exprs):
    """``g * r + g * r`` (from ``r * r``) reads better as ``2.0 * g * r``; doubling is exact."""
    if len(exprs) == 2 and gast.dump(exprs[0]) == gast.dump(exprs[1]) and code.refs(
            exprs[0]) == code.refs(exprs[1]):
        first = exprs[0]
        if isinstance(first, gast.BinOp) and isinstance(first.op, gast.Mult):
            doubled = gast.BinOp(left=code.const(2.0), op=gast.Mult(), right=first.left)
            return [gast.BinOp(left=doubled, op=gast.Mult(), right=first.right)]
        return [gast.BinOp(left=code.const(2.0), op=gast.Mult(), right=first)]
    return exprs


def instantiate(template, g, names, all_python):
    expr = code.clone(template)
    replacements = []
    for parent in gast.walk(expr):
        for field_name, value in gast.iter_fields(parent):
            items = value if isinstance(value, list) else [value]
            for position, child in enumerate(items):
                if isinstance(child, gast.Name) and code.ref_of(child) is None:
                    replacements.append((parent, field_name, position, isinstance(value, list),
                                         child))
    for parent, field_name, position, is_list, child in replacements:
        new = _replacement(child.id, g, names, all_python)
        if is_list:
            getattr(parent, field_name)[position] = new
        else:
            setattr(parent, field_name, new)
    if isinstance(expr, gast.Name) and code.ref_of(expr) is None:
        return _replacement(expr.id, g, names, all_python)
    return expr


def _replacement(name, g, names, all_python):
    if name == "g":
        return code.clone(g)
    if name in names:
        return code.clone(names[name])
    if name == "xp":
        return code.ref(OBJ, math if all_python else np)
    if name in _NAMESPACE:
        return code.ref(OBJ, _NAMESPACE[name])
    from . import runtime
    return code.ref(OBJ, getattr(runtime, name))


def reduce_to(expr, operand, result, operand_expr):
    """Sum an elementwise contribution back to the operand's shape if it was broadcast."""
    if operand.kind in (PY, NP):
        if result.kind in (PY, NP):
            return expr
        return _np_call("sum", [expr])
    target, source = operand.known_shape, result.known_shape
    if target is not None and target == source:
        return expr
    if target is not None and source is not None:
        lead = len(source) - len(target)
        kept = tuple(i for i, n in enumerate(target) if n == 1 and source[lead + i] != 1)
        if lead and not kept:
            return _np_call("sum", [expr], axis=_axis(range(lead)))
        if kept and not lead:
            return _np_call("sum", [expr], axis=_axis(kept), keepdims=True)
    from . import runtime
    return gast.Call(func=code.ref(OBJ, runtime.unbroadcast), args=[expr, code.clone(operand_expr)],
                     keywords=[])


def _axis(axes):
    axes = tuple(axes)
    if len(axes) == 1:
        return code.const(axes[0])
    return gast.Tuple(elts=[code.const(a) for a in axes], ctx=gast.Load())


def _np_call(name, args, **keywords):
    func = gast.Attribute(value=code.ref(OBJ, np), attr=name, ctx=gast.Load())
    func.srcdiff_ref = (OBJ, getattr(np, name))
    kws = [gast.keyword(arg=k, value=v if isinstance(v, gast.AST) else code.const(v))
           for k, v in keywords.items()]
    return gast.Call(func=func, args=args, keywords=kws)


def zero_like(aval, operand):
    if aval.kind == PY:
        return code.const(aval.dtype(0))
    if aval.kind == NP:
        return gast.Call(func=code.ref(OBJ, aval.dtype.type), args=[code.const(0.0)],
                         keywords=[])
    return _np_call("zeros_like", [operand])


def _python_expr(node, program, python_adjoints):
    """A conservative check that an adjoint expression evaluates to a Python float."""
    for sub in gast.walk(node):
        r = code.ref_of(sub)
        if r is None:
            continue
        kind, key = r
        if kind == OBJ:
            if key is math or key is float or getattr(key, "__module__", None) == "math":
                continue
            return False
        if kind == ADJ:
            if not python_adjoints.get(key):
                return False
            continue
        aval = program.avals.get(key)
        if aval is None or aval.kind != PY:
            return False
    return True


def _name_of(fn, definition):
    if isinstance(definition, tuple):
        return definition[1]
    return fn.body[definition].target

