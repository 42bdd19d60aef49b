"""The reverse sweep over template primitives: ``z = op(a, b)`` gives each active operand
the contribution its VJP template makes of ``z_bar``, summed back over broadcast axes.

A ``g`` that is one scalar broadcast over the result (the adjoint of ``np.sum(a)``) stays
lazy through pointwise templates, so that no array of the result's shape is made for it.
"""

from __future__ import annotations

import gast

from ..backend.simplify import simplify
from ..ir import code, trees
from ..ir.avals import PY, broadcast_shapes
from ..ir.code import DEF, OBJ
from ..primitives.protocol import Refusal, is_complex
from .adjoint_state import Lazy
from .adjoints import (
    instantiate,
    numpy_division,
    python_calls_to_math,
    real_part,
    reduce_to,
    whole_reduction,
)


class TemplateAdjoints:
    """The reverse sweep's methods for primitives whose VJP is a template (a mixin of
    :class:`srcdiff.transforms.reverse._Reverse`, whose state it uses)."""

    def _takes_lazy(self, stmt):
        """Whether the statement's adjoint can use a scalar-broadcast ``g`` as it is: copies,
        and elementwise rules whose active operands all have the result's shape."""
        if stmt.is_copy:
            return True
        if not stmt.value.rule.adjoint_is_pointwise:
            return False
        result = self.program.avals[stmt].known_shape
        for op in stmt.value.bound().values():
            source = self.program.definition(stmt, op)
            if source is not None and self.activity.active(source):
                if result is None or self.program.aval(stmt, op).known_shape != result:
                    return False
        return True

    def _sum_to_lazy(self, stmt, g):
        """``s = np.sum(a)`` (or ``np.mean``) over everything: ``a``'s adjoint is ``s_bar``
        (divided by the size) everywhere, kept lazy."""
        size = whole_reduction(self.program, stmt)
        if size is None or isinstance(g, Lazy):
            return None
        operand = stmt.value.bound()[stmt.value.rule.params[0]]
        source = self.program.definition(stmt, operand)
        if source is None or not self.activity.active(source):
            return None
        value = code.clone(g)
        if stmt.value.rule.spread.divides:
            value = simplify(gast.BinOp(left=value, op=gast.Div(), right=code.const(size)),
                             self.scalar)
        return {self.web(source): [Lazy(value)]}

    def contributions(self, stmt, g, reduce=True):
        if stmt.is_copy:
            source = self.program.definition(stmt, stmt.value)
            if source is None or not self.activity.active(source):
                return {}
            return {self.web(source): [code.clone(g)]}
        call = stmt.value
        rule = call.rule
        if not rule.has_vjp:
            return {}
        bound = call.bound()
        operand_avals = {p: self.program.aval(stmt, op) for p, op in bound.items()}
        templates = rule.select(operand_avals, bound)
        complex_call = any(map(is_complex, [self.program.avals[stmt], *operand_avals.values()]))
        all_python = all(a.kind == PY for a in operand_avals.values()) and not complex_call
        # only the names the templates read are made (``g``, not ``a`` and ``b``, for ``+``)
        read = set().union(*(t.names for t in templates if t is not None))
        names = {name: code.ref(OBJ, obj) for name, obj in rule.helpers.items()}
        for p, op in bound.items():
            if p in read:
                names[p] = self.argument(stmt, op)
        if "ans" in read:
            names["ans"] = code.ref(DEF, self.web(stmt))
        result = {}
        for p, template in zip(rule.params, templates):
            operand = bound[p]
            source = self.program.definition(stmt, operand)
            if template is None or source is None or not self.activity.active(source):
                continue
            if isinstance(template, Refusal):
                raise self.fn.source.located.error(stmt.origin.node, template.message,
                                                   template.hint)
            expr = instantiate(template.expr, g, names, all_python)
            if not all_python:
                expr = python_calls_to_math(expr, self.aval_of)
            elif rule.numpy_semantics:
                expr = numpy_division(expr, self.aval_of)
            if complex_call and not is_complex(operand_avals[p]):
                expr = real_part(simplify(expr, self.scalar))
            if rule.broadcasts and reduce:
                expr = reduce_to(expr, operand_avals[p], self.program.avals[stmt],
                                 lambda p=p, op=operand: names.get(p) or self.argument(stmt, op))
            result.setdefault(self.web(source), []).append(simplify(expr, self.scalar))
        return result

    def _lazy_contributions(self, stmt, g):
        """Elementwise templates on a scalar ``g``: a contribution that stays scalar stays
        lazy; one that has its operand's shape is an ordinary array. Anything else (a
        contribution of a smaller shape) returns None: ``g`` must be broadcast first."""
        result = self.contributions(stmt, g.expr, reduce=False)
        scalar = code.ref_of(g.expr)
        for web, exprs in result.items():
            shape = self.aval_of(web).known_shape
            lazy = []
            for e in exprs:
                got = self._expr_shape(e, scalar)
                if got == ():
                    lazy.append(Lazy(e))
                elif got is not None and got == shape:
                    lazy.append(e)
                else:
                    return None
            result[web] = lazy
        return result

    def _expr_shape(self, expr, scalar):
        """The broadcast shape of an elementwise expression's leaves (None if unknown)."""
        shapes = []
        if any(isinstance(n, gast.Name) and code.ref_of(n) is None for n in trees.walk(expr)):
            return None
        for ref in code.refs(expr):
            if ref[0] == OBJ or ref == scalar:
                continue
            shape = self.aval_of(ref[1]).known_shape
            if shape is None:
                return None
            shapes.append(shape)
        try:
            return broadcast_shapes(*shapes)
        except ValueError:
            return None
