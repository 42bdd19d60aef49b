"""Graph pictures: ``srcdiff.graph`` and ``srcdiff FILE NAME --graph OUT --at ... --highlight``.

Seed 002's graph at a = 2, b = 1 is pinned as DOT (``tests/golden/views.e.graph.dot``):
c = 3, d = 2, e = 6 on the nodes, ∂e/∂c = d = 2, ∂e/∂d = c = 3 and the ones on the edges,
and, highlighting b, the sum over paths 1·2 + 1·3 = 5 beside srcdiff's gradient. Drawing
SVG needs Graphviz's ``dot``; those tests skip where it is not installed.
"""

import math
import os
import pathlib
import shutil

import numpy as np
import pytest

import srcdiff
from srcdiff import cli
from srcdiff.views import dataflow
from srcdiff.views import graph as graph_view

GOLDEN = pathlib.Path(__file__).parent / "golden"
VIEWS = GOLDEN / "views.py"
UPDATE = os.environ.get("SRCDIFF_UPDATE_GOLDEN")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")

CASES = {
    "e.graph": ["e", "--graph", "-", "--at", "a=2,b=1", "--highlight", "b"],
    "e.static": ["e", "--graph", "-"],
    "scaled_sum.graph": ["scaled_sum", "--graph", "-", "--at", "x=0.5,n=2", "--highlight", "x"],
}


def e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def many_sines(x):
    y = x
    for i in range(1, 7):
        y = np.sin(x + y)
    return y


def square(x):
    return x * x


def soft(v):
    return math.log1p(math.exp(v))


def calls(x):
    return soft(2.0 * x)


def branchy(x):
    if x > 0.0:
        y = math.sin(x)
    else:
        y = x * x
    return y


def run_cli(args, capsys):
    status = cli.main([str(VIEWS), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("name", CASES)
def test_golden_dot(name, capsys):
    status, out, err = run_cli(CASES[name], capsys)
    assert status == 0, err
    golden = GOLDEN / f"views.{name}.dot"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()


def test_seed_002_partials_and_the_sum_over_paths():
    picture = srcdiff.graph(e, 2.0, 1.0, highlight="b")
    assert sorted(picture.edges) == [("a", "c", "1.0", 1.0), ("b", "c", "1.0", 1.0),
                                     ("b", "d", "1.0", 1.0), ("c", "e", "d", 2.0),
                                     ("d", "e", "c", 3.0)]
    names = [[picture.flow.nodes[p[0].source].name] + [picture.flow.nodes[x.target].name
                                                       for x in p] for p in picture.paths]
    assert sorted(names) == [["b", "c", "e"], ["b", "d", "e"]]
    assert picture.path_sum == 5.0 == srcdiff.gradient(e, wrt="b")(2.0, 1.0)
    assert "∂e/∂b = 1·2 + 1·3 = 5" in picture.dot
    assert 'label="c\\na + b\\n= 3"' in picture.dot
    assert str(picture) == picture.dot


def test_the_static_graph_has_formulas_and_no_values():
    picture = srcdiff.graph(e)
    assert sorted(picture.edges)[3:] == [("c", "e", "d", None), ("d", "e", "c", None)]
    assert "= 3" not in picture.dot


def test_an_executed_loop_has_a_node_per_iteration():
    picture = srcdiff.graph(many_sines, 0.5, highlight="x")
    sines = [n for n in picture.flow.nodes.values() if n.operation == "np.sin(t1)"]
    assert [n.context for n in sines] == [(("i", i),) for i in range(1, 7)]
    assert picture.path_sum == pytest.approx(srcdiff.gradient(many_sines)(0.5), rel=1e-12)
    assert "and more paths" not in picture.dot


def test_the_static_loop_is_a_cluster_with_a_back_edge():
    picture = srcdiff.graph(many_sines)
    assert 'label="for i in range(1, 7)"' in picture.dot
    assert ("y", "t1", "1.0", None) in picture.edges
    assert len([n for n in picture.flow.nodes.values() if n.name == "t1"]) == 1


def test_an_operand_used_twice_adds_its_partials():
    picture = srcdiff.graph(square, 3.0, highlight="x")
    assert picture.edges == [("x", "square", "x + x", 6.0)]
    assert picture.path_sum == 6.0


def test_a_call_of_the_users_function_is_differentiated_by_forward_mode():
    picture = srcdiff.graph(calls, 0.25, highlight="x")
    into_call = [edge for edge in picture.edges if edge[1] == "calls"]
    assert into_call[0][3] == pytest.approx(1.0 / (1.0 + math.exp(-0.5)))
    assert picture.path_sum == pytest.approx(srcdiff.gradient(calls)(0.25))


def test_only_the_branch_taken_is_drawn():
    taken = srcdiff.graph(branchy, 0.5)
    assert [n.operation for n in taken.flow.nodes.values()][1:] == ["math.sin(x)"]
    static = srcdiff.graph(branchy)
    operations = {n.operation for n in static.flow.nodes.values()}
    assert {"math.sin(x)", "x * x", "return"} <= operations


def test_arrays_show_shapes_and_integer_operands_dashed_edges(capsys):
    def norm(w):
        return np.sum(np.tanh(w) ** 2)
    picture = srcdiff.graph(norm, np.ones((2, 3)), highlight="w")
    assert 'label="Jacobian (2, 3) × (2, 3)"' in picture.dot
    assert "= float64[2, 3]" in picture.dot
    assert picture.path_sum is None and "not added up" in picture.dot
    status, out, _ = run_cli(CASES["scaled_sum.graph"], capsys)
    assert status == 0 and "style=dashed" in out


def test_writing_dot_and_refusing_other_names(tmp_path):
    picture = srcdiff.graph(e, 2.0, 1.0)
    picture.write(tmp_path / "e.dot")
    assert (tmp_path / "e.dot").read_text(encoding="utf-8") == picture.dot
    with pytest.raises(srcdiff.SrcdiffError, match="must end in .dot, .svg or .png"):
        picture.write(tmp_path / "e.txt")
    with pytest.raises(srcdiff.SrcdiffError, match="cannot write"):
        picture.write(tmp_path / "missing" / "e.dot")


@needs_dot
def test_svg_is_drawn_with_the_values(tmp_path, capsys):
    status, out, err = run_cli(["e", "--graph", str(tmp_path / "e.svg"), "--at", "a=2,b=1",
                                "--highlight", "b"], capsys)
    assert status == 0, err
    assert out == f"wrote {tmp_path / 'e.svg'}\n"
    svg = (tmp_path / "e.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("= 6", "∂e/∂c = d = 2", "∂e/∂b = 1·2 + 1·3 = 5"):
        assert text in svg
    assert "<svg" in srcdiff.graph(e, 2.0, 1.0)._repr_svg_()


def test_without_graphviz_svg_is_refused_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_view.shutil, "which", lambda name: None)
    picture = srcdiff.graph(e, 2.0, 1.0)
    with pytest.raises(srcdiff.SrcdiffError) as info:
        picture.write(tmp_path / "e.svg")
    assert "apt-get install graphviz" in str(info.value)
    assert picture._repr_svg_() is None
    assert not (tmp_path / "e.svg").exists()


@pytest.mark.parametrize("args, message", [
    (["e", "--graph", "-", "--highlight", "z"], "no parameter named 'z'"),
    (["e", "--graph", "-", "--at", "a=2"], "--at: no value for b"),
    (["e", "--graph", "out.pdf"], "must end in .dot, .svg or .png"),
])
def test_command_line_errors(args, message, capsys):
    status, out, err = run_cli(args, capsys)
    assert status == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_an_executed_graph_too_large_to_read_is_refused(monkeypatch):
    monkeypatch.setattr(dataflow, "MAX_NODES", 10)
    with pytest.raises(srcdiff.SrcdiffError, match="more than 10 nodes") as info:
        srcdiff.graph(many_sines, 0.5)
    assert "static graph" in str(info.value)
    assert len(srcdiff.graph(many_sines).flow.nodes) < 10
