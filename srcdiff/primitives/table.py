"""The coverage table: ``python -m srcdiff.primitives.table`` prints docs/rules.md from the
registry, ``--write`` writes it (a test checks that the file is up to date)."""

from __future__ import annotations

import argparse
import pathlib
import string

import numpy as np

from . import REGISTRY
from .registry import HOLOMORPHIC, Refusal

FAMILIES = {
    "arith": "Python operators",
    "builtins": "Python builtins",
    "math": "The math module",
    "numpy": "NumPy, elementwise",
    "reductions": "NumPy, reductions",
    "shapes": "NumPy, shapes and data movement",
    "linalg": "NumPy, products and linear algebra",
    "creation": "NumPy, creation and inactive queries",
    "helpers": "srcdiff's runtime helpers (what generated code calls)",
    "forward_helpers": "srcdiff's runtime helpers for forward mode (what its code calls)",
    "every_order": "srcdiff's runtime helpers with derivatives of every order (dual numbers, "
                   "einsum_like)",
    "spectral": "srcdiff's runtime helpers for eigenvalues and singular values (both modes, "
                "every order)",
    "linalg_orders": "srcdiff's runtime helpers for derivatives of higher order of "
                     "np.linalg.cholesky and np.linalg.det",
}
PLACEHOLDERS = {
    "axis": "the literal axis",
    "n": "the number of elements reduced (`a.shape[0]`, `a.size`)",
    "m": "that number less `ddof`",
    "ord": "the literal order",
    "inverse": "the inverse permutation of `axes`",
    "lead": "the stacked axes of `a`",
    "g_b": "`g`'s axes from `b`",
    "b_free": "`b`'s free axes",
    "a_free": "`a`'s free axes",
    "g_a": "`g`'s axes from `a`",
}
HEADER = """# Derivative rules

Generated from the rule registry by `python -m srcdiff.primitives.table --write`; do not edit.

{summary}

Each rule gives the adjoint of every argument that has one (`x_bar` for the argument `x`) as
the code srcdiff emits for it: `g` is the adjoint of the result, `ans` the result, and other
names are the arguments. Helpers such as `unbroadcast` and `tie_weights` are in `srcdiff.runtime`.
Elementwise rules give adjoints of the result's shape, which srcdiff sums back over broadcast
axes. Where a rule has several forms, srcdiff picks one by the operands' ranks and the call's
literal arguments (`axis=0`, `keepdims=True`); in forms, {{name}} is filled in when the
derivative is compiled: {legend}. An argument without a line has no adjoint; a function
marked *inactive* has none at all.

The column *complex* says what happens to complex operands (see the README's convention,
`z_bar = dL/dx - i dL/dy`): *holomorphic* rules keep their templates, rules with a
*complex:* form use it, and the others refuse complex operands with an error.
"""


def numpy_names():
    """Public names in ``numpy`` and ``numpy.linalg`` whose object has a rule."""
    names = set()
    for prefix, module in (("numpy.", np), ("numpy.linalg.", np.linalg)):
        for attr in dir(module):
            if attr.startswith("_"):
                continue
            try:
                obj = getattr(module, attr)
            except AttributeError:
                continue
            if callable(obj) and obj in REGISTRY:
                names.add(prefix + attr)
    return names


def summary():
    rules = [r for r in REGISTRY if not r.user]
    numpy_fns = {id(r.fn) for r in rules if r.name.startswith("numpy.")}
    inactive = sum(1 for r in rules if r.kind == "nondiff")
    return (f"{len(rules)} rules ({inactive} of them for inactive functions) for "
            f"{len({id(r.fn) for r in rules})} functions and operators; "
            f"{len(numpy_fns)} NumPy functions, reachable under {len(numpy_names())} public "
            "NumPy names (aliases such as `np.abs` and `np.absolute` counted apiece).")


def _code(text):
    return "`" + text.replace("|", "\\|") + "`"


def _lines(rule, templates):
    return [_code(f"{p}_bar = {t if isinstance(t, str) else t.text}")
            for p, t in zip(rule.params, templates) if t is not None and not isinstance(
                t, Refusal)]


def _ndims(ndims):
    return ", ".join(f"{n}-d" for n in ndims)


def reverse_rule(rule):
    if rule.kind == "nondiff":
        return "*inactive*"
    if isinstance(rule.complex, tuple):
        return "<br>".join([_plain(rule), "*complex:* " + "; ".join(
            _lines(rule, rule.complex))])
    return _plain(rule)


def _plain(rule):
    if not rule.forms and not rule.cases:
        return "<br>".join(_lines(rule, rule.templates))
    parts = []
    for case in rule.cases:
        parts.append(f"*{_ndims(case.ndims)}:* " + "; ".join(_lines(rule, case.templates)))
    default = tuple(t.text if t is not None else None for t in rule.templates)
    for label, texts in rule.forms.items():
        if tuple(texts) == default:
            continue
        parts.append(f"*{label}:* " + ("; ".join(_lines(rule, texts)) or "no adjoint"))
    parts.append("*otherwise:* " + "; ".join(_lines(rule, rule.templates)))
    return "<br>".join(parts)


def complex_support(rule):
    if rule.kind == "nondiff":
        return ""
    if rule.complex == HOLOMORPHIC:
        return "holomorphic"
    return "refused" if rule.complex is None else "own form"


def signature(rule):
    if rule.symbol is not None:
        return _code(rule.name)
    params = []
    for index, p in enumerate(rule.params):
        if rule.positional is not None and index == rule.positional:
            params.append("*")
        text = p if p not in rule.defaults else f"{p}={rule.defaults[p]!r}"
        params.append(text)
        if rule.positional_only and index == rule.positional_only - 1:
            params.append("/")
    return _code(f"{rule.name}({', '.join(params)})")


def render():
    fields = {f for r in REGISTRY for texts in r.forms.values() for t in texts if t
              for _, f, _, _ in string.Formatter().parse(t) if f}
    legend = "; ".join(f"`{{{name}}}` {PLACEHOLDERS.get(name, name)}"
                       for name in sorted(fields))
    out = [HEADER.format(summary=summary(), legend=legend)]
    sections = list(FAMILIES.items())
    others = sorted({r.family for r in REGISTRY if r.family not in FAMILIES and not r.user})
    sections += [(family, f"Other rules ({family or 'unknown module'})") for family in others]
    for family, title in sections:
        rules = [r for r in REGISTRY if r.family == family and not r.user]
        if not rules:
            continue
        out.append(f"## {title}\n")
        out.append(f"From `srcdiff/primitives/{family}.py`.\n")
        out.append("| function | reverse rule | complex | notes |")
        out.append("|---|---|---|---|")
        for rule in rules:
            notes = rule.notes.replace("|", "\\|")
            if rule.views:
                viewed = (" or ".join(rule.views) if isinstance(rule.views, tuple)
                          else "its operand")
                notes = "; ".join(n for n in (notes, f"may return a view of {viewed}") if n)
            out.append(f"| {signature(rule)} | {reverse_rule(rule)} | {complex_support(rule)} "
                       f"| {notes} |")
        out.append("")
    out.append(structural())
    return "\n".join(out)


def structural():
    """The structural primitives: one row per form, with what walking back over it does."""
    out = ["## Structural primitives\n",
           "Made for each call site, since their operands depend on it (`x[i, j]` has two "
           "index operands). Their VJP is a method of the reverse sweep that each one names "
           "(`srcdiff/primitives/protocol.py`).\n",
           "| form | primitive | adjoint |", "|---|---|---|"]
    for form, rule in REGISTRY.structural.items():
        text = rule.adjoint_text.replace("|", "\\|")
        out.append(f"| {_code(form)} | {type(rule).__name__} | {text} |")
    out.append("")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write docs/rules.md")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        path = pathlib.Path(__file__).resolve().parents[2] / "docs" / "rules.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
