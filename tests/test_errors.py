"""Every construct outside the supported language is refused with a located SrcdiffError."""

import numpy as np
import pytest

from srcdiff import SrcdiffError, gradient

REFUSED = [
    ("with open('f') as h:\n        x = x * 2.0", "'with' blocks", 0),
    ("try:\n        x = x * 2.0\n    except ValueError:\n        pass", "try/except", 0),
    ("raise ValueError('no')", "raise cannot be differentiated", 0),
    ("class C:\n        pass", "class definitions", 0),
    ("global G\n    G = x", "'global' statements", 0),
    ("del x\n    x = 1.0", "'del'", 0),
    ("import os", "imports inside", 0),
    ("fs = [lambda v: v]", "a lambda can only be called here", 6),
    ("x = x.flags", "the attribute .flags is not supported", 4),
    ("x = x.frobnicate()", "the method .frobnicate() is not supported", 4),
    ("x = np.sin(*[x])", "*args in a call", 11),
    ("x = (helper, helper)[0](x)", "only named functions can be called here", 4),
    ("x = np.i0(x)", "no derivative rule for numpy.i0", 4),
    ("x = np.sum(x, out=x)", "np.sum is not supported with these arguments", 4),
    ("x = undefined_name * x", "name 'undefined_name' is not defined", 4),
    ("x = [y for y in (x,) for z in (x,)][0]", "only comprehensions with one 'for'", 4),
    ("x + 1.0", "this expression statement has no effect", 0),
    ("np.sin(x)", "the value of np.sin(x) is not used", 0),
    ("assert x > 0.0", "assert", 0),
    ("x = (y := x * 2.0)", "assignment expressions", 5),
    ("x = f'{x}'", "f-strings", 4),
    ("x = x % 2.0 // 1.0 << 2", "operator <<", 4),
    ("a = b = x", "chained assignment", 0),
    ("x[0] = 1.0", "assignment into an element of float", 0),
    ("return x, x", "gradient needs a single scalar result", 0),
    ("return", "returns None", 0),
    ("x = y * 2.0\n    y = 1.0", "y is used before it is assigned", 4),
    ("yield x", "generators cannot be differentiated", 0),
    ("x = eval('x * 2.0')", "eval() cannot be differentiated", 4),
    ("exec('x = 1.0')", "exec() cannot be differentiated", 0),
]


def helper(y):
    return y


@pytest.mark.parametrize("body, message, column", REFUSED, ids=[r[1] for r in REFUSED])
def test_refused_construct_is_located(module_from, body, message, column):
    source = (f"import numpy as np\nfrom {__name__} import helper\n\n\n"
              f"def f(x):\n    {body}\n    return x\n")
    mod = module_from(source)
    with pytest.raises(SrcdiffError) as info:
        gradient(mod.f)(1.0)
    error = info.value
    assert message in error.message
    assert error.filename == mod.__file__
    assert error.lineno == 6
    assert error.col_offset == 4 + column
    text = str(error)
    assert text.startswith(f"{mod.__file__}:6:{5 + column}: ")
    assert body.splitlines()[0].strip() in text
    assert "^" in text


def test_every_refusal_has_a_hint_where_one_helps(module_from):
    mod = module_from("def f(x):\n    with open('f') as h:\n        x = x * 2.0\n    return x\n")
    with pytest.raises(SrcdiffError) as info:
        gradient(mod.f)(1.0)
    assert info.value.hint and "hint:" in str(info.value)


def test_no_return(module_from):
    mod = module_from("def f(x):\n    y = x * 2.0\n")
    with pytest.raises(SrcdiffError, match="does not return a value") as info:
        gradient(mod.f)(1.0)
    assert info.value.lineno == 1


def test_a_path_without_return(module_from):
    mod = module_from("def f(x):\n    if x > 0.0:\n        return x\n")
    with pytest.raises(SrcdiffError, match="not every path through f returns") as info:
        gradient(mod.f)(1.0)
    assert info.value.lineno == 1


def test_star_parameters(module_from):
    mod = module_from("def f(*xs):\n    return 1.0\n")
    with pytest.raises(SrcdiffError, match=r"\*args"):
        gradient(mod.f)


def test_async_function(module_from):
    mod = module_from("async def f(x):\n    return x\n")
    with pytest.raises(SrcdiffError, match="async"):
        gradient(mod.f)(1.0)


def test_errors_do_not_show_compiler_frames(module_from):
    mod = module_from("def f(x):\n    try:\n        x = x * 2.0\n    finally:\n        pass\n"
                      "    return x\n")
    g = gradient(mod.f)
    with pytest.raises(SrcdiffError) as info:
        g(0.5)
    frames = [str(entry.path) for entry in info.traceback]
    assert not any("srcdiff/lower.py" in f or "srcdiff/infer.py" in f for f in frames)


def test_primitive_applied_to_the_wrong_kind_is_located(module_from):
    mod = module_from("import math\n\ndef f(x):\n    return math.sin(x)\n")
    with pytest.raises(SrcdiffError, match="math.sin cannot be applied") as info:
        gradient(mod.f)(np.ones(3))
    assert info.value.lineno == 4


def test_mismatched_shapes_are_located(module_from):
    mod = module_from("import numpy as np\n\ndef f(x, y):\n    return np.sum(x * y)\n")
    with pytest.raises(SrcdiffError, match="do not match") as info:
        gradient(mod.f)(np.ones(3), np.ones(4))
    assert info.value.lineno == 4


def test_in_place_update_of_a_caller_array_is_refused(module_from):
    mod = module_from("import numpy as np\n\ndef f(x):\n    x += 1.0\n    return np.sum(x)\n")
    with pytest.raises(SrcdiffError, match="caller") as info:
        gradient(mod.f)(np.ones(3))
    assert info.value.lineno == 4


def test_a_nested_function_used_as_a_value_is_refused(module_from):
    mod = module_from("def f(x):\n    def g(y):\n        return y * x\n    h = g\n"
                      "    return h(x)\n")
    with pytest.raises(SrcdiffError, match="the nested function g can only be called") as info:
        gradient(mod.f)(1.0)
    assert (info.value.lineno, info.value.col_offset) == (4, 8)
