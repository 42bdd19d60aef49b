"""Lowering functions nested in the differentiated one: ``def`` and lambdas, inlined.

A nested function is not a value srcdiff can pass around; each call is replaced by the
function's body, its parameters bound as Python binds a call's arguments and its locals
renamed (``g_v``) so that they are the call's own. The body reads the enclosing variables
as they are at the call, as Python's closures do.
"""

from __future__ import annotations

import gast

from ..ir import code, names
from ..ir import nodes as ir
from . import flow, syntax


class NestedLowering:
    """Nested ``def`` statements, named lambdas and their calls (a mixin of the lowerer)."""

    def define_nested(self, node, name):
        """A nested ``def`` or a named lambda: inlined where it is called, reading the
        enclosing variables as they are at the call, as Python's closures do."""
        if getattr(node, "decorator_list", None):
            raise self.error(node, "decorated nested functions are not supported",
                             "define the function at module level")
        args = node.args
        if args.vararg or args.kwarg:
            raise self.error(args.vararg or args.kwarg, "*args and **kwargs parameters of "
                             "nested functions are not supported", "name each parameter")
        for default in list(args.defaults) + [d for d in args.kw_defaults if d is not None]:
            if _literal(default) is _NOT_LITERAL:
                raise self.error(default, "a nested function's default values must be "
                                 "literals", "pass the value as an argument instead")
        self.nested[name] = node
        self.bindings.bind(name)

    def inline(self, fnode, call):
        name = getattr(fnode, "name", "lambda")
        if any(f is fnode for f in self.inlining):
            raise self.error(call, f"{name} calls itself; recursive functions are not "
                             "supported", "write the recursion as a loop")
        params, bound = self._bind_arguments(fnode, call, name)
        own = set(params)
        if isinstance(fnode, gast.FunctionDef):
            own |= syntax.stored_names(fnode)
        renames = {local: self.named(names.inlined(name, local)) for local in sorted(own)}
        self.spelled.update((new, old) for old, new in renames.items())
        self.locals |= set(renames.values())
        origin = self.origin
        entry = self.bindings.snapshot()
        self.start_flags(self.flagged & set(renames.values()))
        for param in params:
            self.emit(renames[param], bound[param])
        if isinstance(fnode, gast.Lambda):
            statements = [gast.copy_location(gast.Return(value=fnode.body), fnode.body)]
        else:
            statements = [s for s in fnode.body if not syntax.is_docstring(s)]
        renamer = Renaming(renames)
        statements = [renamer.visit(code.clone(s)) for s in statements]
        result = self.named(f"{name}_result")
        outer_result, self.result_name = self.result_name, result
        self.inlining.append(fnode)
        try:
            block = self.block(statements)
        finally:
            self.inlining.pop()
            self.result_name = outer_result
        self.bindings.restore(entry)
        inner = ir.Function(name, [], block, origin, self.source, fnode)
        inner = flow.normalize(inner, result, self.named, self.loc)
        final = inner.body[-1]
        self.body.extend(inner.body[:-1])
        self.origin = origin
        if not (isinstance(final.value, ir.Var) and final.value.name == result):
            self.emit(result, final.value)
        self.bindings.bind(result)
        self.locals.add(result)
        return ir.Var(result)

    def _bind_arguments(self, fnode, call, name):
        """The nested function's parameters in order, and the operand each one gets, as
        Python binds a call's arguments."""
        args = fnode.args
        positional = [a.id for a in list(args.posonlyargs) + list(args.args)]
        only_positional = {a.id for a in args.posonlyargs}
        keyword_only = [a.id for a in args.kwonlyargs]
        defaults = dict(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        defaults.update((a.id, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)
                        if d is not None)
        described = f"{name}() takes ({', '.join(positional + keyword_only)})"
        self._refuse_unpacked_arguments(call)
        if len(call.args) > len(positional):
            raise self.error(call, f"{name}() takes {len(positional)} positional arguments "
                             f"but {len(call.args)} were given", described)
        bound = {p: self.operand(a) for p, a in zip(positional, call.args)}
        for keyword in call.keywords:
            if keyword.arg in only_positional or keyword.arg not in positional + keyword_only:
                raise self.error(keyword.value, f"{name}() got an unexpected keyword argument "
                                 f"'{keyword.arg}'", described)
            if keyword.arg in bound:
                raise self.error(keyword.value, f"{name}() got multiple values for argument "
                                 f"'{keyword.arg}'", described)
            bound[keyword.arg] = self.operand(keyword.value)
        for param in positional + keyword_only:
            if param not in bound:
                if param not in defaults:
                    raise self.error(call, f"{name}() is missing the argument '{param}'",
                                     described)
                value = _literal(defaults[param])
                bound[param] = ir.Const(value, repr(value))
        return positional + keyword_only, bound


_NOT_LITERAL = object()


def _literal(node):
    """The value of a literal default (``2.0``, ``-1``, ``None``, ``'mean'``)."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and isinstance(
            node.operand, gast.Constant) and type(node.operand.value) in (int, float):
        return -node.operand.value
    return _NOT_LITERAL


class Renaming(gast.NodeTransformer):
    """Gives an inlined function's locals names of their own in the caller."""

    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node
