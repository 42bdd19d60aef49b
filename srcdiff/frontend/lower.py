"""Stage 2: lower a parsed function to three-address code (one primitive per statement).

Sub-expressions get temporaries ``t1, t2, ...``; a statement's own result keeps the user's
name. Every construct outside the supported language is refused here with a located
``SrcdiffError``, so later stages only ever see code they can differentiate.

This module holds the driver and the statements; the rest is lowered by subject, each in a
mixin of the lowerer: operators and branching expressions
(:mod:`srcdiff.frontend.expressions`), calls and names (:mod:`srcdiff.frontend.callsites`),
nested functions (:mod:`srcdiff.frontend.inlining`), loops and comprehensions
(:mod:`srcdiff.frontend.loops`), writes, unpacking and containers
(:mod:`srcdiff.frontend.writes`), and reads that may come before any assignment
(:mod:`srcdiff.frontend.bindings`).
"""

from __future__ import annotations

import gast

from ..ir import names
from ..ir import nodes as ir
from ..primitives import REGISTRY
from . import flow, syntax
from .bindings import BindingLowering, Bindings
from .callsites import CallLowering
from .cse import common_subexpressions
from .expressions import BINARY, ExpressionLowering, constant_value, literal_tuple
from .inlining import NestedLowering
from .loops import LoopLowering
from .writes import WriteLowering


def lower(source, node, scope, callee=False):
    """The function's three-address code. ``callee`` says it is lowered to be differentiated
    through from another function (its forward code then runs more than once).

    Where a read may come before any assignment (see :mod:`srcdiff.frontend.bindings`), the function
    is lowered a second time, knowing which names need a flag from the start."""
    if isinstance(node, gast.AsyncFunctionDef):
        message, hint = syntax.refused_statement(node)
        raise source.located.error(node, message, hint)
    lowering = _Lowerer(source, node, scope, callee)
    fn = lowering.run()
    if lowering.unsure:
        fn = _Lowerer(source, node, scope, callee, flagged=lowering.unsure).run()
    return fn


class _Lowerer(BindingLowering, ExpressionLowering, CallLowering, NestedLowering, LoopLowering,
               WriteLowering):
    def __init__(self, source, node, scope, callee=False, flagged=frozenset()):
        self.source = source
        self.loc = source.located
        self.node = node
        self.scope = scope
        self.callee = callee
        self.body = []
        self.name = node.name if isinstance(node, gast.FunctionDef) else "f"
        self.params = self._params(node.args)
        self.locals = {p.name for p in self.params} | syntax.stored_names(node)
        self.used = set(names.spelled_in(node))  # found by the same walk
        self.used |= {p.name for p in self.params} | {self.name}
        self.bindings = Bindings(p.name for p in self.params)
        self.flagged = set(flagged)
        self.flags = {}
        self.unsure = set()
        self.spelled = {}
        self.nested = {}
        self.inlining = []
        self.counter = 0
        self.origin = None
        self.constants = {}
        self.result_name = self.name if self._result_name_free() else self.fresh()

    def error(self, node, message, hint=None):
        return self.loc.error(node, message, hint)

    def run(self):
        node = self.node
        if isinstance(node, gast.Lambda):
            statements = [gast.Return(value=node.body)]
            gast.copy_location(statements[0], node.body)
        else:
            statements = list(node.body)
            if statements and syntax.is_docstring(statements[0]):
                statements = statements[1:]
        origin = ir.Origin(node.lineno, node.col_offset, self.name, node)
        self.origin = origin
        self.start_flags(self.flagged & self.locals)
        self.statements(statements)
        fn = ir.Function(self.name, self.params, self.body, origin, self.source, node)
        fn = common_subexpressions(flow.normalize(fn, self.result_name, self.named, self.loc))
        fn.constants = self.constants
        return fn

    def statements(self, statements):
        for stmt in statements:
            self.statement(stmt)

    def block(self, statements):
        """Lower statements into a new block (a branch or a loop body)."""
        outer, self.body = self.body, []
        try:
            self.statements(statements)
            return self.body
        finally:
            self.body = outer

    def _params(self, args):
        if args.vararg is not None:
            raise self.error(args.vararg, "*args parameters are not supported",
                             "name each parameter")
        if args.kwarg is not None:
            raise self.error(args.kwarg, "**kwargs parameters are not supported",
                             "name each parameter")
        params = []
        positional = list(args.posonlyargs) + list(args.args)
        first_default = len(positional) - len(args.defaults)
        for i, arg in enumerate(positional):
            default = args.defaults[i - first_default] if i >= first_default else None
            kind = "positional_only" if i < len(args.posonlyargs) else "positional"
            params.append(self._param(arg, default, kind))
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            params.append(self._param(arg, default, "keyword_only"))
        return params

    def _param(self, arg, default, kind):
        return ir.Param(arg.id, default=default, has_default=default is not None, kind=kind,
                        annotation=arg.annotation)

    def named(self, base):
        """A new variable called ``base`` (or ``base_2``, ...) for srcdiff's bookkeeping."""
        return names.numbered(base, self.used)

    def fresh(self):
        name, self.counter = names.temporary(self.counter, self.used)
        return name

    def emit(self, target, value, augmented=False):
        status = self.bindings.status(target)
        self.body.append(ir.Assign(target, value, self.origin, augmented))
        self.bind(target, status)

    # statements

    def statement(self, stmt):
        text = self.loc.segment(stmt)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            text = self.loc.line(stmt.lineno).strip()
        self.origin = ir.Origin(stmt.lineno, stmt.col_offset, text, stmt)
        if isinstance(stmt, gast.Assign):
            if len(stmt.targets) != 1:
                raise self.error(stmt, "chained assignment (a = b = ...) is not supported",
                                 "assign one name at a time")
            self.assign(stmt.targets[0], stmt.value)
        elif isinstance(stmt, gast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, stmt.value)
        elif isinstance(stmt, gast.AugAssign):
            self.augassign(stmt)
        elif isinstance(stmt, gast.Return):
            self.return_(stmt)
            self.bindings.end_path()
        elif isinstance(stmt, gast.If):
            self.if_(stmt)
        elif isinstance(stmt, gast.FunctionDef):
            self.define_nested(stmt, stmt.name)
        elif isinstance(stmt, gast.For):
            self.for_(stmt)
        elif isinstance(stmt, gast.While):
            self.while_(stmt)
        elif isinstance(stmt, (gast.Break, gast.Continue)):
            jump = ir.Break if isinstance(stmt, gast.Break) else ir.Continue
            self.body.append(jump(self.origin))
            self.bindings.end_path()
        elif isinstance(stmt, gast.Expr):
            self.expression_statement(stmt)
        elif not isinstance(stmt, gast.Pass):
            message, hint = syntax.refused_statement(stmt)
            raise self.error(stmt, message, hint)

    def assign(self, target, value):
        if isinstance(target, gast.Name) and isinstance(value, gast.Lambda):
            self.define_nested(value, target.id)
        elif isinstance(target, gast.Name) and isinstance(value, gast.ListComp):
            self.comprehension(value, target.id)
        elif isinstance(target, gast.Name):
            self.emit(target.id, self.value(value))
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.unpack(target, value)
        elif isinstance(target, gast.Subscript):
            self.store(target, value)
        elif isinstance(target, gast.Attribute):
            raise self.error(target, "assignment to an attribute is not supported",
                             "return the value instead")
        else:
            message, hint = syntax.refused_expression(target)
            raise self.error(target, message, hint)

    def augassign(self, stmt):
        target = stmt.target
        op = BINARY.get(type(stmt.op))
        if op is None:
            raise self.error(stmt, f"the operator {syntax.symbol(stmt.op)}= is not supported",
                             "write it out with a supported operator, or compute it outside "
                             "the function")
        if isinstance(target, gast.Subscript):
            self.augmented_store(stmt, op)
            return
        if not isinstance(target, gast.Name):
            raise self.error(target, "augmented assignment to an attribute is not supported",
                             "return the value instead")
        old = self.read_local(target, target.id)
        call = self.call_rule(op, [old, self.operand(stmt.value)], stmt, spelling=None)
        self.emit(target.id, call, augmented=True)

    def return_(self, stmt):
        if stmt.value is None:
            raise self.error(stmt, f"{self.name} returns None",
                             "a differentiated function must return a scalar")
        value = self.value(stmt.value)
        if isinstance(value, ir.Call):
            self.emit(self.result_name, value)
            value = ir.Var(self.result_name)
        self.body.append(ir.Return(value, self.origin))

    def if_(self, stmt):
        test = self.operand(stmt.test)
        origin = self.origin
        body, orelse = self.alternatives(lambda: self.block(stmt.body),
                                         lambda: self.block(stmt.orelse))
        self.body.append(ir.If(test, body, orelse, origin))

    def operand_of(self, value):
        name = self.fresh()
        self.emit(name, value)
        return ir.Var(name)

    def _builtin_rule(self, fn, arity):
        return next(r for r in REGISTRY.lookup(fn) if r.bind(arity, ()) is not None)

    def _result_name_free(self):
        """The result takes the function's name (``e = c * d``) unless the body uses it."""
        return self.name not in self.locals and self.name not in names.spelled_in(self.node)

    # expressions

    def operand(self, node):
        value = self.value(node)
        if isinstance(value, ir.Call):
            name = self.fresh()
            self.emit(name, value)
            return ir.Var(name)
        return value

    def value(self, node):
        if type(node) is gast.Name:  # most operands
            return self.name_load(node)
        if isinstance(node, gast.Constant):
            return ir.Const(node.value, self.loc.segment(node))
        folded = constant_value(node)
        if folded is not None:
            return ir.Const(folded, repr(folded))
        literal = literal_tuple(node)
        if literal is not None:
            return ir.Const(literal, self.loc.segment(node))
        if isinstance(node, gast.Name):
            return self.name_load(node)
        if isinstance(node, gast.Attribute):
            return self.attribute_load(node)
        if isinstance(node, gast.BinOp):
            return self.binary(node)
        if isinstance(node, gast.UnaryOp):
            return self.unary(node)
        if isinstance(node, gast.Compare):
            return self.chained(node, self.operand(node.left))
        if isinstance(node, gast.IfExp):
            return self.conditional(node)
        if isinstance(node, gast.BoolOp):
            return self.boolean(node)
        if isinstance(node, gast.Call):
            return self.call(node)
        if isinstance(node, gast.Subscript):
            return self.subscript(node)
        if isinstance(node, gast.ListComp):
            return self.comprehension(node)
        if isinstance(node, (gast.Tuple, gast.List)):
            return self.display(node)
        if isinstance(node, gast.Dict):
            return self.dict_display(node)
        message, hint = syntax.refused_expression(node)
        raise self.error(node, message, hint)
