"""The work of differentiating a function grows linearly with its length.

A straight-line function four times as long must cost each of srcdiff's modules at most
about four times as many executed lines. Lines are counted with ``sys.settrace``, not
timed, so the test is exact on a noisy machine. It guards against passes that walk the
whole body again for each statement. Two such walks once made a 300-statement function's
first gradient cost 75 s: the tidy passes' search for a line's position in its block, and
the tape's search for the values of a variable.
"""

from __future__ import annotations

import collections
import importlib
import sys

import srcdiff

SHORT, LONG = 30, 120
ALLOWED_GROWTH = 4.4
"""Linear modules grow 3.5 to 4.0 times here; the quadratic walks above grew 4.9 and 5.1."""


def _straight_line_function(folder, length):
    lines = ["import numpy as np", "", "", "def long_function(x, y):", "    s = x * y"]
    for i in range(length):
        lines.append(f"    s = s * {1 + i % 7}.0 + np.sin(x * {i % 5 + 1}.0) - y / {i % 3 + 2}.0"
                     if i % 2 == 0 else f"    s = np.tanh(s) + x * {i % 4}.0")
    lines.append("    return s")
    name = f"straight_line_{length}"
    (folder / f"{name}.py").write_text("\n".join(lines) + "\n")
    return importlib.import_module(name).long_function


def _lines_run_per_module(fn):
    counts = collections.Counter()

    def in_srcdiff(frame, event, arg):
        counts[frame.f_code.co_filename] += 1
        return in_srcdiff

    def calls(frame, event, arg):
        return in_srcdiff if "srcdiff" in frame.f_code.co_filename else None

    sys.settrace(calls)
    try:
        srcdiff.gradient(fn)(0.3, 0.7)
    finally:
        sys.settrace(None)
    return counts


def test_compiling_costs_each_module_work_linear_in_the_function_length(tmp_path,
                                                                       monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    short = _lines_run_per_module(_straight_line_function(tmp_path, SHORT))
    long = _lines_run_per_module(_straight_line_function(tmp_path, LONG))
    measured = {module: count for module, count in long.items() if count >= 2000}
    assert len(measured) >= 10
    growth = {module: long[module] / short[module] for module in measured}
    assert max(growth.values()) > 3.0  # the functions differ enough to show any growth
    worst = max(growth, key=growth.get)
    assert growth[worst] <= ALLOWED_GROWTH, (worst, growth[worst])
