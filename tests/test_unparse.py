"""srcdiff prints derivatives with its own unparser for the common statements
(srcdiff.backend.unparse): its text must be ``ast.unparse``'s, whatever the nesting."""

import ast
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from srcdiff.backend import unparse as fast

NAMES = st.sampled_from(["a", "b", "t1", "x_bar", "np"])
CONSTANTS = st.one_of(st.integers(-3, 10**12), st.booleans(), st.none(),
                      st.floats(allow_nan=True, allow_infinity=True), st.just("text"),
                      st.just(1j), st.just(...))
BINARY = st.sampled_from([ast.Add, ast.Sub, ast.Mult, ast.MatMult, ast.Div, ast.Mod, ast.Pow,
                          ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
                          ast.FloorDiv])
UNARY = st.sampled_from([ast.USub, ast.UAdd, ast.Invert, ast.Not])
COMPARE = st.sampled_from([ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is,
                           ast.IsNot, ast.In, ast.NotIn])


def _load(name):
    return ast.Name(id=name, ctx=ast.Load())


def _extend(children):
    return st.one_of(
        st.builds(lambda l, op, r: ast.BinOp(left=l, op=op(), right=r), children, BINARY,
                  children),
        st.builds(lambda op, v: ast.UnaryOp(op=op(), operand=v), UNARY, children),
        st.builds(lambda l, ops, rs: ast.Compare(left=l, ops=[o() for o in ops[:len(rs)]],
                                                 comparators=rs[:len(ops)]),
                  children, st.lists(COMPARE, min_size=1, max_size=3),
                  st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda op, vs: ast.BoolOp(op=op(), values=vs),
                  st.sampled_from([ast.And, ast.Or]), st.lists(children, min_size=2, max_size=4)),
        st.builds(lambda f, args, kws: ast.Call(func=f, args=args, keywords=[
                      ast.keyword(arg=k, value=v) for k, v in kws]),
                  children, st.lists(children, max_size=3),
                  st.lists(st.tuples(st.sampled_from(["axis", "keepdims"]), children),
                           max_size=2)),
        st.builds(lambda v, attr: ast.Attribute(value=v, attr=attr, ctx=ast.Load()),
                  children, st.sampled_from(["T", "shape", "sum"])),
        st.builds(lambda v, index: ast.Subscript(value=v, slice=index, ctx=ast.Load()),
                  children, st.one_of(
                      children,
                      st.builds(lambda lo, hi, step: ast.Slice(lower=lo, upper=hi, step=step),
                                st.none() | children, st.none() | children,
                                st.none() | children),
                      st.builds(lambda es: ast.Tuple(elts=es, ctx=ast.Load()),
                                st.lists(children | st.builds(
                                    lambda lo: ast.Slice(lower=lo, upper=None, step=None),
                                    st.none() | children), max_size=3)))),
        st.builds(lambda es: ast.Tuple(elts=es, ctx=ast.Load()), st.lists(children, max_size=3)),
        st.builds(lambda es: ast.List(elts=es, ctx=ast.Load()), st.lists(children, max_size=3)),
        st.builds(lambda v: ast.Starred(value=v, ctx=ast.Load()), children),
        st.builds(lambda t, b, o: ast.IfExp(test=t, body=b, orelse=o), children, children,
                  children),
    )


EXPRESSIONS = st.recursive(
    st.one_of(NAMES.map(_load), CONSTANTS.map(lambda v: ast.Constant(value=v))), _extend,
    max_leaves=12)


def _statement(kind, target, value):
    if kind == "assign":
        return ast.Assign(targets=[target], value=value, lineno=1)
    if kind == "augmented":
        return ast.AugAssign(target=target, op=ast.Add(), value=value)
    if kind == "return":
        return ast.Return(value=value)
    if kind == "expr":
        return ast.Expr(value=value)
    return ast.If(test=value, body=[ast.Assign(targets=[target], value=value, lineno=1),
                                    ast.Return(value=None)], orelse=[])


TARGETS = st.one_of(NAMES.map(lambda n: ast.Name(id=n, ctx=ast.Store())),
                    st.lists(NAMES, min_size=1, max_size=3).map(lambda ns: ast.Tuple(
                        elts=[ast.Name(id=n, ctx=ast.Store()) for n in ns], ctx=ast.Store())))


def _assert_agrees(text, node):
    """The text is ``ast.unparse``'s; on Python 3.10, whose unparser puts every tuple in
    parentheses, the same code."""
    expected = ast.unparse(node)
    if sys.version_info < (3, 11) and text != expected:
        assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(expected))
    else:
        assert text == expected


@settings(max_examples=400, deadline=None)
@given(EXPRESSIONS)
def test_expressions_print_as_ast_unparse_prints_them(tree):
    _assert_agrees(fast.unparse(tree), tree)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["assign", "augmented", "return", "expr", "if"]), TARGETS, EXPRESSIONS)
def test_statements_print_as_ast_unparse_prints_them(kind, target, value):
    stmt = _statement(kind, target, value)
    _assert_agrees(fast.unparse(stmt), stmt)


def test_the_common_statements_are_printed_without_the_unparser(monkeypatch):
    """The statements of a small derivative do not fall back to ``ast.unparse``."""
    texts = ["t1 = a + b", "b_bar = b_bar + t2 * -1.5", "x_bar[1:, i] += g.T @ w",
             "return (a_bar, np.sum(x_bar, axis=0))",
             "if type(a) is not float or not b:\n    return dispatch(a, b)",
             "t2_tape.append(t2)", "y = (-x) ** 2 + 1e+300"]
    statements = [ast.parse(f"def f():\n    {text}".replace("\n    return d", "\n        return d")
                            ).body[0].body[0] for text in texts]
    assert [ast.unparse(stmt) for stmt in statements] == texts

    def refuse(node):
        raise AssertionError(f"fell back for {ast.dump(node)}")
    monkeypatch.setattr(fast, "CHECK", False)
    monkeypatch.setattr(fast.ast, "unparse", refuse)
    assert [fast.unparse(stmt) for stmt in statements] == texts
