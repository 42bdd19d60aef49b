"""The text of the statements a derivative prints, as ``ast.unparse`` prints them.

``ast.unparse`` visits every node through a generic visitor, and sets precedences with
an enum and context managers: some 10 µs to print ``t1 = a + b``, the largest part of
printing a small derivative. Derivatives are made of few kinds of statement (assignments,
arithmetic, calls, attributes, subscripts, comparisons), and this module prints those
directly, with the unparser's own rules of precedence, so that the text is the text
``ast.unparse`` gives. Anything else (strings, lambdas, displays other than tuples and
lists, nested blocks) goes to ``ast.unparse`` itself.

With ``CHECK`` set (the test suite and the fuzzer set it), every text is compared with
``ast.unparse``'s, and a difference raises (on Python 3.10, whose unparser puts every tuple
in parentheses, a difference that parses to the same code is allowed).
"""

from __future__ import annotations

import ast
import math
import sys

CHECK = False
"""Compare every text with ``ast.unparse``'s (for tests: it costs what it saves)."""

# The precedences of ``ast._Precedence``, in its order: a node is parenthesized where the
# precedence its context asks for is above its own.
(NAMED_EXPR, TUPLE, YIELD, TEST, OR, AND, NOT, CMP, EXPR, BXOR, BAND, SHIFT, ARITH, TERM,
 FACTOR, POWER, AWAIT, ATOM) = range(1, 19)
BOR = EXPR
_OWN_TUPLES = sys.version_info < (3, 11)
"""Python 3.10's unparser puts every tuple in parentheses (``(a, b) = f(x)``); this module
prints them as later versions do, so that derivatives read the same on every version."""

_BINARY = {ast.Add: ("+", ARITH), ast.Sub: ("-", ARITH), ast.Mult: ("*", TERM),
           ast.MatMult: ("@", TERM), ast.Div: ("/", TERM), ast.Mod: ("%", TERM),
           ast.LShift: ("<<", SHIFT), ast.RShift: (">>", SHIFT), ast.BitOr: ("|", BOR),
           ast.BitXor: ("^", BXOR), ast.BitAnd: ("&", BAND), ast.FloorDiv: ("//", TERM),
           ast.Pow: ("**", POWER)}
_UNARY = {ast.Invert: ("~", FACTOR), ast.Not: ("not ", NOT), ast.UAdd: ("+", FACTOR),
          ast.USub: ("-", FACTOR)}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
            ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
            ast.NotIn: "not in"}
_BOOLEAN = {ast.And: (" and ", AND), ast.Or: (" or ", OR)}


class _Unsupported(Exception):
    """A node this module leaves to ``ast.unparse``."""


def unparse(node):
    """``ast.unparse(node)``, for a statement or an expression."""
    try:
        printer = _STATEMENTS.get(type(node))
        text = printer(node) if printer is not None else _expr(node, TEST)
    except _Unsupported:
        return ast.unparse(node)
    if CHECK:
        expected = ast.unparse(node)
        if text != expected and not (_OWN_TUPLES and _same_code(text, expected)):
            raise AssertionError(f"printed {text!r} where ast.unparse prints {expected!r}")
    return text


def _same_code(text, other):
    return ast.dump(ast.parse(text)) == ast.dump(ast.parse(other))


def _expr(node, context):
    printer = _EXPRESSIONS.get(type(node))
    if printer is None:
        raise _Unsupported
    return printer(node, context)


def _name(node, context):
    return node.id


def _constant(node, context):
    value = node.value
    if node.kind is not None:
        raise _Unsupported
    kind = type(value)
    if kind is int or kind is bool or value is None or kind is float and math.isfinite(value):
        return repr(value)
    raise _Unsupported


def _binary(node, context):
    symbol, own = _BINARY[type(node.op)]
    if symbol == "**":
        left, right = _expr(node.left, own + 1), _expr(node.right, own)
    else:
        left, right = _expr(node.left, own), _expr(node.right, own + 1)
    text = f"{left} {symbol} {right}"
    return f"({text})" if context > own else text


def _unary(node, context):
    symbol, own = _UNARY[type(node.op)]
    text = symbol + _expr(node.operand, own)
    return f"({text})" if context > own else text


def _compare(node, context):
    parts = [_expr(node.left, CMP + 1)]
    for op, right in zip(node.ops, node.comparators):
        parts.append(_COMPARE[type(op)])
        parts.append(_expr(right, CMP + 1))
    text = " ".join(parts)
    return f"({text})" if context > CMP else text


def _boolean(node, context):
    symbol, own = _BOOLEAN[type(node.op)]
    level, parts = own, []
    for value in node.values:  # the unparser asks more of each operand than the last
        level = min(level + 1, ATOM)
        parts.append(_expr(value, level))
    text = symbol.join(parts)
    return f"({text})" if context > own else text


def _call(node, context):
    parts = [_expr(arg, TEST) for arg in node.args]
    for keyword in node.keywords:
        if keyword.arg is None:
            raise _Unsupported
        parts.append(f"{keyword.arg}={_expr(keyword.value, TEST)}")
    return f"{_expr(node.func, ATOM)}({', '.join(parts)})"


def _attribute(node, context):
    value = node.value
    if type(value) is ast.Constant and isinstance(value.value, int):
        raise _Unsupported  # printed ``3 .real``
    return f"{_expr(value, ATOM)}.{node.attr}"


def _subscript(node, context):
    index = node.slice
    if type(index) is ast.Tuple and index.elts:
        inside = _items(index.elts)
    else:
        inside = _expr(index, TEST)
    return f"{_expr(node.value, ATOM)}[{inside}]"


def _slice(node, context):
    text = (_expr(node.lower, TEST) if node.lower else "") + ":"
    if node.upper:
        text += _expr(node.upper, TEST)
    if node.step:
        text += ":" + _expr(node.step, TEST)
    return text


def _tuple(node, context):
    if not node.elts:
        return "()"
    text = _items(node.elts)
    return f"({text})" if context > TUPLE else text


def _list(node, context):
    return "[" + ", ".join(_expr(element, TEST) for element in node.elts) + "]"


def _items(elements):
    if len(elements) == 1:
        return _expr(elements[0], TEST) + ","
    return ", ".join(_expr(element, TEST) for element in elements)


_EXPRESSIONS = {ast.Name: _name, ast.Constant: _constant, ast.BinOp: _binary,
                ast.UnaryOp: _unary, ast.Compare: _compare, ast.BoolOp: _boolean,
                ast.Call: _call, ast.Attribute: _attribute, ast.Subscript: _subscript,
                ast.Slice: _slice, ast.Tuple: _tuple, ast.List: _list}


def _assign(node):
    if getattr(node, "type_comment", None) is not None:
        raise _Unsupported
    targets = "".join(_expr(target, TUPLE) + " = " for target in node.targets)
    return targets + _expr(node.value, TEST)


def _augmented(node):
    symbol, _ = _BINARY[type(node.op)]
    return f"{_expr(node.target, TEST)} {symbol}= {_expr(node.value, TEST)}"


def _return(node):
    return "return" if node.value is None else "return " + _expr(node.value, TEST)


def _expression_statement(node):
    return _expr(node.value, YIELD)


def _if(node):
    """``if test:`` over simple statements, without ``else``."""
    if node.orelse:
        raise _Unsupported
    lines = ["if " + _expr(node.test, TEST) + ":"]
    for stmt in node.body:
        printer = _SIMPLE.get(type(stmt))
        if printer is None:
            raise _Unsupported
        lines.append("    " + printer(stmt))
    return "\n".join(lines)


_SIMPLE = {ast.Assign: _assign, ast.AugAssign: _augmented, ast.Return: _return,
           ast.Expr: _expression_statement, ast.Pass: lambda node: "pass",
           ast.Break: lambda node: "break"}
_STATEMENTS = {**_SIMPLE, ast.If: _if}
