"""Stage 2: lower a parsed function to three-address code (one primitive per statement).

Sub-expressions get temporaries ``t1, t2, ...``; a statement's own result keeps the user's
name. Every construct outside the supported language is refused here with a located
``SrcdiffError``, so later stages only ever see code they can differentiate.
"""

from __future__ import annotations

import operator
import types

import gast
import numpy as np

from . import calls, code, containers, flow, indexing, ir
from .optimize import common_subexpressions
from .rules import REGISTRY
from .scope import Live, Opaque, Unresolved, UserFunction

BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_}
COMPARE = {
    gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge,
    gast.Eq: operator.eq, gast.NotEq: operator.ne,
}

ARRAY_ATTRIBUTES = {"T": np.transpose, "mT": np.matrix_transpose, "shape": np.shape,
                    "ndim": np.ndim, "size": np.size}
ARRAY_METHODS = {
    name: getattr(np, function) for name, function in {
        "sum": "sum", "mean": "mean", "prod": "prod", "max": "max", "min": "min",
        "std": "std", "var": "var", "cumsum": "cumsum", "cumprod": "cumprod", "dot": "dot",
        "reshape": "reshape", "transpose": "transpose", "ravel": "ravel", "flatten": "ravel",
        "squeeze": "squeeze", "swapaxes": "swapaxes", "clip": "clip", "copy": "copy",
        "astype": "astype", "round": "round", "repeat": "repeat", "take": "take",
        "diagonal": "diagonal", "trace": "trace", "conj": "conj", "conjugate": "conjugate",
        "argmax": "argmax", "argmin": "argmin", "any": "any", "all": "all", "ptp": "ptp",
    }.items() if hasattr(np, function)}
VARARGS_METHODS = ("reshape", "transpose")
LIBRARIES = ("numpy", "math", "cmath", "builtins", "scipy", "operator", "srcdiff")
LATER = "srcdiff does not support this yet; see the README's table of what is supported"
REFUSED_STATEMENTS = {
    gast.AsyncFor: ("async loops cannot be differentiated", None),
    gast.With: ("'with' blocks cannot be differentiated", "move the block out of the function"),
    gast.AsyncWith: ("'async with' blocks cannot be differentiated", None),
    gast.Try: ("try/except cannot be differentiated", "handle errors outside the function"),
    gast.TryStar: ("try/except* cannot be differentiated", "handle errors outside the function"),
    gast.Raise: ("raise cannot be differentiated", "check inputs before calling the gradient"),
    gast.AsyncFunctionDef: ("async functions cannot be differentiated", None),
    gast.ClassDef: ("class definitions inside a differentiated function are not supported",
                    "define the class at module level"),
    gast.Global: ("'global' statements are not supported",
                  "pass the value in as an argument and return what changes"),
    gast.Nonlocal: ("'nonlocal' statements are not supported",
                    "pass the value in as an argument and return what changes"),
    gast.Delete: ("'del' is not supported", "remove the del statement"),
    gast.Import: ("imports inside a differentiated function are not supported",
                  "import at module level"),
    gast.ImportFrom: ("imports inside a differentiated function are not supported",
                      "import at module level"),
    gast.Match: ("match statements are not supported yet", LATER),
}
REFUSED_EXPRESSIONS = {
    gast.Lambda: ("a lambda can only be called here, or assigned to a name and called",
                  "call it, or define the function with def"),
    gast.SetComp: ("set comprehensions are not supported", None),
    gast.DictComp: ("dict comprehensions are not supported yet", None),
    gast.GeneratorExp: ("generator expressions are not supported", None),
    gast.Await: ("await cannot be differentiated", None),
    gast.Yield: ("generators cannot be differentiated", "return a value instead of yielding"),
    gast.YieldFrom: ("generators cannot be differentiated", "return a value instead"),
    gast.NamedExpr: ("assignment expressions (:=) are not supported",
                     "assign in a statement of its own"),
    gast.Set: ("sets are not supported", None),
    gast.JoinedStr: ("f-strings cannot be differentiated", None),
    gast.Starred: ("starred expressions are not supported", None),
    gast.Slice: ("slices are not supported yet", None),
}


def lower(source, node, scope):
    return _Lowerer(source, node, scope).run()


class _Lowerer:
    def __init__(self, source, node, scope):
        self.source = source
        self.loc = source.located
        self.node = node
        self.scope = scope
        self.body = []
        self.name = node.name if isinstance(node, gast.FunctionDef) else "f"
        self.params = self._params(node.args)
        self.used = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
        self.used |= {p.name for p in self.params} | {self.name}
        self.locals = {p.name for p in self.params} | _stored(node)
        self.defined = {p.name for p in self.params}
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
            if statements and _is_docstring(statements[0]):
                statements = statements[1:]
        self.statements(statements)
        origin = ir.Origin(node.lineno, node.col_offset, self.name, node)
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
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name

    def fresh(self):
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.used:
                self.used.add(name)
                return name

    def emit(self, target, value, augmented=False):
        self.body.append(ir.Assign(target, value, self.origin, augmented))
        self.defined.add(target)

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
            if stmt.value is None:
                return
            self.assign(stmt.target, stmt.value)
        elif isinstance(stmt, gast.AugAssign):
            self.augassign(stmt)
        elif isinstance(stmt, gast.Return):
            self.return_(stmt)
        elif isinstance(stmt, gast.If):
            self.if_(stmt)
        elif isinstance(stmt, gast.FunctionDef):
            self.define_nested(stmt, stmt.name)
        elif isinstance(stmt, gast.For):
            self.for_(stmt)
        elif isinstance(stmt, gast.While):
            self.while_(stmt)
        elif isinstance(stmt, gast.Break):
            self.body.append(ir.Break(self.origin))
        elif isinstance(stmt, gast.Continue):
            self.body.append(ir.Continue(self.origin))
        elif isinstance(stmt, gast.Pass):
            return
        elif isinstance(stmt, gast.Expr):
            if _is_docstring(stmt):
                return
            if self._is_append(stmt.value):
                self.append(stmt.value)
                return
            if type(stmt.value) in REFUSED_EXPRESSIONS:
                message, hint = REFUSED_EXPRESSIONS[type(stmt.value)]
                raise self.error(stmt.value, message, hint)
            raise self.error(stmt, "an expression statement has no effect on the result",
                             "remove it, or assign its value")
        elif isinstance(stmt, gast.Assert):
            raise self.error(stmt, "assert statements are not supported",
                             "check inputs before calling the gradient")
        else:
            message, hint = REFUSED_STATEMENTS.get(
                type(stmt), (f"{type(stmt).__name__} statements are not supported", None))
            raise self.error(stmt, message, hint)

    def define_nested(self, node, name):
        """A nested ``def`` or a named lambda: inlined where it is called, reading the
        enclosing variables as they are at the call, as Python's closures do."""
        if getattr(node, "decorator_list", None):
            raise self.error(node, "decorated nested functions are not supported",
                             "define the function at module level")
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise self.error(node, "nested functions take plain parameters only here")
        if any(not isinstance(d, gast.Constant) for d in args.defaults):
            raise self.error(node, "a nested function's default values must be literals")
        self.nested[name] = node
        self.defined.add(name)

    def inline(self, fnode, call):
        name = getattr(fnode, "name", "lambda")
        if any(f is fnode for f in self.inlining):
            raise self.error(call, f"{name} calls itself; recursive functions are not "
                             "supported", "write the recursion as a loop")
        params = [a.id for a in fnode.args.args]
        defaults = dict(zip(params[len(params) - len(fnode.args.defaults):],
                            fnode.args.defaults))
        bound = {}
        if len(call.args) > len(params) or any(isinstance(a, gast.Starred)
                                                for a in call.args):
            raise self.error(call, f"{name} takes {len(params)} arguments")
        for param, arg in zip(params, call.args):
            bound[param] = self.operand(arg)
        for keyword in call.keywords:
            if keyword.arg not in params or keyword.arg in bound:
                raise self.error(call, f"{name}() got an unexpected argument {keyword.arg}")
            bound[keyword.arg] = self.operand(keyword.value)
        for param in params:
            if param not in bound:
                if param not in defaults:
                    raise self.error(call, f"{name}() is missing the argument {param}")
                bound[param] = ir.Const(defaults[param].value, repr(defaults[param].value))
        own = set(params) | (_stored(fnode) if isinstance(fnode, gast.FunctionDef) else set())
        renames = {local: self.named(f"{name}_{local}") for local in sorted(own)}
        self.locals |= set(renames.values())
        origin = self.origin
        for param in params:
            self.emit(renames[param], bound[param])
        if isinstance(fnode, gast.Lambda):
            statements = [gast.copy_location(gast.Return(value=fnode.body), fnode.body)]
        else:
            statements = [s for s in fnode.body if not _is_docstring(s)]
        renamer = _Renaming(renames)
        statements = [renamer.visit(code.clone(s)) for s in statements]
        result = self.named(f"{name}_result")
        outer_result, self.result_name = self.result_name, result
        self.inlining.append(fnode)
        try:
            block = self.block(statements)
        finally:
            self.inlining.pop()
            self.result_name = outer_result
        inner = ir.Function(name, [], block, origin, self.source, fnode)
        inner = flow.normalize(inner, result, self.named, self.loc)
        final = inner.body[-1]
        self.body.extend(inner.body[:-1])
        self.origin = origin
        if not (isinstance(final.value, ir.Var) and final.value.name == result):
            self.emit(result, final.value)
        self.defined.add(result)
        self.locals.add(result)
        return ir.Var(result)

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
            raise self.error(target, "this assignment target is not supported")

    def unpack(self, target, value):
        if any(isinstance(e, gast.Starred) for e in target.elts):
            raise self.error(target, "starred unpacking is not supported")
        if not isinstance(value, (gast.Tuple, gast.List)):
            written = {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}
            self.assign_value(target, self.staged(value, written))
            return
        if len(target.elts) != len(value.elts):
            raise self.error(value, f"cannot unpack {len(value.elts)} values into "
                                    f"{len(target.elts)} names")
        written = {n.id for e in target.elts for n in gast.walk(e) if isinstance(n, gast.Name)}
        read = {n.id for e in value.elts for n in gast.walk(e) if isinstance(n, gast.Name)}
        if written & read:
            staged = [self.staged(e, written) for e in value.elts]
            for elt, operand in zip(target.elts, staged):
                if isinstance(elt, gast.Name):
                    self.emit(elt.id, operand)
                elif isinstance(elt, gast.Subscript):
                    self.store(elt, operand)
                else:
                    raise self.error(elt, "nested unpacking of swapped names is not supported")
            return
        for elt, val in zip(target.elts, value.elts):
            self.assign(elt, val)

    def staged(self, node, written):
        """An operand that keeps its value while the names in ``written`` are reassigned."""
        operand = self.operand(node)
        if isinstance(operand, ir.Var) and operand.name in written:
            name = self.fresh()
            self.emit(name, operand)
            return ir.Var(name)
        return operand

    def assign_value(self, target, operand):
        """Assign an already lowered operand to a (nested) target."""
        if isinstance(target, gast.Name):
            self.emit(target.id, operand)
            return
        for position, elt in enumerate(target.elts):
            item = ir.Call(indexing.rule(0), (operand,), (), None,
                           gast.Constant(value=position, kind=None))
            name = elt.id if isinstance(elt, gast.Name) else self.fresh()
            self.emit(name, item)
            if not isinstance(elt, gast.Name):
                self.assign_value(elt, ir.Var(name))

    def _is_append(self, node):
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and node.func.attr == "append" and isinstance(node.func.value, gast.Name)
                and node.func.value.id in self.locals and len(node.args) == 1
                and not node.keywords)

    def append(self, node):
        """``lst.append(v)`` grows the list in place: a new value of ``lst`` that the
        reverse sweep undoes with ``lst.pop()``, never with a tape."""
        name = node.func.value.id
        if name not in self.defined:
            raise self.error(node, f"{name} is used before it is assigned")
        value = self.operand(node.args[0])
        call = ir.Call(containers.append_rule(), (ir.Var(name), value), (), "append",
                       form="append")
        self.body.append(ir.Assign(name, call, self.origin, augmented=True, restore=False))

    def comprehension(self, node, result=None):
        """``[e for x in xs if c]`` is a loop that appends, with its own loop variable."""
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise self.error(node, "only comprehensions with one 'for' are supported",
                             "write the loops out")
        generator = node.generators[0]
        if not isinstance(generator.target, gast.Name):
            raise self.error(generator.target, "only a single name can be the loop variable "
                             "of a comprehension")
        inner = self.named(generator.target.id)
        self.locals.add(inner)
        rename = _Renamer(generator.target.id, inner)
        element = rename.visit(node.elt)
        conditions = [rename.visit(c) for c in generator.ifs]
        result = result or self.fresh()
        self.locals.add(result)
        self.emit(result, ir.Call(containers.pack_rule(list, 0), (), (), None, form="list"))
        target = gast.Name(id=result, ctx=gast.Load(), annotation=None, type_comment=None)
        call = gast.Call(func=gast.Attribute(value=target, attr="append", ctx=gast.Load()),
                         args=[element], keywords=[])
        body = [gast.Expr(value=call)]
        for condition in reversed(conditions):
            body = [gast.If(test=condition, body=body, orelse=[])]
        loop = gast.For(target=gast.Name(id=inner, ctx=gast.Store(), annotation=None,
                                         type_comment=None),
                        iter=generator.iter, body=body, orelse=[], type_comment=None)
        for new in gast.walk(loop):
            gast.copy_location(new, node)
        origin = self.origin
        self.for_(loop)
        self.origin = origin
        return ir.Var(result)

    def augassign(self, stmt):
        target = stmt.target
        op = BINARY.get(type(stmt.op))
        if op is None:
            raise self.error(stmt, f"the operator {_op_symbol(stmt.op)} is not supported")
        if isinstance(target, gast.Subscript):
            self.augmented_store(stmt, op)
            return
        if not isinstance(target, gast.Name):
            raise self.error(target, "augmented assignment to an attribute is not supported",
                             "return the value instead")
        if target.id not in self.defined:
            raise self.error(target, f"{target.id} is used before it is assigned")
        call = self.call_rule(op, [ir.Var(target.id), self.operand(stmt.value)], stmt,
                              spelling=None)
        self.emit(target.id, call, augmented=True)

    def augmented_store(self, stmt, op):
        """``y[index] += v`` and ``-=`` are stores of their own (the adjoint needs no old
        values); other operators read the part, combine, and store it back, as Python does."""
        target = stmt.target
        kind = {gast.Add: "add", gast.Sub: "sub"}.get(type(stmt.op))
        if kind is not None:
            self.store(target, stmt.value, kind)
            return
        array = self.operand(target.value)
        index, parts = self.index(target.slice)
        if not isinstance(array, ir.Var):
            raise self.error(target, "assignment into an element of a module-level name is "
                             "not supported", "copy it into a local array first")
        part = self.fresh()
        self.emit(part, ir.Call(indexing.rule(len(parts)), (array, *parts), (), None, index))
        combined = self.operand_of(self.call_rule(op, [ir.Var(part), self.operand(stmt.value)],
                                                  stmt, spelling=None))
        call = ir.Call(indexing.store_rule(len(parts)), (array, combined, *parts), (), None,
                       index, form="store")
        self.body.append(ir.Assign(array.name, call, self.origin, augmented=True))

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
        body, orelse = self.block(stmt.body), self.block(stmt.orelse)
        self.body.append(ir.If(test, body, orelse, origin))

    def for_(self, stmt):
        sequence = self.sequence_loop(stmt)
        if sequence is not None:
            index, items, count = sequence
        else:
            if not isinstance(stmt.target, gast.Name):
                raise self.error(stmt.target, "only a single name can be the loop variable "
                                 "here", "unpack inside the loop body")
            index, items, count = stmt.target.id, [], self.iterable(stmt)
        origin = self.origin
        self.defined.add(index)
        outer, self.body = self.body, []
        if index in _assigned_in(stmt.body):
            # The body reassigns the loop variable: the loop runs over a variable of its
            # own, so that the reversed loop's header cannot clobber the reassigned value.
            own = self.named(index)
            self.locals.add(own)
            self.emit(index, ir.Var(own))
            index = own
        for name, seq in items:
            self.emit(name, ir.Call(indexing.rule(1), (seq, ir.Var(index)), (), None,
                                    indexing.placeholder(0)))
        self.statements(stmt.body)
        body, self.body = self.body, outer
        orelse = self.block(stmt.orelse)
        self.body.append(ir.For(index, count, body, orelse, origin))

    def sequence_loop(self, stmt):
        """``for v in xs``, ``for i, v in enumerate(xs)`` and ``for a, b in zip(xs, ys)``
        loop over positions: ``for k in range(len(xs)): v = xs[k]``. None for other loops."""
        node, target = stmt.iter, stmt.target
        kind = None
        if isinstance(node, gast.Call) and not node.keywords and isinstance(
                node.func, gast.Name) and node.func.id not in self.locals:
            found = self.scope.lookup(node.func.id)
            value = found.value if isinstance(found, Live) else None
            kind = {range: "range", enumerate: "enumerate", zip: "zip"}.get(value)
        if kind == "range":
            return None
        assigned = {n.id for s in stmt.body for n in gast.walk(s)
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        names = [e.id if isinstance(e, gast.Name) else None
                 for e in (target.elts if isinstance(target, gast.Tuple) else [target])]
        if None in names:
            raise self.error(target, "only names can be the loop variables here",
                             "unpack inside the loop body")
        if kind == "enumerate":
            if len(node.args) != 1 or len(names) != 2:
                raise self.error(node, "only enumerate(xs) with two loop variables is "
                                 "supported", "write for i, x in enumerate(xs)")
            sequences, index = [node.args[0]], names[0]
            names = names[1:]
        elif kind == "zip":
            if len(node.args) != len(names):
                raise self.error(target, f"zip of {len(node.args)} sequences needs "
                                 f"{len(node.args)} loop variables")
            sequences, index = list(node.args), self.named("k")
        else:
            if len(names) != 1:
                raise self.error(target, "unpacking loop variables is supported for enumerate "
                                 "and zip only", "unpack inside the loop body")
            sequences, index = [node], self.named("k")
        operands = [self.stable(self.operand(seq), assigned) for seq in sequences]
        lengths = [self.operand_of(ir.Call(self._builtin_rule(len, 1), (op,), (), "len"))
                   for op in operands]
        count = lengths[0]
        for other in lengths[1:]:
            count = self.operand_of(ir.Call(self._builtin_rule(min, 2), (count, other), (),
                                            "min"))
        return index, list(zip(names, operands)), ir.Call(self._builtin_rule(range, 1),
                                                          (count,), (), "range")

    def stable(self, operand, assigned):
        """A sequence the loop body reassigns is iterated as it was when the loop began."""
        if isinstance(operand, ir.Var) and operand.name in assigned:
            name = self.fresh()
            self.emit(name, operand)
            return ir.Var(name)
        return operand

    def operand_of(self, value):
        name = self.fresh()
        self.emit(name, value)
        return ir.Var(name)

    def _builtin_rule(self, fn, arity):
        return next(r for r in REGISTRY.lookup(fn) if r.bind(arity, ()) is not None)

    def iterable(self, stmt):
        """``range(...)`` stays in the ``for`` statement (and its reverse) when the loop does
        not reassign its bounds; other iterables are evaluated into a variable first."""
        node = stmt.iter
        if isinstance(node, gast.Call) and not node.keywords:
            try:
                callee = self.resolve(node.func).value
            except Exception:
                callee = None
            assigned = {n.id for s in stmt.body for n in gast.walk(s)
                        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
            reads = {n.id for a in node.args for n in gast.walk(a) if isinstance(n, gast.Name)}
            if callee is range and not reads & assigned:
                value = self.value(node)
                if isinstance(value, ir.Call):
                    return value
        return self.operand(node)

    def while_(self, stmt):
        origin = self.origin
        outer, self.body = self.body, []
        test = self.operand(stmt.test)
        test_body, self.body = self.body, outer
        body, orelse = self.block(stmt.body), self.block(stmt.orelse)
        self.body.append(ir.While(test_body, test, body, orelse, origin))

    def _result_name_free(self):
        """The result takes the function's name (``e = c * d``) unless the body uses it."""
        return self.name not in self.locals and not any(
            isinstance(n, gast.Name) and n.id == self.name for n in gast.walk(self.node))

    # expressions

    def operand(self, node):
        value = self.value(node)
        if isinstance(value, ir.Call):
            name = self.fresh()
            self.emit(name, value)
            return ir.Var(name)
        return value

    def value(self, node):
        if isinstance(node, gast.Constant):
            return ir.Const(node.value, self.loc.segment(node))
        folded = _constant_value(node)
        if folded is not None:
            return ir.Const(folded, repr(folded))
        literal = _literal_tuple(node)
        if literal is not None:
            return ir.Const(literal, self.loc.segment(node))
        if isinstance(node, gast.Name):
            return self.name_load(node)
        if isinstance(node, gast.Attribute):
            return self.attribute_load(node)
        if isinstance(node, gast.BinOp):
            op = BINARY.get(type(node.op))
            if op is None:
                raise self.error(node, f"the operator {_op_symbol(node.op)} is not supported")
            return self.call_rule(op, [self.operand(node.left), self.operand(node.right)], node)
        if isinstance(node, gast.UnaryOp):
            return self.unary(node)
        if isinstance(node, gast.Compare):
            return self.compare(node)
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
            if any(isinstance(e, gast.Starred) for e in node.elts):
                raise self.error(node, "starred expressions are not supported")
            pytype = tuple if isinstance(node, gast.Tuple) else list
            operands = tuple(self.operand(e) for e in node.elts)
            return ir.Call(containers.pack_rule(pytype, len(operands)), operands, (), None,
                           form=pytype.__name__)
        if isinstance(node, gast.Dict):
            if not all(isinstance(k, gast.Constant) and isinstance(k.value, str)
                       for k in node.keys):
                raise self.error(node, "only dicts with string keys written out are supported",
                                 "write {'name': value, ...}")
            keys = tuple(k.value for k in node.keys)
            operands = tuple(self.operand(v) for v in node.values)
            return ir.Call(containers.pack_rule(dict, len(keys), keys), operands, (), None,
                           form="dict")
        message, hint = REFUSED_EXPRESSIONS.get(
            type(node), (f"{type(node).__name__} expressions are not supported", None))
        raise self.error(node, message, hint)

    def subscript(self, node):
        """``x[index]``: the index stays as written, its variable parts become operands."""
        x = self.operand(node.value)
        index, parts = self.index(node.slice)
        return ir.Call(indexing.rule(len(parts)), (x, *parts), (), None, index)

    def index(self, node):
        """An index expression with placeholders for its variable parts, and those parts."""
        parts = []

        def part(n):
            if n is None:
                return None
            if isinstance(n, gast.Slice):
                return gast.Slice(lower=part(n.lower), upper=part(n.upper), step=part(n.step))
            if isinstance(n, gast.Tuple):
                return gast.Tuple(elts=[part(e) for e in n.elts], ctx=gast.Load())
            if isinstance(n, gast.List) and all(
                    isinstance(e, gast.Constant) and type(e.value) in (int, bool)
                    for e in n.elts):
                return gast.List(elts=[gast.Constant(value=e.value, kind=None) for e in n.elts],
                                 ctx=gast.Load())
            operand = self.operand(n)
            if isinstance(operand, ir.Const) or (
                    isinstance(operand, ir.Global) and operand.known
                    and (operand.value is None or isinstance(operand.value, int))):
                return gast.Constant(value=operand.value, kind=None)
            parts.append(operand)
            return indexing.placeholder(len(parts) - 1)

        return part(node), parts

    def store(self, target, value, op=None):
        """``y[index] = value`` (or ``+=``, ``-=`` with ``op``): a new value of ``y``, the same
        array changed in place. As in Python, the value is computed before the target."""
        stored = self.operand(value) if isinstance(value, gast.AST) else value
        target, rows = self.composed(target)
        array = self.operand(target.value)
        if not isinstance(array, ir.Var):
            what = "a module-level name" if isinstance(array, ir.Global) else "a constant"
            raise self.error(target, f"assignment into an element of {what} is not supported",
                             "copy it into a local array first: y = np.array(...)")
        if array.name not in self.defined:
            raise self.error(target, f"{array.name} is used before it is assigned")
        index, parts = self.index(target.slice)
        if rows:
            index.srcdiff_rows = rows
        call = ir.Call(indexing.store_rule(len(parts), op), (array, stored, *parts), (),
                       None, index, form="store")
        self.body.append(ir.Assign(array.name, call, self.origin, augmented=True))

    def composed(self, target):
        """``y[i][j] = v`` writes through the view ``y[i]``; for an integer ``i`` that is
        ``y[i, j] = v``, a store into ``y`` itself. The number of leading index parts that
        must be integers (checked once their kinds are known) comes back with the target."""
        inner = target.value
        if not isinstance(inner, gast.Subscript) or isinstance(inner.slice, (gast.Slice,
                                                                            gast.Tuple)):
            return target, 0
        if isinstance(inner.slice, gast.Constant) and not isinstance(inner.slice.value, int):
            return target, 0
        inner, rows = self.composed(inner)
        first = inner.slice.elts if isinstance(inner.slice, gast.Tuple) else [inner.slice]
        rest = target.slice.elts if isinstance(target.slice, gast.Tuple) else [target.slice]
        index = gast.Tuple(elts=list(first) + list(rest), ctx=gast.Load())
        gast.copy_location(index, target.slice)
        merged = gast.Subscript(value=inner.value, slice=index, ctx=gast.Store())
        return gast.copy_location(merged, target), rows + len(first)

    def comparison(self, op_node, left, right, node):
        op = COMPARE.get(type(op_node))
        if op is None:
            raise self.error(node, f"the comparison {type(op_node).__name__} is not supported")
        return self.call_rule(op, [left, right], node)

    def compare(self, node):
        """``a < b < c`` is ``a < b and b < c`` with ``b`` evaluated once."""
        return self.chained(node, self.operand(node.left))

    def chained(self, node, left):
        right = self.operand(node.comparators[0])
        first = self.comparison(node.ops[0], left, right, node)
        if len(node.ops) == 1:
            return first
        rest = gast.Compare(left=node.comparators[0], ops=node.ops[1:],
                            comparators=node.comparators[1:])
        gast.copy_location(rest, node)
        result = self.fresh()
        self.emit(result, first)
        outer, self.body = self.body, []
        self.emit(result, self.chained(rest, right))
        inner, self.body = self.body, outer
        self.body.append(ir.If(ir.Var(result), inner, [], self.origin))
        return ir.Var(result)

    def conditional(self, node):
        """``a if c else b``: only the chosen side is evaluated, as in Python."""
        test = self.operand(node.test)
        result = self.fresh()
        outer, self.body = self.body, []
        self.emit(result, self.value(node.body))
        body, self.body = self.body, []
        self.emit(result, self.value(node.orelse))
        orelse, self.body = self.body, outer
        self.body.append(ir.If(test, body, orelse, self.origin))
        return ir.Var(result)

    def boolean(self, node):
        """``x and y`` is ``y`` if ``x`` is true, else ``x`` (``or`` the other way round);
        later operands are evaluated only when needed."""
        result = self.fresh()
        self.emit(result, self.value(node.values[0]))
        for value in node.values[1:]:
            outer, self.body = self.body, []
            self.emit(result, self.value(value))
            inner, self.body = self.body, outer
            if isinstance(node.op, gast.And):
                self.body.append(ir.If(ir.Var(result), inner, [], self.origin))
            else:
                self.body.append(ir.If(ir.Var(result), [], inner, self.origin))
        return ir.Var(result)

    def unary(self, node):
        if (isinstance(node.op, (gast.USub, gast.UAdd)) and isinstance(node.operand, gast.Constant)
                and isinstance(node.operand.value, (int, float, complex))
                and not isinstance(node.operand.value, bool)):
            value = node.operand.value
            return ir.Const(-value if isinstance(node.op, gast.USub) else value,
                            self.loc.segment(node))
        op = UNARY.get(type(node.op))
        if op is None:
            raise self.error(node, f"the operator {_op_symbol(node.op)} is not supported")
        return self.call_rule(op, [self.operand(node.operand)], node)

    def name_load(self, node):
        name = node.id
        if name in self.nested:
            raise self.error(node, f"the nested function {name} can only be called here",
                             "call it; passing functions around is not supported")
        if name in self.locals:
            if name not in self.defined:
                raise self.error(node, f"{name} is used before it is assigned")
            return ir.Var(name)
        found = self.lookup(node, name)
        if isinstance(found, Opaque):
            return ir.Global(name)
        value = found.value
        if isinstance(value, type):
            self.constants[name] = value
            return ir.Global(name, value, known=True)
        if isinstance(value, types.ModuleType) or callable(value):
            raise self.error(node, f"{name} is a {_what(value)}, not a value that can be "
                                   "differentiated")
        self.constants[name] = value
        return ir.Global(name, value, known=True, cell=self.scope.cell(name))

    def attribute_load(self, node):
        if self._rooted_in_local(node):
            function = ARRAY_ATTRIBUTES.get(node.attr)
            if function is None:
                raise self.error(node, f"the attribute .{node.attr} is not supported",
                                 "array attributes .T, .mT, .shape, .ndim and .size are")
            receiver = self.operand(node.value)
            rule = self._builtin_rule(function, 1)
            return ir.Call(rule, (receiver,), (), node.attr, form="attribute")
        found = self.resolve(node)
        value = found.value
        if isinstance(value, type):
            return ir.Global(self.loc.segment(node), value, known=True)
        if isinstance(value, types.ModuleType) or callable(value):
            raise self.error(node, f"{self.loc.segment(node)} is a {_what(value)}, not a value")
        return ir.Global(self.loc.segment(node), value, known=True)

    def _rooted_in_local(self, node):
        while isinstance(node, gast.Attribute):
            node = node.value
        return not isinstance(node, gast.Name) or node.id in self.locals

    def lookup(self, node, name):
        found = self.scope.lookup(name)
        if found is None:
            raise self.error(node, f"name {name!r} is not defined")
        if isinstance(found, Unresolved):
            where = ""
            if found.node is not None and getattr(found.node, "lineno", None):
                where = f" (bound at line {found.node.lineno})"
            raise self.error(node, f"cannot resolve {name!r}: {found.reason}{where}",
                             "srcdiff reads the file without running it; import math, numpy "
                             "or names from them")
        if isinstance(found, UserFunction):
            return Live(calls.Callee(name, node=found.node, source=self.source,
                                     scope=self.scope))
        return found

    def resolve(self, node):
        """Resolve a callee or module attribute to a live object."""
        if isinstance(node, gast.Name):
            if node.id in self.locals:
                raise self.error(node, f"{node.id} is a local variable, not a function")
            found = self.lookup(node, node.id)
            if isinstance(found, Opaque):
                raise self.error(node, f"cannot resolve {node.id!r} without running the file",
                                 "srcdiff reads the file without running it")
            return found
        if isinstance(node, gast.Attribute):
            if self._rooted_in_local(node):
                raise self.error(node, f"the method .{node.attr}() is not supported",
                                 "NumPy array methods such as .sum(), .reshape() and .dot() "
                                 "are; for others call the NumPy function")
            base = self.resolve(node.value).value
            try:
                return Live(getattr(base, node.attr))
            except AttributeError:
                raise self.error(node, f"{self.loc.segment(node.value)} has no attribute "
                                       f"{node.attr!r}") from None
        if type(node) in REFUSED_EXPRESSIONS:
            message, hint = REFUSED_EXPRESSIONS[type(node)]
            raise self.error(node, message, hint)
        raise self.error(node, "only named functions can be called here")

    def method(self, node):
        """``x.sum(axis=0)`` is ``np.sum(x, axis=0)``, printed as written."""
        func = node.func
        function = ARRAY_METHODS.get(func.attr)
        if function is None:
            self.resolve(func)
        receiver = self.operand(func.value)
        args = [self.operand(a) for a in node.args]
        if func.attr in VARARGS_METHODS and len(args) > 1:
            if all(isinstance(a, ir.Const) for a in args):
                values = tuple(a.value for a in args)
                args = [ir.Const(values, repr(values))]
            else:
                args = [self.operand_of(ir.Call(containers.pack_rule(tuple, len(args)),
                                                tuple(args), (), None, form="tuple"))]
        keywords = [k.arg for k in node.keywords]
        overloads = REGISTRY.lookup(function)
        rule = next((r for r in overloads if r.bind(1 + len(args), keywords) is not None), None)
        if rule is None:
            raise self.error(node, f".{func.attr}() is not supported with these arguments")
        kwargs = tuple((k.arg, self.operand(k.value)) for k in node.keywords)
        return ir.Call(rule, (receiver, *args), kwargs, func.attr, form="method")

    def call(self, node):
        if isinstance(node.func, gast.Name) and node.func.id in self.nested:
            return self.inline(self.nested[node.func.id], node)
        if isinstance(node.func, gast.Lambda):
            self.define_nested(node.func, "lambda")
            return self.inline(node.func, node)
        if isinstance(node.func, gast.Attribute) and self._rooted_in_local(node.func):
            return self.method(node)
        callee = self.resolve(node.func).value
        spelling = self.loc.segment(node.func)
        for arg in node.args:
            if isinstance(arg, gast.Starred):
                raise self.error(arg, "*args in a call is not supported",
                                 "pass the arguments one by one")
        if any(k.arg is None for k in node.keywords):
            raise self.error(node, "**kwargs in a call is not supported")
        overloads = REGISTRY.lookup(callee)
        if not overloads and _user_function(callee):
            callee = calls.Callee(callee.__name__, fn=callee)
        if isinstance(callee, calls.Callee):
            overloads = [calls.callee_rule(callee, self.loc, node)]
        if not overloads:
            raise self._no_rule(node, callee, spelling)
        keywords = [k.arg for k in node.keywords]
        rule = next((r for r in overloads if r.bind(len(node.args), keywords) is not None),
                    None)
        if rule is None:
            forms = "; ".join(f"{overloads[0].name}({', '.join(r.params)})" for r in overloads)
            raise self.error(node, f"{spelling} is not supported with these arguments",
                             f"supported forms: {forms}")
        args = [self.operand(a) for a in node.args]
        kwargs = tuple((k.arg, self.operand(k.value)) for k in node.keywords)
        return ir.Call(rule, tuple(args), kwargs, spelling)

    def call_rule(self, op, args, node, spelling=None):
        overloads = REGISTRY.lookup(op)
        rule = next((r for r in overloads if r.bind(len(args), ()) is not None), None)
        if rule is None:
            raise self.error(node, f"the operator {getattr(op, '__name__', op)} is not supported")
        return ir.Call(rule, tuple(args), (), spelling)

    def _no_rule(self, node, callee, spelling):
        if callee in (exec, eval, compile, globals, locals, vars):
            return self.error(node.func, f"{spelling}() cannot be differentiated: srcdiff "
                                         "needs the code it differentiates as source",
                              "write the computation out in the function")
        module = getattr(callee, "__module__", None) or ""
        name = getattr(callee, "__qualname__", None) or getattr(callee, "__name__", spelling)
        qualified = f"{_public_module(module)}.{name}" if module else name
        return self.error(node.func, f"no derivative rule for {qualified}",
                          "register one with srcdiff.defvjp")


_FOLDABLE = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
             gast.Div: operator.truediv, gast.Pow: operator.pow}


def _constant_value(node):
    """The value of arithmetic on number literals (``2.0 * 10``), folded at lowering."""
    if isinstance(node, gast.BinOp) and type(node.op) in _FOLDABLE:
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            try:
                return _FOLDABLE[type(node.op)](left, right)
            except (ArithmeticError, ValueError):
                return None
    return None


def _literal_tuple(node):
    """A tuple of literals (``(0, 1)``, ``(3, -1)``) as one constant, for shape arguments."""
    if not isinstance(node, gast.Tuple):
        return None
    values = []
    for elt in node.elts:
        if isinstance(elt, gast.Tuple):
            value = _literal_tuple(elt)
        elif isinstance(elt, gast.Constant) and not isinstance(elt.value, str):
            value = elt.value
        else:
            value = _number(elt)
        if value is None and not (isinstance(elt, gast.Constant) and elt.value is None):
            return None
        values.append(value)
    return tuple(values)


def _number(node):
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return _constant_value(node)


class _Renaming(gast.NodeTransformer):
    """Gives an inlined function's locals names of their own in the caller."""

    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node


def _assigned_in(statements):
    """Names the statements assign (nested functions' own names aside)."""
    return {n.id for stmt in statements for n in gast.walk(stmt)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _stored(node):
    """Names a function assigns, not counting those of functions nested in it."""
    names = set()

    def visit(n, top):
        if not top and isinstance(n, (gast.FunctionDef, gast.Lambda)):
            if isinstance(n, gast.FunctionDef):
                names.add(n.name)
            return
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            names.add(n.id)
        for child in gast.iter_child_nodes(n):
            visit(child, False)
    visit(node, True)
    return names


class _Renamer(gast.NodeTransformer):
    """Gives a comprehension's loop variable its own name (its own scope in Python 3)."""

    def __init__(self, old, new):
        self.old, self.new = old, new

    def visit_Name(self, node):
        if node.id == self.old:
            return gast.copy_location(gast.Name(id=self.new, ctx=node.ctx, annotation=None,
                                                type_comment=None), node)
        return node


def _user_function(callee):
    """A Python function of the user's (not a library's), to be differentiated through."""
    module = (getattr(callee, "__module__", None) or "").split(".")[0]
    return isinstance(callee, types.FunctionType) and module not in LIBRARIES


def _public_module(module):
    if module.startswith("numpy"):
        parts = module.split(".")
        return ".".join(p for p in parts if not p.startswith("_"))
    return module


def _is_docstring(stmt):
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
            and isinstance(stmt.value.value, str))


def _what(value):
    return "module" if isinstance(value, types.ModuleType) else "function"


def _op_symbol(op):
    return {gast.BitAnd: "&", gast.BitOr: "|", gast.BitXor: "^", gast.LShift: "<<",
            gast.RShift: ">>", gast.Invert: "~"}.get(type(op), type(op).__name__)
