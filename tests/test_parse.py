"""Finding a function's source. A top-level ``def`` is read without parsing its whole file:
its block and the module's top-level imports are parsed alone, and used only where they
compile to exactly the code that runs; every other case parses the whole file."""

import inspect
import math

import gast
import pytest

from srcdiff import SrcdiffError, gradient
from srcdiff.frontend import parse

PADDING = "".join(f"def helper_{i}(x):\n    return x * {i}.0\n\n\n" for i in range(40))


def _whole_file_parses():
    return parse._parsed.cache_info().misses


def test_a_top_level_function_is_read_without_parsing_its_file(module_from):
    mod = module_from("import math\n\n\n" + PADDING + "def e(a, b):\n"
                      "    return (a + b) * math.cos(b)\n")
    before = _whole_file_parses()
    source, node = parse.function_source(mod.e)
    assert _whole_file_parses() == before
    assert node.name == "e" and node.lineno == 164
    assert source.located.line(node.lineno) == "def e(a, b):"
    assert gradient(mod.e)(2.0, 0.0) == pytest.approx(1.0)


def test_imports_over_several_lines_are_read_with_the_block(module_from):
    mod = module_from("import math\nfrom math import (\n    cos,\n    sin,\n)\n\nSCALE = 2.0\n"
                      "import numpy as np  # late\n\n\n" + PADDING + "def e(a, b):\n"
                      "    return np.float64(SCALE) * cos(a) * sin(b) + math.pi\n")
    before = _whole_file_parses()
    source, node = parse.function_source(mod.e)
    assert _whole_file_parses() == before
    assert source.located.line(node.lineno) == "def e(a, b):"
    # the file's own tree, should anything need it, is the whole file's, parsed then
    assert [stmt.lineno for stmt in source.module.body][:4] == [1, 2, 7, 8]
    assert _whole_file_parses() == before + 1
    assert gast.dump(node, include_attributes=True) == gast.dump(
        source.tree.body[-1], include_attributes=True)  # the block at its own lines
    assert gradient(mod.e, wrt=(0, 1))(0.0, 0.0) == pytest.approx((0.0, 2.0))


@pytest.mark.parametrize("text, args, expected", [
    ('import numpy as np\n\n\ndef f(x):\n    s = """\ncolumn zero\n"""\n'
     "    return np.sin(x) * len(s)\n", (0.0,), 13.0),
    ("def f(\n    x,\n    y=2.0,\n):\n    return x * y\n", (3.0,), 2.0),
    ("import functools\n\n\n@functools.lru_cache\n@staticmethod\ndef g(x):\n    return x\n\n\n"
     "def f(x):\n    return x * x\n", (3.0,), 6.0),
    ("try:\n    import numpy as np\nexcept ImportError:\n    np = None\n\n\ndef f(x):\n"
     "    return np.sum(np.sin(x))\n", (0.0,), 1.0),
    ("class A:\n    @staticmethod\n    def f(x):\n        return 3.0 * x\n\n\nf = A.f\n",
     (1.0,), 3.0),
], ids=["column-0 text in a string", "signature over lines", "decorators before",
        "import in a try", "method"])
def test_unusual_layouts_are_read_right(module_from, text, args, expected):
    mod = module_from(text)
    assert gradient(mod.f)(*args) == pytest.approx(expected)


def test_a_changed_top_level_function_is_still_refused(module_from):
    mod = module_from("def f(x):\n    return x * 2.0\n")
    with open(mod.__file__, "w") as handle:
        handle.write("def f(x):\n    return x * 3.0\n")
    with pytest.raises(SrcdiffError, match="changed since it was imported"):
        gradient(mod.f)(1.0)


@pytest.mark.parametrize("data", [
    b"def f(x):\n    return x\n", b"def f(x):\n    return x", b"def f(x):\r\n    return x\r\n",
    b"def f(x):\r    return x\r", b"# a\x0c page\ndef f(x):\n    return x\n",
    b"\xef\xbb\xbfdef f(x):\n    return x\n", b"# -*- coding: latin-1 -*-\ns = '\xe9'\n",
    "s = 'a\u2028b'\n".encode(), b"", b"s = '\xff'\n",
], ids=["plain", "no final newline", "crlf", "cr", "form feed", "bom", "latin-1", "u2028",
        "empty", "undecodable"])
def test_a_file_is_read_into_lines_as_linecache_reads_it(tmp_path, data):
    import linecache

    path = str(tmp_path / "module.py")
    with open(path, "wb") as handle:
        handle.write(data)
    mine = parse.source_lines(path)
    cached = linecache.cache.pop(path, None)
    assert mine == linecache.getlines(path)
    assert cached is None or cached == linecache.cache[path]


@pytest.mark.parametrize("separator", ["\x0c", "\x1c", "\u2028", "\x85", "\x0b"],
                         ids=["form feed", "file separator", "u2028", "nel", "vertical tab"])
@pytest.mark.parametrize("nested", [False, True], ids=["top level", "method"])
def test_a_character_that_str_splitlines_breaks_at_ends_no_line(module_from, separator,
                                                                 nested):
    """Python ends lines at newlines alone: a form feed in a comment (an old page break)
    or a U+2028 in a string must not shift the lines that spellings and comments quote."""
    body = ("    y = x * 2.0\n"
            f"    s = 'a{separator}b'\n"
            "    return y * math.sin(x) + len(s)\n")
    if nested:
        text = (f"import math\n# page one{separator} page two\n\n\nclass A:\n"
                "    @staticmethod\n    def f(x):\n"
                + "".join("    " + line + "\n" for line in body.split("\n")[:-1]) + "\n\nf = A.f\n")
    else:
        text = f"import math\n# page one{separator} page two\n\n\ndef f(x):\n" + body
    mod = module_from(text)
    g = gradient(mod.f)
    assert g(1.0) == pytest.approx(2.0 * math.sin(1.0) + 2.0 * math.cos(1.0))
    shown = inspect.getsource(g)
    assert "# return y * math.sin(x) + len(s)   (line " in shown
    source, node = parse.function_source(mod.f)
    assert source.located.line(node.lineno).strip() == "def f(x):"
    assert list(source.lines) == parse.parse_text(text, "<same text>").lines
    assert len(source.lines) == text.count("\n")


def test_a_syntax_error_quotes_its_own_line():
    with pytest.raises(SrcdiffError) as raised:
        parse.parse_text("# one\x0c two\nx = (\n", "broken.py")
    assert raised.value.lineno == 2
    assert "x = (" in str(raised.value)
