"""Every tangent template in the registry against central differences and the VJP.

The family constructors (``elementwise``, ``linear``, ``bilinear``, ``zero_derivative`` in
``srcdiff.primitives.families``) fill most primitives' JVP slots from what their table
lines say; the others (joins, extrema, products, moments, sorts, norms, ``np.linalg``)
declare theirs, some with forms that a selector picks by the call. Here each primitive is
called as in its representative cases of ``tests/test_rules.py``: at points away from its
kinks, the sum of its tangent templates, with a random tangent for each differentiable
argument, must equal the directional derivative that central differences give, and must
agree with the VJP (⟨u, J v⟩ computed both ways, through srcdiff's gradient of ⟨u, f⟩).
The primitives that take or return lists, which ``tests/test_rules.py`` leaves to other
files, are checked here at cases of their own (LIST_CASES), against both.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from test_rule_complex import REPRESENTATIVE, complex_sample
from test_rules import CASES, EXCLUDED, Generated, _present, draw_point, rule_id

import srcdiff
from srcdiff import runtime
from srcdiff.ir import avals
from srcdiff.ir import nodes as ir
from srcdiff.primitives import registry
from srcdiff.primitives.protocol import Refusal

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


@pytest.mark.parametrize("case", _jvp_cases())
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


COMPLEX_CASES = [pytest.param(c, id=rule_id(c.rule)) for c in REPRESENTATIVE
                 if c.rule.complex is not None and c.rule.jvp is not None]


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("case", COMPLEX_CASES)
def test_complex_tangents_match_central_differences(case):
    """Forward mode uses a rule's tangent templates for complex operands too wherever the
    rule supports them in reverse mode: with complex values and complex tangents, they
    must give the (R-linear) directional derivative, or refuse."""
    key = zlib.crc32(case.id.encode())
    rng = np.random.default_rng(key)
    generated = Generated(case, rng)
    rule = case.rule
    point = [complex_sample(rule.domain.get(p, "real"), generated.shape_of[p], rng)
             for p in generated.names]
    values = _arguments(generated, point)
    try:
        _call(rule, values)
    except Exception:  # the primitive itself rejects complex operands
        return
    tangents = {p: _like(values[p], rng) + 1j * _like(values[p], rng) for p in case.names
                if p in rule.params and rule.domain.get(p) != "int"}
    operand_avals = {p: avals.of_value(v) for p, v in values.items()}
    bound = {p: ir.Var(p) if p in tangents else ir.Const(v, repr(v)) for p, v in values.items()}
    chosen = rule.tangents(operand_avals, bound)
    if any(isinstance(t, Refusal) for p, t in zip(rule.params, chosen) if p in tangents):
        return
    jvp = _tangent_of(rule, values, tangents)

    def at(step):
        return np.asarray(_call(rule, {p: v + step * tangents[p] if p in tangents else v
                                       for p, v in values.items()}), dtype=complex)
    np.testing.assert_allclose(np.asarray(jvp, dtype=complex), (at(STEP) - at(-STEP)) / (
        2 * STEP), **TOLERANCE, err_msg=f"{rule.name} at {values}")


def _like(value, rng):
    if isinstance(value, np.ndarray):
        return rng.standard_normal(value.shape)
    return float(rng.standard_normal())


def test_every_rule_has_a_jvp():
    """Forward mode differentiates every primitive that reverse mode does: each table
    rule's JVP slot is filled (by its family, or by its own tangent templates)."""
    missing = sorted({rule_id(r) for r in srcdiff.primitives.REGISTRY
                      if not r.user and r.jvp is None})
    assert missing == []


def test_every_tangent_form_parses():
    """The JVP forms that selectors pick at compile time, their placeholders filled."""
    for rule in srcdiff.primitives.REGISTRY:
        allowed = rule.allowed() | {f"{p}_dot" for p in rule.params}
        for texts in rule.jvp_forms.values():
            registry.check_form(texts, allowed)


# the primitives of lists: (rule name, parameter count, the arguments, those with tangents)

def _values(rng, *shapes):
    return [rng.standard_normal(s) if s else float(rng.standard_normal()) for s in shapes]


LIST_CASES = {
    "concatenate-axis0": ("numpy.concatenate", 2, lambda r: {
        "arrays": _values(r, (2, 3), (1, 3)), "axis": 0}, ("arrays",)),
    "concatenate-axis1-int-item": ("numpy.concatenate", 2, lambda r: {
        "arrays": [*_values(r, (2, 3)), np.arange(4).reshape(2, 2)], "axis": 1}, ("arrays",)),
    "stack-axis1": ("numpy.stack", 2, lambda r: {
        "arrays": _values(r, (2, 3), (2, 3)), "axis": 1}, ("arrays",)),
    "hstack": ("numpy.hstack", 1, lambda r: {"tup": tuple(_values(r, (3,), (2,)))}, ("tup",)),
    "vstack": ("numpy.vstack", 1, lambda r: {"tup": _values(r, (3,), (2, 3))}, ("tup",)),
    "array-nested": ("numpy.array", 1, lambda r: {
        "a": [_values(r, None, None), [*_values(r, None), 2]]}, ("a",)),
    "array-of-arrays": ("numpy.array", 1, lambda r: {"a": _values(r, (3,), (3,))}, ("a",)),
    "split": ("numpy.split", 3, lambda r: {
        "ary": _values(r, (4, 3))[0], "indices_or_sections": 2, "axis": 0}, ("ary",)),
    "array_split": ("numpy.array_split", 3, lambda r: {
        "ary": _values(r, (2, 5))[0], "indices_or_sections": 3, "axis": 1}, ("ary",)),
    "slogdet": ("numpy.linalg.slogdet", 1, lambda r: {
        "a": _values(r, (2, 3, 3))[0] + 3 * np.eye(3)}, ("a",)),
    "sum-list": ("sum", 2, lambda r: {"iterable": [*_values(r, (3,), None), 4], "start": 0},
                 ("iterable",)),
    "sum-start": ("sum", 2, lambda r: {"iterable": _values(r, (3,), (3,)),
                                       "start": _values(r, (2, 3))[0]}, ("iterable", "start")),
    "sum-empty": ("sum", 2, lambda r: {"iterable": [], "start": _values(r, (3,))[0]},
                  ("start",)),
    "sum-rows": ("sum", 2, lambda r: {"iterable": _values(r, (4, 2))[0], "start": 1.5},
                 ("iterable",)),
}


def _rule(name, count):
    return next(r for r in srcdiff.primitives.REGISTRY
                if r.name == name and len(r.params) == count and not r.user)


def _random_tangent(value, rng):
    """A tangent for each float in ``value`` (lists and tuples of them too), None for an
    integer, as forward mode gives them."""
    if isinstance(value, (list, tuple)):
        return type(value)(_random_tangent(v, rng) for v in value)
    if isinstance(value, int):
        return None
    return _like(value, rng)


def _shifted(value, tangent, step):
    if isinstance(value, (list, tuple)):
        return type(value)(_shifted(v, t, step) for v, t in zip(value, tangent))
    return value if tangent is None else value + step * tangent


def _flat(value):
    """A list's or tuple's arrays as one vector, to compare and to pair with ``u``."""
    if isinstance(value, (list, tuple)):
        return np.concatenate([_flat(v) for v in value]) if value else np.zeros(0)
    return np.ravel(np.asarray(value, dtype=np.float64))


def _evaluated(templates, rule, values, extra):
    namespace = {"np": np, "math": math, "xp": np, **vars(runtime), **values,
                 "ans": _call(rule, values), **extra}
    return {p: eval(t.text, namespace) for p, t in zip(rule.params, templates)
            if t is not None and p in extra.get("_active", ())}


@pytest.mark.parametrize("label", list(LIST_CASES))
def test_list_primitives_tangents(label):
    """Their tangents against central differences, and ⟨u, J v⟩ against their adjoints'
    templates evaluated with the cotangent u."""
    name, count, make, active = LIST_CASES[label]
    rule = _rule(name, count)
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    values = make(rng)
    tangents = {p: _random_tangent(values[p], rng) for p in active}
    operand_avals = {p: avals.of_value(v) for p, v in values.items()}
    bound = {p: ir.Var(p) if p in tangents else ir.Const(v, repr(v)) for p, v in values.items()}
    extra = {f"{p}_dot": t for p, t in tangents.items()} | {"_active": active}
    parts = _evaluated(rule.tangents(operand_avals, bound), rule, values, extra)
    jvp = sum(_flat(part) for part in parts.values())

    def at(step):
        return _flat(_call(rule, {p: _shifted(v, tangents[p], step) if p in tangents else v
                                  for p, v in values.items()}))
    np.testing.assert_allclose(jvp, (at(STEP) - at(-STEP)) / (2 * STEP), **TOLERANCE)

    ans = _call(rule, values)
    u = rng.standard_normal(_flat(ans).shape)
    g = _unflattened(u, ans)
    adjoints = _evaluated(rule.select(operand_avals, bound), rule, values,
                          {"g": g, "_active": active})
    reverse = sum(float(_flat(_reduced(adjoints[p], values[p]))
                        @ _flat(_filled(tangents[p], values[p]))) for p in active)
    assert float(u @ jvp) == pytest.approx(reverse, rel=1e-9, abs=1e-12)


def _unflattened(u, like):
    """``u`` in the structure of ``like`` (a cotangent of a list result is a list)."""
    if isinstance(like, (list, tuple)):
        pieces, start = [], 0
        for item in like:
            size = np.size(item)
            pieces.append(_unflattened(u[start:start + size], item))
            start += size
        return list(pieces) if isinstance(like, list) else tuple(pieces)
    return u.reshape(np.shape(like)) if np.ndim(like) else float(u[0])


def _reduced(adjoint, value):
    """An item's adjoint summed back to its shape, as the container's adjoint does."""
    if isinstance(value, (list, tuple)):
        return [_reduced(a, v) for a, v in zip(adjoint, value)]
    return runtime.unbroadcast(adjoint, value)


def _filled(tangent, value):
    if isinstance(value, (list, tuple)):
        return [_filled(t, v) for t, v in zip(tangent, value)]
    return np.zeros(np.shape(value)) if tangent is None else tangent
