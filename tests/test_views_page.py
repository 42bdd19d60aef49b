"""The side-by-side page: its links between source, three-address and derivative lines,
the lowered printer's line table they join on, its HTML (golden file, escaping,
self-containment), ``srcdiff FILE --html``, and the notebook view ``srcdiff.show``.

The page in a real browser is tested in ``test_views_browser.py``.
"""

import html.parser
import os
import pathlib
import re
import shutil

import pytest

import srcdiff
from srcdiff import cli
from srcdiff.backend import printer
from srcdiff.frontend import lower, parse
from srcdiff.frontend.scope import StaticScope
from srcdiff.ir import code
from srcdiff.ir import nodes as ir
from srcdiff.views import page
from srcdiff.views.page import DERIVATIVE, LOWERED, SOURCE

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
BASICS = ROOT / "examples" / "backprop_basics.py"
FLOW = GOLDEN / "flow.py"
UPDATE = os.environ.get("SRCDIFF_UPDATE_GOLDEN")


def view_of(path, name, wrt=None, mode="reverse", kinds=None):
    views, errors = cli.page_views(str(path), [name], wrt, kinds, mode)
    assert not errors
    return views[0]


def texts(lines, *roles):
    return [line.text.strip() for line in lines if not roles or line.role in roles]


def linked_from(view, column, text):
    return view.linked(view.find(column, text))


# The links, on seed 002's e = (a + b) * (b + 1)

def test_a_source_line_links_its_three_address_line_and_every_derivative_line_made_for_it():
    view = view_of(BASICS, "e", ("a", "b"))
    linked = linked_from(view, SOURCE, "c = a + b")
    assert texts(linked[LOWERED]) == ["c = a + b"]
    assert texts(linked[DERIVATIVE], code.ADJOINT) == ["a_bar = c_bar", "b_bar = b_bar + c_bar"]
    assert texts(linked[DERIVATIVE], code.FORWARD) == ["c = a + b"]
    assert [line.role for line in linked[DERIVATIVE]] == [
        code.FORWARD, code.COMMENT, code.ADJOINT, code.ADJOINT]
    assert linked[SOURCE] == []


def test_a_source_line_lowered_to_two_statements_links_both():
    view = view_of(BASICS, "e", ("a", "b"))
    linked = linked_from(view, SOURCE, "return c * d")
    assert texts(linked[LOWERED]) == ["e = c * d", "return e"]
    assert texts(linked[DERIVATIVE], code.ADJOINT) == ["c_bar = d", "d_bar = c"]
    assert texts(linked[DERIVATIVE], code.RESULT) == ["return a_bar, b_bar"]


def test_a_derivative_line_links_its_source_line_and_its_three_address_statement():
    view = view_of(BASICS, "e", ("a", "b"))
    linked = linked_from(view, DERIVATIVE, "b_bar = b_bar + c_bar")
    assert texts(linked[SOURCE]) == ["c = a + b"]
    assert texts(linked[LOWERED]) == ["c = a + b"]
    assert linked[DERIVATIVE] == []


def test_a_three_address_line_links_its_source_line_and_the_derivative_lines_for_it():
    view = view_of(BASICS, "e", ("a", "b"))
    linked = linked_from(view, LOWERED, "e = c * d")
    assert texts(linked[SOURCE]) == ["return c * d"]
    assert texts(linked[DERIVATIVE]) == ["# return c * d   (line 44)", "c_bar = d", "d_bar = c"]
    assert texts(linked_from(view, LOWERED, "return e")[DERIVATIVE]) == ["return a_bar, b_bar"]


def test_the_def_lines_link_each_other():
    view = view_of(BASICS, "e", ("a", "b"))
    linked = linked_from(view, SOURCE, "def e(a, b):")
    assert texts(linked[LOWERED]) == ["def e(a, b):"]
    assert texts(linked[DERIVATIVE]) == ["def e_grad(a, b):"]


def test_forward_mode_links_values_and_their_tangents():
    view = view_of(BASICS, "e", ("a", "b"), mode="forward")
    linked = linked_from(view, SOURCE, "c = a + b")
    assert texts(linked[DERIVATIVE], code.FORWARD) == ["c = a + b"]
    assert texts(linked[DERIVATIVE], code.TANGENT) == ["c_dot = a_dot + b_dot"]
    assert view.roles == ["forward", "tangent", "result", "comment"]


def test_a_loop_body_line_links_its_tape_push_and_pop():
    view = view_of(FLOW, "halvings")
    linked = linked_from(view, SOURCE, "y = y * 0.5 + math.sin(y)")
    assert texts(linked[LOWERED]) == ["t2 = y * 0.5", "t3 = math.sin(y)", "y = t2 + t3"]
    assert texts(linked[DERIVATIVE], code.TAPE_PUSH) == ["y_tape.append(y)"]
    assert texts(linked[DERIVATIVE], code.TAPE_POP) == ["y = y_tape.pop()"]
    assert "tape" in view.roles


@pytest.mark.parametrize("name, mode", [
    ("many_sines", "reverse"), ("relu_or_square", "reverse"), ("halvings", "reverse"),
    ("smooth_sum", "reverse"), ("halvings", "forward"), ("relu_or_square", "forward")])
def test_links_go_both_ways_and_every_statement_line_has_a_counterpart(name, mode):
    view = view_of(FLOW, name, wrt=None, mode=mode, kinds={"n": int_kind()} if
                   name == "smooth_sum" else None)
    for key, targets in view.links.items():
        for target in targets:
            assert key in view.links[target], (key, target)
    for line in view.columns[DERIVATIVE]:
        if line.key is not None and line.role != code.GUARD:
            linked = view.linked(line.key)
            assert linked[SOURCE] and linked[LOWERED], line
    for line in view.columns[LOWERED]:
        if line.key is not None:
            assert view.linked(line.key)[SOURCE], line


def int_kind():
    from srcdiff.ir import avals
    return avals.parse_spec("int")


def test_called_functions_derivatives_are_shown_beside_the_caller():
    view = view_of(FLOW, "smooth_sum", kinds={"n": int_kind()})
    assert [called.name for called in view.called] == ["soft_vjp"]
    assert "def soft_vjp(v, k, soft_bar):" in texts(view.called[0].lines)
    assert all(line.key is None for line in view.called[0].lines)


# The lowered printer's line table

def lowered_function(path, name):
    source = parse.read_file(str(path))
    node = next(f for f in parse.top_level_functions(source) if f.name == name)
    return lower.lower(source, node, StaticScope(source))


def test_the_lowered_listing_is_the_lowered_source_with_a_line_per_statement():
    fn_ir = lowered_function(FLOW, "halvings")
    listing = printer.lowered(fn_ir)
    assert listing.text == printer.lowered_source(fn_ir)
    lines = listing.text.splitlines()
    statements = {id(s) for s in fn_ir.statements}
    for number, info in listing.lines.items():
        assert id(info.statement) in statements
        assert info.role is None
        assert info.source_line == info.statement.origin.lineno
    assert set(listing.lines) == set(range(2, len(lines) + 1))
    # The while loop's test is computed before the loop and again at the end of its body.
    (loop,) = [s for s in fn_ir.body if isinstance(s, ir.While)]
    test_lines = [n for n, info in listing.lines.items() if info.statement is loop.test_body[0]]
    assert [lines[n - 1].strip() for n in test_lines] == ["t1 = y > 1.0", "t1 = y > 1.0"]


def test_an_empty_block_prints_pass_without_a_statement(tmp_path):
    path = tmp_path / "empty_blocks.py"
    path.write_text("def f(x):\n    y = x\n    if x > 0.0:\n        pass\n    else:\n"
                    "        y = y * 2.0\n    for i in range(3):\n        pass\n    return y\n")
    listing = printer.lowered(lowered_function(path, "f"))
    passes = [n for n, line in enumerate(listing.text.splitlines(), start=1)
              if line.strip() == "pass"]
    assert len(passes) == 2
    assert not set(passes) & set(listing.lines)


# The HTML

class Balanced(html.parser.HTMLParser):
    """Checks that every element is closed, in order."""

    VOID = {"meta", "br", "img", "input", "link", "hr"}

    def __init__(self):
        super().__init__()
        self.open = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (tag, self.open[-3:])
        self.open.pop()


def balanced(text):
    checker = Balanced()
    checker.feed(text)
    checker.close()
    return not checker.open


def test_golden_page_for_seed_002(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status = cli.main(["tests/golden/seeds.py", "e", "--wrt", "a,b", "--html", "-"])
    out = capsys.readouterr().out
    assert status == 0
    golden = GOLDEN / "page.e.html"
    if UPDATE:
        golden.write_text(out)
    assert out == golden.read_text()
    assert balanced(out)


def test_the_page_is_self_contained_and_reads_as_columns_without_script():
    text = srcdiff.page(view_function_e, wrt=("a", "b"))
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?:|<link|\bsrc=|@import", text)
    assert text.count("<script>") == 1 and text.count("<style>") == 1
    body = text[text.index("<body>"):text.index("<script>")]
    for column in ("source", "three-address form", "derivative (reverse mode)"):
        assert f"<h3>{column}</h3>" in body
    assert "a_bar = c_bar</div>" in body and "sd-hl\"" not in body.replace(
        "sd-swatch sd-hl\"", "")
    assert balanced(text)


def view_function_e(a, b):
    c = a + b
    d = b + 1.0
    return c * d


def test_text_is_escaped(module_from):
    module = module_from('''
        def f(x):
            """Returns <b>x</b> & "more" </script><script>alert(1)</script>."""
            y = x * 2.0  # x < y & y > x
            return y
    ''')
    text = srcdiff.page(module.f)
    assert "alert(1)" in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &quot;more&quot;" in text
    assert "# x &lt; y &amp; y &gt; x" in text
    assert text.count("<script>") == 1
    assert balanced(text)


def test_the_legend_names_the_roles_present():
    text = srcdiff.page(view_function_e, wrt=("a", "b"))
    legend = text[text.index("<ul class=\"sd-legend\">"):text.index("</ul>")]
    assert "sd-r-forward" in legend and "sd-r-adjoint" in legend
    assert "sd-r-tangent" not in legend and "sd-r-tape" not in legend
    forward = srcdiff.page(view_function_e, mode="forward")
    assert "sd-r-tangent" in forward and "derivative (forward mode)" in forward


def test_derivative_lines_say_their_role_and_source_line_in_a_tooltip():
    text = srcdiff.page(view_function_e, wrt=("a", "b"))
    first = view_function_e.__code__.co_firstlineno
    assert re.search(rf'class="sd-line sd-r-adjoint" data-k="d\d+" data-to="s{first + 1} l2" '
                     rf'title="adjoint, from line {first + 1}"><span class="sd-no">\d+</span>'
                     r"    a_bar = c_bar</div>", text)


# The command line

def test_cli_writes_the_page_and_prints_nothing(tmp_path, capsys):
    out = tmp_path / "e.html"
    status = cli.main([str(BASICS), "e", "--wrt", "a,b", "--html", str(out)])
    captured = capsys.readouterr()
    assert status == 0 and captured.out == "" and captured.err == ""
    text = out.read_text(encoding="utf-8")
    assert f"<title>srcdiff: {BASICS}</title>" in text
    assert "b_bar = b_bar + c_bar" in text


def test_cli_page_of_a_file_with_a_failing_function_shows_the_error(tmp_path, capsys):
    source = tmp_path / "mixed.py"
    source.write_text("def square(x):\n    return x * x\n\n\n"
                      "def guarded(x):\n    try:\n        y = x\n    except ValueError:\n"
                      "        y = 0.0\n    return y\n")
    out = tmp_path / "mixed.html"
    status = cli.main([str(source), "--html", str(out)])
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    assert "mixed.py:6:5: try/except cannot be differentiated" in captured.err
    text = out.read_text(encoding="utf-8")
    assert "<pre class=\"sd-error\">" in text and "try/except cannot be differentiated" in text
    assert text.count("<section class=\"sd-fn\" data-function=") == 1


def test_cli_cannot_write_the_page(tmp_path, capsys):
    status = cli.main([str(BASICS), "e", "--html", str(tmp_path / "missing" / "e.html")])
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    assert "cannot write the page: No such file or directory" in captured.err
    assert "Traceback" not in captured.err


def test_cli_page_errors_are_located(capsys):
    status = cli.main([str(BASICS), "nothing_here", "--html", "-"])
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    assert "no top-level function named 'nothing_here'" in captured.err


# The notebook view

def test_show_prints_the_derivative_source_in_a_console():
    shown = srcdiff.show(view_function_e, 2.0, 1.0, wrt=("a", "b"))
    expected = srcdiff.source(view_function_e, wrt=("a", "b"), args=(2.0, 1.0))
    assert repr(shown) == str(shown) == expected
    assert "def view_function_e_grad(a, b):" in expected


def test_show_renders_a_scoped_fragment_for_notebooks():
    shown = srcdiff.show(view_function_e, wrt=("a", "b"))
    first, second = shown._repr_html_(), shown._repr_html_()
    (view_id,) = re.findall(r'<div class="sd-view" id="(srcdiff-[0-9a-f]{12})">', first)
    assert view_id not in second
    assert "<!DOCTYPE" not in first and "<body>" not in first
    style = first[first.index("<style>") + len("<style>"):first.index("</style>")]
    rules = [line for line in style.splitlines() if "{" in line]
    assert rules and all(line.startswith((f"#{view_id} ", "@media")) for line in rules)
    assert f'document.getElementById("{view_id}")' in first
    assert "b_bar = b_bar + c_bar</div>" in first
    assert balanced(first)


def test_show_of_forward_mode_and_of_a_gradient_function():
    forward = srcdiff.show(view_function_e, mode="forward")
    assert "derivative (forward mode)" in forward._repr_html_()
    assert "def view_function_e_jvp(a, b, a_dot):" in repr(forward)
    grad = srcdiff.gradient(view_function_e, wrt="b")
    assert repr(srcdiff.show(grad)) == srcdiff.source(grad)


def test_show_refuses_a_bad_mode_with_a_hint():
    with pytest.raises(srcdiff.SrcdiffError, match="mode must be 'forward' or 'reverse'") as info:
        srcdiff.show(view_function_e, mode="sideways")
    assert info.value.hint
    frames = [str(entry.path) for entry in info.traceback]
    assert not any("srcdiff/views" in f or "srcdiff/driver" in f for f in frames)


def test_shown_views_hold_the_function_view():
    shown = srcdiff.show(view_function_e)
    assert [view.name for view in shown.views] == ["view_function_e"]
    assert isinstance(shown.views[0], page.FunctionView)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_show_draws_the_graph_below_the_view_where_graphviz_is_installed():
    shown = srcdiff.show(view_function_e, 2.0, 1.0, wrt=("a", "b"))
    fragment = shown._repr_html_()
    graph = fragment[fragment.index('<div class="srcdiff-graph">'):]
    assert "<svg" in graph and "= 3" in graph and "= 6" in graph
    assert fragment.index('<div class="sd-view"') < fragment.index('<div class="srcdiff-graph">')
