"""The code a derivative runs before its first call: renamed from a precompiled function
for plain parameter lists, compiled for others, and the same to a user either way."""

import inspect
import linecache
import traceback
import types

import pytest

import srcdiff
from srcdiff.driver import trampolines

PARAMETER_LISTS = [
    ([], [], []),
    ([], ["a"], []),
    ([], ["a", "b"], []),
    (["x"], ["y"], []),
    (["x", "y"], [], []),
    ([], ["dispatch", "dispatch_2"], []),
    ([], [f"p{k}" for k in range(8)], []),
    ([], [f"p{k}" for k in range(9)], []),
    ([], ["x"], ["k"]),
    (["x"], [], ["dispatch"]),
]


def _recording():
    calls = []

    def dispatch(*args, **kwargs):
        calls.append((args, kwargs))
        return "dispatched"
    return dispatch, calls


def _source_of(positional_only, positional, keyword_only):
    parts = list(positional_only) + (["/"] if positional_only else []) + list(positional)
    parts += (["*"] + list(keyword_only)) if keyword_only else []
    return f"def f_grad({', '.join(parts)}):\n    pass\n"


@pytest.mark.parametrize("lists", PARAMETER_LISTS, ids=str)
def test_a_trampoline_takes_the_parameters_as_python_would_and_forwards_them(lists):
    positional_only, positional, keyword_only = lists
    dispatch, calls = _recording()
    code = trampolines.trampoline("f_grad", *lists, dispatch)
    function = types.FunctionType(code, {}, "f_grad")
    expected = {}
    exec(_source_of(*lists), expected)  # noqa: S102 (the parameter list Python makes)
    assert inspect.signature(function) == inspect.signature(expected["f_grad"])
    assert code.co_name == code.co_qualname == "f_grad"
    values = {name: float(k) for k, name in enumerate(positional_only + positional)}
    keywords = {name: -1.0 - k for k, name in enumerate(keyword_only)}
    assert function(*values.values(), **keywords) == "dispatched"
    assert calls == [(tuple(values.values()), keywords)]
    with pytest.raises(TypeError) as raised:
        function(*values.values(), 0.5, **keywords)
    with pytest.raises(TypeError) as python_raised:
        expected["f_grad"](*values.values(), 0.5, **keywords)
    assert str(raised.value) == str(python_raised.value)


@pytest.mark.parametrize("lists", PARAMETER_LISTS, ids=str)
def test_a_trampoline_shows_the_text_of_its_code(lists):
    code = trampolines.trampoline("f_grad", *lists, _recording()[0])
    shown = linecache.getlines(code.co_filename)
    assert shown[0] == _source_of(*lists).splitlines(True)[0]
    caller = shown[2].split("return ")[1].split("(")[0]
    assert shown[1] == f"    {caller} = srcdiff_dispatcher\n"
    assert caller not in {p for group in lists for p in group}
    assert set(code.co_varnames) == {p for group in lists for p in group} | {caller}
    lines = [line for _, _, line in code.co_lines() if line is not None]
    assert min(lines) >= 1 and max(lines) == 3
    call = shown[2].strip()[len("return "):]
    allowed = {call, caller, "return " + call} | set(sum(lists, []))
    spans = {shown[line - 1][start:end] for line, _, start, end in code.co_positions()
             if line == 3 and start is not None}
    assert spans <= allowed  # a traceback's carets fall under what the text shows
    assert not spans or call in spans


def _trampoline_frame(g, *args):
    with pytest.raises(srcdiff.SrcdiffError) as raised:
        g(*args)
    shown = [line for line in traceback.format_tb(raised.value.__traceback__)
             if "<srcdiff " in line]
    assert len(shown) == 1
    return shown[0]


def test_a_trampoline_frame_in_a_traceback_shows_the_call():
    def e(a, b):
        return (a + b) * (b + 1)

    def f(alpha, beta):
        return alpha * beta

    assert _trampoline_frame(srcdiff.gradient(e, wrt=(0, 1)), "a", 1.0).endswith(
        ", line 3, in e_grad\n    return dispatch(a, b)\n           ^^^^^^^^^^^^^^\n")
    assert _trampoline_frame(srcdiff.gradient(f), "a", 1.0).endswith(
        ", line 3, in f_grad\n    return dispatch(alpha, beta)\n")


def test_plain_parameter_lists_are_not_compiled(monkeypatch):
    def refused(*args):
        raise AssertionError("compiled a trampoline")
    monkeypatch.setattr(trampolines, "compiled_function", refused)
    for positional in ([], ["a"], ["a", "b", "c"], [f"p{k}" for k in range(8)]):
        trampolines.trampoline("f_grad", [], positional, [], _recording()[0])
    trampolines.trampoline("f_grad", ["a"], ["b"], [], _recording()[0])


def test_a_derivative_keeps_a_parameter_named_dispatch():
    def f(dispatch, x):
        return dispatch * x * x

    g = srcdiff.gradient(f, wrt=(0, 1))
    assert inspect.signature(g) == inspect.signature(f)
    assert "    dispatch_2 = srcdiff_dispatcher\n" in inspect.getsource(g)
    assert g(2.0, 3.0) == (9.0, 12.0)
    assert g(dispatch=2.0, x=3.0) == (9.0, 12.0)
