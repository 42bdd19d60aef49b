"""The rules of srcdiff's runtime helpers that ``tests/test_rules.py`` cannot call: those that
take or give tuples and lists, those with an argument that is a result computed from another
one (``cumprod_vjp``'s ``p`` is ``np.cumprod(a)``), the casts to float32
and complex types, and the checks run for their effect.

Each case calls the helper's rule as forward mode and reverse mode use it: the sum of its
tangent templates, with a random tangent for each argument that varies, must equal the
directional derivative that central differences give (arguments computed from others are
computed again at each step), and its adjoint templates must agree with the tangents
(``<g, J t>`` both ways). Then the special cases the helpers exist for are checked exactly,
and every helper of ``srcdiff.runtime`` is shown to have a rule.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib

import numpy as np
import pytest

from srcdiff import runtime
from srcdiff.ir import avals
from srcdiff.ir import nodes as ir
from srcdiff.primitives import REGISTRY
from srcdiff.primitives.effects import EffectRule
from srcdiff.primitives.every_order import cumprod_derivative, cumprod_gradient
from srcdiff.primitives.registry import NONDIFF, TRANSPOSED, Refusal

STEP = 1e-6
TOLERANCE = {"rtol": 1e-6, "atol": 1e-8}


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [np.asarray(tree)]


def _map(fn, tree, *others):
    if isinstance(tree, dict):
        return {k: _map(fn, tree[k], *(o[k] for o in others)) for k in tree}
    if isinstance(tree, (list, tuple)):
        items = [_map(fn, item, *(o[i] for o in others)) for i, item in enumerate(tree)]
        return type(tree)(items)
    return fn(tree, *others)


def _inner(a, b):
    return sum(float(np.sum(np.real(x * y))) for x, y in zip(_leaves(a), _leaves(b)))


def _random_like(tree, rng):
    return _map(lambda x: rng.standard_normal(np.shape(x)) if np.ndim(x)
                else float(rng.standard_normal()), tree)


class Call:
    """One call of a helper: its arguments, the ones that vary, and how arguments computed
    from others are made (``tied(values)`` returns them)."""

    def __init__(self, fn, varying, tied=None, arity=None, **values):
        self.fn, self.varying, self.tied, self.values = fn, varying, tied, values
        rules = [r for r in REGISTRY.lookup(fn)
                 if arity is None or len(r.params) == arity]
        self.rule = rules[0]

    def full(self, values):
        values = dict(values)
        if self.tied is not None:
            values.update(self.tied(values))
        return {**self.rule.defaults, **values}

    def call(self, values):
        rule = self.rule
        full = self.full(values)
        positional = len(rule.params) if rule.positional is None else rule.positional
        return rule.fn(*[full[p] for p in rule.params[:positional]],
                       **{p: full[p] for p in rule.params[positional:] if p in values})

    def namespace(self, values):
        full = self.full(values)
        return {"np": np, "math": math, "xp": np, **vars(runtime), **full,
                "ans": self.call(values)}

    def _avals_bound(self, values):
        full = self.full(values)
        operand_avals = {p: avals.of_value(v) for p, v in full.items()}
        bound = {p: ir.Var(p) if p in self.varying or p in self._tied_names(values)
                 else ir.Const(v, repr(v)) for p, v in full.items()}
        return operand_avals, bound

    def _tied_names(self, values):
        return set(self.tied(values)) if self.tied is not None else set()

    def tangent(self, values, tangents):
        operand_avals, bound = self._avals_bound(values)
        templates = self.rule.tangents(operand_avals, bound)
        namespace = self.namespace(values)
        namespace.update((f"{p}_dot", tangents.get(p, 0.0)) for p in self.rule.params)
        total = None
        for param, template in zip(self.rule.params, templates):
            if param not in tangents or template is None:
                continue
            assert not isinstance(template, Refusal), (self.rule.name, param)
            part = eval(template.text, namespace)
            total = part if total is None else runtime.add_tree(total, part)
        return total

    def adjoints(self, values, g):
        operand_avals, bound = self._avals_bound(values)
        templates = self.rule.select(operand_avals, bound)
        namespace = {**self.namespace(values), "g": g}
        return {p: eval(t.text, namespace) for p, t in zip(self.rule.params, templates)
                if p in self.varying and t is not None and not isinstance(t, Refusal)}

    def directional(self, values, tangents):
        def at(step):
            moved = {p: _map(lambda v, t: v + step * t, v, tangents[p]) if p in tangents
                     else v for p, v in values.items()}
            return self.call(moved)
        up, down = at(STEP), at(-STEP)
        return _map(lambda u, d: (np.asarray(u) - np.asarray(d)) / (2 * STEP), up, down)


def _values_of(case):
    return dict(case.values)


def _check(case, seed):
    rng = np.random.default_rng(seed)
    values = _values_of(case)
    tangents = {p: _random_like(values[p], rng) for p in case.varying}
    jvp = case.tangent(values, tangents)
    expected = case.directional(values, tangents)
    for got, want in zip(_leaves(jvp), _leaves(expected)):
        np.testing.assert_allclose(np.asarray(got, dtype=complex), want, **TOLERANCE,
                                   err_msg=case.rule.name)
    g = _random_like(case.call(values), rng)
    adjoints = case.adjoints(values, g)
    if adjoints:
        backward = sum(_inner(adjoints[p], tangents[p]) for p in adjoints)
        forward = _inner(g, case.tangent(values, {p: tangents[p] for p in adjoints}))
        assert backward == pytest.approx(forward, rel=1e-6, abs=1e-9), case.rule.name


RNG = np.random.default_rng(7)
A23 = RNG.uniform(0.5, 1.5, (2, 3)) * np.array([[1, -1, 1], [-1, 1, 1]])
V23 = RNG.standard_normal((2, 3))
X4 = np.array([0.8, -1.3, 0.4, 2.2])
M32 = np.array([[1.2, -0.4], [0.3, 0.9], [-0.7, 1.6]])
M33 = np.array([[2.0, 0.3, -0.5], [0.1, 1.4, 0.7], [-0.6, 0.2, 0.9]])


def _cumprod(axis, include=False):
    def tied(values):
        a = values["a"]
        if include:
            flat = np.ravel(a) if axis is None else a
            return {"p": np.cumulative_prod(flat, axis=0 if axis is None else axis,
                                            include_initial=True)}
        return {"p": np.cumprod(a, axis)}
    return tied


def _norm(ord=None, axis=None, keepdims=False, vector=False, name="r"):
    def tied(values):
        x = values["x"]
        if vector:
            return {name: np.linalg.vector_norm(x, axis=axis, keepdims=keepdims,
                                                ord=2 if ord is None else ord)}
        return {name: np.linalg.norm(x, ord, axis, keepdims)}
    return tied


ZEROED = np.array([[0.8, 0.0, -1.1], [0.5, 1.3, 0.0]])

CASES = [
    # arguments computed from another one: followed by its rule
    Call(runtime.cumprod_vjp, ("v", "a"), _cumprod(None), v=np.ones(6) * [1, -2, 3, 1, 0.5, 2],
         a=A23),
    Call(runtime.cumprod_vjp, ("v", "a"), _cumprod(1), v=V23, a=A23, axis=1),
    Call(runtime.cumprod_vjp, ("v", "a"), _cumprod(1), v=V23, a=ZEROED, axis=1),
    Call(runtime.cumprod_vjp, ("v", "a"), _cumprod(0, include=True), v=np.ones((3, 3)),
         a=A23, axis=0, include_initial=True),
    *[Call(runtime.norm_vjp, ("v", "x"), _norm(ord), v=1.3, x=X4, ord=ord)
      for ord in (None, 2, 1, 3, -1, 0.5, np.inf, -np.inf, 0)],
    Call(runtime.norm_vjp, ("v", "x"), _norm(None, 1), v=np.array([0.7, -1.1]), x=A23, axis=1),
    Call(runtime.norm_vjp, ("v", "x"), _norm(3, 0, True), v=np.array([[0.7, -1.1, 2.0]]),
         x=A23, ord=3, axis=0, keepdims=True),
    *[Call(runtime.norm_vjp, ("v", "x"), _norm(ord), v=0.9, x=M33, ord=ord)
      for ord in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)],
    Call(runtime.norm_vjp, ("v", "x"), _norm("nuc", (0, 1)), v=0.9, x=M32, ord="nuc",
         axis=(0, 1)),
    Call(runtime.norm_vjp, ("v", "x"), _norm(2, (1, 0)), v=0.9, x=M32.T, ord=2, axis=(1, 0)),
    Call(runtime.norm_vjp, ("v", "x"), _norm(None, None, vector=True), v=0.8, x=A23,
         vector=True),
    Call(runtime.norm_tangent, ("t",), _norm(3, name="r"), x=X4, t=X4 * 0, ord=3),
    Call(runtime.norm_tangent, ("t",), _norm("nuc", name="r"), x=M33, t=M33 * 0, ord="nuc"),
    Call(runtime.norm_hvp, ("t",), _norm(None, name="r"), v=1.7, x=X4, t=X4 * 0),
    Call(runtime.norm_hvp, ("t",), _norm(-2, name="r"), v=1.7, x=M33, t=M33 * 0, ord=-2),
    # forward mode's helpers, with the arguments computed from another one tied to it
    Call(runtime.cumprod_jvp, ("t", "a"), _cumprod(None), t=V23, a=A23),
    Call(runtime.cumprod_jvp, ("t", "a"), _cumprod(1), t=V23, a=A23, axis=1),
    Call(runtime.cumprod_jvp, ("t", "a"), _cumprod(1), t=V23, a=ZEROED, axis=1),
    Call(runtime.cumprod_jvp, ("t", "a"), _cumprod(0, include=True), t=V23, a=A23, axis=0,
         include_initial=True),
    *[Call(runtime.norm_jvp, ("t", "x"), _norm(ord), t=X4[::-1], x=X4, ord=ord)
      for ord in (None, 2, 1, 3, -1, 0.5, np.inf, -np.inf, 0)],
    Call(runtime.norm_jvp, ("t", "x"), _norm(None, 1), t=V23, x=A23, axis=1),
    Call(runtime.norm_jvp, ("t", "x"), _norm(3, 0, True), t=V23, x=A23, ord=3, axis=0,
         keepdims=True),
    *[Call(runtime.norm_jvp, ("t", "x"), _norm(ord), t=M33.T, x=M33, ord=ord)
      for ord in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)],
    Call(runtime.norm_jvp, ("t", "x"), _norm("nuc", (0, 1)), t=M32[::-1], x=M32, ord="nuc",
         axis=(0, 1)),
    Call(runtime.norm_jvp, ("t", "x"), _norm(None, None, vector=True), t=V23, x=A23,
         vector=True),
    *[Call(runtime.norm_jvp2, ("t", "s"), _norm(ord), x=X4, t=X4 * 0, s=X4 * 0, ord=ord)
      for ord in (None, 3, 1)],
    *[Call(runtime.norm_jvp2, ("t", "s"), _norm(ord), x=M33, t=M33 * 0, s=M33 * 0, ord=ord)
      for ord in ("nuc", 2, -2)],
    Call(runtime.norm_jvp2, ("t", "s"), _norm(None, 1), x=A23, t=V23, s=V23, axis=1),
    Call(runtime.filled_tangents, ("tangents",), tangents=[np.arange(2.0), (1.5, np.ones(2))],
         items=[np.zeros(2), (1.0, np.zeros(2))]),
    Call(runtime.sum_tangents, ("tangents",), tangents=[V23, 1.5, np.ones(3)],
         items=[V23, 0.5, np.ones(3)], ans=np.zeros((2, 3))),
    Call(runtime.sum_tangents, ("tangents",), tangents=(X4[:3], X4[1:]),
         items=(np.zeros(3), np.zeros(3)), ans=np.zeros((2, 3))),
    Call(runtime.sum_tangents, ("tangents",), tangents=V23, items=A23, ans=np.zeros(3)),
    Call(runtime.sum_tangents, ("tangents",), tangents=V23, items=A23, ans=np.zeros((2, 3))),
    Call(runtime.sum_tangents, ("tangents",), tangents=[0.5, -1.5], items=[2.0, 3.0], ans=5.0),
    # containers
    Call(runtime.one_hot, ("v",), x=[1.0, np.zeros(3), 2.0], key=1, v=np.arange(3.0)),
    Call(runtime.one_hot, ("v",), x=(1.0, 2.0), key=0, v=0.5),
    Call(runtime.one_hot, ("v",), x={"w": np.zeros(2), "b": 0.0}, key="b", v=0.5),
    Call(runtime.add_tree, ("a", "b"), a=[1.0, np.arange(2.0)], b=[0.5, np.ones(2)]),
    Call(runtime.add_tree, ("a", "b"), a={"w": np.ones(2), "b": 1.0},
         b={"w": np.arange(2.0), "b": -1.0}),
    Call(runtime.spread, ("v",), v=np.arange(3.0), items=[np.zeros(3), np.ones(3)]),
    Call(runtime.spread, ("v",), v=1.5, items=(1.0, 2.0, 3.0)),
    Call(runtime.unspread, ("items",), items=[np.arange(3.0), np.ones(3)], like=np.zeros(3)),
    Call(runtime.unspread, ("items",), items=(1.0, 2.0, 4.0), like=0.0),
    Call(runtime.split_like, ("v",), v=np.arange(10.0).reshape(2, 5),
         arrays=[np.zeros((2, 2)), np.zeros((2, 3))], axis=1),
    Call(runtime.unstack_like, ("v",), v=V23, arrays=(np.zeros(3), np.zeros(3))),
    Call(runtime.split_hstack, ("v",), v=np.arange(4.0), arrays=[0.0, np.zeros(3)]),
    Call(runtime.split_vstack, ("v",), v=V23, arrays=[np.zeros(3), np.zeros((1, 3))]),
    Call(runtime.unarray, ("v",), v=np.arange(3.0), items=[1.0, 2.0, 3.0]),
    Call(runtime.unarray, ("v",), v=V23, items=(np.zeros(3), np.zeros(3))),
    Call(runtime.cast_tree, ("v",), v=[np.float64(1.5), np.arange(2.0)],
         like=[1.0, np.zeros(2)]),
    Call(runtime.cast_tree, ("v",), v={"w": np.arange(2.0), "b": np.float64(0.5)},
         like={"w": np.zeros(2), "b": np.float64(1.0)}),
    Call(np.asarray, ("a",), arity=2, a=np.array([1.5, -2.0], dtype=np.float32),
         dtype=np.float64),
]


def _id(case):
    extra = ",".join(f"{k}={v!r}" for k, v in case.values.items()
                     if isinstance(v, (str, int, float)) and k in ("ord", "axis", "index",
                                                                    "key", "subscripts"))
    return f"{case.rule.name}[{','.join(case.varying)}]{extra}"


@pytest.mark.parametrize("case", [pytest.param(c, id=_id(c)) for c in CASES])
def test_tangents_and_adjoints(case):
    for seed in (0, 1):
        _check(case, zlib.crc32(_id(case).encode()) + seed)


def _fits(got, real):
    """Whether the abstract value a shape hook gave describes the real result (sizes or
    ranks it does not know are allowed; a NumPy scalar and a 0-d array are alike)."""
    if got.kind == "unknown":
        return True
    if got.kind == "other" or real.kind == "other":
        if got.kind != real.kind or got.pytype is not real.pytype:
            return False
        if got.items is None or real.items is None:
            return True
        return len(got.elements) == len(real.elements) and all(
            _fits(g, r) for g, r in zip(got.elements, real.elements))
    if got.kind == "py" or real.kind == "py":
        return got.kind == real.kind and got.dtype is real.dtype
    if got.dtype is not None and got.dtype != real.dtype:
        return False
    shape, real_shape = avals.shape_of(got), avals.shape_of(real)
    return shape is None or (len(shape) == len(real_shape) and all(
        d is None or d == r for d, r in zip(shape, real_shape)))


@pytest.mark.parametrize("case", [pytest.param(c, id=_id(c)) for c in CASES])
def test_shape_hooks(case):
    values = case.full(case.values)
    operand_avals = {p: avals.of_value(v) for p, v in values.items()}
    bound = {p: ir.Var(p) if p in case.varying else ir.Const(v, repr(v))
             for p, v in values.items()}
    got = case.rule.abstract_eval(ir.Call(case.rule, tuple(bound[p] for p in case.rule.params),
                                          (), None), operand_avals, None)
    real = avals.of_value(case.call(case.values))
    assert _fits(got, real), (got, real)


def _rules():
    return {name: REGISTRY.lookup(getattr(runtime, name)) for name in runtime.__all__}


def test_every_helper_has_a_rule_with_both_modes():
    """A rule for every helper generated code may call: templates for the adjoint and the
    tangent of each argument alike (or refusals for both), or no derivative at all (a
    count, a mask, tie weights), or a check run for its effect."""
    kinds = {}
    for name, rules in _rules().items():
        assert rules, f"{name} has no rule"
        for rule in rules:
            if isinstance(rule, EffectRule):
                kinds[name] = "effect"
                continue
            if rule.kind == NONDIFF:
                kinds[name] = "zero"
                continue
            kinds[name] = "rule"
            if rule.jvp == TRANSPOSED:  # pointwise: the tangent is the adjoint's template
                continue
            assert rule.jvp is not None and len(rule.jvp) == len(rule.params), name
            for param, vjp, jvp in zip(rule.params, rule.templates, rule.jvp):
                assert (vjp is None) == (jvp is None), (name, param)
    assert {n for n, k in kinds.items() if k == "effect"} == {"require_assigned",
                                                              "check_scalar"}
    assert {n for n, k in kinds.items() if k == "zero"} == {
        "reduced_size", "tie_weights", "median_weights", "zeros_like_tree", "einsum_labels",
        "einsum_swapped", "eye_like"}


def test_refusals_name_the_higher_derivative():
    """Derivatives that only a third (or fourth) derivative would need of the helpers made
    for second derivatives are refused with a message saying so (a fifth, of the adjugate's
    third derivative)."""
    refused = [t for rules in _rules().values() for rule in rules
               for t in tuple(rule.templates) + tuple(rule.jvp or ()) if isinstance(t, Refusal)]
    assert refused and all(re.search("order (three|five) or more", t.message) for t in refused)


# the special cases the helpers exist for


def _tangent_of(fn, tangents, arity=None, **values):
    case = Call(fn, tuple(tangents), arity=arity, **values)
    return case.tangent(values, tangents)


@pytest.mark.parametrize("x, y, slope_x, slope_y", [
    (0.0, 2.0, 2.0, 0.0),   # y (y - 1) x ** (y - 2) = 2; d/dy y x ** (y - 1) at x = 0: 0
    (0.0, 1.0, 0.0, math.inf),  # the helper is the constant 1 along x ... and jumps in y
    (0.0, 0.0, 0.0, math.inf),  # x ** 0 is constant: its slope in x is constant 0
    (0.0, 3.0, 0.0, 0.0),
    (1.5, 0.0, 0.0, 1 / 1.5),  # d/dy (y x ** (y - 1)) at y = 0 is 1 / x
    (2.0, 0.5, 0.5 * -0.5 * 2.0 ** -1.5, 2.0 ** -0.5 * (1 + 0.5 * math.log(2.0))),
])
def test_dpow_dx_slopes_keep_its_special_cases(x, y, slope_x, slope_y):
    for kind in (float, np.float64, lambda v: np.array([v])):
        got_x = _tangent_of(runtime.dpow_dx, {"x": kind(1.0)}, x=kind(x), y=kind(y))
        assert np.ravel(got_x)[0] == pytest.approx(slope_x)
        if math.isfinite(slope_y):
            got_y = _tangent_of(runtime.dpow_dx, {"y": kind(1.0)}, x=kind(x), y=kind(y))
            assert np.ravel(got_y)[0] == pytest.approx(slope_y)


def test_scaled_power_is_zero_where_its_factor_is():
    assert runtime.scaled_power(0.0, 0.0, -2.0) == 0.0
    assert runtime.scaled_power(2.0, 0.0, -1.0) == math.inf
    assert runtime.scaled_power(-2.0, 0.0, -1.0) == -math.inf
    np.testing.assert_array_equal(runtime.scaled_power(np.array([0.0, 3.0]), 0.0, -1.0),
                                  [0.0, np.inf])
    assert runtime.scaled_power(3.0, 2.0, 2.0) == 12.0


def test_sinc_slope_at_zero_completes_the_second_derivative():
    """At x = 0 dsinc_dx's slope in x is -pi**2 / 3 and in s 0, so along s = sinc(x) the
    total is sinc''(0)."""
    total = _tangent_of(runtime.dsinc_dx, {"x": 1.0, "s": 0.0}, x=0.0, s=1.0)
    assert float(total) == pytest.approx(-math.pi ** 2 / 3)


def test_products_with_zeros_need_no_division():
    a = np.array([0.0, 2.0, 0.0, 3.0])
    t = np.array([1.0, 0.5, -1.0, 2.0])
    expected = [sum(t[k] * np.prod(np.delete(a, [i, k])) for k in range(4) if k != i)
                for i in range(4)]
    np.testing.assert_allclose(runtime.product_of_others_jvp(a, t), expected)
    s = np.array([0.3, -1.0, 2.0, 0.7])
    second = [sum(t[k] * s[m] * np.prod(np.delete(a, [i, k, m]))
                  for k in range(4) for m in range(4) if len({i, k, m}) == 3)
              for i in range(4)]
    np.testing.assert_allclose(runtime.product_of_others_hvp(a, t, s), second)


def test_cumprod_slopes_with_zeros():
    a = np.array([1.5, 0.0, -2.0, 0.0, 0.5])
    t, s = np.array([0.3, 1.0, -0.4, 2.0, 1.1]), np.array([1.0, -0.5, 0.2, 0.7, -1.3])

    def cumprod_at(x):
        return np.cumprod(x)
    h = 1e-6
    np.testing.assert_allclose(runtime.cumprod_tangent(a, t),
                               (cumprod_at(a + h * t) - cumprod_at(a - h * t)) / (2 * h),
                               atol=1e-8)
    second = (runtime.cumprod_tangent(a + h * s, t)
              - runtime.cumprod_tangent(a - h * s, t)) / (2 * h)
    np.testing.assert_allclose(runtime.cumprod_jvp2(a, t, s), second, atol=1e-7)


def test_cumprod_third_derivatives_with_zeros():
    """The templates of np.cumprod's third derivative and of the gradient of its second
    (dual numbers) against sums over the other elements, where elements are zero: no
    division, so no warning either."""
    a = np.array([1.5, 0.0, -2.0, 0.0, 0.5])
    t, s, r = np.array([0.3, 1.0, -0.4, 2.0, 1.1]), np.array([1.0, -0.5, 0.2, 0.7, -1.3]), (
        np.array([-0.6, 0.9, 1.4, -0.2, 0.8]))
    v = np.array([0.5, -1.0, 2.0, 1.5, -0.7])

    def third(j, last):
        """The third derivative of the product of a[:j + 1] along t, s and ``last``."""
        return sum(t[i] * s[k] * last[m] * np.prod(np.delete(a[:j + 1], [i, k, m]))
                   for i, k, m in itertools.permutations(range(j + 1), 3))
    expected_third = [third(j, r) for j in range(5)]
    expected_gradient = [sum(v[j] * third(j, np.eye(5)[i]) for j in range(5))
                         for i in range(5)]
    namespace = {"np": np, **vars(runtime), "a": a, "t": t, "s": s, "r": r, "v": v,
                 "axis": None, "include_initial": False}
    with np.errstate(all="raise"):
        got_third = eval(cumprod_derivative("a", "t", "s", "r"), namespace)
        got_gradient = eval(cumprod_gradient("v", "a", "t", "s"), namespace)
    np.testing.assert_allclose(got_third, expected_third, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_gradient, expected_gradient, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("subscripts, index, swapped", [
    ("ij,jk->ik", 0, "ik,jk->ij"), ("ij,jk->ik", 1, "ij,ik->jk"), ("ii->i", 0, "i->ii"),
    ("ij,jk", 1, "ij,ik->jk"),  # the implicit output written out
    ("bA", 0, "Ab->bA"), ("ii", 0, "->ii"), ("...ij,jk", 1, "...ij,...ik->jk"),
    ("i, i -> ", 0, ",i->i"),
])
def test_einsum_swapped_trades_an_operands_labels_with_the_outputs(subscripts, index, swapped):
    assert runtime.einsum_swapped(subscripts, index) == swapped


@pytest.mark.parametrize("a", [
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]]),   # rank 2
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]),    # rank 1
    np.array([[2.0, 0.3, -0.5], [0.1, 1.4, 0.7], [-0.6, 0.2, 0.9]]),  # invertible
])
def test_adjugate_slope_holds_at_singular_matrices(a):
    """The adjugate is a polynomial in the entries; its derivative exists everywhere."""
    t = np.array([[0.3, -1.0, 0.2], [0.5, 0.4, -0.6], [1.1, 0.0, 0.7]])
    h = 1e-5
    expected = (runtime.adjugate(a + h * t) - runtime.adjugate(a - h * t)) / (2 * h)
    np.testing.assert_allclose(runtime.adjugate_jvp(a, t), expected, atol=1e-7)


@pytest.mark.parametrize("cast", [np.float64, np.float32, np.complex128, np.complex64,
                                  complex])
@pytest.mark.parametrize("x", [0.3, np.float32(-1.25), np.array([1.5, -2.0]),
                               np.array([0.5, 2.0], dtype=np.float32), 1.5 - 0.5j])
def test_casts(cast, x):
    """A cast's tangent is the cast tangent, and its adjoint the adjoint cast back to the
    argument's type (a real argument takes the real part of a complex adjoint)."""
    if np.iscomplexobj(x) and not np.issubdtype(cast, np.complexfloating):
        return  # casting complex numbers to real ones discards (and warns)
    if cast is complex and np.ndim(x):
        return  # complex() takes numbers
    case = Call(cast, ("x",), x=x)
    t = x * 0 + 1.0 if np.ndim(x) == 0 else np.full(np.shape(x), 1.0)
    tangent = case.tangent({"x": x}, {"x": t})
    if cast is not complex:  # complex(x_dot) is written x_dot + 0j: x_dot's precision
        assert np.result_type(tangent) == np.result_type(cast(t))
    np.testing.assert_array_equal(tangent, cast(t))
    g = cast(np.full(np.shape(x), 2.0 - 1.0j)) if np.issubdtype(cast, np.complexfloating) else (
        cast(np.full(np.shape(x), 2.0)))
    adjoint = case.adjoints({"x": x}, g)["x"]
    assert type(adjoint) is type(runtime.cast_like(g, x))
    assert np.result_type(adjoint) == np.result_type(x)
    expected = g if np.iscomplexobj(x) else np.real(g)
    np.testing.assert_allclose(adjoint, expected)


def test_the_checks_are_effects():
    for name in ("require_assigned", "check_scalar"):
        (rule,) = REGISTRY.lookup(getattr(runtime, name))
        assert rule.statement_only and rule.jvp == (None, None)


def test_the_zero_derivative_helpers_are_constant_where_they_are_used():
    a = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 0.5]])
    weights = runtime.tie_weights(a, np.max(a, axis=1, keepdims=True), 1)
    moved = a + 1e-3 * np.array([[0.1, 0.2, 0.2], [0.3, 0.1, -0.2]])
    np.testing.assert_array_equal(weights, runtime.tie_weights(
        moved, np.max(moved, axis=1, keepdims=True), 1))
    np.testing.assert_array_equal(weights, [[0, 0.5, 0.5], [1, 0, 0]])
    for fn in (runtime.tie_weights, runtime.median_weights, runtime.reduced_size,
               runtime.zeros_like_tree, runtime.einsum_labels):
        assert all(rule.kind == NONDIFF for rule in REGISTRY.lookup(fn))


def test_slices_in_indices_have_no_derivative():
    assert {len(rule.params) for rule in REGISTRY.lookup(slice)} == {1, 2, 3}
    assert all(rule.kind == NONDIFF for rule in REGISTRY.lookup(slice))
