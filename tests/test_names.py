"""One module decides every generated name (``srcdiff/ir/names.py``)."""

import pathlib
import re

from srcdiff.ir import names

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "srcdiff"


def test_conventions():
    user = {"x", "y_bar", "y_bar_"}
    assert names.adjoint("x", user) == "x_bar"
    assert names.adjoint("y", user) == "y_bar__"
    assert names.tape("x", user) == "x_tape"
    assert names.new_value("x", user) == "x_new"
    assert names.inlined("g", "v") == "g_v"
    assert names.part("t3_bar", "index") == "t3_bar_index"


def test_numbered_and_temporaries_claim_what_they_give():
    taken = {"y", "y_2", "t1", "t3"}
    assert names.numbered("y", taken) == "y_3"
    assert names.numbered("z", taken) == "z"
    assert names.numbered("z", taken) == "z_2"
    assert names.numbered("w", taken, first=2) == "w_2"
    assert names.temporary(0, taken) == ("t2", 2)
    assert names.temporary(2, taken) == ("t4", 4)
    assert {"y_3", "z", "z_2", "w_2", "t2", "t4"} <= taken


def test_no_other_module_spells_a_generated_suffix():
    """The suffixes of generated names appear in ``ir/names.py`` alone."""
    pattern = re.compile(r"""["'](_bar|_tape|_new|_dot)["']""")
    found = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
             if path.name != "names.py" and pattern.search(path.read_text())]
    assert not found, found
