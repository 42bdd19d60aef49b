"""The srcdiff command: golden output, the lowered form, errors, and never running FILE."""

import builtins
import math
import os
import pathlib
import re
import subprocess
import symtable
import sys

import numpy as np
import pytest

import srcdiff
from srcdiff import cli

GOLDEN = pathlib.Path(__file__).parent / "golden"
SEEDS = GOLDEN / "seeds.py"
UPDATE = os.environ.get("SRCDIFF_UPDATE_GOLDEN")

CASES = {
    "e": ["e", "--wrt", "a,b"],
    "f": ["f"],
    "exp_sin": ["exp_sin"],
    "cost": ["cost", "--wrt", "m,c"],
    "loss": ["loss", "--wrt", "w1,w2", "--arg", "w1=array[h, n]", "--arg", "w2=array[k, h]",
             "--arg", "x=array[n]", "--arg", "y=array[k]"],
    "reassigned": ["reassigned", "--wrt", "0,1"],
    "lowered": ["--show", "lowered"],
    "both": ["e", "--show", "both"],
    "e.forward": ["e", "--wrt", "a,b", "--mode", "forward"],
    "f.forward": ["f", "--mode", "forward"],
    "exp_sin.forward": ["exp_sin", "--mode", "forward"],
    "loss.forward": ["loss", "--wrt", "w1", "--mode", "forward", "--arg", "w1=array[h, n]",
                     "--arg", "w2=array[k, h]", "--arg", "x=array[n]", "--arg", "y=array[k]"],
    "reassigned.forward": ["reassigned", "--wrt", "0,1", "--mode", "forward"],
}
FLOW = GOLDEN / "flow.py"
FLOW_CASES = {
    "loop": ["many_sines"],
    "branch": ["relu_or_square", "--wrt", "x,y"],
    "while": ["halvings"],
    "call": ["smooth_sum", "--arg", "n=int"],
    "writes": ["prefix_squares", "--arg", "x=float64[5]"],
    "recurrence": ["recurrence", "--wrt", "w", "--arg", "h=float64[3]", "--arg", "w=float64[3, 3]",
                   "--arg", "xs=float64[4, 3]"],
}
FLOW_CASES.update({f"{name}.forward": args + ["--mode", "forward"]
                   for name, args in list(FLOW_CASES.items())})


def run_cli(args, capsys):
    status = cli.main([str(args[0]), *args[1:]])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("name", CASES)
def test_golden_output(name, capsys):
    status, out, err = run_cli([SEEDS, *CASES[name]], capsys)
    assert status == 0, err
    golden = GOLDEN / f"seeds.{name}.out"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()


@pytest.mark.parametrize("name", FLOW_CASES)
def test_golden_control_flow(name, capsys):
    status, out, err = run_cli([FLOW, *FLOW_CASES[name]], capsys)
    assert status == 0, err
    golden = GOLDEN / f"flow.{name}.out"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()
    namespace = {"math": math, "np": np}
    # seeds.py refuses to be imported: its names come from the namespace instead.
    runnable = "".join(line for line in out.splitlines(True)
                       if not line.startswith("from seeds import "))
    exec(compile(runnable, f"<{name}>", "exec"), namespace)


@pytest.mark.parametrize("name", ["e", "f", "exp_sin", "reassigned"])
def test_printed_forward_derivative_runs_and_is_right(name, capsys):
    _, out, _ = run_cli([SEEDS, *CASES[f"{name}.forward"]], capsys)
    namespace = {"math": math, "np": np, "GAMMA": 0.04}
    # seeds.py refuses to be imported: its names come from the namespace instead.
    runnable = "".join(line for line in out.splitlines(True)
                       if not line.startswith("from seeds import "))
    exec(compile(runnable, f"<{name}>", "exec"), namespace)
    printed = namespace[f"{name}_jvp"]
    fn = getattr(_seeds_module(), name)
    args = [0.7, 1.3][:fn.__code__.co_argcount]
    tangents = [1.0, -2.0][:len(args)] if name in ("e", "reassigned") else [1.0]
    primals_tangents = [t if k < len(tangents) else None for k, t in enumerate(
        tangents + [None] * (len(args) - len(tangents)))]
    value, tangent = printed(*args, *tangents)
    assert (value, tangent) == pytest.approx(srcdiff.jvp(fn, args, primals_tangents))
    wrt = tuple(range(len(tangents))) if len(tangents) > 1 else 0
    assert srcdiff.source(fn, wrt=wrt, mode="forward") == out


@pytest.mark.parametrize("name", ["e", "f", "exp_sin", "reassigned"])
def test_printed_derivative_runs_and_is_right(name, capsys):
    _, out, _ = run_cli([SEEDS, *CASES[name]], capsys)
    namespace = {"math": math, "np": np, "GAMMA": 0.04}
    # seeds.py refuses to be imported: its names come from the namespace instead.
    runnable = "".join(line for line in out.splitlines(True)
                       if not line.startswith("from seeds import "))
    exec(compile(runnable, f"<{name}>", "exec"), namespace)
    printed = namespace[f"{name}_grad"]
    args = [0.7, 1.3][:printed.__code__.co_argcount]
    fn = getattr(_seeds_module(), name)
    wrt = tuple(range(len(args))) if len(args) > 1 else 0
    expected = srcdiff.gradient(fn, wrt=wrt)(*args)
    assert printed(*args) == pytest.approx(expected)
    assert srcdiff.source(fn, wrt=wrt) == out


def _seeds_module():
    """The seed functions, taken from the golden file without running its top level."""
    import ast
    import linecache
    text = SEEDS.read_text()
    tree = ast.parse(text)
    tree.body = [n for n in tree.body if not isinstance(n, ast.Raise)]
    filename = str(SEEDS)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {"__name__": "seeds"}
    exec(compile(tree, filename, "exec"), namespace)
    return type("Seeds", (), {k: staticmethod(v) for k, v in namespace.items()
                               if callable(v) and not isinstance(v, type)})


def test_every_lowered_statement_is_one_primitive(capsys):
    _, out, _ = run_cli([SEEDS, "--show", "lowered"], capsys)
    import ast
    for fn in ast.parse(out).body:
        for stmt in fn.body:
            value = stmt.value
            inner = [n for n in ast.walk(value) if isinstance(n, (ast.BinOp, ast.Call,
                                                                  ast.UnaryOp))]
            assert len(inner) <= 1, ast.unparse(stmt)


def test_file_is_not_executed(tmp_path, capsys):
    marker = tmp_path / "ran"
    source = tmp_path / "side_effects.py"
    source.write_text(f"open({str(marker)!r}, 'w').write('x')\n"
                      "raise RuntimeError('top level ran')\n\n"
                      "def f(x):\n    return x * x\n")
    status, out, err = run_cli([source], capsys)
    assert status == 0, err
    assert "def f_grad(x):" in out
    assert not marker.exists()


def test_error_exit_status_and_location(capsys):
    status, out, err = run_cli([GOLDEN / "bad.py"], capsys)
    assert status == 1
    assert "def fine_grad(x):" in out and "guarded" not in out
    first = err.splitlines()[0]
    assert first.startswith(f"{GOLDEN / 'bad.py'}:9:5: try/except cannot be differentiated")
    assert "    try:" in err
    assert "    ^" in err


def test_a_named_function_that_fails_prints_nothing(capsys):
    status, out, err = run_cli([GOLDEN / "bad.py", "guarded"], capsys)
    assert status == 1 and out == ""
    assert ":9:5: try/except cannot be differentiated" in err


def test_unresolvable_import_is_refused_where_used(capsys):
    status, _, err = run_cli([GOLDEN / "unresolved.py"], capsys)
    assert status == 1
    assert err.startswith(f"{GOLDEN / 'unresolved.py'}:5:12: cannot resolve 'sp'")
    assert "bound at line 1" in err


def test_unknown_function_name(capsys):
    status, _, err = run_cli([SEEDS, "nope"], capsys)
    assert status == 1
    assert "no top-level function named 'nope'" in err


def test_bad_wrt(capsys):
    status, _, err = run_cli([SEEDS, "e", "--wrt", "z"], capsys)
    assert status == 1
    assert "no parameter named 'z'" in err


def test_bad_arg_spec(capsys):
    status, _, err = run_cli([SEEDS, "cost", "--arg", "xs=banana[n]"], capsys)
    assert status == 1
    assert "--arg" in err


def test_missing_file(capsys):
    status, _, err = run_cli([GOLDEN / "missing.py"], capsys)
    assert status == 1
    assert "cannot read" in err


def test_help_version_and_module_entry_point():
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(srcdiff.__file__).parents[1]))
    run = [sys.executable, "-m", "srcdiff"]
    help_text = subprocess.run(run + ["--help"], capture_output=True, text=True, env=env)
    assert help_text.returncode == 0 and "--wrt" in help_text.stdout
    version = subprocess.run(run + ["--version"], capture_output=True, text=True, env=env)
    assert version.stdout.strip() == f"srcdiff {srcdiff.__version__}"
    out = subprocess.run(run + [str(SEEDS), "e", "--wrt", "a,b"], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 0
    assert out.stdout == (GOLDEN / "seeds.e.out").read_text()
    bad = subprocess.run(run + [str(GOLDEN / "bad.py")], capture_output=True, text=True,
                         env=env)
    assert bad.returncode == 1 and ":9:5:" in bad.stderr and "Traceback" not in bad.stderr


def test_source_matches_the_command_imports_included(module_from, capsys):
    mod = module_from("def f(x):\n    t = [x, x * 2.0]\n    s = 0.0\n    for v in t:\n"
                      "        s = s + v * v\n    return s\n")
    assert cli.main([mod.__file__]) == 0
    out = capsys.readouterr().out
    assert out.startswith("from srcdiff.runtime import")
    assert srcdiff.source(mod.f) == out
    namespace = {}
    exec(out, namespace)
    assert namespace["f_grad"](1.5) == pytest.approx(10 * 1.5)


def test_lowered_form_shows_loops_branches_and_writes(capsys):
    status, out, err = run_cli([FLOW, "prefix_squares", "halvings", "relu_or_square",
                                "--show", "lowered"], capsys)
    assert status == 0, err
    assert "    for i in range(1, 5):\n        t3 = i - 1\n" in out
    assert "        y[i] = t7\n" in out
    assert "    while t1:\n" in out and "    if t1:\n" in out


def test_a_compiler_bug_is_reported_without_a_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(cli.printer, "lowered_source", broken)
    status, out, err = run_cli([FLOW, "halvings", "--show", "lowered"], capsys)
    assert status == 1
    assert "internal error in srcdiff: RuntimeError: boom" in err
    assert "Traceback" not in err


EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_prints_its_derivatives(path, mode, capsys):
    """Sizes named in annotations (``xs: "array[n]"``) stay symbolic through the whole
    pipeline: ``len(xs)`` is an int of unknown value, indexing probes over sizes."""
    status = cli.main([str(path), "--mode", mode])
    out, err = capsys.readouterr()
    assert "internal error" not in err
    if status:
        assert "gradient needs a scalar result" in err and mode == "reverse", err
    else:
        compile(out, str(path), "exec")
        assert "def " in out
        assert not _tapes_never_read(out)


def _tapes_never_read(printed):
    """The variables that the printed code pops from a tape and then never reads."""
    unread = []
    for function in printed.split("\ndef ")[1:]:
        lines = function.splitlines()
        for k, line in enumerate(lines):
            popped = re.fullmatch(r"\s*(\w+) = (\w+)_tape\.pop\(\)", line)
            if popped is None or popped[1] != popped[2]:
                continue
            name = re.compile(rf"\b{popped[1]}\b")
            rest = [other for other in lines[k + 1:] + lines[:k]
                    if "_tape." not in other and not other.lstrip().startswith("#")]
            if not any(name.search(other.split(" = ", 1)[-1]) for other in rest):
                unread.append(popped[1])
    return unread


def test_symbolic_sizes_tape_what_concrete_shapes_tape(capsys):
    """With sizes named in annotations (``xs: "array[T, d]"``), a zero adjoint may have to
    be made from a value, whose shape is known only when the code runs. Values whose
    variable has no adjoint (the row ``x = xs[k]``) need no such zero: the RNN's printed
    gradient tapes ``h`` alone and recomputes ``x``, as the code for concrete shapes does
    (it used to tape x, t2, t3 and t4 as well)."""
    assert cli.main([str(pathlib.Path(__file__).parent.parent / "examples" / "rnn.py")]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"(\w+)_tape = \[\]", out) == ["h"]
    assert "    for k in reversed(range(t1)):\n        x = xs[k]\n" in out
    assert _tapes_never_read(out) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_printed_code_is_a_module_that_runs(path, monkeypatch, capsys):
    """``srcdiff FILE > d.py`` gives a module whose every global name is bound: the file's
    imports it reads, srcdiff's helpers, and the file's own names (imported from it)."""
    names = ["many_inputs"] if path.stem == "forward_vs_reverse" else []
    assert cli.main([str(path), *names]) == 0
    out = capsys.readouterr().out
    monkeypatch.syspath_prepend(str(path.parent))
    namespace = {}
    exec(compile(out, "printed.py", "exec"), namespace)
    tables = symtable.symtable(out, "printed.py", "exec").get_children()
    read = set()
    while tables:
        table = tables.pop()
        read.update(table.get_globals())
        tables += table.get_children()
    assert {n for n in read if n not in namespace and not hasattr(builtins, n)} == set()


def test_printed_seed_derivatives_run_as_a_module(tmp_path, monkeypatch, capsys):
    examples = EXAMPLES[0].parent
    assert cli.main([str(examples / "backprop_basics.py"), "e", "--wrt", "a,b"]) == 0
    namespace = {}
    exec(capsys.readouterr().out, namespace)
    assert namespace["e_grad"](2.0, 1.0) == (2.0, 5.0)
    assert cli.main([str(examples / "sqrt_sin.py")]) == 0
    namespace = {}
    exec(capsys.readouterr().out, namespace)
    assert namespace["f_grad"](2.0) == pytest.approx(-0.3779412091869595, rel=1e-15)
