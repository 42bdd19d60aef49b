"""Every rule's gradients have exactly their arguments' types, shapes and dtypes.

A Python float gets a float (not an int, a bool or a NumPy scalar), a NumPy scalar a NumPy
scalar of its dtype, a 0-d array a 0-d array of its dtype, an array an array of its shape and
dtype. ``tests/test_rules.py`` checks Python floats and float32 and float64 arrays at every
rule's cases; this file calls each rule that takes scalars with NumPy scalars and 0-d arrays
(float64 and float32), which NumPy's arithmetic turns into one another (a 0-d array plus
a float is a NumPy scalar; ``g * (x >= y)`` is a bool where ``g`` is 1.0), and checks the
values against finite differences too.

One function holds four copies of the call, whose parameters take the kinds in turn (x a
float32 scalar and y a 0-d array in one copy, the next pairing in the next), so that every
kind meets every parameter in one compilation.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from copies import Copies
from finite_diff import central_difference
from test_rules import CASES, EXCLUDED, Generated, draw_point, rule_id

import srcdiff
from srcdiff.primitives.registry import NONDIFF

KINDS = {
    "np.float64": np.float64,
    "np.float32": np.float32,
    "0-d float64": lambda v: np.array(v, dtype=np.float64),
    "0-d float32": lambda v: np.array(v, dtype=np.float32),
}
TOLERANCE = {"float64": {"rtol": 1e-5, "atol": 1e-7}, "float32": {"rtol": 2e-3, "atol": 1e-5}}


def _scalar_cases():
    chosen = {}
    for case in CASES:
        rule = case.rule
        if (case.problem is None and rule.kind != NONDIFF and rule_id(rule) not in EXCLUDED
                and case.names and all(shape is None for _, shape in case.shapes)):
            chosen.setdefault(rule_id(rule), case)
    return list(chosen.values())


def assignments(names):
    """Kind names for the parameters, one pairing per kind, rotating."""
    kinds = list(KINDS)
    return [tuple(kinds[(start + i) % len(kinds)] for i in range(len(names)))
            for start in range(len(kinds))]


@pytest.mark.parametrize("case", [pytest.param(c, id=rule_id(c.rule)) for c in _scalar_cases()])
def test_numpy_scalar_kinds(case):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    generated = Generated(case, rng)
    point = draw_point(generated, rng)
    copies = Copies([generated] * len(KINDS), rng)
    domains = [case.rule.domain.get(p) for p in generated.names] * len(KINDS)
    kinds = [k for pairing in assignments(generated.names) for k in pairing]
    args = tuple(v if domain == "int" else KINDS[kind](v)
                 for v, kind, domain in zip(point * len(KINDS), kinds, domains))
    grads = srcdiff.gradient(copies.fn, wrt=tuple(copies.names))(*args)
    reference = tuple(v if isinstance(v, int) else float(v) for v in args)
    for index, (name, grad, arg, kind) in enumerate(zip(copies.names, grads, args, kinds)):
        if domains[index] == "int":
            continue
        context = f"d/d{name}, a {kind}\n{copies.source}"
        got = (type(grad), np.shape(grad), getattr(grad, "dtype", None))
        assert got == (type(arg), np.shape(arg), arg.dtype), f"gradient {got}\n{context}"
        slope = central_difference(copies.fn, reference, index)
        np.testing.assert_allclose(float(grad), slope, err_msg=context,
                                   **TOLERANCE[arg.dtype.name])
