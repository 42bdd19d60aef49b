"""Every refusal is located (file, line, column, the source line, a caret) and has a hint,
and no message shows srcdiff's internals or an object's address."""

import functools
import math
import re

import numpy as np
import pytest

from srcdiff import SrcdiffError, gradient

INTERNAL = re.compile(r"AVal\(|Var\(|Const\(|Rule\(|gufunc|signature \(|0x[0-9a-f]{6,}|"
                      r"<function|<built-in|\bt\d+\b|Traceback")

# (body of f(x), a fragment of the message, the argument); the body's first line is line 6.
REFUSED = [
    ("with open('f') as h:\n        x = x * 2.0", "'with' blocks", 1.0),
    ("try:\n        x = x * 2.0\n    except ValueError:\n        pass", "try/except", 1.0),
    ("raise ValueError('no')", "raise cannot be differentiated", 1.0),
    ("assert x > 0.0", "assert statements", 1.0),
    ("class C:\n        pass", "class definitions", 1.0),
    ("global G\n    G = x", "'global' statements", 1.0),
    ("def g():\n        nonlocal x\n        x = 1.0\n    g()", "'nonlocal' statements", 1.0),
    ("del x\n    x = 1.0", "'del'", 1.0),
    ("import os", "imports inside", 1.0),
    ("from os import path", "imports inside", 1.0),
    ("match x:\n        case _:\n            pass", "match statements", 1.0),
    ("async def g():\n        pass", "async functions", 1.0),
    ("fs = [lambda v: v]", "a lambda can only be called", 1.0),
    ("s = {v for v in (x,)}", "set comprehensions", 1.0),
    ("d = {'a': v for v in (x,)}", "dict comprehensions", 1.0),
    ("s = sum(v for v in (x,))", "generator expressions", 1.0),
    ("yield x", "generators cannot be differentiated", 1.0),
    ("y = yield from (x,)", "generators cannot be differentiated", 1.0),
    ("x = (y := x * 2.0)", "assignment expressions", 1.0),
    ("s = {x}", "sets are not supported", 1.0),
    ("s = f'{x}'", "f-strings", 1.0),
    ("s = [*(x,)]", "starred expressions", 1.0),
    ("a, *b = (x, x)", "starred unpacking", 1.0),
    ("a, b = x, x, x", "cannot unpack 3 values into 2 names", 1.0),
    ("a = b = x", "chained assignment", 1.0),
    ("x.attr = 1.0", "assignment to an attribute", 1.0),
    ("x.attr += 1.0", "augmented assignment to an attribute", 1.0),
    ("x |= 1", "the operator |= is not supported", 1.0),
    ("x = x << 2", "the operator << is not supported", 1.0),
    ("x = ~x", "the operator ~ is not supported", 1.0),
    ("b = 1.0 in (x,)", "the comparison 'in' is not supported", 1.0),
    ("x = x.flags", "the attribute .flags is not supported", 1.0),
    ("x = x.frobnicate()", "the method .frobnicate() is not supported", np.ones(2)),
    ("x = np.sin(*[x])", "*args in a call", 1.0),
    ("x = np.sin(**{'x': x})", "**kwargs in a call", 1.0),
    ("x = (helper, helper)[0](x)", "only named functions can be called", 1.0),
    ("x = np.i0(x)", "no derivative rule for numpy.i0", 1.0),
    ("x = np.sum(x, out=x)", "np.sum is not supported with these arguments", np.ones(2)),
    ("x = x.sum(out=x)", ".sum() is not supported with these arguments", np.ones(2)),
    ("x = undefined_name * x", "name 'undefined_name' is not defined", 1.0),
    ("x = np * x", "np is a module", 1.0),
    ("x = np.pi * np.sin", "np.sin is a function, not a value", 1.0),
    ("x = np.nope(x)", "np has no attribute 'nope'", 1.0),
    ("y = x\n    x = y(x)", "y is a local variable, not a function", 1.0),
    ("x = [y for y in (x,) for z in (x,)][0]", "only comprehensions with one 'for'", 1.0),
    ("x + 1.0", "this expression statement has no effect", 1.0),
    ("np.sin(x)", "the value of np.sin(x) is not used", 1.0),
    ("helper(x)", "the value of helper(x) is not used", 1.0),
    ("y = print(x)", "print() returns None", 1.0),
    ("print(x, colour='red')", "unexpected keyword argument 'colour'", 1.0),
    ("x = eval('x * 2.0')", "eval() cannot be differentiated", 1.0),
    ("exec('x = 1.0')", "exec() cannot be differentiated", 1.0),
    ("y = x.copy()\n    y.sort()", "y.sort() changes y in place", np.ones(2)),
    ("y = x.copy()\n    y.fill(0.0)", "y.fill() changes y in place", np.ones(2)),
    ("lst = [x]\n    lst.extend([x])", "lst.extend() changes lst in place", 1.0),
    ("lst = [x]\n    lst.insert(0, x)", "lst.insert() changes lst in place", 1.0),
    ("lst = [x, x]\n    y = lst.pop(0)", "lst.pop() changes lst in place", 1.0),
    ("d = {'a': x}\n    d.update({'a': x})", "d.update() changes d in place", 1.0),
    ("x.append(1.0)", "would change x, which the caller passed in", 1.0),
    ("y = 1.0\n    y.append(x)", "only lists can be appended to", 1.0),
    ("x[0] = 1.0", "assignment into an element of float", 1.0),
    ("x[0] = 1.0", "would change x, which the caller passed in", np.ones(2)),
    ("x = y * 2.0\n    y = 1.0", "y is used before it is assigned", 1.0),
    ("for a, *b in [(x, x)]:\n        pass", "starred loop variables", 1.0),
    ("for x.a in [x]:\n        pass", "only names can be loop variables", 1.0),
    ("for i, j in range(3):\n        pass", "range(...) gives integers", 1.0),
    ("for a, b, c in zip([x], [x]):\n        pass", "zip of 2 sequences gives 2 items", 1.0),
    ("for a, b in zip([x], [x], strict=True):\n        pass", "only zip(xs, ys, ...)", 1.0),
    ("d = {1: x}", "only dicts with string keys", 1.0),
    ("def g(*vs):\n        return x\n    x = g(x)", "*args and **kwargs parameters", 1.0),
    ("def g(v, w=np.pi):\n        return v\n    x = g(x)", "default values must be literals",
     1.0),
    ("def g(v):\n        return v\n    x = g(x, x)", "g() takes 1 positional arguments", 1.0),
    ("def g(v, *, k):\n        return v\n    x = g(x)", "g() is missing the argument 'k'", 1.0),
    ("def g(v):\n        return g(v)\n    x = g(x)", "g calls itself", 1.0),
    ("def g(v):\n        return v\n    h = g", "the nested function g can only be called",
     1.0),
    ("x = kw_helper(x, 2.0)", "kw_helper() takes 1 positional arguments but 2 were given", 1.0),
    ("x = kw_helper(x, scal=2.0)", "kw_helper() got an unexpected keyword argument 'scal'", 1.0),
    ("x = star_helper(x)", "star_helper takes *args or **kwargs", 1.0),
    ("x = x @ x", "the operator @ cannot be applied to float, float", 1.0),
    ("x = x * None", "the operator * cannot be applied to float, NoneType", 1.0),
    ("x = x.T[0] = 1.0", "chained assignment", 1.0),
    ("x = x[5]", "cannot index float64[2] this way: index 5 is out of bounds", np.ones(2)),
    ("y = np.zeros(2)\n    y[0] = np.ones(3)", "cannot store float64[3] into a part", 1.0),
    ("y = np.zeros(2)\n    y[0] = (x, x)", "cannot store tuple[float, float] into an array",
     1.0),
    ("x.T[0] = 1.0", "would change x, which the caller passed in", np.ones((2, 2))),
    ("y = x[0:1]\n    y[0] = 1.0", "would change x (through y)", np.ones(2)),
]


def helper(y):
    return y


def kw_helper(y, *, scale=1.0):
    return y * scale


def star_helper(*ys):
    return ys[0]


@pytest.mark.parametrize("body, message, arg", REFUSED, ids=[r[1] for r in REFUSED])
def test_each_refusal_is_located_with_a_hint(module_from, body, message, arg):
    source_text = (f"import numpy as np\nfrom {__name__} import helper, kw_helper, "
                   f"star_helper\n\n\ndef f(x):\n    {body}\n"
                   f"    return np.sum(x)\n")
    mod = module_from(source_text)
    with pytest.raises(SrcdiffError) as info:
        gradient(mod.f)(arg)
    error = info.value
    assert message in error.message
    assert error.filename == mod.__file__
    lines = source_text.splitlines()
    assert error.lineno is not None and 6 <= error.lineno <= 6 + body.count("\n")
    assert error.col_offset is not None
    assert error.source_line == lines[error.lineno - 1]
    assert error.hint
    text = str(error)
    assert text.startswith(f"{mod.__file__}:{error.lineno}:{error.col_offset + 1}: ")
    assert "^" in text and "hint: " in text
    assert not INTERNAL.search(error.message + error.hint), text


def test_parameters_that_cannot_be_differentiated_are_located(module_from):
    mod = module_from("""
        def star(*xs):
            return 1.0

        def keywords(x, **options):
            return x

        async def coroutine(x):
            return x
    """)
    for fn, message, line in [(mod.star, r"\*args", 2), (mod.keywords, r"\*\*kwargs", 5),
                              (mod.coroutine, "async", 8)]:
        with pytest.raises(SrcdiffError, match=message) as info:
            gradient(fn)(1.0)
        assert info.value.lineno == line
        assert info.value.filename == mod.__file__ and info.value.hint
        assert info.value.source_line is not None


@pytest.mark.parametrize("f", [functools.partial(helper), math.sin, print, 3, np.sin],
                         ids=["partial", "builtin", "print", "int", "ufunc"])
def test_what_is_not_a_function_is_named_without_its_address(f):
    with pytest.raises(SrcdiffError) as info:
        gradient(f)
    assert "is not a Python function" in info.value.message and info.value.hint
    assert not INTERNAL.search(str(info.value))


@pytest.mark.parametrize("wrt", [object(), 3.5, (0, 0), "z", 5],
                         ids=["object", "float", "twice", "name", "index"])
def test_bad_wrt_is_explained_without_internals(wrt):
    with pytest.raises(SrcdiffError) as info:
        gradient(helper, wrt=wrt)
    assert info.value.hint
    assert not INTERNAL.search(str(info.value))


def test_a_function_whose_file_changed_since_import_is_refused(module_from):
    mod = module_from("""
        def f(x):
            # scale by two
            return x * 2.0

        def g(x):
            # a comment
            return x * 2.0
    """)
    path = mod.__file__
    with open(path) as handle:
        text = handle.read()
    with open(path, "w") as handle:
        handle.write(text.replace("x * 2.0\n\ndef", "x * 3.0\n\ndef").replace(
            "a comment", "another comment"))
    with pytest.raises(SrcdiffError, match="the source of f in .* changed since it was "
                       "imported") as info:
        gradient(mod.f)(1.0)
    assert (info.value.filename, info.value.lineno) == (path, 2)
    assert "reload" in info.value.hint
    assert gradient(mod.g)(1.0) == 2.0


def test_a_called_function_whose_file_changed_is_refused(module_from):
    helper_module = module_from("def h(x):\n    return x * x\n")
    mod = module_from(f"from {helper_module.__name__} import h\n\n\ndef f(x):\n"
                      "    return h(x) + 1.0\n")
    with open(helper_module.__file__, "w") as handle:
        handle.write("def h(x):\n    return x * x * x\n")
    with pytest.raises(SrcdiffError, match="the source of h") as info:
        gradient(mod.f)(2.0)
    assert info.value.filename == helper_module.__file__


def test_rule_registration_errors_name_objects_without_addresses():
    import srcdiff

    def unregistered(y):
        return y
    for fn, vjp in [(object(), lambda g, y: g), (unregistered, object())]:
        with pytest.raises(ValueError) as info:
            srcdiff.defvjp(fn, vjp)
        assert "not a function" in str(info.value)
        assert not INTERNAL.search(str(info.value)), str(info.value)


def _dead_division(x):
    acc = []
    for i in range(3):
        for j in range(0, i, 2):
            if x > 100.0:
                return x / sum(acc)
    return x * x + sum(acc)


def _certain_errors(x, n):
    if n > 1:
        return x / sum([])
    if n > 0:
        return x * math.log(0.0)
    return x * x


def test_a_statement_that_known_numbers_make_raise_is_compiled_to_raise_as_python_does():
    """``x / sum([])`` divides by a known zero: srcdiff had refused the whole function, which
    runs (the statement never does, here). The derivative raises only where the function
    does: the function's own error, or, where only the adjoint computes it, that error told
    as a point with no derivative."""
    g = gradient(_dead_division)
    assert g(3.0) == 6.0
    h = gradient(_certain_errors)
    assert h(3.0, 0) == 6.0
    for function, derivative, args, error in (
            (_dead_division, g, (200.0,), ZeroDivisionError),
            (_certain_errors, h, (3.0, 2), ZeroDivisionError),
            (_certain_errors, h, (3.0, 1), ValueError)):  # math.log(0.0)
        with pytest.raises(error):
            function(*args)
        with pytest.raises((error, SrcdiffError)) as raised:
            derivative(*args)
        if isinstance(raised.value, SrcdiffError):
            assert f"raised {error.__name__}" in str(raised.value)
            assert "has no finite derivative here" in str(raised.value)


def _unread_square_root(x, n):
    s = math.sqrt(n - 5)
    return x * 2.0 + s


def test_a_gradient_runs_only_what_its_adjoints_read_and_value_and_grad_all_of_it():
    """As the README says: the square root no adjoint reads is not run by the gradient, so
    its error is not raised there; value_and_grad computes the value, and raises it."""
    from srcdiff import value_and_grad

    with pytest.raises(ValueError):
        _unread_square_root(1.0, 1)
    assert gradient(_unread_square_root)(1.0, 1) == 2.0
    with pytest.raises(ValueError):
        value_and_grad(_unread_square_root)(1.0, 1)
    assert value_and_grad(_unread_square_root)(1.0, 9) == (4.0, 2.0)
