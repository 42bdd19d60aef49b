"""The Python that srcdiff refuses, and small facts about syntax trees the lowering shares.

Every refusal names what the user wrote and says what to write instead, so each entry of
the tables below is a message and a hint.
"""

from __future__ import annotations

import gast

from ..ir import names, trees

SUPPORTED = "see the table of what is supported in srcdiff's README"

REFUSED_STATEMENTS = {
    gast.AsyncFor: ("async loops cannot be differentiated", "use a plain for loop"),
    gast.With: ("'with' blocks cannot be differentiated", "move the block out of the function"),
    gast.AsyncWith: ("'async with' blocks cannot be differentiated",
                     "move the block out of the function"),
    gast.Try: ("try/except cannot be differentiated", "handle errors outside the function"),
    gast.TryStar: ("try/except* cannot be differentiated", "handle errors outside the function"),
    gast.Raise: ("raise cannot be differentiated", "check inputs before calling the gradient"),
    gast.Assert: ("assert statements are not supported",
                  "check inputs before calling the gradient"),
    gast.AsyncFunctionDef: ("async functions cannot be differentiated",
                            "define a plain function with def"),
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
    gast.Match: ("match statements are not supported", "write the cases with if/elif"),
}
REFUSED_EXPRESSIONS = {
    gast.Lambda: ("a lambda can only be called here, or assigned to a name and called",
                  "call it, or define the function with def"),
    gast.SetComp: ("set comprehensions are not supported", "build a list instead: [...]"),
    gast.DictComp: ("dict comprehensions are not supported",
                    "write the dict out: {'w': ..., 'b': ...}"),
    gast.GeneratorExp: ("generator expressions are not supported",
                        "use a list comprehension: [... for ... in ...]"),
    gast.Await: ("await cannot be differentiated", "call the function without await"),
    gast.Yield: ("generators cannot be differentiated", "return a value instead of yielding"),
    gast.YieldFrom: ("generators cannot be differentiated", "return a value instead"),
    gast.NamedExpr: ("assignment expressions (:=) are not supported",
                     "assign in a statement of its own"),
    gast.Set: ("sets are not supported", "use a tuple or a list"),
    gast.JoinedStr: ("f-strings cannot be differentiated", "build strings outside the function"),
    gast.Starred: ("starred expressions are not supported", "write the elements out"),
    gast.Slice: ("a slice can only be an index here", "write it inside brackets: x[1:]"),
}

OPERATOR_SYMBOLS = {
    gast.BitAnd: "&", gast.BitOr: "|", gast.BitXor: "^", gast.LShift: "<<", gast.RShift: ">>",
    gast.Invert: "~", gast.FloorDiv: "//", gast.Mod: "%", gast.MatMult: "@", gast.Add: "+",
    gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**", gast.USub: "-",
    gast.UAdd: "+", gast.Not: "not", gast.In: "in", gast.NotIn: "not in", gast.Is: "is",
    gast.IsNot: "is not", gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">", gast.GtE: ">=",
    gast.Eq: "==", gast.NotEq: "!=",
}


def symbol(op):
    """How the source spells an operator node (``<<``, ``not in``)."""
    return OPERATOR_SYMBOLS.get(type(op), "this operator")


def refused_statement(stmt):
    """The message and hint for a statement kind outside the supported language."""
    return REFUSED_STATEMENTS.get(
        type(stmt), ("this kind of statement is not supported", SUPPORTED))


def refused_expression(node):
    return REFUSED_EXPRESSIONS.get(
        type(node), ("this kind of expression is not supported", SUPPORTED))


def is_docstring(stmt):
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)
            and isinstance(stmt.value.value, str))


def stored_names(node):
    """Names a function assigns, not counting those of functions nested in it."""
    stored, spelled = set(), set()
    outer, nested = trees.children(node), []  # the nodes outside nested functions, inside
    while outer or nested:
        inside = not outer
        n = nested.pop() if inside else outer.pop()
        kind = type(n)
        if kind is gast.Name:
            spelled.add(n.id)
            if not inside and isinstance(n.ctx, gast.Store):
                stored.add(n.id)
        elif not inside and (kind is gast.FunctionDef or kind is gast.Lambda):
            if kind is gast.FunctionDef:
                stored.add(n.name)
            nested += trees.children(n)
            continue
        (nested if inside else outer).extend(trees.children(n))
    names.spelled_in(node, spelled)  # the same walk finds them
    return stored


def assigned_in(statements):
    """Names that statements assign anywhere in them (a loop body, say)."""
    return {n.id for s in statements for n in trees.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def target_names(target):
    """The names an assignment target binds, in order (``i, (a, b)`` gives i, a, b)."""
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)):
        return [name for elt in target.elts for name in target_names(elt)]
    return [n.id for n in trees.walk(target) if isinstance(n, gast.Name)]
