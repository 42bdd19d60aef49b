"""What the command assumes of parameters without example arguments: arrays where the
function uses them as arrays, containers given with --arg, and source(g) after calls."""

import importlib.util
import math
import os
import pathlib

import numpy as np
import pytest

import srcdiff
from srcdiff import cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = pathlib.Path(__file__).parent / "golden"
USAGE = GOLDEN / "usage.py"
UPDATE = os.environ.get("SRCDIFF_UPDATE_GOLDEN")
RNG = np.random.default_rng(7)
SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]])

# Real arguments for each function of tests/golden/usage.py.
ARGUMENTS = {
    "cost": (0.1, 0.1, np.arange(1.0, 11.0), 2.0 * np.arange(1.0, 11.0) + 1.0, 10),
    "grid_sum": (RNG.normal(size=(3, 2)), 0.5),
    "quadratic": (RNG.normal(size=3), SPD),
    "rows": (RNG.normal(size=(4, 3)), 0.3),
    "shaped": (RNG.normal(size=(2, 3)),),
    "helper_norm": (RNG.normal(size=4),),
    "calls_helper": (RNG.normal(size=4), 0.7),
    "logdet": (SPD,),
    "net": ((RNG.normal(size=(3, 2)), RNG.normal(size=3)), RNG.normal(size=2)),
    "affine": ({"w": RNG.normal(size=3), "b": 0.5}, RNG.normal(size=3)),
    "scalar": (0.4, 1.3),
}
HEADERS = [
    "cost with respect to m; m: float64[...], c: float64[...], xs: float64[...], "
    "ys: float64[...], n: float",
    "grid_sum with respect to a; a: float64[?, ?], w: float",
    "quadratic with respect to x; x: float64[...], A: float64[...]",
    "rows with respect to X; X: float64[...], scale: float",
    "shaped with respect to M; M: float64[?, ?]",
    "calls_helper with respect to u; u: float64[...], t: float",
    "logdet with respect to S; S: float64[?, ?]",
    "net with respect to params; params: tuple[float64[...], float64[...]], x: float64[...]",
    "affine with respect to p; p: dict['w': float64[...], 'b': float64[...]], x: float64[...]",
    "scalar with respect to x; x: float, y: float",
]


def run_cli(args, capsys):
    status = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def imported(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_tree(found, expected):
    if isinstance(expected, (tuple, list)):
        assert len(found) == len(expected)
        for f, e in zip(found, expected):
            assert_same_tree(f, e)
    elif isinstance(expected, dict):
        assert set(found) == set(expected)
        for key in expected:
            assert_same_tree(found[key], expected[key])
    else:
        assert np.shape(found) == np.shape(expected)
        assert np.allclose(found, expected, rtol=1e-12, atol=1e-14)


def run_printed(out, name, args, module=None):
    """The printed ``name_grad`` called on ``args``, its free names read from ``module``
    (the functions it calls) as the command's output reads them from the file."""
    namespace = {"math": math, "np": np, **(vars(module) if module else {})}
    exec(compile(out, f"<printed {name}>", "exec"), namespace)
    return namespace[f"{name}_grad"](*args)


@pytest.fixture(scope="module")
def usage_module():
    return imported(USAGE, "srcdiff_usage_golden")


def test_uses_decide_the_kinds_and_the_printed_code_is_right(usage_module, capsys):
    out = run_cli([USAGE], capsys)
    golden = GOLDEN / "usage.out"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()
    for header in HEADERS:
        assert f"# gradient of {header}\n" in out
    for name, args in ARGUMENTS.items():
        expected = srcdiff.gradient(getattr(usage_module, name))(*args)
        assert_same_tree(run_printed(out, name, args, usage_module), expected)


def test_linear_regression_prints_code_right_for_its_arrays(capsys):
    out = run_cli([ROOT / "examples/linear_regression.py", "--wrt", "m,c"], capsys)
    golden = GOLDEN / "usage.linear_regression.out"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()
    example = imported(ROOT / "examples/linear_regression.py", "srcdiff_linear_regression")
    xs = np.arange(1.0, 11.0)
    args = (0.1, 0.1, xs, 2.0 * xs + 1.0, len(xs))
    expected = srcdiff.gradient(example.cost, wrt=("m", "c"))(*args)
    found = run_printed(out, "cost", args)
    assert_same_tree(found, expected)
    assert expected[0] == pytest.approx(-78.1)


def test_annotations_and_arg_win_over_uses(tmp_path, capsys):
    path = tmp_path / "given.py"
    path.write_text("import numpy as np\n\n\ndef f(x: float, y, z):\n"
                    "    return np.sum(x * y) + np.sum(z)\n")
    out = run_cli([path, "--arg", "z=float64[4]"], capsys)
    assert "; x: float, y: float64[...], z: float64[4]\n" in out


def test_annotations_take_containers_too(tmp_path, capsys):
    path = tmp_path / "annotated.py"
    path.write_text("import numpy as np\n\n\ndef f(p: '{\"w\": float64[3], \"b\": float}', x):\n"
                    "    return np.sum(p['w'] * x) + p['b']\n")
    out = run_cli([path], capsys)
    assert "; p: dict['w': float64[3], 'b': float], x: float\n" in out


def test_math_arguments_stay_floats(tmp_path, capsys):
    path = tmp_path / "scalars.py"
    path.write_text("import math\nimport numpy as np\n\n\ndef f(a, b, v):\n"
                    "    return np.sum(math.exp(a) * b * v[0])\n")
    out = run_cli([path], capsys)
    assert "; a: float, b: float64[...], v: float64[...]\n" in out


def test_arg_takes_lists_and_dicts_of_kinds(tmp_path, capsys):
    source = USAGE.read_text()
    out = run_cli([USAGE, "net", "--arg", "params=[float64[3, 2], float64[3]]",
                   "--arg", "x=float64[2]"], capsys)
    assert "; params: list[float64[3, 2], float64[3]], x: float64[2]\n" in out
    assert "params_bar = [W_bar, b_bar]" in out
    W, b, x = RNG.normal(size=(3, 2)), RNG.normal(size=3), RNG.normal(size=2)
    module = imported(USAGE, "srcdiff_usage_golden_2")
    assert_same_tree(run_printed(out, "net", ([W, b], x)),
                     srcdiff.gradient(module.net)([W, b], x))
    out = run_cli([USAGE, "affine", "--arg", 'p={"w": float64[3], "b": float}',
                   "--arg", "x=float64[3]"], capsys)
    assert "; p: dict['w': float64[3], 'b': float], x: float64[3]\n" in out
    p, x = {"w": RNG.normal(size=3), "b": 0.25}, RNG.normal(size=3)
    assert_same_tree(run_printed(out, "affine", (p, x)), srcdiff.gradient(module.affine)(p, x))
    assert USAGE.read_text() == source


@pytest.mark.parametrize("kind, message, caret", [
    ("[float64[3], flot]", "--arg p: unknown kind 'flot'", 13),
    ('{"w" float}', "--arg p: expected ':' after a key, found 'f'", 5),
    ("{w: float}", "--arg p: expected a quoted key such as \"w\"", 1),
    ("[float, int", "--arg p: expected ']' to close the list", 11),
    ("float]", "--arg p: unexpected ']' after the kind", 5),
    ('{"a": float, "a": int}', "--arg p: a key is given twice", 21),
])
def test_arg_errors_point_into_the_argument(kind, message, caret):
    with pytest.raises(srcdiff.SrcdiffError) as raised:
        cli._parse_args([f"p={kind}"])
    lines = str(raised.value).splitlines()
    assert lines[0].startswith(message)
    assert lines[1] == f"    --arg p={kind}"
    assert lines[2] == " " * (4 + len("--arg p=") + caret) + "^"
    assert lines[3].startswith("hint: KIND is float, int, array")


def test_source_of_a_gradient_shows_the_code_that_ran(usage_module):
    g = srcdiff.gradient(usage_module.rows)
    assert srcdiff.source(g) == srcdiff.source(usage_module.rows)
    X = RNG.normal(size=(4, 3))
    g(X, 0.3)
    ran = srcdiff.source(g)
    assert ran == srcdiff.source(usage_module.rows, args=(X, 0.3))
    assert ran.count("def rows_grad(") == 1 and "X: float64[4, 3], scale: float" in ran
    g(RNG.normal(size=(2, 3)), 0.3)
    both = srcdiff.source(g)
    assert both.startswith("# 2 specializations of rows's derivative, in the order they "
                           "were compiled\n")
    assert both.index("X: float64[4, 3]") < both.index("X: float64[2, 3]")
    assert srcdiff.source(g, mode="forward") == srcdiff.source(usage_module.rows,
                                                               mode="forward")
