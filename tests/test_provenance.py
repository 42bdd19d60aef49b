"""Every generated line knows where it comes from: its role and its source line.

The emitter returns a line table beside the text, from each printed line to the role of the
statement that printed it (forward, adjoint, tape push, tape pop, recompute, init, result,
comment, guard) and to the IR statement, and so the source line, it was made for.
"""

import math
import re

import numpy as np

from srcdiff.api import assumed_avals, normalize_wrt
from srcdiff.driver import dispatch, pipeline
from srcdiff.driver.options import Options
from srcdiff.ir import code


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def many_sines(x, n):
    y = x
    for _ in range(n):
        y = math.sin(y) * y
    return y


def rows(w: "array[3]", xs: "array[4]"):  # noqa: F821
    total = 0.0
    for x in xs:
        if x > 0.0:
            total = total + np.sum(w * x)
    return total


def emitted(f, wrt=None):
    fn_ir, scope = dispatch.lowered(f)
    names = normalize_wrt(fn_ir.param_names, wrt, f.__name__)
    return pipeline.derive(fn_ir, scope, assumed_avals(fn_ir, scope), Options(names))


def body_lines(result):
    """(number, text) of the printed function's body lines."""
    lines = result.text.splitlines()
    return [(n, lines[n - 1]) for n in range(result.def_line + 1, len(lines) + 1)]


def test_every_body_line_has_a_role_and_comments_name_their_source_line():
    for f, wrt in [(e, ("a", "b")), (many_sines, "x"), (rows, "w")]:
        result = emitted(f, wrt)
        first = f.__code__.co_firstlineno
        for number, text in body_lines(result):
            info = result.lines[number]
            assert info.role in code.ROLES, (f.__name__, text, info)
            if info.role == code.COMMENT:
                quoted = int(re.search(r"\(line (\d+)\)", text).group(1))
                assert info.source_line == quoted, text
            if info.role in (code.FORWARD, code.ADJOINT, code.RESULT, code.TAPE_PUSH,
                             code.TAPE_POP, code.RECOMPUTE):
                assert info.source_line is not None and info.source_line > first, text


def test_roles_follow_the_sweeps():
    result = emitted(many_sines, "x")
    roles = {}
    for number, text in body_lines(result):
        roles.setdefault(result.lines[number].role, []).append(text.strip())
    assert any(t.startswith("y_tape.append(") for t in roles[code.TAPE_PUSH])
    assert any(t.startswith("y = y_tape.pop()") for t in roles[code.TAPE_POP])
    assert any(t.startswith("y_tape = []") for t in roles[code.INIT])
    assert any(t.startswith("return ") for t in roles[code.RESULT])
    assert any("_bar" in t for t in roles[code.ADJOINT])
    assert not any("_bar" in t for t in roles[code.FORWARD])
    adjoint_lines = [n for n, _ in body_lines(result)
                     if result.lines[n].role == code.ADJOINT]
    forward_lines = [n for n, _ in body_lines(result)
                     if result.lines[n].role == code.FORWARD]
    assert max(forward_lines) < min(adjoint_lines)


def test_each_adjoint_line_points_at_the_statement_it_reverses():
    result = emitted(e, ("a", "b"))
    first = e.__code__.co_firstlineno
    by_source = {}
    for number, text in body_lines(result):
        info = result.lines[number]
        if info.role == code.ADJOINT:
            by_source.setdefault(info.source_line - first, []).append(text.strip())
    assert by_source[3] == ["c_bar = d", "d_bar = c"]
    assert any(t.startswith("b_bar") for t in by_source[2])
