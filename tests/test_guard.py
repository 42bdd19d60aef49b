"""The type guard at the head of installed code: what it prints is what it compiles, and it
sends every call its specialization does not fit to the dispatcher."""

import ast
import inspect

import numpy as np
import pytest

from srcdiff import gradient, value_and_tangent

SIZE = 3
SCALE = 2.5
MISSING = None
TABLE = np.arange(3.0)


def plain(a, b):
    return (a + b) * (b + 1)


def array(x):
    return np.sum(x * x)


def keyword(x, *, k=2.0):
    return x * k


def sized(x):
    return np.sum(x[:SIZE] * SCALE)


def optional(x):
    return x * x if MISSING is None else x


def tabled(x):
    return np.sum(x * TABLE)


def closure_over(n):
    def inner(x):
        return np.sum(x[:n])
    return inner


CASES = {
    "floats": (plain, (1.5, 2.5), (0, 1),
               "if type(a) is not float or type(b) is not float:\n"
               "    return dispatch(a, b)"),
    "array": (array, (np.ones(3),), 0,
              "if type(x) is not np.ndarray or x.dtype != np.float64 or x.shape != (3,):\n"
              "    return dispatch(x)"),
    "numpy scalar": (plain, (np.float32(1.5), 2.5), 0,
                     "if type(a) is not np.float32 or type(b) is not float:\n"
                     "    return dispatch(a, b)"),
    "keyword-only": (keyword, (1.5,), 0,
                     "if type(x) is not float or type(k) is not float:\n"
                     "    return dispatch(x, k=k)"),
    "watched globals": (sized, (np.ones(4),), 0,
                        "if type(x) is not np.ndarray or x.dtype != np.float64 or "
                        "x.shape != (4,) or (type(SIZE) is not int or SIZE != 3) or "
                        "(type(SCALE) is not float or SCALE != 2.5):\n"
                        "    return dispatch(x)"),
    "watched None": (optional, (1.5,), 0,
                     "if type(x) is not float or MISSING is not None:\n"
                     "    return dispatch(x)"),
    "watched array": (tabled, (np.ones(3),), 0,
                      "if type(x) is not np.ndarray or x.dtype != np.float64 or "
                      "x.shape != (3,) or constant_key(TABLE) != TABLE_key:\n"
                      "    return dispatch(x)"),
    "closure": (closure_over(2), (np.ones(3),), 0,
                "if type(x) is not np.ndarray or x.dtype != np.float64 or x.shape != (3,) "
                "or (type(n) is not int or n != 2):\n    return dispatch(x)"),
}


def _installed(case):
    fn, args, wrt, _ = CASES[case]
    g = gradient(fn, wrt=wrt)
    g(*args)
    family = g.__srcdiff_family__.family
    guard = family._guard(next(iter(family.kinds.values())), g)
    return g, guard


@pytest.mark.parametrize("case", list(CASES))
def test_the_installed_code_prints_its_guard(case):
    g, guard = _installed(case)
    printed = "".join(inspect.getsourcelines(g)[0][1:3])
    assert printed.startswith("    " + CASES[case][3].replace("\n", "\n    "))
    assert printed == "".join("    " + line + "\n" for line in guard.shown.splitlines())


def _objects_as_printed(tree, objects, shown):
    """The objects the compiled guard ``tree`` reads, each with the expression the printed
    guard ``shown`` has in its place, found by walking both trees side by side; every other
    node must be the same in both."""
    if isinstance(tree, ast.Constant) and tree.value in objects:
        return [(objects[tree.value], shown)]
    if isinstance(tree, ast.Attribute) and isinstance(tree.value, ast.Constant) and (
            tree.value.value in objects and tree.attr == "cell_contents"):
        assert isinstance(shown, ast.Name)  # a closure's variable, read from its cell
        return [(objects[tree.value.value].cell_contents, shown)]
    if isinstance(tree, ast.Constant):  # a literal: a shape is a tuple as printed
        assert ast.literal_eval(shown) == tree.value
        return []
    assert type(tree) is type(shown), (ast.dump(tree), ast.dump(shown))
    found = []
    for field in tree._fields:
        mine, theirs = getattr(tree, field), getattr(shown, field)
        if not isinstance(mine, list):
            mine, theirs = [mine], [theirs]
        assert len(mine) == len(theirs)
        for m, t in zip(mine, theirs):
            if isinstance(m, ast.AST):
                found += _objects_as_printed(m, objects, t)
            else:
                assert m == t
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_the_guard_compiles_what_it_prints(case):
    fn = CASES[case][0]
    _, guard = _installed(case)
    # every node that has a location is one the printer places, on one of the two lines
    located = {id(node) for node in ast.walk(guard.tree) if "lineno" in node._attributes}
    assert located == {id(node) for placed in guard.nodes for node in placed}
    assert len(guard.nodes) == len(guard.shown.splitlines()) == 2
    # each object read is the one its printed name holds where the function is defined
    names = {**fn.__globals__, "np": np, **dict(zip(
        fn.__code__.co_freevars, [c.cell_contents for c in fn.__closure__ or ()]))}
    read = _objects_as_printed(guard.tree, guard.objects, ast.parse(guard.shown).body[0])
    assert len(read) >= 2
    for obj, shown in read:
        text = ast.unparse(shown)
        if text in ("dispatch", "constant_key") or text.endswith("_key"):
            continue  # the dispatcher and a watched array's key are srcdiff's own
        if isinstance(shown, ast.Constant):  # a watched number's value, printed
            assert type(shown.value) is type(obj) and shown.value == obj
        else:
            assert eval(text, {"__builtins__": __builtins__}, names) is obj  # noqa: S307


def test_calls_of_other_kinds_go_to_the_dispatcher():
    g = gradient(plain, wrt=(0, 1))
    assert g(1.5, 2.5) == (3.5, 7.5)
    installed = g.__code__
    assert g(np.float64(1.5), 2.5) == (3.5, 7.5)
    assert g(1.5, 2.5) == (3.5, 7.5)
    assert g.__code__ is installed

    h = gradient(array)
    np.testing.assert_array_equal(h(np.ones(3)), 2 * np.ones(3))
    np.testing.assert_array_equal(h(np.ones(4)), 2 * np.ones(4))
    np.testing.assert_array_equal(h(np.ones(3, dtype=np.float32)),
                                  2 * np.ones(3, dtype=np.float32))


def test_a_jvp_passes_the_tangents_on_to_the_dispatcher():
    g = value_and_tangent(plain, wrt=0)
    assert g(1.5, 2.5, 1.0) == (14.0, 3.5)
    assert "        return dispatch(a, b, a_dot)\n" in inspect.getsourcelines(g)[0]
    assert g(np.float64(1.5), 2.5, 1.0) == (14.0, 3.5)
