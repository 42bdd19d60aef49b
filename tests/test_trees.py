"""The one-pass conversions between gast and the standard library's tree (srcdiff.ir.trees)
give what gast's own converters give, for every construct they meet."""

import ast
import sys
from pathlib import Path

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


def _python_files():
    root = Path(__file__).resolve().parent.parent
    return sorted(p for folder in ("srcdiff/frontend", "examples")
                  for p in (root / folder).rglob("*.py"))


MORE_SYNTAX = '''
async def g(a: int, /, b=1, *rest: str, c, d=2, **options) -> None:
    try:
        pass
    except (KeyError, ValueError) as error:
        raise
    async with lock as held, other:
        await held
    async for item in items:
        yield item
    match value:
        case [1, *others] | {"k": _, **kw} if others:
            pass
        case Point(x=0) as p:
            pass
    f = lambda x, *, y=3: (z := x + y)
    global counter
    del f


class C(Base, metaclass=Meta):
    field: int = 0
'''


def test_whole_files_convert_as_gast_converts_them():
    """The frontend converts each differentiated function with ``to_gast``: the examples,
    the frontend's own files and the rest of the language convert as gast's own converter
    converts them, locations included."""
    trees_checked = [ast.parse(MORE_SYNTAX)]
    if sys.version_info >= (3, 11):
        trees_checked.append(ast.parse("try:\n    pass\nexcept* TypeError as e:\n    pass\n"))
    trees_checked += [ast.parse(path.read_text(), str(path)) for path in _python_files()]
    for tree in trees_checked:
        assert gast.dump(trees.to_gast(tree), include_attributes=True) == gast.dump(
            gast.ast_to_gast(tree), include_attributes=True)


def test_a_tree_converts_to_lines_further_down():
    """A block parsed apart from the lines before it is converted at its own lines."""
    tree = ast.parse(MORE_SYNTAX)
    moved = trees.to_gast(tree, 40)
    assert gast.dump(moved, include_attributes=True) == gast.dump(
        gast.ast_to_gast(ast.increment_lineno(ast.parse(MORE_SYNTAX), 40)),
        include_attributes=True)
    assert gast.dump(trees.to_gast(tree), include_attributes=True) == gast.dump(
        gast.ast_to_gast(ast.parse(MORE_SYNTAX)), include_attributes=True)


def test_nodes_are_every_node_but_contexts_and_operators():
    """``trees.nodes`` (what the passes that look for names and references visit) finds
    the nodes ``ast.walk`` finds, less the contexts and operators, across the language."""
    leaves = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
    for tree in [gast.ast_to_gast(ast.parse(MORE_SYNTAX))] + [
            gast.ast_to_gast(ast.parse(path.read_text())) for path in _python_files()[:5]]:
        walked = [n for n in trees.walk(tree) if not isinstance(n, leaves)]
        found = trees.nodes(tree)
        assert sorted(map(id, found)) == sorted(map(id, walked))
        assert {id(n) for n in trees.names(tree)} == {
            id(n) for n in walked if isinstance(n, gast.Name)}


def test_same_trees_compare_fields_values_and_references():
    def expr(text, refs=()):
        tree = trees.parse_expression(text)
        names = [n for n in trees.walk(tree) if isinstance(n, gast.Name)]
        for node, ref in zip(names, refs):
            node.srcdiff_ref = ref
        return tree

    assert trees.same(expr("g * r + 1.0"), expr("g * r + 1.0"))
    assert not trees.same(expr("g * r + 1.0"), expr("g * r + 1"))  # 1 == 1.0, yet not the same
    assert not trees.same(expr("g * r"), expr("g * r + 0"))
    assert not trees.same(expr("g - r"), expr("g + r"))
    assert not trees.same(expr("g * -0.0"), expr("g * 0.0"))
    assert trees.same(expr("g * r", [("adj", 1), ("def", 2)]), expr("g * r", [("adj", 1),
                                                                            ("def", 2)]))
    assert not trees.same(expr("g * r", [("adj", 1), ("def", 2)]),
                          expr("g * r", [("adj", 1), ("def", 3)]))


def test_stored_names_and_spelled_names_come_from_one_walk():
    """``syntax.stored_names`` finds what a function assigns (not what functions nested in
    it assign, only their names) and, on the way, every name it spells."""
    from srcdiff.frontend import syntax
    from srcdiff.ir import names

    def reference_stored(node):
        found = set()

        def visit(n, top):
            if not top and isinstance(n, (gast.FunctionDef, gast.Lambda)):
                if isinstance(n, gast.FunctionDef):
                    found.add(n.name)
                return
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                found.add(n.id)
            for child in gast.iter_child_nodes(n):
                visit(child, False)
        visit(node, True)
        return found

    checked = 0
    for path in _python_files():
        for node in gast.walk(gast.ast_to_gast(ast.parse(path.read_text()))):
            if isinstance(node, (gast.FunctionDef, gast.Lambda)):
                spelled = frozenset(n.id for n in gast.walk(node) if isinstance(n, gast.Name))
                assert syntax.stored_names(node) == reference_stored(node)
                assert names.spelled_in(node) == spelled
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("text", ["g", "ans", "x_1", "None", "True", "g * y", "ﬁ"])
def test_a_template_parses_as_the_parser_parses_it(text):
    parsed = ast.parse(text, mode="eval").body
    assert ast.dump(trees._parsed(text), include_attributes=True) == ast.dump(
        parsed, include_attributes=True)


def test_a_clone_is_a_new_tree_that_shares_references():
    from srcdiff.ir import code

    node = trees.parse_expression("f(x, 2.0) + y")
    node.left.args[0].srcdiff_ref = ("def", "x")
    copied = code.clone(node)
    assert gast.dump(copied, include_attributes=True) == gast.dump(node, include_attributes=True)
    assert trees.same(copied, node)
    originals = {id(n) for n in trees.nodes(node)}
    assert not originals & {id(n) for n in trees.nodes(copied)}
    assert copied.left.args[0].srcdiff_ref is node.left.args[0].srcdiff_ref
    annotated = gast.Name(id="a", ctx=gast.Param(), annotation=trees.parse_expression("int"),
                          type_comment=None)
    assert code.clone(annotated).annotation is not annotated.annotation
