"""Lowering names, attributes and calls: what each callee is, and how the call is made.

A callee is a NumPy or ``math`` function with a rule, an array method (``x.sum()`` is
``np.sum(x)``), one of the user's functions (differentiated through, see
:mod:`srcdiff.primitives.calls`), or a function nested in the one being lowered (inlined where it is
called). ``print(...)`` runs for its effect; anything else is refused here, by name.
"""

from __future__ import annotations

import builtins
import types

import gast
import numpy as np

from ..ir import nodes as ir
from ..primitives import REGISTRY, calls, containers, effects
from . import syntax
from .scope import Live, Opaque, Unresolved, UserFunction

ARRAY_ATTRIBUTES = {"T": np.transpose, "mT": np.matrix_transpose, "shape": np.shape,
                    "ndim": np.ndim, "size": np.size, "real": np.real, "imag": np.imag}
ARRAY_METHODS = {
    name: getattr(np, function) for name, function in {
        "sum": "sum", "mean": "mean", "prod": "prod", "max": "max", "min": "min",
        "std": "std", "var": "var", "cumsum": "cumsum", "cumprod": "cumprod", "dot": "dot",
        "reshape": "reshape", "transpose": "transpose", "ravel": "ravel",
        "squeeze": "squeeze", "swapaxes": "swapaxes", "clip": "clip", "copy": "copy",
        "astype": "astype", "round": "round", "repeat": "repeat", "take": "take",
        "diagonal": "diagonal", "trace": "trace", "conj": "conj", "conjugate": "conjugate",
        "argmax": "argmax", "argmin": "argmin", "any": "any", "all": "all", "ptp": "ptp",
    }.items() if hasattr(np, function)}
ARRAY_METHODS["flatten"] = np.ndarray.flatten  # always a copy (np.ravel may give a view)
VARARGS_METHODS = ("reshape", "transpose")
LIBRARIES = ("numpy", "math", "cmath", "builtins", "scipy", "operator", "srcdiff")
NEW_LIST = "build a new list, appending what it should hold"
NEW_DICT = "write a new dict out: {'w': ..., 'b': ...}"
IN_PLACE_METHODS = {
    "sort": "sort a copy: y = np.sort(x), or sorted(...) for a list",
    "fill": "make a new array: y = np.full_like(x, value)",
    "resize": "make a new array: y = np.resize(x, shape)",
    "put": "write into a copy: y = x.copy(), then y[indices] = values",
    "itemset": "write into a copy: y = x.copy(), then y[i] = v",
    "partition": "make a new array: y = np.partition(x, k)",
    "byteswap": "make a new array: y = x.byteswap()",
    "setfield": "write into a copy of the array", "setflags": "remove the call",
    "extend": NEW_LIST, "insert": NEW_LIST, "remove": NEW_LIST, "pop": NEW_LIST,
    "clear": NEW_LIST, "reverse": NEW_LIST,
    "update": NEW_DICT, "setdefault": NEW_DICT, "popitem": NEW_DICT,
}
CODE_RUNNERS = (exec, eval, compile, globals, locals, vars)
PRINT_KEYWORDS = ("sep", "end", "file", "flush")


class CallLowering:
    """Names, attributes, calls and expression statements (a mixin of the lowerer)."""

    def name_load(self, node):
        name = node.id
        if name in self.nested:
            raise self.error(node, f"the nested function {name} can only be called here",
                             "call it; passing functions around is not supported")
        if name in self.locals:
            return self.read_local(node, name)
        found = self.lookup(node, name)
        if isinstance(found, Opaque):
            return ir.Global(name)
        value = found.value
        if isinstance(value, type):
            self.constants[name] = value
            return ir.Global(name, value, known=True)
        if isinstance(value, types.ModuleType) or callable(value):
            raise self.error(node, f"{name} is a {_what(value)}, not a value that can be "
                             "differentiated", "call it, or use a value from it")
        self.constants[name] = value
        return ir.Global(name, value, known=True, cell=self.scope.cell(name))

    def attribute_load(self, node):
        if self._rooted_in_local(node):
            function = ARRAY_ATTRIBUTES.get(node.attr)
            if function is None:
                raise self.error(node, f"the attribute .{node.attr} is not supported",
                                 "array attributes .T, .mT, .shape, .ndim, .size, .real and "
                                 ".imag are")
            receiver = self.operand(node.value)
            rule = self._builtin_rule(function, 1)
            return ir.Call(rule, (receiver,), (), node.attr, form="attribute")
        value = self.resolve(node).value
        if isinstance(value, type):
            return ir.Global(self.loc.segment(node), value, known=True)
        if isinstance(value, types.ModuleType) or callable(value):
            raise self.error(node, f"{self.loc.segment(node)} is a {_what(value)}, not a "
                             "value", "call it, or use a value from it")
        return ir.Global(self.loc.segment(node), value, known=True)

    def _rooted_in_local(self, node):
        """Whether ``node`` (``x.T``, ``W.reshape``) starts from a value (a local, a
        module-level array) rather than from a module or class (``np.pi``, ``math.sin``)."""
        while isinstance(node, gast.Attribute):
            node = node.value
        if not isinstance(node, gast.Name) or node.id in self.locals:
            return True
        if node.id in self.nested:
            return False
        found = self.scope.lookup(node.id)
        if isinstance(found, Opaque):
            return True
        if not isinstance(found, Live):
            return False
        value = found.value
        return not (isinstance(value, (types.ModuleType, type)) or callable(value))

    def lookup(self, node, name):
        found = self.scope.lookup(name)
        if found is None:
            raise self.error(node, f"name {name!r} is not defined",
                             "define it at module level, or pass it in as an argument")
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
                raise self.error(node, f"{node.id} is a local variable, not a function",
                                 "call a function by its name; passing functions around is "
                                 "not supported")
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
                                       f"{node.attr!r}", "check the spelling") from None
        if type(node) in syntax.REFUSED_EXPRESSIONS:
            message, hint = syntax.refused_expression(node)
            raise self.error(node, message, hint)
        raise self.error(node, "only named functions can be called here",
                         "call a function by its name, such as np.sin(x) or h(x)")

    def method(self, node):
        """``x.sum(axis=0)`` is ``np.sum(x, axis=0)``, printed as written."""
        func = node.func
        self._refuse_in_place(node)
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
                                                tuple(args), (), None))]
        keywords = [k.arg for k in node.keywords]
        overloads = REGISTRY.lookup(function)
        rule = next((r for r in overloads if r.bind(1 + len(args), keywords) is not None), None)
        if rule is None:
            forms = "; ".join(f".{func.attr}({', '.join(r.params[1:])})" for r in overloads)
            raise self.error(node, f".{func.attr}() is not supported with these arguments",
                             f"supported forms: {forms}")
        kwargs = tuple((k.arg, self.operand(k.value)) for k in node.keywords)
        return ir.Call(rule, (receiver, *args), kwargs, func.attr, form="method")

    def _refuse_in_place(self, node):
        """``x.sort()``, ``lst.extend(...)``: methods that change their object in place."""
        func = node.func
        if not (isinstance(func, gast.Attribute) and func.attr in IN_PLACE_METHODS):
            return
        if not self._rooted_in_local(func) and isinstance(
                self.resolve(func.value).value, types.ModuleType):
            return
        owner = self.loc.segment(func.value)
        raise self.error(node, f"{owner}.{func.attr}() changes {owner} in place, which srcdiff "
                         "cannot differentiate", IN_PLACE_METHODS[func.attr])

    def call(self, node):
        if isinstance(node.func, gast.Name) and node.func.id in self.nested:
            return self.inline(self.nested[node.func.id], node)
        if isinstance(node.func, gast.Lambda):
            self.define_nested(node.func, "lambda")
            return self.inline(node.func, node)
        if self._is_pop(node):
            return self.pop(node)
        if isinstance(node.func, gast.Attribute) and self._rooted_in_local(node.func):
            return self.method(node)
        self._refuse_in_place(node)
        callee = self.resolve(node.func).value
        spelling = self.loc.segment(node.func)
        self._refuse_unpacked_arguments(node)
        if callee is builtins.print:
            raise self.error(node, "print() returns None; it can only be a statement here",
                             "call print(...) on a line of its own")
        if _statement_rule(callee) is not None:
            raise self.error(node, f"{spelling}() is a check run for its effect; its value "
                             "is not differentiated", f"call {spelling}(...) on a line of its "
                             "own")
        overloads = REGISTRY.lookup(callee)
        if not overloads and _user_function(callee):
            callee = calls.Callee(_printable_name(callee.__name__, spelling), fn=callee)
        if isinstance(callee, calls.Callee):
            overloads = [calls.callee_rule(callee, self.loc, node)]
        if not overloads:
            raise self._no_rule(node, callee, spelling)
        keywords = [k.arg for k in node.keywords]
        rule = next((r for r in overloads if r.bind(len(node.args), keywords) is not None),
                    None)
        if rule is None and isinstance(callee, calls.Callee):
            message, hint = calls.binding_error(overloads[0], len(node.args), keywords)
            raise self.error(node, message, hint)
        if rule is None:
            forms = "; ".join(f"{overloads[0].name}({', '.join(r.params)})" for r in overloads)
            raise self.error(node, f"{spelling} is not supported with these arguments",
                             f"supported forms: {forms}")
        args = [self.operand(a) for a in node.args]
        kwargs = tuple((k.arg, self.operand(k.value)) for k in node.keywords)
        return ir.Call(rule, tuple(args), kwargs, spelling)

    def _refuse_unpacked_arguments(self, node):
        for arg in node.args:
            if isinstance(arg, gast.Starred):
                raise self.error(arg, "*args in a call is not supported",
                                 "pass the arguments one by one")
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.error(keyword.value, "**kwargs in a call is not supported",
                                 "pass the keyword arguments one by one")

    def call_rule(self, op, args, node, spelling=None):
        overloads = REGISTRY.lookup(op)
        rule = next((r for r in overloads if r.bind(len(args), ()) is not None), None)
        if rule is None:
            op_node = node.ops[0] if isinstance(node, gast.Compare) else node.op
            raise self.error(node, f"the operator {syntax.symbol(op_node)} is not supported",
                             "compute it outside the function")
        return ir.Call(rule, tuple(args), (), spelling)

    def _no_rule(self, node, callee, spelling):
        if any(callee is runner for runner in CODE_RUNNERS):
            return self.error(node.func, f"{spelling}() cannot be differentiated: srcdiff "
                                         "needs the code it differentiates as source",
                              "write the computation out in the function")
        module = getattr(callee, "__module__", None) or ""
        name = getattr(callee, "__qualname__", None) or getattr(callee, "__name__", spelling)
        qualified = f"{_public_module(module)}.{name}" if module else name
        return self.error(node.func, f"no derivative rule for {qualified}",
                          "register one with srcdiff.defvjp")

    # statements made of one expression

    def expression_statement(self, stmt):
        """``lst.append(v)`` and ``print(...)`` act; literals (docstrings, ``...``) do
        nothing. Any other expression statement is refused: its value would be lost."""
        node = stmt.value
        if isinstance(node, gast.Constant):
            return
        if self._is_append(node):
            self.append(node)
            return
        if self._is_pop(node):
            self.pop(node)
            return
        if not isinstance(node, gast.Call):
            message, hint = syntax.REFUSED_EXPRESSIONS.get(type(node), (
                "this expression statement has no effect", "remove it, or assign its value "
                "to a name"))
            raise self.error(node, message, hint)
        nested = isinstance(node.func, gast.Name) and node.func.id in self.nested
        if nested or isinstance(node.func, gast.Lambda):
            self.value(node)
            return
        self._refuse_in_place(node)
        method = isinstance(node.func, gast.Attribute) and self._rooted_in_local(node.func)
        callee = None if method else self.resolve(node.func).value
        if callee is builtins.print:
            self.print_(node)
            return
        if _is_add_at(callee):
            self.add_at(node)
            return
        check = None if method else _statement_rule(callee)
        if check is not None:
            self.check(node, check)
            return
        if any(callee is runner for runner in CODE_RUNNERS):
            raise self._no_rule(node, callee, self.loc.segment(node.func))
        raise self.error(node, f"the value of {self.loc.segment(node)} is not used",
                         "assign it to a name, or remove the call (srcdiff keeps only what "
                         "reaches the result, so other effects of a call would be lost)")

    def check(self, node, rule):
        """A runtime check that generated code calls for its effect (``require_assigned``,
        ``check_scalar``): it runs where it stands, and nothing flows through it."""
        self._refuse_unpacked_arguments(node)
        keywords = [k.arg for k in node.keywords]
        if rule.bind(len(node.args), keywords) is None:
            raise self.error(node, f"{self.loc.segment(node.func)} is not supported with these "
                             "arguments", f"it takes ({', '.join(rule.params)})")
        args = [self.operand(a) for a in node.args]
        kwargs = [(k.arg, self.operand(k.value)) for k in node.keywords]
        self.body.append(ir.Assign(self.fresh(), effects.effect_call(
            rule, args, kwargs, self.loc.segment(node.func)), self.origin))

    def print_(self, node):
        """``print(...)`` runs in the derivative's forward sweep, where the function runs
        it. In a function differentiated through, whose forward code its derivative runs
        again, it would print twice: refused there."""
        if self.callee:
            raise self.error(node, f"print() in {self.name}, which srcdiff differentiates "
                             "through, would print twice: its derivative runs its code again",
                             "print in the function you differentiate, or return the value "
                             "and print it there")
        self._refuse_unpacked_arguments(node)
        for keyword in node.keywords:
            if keyword.arg not in PRINT_KEYWORDS:
                raise self.error(keyword.value, f"print() got an unexpected keyword argument "
                                 f"'{keyword.arg}'", "print takes sep, end, file and flush")
        args = [self.operand(a) for a in node.args]
        keywords = [(k.arg, self.operand(k.value)) for k in node.keywords]
        self.body.append(ir.Assign(self.fresh(), effects.print_call(args, keywords),
                                   self.origin))


def _is_add_at(callee):
    """``np.add.at``, a method bound anew at each lookup."""
    return getattr(callee, "__self__", None) is np.add and getattr(
        callee, "__name__", None) == "at"


def _statement_rule(callee):
    """The rule of a function called for its effect alone (a runtime check), or None."""
    return next((r for r in REGISTRY.lookup(callee) if r.statement_only), None)


def _user_function(callee):
    """A Python function of the user's (not a library's), to be differentiated through."""
    module = (getattr(callee, "__module__", None) or "").split(".")[0]
    return isinstance(callee, types.FunctionType) and module not in LIBRARIES


def _printable_name(name, spelling):
    """A callee's name as printed code can use it (``h5_vjp``): its own, or for a lambda,
    the name it is called by."""
    if name.isidentifier():
        return name
    last = spelling.rsplit(".", 1)[-1]
    return last if last.isidentifier() else "function"


def _public_module(module):
    if module.startswith("numpy"):
        parts = module.split(".")
        return ".".join(p for p in parts if not p.startswith("_"))
    return module


def _what(value):
    return "module" if isinstance(value, types.ModuleType) else "function"
