"""The README's promises: its two commands, the tour's output, and what CI runs."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)


def test_readme_opens_with_the_two_commands():
    (lang1, run), (lang2, test) = BLOCKS[:2]
    assert lang1 == lang2 == "bash"
    assert run.strip().startswith("pip install -e . && srcdiff examples/")
    assert test.strip().startswith("pip install -e '.[test]'") and "pytest" in test


def test_ci_runs_exactly_the_readme_test_command():
    test_command = BLOCKS[1][1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()
    assert "ruff check" in ci


def test_the_tour_prints_what_the_readme_shows(tmp_path):
    tour = next(code for lang, code in BLOCKS if lang == "python")
    shown = BLOCKS[BLOCKS.index(("python", tour)) + 1][1]
    script = tmp_path / "tour.py"
    script.write_text(tour)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout == shown


def test_the_first_command_output_is_a_derivative():
    out = subprocess.run([sys.executable, "-m", "srcdiff", "examples/backprop_basics.py",
                          "--wrt", "a,b"], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert "def e_grad(a, b):" in out.stdout


def test_no_astor():
    assert "astor" not in (ROOT / "pyproject.toml").read_text()
