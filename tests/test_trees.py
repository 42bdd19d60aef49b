"""The one-pass conversions between gast and the standard library's tree (srcdiff.ir.trees)
give what gast's own converters give, for every construct they meet."""

import ast

import gast
import pytest

from srcdiff.ir import trees

SNIPPETS = [
    "x_bar[i, 1:] += g * y",
    "for k in reversed(range(n)):\n    y = y_tape.pop()\n    break\nelse:\n    pass",
    "if not c:\n    pass\nelse:\n    x = a if b else -c",
    "while t < 3 and not done or t is None:\n    t = t + 1",
    "t = {'w': [1, 2.5, None, True], 'b': (x,), 'c': b'\\x00'}",
    "lst.append(v[..., None, ::2])",
    "a, (b, c) = f(*args, key=value, **options)",
    "y = np.where(x >= 0.0, g, 0.0) @ w.T ** 2 // 3 % 4",
    "del x[0]",
    "return (a, b)",
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_conversion_matches_gast(text):
    wrapped = "def f():\n" + "".join(f"    {line}\n" for line in text.splitlines())
    tree = gast.parse(wrapped).body[0].body
    for stmt in tree:
        assert ast.dump(trees.to_stdlib(stmt), include_attributes=True) == ast.dump(
            gast.gast_to_ast(stmt), include_attributes=True)


def test_swap_replaces_nodes_as_it_converts():
    stmt = gast.parse("y = helper(x) + x").body[0]
    call = stmt.value.left

    def swap(node):
        if node is call.func:
            return gast.Constant(value="placeholder", kind=None)
        return None
    converted = trees.to_stdlib(stmt, swap)
    assert ast.unparse(converted) == "y = 'placeholder'(x) + x"
    assert isinstance(call.func, gast.Name)  # the gast tree itself is left as it was


EXPRESSIONS = ["g * np.cos(x)", "np.where((a >= a_min) & (a <= a_max), g, 0.0)",
               "g if x >= y else 0.0", "x[..., :, None] * v[1:2, ::-1]", "f(*a, k=1, **kw)",
               "[x for x in y if x]", "lambda x: x + 1", "{'a': 1, **d}", "not a or b and c",
               "x ** -2", "a < b < c", "{1, 2}", "f'{x}!'", "b'x'", "...", "-g * ans / y"]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_expressions_parse_as_gast_parses_them(text):
    assert gast.dump(trees.parse_expression(text), include_attributes=True) == gast.dump(
        gast.parse(text, mode="eval").body, include_attributes=True)
