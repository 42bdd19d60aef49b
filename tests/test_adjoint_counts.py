"""The adjoint statement counts of the seed examples, against their hand derivations and
against the table in docs/adjoint-counts.md (which must say what srcdiff prints)."""

import pathlib
import re

import numpy as np
import pytest

import srcdiff
from srcdiff import cli

ROOT = pathlib.Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "golden"
TABLE = ROOT / "docs" / "adjoint-counts.md"


LOSS_KINDS = ["w1=array[h, n]", "w2=array[k, h]", "x=array[n]", "y=array[k]"]


def printed(capsys, file, name, *options):
    status = cli.main([str(GOLDEN / file), name, *options])
    assert status == 0
    return capsys.readouterr().out


def adjoint_statements(text):
    """The statements after the forward sweep: from the first comment naming a source
    line to the return, without comments."""
    body = text.splitlines()
    start = next(k for k, line in enumerate(body) if re.match(r"\s+# .*\(line \d+\)$", line))
    end = max(k for k, line in enumerate(body) if line.strip().startswith("return "))
    return [line for line in body[start:end] if not line.strip().startswith("#")]


def reversed_loop_body(text):
    body = text.splitlines()
    start = next(k for k, line in enumerate(body) if "in reversed(" in line)
    indent = len(body[start]) - len(body[start].lstrip()) + 4
    lines = []
    for line in body[start + 1:]:
        if len(line) - len(line.lstrip()) < indent:
            break
        if not line.strip().startswith("#"):
            lines.append(line)
    return lines


COUNTS = {
    "e = (a+b)(b+1)": (adjoint_statements, "seeds.py", "e", "--wrt", "a,b"),
    "sqrt(3 sin x)": (adjoint_statements, "seeds.py", "f"),
    "the tanh MLP loss": (adjoint_statements, "seeds.py", "loss", "--wrt", "w1,w2",
                          *(f"--arg={kind}" for kind in LOSS_KINDS)),
    "the many_sines reversed loop body": (reversed_loop_body, "flow.py", "many_sines"),
}


def counted(name, capsys):
    part, *command = COUNTS[name]
    return part(printed(capsys, *command))


def table():
    rows = {}
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[2].isdigit():
            name = next(key for key in COUNTS if cells[0].startswith(key))
            rows[name] = int(cells[2]), int(cells[3])
    return rows


@pytest.mark.parametrize("name", COUNTS)
def test_adjoint_statements_are_no_more_than_by_hand(name, capsys):
    hand, documented = table()[name]
    count = len(counted(name, capsys))
    assert count <= hand
    assert count == documented, f"docs/adjoint-counts.md says {documented}, srcdiff prints {count}"


def test_the_delta_rule_reads_as_in_the_seed(capsys):
    statements = counted("the tanh MLP loss", capsys)
    assert statements[0].strip() == "yhat_bar = t1"
    assert not any("1.0 *" in s for s in statements)


def test_constant_factors_fold_across_statements():
    """``t8_bar = 0.5 * E_bar`` then ``t6_bar = 2.0 * t8_bar * t6`` reads ``E_bar * t6``."""
    import numpy as np

    import srcdiff

    def cost(w, xs, ys):
        E = 0.0
        for x, y in zip(xs, ys):
            E = E + 0.5 * np.sum((w * x - y) ** 2)
        return E

    rng = np.random.default_rng(0)
    w, xs, ys = rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    text = srcdiff.source(cost, args=(w, xs, ys))
    adjoints = [line for line in text.split("for k in reversed(")[1].splitlines()
                if not line.strip().startswith("#")]
    assert not any("0.5 *" in line or "2.0 *" in line for line in adjoints)
    assert any(" = E_bar * " in line for line in adjoints)
    gradient = srcdiff.gradient(cost)(w, xs, ys)
    np.testing.assert_allclose(gradient, np.sum((w * xs - ys) * xs, axis=0), rtol=1e-12)


def half_square(x):
    return 0.5 * np.sum(x ** 2)


def test_no_unit_factor_where_the_gradient_copies_an_argument():
    """``x_bar = 1.0 * x`` kept the caller's array out of the gradient; it reads
    ``x_bar = x.copy()``, and the gradient still shares no memory with ``x``."""
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    text = srcdiff.source(half_square, args=(x,))
    assert "x_bar = x.copy()" in text and "1.0 *" not in text
    grad = srcdiff.gradient(half_square)(x)
    assert grad.dtype == np.float32 and not np.shares_memory(grad, x)
    np.testing.assert_array_equal(grad, x)
