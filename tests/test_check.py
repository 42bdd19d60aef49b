"""Gradient checks: srcdiff.check_grad, assert_grad and ``srcdiff FILE NAME --check``."""

import os
import pathlib

import numpy as np
import pytest

import srcdiff
from srcdiff import cli
from srcdiff.views import values as view_values
from srcdiff.views.check import GradientMismatch

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = pathlib.Path(__file__).parent / "golden"
UPDATE = os.environ.get("SRCDIFF_UPDATE_GOLDEN")

WRONG_RULE = """
import numpy as np
import srcdiff

def cube(x):
    return x * x * x

srcdiff.defvjp(cube, lambda g, ans, x: 2.0 * g * x * x)

def f(x, y):
    return cube(x) + y
"""

WRONG_VJP_RIGHT_JVP = WRONG_RULE + """
srcdiff.defjvp(cube, lambda t, ans, x: 3.0 * t * x * x)
"""


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def weighted(x, n, params):
    return np.sum(np.sin(x) * params["w"]) * n + params["b"] ** 2


def modulus(z):
    return np.abs(z * z) + np.real(z)


def ramp(x):
    return max(x, 0.0)


def test_seed_002_agrees_in_all_three_ways():
    check = srcdiff.check_grad(e, 2.0, 1.0)
    assert check.ok
    assert set(check.errors) == {"a", "b"} and max(check.errors.values()) < 1e-9
    a, b = check.arguments
    assert (a.reverse, a.forward, b.reverse, b.forward) == (2.0, 2.0, 5.0, 5.0)
    assert b.central == pytest.approx(5.0, rel=1e-9)
    report = str(check)
    assert report.startswith("gradient check of e at a=2.0, b=1.0\n")
    assert "OK: reverse mode, forward mode and central differences agree" in report
    assert srcdiff.assert_grad(e, 2.0, 1.0, wrt="b").errors.keys() == {"b"}


def test_a_wrong_user_rule_is_caught(module_from):
    mod = module_from(WRONG_RULE)
    check = srcdiff.check_grad(mod.f, 1.5, 0.5)
    assert not check.ok
    x, y = check.arguments
    assert x.reverse == 2.0 * 1.5 ** 2 and x.forward is None
    assert x.central == pytest.approx(3.0 * 1.5 ** 2)
    assert y.ok
    report = str(check)
    assert "forward mode not compared:" in report and "no forward rule" in report
    assert "FAILED at x: relative error 0.33 > tolerance 1e-06" in report
    assert "suspect a derivative rule (your defvjp?)" in report
    with pytest.raises(GradientMismatch) as raised:
        srcdiff.check_grad(mod.f, 1.5, 0.5, raise_on_failure=True)
    assert isinstance(raised.value, AssertionError)
    assert isinstance(raised.value, srcdiff.SrcdiffError)
    assert "FAILED at x" in str(raised.value)


def test_the_odd_one_out_is_named(module_from):
    mod = module_from(WRONG_VJP_RIGHT_JVP)
    check = srcdiff.check_grad(mod.f, 1.5, 0.5, wrt="x")
    assert check.arguments[0].forward == pytest.approx(6.75)
    assert "reverse mode disagrees with forward mode and central differences, which agree" \
        in str(check)
    with pytest.raises(AssertionError):
        srcdiff.assert_grad(mod.f, 1.5, 0.5)


def test_at_a_kink_both_modes_agree_and_central_differences_do_not():
    check = srcdiff.check_grad(ramp, 0.0)
    assert not check.ok and check.arguments[0].central == pytest.approx(0.5)
    assert "both modes agree with each other but not with central differences" in str(check)


def test_arrays_name_their_worst_element_and_integers_are_held():
    x = np.array([0.1, 0.2, 0.3])
    params = {"w": np.array([1.0, -2.0, 0.5]), "b": 0.7}
    check = srcdiff.check_grad(weighted, x, 3, params)
    assert check.ok
    assert [a.name for a in check.arguments] == ["x", "params"]
    assert check.arguments[0].count == 3 and check.arguments[1].count == 4
    assert check.arguments[0].element.startswith("x[")
    report = str(check)
    assert "at x=float64[3], n=3, params={'w': float64[3], 'b': 0.7}" in report
    assert "(worst of 4)" in report
    assert "n: an int, not differentiated (integers have no derivative)" in report
    with pytest.raises(srcdiff.SrcdiffError, match="with respect to n: it is an int"):
        srcdiff.check_grad(weighted, x, 3, params, wrt="n")


def test_complex_arguments_follow_jax_convention():
    check = srcdiff.check_grad(modulus, 1.0 + 2.0j)
    assert check.ok
    z = check.arguments[0]
    assert z.reverse == z.forward == 3 - 4j
    assert z.central == pytest.approx(3 - 4j)


def test_float32_is_held_to_its_own_precision():
    x = np.array([0.3, -1.2], dtype=np.float32)
    check = srcdiff.check_grad(lambda_free_sum_of_squares, x)
    assert check.ok and check.arguments[0].tolerance == 1e-3
    assert srcdiff.check_grad(lambda_free_sum_of_squares, x, rtol=1e-12).arguments[
        0].tolerance == 1e-12


def lambda_free_sum_of_squares(x):
    return np.sum(x * x)


def test_arguments_are_checked_like_a_call():
    with pytest.raises(srcdiff.SrcdiffError, match="check_grad: e: missing"):
        srcdiff.check_grad(e, 2.0)
    with pytest.raises(srcdiff.SrcdiffError, match="none of .* is a float"):
        srcdiff.check_grad(lambda_free_sum_of_squares, 3)


def run_cli(args, capsys):
    status = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


GOLDEN_CHECKS = {
    "backprop_basics": ["examples/backprop_basics.py", "e", "--wrt", "a,b", "--check",
                        "a=2,b=1"],
    "sqrt_sin": ["examples/sqrt_sin.py", "--check", "x=2"],
}


@pytest.mark.parametrize("name", GOLDEN_CHECKS)
def test_golden_check(name, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status, out, err = run_cli(GOLDEN_CHECKS[name], capsys)
    assert status == 0, err
    golden = GOLDEN / f"check.{name}.out"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()


def test_cli_exits_1_on_a_wrong_rule(tmp_path, capsys):
    path = tmp_path / "wrong_rule.py"
    path.write_text(WRONG_RULE + "\nif __name__ == '__main__':\n    raise SystemExit(3)\n")
    status, out, err = run_cli([path, "f", "--check", "x=1.5,y=0.5"], capsys)
    assert status == 1 and err == ""
    assert "FAILED at x" in out and "suspect a derivative rule" in out


def test_cli_values_become_the_parameters_kinds(tmp_path, capsys):
    path = tmp_path / "kinds.py"
    path.write_text("import numpy as np\n\n\ndef g(x, n, scale=2.0):\n"
                    "    s = 0.0\n    for i in range(n):\n        s = s + x[i] * x[i]\n"
                    "    return s * scale\n")
    status, out, err = run_cli([path, "--check", "x=[1, 2, 3],n=2"], capsys)
    assert status == 0, err
    assert "at x=float64[3], n=2, scale=2.0" in out
    assert "n: an int, not differentiated" in out


@pytest.mark.parametrize("text, message, caret", [
    ("a=2,,b=1", "write NAME=VALUE pairs", 12),
    ("a=2,b=[1,2", "'[' is not closed", 14),
    ("a=2,b=1]", "']' closes nothing", 15),
    ("a=2,b=hello", "'hello' is not a Python literal", 14),
    ("a=2,a=1", "a is given twice", 12),
])
def test_pairs_are_parsed_with_located_errors(text, message, caret):
    with pytest.raises(srcdiff.SrcdiffError) as raised:
        view_values.parse_pairs(text, "--check")
    lines = str(raised.value).splitlines()
    assert message in lines[0]
    assert lines[1] == f"    --check {text}"
    assert lines[2] == " " * (4 + caret) + "^"
    assert lines[3].startswith("hint: ")


def test_pairs_allow_python_literals():
    assert view_values.parse_pairs("x=[1.0, 2.0],y=-3,z=(1, {'k': 2})", "--check") == {
        "x": [1.0, 2.0], "y": -3, "z": (1, {"k": 2})}


def test_cli_check_usage_errors(tmp_path, capsys):
    status, _, err = run_cli([ROOT / "examples/backprop_basics.py", "--check", "a=2,b=1"],
                             capsys)
    assert status == 1 and "--check checks one function" in err and "e, e_expr" in err
    status, _, err = run_cli([ROOT / "examples/backprop_basics.py", "e", "--check", "a=2"],
                             capsys)
    assert status == 1 and "e needs a value for b" in err
    status, _, err = run_cli([ROOT / "examples/backprop_basics.py", "e", "--check",
                              "a=2,b=1,c=0"], capsys)
    assert status == 1 and "has no parameter named 'c'" in err
    broken = tmp_path / "broken.py"
    broken.write_text("def f(x):\n    return x * x\n\n\nraise RuntimeError('no')\n")
    status, _, err = run_cli([broken, "--check", "x=1"], capsys)
    assert status == 1 and f"{broken}:5: running the file raised RuntimeError: no" in err
    assert "Traceback" not in err
    raising = tmp_path / "raising.py"
    raising.write_text("def f(x):\n    return 1.0 / (x - 1.0)\n")
    status, _, err = run_cli([raising, "--check", "x=1"], capsys)
    assert status == 1 and "internal error" not in err
    assert f"{raising}:2: f raised ZeroDivisionError" in err
