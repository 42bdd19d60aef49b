"""docs/tutorial.md runs: every command in it prints exactly what the tutorial shows."""

import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from srcdiff import cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCKS = re.findall(r"```console\n\$ ([^\n]*)\n(.*?)```", TUTORIAL.read_text(), re.S)


def test_the_tutorial_has_a_section_per_seed_topic():
    headings = re.findall(r"^## \d+\. (.*)$", TUTORIAL.read_text(), re.M)
    assert len(headings) >= 8
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("command, expected", BLOCKS, ids=[str(k) for k in range(len(BLOCKS))])
def test_the_command_prints_what_the_tutorial_shows(command, expected, capsys, monkeypatch):
    args = shlex.split(command)
    if args[0] == "srcdiff":
        monkeypatch.chdir(ROOT)
        assert cli.main(args[1:]) == 0
        out = capsys.readouterr().out
    else:
        assert args[0] == "python"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        done = subprocess.run([sys.executable, *args[1:]], cwd=ROOT, env=env, text=True,
                              capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        out = done.stdout
    assert out == expected
