"""Value traces: ``srcdiff.trace`` and ``srcdiff FILE NAME --trace a=2,b=1``.

The command's tables are pinned by golden files (``tests/golden/views.*.trace.out``,
``SRCDIFF_UPDATE_GOLDEN=1`` rewrites them): seed 002's e at a = 2, b = 1 (c = 3, d = 2,
e = 6, then the adjoints, ∂e/∂a = 2, ∂e/∂b = 5), seed 001's u2..u7 and their adjoints, a
forward-mode trace, and a loop whose middle iterations the table leaves out. The API's
trace is checked value by value against ``value_and_grad``.
"""

import inspect
import math
import os
import pathlib

import numpy as np
import pytest

import srcdiff
from srcdiff import cli
from srcdiff.views import values as view_values
from srcdiff.views.trace import Trace

GOLDEN = pathlib.Path(__file__).parent / "golden"
VIEWS = GOLDEN / "views.py"
UPDATE = os.environ.get("SRCDIFF_UPDATE_GOLDEN")

CASES = {
    "e": ["e", "--wrt", "a,b", "--trace", "a=2,b=1"],
    "f": ["f", "--trace", "x=0.5"],
    "e.forward": ["e", "--wrt", "a,b", "--mode", "forward", "--trace", "a=2,b=1"],
    "many_sines": ["many_sines", "--trace", "x=0.5"],
    "scaled_sum": ["scaled_sum", "--trace", "x=0.5,n=3"],
    "norm": ["norm", "--trace", "w=[[0.1, 0.2], [0.3, 0.4]]"],
}


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def f(x):
    u2 = math.exp(x)
    u3 = u2 ** 2
    u4 = u2 + u3
    u5 = math.sin(u4)
    u6 = math.exp(u4)
    u7 = u6 + u5
    return u7


def many_sines(x):
    y = x
    for i in range(1, 7):
        y = np.sin(x + y)
    return y


def reciprocal(x):
    y = x - 1.0
    return 1.0 / y


def run_cli(args, capsys):
    status = cli.main([str(VIEWS), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("name", CASES)
def test_golden_trace(name, capsys):
    status, out, err = run_cli(CASES[name], capsys)
    assert status == 0, err
    golden = GOLDEN / f"views.{name}.trace.out"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()


def test_seed_002_trace_values():
    trace = srcdiff.trace(e, 2.0, 1.0, wrt=("a", "b"))
    assert isinstance(trace, Trace)
    assert (trace["c"], trace["d"], trace["e"]) == (3.0, 2.0, 6.0)
    assert (trace["c_bar"], trace["d_bar"], trace["a_bar"]) == (2.0, 3.0, 2.0)
    assert trace.values("b_bar") == [3.0, 5.0]
    assert trace.result == srcdiff.value_and_grad(e, wrt=("a", "b"))(2.0, 1.0)
    assert (trace.value, trace.derivative) == (6.0, (2.0, 5.0))
    text = str(trace)
    assert "gradient: ∂e/∂a = 2.0, ∂e/∂b = 5.0" in text
    assert "c = a + b" in text and "b_bar = b_bar + c_bar" in text


def test_steps_come_forward_sweep_first_with_their_source_lines():
    trace = srcdiff.trace(e, 2.0, 1.0, wrt=("a", "b"))
    roles = [s.role for s in trace.steps if s.kind == "assignment"]
    assert roles == ["forward"] * 3 + ["adjoint"] * 5
    first = inspect.getsourcelines(e)[1]
    lines = [(s.name, s.source_line - first) for s in trace.steps if s.kind == "assignment"]
    assert lines == [("c", 1), ("d", 2), ("e", 3), ("c_bar", 3), ("d_bar", 3), ("b_bar", 2),
                     ("a_bar", 1), ("b_bar", 1)]
    step = trace.steps[0]
    assert (step.name, step.value, step.statement.strip(), step.source) == (
        "c", 3.0, "c = a + b", "c = a + b")


def test_seed_001_exp_trace_matches_the_hand_sweep():
    x = 0.5
    trace = srcdiff.trace(f, x)
    u2 = math.exp(x)
    u4 = u2 + u2 ** 2
    expected = {"u2": u2, "u3": u2 ** 2, "u4": u4, "u5": math.sin(u4), "u6": math.exp(u4)}
    for name, value in expected.items():
        assert trace[name] == pytest.approx(value, rel=1e-15)
    assert trace.values("u4_bar") == pytest.approx([math.exp(u4), math.exp(u4) + math.cos(u4)])
    assert trace["u3_bar"] == pytest.approx(math.exp(u4) + math.cos(u4))
    value, gradient = srcdiff.value_and_grad(f)(x)
    assert (trace.value, trace.derivative) == (value, gradient)
    assert trace["x_bar"] == gradient


def test_forward_mode_interleaves_values_and_tangents():
    trace = srcdiff.trace(e, 2.0, 1.0, wrt=("a", "b"), mode="forward")
    names = [s.name for s in trace.steps if s.kind == "assignment"]
    assert names == ["c", "c_dot", "d", "e", "e_dot"]
    assert trace["c_dot"] == 2.0 and trace["e_dot"] == 7.0
    assert trace.result == srcdiff.value_and_tangent(e, wrt=("a", "b"))(2.0, 1.0, 1.0, 1.0)
    assert "tangent of e along a_dot = 1.0, b_dot = 1.0: 7.0" in str(trace)


def test_every_iteration_is_recorded_and_long_loops_are_cut_in_the_table():
    trace = srcdiff.trace(many_sines, 0.5)
    forward = [s.value for s in trace.steps if s.kind == "iteration" and s.role == "forward"]
    assert forward == [1, 2, 3, 4, 5, 6]
    assert [s.loops[-1][2] for s in trace.steps if s.name == "t1_bar"] == [1, 2, 3, 4, 5, 6]
    assert trace.result == srcdiff.value_and_grad(many_sines)(0.5)
    cut = trace.table()
    assert cut.count("... 2 more iterations (4 to 5 of 6) not shown") == 2
    assert "i = 5 (iteration 5)" not in cut and "i = 6 (iteration 6)" in cut
    full = trace.table(limit=None)
    assert "not shown" not in full and "i = 5 (iteration 5)" in full
    assert "not shown" not in trace.table(limit=6)


def test_arrays_show_their_shape_and_a_few_values():
    assert view_values.describe(np.arange(12.0).reshape(3, 4) / 10) == (
        "float64[3, 4] [0.0, 0.1, 0.2, ...]")
    assert view_values.describe(np.array(2.5)) == "float64[] 2.5"
    assert view_values.describe(np.zeros((0, 2))) == "float64[0, 2]"
    assert view_values.describe([1.0, (2, None)]) == "[1.0, (2, None)]"
    assert view_values.describe(object()) == "<object>"

    def norm(w):
        return np.sum(np.tanh(w) ** 2)
    w = np.array([[0.1, 0.2], [0.3, 0.4]])
    trace = srcdiff.trace(norm, w)
    np.testing.assert_array_equal(trace["w_bar"], srcdiff.gradient(norm)(w))
    assert "w_bar = float64[2, 2] [0.197356, 0.379372, 0.533182, ...]" in str(trace)


def test_the_users_function_is_left_alone():
    code = e.__code__
    srcdiff.trace(e, 2.0, 1.0)
    assert e.__code__ is code and e(2.0, 1.0) == 6.0


def test_an_error_while_tracing_is_located_at_the_source_line():
    with pytest.raises(srcdiff.SrcdiffError) as info:
        srcdiff.trace(reciprocal, 1.0)
    error = info.value
    assert error.lineno == inspect.getsourcelines(reciprocal)[1] + 2
    assert "ZeroDivisionError" in str(error) and "return 1.0 / y" in str(error)
    assert "hint: the trace ran at x = 1.0" in str(error)


def test_bad_mode_is_refused():
    with pytest.raises(srcdiff.SrcdiffError, match="mode must be"):
        srcdiff.trace(e, 2.0, 1.0, mode="sideways")


def test_values_on_the_command_line():
    given = view_values.parse_assignments("a=2, x=[1.0, 2.0],n=3", "--trace")
    assert given["a"] == 2 and given["n"] == 3
    np.testing.assert_array_equal(given["x"], [1.0, 2.0])
    bound = view_values.bind(["a", "x", "n"], given, "--trace", counts={"n"})
    assert type(bound[0]) is float and type(bound[2]) is int
    for bad, message in [("a", "NAME=VALUE"), ("a=2,a=3", "given twice"),
                         ("a=os.system", "not a Python literal"), ("a='text'", "neither a number")]:
        with pytest.raises(srcdiff.SrcdiffError, match=message):
            view_values.parse_assignments(bad, "--trace")


@pytest.mark.parametrize("args, message", [
    (["e", "--trace", "a=2"], "--trace: no value for b\nhint: give every parameter without "
                              "a default a value, e.g. --trace a=1.0,b=1.0"),
    (["e", "--trace", "a=2,b=1,z=3"], "no parameter named 'z'"),
    (["--trace", "x=1"], "--trace shows one function; name it"),
    (["e", "--at", "a=2,b=1"], "--at and --highlight go with --graph"),
    (["e", "--trace", "a=2,b=1", "--graph", "-"], "give either --trace or --graph"),
])
def test_command_line_errors(args, message, capsys):
    status, out, err = run_cli(args, capsys)
    assert status == 1 and out == ""
    assert message in err
    assert "Traceback" not in err


DAMPED = """import math


def damped(x, rate=0.5, steps=3):
    y = x
    for _ in range(steps):
        y = y * rate + math.sin(y)
    return y
"""


def test_parameters_left_out_take_their_defaults(tmp_path, capsys):
    """As a call would: ``--trace x=0.7`` runs ``damped(0.7)`` with rate 0.5 and 3 steps,
    and a value given replaces the default (``steps=1``)."""
    path = tmp_path / "defaults.py"
    path.write_text(DAMPED)
    namespace = {}
    exec(DAMPED, namespace)  # noqa: S102
    damped = namespace["damped"]
    for given, call in (("x=0.7", (0.7,)), ("x=0.7,steps=1", (0.7, 0.5, 1))):
        status = cli.main([str(path), "damped", "--trace", given])
        out = capsys.readouterr().out
        assert status == 0
        assert f"value: damped = {damped(*call):.6g}" in out
    status = cli.main([str(path), "damped", "--graph", "-", "--at", "x=0.7"])
    assert status == 0
    assert "at x = 0.7, rate = 0.5, steps = 3" in capsys.readouterr().out
    status = cli.main([str(path), "damped", "--trace", "rate=0.7"])
    assert status == 1
    assert "--trace: no value for x" in capsys.readouterr().err


def test_the_file_is_not_run(capsys):
    """views.py raises SystemExit at its top level: only its defs are made."""
    status, out, _ = run_cli(["scaled_sum", "--trace", "x=0.5,n=3"], capsys)
    assert status == 0 and "soft_vjp" in out


SHIFT = 3.0


def _closure(scale):
    def inner(x, *, k=2.0):
        return math.sin(scale * x) * k + SHIFT
    return inner


def cube(x):
    return x * x * x


def test_closures_keyword_only_parameters_and_module_names():
    inner = _closure(2.0)
    trace = srcdiff.trace(inner, 0.3)
    assert trace.result == srcdiff.value_and_grad(inner)(0.3)
    assert trace["t1"] == pytest.approx(0.6)


def test_the_trace_of_a_derivative_is_of_the_code_it_runs():
    trace = srcdiff.trace(srcdiff.gradient(cube), 2.0)
    assert trace.value == 12.0 and trace.derivative == 12.0
    assert trace.header.startswith("trace of cube_grad_value_and_grad at x = 2.0")
