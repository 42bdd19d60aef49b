"""The srcdiff command on bad input: exit status 1 and a message on stderr, located in the
file where it has a place there, never an internal error or a traceback."""

import pytest

from srcdiff import cli

FILES = {
    "latin.py": b"def f(x):\n    return x * 2.0  # \xe9\n",
    "declared.py": b"# -*- coding: latin-1 -*-\ndef f(x):\n    return x * 2.0  # \xe9\n",
    "append.py": b"def f(xs):\n    xs.append(1.0)\n    return xs[0]\n",
    "two.py": b"import numpy as np\nN = 3\n\n\nclass C:\n    pass\n\n\ndef f(x, y):\n"
              b"    return x * y\n",
    "empty.py": b"",
    "broken.py": b"def f(x:\n    return x\n",
    "nul.py": b"def f(x):\n    return x\x00\n",
    "cookie.py": b"# coding: nope\ndef f(x):\n    return x\n",
}

KINDS = ("hint: KIND is float, int, array, a dtype with a shape such as float64[n, 3], or a "
         "list, tuple or dict of kinds: [float64[3, 2], float64[3]], {\"w\": float64[3], "
         "\"b\": float}\n")
DEF = "    def f(x, y):\n    ^\n"
CASES = {
    "not utf-8": (["latin.py"], "latin.py:2:23: the file is not valid utf-8: byte 0xe9 cannot "
                  "be decoded\n    return x * 2.0  # \ufffd\n                      ^\nhint: save "
                  "the file as UTF-8, or declare its encoding on its first line: # -*- coding: "
                  "latin-1 -*-\n"),
    "a list parameter appended to": (
        ["append.py"], "append.py:2:5: 'xs.append(1.0)' would change xs, which the caller "
        "passed in, in place\n    xs.append(1.0)\n    ^\nhint: work on a copy: xs = list(xs)\n"),
    "--arg for no parameter": (
        ["two.py", "--arg", "z=float"], "two.py:9:1: --arg z: f has no parameter named 'z'\n"
        + DEF + "hint: the parameters are: f(x, y)\n"),
    "--wrt for no parameter": (
        ["two.py", "--wrt", "z"], "two.py:9:1: --wrt: f has no parameter named 'z'\n" + DEF
        + "hint: its parameters are: x, y\n"),
    "--wrt index out of range": (
        ["two.py", "--wrt", "5"], "two.py:9:1: --wrt: wrt=5 is out of range: f has 2 "
        "parameters (x, y)\n" + DEF + "hint: use an index from -2 to 1, or a parameter name\n"),
    "--wrt twice": (["two.py", "--wrt", "x,x"], "two.py:9:1: --wrt: wrt names the parameter x "
                    "twice\n" + DEF + "hint: name each parameter once\n"),
    "--wrt empty item": (["two.py", "--wrt", "x,"], "--wrt 'x,': write parameter names or "
                         "indices separated by commas\nhint: for example --wrt a,b or --wrt 0\n"),
    "--arg unclosed": (["two.py", "--arg", "x=float64[n"], "--arg x: '[' of the sizes is not "
                       "closed\n    --arg x=float64[n\n                   ^\n" + KINDS),
    "--arg negative size": (["two.py", "--arg", "x=float64[-1]"], "--arg x: '-1' in "
                            "'float64[-1]' is not a size: write a number, a name, or ?\n"
                            "    --arg x=float64[-1]\n            ^\n" + KINDS),
    "--arg not numeric": (["two.py", "--arg", "x=object"], "--arg x: unknown kind 'object' in "
                          "'object': use a numeric dtype such as float64, float32 or int64\n"
                          "    --arg x=object\n            ^\n" + KINDS),
    "--arg without kind": (["two.py", "--arg", "x="], "--arg: write NAME=KIND, e.g. "
                           "x=float64[n]\n    --arg x=\n          ^\n" + KINDS),
    "--arg list unclosed": (["two.py", "--arg", "x=[float, int"], "--arg x: expected ']' to "
                            "close the list (or ',' before the next item), found the end\n"
                            "    --arg x=[float, int\n                       ^\n" + KINDS),
    "--arg twice": (["two.py", "--arg", "x=float", "--arg", "x=int"], "--arg x is given twice\n"
                    "hint: give each parameter's kind once\n"),
    "NAME a constant": (["two.py", "N"], "two.py:2:1: N is not a function; srcdiff "
                        "differentiates functions\n    N = 3\n    ^\nhint: functions in the "
                        "file: f\n"),
    "NAME a class": (["two.py", "C"], "two.py:5:1: C is a class; srcdiff differentiates "
                     "functions\n    class C:\n    ^\nhint: functions in the file: f\n"),
    "NAME a module": (["two.py", "np"], "two.py:1:1: np is not a function; srcdiff "
                      "differentiates functions\n    import numpy as np\n    ^\nhint: functions "
                      "in the file: f\n"),
    "NAME missing": (["two.py", "g"], "two.py: no top-level function named 'g'\nhint: "
                     "functions in the file: f\n"),
    "a directory": (["."], "cannot read .: Is a directory\nhint: give the path of a Python "
                    "source file\n"),
    "an empty file": (["empty.py"], "empty.py: nothing to differentiate: the file is empty\n"
                      "hint: srcdiff differentiates functions defined with def at the top "
                      "level of the file\n"),
    "only a syntax error": (["broken.py"], "broken.py:1:6: invalid syntax: '(' was never "
                            "closed\n    def f(x:\n         ^\nhint: the file must be valid "
                            "Python\n"),
    "null bytes": (["nul.py"], "nul.py:2:13: this is not Python source: it contains a null "
                   "byte\nhint: give srcdiff a .py file\n"),
    "unknown encoding": (["cookie.py"], "cookie.py:1:1: cannot read the file: unknown "
                         "encoding: nope\n    # coding: nope\n    ^\nhint: declare a known "
                         "encoding, such as utf-8\n"),
}


@pytest.fixture
def files(tmp_path, monkeypatch):
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_an_exact_error(name, files, capsys):
    args, expected = CASES[name]
    assert cli.main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == expected


def test_a_declared_encoding_is_honoured(files, capsys):
    assert cli.main(["declared.py"]) == 0
    assert "def f_grad(x):" in capsys.readouterr().out


def test_a_usage_error_exits_with_status_1(files, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["two.py", "--show", "nope"])
    assert info.value.code == 1
    assert "invalid choice" in capsys.readouterr().err


def test_the_lowered_form_shows_effects_and_appends_as_statements(tmp_path, capsys):
    path = tmp_path / "effects.py"
    path.write_text("def f(x):\n    ys = []\n    for i in range(2):\n        ys.append(x * i)\n"
                    "        print(i)\n    return sum(ys)\n")
    assert cli.main([str(path), "--show", "lowered"]) == 0
    out = capsys.readouterr().out
    assert "        ys.append(t1)\n" in out and "        print(i)\n" in out
    assert "= ys.append" not in out and "= print" not in out
