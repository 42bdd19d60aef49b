"""Every tangent template in the registry against central differences.

The family constructors (``elementwise``, ``linear``, ``bilinear``, ``zero_derivative`` in
``srcdiff.primitives.families``) fill each primitive's JVP slot from what its table line
says. Here each such primitive is called as in its representative cases of
``tests/test_rules.py``: at points away from its kinks, the sum of its tangent templates,
with a random tangent for each differentiable argument, must equal the directional
derivative that central differences give, and must agree with the VJP (⟨u, J v⟩ computed
both ways, through srcdiff's gradient of ⟨u, f⟩).
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from test_rules import CASES, EXCLUDED, Generated, _present, draw_point, rule_id

import srcdiff
from srcdiff import runtime
from srcdiff.ir import avals
from srcdiff.ir import nodes as ir

STEP = 1e-6
TOLERANCE = {"rtol": 1e-5, "atol": 1e-7}


def _jvp_cases():
    chosen = []
    for case in CASES:
        rule = case.rule
        if (case.problem is not None or case.dtype != "float64" or rule.jvp is None
                or rule_id(rule) in EXCLUDED or not case.names or not rule.has_vjp):
            continue
        chosen.append(pytest.param(case, id=case.id))
    return chosen


def _arguments(generated, point):
    """Every parameter's value: the case's point, its constants and literals, defaults."""
    rule = generated.case.rule
    namespace = {"np": np, "math": math, **generated.constants,
                 **dict(zip(generated.names, point))}
    present = _present(generated.case)
    return {p: eval(present[p], namespace) if p in present else rule.defaults[p]
            for p in rule.params}


def _tangent_of(rule, values, tangents):
    python = all(isinstance(v, (float, int)) for v in values.values())
    operand_avals = {p: avals.of_value(v) for p, v in values.items()}
    bound = {p: ir.Var(p) if p in tangents else ir.Const(v, repr(v)) for p, v in values.items()}
    templates = rule.tangents(operand_avals, bound)
    namespace = {"np": np, "math": math, "xp": math if python else np, **vars(runtime),
                 **values, "ans": _call(rule, values)}
    namespace.update((f"{p}_dot", t) for p, t in tangents.items())
    total = 0.0
    for param, template in zip(rule.params, templates):
        if template is not None and param in tangents:
            total = total + eval(template.text, namespace)
    return np.broadcast_to(total, np.shape(namespace["ans"]))


def _call(rule, values):
    positional = len(rule.params) if rule.positional is None else rule.positional
    return rule.fn(*[values[p] for p in rule.params[:positional]],
                   **{p: values[p] for p in rule.params[positional:]})


def _directional(rule, values, tangents):
    def at(step):
        moved = {p: v + step * tangents[p] if p in tangents else v for p, v in values.items()}
        return np.asarray(_call(rule, moved), dtype=np.float64)
    return (at(STEP) - at(-STEP)) / (2 * STEP)


@pytest.mark.parametrize("case", _jvp_cases())
def test_tangent_templates_match_central_differences(case):
    key = zlib.crc32(case.id.encode())
    rng = np.random.default_rng(key)
    generated = Generated(case, rng)
    rule = case.rule
    for seed in (0, 1):
        point = draw_point(generated, np.random.default_rng((key, seed)))
        values = _arguments(generated, point)
        tangents = {p: _like(values[p], rng) for p in case.names if p in rule.params}
        jvp = _tangent_of(rule, values, tangents)
        expected = _directional(rule, values, tangents)
        np.testing.assert_allclose(np.asarray(jvp, dtype=np.float64), expected, **TOLERANCE,
                                   err_msg=f"{rule.name} at {values}")


@pytest.mark.parametrize("case", _jvp_cases()[::7])
def test_tangents_agree_with_the_adjoint(case):
    """⟨u, J v⟩ from the tangent templates equals ⟨Jᵀ u, v⟩ from srcdiff's gradient of
    ``np.sum(u * f(...))``, the generated module's own weights being u."""
    key = zlib.crc32(case.id.encode())
    rng = np.random.default_rng(key)
    generated = Generated(case, rng)
    rule = case.rule
    point = draw_point(generated, np.random.default_rng((key, 5)))
    values = _arguments(generated, point)
    tangents = {p: _like(values[p], rng) for p in case.names if p in rule.params}
    forward = float(np.sum(generated.weights * _tangent_of(rule, values, tangents)))
    wrt = tuple(generated.names)
    grads = srcdiff.gradient(generated.fn, wrt=wrt)(*point)
    grads = grads if isinstance(grads, tuple) else (grads,)
    reverse = sum(float(np.sum(g * tangents[p])) for p, g in zip(wrt, grads) if p in tangents)
    assert forward == pytest.approx(reverse, rel=1e-9, abs=1e-12)


def _like(value, rng):
    if isinstance(value, np.ndarray):
        return rng.standard_normal(value.shape)
    return float(rng.standard_normal())


def test_the_families_cover_the_registry():
    """Most rules come from a family constructor and so have a JVP; the others (joins,
    cumulative products, the linear-algebra decompositions, sorts, norms) get theirs with
    forward mode. The count may only shrink."""
    missing = sorted({rule_id(r) for r in srcdiff.primitives.REGISTRY
                      if not r.user and r.jvp is None})
    assert len(missing) <= 45, missing
