"""Which constructs a generated program contains, read from its syntax tree (and its
arguments), so that a test can assert the grammar keeps producing every one of them.

``REQUIRED[generator]`` lists what a sample of each area's generator must contain;
``README_ROWS`` maps every row of the README's "What is supported" table to constructs, all
of which the whole-language generator must produce on its own.
"""

import ast

import numpy as np

from fuzzing.values import leaves

README_ROWS = {
    "statements": {"assign", "reassign", "tuple unpacking", "swap", "+=", "-=", "*=", "/=",
                   "**=", "early return", "docstring", "pass"},
    "branches": {"if", "elif", "else", "nested if", "ternary", "and", "or", "not",
                 "chained comparison"},
    "loops": {"range(stop)", "range(start, stop)", "range(start, stop, step)",
              "range(variable)", "for over array", "enumerate", "zip", "while", "break",
              "continue", "loop else", "nested loops", "loop variable reassigned",
              "loop target shadows parameter", "first assigned in a branch of a loop"},
    "calls": {"helper call", "keyword argument", "default argument", "tuple result",
              "helper calls helper", "three-deep calls", "call in loop", "factory closures"},
    "data structures": {"tuple literal", "list literal", "dict literal", "nested unpacking",
                        "constant subscript", "string subscript", "append in loop",
                        "list comprehension", "len", "sum", "container argument",
                        "loop over container"},
    "nested functions": {"nested def", "lambda"},
    "values": {"float literal", "complex literal", "module constant", "math.pi",
               "power by an index"},
    "arithmetic": {"+", "-", "*", "/", "** constant", "** variable", "unary -", "unary +",
                   "%", "@"},
    "math": {f"math.{name}" for name in (
        "sin cos tan exp expm1 log log1p log2 log10 sqrt tanh sinh cosh asinh acosh atanh "
        "atan asin acos atan2 hypot pow fabs erf erfc degrees radians floor ceil trunc"
    ).split()} | {"math.log two arguments"},
    "builtins": {"abs", "max", "min", "max of three", "min of three", "pow", "float", "int",
                 "round", "bool", "len", "range"},
    "array methods": {".T", ".shape", ".ndim", ".size", ".sum()", ".mean()", ".max()",
                      ".reshape", ".dot", ".astype", ".copy"},
    "NumPy": {"np.concatenate", "np.stack", "np.hstack", "np.vstack", "np.array",
              "np.split", "np.array_split", "tuple result of np", "axis", "keepdims",
              "np.sum", "np.mean", "np.max", "np.min", "np.prod", "np.std", "np.var",
              "np.maximum", "np.minimum", "np.where", "np.clip", "np.reshape",
              "np.transpose", "np.einsum", "np.dot", "np.outer", "np.cumsum", "np.diff",
              "np.linalg.inv", "np.linalg.solve", "np.linalg.det", "np.linalg.cholesky",
              "np.zeros", "np.ones", "np.full", "np.eye", "np.arange", "np.linspace"},
    "indexing": {"variable index", "pair index", "slice", "variable slice bound", "window",
                 "step slice", "new axis", "mask index", "integer list index", "column"},
    "writing into arrays": {"write =", "write +=", "write -=", "write *=", "write /=",
                            "write slice", "write column", "write mask", "write integer list",
                            "write chained", "write swap", "write in loop", "write in branch",
                            "rebound then written in loop"},
    "your own rules": {"defvjp", "vjp_of", "nondifferentiable"},
    "inactive values": {"int argument as size", "size from .shape", "size from local tuple",
                        "int argument as bound"},
    "arguments": {"float32 argument", "0-d array argument", "argument at 0.0",
                  "float argument", "array argument"},
}
ALL = set().union(*README_ROWS.values())

REQUIRED = {
    "scalars": README_ROWS["statements"] | README_ROWS["branches"] | README_ROWS["loops"]
    | README_ROWS["arithmetic"] | {"math.sin", "math.log two arguments", "abs", "max",
                                   "min of three", "pow", "complex literal", "argument at 0.0",
                                   "power by an index"},
    "arrays": {"axis", "keepdims", "@", "np.einsum", "np.concatenate", "np.stack",
               "np.reshape", "np.transpose", ".T", ".reshape", ".sum()", "np.cumsum",
               "np.diff", "np.maximum", "np.where", "np.clip", "np.std", "np.var",
               "float32 argument", "np.dot", "np.outer", "np.linalg.solve", "np.split"},
    "indexing": README_ROWS["indexing"] | README_ROWS["writing into arrays"] - {"write swap"},
    "calls": README_ROWS["calls"] | README_ROWS["nested functions"] | README_ROWS[
        "your own rules"],
    "containers": README_ROWS["data structures"],
    "sizes": README_ROWS["inactive values"] | {"variable slice bound", "np.zeros", "np.full",
                                               "np.ones"},
    "aliasing": {"write =", "write +=", "write in loop", "alias then write"},
}


def constructs(program):
    """The constructs in ``program`` (a ``generators.Program``)."""
    tree = ast.parse(program.text)
    found = _Finder(tree).found
    for name in ("defvjp", "vjp_of", "nondifferentiable"):
        if f"srcdiff.{name}" in program.text:
            found.add(name)
    for _, leaf in leaves(program.args):
        if isinstance(leaf, np.ndarray):
            found.add("array argument")
            if leaf.dtype == np.float32:
                found.add("float32 argument")
            if leaf.shape == ():
                found.add("0-d array argument")
            if np.any(leaf == 0.0):
                found.add("argument at 0.0")
        else:
            found.add("float argument")
            if leaf == 0.0:
                found.add("argument at 0.0")
    if any(isinstance(a, (list, tuple, dict)) for a in program.args):
        found.add("container argument")
    return found


class _Finder(ast.NodeVisitor):
    """One pass over the module, collecting construct names."""

    def __init__(self, tree):
        self.found = set()
        self.helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.f = self.helpers.pop("f")
        self.params = {a.arg for a in self.f.args.args}
        self.ints = self.params & {"n", "m", "k"}
        self.loops = 0
        self.branches = 0
        self.current = None
        self.called = {}
        self.assigned = []
        if ast.get_docstring(self.f):
            self.add("docstring")
        for helper in self.helpers.values():
            self.visit(helper)
        self.visit(self.f)
        self._calls()

    def _calls(self):
        helpers = set(self.helpers)
        for helper in helpers:
            for callee in self.called.get(helper, set()) & helpers:
                self.add("helper calls helper")
                if self.called.get(callee, set()) & helpers:
                    self.add("three-deep calls")
        if {"h2", "h5"} <= self.called.get("f", set()):
            self.add("factory closures")
        if len(self.assigned) != len(set(self.assigned)):
            self.add("reassign")

    def add(self, *names):
        self.found.update(names)

    def visit_Assign(self, node):
        self.add("assign")
        target = node.targets[0]
        if self.current == "f" and isinstance(target, ast.Name):
            self.assigned.append(target.id)
        if isinstance(target, ast.Tuple):
            self.add("tuple unpacking")
            if any(isinstance(e, ast.Tuple) for e in target.elts):
                self.add("nested unpacking")
            if isinstance(node.value, ast.Tuple) and [ast.unparse(e) for e in target.elts] == [
                    ast.unparse(e) for e in node.value.elts][::-1]:
                self.add("write swap" if isinstance(target.elts[0], ast.Subscript) else "swap")
        if isinstance(target, ast.Subscript):
            self._write(target, "=")
        if isinstance(target, ast.Name) and target.id.startswith("c") and isinstance(
                node.value, (ast.Subscript, ast.Attribute, ast.Name, ast.Call)):
            self.add("alias")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        op = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.Pow: "**="}.get(
            type(node.op))
        if isinstance(node.target, ast.Subscript):
            self._write(node.target, op)
        elif op:
            self.add(op)
        self.generic_visit(node)

    def _write(self, target, op):
        self.add(f"write {op}")
        index = target.slice
        if isinstance(target.value, ast.Subscript):
            self.add("write chained")
        if isinstance(index, ast.Slice):
            self.add("write slice")
        if isinstance(index, ast.Tuple) and isinstance(index.elts[0], ast.Slice):
            self.add("write column")
        if isinstance(index, ast.Compare) or (isinstance(index, ast.Name) and index.id[0] == "m"):
            self.add("write mask")
        if isinstance(index, ast.List):
            self.add("write integer list")
        if self.loops:
            self.add("write in loop")
        if self.branches:
            self.add("write in branch")
        if "alias" in self.found:
            self.add("alias then write")

    def visit_For(self, node):
        self.add("for over array" if isinstance(node.iter, ast.Name) else "for")
        call = node.iter
        if isinstance(call, ast.Name) and (call.id.startswith(("lst", "acc", "t", "pair",
                                                                 "params"))):
            self.add("loop over container")
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            name = call.func.id
            if name == "range":
                self.add("range", ["range(stop)", "range(start, stop)",
                                   "range(start, stop, step)"][len(call.args) - 1])
                if any(not isinstance(a, ast.Constant) for a in call.args):
                    self.add("range(variable)")
                if any(isinstance(a, ast.Name) and a.id in self.ints for a in call.args):
                    self.add("int argument as bound")
            elif name in ("enumerate", "zip"):
                self.add(name)
        if node.orelse:
            self.add("loop else")
        if self.loops:
            self.add("nested loops")
        target = node.target
        if isinstance(target, ast.Name):
            if target.id in self.params:
                self.add("loop target shadows parameter")
            if any(isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                   and s.targets[0].id == target.id for s in node.body):
                self.add("loop variable reassigned")
        self._loop_body(node)

    def visit_While(self, node):
        self.add("while")
        if node.orelse:
            self.add("loop else")
        if self.loops:
            self.add("nested loops")
        self._loop_body(node)

    def _loop_body(self, node):
        rebound = {s.targets[0].id for s in node.body if isinstance(s, ast.Assign)
                   and isinstance(s.targets[0], ast.Name)}
        written = {_dotted((s.targets[0] if isinstance(s, ast.Assign) else s.target).value)
                   for s in node.body if isinstance(s, (ast.Assign, ast.AugAssign))
                   and isinstance(getattr(s, "target", None) or s.targets[0], ast.Subscript)}
        if rebound & written:
            self.add("rebound then written in loop")
        for sub in node.body:
            if isinstance(sub, ast.If) and isinstance(sub.test, ast.Compare) and isinstance(
                    sub.test.ops[0], ast.Eq) and sub.body and isinstance(sub.body[0], ast.Assign):
                first = sub.body[0].targets[0]
                if isinstance(first, ast.Name) and first.id.startswith("p") and sub.orelse:
                    self.add("first assigned in a branch of a loop")
        self.loops += 1
        self.generic_visit(node)
        self.loops -= 1

    def visit_If(self, node):
        self.add("if")
        if any(isinstance(sub, ast.Return) for sub in node.body):
            self.add("early return")
        if self.branches:
            self.add("nested if")
        if node.orelse:
            if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                self.add("elif")
            else:
                self.add("else")
        self.branches += 1
        self.generic_visit(node)
        self.branches -= 1

    def visit_Break(self, node):
        self.add("break")

    def visit_Continue(self, node):
        self.add("continue")

    def visit_Pass(self, node):
        self.add("pass")

    def visit_IfExp(self, node):
        self.add("ternary")
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        self.add("and" if isinstance(node.op, ast.And) else "or")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        self.add({ast.Not: "not", ast.USub: "unary -", ast.UAdd: "unary +"}.get(
            type(node.op), "unary"))
        self.generic_visit(node)

    def visit_Compare(self, node):
        if len(node.ops) > 1:
            self.add("chained comparison")
        self.generic_visit(node)

    def visit_BinOp(self, node):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%",
              ast.MatMult: "@"}.get(type(node.op))
        if isinstance(node.op, ast.Pow):
            constant = isinstance(node.right, ast.Constant) or (
                isinstance(node.right, ast.UnaryOp) and isinstance(node.right.operand,
                                                                   ast.Constant))
            op = "** constant" if constant else "** variable"
            if isinstance(node.right, ast.Name) and node.right.id.startswith("k"):
                self.add("power by an index")
        if op:
            self.add(op)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, float):
            self.add("float literal")
        if isinstance(node.value, complex):
            self.add("complex literal")

    def visit_Tuple(self, node):
        if isinstance(node.ctx, ast.Load):
            self.add("tuple literal")
        self.generic_visit(node)

    def visit_List(self, node):
        self.add("list literal")
        self.generic_visit(node)

    def visit_Dict(self, node):
        self.add("dict literal")
        self.generic_visit(node)

    def visit_ListComp(self, node):
        self.add("list comprehension")
        self.generic_visit(node)

    def visit_Lambda(self, node):
        self.add("lambda")
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node is not self.f and node.name not in self.helpers:
            self.add("nested def")
            self.generic_visit(node)
            return
        self.current = node.name
        self.generic_visit(node)
        for sub in node.body:
            if isinstance(sub, ast.Return) and any(isinstance(r, ast.Tuple) for r in [
                    sub.value]):
                self.add("tuple result")

    def visit_Name(self, node):
        if node.id in ("C", "K", "W"):
            self.add("module constant")

    def visit_Attribute(self, node):
        name = _dotted(node)
        if name in ("math.pi", "math.e"):
            self.add("math.pi")
        if node.attr in ("T", "shape", "ndim", "size"):
            self.add(f".{node.attr}")
            if node.attr == "shape":
                self.add("size from .shape")
        self.generic_visit(node)

    def visit_Subscript(self, node):
        index = node.slice
        if isinstance(index, ast.Constant):
            self.add("string subscript" if isinstance(index.value, str) else "constant subscript")
        if isinstance(index, (ast.Name, ast.BinOp)) and not (
                isinstance(index, ast.Name) and index.id[0] == "m"):
            self.add("variable index")
        if isinstance(index, ast.Name) and index.id[0] == "m":
            self.add("mask index")
        if isinstance(index, ast.Compare):
            self.add("mask index")
        if isinstance(index, ast.List):
            self.add("integer list index")
        slices = index.elts if isinstance(index, ast.Tuple) else [index]
        if isinstance(index, ast.Tuple):
            self.add("pair index")
            if isinstance(slices[0], ast.Slice) and not isinstance(slices[-1], ast.Slice):
                self.add("column")
        for part in slices:
            if isinstance(part, ast.Constant) and part.value is None:
                self.add("new axis")
            if isinstance(part, ast.Slice):
                self.add("slice")
                if part.step is not None:
                    self.add("step slice")
                bounds = [b for b in (part.lower, part.upper) if b is not None]
                if any(isinstance(b, ast.Name) for b in bounds):
                    self.add("variable slice bound")
                if any(isinstance(b, ast.BinOp) for b in bounds):
                    self.add("window")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        name = _dotted(func)
        keywords = {k.arg for k in node.keywords}
        if "axis" in keywords:
            self.add("axis")
        if "keepdims" in keywords:
            self.add("keepdims")
        if isinstance(func, ast.Name):
            self.called.setdefault(self.current, set()).add(func.id)
            self._builtin(node, func.id)
            if func.id in self.helpers:
                self.add("helper call")
                if keywords:
                    self.add("keyword argument")
                params = self.helpers[func.id].args
                if len(node.args) + len(keywords) < len(params.args):
                    self.add("default argument")
                if self.loops:
                    self.add("call in loop")
            if func.id in ("h2", "h5") and self.loops:
                self.add("call in loop")
        elif isinstance(func, ast.Attribute):
            if name.startswith(("math.", "np.")):
                self.add(name)
                if name == "math.log" and len(node.args) == 2:
                    self.add("math.log two arguments")
                if name in ("np.zeros", "np.ones", "np.full") and node.args:
                    shape = node.args[0]
                    names = {n.id for n in ast.walk(shape) if isinstance(n, ast.Name)}
                    if names & self.ints:
                        self.add("int argument as size")
                    if isinstance(shape, ast.Name) and shape.id.startswith("dims"):
                        self.add("size from local tuple")
            elif func.attr in ("sum", "mean", "max", "min", "prod", "std", "var"):
                self.add(f".{func.attr}()")
            elif func.attr in ("reshape", "dot", "astype", "copy"):
                self.add(f".{func.attr}")
            elif func.attr == "append" and self.loops:
                self.add("append in loop")
        if name in ("np.linalg.slogdet", "np.split") and isinstance(
                getattr(node, "parent", None), ast.Assign):
            self.add("tuple result of np")
        self.generic_visit(node)

    def _builtin(self, node, name):
        if name in ("abs", "max", "min", "pow", "float", "int", "round", "bool", "len",
                    "range", "sum"):
            self.add(name)
            if name in ("max", "min") and len(node.args) == 3:
                self.add(f"{name} of three")
        if name in ("softplus", "huber", "staircase"):
            self.add("user rule call")

    def generic_visit(self, node):
        for child in ast.iter_child_nodes(node):
            child.parent = node
        super().generic_visit(node)


def _dotted(node):
    """``np.linalg.inv`` for a chain of attributes on a name, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id] + parts[::-1])
